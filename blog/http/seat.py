"""The one seam to "who is the signed-in operator" for the OAuth consent page.

The operator's seat (blog/http/signin.py) signs operators in at /admin/login; the consent
page asks here, and sends a person who is not signed in to that page and back.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from ..access.audit import Actor
from . import signin


@dataclass(frozen=True)
class OperatorRef:
    """The signed-in operator as the consent page needs them: an id and a label."""

    id: int
    label: str  # e-mail address, shown and recorded as "approved by"


def current_operator() -> OperatorRef | None:
    """Return the operator signed in on this request, or None."""
    operator = signin.current_operator()
    return OperatorRef(operator.id, operator.email) if operator is not None else None


def actor() -> Actor:
    """Return the signed-in operator as the actor of what the consent page writes."""
    return signin.operator_actor()


def login_url(next_url: str) -> str:
    """Return the sign-in page's URL that comes back to next_url afterwards."""
    return url_for("admin.login", next=next_url)
