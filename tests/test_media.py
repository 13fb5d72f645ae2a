"""POST /api/v1/media and /media/<name>: images judged by their bytes, stored once, cached long."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from blog.content import media

from .conftest import BASE_URL, ROOT, Api
from .support.factories import app_settings, make_app

PNG = (ROOT / "blog" / "static" / "social-card.png").read_bytes()
# The first bytes of each format are all the server looks at.
SAMPLES = {
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
    "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 20,
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
}
YEAR = 365 * 24 * 3600


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_an_image_is_stored_under_its_hash_and_served_for_a_year(api, client, app) -> None:
    answer = api.post("/media", json={"data": b64(PNG), "alt": "The blog's card"})
    assert answer.status_code == 201, answer.json
    name = hashlib.sha256(PNG).hexdigest() + ".png"
    url = f"{BASE_URL}/media/{name}"
    assert answer.json == {
        "url": url,
        "markdown": f"![The blog's card]({url})",
        "name": name,
        "content_type": "image/png",
        "size": len(PNG),
    }
    assert answer.headers["Location"] == url
    assert (Path(app.instance_path) / "media" / name).read_bytes() == PNG
    with client.get(f"/media/{name}") as served:  # a WSGI server closes the file; so do we
        assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.cache_control.public and served.cache_control.max_age == YEAR
    assert served.cache_control.immutable
    etag = served.headers["ETag"]
    with client.get(f"/media/{name}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_hosts_sharing_media_dir_serve_an_upload_under_one_etag(
    build_app, make_token, tmp_path: Path
) -> None:
    shared = tmp_path / "shared-media"  # the one mount every host has
    host_a = build_app(MEDIA_DIR=str(shared))
    host_b = make_app(tmp_path / "host-b", **app_settings(tmp_path, MEDIA_DIR=str(shared)))
    try:
        made = Api(host_a.test_client(), make_token()).post("/media", json={"data": b64(PNG)})
        assert made.status_code == 201
        name = made.json["name"]
        assert not (Path(host_a.instance_path) / "media").exists()  # nothing on A's own disk
        with host_b.test_client().get(f"/media/{name}") as served:
            assert served.status_code == 200 and served.data == PNG
            etag = served.headers["ETag"]
        # A copy of the folder (a restore, rsync without times) answers the same validator.
        copy = tmp_path / "copied-media"
        shutil.copytree(shared, copy)
        os.utime(copy / name, (0, 0))
        host_a.config["MEDIA_DIR"] = str(copy)
        with host_a.test_client().get(f"/media/{name}", headers={"If-None-Match": etag}) as again:
            assert again.status_code == 304 and again.headers["ETag"] == etag
    finally:
        with host_b.app_context():
            host_b.extensions["sqlalchemy"].engine.dispose()


def test_the_same_bytes_twice_are_one_file(api, app) -> None:
    first = api.post("/media", json={"data": b64(PNG)})
    second = api.post("/media", json={"data": b64(PNG), "alt": "other words"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json["url"] == second.json["url"]
    assert len(list((Path(app.instance_path) / "media").iterdir())) == 1


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_raster_format_gets_its_own_type(api, client, kind: str) -> None:
    answer = api.post("/media", json={"data": b64(SAMPLES[kind])})
    assert answer.status_code == 201
    assert answer.json["name"].endswith(f".{kind}")
    with client.get(f"/media/{answer.json['name']}") as served:
        assert served.headers["Content-Type"] == media.FORMATS[kind]


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<html><body>not an image</body></html>",
        b"\x89PNX not quite",
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
    ],
    ids=["svg", "html", "almost-png", "riff-audio"],
)
def test_anything_but_a_raster_image_is_refused(api, app, data: bytes) -> None:
    answer = api.post("/media", json={"data": b64(data)})
    assert answer.status_code == 422
    assert answer.json["code"] == "validation_failed"
    assert answer.json["errors"][0]["field"] == "data"
    assert not (Path(app.instance_path) / "media").exists()


def test_base64_may_wrap_lines_but_must_be_base64(api) -> None:
    wrapped = "\n".join(b64(PNG)[i : i + 76] for i in range(0, len(b64(PNG)), 76))
    assert api.post("/media", json={"data": wrapped}).status_code == 201
    broken = api.post("/media", json={"data": "not*base64!"})
    assert broken.status_code == 422 and "base64" in broken.json["detail"]
    assert api.post("/media", json={"data": "aGk"}).status_code == 422  # no padding


def test_the_size_cap_counts_the_image_not_the_body(api, app) -> None:
    app.config["MEDIA_MAX_BYTES"] = len(PNG)
    app.config["API_MAX_BODY_BYTES"] = 1000  # smaller than the upload: media has its own limit
    assert api.post("/media", json={"data": b64(PNG)}).status_code == 201
    too_big = api.post("/media", json={"data": b64(PNG + b"\0")})
    assert too_big.status_code == 413 and too_big.json["code"] == "image_too_large"
    huge = api.post("/media", json={"data": b64(PNG + b"\0" * 10_000)})
    assert huge.status_code == 413 and huge.json["code"] == "body_too_large"


def test_alt_text_cannot_break_out_of_the_markdown(api) -> None:
    answer = api.post("/media", json={"data": b64(PNG), "alt": "a [b]](x) \\ c\nd"})
    assert answer.json["markdown"] == f"![a \\[b\\]\\](x) \\\\ c d]({answer.json['url']})"


def test_uploading_needs_the_write_scope(api, make_token, app) -> None:
    body = {"data": b64(PNG)}
    read_only = api.post("/media", json=body, token=make_token(scopes=("posts:read",)))
    assert read_only.status_code == 403 and read_only.json["code"] == "insufficient_scope"
    anonymous = api.client.post("/api/v1/media", json=body)
    assert anonymous.status_code == 401
    assert not (Path(app.instance_path) / "media").exists()


@pytest.mark.parametrize(
    "name",
    ["notes.txt", "../secret", "..%2fsecret", "%2e%2e%2fsecret", "a" * 64 + ".svg", "A" * 64],
)
def test_only_stored_names_are_served(client, app, name: str) -> None:
    folder = Path(app.instance_path) / "media"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("not an upload")
    (folder.parent / "secret").write_text("s3cret")
    with client.get(f"/media/{name}") as answer:
        assert answer.status_code == 404


def test_an_unknown_name_of_the_right_shape_is_404(client) -> None:
    assert client.get(f"/media/{'0' * 64}.png").status_code == 404


def test_store_is_safe_to_call_again(tmp_path) -> None:
    first = media.store(PNG, tmp_path / "media")
    second = media.store(PNG, tmp_path / "media")
    assert (first.created, second.created) == (True, False)
    assert [p.name for p in (tmp_path / "media").iterdir()] == [first.name]
    with pytest.raises(media.NotAnImage):
        media.store(b"GIF8", tmp_path / "media")


# ---------------------------------------------------------------- posts as markdown, by slug


def test_a_post_reads_as_markdown_through_the_api(api, make_post) -> None:
    post = make_post(title="Source", slug="source", content="Some *markdown*.\n", tags=["t"])
    as_json = api.get(f"/posts/{post.id}")
    assert as_json.mimetype == "application/json" and as_json.json["slug"] == "source"
    as_md = api.get(f"/posts/{post.id}", headers={"Accept": "text/markdown"})
    assert as_md.mimetype == "text/markdown"
    text = as_md.get_data(as_text=True)
    assert text.startswith("---\ntitle: Source\n") and text.endswith("\n---\nSome *markdown*.\n")
    assert "Accept" in as_md.headers["Vary"]
    assert as_md.get_data() == api.client.get("/posts/source.md").get_data()


def test_posts_can_be_found_by_slug(api, make_post) -> None:
    make_post(slug="one")
    make_post(slug="two")
    found = api.get("/posts?slug=two").json["items"]
    assert [p["slug"] for p in found] == ["two"]
    assert api.get("/posts?slug=three").json["items"] == []
    assert api.get("/posts?slug=Not%20A%20Slug").status_code == 422
