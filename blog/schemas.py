"""The authoring API's shapes: request and response models, problems, post serialization.

The same pydantic models validate requests and are written into /openapi.json, so the
document and the validation cannot drift. Their limits come from posts.py, which checks
everything again (it serves every writer). Micropub can reuse them in-process; the MCP
server, a separate program, reads them from /openapi.json.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import HTTPException

from . import posts, queries, tokens
from .models import Post, Token, utcnow

M = TypeVar("M", bound=BaseModel)
# Ids are 32-bit integers on every database; the API answers 404 past this.
MAX_ID = 2**31 - 1
CURSOR_RE = re.compile(r"^p(\d{1,10})$")
# Our bodies nest two levels (an object holding a list of tags); deeper is refused by name.
MAX_JSON_DEPTH = 8
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_INNERMOST = re.compile(r"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")


class Problem(HTTPException):
    """An API refusal: status, stable code, detail, field errors and extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = status
        self.problem_code = code
        self.errors = errors or []
        self.headers = headers or {}


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**constraints: Any) -> Any:
    """Declare a field that may be left out but, when sent, must not be null."""
    return Field(default=None, json_schema_extra=_no_default, **constraints)


Tag = Annotated[str, Field(min_length=1, max_length=posts.MAX_TAG_LENGTH)]
Status = Literal[posts.STATUSES]  # type: ignore[valid-type]
Disclosure = Literal[posts.DISCLOSURES]  # type: ignore[valid-type]
SLUG = posts.SLUG_RE.pattern
# The shape of a BCP 47 tag; posts.py checks the tag against the IANA registry (422 if unknown).
LANG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
URL = r"^(https?://\S+)?$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PostFields(Strict):
    """Fields every write may send; a field left out keeps its current (or default) value."""

    tags: list[Tag] = optional(max_length=posts.MAX_TAGS, description="Tag names")
    lang: str = optional(pattern=LANG, max_length=35, description="BCP 47 tag; default: site's")
    slug: str = optional(pattern=SLUG, description="Default: made from the title")
    status: Status = optional(description="draft (default) or published")
    published_at: AwareDatetime = optional(description="RFC 3339; a future time schedules")
    summary: str = optional(max_length=posts.MAX_SUMMARY, description="Default: an excerpt")
    featured: bool = optional(description="Listed first on the home page")
    disclosure: Disclosure = optional(description="How much an AI wrote; ai-generated default")
    canonical_url: str = optional(pattern=URL, max_length=500, description="Original location")
    translation_of: str = optional(pattern=SLUG, description="Slug of the post this translates")


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


class CreateQuery(Query):
    dry_run: bool = Field(default=False, description="Render and check without saving")


class ListQuery(Query):
    status: Status = optional(description="Only posts with this status")
    slug: str = optional(pattern=SLUG, description="Only the post with this slug")
    tag: str = optional(pattern=SLUG, description="Only posts with this tag slug")
    cursor: str = optional(max_length=100, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100, description="Posts per page")


class PostOut(BaseModel):
    """A post as the API returns it."""

    id: int
    slug: str
    url: str = Field(description="Its page on the site (404 until it is public)")
    title: str
    status: Status
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
    translation_of: str | None = Field(description="Slug of the original, for a translation")
    word_count: int
    reading_time_minutes: int
    content: str = Field(description="The markdown source")
    html: str = Field(description="Sanitized HTML, as the site shows it")


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


class MeOut(BaseModel):
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


# ---------------------------------------------------------------- reading requests


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Turn pydantic's errors into [{field, message}], fields dotted (tags.2)."""
    return [
        {"field": ".".join(str(part) for part in e["loc"]) or "body", "message": e["msg"]}
        for e in exc.errors(include_url=False)
    ]


def invalid(errors: list[dict[str, str]], detail: str = "") -> Problem:
    """Return the 422 problem for field errors."""
    detail = detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Problem(422, "validation_failed", detail, errors)


