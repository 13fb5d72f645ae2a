"""Sign an operator in for the OAuth consent page: the one place tests do it.

STAND-IN for the operator's seat (issue 13): at merge, replace the body with
tests/support/admin.py's make_operator + sign_in through /admin/login.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from blog.http.seat import SESSION_KEY

EMAIL = "ada@operator.example"


def sign_in_operator(client: FlaskClient, email: str = EMAIL) -> None:
    """Make the test client's session that of a signed-in operator."""
    with client.session_transaction() as session:
        session[SESSION_KEY] = {"id": 1, "label": email}


def browser_session_cookie(app: Flask, email: str = EMAIL) -> dict[str, str]:
    """Return a session cookie of a signed-in operator for a browser against a live app."""
    value = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
        {SESSION_KEY: {"id": 1, "label": email}}
    )
    return {"name": app.config.get("SESSION_COOKIE_NAME", "session"), "value": value}
