"""The batch benchmark's mosaic counties: tiles of the demo, ids offset, same indicator values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio

from benchmarks.batch_mosaic import (
    OSM_ID_STRIDE,
    build_tiled_workspace,
    source_area_km2,
    tile_grid,
    tile_offsets,
    tile_raster,
    tiles_for_area,
)
from gis.errors import CrsError
from gis.io import read_workspace
from gis.report import county_report
from gis.settings import IndicatorSettings
from tests.helpers import write_grid_tif

TILES = 3


@pytest.fixture(scope="module")
def mosaic(demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mosaic")
    return build_tiled_workspace(
        demo_workspace_dir, root, county_id="410181", adcode="410181", tiles=TILES
    )


def test_grid_offsets_and_raster_by_hand() -> None:
    assert [tile_grid(n) for n in (1, 2, 3, 4, 5, 9, 10)] == [
        (1, 1),
        (2, 1),
        (2, 2),
        (2, 2),
        (3, 2),
        (3, 3),
        (4, 3),
    ]
    assert tile_offsets(4, 100.0, 50.0) == [(0, 0), (100, 0), (0, -50), (100, -50)]
    grid = tile_raster(np.array([[1.0], [2.0]], dtype="float32"), 3, 2, 3)
    assert grid.dtype == np.float32
    assert grid.tolist() == [[1, -1, 1], [2, -1, 2], [-1, -1, -1], [1, -1, -1], [2, -1, -1]]
    assert tiles_for_area(150.0, 12.5) == 12 and tiles_for_area(0.1, 12.5) == 1


def test_layers_tiled_with_dense_and_offset_ids(demo_workspace_dir: Path, mosaic: Path) -> None:
    src, dest = demo_workspace_dir / "workspace.gpkg", mosaic / "workspace.gpkg"
    names = [str(n) for n, _t in pyogrio.list_layers(src)]
    assert [str(n) for n, _t in pyogrio.list_layers(dest)] == names
    for name in names:
        n_src = len(pyogrio.read_dataframe(src, layer=name, read_geometry=False))
        n_dest = len(pyogrio.read_dataframe(dest, layer=name, read_geometry=False))
        assert n_dest == (1 if name in ("boundary", "built_up") else TILES * n_src), name
    nodes = pyogrio.read_dataframe(dest, layer="walk_nodes")
    edges = pyogrio.read_dataframe(dest, layer="walk_edges")
    n = len(nodes) // TILES
    assert nodes["node_id"].tolist() == list(range(TILES * n))
    tile_of_edge = np.repeat(np.arange(TILES), len(edges) // TILES)
    assert ((edges["u"] // n) == tile_of_edge).all() and ((edges["v"] // n) == tile_of_edge).all()
    roads = pyogrio.read_dataframe(dest, layer="roads", read_geometry=False)
    src_ids = set(pyogrio.read_dataframe(src, layer="roads", read_geometry=False)["osm_id"])
    assert set(roads["osm_id"]) == {i + k * OSM_ID_STRIDE for k in range(TILES) for i in src_ids}
    plans = pyogrio.read_dataframe(dest, layer="plans", read_geometry=False)
    assert plans["plan_id"].is_unique and plans["plan_id"].str.endswith("-t2").any()


def test_area_population_and_label(demo_workspace_dir: Path, mosaic: Path) -> None:
    area = source_area_km2(mosaic)
    assert area == pytest.approx(TILES * source_area_km2(demo_workspace_dir), rel=1e-9)
    with (
        rasterio.open(demo_workspace_dir / "population.tif") as a,
        rasterio.open(mosaic / "population.tif") as b,
    ):
        one, many = a.read(1, masked=True), b.read(1, masked=True)
        assert b.crs == a.crs and b.transform.a == a.transform.a
    assert float(many.sum()) == pytest.approx(TILES * float(one.sum()), rel=1e-6)
    meta = json.loads((mosaic / "metadata.json").read_text(encoding="utf-8"))
    assert meta["is_copy"] and meta["copy_purpose"] == "benchmark"
    assert meta["copy_label"].startswith(f"benchmark mosaic of {TILES} tiles")
    assert "基准测试拼接，非该县数据" in meta["copy_label"]
    assert meta["mosaic"]["tiles"] == TILES and meta["mosaic"]["area_km2"] == round(area, 3)
    assert meta["county_id"] == meta["adcode"] == "410181"
    west, south, east, north = meta["bounds"]
    assert west < east and south < north


def test_indicators_of_a_mosaic_equal_its_tile(demo_workspace_dir: Path, mosaic: Path) -> None:
    """Tiles are further apart than any indicator looks, so the mosaic has the tile's values."""
    settings = IndicatorSettings(year=2020)
    tile_report, tile = county_report(read_workspace(demo_workspace_dir), settings)
    mosaic_report, tiled = county_report(read_workspace(mosaic), settings)
    assert [r.id for r in tiled] == [r.id for r in tile]
    for a, b in zip(tiled, tile, strict=True):
        if b.value is None:  # a reported target without county data: no data in both
            assert a.value is None, a.id
        else:
            assert a.value == pytest.approx(b.value, rel=1e-9), a.id
    assert mosaic_report["county"]["population"] == pytest.approx(
        TILES * tile_report["county"]["population"], rel=1e-6
    )


def test_a_raster_outside_the_metric_crs_is_refused(
    demo_workspace_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    shutil.copytree(demo_workspace_dir, source)
    write_grid_tif(
        source / "population.tif", [[5.0]], left=104.06, top=30.77, cell_m=0.001, crs="EPSG:4326"
    )
    metric = json.loads((source / "metadata.json").read_text(encoding="utf-8"))["metric_crs"]
    with pytest.raises(CrsError, match=f"not in {metric}, .* metric CRS"):
        build_tiled_workspace(source, tmp_path / "out", county_id="x", adcode=None, tiles=2)
    assert not (tmp_path / "out" / "x").exists()
