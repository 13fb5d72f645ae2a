"""blog-mcp driven by the MCP SDK's own client, over stdio and streamable HTTP, against gunicorn.

Own module: one blog and database serve every test here, apart from other tests.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import requests
from flask import Flask
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from blog import posts
from blog.access import tokens
from blog.mcp.server import parse_args, server_from_args

from .support.asserts import front_matter
from .support.live import ROOT, free_port, served_blog
from .support.mcp import BLOG_MCP, blog_mcp_http
from .support.oauth import Flow

pytestmark = pytest.mark.slow
IMAGE = ROOT / "blog" / "static" / "social-card.png"
TOOLS = {
    "publish_post", "preview_post", "update_post", "delete_post",
    "list_posts", "search_posts", "get_post", "list_tags", "upload_image",
}  # fmt: skip


@dataclass(frozen=True)
class Blog:
    url: str
    token: str
    folder: Path
    errors: Any  # blog-mcp's stderr, kept for a failing test to show
    app: Flask  # on the live blog's database: registers blog-mcp --http, approves its clients
    mcp_port: int  # where blog-mcp --http listens, the MCP resource the blog issues tokens for

    @property
    def mcp_url(self) -> str:
        return f"http://127.0.0.1:{self.mcp_port}/mcp"


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Blog]:
    """Serve a fresh database with one author and an all-scopes token."""
    folder = tmp_path_factory.mktemp("mcp")
    author = {"slug": "quill", "name": "Quill", "model": "Claude"}
    port = free_port()
    mcp_url = f"http://127.0.0.1:{port}/mcp"
    with (
        served_blog(folder, author, MCP_URL=mcp_url) as (app, base, raw),
        open(folder / "blog-mcp.stderr", "a") as errors,
    ):
        app.config["MCP_URL"] = mcp_url  # as the served blog knows it: the tokens' resource
        yield Blog(base, raw, folder, errors, app, port)
    log = (folder / "instance" / "gunicorn.log").read_text()
    assert "Traceback" not in log.split("Handling signal")[0], log


def over_stdio(blog: Blog, token: str | None = None) -> Any:
    """Launch blog-mcp as a subprocess speaking MCP on its stdin and stdout."""
    env = {"BLOG_URL": blog.url, "BLOG_TOKEN": blog.token if token is None else token}
    params = StdioServerParameters(command=str(BLOG_MCP), env=env)
    return Client(stdio_client(params, errlog=blog.errors))


def run(session: Any, steps: Callable[[Client], Awaitable[None]]) -> None:
    """Open the client session and run the steps in it."""

    async def go() -> None:
        async with session as client:
            await steps(client)

    # In a thread of its own: the browser tests' Playwright keeps an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(anyio.run, go).result()


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured output."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


# ---------------------------------------------------------------- stdio


def test_an_agent_writes_and_manages_posts_over_stdio(blog: Blog) -> None:
    async def steps(client: Client) -> None:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(listed) == TOOLS
        publish = listed["publish_post"]
        assert publish.input_schema["required"] == ["title", "markdown"]
        assert "idempotency_key" in publish.input_schema["properties"]
        assert publish.output_schema["properties"]["url"]["type"] == "string"
        assert publish.annotations.read_only_hint is False
        assert publish.annotations.idempotent_hint is False
        assert listed["list_posts"].annotations.read_only_hint is True
        assert listed["delete_post"].annotations.destructive_hint is True
        assert listed["update_post"].annotations.idempotent_hint is True
        assert all(tool.description for tool in listed.values())

        preview = await call(client, "preview_post", title="Hi", markdown="<script>x</script>ok")
        assert preview["slug"] == "hi" and preview["warnings"]

        post = await call(
            client, "publish_post", title="Hello from MCP", markdown="First *words*.\n",
            tags=["mcp", "notes"], summary="A first post.",
        )  # fmt: skip
        assert post["public"] and post["status"] == "published"
        page = requests.get(post["url"], timeout=30)
        assert page.status_code == 200 and "Hello from MCP" in page.text

        changed = await call(client, "update_post", post_id=post["id"], title="Hello again")
        assert changed["title"] == "Hello again" and changed["slug"] == post["slug"]
        assert "ai_usage" in listed["update_post"].input_schema["properties"]
        opted = await call(client, "update_post", post_id=post["id"], ai_usage="ai-train=yes")
        assert opted["ai_usage"] == "ai-train=yes"
        assert "train-ai=y" in requests.get(post["url"], timeout=30).headers["Content-Usage"]
        assert "Hello again" in requests.get(post["url"], timeout=30).text

        read = await client.read_resource(f"blog://posts/{post['slug']}", cache_mode="bypass")
        meta, body = front_matter(read.contents[0].text)
        assert read.contents[0].mime_type == "text/markdown"
        assert meta["title"] == "Hello again" and meta["tags"] == ["mcp", "notes"]
        assert meta["author"] == "quill" and body == "First *words*.\n"
        recent = await client.read_resource("blog://posts", cache_mode="bypass")
        assert f"blog://posts/{post['slug']}" in recent.contents[0].text

        again = await call(client, "get_post", slug=post["slug"])
        assert again["id"] == post["id"] and again["markdown"] == "First *words*.\n"
        found = await call(client, "search_posts", query="words hello")
        assert [p["id"] for p in found["posts"]] == [post["id"]]
        assert (await call(client, "search_posts", query='" OR *'))["posts"] == []
        tags = await call(client, "list_tags")
        assert {"slug": "mcp", "name": "mcp", "count": 1} in tags["tags"]

        image = await call(client, "upload_image", path=str(IMAGE), alt="The [blog] card")
        served = requests.get(image["url"], timeout=30)
        assert served.content == IMAGE.read_bytes()
        assert served.headers["Content-Type"] == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert image["markdown"] == f"![The \\[blog\\] card]({image['url']})"

        prompt = await client.get_prompt("write_post", {"topic": "caching"})
        text = prompt.messages[0].content.text
        assert "first person" in text and "caching" in text and "mcp" in text
        # The blog's name is filled in from GET /api/v1/me (issue 19: it stayed "{title}").
        assert "{title}" not in text and "writing a post for agentblog," in text

        refused = await client.call_tool(
            "update_post", {"post_id": post["id"], "lang": "not a language"}
        )
        assert refused.is_error and "code: validation_failed" in refused.content[0].text
        assert "lang" in refused.content[0].text

        assert (await call(client, "delete_post", post_id=post["id"]))["deleted"] is True
        assert requests.get(post["url"], timeout=30).status_code == 404
        gone = await client.call_tool("get_post", {"post_id": post["id"]})
        assert gone.is_error and "not_found" in gone.content[0].text
        with pytest.raises(MCPError, match="no post with the slug"):
            await client.read_resource(f"blog://posts/{post['slug']}", cache_mode="bypass")

    run(over_stdio(blog), steps)


def test_a_retried_publish_with_the_same_key_makes_one_post(blog: Blog) -> None:
    arguments = {"title": "Only once", "markdown": "Sent twice.", "idempotency_key": "k-1"}

    async def steps(client: Client) -> None:
        first = await call(client, "publish_post", **arguments)
        second = await call(client, "publish_post", **arguments)
        assert (first["replayed"], second["replayed"]) == (False, True)
        assert second["id"] == first["id"] and second["idempotency_key"] == "k-1"
        other = await call(client, "publish_post", title="Only once", markdown="Sent twice.")
        assert other["id"] != first["id"] and other["idempotency_key"] != "k-1"
        listed = await call(client, "list_posts", limit=100)
        assert sum(p["title"] == "Only once" for p in listed["posts"]) == 2

    run(over_stdio(blog), steps)


class LosesFirstAnswer(BaseHTTPRequestHandler):
    """Pass requests to the blog, but hang up instead of answering the first post created."""

    upstream = ""
    lost: list[str] = []

    def forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = requests.request(
            self.command, self.upstream + self.path, headers=headers, data=body, timeout=60
        )
        if self.command == "POST" and self.path == "/api/v1/posts" and not self.lost:
            self.lost.append(answer.json()["slug"])
            self.close_connection = True
            return  # the post exists, but its answer never reaches blog-mcp
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_PATCH = do_DELETE = forward

    def log_message(self, *args: Any) -> None:
        pass


HOP_BY_HOP = {"connection", "content-length", "content-encoding", "transfer-encoding", "host"}


def test_an_answer_lost_on_the_way_is_retried_without_a_second_post(blog: Blog) -> None:
    LosesFirstAnswer.upstream, LosesFirstAnswer.lost = blog.url, []
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), LosesFirstAnswer)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    through_proxy = replace(blog, url=f"http://127.0.0.1:{proxy.server_port}")

    async def steps(client: Client) -> None:
        post = await call(client, "publish_post", title="Lost answer", markdown="Once.")
        assert LosesFirstAnswer.lost == [post["slug"]]
        assert post["replayed"] is True
        listed = await call(client, "list_posts", limit=100)
        assert [p["id"] for p in listed["posts"] if p["title"] == "Lost answer"] == [post["id"]]

    try:
        run(over_stdio(through_proxy), steps)
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_a_bad_token_gives_a_readable_tool_error(blog: Blog) -> None:
    async def steps(client: Client) -> None:
        result = await client.call_tool("publish_post", {"title": "No", "markdown": "No."})
        assert result.is_error
        text = result.content[0].text
        assert "the token is not valid" in text and "code: token_invalid" in text, text
        with pytest.raises(MCPError, match="token_invalid"):
            await client.read_resource("blog://posts", cache_mode="bypass")

    run(over_stdio(blog, token="ab_" + "x" * 43), steps)


def test_a_token_over_its_quota_gets_a_readable_tool_error(blog: Blog) -> None:
    with blog.app.app_context():
        author = posts.reads.get_author("quill")
        raw, _ = tokens.issue(author, tokens.SCOPES, None, "capped", quotas=(None, 1))

    async def steps(client: Client) -> None:
        await call(client, "publish_post", title="The day's one", markdown="Hi.")
        result = await client.call_tool(
            "publish_post", {"title": "One too many", "markdown": "No."}
        )
        assert result.is_error
        text = result.content[0].text
        assert "code: quota_exceeded" in text and "1 posts per day" in text, text

    run(over_stdio(blog, token=raw), steps)
    assert requests.get(f"{blog.url}/posts/one-too-many", timeout=30).status_code == 404


# ---------------------------------------------------------------- streamable HTTP


@pytest.fixture(scope="module")
def http_server(blog: Blog) -> Iterator[str]:
    """Run `blog-mcp --http`, the blog's OAuth resource server; yield its /mcp URL."""
    log = blog.folder / "blog-mcp-http.log"
    with blog_mcp_http(blog.app, blog.url, blog.mcp_port, blog.mcp_url, log):
        yield blog.mcp_url


