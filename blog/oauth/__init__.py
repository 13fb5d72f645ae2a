"""The authorization server's edge: /oauth/... and its metadata (OAuth 2.1, IndieAuth)."""

from . import common, server
from .views import bp

__all__ = ["bp", "common", "server"]
