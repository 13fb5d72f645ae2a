"""Publishes per second through the JSON API, on SQLite under gunicorn, 1 and 8 clients.

Run: .venv/bin/python bench/publish.py [--seconds 5] [--workers 4]
Prints requests/s and p50/p99 latency for GET /api/v1/me (the baseline: auth and JSON, no
write), POST /api/v1/posts, and POST /api/v1/posts with an Idempotency-Key; then each
publish figure as a ratio of the baseline at the same concurrency. Exits 1 on any error.
The load comes from wrk (a Lua script makes each body), as for the pages: a client in
Python took about 1 ms of the same two cores a request.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from common import latency_ms, live, machine, require_wrk, write_section

from blog.extensions import db
from tests.support.factories import author_with_token, make_app

CONTENT = "\n\n".join(
    f"Paragraph {n}: an agent writes about *rendering once* and `code`, with a "
    f"[link](https://example.com/{n}) and enough words to be a real post." * 3
    for n in range(12)
)
BASELINE = "GET /api/v1/me (baseline)"
# Limits no client reaches: the figures must be the server's, not a wall of 429s.
LIMITS = {"API_WRITE_LIMIT": "1000000 per minute", "API_READ_LIMIT": "1000000 per minute"}


def prepare(folder: Path) -> tuple[str, str]:
    """Create the SQLite database, an author and a token; return (database URL, token)."""
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    app = make_app(folder, SECRET_KEY="bench", DATABASE_URL=url)
    with app.app_context():
        db.create_all()
    author = {"slug": "bench", "name": "Bench"}
    return url, author_with_token(app, author, "bench", timedelta(hours=1))


# wrk's Lua: each request a new title (and key), so every one is a create; any answer but
# 201 counts as an error. RUN is new for each measurement, so titles never repeat.
SCRIPT = """
local run, keyed, token = "@RUN@", @KEYED@, "@TOKEN@"
local content = [==[@CONTENT@]==]
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  n, errors = 0, 0
end
function request()
  n = n + 1
  local name = run .. "-" .. id .. "-" .. n
  local body = '{"title":"Bench ' .. name .. '","content":' .. content
    .. ',"tags":["bench"],"status":"published"}'
  local headers = {["Authorization"] = "Bearer " .. token,
                   ["Content-Type"] = "application/json"}
  if keyed then headers["Idempotency-Key"] = name end
  return wrk.format("POST", "/api/v1/posts", headers, body)
end
function response(status, headers, body)
  if status ~= 201 then errors = errors + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("errors") end
  io.write("bench-errors: " .. total .. "\\n")
end
"""


def busy_seconds() -> float:
    """Return the CPU time every core of the machine has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Case:
    """One measurement: GET /api/v1/me, or a create with or without an Idempotency-Key."""

    name: str
    publish: bool = False
    keyed: bool = False


def load(
    base: str, token: str, case: Case, clients: int, seconds: float, folder: Path
) -> tuple[float, ...]:
    """Run wrk with `clients` connections for `seconds`; return (req/s, p50, p99, CPU ms a
    request: the whole machine's, so wrk, gunicorn and the sender alike; errors)."""
    command = ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", "60s"]
    if case.publish:
        script = folder / "publish.lua"
        values = {"@RUN@": uuid.uuid4().hex[:12], "@KEYED@": str(case.keyed).lower()}
        values |= {"@TOKEN@": token, "@CONTENT@": json.dumps(CONTENT)}
        text = SCRIPT
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        script.write_text(text)
        command += ["-s", str(script), base]
    else:
        command += ["-H", f"Authorization: Bearer {token}", f"{base}/api/v1/me"]
    busy = busy_seconds()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    busy = busy_seconds() - busy
    answered = int(_found(r"(\d+) requests in", output))
    rate = float(_found(r"Requests/sec:\s+([\d.]+)", output))
    counted = r"(?:bench-errors:|Non-2xx or 3xx responses:|connect|read|write|timeout) (\d+)"
    errors = sum(int(n) for n in re.findall(counted, output))
    p50, p99 = latency_ms(output, "50"), latency_ms(output, "99")
    return rate, p50, p99, busy * 1000 / max(answered, 1), errors


def _found(pattern: str, output: str) -> str:
    match = re.search(pattern, output)
    if match is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return match.group(1)


