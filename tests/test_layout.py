"""DESIGN.md's "Which package may import which", checked on the source with ast.

Six rows of packages, not a ranking of modules: an import goes down the rows, a package
imports its own modules freely. LAYOUT_ROOT points the checks at another copy of blog/
(a scratch copy with a rule broken on purpose shows that each check can fail).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("LAYOUT_ROOT") or Path(__file__).resolve().parent.parent / "blog")
APP = "blog"  # the package's name in absolute imports; its __init__ is the app, row 1
EDGES = ("site", "feeds", "api", "micropub", "admin", "federation", "oauth", "cli")
OPERATIONS = ("posts", "access", "delivery", "search")
DATA = ("models", "extensions")
PURE = ("content", "formats", "config")
ROWS = {
    APP: 1,
    "serving": 1,  # gunicorn's hooks: like the app, imported by gunicorn alone
    **dict.fromkeys(EDGES, 2),
    "http": 3,
    **dict.fromkeys(OPERATIONS, 4),
    **dict.fromkeys(DATA, 5),
    **dict.fromkeys(PURE, 6),
}
ROW_NAMES = {1: "the app", 2: "edges", 3: "http", 4: "operations", 5: "data", 6: "pure"}
MCP = "mcp"  # the separate program blog-mcp: no row, imports nothing of ours
# Alembic's scripts: run by `flask db …`, imported by nobody, so outside the rows.
SCRIPTS = ("migrations",)
# The imports allowed within one row (edges: none): posts above access, delivery and
# search; models bind to the extensions' db; formats and config build on content.
SIDEWAYS = {
    "posts": {"access", "delivery", "search"},
    "models": {"extensions"},
    "formats": {"content"},
    "config": {"content", "formats"},
}
FLASK_GLOBALS = {"request", "g", "session", "url_for"}
FRAMEWORKS = {"flask", "werkzeug", "jinja2", "sqlalchemy", "markupsafe"}  # and flask_*


@dataclass(frozen=True)
class Import:
    """One import statement: where it is and the absolute module it names."""

    path: Path
    line: int
    text: str
    module: str  # absolute, relative imports resolved: blog.models, flask, blog.http.urls
    names: tuple[str, ...]  # what `from module import ...` takes; () for `import module`
    binds: tuple[tuple[str, str], ...]  # (name bound in the file, what it is: blog.posts.write)

    @property
    def where(self) -> str:
        return f"{shown(self.path)}:{self.line}: `{self.text}`"

    @property
    def taken(self) -> list[str]:
        """The dotted names it takes: blog.models.Post; for `import blog.posts`, blog.posts."""
        return [f"{self.module}.{name}" for name in self.names] or [self.module]


def shown(path: Path) -> str:
    return f"{ROOT.name}/{path.relative_to(ROOT).as_posix()}"


@cache
def sources() -> tuple[Path, ...]:
    """Every Python file of the package."""
    assert (ROOT / "__init__.py").is_file(), f"{ROOT} is not the blog package (LAYOUT_ROOT?)"
    found = ROOT.rglob("*.py")
    skipped = {"__pycache__", *SCRIPTS}
    return tuple(sorted(p for p in found if not skipped & set(p.relative_to(ROOT).parts)))


def dotted(path: Path) -> str:
    """The module a file is: blog/http/urls.py -> blog.http.urls; blog/__init__.py -> blog."""
    parts = [APP, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str | None:
    """The row entry (package, or module right under blog/) a module is part of, if ours."""
    parts = module.split(".")
    if parts[0] != APP:
        return None
    return parts[1] if len(parts) > 1 else APP


def entry_of(name: str) -> str | None:
    """The row entry a dotted name of ours is in: blog.posts.reads._x: posts; blog.create_app:
    blog (a name of the app's __init__, not a package); not ours: None."""
    unit = unit_of(name)
    if unit not in (None, APP) and name.count(".") == 1 and not is_module(name):
        return APP
    return unit


def package_of(path: Path) -> str:
    return unit_of(dotted(path)) or APP


def is_module(module: str) -> bool:
    """Tell whether a dotted name of ours is a module or package rather than a name in one."""
    where = ROOT.joinpath(*module.split(".")[1:])
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def imports(path: Path) -> tuple[Import, ...]:
    """Every import in a file, at any depth, relative ones resolved to absolute modules."""
    found = []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            for a in node.names:  # `import blog.posts` binds blog, `... as p` binds blog.posts
                binds = ((a.asname, a.name),) if a.asname else ((a.name.split(".")[0],) * 2,)
                found.append(Import(path, node.lineno, ast.unparse(node), a.name, (), binds))
        elif isinstance(node, ast.ImportFrom):
            module = absolute(path, node.module, node.level)
            names = tuple(a.name for a in node.names)
            binds = tuple((a.asname or a.name, f"{module}.{a.name}") for a in node.names)
            found.append(Import(path, node.lineno, ast.unparse(node), module, names, binds))
    return tuple(found)


def absolute(path: Path, module: str | None, level: int) -> str:
    """Resolve `from ..models import x` in a file to blog.models."""
    if not level:
        return module or ""
    package = dotted(path).split(".")
    if path.name != "__init__.py":
        package.pop()  # a module's relative imports start from its package
    assert level <= len(package), f"{shown(path)}: `from {'.' * level}` leaves the package"
    base = package[: len(package) - level + 1]
    return ".".join(base + ([module] if module else []))


def targets(imp: Import) -> dict[str, str]:
    """Our row entries an import reaches, each with a name it takes there."""
    return {entry: name for name in imp.taken if (entry := entry_of(name))}


def crossings() -> Iterator[tuple[Import, str, str]]:
    """(import, importing entry, imported entry) for every import between two of ours."""
    for path in sources():
        own = package_of(path)
        for imp in imports(path):
            for target in targets(imp):
                if target != own:
                    yield imp, own, target


def row(unit: str) -> str:
    name = ROW_NAMES[ROWS[unit]]
    return f"{unit} (row {ROWS[unit]}{'' if name == unit else ', ' + name})"


def check(rule: str, problems: list[str]) -> None:
    """Fail naming every file, line and import that breaks the rule."""
    if problems:
        lines = "\n  ".join(problems)
        pytest.fail(f"{rule} (DESIGN.md, 'Which package may import which'):\n  {lines}", False)


# ---------------------------------------------------------------- the rules


def test_every_package_has_a_row() -> None:
    unknown = []
    for entry in sorted(ROOT.iterdir()):
        if entry.name == "__pycache__":
            continue
        if (entry.is_dir() and any(entry.rglob("*.py"))) or entry.suffix == ".py":
            unit = APP if entry.name == "__init__.py" else entry.stem
            if unit not in ROWS and unit != MCP and unit not in SCRIPTS:
                unknown.append(f"{shown(entry)}: add it to DESIGN.md's table (and to ROWS here)")
    check("every package has a row", unknown)


def test_imports_only_go_down_the_rows() -> None:
    problems = []
    for imp, own, target in crossings():
        if own == MCP or own not in ROWS:
            continue  # blog-mcp: test_mcp_imports_nothing_of_ours; unknown: has_a_row
        if target == MCP:
            problems.append(f"{imp.where}: {own} imports blog-mcp, a separate program")
        elif target in ROWS and ROWS[target] < ROWS[own]:
            problems.append(f"{imp.where}: {row(own)} imports {row(target)}, above it")
    check("imports only go down the rows", problems)


def test_edges_never_import_each_other() -> None:
    problems = [
        f"{imp.where}: edge {own} imports edge {target}; move what both need below them"
        for imp, own, target in crossings()
        if own in EDGES and target in EDGES
    ]
    check("edges never import each other", problems)


def test_within_a_row_only_the_allowed_imports() -> None:
    problems = []
    for imp, own, target in crossings():
        if own in EDGES or own not in ROWS or target not in ROWS:
            continue
        if ROWS[own] == ROWS[target] and target not in SIDEWAYS.get(own, set()):
            allowed = ", ".join(sorted(SIDEWAYS.get(own, ()))) or "nothing"
            problems.append(
                f"{imp.where}: {own} imports {target} of its own row "
                f"(row {ROWS[own]}, {ROW_NAMES[ROWS[own]]}); {own} may import {allowed} there"
            )
    check("within a row, only the imports in SIDEWAYS", problems)


def test_operations_never_touch_the_request() -> None:
    problems = []
    for path in sources():
        if package_of(path) not in OPERATIONS:
            continue
        flask_names = set()  # what `import flask [as f]` binds
        for imp in imports(path):
            if imp.module == "flask" or imp.module.startswith("flask."):
                touched = sorted(FLASK_GLOBALS.intersection(imp.names))
                problems += [f"{imp.where}: imports flask's {name}" for name in touched]
            flask_names |= {name for name, module in imp.binds if module == "flask"}
        for node in ast.walk(tree(path)):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in FLASK_GLOBALS
                and isinstance(node.value, ast.Name)
                and node.value.id in flask_names
            ):
                where = f"{shown(path)}:{node.lineno}: `{ast.unparse(node)}`"
                problems.append(f"{where}: uses flask's {node.attr}")
    rule = "operations never touch flask's request, g, session or url_for: the edge passes them"
    check(rule, problems)


