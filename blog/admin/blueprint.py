"""The admin blueprint and what every admin response carries."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_wtf.csrf import CSRFError

from ..extensions import limiter
from ..http import security, signin

bp = Blueprint("admin", __name__, url_prefix="/admin")
limiter.exempt(bp)  # sign-in counts its own failures (views.login); nothing else is limited

# The site's policy, except that the admin's forms post back to the blog itself.
CONTENT_SECURITY_POLICY = security.CONTENT_SECURITY_POLICY.replace(
    "form-action 'none'", "form-action 'self'"
)


@bp.before_request
def check_csrf() -> None:
    """Refuse any POST whose form lacks a valid CSRF token, before a view runs."""
    signin.protect_forms()


@bp.after_request
def private(response: Response) -> Response:
    """Keep admin pages out of every cache and index; let their forms post."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.vary.add("Cookie")
    return response


@bp.errorhandler(CSRFError)
def refused_form(error: CSRFError) -> tuple[str, int]:
    """Explain a form sent without its token (forged, replayed or expired): nothing changed."""
    return render_template("admin/refused.html", reason=error.description), 400
