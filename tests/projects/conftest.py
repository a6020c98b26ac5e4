"""Fixtures of the project library tests: a private copy of the demonstration workspace per test
with accounts of every role (``tests.helpers.create_accounts``, the reviewer included)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEMO_ID, Accounts, create_accounts


@pytest.fixture()
def lib_ws(demo_workspace_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demonstration workspace (the tests write projects)."""
    target = tmp_path / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    return target


@pytest.fixture()
def lib_app(make_app: Any, lib_ws: Path) -> Iterator[tuple[Any, Accounts, Path]]:
    """The app over the private copy (no indicator recomputation), accounts of every role."""
    app = make_app(WORKSPACES_DIR=str(lib_ws.parent), UPLOAD_RECOMPUTE=False)
    yield app, create_accounts(app), lib_ws


@pytest.fixture(scope="module")
def shared_lib_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Accounts, Path]:
    """One app and workspace copy for tests that must not change it (refused sheets)."""
    target = tmp_path_factory.mktemp("projects-shared") / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    app = make_app(WORKSPACES_DIR=str(target.parent), UPLOAD_RECOMPUTE=False)
    return app, create_accounts(app), target
