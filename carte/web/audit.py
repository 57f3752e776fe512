"""The journal (/animation/journal, admins): every staff decision, newest first. Thin route over carte.moderation.audit."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from carte.extensions import db
from carte.moderation import audit as audit_uc
from carte.moderation.decisions import ACTIONS
from carte.web.access import role_required

audit = Blueprint("audit", __name__, url_prefix="/animation")


@audit.get("/journal")
@role_required("admin")
def journal():
    before = request.args.get("avant", type=int)
    entries = audit_uc.audit_entries(db.session, limit=100, before=before)
    titles = audit_uc.audit_titles(db.session, entries)
    return render_template("admin/journal.html", entries=entries, actions=ACTIONS, titles=titles)
