"""Reading for agents: /llms.txt, /llms-full.txt, markdown URLs, negotiation and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .conftest import BASE_URL, days_ago
from .support.asserts import front_matter

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_llms_txt_follows_the_proposal(client, make_post) -> None:
    make_post(title="Newest", slug="newest", summary="What I found.", tags=["notes"])
    make_post(title="Older", slug="older", published_at=days_ago(200))
    make_post(title="Secret draft", status="draft")
    response = client.get("/llms.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "# agentblog"
    assert next(line for line in lines[1:] if line).startswith("> ")
    assert f"- [Newest]({BASE_URL}/posts/newest.md): What I found." in lines
    assert any(line.startswith(f"- [Older]({BASE_URL}/posts/older.md)") for line in lines)
    assert not any("Secret draft" in line for line in lines)
    assert f"{BASE_URL}/openapi.json" in response.get_data(as_text=True)
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[-1] == "## Optional"
    optional = lines[lines.index("## Optional") :]
    assert any(f"({BASE_URL}/archive)" in line for line in optional)
    assert any(f"({BASE_URL}/tags/notes)" in line for line in optional)


def test_a_post_as_markdown_carries_its_front_matter(client, make_post) -> None:
    make_post(title="Ünïcode: yes", slug="p", content="Body with **bold**.\n", tags=["a b"])
    response = client.get("/posts/p.md")
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["AI-Disclosure"].startswith("mode=machine-generated")
    meta, body = front_matter(response.get_data(as_text=True))
    assert body == "Body with **bold**.\n"
    assert meta["title"] == "Ünïcode: yes"
    assert meta["author"] == "quill" and meta["author_name"] == "Quill"
    assert meta["model"] == "Claude" and meta["operator"] == "Ada Operator"
    assert meta["tags"] == ["a b"] and meta["lang"] == "en"
    assert meta["url"] == f"{BASE_URL}/posts/p"
    assert meta["ai_disclosure"] == "ai-generated"
    assert meta["date"].tzinfo is not None
    assert client.get("/posts/nope.md").status_code == 404


def test_the_post_url_negotiates_markdown(client, make_post) -> None:
    make_post(slug="p")
    as_markdown = client.get("/posts/p", headers={"Accept": "text/markdown"})
    as_html = client.get("/posts/p", headers={"Accept": BROWSER_ACCEPT})
    assert as_markdown.mimetype == "text/markdown"
    assert as_html.mimetype == "text/html"
    assert as_markdown.get_data() == client.get("/posts/p.md").get_data()
    assert "Accept" in as_markdown.headers["Vary"] and "Accept" in as_html.headers["Vary"]
    assert as_markdown.headers["ETag"] != as_html.headers["ETag"]
    again = client.get(
        "/posts/p", headers={"Accept": "text/markdown", "If-None-Match": as_html.headers["ETag"]}
    )
    assert again.status_code == 200 and again.mimetype == "text/markdown"
    link = BeautifulSoup(as_html.data, "html.parser").select_one("link[type='text/markdown']")
    assert link["rel"] == ["alternate"] and link["href"] == "/posts/p.md"


def test_llms_full_txt_holds_whole_posts_within_its_cap(
    client, make_post, settings, build_app
) -> None:
    for n in range(3):
        make_post(title=f"Long {n}", slug=f"long-{n}", content=f"{'word ' * 400}end {n}.\n")
    whole = client.get("/llms-full.txt").get_data(as_text=True)
    assert all(f"end {n}." in whole for n in range(3))
    smaller = build_app(**settings, LLMS_FULL_MAX_BYTES=len(whole.encode()) - 10)
    capped = smaller.test_client().get("/llms-full.txt").get_data(as_text=True)
    assert "end 2." in capped and "end 1." in capped and "end 0." not in capped
    assert capped.count("---\ntitle:") == 2


def test_export_then_import_changes_nothing(
    app, runner, make_post, tmp_path, settings, build_app
) -> None:
    make_post(title="English", slug="english", tags=["x", "Y z"], summary="S.", featured=True)
    make_post(
        title="中文", slug="zhong-wen", lang="zh-Hans", content="你好。\n\n```py\nx = 1\n```\n"
    )
    make_post(title="Draft", slug="draft", status="draft", published_at=None)
    make_post(title="Assisted", slug="assisted", disclosure="ai-assisted")
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "assisted.md", "authors.yaml", "draft.md", "english.md", "zhong-wen.md"
    ]  # fmt: skip
    again = runner.invoke(args=["import-posts", str(out)])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 4 unchanged" in again.output

    fresh = build_app(**{**settings, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}"})
    fresh_runner = fresh.test_cli_runner()
    assert fresh_runner.invoke(args=["import-posts", str(out)]).exit_code == 0
    second = tmp_path / "second"
    assert fresh_runner.invoke(args=["export", str(second)]).exit_code == 0
    for path in sorted(out.iterdir()):
        assert (second / path.name).read_text() == path.read_text(), path.name


def test_exported_files_name_their_author_model_and_disclosure(runner, make_post, tmp_path):
    make_post(slug="p", disclosure="human")
    runner.invoke(args=["export", str(tmp_path / "out")])
    meta, _ = front_matter(Path(tmp_path / "out" / "p.md").read_text())
    assert (meta["ai_disclosure"], meta["model"], meta["operator"]) == (
        "human",
        "Claude",
        "Ada Operator",
    )


def markdown_link(response) -> str:
    link = BeautifulSoup(response.data, "html.parser").select_one("link[type='text/markdown']")
    assert link["rel"] == ["alternate"]
    return link["href"]


def test_the_home_page_as_markdown_lists_the_newest_posts(client, make_post) -> None:
    make_post(title="Older [one]", slug="older", summary="First *words*.")
    make_post(title="Newer", slug="newer")
    make_post(title="Secret draft", status="draft")
    home = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert markdown_link(home) == "/index.md"
    response = client.get("/index.md")
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    lines = text.splitlines()
    assert lines[0] == "# agentblog"
    items = [line for line in lines if line.startswith("- [")]
    assert items[0].startswith(f"- [Newer]({BASE_URL}/posts/newer.md) by Quill, ")
    assert items[1].startswith(rf"- [Older \[one\]]({BASE_URL}/posts/older.md)")
    assert items[1].endswith(r": First \*words\*.")
    assert "Secret draft" not in text
    assert response.headers["AI-Disclosure"].startswith("mode=machine-generated")
    negotiated = client.get("/", headers={"Accept": "text/markdown"})
    assert negotiated.get_data() == response.get_data()
    assert "Accept" in negotiated.headers["Vary"] and "Accept" in home.headers["Vary"]
    assert negotiated.headers["ETag"] != home.headers["ETag"]


ACCEPTS = [
    ("text/markdown", "text/markdown"),
    ("text/markdown; charset=utf-8", "text/markdown"),
    ("text/markdown;q=0", "text/html"),
    ("text/markdown;q=0, */*", "text/html"),
    ("text/html;q=0.5, text/markdown", "text/markdown"),
    ("text/html, text/markdown;q=0.9", "text/html"),
    ("text/*;q=0.2, text/markdown;q=0.3", "text/markdown"),
    (BROWSER_ACCEPT, "text/html"),
    ("", "text/html"),
]


@pytest.mark.parametrize(("accept", "expected"), ACCEPTS)
def test_negotiation_honours_q_values(client, make_post, accept, expected) -> None:
    make_post(slug="p")
    for path in ("/", "/posts/p"):
        response = client.get(path, headers={"Accept": accept} if accept else {})
        assert response.mimetype == expected, (path, accept)
        assert "Accept" in response.headers["Vary"]


def test_every_markdown_answer_estimates_its_tokens(client, make_post) -> None:
    make_post(slug="p", content="Four chars per token. " * 40 + "\n\n日本語のテキスト\n")
    for path, accept in (("/posts/p.md", ""), ("/posts/p", "text/markdown"), ("/index.md", "")):
        response = client.get(path, headers={"Accept": accept})
        text = response.get_data(as_text=True)
        estimate = int(response.headers["x-markdown-tokens"])
        ascii_chars = sum(char.isascii() for char in text)
        assert estimate == -(-ascii_chars // 4) + len(text) - ascii_chars, path
    html = client.get("/posts/p", headers={"Accept": BROWSER_ACCEPT})
    assert "x-markdown-tokens" not in html.headers
