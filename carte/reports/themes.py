"""Admin management of themes: label (French and English), colour, icon, active, debate allowed,
and routing: which body answers its reports (the commune, the territory or the Métropole).

A theme that reports use can be deactivated (no new reports) but not deleted:
its reports keep their meaning. A routing change is written to the audit log
("route_theme") and moves at once every report of the theme that nobody reassigned by
hand: a report's responsible body is computed from its theme's routing, never stored.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carte.errors import CarteError
from carte.followup.bodies import ROUTINGS
from carte.models import Report, Theme
from carte.models.accounts import AuditLog
from carte.text import clean_text

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
ICON = re.compile(r"^[a-z0-9-]{1,40}$")


def slugify(label: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:40] or "theme"


def all_themes(session: Session):
    return session.scalars(select(Theme).order_by(Theme.position, Theme.id)).all()


def usage(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Report.theme_id, func.count()).group_by(Report.theme_id)).all())


def _fields(data: dict) -> dict:
    label = clean_text(data.get("label"), "label", min_len=2, max_len=80, required=True)
    color = (data.get("color") or "").strip()
    if not COLOR.match(color):
        raise CarteError("invalid_color", "Couleur invalide : format #rrggbb.", "color")
    icon = (data.get("icon") or "").strip().lower() or None
    if icon and not ICON.match(icon):
        raise CarteError("invalid_icon", "Icône invalide : lettres, chiffres et tirets.", "icon")
    label_en = clean_text(data.get("label_en"), "label_en", min_len=2, max_len=80) or None
    routing = (data.get("routing") or "commune").strip()
    if routing not in ROUTINGS:
        raise CarteError("invalid_routing", "Routage inconnu : commune, territoire ou Métropole.", "routing")
    return {
        "label": label,
        "label_en": label_en,
        "color": color.lower(),
        "icon": icon,
        "active": bool(data.get("active")),
        "allows_dissent": bool(data.get("allows_dissent")),
        "routing": routing,
    }


ROUTING_NAMES = {"commune": "commune", "territory": "territoire (EPT)", "metropole": "Métropole"}


def _audit_routing(session: Session, user_id: int | None, theme: Theme, before: str) -> None:
    session.add(
        AuditLog(
            user_id=user_id,
            action="route_theme",
            target_type="theme",
            target_id=theme.slug,
            reason=f"{ROUTING_NAMES[before]} → {ROUTING_NAMES[theme.routing]}",
        )
    )


def create_theme(session: Session, data: dict, user_id: int | None = None) -> Theme:
    values = _fields(data)
    slug = base = slugify(values["label"])
    n = 2
    while session.scalar(select(func.count()).select_from(Theme).where(Theme.slug == slug)):
        slug = f"{base[:36]}-{n}"
        n += 1
    position = (session.scalar(select(func.max(Theme.position))) or 0) + 1
    theme = Theme(slug=slug, position=position, **values)
    session.add(theme)
    if theme.routing != "commune":
        _audit_routing(session, user_id, theme, "commune")
    session.commit()
    return theme


def update_theme(session: Session, theme_id: int, data: dict, user_id: int | None = None) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None:
        raise CarteError("not_found", "Thème introuvable.", "id", status=404)
    before = theme.routing
    for key, value in _fields(data).items():
        if key in ("label_en", "routing") and key not in data:
            continue  # a form that does not show these fields leaves them as they are
        setattr(theme, key, value)
    if theme.routing != before:
        _audit_routing(session, user_id, theme, before)
    session.commit()
    return theme


def delete_theme(session: Session, theme_id: int) -> str:
    theme = session.get(Theme, theme_id)
    if theme is None:
        raise CarteError("not_found", "Thème introuvable.", "id", status=404)
    if usage(session).get(theme.id):
        raise CarteError(
            "theme_in_use", "Ce thème est utilisé par des signalements : désactivez-le plutôt.", "id", status=409
        )
    label = theme.label
    session.delete(theme)
    session.commit()
    return label
