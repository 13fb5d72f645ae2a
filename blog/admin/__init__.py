"""The operator's seat: /admin, signed in with a session (see blog/http/signin.py)."""

from . import posts  # noqa: F401  (its routes join the blueprint)
from .views import bp

__all__ = ["bp"]
