"""The OpenAPI 3 document of /api/v1, generated from the code, and its documentation page.

Paths and methods come from Flask's URL map, so no route can be missing from the
document; each view adds its summary, parameters and response schemas with the `doc`
decorator, and those schemas are the marshmallow classes below. schemathesis checks
every response against the document in the test suite, so document and code cannot
drift apart unnoticed.
"""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify, render_template
from marshmallow import Schema, fields, validate

from carte.domain import PROGRESS
from carte.models.participation import FLAG_REASONS, VOTE_KINDS

openapi = Blueprint("openapi", __name__)

PREFIX = "/api/v1"
FILTER = ("theme", "tag", "commune", "territoire", "departement", "since", "until", "bbox", "progress")
PAGING = ("limit", "cursor")


# --- schemas ------------------------------------------------------------------------------------


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Code stable, en anglais (ex. `unknown_theme`)."})
    message = fields.String(required=True, metadata={"description": "Message en français."})
    field = fields.String(required=True, allow_none=True, metadata={"description": "Champ en cause, ou null."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class ThemeSchema(Schema):
    slug = fields.String(required=True)
    label = fields.String(required=True)
    color = fields.String(required=True, metadata={"example": "#0072b2"})


class ThemesSchema(Schema):
    themes = fields.List(fields.Nested(ThemeSchema), required=True)


class PlaceRefSchema(Schema):
    code = fields.String(required=True)
    nom = fields.String(required=True)


class ReportPropertiesSchema(Schema):
    id = fields.String(required=True)
    theme = fields.String(required=True)
    theme_label = fields.String(required=True)
    color = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    author_name = fields.String(required=True, allow_none=True)
    commune = fields.Nested(PlaceRefSchema, required=True)
    territoire = fields.Nested(PlaceRefSchema, required=True)
    arrondissement = fields.Nested(PlaceRefSchema, required=True, allow_none=True)
    approximate = fields.Boolean(required=True)
    location_text = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["published", "pending", "hidden", "rejected"]))
    source = fields.String(required=True, validate=validate.OneOf(["web", "api", "import"]))
    created_at = fields.DateTime(required=True)
    support = fields.Integer(metadata={"description": "Soutiens (« moi aussi »)."})
    dissent = fields.Integer()
    comments = fields.Integer()
    progress = fields.String(
        validate=validate.OneOf(PROGRESS),
        metadata={
            "description": "Où en est le signalement : submitted (Nouveau), acknowledged (Pris en compte), in_progress "
            "(En cours), fixed (Résolu), declined (Non retenu), duplicate (Doublon)."
        },
    )


class ReportSchema(ReportPropertiesSchema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    withdraw_url = fields.String(
        metadata={
            "description": "Dans la réponse 201 seulement, une fois : le lien privé "
            "qui retire le signalement (à conserver)."
        }
    )


class BodySchema(Schema):
    code = fields.String(
        required=True, metadata={"description": "Code INSEE, SIREN d'un EPT, ou 200054781 (Métropole)."}
    )
    name = fields.String(required=True)


class ReportUpdateSchema(Schema):
    at = fields.DateTime(required=True)
    progress = fields.String(required=True, validate=validate.OneOf(PROGRESS))
    progress_label = fields.String(required=True, metadata={"description": "Dans la langue de la requête."})
    text = fields.String(required=True)
    body = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Nom de l'organisme qui a répondu (jamais celui de l'agent) ; "
            "null pour un habitant (« Toujours pas réglé »)."
        },
    )


class ViewerSchema(Schema):
    following = fields.Boolean(required=True, metadata={"description": "Ce navigateur suit le signalement."})
    author = fields.Boolean(required=True, metadata={"description": "Ce navigateur l'a déposé."})
    may_answer = fields.Boolean(
        required=True,
        metadata={
            "description": "Peut répondre « C'est réglé » / « Toujours pas réglé » (résolu, et auteur ou abonné)."
        },
    )


class ReportDetailSchema(ReportSchema):
    progress_label = fields.String(metadata={"description": "L'état dans la langue de la requête."})
    body = fields.Nested(BodySchema, allow_none=True, metadata={"description": "L'organisme responsable."})
    duplicate_of = fields.String(allow_none=True, metadata={"description": "Le signalement d'origine d'un doublon."})
    updates = fields.List(fields.Nested(ReportUpdateSchema), metadata={"description": "Du plus ancien au plus récent."})
    confirmations = fields.Integer(metadata={"description": "Habitants ayant confirmé « C'est réglé »."})
    viewer = fields.Nested(ViewerSchema)


class FollowSchema(Schema):
    id = fields.String(required=True)
    following = fields.Boolean(required=True)


