"""posts.py: the one writer of posts, its refusals, and the public reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from blog import posts
from blog.extensions import db
from blog.models import Post, Tag
from blog.posts import reads

from .conftest import days_ago
from .support.factories import count_posts


def test_a_saved_post_carries_its_rendering_and_counts(app: Flask, make_post) -> None:
    words = " ".join(["word"] * 600)
    post = make_post(title="Counting", content=f"{words}\n\n![a](/a.png)", tags=["Go", "go"])
    with app.app_context():
        stored = db.session.get(Post, post.id)
        assert stored.word_count == 600  # an image's alt text is covered by its own allowance
        assert stored.reading_minutes == 3
        assert stored.image_count == 1
        assert "<img" in stored.html and 'loading="lazy"' in stored.html
        assert [tag.slug for tag in stored.tags] == ["go"]  # one tag per slug
        assert stored.published_at.tzinfo is not None
        assert stored.updated_at.tzinfo is not None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"content": ""}, "content"),
        ({"title": "x" * 301}, "title"),
        ({"title": "bad \x00 nul"}, "title"),
        ({"content": "lone \ud800 surrogate"}, "content"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"lang": "english!"}, "lang"),
        ({"status": "live"}, "status"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"tags": "not-a-list"}, "tags"),
        ({"published_at": datetime(2026, 1, 1)}, "published_at"),
    ],
)
def test_bad_input_is_refused_naming_the_field(app: Flask, make_post, values, field) -> None:
    with pytest.raises(posts.InvalidPost) as caught:
        make_post(**values)
    assert field in [error.field for error in caught.value.errors]
    assert count_posts(app) == 0


def test_an_explicit_duplicate_slug_is_a_conflict(app: Flask, make_post) -> None:
    make_post(slug="same")
    with pytest.raises(posts.SlugTaken):
        make_post(slug="same")
    assert count_posts(app) == 1


def test_derived_slugs_are_made_unique(make_post) -> None:
    first = make_post(title="Same title")
    second = make_post(title="Same title")
    assert (first.slug, second.slug) == ("same-title", "same-title-2")


def test_a_chinese_title_gets_a_stable_ascii_slug(make_post) -> None:
    post = make_post(title="中文文章的阅读时间")
    assert post.slug == "zhong-wen-wen-zhang-de-yue-du-shi-jian"


def test_right_to_left_languages_get_rtl(make_post) -> None:
    assert make_post(lang="ar").direction == "rtl"
    assert make_post(lang="he-IL").direction == "rtl"
    assert make_post(lang="zh-Hans").direction == "ltr"


def test_update_rerenders_and_bumps_updated_at(app: Flask, make_post) -> None:
    post = make_post(content="old words here")
    before = post.updated_at
    with app.app_context():
        updated = posts.update_post(post, {"content": "new *words*", "tags": ["fresh"]})
        assert "<em>words</em>" in updated.html
        assert updated.updated_at > before
        assert [t.name for t in updated.tags] == ["fresh"]


def test_publishing_without_a_date_publishes_now(app: Flask, make_post) -> None:
    post = make_post(status="draft", published_at=None)
    assert post.published_at is None
    with app.app_context():
        published = posts.update_post(post, {"status": "published"})
        assert datetime.now(UTC) - published.published_at < timedelta(seconds=30)


def test_drafts_and_future_posts_are_not_public(app: Flask, make_post) -> None:
    make_post(title="Public")
    make_post(title="Draft", status="draft")
    make_post(title="Scheduled", published_at=datetime.now(UTC) + timedelta(hours=1))
    with app.app_context():
        page = reads.home_page(1, 10)
        assert [p.title for p in page.items] == ["Public"]
        assert reads.public_post("draft") is None
        assert reads.public_post("scheduled") is None
        year = datetime.now(UTC).year
        found = posts.archive.year_page(year, 1) or posts.archive.year_page(year - 1, 1)
        assert [p.title for _, month in found.months for p in month] == ["Public"]


def test_home_shows_featured_first_then_newest(app: Flask, make_post) -> None:
    make_post(title="Old featured", featured=True, published_at=days_ago(30))
    make_post(title="Newest", published_at=days_ago(1))
    make_post(title="Older", published_at=days_ago(5))
    with app.app_context():
        titles = [p.title for p in reads.home_page(1, 10).items]
    assert titles == ["Old featured", "Newest", "Older"]


def test_tag_counts_only_count_public_posts(app: Flask, make_post) -> None:
    make_post(tags=["a", "b"])
    make_post(tags=["a"])
    make_post(tags=["a", "c"], status="draft")
    with app.app_context():
        counts = {tag.slug: n for tag, n in reads.tags_with_counts()}
        assert counts == {"a": 2, "b": 1}
        assert db.session.scalar(select(func.count(Tag.id))) == 3


def test_the_version_changes_when_a_scheduled_post_comes_due(app: Flask, make_post) -> None:
    make_post()
    make_post(published_at=datetime.now(UTC) + timedelta(seconds=1))
    with app.app_context():
        before = reads.public_version()
        # It comes due without any write through posts.py: only the clock moves past it.
        db.session.execute(
            Post.__table__.update().values(published_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
        assert reads.public_version() != before


def test_delete_hides_the_post_and_restore_brings_it_back(app: Flask, make_post) -> None:
    post = make_post(tags=["keep"])
    with app.app_context():
        posts.delete_post(post)
        hidden = db.session.get(Post, post.id)
        assert hidden.status == "deleted" and reads.public_post(post.slug) is None
        assert reads.get_tag("keep") is not None
        posts.delete_post(post)  # twice: nothing more happens
        restored = posts.restore_post(post)
        assert restored.status == "published" and reads.public_post(post.slug) is not None
        with pytest.raises(posts.NotDeleted):
            posts.restore_post(post)


def test_disclosure_defaults_to_ai_generated_and_is_validated(app: Flask, make_post) -> None:
    assert make_post().disclosure == "ai-generated"
    assert make_post(disclosure="ai-assisted").disclosure == "ai-assisted"
    with pytest.raises(posts.InvalidPost) as caught:
        make_post(disclosure="robot")
    assert caught.value.errors[0].field == "disclosure"


def test_a_title_used_many_times_gets_the_next_free_number_in_one_query(app, make_post) -> None:
    made = [make_post(title="Weekly notes").slug for _ in range(40)]
    assert made == ["weekly-notes"] + [f"weekly-notes-{n}" for n in range(2, 41)]
    asked: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM posts WHERE posts.slug" in " ".join(statement.split()):
            asked.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert make_post(title="Weekly notes").slug == "weekly-notes-41"
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(asked) == 2  # base … base-32, then base-33 … base-64: not one query a number
