"""Report photos: decoded and re-encoded by Pillow, so that no metadata survives.

The bytes a resident sends are never served as they are. They are decoded (the
extension and the declared type are ignored), oriented, copied pixel by pixel into
a fresh image (EXIF, GPS, XMP, ICC comments and text chunks stay behind), and
written under a random name with a thumbnail. If anything fails, nothing is kept:
files written so far are removed and the transaction rolls back.
"""

from __future__ import annotations

import io
import secrets
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carte.errors import CarteError
from carte.models import Report
from carte.models.participation import Photo
from carte.participation.common import require_public

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PIXELS = 40_000_000  # about 7,700 × 5,200: far above any phone photo, far below a decompression bomb
MAX_SIDE = 2560  # stored photos are resized down to this
THUMB_SIDE = 400


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_image(raw: bytes, *, field: str = "photos") -> CleanImage:
    """Decode, strip and re-encode one image; CarteError if it is not a JPEG, PNG or WebP."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = probe.format
                if fmt not in FORMATS:
                    raise CarteError(
                        "invalid_image", "Format refusé : envoyez une photo JPEG, PNG ou WebP.", field, status=415
                    )
                if probe.width * probe.height > MAX_PIXELS:
                    raise CarteError("image_too_large", "Image trop grande (plus de 40 mégapixels).", field, status=413)
                probe.load()
                image = ImageOps.exif_transpose(probe)
    except CarteError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise CarteError(
            "invalid_image", "Ce fichier n'est pas une image lisible (JPEG, PNG ou WebP).", field, status=415
        ) from None

    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    if fmt == "JPEG":
        mode = "RGB"
    pixels = image.convert(mode)
    fresh = Image.new(mode, pixels.size)  # a new image carries no info, exif or icc from the upload
    fresh.paste(pixels)
    fresh.thumbnail((MAX_SIDE, MAX_SIDE))
    content_type, extension = FORMATS[fmt]
    data = _encode(fresh, fmt)
    thumb = fresh.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return CleanImage(data, _encode(thumb, fmt), content_type, extension, fresh.width, fresh.height)


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    options = {"JPEG": {"quality": 85, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}[fmt]
    image.save(out, fmt, **options)  # no exif=, no icc_profile=, no pnginfo=: nothing but pixels
    return out.getvalue()


def count_photos(session: Session, report: Report) -> int:
    return session.scalar(select(func.count()).select_from(Photo).where(Photo.report_id == report.id)) or 0


def add_photos(
    session: Session,
    report: Report | None,
    uploads: list[tuple[str, bytes]],
    *,
    folder: Path,
    contributor: str,
    max_photos: int,
    max_bytes: int,
) -> list[Photo]:
    """Store up to `max_photos` photos on a report, all or nothing.

    `uploads` holds (original file name, bytes); the name is only used in error messages.
    """
    report = require_public(report)
    if report.contributor != contributor:
        raise CarteError(
            "not_author",
            "Seule la personne qui a publié le signalement peut y ajouter des photos.",
            "photos",
            status=403,
        )
    if not uploads:
        raise CarteError("required", "Choisissez au moins une photo.", "photos")
    if count_photos(session, report) + len(uploads) > max_photos:
        raise CarteError(
            "too_many_photos", "Un signalement porte au plus %(n)s photos.", "photos", params={"n": max_photos}
        )
    for name, raw in uploads:
        if len(raw) > max_bytes:
            raise CarteError(
                "photo_too_large",
                "« %(name)s » dépasse %(mb)s Mo.",
                "photos",
                status=413,
                params={"name": name, "mb": max_bytes // (1024 * 1024)},
            )
    cleaned = [clean_image(raw) for _name, raw in uploads]  # every file is checked before any is written

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    photos: list[Photo] = []
    try:
        for image in cleaned:
            token = secrets.token_urlsafe(18)
            full = folder / f"{token}.{image.extension}"
            thumb = folder / f"{token}.thumb.{image.extension}"
            for path, data in ((full, image.data), (thumb, image.thumbnail)):
                path.write_bytes(data)
                written.append(path)
            photo = Photo(
                public_id=token,
                report_id=report.id,
                filename=full.name,
                thumbnail=thumb.name,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size=len(image.data),
                contributor=contributor,
            )
            session.add(photo)
            photos.append(photo)
        session.commit()
    except BaseException:
        session.rollback()
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return photos


def photo_files(photos: Iterable[Photo]) -> list[str]:
    """The stored file names of photos (full size and thumbnail), to remove once their rows are gone."""
    return [name for photo in photos for name in (photo.filename, photo.thumbnail)]


def remove_photo_files(folder: Path, names: Iterable[str]) -> None:
    """Delete stored photo files (called after the commit that deleted their rows)."""
    for name in names:
        if name and "/" not in name and name not in (".", ".."):
            (folder / name).unlink(missing_ok=True)


def report_photos(session: Session, report: Report) -> list[Photo]:
    return list(session.scalars(select(Photo).where(Photo.report_id == report.id).order_by(Photo.id)))


def get_photo(session: Session, public_id: str) -> Photo | None:
    return session.scalars(select(Photo).where(Photo.public_id == public_id)).one_or_none()
