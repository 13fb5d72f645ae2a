"""A post's history in the admin: what each revision changed, as an escaped line diff."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from .conftest import Api
from .support.seat import sign_in_operator

FIRST = "# Notes\n\nThe first paragraph.\n\nA line that stays.\nA line that goes.\n"
SECOND = "# Notes\n\nThe first paragraph.\n\nA line that stays.\nA better line.\n"


def history_links(client: FlaskClient, post_id: int) -> list[str]:
    page = client.get(f"/admin/posts/{post_id}").get_data(as_text=True)
    return re.findall(rf'href="(/admin/posts/{post_id}/revisions/\d+)"', page)


def made(api: Api, title: str, content: str) -> dict[str, Any]:
    answer = api.post("/posts", json={"title": title, "content": content, "tags": ["a"]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_each_revision_shows_what_it_changed(client: FlaskClient, api: Api) -> None:
    post = made(api, "Notes", FIRST)
    changed = {"content": SECOND, "title": "Better notes", "tags": ["a", "b"]}
    assert api.patch(f"/posts/{post['id']}", json=changed).status_code == 200
    sign_in_operator(client)
    newest, first = history_links(client, post["id"])  # newest first
    page = BeautifulSoup(client.get(newest).get_data(as_text=True), "html.parser")
    assert [d.get_text() for d in page.select("table.admin-diff del")] == ["A line that goes."]
    assert [i.get_text() for i in page.select("table.admin-diff ins")] == ["A better line."]
    rows = [[td.get_text() for td in tr.select("td")] for tr in page.select("table tbody tr")]
    assert ["6", "", "removed", "A line that goes."] in rows
    assert ["", "6", "added", "A better line."] in rows
    assert ["5", "5", "kept", "A line that stays."] in rows
    changes = page.select_one("dl.admin-changes").get_text(" ", strip=True)
    assert "Notes → Better notes" in changes and "a → a, b" in changes
    assert "1 line(s) removed, 1 added" in changes
    original = BeautifulSoup(client.get(first).get_data(as_text=True), "html.parser")
    assert "the first version" in original.get_text()
    assert len(original.select("table.admin-diff ins")) == len(FIRST.splitlines())


def test_markup_in_a_revision_is_shown_as_text(client: FlaskClient, api: Api) -> None:
    hostile = '<script>alert("diff")</script>\n<img src=x onerror="alert(1)">\n'
    post = made(api, "Hostile", "Plain start.\n")
    api.patch(f"/posts/{post['id']}", json={"content": "Plain start.\n" + hostile})
    sign_in_operator(client)
    page = client.get(history_links(client, post["id"])[0]).get_data(as_text=True)
    diff = BeautifulSoup(page, "html.parser").select_one("main")
    assert diff.select("script") == [] and diff.select("img") == []
    assert "&lt;script&gt;alert(&#34;diff&#34;)&lt;/script&gt;" in page
    assert [i.get_text() for i in diff.select("ins")] == hostile.splitlines()


def test_a_revision_of_another_post_or_none_is_not_found(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    one, other = made(api, "One", "One."), made(api, "Other", "Other.")
    sign_in_operator(client)
    theirs = history_links(client, other["id"])[0].rsplit("/", 1)[1]
    assert client.get(f"/admin/posts/{one['id']}/revisions/{theirs}").status_code == 404
    assert client.get(f"/admin/posts/{one['id']}/revisions/999999").status_code == 404
    assert client.get(f"/admin/posts/{one['id']}/revisions/{2**40}").status_code == 404
    assert client.get(f"/admin/posts/{2**40}/revisions/1").status_code == 404


def test_the_diff_page_needs_a_signed_in_operator(client: FlaskClient, api: Api) -> None:
    post = made(api, "Private history", "Text.")
    answer = client.get(f"/admin/posts/{post['id']}/revisions/1")
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
