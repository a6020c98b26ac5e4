"""Fixtures of the PostGIS web tests: a throwaway PostgreSQL + PostGIS server on loopback
(tests/province/pg_server.py), the demonstration workspace imported into it, and apps serving
it with ``DATABASE_URL`` next to the same workspace served from its folder."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gis.store.postgis import PostgisStore
from tests.province.pg_server import temporary_postgres

DEMO_ID = "demo-chengdu-north"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL + PostGIS server started for this run (stopped and deleted after)."""
    with temporary_postgres() as url:
        store = PostgisStore(url)
        store.init_schema()
        store.close()
        yield url


@pytest.fixture(scope="session")
def pg_store(pg_url: str) -> Iterator[PostgisStore]:
    """A store on the test server (for checks behind the app's back)."""
    store = PostgisStore(pg_url)
    yield store
    store.close()


def make_app(workspaces: Path, users_db: Path, database_url: str = "", **config: Any) -> Any:
    """The app on ``database_url`` (PostGIS) or, when it is empty, on the ``workspaces`` folder."""
    from app import create_app

    return create_app(
        {
            "WORKSPACES_DIR": str(workspaces),
            "DATABASE_URL": database_url,
            "TESTING": True,
            "BASEMAP": "none",
            "GZIP": False,
            "USERS_DB": str(users_db),
            "UPLOAD_TMP_DIR": str(users_db.parent / "upload-tmp"),
            **config,
        }
    )


def create_token(app: Any, name: str, role: str, counties: list[str]) -> str:
    """Create an account through the CLI and return a Bearer token for it."""
    runner = app.test_cli_runner()
    args = ["users", "create", name, "--role", role, "--password-stdin"]
    for county in counties:
        args += ["--county", county]
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return str(runner.invoke(args=["users", "token", name]).output.strip())


@pytest.fixture(scope="module")
def gpkg_app(demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app on a folder copy of the demonstration workspace (the embedded default)."""
    base = tmp_path_factory.mktemp("gpkg-app")
    shutil.copytree(demo_workspace_dir, base / "workspaces" / DEMO_ID)
    app = make_app(base / "workspaces", base / "users.sqlite")
    yield app
    app.extensions["gis_store"].close()


@pytest.fixture(scope="module")
def pg_app(
    pg_url: str,
    pg_store: PostgisStore,
    demo_workspace_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """The app with DATABASE_URL on the demo imported as DEMO_ID (WORKSPACES_DIR is empty)."""
    pg_store.import_workspace(demo_workspace_dir, DEMO_ID)
    base = tmp_path_factory.mktemp("pg-app")
    (base / "empty").mkdir()
    app = make_app(base / "empty", base / "users.sqlite", pg_url)
    yield app
    app.extensions["gis_store"].close()


@dataclass
class Writable:
    """An app on a fresh PostGIS copy of the demo, with a staff token for that county."""

    app: Any
    county_id: str
    staff: dict[str, str]
    store: PostgisStore

    def url(self, tail: str = "") -> str:
        """``/api/v1/counties/<county_id><tail>``."""
        return f"/api/v1/counties/{self.county_id}{tail}"


@pytest.fixture()
def writable(
    pg_url: str, pg_store: PostgisStore, demo_workspace_dir: Path, tmp_path: Path
) -> Iterator[Writable]:
    """A county imported under a new id for one test, its app and its staff member."""
    county_id = f"w-{uuid.uuid4().hex[:8]}"
    pg_store.import_workspace(demo_workspace_dir, county_id)
    (tmp_path / "empty").mkdir()
    app = make_app(tmp_path / "empty", tmp_path / "users.sqlite", pg_url)
    token = create_token(app, "alice", "staff", [county_id])
    yield Writable(app, county_id, {"Authorization": f"Bearer {token}"}, pg_store)
    app.extensions["gis_store"].close()
    with psycopg.connect(pg_url) as conn:  # one transaction: the county and all its versions
        conn.execute("DELETE FROM gis.current_layers WHERE county_id = %s", (county_id,))
        conn.execute("DELETE FROM gis.counties WHERE county_id = %s", (county_id,))