def mcp_token(blog: Blog) -> str:
    """Return an access token the blog issued, through its consent page, for blog-mcp."""
    flow = Flow(blog.app.test_client())
    with blog.app.app_context():
        assert flow.register().status_code == 201
        scopes = "posts:read posts:write posts:publish posts:delete"
        return flow.tokens(resource=blog.mcp_url, scope=scopes)["access_token"]


@asynccontextmanager
async def over_http(url: str, token: str) -> AsyncIterator[Client]:
    """Connect to blog-mcp's /mcp with this bearer token."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            yield client


def test_an_agent_with_a_token_for_blog_mcp_works_over_http(blog: Blog, http_server: str) -> None:
    async def steps(client: Client) -> None:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
        post = await call(client, "publish_post", title="Over HTTP", markdown="Hi.", draft=True)
        assert post["status"] == "draft" and not post["public"]
        assert requests.get(post["url"], timeout=30).status_code == 404
        published = await call(client, "update_post", post_id=post["id"], draft=False)
        assert published["public"]
        read = await client.read_resource(f"blog://posts/{post['slug']}", cache_mode="bypass")
        assert front_matter(read.contents[0].text)[0]["title"] == "Over HTTP"
        data = base64.b64encode(IMAGE.read_bytes()).decode()
        image = await call(client, "upload_image", data_base64=data)
        assert requests.get(image["url"], timeout=30).content == IMAGE.read_bytes()
        assert (await call(client, "delete_post", post_id=post["id"]))["deleted"]

    run(over_http(http_server, mcp_token(blog)), steps)


@pytest.mark.parametrize("which", ["the blog's API token", "a made-up token", "no token"])
def test_over_http_only_tokens_issued_for_blog_mcp_are_accepted(
    blog: Blog, http_server: str, which: str
) -> None:
    """blog-mcp never passes a caller's token on: the blog's own API token gets 401 too."""
    token = {"the blog's API token": blog.token, "a made-up token": "ab_" + "x" * 43}.get(which)
    headers = {"Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    answer = requests.post(http_server, json=body, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert 'resource_metadata="' in answer.headers["WWW-Authenticate"]


# ---------------------------------------------------------------- the command line, in-process


def test_the_write_post_prompt_text_comes_from_a_file(tmp_path: Path) -> None:
    voice = tmp_path / "voice.md"
    voice.write_text("Write like a lighthouse keeper: short lines, weather first.\n")
    args = parse_args(["--prompt-file", str(voice), "--url", "http://127.0.0.1:9"])

    async def steps(client: Client) -> None:
        prompt = await client.get_prompt("write_post", {"topic": "fog"})
        text = prompt.messages[0].content.text
        assert text.startswith("Write like a lighthouse keeper") and "fog" in text

    run(Client(server_from_args(args)), steps)


def test_http_with_a_server_token_or_without_oauth_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BLOG_MCP_CLIENT_ID", raising=False)
    for host in ("127.0.0.1", "0.0.0.0"):
        with pytest.raises(SystemExit, match=f"refusing to serve {host} over HTTP with BLOG_TOKEN"):
            server_from_args(parse_args(["--http", "--host", host, "--token", "ab_x"]))
        with pytest.raises(SystemExit, match="needs BLOG_MCP_CLIENT_ID and BLOG_MCP_CLIENT_SECRET"):
            server_from_args(parse_args(["--http", "--host", host, "--token", ""]))
    with pytest.raises(SystemExit, match="cannot read the prompt file"):
        server_from_args(parse_args(["--prompt-file", "/nonexistent/voice.md"]))


def test_remote_callers_cannot_make_the_server_read_its_files(
    blog: Blog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOG_MCP_CLIENT_ID", "rs_mcp_test")
    monkeypatch.setenv("BLOG_MCP_CLIENT_SECRET", "not checked in-process")
    argv = ["--http", "--host", "0.0.0.0", "--url", blog.url, "--token", ""]
    server = server_from_args(parse_args(argv))

    async def steps(client: Client) -> None:
        result = await client.call_tool("upload_image", {"path": str(IMAGE)})
        assert result.is_error and "does not read its own files" in result.content[0].text

    run(Client(server), steps)
