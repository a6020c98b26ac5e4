"""Fixtures of the province tests: county workspaces made of labelled copies of the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from gis.batch import copy_workspace

# Henan adcodes the test copies are shown under (labelled as test copies, not those counties).
COPY_CODES = ("410181", "410225")


@pytest.fixture(scope="session")
def county_workspaces(demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspaces folder: the real demo plus two labelled test copies under Henan codes."""
    root = tmp_path_factory.mktemp("province_ws")
    copy_workspace(
        demo_workspace_dir, root, county_id=demo_workspace_dir.name, adcode=None, purpose="test"
    )
    # The demo itself is copied unchanged except for the label fields; restore its metadata.
    (root / demo_workspace_dir.name / "metadata.json").write_bytes(
        (demo_workspace_dir / "metadata.json").read_bytes()
    )
    for code in COPY_CODES:
        copy_workspace(demo_workspace_dir, root, county_id=code, adcode=code, purpose="test")
    return root


@pytest.fixture(scope="session")
def workspaces_with_corrupt(
    county_workspaces: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The same plus 411525, whose GeoPackage is garbage (a corrupt upload)."""
    import shutil

    root = tmp_path_factory.mktemp("province_ws_bad")
    for folder in county_workspaces.iterdir():
        shutil.copytree(folder, root / folder.name)
    bad = copy_workspace(
        county_workspaces / COPY_CODES[0], root, county_id="411525", adcode="411525", purpose="test"
    )
    (bad / "workspace.gpkg").write_bytes(b"this is not a GeoPackage" * 100)
    return root


@pytest.fixture(scope="session")
def postgres_url():  # type: ignore[no-untyped-def]
    """A throwaway PostgreSQL + PostGIS server on loopback for this test run (stopped after)."""
    from gis.store.postgis import PostgisStore
    from tests.province.pg_server import temporary_postgres

    with temporary_postgres() as url:
        PostgisStore(url).init_schema()
        yield url
