"""CPU and wall time of one POST /api/v1/reports in-process (Flask test client, one thread, no HTTP).

    .venv/bin/python bench/post_cost.py CHECKOUT DATABASE_URL

Runs 300 POSTs after 20 warm-up ones on a freshly migrated database (a PostGIS URL is emptied first) with
the code of CHECKOUT (this one, or a `git worktree` of an older commit for the reference), and prints
milliseconds of wall and CPU time per POST with the load average. Run both checkouts back to back.
"""

import os
import sys
import time

tree, url = sys.argv[1], sys.argv[2]
sys.path.insert(0, tree)
os.chdir(tree)
from sqlalchemy import text

from carte import create_app
from carte.extensions import db
from carte.storage.setup import prepare_database

app = create_app(
    "config.Config",
    {
        "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_ENABLED": False,
        "CARTE_DATA_DIR": "/work/wt/serve/data",
        "CARTE_SOURCES": "/work/shared/data",
    },
)
if "postgresql" in url:
    with app.app_context():
        db.session.execute(
            text("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION IF NOT EXISTS postgis")
        )
        db.session.commit()
prepare_database(app)
c = app.test_client()
body = {
    "theme": "mobilite",
    "title": "Piste cyclable interrompue",
    "description": "La piste s'arrête net.",
    "lat": 48.8584,
    "lon": 2.2945,
}
for _ in range(20):
    c.post("/api/v1/reports", json=body)
n = 300
t = time.perf_counter()
cpu = time.process_time()
for _ in range(n):
    assert c.post("/api/v1/reports", json=body).status_code == 201
dt = time.perf_counter() - t
dc = time.process_time() - cpu
print(
    f"{tree:18} {url.split(':')[0]:22} {dt / n * 1000:6.2f} ms wall, {dc / n * 1000:6.2f} ms CPU per POST; load {tuple(round(x, 1) for x in os.getloadavg())}"
)
