"""Signed posts: a detached JWS per published version, did:web documents, `flask verify`."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.jwk import OKPKey

from blog.extensions import db
from blog.models import AuthorKey

from .support.asserts import assert_problem
from .support.documents import Document, DocumentServer
from .support.factories import TEST_DATABASE_URL, make_app
from .support.live import served_blog
from .support.receiver import blog_keys, check_signed

AUTHOR = {"slug": "quill", "name": "Quill", "model": "Claude", "operator": "Ada"}
DID = "did:web:blog.example:authors:quill"


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def did_document(client: Any, slug: str = "quill") -> dict[str, Any]:
    response = client.get(f"/authors/{slug}/did.json")
    assert response.status_code == 200 and response.mimetype == "application/did+json"
    return response.get_json(force=True)


def check_did_document(document: dict[str, Any]) -> dict[str, str]:
    """DID Core's required shape for did:web; return {kid: x} of its Ed25519 keys."""
    assert document["id"] == DID and "https://www.w3.org/ns/did/v1" in document["@context"]
    keys = {}
    for method in document["verificationMethod"]:
        assert method["id"].startswith(DID + "#") and method["controller"] == DID
        assert method["type"] == "JsonWebKey2020"
        jwk = method["publicKeyJwk"]
        assert set(jwk) == {"kty", "crv", "x"}  # public only: no "d"
        assert (jwk["kty"], jwk["crv"], len(unb64(jwk["x"]))) == ("OKP", "Ed25519", 32)
        keys[method["id"]] = jwk["x"]
    assert set(document["assertionMethod"]) == set(keys)
    return keys


# A second, independent JOSE implementation checks our JWS (joserfc warns that RFC 9864
# deprecates the EdDSA name; the issue asks for EdDSA).
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_a_published_post_is_signed_over_its_exact_markdown(client, api, make_post) -> None:
    post = make_post(slug="p", title="Signed")
    markdown = client.get("/posts/p.md")
    response = client.get("/posts/p.md.jws")
    assert response.status_code == 200 and response.mimetype == "application/jose"
    signature = response.get_data(as_text=True).strip()
    protected, payload, _ = signature.split(".")
    assert payload == ""  # detached (RFC 7515 appendix F)
    header = json.loads(unb64(protected))
    assert header["alg"] == "EdDSA" and header["kid"].startswith(DID + "#")
    keys = check_did_document(did_document(client))
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": keys[header["kid"]]})
    jws.deserialize_compact(signature, key, payload=markdown.data, algorithms=["EdDSA"])
    with pytest.raises(jws.BadSignatureError):
        jws.deserialize_compact(
            signature, key, payload=markdown.data + b"tampered", algorithms=["EdDSA"]
        )
    # Linked from the .md answer, the page, and carried by the API's answer.
    assert '</posts/p.md.jws>; rel="alternate"; type="application/jose"' in markdown.headers["Link"]
    page = BeautifulSoup(client.get("/posts/p").data, "html.parser")
    assert page.select_one("link[type='application/jose']")["href"] == "/posts/p.md.jws"
    signed = page.select_one(".signed")
    assert "Signed by Quill" in signed.get_text()
    assert signed.select_one("a[href='/docs/agents.md#signed-posts']")
    assert api.get(f"/posts/{post.id}").get_json()["signature"] == signature


def test_an_update_signs_the_new_version(client, api, make_post) -> None:
    post = make_post(slug="p")
    before = client.get("/posts/p.md.jws").data
    api.patch(f"/posts/{post.id}", json={"content": "A new body."})
    after = client.get("/posts/p.md.jws").get_data(as_text=True).strip()
    assert after.encode() != before.strip()
    header = json.loads(unb64(after.split(".")[0]))
    x = check_did_document(did_document(client))[header["kid"]]
    public = Ed25519PublicKey.from_public_bytes(unb64(x))
    protected, _, sig = after.split(".")
    payload = base64.urlsafe_b64encode(client.get("/posts/p.md").data).rstrip(b"=").decode()
    public.verify(unb64(sig), f"{protected}.{payload}".encode())


