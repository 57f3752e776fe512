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
            "report_hidden",
            "Ce signalement a été masqué par la modération : il ne reçoit plus de contributions.",
            "id",
            status=409,
        )
    return report
