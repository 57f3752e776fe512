"""Following by email, against a real SMTP server (aiosmtpd on a free port): double opt-in, the
links of the messages followed with the test client, one-click unsubscribe, send-alerts sending
each update once and a daily digest of an area, erasure. Both backends (the `app` fixture)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from carte.extensions import db
from carte.models import Report
from carte.models.alerts import AlertDelivery, AlertSubscription
from tests.helpers import BASILIQUE_SAINT_DENIS, csrf_token_from, report_payload
from tests.integration.test_import import run

pytestmark = pytest.mark.backends

ADDRESS = "Dominique.Suit@Example.org"
STORED = ADDRESS.lower()


class Inbox:
    """The aiosmtpd handler: every message received, parsed with the `email` package."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        CARTE_SMTP_URL=f"smtp://127.0.0.1:{port}",
        CARTE_PUBLIC_URL="http://carte.test",
        CARTE_MAIL_FROM="Carte <alertes@carte.test>",
    )
    yield handler
    controller.stop()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link(message, path_part: str) -> str:
    """The link of the plain text part whose path holds `path_part`, as a path for the test client."""
    for url in re.findall(r"https?://\S+", text_of(message)):
        if path_part in url:
            parts = urlsplit(url)
            assert parts.netloc == "carte.test"  # absolute, on CARTE_PUBLIC_URL
            return parts.path
    raise AssertionError(f"no {path_part} link in {text_of(message)!r}")


def one_click(message) -> str:
    header = message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<([^>]+)>", header).group(1)
    return urlsplit(url).path


def confirm(client, message) -> None:
    path = link(message, "/alertes/confirmer/")
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="alert-confirm"' in html
    answer = client.post(path, data={"csrf_token": csrf_token_from(html)})
    assert answer.status_code == 200
    assert "Votre abonnement est confirmé." in answer.get_data(as_text=True)


def add_update(app, public_id: str, progress: str, text: str) -> None:
    from carte.followup.updates import post_update

    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).unique().one()
        post_update(db.session, report, progress=progress, text=text, body_code="75056", author_kind="agent")


def send(app) -> list[str]:
    result = run(app, "send-alerts")
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line.startswith("Envoyé")]


def a_day_later(app) -> None:
    """As if everything so far had happened 25 hours earlier: the last digests and the reports alike.

    Moving only the digests back put the reports already sent after the last digest, so a second
    digest could send them again: it did, in two full runs on 2026-12-01."""
    earlier = timedelta(hours=25)
    with app.app_context():
        for subscription in db.session.scalars(
            select(AlertSubscription).where(AlertSubscription.confirmed_at.is_not(None))
        ):
            subscription.last_digest_at -= earlier
        for report in db.session.scalars(select(Report)):
            report.created_at -= earlier
        db.session.commit()


def subscriptions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AlertSubscription))


