"""Sign-in, sign-out and the dashboard."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from limits import parse

from .. import posts
from ..access import operators
from ..extensions import limiter
from ..http.auth import limit_keys
from ..http.signin import current_operator, operator_required, sign_in, sign_out
from .blueprint import bp
from .forms import SignInForm

# One message for every refusal, so a sign-in never tells whether an address exists.
REFUSED = "That e-mail address and password do not match an operator who may sign in."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form; sign in, or count a failure against the account and address."""
    form = SignInForm()
    next_path = _local_path(request.args.get("next", ""))
    if request.method == "GET" and current_operator() is not None:
        return redirect(next_path or url_for("admin.dashboard"))
    if not form.validate_on_submit():
        return render_template("admin/login.html", form=form, error=None, next_path=next_path)
    keys = _failure_keys(form.email.data or "")
    wait = _wait(keys)
    if wait:
        minutes = math.ceil(wait / 60)
        error = f"Too many failed sign-ins. Try again in {minutes} minute(s)."
        page = render_template("admin/login.html", form=form, error=error, next_path=next_path)
        return page, 429, {"Retry-After": str(wait)}
    email, password = form.email.data or "", form.password.data or ""
    operator = operators.check_password(email, password, request.remote_addr or "")
    if operator is None:
        for key in keys:
            _hit(key)
        return render_template("admin/login.html", form=form, error=REFUSED, next_path=next_path)
    sign_in(operator)
    return redirect(next_path or url_for("admin.dashboard"), 303)


def _local_path(value: str) -> str:
    """Return `value` if it is a path on this site (where to go after signing in), else ""."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    return "" if any(ord(c) < 32 for c in value) else value


@bp.post("/logout")
def logout() -> Any:
    """End the session, here and on the server."""
    sign_out()
    flash("You are signed out.")
    return redirect(url_for("admin.login"), 303)


@bp.get("/")
@operator_required
def dashboard() -> Any:
    """The operator's start page."""
    return render_template(
        "admin/dashboard.html",
        operator=current_operator(),
        pending=posts.pending_posts(),
        recent=posts.reads.posts_for_review(None, None, limit=10),
    )


def _failure_keys(email: str) -> list[list[str]]:
    address = request.remote_addr or "unknown"
    account = operators.normalize_email(email)[:320]
    return [limit_keys("sign-in-address", address), limit_keys("sign-in-account", account)]


def _limit() -> Any:
    return parse(current_app.config["SIGN_IN_LIMIT"])


def _wait(keys: list[list[str]]) -> int:
    """Seconds until a sign-in may be tried for these keys again; 0 if it may now."""
    if not limiter.enabled:
        return 0
    waits = []
    for key in keys:
        if not limiter.limiter.test(_limit(), *key):
            reset_at, _ = limiter.limiter.get_window_stats(_limit(), *key)
            waits.append(max(1, math.ceil(reset_at - time.time())))
    return max(waits, default=0)


def _hit(key: list[str]) -> None:
    if limiter.enabled:
        limiter.limiter.hit(_limit(), *key)
