"""/micropub/media: images judged by their content, the size limit, 201 Location and q=last."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from .conftest import BASE_URL, ROOT
from .support.factories import count_posts
from .support.micropub import Micropub, assert_micropub_error

PNG = (ROOT / "blog" / "static" / "social-card.png").read_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 20
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
MULTIPART = "multipart/form-data"


@pytest.fixture
def mp(client: Any, make_token: Any) -> Micropub:
    return Micropub(client, make_token())


def upload(mp: Micropub, data: bytes, filename: str = "upload.bin", **more: Any) -> Any:
    form = {"file": (BytesIO(data), filename), **more}
    return mp.post("/micropub/media", data=form, content_type=MULTIPART)


def served(client: Any, url: str) -> bytes:
    with client.get(urlsplit(url).path) as answer:
        assert answer.status_code == 200
        return answer.data


def media_files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "media"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("data", [JPEG, PNG, GIF, WEBP], ids=["jpg", "png", "gif", "webp"])
def test_an_image_is_stored_and_its_url_given(mp: Micropub, client: Any, data: bytes) -> None:
    answer = upload(mp, data, "photo.bin")  # the name says nothing: the bytes do
    assert answer.status_code == 201
    url = answer.headers["Location"]
    assert url.startswith(f"{BASE_URL}/media/")
    assert served(client, url) == data


def test_q_last_gives_the_newest_upload(mp: Micropub) -> None:
    assert mp.get("/micropub/media", q="last").get_json() == {}
    first = upload(mp, PNG).headers["Location"]
    second = upload(mp, GIF).headers["Location"]
    assert mp.get("/micropub/media", q="last").get_json() == {"url": second}
    assert upload(mp, PNG).headers["Location"] == first  # the same bytes, stored again
    assert mp.get("/micropub/media", q="last").get_json() == {"url": first}


def test_the_token_may_come_in_the_form(client: Any, make_token: Any) -> None:
    answer = upload(Micropub(client, ""), PNG, access_token=make_token())
    assert answer.status_code == 201


def test_an_uploaded_url_can_be_a_posts_photo(mp: Micropub) -> None:
    photo = upload(mp, PNG).headers["Location"]
    url = mp.create(data={"h": "entry", "content": "With a photo", "photo": photo})
    assert mp.source(url)["properties"]["photo"] == [photo]


@pytest.mark.parametrize(
    "data, filename",
    [(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image.png"), (b"plain text", "a.jpg")],
    ids=["svg named png", "text named jpg"],
)
def test_what_is_not_an_image_is_refused_by_its_content(
    mp: Micropub, app: Flask, data: bytes, filename: str
) -> None:
    assert_micropub_error(upload(mp, data, filename), 400, "invalid_request")
    assert media_files(app) == []


def test_an_image_over_the_limit_is_refused(build_app: Any, settings: dict, make_token) -> None:
    app = build_app(**{**settings, "MEDIA_MAX_BYTES": 1000})
    small = Micropub(app.test_client(), make_token())
    body = assert_micropub_error(upload(small, PNG), 413, "invalid_request")
    assert body["code"] == "image_too_large"
    assert upload(small, GIF).status_code == 201


def test_the_default_limit_is_ten_mebibytes(app: Flask) -> None:
    assert app.config["MEDIA_MAX_BYTES"] == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "form",
    [{}, {"photo": (BytesIO(PNG), "a.png")}, {"file": [(BytesIO(PNG), "a"), (BytesIO(GIF), "b")]}],
    ids=["no file", "wrong part", "two files"],
)
def test_exactly_one_file_named_file(mp: Micropub, app: Flask, form: dict) -> None:
    answer = mp.post("/micropub/media", data=form, content_type=MULTIPART)
    assert_micropub_error(answer, 400, "invalid_request")
    assert media_files(app) == []


def test_uploads_need_a_token_with_the_media_scope(client: Any, make_token: Any) -> None:
    assert_micropub_error(upload(Micropub(client, ""), PNG), 401, "unauthorized")
    reader = Micropub(client, make_token(("posts:read",)))
    assert_micropub_error(upload(reader, PNG), 403, "insufficient_scope")
    assert_micropub_error(reader.get("/micropub/media", q="last"), 403, "insufficient_scope")


def test_a_refused_post_leaves_none_of_its_photos(mp: Micropub, app: Flask) -> None:
    form = {"h": "entry", "photo": (BytesIO(PNG), "a.png")}  # no content: refused
    answer = mp.post(data=form, content_type=MULTIPART)
    assert_micropub_error(answer, 400, "invalid_request")
    bad = {"h": "entry", "content": "x", "photo[]": [(BytesIO(PNG), "a"), (BytesIO(b"no"), "b")]}
    assert_micropub_error(mp.post(data=bad, content_type=MULTIPART), 400, "invalid_request")
    # Stored, then refused by the writer (a title over 300 characters): removed again.
    late = {"h": "entry", "content": "x", "name": "n" * 301, "photo": (BytesIO(GIF), "g")}
    refused = assert_micropub_error(
        mp.post(data=late, content_type=MULTIPART), 400, "invalid_request"
    )
    assert refused["code"] == "validation_failed"
    assert media_files(app) == [] and count_posts(app) == 0
