"""The one text cleaner (carte.text): what it refuses, what it rewrites, what it keeps."""

from __future__ import annotations

import pytest

from carte.errors import CarteError
from carte.text import clean_text


def code_of(value, **kwargs) -> str:
    with pytest.raises(CarteError) as caught:
        clean_text(value, "champ", **{"max_len": 50, **kwargs})
    assert caught.value.field == "champ" and caught.value.status == 422
    return caught.value.code


@pytest.mark.parametrize(
    "bad",
    [
        "a\x00b",
        "\x00",
        "a\x01",
        "esc\x1b[31m",
        "del\x7f",
        "c1\x85",
        "c1\x9f",
        "lone\ud800",
        "low\udfff",
        "non\ufffe",
        "non\uffff",
        "vt\x0b",
        "ff\x0c",
    ],
)
@pytest.mark.parametrize("multiline", [False, True])
def test_control_characters_surrogates_and_xml_forbidden_are_refused_not_dropped(bad, multiline):
    assert code_of(bad, multiline=multiline) == "invalid_characters"


def test_single_line_fields_collapse_whitespace_multi_line_keep_lines():
    assert clean_text("  Rue\tde la\n\nPaix  ", "f", max_len=50) == "Rue de la Paix"
    assert clean_text("Ligne 1\r\nLigne 2\rLigne 3\n\tretrait ", "f", max_len=50, multiline=True) == (
        "Ligne 1\nLigne 2\nLigne 3\n\tretrait"
    )


def test_text_is_nfc_and_length_counts_code_points_after_normalising():
    decomposed = "e\u0301" * 5  # "é" as e + combining acute
    assert clean_text(decomposed, "f", max_len=5) == "\u00e9" * 5
    assert code_of("é" * 6, max_len=5) == "too_long"
    assert code_of("  ab  ", min_len=3) == "too_short"


def test_format_characters_and_emoji_are_text():
    for text in ["\u202eevil.exe", "zero\u200bwidth", "famille 👨‍👩‍👧", "עברית", "<script>alert(1)</script>"]:
        assert clean_text(text, "f", max_len=50) == text


@pytest.mark.parametrize("value", [None, "", "   ", "\n\t "])
def test_absent_or_blank_is_none_or_required(value):
    assert clean_text(value, "f", max_len=5) is None
    assert code_of(value, required=True) == "required"


@pytest.mark.parametrize("value", [42, 1.5, True, ["a"], {"a": 1}, b"bytes"])
def test_anything_but_a_string_is_invalid_type(value):
    assert code_of(value) == "invalid_type"


def test_one_email_rule():
    from carte.text import clean_email, is_email

    assert clean_email("  Sacha.Secret@Example.ORG ") == "sacha.secret@example.org"
    assert clean_email("", required=False) is None
    assert [is_email(e) for e in ("a@example.org", "a.b-c+d@sub.example.fr")] == [True, True]
    assert not any(
        is_email(e)
        for e in (
            "a b@example.org",
            "a@example",
            '"a"@example.org',
            "a@-x.org",
            "a@ex_ample.org",
            "a@@example.org",
            "x" * 65 + "@example.org",
        )
    )
    with pytest.raises(CarteError) as caught:
        clean_email("a\x00@example.org")
    assert caught.value.code == "invalid_characters"
    with pytest.raises(CarteError) as caught:
        clean_email("a" * 250 + "@example.org")
    assert caught.value.code == "too_long"
