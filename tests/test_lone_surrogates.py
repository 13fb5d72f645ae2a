"""Lone surrogates reaching posts.py in-process (not through JSON, whose parser refuses them).

A command-line argument that is not UTF-8 arrives as lone surrogates (surrogateescape); any
in-process writer may pass them. Each text field refuses them by name, nothing is stored.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from blog import posts
from blog.extensions import db
from blog.models import Author

from .support.factories import count_posts

LONE = "bad \udcff byte"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": LONE}, "title"),
        ({"summary": LONE}, "summary"),
        ({"tags": ["fine", LONE]}, "tags"),
        ({"canonical_url": "https://x.example/" + LONE}, "canonical_url"),
    ],
)
def test_a_lone_surrogate_in_any_field_is_refused_by_name(app: Flask, make_post, values, field):
    with pytest.raises(posts.InvalidPost) as caught:
        make_post(**values)
    assert field in [error.field for error in caught.value.errors]
    assert count_posts(app) == 0


def test_a_command_line_argument_that_is_not_utf8_is_refused(app: Flask, runner) -> None:
    result = runner.invoke(args=["create-author", "--slug", "scribe", "--name", LONE])
    assert result.exit_code != 0 and "name" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Author.id))) == 0
