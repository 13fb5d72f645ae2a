"""Concurrent writers sharing tags: no error, no deadlock, no lost post, counts still exact.

Each writer is its own app on the one test database (as two gunicorn workers would be)
with an agent's token, creating and updating posts at the same moments (a barrier each
round) with tags the others use too: existing ones, and new ones all of them create at
once, in different orders. On PostgreSQL this is where row locks meet; on SQLite the
writers queue, and the counts must be as exact.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Post

from .conftest import Api
from .support.factories import author_with_token
from .test_tag_counts import check_totals, shown, truth

ROUNDS = 6
WRITERS = (("quill", "a"), ("quill", "b"), ("ink", "c"))  # two share an author


def writer_round(api: Api, name: str, n: int, mine: list[int]) -> list[int]:
    """Create a post, then retag (and unpublish or republish) an earlier one; return statuses."""
    tags = ["shared", f"new-{n}", f"new-{n}-b", "common"]
    if name != "a":
        tags.reverse()  # the same new tags, asked for in another order
    body = {"title": f"{name} {n}", "content": "Text.", "status": "published", "tags": tags}
    made = api.post("/posts", json=body)
    statuses = [made.status_code]
    if made.status_code == 201:
        mine.append(made.get_json()["id"])
    if len(mine) > 1:
        status = "draft" if n % 3 == 0 else "published"
        change = {"tags": [f"new-{n}", "shared", f"late-{n}"], "status": status}
        statuses.append(api.patch(f"/posts/{mine[-2]}", json=change).status_code)
    return statuses


def test_writers_sharing_tags_lose_nothing_and_keep_exact_counts(build_app: Any) -> None:
    apps = [build_app(POSTS_PER_HOUR_PER_AUTHOR=1000) for _ in WRITERS]  # quotas lock too
    first = Api(apps[0].test_client(), author_with_token(apps[0], {"slug": "x", "name": "X"}, "x"))
    assert first.post("/posts", json={"title": "Seed", "content": "x", "status": "published",
                                      "tags": ["shared", "common"]}).status_code == 201  # fmt: skip
    apis = [
        Api(app.test_client(), author_with_token(app, {"slug": slug, "name": slug.title()}, name))
        for app, (slug, name) in zip(apps, WRITERS, strict=True)
    ]
    barrier = threading.Barrier(len(apis), timeout=60)
    answers: dict[str, list[int]] = {name: [] for _, name in WRITERS}
    failures: list[BaseException] = []

    def run(api: Api, name: str) -> None:
        mine: list[int] = []
        try:
            for n in range(ROUNDS):
                barrier.wait()
                answers[name] += writer_round(api, name, n, mine)
        except BaseException as exc:  # reported below: a thread's error must fail the test
            failures.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=run, args=(api, name))
        for api, (_, name) in zip(apis, WRITERS, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert failures == []
    for name, statuses in answers.items():
        assert statuses == [201] + [201, 200] * (ROUNDS - 1), name
    app = apps[0]
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 1 + ROUNDS * len(WRITERS)
    assert shown(first) == truth(app)
    app.config["POSTS_PER_PAGE"] = 1
    check_totals(app, app.test_client())
