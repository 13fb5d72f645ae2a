"""Pathological markdown is bounded: refused by size, time or shape, never a 500, never cut."""

from __future__ import annotations

import re
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup
from flask import Flask

from blog.content import markup
from blog.content.markup import MarkupError, render
from blog.content.sanitize import sanitize
from blog.content.timelimit import OverBudget, limit

from .conftest import Api
from .support import live
from .support.factories import app_settings, count_posts

LIMIT = 262_144
REFUSALS = {"render_timeout", "output_too_large", "nesting_too_deep", "too_complex"}


def fill(unit: str, head: str = "", tail: str = "") -> str:
    """Repeat `unit` until the post is just under the 256 KiB limit."""
    room = LIMIT - len((head + tail).encode()) - 64
    return head + unit * (room // len(unit.encode())) + tail


# The cmark and markdown-it pathological cases, and what we found ourselves.
PATHOLOGICAL = {
    "nested strong emphasis": fill("*a **a ") + "b",
    "emphasis closers without openers": fill("a_ "),
    "emphasis openers without closers": fill("_a "),
    "mismatched emphasis": fill("*a_ "),
    "emphasis runs of three": fill("c* ", head="a**b"),
    "link closers without openers": fill("a]"),
    "link openers without closers": fill("[a"),
    "link openers and emphasis closers": fill("[ a_"),
    "bracket paren runs": fill("[ (]("),
    "nested brackets": "[" * 100_000 + "a" + "]" * 100_000,
    "nested images": fill("![" * 10 + "a"),
    "backtick runs": "".join("e" + "`" * n for n in range(1, 700)),
    "unclosed links, angle": fill("[a](<b"),
    "unclosed links": fill("[a](b"),
    "unclosed comments": fill("<!--", head="</"),
    "CDATA runs": fill("a <![CDATA["),
    "declaration runs": fill("a <!A"),
    "deep block quotes": "> " * 5000 + "a",
    "deep lists": "".join("  " * n + "* a\n" for n in range(300)),
    "deep HTML": "<div>" * 20_000 + "x",
    "huge table, wide": "|" + "a|" * 40_000 + "\n|" + "-|" * 40_000 + "\n|x|\n",
    "huge table, long": fill("|x|y|\n", head="|a|b|\n|-|-|\n"),
    "table cells padded out": fill("x\n", head="|" + "a|" * 500 + "\n|" + "-|" * 500 + "\n"),
    "reference expansion": "[a]: <" + "x" * 120_000 + ">\n\n" + "[a]" * 40_000,
    "same heading repeated": fill("# a\n"),
    "many autolinks": fill("<http://a.example/>"),
    "many footnotes": fill("[^1]", tail="\n\n[^1]: note"),
    "many quotes": fill("> " * 19 + "x\n\n"),
    "many fences": fill("```python\nx = 1\n```\n"),
}


def assert_refused(response: Any) -> str:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert problem["code"] in REFUSALS and problem["errors"][0]["field"] == "content", problem
    return problem["code"]


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return app_settings(tmp_path, RENDER_BUDGET=0.5, API_WRITE_LIMIT="1000/minute")


@pytest.mark.slow
@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_pathological_post_is_published_whole_or_refused(
    app: Flask, api: Api, client, name: str
) -> None:
    source = PATHOLOGICAL[name] + "\n\nThe last words of the post."
    assert len(source.encode()) <= LIMIT
    body = {"title": name, "content": source, "status": "published", "slug": "p"}
    response = api.post("/posts", json=body)
    if response.status_code == 201:
        page = BeautifulSoup(client.get("/posts/p").get_data(as_text=True), "html.parser")
        assert "The last words of the post." in page.find("article").get_text(), "cut short"
        return
    assert_refused(response)
    assert count_posts(app) == 0


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("> " * 21 + "too deep", "nesting_too_deep"),
        ("".join("  " * n + "- item\n" for n in range(25)), "nesting_too_deep"),
        ("<div>" * 101 + "x", "nesting_too_deep"),
        ("[a]: <" + "x" * 60_000 + ">\n\n" + "[a] " * 40, "output_too_large"),
        ("# a\n" * 20_000, "render_timeout"),
        ("a <![CDATA[" * 20_000, "render_timeout"),
    ],
)
def test_what_the_renderer_would_drop_or_choke_on_is_refused_by_name(
    app: Flask, api: Api, source: str, code: str
) -> None:
    assert assert_refused(api.post("/posts", json={"title": "t", "content": source})) == code
    assert assert_refused(api.post("/preview", json={"title": "t", "content": source})) == code
    assert count_posts(app) == 0