class FollowInputSchema(Schema):
    """Nothing to say: the contributor cookie names who follows (a body, if any, is ignored)."""


class ResolutionInputSchema(Schema):
    answer = fields.String(required=True, validate=validate.OneOf(["confirmed", "not_fixed"]))


class ResolutionSchema(Schema):
    id = fields.String(required=True)
    answer = fields.String(required=True, validate=validate.OneOf(["confirmed", "not_fixed"]))
    progress = fields.String(required=True, validate=validate.OneOf(PROGRESS))
    progress_label = fields.String(required=True)
    confirmations = fields.Integer(required=True)
    already = fields.Boolean(metadata={"description": "Cette personne avait déjà confirmé (compté une fois)."})


class PointSchema(Schema):
    type = fields.String(required=True, validate=validate.Equal("Point"))
    coordinates = fields.List(fields.Float(), required=True, validate=validate.Length(equal=2))


class ReportFeatureSchema(Schema):
    type = fields.String(required=True, validate=validate.Equal("Feature"))
    id = fields.String(required=True)
    geometry = fields.Nested(PointSchema, required=True)
    properties = fields.Nested(ReportPropertiesSchema, required=True)


class ClusterPropertiesSchema(Schema):
    cluster = fields.Boolean(required=True, validate=validate.Equal(True))
    count = fields.Integer(required=True, metadata={"description": "Signalements de la cellule (1 ou plus)."})
    themes = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Nombre de signalements par slug de thème."},
    )
    bbox = fields.List(
        fields.Float(),
        required=True,
        validate=validate.Length(equal=4),
        metadata={"description": "Emprise des signalements du groupe : minLon,minLat,maxLon,maxLat."},
    )


class ClusterFeatureSchema(Schema):
    type = fields.String(required=True, validate=validate.Equal("Feature"))
    id = fields.String(required=True, metadata={"description": "c:<zoom>:<cellule>"})
    geometry = fields.Nested(
        PointSchema, required=True, metadata={"description": "Position moyenne des signalements du groupe."}
    )
    properties = fields.Nested(ClusterPropertiesSchema, required=True)


class ReportCollectionSchema(Schema):
    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(
        fields.Raw(
            metadata={
                "oneOf": [
                    {"$ref": "#/components/schemas/ReportFeature"},
                    {"$ref": "#/components/schemas/ClusterFeature"},
                ]
            }
        ),
        required=True,
        metadata={"description": "Signalements, ou groupes (`clustered`) dont les `count` font `total`."},
    )
    total = fields.Integer(required=True, metadata={"description": "Signalements du filtre dans la vue (bbox)."})
    clustered = fields.Boolean(
        required=True,
        metadata={
            "description": "Vrai quand la vue (avec `zoom`) dépasse le seuil CARTE_MAP_POINT_THRESHOLD : groupes."
        },
    )
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "À passer en `cursor` pour la page suivante ; null à la fin."},
    )


# The Métropole du Grand Paris lies within this box; points outside the MGP itself are refused (422).
MGP_BOX = {"lat": (48.72, 48.99), "lon": (2.14, 2.62)}


class ReportInputSchema(Schema):
    theme = fields.String(required=True, metadata={"description": "Slug d'un thème actif (GET /api/v1/themes)."})
    title = fields.String(required=True, validate=validate.Length(min=5, max=120))
    description = fields.String(validate=validate.Length(max=2000))
    tags = fields.List(fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=5))
    author_name = fields.String(validate=validate.Length(max=80))
    lat = fields.Float(
        validate=validate.Range(*MGP_BOX["lat"]), metadata={"description": "Avec lon : le point exact (dans la MGP)."}
    )
    lon = fields.Float(validate=validate.Range(*MGP_BOX["lon"]))
    commune = fields.String(metadata={"description": "Sans lat/lon : code INSEE, avec location_text (approximatif)."})
    location_text = fields.String(validate=validate.Length(max=200))


class GeoJSONSchema(Schema):
    type = fields.String(required=True)
    features = fields.List(fields.Dict(), required=True)


class VoteInputSchema(Schema):
    kind = fields.String(
        validate=validate.OneOf(VOTE_KINDS),
        metadata={"description": "`support` (par défaut) ; `dissent` si le thème ouvre le débat."},
    )


class VotesSchema(Schema):
    support = fields.Integer(required=True)
    dissent = fields.Integer(required=True)
    dissent_allowed = fields.Boolean(required=True)
    mine = fields.String(required=True, allow_none=True, validate=validate.OneOf(VOTE_KINDS))


class CommentInputSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=2, max=1000))
    author_name = fields.String(validate=validate.Length(max=80))


