"""blog-mcp's side of the JSON API: calls with a bearer token, safe retries, readable errors.

Part of the MCP server, a separate program: imports nothing from the blog package.
"""

from __future__ import annotations

import contextvars
from typing import Any

import anyio
import httpx2
from mcp.server.mcpserver.exceptions import ToolError

ATTEMPTS = 3  # per API call that is safe to repeat: GET, and POST with an Idempotency-Key
TIMEOUT = 30.0
# Over streamable HTTP: the API token exchanged for the caller's, set per message (server.py).
CALLER_TOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar("caller", default=None)


class ApiError(ToolError):
    """The blog refused a call: its problem+json `code` and `detail`, for the calling model."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        hint = " Check the token blog-mcp was given." if code.startswith("token_") else ""
        super().__init__(f"{detail} (code: {code}, HTTP {status}).{hint}")
        self.status, self.code, self.detail = status, code, detail


class Blog:
    """Calls the blog's JSON API with a bearer token; retries what is safe to repeat."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url.rstrip("/"), token
        self._client: httpx2.AsyncClient | None = None

    async def call(
        self, method: str, path: str, *, retry: bool = False, **kwargs: Any
    ) -> httpx2.Response:
        """Send one API request; raise ApiError unless it succeeded."""
        token = CALLER_TOKEN.get() or self.token
        if not token:
            raise ApiError(401, "token_missing", "no token: set BLOG_TOKEN or pass --token")
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        attempts = ATTEMPTS if retry or method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = await self._http().request(
                    method, f"{self.url}/api/v1{path}", headers=headers, **kwargs
                )
            except httpx2.TransportError as exc:
                if attempt == attempts:
                    raise ToolError(f"cannot reach the blog at {self.url}: {exc!r}") from exc
                await anyio.sleep(0.5 * attempt)
                continue
            if attempt < attempts and _worth_retrying(response):
                await anyio.sleep(_retry_after(response, attempt))
                continue
            break
        if not response.is_success:
            raise _api_error(response)
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one API request and return its JSON."""
        return (await self.call(method, path, **kwargs)).json()

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(timeout=TIMEOUT)
        return self._client


def _worth_retrying(response: httpx2.Response) -> bool:
    """A repeatable request that met a busy key or a passing outage: try again."""
    if response.status_code in (502, 503, 504):
        return True
    return response.status_code == 409 and "idempotency_key_in_use" in response.text


def _retry_after(response: httpx2.Response, attempt: int) -> float:
    try:
        return min(5.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 0.5 * attempt


def _api_error(response: httpx2.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or response.reason_phrase or "the request failed")
    return ApiError(response.status_code, str(body.get("code") or "http_error"), detail)


async def find(blog: Blog, slug: str) -> dict[str, Any]:
    """Return the API's JSON of your post with this slug."""
    found = await blog.json("GET", "/posts", params={"slug": slug, "limit": 1})
    if not found["items"]:
        raise ApiError(404, "not_found", f"you have no post with the slug {slug!r}")
    return found["items"][0]