def test_nesting_just_inside_the_limits_is_published_whole(api: Api) -> None:
    source = "> " * 19 + "deep words\n\n" + "".join("  " * n + f"- item{n}\n" for n in range(9))
    made = api.post("/posts", json={"title": "t", "content": source}).get_json()
    assert "deep words" in made["html"] and "item8" in made["html"]


# ---------------------------------------------------------------- the budget itself


def test_the_budget_interrupts_pure_python_and_the_regex_engine() -> None:
    with pytest.raises(MarkupError) as caught:
        render("# a\n" * 30_000, budget=0.05)  # quadratic in the anchors plugin: minutes
    assert caught.value.code == "render_timeout"
    with pytest.raises(OverBudget), limit(0.05):
        re.match(r"(a+)+$", "a" * 40 + "b")  # catastrophic backtracking: hours


def test_an_alarm_inside_the_sanitizer_is_not_lost() -> None:
    # nh3 (Rust) calls back into Python for attributes and ignores what the callback raises.
    html = '<p><a href="https://example.com/x" title="t">link</a></p>' * 40_000
    with pytest.raises(OverBudget), limit(0.001):
        sanitize(html)


def test_the_budget_leaves_no_timer_or_handler_behind() -> None:
    before = signal.getsignal(signal.SIGALRM)
    render("# fine\n\ntext", budget=2)
    with pytest.raises(MarkupError):
        render("# a\n" * 30_000, budget=0.05)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def test_outside_the_main_thread_a_slow_render_is_still_refused() -> None:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(render("# a\n" * 1500, budget=0.01))
        except MarkupError as error:
            outcome.append(error.code)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert outcome == ["render_timeout"]


def test_no_budget_means_no_limit() -> None:
    assert render("# a\n" * 300, budget=0).html.count("<h1") == 300
    assert markup.render("# a\n" * 300).html.count("<h1") == 300


# ---------------------------------------------------------------- under gunicorn

SLOW = {"title": "slow", "content": "# a\n" * 60_000}  # minutes of work without a budget


@pytest.mark.slow
def test_a_worker_is_freed_at_the_budget_and_others_are_served_meanwhile(
    app: Flask, settings: dict[str, Any], make_token, tmp_path: Path
) -> None:
    """gunicorn kills a worker busy for --timeout (5 s): the budget (1 s) must come first."""
    headers = {"Authorization": f"Bearer {make_token()}"}
    done = threading.Event()
    reads: list[int] = []
    with live.running(
        settings["DATABASE_URL"],
        tmp_path / "live",
        2,
        timeout=5,
        RENDER_BUDGET="1",
        WEBHOOK_WORKER="false",
    ) as server:

        def read() -> None:
            with requests.Session() as session:
                while not done.is_set():
                    reads.append(session.get(f"{server.url}/", timeout=30).status_code)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            answers = [
                requests.post(f"{server.url}/api/v1/posts", json=SLOW, headers=headers, timeout=60)
                for _ in range(6)
            ]
        finally:
            done.set()
            reader.join()
        log = server.log.read_text()
    assert [a.json()["code"] for a in answers] == ["render_timeout"] * 6
    assert reads and set(reads) == {200}
    assert "WORKER TIMEOUT" not in log and "Traceback" not in log, log[-3000:]
    assert count_posts(app) == 0
