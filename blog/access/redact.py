"""Keep API tokens out of every log line the process writes, whichever library logs it."""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "[redacted]"
_installed: dict[str, re.Pattern[str]] = {}


def pattern(prefix: str) -> re.Pattern[str]:
    """Match a token (or a piece of one) and whatever follows "Bearer "."""
    return re.compile(rf"{re.escape(prefix)}[A-Za-z0-9_-]{{4,}}|(?<=Bearer )[^\s\"',;]+", re.I)


def redact(text: str, secret: re.Pattern[str]) -> str:
    """Replace every token-shaped piece of text with MASK."""
    return secret.sub(MASK, text)


def install(prefix: str) -> None:
    """Make every log record of this process mask tokens, once, however often it is called.

    A record factory sees each record as it is made, before any handler or formatter: the
    access log of gunicorn (an operator may log the Authorization header or the query
    string), Werkzeug's request lines and our own tracebacks alike.
    """
    if prefix in _installed:
        return
    secret = _installed[prefix] = pattern(prefix)
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _scrub(record, secret)
        return record

    logging.setLogRecordFactory(factory)


def _scrub(record: logging.LogRecord, secret: re.Pattern[str]) -> None:
    """Format the record's message now, masked; mask its traceback too."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: logging reports it later, as it would have
        return
    record.msg, record.args = redact(message, secret), None
    if record.exc_info and record.exc_info[0] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text, secret)
