"""blog-mcp's tools: publish, preview, update, delete, list, search and read posts; tags; images.

Each tool is a method of `Tools`, a call or two to the JSON API of one blog: its signature
is the JSON-schema'd input, its docstring the description, its return type (the models
below) the structured output; `add_tools` registers each with annotations saying what it
may change.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from .client import Blog, find

MAX_FILE_BYTES = 64 * 1024 * 1024  # read no bigger file; the blog's own cap is smaller

# ---------------------------------------------------------------- what the tools answer


class PostReport(BaseModel):
    """A post as the tools report it."""

    id: int = Field(description="Pass it to update_post, delete_post and get_post")
    slug: str
    url: str = Field(description="Its page on the site (404 until it is public)")
    title: str
    status: Literal["draft", "published", "pending", "changes_requested", "rejected"] = Field(
        description="pending: waits for an operator's review; changes_requested: see review_note"
    )
    review_note: str = Field(default="", description="What the operator asks you to change")
    public: bool = Field(description="Published and its time has come")
    published_at: str | None
    updated_at: str
    lang: str
    tags: list[str]
    summary: str
    ai_usage: str = Field(default="", description="This post's override of the blog's AI usage")
    word_count: int
    reading_time_minutes: int


class PostWithSource(PostReport):
    markdown: str = Field(description="The post's markdown source")


class Published(PostReport):
    idempotency_key: str = Field(description="Call again with this key to retry safely")
    replayed: bool = Field(description="True if this key had already made the post")


class Preview(BaseModel):
    """What publishing would produce; nothing was saved."""

    slug: str
    slug_available: bool
    html: str = Field(description="The sanitized HTML the site would show")
    excerpt: str
    word_count: int
    reading_time_minutes: int
    warnings: list[str] = Field(description="What the sanitizer removed: fix these first")


class PostList(BaseModel):
    posts: list[PostReport]
    next_cursor: str | None = Field(description="Pass as cursor for the next page")


class TagCount(BaseModel):
    slug: str
    name: str
    count: int = Field(description="Public posts with this tag")


class TagList(BaseModel):
    tags: list[TagCount]


class Deleted(BaseModel):
    id: int
    deleted: bool


class Image(BaseModel):
    url: str = Field(description="Its absolute URL on the blog")
    markdown: str = Field(description="Paste this into a post's markdown")
    name: str
    content_type: str
    size: int = Field(description="Bytes")


def _report(data: dict[str, Any], model: type[PostReport] = PostReport, **extra: Any) -> Any:
    """Turn the API's JSON of a post into the tools' model of it."""
    return model.model_validate({**data, "markdown": data.get("content", ""), **extra})


# ---------------------------------------------------------------- the tools

PostId = Annotated[int, Field(ge=1, description="The post's id, from publish_post or list_posts")]
Title = Annotated[str, Field(min_length=1, description="A specific, plain title")]
Markdown = Annotated[
    str, Field(min_length=1, description="The body: CommonMark with tables and footnotes")
]
Tags = Annotated[list[str] | None, Field(description="Tag names, e.g. ['python', 'notes']")]
Lang = Annotated[str | None, Field(description="BCP 47 tag, e.g. en, zh-Hans; default: blog's")]
Summary = Annotated[str | None, Field(description="One sentence for listings and feeds")]
Slug = Annotated[str | None, Field(description="URL name, e.g. my-post; default: from title")]
AiUsage = Annotated[
    str | None,
    Field(
        max_length=100,
        description="What machines may do with this post, overriding the blog's setting:"
        " search, ai-input, ai-train each =yes or =no, e.g. 'ai-train=no'; '' keeps the blog's",
    ),
]
Key = Annotated[
    str | None,
    Field(
        pattern=r"^[ !#-\[\]-~]{1,255}$",
        description="Any unique string (a UUID is ideal). Reuse it only to retry this same call;"
        " default: a new one for this call",
    ),
]


def _writes(destructive: bool, idempotent: bool) -> ToolAnnotations:
    """Annotations of a tool that changes the blog (and nothing outside it)."""
    return ToolAnnotations(
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
CREATE = _writes(destructive=False, idempotent=False)  # a second call makes a second post
CHANGE = _writes(destructive=True, idempotent=True)  # overwrites or removes what was there
UPLOAD = _writes(destructive=False, idempotent=True)  # the same bytes get the same name


def _fields(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


class Tools:
    """The authoring tools, each a call or two to the JSON API of one blog."""

    def __init__(self, blog: Blog, allow_paths: bool) -> None:
        self.blog = blog
        self.allow_paths = allow_paths  # False for remote callers: no reading our files

    async def publish_post(
        self,
        title: Title,
        markdown: Markdown,
        tags: Tags = None,
        lang: Lang = None,
        draft: Annotated[bool, Field(description="Save as a draft, not public")] = False,
        summary: Summary = None,
        slug: Slug = None,
        idempotency_key: Key = None,
        ai_usage: AiUsage = None,
    ) -> Published:
        """Publish a new post (or save it as a draft with draft=true) and return it.

        If you do not get an answer, call again with the idempotency_key of the first
        call (returned in every answer): the blog then returns that post, never a second.
        """
        key = idempotency_key or str(uuid.uuid4())
        body = _fields(title=title, content=markdown, tags=tags, lang=lang, summary=summary)
        body.update(_fields(slug=slug, ai_usage=ai_usage), status="draft" if draft else "published")
        response = await self.blog.call(
            "POST", "/posts", json=body, headers={"Idempotency-Key": key}, retry=True
        )
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return _report(response.json(), Published, idempotency_key=key, replayed=replayed)

    async def preview_post(
        self,
        title: Title,
        markdown: Markdown,
        tags: Tags = None,
        lang: Lang = None,
        summary: Summary = None,
        slug: Slug = None,
    ) -> Preview:
        """Check and render a post without saving it: its HTML, slug and sanitizer warnings."""
        body = _fields(title=title, content=markdown, tags=tags, lang=lang, summary=summary)
        body.update(_fields(slug=slug))
        answer = await self.blog.json("POST", "/preview", json=body, retry=True)
        return Preview.model_validate(answer)

    async def update_post(
        self,
        post_id: PostId,
        title: Annotated[str | None, Field(min_length=1, description="A new title")] = None,
        markdown: Annotated[str | None, Field(min_length=1, description="A new body")] = None,
        tags: Tags = None,
        lang: Lang = None,
        draft: Annotated[
            bool | None, Field(description="true: unpublish to a draft; false: publish")
        ] = None,
        summary: Summary = None,
        slug: Slug = None,
        ai_usage: AiUsage = None,
    ) -> PostReport:
        """Change some fields of one of your posts; fields left out keep their value."""
        body = _fields(title=title, content=markdown, tags=tags, lang=lang, summary=summary)
        body.update(_fields(slug=slug, ai_usage=ai_usage))
        if draft is not None:
            body["status"] = "draft" if draft else "published"
        return _report(await self.blog.json("PATCH", f"/posts/{post_id}", json=body, retry=True))

    async def delete_post(self, post_id: PostId) -> Deleted:
        """Delete one of your posts for good (it leaves the site and the feeds)."""
        await self.blog.call("DELETE", f"/posts/{post_id}")
        return Deleted(id=post_id, deleted=True)

    async def list_posts(
        self,
        status: Annotated[
            Literal["draft", "published"] | None, Field(description="Only this status")
        ] = None,
        tag: Annotated[str | None, Field(description="Only posts with this tag slug")] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Posts per page")] = 20,
        cursor: Annotated[str | None, Field(description="next_cursor of the last page")] = None,
    ) -> PostList:
        """List your posts, drafts included, newest first."""
        params = _fields(status=status, tag=tag, limit=limit, cursor=cursor)
        page = await self.blog.json("GET", "/posts", params=params)
        posts = [_report(p) for p in page["items"]]
        return PostList(posts=posts, next_cursor=page["next_cursor"])

    async def search_posts(
        self,
        query: Annotated[str, Field(min_length=1, description="Words to find, any language")],
        limit: Annotated[int, Field(ge=1, le=100, description="How many, best first")] = 10,
    ) -> PostList:
        """Search your posts (drafts included) by title, text and tags, best match first.

        Only your newest 200 posts having every word are ranked: narrow the query for older.
        """
        page = await self.blog.json("GET", "/posts", params={"q": query, "limit": limit})
        return PostList(posts=[_report(p) for p in page["items"]], next_cursor=None)

    async def get_post(
        self,
        post_id: Annotated[int | None, Field(ge=1, description="The post's id")] = None,
        slug: Annotated[str | None, Field(description="Or its slug")] = None,
    ) -> PostWithSource:
        """Read one of your posts, with its markdown source, by id or by slug."""
        if post_id is not None:
            return _report(await self.blog.json("GET", f"/posts/{post_id}"), PostWithSource)
        if slug is not None:
            return _report(await find(self.blog, slug), PostWithSource)
        raise ToolError("give post_id or slug")

    async def list_tags(self) -> TagList:
        """List the blog's tags with their public post counts: reuse them when they fit."""
        return TagList(tags=(await self.blog.json("GET", "/tags"))["items"])

    async def upload_image(
        self,
        path: Annotated[str | None, Field(description="A PNG, JPEG, GIF or WebP file")] = None,
        data_base64: Annotated[str | None, Field(description="Or its bytes in base64")] = None,
        alt: Annotated[str | None, Field(description="What the image shows, for alt text")] = None,
    ) -> Image:
        """Upload an image to the blog; returns its URL and a markdown snippet for a post."""
        data = data_base64 if path is None else _read_image(path, self.allow_paths)
        if data is None:
            raise ToolError("give path or data_base64")
        body = _fields(data=data, alt=alt)
        return Image.model_validate(await self.blog.json("POST", "/media", json=body, retry=True))


def add_tools(server: MCPServer, blog: Blog, allow_paths: bool) -> None:
    """Register the authoring tools of `blog` on the server."""
    tools = Tools(blog, allow_paths)
    for tool, hints in [
        (tools.publish_post, CREATE),
        (tools.preview_post, READ),
        (tools.update_post, CHANGE),
        (tools.delete_post, CHANGE),
        (tools.list_posts, READ),
        (tools.search_posts, READ),
        (tools.get_post, READ),
        (tools.list_tags, READ),
        (tools.upload_image, UPLOAD),
    ]:
        server.add_tool(tool, annotations=hints)


def _read_image(path: str, allow_paths: bool) -> str:
    """Return a local file's bytes in base64."""
    if not allow_paths:
        raise ToolError("this server does not read its own files for remote callers: send data")
    file = Path(path).expanduser()
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ToolError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
        return base64.b64encode(file.read_bytes()).decode("ascii")
    except OSError as exc:
        raise ToolError(f"cannot read {path}: {exc.strerror or exc}") from exc
