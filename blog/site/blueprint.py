"""The site's blueprint: pages for people, and what crawlers and agents read."""

from __future__ import annotations

from flask import Blueprint

from ..extensions import limiter

bp = Blueprint("site", __name__)
limiter.exempt(bp)  # pages have no limits: skip the per-request check
