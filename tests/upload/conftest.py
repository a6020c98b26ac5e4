"""Fixtures of the upload tests: per-test copies of the real demonstration workspace, an app
with accounts of every role, and a hash of what a workspace stores."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEMO_ID = "demo-chengdu-north"
OTHER_ID = "other-county"
PASSWORD = "correct horse battery staple"
STORED_FILES = ("workspace.gpkg", "metadata.json", "population.tif")


def tree_hash(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes (the lock file excluded)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".store.lock"):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stored_hash(folder: Path) -> str:
    """SHA-256 of the files readers use: workspace.gpkg, metadata.json, population.tif."""
    digest = hashlib.sha256()
    for name in STORED_FILES:
        path = folder / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


@pytest.fixture()
def ws(demo_workspace_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demonstration workspace (for tests that write)."""
    target = tmp_path / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    return target


@dataclass
class Accounts:
    """Bearer tokens of one account per role (and a staff member of another county)."""

    staff: str
    other_staff: str
    admin: str
    public: str

    def header(self, who: str) -> dict[str, str]:
        """The Authorization header of ``who`` ('' = anonymous)."""
        if not who:
            return {}
        return {"Authorization": f"Bearer {getattr(self, who)}"}


def _make_app(root: Path, users_db: Path, **config: Any) -> Any:
    from app import create_app

    return create_app(
        {
            "WORKSPACES_DIR": str(root),
            "TESTING": True,
            "BASEMAP": "none",
            "USERS_DB": str(users_db),
            "UPLOAD_TMP_DIR": str(users_db.parent / "upload-tmp"),
            **config,
        }
    )


def _create_accounts(app: Any) -> Accounts:
    runner = app.test_cli_runner()
    tokens = {}
    for name, role, counties in (
        ("alice", "staff", [DEMO_ID]),
        ("bob", "staff", [OTHER_ID]),
        ("root", "admin", []),
        ("viewer", "public", []),
    ):
        args = ["users", "create", name, "--role", role, "--password-stdin"]
        for county in counties:
            args += ["--county", county]
        result = runner.invoke(args=args, input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        token = runner.invoke(args=["users", "token", name]).output.strip()
        tokens[name] = token
    return Accounts(tokens["alice"], tokens["bob"], tokens["root"], tokens["viewer"])


@pytest.fixture()
def upload_app(ws: Path, tmp_path: Path) -> Iterator[tuple[Any, Accounts, Path]]:
    """The app serving the private workspace copy, with a fresh users database."""
    app = _make_app(ws.parent, tmp_path / "users.sqlite")
    yield app, _create_accounts(app), ws


@pytest.fixture(scope="module")
def shared_app(
    demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Accounts, Path]:
    """One app and workspace copy for tests that must not change it (bad uploads)."""
    base = tmp_path_factory.mktemp("upload-shared")
    target = base / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    app = _make_app(target.parent, base / "users.sqlite", UPLOAD_RECOMPUTE=False)
    return app, _create_accounts(app), target
