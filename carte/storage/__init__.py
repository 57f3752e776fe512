"""Storage: the only package where SpatiaLite and PostGIS differ.

`engine.py` builds the engine options for each backend and holds the spatial SQL
that differs, `reports.py` and `places.py` hold the queries, `versions.py` stamps
every write, `report_index.py` keeps the in-memory columns that aggregates read,
and `setup.py` prepares a database (migrate, load, seed).
"""

from carte.storage import versions  # noqa: F401  (registers the write-stamping listener)
