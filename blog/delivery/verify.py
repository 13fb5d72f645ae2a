"""Check a signed post anywhere: fetch its markdown, its JWS and the signer's DID document."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..formats import signatures
from . import safehttp
from .signatures import outgoing


class NotVerified(ValueError):
    """The post could not be verified; the message says what failed."""


@dataclass(frozen=True)
class Verified:
    markdown_url: str
    kid: str
    did: str
    retired: bool


def urls(url: str) -> tuple[str, str]:
    """Return (markdown, signature) URLs for a post's page, .md or .md.jws URL."""
    page = url.strip().removesuffix(".jws").removesuffix(".md")
    return page + ".md", page + ".md.jws"


def _fetch(url: str, what: str, timeout: float, allow_loopback: bool) -> bytes:
    try:
        headers = outgoing("GET", url, {"Accept": "*/*"})
        answer = safehttp.get(url, headers, timeout, allow_loopback)
    except safehttp.Refused as exc:
        raise NotVerified(f"refused to fetch the {what} ({url}): {exc}") from None
    except OSError as exc:
        raise NotVerified(f"could not fetch the {what} ({url}): {exc}") from None
    if answer.status != 200:
        raise NotVerified(f"the {what} ({url}) answered {answer.status}")
    return answer.body


def document_url(did: str, post_url: str) -> str:
    """Return where the DID's document is: https, or the post's http for a loopback host."""
    parts = urlsplit(post_url)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    scheme = "http" if loopback and parts.scheme == "http" else "https"
    where = signatures.did_document_url(did, scheme)
    # A post vouched for by another site's DID proves nothing about this one.
    if urlsplit(where).hostname != parts.hostname:
        raise NotVerified(f"the signer {did} is not of the post's host {parts.hostname}")
    return where


def verify(url: str, timeout: float = 10.0, allow_loopback: bool = False) -> Verified:
    """Verify the post at url; raise NotVerified saying what does not match."""
    markdown_url, jws_url = urls(url)
    markdown = _fetch(markdown_url, "markdown", timeout, allow_loopback)
    jws = _fetch(jws_url, "signature", timeout, allow_loopback).decode("ascii", "replace")
    try:
        kid = signatures.header_of(jws)["kid"]
        did = kid.split("#", 1)[0]
        where = document_url(did, markdown_url)
        raw = _fetch(where, "DID document", timeout, allow_loopback)
        try:
            document = json.loads(raw)
        except ValueError:
            raise NotVerified(f"the DID document ({where}) is not JSON") from None
        if not isinstance(document, dict) or document.get("id") != did:
            raise NotVerified(f"the DID document ({where}) is not the document of {did}")
        signatures.verify(jws, markdown, signatures.key_in(document, kid))
    except signatures.BadSignature as exc:
        raise NotVerified(str(exc)) from None
    current = document.get("authentication") or []
    return Verified(markdown_url, kid, did, retired=kid not in current)
