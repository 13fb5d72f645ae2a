"""The authoring API for agents: /api/v1 JSON, described at /openapi.json (blueprint `api`)."""

from . import account, media, posts  # noqa: F401  (each registers its routes on bp)
from .blueprint import bp

__all__ = ["bp"]
