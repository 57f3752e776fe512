"""What residents read for each progress (issue 13): lazy strings, so that each page, feed or
message shows them in its own language."""

from __future__ import annotations

from flask_babel import lazy_gettext

PROGRESS_LABELS = {
    "submitted": lazy_gettext("Nouveau"),
    "acknowledged": lazy_gettext("Pris en compte"),
    "in_progress": lazy_gettext("En cours"),
    "fixed": lazy_gettext("Résolu"),
    "declined": lazy_gettext("Non retenu"),
    "duplicate": lazy_gettext("Doublon"),
}
