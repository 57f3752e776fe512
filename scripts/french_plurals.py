"""Write carte/translations/fr/LC_MESSAGES/messages.po: the French plural entries (the source text is French).

gettext falls back on the English rule (n != 1) for a plural message missing from the catalogue, which gave
« 0 commentaires »; French says « 0 commentaire ». The French catalogue holds each plural message with its own
words in every form of the French rule (one; many, for millions; other). Run after adding an ngettext.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.unit.test_translations import KEYWORDS, METHODS  # noqa: E402  (one list of what is extracted)

TARGET = ROOT / "carte" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    catalog = Catalog(locale="fr", project="Carte", fuzzy=False)
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        if isinstance(message, tuple) and message[0] not in catalog:
            singular, plural = message
            catalog.add(
                message, string=(singular, plural, plural), flags=("python-format",) if "%(" in singular else ()
            )
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with TARGET.open("wb") as target:
        write_po(target, catalog, no_location=True, sort_output=True, omit_header=False)
    print(f"{len(catalog)} plural messages in {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
