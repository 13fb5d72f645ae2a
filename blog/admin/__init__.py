"""The operator's seat: /admin, signed in with a session (see blog/http/signin.py)."""

from . import access, authors, oauth, posts  # noqa: F401  (their routes join the blueprint)
from .views import bp

__all__ = ["bp"]
