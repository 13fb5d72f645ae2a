"""The audit log of the authorization server: every write it makes and every refusal of bad input.

Also: `me` on a refreshed token, the IndieAuth profile redemption at the authorization
endpoint, the consent's scopes narrowed to the resource, the JSON 429 of the rate limits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from blog.access import audit
from blog.extensions import db
from blog.models import OAuthCode, OAuthGrant, Token, utcnow

from .conftest import BASE_URL
from .support.documents import Document, DocumentServer
from .support.oauth import Flow, query
from .support.seat import sign_in_operator


def entries(app: Flask, action: str = "oauth.") -> list[tuple[str, str, str, str]]:
    """Return the OAuth audit entries, oldest first: (action, actor, target, detail)."""
    with app.app_context():
        found = audit.entries(action=action, limit=1000)
        return [(e.action, e.actor, e.target, e.detail) for e in reversed(found)]


def refusals(app: Flask) -> list[str]:
    """Return the details of the refusals recorded."""
    return [detail for action, _, _, detail in entries(app) if action == "oauth.refused"]


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


# ---------------------------------------------------------------- what is written


def test_registration_consent_issue_refresh_and_revocation_are_audited(
    app: Flask, flow: Flow
) -> None:
    issued = flow.tokens()
    fresh = flow.refresh(issued["refresh_token"]).json
    answer = flow.client.post(
        "/oauth/revoke", data={"token": fresh["access_token"], "client_id": flow.client_id}
    )
    assert answer.status_code == 200
    logged = entries(app)
    assert [action for action, *_ in logged] == [
        "oauth.client.registered",
        "oauth.consent.approved",
        "oauth.token.issued",
        "oauth.token.refreshed",
        "oauth.grant.revoked",
    ]
    registered, approved, token, refreshed, revoked = logged
    assert registered[2] == f"client {flow.client_id}" and "Test Agent" in registered[3]
    assert approved[1] == "operator ada@operator.example"
    assert "author quill" in approved[3] and "resource api" in approved[3]
    assert token[1] == refreshed[1] == revoked[1] == f"client {flow.client_id}"
    assert "RFC 7009" in revoked[3]
    assert refusals(app) == []


def test_a_reused_refresh_token_is_audited_with_the_grant_it_revoked(
    app: Flask, flow: Flow
) -> None:
    issued = flow.tokens()
    assert flow.refresh(issued["refresh_token"]).status_code == 200
    assert flow.refresh(issued["refresh_token"]).status_code == 400
    reused = [e for e in entries(app) if e[0] == "oauth.refresh.reused"]
    assert len(reused) == 1 and reused[0][2].startswith("grant ")
    assert any("already used" in why for why in refusals(app))


def test_a_code_used_twice_is_audited_with_the_grant_it_revoked(app: Flask, flow: Flow) -> None:
    code = flow.code()
    assert flow.exchange(code).status_code == 200
    assert flow.exchange(code).status_code == 400
    assert [e[0] for e in entries(app)].count("oauth.code.reused") == 1
    assert any(why.startswith("invalid_grant: token: the code was already used")
               for why in refusals(app))  # fmt: skip


def test_a_denied_consent_is_audited_and_issues_nothing(app: Flask, flow: Flow) -> None:
    answer = flow.decide("deny")
    assert query(answer.headers["Location"])["error"] == "access_denied"
    denied = [e for e in entries(app) if e[0] == "oauth.consent.denied"]
    assert len(denied) == 1 and denied[0][1] == "operator ada@operator.example"
    assert denied[0][2] == f"client {flow.client_id}"
    assert count(app, OAuthGrant) == 0


# ---------------------------------------------------------------- each refusal of bad input


def _unknown_client(flow: Flow) -> None:
    Flow(flow.client, client_id="dcr_nobody").consent_page()


def _redirect_one_character_off(flow: Flow) -> None:
    flow.consent_page(redirect_uri="http://127.0.0.1:9/callbacK")


def _no_pkce(flow: Flow) -> None:
    flow.consent_page(code_challenge="", code_challenge_method="")


def _plain_pkce(flow: Flow) -> None:
    flow.consent_page(code_challenge_method="plain")


def _wrong_verifier(flow: Flow) -> None:
    flow.exchange(flow.code(), code_verifier="x" * 50)


def _expired_code(flow: Flow) -> None:
    code = flow.code()
    with flow.client.application.app_context():
        db.session.execute(update(OAuthCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    flow.exchange(code)


def _another_clients_code(flow: Flow) -> None:
    code = flow.code()
    other = Flow(flow.client)
    other.register()
    other.exchange(code, code_verifier=flow.verifier)


def _unknown_resource(flow: Flow) -> None:
    flow.consent_page(resource="https://elsewhere.example/api")


def _scopes_invalid_at_the_resource(flow: Flow) -> None:
    flow.consent_page(resource=f"{BASE_URL}/micropub", scope="posts:write")


def _consent_without_csrf(flow: Flow) -> None:
    sign_in_operator(flow.client)
    form = {"decision": "approve", "author": "1", "allow": ["posts:read"]}
    assert flow.client.post(flow.authorize_url(), data=form).status_code == 400


def _bad_registration(flow: Flow) -> None:
    flow.client.post("/oauth/register", json={"redirect_uris": ["http://attacker.example/cb"]})


def _api_token_shown_to_blog_mcp(flow: Flow) -> None:
    runner = flow.client.application.test_cli_runner()
    out = runner.invoke(args=["oauth", "resource-server", "mcp"]).output
    env = dict(line.split("=", 1) for line in out.split())
    rs = (env["BLOG_MCP_CLIENT_ID"], env["BLOG_MCP_CLIENT_SECRET"])
    api_token = flow.tokens()["access_token"]
    assert flow.client.post("/oauth/introspect", data={"token": api_token}, auth=rs).json == {
        "active": False
    }


def _mcp_token_shown_to_the_api(flow: Flow) -> None:
    token = flow.tokens(resource=f"{BASE_URL}/mcp")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert flow.client.get("/api/v1/me", headers=headers).status_code == 401


BAD_INPUT: dict[str, tuple[Callable[[Flow], None], str]] = {
    "unknown client": (_unknown_client, "invalid_client"),
    "redirect URI one character off": (_redirect_one_character_off, "redirect"),
    "no PKCE": (_no_pkce, "code_challenge is required"),
    "plain PKCE": (_plain_pkce, "code_challenge_method must be S256"),
    "wrong verifier": (_wrong_verifier, "code challenge failed"),
    "expired code": (_expired_code, "the code has expired"),
    "another client's code": (_another_clients_code, "issued to another client"),
    "unknown resource": (_unknown_resource, "invalid_target"),
    "scopes not valid at the resource": (_scopes_invalid_at_the_resource, "invalid_scope"),
    "consent without CSRF token": (_consent_without_csrf, "csrf: "),
    "bad registration": (_bad_registration, "invalid_redirect_uri: "),
    "a token for another resource": (_api_token_shown_to_blog_mcp, "a token for api shown to"),
    "an MCP token at the API": (_mcp_token_shown_to_the_api, "a token for mcp shown to api"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_each_refusal_is_audited_and_issues_nothing(app: Flask, flow: Flow, case: str) -> None:
    bad, expected = BAD_INPUT[case]
    tokens_before = count(app, Token)
    bad(flow)
    found = [why for why in refusals(app) if expected.lower() in why.lower()]
    assert found, refusals(app)
    if not case.startswith(("a token", "an MCP token")):  # those were issued to show around
        assert count(app, Token) == tokens_before


def test_an_unusable_client_document_is_audited_with_why(
    build_app: Any, settings: dict[str, Any], documents: DocumentServer
) -> None:
    app = build_app(**settings, OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK=True)
    documents.documents["/client.json"] = Document(b"<html>not json</html>", "text/html")
    flow = Flow(app.test_client(), client_id=documents.url + "/client.json")
    assert flow.consent_page().status_code == 400
    assert any("invalid_client" in why and "not JSON" in why for why in refusals(app))


# ---------------------------------------------------------------- IndieAuth, scopes, limits


def test_a_refreshed_token_names_me_too(flow: Flow) -> None:
    issued = flow.tokens(scope="posts:read profile")
    fresh = flow.refresh(issued["refresh_token"]).json
    assert fresh["me"] == f"{BASE_URL}/authors/quill" == issued["me"]
    assert fresh["profile"]["name"] == "Quill"


def test_a_code_redeemed_at_the_authorization_endpoint_gives_the_profile_only(
    app: Flask, flow: Flow
) -> None:
    code = flow.code(scope="profile")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": flow.client_id,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
    }
    tokens_before = count(app, Token)
    answer = flow.client.post("/oauth/authorize", data=form)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    me = f"{BASE_URL}/authors/quill"
    assert answer.json == {"me": me, "profile": {"name": "Quill", "url": me}}
    assert count(app, Token) == tokens_before  # no access token
    again = flow.client.post("/oauth/authorize", data=form)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    wrong = flow.client.post("/oauth/authorize", data={**form, "code": flow.code(scope="profile"),
                                                       "code_verifier": "y" * 50})  # fmt: skip
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"


def test_the_consent_offers_only_the_scopes_valid_at_the_resource(flow: Flow) -> None:
    page = flow.consent_page(resource=f"{BASE_URL}/micropub", scope="create posts:write profile")
    text = page.get_data(as_text=True)
    assert 'value="create"' in text and 'value="profile"' in text
    assert 'value="posts:write"' not in text
    issued = flow.tokens(resource=f"{BASE_URL}/micropub", scope="create posts:write")
    assert issued["scope"] == "create"
    for resource, scope, error in (
        (f"{BASE_URL}/micropub", "posts:write", "invalid_scope"),
        ("https://elsewhere.example/api", "create", "invalid_target"),
    ):
        back = query(flow.consent_page(resource=resource, scope=scope).headers["Location"])
        assert back["error"] == error and back["state"] == flow.state and back["iss"] == BASE_URL


def test_registration_over_its_limit_gets_a_json_429_with_retry_after(
    build_app: Any, settings: dict[str, Any]
) -> None:
    app = build_app(**settings, OAUTH_REGISTER_LIMIT="2 per hour", OAUTH_TOKEN_LIMIT="3 per hour")
    client = app.test_client()
    flows = [Flow(client) for _ in range(3)]
    assert [f.register().status_code for f in flows] == [201, 201, 429]
    answer = flows[2].register()
    assert answer.status_code == 429 and answer.mimetype == "application/json"
    assert answer.json["error"] == "temporarily_unavailable"
    assert int(answer.headers["Retry-After"]) > 0
    statuses = [client.post("/oauth/token", data={"grant_type": "x"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert json.loads(client.post("/oauth/token").get_data())["error"] == "temporarily_unavailable"
    profile = client.post("/oauth/authorize", data={"grant_type": "authorization_code"})
    assert profile.status_code == 429 and "Retry-After" in profile.headers  # the same budget
