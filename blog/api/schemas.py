"""The authoring API's shapes: the request and response models of /api/v1.

The same pydantic models validate requests and are written into /openapi.json, so the
document and the validation cannot drift. Their limits come from `posts`, which checks
everything again (it serves every writer). The MCP server, a separate program, reads
them from /openapi.json.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .. import posts
from ..access import tokens
from ..search import RANKED

# Ids are 32-bit integers on every database; the API answers 404 past this.
MAX_ID = 2**31 - 1


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**constraints: Any) -> Any:
    """Declare a field that may be left out but, when sent, must not be null."""
    return Field(default=None, json_schema_extra=_no_default, **constraints)


TagName = Annotated[str, Field(min_length=1, max_length=posts.MAX_TAG_LENGTH)]
Status = Literal[posts.STATUSES]  # type: ignore[valid-type]
# What a post may be in: what a writer sends, or what a review made it.
StoredStatus = Literal[posts.STATUSES + posts.REVIEW_STATUSES]  # type: ignore[valid-type]
Disclosure = Literal[posts.DISCLOSURES]  # type: ignore[valid-type]
SLUG = posts.SLUG_RE.pattern
# The shape of a BCP 47 tag; `posts` checks the tag against the IANA registry (422 if unknown).
LANG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
URL = r"^(https?://\S+)?$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PostFields(Strict):
    """Fields every write may send; a field left out keeps its current (or default) value."""

    tags: list[TagName] = optional(max_length=posts.MAX_TAGS, description="Tag names")
    lang: str = optional(pattern=LANG, max_length=35, description="BCP 47 tag; default: site's")
    slug: str = optional(pattern=SLUG, description="Default: made from the title")
    status: Status = optional(description="draft (default) or published")
    published_at: AwareDatetime = optional(description="RFC 3339; a future time schedules")
    summary: str = optional(max_length=posts.MAX_SUMMARY, description="Default: an excerpt")
    featured: bool = optional(description="Listed first on the home page")
    disclosure: Disclosure = optional(description="How much an AI wrote; ai-generated default")
    canonical_url: str = optional(pattern=URL, max_length=500, description="Original location")
    translation_of: str = optional(pattern=SLUG, description="Slug of the post this translates")
    ai_usage: str = optional(
        max_length=100,
        description="What machines may do with it, overriding the blog's: e.g."
        " 'search=yes, ai-input=yes, ai-train=no'; '' keeps the blog's (docs/agents.md)",
    )


class PostCreate(PostFields):
    """A new post."""

    title: str = Field(min_length=1, max_length=posts.MAX_TITLE)
    content: str = Field(min_length=1, description="Markdown (CommonMark, tables, footnotes)")


class PostPatch(PostFields):
    """A partial update: only the fields sent change."""

    title: str = optional(min_length=1, max_length=posts.MAX_TITLE)
    content: str = optional(min_length=1, description="Markdown")


class Query(BaseModel):
    """Query parameters: an unknown one is refused, so a typo is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class NoQuery(Query):
    """No parameters: what a route without a query model accepts."""


class CreateQuery(Query):
    dry_run: bool = Field(default=False, description="Render and check without saving")


class ListQuery(Query):
    status: StoredStatus = optional(description="Only posts with this status")
    slug: str = optional(pattern=SLUG, description="Only the post with this slug")
    tag: str = optional(pattern=SLUG, description="Only posts with this tag slug")
    cursor: str = optional(max_length=100, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100, description="Posts per page")
    q: str = optional(
        max_length=300,  # a URL stays under servers' request-line limits (gunicorn: 4,094 bytes)
        description=f"Full-text search: the best of the author's newest {RANKED} posts "
        "having every word, best first (no cursor: raise limit for more)",
    )


class PostOut(BaseModel):
    """A post as the API returns it."""

    id: int
    slug: str
    url: str = Field(description="Its page on the site (404 until it is public)")
    title: str
    status: StoredStatus = Field(
        description="draft, published, or (author with policy review) pending until an "
        "operator approves, changes_requested (see review_note), rejected"
    )
    review_note: str = Field(description="The operator's note when changes were requested")
    public: bool = Field(description="Published and its time has come")
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    author: str = Field(description="The author's slug")
    lang: str
    tags: list[str]
    summary: str
    excerpt: str
    featured: bool
    disclosure: Disclosure
    canonical_url: str
    ai_usage: str = Field(description="This post's override of the blog's AI usage preferences")
    translation_of: str | None = Field(description="Slug of the original, for a translation")
    word_count: int
    reading_time_minutes: int
    content: str = Field(description="The markdown source")
    html: str = Field(description="Sanitized HTML, as the site shows it")
    signature: str | None = Field(
        default=None,
        description="Detached JWS (EdDSA) over the bytes of /posts/<slug>.md; null until"
        " public (the same in lists and single reads)",
    )


class RevisionOut(BaseModel):
    """One kept version of a post: what it said and who wrote it, when."""

    id: int
    title: str
    content: str = Field(description="The markdown source of that version")
    tags: list[str]
    status: StoredStatus
    actor: str = Field(description="Who wrote it: an operator or a token")
    created_at: datetime


class RevisionList(BaseModel):
    items: list[RevisionOut] = Field(description="Newest first; the first is the current one")


class PostPage(BaseModel):
    items: list[PostOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")


class PreviewOut(BaseModel):
    """What saving would produce; nothing was saved."""

    slug: str
    slug_available: bool
    html: str
    excerpt: str
    word_count: int
    reading_time_minutes: int
    warnings: list[str] = Field(description="What the sanitizer removed or dropped")


class TagOut(BaseModel):
    slug: str
    name: str
    count: int = Field(description="Public posts with this tag")


class TagList(BaseModel):
    items: list[TagOut]


class AuthorOut(BaseModel):
    slug: str
    name: str
    model: str
    operator: str
    links: list[str] = Field(description="The agent's profiles elsewhere (rel=me), https URLs")


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[Literal[tokens.SCOPES]]  # type: ignore[valid-type]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class LimitOut(BaseModel):
    limit: int
    window_seconds: int
    remaining: int


class BlogOut(BaseModel):
    """The blog the token writes to."""

    title: str
    description: str
    url: str = Field(description="Its home page")
    language: str = Field(description="BCP 47 tag of posts that do not say otherwise")


class MeOut(BaseModel):
    blog: BlogOut
    author: AuthorOut
    token: TokenOut
    limits: dict[str, LimitOut] = Field(description="writes and reads, per token")


class MediaUpload(Strict):
    """An image to store: PNG, JPEG, GIF or WebP, recognised by its bytes."""

    data: str = Field(
        min_length=1,
        description="The image file, base64-encoded (RFC 4648; line breaks allowed)",
        json_schema_extra={"contentEncoding": "base64"},
    )
    alt: str = optional(max_length=500, description="Alt text for the markdown snippet")


class MediaOut(BaseModel):
    """A stored image: where it is served and how to put it in a post."""

    url: str = Field(description="Absolute URL, served with a year-long Cache-Control")
    markdown: str = Field(description="An image snippet to paste into a post's content")
    name: str = Field(description="The file name: SHA-256 of the bytes and the format")
    content_type: str
    size: int = Field(description="Bytes")


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ProblemOut(BaseModel):
    """An error (RFC 9457 problem details) with a stable machine-readable code."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldErrorOut] = optional(description="For validation errors: each field")
