"""Shared fixtures: the real embedded data and a demonstration workspace built once per run."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CHENGDU_OSM = DATA / "osm" / "chengdu_jinniu_xindu.osm.bz2"
SHANGHAI_OSM = DATA / "osm" / "shanghai_jingan_drive.osm.bz2"
DEMO_BOUNDARY = DATA / "demo" / "boundary.geojson"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def demo_workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded demonstration workspace, ingested once per test run from the real extract."""
    from gis.ingest import IngestOptions, run_ingest

    out = tmp_path_factory.mktemp("ws") / "demo-chengdu-north"
    run_ingest(IngestOptions.demo(osm=CHENGDU_OSM, boundary=DEMO_BOUNDARY, out=out))
    return out


@pytest.fixture(scope="session")
def demo_workspace(demo_workspace_dir: Path):  # type: ignore[no-untyped-def]
    """The demonstration workspace loaded (storage CRS)."""
    from gis.io import read_workspace

    return read_workspace(demo_workspace_dir)
