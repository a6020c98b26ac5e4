"""The session key is shared by every worker and survives restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import ConfigError, instance_secret_key


def test_key_is_made_once_and_reused(tmp_path: Path) -> None:
    first = instance_secret_key(tmp_path)
    assert len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert instance_secret_key(tmp_path) == first


def test_short_key_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret_key").write_text("short", encoding="ascii")
    monkeypatch.setattr("app.time.sleep", lambda _s: None)
    with pytest.raises(ConfigError, match="too short"):
        instance_secret_key(tmp_path)


def test_two_apps_share_the_key(make_app: Any, tmp_path: Path) -> None:
    config = {"WORKSPACES_DIR": str(tmp_path / "ws")}
    a = make_app(exact=True, **config)  # Flask's instance folder: the key kept there
    b = make_app(exact=True, **config)
    assert a.config["SECRET_KEY"] == b.config["SECRET_KEY"]
    assert len(a.config["SECRET_KEY"]) == 64
