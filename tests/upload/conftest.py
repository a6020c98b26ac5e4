"""Fixtures of the upload tests: per-test copies of the real demonstration workspace and apps
with accounts of every role (``tests.helpers.create_accounts``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEMO_ID, Accounts, create_accounts


@pytest.fixture()
def ws(demo_workspace_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demonstration workspace (for tests that write)."""
    target = tmp_path / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    return target


@pytest.fixture()
def upload_app(make_app: Any, ws: Path) -> Iterator[tuple[Any, Accounts, Path]]:
    """The app serving the private workspace copy, with a fresh users database."""
    app = make_app(WORKSPACES_DIR=str(ws.parent))
    yield app, create_accounts(app), ws


@pytest.fixture(scope="module")
def shared_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Accounts, Path]:
    """One app and workspace copy for tests that must not change it (bad uploads)."""
    base = tmp_path_factory.mktemp("upload-shared")
    target = base / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    app = make_app(WORKSPACES_DIR=str(target.parent), UPLOAD_RECOMPUTE=False)
    return app, create_accounts(app), target
