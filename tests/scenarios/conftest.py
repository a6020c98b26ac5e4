"""Fixtures of the scenario tests: one app over a copy of the demonstration workspace per module,
with accounts of every role (``tests.helpers.create_accounts``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEMO_ID, Accounts, create_accounts


@pytest.fixture(scope="module")
def sc_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Accounts, Path]:
    """The app, its accounts and the workspace copy (scenarios must never change it)."""
    target = tmp_path_factory.mktemp("scenarios") / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    app = make_app(WORKSPACES_DIR=str(target.parent), UPLOAD_RECOMPUTE=False)
    return app, create_accounts(app), target
