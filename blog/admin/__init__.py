"""The operator's seat: /admin, signed in with a session (see blog/http/signin.py)."""

from .views import bp

__all__ = ["bp"]
