"""The site's blueprint: pages for people, and what crawlers and agents read."""

from __future__ import annotations

from flask import Blueprint

from ..extensions import limiter
from ..formats import markdown

bp = Blueprint("site", __name__)
limiter.exempt(bp)  # pages have no limits: skip the per-request check
bp.add_app_template_filter(markdown.inline, "md_inline")
bp.add_app_template_filter(markdown.link_target, "md_url")
