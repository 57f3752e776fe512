"""Responsible bodies, over a hand-made atlas: a commune answers by default, its EPT or the
Métropole when the theme is routed there, and Paris is one body under one code."""

from carte.followup.bodies import METROPOLE, Bodies

COMMUNES = {
    "75056": {"nom": "Paris", "territoire_code": "75056", "territoire_nom": "Paris"},
    "93066": {"nom": "Saint-Denis", "territoire_code": "200057867", "territoire_nom": "Plaine Commune"},
    "93070": {"nom": "Saint-Ouen-sur-Seine", "territoire_code": "200057867", "territoire_nom": "Plaine Commune"},
    "94028": {"nom": "Créteil", "territoire_code": "200058006", "territoire_nom": "Grand Paris Sud Est Avenir"},
}


def test_kinds_and_names():
    bodies = Bodies(COMMUNES)
    assert bodies.get("93066").kind == "commune" and bodies.get("93066").name == "Saint-Denis"
    assert bodies.get("200057867").kind == "territory" and bodies.get("200057867").name == "Plaine Commune"
    assert bodies.get(METROPOLE).kind == "metropole"
    assert bodies.get("75056").kind == "commune" and bodies.get("75056").name == "Paris"
    assert bodies.get("99999") is None and "99999" not in bodies
    assert len(bodies.by_code) == 4 + 2 + 1  # four communes, two EPTs (Paris is already counted), the Métropole


def test_routing_and_reassignment():
    bodies = Bodies(COMMUNES)
    assert bodies.responsible("93070", "commune") == "93070"
    assert bodies.responsible("93070", "territory") == "200057867"
    assert bodies.responsible("93070", "metropole") == METROPOLE
    assert bodies.responsible("75056", "territory") == "75056"
    assert bodies.responsible("93070", "commune", reassigned_to="94028") == "94028"


def test_scope_lists_what_a_body_answers_without_reassignment():
    bodies = Bodies(COMMUNES)
    routing = {1: "commune", 2: "territory", 3: "metropole", 4: "commune"}
    assert bodies.scope("93066", routing) == [((1, 4), ("93066",))]
    assert bodies.scope("200057867", routing) == [((2,), ("93066", "93070"))]
    assert bodies.scope(METROPOLE, routing) == [((3,), None)]
    # Paris answers its commune themes and its territory themes alike.
    assert bodies.scope("75056", routing) == [((1, 4), ("75056",)), ((2,), ("75056",))]


def test_who_may_update():
    from carte.followup.bodies import may_update

    assert may_update("agent", "93066", "93066")
    assert not may_update("agent", "93066", "93070")
    assert not may_update("agent", None, "93070")
    assert not may_update("facilitator", None, "93066")
    assert may_update("moderator", None, "93066") and may_update("admin", None, METROPOLE)
    assert not may_update(None, None, "93066")
