"""Reading what machines send: JSON bodies and query strings, refused as problem+json."""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from .errors import Problem

M = TypeVar("M", bound=BaseModel)
# Our bodies nest two levels (an object holding a list of tags); deeper is refused by name.
MAX_JSON_DEPTH = 8
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_INNERMOST = re.compile(r"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Turn pydantic's errors into [{field, message}], fields dotted (tags.2)."""
    return [
        {"field": ".".join(str(part) for part in e["loc"]) or "body", "message": e["msg"]}
        for e in exc.errors(include_url=False)
    ]


def invalid(errors: list[dict[str, str]], detail: str = "") -> Problem:
    """Return the 422 problem for field errors."""
    detail = detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Problem(422, "validation_failed", detail, errors)


def read_json(model: type[M], raw: bytes) -> M:
    """Parse a UTF-8 JSON body into `model`; raise Problem 400 or 422 on bad input."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "invalid_utf8", f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        broken = [e for e in exc.errors(include_url=False) if e["type"] == "json_invalid"]
        # The parser (jiter) stops at 200 levels; our own limit is far smaller.
        if (broken and "recursion limit" in broken[0]["msg"]) or (
            not broken and nests_deeper(text, MAX_JSON_DEPTH)
        ):
            detail = f"the JSON nests deeper than {MAX_JSON_DEPTH} levels"
            raise Problem(400, "json_too_deep", detail) from None
        if broken:
            raise Problem(400, "malformed_json", broken[0]["msg"]) from None
        raise invalid(field_errors(exc)) from None


def nests_deeper(text: str, limit: int) -> bool:
    """Tell whether well-formed JSON nests arrays and objects deeper than `limit`."""
    rest = _JSON_STRING.sub("", text)  # linear on valid JSON: every quote opens a string
    for _ in range(limit):
        rest, peeled = _INNERMOST.subn("", rest)
        if not peeled:
            return False
    return bool(_INNERMOST.search(rest))


def read_query(model: type[M], args: MultiDict[str, str]) -> M:
    """Validate query parameters into `model`, or raise a 422; a repeated one is refused.

    `?dry_run=false&dry_run=true` has no single meaning: taking either value would be a guess.
    """
    repeated = [
        {"field": name, "message": f"given {len(values)} times; send it once"}
        for name, values in args.lists()
        if len(values) > 1
    ]
    if repeated:
        raise invalid(repeated)
    try:
        return model.model_validate(args.to_dict())
    except ValidationError as exc:
        raise invalid(field_errors(exc)) from None