def test_pure_packages_import_no_framework() -> None:
    problems = []
    for path in sources():
        if package_of(path) not in PURE:
            continue
        for imp in imports(path):
            top = imp.module.split(".")[0]
            if top in FRAMEWORKS or top.startswith("flask_"):
                problems.append(f"{imp.where}: {package_of(path)} is pure and imports {top}")
    check("pure packages import neither Flask nor SQLAlchemy", problems)


def test_mcp_imports_nothing_of_ours() -> None:
    problems = [
        f"{imp.where}: blog-mcp imports {targets(imp)[target]}; it calls the JSON API instead"
        for imp, own, target in crossings()
        if own == MCP
    ]
    check("blog/mcp imports nothing of blog outside blog/mcp", problems)


def test_nobody_imports_another_packages_private_names() -> None:
    problems = []
    for path in sources():
        own = package_of(path)
        modules: dict[str, str] = {}  # a name bound in this file -> the module of ours it is
        for imp in imports(path):
            problems += [
                f"{imp.where}: takes {name}, private to {entry_of(name)}"
                for name in imp.taken
                if entry_of(name) not in (None, own) and any(map(private, name.split(".")))
            ]
            modules |= {name: m for name, m in imp.binds if unit_of(m) and is_module(m)}
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.Attribute) and private(node.attr):
                module = module_named(node.value, modules)
                if module and unit_of(module) != own:
                    where = f"{shown(path)}:{node.lineno}: `{ast.unparse(node)}`"
                    problems.append(f"{where}: uses {node.attr}, private to {module}")
    check("nobody uses another package's _private names", problems)


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def module_named(node: ast.expr, modules: dict[str, str]) -> str | None:
    """The module of ours an expression such as `posts.write` names, if it is one."""
    if isinstance(node, ast.Name):
        return modules.get(node.id)
    if isinstance(node, ast.Attribute):
        parent = module_named(node.value, modules)
        if parent and is_module(f"{parent}.{node.attr}"):
            return f"{parent}.{node.attr}"
    return None
