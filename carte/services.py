"""The per-app services, built once in create_app and kept on `app.extensions`.

Built here rather than on a request's first use, so that the threads of a worker never
build two, and so that gunicorn's master (`preload_app`) holds them before it forks:
- `carte_atlas`: the communes in memory (`carte.geo.atlas`), unless the data is not built yet;
- `carte_aggregates`: the report index and the aggregates over it (`carte.aggregation_service`);
- `carte_map_mercator`: the map's Web Mercator columns beside that index (`carte.reports.map_view`);
- `carte_reference_rows`: themes and place names for the write path (`carte.reports.service`).
"""

from __future__ import annotations

from flask import Flask

from carte import aggregation_service
from carte.geo import atlas
from carte.reports.map_view import MercatorColumns
from carte.reports.service import ReferenceRows


def install_services(app: Flask) -> None:
    atlas.install(app)
    aggregation_service.install(app)
    app.extensions["carte_map_mercator"] = MercatorColumns()
    app.extensions["carte_reference_rows"] = ReferenceRows(app.config["CARTE_THEME_CACHE_SECONDS"])
