"""End to end: the MCP SDK's own OAuth client connects to blog-mcp --http in front of a live
gunicorn; Chromium plays the operator at the consent page; revoking the grant ends it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
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

from blog.access import oauth
from blog.extensions import db
from blog.models import OAuthGrant, Post

from .support.browsing import CHROMIUM, CHROMIUM_ARGS
from .support.documents import Document, DocumentServer
from .support.live import free_port, served_blog
from .support.seat import browser_session_cookie
from .support.tls import self_signed, server_context

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BLOG_MCP = Path(sys.executable).with_name("blog-mcp")
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


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    for _ in range(200):
        assert process.poll() is None, "blog-mcp --http exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("blog-mcp --http did not listen")


@contextmanager
def blog_with_mcp(folder: Path, **settings: str) -> Iterator[tuple[Flask, str, str]]:
    """Serve a blog and blog-mcp --http as its OAuth resource server; yield app, URLs."""
    port = free_port()
    mcp_url = f"http://127.0.0.1:{port}/mcp"
    with served_blog(folder, AUTHOR, MCP_URL=mcp_url, **settings) as (app, blog_url, _raw):
        out = app.test_cli_runner().invoke(args=["oauth", "resource-server", "mcp"]).output
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLOG_")}
        env.update(dict(line.split("=", 1) for line in out.split()), BLOG_URL=blog_url)
        command = [str(BLOG_MCP), "--http", "--port", str(port), "--public-url", mcp_url]
        with (folder / "blog-mcp.log").open("wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
            try:
                wait_for_port(port, process)
                yield app, blog_url, mcp_url
            finally:
                process.terminate()
                process.wait(timeout=30)


async def connect_and_publish(
    app: Flask, mcp_url: str, client_metadata_url: str | None, callback: Callback
) -> OAuthToken:
    """Let the SDK's OAuth client connect; approve in Chromium; publish one post."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context()
        cookie = browser_session_cookie(app)
        await context.add_cookies([{**cookie, "url": urlsplit(mcp_url)._replace(path="").geturl()}])

        async def approve(url: str) -> None:
            blog = urlsplit(url)
            await context.add_cookies([{**cookie, "url": f"{blog.scheme}://{blog.netloc}"}])
            page = await context.new_page()
            await page.goto(url)
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
    with app.app_context():
        oauth.revoke_grant(grant.id, "revoked by the operator")  # what the admin's button calls
    answer = requests.post(mcp_url, json=body, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert "resource_metadata=" in answer.headers["WWW-Authenticate"]


def test_an_mcp_client_registered_dynamically_connects_publishes_and_is_revoked(
    tmp_path: Path,
) -> None:
    callback = Callback()
    with blog_with_mcp(tmp_path) as (app, blog_url, mcp_url):
        tokens = asyncio.run(connect_and_publish(app, mcp_url, None, callback))
        check_published_and_revoke(app, blog_url, mcp_url, tokens.access_token)


def test_without_a_token_blog_mcp_answers_401_with_its_resource_metadata(tmp_path: Path) -> None:
    with blog_with_mcp(tmp_path) as (_app, blog_url, mcp_url):
        answer = requests.post(mcp_url, json={}, timeout=30)
        assert answer.status_code == 401
        challenge = answer.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer") and "resource_metadata=" in challenge
        metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        metadata = requests.get(metadata_url, timeout=30).json()
        assert metadata["resource"] == mcp_url
        assert metadata["authorization_servers"] == [blog_url] or metadata[
            "authorization_servers"
        ] == [blog_url + "/"]
        assert json.dumps(metadata)


def test_an_mcp_client_known_by_its_metadata_document_connects_and_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    documents = DocumentServer(tls=server_context(cert, key))
    callback = Callback()
    client_id = documents.url + "/agent/client.json"
    document = {
        "client_id": client_id,
        "client_name": "Hosted agent",
        "redirect_uris": [callback.url],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    documents.documents["/agent/client.json"] = Document(json.dumps(document).encode())
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # gunicorn trusts the test's own CA
    try:
        with blog_with_mcp(tmp_path, OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK="true") as blog:
            app, blog_url, mcp_url = blog
            tokens = asyncio.run(connect_and_publish(app, mcp_url, client_id, callback))
            with app.app_context():
                grant = db.session.scalar(select(OAuthGrant))
                assert grant.client.client_id == client_id and grant.client.kind == "cimd"
            assert documents.hits["/agent/client.json"] >= 1
            check_published_and_revoke(app, blog_url, mcp_url, tokens.access_token)
    finally:
        documents.stop()
