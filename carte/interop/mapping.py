"""Which source column holds what, and which source category becomes which Carte theme.

Pure Python. A mapping file (YAML or JSON) looks like:

    default_theme: espaces-publics-proprete
    columns: {lat: lat, lon: lon, theme: [type, soustype], title: soustype, date: datedecl, id: id_dmr}
    categories:
      "Propreté": espaces-publics-proprete
      "Mobilier urbain / Bancs": espaces-publics-proprete

A category is looked up with its columns joined by " / " (most specific first), then
with fewer columns: "type / soustype", then "type". A category that is itself a theme
slug maps to that theme (so that Carte's own exports import back unchanged). A key
ending with `*` is a prefix: "Voirie et espace public / Feux tricolores*".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

COLUMN_KEYS = (
    "lat",
    "lon",
    "point",
    "theme",
    "title",
    "description",
    "date",
    "id",
    "address",
    "tags",
    "arrondissement",
)
# Carte's own export columns: importing an export needs no option.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "lat": ("lat",),
    "lon": ("lon",),
    "point": (),
    "theme": ("theme",),
    "title": ("title",),
    "description": ("description",),
    "date": ("created_at",),
    "id": ("id",),
    "address": ("location_text",),
    "tags": ("tags",),
    "arrondissement": (),
}
FALLBACK_THEME = "espaces-publics-proprete"


class MappingError(ValueError):
    """The mapping file or a --map option cannot be used; the message says why, in French."""


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    categories: dict[str, str] = field(default_factory=dict)
    default_theme: str = FALLBACK_THEME
    source_name: str | None = None

    def theme_for(self, parts: list[str], themes: set[str]) -> tuple[str, bool]:
        """(theme slug, mapped?) for the category made of `parts` (e.g. [type, soustype])."""
        parts = [p.strip() for p in parts]
        prefixes = self._prefixes
        for n in range(len(parts), 0, -1):
            key = " / ".join(parts[:n])
            if key in self.categories:
                return self.categories[key], True
            for prefix, theme in prefixes:
                if key.startswith(prefix):
                    return theme, True
        if len(parts) == 1 and parts[0] in themes:
            return parts[0], True
        return self.default_theme, False

    @property
    def _prefixes(self) -> list[tuple[str, str]]:
        """Keys ending in `*` match any category that starts with them, longest first."""
        keys = [(k[:-1], v) for k, v in self.categories.items() if k.endswith("*")]
        return sorted(keys, key=lambda kv: -len(kv[0]))

    def with_options(self, options: list[str] | tuple[str, ...]) -> Mapping:
        """Apply `--map key=column[,column]` options over the file's columns."""
        columns = dict(self.columns)
        for option in options:
            key, sep, value = option.partition("=")
            key = key.strip()
            if not sep or key not in COLUMN_KEYS:
                raise MappingError(f"--map attend clé=colonne, avec une clé parmi : {', '.join(COLUMN_KEYS)}.")
            columns[key] = tuple(v.strip() for v in value.split(",") if v.strip())
        if columns.get("point"):
            columns["lat"] = columns["lon"] = ()
        return replace(self, columns=columns)

    def check_themes(self, themes: set[str]) -> None:
        unknown = sorted({t for t in self.categories.values() if t not in themes})
        if self.default_theme not in themes:
            unknown.insert(0, self.default_theme)
        if unknown:
            raise MappingError(f"Thèmes inconnus dans la correspondance : {', '.join(unknown)}.")


def _as_columns(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MappingError("Une colonne se donne par son nom ou une liste de noms.")


def load_mapping(path: str | Path | None) -> Mapping:
    """Read a YAML or JSON mapping file (None gives the defaults)."""
    if path is None:
        return Mapping()
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as err:  # noqa: BLE001 (any parse error is the user's file)
        raise MappingError(f"Fichier de correspondance illisible : {err}") from None
    if not isinstance(data, dict):
        raise MappingError("Le fichier de correspondance doit être un objet (clés : columns, categories…).")
    columns = dict(DEFAULT_COLUMNS)
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        raise MappingError("`columns` doit associer une clé à une colonne.")
    for key, value in raw_columns.items():
        if key not in COLUMN_KEYS:
            raise MappingError(f"Clé de colonne inconnue : {key}.")
        columns[key] = _as_columns(value)
    if columns.get("point"):
        columns["lat"] = columns["lon"] = ()
    categories = data.get("categories") or {}
    if not isinstance(categories, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in categories.items()
    ):
        raise MappingError("`categories` doit associer une catégorie (texte) à un thème (slug).")
    return Mapping(
        columns=columns,
        categories={k.strip(): v.strip() for k, v in categories.items()},
        default_theme=str(data.get("default_theme") or FALLBACK_THEME),
        source_name=data.get("source"),
    )
