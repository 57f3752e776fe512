"""Checks shared by the participation use cases."""
from __future__ import annotations

from carte.errors import CarteError
from carte.models import Report

HIDDEN_LABEL = "masqué par la modération"


def require_public(report: Report | None) -> Report:
    """Residents only act on published reports; a hidden one answers with a clear reason."""
    if report is None or report.status in ("pending", "rejected"):
        raise CarteError("not_found", "Signalement introuvable.", "id", status=404)
    if report.status == "hidden":
        raise CarteError(
            "report_hidden", "Ce signalement a été masqué par la modération : il ne reçoit plus de contributions.", "id", status=409
        )
    return report


def clean_text(value, field: str, *, minimum: int, maximum: int, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise CarteError("required", "Ce champ est obligatoire.", field)
        return None
    if not isinstance(value, str):
        raise CarteError("invalid_type", "Ce champ doit être un texte.", field)
    text = " ".join(value.split()) if maximum <= 120 else value.strip()
    if required and not text:
        raise CarteError("required", "Ce champ est obligatoire.", field)
    if required and len(text) < minimum:
        raise CarteError("too_short", f"Au moins {minimum} caractères.", field)
    if len(text) > maximum:
        raise CarteError("too_long", f"Au plus {maximum} caractères.", field)
    return text or None
