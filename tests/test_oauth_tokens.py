"""OAuth token lifecycles: refresh rotation with reuse detection, revocation, introspection."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog.models import Author

from .conftest import BASE_URL
from .support.oauth import Flow


def me(client: FlaskClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.fixture
def flow(client: FlaskClient, author: Author) -> Flow:
    made = Flow(client)
    assert made.register().status_code == 201
    return made


@pytest.fixture
def confidential(client: FlaskClient, author: Author) -> Flow:
    made = Flow(client)
    assert made.register(token_endpoint_auth_method="client_secret_post").status_code == 201
    assert made.secret
    return made


def test_a_refresh_token_is_rotated_on_every_use(flow: Flow) -> None:
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert me(flow.client, second["access_token"]) == 200
    third = flow.refresh(second["refresh_token"])
    assert third.status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_grant(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json
    with caplog.at_level(logging.WARNING, "blog.oauth"):
        again = flow.refresh(first["refresh_token"])
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    assert "reused" in caplog.text
    for access in (first["access_token"], second["access_token"]):
        assert me(flow.client, access) == 401
    assert flow.refresh(second["refresh_token"]).status_code == 400


def test_a_refresh_token_of_another_client_is_refused(client: FlaskClient, flow: Flow) -> None:
    issued = flow.tokens()
    other = Flow(client)
    other.register()
    answer = other.refresh(issued["refresh_token"])
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant"
    assert flow.refresh(issued["refresh_token"]).status_code == 200  # not spent by the attempt


def test_a_confidential_client_must_send_its_secret(confidential: Flow) -> None:
    code = confidential.code()
    confidential.secret, secret = "wrong", confidential.secret
    assert confidential.exchange(code).json["error"] == "invalid_client"
    confidential.secret = secret
    assert confidential.exchange(code).status_code == 200


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoking_either_token_ends_the_grant(flow: Flow, which: str) -> None:
    issued = flow.tokens()
    form = {"token": issued[which], "client_id": flow.client_id}
    assert flow.client.post("/oauth/revoke", data=form).status_code == 200
    assert me(flow.client, issued["access_token"]) == 401
    assert flow.refresh(issued["refresh_token"]).status_code == 400


def test_revoking_an_unknown_token_answers_200_and_another_clients_is_refused(
    client: FlaskClient, flow: Flow
) -> None:
    issued = flow.tokens()
    unknown = {"token": "ab_" + "x" * 43, "client_id": flow.client_id}
    assert flow.client.post("/oauth/revoke", data=unknown).status_code == 200
    other = Flow(client)
    other.register()
    form = {"token": issued["access_token"], "client_id": other.client_id}
    assert client.post("/oauth/revoke", data=form).status_code == 400
    assert me(client, issued["access_token"]) == 200


def introspect(flow: Flow, token: str) -> dict[str, Any]:
    form = {"token": token, "client_id": flow.client_id, "client_secret": flow.secret}
    answer = flow.client.post("/oauth/introspect", data=form)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def test_introspection_says_who_what_and_for_which_resource(
    confidential: Flow, author: Author
) -> None:
    issued = confidential.tokens(resource=f"{BASE_URL}/mcp")
    found = introspect(confidential, issued["access_token"])
    assert found["active"] is True and found["sub"] == author.slug
    assert found["aud"] == f"{BASE_URL}/mcp" and found["iss"] == BASE_URL
    assert set(found["scope"].split()) == {"posts:read", "posts:write", "posts:publish"}
    assert found["client_id"] == confidential.client_id
    form = {"token": issued["access_token"], "client_id": confidential.client_id}
    confidential.client.post("/oauth/revoke", data={**form, "client_secret": confidential.secret})
    assert introspect(confidential, issued["access_token"]) == {"active": False}
    assert introspect(confidential, "ab_" + "y" * 43) == {"active": False}


def test_introspection_needs_client_authentication(confidential: Flow, app: Flask) -> None:
    issued = confidential.tokens()
    form = {"token": issued["access_token"], "client_id": confidential.client_id}
    answer = confidential.client.post("/oauth/introspect", data=form)
    assert answer.status_code in (400, 401) and answer.json["error"] == "invalid_client"