class CommentSchema(Schema):
    id = fields.String(required=True)
    body = fields.String(required=True, allow_none=True, metadata={"description": "null si masqué."})
    author_name = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["published", "pending", "hidden"]))
    hidden_label = fields.String(required=True, allow_none=True)
    moderation_note = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class CommentsSchema(Schema):
    comments = fields.List(fields.Nested(CommentSchema), required=True)


class FlagInputSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(FLAG_REASONS))
    details = fields.String(validate=validate.Length(max=500))


class FlagResultSchema(Schema):
    flagged = fields.Boolean(required=True)
    hidden = fields.Boolean(required=True, metadata={"description": "Masqué : le seuil de signalements est atteint."})


class PhotoSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    thumbnail_url = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    content_type = fields.String(required=True)


class PhotosSchema(Schema):
    photos = fields.List(fields.Nested(PhotoSchema), required=True)


class PhotoUploadSchema(Schema):
    photos = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        required=True,
        metadata={"description": "JPEG, PNG ou WebP ; métadonnées retirées à l'enregistrement."},
    )


class ParticipationSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["published", "hidden"]))
    hidden_label = fields.String(metadata={"description": "Seulement si masqué."})
    moderation_note = fields.String(allow_none=True)
    votes = fields.Nested(VotesSchema)
    comments = fields.List(fields.Nested(CommentSchema))
    photos = fields.List(fields.Nested(PhotoSchema))
    can_add_photos = fields.Boolean()
    max_photos = fields.Integer()


class TimelineSeriesSchema(Schema):
    theme = fields.String(required=True)
    counts = fields.List(fields.Integer(), required=True)
    total = fields.Integer(required=True)


class TimelineSchema(Schema):
    kind = fields.String(required=True, validate=validate.Equal("timeline"))
    bucket_days = fields.Integer(required=True)
    starts = fields.List(
        fields.Integer(), required=True, metadata={"description": "Débuts des intervalles (secondes Unix)."}
    )
    series = fields.List(fields.Nested(TimelineSeriesSchema), required=True)


# --- alerts by email (carte/web/alerts.py) -------------------------------------------------------


class AlertInputSchema(Schema):
    email = fields.String(
        required=True,
        metadata={"description": "Adresse qui recevra la confirmation puis les alertes ; jamais affichée."},
    )
    report = fields.String(
        metadata={"description": "Suivre ce signalement (ses mises à jour, dès qu'elles paraissent)."}
    )
    commune = fields.String(
        metadata={"description": "Suivre une commune (code INSEE) : résumé quotidien des nouveaux signalements."}
    )
    territoire = fields.String(metadata={"description": "Suivre un territoire (SIREN de l'EPT, 75056 pour Paris)."})
    bbox = fields.List(
        fields.Float(),
        validate=validate.Length(equal=4),
        metadata={"description": "Suivre une vue de la carte : [minLon, minLat, maxLon, maxLat]."},
    )
    themes = fields.List(
        fields.String(), metadata={"description": "Pour une zone : seulement ces thèmes (tous si absent)."}
    )


class AlertAcceptedSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["pending"]))
    message = fields.String(required=True)


class OneClickInputSchema(Schema):
    class Meta:
        include = {"List-Unsubscribe": fields.String(required=True, validate=validate.OneOf(["One-Click"]))}


class UnsubscribedSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["unsubscribed"]))


SCHEMAS = {
    "AlertInput": AlertInputSchema,
    "AlertAccepted": AlertAcceptedSchema,
    "OneClickInput": OneClickInputSchema,
    "Unsubscribed": UnsubscribedSchema,
    "Error": ErrorSchema,
    "Theme": ThemeSchema,
    "Themes": ThemesSchema,
    "Report": ReportSchema,
    "ReportFeature": ReportFeatureSchema,
    "ReportCollection": ReportCollectionSchema,
    "ClusterFeature": ClusterFeatureSchema,
    "ReportInput": ReportInputSchema,
    "GeoJSON": GeoJSONSchema,
    "VoteInput": VoteInputSchema,
    "Votes": VotesSchema,
    "CommentInput": CommentInputSchema,
    "Comment": CommentSchema,
    "Comments": CommentsSchema,
    "FlagInput": FlagInputSchema,
    "FlagResult": FlagResultSchema,
    "Photo": PhotoSchema,
    "Photos": PhotosSchema,
    "PhotoUpload": PhotoUploadSchema,
    "Participation": ParticipationSchema,
    "Timeline": TimelineSchema,
    "Body": BodySchema,
    "ReportUpdate": ReportUpdateSchema,
    "Viewer": ViewerSchema,
    "ReportDetail": ReportDetailSchema,
    "Follow": FollowSchema,
    "FollowInput": FollowInputSchema,
    "ResolutionInput": ResolutionInputSchema,
    "Resolution": ResolutionSchema,
}

