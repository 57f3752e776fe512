"""Staff authentication: the login manager, one role decorator, and the CSRF policy.

CSRF policy. HTML forms are checked by Flask-WTF (a token in every form). The JSON API
under /api/ is not token-checked, because external clients (Open311, scripts) use it
too; its state-changing calls are protected otherwise: the browser can only send them
same-origin (we refuse any request whose Origin, or Sec-Fetch-Site, says it comes from
another site), every cookie is SameSite=Lax, and JSON bodies need a
`Content-Type: application/json` that a cross-site form cannot send. The resident page
still sends the X-CSRFToken header, so nothing is lost by the exemption.
"""

from __future__ import annotations

import unicodedata
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from carte.accounts import user_by_session_token
from carte.errors import CarteError
from carte.extensions import csrf, db, login_manager
from carte.models.accounts import ROLES, User, role_rank

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def init_auth(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked in _check_origin_or_token
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the whole session
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", False))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    app.before_request(_check_origin_or_token)

    @app.errorhandler(CSRFError)
    def _csrf_error(err):
        from carte.web.errors import error_response

        return error_response(
            "csrf_invalid",
            "Le formulaire a expiré ou son jeton de sécurité manque : rechargez la page.",
            "csrf_token",
            400,
        )


def _check_origin_or_token() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    if request.path.startswith("/open311/"):
        return  # Open311 clients authenticate with an api_key, never with a cookie: nothing to forge
    if request.path.startswith("/api/"):
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:  # "null" too: sandboxed frames, data: URLs
            raise CarteError("cross_origin", "Requête refusée : elle vient d'un autre site.", None, status=403)
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            raise CarteError("cross_origin", "Requête refusée : elle vient d'un autre site.", None, status=403)
        return
    csrf.protect()


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """The cookie holds `User.session_token` (see User.get_id): rotated, the old cookie finds no one."""
    if not isinstance(session_token, str) or not session_token:
        return None
    user = user_by_session_token(db.session, session_token)
    return user if user is not None and user.is_active else None


def _unauthenticated():
    if request.path.startswith("/api/"):
        raise CarteError("unauthenticated", "Connexion requise.", None, status=401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


login_manager.unauthorized_handler(_unauthenticated)


def ensure_role(minimum_role: str, field: str | None = None) -> None:
    """Raise a 401 (not logged in) or 403 (weaker role) CarteError unless the user may act."""
    if not current_user.is_authenticated:
        raise CarteError("unauthenticated", "Connexion requise.", field, status=401)
    if role_rank(current_user.role) < role_rank(minimum_role):
        raise CarteError("forbidden", "Votre rôle ne permet pas cette action.", field, status=403)


def role_required(minimum_role: str):
    """Let through users whose role is at least `minimum_role` (admin ≥ moderator ≥ facilitator).

    Anonymous: 401 JSON on /api/ paths, a redirect to the login page for HTML.
    Logged in with a weaker role: 403.
    """
    if minimum_role not in ROLES:
        raise ValueError(f"unknown role {minimum_role!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _unauthenticated()
            ensure_role(minimum_role)
            return view(*args, **kwargs)

        wrapped.minimum_role = minimum_role
        return wrapped

    return decorator


def safe_next(target: str | None) -> str:
    r"""Only a path of this site: a login link must not send people to another one.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    `/%09/evil.example` (decoded: a tab) or `/\evil.example` would become `//evil.example`:
    any control or format character, whitespace or backslash is refused, and so is anything
    with a scheme or a host once parsed.
    """
    if (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("pages.index")


def login_rate_limit() -> str:
    return current_app.config["CARTE_LOGIN_RATE_LIMIT"]
