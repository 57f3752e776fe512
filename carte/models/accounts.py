"""Staff accounts (facilitators, moderators, admins) and the moderation audit log.

Residents never have accounts: they stay anonymous (signed cookies). Only the people
who run the map log in, and every moderation decision they take is written down.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from carte.extensions import db
from carte.models import utcnow
from carte.models.types import UTCDateTime

# Ordered by power: each role can do everything the roles before it can, except that an agent
# (migration 0008) acts only for its body: carte/followup/ checks the body, not the rank.
ROLES = ("agent", "facilitator", "moderator", "admin")


def role_rank(role: str | None) -> int:
    return ROLES.index(role) if role in ROLES else -1


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="facilitator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Carried by the session cookie and rotated at logout (migration 0006), so that a cookie
    # captured before a logout no longer opens a session.
    session_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # The body an agent answers for (migration 0008): an INSEE code, an EPT SIREN or the Métropole's.
    body_code: Mapped[str | None] = mapped_column(String(9))

    @validates("email")
    def _lower_email(self, _key, value: str) -> str:
        return value.strip().lower()

    @validates("role")
    def _known_role(self, _key, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"unknown role {value!r}")
        return value

    @validates("active")
    def _end_sessions_when_deactivated(self, _key, value: bool) -> bool:
        if not value:
            self.rotate_session_token()
        return value

    def set_password(self, password: str) -> None:
        """A new password also ends every session opened with the old one."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.rotate_session_token()

    def rotate_session_token(self) -> None:
        """Every session and remember-me cookie carries the token: a new one ends them all, everywhere."""
        self.session_token = secrets.token_urlsafe(32)

    def get_id(self) -> str:
        """Flask-Login's alternative token: the cookie names the session, not the user's id."""
        if not self.session_token:
            self.rotate_session_token()
        return self.session_token

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return bool(self.active)

    def has_role(self, minimum: str) -> bool:
        return role_rank(self.role) >= role_rank(minimum) >= 0


class AuditLog(db.Model):
    """Who did what, to which item, when and why: read by admins at /animation/journal."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship(lazy="joined")