PARAMETERS = {
    "theme": ("string", "Slugs de thèmes, séparés par des virgules ou répétés."),
    "tag": ("string", "Mots-clés, séparés par des virgules ou répétés."),
    "commune": ("string", "Codes INSEE de communes."),
    "territoire": ("string", "Codes de territoires (SIREN d'EPT, ou 75056 pour Paris)."),
    "departement": ("string", "Codes de départements (75, 92, 93, 94)."),
    "since": ("date", "Depuis ce jour inclus (AAAA-MM-JJ ; une date-heure ISO est aussi acceptée)."),
    "until": ("date", "Jusqu'à ce jour inclus (AAAA-MM-JJ)."),
    "bbox": ("string", "minLon,minLat,maxLon,maxLat (WGS84)."),
    "progress": (
        "string",
        "États (submitted, acknowledged, in_progress, fixed, declined, duplicate), séparés par "
        "des virgules ou répétés ; un état inconnu : 422 unknown_progress.",
    ),
    "limit": ("integer", "Taille de page, de 1 à 5000 (500 par défaut)."),
    "cursor": ("integer", "Curseur renvoyé par la page précédente."),
    "zoom": (
        "integer",
        "Niveau de zoom de la carte (0 à 22) : toute la vue, en groupes au-delà du seuil, "
        "sans pages (limit et cursor ignorés).",
    ),
}


def _parameter(name: str) -> dict:
    kind, description = PARAMETERS[name]
    schema: dict = {"type": "string", "format": "date"} if kind == "date" else {"type": kind}
    if name == "limit":
        schema.update(minimum=1, maximum=5000)
    if name == "cursor":
        schema.update(minimum=0)
    if name == "zoom":
        schema.update(minimum=0, maximum=22)
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# --- the decorator ------------------------------------------------------------------------------

ERROR_TEXT = {
    400: "Requête invalide (JSON invalide, caractère nul dans l'adresse ou un paramètre)",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Introuvable",
    409: "Conflit avec l'état actuel",
    413: "Corps trop volumineux",
    415: "Type de corps non pris en charge",
    422: "Paramètre ou champ invalide",
    429: "Trop de requêtes",
}
# Any request may be refused at the boundary (carte.web.boundary) before its view runs.
ALWAYS = (400,)


def doc(
    summary: str,
    *,
    tag: str,
    params: tuple[str, ...] = (),
    query: tuple[dict, ...] = (),
    body: type[Schema] | None = None,
    body_type: str = "application/json",
    responses: dict | None = None,
    errors: tuple[int, ...] = (422,),
    media_type: str = "application/json",
    description: str | None = None,
):
    """Describe a view for the OpenAPI document (the route itself is read from the URL map).

    `params` names shared query parameters (see PARAMETERS), `query` adds others,
    `responses` maps a status to a marshmallow schema (or a raw JSON schema dict). Every
    operation with a body must name its schema (`body`, sent as `body_type`): the tests check it.
    """

    def attach(view):
        view.__apidoc__ = {
            "summary": summary,
            "tag": tag,
            "params": params,
            "query": query,
            "body": body,
            "body_type": body_type,
            "responses": responses or {200: None},
            "errors": errors,
            "media_type": media_type,
            "description": description,
        }
        return view

    return attach


# --- aggregates: places with the same needs (stats) ---------------------------------------------


class PlaceWithTerritorySchema(Schema):
    code = fields.String(required=True)
    nom = fields.String(required=True)
    territoire = fields.Nested(
        PlaceRefSchema,
        required=True,
        metadata={"description": "Territoire de la commune (au niveau territoire : lui-même)."},
    )


class SharedThemeSchema(Schema):
    theme = fields.String(required=True)
    label = fields.String(required=True)
    excess_risk = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "Risque relatif du lieu demandé (observé / attendu d'après sa population) ; null si masqué."
        },
    )
    other_excess_risk = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Le même rapport pour le lieu de la ligne ; null si masqué."},
    )
    both_significant = fields.Boolean(required=True)
    suppressed = fields.Boolean(required=True)
    room_ratio = fields.Float(
        metadata={"description": "Avec workshop= : part du thème dans l'atelier / part métropolitaine."}
    )


class SimilarPlaceSchema(PlaceWithTerritorySchema):
    similarity = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Cosinus des profils (log du risque relatif lissé), de -1 à 1."},
    )
    shared_themes = fields.List(fields.Nested(SharedThemeSchema), required=True)
    other_territory = fields.Boolean(
        required=True, metadata={"description": "Autre territoire (communes) ou autre département (territoires)."}
    )


