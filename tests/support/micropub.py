"""A Micropub client over the Flask test client, and the check of a Micropub error."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


class Micropub:
    """Call /micropub with a bearer token: mp.post(data={...}) or mp.post(json={...})."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token

    def headers(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"} if token != "" else {}

    def post(self, path: str = "/micropub", token: str | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers(token), **kwargs)

    def get(self, path: str = "/micropub", token: str | None = None, **query: Any) -> Any:
        return self.client.get(path, headers=self.headers(token), query_string=query)

    def create(self, **kwargs: Any) -> str:
        """Create a post (form data= or json=); return its Location."""
        answer = self.post(**kwargs)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.headers["Location"]

    def source(self, url: str, **query: Any) -> dict[str, Any]:
        answer = self.get(q="source", url=url, **query)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()


def assert_micropub_error(response: Any, status: int, error: str) -> dict[str, Any]:
    """Check a Micropub error (spec §3.7): this status, JSON with `error` and a description."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == error and body["error_description"] and body["code"], body
    return body
