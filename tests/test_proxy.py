"""Behind a proxy: X-Forwarded-* counts only from the proxies BLOG_TRUSTED_PROXIES trusts."""

from __future__ import annotations

from typing import Any

import pytest

from .support.asserts import assert_problem

PROXY = "10.0.0.1"  # the address the blog sees every request come from
BAD = {"Authorization": "Bearer blog_not-a-token"}
PAGES = ["/", "/posts/hello", "/tags/news", "/feed.xml", "/atom.xml", "/sitemap.xml", "/llms.txt"]


def refused(client: Any, forwarded_for: str) -> int:
    """Send a bad token from behind the proxy; return the status it got."""
    headers = {**BAD, "X-Forwarded-For": forwarded_for}
    answer = client.get("/api/v1/me", headers=headers, environ_base={"REMOTE_ADDR": PROXY})
    return answer.status_code


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, "BAD_TOKEN_LIMIT": "2 per minute"}


def test_without_trusted_proxies_a_forged_address_changes_nothing(client) -> None:
    # Each request claims another address; all are the proxy's, so the third is refused.
    statuses = [refused(client, address) for address in ("1.1.1.1", "2.2.2.2", "3.3.3.3")]
    assert statuses == [401, 401, 429]


def test_with_one_trusted_proxy_each_client_has_its_own_budget(build_app, settings) -> None:
    client = build_app(**settings, TRUSTED_PROXIES=1).test_client()
    assert [refused(client, "1.1.1.1") for _ in range(3)] == [401, 401, 429]
    assert refused(client, "2.2.2.2") == 401  # another client behind the same proxy
    # A client that writes its own X-Forwarded-For gets the proxy's value appended: only
    # that last one counts, so 1.1.1.1 cannot pass for 8.8.8.8.
    assert refused(client, "8.8.8.8, 1.1.1.1") == 429
    headers = {**BAD, "X-Forwarded-For": "8.8.8.8, 1.1.1.1"}
    answer = client.get("/api/v1/me", headers=headers, environ_base={"REMOTE_ADDR": PROXY})
    assert_problem(answer, 429, "too_many_bad_tokens")


@pytest.fixture
def blog(make_post: Any) -> None:
    make_post(title="Hello", slug="hello", tags=["news"])


FORWARDED = {
    "Host and Proto": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    "For": {"X-Forwarded-For": "203.0.113.9"},
}


@pytest.mark.parametrize("name", FORWARDED)
def test_trusted_forwarded_headers_never_shape_a_page(build_app, settings, blog, name) -> None:
    proxied, cold = (build_app(**settings, TRUSTED_PROXIES=1).test_client() for _ in range(2))
    for path in PAGES:
        reference = cold.get(path)
        odd = proxied.get(path, headers=FORWARDED[name])
        assert odd.status_code == 200, path
        assert (odd.data, odd.headers["ETag"]) == (reference.data, reference.headers["ETag"])
        assert b"evil.example" not in odd.data


def test_a_trusted_prefix_links_under_it_and_only_for_its_requests(build_app, settings, blog):
    proxied, cold = (build_app(**settings, TRUSTED_PROXIES=1).test_client() for _ in range(2))
    mounted = proxied.get("/", headers={"X-Forwarded-Prefix": "/blog"})
    assert 'href="/blog/tags/"' in mounted.get_data(as_text=True)
    plain = proxied.get("/")
    assert (plain.data, plain.headers["ETag"]) == (
        cold.get("/").data,
        cold.get("/").headers["ETag"],
    )
    assert mounted.headers["ETag"] != plain.headers["ETag"]


def test_an_untrusted_prefix_is_ignored(client, blog) -> None:
    mounted = client.get("/", headers={"X-Forwarded-Prefix": "/blog"})
    assert "/blog/" not in mounted.get_data(as_text=True)
