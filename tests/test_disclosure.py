"""Who wrote a post, said the same way in the byline, meta tags, HTTP header and JSON-LD."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import http_sf
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from blog import create_app, posts
from tests.conftest import Api, days_ago

SCHEMA = "https://schema.org/"

# The slice of schema.org's vocabulary we use, copied from schema.org: each type's parent,
# and the types each property is defined on ("Used on these types").
SUPERTYPE = {
    "Thing": None,
    "CreativeWork": "Thing",
    "Article": "CreativeWork",
    "SocialMediaPosting": "Article",
    "BlogPosting": "SocialMediaPosting",
    "WebPage": "CreativeWork",
    "SoftwareApplication": "CreativeWork",
    "MediaObject": "CreativeWork",
    "ImageObject": "MediaObject",
    "Organization": "Thing",
    "Person": "Thing",
}
DOMAINS = {
    "name": {"Thing"},
    "url": {"Thing"},
    "description": {"Thing"},
    "image": {"Thing"},
    "mainEntityOfPage": {"Thing"},
    "headline": {"CreativeWork"},
    "inLanguage": {"CreativeWork"},
    "datePublished": {"CreativeWork"},
    "dateModified": {"CreativeWork"},
    "keywords": {"CreativeWork", "Organization"},
    "timeRequired": {"CreativeWork"},
    "author": {"CreativeWork"},
    "publisher": {"CreativeWork"},
    "accountablePerson": {"CreativeWork"},
    "digitalSourceType": {"CreativeWork"},
    "isBasedOn": {"CreativeWork"},
    "provider": {"CreativeWork"},
    "translationOfWork": {"CreativeWork"},
    "workTranslation": {"CreativeWork"},
    "wordCount": {"Article"},
    "applicationCategory": {"SoftwareApplication"},
    "logo": {"Organization"},
}
DIGITAL_SOURCE_TYPES = {
    SCHEMA + "TrainedAlgorithmicMediaDigitalSource",
    SCHEMA + "CompositeWithTrainedAlgorithmicMediaDigitalSource",
}


def ancestors(kind: str) -> set[str]:
    found: set[str] = set()
    while kind is not None:
        found.add(kind)
        kind = SUPERTYPE[kind]
    return found


def check_vocabulary(node: Any) -> None:
    """Fail unless every @type and property exists in schema.org and fits where it is used."""
    if isinstance(node, list):
        for item in node:
            check_vocabulary(item)
        return
    if not isinstance(node, dict):
        return
    kind = node["@type"]
    assert kind in SUPERTYPE, f"unknown type {kind}"
    for name, value in node.items():
        if name.startswith("@"):
            continue
        assert name in DOMAINS, f"unknown property {name}"
        assert DOMAINS[name] & ancestors(kind), f"{name} is not a property of {kind}"
        check_vocabulary(value)


@pytest.fixture
def agents(app: Flask) -> dict[str, Any]:
    with app.app_context():
        scribe, _ = posts.save_author(
            {
                "slug": "scribe",
                "name": "Scribe",
                "model": "Claude Opus 4",
                "provider": "Anthropic",
                "operator": "Ada Lovelace",
                "operator_url": "https://ada.example",
            }
        )
        bare, _ = posts.save_author({"slug": "bare", "name": "Bare"})
    return {"scribe": scribe, "bare": bare}


def load(client: FlaskClient, path: str) -> tuple[Any, BeautifulSoup]:
    response = client.get(path)
    assert response.status_code == 200, path
    return response, BeautifulSoup(response.get_data(as_text=True), "html.parser")


def structured(soup: BeautifulSoup) -> dict[str, Any]:
    scripts = soup.select('script[type="application/ld+json"]')
    assert len(scripts) == 1
    return json.loads(scripts[0].string)


def meta(soup: BeautifulSoup, key: str) -> list[str]:
    nodes = soup.select(f'meta[name="{key}"]') or soup.select(f'meta[property="{key}"]')
    return [node["content"] for node in nodes]


LEVELS = [
    # disclosure, meta, header mode, digitalSourceType (minus "DigitalSource"), visible label
    ("ai-generated", "ai-generated", "machine-generated", "TrainedAlgorithmicMedia",
     "AI-generated"),
    ("ai-assisted", "ai-assisted", "ai-originated", "CompositeWithTrainedAlgorithmicMedia",
     "AI-assisted"),
    ("human", "none", "none", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("level", "meta_value", "mode", "source", "label"), LEVELS)
def test_each_level_is_disclosed_in_every_representation(
    client, make_post, agents, level, meta_value, mode, source, label
) -> None:
    published = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    make_post(
        slug="p",
        title="Three ways to say it",
        content="Some words here.\n\n![chart](/static/images/render-pipeline.svg)",
        summary="What the post says, in one line.",
        tags=["disclosure", "Web"],
        disclosure=level,
        author=agents["scribe"],
        published_at=published,
        updated_at=published,
    )
    response, soup = load(client, "/posts/p")

    header = http_sf.parse(response.headers["AI-Disclosure"].encode(), tltype="dictionary")
    assert str(header["mode"][0]) == mode
    assert header["date"][0] == published  # when the post last changed
    assert meta(soup, "ai-disclosure") == [meta_value]
    if level == "human":
        assert "model" not in header
    else:
        assert header["model"][0] == "Claude Opus 4" and header["provider"][0] == "Anthropic"

    data = structured(soup)
    check_vocabulary(data)
    assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
    assert data["headline"] == "Three ways to say it"
    assert data["description"] == "What the post says, in one line."
    assert data["url"] == data["mainEntityOfPage"]["@id"] == "https://blog.example/posts/p"
    assert data["inLanguage"] == "en"
    assert datetime.fromisoformat(data["datePublished"]) == published
    assert datetime.fromisoformat(data["dateModified"]) >= published
    assert data["wordCount"] == 3
    assert data["timeRequired"] == "PT1M"
    assert sorted(data["keywords"]) == ["Web", "disclosure"]
    assert data["image"] == "https://blog.example/static/images/render-pipeline.svg"
    assert data["accountablePerson"] == {
        "@type": "Person",
        "name": "Ada Lovelace",
        "url": "https://ada.example",
    }
    assert data["publisher"]["name"] == "Ada Lovelace"
    if source is None:
        assert "digitalSourceType" not in data
        assert data["author"]["@type"] == "Person" and data["author"]["name"] == "Ada Lovelace"
    else:
        assert data["digitalSourceType"] == f"{SCHEMA}{source}DigitalSource"
        assert data["digitalSourceType"] in DIGITAL_SOURCE_TYPES
        agent = data["author"]
        assert (agent["@type"], agent["name"]) == ("SoftwareApplication", "Scribe")
        assert agent["url"] == "https://blog.example/authors/scribe"
        assert agent["isBasedOn"]["name"] == "Claude Opus 4"
        assert agent["isBasedOn"]["provider"]["name"] == "Anthropic"

    byline = soup.select_one("article.post .meta .byline")
    assert byline.select_one("a[rel=author]")["href"] == "/authors/scribe"
    text = " ".join(byline.get_text().split())
    if level == "human":
        assert text == "Written by a human at Ada Lovelace and posted by Scribe"
        assert byline.select_one("a.disclosure") is None
    else:
        assert text.startswith(
            "Written by Scribe, an AI agent running on Claude Opus 4, operated by Ada Lovelace"
        )
        assert byline.select_one("a.disclosure").get_text() == label
        assert byline.select_one("a.disclosure")["href"] == "/about/ai"


def test_the_social_meta_tags_describe_the_post(client, make_post, agents) -> None:
    make_post(
        slug="social",
        title="Cards",
        content="![c](pictures/card.png) Text.",
        summary="A card's summary.",
        tags=["one", "two"],
        author=agents["scribe"],
    )
    _, soup = load(client, "/posts/social")
    assert meta(soup, "description") == ["A card's summary."]
    assert meta(soup, "og:type") == ["article"]
    assert meta(soup, "og:title") == ["Cards"]
    assert meta(soup, "og:description") == ["A card's summary."]
    assert meta(soup, "og:url") == ["https://blog.example/posts/social"]
    # A relative image is resolved against the post's own URL.
    assert meta(soup, "og:image") == ["https://blog.example/posts/pictures/card.png"]
    assert meta(soup, "article:tag") == ["one", "two"]
    assert datetime.fromisoformat(meta(soup, "article:published_time")[0]).tzinfo is not None
    assert meta(soup, "twitter:card") == ["summary_large_image"]
    assert meta(soup, "twitter:title") == ["Cards"]


def test_a_post_without_an_image_gets_the_default_social_card(client, make_post) -> None:
    make_post(slug="plain", content="No pictures here.")
    _, soup = load(client, "/posts/plain")
    card = "https://blog.example/static/social-card.png"
    assert meta(soup, "og:image") == [card]
    assert meta(soup, "twitter:card") == ["summary_large_image"]
    with client.get("/static/social-card.png") as image:  # closes the file it streams
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_a_cross_posted_post_names_its_canonical_url(client, make_post) -> None:
    make_post(slug="elsewhere", canonical_url="https://origin.example/first")
    make_post(slug="here")
    _, soup = load(client, "/posts/elsewhere")
    assert soup.select_one("link[rel=canonical]")["href"] == "https://origin.example/first"
    assert meta(soup, "og:url") == ["https://origin.example/first"]
    assert structured(soup)["mainEntityOfPage"]["@id"] == "https://origin.example/first"
    assert structured(soup)["url"] == "https://blog.example/posts/elsewhere"
    _, own = load(client, "/posts/here")
    assert own.select_one("link[rel=canonical]")["href"] == "https://blog.example/posts/here"


def test_json_ld_cannot_close_its_script_element(client, make_post) -> None:
    hostile = "</script><script>alert(1)</script> & <!-- more"
    make_post(slug="hostile", title=hostile, summary=hostile, tags=["</script>"])
    response, soup = load(client, "/posts/hostile")
    html = response.get_data(as_text=True)
    ld = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in ld and ">" not in ld
    data = structured(soup)
    assert data["headline"] == data["description"] == hostile
    assert data["keywords"] == ["</script>"]
    assert not soup.select("script:not([type])")


def test_listings_carry_the_byline_and_label(client, make_post, agents) -> None:
    make_post(title="Agent post", author=agents["bare"])
    for path in ("/", "/authors/bare"):
        _, soup = load(client, path)
        card = soup.select_one("article.card")
        text = " ".join(card.select_one(".byline").get_text().split())
        # Empty author fields are said, not skipped.
        assert text == (
            "Written by Bare, an AI agent running on an undisclosed model,"
            " operated by an unnamed operator · AI-generated"
        )


def test_the_byline_wording_is_configurable_but_the_label_stays(settings, build_app) -> None:
    settings["BYLINE"] = "By {agent} ({model}, for {operator})"
    app = build_app(**settings)
    with app.app_context():
        author, _ = posts.save_author({"slug": "a", "name": "A", "model": "M", "operator": "O"})
        posts.create_post(
            author, {"title": "T", "slug": "t", "content": "x", "status": "published"}
        )
        posts.create_post(
            author,
            {
                "title": "H",
                "slug": "h",
                "content": "x",
                "status": "published",
                "disclosure": "human",
            },
        )
    client = app.test_client()
    _, soup = load(client, "/posts/t")
    byline = soup.select_one(".byline")
    assert " ".join(byline.get_text().split()) == "By A (M, for O) · AI-generated"
    _, human = load(client, "/posts/h")
    assert human.select_one(".byline").get_text().startswith("Written by a human")


@pytest.mark.parametrize(
    ("wording", "problem"),
    [("Posted on {model}", "{agent}"), ("By {agent} {nonsense}", "unknown"), ("By {agent", "")],
)
def test_a_byline_setting_that_could_hide_the_agent_is_refused(settings, wording, problem):
    settings["BYLINE"] = wording
    with pytest.raises(ValueError, match="BLOG_BYLINE") as caught:
        create_app(settings)
    assert problem in str(caught.value)


def test_the_about_page_is_linked_from_every_footer(client, make_post, agents) -> None:
    make_post(slug="p", author=agents["scribe"])
    for path in ("/", "/posts/p", "/tags/", "/nope"):
        soup = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
        assert soup.select_one("footer a[href='/about/ai']"), path
    response, soup = load(client, "/about/ai")
    assert response.headers["ETag"]
    assert [dt.get_text() for dt in soup.select(".disclosure-levels dt")] == [
        "AI-generated",
        "AI-assisted",
        "Written by a human",
    ]
    agents_text = soup.select_one(".agents").get_text()
    assert "Scribe" in agents_text and "Claude Opus 4" in agents_text and "Anthropic" in agents_text
    again = client.get("/about/ai", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_other_pages_get_website_cards_and_no_post_disclosure(client, make_post) -> None:
    make_post(tags=["news"])
    _, soup = load(client, "/tags/")
    assert meta(soup, "og:type") == ["website"]
    assert meta(soup, "og:url") == ["https://blog.example/tags/"]
    assert not soup.select('meta[name="ai-disclosure"]')  # a list of tags shows no post
    assert "AI-Disclosure" not in client.get("/tags/").headers


def listing_disclosure(client: FlaskClient, path: str) -> tuple[list[str], dict[str, Any]]:
    response, soup = load(client, path)
    header = http_sf.parse(response.headers["AI-Disclosure"].encode(), tltype="dictionary")
    return meta(soup, "ai-disclosure"), {key: value for key, (value, _) in header.items()}


# /archive lists years, not posts: the posts are on each year's page.
LISTINGS = ("/", "/tags/news", "/authors/quill", f"/archive/{days_ago(99).year}")


@pytest.mark.parametrize("path", LISTINGS)
def test_every_page_that_shows_posts_discloses_their_level(client, make_post, path) -> None:
    make_post(tags=["news"], disclosure="ai-assisted")
    newest = make_post(tags=["news"], disclosure="ai-assisted")
    found, header = listing_disclosure(client, path)
    assert found == ["ai-assisted"]
    assert str(header["mode"]) == "ai-originated"
    assert header["date"] == newest.updated_at.replace(microsecond=0)


@pytest.mark.parametrize("path", LISTINGS)
def test_a_page_mixing_levels_discloses_the_most_machine_made(client, make_post, path) -> None:
    make_post(tags=["news"], disclosure="human")
    assert listing_disclosure(client, path)[0] == ["none"]
    make_post(tags=["news"], disclosure="ai-assisted")
    assert listing_disclosure(client, path)[0] == ["ai-assisted"]
    make_post(tags=["news"], disclosure="ai-generated")
    found, header = listing_disclosure(client, path)
    assert found == ["ai-generated"] and str(header["mode"]) == "machine-generated"


def test_an_empty_home_page_discloses_nothing(client) -> None:
    response, soup = load(client, "/")
    assert not soup.select('meta[name="ai-disclosure"]')
    assert "AI-Disclosure" not in response.headers


def a_post(disclosure_level: str, **author: str) -> Any:
    """A post as feeds and the API see it: plain attributes, no database."""
    from types import SimpleNamespace

    fields = {"slug": "s", "name": "Quill", "model": "", "provider": "", "operator": ""}
    fields |= {"operator_url": "", **author}
    return SimpleNamespace(
        disclosure=disclosure_level,
        updated_at=datetime(2026, 11, 26, 8, tzinfo=UTC),
        author=SimpleNamespace(**fields),
    )


def test_the_facts_feeds_and_the_api_share() -> None:
    from blog.content import disclosure

    post = a_post("ai-assisted", model="通义千问", provider="Alibaba", operator="Ada")
    assert disclosure.facts(post).as_dict() == {
        "disclosure": "ai-assisted",
        "agent": "Quill",
        "model": "通义千问",
        "provider": "Alibaba",
        "operator": "Ada",
        "operator_url": "",
        "digital_source_type": SCHEMA + "CompositeWithTrainedAlgorithmicMediaDigitalSource",
    }
    header = http_sf.parse(disclosure.header_value(post).encode(), tltype="dictionary")
    assert str(header["model"][0]) == "通义千问"  # an RFC 9651 display string
    assert disclosure.byline_text(post) == (
        "Written by Quill, an AI agent running on 通义千问, operated by Ada, and edited by a human"
    )
    assert disclosure.byline_text(a_post("ai-generated")) == (
        "Written by Quill, an AI agent running on an undisclosed model,"
        " operated by an unnamed operator"
    )
    unknown = a_post("something-else")
    assert disclosure.facts(unknown).disclosure == "ai-generated"  # never less than the default


# ---------------------------------------------------------------- /about/ai says what is true

FEED_NS = {"a": "http://www.w3.org/2005/Atom", "ab": "https://agentblog.dev/ns/1.0"}


def _check_byline(client: FlaskClient, slug: str, api: Any) -> None:
    for path in (f"/posts/{slug}", "/"):
        byline = load(client, path)[1].select_one(".byline").get_text()
        assert "Scribe" in byline and "Claude Opus 4" in byline and "Ada Lovelace" in byline


def _check_pages(client: FlaskClient, slug: str, api: Any) -> None:
    listings = ("/", "/tags/news", "/authors/scribe", f"/archive/{days_ago(99).year}")
    for path in (f"/posts/{slug}", *listings):
        response, soup = load(client, path)
        assert meta(soup, "ai-disclosure") == ["ai-assisted"], path
        assert (
            str(
                http_sf.parse(response.headers["AI-Disclosure"].encode(), tltype="dictionary")[
                    "mode"
                ][0]
            )
            == "ai-originated"
        ), path
    data = structured(load(client, f"/posts/{slug}")[1])
    assert data["@type"] == "BlogPosting" and data["digitalSourceType"] in DIGITAL_SOURCE_TYPES


def _check_markdown(client: FlaskClient, slug: str, api: Any) -> None:
    for path in (f"/posts/{slug}.md", "/index.md"):
        assert "ai-originated" in client.get(path).headers["AI-Disclosure"], path
    assert "\nai_disclosure: ai-assisted\n" in client.get(f"/posts/{slug}.md").get_data(
        as_text=True
    )


def _check_feeds(client: FlaskClient, slug: str, api: Any) -> None:
    rss = ElementTree.fromstring(client.get("/feed.xml").data)
    assert [e.text for e in rss.iterfind("channel/item/ab:disclosure", FEED_NS)] == ["ai-assisted"]
    atom = ElementTree.fromstring(client.get("/atom.xml").data)
    assert [e.text for e in atom.iterfind("a:entry/ab:disclosure", FEED_NS)] == ["ai-assisted"]
    items = client.get("/feed.json").get_json(force=True)["items"]
    assert [item["_agentblog"]["disclosure"] for item in items] == ["ai-assisted"]
    assert [p["disclosure"] for p in api.get("/posts").json["items"]] == ["ai-assisted"]


# Each statement of the page (by id), the words it must contain, and the check of its truth.
CLAIMS = {
    "disclosure-byline": (["byline", "every listing"], _check_byline),
    "disclosure-pages": (
        ["home page", "tag pages", "author pages", "archive of a year", "ai-disclosure",
         "AI-Disclosure", "most machine-made", "digitalSourceType"],
        _check_pages,
    ),
    "disclosure-markdown": ([".md", "/index.md", "AI-Disclosure", "ai_disclosure"],
                            _check_markdown),
    "disclosure-feeds": (["RSS", "Atom", "JSON Feed", "JSON API"], _check_feeds),
}  # fmt: skip


def test_the_about_page_says_where_the_disclosure_is_and_it_is_there(
    client, make_post, agents, make_token
) -> None:
    post = make_post(author=agents["scribe"], tags=["news"], disclosure="ai-assisted")
    api = Api(client, make_token(owner=agents["scribe"]))
    places = load(client, "/about/ai")[1].select(".disclosure-places li")
    assert {li["id"] for li in places} == set(CLAIMS)  # no statement goes unchecked
    for li in places:
        words, check = CLAIMS[li["id"]]
        text = li.get_text()
        assert all(word in text for word in words), (li["id"], text)
        check(client, post.slug, api)
