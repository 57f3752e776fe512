"""Use cases of staff accounts: create one, check a login, change a password, deactivate, log out everywhere."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from carte.errors import CarteError
from carte.models import utcnow
from carte.models.accounts import ROLES, User
from carte.text import clean_email, is_email

MIN_PASSWORD = 10
# Compared against when the email is unknown, so that both paths cost one scrypt check.
_DUMMY_HASH = "scrypt:32768:8:1$0123456789abcdef$" + "0" * 128


def _check_password(password: str | None) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise CarteError(
            "weak_password",
            "Le mot de passe doit compter au moins %(n)s caractères.",
            "password",
            params={"n": MIN_PASSWORD},
        )


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == (clean_email(email) or ""))).one_or_none()


def user_by_session_token(session: Session, session_token: str) -> User | None:
    """The user whose login cookie holds this token (rotated on logout: an old cookie finds no one)."""
    return session.scalars(select(User).where(User.session_token == session_token)).one_or_none()


def create_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    body_code: str | None = None,
    known_bodies: Collection[str] = (),
) -> User:
    """An agent belongs to one body among `known_bodies`; other roles answer for every body, so have none."""
    email = clean_email(email) or ""
    if not is_email(email):
        raise CarteError("invalid_email", "Adresse électronique invalide.", "email")
    if role not in ROLES:
        raise CarteError(
            "invalid_role", "Rôle inconnu : choisissez parmi %(roles)s.", "role", params={"roles": ", ".join(ROLES)}
        )
    if role == "agent" and body_code not in known_bodies:
        raise CarteError(
            "unknown_body", "Un agent appartient à un organisme : code INSEE, SIREN d'un EPT ou 200054781.", "body"
        )
    if role != "agent" and body_code:
        raise CarteError("invalid_body", "Seul un agent appartient à un organisme.", "body")
    _check_password(password)
    if find_user(session, email):
        raise CarteError("email_taken", "Un compte existe déjà avec cette adresse.", "email", status=409)
    user = User(email=email, role=role, active=True, body_code=body_code if role == "agent" else None)
    user.set_password(password)
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_user(session, email or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.active or not user.check_password(password or ""):
        return None
    user.last_login_at = utcnow()
    if not user.session_token:  # accounts created before migration 0006
        user.rotate_session_token()
    session.commit()
    return user


def end_sessions(session: Session, user: User) -> None:
    """Log the user out everywhere (every browser, remember-me cookies included)."""
    user.rotate_session_token()
    session.commit()


def _existing_user(session: Session, email: str) -> User:
    user = find_user(session, email or "")
    if user is None:
        raise CarteError("unknown_user", "Aucun compte pour %(email)s.", "email", status=404, params={"email": email})
    return user


def change_password(session: Session, email: str, password: str) -> User:
    """A new password; every session opened with the old one ends (User.set_password)."""
    _check_password(password)
    user = _existing_user(session, email)
    user.set_password(password)
    session.commit()
    return user


def set_active(session: Session, email: str, active: bool) -> User:
    """Deactivating ends the account's sessions at once (User's `active` validator)."""
    user = _existing_user(session, email)
    user.active = active
    session.commit()
    return user
