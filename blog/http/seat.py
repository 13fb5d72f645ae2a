"""The one seam to "who is the signed-in operator" for the OAuth consent page.

STAND-IN until the operator's seat (issue 13) is merged: the operator is whoever the
session names under ``oauth_operator`` (tests set it with tests/support/seat.py). At merge:
`current_operator` becomes ``op = signin.current_operator(); return OperatorRef(op.id,
op.email) if op else None``, `login_url` becomes ``url_for("admin.login", next=next_url)``
(the login view must then follow a local ``next`` path after signing in), SESSION_KEY goes;
nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import session

SESSION_KEY = "oauth_operator"


@dataclass(frozen=True)
class OperatorRef:
    """The signed-in operator as the consent page needs them: an id and a label."""

    id: int
    label: str  # e-mail address, shown and recorded as "approved by"


def current_operator() -> OperatorRef | None:
    """Return the operator signed in on this request, or None."""
    found = session.get(SESSION_KEY)
    if not isinstance(found, dict):
        return None
    return OperatorRef(int(found["id"]), str(found["label"]))


def login_url(next_url: str) -> str:
    """Return the sign-in page's URL that comes back to next_url afterwards."""
    return "/admin/login?" + urlencode({"next": next_url})
