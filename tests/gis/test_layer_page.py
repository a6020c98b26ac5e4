"""gis.store.geopackage.read_layer_page on a hand-made GeoPackage: answers known by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from gis.store.geopackage import read_layer_page
from gis.store.query import FeatureQuery


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five features: a diagonal line, four points; dates and a public flag."""
    folder = tmp_path_factory.mktemp("page")
    frame = gpd.GeoDataFrame(
        {
            "date": ["2020-01-01", "2021-05-05", None, "2021-12-31", ""],
            "public": [True, False, True, True, False],
        },
        geometry=[
            LineString([(0, 0), (1, 1)]),  # fid 1: passes (0.5, 0.5), not the box's corner
            Point(0.9, 0.1),  # fid 2
            Point(5, 5),  # fid 3
            Point(0.95, 0.05),  # fid 4
            Point(0.5, 0.5),  # fid 5
        ],
        crs=4490,
    )
    frame.to_file(folder / "workspace.gpkg", layer="records", engine="pyogrio")
    return folder


def _ids(page: object) -> list[int]:
    return [int(i) for i in page.frame.index]  # type: ignore[attr-defined]


def test_bbox_is_an_exact_intersection(workspace: Path) -> None:
    page = read_layer_page(workspace, "records", FeatureQuery(bbox=(0.8, 0.0, 1.0, 0.2)))
    assert _ids(page) == [2, 4] and page.matched == 2  # the line misses the box's corner


def test_flags_dates_and_fid(workspace: Path) -> None:
    public = read_layer_page(workspace, "records", FeatureQuery(flags=("public",)))
    assert _ids(public) == [1, 3, 4]
    dated = read_layer_page(workspace, "records", FeatureQuery(date_range=("2021-01-01", None)))
    assert _ids(dated) == [2, 4]
    until = read_layer_page(workspace, "records", FeatureQuery(date_range=(None, "2021-05-05")))
    assert _ids(until) == [1, 2]  # a missing or empty date never matches
    assert _ids(read_layer_page(workspace, "records", FeatureQuery(fid=3))) == [3]
    hidden = FeatureQuery(fid=2, flags=("public",))
    assert _ids(read_layer_page(workspace, "records", hidden)) == []
    missing = FeatureQuery(flags=("no_such_column",))
    assert read_layer_page(workspace, "records", missing).matched == 0


@settings(max_examples=30, deadline=None)
@given(limit=st.integers(1, 6), with_bbox=st.booleans())
def test_pages_cover_every_match_once(workspace: Path, limit: int, with_bbox: bool) -> None:
    bbox = (0.0, 0.0, 1.0, 1.0) if with_bbox else None
    everything = read_layer_page(workspace, "records", FeatureQuery(bbox=bbox))
    seen: list[int] = []
    for offset in range(0, everything.matched + limit, limit):
        page = read_layer_page(
            workspace, "records", FeatureQuery(bbox=bbox, offset=offset, limit=limit)
        )
        assert page.matched == everything.matched and len(page.frame) <= limit
        seen += _ids(page)
    assert seen == _ids(everything) == sorted(set(seen))
