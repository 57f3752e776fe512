"""Moving reports in and out of Carte: file import (CSV/GeoJSON), export, category mappings."""
