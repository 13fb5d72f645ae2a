"""/openapi.json: a valid OpenAPI 3.1 document of the whole API, linked from every page."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from blog.api.schemas import PostCreate

from .conftest import Api

SERVICE_DESC = "application/vnd.oai.openapi+json"


def fetch(client: FlaskClient) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == SERVICE_DESC
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    document = fetch(client)
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert document["servers"] == [{"url": "https://blog.example"}]


def test_every_api_route_is_described_and_nothing_else(app: Flask, client) -> None:
    described = {
        (method.upper(), path) for path, item in fetch(client)["paths"].items() for method in item
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == served
    assert ("POST", "/api/v1/posts") in served and ("GET", "/api/v1/me") in served


def test_the_request_bodies_are_the_validating_models(client: FlaskClient) -> None:
    document = fetch(client)
    create = document["paths"]["/api/v1/posts"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    described = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    model = PostCreate.model_json_schema()
    assert described["required"] == model["required"] == ["title", "content"]
    assert described["properties"] == model["properties"]
    assert described["additionalProperties"] is False


def test_operations_name_their_scope_and_every_error(client: FlaskClient) -> None:
    paths = fetch(client)["paths"]
    create = paths["/api/v1/posts"]["post"]
    assert create["security"] == [{"bearer": ["posts:write"]}]
    codes = {"200", "201", "400", "401", "403", "409", "413", "414", "415", "422", "429"}
    assert set(create["responses"]) == codes
    patch = paths["/api/v1/posts/{post_id}"]["patch"]
    assert {"404", "412"} <= set(patch["responses"])
    assert {p["name"] for p in patch["parameters"]} == {"post_id", "If-Match"}
    assert paths["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    problem = create["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/ProblemOut"}


@pytest.mark.parametrize("path", ["/", "/posts/linked", "/tags/", "/archive", "/no-such-page"])
def test_every_page_links_the_document(client: FlaskClient, make_post, path: str) -> None:
    make_post(slug="linked", tags=["t"])
    soup = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    link = soup.select_one('head link[rel="service-desc"]')
    assert link["type"] == SERVICE_DESC and link["href"] == "/openapi.json"


def test_the_documented_example_flow_works(api: Api) -> None:
    """What docs/api.md shows: create a draft, check it, publish it, list it."""
    draft = api.post("/posts", json={"title": "Doc flow", "content": "Draft."}).get_json()
    assert api.post("/preview", json={"title": "Doc flow", "content": "Draft."}).status_code == 200
    etag = api.get(f"/posts/{draft['id']}").headers["ETag"]
    published = api.patch(
        f"/posts/{draft['id']}", json={"status": "published"}, headers={"If-Match": etag}
    )
    assert published.status_code == 200 and published.get_json()["public"] is True
    assert [p["slug"] for p in api.get("/posts?status=published").get_json()["items"]] == [
        "doc-flow"
    ]
