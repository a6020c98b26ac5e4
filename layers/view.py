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

A feature of more than ``large`` vertices is listed by id and bbox (``references``), not sent:

>>> from shapely.geometry import LineString
>>> line = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (0.5, 0.01), (1, 0)])], crs=4326)
>>> answer = view_collection(LayerIndex.build(line), (0.0, 0.0, 1.0, 1.0), zoom=18, large=2)
>>> answer["features"], answer["references"]
([], [{'id': 0, 'bbox': [0.0, 0.0, 1.0, 0.01]}])
>>> view_feature(LayerIndex.build(line), 0, zoom=18)["geometry"]["coordinates"]
((0.0, 0.0), (0.5, 0.01), (1.0, 0.0))
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from layers.geojson import feature_properties
from layers.simplify import EXACT_FROM_ZOOM, simplify_frame, simplify_tolerance_deg

CELL_LEVELS_UP = 2
"""A cell is a tile of level ``zoom - 2``: 4 x 4 tiles of 256 px, 1,024 px at the map's zoom."""
CELL_FEATURE_BUDGET = 2500
"""Features a cell may hold on average (layer density x cell area) for a layer to be drawn."""
MAX_VIEW_FEATURES = 5000
"""Features one answer carries at most; a denser cell answers ``too_many`` (zoom in)."""
MAX_VIEW_SPAN_DEG = 90.0
"""Widest bbox (degrees of longitude or latitude) a view request may ask for."""
WEB_MERCATOR_MAX_LAT = 85.0511287798
FEATURE_CACHE_VERTICES = 300_000
"""Vertices of simplified features a :class:`FeatureCache` keeps, per layer: about 30 MB as
GeoJSON coordinate tuples, twice the 2,000 km² mosaic's built-up area at zoom 16."""
LARGE_FEATURE_VERTICES = 1000
"""A feature of more vertices (once simplified for the zoom) is sent by reference, not whole:
a cell lists its id and bbox and the page fetches it once per zoom from the feature route
(about 30 KB of GeoJSON; the 2,000 km² mosaic's built-up area is 1.7 MB at zoom 16)."""

_Cached = tuple[dict[str, Any], tuple[float, float, float, float], int] | None
"""A feature as GeoJSON, its bounds and its vertex count (``None``: it collapsed)."""


class FeatureCache:
    """GeoJSON features of one layer already simplified for a zoom, by (tolerance, row).

    A feature crossing many cells (a county's built-up area: one polygon of 146,000
    vertices at 2,000 km²) was simplified and converted again for each cell it meets,
    seconds per cell; now once per zoom.  Each feature is simplified on its own, so a cell's
    answer is the same whichever cells were asked before.  Holds at most ``max_vertices``
    vertices, least recently used dropped first; a collapsed feature is kept as ``None``.
    """

    def __init__(self, max_vertices: int = FEATURE_CACHE_VERTICES) -> None:
        self.max_vertices = max_vertices
        self._items: OrderedDict[tuple[float | None, int], tuple[_Cached, int]] = OrderedDict()
        self._vertices = 0
        self._lock = threading.Lock()

    def get(self, tolerance: float | None, rows: np.ndarray) -> dict[int, _Cached]:
        """The cached features among ``rows`` (rows not cached are absent)."""
        out: dict[int, _Cached] = {}
        with self._lock:
            for row in rows.tolist():
                item = self._items.get((tolerance, row))
                if item is not None:
                    self._items.move_to_end((tolerance, row))
                    out[row] = item[0]
        return out

    def put(self, tolerance: float | None, row: int, feature: _Cached, vertices: int) -> None:
        """Keep ``feature`` of ``row`` (``vertices`` long), dropping the oldest beyond the cap."""
        with self._lock:
            old = self._items.pop((tolerance, row), None)
            if old is not None:
                self._vertices -= old[1]
            self._items[(tolerance, row)] = (feature, vertices)
            self._vertices += vertices
            while self._vertices > self.max_vertices and len(self._items) > 1:
                _, (_, n) = self._items.popitem(last=False)
                self._vertices -= n