class SimilarPlacesSchema(Schema):
    code = fields.String(required=True, allow_none=True)
    nom = fields.String(required=True, allow_none=True)
    level = fields.String(required=True, validate=validate.OneOf(["commune", "territoire"]))
    method = fields.String(required=True, validate=validate.Equal("cosine_eb_excess_risk"))
    places = fields.List(fields.Nested(SimilarPlaceSchema), required=True)


class PasserelleSharedThemeSchema(Schema):
    theme = fields.String(required=True)
    label = fields.String(required=True)


class PasserelleSchema(Schema):
    a = fields.Nested(PlaceWithTerritorySchema, required=True)
    b = fields.Nested(PlaceWithTerritorySchema, required=True)
    similarity = fields.Float(required=True, allow_none=True)
    shared_themes = fields.List(fields.Nested(PasserelleSharedThemeSchema), required=True)
    sentence = fields.String(
        required=True, metadata={"description": "Phrase à lire en atelier (langue de la requête)."}
    )
    line = fields.List(
        fields.List(fields.Float()),
        required=True,
        allow_none=True,
        metadata={"description": "[[lon, lat], [lon, lat]] entre les deux lieux."},
    )


class PasserellesSchema(Schema):
    level = fields.String(required=True, validate=validate.OneOf(["commune", "territoire"]))
    pairs = fields.List(
        fields.Nested(PasserelleSchema),
        required=True,
        metadata={"description": "Au plus 50 paires, de la plus semblable à la moins semblable."},
    )


# --- similar reports before filing (issue 13) --------------------------------------------------


class SimilarReportSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    distance_m = fields.Float(
        required=True, metadata={"description": "Distance au point demandé, en mètres (haversine)."}
    )
    support_count = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    progress = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(["submitted", "acknowledged", "in_progress", "fixed", "declined"]),
    )
    similarity = fields.Float(
        required=True,
        metadata={
            "description": "Cosinus TF-IDF (n-grammes de caractères) du titre tapé avec le titre, ou le titre et la "
            "description, du signalement : la similarité des groupes de signalements."
        },
    )
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    url = fields.String(required=True, metadata={"description": "La page du signalement (/signalements/<id>)."})


class SimilarReportsSchema(Schema):
    radius_m = fields.Float(required=True)
    min_similarity = fields.Float(required=True)
    reports = fields.List(
        fields.Nested(SimilarReportSchema),
        required=True,
        metadata={"description": "Au plus 5, du plus semblable au moins semblable, puis du plus proche."},
    )


SCHEMAS.update({"SimilarReport": SimilarReportSchema, "SimilarReports": SimilarReportsSchema})

SIMILAR_QUERY = (
    {"name": "lat", "in": "query", "required": True, "schema": {"type": "number", "minimum": -90, "maximum": 90}},
    {"name": "lon", "in": "query", "required": True, "schema": {"type": "number", "minimum": -180, "maximum": 180}},
    {"name": "theme", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 40}},
    {
        "name": "title",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "minLength": 5, "maxLength": 120},
        "description": "Le titre en cours de saisie.",
    },
)


# --- building the document ----------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(match):
        converter, name = match.group(1) or "string", match.group(2)
        kind = {"int": "integer", "float": "number"}.get(converter, "string")
        params.append({"name": name, "in": "path", "required": True, "schema": {"type": kind}})
        return "{" + name + "}"

    return _CONVERTER.sub(repl, rule), params


def _content(schema, media_type: str) -> dict:
    return {media_type: {"schema": schema if schema is not None else {}}}


FACILITATOR = (
    {
        "name": "exact",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["1", "true", "oui"]},
        "description": "Chiffres exacts, sans arrondi de confidentialité (animateurs connectés).",
    },
    {
        "name": "status",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Statuts inclus : published, pending, hidden (animateurs connectés).",
    },
)
AGGREGATE = {"type": "object"}
COUNT_PARAM = {
    "name": "count",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["reports", "contributors"]},
    "description": "Unité comptée : signalements (défaut) ou contributeurs distincts.",
}
SIMILAR_LEVEL_PARAM = {
    "name": "level",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["commune", "territoire"]},
}
AGGREGATE_ERRORS = (401, 403, 422)
RESIDENT_POST_ERRORS = (403, 404, 409, 415, 422, 429)  # 403: a request from another site
# serve: POSTs that create something accept an Idempotency-Key (carte.web.idempotency).
IDEMPOTENCY_KEY = (
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
        "description": "Clé choisie par le client (1 à 255 caractères ASCII visibles, un UUID par exemple). "
        "Une requête renvoyée avec la même clé par le même contributeur dans les 24 h reçoit la "
        "première réponse (même statut, corps et Location, en-tête Idempotent-Replayed: true) "
        "sans rien enregistrer de plus. La même clé avec un autre corps : 422 idempotency_key_reused ; "
        "pendant que la première requête s'exécute : 409 idempotency_in_progress ; clé mal formée : "
        "422 invalid_idempotency_key.",
    },
)

