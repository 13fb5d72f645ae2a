"""Feeds for readers and their software: RSS, Atom and JSON Feed (blueprint `feeds`)."""

from .views import bp

__all__ = ["bp"]
