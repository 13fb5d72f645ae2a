"""Checks that several test modules make: a problem+json answer, a markdown file's front matter."""

from __future__ import annotations

import re
from typing import Any

import yaml


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check that response is an RFC 9457 problem with this status and code; return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["code"] == code, problem
    assert problem["type"].endswith(code) and problem["title"] and problem["detail"], problem
    return problem


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a markdown file into its YAML front matter (parsed) and its body."""
    match = re.match(r"\A---\n(.*?)\n---\n(.*)\Z", text, re.DOTALL)
    assert match, text[:200]
    return yaml.safe_load(match.group(1)), match.group(2)
