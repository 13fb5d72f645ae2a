"""The /oauth endpoints, the consent page and the RFC 8414 metadata."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from .. import posts
from ..access import oauth, oauth_clients
from ..extensions import db, limiter
from ..http import seat
from ..http.urls import absolute_url
from ..models import Author
from . import refusals
from .common import (
    API_SCOPES,
    AUTH_METHODS,
    MICROPUB_SCOPES,
    SCOPES,
    client_actor,
    client_target,
    resource_urls,
    scopes_for,
)
from .grants import Consent, TokenExchange
from .server import server

bp = Blueprint("oauth", __name__)
log = logging.getLogger("blog.oauth")


@bp.after_app_request
def advertise(response: Response) -> Response:
    """Point every page at the authorization server's metadata (IndieAuth discovery)."""
    if response.mimetype == "text/html":
        link = f'<{absolute_url("oauth.metadata")}>; rel="indieauth-metadata"'
        existing = response.headers.get("Link")
        response.headers["Link"] = f"{existing}, {link}" if existing else link
    return response


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """Describe the authorization server (RFC 8414), IndieAuth's metadata too."""
    base = current_app.config["BASE_URL"]
    return jsonify(
        issuer=base,
        authorization_endpoint=f"{base}/oauth/authorize",
        token_endpoint=f"{base}/oauth/token",
        registration_endpoint=f"{base}/oauth/register",
        revocation_endpoint=f"{base}/oauth/revoke",
        introspection_endpoint=f"{base}/oauth/introspect",
        response_types_supported=["code"],
        grant_types_supported=["authorization_code", "refresh_token", TokenExchange.GRANT_TYPE],
        code_challenge_methods_supported=["S256"],
        token_endpoint_auth_methods_supported=AUTH_METHODS,
        revocation_endpoint_auth_methods_supported=AUTH_METHODS,
        introspection_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        scopes_supported=list(SCOPES),
        authorization_response_iss_parameter_supported=True,
        client_id_metadata_document_supported=True,
        resource_indicators_supported=True,
    )


def _limit(name: str) -> str:
    return current_app.config[name]


bp.register_error_handler(RateLimitExceeded, refusals.too_many)


@bp.post("/oauth/register")
@limiter.limit(lambda: _limit("OAUTH_REGISTER_LIMIT"), scope="oauth-register")
def register() -> tuple[Response, int]:
    """Register a client (RFC 7591)."""
    metadata = request.get_json(silent=True)
    if not isinstance(metadata, dict):
        return refusals.registration_refused(
            "invalid_client_metadata", "send the client's metadata as a JSON object"
        )
    try:
        actor = oauth.client_actor("(registering)", request.remote_addr or "")
        client, secret = oauth_clients.register(metadata, actor)
    except oauth_clients.ClientError as exc:
        code = "invalid_redirect_uri" if "redirect" in str(exc) else "invalid_client_metadata"
        return refusals.registration_refused(code, str(exc))
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
        "client_name": client.name,
        "redirect_uris": oauth_clients.redirect_uris(client),
        "token_endpoint_auth_method": client.auth_method,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    }
    if secret:
        body.update(client_secret=secret, client_secret_expires_at=0)
    return jsonify(body), 201


# Codes are redeemed at the token endpoint or (IndieAuth, profile only) the authorization
# endpoint: one budget per client address for both.
redeem_limit = limiter.shared_limit(lambda: _limit("OAUTH_TOKEN_LIMIT"), scope="oauth-token")


@bp.post("/oauth/token")
@redeem_limit
def token() -> Response:
    """Exchange a code or a refresh token for tokens."""
    response = server().create_token_response()
    refusals.audit_refusal(response, "token")
    return response


@bp.post("/oauth/revoke")
def revoke() -> Response:
    """Revoke a token and its grant (RFC 7009)."""
    return server().create_endpoint_response("revocation")


@bp.post("/oauth/introspect")
def introspect() -> Response:
    """Say whether a token is active, for whom and for what (RFC 7662)."""
    return server().create_endpoint_response("introspection")


