"""Connected agents in the admin: clients with who approved them, removable; grants, revocable."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog.access import audit
from blog.models import Author

from .support.admin import send_form
from .support.oauth import Flow, me

PAGE = "/admin/oauth"


@pytest.fixture
def flow(client: FlaskClient, author: Author) -> Flow:
    made = Flow(client)
    assert made.register(client_name="Hosted <b>agent</b>").status_code == 201
    return made


def logged(app: Flask, action: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.actor, e.target) for e in audit.entries(action=action)]


def test_the_page_lists_clients_with_who_approved_them_and_their_grants(flow: Flow) -> None:
    flow.tokens()
    page = flow.client.get(PAGE)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "Hosted agent" in text and "<b>agent" not in text  # the name as text
    assert flow.client_id in text and "127.0.0.1:9" in text
    assert "ada@operator.example, 20" in text  # who approved it, and when
    assert "Revoke grant 1" in text and "Remove client 1" in text
    assert 'aria-current="page">Connected agents' in text


def test_revoking_a_grant_in_the_admin_stops_its_tokens(app: Flask, flow: Flow) -> None:
    issued = flow.tokens()
    assert me(flow.client, issued["access_token"]) == 200
    answer = send_form(flow.client, PAGE, "/admin/oauth/grants/1/revoke")
    assert answer.status_code == 303
    assert "Revoked grant 1" in flow.client.get(PAGE).get_data(as_text=True)
    assert me(flow.client, issued["access_token"]) == 401
    assert flow.refresh(issued["refresh_token"]).status_code == 400
    assert logged(app, "oauth.grant.revoked") == [
        ("operator ada@operator.example", f"grant 1 of client {flow.client_id}")
    ]
    again = send_form(flow.client, PAGE, "/admin/oauth/grants/1/revoke")
    assert again.status_code == 303 and len(logged(app, "oauth.grant.revoked")) == 1


def test_removing_a_client_revokes_everything_it_was_given(app: Flask, flow: Flow) -> None:
    issued = flow.tokens()
    answer = send_form(flow.client, PAGE, "/admin/oauth/clients/1/remove")
    assert answer.status_code == 303
    assert me(flow.client, issued["access_token"]) == 401
    assert flow.refresh(issued["refresh_token"]).status_code in (400, 401)
    assert flow.client_id not in flow.client.get(PAGE).get_data(as_text=True)
    assert logged(app, "oauth.client.removed") == [
        ("operator ada@operator.example", f"client {flow.client_id}")
    ]


def test_forms_without_their_csrf_token_change_nothing(app: Flask, flow: Flow) -> None:
    issued = flow.tokens()
    for action in ("/admin/oauth/grants/1/revoke", "/admin/oauth/clients/1/remove"):
        refused = flow.client.post(action, data={})
        assert refused.status_code == 400 and "text/html" in refused.content_type
        forged = flow.client.post(action, data={"csrf_token": "forged"})
        assert forged.status_code == 400
    assert me(flow.client, issued["access_token"]) == 200
    assert logged(app, "oauth.grant.revoked") == logged(app, "oauth.client.removed") == []


@pytest.mark.parametrize(
    "action", ["/admin/oauth/grants/99/revoke", "/admin/oauth/clients/99/remove",
               "/admin/oauth/grants/99999999999/revoke"],
)  # fmt: skip
def test_unknown_grants_and_clients_are_404(flow: Flow, action: str) -> None:
    flow.tokens()
    assert send_form(flow.client, PAGE, action).status_code == 404


def test_the_page_needs_a_signed_in_operator(client: FlaskClient) -> None:
    answer = client.get(PAGE)
    assert answer.status_code in (302, 303) and "/admin/login" in answer.headers["Location"]
    assert client.post("/admin/oauth/grants/1/revoke").status_code in (400, 302, 303)
