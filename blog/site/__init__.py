"""The site for people and crawlers: pages, listings, llms.txt, sitemaps (blueprint `site`)."""

from . import agents, assets, crawlers, discovery, pages, search, signatures  # noqa: F401  (each registers its routes on bp)
from .blueprint import bp

__all__ = ["bp"]
