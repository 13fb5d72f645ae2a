"""Connected agents in the admin: OAuth clients (removable) and their grants (revocable)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, url_for

from ..access import oauth, oauth_clients
from ..http.signin import operator_actor, operator_required
from ..models import OAuthClient, OAuthGrant
from .blueprint import bp

MAX_ID = 2**31 - 1  # ids are 32-bit on every database


@bp.get("/oauth")
@operator_required
def oauth_list() -> Any:
    """Every OAuth client with who approved it, and every grant with its tokens."""
    grants = oauth.all_grants()
    approvals: dict[int, list[OAuthGrant]] = {}
    for grant in reversed(grants):  # oldest first: the first approval leads
        approvals.setdefault(grant.client_id, []).append(grant)
    clients = [c for c in oauth_clients.all_clients() if c.kind != "rs"]
    return render_template(
        "admin/oauth.html", clients=clients, approvals=approvals, grants=grants,
        active=oauth.active_token_counts(), hosts=_redirect_hosts,
    )  # fmt: skip


@bp.post("/oauth/grants/<int:grant_id>/revoke")
@operator_required
def oauth_revoke(grant_id: int) -> Any:
    """Revoke a grant: its access and refresh tokens stop working at their next request."""
    if grant_id > MAX_ID or oauth.get_grant(grant_id) is None:
        abort(404)
    if oauth.revoke_grant(grant_id, "revoked by the operator in the admin", operator_actor()):
        flash(f"Revoked grant {grant_id}: its tokens no longer work.")
    else:
        flash(f"Grant {grant_id} was already revoked. Nothing was changed.")
    return redirect(url_for("admin.oauth_list"), 303)


@bp.post("/oauth/clients/<int:client_id>/remove")
@operator_required
def oauth_remove(client_id: int) -> Any:
    """Remove a client with its grants and tokens."""
    if client_id > MAX_ID or not oauth_clients.remove(client_id, operator_actor()):
        abort(404)
    flash(f"Removed client {client_id} with its grants: its tokens no longer work.")
    return redirect(url_for("admin.oauth_list"), 303)


def _redirect_hosts(client: OAuthClient) -> str:
    """Name the hosts a client's redirect URIs send the browser back to."""
    return ", ".join(dict.fromkeys(urlsplit(u).netloc for u in oauth_clients.redirect_uris(client)))
