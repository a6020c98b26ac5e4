"""County-size workspaces for the batch benchmark: the demonstration workspace tiled.

A private stand-in for the shared mosaic builder (``benchmarks/mosaic.py``, which writes a
mosaic of the real extracts as .osm.pbf to be ingested): here the *ingested* workspace is tiled
directly, which is all the batch needs.  :func:`build_tiled_workspace` is the one function the
batch benchmark calls; swap its body for ``build_mosaic`` + ``run_ingest`` when that exists.

Every layer is copied once per tile, shifted in the workspace's metric CRS by whole multiples of
the population raster's cell size (the extent of the boundary and of the raster plus a gap of
:data:`GAP_M`, wider than the 15-minute walk and the park service radius, so no indicator sees
across tiles and a mosaic's indicator values are the source's), with ids offset per tile
(``node_id``, ``u``, ``v`` stay dense; ``osm_id`` + tile × 10¹²; text ids get ``-t<tile>``).
The population raster is tiled the same way (the same cells, so the total scales with the tile
count).  The metadata says what it is: ``is_copy``, ``copy_purpose = "benchmark"``,
``copy_label`` ("benchmark mosaic of N tiles of …: not that county's data / 基准测试拼接，非该县
数据") and ``mosaic`` (tiles, grid, shift in metres, source, area).
"""

from __future__ import annotations

import copy
import json
import math
import shutil
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from pyproj import CRS

from gis.errors import CrsError

GPKG_NAME = "workspace.gpkg"
POPULATION_NAME = "population.tif"
METADATA_NAME = "metadata.json"
GAP_M = 1_500.0  # between tiles: > 1,000 m walk + 100 m facility entry, > 500 m park radius
OSM_ID_STRIDE = 10**12  # OSM ids are below 2·10¹⁰; tile k's ids start at k·10¹²
SINGLE_FEATURE_LAYERS = ("boundary", "built_up")  # one (Multi)Polygon feature each
DENSE_ID_COLUMNS = {"walk_nodes": ("node_id",), "walk_edges": ("u", "v")}
TEXT_ID_COLUMNS = ("plan_id", "record_id", "project_id")


def tile_grid(tiles: int) -> tuple[int, int]:
    """Columns and rows of the most nearly square grid holding ``tiles`` tiles.

    >>> tile_grid(1), tile_grid(12), tile_grid(13)
    ((1, 1), (4, 3), (4, 4))
    """
    cols = math.ceil(math.sqrt(tiles))
    return cols, math.ceil(tiles / cols)


