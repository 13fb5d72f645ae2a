"""The authorization server: metadata, DCR, the code flow with PKCE, resources, bad input."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from blog.extensions import db
from blog.models import Author, OAuthCode, OAuthGrant, Token, utcnow

from .conftest import BASE_URL
from .support.oauth import Flow, me, query
from .support.seat import sign_in_operator


def count_tokens(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Token.id)))


def test_metadata_names_the_issuer_and_offers_only_code_with_s256(client: FlaskClient) -> None:
    answer = client.get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 200
    meta = answer.json
    assert meta["issuer"] == BASE_URL
    assert meta["token_endpoint"] == f"{BASE_URL}/oauth/token"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert "password" not in meta["grant_types_supported"]
    assert "implicit" not in meta["grant_types_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True


def test_an_approved_client_gets_an_api_token_for_the_chosen_author(
    app: Flask, flow: Flow, author: Author
) -> None:
    answer = flow.decide()
    assert answer.status_code == 302
    back = query(answer.headers["Location"])
    assert answer.headers["Location"].startswith(flow.redirect_uri + "?")
    assert back["state"] == flow.state and back["iss"] == BASE_URL
    issued = flow.exchange(back["code"]).json
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 3600
    assert set(issued["scope"].split()) == {"posts:read", "posts:write", "posts:publish"}
    got = flow.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert got.status_code == 200 and got.json["author"]["slug"] == author.slug
    with app.app_context():
        token = db.session.scalar(select(Token).where(Token.grant_id.is_not(None)))
        assert token.resource == "api" and token.name == "OAuth: Test Agent"
        assert token.secret_hash != issued["access_token"]
        grant = db.session.get(OAuthGrant, token.grant_id)
        assert grant.approved_by == "ada@operator.example"


def test_a_token_bound_to_another_resource_is_refused_by_the_api(app: Flask, flow: Flow) -> None:
    issued = flow.tokens(resource=f"{BASE_URL}/mcp")
    assert me(flow.client, issued["access_token"]) == 401
    issued = flow.tokens(resource=f"{BASE_URL}/micropub", scope="create")
    assert me(flow.client, issued["access_token"]) == 401
    assert me(flow.client, flow.tokens(resource=f"{BASE_URL}/api/v1")["access_token"]) == 200


def test_an_unknown_resource_is_refused(app: Flask, flow: Flow) -> None:
    answer = flow.consent_page(resource="https://elsewhere.example/api")
    assert answer.status_code == 302
    assert query(answer.headers["Location"])["error"] == "invalid_target"
    assert count_tokens(app) == 0


def test_the_operator_narrows_the_scopes(app: Flask, flow: Flow) -> None:
    page = flow.consent_page().get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf, "decision": "approve", "author": "1", "allow": ["posts:read"]}
    answer = flow.client.post(flow.authorize_url(), data=form)
    issued = flow.exchange(query(answer.headers["Location"])["code"]).json
    assert issued["scope"] == "posts:read"
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    refused = flow.client.post(
        "/api/v1/posts", json={"title": "x", "content": "y"}, headers=headers
    )
    assert refused.status_code == 403


def test_consent_needs_a_signed_in_operator(client: FlaskClient, flow: Flow) -> None:
    answer = client.get(flow.authorize_url())
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login?next=")


# ---------------------------------------------------------------- bad input


def refused_page(answer: Any) -> str:
    """Assert a friendly page for the person (no redirect to the client); return its text."""
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "Location" not in answer.headers
    return answer.get_data(as_text=True)


def test_an_unknown_client_gets_a_page_not_a_redirect(
    app: Flask, client: FlaskClient, author: Author, caplog: pytest.LogCaptureFixture
) -> None:
    flow = Flow(client, client_id="dcr_nobody")
    with caplog.at_level(logging.WARNING, "blog.oauth"):
        text = refused_page(flow.consent_page())
    assert "does not exist" in text
    assert "invalid_client" in caplog.text
    assert count_tokens(app) == 0


@pytest.mark.parametrize(
    "uri",
    ["http://127.0.0.1:9/callbacK", "http://127.0.0.1:9/callback/", "http://127.0.0.1:9/callbac"],
)
def test_a_redirect_uri_one_character_off_is_refused(app: Flask, flow: Flow, uri: str) -> None:
    refused_page(flow.consent_page(redirect_uri=uri))
    assert count_tokens(app) == 0


def test_a_missing_redirect_uri_is_refused(app: Flask, flow: Flow) -> None:
    refused_page(flow.consent_page(redirect_uri=""))


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": "", "code_challenge_method": ""},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": ""},
    ],
    ids=["no PKCE", "plain", "no method"],
)
def test_authorization_without_s256_pkce_is_refused(
    app: Flask, flow: Flow, overrides: dict[str, str]
) -> None:
    answer = flow.consent_page(**overrides)
    assert answer.status_code == 302
    back = query(answer.headers["Location"])
    assert back["error"] == "invalid_request" and back["state"] == flow.state
    assert back["iss"] == BASE_URL
    assert count_tokens(app) == 0


def test_implicit_and_password_grants_are_refused(app: Flask, flow: Flow) -> None:
    answer = flow.consent_page(response_type="token")
    assert query(answer.headers["Location"])["error"] == "unsupported_response_type"
    form = {"grant_type": "password", "username": "a", "password": "b", "client_id": flow.client_id}
    answer = flow.client.post("/oauth/token", data=form)
    assert answer.status_code == 400 and answer.json["error"] == "unsupported_grant_type"
    assert count_tokens(app) == 0


def test_a_wrong_verifier_gets_nothing(app: Flask, flow: Flow) -> None:
    code = flow.code()
    answer = flow.exchange(code, code_verifier="x" * 50)
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant"
    answer = flow.exchange(code, code_verifier="")
    assert answer.status_code == 400 and answer.json["error"] == "invalid_request"
    assert count_tokens(app) == 0
    assert flow.exchange(code).status_code == 200  # the right verifier still works


def test_a_code_used_twice_revokes_what_the_first_use_issued(
    app: Flask, flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    code = flow.code()
    first = flow.exchange(code).json
    assert me(flow.client, first["access_token"]) == 200
    with caplog.at_level(logging.WARNING, "blog.oauth"):
        again = flow.exchange(code)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    assert me(flow.client, first["access_token"]) == 401
    assert flow.refresh(first["refresh_token"]).status_code == 400
    assert "used twice" in caplog.text
    assert count_tokens(app) == 1


def test_an_expired_code_gets_nothing(app: Flask, flow: Flow) -> None:
    code = flow.code()
    with app.app_context():
        db.session.execute(update(OAuthCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    answer = flow.exchange(code)
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant"
    assert count_tokens(app) == 0


def test_a_code_presented_by_another_client_gets_nothing(
    app: Flask, client: FlaskClient, flow: Flow
) -> None:
    code = flow.code()
    other = Flow(client)
    other.register()
    answer = other.exchange(code, code_verifier=flow.verifier, redirect_uri=flow.redirect_uri)
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant"
    assert count_tokens(app) == 0


def test_a_code_with_another_redirect_uri_gets_nothing(app: Flask, flow: Flow) -> None:
    answer = flow.exchange(flow.code(), redirect_uri="http://127.0.0.1:9/other")
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant"
    assert count_tokens(app) == 0


def test_a_consent_form_without_csrf_token_issues_nothing(
    app: Flask, flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in_operator(flow.client)
    form = {"decision": "approve", "author": "1", "allow": ["posts:read"]}
    with caplog.at_level(logging.WARNING, "blog.oauth"):
        refused_page(flow.client.post(flow.authorize_url(), data=form))
        refused_page(flow.client.post(flow.authorize_url(), data={**form, "csrf_token": "forged"}))
    assert "CSRF" in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count(OAuthGrant.id))) == 0


def test_a_denied_consent_redirects_with_access_denied(
    app: Flask, flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "blog.oauth"):
        answer = flow.decide("deny")
    back = query(answer.headers["Location"])
    assert back["error"] == "access_denied" and back["state"] == flow.state
    assert back["iss"] == BASE_URL and "code" not in back
    assert "denied" in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count(OAuthGrant.id))) == 0


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://attacker.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
    ],
)
def test_registration_with_bad_metadata_is_refused(
    app: Flask, client: FlaskClient, metadata: dict[str, Any], error: str
) -> None:
    answer = Flow(client).register(**metadata)
    assert answer.status_code == 400 and answer.json["error"] == error


def test_registration_needs_a_json_object(client: FlaskClient) -> None:
    answer = client.post("/oauth/register", data="[1]", content_type="application/json")
    assert answer.status_code == 400 and answer.json["error"] == "invalid_client_metadata"


def test_the_consent_page_is_never_cached(flow: Flow) -> None:
    page = flow.consent_page()
    assert page.headers["Cache-Control"] == "no-store"
    assert "form-action 'self' http://127.0.0.1:9" in page.headers["Content-Security-Policy"]


def consent_form(flow: Flow, **fields: str) -> dict[str, Any]:
    page = flow.consent_page().get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf, "decision": "approve", "allow": ["posts:read"], **fields}


def test_the_operator_creates_the_author_the_client_writes_as(app: Flask, flow: Flow) -> None:
    form = consent_form(flow, author="new", new_slug="scout", new_name="Scout")
    answer = flow.client.post(flow.authorize_url(), data=form)
    issued = flow.exchange(query(answer.headers["Location"])["code"]).json
    got = flow.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert got.json["author"]["slug"] == "scout"


@pytest.mark.parametrize(
    ("slug", "why"), [("quill", "already an author"), ("Bad Slug", "cannot be created")]
)
def test_a_new_author_that_cannot_be_made_issues_nothing(
    app: Flask, flow: Flow, author: Author, slug: str, why: str
) -> None:
    form = consent_form(flow, author="new", new_slug=slug, new_name="Someone")
    assert why in refused_page(flow.client.post(flow.authorize_url(), data=form))
    with app.app_context():
        assert db.session.get(Author, author.id).name == "Quill"
        assert db.session.scalar(select(func.count(OAuthGrant.id))) == 0
