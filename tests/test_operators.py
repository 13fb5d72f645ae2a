"""Operators: the CLI, argon2id hashes, and the sign-in at /admin/login with its defences."""

from __future__ import annotations

import time

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from blog.access import operators
from blog.extensions import db
from blog.models import Operator

from .support.admin import EMAIL, PASSWORD, csrf_token, make_operator, send_form, sign_in


def stored(app: Flask, email: str = EMAIL) -> Operator:
    with app.app_context():
        found = operators.find(email)
        assert found is not None
        return found


def client_at(app: Flask, address: str) -> FlaskClient:
    """A browser on another machine: its own cookies and client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200 and EMAIL in response.get_data(as_text=True)


# ---------------------------------------------------------------- the command line


def test_operator_create_asks_twice_and_keeps_only_an_argon2id_hash(app: Flask, runner) -> None:
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = runner.invoke(args=["operator", "create", "Ada@Operator.example"], input=typed)
    assert result.exit_code == 0, result.output
    operator = stored(app)
    assert operator.password_hash.startswith("$argon2id$")
    assert PASSWORD not in operator.password_hash
    assert signed_in_after(app, PASSWORD)


def signed_in_after(app: Flask, password: str) -> bool:
    client = app.test_client()
    sign_in(client, EMAIL, password)
    return signed_in(client)


def test_operator_create_refuses_two_different_passwords(app: Flask, runner) -> None:
    typed = f"{PASSWORD}\nsomething else entirely\n" * 3
    result = runner.invoke(args=["operator", "create", EMAIL], input=typed)
    assert "do not match" in result.output.lower() or result.exit_code != 0
    with app.app_context():
        assert db.session.query(Operator).count() == 0


def test_operator_create_from_stdin_refuses_a_short_password(app: Flask, runner) -> None:
    result = runner.invoke(args=["operator", "create", EMAIL, "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "at least 12" in result.output
    again = runner.invoke(
        args=["operator", "create", "not-an-address", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert again.exit_code != 0 and "not an e-mail address" in again.output


def test_operator_list_disable_and_reset_password(app: Flask, runner) -> None:
    runner.invoke(args=["operator", "create", EMAIL, "--password-stdin"], input=f"{PASSWORD}\n")
    client = app.test_client()
    sign_in(client)
    assert signed_in(client)
    listed = runner.invoke(args=["operator", "list"])
    assert EMAIL in listed.output and "active" in listed.output
    new = "a brand new passphrase"
    reset = runner.invoke(
        args=["operator", "reset-password", EMAIL, "--password-stdin"], input=f"{new}\n"
    )
    assert reset.exit_code == 0, reset.output
    assert not signed_in(client)  # a new password ends the sessions of the old one
    assert not signed_in_after(app, PASSWORD) and signed_in_after(app, new)
    disabled = runner.invoke(args=["operator", "disable", EMAIL])
    assert disabled.exit_code == 0
    assert "disabled" in runner.invoke(args=["operator", "list"]).output
    assert not signed_in_after(app, new)
    missing = runner.invoke(args=["operator", "disable", "nobody@example.org"])
    assert missing.exit_code != 0 and "no operator" in missing.output


def test_sign_in_rehashes_a_password_hashed_with_old_parameters(app: Flask) -> None:
    make_operator(app)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with app.app_context():
        operator = operators.find(EMAIL)
        operator.password_hash = weak
        db.session.commit()
    client = app.test_client()
    sign_in(client)
    assert signed_in(client)
    renewed = stored(app).password_hash
    assert renewed != weak and not operators.hasher.check_needs_rehash(renewed)


# ---------------------------------------------------------------- signing in and out


def test_sign_in_then_dashboard_then_sign_out(app: Flask, client: FlaskClient) -> None:
    make_operator(app)
    assert client.get("/admin/").status_code == 302  # to the sign-in page
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    assert signed_in(client)
    out = send_form(client, "/admin/", "/admin/logout")
    assert out.status_code == 303
    assert not signed_in(client)


def test_a_refusal_never_says_whether_the_account_exists(app: Flask, client: FlaskClient) -> None:
    make_operator(app)
    wrong = sign_in(client, EMAIL, "not the password at all")
    unknown = sign_in(client, "nobody@operator.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200

    def message(response):  # the page without its per-request token
        text = response.get_data(as_text=True)
        return text.replace(csrf_token(client), "")

    assert "do not match" in message(wrong)
    assert (
        message(wrong).split("<main")[1].split("<form")[0]
        == message(unknown).split("<main")[1].split("<form")[0]
    )
    assert not signed_in(client)


def test_the_session_is_new_at_sign_in(app: Flask, client: FlaskClient) -> None:
    make_operator(app)
    csrf_token(client)  # the visitor's session before sign-in (it holds a CSRF token)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("session").value
    sign_in(client)
    after = client.get_cookie("session").value
    assert before != after
    with client.session_transaction() as session:
        assert "planted" not in session and session["sid"]
        first_sid = session["sid"]
    send_form(client, "/admin/", "/admin/logout")
    sign_in(client)
    with client.session_transaction() as session:
        assert session["sid"] != first_sid
    # Someone who planted or copied the pre-sign-in cookie gains nothing from it.
    planted = app.test_client()
    planted.set_cookie("session", before, domain="localhost")
    assert planted.get("/admin/").status_code == 302
    assert signed_in(client)


def test_sign_out_ends_the_session_on_the_server(app: Flask, client: FlaskClient) -> None:
    make_operator(app)
    sign_in(client)
    copied = client.get_cookie("session").value
    send_form(client, "/admin/", "/admin/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied, domain="localhost")
    assert thief.get("/admin/").status_code == 302  # the cookie is still well signed, yet dead


def test_an_idle_session_and_an_old_session_end(app: Flask, client: FlaskClient) -> None:
    make_operator(app)
    sign_in(client)
    with client.session_transaction() as session:  # 31 minutes pass without a request
        session["seen_at"] = int(time.time()) - 31 * 60
    assert client.get("/admin/").status_code == 302
    sign_in(client)
    assert signed_in(client)
    with client.session_transaction() as session:  # busy all along, but 13 hours since sign-in
        session["signed_in_at"] = int(time.time()) - 13 * 3600
    assert client.get("/admin/").status_code == 302


def test_session_cookie_flags(app: Flask, build_app, client: FlaskClient) -> None:
    make_operator(app)
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = build_app(BASE_URL="http://127.0.0.1:8000").test_client()
    cookie = sign_in(plain).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_public_pages_set_no_cookie(app: Flask, client: FlaskClient) -> None:
    for path in ("/", "/feed.xml", "/robots.txt"):
        assert "Set-Cookie" not in client.get(path).headers, path


# ---------------------------------------------------------------- forged forms


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    make_operator(app)
    forged = client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD})
    assert forged.status_code == 400
    assert "Nothing was changed" in forged.get_data(as_text=True)
    assert forged.mimetype == "text/html"
    assert not signed_in(client)
    sign_in(client)
    forged_out = client.post("/admin/logout")
    assert forged_out.status_code == 400 and signed_in(client)
    wrong = client.post("/admin/logout", data={"csrf_token": "IjEyMyI.forged.token"})
    assert wrong.status_code == 400 and signed_in(client)


# ---------------------------------------------------------------- guessing passwords


def test_five_failures_for_one_account_lock_it_for_a_while(app: Flask) -> None:
    make_operator(app)
    for n in range(5):  # each from another address: the account's own count trips
        client = client_at(app, f"192.0.2.{n}")
        assert sign_in(client, EMAIL, f"guess number {n}").status_code == 200
    client = client_at(app, "192.0.2.99")
    locked = sign_in(client)  # even the right password
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert not signed_in(client)


def test_five_failures_from_one_address_lock_that_address(app: Flask) -> None:
    make_operator(app)
    guesser = client_at(app, "198.51.100.7")
    for n in range(5):
        assert sign_in(guesser, f"someone{n}@operator.example", "guess").status_code == 200
    assert sign_in(guesser).status_code == 429
    elsewhere = client_at(app, "198.51.100.8")
    assert sign_in(elsewhere).status_code == 303  # the account itself is not locked


# ---------------------------------------------------------------- kept private


def test_admin_pages_are_never_stored_or_indexed(app: Flask, client: FlaskClient) -> None:
    make_operator(app)
    sign_in(client)
    for path in ("/admin/login", "/admin/"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store"
        assert "noindex" in response.headers["X-Robots-Tag"]
        assert "form-action 'self'" in response.headers["Content-Security-Policy"]
    assert "form-action 'none'" in client.get("/").headers["Content-Security-Policy"]
    assert "Disallow: /admin/" in client.get("/robots.txt").get_data(as_text=True)
