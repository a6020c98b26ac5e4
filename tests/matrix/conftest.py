"""Fixtures of the workspace matrix: every case built once per test run, one app serving them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import MATRIX_STAFF, create_token
from tests.matrix.workspaces import Matrix, build_matrix, describe

MatrixAppFactory = Callable[[Path, list[str]], tuple[Any, str]]


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    """Every case of tests/matrix/workspaces.py under one workspaces folder."""
    base = tmp_path_factory.mktemp("matrix")
    started = time.perf_counter()
    built = build_matrix(base / "workspaces", base / "work")
    print(f"\nworkspace matrix built in {time.perf_counter() - started:.1f} s:\n{describe(built)}")
    return built


@pytest.fixture(scope="session")
def make_matrix_app(make_app: Any) -> MatrixAppFactory:
    """``make_matrix_app(root, county_ids)``: the app over ``root`` (offline, no basemap) and a
    Bearer token of MATRIX_STAFF, staff member of ``county_ids``."""

    def build(root: Path, county_ids: list[str]) -> tuple[Any, str]:
        # `/` shows DEFAULT_COUNTY (else 404): the first county of the matrix
        app = make_app(WORKSPACES_DIR=str(root), DEFAULT_COUNTY=county_ids[0])
        return app, create_token(app, MATRIX_STAFF, "staff", county_ids)

    return build


@pytest.fixture(scope="session")
def matrix_app(matrix: Matrix, make_matrix_app: MatrixAppFactory) -> tuple[Any, str]:
    """One app serving every built case (read-only tests) and a staff token for all of them."""
    return make_matrix_app(matrix.root, sorted(matrix.built))
