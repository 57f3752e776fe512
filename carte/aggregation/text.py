"""French text normalisation for comparing reports: accents folded, lowercase, stop words removed.

The stop-word list ships here (no download); it is stored accent-folded, like the texts it filters.
"""

from __future__ import annotations

import re
import unicodedata

FRENCH_STOP_WORDS: frozenset[str] = frozenset(
    """
    a ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais aurait
    auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels avaient avais
    avait avant avec avez aviez avions avoir avons ayant ayez ayons bon c ca car ce ceci cela celle
    celles celui cependant certain certaine certaines certains ces cet cette ceux chaque chez ci comme
    comment d dans de des deja depuis devrait doit donc dont du elle elles en encore entre es est et
    etaient etais etait etant ete etes etiez etions etre eu eue eues eurent eus eusse eut eux fait
    faire fais faut fois font hors ici il ils j je jusqu jusque l la laquelle le lequel les lesquelles
    lesquels leur leurs lors lui m ma mais me meme memes mes moi moins mon n ne ni nos notre nous on
    ont ou par parce pas peu peut plus pour pourquoi qu quand que quel quelle quelles quels qui quoi
    s sa sans se sera serai seraient serais serait seras serez seriez serions serons seront ses si
    sien sienne soi soient sois soit sommes son sont sous souvent suis sur t ta te tes toi ton toujours
    tous tout toute toutes tres trop tu un une unes uns vers via voici voila vos votre vous vu y
    tjrs svp merci bonjour depuis plusieurs jours semaines mois
    """.split()
)

_NON_WORD = re.compile(r"[^a-z0-9]+")

# Street-name abbreviations residents type, expanded so that "St-Ouen" matches "Saint-Ouen".
ABBREVIATIONS: dict[str, str] = {
    "st": "saint",
    "ste": "sainte",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "pl": "place",
    "imp": "impasse",
    "che": "chemin",
    "rte": "route",
    "sq": "square",
    "pte": "porte",
    "qu": "quai",
}


def fold(text: str) -> str:
    """Lowercase ASCII: 'Éclairage en panne !' -> 'eclairage en panne '."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_text.lower().replace("œ", "oe").replace("æ", "ae"))


def normalise(text: str) -> str:
    """Folded text without stop words or one-letter tokens: the input of the TF-IDF vectoriser."""
    words = (ABBREVIATIONS.get(w, w) for w in fold(text).split())
    return " ".join(w for w in words if len(w) > 1 and w not in FRENCH_STOP_WORDS)
