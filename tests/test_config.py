"""Settings: layering, casting, the generated secret key, and the README listing them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from blog import config, create_app

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for setting in config.SETTINGS:
        assert f"`{setting.env}`" in readme, f"{setting.env} is not in the README"


def test_environment_overrides_instance_config(tmp_path: Path, monkeypatch) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("TITLE = 'From file'\nPOSTS_PER_PAGE = 3\n")
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("BLOG_POSTS_PER_PAGE", "7")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["TITLE"] == "From file"
    assert app.config["POSTS_PER_PAGE"] == 7
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'blog.sqlite'}"


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ValueError, match="BLOG_POSTS_PER_PAGE"):
        config.from_environ({"BLOG_POSTS_PER_PAGE": "ten"})


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("BLOG_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
