"""The operator's session, shared by every page a person signs in to (/admin, OAuth consent).

Use `operator_required` on a view and `current_operator()` inside it; `sign_in` and
`sign_out` are the only ways a session starts and ends. A session holds the operator's
id and session version (see access.operators.session_id), a random session id, and the
times it started and was last used: it ends when it has been idle for ADMIN_IDLE_MINUTES,
ADMIN_SESSION_HOURS after sign-in, or on the server side when the version is bumped
(sign-out, a new password, a disabled operator). Forms are protected with `protect_forms`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_login import current_user, login_required, login_user, logout_user

from ..access import operators
from ..access.audit import Actor
from ..extensions import csrf, login
from ..models import Operator

# What a view needs: redirect to the sign-in page unless an operator is signed in.
operator_required: Callable[..., Any] = login_required


class SignedIn:
    """The signed-in operator as Flask-Login sees them."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, operator: Operator) -> None:
        self.operator = operator

    def get_id(self) -> str:
        return operators.session_id(self.operator)


def init_app(app: Flask) -> None:
    """Bind Flask-Login and CSRF protection; sign-in lives at the admin's login page."""
    login.init_app(app)
    login.login_view = "admin.login"
    login.login_message = "Sign in to continue."
    login.user_loader(_load)
    csrf.init_app(app)
    app.jinja_env.globals["current_operator"] = current_operator


def current_operator() -> Operator | None:
    """Return the operator signed in on this request, or None."""
    return current_user.operator if current_user.is_authenticated else None


def sign_in(operator: Operator) -> None:
    """Start a new session for the operator: nothing from the old session is kept."""
    session.clear()  # a session planted before sign-in (fixation) is worth nothing after it
    g.pop("csrf_token", None)  # nor is a CSRF token made from that session's secret
    login_user(SignedIn(operator))
    session.permanent = True
    now = int(time.time())
    session.update(sid=secrets.token_urlsafe(16), signed_in_at=now, seen_at=now)


def sign_out() -> None:
    """End the session here and every copy of it elsewhere (the version is bumped)."""
    operator = current_operator()
    if operator is not None:
        operators.end_sessions(operator, request.remote_addr or "")
    logout_user()
    session.clear()


def operator_actor() -> Actor:
    """Return the signed-in operator as the actor of a posts operation."""
    operator = current_operator()
    if operator is None:
        raise RuntimeError("operator_actor() needs a signed-in operator")
    return operators.actor(operator, request.remote_addr or "")


def protect_forms() -> None:
    """Refuse a POST without a valid CSRF token (a before_request of a blueprint)."""
    csrf.protect()


def _load(session_id: str) -> SignedIn | None:
    """Find the session's operator unless the session has ended; mark it used."""
    now = int(time.time())
    config = current_app.config
    started, seen = session.get("signed_in_at", 0), session.get("seen_at", 0)
    if now - started > int(config["ADMIN_SESSION_HOURS"]) * 3600:
        return None
    if now - seen > int(config["ADMIN_IDLE_MINUTES"]) * 60:
        return None
    operator = operators.from_session_id(session_id)
    if operator is None:
        return None
    session["seen_at"] = now
    return SignedIn(operator)