# Descriptions of the core routes, by endpoint (views of other areas may use @doc instead).
ROUTE_DOCS = {
    ("api.themes", "GET"): doc("Thèmes actifs", tag="signalements", responses={200: ThemesSchema}, errors=()),
    ("api.communes", "GET"): doc(
        "Les 130 communes de la MGP (GeoJSON simplifié)",
        tag="territoires",
        responses={200: GeoJSONSchema},
        errors=(),
        media_type="application/geo+json",
    ),
    ("api.list_reports", "GET"): doc(
        "Signalements publiés (GeoJSON, du plus récent au plus ancien, par pages)",
        tag="signalements",
        params=FILTER + PAGING + ("zoom",),
        responses={200: ReportCollectionSchema},
        media_type="application/geo+json",
    ),
    ("api.show_report", "GET"): doc(
        "Un signalement publié, avec son état, son organisme responsable et ses mises à jour",
        tag="signalements",
        responses={200: ReportDetailSchema},
        errors=(404,),
        description="Un signalement masqué par la modération répond aussi 200, mais seulement avec `id`, "
        '`status: "hidden"`, `hidden_label` et `moderation_note` (le motif public), sans son texte.',
    ),
    ("api.similar", "GET"): doc(
        "Signalements semblables près d'un point, avant d'en déposer un",
        tag="signalements",
        query=SIMILAR_QUERY,
        responses={200: SimilarReportsSchema},
        errors=(422,),
        description="Signalements publiés du même thème à 150 m au plus, dont le texte ressemble au titre tapé "
        "(même similarité que les groupes de signalements), au plus 5. Les doublons déclarés sont "
        "exclus. Erreurs 422 : lat ou lon manquante ou invalide, point hors de la Métropole "
        "(`outside_area`), thème inconnu, titre trop court ou trop long.",
    ),
    ("followup.follow_report", "POST"): doc(
        "Suivre un signalement (par le cookie de contribution, sans compte)",
        tag="suivi",
        body=FollowInputSchema,
        responses={201: FollowSchema, 200: FollowSchema},
        errors=(403, 404, 429),
        description="201 la première fois, 200 ensuite. Qui suit un signalement peut, une fois résolu, répondre "
        "« C'est réglé » ou « Toujours pas réglé ».",
    ),
    ("followup.unfollow_report", "DELETE"): doc(
        "Ne plus suivre un signalement", tag="suivi", responses={200: FollowSchema}, errors=(403, 404, 429)
    ),
    ("followup.answer_resolution", "POST"): doc(
        "« C'est réglé » ou « Toujours pas réglé » (auteur et abonnés d'un signalement résolu)",
        tag="suivi",
        body=ResolutionInputSchema,
        responses={200: ResolutionSchema},
        errors=RESIDENT_POST_ERRORS,
        description="`not_fixed` rouvre le signalement (in_progress) avec une mise à jour publique ; `confirmed` "
        "est compté une fois par personne. Ni auteur ni abonné : 403 not_author_or_follower ; "
        "pas résolu : 409 not_fixed.",
    ),
    ("api.post_report", "POST"): doc(
        "Déposer un signalement (point exact, ou commune et lieu en texte)",
        tag="signalements",
        body=ReportInputSchema,
        query=IDEMPOTENCY_KEY,
        responses={201: ReportSchema},
        errors=(400, 403, 409, 415, 422, 429),
    ),
    ("aggregates.territories", "GET"): doc(
        "Statistiques par commune, territoire, département ou métropole",
        tag="agrégats",
        params=FILTER,
        query=(
            {
                "name": "level",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["commune", "territoire", "departement", "metropole"]},
            },
            COUNT_PARAM,
        )
        + FACILITATOR,
        responses={200: AGGREGATE},
        errors=AGGREGATE_ERRORS,
        description="Taux bruts et lissés (bayésien empirique), sur-représentation dans le mélange des thèmes "
        "(lq, q_value) et par rapport à la population (excess_risk, excess_q), classes de légende (breaks).",
    ),
    ("aggregates.similar_places", "GET"): doc(
        "Lieux aux besoins semblables à ceux d'une commune, d'un territoire ou d'un atelier",
        tag="agrégats",
        params=FILTER,
        query=(
            {
                "name": "code",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "maxLength": 20},
                "description": "Code INSEE de la commune ou SIREN du territoire (obligatoire sans workshop=).",
            },
            SIMILAR_LEVEL_PARAM,
            COUNT_PARAM,
            {
                "name": "workshop",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "maxLength": 40},
                "description": "Code d'atelier : lieux qui partagent les besoins exprimés dans la salle.",
            },
        )
        + FACILITATOR,
        responses={200: SimilarPlacesSchema},
        errors=(401, 403, 404, 422),
    ),
    ("aggregates.passerelles", "GET"): doc(
        "Passerelles : paires de lieux de territoires différents partageant un besoin significatif",
        tag="agrégats",
        params=FILTER,
        query=(SIMILAR_LEVEL_PARAM, COUNT_PARAM) + FACILITATOR,
        responses={200: PasserellesSchema},
        errors=AGGREGATE_ERRORS,
    ),
    ("aggregates.shared_needs", "GET"): doc(
        "Besoins partagés entre communes et territoires",
        tag="agrégats",
        params=FILTER,
        query=FACILITATOR,
        responses={200: AGGREGATE},
        errors=AGGREGATE_ERRORS,
    ),
    ("aggregates.hotspots", "GET"): doc(
        "Zones de concentration (hexagones H3, GeoJSON)",
        tag="agrégats",
        params=FILTER,
        query=(
            {
                "name": "resolution",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["7", "8", "9"]},
            },
        )
        + FACILITATOR,
        responses={200: AGGREGATE},
        errors=AGGREGATE_ERRORS,
        media_type="application/geo+json",
    ),
    ("aggregates.issue_groups", "GET"): doc(
        "Groupes de signalements proches et semblables",
        tag="agrégats",
        params=FILTER,
        query=FACILITATOR,
        responses={200: AGGREGATE},
        errors=AGGREGATE_ERRORS,
    ),
    ("aggregates.heatmap", "GET"): doc(
        "Carte de chaleur",
        tag="agrégats",
        params=FILTER,
        query=(
            {
                "name": "zoom",
                "in": "query",
                "required": False,
                "schema": {"type": "number", "minimum": 0, "maximum": 22},
            },
        )
        + FACILITATOR,
        responses={200: AGGREGATE},
        errors=AGGREGATE_ERRORS,
    ),
    ("participation.report_participation", "GET"): doc(
        "Votes, commentaires et photos d'un signalement, en un appel",
        tag="participation",
        responses={200: ParticipationSchema},
        errors=(404,),
    ),
    ("participation.vote", "POST"): doc(
        "Soutenir (« moi aussi ») ou, si le thème le permet, être en désaccord",
        tag="participation",
        body=VoteInputSchema,
        responses={201: VotesSchema},
        errors=RESIDENT_POST_ERRORS,
    ),
    ("participation.withdraw", "DELETE"): doc(
        "Retirer son vote", tag="participation", responses={200: VotesSchema}, errors=(403, 404, 409, 429)
    ),
    ("participation.list_comments", "GET"): doc(
        "Commentaires publiés d'un signalement", tag="participation", responses={200: CommentsSchema}, errors=(404,)
    ),
    ("participation.post_comment", "POST"): doc(
        "Commenter un signalement (2 à 1 000 caractères)",
        tag="participation",
        body=CommentInputSchema,
        query=IDEMPOTENCY_KEY,
        responses={201: CommentSchema},
        errors=RESIDENT_POST_ERRORS,
    ),
    ("participation.flag_report", "POST"): doc(
        "Signaler un signalement à la modération",
        tag="participation",
        body=FlagInputSchema,
        responses={201: FlagResultSchema},
        errors=RESIDENT_POST_ERRORS,
    ),
    ("participation.flag_comment", "POST"): doc(
        "Signaler un commentaire à la modération",
        tag="participation",
        body=FlagInputSchema,
        responses={201: FlagResultSchema},
        errors=RESIDENT_POST_ERRORS,
    ),
    ("participation.post_photos", "POST"): doc(
        "Ajouter des photos à son propre signalement",
        tag="participation",
        body=PhotoUploadSchema,
        body_type="multipart/form-data",
        responses={201: PhotosSchema},
        errors=RESIDENT_POST_ERRORS + (413,),
    ),
    ("workshop.submit", "POST"): doc(
        "Déposer un signalement dans un atelier ouvert",
        tag="ateliers",
        body=ReportInputSchema,
        query=IDEMPOTENCY_KEY,
        responses={201: ReportSchema},
        errors=RESIDENT_POST_ERRORS,
    ),
    ("workshop.state", "GET"): doc(
        "État de l'atelier pour la projection (animateurs)",
        tag="ateliers",
        responses={200: AGGREGATE},
        errors=(401, 403, 404),
    ),
    ("workshop.comparison", "GET"): doc(
        "Les thèmes de l'atelier face au classement métropolitain (animateurs)",
        tag="ateliers",
        responses={200: AGGREGATE},
        errors=(401, 403, 404),
    ),
    ("alerts.subscribe", "POST"): doc(
        "Suivre par e-mail un signalement ou une zone (double confirmation)",
        tag="alertes",
        body=AlertInputSchema,
        responses={202: AlertAcceptedSchema},
        errors=(400, 403, 404, 415, 422, 429),
        description="Exactement un de `report`, `commune`, `territoire` ou `bbox`. La réponse est la même que "
        "l'adresse soit nouvelle, en attente ou déjà abonnée : seul le lien du message de "
        "confirmation active l'abonnement.",
    ),
    ("alerts.one_click_unsubscribe", "POST"): doc(
        "Désabonnement en un clic (RFC 8058, en-tête List-Unsubscribe des messages)",
        tag="alertes",
        body=OneClickInputSchema,
        body_type="application/x-www-form-urlencoded",
        responses={200: UnsubscribedSchema},
        errors=(404, 429),
    ),
    ("dashboard.chronology", "GET"): doc(
        "Signalements dans le temps, par thème (animateurs)",
        tag="agrégats",
        params=FILTER,
        query=FACILITATOR,
        responses={200: TimelineSchema},
        errors=AGGREGATE_ERRORS,
    ),
}


