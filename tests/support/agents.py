"""An agent with the MCP SDK's own OAuth client, blog-mcp --http as a resource server in
front of a live gunicorn, and Chromium playing the operator at the consent page."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
import requests
from flask import Flask
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from playwright.async_api import async_playwright
from sqlalchemy import select

from blog.extensions import db
from blog.models import OAuthGrant, Post

from .admin import live_send_form, live_sign_in, make_operator
from .browsing import CHROMIUM, CHROMIUM_ARGS
from .live import free_port, served_blog
from .mcp import blog_mcp_http
from .seat import sign_in_browser

AUTHOR = {"slug": "quill", "name": "Quill", "model": "Claude", "operator": "Ada"}


class Memory:
    """The SDK's TokenStorage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Callback:
    """The client's redirect URI on 127.0.0.1: keeps the query the browser brings back."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.query: dict[str, str] = {}
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not self.path.startswith("/callback"):  # the browser's favicon request
                    self.send_error(404)
                    return
                callback.query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                callback.arrived.set()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"done")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"

    async def result(self) -> AuthorizationCodeResult:
        await asyncio.to_thread(self.arrived.wait, 60)
        assert "code" in self.query, self.query
        return AuthorizationCodeResult(
            code=self.query["code"], state=self.query.get("state"), iss=self.query.get("iss")
        )


@dataclass(frozen=True)
class Stack:
    app: Flask
    blog_url: str  # as clients see it (the proxy's origin when there is one)
    mcp_url: str
    gunicorn_url: str


@contextmanager
def blog_with_mcp(
    folder: Path, port: int = 0, origin: str = "", **settings: str
) -> Iterator[Stack]:
    """Serve a blog and blog-mcp --http (on `port`) as its OAuth resource server.

    With `origin` (a reverse proxy's), both are known by it: BASE_URL, the MCP URL.
    Yield the app and the URLs.
    """
    port = port or free_port()
    mcp_url = f"{origin}/mcp" if origin else f"http://127.0.0.1:{port}/mcp"
    if origin:
        settings["BASE_URL"] = origin
    with served_blog(folder, AUTHOR, MCP_URL=mcp_url, **settings) as (app, gunicorn, _raw):
        blog_url = origin or gunicorn
        with blog_mcp_http(app, blog_url, port, mcp_url, folder / "blog-mcp.log"):
            yield Stack(app, blog_url, mcp_url, gunicorn)


async def connect_and_publish(
    app: Flask, mcp_url: str, client_metadata_url: str | None, callback: Callback
) -> OAuthToken:
    """Let the SDK's OAuth client connect; approve in Chromium; publish one post."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context()
        from blog.access import operators

        with app.app_context():
            if operators.find("ada@operator.example") is None:
                make_operator(app)

        async def approve(url: str) -> None:
            page = await context.new_page()
            await page.goto(url)
            if "/admin/login" in page.url:  # the consent page asks the operator to sign in
                await sign_in_browser(page)
                await page.wait_for_selector("#author")
            await page.select_option("#author", label="Quill (quill)")
            await page.click("button[value=approve]")

        storage = Memory()
        provider = OAuthClientProvider(
            server_url=mcp_url,
            client_metadata=OAuthClientMetadata(
                client_name="SDK agent",
                redirect_uris=[callback.url],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
                scope="posts:read posts:write posts:publish",
            ),
            storage=storage,
            redirect_handler=approve,
            callback_handler=callback.result,
            client_metadata_url=client_metadata_url,
        )
        async with httpx2.AsyncClient(auth=provider, timeout=60) as http:
            async with streamable_http_client(mcp_url, http_client=http) as streams:
                async with ClientSession(*streams[:2]) as session:
                    await session.initialize()
                    tools = {tool.name for tool in (await session.list_tools()).tools}
                    assert "publish_post" in tools
                    result = await session.call_tool(
                        "publish_post", {"title": "Connected by OAuth", "markdown": "Hello."}
                    )
                    assert not result.is_error, result.content
        await browser.close()
    assert storage.tokens is not None
    return storage.tokens


def check_published_and_revoke(app: Flask, blog_url: str, mcp_url: str, token: str) -> None:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "Connected by OAuth"))
        assert post is not None and post.author.slug == "quill"
        grant = db.session.scalar(select(OAuthGrant))
        assert grant.approved_by and grant.resource == "mcp"
    assert requests.get(f"{blog_url}/posts/{post.slug}", timeout=30).status_code == 200
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    assert requests.post(mcp_url, json=body, headers=headers, timeout=30).status_code != 401
    # The operator clicks "Revoke grant" on the admin's Connected agents page.
    with requests.Session() as operator:
        live_sign_in(operator, blog_url)
        action = f"/admin/oauth/grants/{grant.id}/revoke"
        revoked = live_send_form(operator, blog_url, "/admin/oauth", action)
        assert revoked.status_code == 303, revoked.text
        shown = operator.get(urljoin(blog_url, revoked.headers["Location"]), timeout=30).text
        assert f"Revoked grant {grant.id}" in shown, shown
    answer = requests.post(mcp_url, json=body, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert "resource_metadata=" in answer.headers["WWW-Authenticate"]


T = TypeVar("T")


def in_own_loop(coroutine: Coroutine[object, object, T]) -> T:
    """Run a coroutine in a thread of its own: Playwright's sync API keeps a loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()
