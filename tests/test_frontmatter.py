"""Front-matter parsing: typed fields, fallbacks, and errors that name file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from blog.formats.frontmatter import FrontMatterError, parse_authors, parse_post

CASES = Path(__file__).parent / "posts"


def parse_case(name: str):
    path = CASES / name
    return parse_post(path.read_text(encoding="utf-8"), str(path))


def test_every_field_is_typed() -> None:
    post = parse_case("front_matter_full.md")
    assert post.fields["title"] == "Everything: set"
    assert post.fields["slug"] == "everything-set"
    assert post.fields["date"] == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert post.fields["updated"] == datetime(2026, 3, 2, tzinfo=UTC)
    assert post.fields["tags"] == ["one", "Two words"]
    assert post.fields["featured"] is True
    assert post.fields["draft"] is False
    assert post.fields["lang"] == "fr"
    assert post.body == "Body text.\n"


def test_missing_title_comes_from_the_first_heading() -> None:
    post = parse_case("title_from_heading.md")
    assert post.fields["title"] == "A title from the heading"
    assert post.fields["tags"] == ["notes"]
    assert post.body.startswith("The first paragraph.")


def test_a_file_without_front_matter_is_all_body() -> None:
    post = parse_post("# Just markdown\n\nHello.\n")
    assert post.fields == {"title": "Just markdown"}
    assert post.body == "Hello.\n"


@pytest.mark.parametrize(
    ("case", "line", "words"),
    [
        ("bad_yaml_line_4.md", 4, "invalid YAML"),
        ("unknown_key_line_3.md", 3, "unknown key 'tittle'"),
        ("wrong_type_line_3.md", 3, "expected true or false"),
        ("unclosed_front_matter.md", 1, "never closed"),
        ("no_body.md", 4, "no body"),
    ],
)
def test_errors_name_the_file_and_line(case: str, line: int, words: str) -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse_case(case)
    assert caught.value.path.endswith(case)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{caught.value.path}:{line}:")


def test_authors_file_needs_slug_and_name() -> None:
    text = "- slug: a\n  name: A\n- slug: b\n  model: X\n"
    with pytest.raises(FrontMatterError) as caught:
        parse_authors(text, "authors.yaml")
    assert caught.value.line == 3
    assert "name" in caught.value.message


def test_authors_file_is_read() -> None:
    authors = parse_authors("- slug: a\n  name: A\n  model: M\n  operator: O\n")
    assert authors == [{"slug": "a", "name": "A", "model": "M", "operator": "O"}]
