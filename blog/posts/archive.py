"""The archive: an index of years, and each year's public posts month by month, in pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import Post, utcnow
from .memo import remembered
from .reads import NEWEST_FIRST, is_public

PER_PAGE = 100  # titles per page of a year: a year of a busy blog is many pages, each small


@dataclass(frozen=True)
class Year:
    year: int
    count: int


@dataclass(frozen=True)
class YearPage:
    """One page of a year: its posts grouped by month (first of the month, UTC), newest first."""

    year: int
    months: list[tuple[datetime, list[Post]]]
    number: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _in_year(year: int) -> list[ColumnElement[bool]]:
    """Return the WHERE of `year`'s public posts with one upper bound on published_at.

    With two (the year's end and now), SQLite ranges over the index up to one of them and
    filters by the other: from now back to the year, every later post is read.
    """
    start, end = _bounds(year)
    return [is_public(min(utcnow(), end - timedelta(microseconds=1))), Post.published_at >= start]


def _count(year: int) -> int:
    return db.session.scalar(select(func.count(Post.id)).where(*_in_year(year))) or 0


def _years() -> list[Year]:
    """Find each year by one index seek below the last (a skip scan), then count it."""
    found: list[Year] = []
    before: datetime | None = None
    while True:
        query = select(func.max(Post.published_at)).where(is_public())
        if before is not None:
            query = query.where(Post.published_at < before)
        newest = db.session.scalar(query)
        if newest is None:
            return found
        found.append(Year(newest.year, _count(newest.year)))
        before = _bounds(newest.year)[0]


def years() -> list[Year]:
    """Return the years that have public posts, newest first, with how many each."""
    return remembered(("archive-years",), _years)


def year_page(year: int, number: int) -> YearPage | None:
    """Return page `number` of `year`'s public posts by month; None if there is no such page."""
    if not 1 <= year <= 9998:
        return None
    total = remembered(("archive-year", year), lambda: _count(year))
    page = YearPage(year, [], number, total)
    if total == 0 or not 1 <= number <= page.pages:
        return None
    query = (
        select(Post)
        .where(*_in_year(year))
        .order_by(*NEWEST_FIRST)
        .options(defer(Post.source), defer(Post.html))
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
    )
    months: list[tuple[datetime, list[Post]]] = []
    for post in db.session.scalars(query):
        month = post.published_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if not months or months[-1][0] != month:
            months.append((month, []))
        months[-1][1].append(post)
    return YearPage(year, months, number, total)
