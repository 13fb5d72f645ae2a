"""What blog-mcp costs an agent: start-up, and a tool call against the same API call made directly.

Run: .venv/bin/python bench/mcp_calls.py [--calls 40]
Serves the blog on SQLite with gunicorn (2 workers), then prints, in ms (medians):
blog-mcp's start-up to its first tools/list over stdio; list_tags and publish_post through
blog-mcp; GET /api/v1/tags and POST /api/v1/posts (with an Idempotency-Key) sent directly
with a keep-alive HTTP client (the baseline); and each tool call as a ratio of its baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import anyio
import requests
from common import live
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from publish import CONTENT, LIMITS, prepare  # bench/publish.py

BLOG_MCP = Path(sys.executable).with_name("blog-mcp")


def direct(base: str, token: str, calls: int) -> dict[str, float]:
    """Median ms of the API calls made with requests on one connection."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    tags, publish = [], []
    for n in range(calls):
        start = time.perf_counter()
        session.get(f"{base}/api/v1/tags", timeout=60).raise_for_status()
        tags.append(time.perf_counter() - start)
        body = {"title": f"Direct {n}", "content": CONTENT, "status": "published"}
        start = time.perf_counter()
        answer = session.post(
            f"{base}/api/v1/posts", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        answer.raise_for_status()
        publish.append(time.perf_counter() - start)
    return {"tags": statistics.median(tags) * 1000, "publish": statistics.median(publish) * 1000}


async def through_mcp(base: str, token: str, calls: int, folder: Path) -> dict[str, float]:
    """Median ms of start-up and of the tool calls, over stdio."""
    params = StdioServerParameters(
        command=str(BLOG_MCP), env={"BLOG_URL": base, "BLOG_TOKEN": token}
    )
    figures: dict[str, list[float]] = {"startup": [], "tags": [], "publish": []}
    with open(folder / "blog-mcp.stderr", "w") as errors:
        for round_ in range(3):
            start = time.perf_counter()
            async with Client(stdio_client(params, errlog=errors)) as client:
                await client.list_tools()
                figures["startup"].append(time.perf_counter() - start)
                if round_:
                    continue
                for n in range(calls):
                    start = time.perf_counter()
                    assert not (await client.call_tool("list_tags", {})).is_error
                    figures["tags"].append(time.perf_counter() - start)
                    arguments = {"title": f"Through MCP {n}", "markdown": CONTENT}
                    start = time.perf_counter()
                    assert not (await client.call_tool("publish_post", arguments)).is_error
                    figures["publish"].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agentblog-bench-mcp-") as name:
        folder = Path(name)
        url, token = prepare(folder)
        with live.running(url, folder, 2, **LIMITS) as server:
            baseline = direct(server.url, token, args.calls)
            mcp = anyio.run(through_mcp, server.url, token, args.calls, folder)
    print(f"blog-mcp start-up to first tools/list: {mcp['startup']:.0f} ms")
    for what, label in (("tags", "list_tags / GET /tags"), ("publish", "publish_post / POST")):
        ratio = mcp[what] / baseline[what]
        print(f"{label:24} {mcp[what]:7.1f} ms vs {baseline[what]:6.1f} ms direct: x{ratio:.2f}")


if __name__ == "__main__":
    main()