def floor(folder: Path, samples: int = 200) -> dict[str, float]:
    """Median ms of what a publish cannot skip, in-process: rendering the bench's body
    (markdown-it alone, then the blog's whole render with sanitizing) and one SQLite commit
    of a post-sized row with the blog's PRAGMAs (blog/extensions.py)."""
    from markdown_it import MarkdownIt

    from blog.content import markup
    from blog.extensions import SQLITE_BUSY_TIMEOUT_MS

    def median_ms(work) -> float:
        times = []
        for _ in range(samples):
            began = time.perf_counter()
            work()
            times.append((time.perf_counter() - began) * 1000)
        return statistics.median(times)

    parser = MarkdownIt("commonmark")
    html = markup.render(CONTENT).html
    connection = sqlite3.connect(folder / "floor.sqlite", isolation_level=None)
    try:
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "foreign_keys=ON",
        ):
            connection.execute(f"PRAGMA {pragma}")
        synchronous = ("OFF", "NORMAL", "FULL", "EXTRA")[
            connection.execute("PRAGMA synchronous").fetchone()[0]
        ]
        connection.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, source TEXT, html TEXT)")

        def commit() -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO posts (source, html) VALUES (?, ?)", (CONTENT, html))
            connection.execute("COMMIT")

        return {
            "markdown-it render of the body": median_ms(lambda: parser.render(CONTENT)),
            "the blog's render (markdown-it, Pygments, nh3 twice)": median_ms(
                lambda: markup.render(CONTENT)
            ),
            f"one SQLite commit (WAL, synchronous={synchronous})": median_ms(commit),
        }
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    options = parser.parse_args()
    require_wrk()
    where = machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, token = prepare(folder)
        floors = floor(folder)
        server = live.serve(url, folder, options.workers, **LIMITS)
        cases = [
            Case(BASELINE),
            Case("POST /api/v1/posts", publish=True),
            Case("POST /api/v1/posts + Idempotency-Key", publish=True, keyed=True),
        ]
        results: dict[tuple[int, str], list[tuple[float, ...]]] = {}
        failed = 0
        try:
            for n in range(options.rounds):
                print(f"round {n + 1} of {options.rounds} …")
                for clients in (1, 8):
                    for case in cases:
                        figures = load(server.url, token, case, clients, options.seconds, folder)
                        failed += figures[4]
                        results.setdefault((clients, case.name), []).append(figures)
        finally:
            server.stop()
    report(results, options, failed, where, floors)
    if failed:
        raise SystemExit(f"{failed} requests failed")


def report(
    results: dict, options: argparse.Namespace, failed: int, where: str, floors: dict[str, float]
) -> None:
    """Print the medians and write docs/performance.md's publish block."""
    lines = [
        f"Measured by `make bench-publish`: {where}; SQLite (WAL), gunicorn {options.workers}"
        f" sync workers, {options.seconds:g} s a measurement, medians of {options.rounds}"
        f" interleaved rounds; {failed} errors. CPU is the whole machine's busy time (wrk,"
        " gunicorn, sender) over the requests answered.",
        "",
        "| clients | request | req/s | p50 ms | p99 ms | CPU ms a request | vs baseline |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    medians: dict[tuple[int, str], tuple[float, ...]] = {}
    for clients in (1, 8):
        baseline = 0.0
        for (count, name), runs in results.items():
            if count != clients:
                continue
            rate, p50, p99, cpu = (statistics.median(run[i] for run in runs) for i in range(4))
            medians[count, name] = (rate, p50, p99, cpu)
            baseline = baseline or rate
            lines.append(
                f"| {clients} | {name} | {rate:,.1f} | {p50:.1f} | {p99:.1f} | {cpu:.1f}"
                f" | {rate / baseline:.2f} |"
            )
    lines += ["", "The floor, in-process (median of 200):", ""]
    lines += [f"- {name}: {ms:.2f} ms" for name, ms in floors.items()]
    least = sum(list(floors.values())[1:])
    lines.append(f"- the blog's render and one commit: {least:.2f} ms, the least a publish takes")
    lines += ["", *ceiling(medians, least)]
    table = "\n".join(lines)
    print(table)
    write_section("publish", table)


def ceiling(medians: dict[tuple[int, str], tuple[float, ...]], least: float) -> list[str]:
    """What a publish doing nothing but the baseline's round trip, a render and a commit
    would reach here: the bound the targets meet before any of the writer's own work."""
    _, me_p50, _, _ = medians[1, BASELINE]
    _, _, _, me_cpu = medians[8, BASELINE]
    cores = os.cpu_count() or 1
    rate = cores * 1000 / (me_cpu + least)
    return [
        "The ceiling, from this run: a publish costs at least the baseline's authenticated"
        " round trip and the render and commit.",
        "",
        f"- 8 clients: {cores} cores / ({me_cpu:.1f} ms of CPU for `GET /api/v1/me` +"
        f" {least:.2f} ms) = at most **{rate:,.0f} posts/s**, were a publish nothing more",
        f"- 1 client: `GET /api/v1/me`'s p50 {me_p50:.1f} ms + {least:.2f} ms = a p50 of at"
        f" least **{me_p50 + least:.1f} ms**",
    ]


if __name__ == "__main__":
    main()
