"""The sender as deployed: gunicorn with 4 workers, each with its thread, one shared queue."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from blog.extensions import db
from blog.models import Delivery

from .support import live
from .support.factories import app_settings
from .support.receiver import Receiver, wait_until


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return app_settings(tmp_path, WEBHOOK_ALLOW_PRIVATE=True)


@pytest.mark.slow
def test_four_gunicorn_workers_send_each_delivery_exactly_once(
    app: Flask, runner, make_post, tmp_path: Path
) -> None:
    receiver = Receiver()
    try:
        for path in ("/a", "/b"):
            assert runner.invoke(args=["webhook", "add", receiver.url + path]).exit_code == 0
        for n in range(5):  # recorded before any server runs: nothing is woken, all is due
            make_post(title=f"Post {n}", tags=["notes"])
        database_url = app.config["SQLALCHEMY_DATABASE_URI"]
        fast = {"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_BACKOFF": "0.1"}
        with live.running(database_url, tmp_path / "instance", 4, **fast) as server:
            base = server.url
            wait_until(lambda: _answers(base + "/feed.json"), what="gunicorn")
            with ThreadPoolExecutor(8) as pool:  # reach every worker, so all four threads run
                list(pool.map(lambda _: _answers(base + "/feed.json"), range(64)))
            wait_until(lambda: _settled(app, 10), what="ten settled deliveries")
    finally:
        receiver.close()
    sent = [(r.path, r.headers["X-Agentblog-Delivery"]) for r in receiver.requests]
    assert len(sent) == 10 and len(set(sent)) == 10
    titles = sorted(json.loads(r.body)["post"]["title"] for r in receiver.requests)
    assert titles == sorted([f"Post {n}" for n in range(5)] * 2)


def _settled(app: Flask, count: int) -> bool:
    """Say whether `count` deliveries exist and all are delivered (none can be sent again)."""
    with app.app_context():
        statuses = db.session.scalars(select(Delivery.status)).all()
    return len(statuses) == count and all(status == "delivered" for status in statuses)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
            return response.status == 200
    except OSError:
        return False
