"""Who may do what over Micropub: the token (header or form field) and Micropub's scopes.

Micropub names its scopes create, update, delete, media and draft; an API token carries
posts:* scopes. `REQUIRES` is the one mapping between them. A token the authorization
server issued for the Micropub resource (IndieAuth) carries Micropub's scope names
themselves: `holds` reads those as they are (create also allows what draft allows).
"""

from __future__ import annotations

from ..access import tokens
from ..http import auth
from ..http.errors import Problem

REQUIRES: dict[str, frozenset[str]] = {
    "create": frozenset({"posts:write", "posts:publish"}),  # create published posts
    "draft": frozenset({"posts:write"}),  # create drafts only
    "update": frozenset({"posts:write"}),  # a published post also needs create's posts:publish
    "delete": frozenset({"posts:delete"}),  # delete and undelete
    "media": frozenset({"posts:write"}),
}
# Micropub scopes that also grant another (a token that may publish may save a draft).
IMPLIED = {"draft": frozenset({"create"})}
# q=source shows a post as stored, drafts too: reading or updating posts is enough.
SOURCE_SCOPES = ("posts:read", "posts:write", "create", "update")


def authenticate(form_token: str | None) -> None:
    """Authenticate by the bearer header or the access_token form field (not both), or 401."""
    header = auth.bearer_token()
    if header is not None and form_token is not None:
        detail = "send the token once: in the Authorization header or as access_token, not both"
        raise Problem(400, "token_twice", detail)
    auth.authenticate(form_token or header, resource="micropub")


def holds(scope: str) -> bool:
    """Tell whether the current token may do what the Micropub `scope` allows."""
    held = tokens.scopes_of(auth.current_token())
    named = {scope} | IMPLIED.get(scope, frozenset())
    return bool(named & held) or REQUIRES[scope] <= held


def updates_published() -> bool:
    """Tell whether the token's own Micropub `update` scope covers published posts.

    An IndieAuth token granted `update` may edit what is published, as Micropub means; an
    API token's posts:write may not without posts:publish (create's).
    """
    return "update" in tokens.scopes_of(auth.current_token())


def require(scope: str) -> None:
    """Refuse (403 insufficient_scope) unless the current token holds the Micropub `scope`."""
    if holds(scope):
        return
    missing = sorted(REQUIRES[scope] - tokens.scopes_of(auth.current_token()))
    detail = f"this token lacks the Micropub scope {scope} (API scopes {', '.join(missing)})"
    challenge = f'Bearer realm="{auth.REALM}", error="insufficient_scope", scope="{scope}"'
    raise Problem(403, "insufficient_scope", detail, headers={"WWW-Authenticate": challenge})


def require_source() -> None:
    """Refuse (403) a token that may neither read nor update posts."""
    if not any(auth.has_scope(scope) for scope in SOURCE_SCOPES):
        detail = "q=source needs a token that may read, create or update posts"
        raise Problem(403, "insufficient_scope", detail)
