"""OAuth token lifecycles: refresh rotation with reuse detection, revocation, introspection."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog.models import Author

from .conftest import BASE_URL
from .support.oauth import Flow, me


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


EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


def resource_server(runner: Any) -> tuple[str, str]:
    out = runner.invoke(args=["oauth", "resource-server", "mcp"]).output
    values = dict(line.split("=", 1) for line in out.split())
    return values["BLOG_MCP_CLIENT_ID"], values["BLOG_MCP_CLIENT_SECRET"]


def exchange(client: FlaskClient, rs: tuple[str, str], token: str) -> Any:
    form = {"grant_type": EXCHANGE, "subject_token": token, "subject_token_type": ACCESS}
    return client.post("/oauth/token", data=form, auth=rs)


def test_the_mcp_server_exchanges_an_mcp_token_for_an_api_token(
    flow: Flow, runner: Any, author: Author
) -> None:
    rs = resource_server(runner)
    issued = flow.tokens(resource=f"{BASE_URL}/mcp", scope="posts:read")
    assert me(flow.client, issued["access_token"]) == 401  # not for the API itself
    form = {"token": issued["access_token"]}
    found = flow.client.post("/oauth/introspect", data=form, auth=rs).json
    assert found["active"] and found["aud"] == f"{BASE_URL}/mcp" and found["sub"] == author.slug
    answer = exchange(flow.client, rs, issued["access_token"])
    assert answer.status_code == 200, answer.json
    api = answer.json
    assert api["scope"] == "posts:read" and api["expires_in"] <= issued["expires_in"]
    assert me(flow.client, api["access_token"]) == 200
    # Revoking the client's grant stops both tokens.
    flow.client.post(
        "/oauth/revoke", data={"token": issued["refresh_token"], "client_id": flow.client_id}
    )
    assert me(flow.client, api["access_token"]) == 401
    assert exchange(flow.client, rs, issued["access_token"]).json["error"] == "invalid_grant"
    found = flow.client.post("/oauth/introspect", data=form, auth=rs).json
    assert found == {"active": False}


def test_only_the_resource_servers_own_tokens_are_exchanged(flow: Flow, runner: Any) -> None:
    rs = resource_server(runner)
    api_token = flow.tokens()["access_token"]  # bound to the API, not to MCP
    assert exchange(flow.client, rs, api_token).json["error"] == "invalid_grant"
    found = flow.client.post("/oauth/introspect", data={"token": api_token}, auth=rs).json
    assert found == {"active": False}  # not its resource: it learns nothing
    mcp_token = flow.tokens(resource=f"{BASE_URL}/mcp")["access_token"]
    form = {"grant_type": EXCHANGE, "subject_token": mcp_token, "subject_token_type": ACCESS}
    answer = flow.client.post("/oauth/token", data={**form, "client_id": flow.client_id})
    assert answer.status_code in (400, 401)  # an ordinary client may not exchange


def test_the_operator_lists_and_revokes_grants_and_removes_clients(
    app: Flask, flow: Flow, runner: Any
) -> None:
    issued = flow.tokens()
    listed = runner.invoke(args=["oauth", "grants"]).output
    assert "active\tTest Agent\tquill\tapi\t" in listed and "ada@operator.example" in listed
    grant_id = listed.split("\t", 1)[0]
    assert runner.invoke(args=["oauth", "revoke", grant_id]).exit_code == 0
    assert "no active grant" in runner.invoke(args=["oauth", "revoke", grant_id]).output
    assert me(flow.client, issued["access_token"]) == 401
    assert "revoked" in runner.invoke(args=["oauth", "grants"]).output
    second = flow.tokens()
    clients = runner.invoke(args=["oauth", "clients"]).output
    assert flow.client_id in clients
    assert runner.invoke(args=["oauth", "remove-client", clients.split("\t", 1)[0]]).exit_code == 0
    assert me(flow.client, second["access_token"]) == 401
    assert runner.invoke(args=["oauth", "grants"]).output == ""
    assert runner.invoke(args=["oauth", "remove-client", "999"]).exit_code == 1