def test_following_a_report_confirm_updates_once_and_one_click_unsubscribe(app, client, reports, inbox):
    report = reports.create(title="Lampadaire éteint <rue>")
    answer = client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]})
    assert answer.status_code == 202
    assert ADDRESS not in answer.get_data(as_text=True) and STORED not in answer.get_data(as_text=True)
    assert len(inbox.messages) == 1
    confirmation = inbox.messages[0]
    assert inbox.recipients[0] == [STORED]
    assert confirmation["Subject"] == "Confirmez votre abonnement aux alertes de Carte"
    assert confirmation["List-Unsubscribe"].startswith("<http://carte.test/api/v1/alerts/")
    assert "Lampadaire éteint <rue>" in text_of(confirmation)
    assert "Lampadaire éteint &lt;rue&gt;" in html_of(confirmation)  # the HTML part escapes report text
    assert "<rue>" not in html_of(confirmation)

    add_update(app, report["id"], "acknowledged", "Avant la confirmation : jamais envoyé.")
    assert send(app) == []  # nothing but the confirmation goes to an unconfirmed address
    assert len(inbox.messages) == 1

    confirm(client, confirmation)
    add_update(app, report["id"], "in_progress", "Intervention prévue jeudi.")
    sent = send(app)
    assert len(sent) == 1 and report["id"] in sent[0]
    assert STORED not in "".join(sent)  # the command never prints the address
    assert len(inbox.messages) == 2
    news = inbox.messages[1]
    assert "En cours" in news["Subject"]
    assert "Intervention prévue jeudi." in text_of(news)
    assert "Avant la confirmation" not in text_of(news)
    assert "Paris" in text_of(news)  # the body that answered
    assert f"http://carte.test/signalements/{report['id']}" in text_of(news)
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert send(app) == []  # run twice: nothing twice
    assert len(inbox.messages) == 2
    add_update(app, report["id"], "fixed", "Lampadaire réparé.")
    assert len(send(app)) == 1
    assert "Lampadaire réparé." in text_of(inbox.messages[2])

    # RFC 8058: the mail client POSTs the header's URL, with no cookie and no CSRF token.
    mail_client = app.test_client()
    answer = mail_client.post(one_click(inbox.messages[2]), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and answer.get_json() == {"status": "unsubscribed"}
    assert subscriptions(app) == 0
    assert mail_client.post(one_click(inbox.messages[2]), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    add_update(app, report["id"], "in_progress", "Toujours pas réglé.")
    assert send(app) == []
    assert len(inbox.messages) == 3
    assert client.get(link(confirmation, "/alertes/confirmer/")).status_code == 404  # gone with its subscription


def test_asking_twice_makes_one_subscription_and_answers_alike(app, client, reports, inbox):
    report = reports.create()
    first = client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]})
    again = client.post("/api/v1/alerts", json={"email": ADDRESS.upper(), "report": report["id"]})
    other = client.post("/api/v1/alerts", json={"email": "quelquun@example.org", "report": report["id"]})
    assert first.status_code == again.status_code == other.status_code == 202
    assert first.get_json() == again.get_json() == other.get_json()
    assert subscriptions(app) == 2
    assert [r for r in inbox.recipients] == [
        [STORED],
        ["quelquun@example.org"],
    ]  # no second confirmation within the hour
    confirm(client, inbox.messages[0])
    assert client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]}).get_json() == first.get_json()
    assert subscriptions(app) == 2 and len(inbox.messages) == 2  # confirmed already: nothing sent


def test_the_unsubscribe_link_in_the_body_shows_a_page_with_one_button(app, client, reports, inbox):
    report = reports.create()
    client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]})
    path = link(inbox.messages[0], "/alertes/desabonnement/")
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="alert-unsubscribe"' in html
    assert STORED not in html and page.headers["Referrer-Policy"] == "no-referrer"
    assert subscriptions(app) == 1  # a GET (a link scanner) changes nothing
    done = client.post(path, data={"csrf_token": csrf_token_from(html)})
    assert done.status_code == 200 and "Vous êtes désabonné." in done.get_data(as_text=True)
    assert subscriptions(app) == 0
    assert client.get("/alertes/desabonnement/pas-un-jeton").status_code == 404
    assert client.get("/alertes/confirmer/pas-un-jeton").status_code == 404


def test_area_digest_daily_with_themes_and_public_reports_only(app, client, reports, inbox):
    answer = client.post("/api/v1/alerts", json={"email": ADDRESS, "commune": "93066", "themes": ["mobilite"]})
    assert answer.status_code == 202
    assert "Saint-Denis" in text_of(inbox.messages[0])
    confirm(client, inbox.messages[0])
    lon, lat = BASILIQUE_SAINT_DENIS
    wanted = reports.create(title="Feu piéton en panne à Saint-Denis", lon=lon, lat=lat)
    reports.create(title="Logement insalubre à Saint-Denis", theme="logement", lon=lon, lat=lat)
    reports.create(title="Piste cyclable à Paris")  # another commune
    hidden = reports.create(title="Masqué à Saint-Denis", lon=lon, lat=lat)
    with app.app_context():
        db.session.execute(update(Report).where(Report.public_id == hidden["id"]).values(status="hidden"))
        db.session.commit()
    assert send(app) == []  # the day is not over
    a_day_later(app)
    sent = send(app)
    assert len(sent) == 1 and "1 signalement" in sent[0]
    assert (
        inbox.messages[-1]["Subject"]
        == "Carte : 1 nouveau signalement dans la commune de Saint-Denis (thèmes : Mobilité)"
    )
    digest = text_of(inbox.messages[-1])
    assert "Feu piéton en panne à Saint-Denis" in digest
    assert f"http://carte.test/signalements/{wanted['id']}" in digest
    assert "Logement insalubre" not in digest and "Piste cyclable" not in digest and "Masqué" not in digest
    assert one_click(inbox.messages[-1]).startswith("/api/v1/alerts/")
    assert send(app) == []  # idempotent
    a_day_later(app)
    assert send(app) == []  # a day without new reports: no empty digest
    assert len(inbox.messages) == 2


