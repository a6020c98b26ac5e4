"""The features of a layer inside one map view: bbox-limited GeoJSON for the map pages.

The planner and public maps do not embed their layers: for each layer the page asks
``/api/v1/counties/<county>/layers/<layer>/view`` for the features of the cells covering what
is on screen (static/js/gis-map.js, ``gisViewLayer``).  This module is the pure part of that
route: the spatial index, the zoom below which a dense layer is not drawn, and one answer.

A *cell* is a Web Mercator tile of level ``zoom - CELL_LEVELS_UP``: 1,024 pixels square at the
map's zoom, so a view of a page needs 2 to 6 of them per layer, and a cell's answer can be
cached by the server and the browser (same bbox, same bytes) and reused while panning.

>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> gdf = gpd.GeoDataFrame({"n": [1, 2, 3]},
...                        geometry=[Point(0.5, 0.5), Point(5.0, 5.0), Point(0.1, 0.2)], crs=4326)
>>> answer = view_collection(LayerIndex.build(gdf), (0.0, 0.0, 1.0, 1.0), zoom=12, cap=10)
>>> answer["status"], answer["numberMatched"], [f["id"] for f in answer["features"]]
('ok', 2, [0, 2])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from layers.geojson import to_feature_collection
from layers.simplify import EXACT_FROM_ZOOM, simplify_tolerance_deg

CELL_LEVELS_UP = 2
"""A cell is a tile of level ``zoom - 2``: 4 x 4 tiles of 256 px, 1,024 px at the map's zoom."""
CELL_FEATURE_BUDGET = 2500
"""Features a cell may hold on average (layer density x cell area) for a layer to be drawn."""
MAX_VIEW_FEATURES = 5000
"""Features one answer carries at most; a denser cell answers ``too_many`` (zoom in)."""
MAX_VIEW_SPAN_DEG = 90.0
"""Widest bbox (degrees of longitude or latitude) a view request may ask for."""
WEB_MERCATOR_MAX_LAT = 85.0511287798


@dataclass(frozen=True)
class LayerIndex:
    """A layer (EPSG:4326) with its STRtree and the zoom from which it is drawn."""

    frame: gpd.GeoDataFrame
    tree: shapely.STRtree
    min_zoom: int

    @classmethod
    def build(cls, frame: gpd.GeoDataFrame) -> LayerIndex:
        """Index ``frame`` (row positions are the feature ids of every answer)."""
        geoms = np.asarray(frame.geometry.values, dtype=object)
        bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else None
        return cls(frame, shapely.STRtree(geoms), min_view_zoom(len(frame), bounds))


def cell_span_deg(zoom: int) -> float:
    """Longitude span of one cell at map zoom ``zoom`` (a tile of level ``zoom - 2``).

    >>> cell_span_deg(14), cell_span_deg(2)
    (0.087890625, 360.0)
    """
    level = max(zoom - CELL_LEVELS_UP, 0)
    return 360.0 / 2.0**level


def min_view_zoom(
    count: int,
    bounds: tuple[float, ...] | None,
    *,
    cell_budget: int = CELL_FEATURE_BUDGET,
) -> int:
    """The lowest map zoom at which a cell holds at most ``cell_budget`` features on average.

    A layer of ``count`` features spread over ``bounds`` (min_lon, min_lat, max_lon, max_lat)
    has ``count / area`` features per square degree; a cell at zoom ``z`` covers
    ``cell_span_deg(z)`` of longitude and ``cos(lat)`` times that of latitude.  A layer of at
    most ``cell_budget`` features is drawn at every zoom (0).

    >>> min_view_zoom(500, (104.0, 30.0, 104.04, 30.03))
    0
    >>> min_view_zoom(84_000, (104.0, 30.7, 104.45, 31.1))
    15
    """
    if count <= cell_budget or bounds is None:
        return 0
    minx, miny, maxx, maxy = bounds
    lat = math.radians(max(min((miny + maxy) / 2.0, WEB_MERCATOR_MAX_LAT), -WEB_MERCATOR_MAX_LAT))
    # a layer along a line (bounds of zero height or width) still spans at least one metre
    area_deg2 = max(maxx - minx, 1e-5) * max(maxy - miny, 1e-5)
    for zoom in range(EXACT_FROM_ZOOM + 1):
        span = cell_span_deg(zoom)
        cell_deg2 = span * span * math.cos(lat)
        if count * min(cell_deg2 / area_deg2, 1.0) <= cell_budget:
            return zoom
    return EXACT_FROM_ZOOM


def view_collection(
    index: LayerIndex,
    bbox: tuple[float, float, float, float],
    *,
    zoom: int,
    cap: int = MAX_VIEW_FEATURES,
) -> dict[str, Any]:
    """The features of ``index`` intersecting ``bbox``, simplified to half a pixel at ``zoom``.

    Parameters
    ----------
    index : LayerIndex
        The layer and its spatial index.
    bbox : tuple
        ``(min_lon, min_lat, max_lon, max_lat)`` in EPSG:4326.
    zoom : int
        The map's zoom: geometry simplified to half a pixel (exact from zoom 17).
    cap : int
        At most this many features; more give ``status: "too_many"`` and none.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (feature ``id``: row position in the layer, the same as in
        the layer API) with ``status`` (``ok``, ``zoom_in``: below ``min_zoom``, nothing sent;
        ``too_many``: more than ``cap`` features matched, nothing sent), ``numberMatched``,
        ``numberReturned``, ``zoom``, ``min_zoom`` and ``cap``.
    """
    base: dict[str, Any] = {"zoom": zoom, "min_zoom": index.min_zoom, "cap": cap}
    if zoom < index.min_zoom:
        return _empty("zoom_in", None, base)
    hits = np.sort(index.tree.query(shapely.box(*bbox), predicate="intersects"))
    if len(hits) > cap:
        return _empty("too_many", len(hits), base)
    page = to_feature_collection(
        index.frame.iloc[hits], tolerance_deg=simplify_tolerance_deg(zoom)
    ).collection
    for feature in page["features"]:
        feature["id"] = int(hits[feature["id"]])
    page["numberMatched"] = len(hits)
    return {**page, "status": "ok", **base}


def _empty(status: str, matched: int | None, base: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "status": status,
        "numberMatched": matched,
        "numberReturned": 0,
        "features": [],
        **base,
    }
