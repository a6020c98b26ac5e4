"""A county-size workspace for the map benchmark: the demonstration workspace tiled.

``build_mosaic_workspace(area_km2, out_dir)`` lays copies of the demonstration workspace side by
side until they cover ``area_km2``: every layer is moved in the workspace's Gauss-Krüger zone by
whole multiples of the demonstration's extent (rounded up to whole population cells, so the
raster tiles exactly), ids are offset per copy, the boundary becomes the mosaic's envelope and
the built-up area the union of the copies'; the population raster is the demonstration raster
repeated (its total multiplied by the number of copies).  The result is a plain workspace
folder (docs/workspace.md) labelled as a benchmark mosaic, not a county.

Independent of the OSM ingest: it copies a finished workspace, so it builds a 2,000 km²
workspace in seconds.

    python -m benchmarks.mosaic_workspace 250 /tmp/mosaic-250
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from pyproj import CRS

from gis.io import GPKG_NAME, METADATA_NAME, POPULATION_NAME

INT_ID_COLUMNS = ("osm_id",)
NODE_ID_COLUMNS = ("node_id", "u", "v")
TEXT_ID_COLUMNS = ("plan_id", "record_id", "project_id", "doc_number")
OSM_ID_STRIDE = 10**11  # larger than any OSM id today (about 1.3e10)


def _grid(copies: int) -> tuple[int, int]:
    """Columns and rows of a near-square grid holding ``copies`` tiles.

    >>> _grid(1), _grid(20), _grid(160)
    ((1, 1), (5, 4), (13, 13))
    """
    cols = math.ceil(math.sqrt(copies))
    return cols, math.ceil(copies / cols)


def _tile_size_m(boundary_m: gpd.GeoDataFrame, cell_m: float) -> tuple[float, float]:
    minx, miny, maxx, maxy = boundary_m.total_bounds
    return (math.ceil((maxx - minx) / cell_m) * cell_m, math.ceil((maxy - miny) / cell_m) * cell_m)


def _offset_ids(frame: pd.DataFrame, k: int, node_count: int) -> pd.DataFrame:
    out = frame.copy()
    for column in INT_ID_COLUMNS:
        if column in out:
            out[column] = out[column].astype("int64") + k * OSM_ID_STRIDE
    for column in NODE_ID_COLUMNS:
        if column in out:
            out[column] = out[column].astype("int64") + k * node_count
    for column in TEXT_ID_COLUMNS:
        if column in out and k:
            out[column] = out[column].astype(str) + f"-m{k}"
    return out


def _tile_layer(
    layer_m: gpd.GeoDataFrame, offsets: list[tuple[float, float]], node_count: int
) -> gpd.GeoDataFrame:
    parts = []
    geoms = np.asarray(layer_m.geometry.values, dtype=object)
    for k, (dx, dy) in enumerate(offsets):
        moved = shapely.transform(geoms, lambda xy, dx=dx, dy=dy: xy + np.array([dx, dy]))
        part = _offset_ids(pd.DataFrame(layer_m.drop(columns=layer_m.geometry.name)), k, node_count)
        parts.append(gpd.GeoDataFrame(part, geometry=list(moved), crs=layer_m.crs))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=layer_m.crs)


def _single(layer_m: gpd.GeoDataFrame, geometry: Any) -> gpd.GeoDataFrame:
    """``layer_m``'s first row with ``geometry`` (the one-feature layers)."""
    row = layer_m.iloc[:1].drop(columns=layer_m.geometry.name).reset_index(drop=True)
    return gpd.GeoDataFrame(row, geometry=[geometry], crs=layer_m.crs)


def _write_population(src: Path, dest: Path, cols: int, rows: int, tile_m: tuple[float, float]):  # type: ignore[no-untyped-def]
    with rasterio.open(src) as raster:
        data = raster.read(1)
        profile = raster.profile
        cell = raster.transform.a
    nx, ny = round(tile_m[0] / cell), round(tile_m[1] / cell)
    big = np.zeros((ny * rows + data.shape[0], nx * cols + data.shape[1]), dtype="float32")
    clean = np.where(data < 0, 0.0, data).astype("float32")
    for j in range(rows):
        for i in range(cols):
            r0 = (rows - 1 - j) * ny  # row 0 is the north edge; tile j counts from the south
            big[r0 : r0 + data.shape[0], i * nx : i * nx + data.shape[1]] += clean
    top = profile["transform"].f + (rows - 1) * ny * cell
    transform = rasterio.Affine(cell, 0.0, profile["transform"].c, 0.0, -cell, top)
    profile.update(width=big.shape[1], height=big.shape[0], transform=transform)
    profile.pop("blockxsize", None)
    profile.pop("blockysize", None)
    with rasterio.open(dest, "w", **profile) as out:
        out.write(big, 1)


