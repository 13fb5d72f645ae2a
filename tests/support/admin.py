"""The admin as a person uses it through the test client: read a form's CSRF token, sign in."""

from __future__ import annotations

import re
from typing import Any

import requests
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
    return form_token(client.get(path).get_data(as_text=True))


def form_token(page: str) -> str:
    """Return the CSRF token of the page's first form."""
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


def signed_in_session(base_url: str, email: str = EMAIL, password: str = PASSWORD) -> Any:
    """Sign in at a live blog's /admin/login, as a browser does; return the requests session."""
    session = requests.Session()
    token = form_token(session.get(f"{base_url}/admin/login", timeout=30).text)
    form = {"csrf_token": token, "email": email, "password": password}
    answer = session.post(f"{base_url}/admin/login", data=form, timeout=30)
    assert answer.ok and "/admin/login" not in answer.url, answer.text
    return session


def send_live_form(session: Any, base_url: str, page: str, action: str) -> Any:
    """Open a live admin page, then post its form's CSRF token to `action` (a button's click)."""
    html = session.get(base_url + page, timeout=30).text
    assert f'action="{action}"' in html, html  # the page shows that button
    return session.post(base_url + action, data={"csrf_token": form_token(html)}, timeout=30)
