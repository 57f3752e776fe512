"""Use cases of staff accounts: create one, check a login."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from carte.errors import CarteError
from carte.models import utcnow
from carte.models.accounts import ROLES, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
# Compared against when the email is unknown, so that both paths cost one scrypt check.
_DUMMY_HASH = "scrypt:32768:8:1$0123456789abcdef$" + "0" * 128


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).one_or_none()


def create_user(session: Session, email: str, password: str, role: str) -> User:
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise CarteError("invalid_email", "Adresse électronique invalide.", "email")
    if role not in ROLES:
        raise CarteError("invalid_role", f"Rôle inconnu : choisissez parmi {', '.join(ROLES)}.", "role")
    if len(password or "") < MIN_PASSWORD:
        raise CarteError("weak_password", f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères.", "password")
    if find_user(session, email):
        raise CarteError("email_taken", "Un compte existe déjà avec cette adresse.", "email", status=409)
    user = User(email=email, role=role, active=True)
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
    session.commit()
    return user
