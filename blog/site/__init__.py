"""The site for people and crawlers: pages, listings, llms.txt, sitemaps (blueprint `site`)."""

from . import assets, crawlers, pages, search  # noqa: F401  (each registers its routes on bp)
from .blueprint import bp

__all__ = ["bp"]
