"""Reading workspaces: with gis.ingest's writer, the only module that touches their files."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
from pyproj import CRS, Transformer

from gis.errors import InputFileError, NotFoundError, without_paths
from gis.workspace import OPTIONAL_LAYERS, REQUIRED_LAYERS, PopulationCells, Workspace

GPKG_NAME = "workspace.gpkg"
POPULATION_NAME = "population.tif"
METADATA_NAME = "metadata.json"
_READ_BLOCK_CELLS = 1 << 22  # raster cells read at once (32 MB as float64)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The workspace's metadata.json as a dict."""
    meta_path = Path(path) / METADATA_NAME
    if not meta_path.is_file():
        msg = (
            f"{path}: not a workspace (no {METADATA_NAME}); create one with `python -m gis ingest`"
        )
        raise NotFoundError(msg)
    with meta_path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def list_layers(path: str | Path) -> list[str]:
    """Names of the layers in the workspace GeoPackage."""
    gpkg = Path(path) / GPKG_NAME
    if not gpkg.is_file():
        msg = f"{path}: no {GPKG_NAME}"
        raise NotFoundError(msg)
    return [str(row[0]) for row in pyogrio.list_layers(gpkg)]


def read_layer(path: str | Path, name: str) -> gpd.GeoDataFrame:
    """One layer of the workspace GeoPackage (storage CRS)."""
    if name not in list_layers(path):
        msg = f"{path}: no layer {name!r}"
        raise NotFoundError(msg)
    return _read_gpkg_layer(Path(path) / GPKG_NAME, name)


def _read_gpkg_layer(gpkg: Path, name: str) -> gpd.GeoDataFrame:
    """A layer known to exist (no second listing of the GeoPackage's layers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on empty layers
        gdf = pyogrio.read_dataframe(gpkg, layer=name)
    return gdf


def read_population_cells(tif_path: str | Path, metric_crs: CRS) -> PopulationCells:
    """Cells with a positive population from a GeoTIFF, as centres in ``metric_crs``.

    Cells in a geographic raster are given the mean cell size in metres at the
    raster's centre.  Nodata and negative cells are dropped.
    """
    tif_path = Path(tif_path)
    try:
        src = rasterio.open(tif_path)
    except rasterio.errors.RasterioIOError as exc:
        msg = f"{tif_path.name}: cannot read the raster ({without_paths(str(exc))})"
        raise InputFileError(msg) from exc
    with src:
        if src.crs is None:
            msg = f"{tif_path.name}: the raster has no CRS; add one (e.g. with gdal_edit.py -a_srs)"
            raise InputFileError(msg)
        rows, cols, persons = _positive_cells(src)
        t = src.transform  # cell centres, vectorised (rasterio.transform.xy builds lists)
        xs = t.a * (cols + 0.5) + t.b * (rows + 0.5) + t.c
        ys = t.d * (cols + 0.5) + t.e * (rows + 0.5) + t.f
        src_crs = CRS.from_user_input(src.crs.to_wkt())
        res_x, res_y = abs(src.transform.a), abs(src.transform.e)
    to_metric = Transformer.from_crs(src_crs, metric_crs, always_xy=True)
    x_m, y_m = to_metric.transform(np.asarray(xs, dtype="float64"), np.asarray(ys, dtype="float64"))
    if src_crs.is_geographic and len(ys):
        lat_rad = float(np.radians(np.mean(ys)))
        res_x, res_y = res_x * 111_320.0 * np.cos(lat_rad), res_y * 110_574.0
    cell_m = float(np.sqrt(res_x * res_y))
    return PopulationCells(np.asarray(x_m), np.asarray(y_m), persons, cell_m, metric_crs)


def _positive_cells(src: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and persons of the cells with a positive value, read in row blocks.

    Only the populated cells are kept (int32 indices, float64 persons), so a mostly empty raster
    costs memory for its people, not for its area.
    """
    rows, cols, persons = [], [], []
    block_rows = max(1, _READ_BLOCK_CELLS // max(src.width, 1))
    for top in range(0, src.height, block_rows):
        window = rasterio.windows.Window(0, top, src.width, min(block_rows, src.height - top))
        values = np.ma.filled(src.read(1, window=window, masked=True).astype("float64"), 0.0)
        r, c = np.nonzero(values > 0)
        rows.append((r + top).astype(np.int32))
        cols.append(c.astype(np.int32))
        persons.append(values[r, c])
    if not rows:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(persons)


def read_workspace(path: str | Path) -> Workspace:
    """Load a whole workspace (storage CRS) with its population cells and metadata."""
    path = Path(path)
    metadata = read_metadata(path)
    present = set(list_layers(path))
    missing = [name for name in REQUIRED_LAYERS if name not in present]
    if missing:
        msg = f"{path}: workspace is missing layers {missing}; re-run `python -m gis ingest`"
        raise InputFileError(msg)
    names = [*REQUIRED_LAYERS, *(n for n in OPTIONAL_LAYERS if n in present)]
    layers = {name: _read_gpkg_layer(path / GPKG_NAME, name) for name in names}
    metric_crs = CRS.from_user_input(metadata["metric_crs"])
    tif = path / POPULATION_NAME
    population = read_population_cells(tif, metric_crs) if tif.is_file() else None
    return Workspace(layers, metadata, population, str(path), metric_crs)
