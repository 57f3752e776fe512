"""CSV cells that a spreadsheet cannot run as formulas, and their exact undoing on import.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by spreadsheets as a
formula (OWASP "CSV injection"). Every CSV Carte writes goes through `writer`, which puts a `'`
(the spreadsheet's own "this is text" mark) before such text. So that the importer can undo
exactly that, a text that already starts with `'`s followed by a formula character gets one
more `'`: `escape_cell` is then injective and `unescape_cell` its inverse on every string.

Numbers that Carte itself writes (coordinates, counts, rates) are left alone: a spreadsheet
reads `-3.5` as a number, which runs nothing, and quoting it would turn it into text that sums
and charts ignore. A resident's text that happens to be `-3.5` is text, and is escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def _needs_mark(text: str) -> bool:
    return text.lstrip(TEXT_MARK).startswith(FORMULA_STARTS)


def escape_cell(text: str) -> str:
    """`text`, with a leading `'` when what follows its leading `'`s would start a formula."""
    return TEXT_MARK + text if _needs_mark(text) else text


def unescape_cell(text: str) -> str:
    """The inverse of `escape_cell`: `unescape_cell(escape_cell(s)) == s` for every string."""
    if text.startswith(TEXT_MARK) and _needs_mark(text[1:]):
        return text[1:]
    return text


def cell(value) -> object:
    """What a writer puts in a cell: text escaped, Carte's own numbers as they are, None empty."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return escape_cell(str(value))


class SafeWriter:
    """`csv.writer` whose every cell goes through `cell`: the one way Carte writes CSV."""

    def __init__(self, fp: IO[str], **options):
        self._writer = csv.writer(fp, **options)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fp: IO[str], **options) -> SafeWriter:
    return SafeWriter(fp, **options)
