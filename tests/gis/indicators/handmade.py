"""Builders for hand-made indicator inputs in a real GK zone (EPSG:4547, CM 114°E).

Geometry is drawn in local metres and shifted to ``(X0, Y0)`` (a point in Henan),
so answers can be worked out by hand on the local coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely import affinity
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry

from gis.workspace import PopulationCells

CRS_GK = CRS.from_epsg(4547)
X0, Y0 = 500_000.0, 3_850_000.0


def shift(geom: BaseGeometry) -> BaseGeometry:
    """Local metres to the GK zone."""
    return affinity.translate(geom, X0, Y0)


def layer(geoms: Sequence[BaseGeometry], **columns: Any) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4547 from local-metre geometries."""
    return gpd.GeoDataFrame(dict(columns), geometry=[shift(g) for g in geoms], crs=CRS_GK)


def square(x0: float, y0: float, x1: float, y1: float, **columns: Any) -> gpd.GeoDataFrame:
    """One rectangle as a layer."""
    return layer([box(x0, y0, x1, y1)], **columns)


def roads(rows: Sequence[tuple[Sequence[tuple[float, float]], str, bool, str]]) -> gpd.GeoDataFrame:
    """Roads from ``(coords, road_class, oneway, name)`` rows."""
    return layer(
        [LineString(c) for c, _, _, _ in rows],
        osm_id=np.arange(1, len(rows) + 1, dtype=np.int64),
        highway=[
            "residential" if r[1] == "branch" else ("service" if r[1] == "other" else "primary")
            for r in rows
        ],
        road_class=[r[1] for r in rows],
        oneway=[r[2] for r in rows],
        name=[r[3] or None for r in rows],
    )


def network(
    nodes_xy: Sequence[tuple[float, float]],
    edges: Sequence[tuple[int, int]],
    lengths_m: Sequence[float] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """walk_nodes and walk_edges; lengths from the straight segments unless given."""
    xy = np.asarray(nodes_xy, dtype=float)
    nodes = layer([Point(p) for p in xy], node_id=np.arange(len(xy), dtype=np.int64))
    lines = [LineString([xy[u], xy[v]]) for u, v in edges]
    length = [ln.length for ln in lines] if lengths_m is None else list(lengths_m)
    edges_gdf = layer(
        lines,
        u=np.array([e[0] for e in edges], dtype=np.int64),
        v=np.array([e[1] for e in edges], dtype=np.int64),
        length_m=np.asarray(length, dtype=float),
        highway=["footway"] * len(lines),
    )
    return nodes, edges_gdf


def path_network(n: int, spacing_m: float = 100.0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes 0..n-1 along the x axis, ``spacing_m`` apart, joined in a line."""
    return network([(i * spacing_m, 0.0) for i in range(n)], [(i, i + 1) for i in range(n - 1)])


def cells(
    xy: Sequence[tuple[float, float]], persons: Sequence[float], cell_m: float = 100.0
) -> PopulationCells:
    """Population cells centred at local-metre points."""
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    return PopulationCells(
        arr[:, 0] + X0, arr[:, 1] + Y0, np.asarray(persons, dtype=float), cell_m, CRS_GK
    )


def points(xy: Sequence[tuple[float, float]], **columns: Any) -> gpd.GeoDataFrame:
    """Point layer."""
    return layer([Point(p) for p in xy], **columns)


def translated(gdf: gpd.GeoDataFrame, dx: float, dy: float) -> gpd.GeoDataFrame:
    """A copy shifted by ``(dx, dy)`` metres."""
    out = gdf.copy()
    out.geometry = gpd.GeoSeries(
        shapely.transform(
            np.asarray(gdf.geometry.values, dtype=object), lambda c: c + np.array([dx, dy])
        ),
        crs=gdf.crs,
    )
    return out
