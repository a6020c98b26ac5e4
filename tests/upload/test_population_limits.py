"""Issue 10, point 2: population rasters are read over the county only, in blocks, summed to a
bounded number of cells; the population join keeps its memory bounded."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

import gis.indicators.fitness_coverage as fc
import gis.routing
import gis.upload.raster
from gis.errors import ValidationError
from gis.io import read_layer, read_population_cells, read_workspace
from gis.settings import DEFAULT_SETTINGS
from gis.upload import PreparedUpload, UploadLimits, UploadOptions, prepare_upload
from tests.helpers import write_grid_tif

# the demonstration county's bounds in EPSG:4544 (its 100 m population grid)
LEFT, BOTTOM, RIGHT, TOP = 409_300.0, 3_404_000.0, 413_600.0, 3_407_100.0


def _tif(path: Path, left: float, top: float, size_m: float, n: int, value: float = 0.05) -> Path:
    grid = np.full((n, n), value, dtype="float32")
    return write_grid_tif(path, grid, left=left, top=top, cell_m=size_m, compress="deflate")


def _prepare(path: Path, ws: Path, tmp_path: Path, limits: UploadLimits) -> PreparedUpload:
    return prepare_upload(
        path,
        options=UploadOptions(kind="population", original_name=path.name),
        workdir=tmp_path / "work",
        boundary=read_layer(ws, "boundary"),
        limits=limits,
    )


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("no raster cell may be read")


def test_raster_outside_county_refused_before_reading(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gis.upload.raster, "_summed_grid", _boom)
    tif = _tif(tmp_path / "far.tif", LEFT + 300_000, TOP, 10.0, 1_000)  # 300 km east
    with pytest.raises(ValidationError) as exc:
        _prepare(tif, ws, tmp_path, UploadLimits())
    assert {p.code for p in exc.value.problems} == {"outside_county"}


def test_fine_raster_summed_to_the_cell_limit(ws: Path, tmp_path: Path) -> None:
    n = 2_000  # 2,000 × 2,000 cells of 1.55 m inside the county: 4 M cells, 200,000 persons
    tif = _tif(tmp_path / "fine.tif", LEFT, TOP, (TOP - BOTTOM) / n, n)
    prepared = _prepare(tif, ws, tmp_path, UploadLimits(max_population_cells=250_000))
    assert prepared.raster_path is not None
    with rasterio.open(prepared.raster_path) as src:
        assert src.width * src.height <= 250_000
        assert src.res[0] == pytest.approx(4 * (TOP - BOTTOM) / n)
        stored = src.read(1, masked=True)
    assert float(stored.sum()) == pytest.approx(n * n * 0.05, rel=1e-5)  # persons are kept
    assert prepared.report["population_total"] == pytest.approx(n * n * 0.05, rel=1e-5)
    codes = {w["code"] for w in prepared.report["warnings"]}
    assert "population_resampled" in codes


def test_big_raster_read_over_the_county_only(ws: Path, tmp_path: Path) -> None:
    # 40 km × 40 km of 20 m cells (4 M cells, over the 40 M limit of 1 M set here), the county
    # (4.3 × 3.1 km) in its middle: only the window over the county counts and is stored
    tif = _tif(tmp_path / "wide.tif", LEFT - 18_000, TOP + 18_000, 20.0, 2_000)
    limits = UploadLimits(max_raster_cells=1_000_000)
    prepared = _prepare(tif, ws, tmp_path, limits)
    with rasterio.open(prepared.raster_path) as src:
        b = src.bounds
        assert src.width < 300 and src.height < 300
    assert b.left >= LEFT - 600 and b.right <= RIGHT + 600
    assert b.bottom >= BOTTOM - 600 and b.top <= TOP + 600
    assert "population_cropped" in {w["code"] for w in prepared.report["warnings"]}


def test_cell_limit_applies_to_the_county_window(ws: Path, tmp_path: Path) -> None:
    tif = _tif(tmp_path / "fine.tif", LEFT, TOP, 2.0, 2_200)  # 4.8 M cells over the county
    with pytest.raises(ValidationError) as exc:
        _prepare(tif, ws, tmp_path, UploadLimits(max_raster_cells=1_000_000))
    problem = exc.value.problems[0]
    assert problem.code == "too_many_cells" and "over the county" in problem.as_dict()["message"]


def test_population_cells_keep_only_populated_cells(tmp_path: Path) -> None:
    from pyproj import CRS

    tif = _tif(tmp_path / "p.tif", LEFT, TOP, 100.0, 40, value=0.0)
    with rasterio.open(tif, "r+") as dst:
        dst.write(np.array([[5.0]], dtype="float32"), 1, window=((3, 4), (7, 8)))
    cells = read_population_cells(tif, CRS.from_epsg(4544))
    assert len(cells.persons) == 1 and cells.total == 5.0
    assert (cells.x_m[0], cells.y_m[0]) == (LEFT + 750.0, TOP - 350.0)


def test_join_in_chunks_is_identical(demo_workspace: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = demo_workspace.to_metric()
    lines = np.asarray(ws.layers["walk_edges"].geometry.values, dtype=object)
    rng = np.random.default_rng(3)
    pts = np.column_stack([rng.uniform(LEFT, RIGHT, 3_000), rng.uniform(BOTTOM, TOP, 3_000)])
    whole = gis.routing.nearest_edge_points(lines, pts)
    monkeypatch.setattr(gis.routing, "JOIN_CHUNK_POINTS", 257)
    chunked = gis.routing.nearest_edge_points(lines, pts)
    for name in ("point", "edge", "access_m", "fraction"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(chunked, name))


def _fine_workspace(src: Path, tmp_path: Path, n: int) -> Any:
    import shutil

    ws = tmp_path / "fine-ws"
    shutil.copytree(src, ws)
    _tif(ws / "population.tif", LEFT, TOP, (RIGHT - LEFT) / n, n)
    return read_workspace(ws).to_metric()


def test_fitness_memory_bounded_with_many_cells(
    demo_workspace_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250,000 populated cells: the site search used to build (candidates × cells) matrices of
    hundreds of MB; now batches keep the peak of traced allocations small, and the answer is the
    same as with a tiny batch."""
    ws = _fine_workspace(demo_workspace_dir, tmp_path, 500)
    layers = ws.layers

    def run() -> Any:
        return fc.compute_fitness_15min_coverage(
            layers["walk_nodes"],
            layers["walk_edges"],
            layers["sports"],
            ws.population,
            layers["built_up"],
            settings=DEFAULT_SETTINGS,
            provenance={},
        )

    tracemalloc.start()
    try:
        result = run()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150 * 2**20, f"{peak / 2**20:.0f} MB traced"
    monkeypatch.setattr(fc, "REACH_BUDGET_CELLS", 10_000)
    small = run()
    assert small.value == result.value
    assert small.details["suggested_sites"] == result.details["suggested_sites"]
