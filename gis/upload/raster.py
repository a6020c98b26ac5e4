"""Population GeoTIFF checks: type, CRS, location, values, read in windows and blocks."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.errors import WindowError
from rasterio.windows import Window, from_bounds

from gis.chinacrs import parse_declared_crs
from gis.errors import ProblemCollector
from gis.upload.base import READ_ERRORS, UploadLimits, UploadOptions, ValidationReport, brief
from gis.upload.messages import add_problem

MAX_PERSONS_PER_CELL = 1_000_000.0  # more in one cell is a damaged file, not a city
_RASTER_DTYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64")
_RASTER_BLOCK_CELLS = 1 << 22  # raster cells read at once (32 MB as float64)


def validate_raster(
    path: Path,
    options: UploadOptions,
    limits: UploadLimits,
    boundary: gpd.GeoDataFrame | None,
    workdir: Path,
    label: str,
    problems: ProblemCollector,
) -> tuple[Path | None, ValidationReport]:
    """Check a population GeoTIFF; write it normalised (float32, nodata -1) into ``workdir``.

    Only the window over the county (its bounds plus ``outside_tolerance_m``) is read, in row
    blocks; a raster that misses the county is refused before any cell is read.  The cell limit
    applies to that window (county area ÷ cell area), and a window finer than
    ``max_population_cells`` is summed into k × k blocks (persons are kept).
    """
    report = ValidationReport()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            src = rasterio.open(path)
    except READ_ERRORS as exc:
        add_problem(problems, label, "unreadable.geotiff", label=label, detail=brief(exc))
        return None, report
    with src:
        crs = _raster_crs(src, options, label, problems)
        if not _raster_dtype_ok(src, label, problems):
            return None, report
        if crs is not None:
            try:
                _check_raster_location(src.bounds, crs, boundary, label, problems)
            except READ_ERRORS as exc:
                add_problem(
                    problems, label, "bad_coordinates.raster_extent", label=label, detail=brief(exc)
                )
            if problems.problems:
                return None, report  # outside the county: refused before reading a cell
        window = _county_window(src, crs, boundary, limits.outside_tolerance_m)
        cells = int(window.width) * int(window.height)
        if cells > limits.max_raster_cells:
            add_problem(
                problems,
                label,
                "too_many_cells",
                label=label,
                width=int(window.width),
                height=int(window.height),
                cells=cells,
                limit=limits.max_raster_cells,
            )
            return None, report
        factor = max(1, math.ceil(math.sqrt(cells / max(limits.max_population_cells, 1))))
        try:
            grid = _summed_grid(src, window, factor)
        except READ_ERRORS as exc:
            add_problem(problems, label, "unreadable.raster_data", label=label, detail=brief(exc))
            return None, report
        transform = (  # rasterio's window_transform warns with affine 3 (the * operator)
            src.transform
            @ Affine.translation(int(window.col_off), int(window.row_off))
            @ Affine.scale(factor)
        )
        full = (src.width, src.height)
        res_x, res_y = abs(src.transform.a), abs(src.transform.e)
    if grid.bad:
        add_problem(
            problems,
            label,
            "bad_number.population",
            label=label,
            bad=grid.bad,
            max_per_cell=MAX_PERSONS_PER_CELL,
        )
    positive = grid.values > 0
    if not positive.any():
        add_problem(problems, label, "empty_layer.population", label=label)
    if crs is None or problems.problems:
        return None, report
    out = workdir / "population.tif"
    profile = {
        "driver": "GTiff",
        "width": grid.values.shape[1],
        "height": grid.values.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": crs.to_wkt(),
        "transform": transform,
        "nodata": -1.0,
        "compress": "deflate",
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(out, "w", **profile) as dst:
                dst.write(grid.values, 1)
    except READ_ERRORS as exc:
        add_problem(problems, label, "unreadable.raster_store", label=label, detail=brief(exc))
        return None, report
    total = float(grid.values[positive].sum(dtype=np.float64))
    report.feature_count = int(positive.sum())
    report.extra["population_total"] = round(total, 1)
    report.extra["raster_crs"] = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    report.warn(label, "population_total", label=label, total=total, cells=int(positive.sum()))
    _note_window(report, label, full, window, factor, (res_x, res_y), crs)
    return out, report


@dataclass
class _Grid:
    """The county window summed into k × k blocks: float32 persons (-1 = no data), bad cells."""

    values: np.ndarray
    bad: int


def _raster_dtype_ok(src: Any, label: str, problems: ProblemCollector) -> bool:
    if src.dtypes[0] in _RASTER_DTYPES:
        return True
    add_problem(problems, label, "bad_number.raster_dtype", label=label, dtype=src.dtypes[0])
    return False


def _county_window(
    src: Any, crs: CRS | None, boundary: gpd.GeoDataFrame | None, tolerance_m: float
) -> Window:
    """The raster window over the county's bounds plus ``tolerance_m``.

    The whole raster when there is no boundary, no CRS or a rotated grid.
    """
    whole = Window(0, 0, src.width, src.height)
    if crs is None or boundary is None or boundary.empty or not src.transform.is_rectilinear:
        return whole
    area = boundary.to_crs(crs)
    pad = tolerance_m if crs.is_projected else tolerance_m / 100_000.0
    minx, miny, maxx, maxy = area.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return whole
    window = from_bounds(minx - pad, miny - pad, maxx + pad, maxy + pad, src.transform)
    window = window.round_offsets(op="floor").round_lengths(op="ceil")
    try:
        return window.intersection(whole)
    except WindowError:
        return Window(0, 0, 0, 0)


def _summed_grid(src: Any, window: Window, factor: int) -> _Grid:
    """Read ``window`` in row blocks, count bad cells, sum k × k blocks of valid persons."""
    width, height = int(window.width), int(window.height)
    out_w, out_h = -(-width // factor), -(-height // factor)
    values = np.full((out_h, out_w), -1.0, dtype=np.float32)
    block_rows = factor * max(1, _RASTER_BLOCK_CELLS // max(width * factor, 1))
    bad = 0
    for top in range(0, height, block_rows):
        rows = min(block_rows, height - top)
        part = Window(window.col_off, window.row_off + top, width, rows)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # e.g. a nodata value the dtype cannot hold
            band = src.read(1, window=part, masked=True).astype("float64")
        data = np.ma.filled(band, np.nan)
        valid = ~np.ma.getmaskarray(band)
        finite = np.isfinite(data)
        bad += int((valid & ~finite).sum())
        bad += int((finite & ((data < 0) | (data > MAX_PERSONS_PER_CELL))).sum())
        ok = valid & finite
        sums, any_ok = _block_sums(np.where(ok, data, 0.0), ok, factor)
        r0 = top // factor
        values[r0 : r0 + sums.shape[0]] = np.where(any_ok, sums, -1.0).astype(np.float32)
    return _Grid(values, bad)


def _block_sums(data: np.ndarray, ok: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``k`` × ``k`` blocks (edges padded) and whether each block has a valid cell."""
    if k == 1:
        return data, ok
    rows, cols = data.shape
    pr, pc = -rows % k, -cols % k
    data = np.pad(data, ((0, pr), (0, pc)))
    ok = np.pad(ok, ((0, pr), (0, pc)))
    shape = (data.shape[0] // k, k, data.shape[1] // k, k)
    sums: np.ndarray = data.reshape(shape).sum(axis=(1, 3))
    any_ok: np.ndarray = np.asarray(ok.reshape(shape).any(axis=(1, 3)))
    return sums, any_ok


def _note_window(
    report: ValidationReport,
    label: str,
    full: tuple[int, int],
    window: Window,
    factor: int,
    res: tuple[float, float],
    crs: CRS,
) -> None:
    """Warn when the stored raster is a crop of the upload or coarser than it."""
    width, height = int(window.width), int(window.height)
    if (width, height) != full:
        report.warn(label, "population_cropped", label=label, width=width, height=height, full=full)
    if factor > 1:
        unit = "m" if crs.is_projected else "°"
        before = f"{res[0]:g} × {res[1]:g} {unit}"
        after = f"{res[0] * factor:g} × {res[1] * factor:g} {unit}"
        report.warn(
            label, "population_resampled", label=label, before=before, factor=factor, after=after
        )


def _raster_crs(
    src: Any, options: UploadOptions, label: str, problems: ProblemCollector
) -> CRS | None:
    if options.declared_crs:
        declared = parse_declared_crs(options.declared_crs)
        if declared is None:
            add_problem(
                problems,
                label,
                "bad_declared_crs.raster",
                label=label,
                declared_crs=options.declared_crs,
            )
        return declared
    if src.crs is None:
        add_problem(problems, label, "no_crs.raster", label=label)
        return None
    return CRS.from_user_input(src.crs.to_wkt())


def _check_raster_location(
    bounds: Any, crs: CRS, boundary: gpd.GeoDataFrame | None, label: str, problems: ProblemCollector
) -> None:
    if boundary is None or boundary.empty:
        return
    footprint = gpd.GeoSeries([shapely.box(*bounds)], crs=crs).to_crs(4326)
    if (
        not footprint.is_valid.all()
        or not footprint.intersects(boundary.to_crs(4326).union_all()).all()
    ):
        b = footprint.total_bounds
        add_problem(problems, label, "outside_county.raster", label=label, b=b)
