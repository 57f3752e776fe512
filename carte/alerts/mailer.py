"""Sending mail over SMTP, configured by one URL (CARTE_SMTP_URL):

- `smtp://host:port` plain SMTP (a local relay, or the tests' aiosmtpd);
- `smtp://user:pass@host:587?starttls=1` SMTP upgraded with STARTTLS, then login;
- `smtps://user:pass@host:465` SMTP over TLS from the start.
User and password are percent-decoded. One connection serves a whole `send-alerts` run.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT = 30
# A resident's request waits at most this for the confirmation; send-alerts retries what did not go.
REQUEST_TIMEOUT = 5


class MailerConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool = False  # smtps://
    starttls: bool = False
    user: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailerConfigError("CARTE_SMTP_URL attend smtp://hôte:port ou smtps://utilisateur:mot-de-passe@hôte:port")
    options = parse_qs(parts.query)
    starttls = (options.get("starttls") or ["0"])[-1].lower() in ("1", "true", "yes", "on")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as err:
        raise MailerConfigError(f"CARTE_SMTP_URL : port invalide ({err})") from None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "smtps",
        starttls=starttls,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Mailer:
    """`with Mailer(settings) as mailer: mailer.send(message)`; connects on the first message."""

    def __init__(self, settings: SmtpSettings, timeout: float = TIMEOUT):
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
        if s.user:
            smtp.login(s.user, s.password or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        self._smtp.send_message(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                pass
            except OSError:
                pass
            self._smtp = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
