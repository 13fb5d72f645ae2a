"""Sign an operator in for the OAuth consent page, the way a person does: /admin/login."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from .admin import EMAIL, PASSWORD, make_operator, sign_in


def sign_in_operator(client: FlaskClient, email: str = EMAIL) -> None:
    """Create the operator (once) and sign the test client in through the sign-in form."""
    from blog.access import operators

    with client.application.app_context():
        if operators.find(email) is None:
            make_operator(client.application, email)
    if client.get("/admin/login").status_code in (302, 303):
        return  # signed in already: the sign-in page sends an operator on
    answer = sign_in(client, email)
    assert answer.status_code == 303, answer.get_data(as_text=True)


async def sign_in_browser(page: Any, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Fill in the sign-in form the consent page sent the browser to, and submit it."""
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
