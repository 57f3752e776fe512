"""Seeded themes and demo content (marked `is_demo`, removable in one command)."""

from __future__ import annotations

import random

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from carte.geo.atlas import Atlas
from carte.models import Report, ReportSource, Theme
from carte.reports.service import build_report
from carte.storage.versions import bump

# Colours: Okabe-Ito and Tableau hues, distinguishable by most colour-blind readers.
THEMES = [
    ("mobilite", "Mobilité", "#0072b2"),
    ("espaces-publics-proprete", "Espaces publics et propreté", "#e69f00"),
    ("logement", "Logement", "#8c564b"),
    ("environnement-nature", "Environnement et nature", "#009e73"),
    ("emploi-insertion", "Emploi et insertion", "#cc79a7"),
    ("numerique-droits", "Numérique et accès aux droits", "#56b4e9"),
    ("vie-associative-culture", "Vie associative et culture", "#9467bd"),
    ("sante-services", "Santé et services", "#d55e00"),
    ("education-jeunesse", "Éducation et jeunesse", "#bcbd22"),
    ("securite-tranquillite", "Sécurité et tranquillité", "#444444"),
]
# The seeded themes' English labels (`Theme.label_en`).
LABELS_EN = {
    "mobilite": "Transport and mobility",
    "espaces-publics-proprete": "Public spaces and cleanliness",
    "logement": "Housing",
    "environnement-nature": "Environment and nature",
    "emploi-insertion": "Jobs and training",
    "numerique-droits": "Digital access and rights",
    "vie-associative-culture": "Community life and culture",
    "sante-services": "Health and services",
    "education-jeunesse": "Education and youth",
    "securite-tranquillite": "Safety and quiet",
}

DEMO_TITLES = {
    "mobilite": ["Piste cyclable interrompue", "Bus trop rares le soir", "Trottoir encombré"],
    "espaces-publics-proprete": ["Dépôts sauvages récurrents", "Bancs cassés dans le square"],
    "logement": ["Loyers hors de portée", "Immeuble insalubre"],
    "environnement-nature": ["Manque d'arbres et d'ombre", "Îlot de chaleur l'été"],
    "emploi-insertion": ["Pas de permanence emploi", "Formations trop éloignées"],
    "numerique-droits": ["Démarches en ligne impossibles", "Pas de wifi public"],
    "vie-associative-culture": ["Aucune salle pour les associations", "Bibliothèque fermée le samedi"],
    "sante-services": ["Désert médical", "Pharmacie de garde introuvable"],
    "education-jeunesse": ["Classes surchargées", "Pas d'activités pour les ados"],
    "securite-tranquillite": ["Éclairage public en panne", "Carrefour dangereux"],
}


def seed_themes(session: Session) -> int:
    """Create the seeded themes that do not exist yet; never overwrite edited ones.

    Seeded themes that exist without an English label (rows from before migration 0008) get
    theirs; one an admin has labelled keeps its own."""
    existing = {theme.slug: theme for theme in session.scalars(select(Theme))}
    added = 0
    for position, (slug, label, color) in enumerate(THEMES):
        if slug not in existing:
            session.add(
                Theme(slug=slug, label=label, label_en=LABELS_EN[slug], color=color, position=position, active=True)
            )
            added += 1
        elif not existing[slug].label_en:
            existing[slug].label_en = LABELS_EN[slug]
    session.commit()
    return added


def seed_demo(session: Session, atlas: Atlas, count: int = 120, seed: int = 7) -> int:
    """Add demo reports around commune centres unless demo content already exists."""
    if session.scalar(select(Report.id).where(Report.is_demo.is_(True)).limit(1)) is not None:
        return 0
    rng = random.Random(seed)
    codes = sorted(atlas.communes)
    added = 0
    while added < count:
        code = rng.choice(codes)
        lon, lat = atlas.representative_point(code)
        lon += rng.uniform(-0.01, 0.01)
        lat += rng.uniform(-0.006, 0.006)
        if atlas.place(lon, lat) is None:
            continue
        theme = rng.choice(THEMES)[0]
        payload = {
            "theme": theme,
            "title": rng.choice(DEMO_TITLES[theme]),
            "description": "Exemple de démonstration : ce signalement n'est pas réel.",
            "lat": lat,
            "lon": lon,
            "tags": ["démo"],
            "author_name": "Démo",
        }
        report = build_report(session, atlas, payload, contributor=f"demo-{rng.randrange(40)}")
        report.is_demo = True
        report.source = ReportSource.WEB.value
        session.add(report)
        added += 1
    session.commit()
    return added


def remove_demo(session: Session) -> int:
    result = session.execute(delete(Report).where(Report.is_demo.is_(True)))
    bump(session, deleted=True)
    session.commit()
    return result.rowcount or 0