def tile_offsets(tiles: int, step_x_m: float, step_y_m: float) -> list[tuple[float, float]]:
    """Shift of each tile in metres, row by row from the source's place eastward and southward.

    >>> tile_offsets(3, 10.0, 5.0)
    [(0.0, 0.0), (10.0, 0.0), (0.0, -5.0)]
    """
    cols, _rows = tile_grid(tiles)
    return [(float(k % cols) * step_x_m, -float(k // cols) * step_y_m) for k in range(tiles)]


def tile_layer(
    gdf: gpd.GeoDataFrame, name: str, offsets: list[tuple[float, float]], metric_crs: CRS
) -> gpd.GeoDataFrame:
    """``gdf`` once per offset (shifted in ``metric_crs``), ids offset per tile, storage CRS.

    Parameters
    ----------
    gdf : GeoDataFrame
        One layer of the source workspace (storage CRS).
    name : str
        The layer's name (decides which id columns are dense and which features merge).
    offsets : list of (float, float)
        Shift of each tile in metres, from :func:`tile_offsets`.
    metric_crs : CRS
        The workspace's metric CRS, in which the shift is applied.
    """
    storage_crs = gdf.crs
    metric = gdf.to_crs(metric_crs)
    parts = []
    for k, (dx_m, dy_m) in enumerate(offsets):
        part = metric.copy()
        part["geometry"] = part.geometry.translate(xoff=dx_m, yoff=dy_m)
        for column in DENSE_ID_COLUMNS.get(name, ()):
            part[column] = part[column] + k * _dense_stride(gdf, name)
        if "osm_id" in part.columns:
            part["osm_id"] = part["osm_id"] + k * OSM_ID_STRIDE
        for column in TEXT_ID_COLUMNS:
            if column in part.columns:
                part[column] = part[column].astype(str) + f"-t{k}"
        parts.append(part)
    tiled = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=metric_crs)
    if name in SINGLE_FEATURE_LAYERS and len(tiled):
        merged = shapely.union_all(tiled.geometry.to_numpy())
        tiled = gpd.GeoDataFrame(tiled.iloc[:1].drop(columns="geometry"), geometry=[merged])
        tiled = tiled.set_crs(metric_crs)
    return tiled.to_crs(storage_crs)


def _dense_stride(gdf: gpd.GeoDataFrame, name: str) -> int:
    """Node count of the source network (``node_id`` is 0..n-1), so tile ids stay dense."""
    if name == "walk_nodes":
        return len(gdf)
    return int(max(gdf["u"].max(), gdf["v"].max())) + 1 if len(gdf) else 0


def tile_raster(persons: np.ndarray, tiles: int, step_cols: int, step_rows: int) -> np.ndarray:
    """The population grid once per tile (nodata -1 between tiles), same order as the layers.

    >>> tile_raster(np.array([[1.0, 2.0]]), 3, 3, 2).tolist()
    [[1.0, 2.0, -1.0, 1.0, 2.0], [-1.0, -1.0, -1.0, -1.0, -1.0], [1.0, 2.0, -1.0, -1.0, -1.0]]
    """
    cols, rows = tile_grid(tiles)
    height, width = persons.shape
    out = np.full(((rows - 1) * step_rows + height, (cols - 1) * step_cols + width), -1.0)
    for k in range(tiles):
        top, left = (k // cols) * step_rows, (k % cols) * step_cols
        out[top : top + height, left : left + width] = persons
    return out.astype(persons.dtype)


def build_tiled_workspace(
    source: str | Path, dest_root: str | Path, *, county_id: str, adcode: str | None, tiles: int
) -> Path:
    """Write ``<dest_root>/<county_id>``: ``tiles`` copies of ``source`` side by side.

    The swap point for the shared mosaic builder: same arguments in, a workspace folder out.
    Requires the source's population raster to be in its metric CRS (the ingest writes it so).
    """
    source, dest = Path(source), Path(dest_root) / county_id
    meta = json.loads((source / METADATA_NAME).read_text(encoding="utf-8"))
    metric_crs = CRS.from_user_input(meta["metric_crs"])
    with rasterio.open(source / POPULATION_NAME) as src:
        persons, profile = src.read(1), src.profile
        if not CRS.from_user_input(src.crs.to_wkt()).equals(metric_crs):
            msg = (
                f"{source}: population.tif is not in {meta['metric_crs']}, so its cells cannot "
                "be tiled with the layers; write it in the metric CRS (as the ingest does)"
            )
            raise CrsError(msg)
    cell_m = float(profile["transform"].a)
    step_cols, step_rows = _steps(source, metric_crs, persons.shape, cell_m)
    offsets = tile_offsets(tiles, step_cols * cell_m, step_rows * cell_m)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    counts = _write_layers(source / GPKG_NAME, dest / GPKG_NAME, offsets, metric_crs)
    tiled = tile_raster(persons, tiles, step_cols, step_rows)
    profile.update(width=tiled.shape[1], height=tiled.shape[0])
    with rasterio.open(dest / POPULATION_NAME, "w", **profile) as dst:
        dst.write(tiled, 1)
    boundary = pyogrio.read_dataframe(dest / GPKG_NAME, layer="boundary")
    mosaic = {
        "tiles": tiles,
        "grid": list(tile_grid(tiles)),
        "shift_m": [step_cols * cell_m, step_rows * cell_m],
        "source": meta.get("county_id") or source.name,
        "area_km2": round(float(boundary.to_crs(metric_crs).area.sum()) / 1e6, 3),
    }
    out = mosaic_metadata(meta, county_id=county_id, adcode=adcode, mosaic=mosaic)
    out["bounds"] = [round(float(v), 5) for v in boundary.total_bounds]
    for name, count in counts.items():
        out.setdefault("layers", {}).setdefault(name, {})["count"] = count
    (dest / METADATA_NAME).write_text(
        json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return dest


def _steps(source: Path, metric_crs: CRS, shape: tuple[int, int], cell_m: float) -> tuple[int, int]:
    """Tile step in raster cells: the boundary's and the raster's extent, plus :data:`GAP_M`."""
    boundary = pyogrio.read_dataframe(source / GPKG_NAME, layer="boundary").to_crs(metric_crs)
    minx, miny, maxx, maxy = boundary.total_bounds
    gap = math.ceil(GAP_M / cell_m)
    cols = max(shape[1], math.ceil((maxx - minx) / cell_m)) + gap
    rows = max(shape[0], math.ceil((maxy - miny) / cell_m)) + gap
    return cols, rows


def _write_layers(
    src: Path, dest: Path, offsets: list[tuple[float, float]], metric_crs: CRS
) -> dict[str, int]:
    counts = {}
    for name, _geometry_type in pyogrio.list_layers(src):
        info = pyogrio.read_info(src, layer=name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on empty layers
            gdf = pyogrio.read_dataframe(src, layer=name)
        tiled = tile_layer(gdf, str(name), offsets, metric_crs)
        for column in tiled.columns:
            if column != tiled.geometry.name and pd.api.types.is_string_dtype(tiled[column]):
                tiled[column] = tiled[column].astype(object)
        pyogrio.write_dataframe(
            tiled, dest, layer=str(name), driver="GPKG", geometry_type=info["geometry_type"]
        )
        counts[str(name)] = len(tiled)
    return counts


def mosaic_metadata(
    meta: dict[str, Any], *, county_id: str, adcode: str | None, mosaic: dict[str, Any]
) -> dict[str, Any]:
    """The source's metadata relabelled as a benchmark mosaic, totals scaled by the tiles.

    >>> m = mosaic_metadata({"name": "Demo", "population": {"total": 10.0}}, county_id="x",
    ...     adcode=None, mosaic={"tiles": 3, "area_km2": 30.0})
    >>> m["population"]["total"], m["is_copy"], m["copy_label"].split(":")[0]
    (30.0, True, 'benchmark mosaic of 3 tiles of Demo under code x')
    """
    out = copy.deepcopy(meta)
    tiles = int(mosaic["tiles"])
    original = str(meta.get("name", meta.get("county_id", "workspace")))
    pop = out.get("population") or {}
    for key in ("total", "urban_population", "residential_ha", "built_up_ha"):
        if isinstance(pop.get(key), int | float):
            pop[key] = float(pop[key]) * tiles
    derivation = (out.get("layers") or {}).get("built_up", {}).get("derivation") or {}
    if isinstance(derivation.get("area_km2"), int | float):
        derivation["area_km2"] = round(float(derivation["area_km2"]) * tiles, 4)
    out.update(
        {
            "county_id": county_id,
            "adcode": adcode,
            "is_copy": True,
            "copy_of": meta.get("county_id"),
            "copy_purpose": "benchmark",
            "copy_label": (
                f"benchmark mosaic of {tiles} tiles of {original} under code "
                f"{adcode or county_id}: not that county's data / 基准测试拼接，非该县数据"
            ),
            "name": f"{original} [benchmark mosaic ×{tiles}, {county_id}]",
            "mosaic": mosaic,
        }
    )
    return out


def source_area_km2(source: str | Path) -> float:
    """Area of the source workspace's boundary in km² (in its metric CRS)."""
    meta = json.loads((Path(source) / METADATA_NAME).read_text(encoding="utf-8"))
    boundary = pyogrio.read_dataframe(Path(source) / GPKG_NAME, layer="boundary")
    return float(boundary.to_crs(meta["metric_crs"]).area.sum()) / 1e6


def tiles_for_area(area_km2: float, source_km2: float) -> int:
    """Tiles of ``source_km2`` nearest to ``area_km2`` (at least one).

    >>> tiles_for_area(150.0, 12.4), tiles_for_area(1.0, 12.4)
    (12, 1)
    """
    return max(1, round(area_km2 / source_km2))