def test_bbox_and_territory_areas(app, client, reports, inbox):
    lon, lat = BASILIQUE_SAINT_DENIS
    view = [lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01]
    assert client.post("/api/v1/alerts", json={"email": ADDRESS, "bbox": view}).status_code == 202
    assert (
        client.post("/api/v1/alerts", json={"email": ADDRESS, "territoire": "200057867"}).status_code == 202
    )  # Plaine Commune
    confirm(client, inbox.messages[0])
    reports.create(title="Dans la vue", lon=lon, lat=lat)
    reports.create(title="Hors de la vue")
    a_day_later(app)
    assert len(send(app)) == 1
    digest = text_of(inbox.messages[-1])
    assert "Dans la vue" in digest and "Hors de la vue" not in digest


def test_messages_in_the_subscribers_language(app, client, reports, inbox):
    report = reports.create()
    client.post("/api/v1/alerts?lang=en", json={"email": ADDRESS, "report": report["id"]})
    message = inbox.messages[0]
    assert message["Subject"] == "Confirm your subscription to Carte alerts"
    assert message["Content-Language"] == "en"
    confirm(client, message)
    add_update(app, report["id"], "fixed", "Réparé.")
    send(app)  # run outside any request: the stored language decides
    assert "Fixed" in inbox.messages[1]["Subject"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"report": "x"}, "email"),
        ({"email": "pas-une-adresse", "commune": "93066"}, "email"),
        ({"email": "a b@example.org", "commune": "93066"}, "email"),
        ({"email": ADDRESS}, "report"),
        ({"email": ADDRESS, "commune": "93066", "territoire": "75056"}, "report"),
        ({"email": ADDRESS, "commune": "99999"}, "commune"),
        ({"email": ADDRESS, "territoire": "123"}, "territoire"),
        ({"email": ADDRESS, "bbox": [1, 2, 3]}, "bbox"),
        ({"email": ADDRESS, "bbox": "nimporte"}, "bbox"),
        ({"email": ADDRESS, "commune": "93066", "themes": ["pas-un-theme"]}, "themes"),
        ({"email": ADDRESS, "commune": "93066", "themes": {"a": 1}}, "themes"),
        ({"email": 12, "commune": "93066"}, "email"),
    ],
)
def test_invalid_requests_name_their_field(app, client, body, field):
    answer = client.post("/api/v1/alerts", json=body)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["field"] == field
    assert subscriptions(app) == 0


def test_unknown_report_not_json_and_bots(app, client):
    missing = client.post("/api/v1/alerts", json={"email": ADDRESS, "report": "inconnu"})
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "report"
    assert client.post("/api/v1/alerts", data="email=x").status_code == 415
    assert client.post("/api/v1/alerts", json=[1]).status_code == 400
    assert client.post("/api/v1/alerts", json={"email": ADDRESS, "commune": "93066", "website": "x"}).status_code == 400
    assert client.post("/api/v1/alerts/pas-un-jeton/unsubscribe").status_code == 404
    assert subscriptions(app) == 0


