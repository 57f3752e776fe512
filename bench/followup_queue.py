"""Benchmark: the bodies' queue (/animation/suivi and its CSV) at a million reports.

Run from the repository root on a COPY of the 1M database (users are created in it, themes are
routed and some reports marked as fixed):
    cp /work/bench-data/1m.sqlite /tmp/queue-1m.sqlite
    .venv/bin/python bench/followup_queue.py --sqlite /tmp/queue-1m.sqlite

Through the Flask test client (server time, no network), logged in through the real login form,
each page is asked `--repeat` times; prints p50/max in ms, the number of reports in the queue, and
the load average. Cases: an agent of a commune (Saint-Denis), of Paris (the largest body), of a
territory (Plaine Commune, with « mobilité » routed to territories), a moderator over every body,
and the same with filters (progress, text search, a page far down), then the CSV of Saint-Denis.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text, update  # noqa: E402

from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402
from carte.models import Theme  # noqa: E402

PASSWORD = "mot de passe du banc d'essai"


def login(app, email: str, role: str, body: str | None):
    from carte.accounts import create_user, find_user
    from carte.geo.atlas import get_atlas

    with app.app_context():
        if not find_user(db.session, email):
            create_user(db.session, email, PASSWORD, role, body, get_atlas(app).bodies)
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert response.status_code == 302, response.status_code
    return client


def timed(client, path: str, repeat: int) -> tuple[float, float, str]:
    times, body = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        body = response.get_data(as_text=True)
    times.sort()
    return times[len(times) // 2], times[-1], body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    app = create_app(
        "config.Config",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.sqlite}",
            "WTF_CSRF_ENABLED": True,
            "CARTE_LOGIN_RATE_LIMIT": "1000/minute",
            "SECRET_KEY": "banc d'essai",
        },
    )
    with app.app_context():
        from carte.geo.atlas import get_atlas

        ept = get_atlas(app).bodies.territory_of["93066"]
        db.session.execute(update(Theme).where(Theme.slug == "mobilite").values(routing="territory"))
        # One report in 20 fixed, written straight in SQL (the queue reads the rows, not the index).
        db.session.execute(text("UPDATE reports SET progress = 'fixed' WHERE id % 20 = 0 AND progress = 'submitted'"))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        themes = db.session.scalars(select(Theme.slug)).all()
    print(f"themes: {len(themes)}; mobilité routed to territories; load average before: {os.getloadavg()}")
    cases = [
        ("agent Saint-Denis (93066)", login(app, "sd@bench.example", "agent", "93066"), "/animation/suivi"),
        ("agent Paris (75056)", login(app, "paris@bench.example", "agent", "75056"), "/animation/suivi"),
        (f"agent Plaine Commune ({ept})", login(app, "ept@bench.example", "agent", ept), "/animation/suivi"),
    ]
    moderator = login(app, "mod@bench.example", "moderator", None)
    cases += [
        ("moderator, every body", moderator, "/animation/suivi"),
        ("moderator, body=93066", moderator, "/animation/suivi?body=93066"),
        ("Paris, progress=fixed", cases[1][1], "/animation/suivi?progress=fixed"),
        ("Paris, q=trottoir", cases[1][1], "/animation/suivi?q=trottoir"),
        ("Paris, page 200", cases[1][1], "/animation/suivi?page=200"),
        ("moderator, every body, theme=logement, page 100", moderator, "/animation/suivi?theme=logement&page=100"),
    ]
    print(f"{'case':<52} {'p50 ms':>8} {'max ms':>8}  reports")
    for name, client, path in cases:
        p50, worst, body = timed(client, path, args.repeat)
        total = re.search(r'id="queue-total"[^>]*>([^<]+)<', body).group(1)
        print(f"{name:<52} {p50:8.1f} {worst:8.1f}  {total}")
    p50, worst, body = timed(cases[0][1], "/animation/suivi.csv", max(1, args.repeat // 2))
    print(f"{'CSV Saint-Denis':<52} {p50:8.1f} {worst:8.1f}  {body.count(chr(10)) - 1} rows")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
