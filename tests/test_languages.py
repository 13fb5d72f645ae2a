"""Languages: validated BCP 47 tags, the interface in the page's language, translation pairs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from blog import posts
from blog.content import language
from blog.extensions import db
from blog.models import Post
from blog.posts import reads

from .conftest import ROOT

CATALOGS = ROOT / "blog" / "translations"


def soup_of(client: FlaskClient, path: str, status: int = 200) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("en", "en"),
        ("zh-hans", "zh-Hans"),
        ("ZH-hant-tw", "zh-Hant-TW"),
        ("iw", "he"),  # deprecated subtag, replaced by the registry's preferred value
        ("x-private", "x-private"),
        ("english!", None),
        ("zz", None),  # well-formed, but no such language in the registry
        ("en-AB", None),  # no such region
        ("en-Abcd", None),  # no such script
        ("zh_Hans", None),  # POSIX locale name, not a language tag
        ("", None),
        ("a" * 40, None),
    ],
)
def test_language_tags_are_checked_against_the_registry(tag, canonical) -> None:
    assert language.canonical(tag) == canonical


def test_a_post_stores_its_language_tag_canonically(app: Flask, make_post) -> None:
    assert make_post(lang="zh-hans").lang == "zh-Hans"
    with pytest.raises(posts.InvalidPost) as caught:
        make_post(lang="zz")
    assert [e.field for e in caught.value.errors] == ["lang"]


def test_languages_are_named_in_themselves() -> None:
    assert language.autonyms(["zh-Hans", "en"]) == {"zh-Hans": "中文", "en": "English"}
    both = language.autonyms(["zh-Hans", "zh-Hant"])
    assert both["zh-Hans"] != both["zh-Hant"] and all(n.startswith("中文") for n in both.values())
    assert language.autonym("x-private") == "x-private"


def test_a_chinese_post_speaks_chinese(client: FlaskClient, make_post) -> None:
    make_post(
        slug="zh",
        lang="zh-Hans",
        title="阅读时间",
        content="中文" * 700,
        tags=["语言"],
        published_at=datetime(2026, 11, 26, 8, tzinfo=UTC),
    )
    soup = soup_of(client, "/posts/zh")
    assert soup.html["lang"] == "zh-Hans"
    article = soup.select_one("article.post")
    assert article.select_one(".meta time").get_text() == "2026年11月26日"
    assert article.select_one(".reading-time").get_text() == "3 分钟阅读"
    assert article.select_one("ul.tags")["aria-label"] == "标签"
    assert [a.get_text() for a in soup.select("header nav a")] == ["首页", "标签", "归档"]
    assert "AI 生成" in article.select_one(".byline").get_text()


def test_an_english_post_and_the_listings_speak_the_site_language(client, make_post) -> None:
    make_post(slug="en", published_at=datetime(2026, 11, 26, 8, tzinfo=UTC), content="w " * 10)
    make_post(slug="zh", lang="zh-Hans", title="中文", content="中文")
    post = soup_of(client, "/posts/en")
    assert post.html["lang"] == "en"
    assert post.select_one(".meta time").get_text() == "November 26, 2026"
    home = soup_of(client, "/")
    assert home.html["lang"] == "en"
    chinese_card = home.select_one("article.card[lang=zh-Hans]")
    assert chinese_card.select_one(".reading-time").get_text() == "1 min read"


def test_a_language_without_a_catalog_falls_back_to_the_site_language(client, make_post):
    make_post(slug="ar", lang="ar", title="مرحبا", content="نص عربي قصير")
    soup = soup_of(client, "/posts/ar")
    assert soup.html["lang"] == "en"  # the interface is English; the article says ar
    assert soup.select_one("article.post")["lang"] == "ar"
    assert soup.select_one(".reading-time").get_text() == "1 min read"


def test_a_chinese_site_speaks_chinese_on_every_page(settings, build_app) -> None:
    settings["LANGUAGE"] = "zh-CN"
    app = build_app(**settings)
    soup = soup_of(app.test_client(), "/archive")
    assert soup.html["lang"] == "zh-CN"
    assert soup.h1.get_text() == "归档"
    assert soup_of(app.test_client(), "/missing", 404).h1.get_text() == "此页面不存在"


def test_a_bad_site_language_is_refused_at_start(settings) -> None:
    from blog import create_app

    settings["LANGUAGE"] = "english"
    with pytest.raises(ValueError, match="BLOG_LANGUAGE"):
        create_app(settings)


# ---------------------------------------------------------------- translations


def alternates(soup: BeautifulSoup) -> dict[str, str]:
    return {link["hreflang"]: link["href"] for link in soup.select("link[rel=alternate][hreflang]")}


def test_a_translation_pair_links_both_ways(client: FlaskClient, make_post) -> None:
    make_post(slug="reading-time", title="Reading time", content="Words.")
    make_post(
        slug="yue-du", lang="zh-Hans", title="阅读", content="中文。", translation_of="reading-time"
    )
    expected = {
        "en": "https://blog.example/posts/reading-time",
        "zh-Hans": "https://blog.example/posts/yue-du",
    }
    for path in ("/posts/reading-time", "/posts/yue-du"):
        soup = soup_of(client, path)
        assert alternates(soup) == expected, path
    english, chinese = soup_of(client, "/posts/reading-time"), soup_of(client, "/posts/yue-du")
    switch = english.select_one("nav.translations")
    assert switch.get_text(" ", strip=True) == "Also in: 中文"
    link = switch.select_one("a")
    assert (link["href"], link["hreflang"], link["lang"]) == ("/posts/yue-du", "zh-Hans", "zh-Hans")
    assert chinese.select_one("nav.translations").get_text(" ", strip=True) == "其他语言： English"


def test_a_group_of_three_lists_every_other_language(client, make_post) -> None:
    make_post(slug="orig", title="Original")
    make_post(slug="zh", lang="zh-Hans", title="中文", translation_of="orig")
    # Naming a translation points at its original: groups stay one level deep.
    make_post(slug="fr", lang="fr", title="Français", translation_of="zh")
    soup = soup_of(client, "/posts/zh")
    assert set(alternates(soup)) == {"en", "fr", "zh-Hans"}
    names = [a.get_text() for a in soup.select("nav.translations a")]
    assert sorted(names) == ["English", "français"]


def test_a_draft_translation_is_not_offered(client, make_post) -> None:
    make_post(slug="orig")
    make_post(slug="zh", lang="zh-Hans", translation_of="orig", status="draft")
    soup = soup_of(client, "/posts/orig")
    assert not soup.select("nav.translations") and alternates(soup) == {}


@pytest.mark.parametrize(("target", "message"), [("nowhere", "no post"), ("self", "another")])
def test_a_bad_translation_link_is_refused(app: Flask, make_post, target, message) -> None:
    with pytest.raises(posts.InvalidPost) as caught:
        make_post(slug="self", translation_of=target)
    assert caught.value.errors[0].field == "translation_of"
    assert message in caught.value.errors[0].message
    with app.app_context():
        assert db.session.query(Post).count() == 0


def test_translation_of_in_front_matter_imports_in_any_file_order(app, runner, tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: a\n  name: A\n  provider: Anthropic\n")
    # "a-zh.md" sorts before "b-en.md", the original it names.
    (folder / "a-zh.md").write_text(
        "---\ntitle: 中文\nslug: zh\nlang: zh-hans\ntranslation_of: en\n---\n中文。\n"
    )
    (folder / "b-en.md").write_text("---\ntitle: English\nslug: en\n---\nWords.\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["import-posts", str(folder)])
    assert "0 created, 0 updated, 2 unchanged" in again.output
    with app.app_context():
        zh, en = reads.get_post("zh"), reads.get_post("en")
        assert (zh.lang, zh.translation_of_id) == ("zh-Hans", en.id)
        assert reads.get_author("a").provider == "Anthropic"


# ---------------------------------------------------------------- catalogs


def test_every_interface_string_has_a_chinese_translation() -> None:
    method_map = [("blog/**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
        )
    }
    ids = {m if isinstance(m, str) else m[0] for m in found}
    with open(CATALOGS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and message.string and "fuzzy" not in message.flags
    }
    assert ids and not ids - translated, f"untranslated: {sorted(ids - translated)}"


def test_the_chinese_catalog_is_compiled() -> None:
    po = CATALOGS / "zh" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), "run `make translations`"
    assert mo.stat().st_mtime >= po.stat().st_mtime, "messages.mo is older: `make translations`"
