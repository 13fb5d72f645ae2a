"""Read a Micropub request (form, multipart or JSON) into one Call, or refuse it with a 400."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from werkzeug.datastructures import FileStorage

from ..http.bodies import MAX_JSON_DEPTH, nests_deeper
from ..http.errors import Problem

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
ACTIONS = ("create", "update", "delete", "undelete")
# Form fields that are not properties of the post.
RESERVED = ("h", "action", "url", "access_token")
PHOTO_FIELDS = ("photo", "photo[]")
MAX_PHOTOS = 4


@dataclass
class Call:
    """What a Micropub POST asks for: an action and what it needs."""

    action: str = "create"
    url: str = ""
    properties: dict[str, list[Any]] = field(default_factory=dict)
    commands: dict[str, list[Any]] = field(default_factory=dict)  # the mp-* properties
    changes: dict[str, Any] = field(default_factory=dict)  # update: replace, add, delete
    files: list[FileStorage] = field(default_factory=list)
    token: str | None = None  # the access_token form field


def bad(detail: str, code: str = "invalid_request") -> Problem:
    """Return the 400 invalid_request problem."""
    return Problem(400, code, detail)


def read_call() -> Call:
    """Read the POST body by its Content-Type; refuse other types and query parameters."""
    if request.args:
        raise bad("send the request's parameters in the body, not in the query string")
    if request.mimetype == "application/json":
        return read_json(request.get_data())
    if request.mimetype in FORM_TYPES:
        return read_form()
    detail = "send application/x-www-form-urlencoded, multipart/form-data or application/json"
    raise bad(detail, "unsupported_content_type")


def limit_body(files: int) -> None:
    """Refuse (413) a body larger than a post with `files` images could be, before reading it."""
    limit = current_app.config["API_MAX_BODY_BYTES"]
    if request.mimetype == "multipart/form-data":
        limit += files * current_app.config["MEDIA_MAX_BYTES"]
    request.max_content_length = limit


def form_token() -> str | None:
    """Return the access_token form field of a form or multipart body, or None."""
    if request.mimetype not in FORM_TYPES:
        return None
    values = request.form.getlist("access_token")
    if len(values) > 1:
        raise bad("send access_token once")
    return values[0] if values else None


def read_form() -> Call:
    """Read a form-encoded or multipart body: h=entry and properties, or an action and url."""
    form = request.form
    call = Call(token=form_token())
    for name in ("h", "action", "url"):
        if len(form.getlist(name)) > 1:
            raise bad(f"send {name} once")
    if any(key.lstrip().startswith(("{", "[")) for key in form):
        raise bad("this body is JSON: send it with Content-Type: application/json")
    call.action, call.url = form.get("action", "create"), form.get("url", "")
    for key in form:
        name = key[:-2] if key.endswith("[]") else key
        if key in RESERVED:
            continue
        target = call.commands if name.startswith("mp-") else call.properties
        target.setdefault(name, []).extend(form.getlist(key))
    call.files = [f for key in PHOTO_FIELDS for f in request.files.getlist(key)]
    others = sorted(set(request.files) - set(PHOTO_FIELDS))
    if others:
        raise bad(f"only photo files may be attached here, not {', '.join(others)}")
    if len(call.files) > MAX_PHOTOS:
        raise bad(f"attach at most {MAX_PHOTOS} photos")
    _check_action(call)
    if call.action == "update":
        raise bad("send an update as JSON (Content-Type: application/json), as Micropub asks")
    if call.action == "create" and form.get("h", "") != "entry":
        h = form.get("h")
        raise bad("h=entry is missing" if h is None else f"h={h} is not supported: use h=entry")
    return call


def read_json(raw: bytes) -> Call:
    """Read a JSON body: {"type": ["h-entry"], "properties": …} or {"action": …, "url": …}."""
    try:
        text = raw.decode("utf-8")
        body = json.loads(text)
    except UnicodeDecodeError:
        raise bad("the body is not UTF-8") from None
    except ValueError as exc:
        raise bad(f"the body is not JSON: {exc}") from None
    if nests_deeper(text, MAX_JSON_DEPTH):
        raise bad(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    call = Call(action=body.get("action", "create"), url=body.get("url", ""))
    _check_action(call)
    if call.action == "update":
        call.changes = {k: body[k] for k in ("replace", "add", "delete") if k in body}
        if not call.changes:
            raise bad("an update needs replace, add or delete")
    elif call.action == "create":
        _read_entry(call, body)
    return call


def _read_entry(call: Call, body: dict[str, Any]) -> None:
    kind, properties = body.get("type"), body.get("properties")
    if kind != ["h-entry"]:
        raise bad(f'type must be ["h-entry"], not {json.dumps(kind)}')
    if not isinstance(properties, dict):
        raise bad("properties must be an object of property names and lists of values")
    for name, values in properties.items():
        target = call.commands if name.startswith("mp-") else call.properties
        target[name] = values


def _check_action(call: Call) -> None:
    if not isinstance(call.action, str) or call.action not in ACTIONS:
        raise bad(f"unknown action {call.action!r}: use update, delete or undelete")
    if not isinstance(call.url, str):
        raise bad("url must be text")
    if call.action != "create" and not call.url:
        raise bad(f"{call.action} needs the url of the post")