def read_json(model: type[M], raw: bytes) -> M:
    """Parse a UTF-8 JSON body into `model`; raise Problem 400 or 422 on bad input."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "invalid_utf8", f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        broken = [e for e in exc.errors(include_url=False) if e["type"] == "json_invalid"]
        # The parser (jiter) stops at 200 levels; our own limit is far smaller.
        if (broken and "recursion limit" in broken[0]["msg"]) or (
            not broken and nests_deeper(text, MAX_JSON_DEPTH)
        ):
            detail = f"the JSON nests deeper than {MAX_JSON_DEPTH} levels"
            raise Problem(400, "json_too_deep", detail) from None
        if broken:
            raise Problem(400, "malformed_json", broken[0]["msg"]) from None
        raise invalid(field_errors(exc)) from None


def nests_deeper(text: str, limit: int) -> bool:
    """Tell whether well-formed JSON nests arrays and objects deeper than `limit`."""
    rest = _JSON_STRING.sub("", text)  # linear on valid JSON: every quote opens a string
    for _ in range(limit):
        rest, peeled = _INNERMOST.subn("", rest)
        if not peeled:
            return False
    return bool(_INNERMOST.search(rest))


def read_query(model: type[M], args: Mapping[str, str]) -> M:
    """Validate query parameters (first value of each) into `model`, or raise a 422."""
    try:
        return model.model_validate(dict(args.items()))
    except ValidationError as exc:
        raise invalid(field_errors(exc)) from None


def encode_cursor(last_id: int) -> str:
    """Return the opaque cursor of the page after the post `last_id`."""
    return base64.urlsafe_b64encode(f"p{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the post id a cursor points below, or raise a 422."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = CURSOR_RE.match(text)
    if not match or int(match.group(1)) > MAX_ID:
        raise invalid([{"field": "cursor", "message": "not a cursor this API gave out"}])
    return int(match.group(1))


def post_errors(exc: posts.InvalidPost) -> Problem:
    """Return the 422 problem for a post posts.py refused, with its code (nesting_too_deep…)."""
    problem = invalid([{"field": e.field, "message": e.message} for e in exc.errors])
    problem.problem_code = exc.code
    return problem


# ---------------------------------------------------------------- writing responses


def utc(moment: datetime) -> datetime:
    """Express a moment in UTC, so a post reads the same before and after it is stored."""
    return moment.astimezone(UTC)


def post_out(post: Post, url: str, now: datetime | None = None) -> PostOut:
    """Serialize a post; `url` is its page on the site."""
    moment = post.published_at
    public = post.status == "published" and moment is not None and moment <= (now or utcnow())
    return PostOut(
        id=post.id,
        slug=post.slug,
        url=url,
        title=post.title,
        status=post.status,
        public=public,
        published_at=utc(post.published_at) if post.published_at else None,
        created_at=utc(post.created_at),
        updated_at=utc(post.updated_at),
        author=post.author.slug,
        lang=post.lang,
        tags=[tag.name for tag in post.tags],
        summary=post.summary,
        excerpt=post.excerpt,
        featured=post.featured,
        disclosure=post.disclosure,
        canonical_url=post.canonical_url,
        translation_of=_original_slug(post),
        word_count=post.word_count,
        reading_time_minutes=post.reading_minutes,
        content=post.source,
        html=post.html,
    )


def _original_slug(post: Post) -> str | None:
    if post.translation_of_id is None:
        return None
    original = queries.post_by_id(post.translation_of_id)
    return original.slug if original else None


def preview_out(preview: posts.Preview) -> PreviewOut:
    """Serialize what a dry run found."""
    return PreviewOut(
        slug=preview.slug,
        slug_available=not preview.slug_taken,
        html=preview.html,
        excerpt=preview.excerpt,
        word_count=preview.word_count,
        reading_time_minutes=preview.reading_minutes,
        warnings=list(preview.warnings),
    )


def me_out(token: Token, limits: dict[str, dict[str, int]]) -> MeOut:
    """Serialize what GET /me tells a token about itself."""
    author = token.author
    return MeOut(
        author=AuthorOut(
            slug=author.slug, name=author.name, model=author.model, operator=author.operator
        ),
        token=TokenOut(
            id=token.id,
            name=token.name,
            scopes=token.scopes.split(),
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        ),
        limits={name: LimitOut(**limit) for name, limit in limits.items()},
    )