def test_without_smtp_the_request_is_kept_and_send_alerts_sends_the_confirmation(app, client, reports, inbox):
    smtp_url = app.config["CARTE_SMTP_URL"]
    app.config["CARTE_SMTP_URL"] = "smtp://127.0.0.1:1"  # nothing listens there: refused at once
    report = reports.create()
    assert client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]}).status_code == 202
    assert inbox.messages == [] and subscriptions(app) == 1
    app.config["CARTE_SMTP_URL"] = smtp_url
    sent = send(app)
    assert len(sent) == 1 and "confirmation" in sent[0]
    assert len(inbox.messages) == 1 and send(app) == []


def test_a_failed_send_moves_no_cursor_and_is_retried(app, client, reports, inbox):
    from carte.alerts.sending import send_due

    report = reports.create()
    client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]})
    confirm(client, inbox.messages[0])
    add_update(app, report["id"], "acknowledged", "Vu.")

    class Refusing:
        def send(self, message):
            raise OSError("connexion perdue")

    with app.test_request_context("/", base_url="http://carte.test"):
        summary = send_due(db.session, Refusing())
        assert summary.sent == [] and len(summary.failed) == 1
        assert (
            db.session.scalar(select(func.count()).select_from(AlertDelivery).where(AlertDelivery.kind == "update"))
            == 0
        )
    assert len(send(app)) == 1 and send(app) == []
    assert "Vu." in text_of(inbox.messages[-1])


def test_unconfirmed_addresses_are_forgotten_after_a_week(app, client, reports, inbox):
    report = reports.create()
    client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]})
    with app.app_context():
        db.session.execute(update(AlertSubscription).values(created_at=datetime.now(UTC) - timedelta(days=8)))
        db.session.commit()
    result = run(app, "send-alerts")
    assert "1 abonnement jamais confirmé oublié." in result.output
    assert subscriptions(app) == 0


def test_erasure_by_email_erases_the_subscriptions(app, client, reports, inbox):
    report = reports.create()
    client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]})
    client.post("/api/v1/alerts", json={"email": ADDRESS, "commune": "93066"})
    client.post("/api/v1/alerts", json={"email": "autre@example.org", "commune": "93066"})
    dry = run(app, "erase", "--email", ADDRESS, "--dry-run")
    assert "2 abonnements aux alertes" in dry.output and subscriptions(app) == 3
    done = run(app, "erase", "--email", ADDRESS)
    assert "2 abonnements aux alertes" in done.output
    assert subscriptions(app) == 1
    with app.app_context():
        assert db.session.scalar(select(AlertSubscription.email)) == "autre@example.org"


def test_the_address_is_shown_nowhere(app, client, reports, inbox):
    report = reports.create(**report_payload(title="Trottoir défoncé"))
    client.post("/api/v1/alerts", json={"email": ADDRESS, "report": report["id"]})
    confirm_path = link(inbox.messages[0], "/alertes/confirmer/")
    for path in (
        confirm_path,
        f"/api/v1/reports/{report['id']}",
        f"/flux/signalements/{report['id']}.atom",
        "/flux/signalements.atom",
    ):
        body = client.get(path).get_data(as_text=True).lower()
        assert STORED not in body, path


@pytest.mark.config(RATELIMIT_ENABLED=True, CARTE_PARTICIPATION_RATE_LIMIT="2/minute")
def test_requests_are_rate_limited_like_other_posts(app, client):
    for n in range(2):
        assert client.post("/api/v1/alerts", json={"email": f"n{n}@example.org", "commune": "93066"}).status_code == 202
    limited = client.post("/api/v1/alerts", json={"email": "n3@example.org", "commune": "93066"})
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert subscriptions(app) == 2


def test_the_link_pages_speak_english(app, client, reports, inbox):
    report = reports.create(title="Banc cassé")
    client.post("/api/v1/alerts?lang=en", json={"email": ADDRESS, "report": report["id"]})
    path = link(inbox.messages[0], "/alertes/confirmer/")
    page = client.get(path + "?lang=en").get_data(as_text=True)
    assert "Confirm my subscription" in page and "You will get the news of the report “Banc cassé” by email." in page
    assert 'lang="en"' in page