def _operation(view, method: str, path_params: list[dict], endpoint: str = "") -> dict:
    described = ROUTE_DOCS.get((endpoint, method))
    meta = described(lambda: None).__apidoc__ if described else getattr(view, "__apidoc__", None)
    docstring = (view.__doc__ or "").strip().split("\n")[0]
    if meta is None:
        # Not described yet: listed with its path parameters and any JSON answer.
        return {
            "summary": docstring or view.__name__,
            "tags": ["autres"],
            "parameters": path_params,
            "responses": {
                "default": {
                    "description": "Réponse JSON (schéma non détaillé).",
                    "content": _content(None, "application/json"),
                }
            },
        }
    op: dict = {"summary": meta["summary"], "tags": [meta["tag"]]}
    if meta["description"] or docstring:
        op["description"] = meta["description"] or docstring
    op["parameters"] = path_params + [_parameter(p) for p in meta["params"]] + list(meta["query"])
    if meta["body"] is not None:
        op["requestBody"] = {"required": True, "content": _content(meta["body"], meta["body_type"])}
    responses = {}
    for status, schema in meta["responses"].items():
        responses[str(status)] = {"description": "Succès", "content": _content(schema, meta["media_type"])}
    for status in sorted(set(ALWAYS + tuple(meta["errors"]))):
        responses[str(status)] = {
            "description": ERROR_TEXT.get(status, "Erreur"),
            "content": _content(ErrorSchema, "application/json"),
        }
    op["responses"] = responses
    return op


