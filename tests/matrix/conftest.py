"""Fixtures of the workspace matrix: every case built once per test run, one app serving them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.matrix.workspaces import Matrix, build_matrix, describe

PASSWORD = "correct horse battery staple"
STAFF = "matrix-staff"


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    """Every case of tests/matrix/workspaces.py under one workspaces folder."""
    base = tmp_path_factory.mktemp("matrix")
    started = time.perf_counter()
    built = build_matrix(base / "workspaces", base / "work")
    print(f"\nworkspace matrix built in {time.perf_counter() - started:.1f} s:\n{describe(built)}")
    return built


def make_app(root: Path, users_db: Path, county_ids: list[str]) -> tuple[Any, str]:
    """The app over ``root`` (offline, no basemap) and a Bearer token of a staff member of
    ``county_ids``."""
    from app import create_app

    app = create_app(
        {
            "WORKSPACES_DIR": str(root),
            "TESTING": True,
            "BASEMAP": "none",
            "USERS_DB": str(users_db),
            "UPLOAD_TMP_DIR": str(users_db.parent / "upload-tmp"),
            # `/` shows DEFAULT_COUNTY (else 404): the first county of the matrix
            "DEFAULT_COUNTY": county_ids[0],
        }
    )
    runner = app.test_cli_runner()
    args = ["users", "create", STAFF, "--role", "staff", "--password-stdin"]
    for county in county_ids:
        args += ["--county", county]
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    token = runner.invoke(args=["users", "token", STAFF]).output.strip()
    return app, token


@pytest.fixture(scope="session")
def matrix_app(matrix: Matrix, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """One app serving every built case (read-only tests) and a staff token for all of them."""
    users = tmp_path_factory.mktemp("matrix-users") / "users.sqlite"
    return make_app(matrix.root, users, sorted(matrix.built))
