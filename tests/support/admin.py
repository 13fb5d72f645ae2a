"""The admin as a person uses it: read a form's CSRF token, sign in, send a form.

Through the test client, or over real HTTP to a live host (the `live_` functions).
"""

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


def live_send_form(
    session: requests.Session, base: str, page: str, action: str, **fields: str
) -> requests.Response:
    """Open base+page and post fields to base+action with its CSRF token, as a browser would."""
    opened = session.get(base + page, timeout=30, cookies=_sent_anyway(session))
    assert opened.status_code == 200, (page, opened.status_code, opened.text[:300])
    data = {"csrf_token": form_token(opened.text), **fields}
    cookies = _sent_anyway(session)
    return session.post(
        base + action, data=data, cookies=cookies, allow_redirects=False, timeout=30
    )


def live_sign_in(
    session: requests.Session, base: str, email: str = EMAIL, password: str = PASSWORD
) -> None:
    """Sign in through base's sign-in form; the session then carries the operator's cookie."""
    fields = {"email": email, "password": password}
    answer = live_send_form(session, base, "/admin/login", "/admin/login", **fields)
    assert answer.status_code == 303, answer.text[:300]


def _sent_anyway(session: requests.Session) -> dict[str, str]:
    """The session's cookies, Secure ones included.

    The blog's public URL is https (a TLS proxy in front), so its cookies are Secure; the test
    speaks plain HTTP to the host behind that proxy, where the proxy would have sent them.
    """
    return {cookie.name: cookie.value or "" for cookie in session.cookies}
