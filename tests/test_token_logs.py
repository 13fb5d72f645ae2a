"""Tokens never reach the logs through a traceback: an exception's message is masked too."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog.access import tokens


def test_a_token_in_an_unexpected_errors_traceback_is_masked(
    app: Flask, client: FlaskClient, make_token, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A library that quotes its argument in an error (a driver echoing a bound parameter).
    def broken(raw: str, now=None, resource="api"):
        raise RuntimeError(f"lookup failed for {raw!r}")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    raw = make_token()
    monkeypatch.setattr(tokens, "verify", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 500
    assert "RuntimeError" in caplog.text  # the traceback was logged
    assert raw.split("_", 1)[1][:12] not in caplog.text


def test_a_token_in_any_loggers_exception_is_masked(
    app: Flask, make_token, caplog: pytest.LogCaptureFixture
) -> None:
    raw = make_token()
    try:
        raise ValueError(f"bad value {raw}")
    except ValueError:
        logging.getLogger("some.library").exception("failed")
    assert "ValueError" in caplog.text
    assert raw.split("_", 1)[1][:12] not in caplog.text