def test_drafts_unknown_posts_and_unknown_authors_get_a_clear_404(client, api, make_post):
    make_post(slug="draft", status="draft")
    assert_problem(client.get("/posts/draft.md.jws"), 404, "unknown_post")
    assert_problem(client.get("/posts/nope.md.jws"), 404, "unknown_post")
    assert_problem(client.get("/authors/nobody/did.json"), 404, "unknown_author")
    draft = api.get("/posts?status=draft").get_json()["items"][0]
    assert draft["signature"] is None


def test_private_keys_never_leave_the_server(app, client, runner, api, make_post, tmp_path):
    post = make_post(slug="p")
    with app.app_context():
        [key] = db.session.query(AuthorKey).all()
        stored = key.private_key
    assert "PRIVATE" not in stored and len(stored) > 60  # a Fernet token, not the key
    export = runner.invoke(args=["export", str(tmp_path / "out")])
    assert export.exit_code == 0, export.output
    texts = [
        client.get(p).get_data(as_text=True) for p in ("/authors/quill/did.json", "/posts/p.md")
    ]
    texts.append(api.get(f"/posts/{post.id}").get_data(as_text=True))
    texts += [path.read_text() for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert all(stored not in text and '"d"' not in text for text in texts)


# ---------------------------------------------------------------- flask verify, live


@contextmanager
def fake_host(routes: dict[str, bytes]) -> Iterator[str]:
    """Serve these paths' bytes on another loopback port: a copy someone could tamper with."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def other_jws(kid: str, payload: bytes) -> bytes:
    """A JWS over payload that names `kid` but is made with another key."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "EdDSA", "kid": kid}).encode())
    header = header.rstrip(b"=")
    body = base64.urlsafe_b64encode(payload).rstrip(b"=")
    sig = Ed25519PrivateKey.generate().sign(header + b"." + body)
    return header + b".." + base64.urlsafe_b64encode(sig).rstrip(b"=")


def test_verify_checks_live_posts_tampered_copies_wrong_keys_and_rotation(tmp_path: Path):
    with served_blog(tmp_path, AUTHOR) as (_app, base, token):
        database = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'blog.sqlite'}"
        cli_app = make_app(
            tmp_path / "instance",
            SECRET_KEY="live-test",
            DATABASE_URL=database,
            FETCH_ALLOW_LOOPBACK=True,
        )  # fmt: skip  (the server's instance: its site version too)
        try:
            check_verify_live(cli_app.test_cli_runner(), base, token)
        finally:
            with cli_app.app_context():  # close its pool: no connection left to the GC
                db.session.remove()
                db.engine.dispose()


def check_verify_live(cli: Any, base: str, token: str) -> None:
    """Verify a live post, tampered copies, a wrong key, and the same post after rotation."""
    headers = {"Authorization": f"Bearer {token}"}
    old = {"title": "Old", "content": "Old words.", "status": "published", "slug": "old"}
    assert requests.post(f"{base}/api/v1/posts", json=old, headers=headers).status_code == 201

    good = cli.invoke(args=["verify", f"{base}/posts/old"])
    assert good.exit_code == 0 and "VERIFIED" in good.output and "current key" in good.output

    markdown = requests.get(f"{base}/posts/old.md", timeout=10).content
    signature = requests.get(f"{base}/posts/old.md.jws", timeout=10).content
    kid = json.loads(unb64(signature.decode().split(".")[0]))["kid"]
    tampered = markdown.replace(b"Old words.", b"New words.")
    cases = [
        ("does not match", {"/posts/old.md": tampered, "/posts/old.md.jws": signature}),
        ("does not match", {
            "/posts/old.md": markdown, "/posts/old.md.jws": other_jws(kid, markdown),
        }),
        ("lists no key", {
            "/posts/old.md": markdown,
            "/posts/old.md.jws": other_jws(kid.split("#")[0] + "#unknown", markdown),
        }),
        ("not a detached", {"/posts/old.md": markdown, "/posts/old.md.jws": b"garbage"}),
    ]  # fmt: skip
    for expected, routes in cases:
        with fake_host(routes) as copy:
            bad = cli.invoke(args=["verify", f"{copy}/posts/old.md"])
        assert bad.exit_code != 0 and "NOT VERIFIED" in bad.output, bad.output
        assert expected in bad.output, (expected, bad.output)

    rotated = cli.invoke(args=["author", "rotate-key", "quill"])
    assert rotated.exit_code == 0, rotated.output
    after = cli.invoke(args=["verify", f"{base}/posts/old.md"])
    assert after.exit_code == 0 and "retired key" in after.output, after.output
    document = requests.get(f"{base}/authors/quill/did.json", timeout=10).json()
    assert len(document["verificationMethod"]) == 2 and len(document["authentication"]) == 1
    post_id = requests.get(f"{base}/api/v1/posts", headers=headers).json()["items"][0]["id"]
    requests.patch(f"{base}/api/v1/posts/{post_id}", json={"title": "Old, edited"}, headers=headers)
    edited = cli.invoke(args=["verify", f"{base}/posts/old.md.jws"])
    assert edited.exit_code == 0 and "current key" in edited.output, edited.output


