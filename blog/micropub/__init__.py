"""W3C Micropub: /micropub writes posts and answers queries; /micropub/media stores images."""

from . import endpoint, media  # noqa: F401  (each registers its routes on bp)
from .blueprint import bp

__all__ = ["bp"]
