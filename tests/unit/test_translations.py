"""English is complete: every UI string found in the code and templates has an English translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("carte/**.py", "python"), ("carte/templates/**.html", "jinja2"), ("carte/templates/**.txt", "jinja2")]
# CarteError messages (their second argument) and N_-marked constants are shown translated too.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
    "CarteError": (2,),
    "plural_forms": (1, 2),
}


def extracted_ids() -> set:
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def english_catalog():
    with (ROOT / "carte" / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale="en")


def test_every_ui_string_has_an_english_translation():
    ids = extracted_ids()
    assert {"Moi aussi, je soutiens", "File de modération", "Signaler sans la carte"} <= ids  # extraction works
    catalog = english_catalog()
    translated = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated[key] = strings
    missing = sorted(ids - set(translated))
    assert missing == [], f"untranslated (run `make extract-messages`, then translate): {missing[:20]}"


def test_placeholders_survive_translation():
    import re

    for message in english_catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"\{\w+\}|%\(\w+\)[sd]", ids[0]))
        for string in strings:
            assert set(re.findall(r"\{\w+\}|%\(\w+\)[sd]", string)) == wanted, (ids[0], string)


def test_error_messages_are_literal_templates():
    """A CarteError message is a msgid: values go in `params`, never in an f-string, or the English
    page would show the French text (carte/errors.py)."""
    import ast

    found = []
    for path in (ROOT / "carte").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "CarteError"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.JoinedStr)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_french_counts_follow_the_french_rule():
    """Without a French entry, gettext falls back on the English rule and writes « 0 soutiens »: every plural
    message has one in the French catalogue, its own words in each form (scripts/french_plurals.py)."""
    with (ROOT / "carte" / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="fr")
    plurals = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            plurals.add(message)
    assert ("%(num)d soutien", "%(num)d soutiens") in plurals  # extraction works
    for singular, plural in plurals:
        entry = catalog.get((singular, plural)) or catalog.get(singular)
        assert entry is not None, f"missing from the French catalogue (run scripts/french_plurals.py): {singular}"
        assert entry.string[0] == singular and all(form == plural for form in entry.string[1:]), singular
    assert catalog.plural_expr and catalog.num_plurals == 3  # CLDR's French rule: one (0 and 1), many, other
