"""Report photos on both backends: decoded by Pillow, stripped of metadata, all or nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from carte.extensions import db
from carte.models.participation import Photo
from tests.helpers import jpeg_with_gps

pytestmark = pytest.mark.backends


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret address 12 rue X")
    out = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 255, 0, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def post(client, rid, *files):
    return client.post(
        f"/api/v1/reports/{rid}/photos",
        data={"photos": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data",
    )


def stored_files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def photo_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Photo))


def test_gps_exif_is_stripped_and_a_thumbnail_is_made(app, client, reports, uploads):
    rid = reports.create()["id"]
    response = post(client, rid, ("vacances.jpg", jpeg_with_gps()))
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()["photos"][0]
    assert photo["content_type"] == "image/jpeg" and (photo["width"], photo["height"]) == (640, 480)
    files = stored_files(uploads)
    assert len(files) == 2 and all("vacances" not in name for name in files)
    for name in files:
        data = (uploads / name).read_bytes()
        image = Image.open(io.BytesIO(data))
        assert not image.getexif(), f"{name} still has EXIF"
        assert b"CarteTestCam" not in data and b"Exif" not in data
    served = client.get(photo["url"])
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(photo["thumbnail_url"])
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 400


def test_png_text_chunks_are_dropped(app, client, reports, uploads):
    rid = reports.create()["id"]
    response = post(client, rid, ("plan.png", png_with_text()))
    assert response.status_code == 201
    for name in stored_files(uploads):
        assert b"secret address" not in (uploads / name).read_bytes()
    assert client.get(response.get_json()["photos"][0]["url"]).headers["Content-Type"] == "image/png"


def test_a_fake_image_is_refused_and_nothing_is_kept(app, client, reports, uploads):
    rid = reports.create()["id"]
    response = post(client, rid, ("ok.jpg", jpeg_with_gps()), ("photo.jpg", b"<html><script>alert(1)</script></html>"))
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "invalid_image"
    assert stored_files(uploads) == [] and photo_count(app) == 0


def test_gif_is_not_accepted_even_if_it_decodes(app, client, reports, uploads):
    rid = reports.create()["id"]
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "GIF")
    response = post(client, rid, ("image.jpg", out.getvalue()))
    assert response.status_code == 415 and photo_count(app) == 0


@pytest.mark.config(CARTE_MAX_PHOTO_BYTES=50_000)
def test_an_oversized_photo_is_refused_with_a_clear_error(app, client, reports, uploads):
    rid = reports.create()["id"]
    big = jpeg_with_gps() + b"\0" * 60_000  # valid JPEG with trailing bytes: over the limit
    response = post(client, rid, ("grande.jpg", big))
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "photo_too_large" and "grande.jpg" in error["message"] and error["field"] == "photos"
    assert stored_files(uploads) == [] and photo_count(app) == 0


def test_at_most_three_photos(app, client, reports, uploads):
    rid = reports.create()["id"]
    assert post(client, rid, *[(f"p{i}.jpg", jpeg_with_gps((32, 32))) for i in range(2)]).status_code == 201
    too_many = post(client, rid, *[(f"q{i}.jpg", jpeg_with_gps((32, 32))) for i in range(2)])
    assert too_many.status_code == 422 and too_many.get_json()["error"]["code"] == "too_many_photos"
    assert photo_count(app) == 2 and len(stored_files(uploads)) == 4
    assert post(client, rid, ("r.jpg", jpeg_with_gps((32, 32)))).status_code == 201
    assert photo_count(app) == 3


def test_only_the_author_adds_photos(app, client, reports, uploads):
    rid = reports.create()["id"]
    stranger = app.test_client()
    response = post(stranger, rid, ("x.jpg", jpeg_with_gps()))
    assert response.status_code == 403 and photo_count(app) == 0


def test_photos_of_a_hidden_report_are_not_served(app, client, reports, uploads):
    rid = reports.create()["id"]
    url = post(client, rid, ("x.jpg", jpeg_with_gps())).get_json()["photos"][0]["url"]
    from carte.models import Report

    with app.app_context():
        db.session.scalars(select(Report).where(Report.public_id == rid)).unique().one().status = "hidden"
        db.session.commit()
    assert client.get(url).status_code == 404