def build_spec(app: Flask, themes: tuple[str, ...] = ()) -> dict:
    """The document; `themes` (the active slugs) become the enum of a report's theme."""
    spec = APISpec(
        title="Carte — API publique",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Signalements et besoins des habitants de la Métropole du Grand Paris. Erreurs : "
                '`{"error": {"code", "message", "field"}}`. Données sous licence ODbL ; '
                "voir aussi l'API Open311 GeoReport v2 sous /open311/v2."
            ),
            "license": {"name": "ODbL-1.0", "url": "https://opendatacommons.org/licenses/odbl/1-0/"},
        },
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    paths: dict[str, dict] = {}
    for rule in rules:
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint.startswith(("openapi.", "static")):
            continue
        path, path_params = _path(rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(view, method, path_params, rule.endpoint)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    if themes:
        document["components"]["schemas"]["ReportInput"]["properties"]["theme"]["enum"] = list(themes)
    return document


def get_spec(app: Flask) -> dict:
    """The document for the current themes, built once per set of active themes."""
    from carte.extensions import db
    from carte.storage.reports import active_themes

    themes = tuple(t.slug for t in active_themes(db.session))
    cache = app.extensions.setdefault("carte_openapi", {})
    if themes not in cache:
        cache.clear()
        cache[themes] = build_spec(app, themes)
    return cache[themes]


@openapi.get("/openapi.json")
def openapi_json():
    return jsonify(get_spec(current_app))


@openapi.get("/docs")
def docs():
    return render_template("api/docs.html")
