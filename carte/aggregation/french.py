"""French number formatting and sentences read aloud in workshops."""

from __future__ import annotations

try:  # Babel ships with Flask-Babel; the fallback keeps this module pure and importable anyway.
    from babel.numbers import format_decimal as _babel_format_decimal
except ImportError:  # pragma: no cover
    _babel_format_decimal = None

NARROW_NBSP = "\u202f"  # the thousands separator of fr_FR in CLDR


def format_number(value: float, decimals: int = 0) -> str:
    """12345.67 -> '12 345,7' (decimals=1), with a narrow no-break space between thousands."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    if _babel_format_decimal is not None:
        return _babel_format_decimal(round(float(value), decimals), format=pattern, locale="fr_FR")
    text = f"{float(value):,.{decimals}f}"  # pragma: no cover
    return text.replace(",", NARROW_NBSP).replace(".", ",")  # pragma: no cover


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """French plural: 0 and 1 take the singular."""
    word = singular if abs(n) < 2 else (plural_form or singular + "s")
    return f"{format_number(n)} {word}"


def shared_need_sentence(
    n_communes: int, n_territoires: int, n_territoires_total: int, rate_per_10k: float | None
) -> str:
    """'Signalé dans 47 communes de 9 territoires sur 12 ; 3,1 signalements pour 10 000 habitants.'"""
    text = (
        f"Signalé dans {plural(n_communes, 'commune')} de "
        f"{plural(n_territoires, 'territoire')} sur {format_number(n_territoires_total)}"
    )
    if rate_per_10k is not None:
        word = "signalement" if rate_per_10k < 2 else "signalements"
        text += f" ; {format_number(rate_per_10k, 1)} {word} pour {format_number(10000)} habitants"
    return text + "."