def test_verify_refuses_private_addresses_and_unknown_authors(runner, settings, build_app) -> None:
    refused = runner.invoke(args=["verify", "http://127.0.0.1:9/posts/p"])
    assert refused.exit_code != 0 and "refused" in refused.output and "loopback" in refused.output
    private = runner.invoke(args=["verify", "http://10.0.0.1/posts/p"])
    assert private.exit_code != 0 and "private" in private.output
    unknown = runner.invoke(args=["author", "rotate-key", "nobody"])
    assert unknown.exit_code != 0 and "no author 'nobody'" in unknown.output


def test_lists_carry_the_same_signature_as_the_single_read(client, api, make_post) -> None:
    public = make_post(slug="p", title="Signed")
    draft = make_post(slug="d", title="Draft", status="draft")
    signature = client.get("/posts/p.md.jws").get_data(as_text=True).strip()
    single = {p.id: api.get(f"/posts/{p.id}").get_json() for p in (public, draft)}
    for query in ({}, {"q": "Signed"}, {"status": "published"}):
        listed = {item["id"]: item for item in api.get("/posts", query_string=query).json["items"]}
        assert listed[public.id]["signature"] == single[public.id]["signature"] == signature
        if draft.id in listed:
            assert listed[draft.id]["signature"] is single[draft.id]["signature"] is None


def test_the_verify_commands_fetches_are_signed_web_bot_auth_requests(
    settings, build_app, make_post
) -> None:
    app = build_app(**settings, FETCH_ALLOW_LOOPBACK=True)
    client = app.test_client()
    make_post(slug="p")
    copy = DocumentServer()
    try:
        for name in ("/posts/p.md", "/posts/p.md.jws"):
            copy.documents[name] = Document(client.get(name).data, "text/plain")
        result = app.test_cli_runner().invoke(args=["verify", f"{copy.url}/posts/p"])
        # Not verified (the copy is not of the signer's host), but it asked for both, signed.
        assert result.exit_code != 0 and "is not of the post's host" in result.output
        assert [path for path, _ in copy.received] == ["/posts/p.md", "/posts/p.md.jws"]
        keys = blog_keys(client)
        for path, headers in copy.received:
            assert headers["Signature-Agent"] == '"https://blog.example"'
            found = check_signed("GET", copy.url + path, headers, keys)
            assert found.parameters["tag"] == "web-bot-auth"
            assert "Content-Digest" not in headers  # a GET has no body to digest
    finally:
        copy.stop()


def test_a_new_secret_key_leaves_posts_unsigned_never_signed_by_an_old_key(
    app, build_app, client, make_post
) -> None:
    """Keys are decrypted once per process (blog.access.keys): under a new SECRET_KEY the
    same key must not sign from memory; the post is served unsigned (503 for its .jws)."""
    make_post(slug="p", title="Signed")
    assert client.get("/posts/p.md.jws").status_code == 200  # the key decrypted, kept
    rotated = build_app(SECRET_KEY="another secret").test_client()
    assert_problem(rotated.get("/posts/p.md.jws"), 503, "signing_key_unavailable")
    assert client.get("/posts/p.md.jws").status_code == 200  # the old secret still signs