@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    """Show the consent page to the signed-in operator; carry out their decision."""
    if request.method == "POST" and "grant_type" in request.form:
        return _profile()  # IndieAuth: a client redeems a code for the profile URL only
    operator = seat.current_operator()
    if operator is None:
        return redirect(seat.login_url(request.full_path))
    try:
        grant = server().get_consent_grant(end_user=None)
        resource = _resource(grant)
        if not _offered(grant, resource):
            raise InvalidScopeError(
                f"none of the scopes asked for is valid at {resource_urls()[resource]}",
                redirect_uri=grant.redirect_uri,
                state=grant.request.payload.state,
            )
    except OAuth2Error as error:
        return _refused(error)
    if request.method == "GET":
        return _consent_page(grant, resource)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        log.warning("oauth consent refused: no valid CSRF token")
        why = "the consent form came without a valid CSRF token; nothing was approved"
        oauth.record_refusal(seat.actor(), client_target(), "csrf", why)
        return _page("refused.html", 400, reason="The form expired or was not sent from this site.")
    try:
        consent = _decision(grant, resource, operator.label)
    except ValueError as exc:
        return _page("refused.html", 400, reason=str(exc))
    if consent is None:
        log.info("oauth consent denied by %s for %s", operator.label, grant.client.row.client_id)
        oauth.record_denial(
            seat.actor(), f"client {grant.client.row.client_id}", grant.redirect_uri
        )
    return server().create_authorization_response(grant_user=consent, grant=grant)


def _profile() -> Response:
    """Redeem a code at the authorization endpoint: `me` (and profile), no token (IndieAuth)."""
    g.oauth_profile_only = True
    with redeem_limit:
        response = server().create_token_response()
    refusals.audit_refusal(response, "profile")
    return response


def _resource(grant: Any) -> str:
    """Return the resource key the request names (RFC 8707); none means the JSON API."""
    asked = request.values.getlist("resource")
    if not asked:  # IndieAuth clients name no resource: Micropub's scopes say it
        scopes = set(grant.request.scope.split())
        return "micropub" if scopes & MICROPUB_SCOPES and not scopes & set(API_SCOPES) else "api"
    by_url = {url: key for key, url in resource_urls().items()}
    if len(asked) > 1 or asked[0] not in by_url:
        error = InvalidRequestError("the resource is not one this server issues tokens for")
        error.error = "invalid_target"
        error.redirect_uri = grant.redirect_uri
        error.state = grant.request.payload.state
        raise error
    return by_url[asked[0]]


def _decision(grant: Any, resource: str, approved_by: str) -> Consent | None:
    """Read the operator's choice from the form: a Consent, or None for a denial."""
    if request.form.get("decision") != "approve":
        return None
    author = _chosen_author()
    offered = _offered(grant, resource)
    chosen = [s for s in request.form.getlist("allow") if s in offered]
    if author is None or not chosen:
        return None
    return Consent(author, " ".join(chosen), resource, approved_by, seat.actor())


def _offered(grant: Any, resource: str) -> list[str]:
    """Return the scopes asked for that mean something at the resource."""
    valid = scopes_for(resource)
    return [scope for scope in grant.request.scope.split() if scope in valid]


def _chosen_author() -> Author | None:
    """Return the author picked, or the new one the form asks for (ValueError if refused)."""
    if request.form.get("author") != "new":
        return db.session.get(Author, request.form.get("author", type=int) or 0)
    slug = request.form.get("new_slug", "").strip()
    if posts.reads.get_author(slug) is not None:
        raise ValueError(f"there is already an author {slug!r}: pick it from the list")
    try:
        made, _ = posts.save_author({"slug": slug, "name": request.form.get("new_name", "")})
    except posts.InvalidPost as exc:
        raise ValueError(f"the new author cannot be created: {exc}") from None
    return made


def _consent_page(grant: Any, resource: str) -> Response:
    client = grant.client.row
    redirect_uri = grant.redirect_uri
    response = _page(
        "consent.html",
        200,
        client=client,
        redirect_host=urlsplit(redirect_uri).netloc,
        scopes=_offered(grant, resource),
        resource=resource_urls()[resource],
        authors=oauth.authors(),
        csrf_token=generate_csrf(),
    )
    target = urlsplit(redirect_uri)
    # The form posts here, then the browser follows our redirect to the client: allow both.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'none'; img-src 'self' https: data:; "
        f"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        f"form-action 'self' {target.scheme}://{target.netloc}"
    )
    return response


def _refused(error: OAuth2Error) -> Any:
    """Send the error to the client when its redirect URI is known, else tell the person."""
    log.warning("oauth authorization refused: %s %s", error.error, error.description)
    why = error.description or error.error
    if getattr(g, "oauth_client_refused", None):
        why = f"{why}: {g.oauth_client_refused}"
    oauth.record_refusal(client_actor(), client_target(), error.error, why)
    if error.redirect_uri:
        status, body, headers = error()
        location = dict(headers)["Location"]
        iss = current_app.config["BASE_URL"]
        return redirect(add_params_to_uri(location, [("iss", iss)]), code=302)
    return _page("refused.html", 400, reason=error.description or error.error)


def _page(template: str, status: int, **context: Any) -> Response:
    body = render_template(f"oauth/{template}", **context)
    # A consent page carries a CSRF token and names the operator's client: never cached.
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    return Response(body, status=status, mimetype="text/html", headers=headers)
