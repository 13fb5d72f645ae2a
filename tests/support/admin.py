"""The admin as a person uses it through the test client: read a form's CSRF token, sign in."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from blog.access import operators

EMAIL = "ada@operator.example"
PASSWORD = "correct horse battery staple"


def make_operator(app: Flask, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Create an operator through access.operators."""
    with app.app_context():
        operators.create(email, password)


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    """GET the page and return the CSRF token of its first form."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found, page
    return found.group(1)


def sign_in(client: FlaskClient, email: str = EMAIL, password: str = PASSWORD, **kw: Any) -> Any:
    """Send the sign-in form as a browser would (with its token); return the response."""
    token = csrf_token(client)
    data = {"csrf_token": token, "email": email, "password": password}
    return client.post("/admin/login", data=data, **kw)


def send_form(client: FlaskClient, page: str, action: str, **fields: str) -> Any:
    """Open page, then post fields to action with the CSRF token the page carries."""
    return client.post(action, data={"csrf_token": csrf_token(client, page), **fields})
