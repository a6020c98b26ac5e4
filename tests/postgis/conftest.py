"""Fixtures of the PostGIS web tests: the demonstration workspace imported into this package's
database on the run's throwaway server (``postgres_url``, ``pg_store``: tests/fixtures/postgres.py)
and apps serving it with ``DATABASE_URL`` next to the same workspace served from its folder."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gis.store.postgis import PostgisStore
from tests.helpers import DEMO_ID, Writable, create_token


@pytest.fixture(scope="module")
def gpkg_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The app on a folder copy of the demonstration workspace (the embedded default)."""
    base = tmp_path_factory.mktemp("gpkg-app")
    shutil.copytree(demo_workspace_dir, base / "workspaces" / DEMO_ID)
    app = make_app(WORKSPACES_DIR=str(base / "workspaces"), GZIP=False)
    yield app
    app.extensions["gis_store"].close()


@pytest.fixture(scope="module")
def pg_app(
    make_app: Any,
    postgres_url: str,
    pg_store: PostgisStore,
    demo_workspace_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """The app with DATABASE_URL on the demo imported as DEMO_ID (WORKSPACES_DIR is empty)."""
    pg_store.import_workspace(demo_workspace_dir, DEMO_ID)
    base = tmp_path_factory.mktemp("pg-app")
    (base / "empty").mkdir()
    app = make_app(WORKSPACES_DIR=str(base / "empty"), DATABASE_URL=postgres_url, GZIP=False)
    yield app
    app.extensions["gis_store"].close()


@pytest.fixture()
def writable(
    make_app: Any,
    postgres_url: str,
    pg_store: PostgisStore,
    demo_workspace_dir: Path,
    tmp_path: Path,
) -> Iterator[Writable]:
    """A county imported under a new id for one test, its app and its staff member."""
    county_id = f"w-{uuid.uuid4().hex[:8]}"
    pg_store.import_workspace(demo_workspace_dir, county_id)
    (tmp_path / "empty").mkdir()
    app = make_app(WORKSPACES_DIR=str(tmp_path / "empty"), DATABASE_URL=postgres_url, GZIP=False)
    token = create_token(app, "alice", "staff", [county_id])
    yield Writable(app, county_id, {"Authorization": f"Bearer {token}"}, pg_store)
    app.extensions["gis_store"].close()
    with psycopg.connect(postgres_url) as conn:  # one transaction: the county and all its versions
        conn.execute("DELETE FROM gis.current_layers WHERE county_id = %s", (county_id,))
        conn.execute("DELETE FROM gis.counties WHERE county_id = %s", (county_id,))