def build_mosaic_workspace(
    area_km2: float, out_dir: str | Path, *, source: str | Path | None = None
) -> dict[str, Any]:
    """Tile the demonstration workspace into a workspace of about ``area_km2``.

    Parameters
    ----------
    area_km2 : float
        Target area; the mosaic holds ``ceil(area_km2 / demo area)`` copies (at least one).
    out_dir : path
        The new workspace folder (its name is the county id); replaced when it exists.
    source : path, optional
        The workspace to tile (default: the demonstration workspace, ingested if absent).

    Returns
    -------
    dict
        ``copies``, ``grid`` (cols, rows), ``area_km2`` (of the mosaic's boundary), ``features``
        (per layer) and ``path``.
    """
    from benchmarks.common import demo_workspace_dir

    src = Path(source) if source is not None else demo_workspace_dir()
    out = Path(out_dir)
    meta = json.loads((src / METADATA_NAME).read_text(encoding="utf-8"))
    metric = CRS.from_user_input(meta["metric_crs"])
    gpkg = src / GPKG_NAME
    boundary_m = gpd.read_file(gpkg, layer="boundary").to_crs(metric)
    demo_km2 = float(boundary_m.area.sum()) / 1e6
    copies = max(1, math.ceil(area_km2 / demo_km2))
    cols, rows = _grid(copies)
    cell_m = float(meta.get("population", {}).get("cell_size_m") or 100.0)
    tile_m = _tile_size_m(boundary_m, cell_m)
    offsets = [(i * tile_m[0], j * tile_m[1]) for j in range(rows) for i in range(cols)][:copies]
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    nodes = gpd.read_file(gpkg, layer="walk_nodes")
    node_count = int(nodes["node_id"].max()) + 1 if len(nodes) else 0
    features: dict[str, int] = {}
    for name, _kind in pyogrio.list_layers(gpkg):
        layer_m = gpd.read_file(gpkg, layer=name).to_crs(metric)
        tiled = _tile_layer(layer_m, offsets, node_count)
        if name == "boundary":
            tiled = _single(layer_m, shapely.box(*tiled.total_bounds))
        elif name == "built_up":
            tiled = _single(layer_m, shapely.union_all(np.asarray(tiled.geometry.values)))
        tiled = tiled.to_crs(4326)
        pyogrio.write_dataframe(tiled, tmp / GPKG_NAME, layer=name)
        features[name] = len(tiled)
    if (src / POPULATION_NAME).is_file():
        _write_population(src / POPULATION_NAME, tmp / POPULATION_NAME, cols, rows, tile_m)
    mosaic_km2 = float(gpd.read_file(tmp / GPKG_NAME, layer="boundary").to_crs(metric).area.sum())
    _write_metadata(meta, tmp, out.name, copies, (cols, rows), features)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return {
        "copies": copies,
        "grid": (cols, rows),
        "area_km2": mosaic_km2 / 1e6,
        "features": features,
        "path": str(out),
    }


def _write_metadata(
    meta: dict[str, Any],
    folder: Path,
    county_id: str,
    copies: int,
    grid: tuple[int, int],
    features: dict[str, int],
) -> None:
    bounds = [float(v) for v in gpd.read_file(folder / GPKG_NAME, layer="boundary").total_bounds]
    population = dict(meta.get("population") or {})
    for key in ("total", "urban_population", "residential_ha", "built_up_ha"):
        if isinstance(population.get(key), int | float):
            population[key] = population[key] * copies
    layers = {
        name: {**(meta.get("layers", {}).get(name) or {}), "count": count}
        for name, count in features.items()
    }
    label = (
        f"benchmark mosaic of {copies} copies of {meta.get('name')}: not a county / "
        f"基准测试拼接（{copies} 份示范区），非真实县"
    )
    meta = {
        **meta,
        "county_id": county_id,
        "name": f"示范区拼接 mosaic ×{copies} [{county_id}]",
        "bounds": [round(v, 5) for v in bounds],
        "population": population,
        "layers": layers,
        "is_copy": True,
        "copy_of": meta.get("county_id"),
        "copy_purpose": "benchmark",
        "copy_label": label,
        "mosaic": {"copies": copies, "grid": list(grid)},
    }
    (folder / METADATA_NAME).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def main() -> None:
    """``python -m benchmarks.mosaic_workspace AREA_KM2 OUT_DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("area_km2", type=float)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    info = build_mosaic_workspace(args.area_km2, args.out_dir)
    print(json.dumps(info, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
