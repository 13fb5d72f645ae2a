"""DESIGN.md's import rules, checked on the source with ast: imports only go down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "blog"
# Lower numbers sit higher; a module may import only modules with a larger number.
LEVELS = {
    "__init__": 1,
    "views": 2,
    "feeds": 2,
    "api": 2,
    "micropub": 2,
    "cli": 2,
    "openapi": 3,
    "auth": 3,
    "errors": 3,
    "web": 3,
    "i18n": 3,
    "discovery": 3,
    "schemas": 3.5,  # the API's shapes: below auth/errors/openapi, above posts/tokens
    "posts": 4,
    "tokens": 4,
    "queries": 4.3,  # the public reads; posts (the writer) may ask them too
    "documents": 4,
    "idempotency": 4,
    "models": 5,
    "extensions": 6,
    "markup": 7,
    "reading_time": 7,
    "frontmatter": 7,
    "config": 7,
    "language": 7,
    "disclosure": 7,
    "jsonld": 7,
    "sitemap": 7,
    "sanitize": 8,
    "mcp_server": 0,  # a separate program: imports nothing of ours but its own parts
    "mcp_tools": 0.1,  # blog-mcp's tools
    "mcp_api": 0.2,  # blog-mcp's HTTP client of the JSON API
    "push": 3,  # sends the outbox (webhooks, WebSub) from a background thread
    "outbox": 4.5,  # posts records events through it; it uses only models and extensions
    "safehttp": 7,  # POST to public addresses only; stdlib, no framework
    "feedformats": 7,  # RSS/Atom/JSON Feed serializers; pure
    "media": 7,  # uploaded images: format by magic bytes, content-hash names; pure
    "headers": 3,  # security headers on every response
    "redact": 7,  # masks tokens in every log record; stdlib only
    "budget": 7.5,  # a time limit for markup.render; stdlib only
}
PURE = {"markup", "reading_time", "frontmatter", "config", "sanitize"}
PURE |= {"language", "disclosure", "jsonld", "sitemap"}
PURE |= {"safehttp", "feedformats", "media", "redact", "budget"}
FRAMEWORKS = ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "jinja2")


def modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """Return (our modules imported, third-party top-level packages imported)."""
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            if node.module:
                ours.add(node.module.split(".")[0])
            else:
                ours.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            (ours if node.module.startswith("blog") else theirs).add(
                node.module.split(".")[-1 if node.module.startswith("blog.") else 0]
            )
        elif isinstance(node, ast.Import):
            theirs.update(alias.name.split(".")[0] for alias in node.names)
    return ours, theirs


def test_every_module_has_a_place_in_the_design() -> None:
    unknown = [p.stem for p in modules() if p.stem not in LEVELS]
    assert not unknown, f"add these to DESIGN.md's layering and to LEVELS: {unknown}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.stem)
def test_imports_only_go_down(path: Path) -> None:
    ours, theirs = imports_of(path)
    level = LEVELS.get(path.stem, 99)
    if path.stem.startswith("mcp_"):
        lower = {m for m in LEVELS if m.startswith("mcp_") and LEVELS[m] > level}
        assert ours <= lower, "the MCP server talks HTTP to the API; it imports nothing of ours"
        return
    upward = sorted(m for m in ours if LEVELS.get(m, 99) <= level)
    assert not upward, f"{path.stem} (level {level}) imports {upward}"
    if path.stem in PURE:
        assert ours <= PURE, f"{path.stem} must stay pure"
        assert not theirs & set(FRAMEWORKS), f"{path.stem} imports a framework"