@dataclass(frozen=True)
class LayerIndex:
    """A layer (EPSG:4326) with its STRtree, the zoom from which it is drawn, its features."""

    frame: gpd.GeoDataFrame
    tree: shapely.STRtree
    min_zoom: int
    features: FeatureCache = field(default_factory=FeatureCache, compare=False, repr=False)

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
    large: int = LARGE_FEATURE_VERTICES,
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
    large : int
        Features of more vertices than this (simplified) are listed in ``references`` as
        ``{"id", "bbox"}`` instead of being sent: the page fetches each once per zoom
        (:func:`view_feature`), not again with every cell it crosses.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (feature ``id``: row position in the layer, the same as in
        the layer API) with ``references``, ``status`` (``ok``, ``zoom_in``: below
        ``min_zoom``, nothing sent; ``too_many``: more than ``cap`` features matched, nothing
        sent), ``numberMatched`` (features intersecting), ``numberReturned`` (features
        sent whole), ``zoom``, ``min_zoom``, ``cap`` and ``large``.  ``bbox`` covers both.
    """
    base: dict[str, Any] = {"zoom": zoom, "min_zoom": index.min_zoom, "cap": cap, "large": large}
    if zoom < index.min_zoom:
        return _empty("zoom_in", None, base)
    hits = np.sort(index.tree.query(shapely.box(*bbox), predicate="intersects"))
    if len(hits) > cap:
        return _empty("too_many", len(hits), base)
    found = _features(index, hits, simplify_tolerance_deg(zoom))
    features = [item[0] for item in found if item[2] <= large]
    references = [
        {"id": item[0]["id"], "bbox": [round(float(v), 6) for v in item[1]]}
        for item in found
        if item[2] > large
    ]
    page: dict[str, Any] = {
        "type": "FeatureCollection",
        "numberMatched": len(hits),
        "numberReturned": len(features),
        "features": features,
        "references": references,
    }
    if found:  # the bbox of the features returned and referenced, as layers.geojson gives it
        bounds = np.array([item[1] for item in found])
        total = (*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
        page["bbox"] = [round(float(v), 6) for v in total]
    return {**page, "status": "ok", **base}


def view_feature(index: LayerIndex, row: int, *, zoom: int) -> dict[str, Any] | None:
    """Feature ``row`` of ``index`` simplified for ``zoom``, as a cell would carry it.

    ``None`` when the layer has no such row or the feature collapses at this zoom (a cell never
    lists it then).  Shares the layer's :class:`FeatureCache` with :func:`view_collection`.
    """
    if not 0 <= row < len(index.frame):
        return None
    found = _features(index, np.array([row], dtype=np.int64), simplify_tolerance_deg(zoom))
    return found[0][0] if found else None


def _features(
    index: LayerIndex, hits: np.ndarray, tolerance: float | None
) -> list[tuple[dict[str, Any], tuple[float, float, float, float], int]]:
    """The features of rows ``hits`` (ascending) simplified by ``tolerance``, with their bounds.

    Rows not in the layer's :class:`FeatureCache` are simplified and converted (the same steps
    as :func:`layers.geojson.to_feature_collection`) and cached; collapsed ones are left out.
    """
    cached = index.features.get(tolerance, hits)
    missing = np.array([r for r in hits.tolist() if r not in cached], dtype=np.int64)
    if len(missing):
        page = simplify_frame(index.frame.iloc[missing].reset_index(drop=True), tolerance)
        kept = missing[page.index.to_numpy()]
        geoms = np.asarray(page.geometry.values, dtype=object)
        made: dict[int, _Cached] = {int(r): None for r in missing.tolist()}
        for row, props, geom, box, n in zip(
            kept.tolist(),
            feature_properties(page),
            geoms,
            shapely.bounds(geoms).tolist(),
            shapely.get_num_coordinates(geoms).tolist(),
            strict=True,
        ):
            feature = {"type": "Feature", "id": row, "properties": props}
            feature["geometry"] = shapely.geometry.mapping(geom)
            made[row] = (feature, (box[0], box[1], box[2], box[3]), n)
            index.features.put(tolerance, row, made[row], n)
        for row in set(made) - set(kept.tolist()):
            index.features.put(tolerance, row, None, 1)
        cached.update(made)
    return [item for r in hits.tolist() if (item := cached[r]) is not None]


def _empty(status: str, matched: int | None, base: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "status": status,
        "numberMatched": matched,
        "numberReturned": 0,
        "features": [],
        "references": [],
        **base,
    }
