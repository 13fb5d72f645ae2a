"""A bounded schemathesis run against the API under gunicorn: no 5xx, nothing off the document.

Own module: its server and database live for the whole module, apart from other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select

from blog import create_app, posts
from blog.api import openapi
from blog.extensions import db
from blog.models import Author

from .support.live import served_blog

pytestmark = pytest.mark.slow
EXAMPLES = 5


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Serve a fresh database with one author and an all-scopes token; yield (url, token)."""
    folder = tmp_path_factory.mktemp("fuzz")
    # Generous limits: the run must see the API's answers, not a wall of 429s.
    limits = {"API_WRITE_LIMIT": "100000 per minute", "API_READ_LIMIT": "100000 per minute"}
    limits["BAD_TOKEN_LIMIT"] = "100000 per minute"
    author = {"slug": "fuzzer", "name": "Fuzzer"}
    with served_blog(folder, author, **limits) as (app, base, raw):
        with app.app_context():
            fuzzer = db.session.scalar(select(Author))
            posts.create_post(
                fuzzer, {"title": "Seed", "content": "A post to find.", "tags": ["a"]}
            )
        yield base, raw


def document() -> dict[str, Any]:
    """Build the document the way the server does (pytest 9 breaks schemathesis' lazy loader)."""
    app = create_app({"SECRET_KEY": "fuzz", "DATABASE_URL": "sqlite://", "TESTING": True})
    return openapi.document(app)


# Every check but one: a schema-valid request may still be refused for what no schema can
# say (a cursor never given out, a stale If-Match, control characters posts.py rejects).
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": EXAMPLES},
        "checks": {"positive_data_acceptance": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


def test_the_server_serves_this_document(live_api: tuple[str, str]) -> None:
    served = requests.get(f"{live_api[0]}/openapi.json", timeout=30).json()
    assert {**served, "servers": []} == {**document(), "servers": []}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(case: Any, live_api: tuple[str, str]) -> None:
    base, token = live_api
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"})
