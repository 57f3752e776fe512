"""Benchmark: `send-alerts` over many subscriptions, against a real local SMTP server (aiosmtpd).

Run from the repository root:
    .venv/bin/python bench/alerts.py [--reports 2000] [--areas 500] [--followers 500] [--postgis URL]

A fresh SpatiaLite file (or the PostGIS database given) gets the reports (through the report use
case), area subscriptions (communes, territories and map views, half of them with a theme) and
report followers with one update each, all confirmed with their last digest a day old. Then
`send_due` runs twice: the figures are the first run's messages per second, and the second run's
time and count (it must send nothing). Prints the load average beside them: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from carte import create_app  # noqa: E402
from carte.extensions import db  # noqa: E402


class Counter:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--areas", type=int, default=500)
    parser.add_argument("--followers", type=int, default=500)
    parser.add_argument("--postgis", help="a PostGIS URL to use instead of a fresh SpatiaLite file (it is emptied)")
    args = parser.parse_args()

    from carte.alerts.mailer import Mailer, parse_smtp_url
    from carte.alerts.sending import send_due
    from carte.alerts.subscriptions import Target, confirm, subscribe
    from carte.followup.updates import post_update
    from carte.geo.atlas import get_atlas
    from carte.reports.service import create_report
    from carte.storage.setup import prepare_database
    from tests.helpers import report_payload

    tmp = Path(tempfile.mkdtemp(prefix="carte-bench-alerts-"))
    url = args.postgis or f"sqlite:///{tmp / 'bench.sqlite'}"
    handler = Counter()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(
        "config.Config",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CARTE_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "CARTE_PUBLIC_URL": "http://carte.bench",
            "RATELIMIT_ENABLED": False,
        },
    )
    if args.postgis:
        from sqlalchemy import text

        with app.app_context():
            db.session.execute(
                text("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION IF NOT EXISTS postgis")
            )
            db.session.commit()
    prepare_database(app)
    rng = random.Random(7)
    with app.app_context():
        atlas = get_atlas(app)
        communes = sorted(atlas.communes.values(), key=lambda c: c["code"])
        themes = ["mobilite", "logement", "espaces-publics-proprete"]
        started = time.perf_counter()
        report_ids = []
        for i in range(args.reports):
            c = communes[i % len(communes)]
            lon, lat = c.get("rep_point", (2.35, 48.86))
            payload = report_payload(
                title=f"Signalement de banc {i}",
                theme=themes[i % 3],
                lon=lon + rng.uniform(-0.002, 0.002),
                lat=lat + rng.uniform(-0.002, 0.002),
                tags=[],
            )
            report_ids.append(create_report(db.session, atlas, payload, contributor=f"bench{i % 50}").id)
        print(f"{args.reports} reports in {time.perf_counter() - started:.1f} s")
        from carte.models import Report

        now = datetime.now(UTC)
        for i in range(args.areas):
            c = communes[i % len(communes)]
            kind = i % 3
            chosen = (themes[i % 3],) if i % 2 else ()
            if kind == 0:
                target = Target("area", commune=c["code"], themes=chosen)
            elif kind == 1:
                target = Target("area", territoire=c["territoire_code"], themes=chosen)
            else:
                lon, lat = c.get("rep_point", (2.35, 48.86))
                target = Target("area", bbox=(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01), themes=chosen)
            sub = subscribe(db.session, f"zone{i}@bench.example", target, "fr", now=now - timedelta(days=2))
            confirm(db.session, sub, now=now - timedelta(days=2))
        for i in range(args.followers):
            report = db.session.get(Report, report_ids[i % len(report_ids)])
            sub = subscribe(db.session, f"suivi{i}@bench.example", Target("report", report=report), "fr")
            confirm(db.session, sub)
        for report_id in {report_ids[i % len(report_ids)] for i in range(args.followers)}:
            post_update(
                db.session,
                db.session.get(Report, report_id),
                progress="acknowledged",
                text="Vu.",
                body_code=None,
                author_kind="system",
            )
        runs = []
        with app.test_request_context("/", base_url="http://carte.bench"):
            for _ in range(2):
                before = handler.count
                started = time.perf_counter()
                with Mailer(parse_smtp_url(app.config["CARTE_SMTP_URL"])) as mailer:
                    summary = send_due(db.session, mailer)
                runs.append(
                    (time.perf_counter() - started, len(summary.sent), len(summary.failed), handler.count - before)
                )
    controller.stop()
    backend = "PostGIS" if args.postgis else "SpatiaLite"
    (t1, sent1, failed1, received1), (t2, sent2, failed2, received2) = runs
    print(f"backend {backend}; {args.reports} reports, {args.areas} areas, {args.followers} followers")
    print(
        f"first run: {sent1} messages sent ({received1} received, {failed1} failed) in {t1:.2f} s = {sent1 / t1:.0f} messages/s"
    )
    print(f"second run: {sent2} sent ({received2} received) in {t2:.2f} s")
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
