"""Responsible bodies: the commune by default, or the territory (EPT) or the Métropole when an
admin routes a theme there.

Codes are the official ones: a commune's INSEE code, an EPT's SIREN, the Métropole's SIREN.
Paris is a commune and a territory at once, under one code (75056), so it is one body.
Pure Python over the atlas's commune properties: no Flask, no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

METROPOLE = "200054781"
METROPOLE_NAME = "Métropole du Grand Paris"
ROUTINGS = ("commune", "territory", "metropole")


@dataclass(frozen=True)
class Body:
    code: str
    kind: str  # commune | territory | metropole
    name: str


class Bodies:
    """Every body of the Métropole, built from the atlas's communes (`code`, `nom`, `territoire_code`,
    `territoire_nom`)."""

    def __init__(self, communes: Mapping[str, Mapping]):
        self.territory_of = {code: c["territoire_code"] for code, c in communes.items()}
        self.by_code: dict[str, Body] = {METROPOLE: Body(METROPOLE, "metropole", METROPOLE_NAME)}
        self.communes_of: dict[str, tuple[str, ...]] = {}
        for code, c in sorted(communes.items()):
            self.communes_of.setdefault(c["territoire_code"], ())
            self.communes_of[c["territoire_code"]] += (code,)
            if c["territoire_code"] != code:
                self.by_code.setdefault(
                    c["territoire_code"], Body(c["territoire_code"], "territory", c["territoire_nom"])
                )
        for code, c in communes.items():  # Paris: the commune and the territory share a code and a name
            self.by_code[code] = Body(code, "commune", c["nom"])

    def get(self, code: str | None) -> Body | None:
        return self.by_code.get(code or "")

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def routed(self, commune_code: str, routing: str) -> str:
        """The body that answers, in this commune, a theme routed to `routing`."""
        if routing == "metropole":
            return METROPOLE
        if routing == "territory":
            return self.territory_of[commune_code]
        return commune_code

    def responsible(self, commune_code: str, routing: str, reassigned_to: str | None = None) -> str:
        """A report's body: the one it was reassigned to by hand, else its theme's routing in its commune."""
        return reassigned_to or self.routed(commune_code, routing)

    def of_report(self, report) -> str:
        """`responsible` for a report row (its commune, its theme's routing, its hand reassignment)."""
        return self.responsible(report.commune_code, report.theme.routing or "commune", report.body_code)

    def scope(
        self, body_code: str, routing_by_theme: Mapping[int, str]
    ) -> list[tuple[tuple[int, ...], tuple[str, ...] | None]]:
        """Which reports a body answers when nobody reassigned them: a list of (theme ids, communes or
        None for all) pairs, for storage to turn into SQL alongside `Report.body_code == body_code`."""
        body = self.by_code[body_code]
        pairs = []
        for routing in ROUTINGS:
            themes = tuple(sorted(t for t, r in routing_by_theme.items() if r == routing))
            if not themes:
                continue
            if routing == "metropole":
                if body.kind == "metropole":
                    pairs.append((themes, None))
            elif routing == "territory":
                if body_code in self.communes_of:
                    pairs.append((themes, self.communes_of[body_code]))
            elif body.kind == "commune":
                pairs.append((themes, (body_code,)))
        return pairs


def may_update(role: str | None, own_body: str | None, responsible_body: str) -> bool:
    """Who may post a report's updates: an agent for its own body's reports only; moderators and
    admins (the Métropole's staff) for every body. Facilitators run the participation, they do not answer."""
    if role == "agent":
        return own_body is not None and own_body == responsible_body
    return role in ("moderator", "admin")
