"""Helpers shared by the indicator modules: results, dissolving, clipping, lon/lat."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from gis.crs import require_metric
from gis.errors import CrsError
from gis.indicators._noding import Edge, clipped_lines
from gis.indicators._state import digest_of
from gis.result import IndicatorResult, Status, empty_layer, judged
from gis.settings import IndicatorSettings

NAMES: dict[str, tuple[str, str]] = {
    "road_density": ("道路网密度", "Road-network density"),
    "fitness_15min_coverage": ("城市15分钟健身圈覆盖率", "15-minute fitness circle coverage"),
    "park_green_per_capita": ("人均公园绿地面积", "Park green area per capita"),
    "green_space_ratio": ("绿地率", "Green-space ratio"),
    "park_service_coverage": ("公园绿地服务半径覆盖率", "Park service-radius coverage"),
    "regulatory_plan_coverage": ("控制性详细规划覆盖率", "Regulatory detailed plan coverage"),
    "urban_design_coverage": ("重点地区城市设计覆盖率", "Urban design coverage of key areas"),
    "parking_per_100_cars": ("百辆汽车公共停车泊位数", "Public parking spaces per 100 cars"),
    "sewer_network_coverage": (
        "建成区污水管网覆盖率",
        "Sewer network coverage of the built-up area",
    ),
    "water_supply_coverage": ("公共供水普及率", "Public water-supply coverage"),
    "sewage_treatment_rate": ("生活污水集中处理率", "Domestic sewage treatment rate"),
    "special_plans_approved_share": ("专项规划批复率", "Special plans approved"),
}


REASONS: dict[str, tuple[str, str]] = {
    "built_up_empty": (
        "无法计算：建成区为空；请上传建成区（built_up）面",
        "not computable: the built-up area is empty; add a built_up polygon",
    ),
    "no_population_raster": (
        "无法计算：无人口数据（人口栅格）；请添加 population.tif",
        "not computable: no population raster; add population.tif",
    ),
    "walk_network_empty": (
        "无法计算：步行路网为空；请检查道路数据中的可步行道路",
        "not computable: the pedestrian network is empty; check the walkable roads",
    ),
    "no_residents": (
        "无法计算：建成区内无人口",
        "not computable: no residents in the built-up area",
    ),
    "no_sports": (
        "无法计算：无体育设施；请上传体育设施图层（sports）",
        "not computable: no sports facilities; add the sports layer",
    ),
    "no_urban_population": (
        "无法计算：无城区人口；请添加人口栅格（population.tif）或普查城区人口",
        "not computable: no urban population; add population.tif or the census figure",
    ),
    "no_residential": (
        "无法计算：建成区内无居住用地；请上传居住用地图层（residential）",
        "not computable: no residential land in the built-up area; add the residential layer",
    ),
    "no_layer": (
        "无数据：工作区没有{layer_zh}图层（{layer}）或该图层为空；上传后即可计算本指标",
        "no data: the workspace has no {layer} layer or it is empty; upload it to compute "
        "this indicator",
    ),
    "no_status_layer": (
        "无数据：工作区没有{layer_zh}图层（{layer}）或该图层为空；上传带状态（status）字段的面图层"
        "后即可计算本指标",
        "no data: the workspace has no {layer} layer or it is empty; upload it (polygons with a "
        "status column) to compute this indicator",
    ),
    "no_figure": (
        "无数据：县里尚未填报{figure_zh}（含来源和年份）；请在规划图页面的“县级填报”中填写",
        "no data: the county has not entered its {figure} (with source and year); enter it on "
        "the county figures page linked from the planner map",
    ),
    "no_checklist": (
        "无数据：县里尚未填报11项专项规划的编制情况；请在规划图页面的“县级填报”中填写",
        "no data: the county has not entered the checklist of its 11 special plans; enter it on "
        "the county figures page linked from the planner map",
    ),
    "no_parking_capacity": (
        "无法计算：建成区内{count}处公共停车场均无泊位数（capacity_spaces）；请上传带泊位数的停车场"
        "图层（parking）",
        "not computable: none of the {count} public car parks in the built-up area has a "
        "capacity (capacity_spaces); upload the parking layer with capacities",
    ),
}
"""Why an indicator has no value: code → (Chinese, English) templates, the one catalogue."""

LAYER_NAMES_ZH: dict[str, str] = {
    "plans": "控制性详细规划",
    "key_areas": "重点地区",
    "urban_designs": "城市设计",
    "built_up": "建成区",
    "parks": "公园绿地",
    "green_space": "绿地",
    "sports": "体育设施",
    "residential": "居住用地",
    "parking": "公共停车场",
    "sewer_pipes": "污水管网",
}


def reason(code: str, **values: str) -> str:
    """The reason text of ``code``: ``中文 | English`` (the project's bilingual line).

    >>> reason("no_layer", layer="key_areas", layer_zh=LAYER_NAMES_ZH["key_areas"]).split("；")[0]
    '无数据：工作区没有重点地区图层（key_areas）或该图层为空'
    >>> reason("no_sports").split(" | ")[1]
    'not computable: no sports facilities; add the sports layer'
    """
    zh, en = REASONS[code]
    return f"{zh.format(**values)} | {en.format(**values)}"


def require_all_metric(
    layers: dict[str, gpd.GeoDataFrame | None], *, metric_crs: Any = None
) -> CRS:
    """Check every given layer is in a metric CRS (the same one); return that CRS.

    When every layer is ``None`` (a county without key areas and urban designs),
    ``metric_crs`` (the workspace's GK zone) is returned instead, so the indicator
    can answer ``no_data``; without it that is a programming error.
    """
    crs: CRS | None = None
    for name, gdf in layers.items():
        if gdf is None:
            continue
        require_metric(gdf, name)
        if crs is None:
            crs = CRS.from_user_input(gdf.crs)
        elif not crs.equals(gdf.crs):
            msg = (
                f"{name}: CRS {gdf.crs} differs from the other inputs' {crs}; "
                "use Workspace.to_metric()"
            )
            raise CrsError(msg)
    if crs is None:
        if metric_crs is None:
            msg = f"no input layer given ({', '.join(layers)}) and no metric_crs to fall back on"
            raise ValueError(msg)
        crs = CRS.from_user_input(metric_crs)
        if not crs.is_projected:
            msg = f"metric_crs {crs.to_string()} is not a projected CRS in metres"
            raise CrsError(msg)
    return crs


DISSOLVE_CACHE_SIZE = 8
"""How many dissolved layers :func:`dissolve` keeps (by content), least recently used dropped
first (a county's indicators dissolve about six layers; a what-if edit then finds them all)."""
TOUCH_M = 1e-6
"""Polygons nearer than this (1 µm) are unioned as touching (:func:`union_polygons`)."""


class _Kept:
    """The last few values by key, least recently used dropped first; thread-safe.

    A key made of object ids (``id(area)``) is only unique while the object lives, so such
    a value is kept with its ``owners``: holding them keeps their ids from being reused, and
    a value is found only for the very same objects.  Two threads making the same value at
    once both get the first one kept (one object per key, as callers that compare by
    identity need).

    >>> kept = _Kept(2)
    >>> a = shapely.Point(0, 0)
    >>> kept.put((id(a),), "first", owners=(a,)), kept.put((id(a),), "second", owners=(a,))
    ('first', 'first')
    >>> kept.get((id(a),), owners=(a,)), kept.get((id(a),), owners=(shapely.Point(0, 0),))
    ('first', None)
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[tuple[Any, ...], Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, *, owners: tuple[Any, ...] = ()) -> Any:
        """The value kept for ``key`` and these very ``owners``, or ``None``."""
        with _KEPT_LOCK:
            hit = self._items.get(key)
            if hit is None or not _same(hit[0], owners):
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, value: Any, *, owners: tuple[Any, ...] = ()) -> Any:
        """Keep ``value`` unless one is kept for ``key`` already; return the kept one."""
        with _KEPT_LOCK:
            hit = self._items.get(key)
            if hit is not None and _same(hit[0], owners):
                self._items.move_to_end(key)
                return hit[1]
            self._items[key] = (owners, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return value

    def owner_of(self, value: Any) -> Any:
        """The first owner of the entry whose value *is* ``value``, or ``None``."""
        with _KEPT_LOCK:
            return next((o[0] for o, v in self._items.values() if v is value and o), None)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


_KEPT_LOCK = threading.Lock()  # the server computes in threads
_DISSOLVED = _Kept(DISSOLVE_CACHE_SIZE)


def dissolve(gdf: gpd.GeoDataFrame | None) -> BaseGeometry:
    """Union of a layer's (made valid) polygonal geometries; empty polygon for none.

    The last few results are kept by the content of the geometries (a digest of their
    WKB), so the built-up area dissolved by each indicator of a county is unioned once;
    a layer changed in any coordinate is dissolved anew.

    >>> from shapely import box
    >>> layer = gpd.GeoDataFrame(geometry=[box(0, 0, 2, 1), box(1, 0, 3, 1)], crs=4547)
    >>> dissolve(layer).area, dissolve(layer).area
    (3.0, 3.0)
    >>> layer.geometry = [box(0, 0, 1, 1), box(2, 0, 3, 1)]
    >>> dissolve(layer).area
    2.0
    """
    if gdf is None or len(gdf) == 0:
        return shapely.Polygon()
    raw = np.asarray(gdf.geometry.values, dtype=object)
    key = digest_of("dissolve", raw)
    cached: BaseGeometry | None = _DISSOLVED.get(key)
    if cached is not None:
        return cached
    geoms = shapely.make_valid(raw)
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    polys = _polygonal_each(geoms)
    out: BaseGeometry = _DISSOLVED.put(key, union_polygons(polys[~shapely.is_empty(polys)]))
    return out


def union_polygons(polys: Sequence[BaseGeometry] | np.ndarray) -> BaseGeometry:
    """The union of valid polygonal geometries, overlaid only where they meet.

    The same point set as ``shapely.union_all(polys)``: the polygons are split into groups
    that meet (connected components of "intersects", found with an STRtree); a polygon
    meeting no other is a part of the union as it is, each group of several is unioned on
    its own.  GEOS's cascaded union instead merges ever larger multipolygons, noding all of
    their rings together: 6,318 residential polygons of the 1,000 km² mosaic took 0.75 s
    that way and 0.04 s this way (green space 0.53 → 0.07 s, a one-polygon built-up area
    0.29 s → 0).  Parts may come in another order or start at another vertex.

    >>> from shapely import box
    >>> union_polygons([box(0, 0, 2, 2), box(1, 1, 3, 3), box(5, 5, 6, 6)]).area
    8.0
    >>> union_polygons([box(0, 0, 1, 1)]).geom_type, union_polygons([]).is_empty
    ('Polygon', True)
    """
    geoms = np.asarray(list(polys), dtype=object)
    if len(geoms) == 0:
        return shapely.union_all(geoms)
    parts = shapely.get_parts(geoms)
    parts = parts[~shapely.is_empty(parts)]
    left, right = _meeting_pairs(parts)
    n = len(parts)
    graph = sp.coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    alone = np.bincount(label)[label] == 1  # most parts meet no other: kept as they are
    crowded = np.flatnonzero(~alone)
    order = crowded[np.argsort(label[crowded], kind="stable")]
    groups = np.split(order, np.flatnonzero(np.diff(label[order])) + 1) if len(order) else []
    out = [*parts[alone], *group_unions(parts, groups)]
    merged = shapely.get_parts(np.asarray(out, dtype=object))
    merged = merged[~shapely.is_empty(merged)]
    if len(merged) == 1:
        return cast(BaseGeometry, merged[0])
    return cast(BaseGeometry, shapely.multipolygons(merged))


TABLE_GROUP_MAX = 16
"""Groups of at most this many polygons are unioned together in one table by
:func:`group_unions` (larger ones one by one: the table is as wide as its largest group)."""


def group_unions(parts: np.ndarray, groups: Sequence[np.ndarray]) -> list[BaseGeometry]:
    """:func:`group_union` of each group of ``parts`` (index arrays), the small groups at once.

    The groups of at most :data:`TABLE_GROUP_MAX` polygons are unioned row by row of one
    table padded with ``None`` (GEOS gets the same polygons in the same order), and checked
    to hold each polygon's inner point with one call; a group failing the check is made again
    as :func:`group_union` makes it then (its union is the one that failed), and every group
    when GEOS fails, and the larger groups, go through :func:`group_union`.  The 3,381 groups
    of green space and parks at 2,000 km² (most of them a park and its green polygon) took
    0.29 s one by one, 0.12 s so.

    >>> from shapely import box
    >>> squares = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6), box(5, 6, 6, 7)])
    >>> [g.area for g in group_unions(squares, [np.array([0, 1]), np.array([2, 3])])]
    [2.0, 2.0]
    """
    out: list[BaseGeometry | None] = [None] * len(groups)
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    small = np.flatnonzero(sizes <= TABLE_GROUP_MAX)
    if len(small):
        members = np.concatenate([groups[k] for k in small.tolist()])
        row = np.repeat(np.arange(len(small)), sizes[small])
        table = row_table(parts[members], row, sizes[small])
        try:
            unions = np.asarray(shapely.union_all(table, axis=1), dtype=object)
        except shapely.errors.GEOSException:
            unions = None
        if unions is not None:
            inner = shapely.point_on_surface(parts[members])
            held = shapely.covers(unions[row], inner)
            whole = np.bincount(row, weights=~held, minlength=len(small)) == 0
            for k, union in zip(small[whole].tolist(), unions[whole], strict=True):
                out[k] = union
            for s in np.flatnonzero(~whole).tolist():  # the same union_all failed its check
                k = int(small[s])
                out[k] = _union_again(parts[groups[k]], inner[row == s])
    return [
        union if union is not None else group_union(parts[groups[k]]) for k, union in enumerate(out)
    ]


def group_union(parts: np.ndarray) -> BaseGeometry:
    """The union of polygons that meet, checked to hold a point inside each of them.

    GEOS 3.14.1's ``union_all`` can drop polygons of a group that touch only nearly (six
    boxes turned by 30°, two of them the same: one of 90 m² was lost, found by hypothesis).
    A union missing a part's inner point is made again two polygons at a time, then, if
    that too misses one, on the 1 mm grid.

    >>> from shapely import box
    >>> group_union(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)])).area
    2.0
    """
    inner = shapely.point_on_surface(parts)
    union = shapely.union_all(parts)
    if shapely.covers(union, inner).all():
        return union
    return _union_again(parts, inner)


def _union_again(parts: np.ndarray, inner: np.ndarray) -> BaseGeometry:
    """The union of ``parts`` when ``union_all`` missed one of their inner points ``inner``.

    Two polygons at a time, then, if that too misses one, on the 1 mm grid.
    """
    level = np.asarray(parts, dtype=object)
    while len(level) > 1:  # a balanced tree of two-polygon unions
        pairs = shapely.union(level[0 : len(level) - 1 : 2], level[1::2])
        level = np.concatenate([pairs, level[len(level) - len(level) % 2 :]])
    if shapely.covers(level[0], inner).all():
        return cast(BaseGeometry, level[0])
    snapped: BaseGeometry = shapely.union_all(parts, grid_size=SNAP_GRID_M)
    return snapped


def _meeting_pairs(parts: np.ndarray) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The pairs ``i < j`` of polygons within ``TOUCH_M`` (1 µm), tested by the larger prepared.

    Polygons that touch by the numbers but not by GEOS's ``intersects`` (a corner 1e-15 m
    from an edge, as boxes turned by 30° have) must be unioned together too: kept apart as
    parts of one multipolygon they made it invalid (self-intersection), in 0.8 % of random
    sets of turned boxes.  An STRtree query with a predicate prepares the smaller polygon
    whose box meets a large one's, and then costs the size of the large one: the 403 parts
    of a built-up area of 146,000 vertices (most of them islands in the holes of one) took
    0.54 s so, 0.03 s here.

    >>> from shapely import box
    >>> _meeting_pairs(np.array([box(0, 0, 2, 2), box(1, 1, 3, 3), box(5, 5, 6, 6)]))
    (array([0]), array([1]))
    """
    x0, y0, x1, y1 = shapely.bounds(parts).T
    grown = shapely.box(x0 - TOUCH_M, y0 - TOUCH_M, x1 + TOUCH_M, y1 + TOUCH_M)
    left, right = shapely.STRtree(parts).query(grown)  # boxes that come within the tolerance
    keep = left < right
    left, right = left[keep], right[keep]
    size = shapely.get_num_coordinates(parts)
    first = size[left] >= size[right]
    big, small = np.where(first, left, right), np.where(first, right, left)
    shapely.prepare(parts[np.unique(big)])
    hit = shapely.intersects(parts[big], parts[small])
    apart = np.flatnonzero(~hit)
    hit[apart] = shapely.dwithin(parts[big[apart]], parts[small[apart]], TOUCH_M)
    return left[hit], right[hit]


_INTERSECTED = _Kept(DISSOLVE_CACHE_SIZE)


def intersection_of(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    """``a.intersection(b)``, kept for the last few pairs of the very same geometry objects.

    Meant for :func:`dissolve`'s results, which are the same objects while a layer is
    unchanged: the residential land inside the built-up area is needed by two indicators
    (1.8 s CPU each at 2,000 km²).  A pair is recognised by identity, never by value.
    Two (valid) polygonal geometries are overlaid by :func:`clip_polygons` (``b`` cut in
    pieces): the same point set less any lines and points.

    >>> from shapely import box
    >>> a, b = box(0, 0, 2, 2), box(1, 1, 3, 3)
    >>> intersection_of(a, b) is intersection_of(a, b), intersection_of(a, b).area
    (True, 1.0)
    """
    key = (id(a), id(b))
    hit: BaseGeometry | None = _INTERSECTED.get(key, owners=(a, b))
    if hit is not None:
        return hit
    polygonal = {a.geom_type, b.geom_type} <= {"Polygon", "MultiPolygon"}
    out: BaseGeometry = clip_polygons(a, b) if polygonal else a.intersection(b)
    kept: BaseGeometry = _INTERSECTED.put(key, out, owners=(a, b))
    return kept


PIECE_VERTICES = 2_000
"""Largest piece of an area (vertices) when :func:`area_pieces` cuts it into quadrants."""

AREA_CHECK_REL = 1e-11
"""How far (relative) the four quadrants' pieces may add up off their whole in
:func:`area_pieces`: 100 cm² of 1,000 km², about a thousand times what rounding left (7e-6 m² over
the 241 pieces at 2,000 km²), far less than any drawn ring."""


def area_pieces(area: BaseGeometry, *, max_vertices: int = PIECE_VERTICES) -> np.ndarray:
    """``area`` cut along quadrant lines until each piece has at most ``max_vertices``.

    The pieces tile the area exactly (cut with each quadrant, recursively: n log n).  A cut
    is GEOS's rectangle clipping, which only walks the rings (0.07 s against 0.48 s by
    overlays with boxes for the 146,000 vertices of the built-up area at 2,000 km²).  It
    promises neither a valid result nor, for rings lying on the rectangle's edge, all of the
    area.  So where the four quadrants' pieces do not add up to the area
    (:data:`AREA_CHECK_REL`), and for a final piece that is not valid, the piece is made again
    as the overlay of the whole ``area`` with its quadrant's box.

    >>> from shapely import box
    >>> ring = box(0, 0, 100, 100).difference(box(1, 1, 99, 99)).segmentize(1)
    >>> pieces = area_pieces(ring, max_vertices=100)
    >>> len(pieces) > 1, round(sum(p.area for p in pieces), 6) == round(ring.area, 6)
    (True, True)
    """
    out: list[BaseGeometry] = []
    quad_of: list[tuple[float, float, float, float]] = []
    stack = [(area, tuple(area.bounds))]
    while stack:
        geom, (x0, y0, x1, y1) = stack.pop()
        if shapely.get_num_coordinates(geom) <= max_vertices or (x1 - x0) + (y1 - y0) < 1.0:
            out.append(geom)
            quad_of.append((x0, y0, x1, y1))
            continue
        xm, ym = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        quads = [(x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)]
        quads = [q for q in quads if q[0] < q[2] and q[1] < q[3]]  # no width: no area
        pieces = [shapely.clip_by_rect(geom, *q) for q in quads]
        whole = geom.area
        if abs(float(shapely.area(pieces).sum()) - whole) > AREA_CHECK_REL * whole:
            pieces = [shapely.intersection(area, shapely.box(*q)) for q in quads]
        for piece, q in zip(pieces, quads, strict=True):
            polygonal = _polygonal(piece)
            if not polygonal.is_empty:
                stack.append((polygonal, q))
    made = np.asarray(out, dtype=object)
    for i in np.flatnonzero(~shapely.is_valid(made)).tolist():
        made[i] = _polygonal(shapely.intersection(area, shapely.box(*quad_of[i])))
    return made


_PIECES = _Kept(DISSOLVE_CACHE_SIZE)


_PIECES_LOCK = threading.Lock()  # pieces are cut once, whichever thread asks first


def pieces_of(area: BaseGeometry) -> np.ndarray:
    """:func:`area_pieces` of ``area``, kept for the last few areas (the very same objects).

    Like :func:`intersection_of`, by identity: :func:`dissolve` returns the same built-up
    area object while the layer is unchanged, and every clip of the road density (and of a
    what-if road) cuts it the same way.  The pieces of a :func:`separate_copy` are copies of
    its original's pieces (a thread's own objects, cut once).
    """
    kept = _kept_pieces(area)
    if kept is not None:
        return kept
    with _PIECES_LOCK:
        return _cut(area)


def _kept_pieces(area: BaseGeometry) -> np.ndarray | None:
    kept: np.ndarray | None = _PIECES.get(id(area), owners=(area,))
    return kept


def _cut(area: BaseGeometry) -> np.ndarray:
    """The pieces of ``area``: kept ones, a copy of its original's, or cut now (lock held)."""
    kept = _kept_pieces(area)  # cut meanwhile by another thread?
    if kept is not None:
        return kept
    original = _COPIES.owner_of(area)
    if original is not None:
        pieces = np.asarray(shapely.from_wkb(shapely.to_wkb(_cut(original))), dtype=object)
    else:
        pieces = area_pieces(area)
    _keep_pieces(area, pieces)
    return pieces


def _keep_pieces(area: BaseGeometry, pieces: np.ndarray) -> None:
    shapely.prepare(pieces)  # once, before other threads can see them
    pieces.setflags(write=False)
    _PIECES.put(id(area), pieces, owners=(area,))


_COPIES = _Kept(DISSOLVE_CACHE_SIZE)  # id(original) -> its copy


def separate_copy(area: BaseGeometry) -> BaseGeometry:
    """The same geometry as another object, the same one for the same ``area`` object.

    GEOS builds a prepared geometry's indexes when first used, so one prepared geometry must
    not be used by two threads at once (it crashed).  The road density runs beside the other
    indicators (:func:`gis.indicators.compute_all`) on its own copy of the built-up area;
    kept per area object (like :func:`pieces_of`) so its prepared indexes and pieces are
    made once.  The copy is exact (WKB keeps every bit).

    >>> from shapely import box
    >>> a = box(0, 0, 1, 1)
    >>> b = separate_copy(a)
    >>> b is not a, b.equals_exact(a, 0.0), separate_copy(a) is b
    (True, True, True)
    """
    hit: BaseGeometry | None = _COPIES.get(id(area), owners=(area,))
    if hit is not None:
        return hit
    # made meanwhile by another thread? then that one: one copy per area
    copy: BaseGeometry = _COPIES.put(
        id(area), shapely.from_wkb(shapely.to_wkb(area)), owners=(area,)
    )
    return copy


def meets_interior(area: BaseGeometry, polygons: np.ndarray) -> npt.NDArray[np.bool_]:
    """Which polygons share interior points with ``area``: ``intersects`` and not ``touches``.

    Each polygon is tested against the pieces of the area (:func:`pieces_of`) its box
    meets: its interior meets the area's exactly when it meets a piece's (the pieces tile
    the area, and the cut lines between them hold no open set).  A test then costs the size
    of a piece, not of the area: 96,000 population cells against a built-up area of
    146,000 vertices took 1.6 s whole and 0.2 s in pieces.

    >>> from shapely import box
    >>> meets_interior(box(0, 0, 10, 10), np.array([box(1, 1, 2, 2), box(10, 0, 11, 1),
    ...                                             box(9, 9, 11, 11), box(20, 20, 21, 21)]))
    array([ True, False,  True, False])
    """
    polygons = np.asarray(polygons, dtype=object)
    pieces = pieces_of(area)
    poly_of, piece_of = shapely.STRtree(pieces).query(polygons)
    inner = shapely.contains_properly(pieces[piece_of], polygons[poly_of])  # the most, cheaply
    rest = np.flatnonzero(~inner)
    rest = rest[shapely.intersects(pieces[piece_of[rest]], polygons[poly_of[rest]])]
    inner[rest] = ~shapely.touches(pieces[piece_of[rest]], polygons[poly_of[rest]])
    out = np.zeros(len(polygons), dtype=bool)
    out[poly_of[inner]] = True
    return out


def located_along(lines: Any, points: Any) -> Any:
    """``shapely.line_locate_point``: the distance along each line to its point nearest the point.

    GEOS divides by a segment's squared length to project onto it; for a segment a rounding
    error long (1e-170 m) that underflows to 0, the division raises a floating-point flag and
    numpy a RuntimeWarning.  The answer is still right (the segment's two ends are one
    distance along), so the flags are let pass here.

    >>> line = shapely.LineString([(0, 0), (1, 0), (1, 1e-170), (2, 1e-170)])
    >>> located_along(line, shapely.points([(1, 1), (3, 0)])).tolist()
    [1.0, 2.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return shapely.line_locate_point(lines, points)


def clip_lines(lines: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """Each line intersected with ``area``: ``shapely.intersection(lines, area)``'s lines.

    Lines the (prepared) area covers are returned as they are, lines that miss it as empty;
    those crossing its edge are cut with arrays (:func:`gis.indicators._noding.clipped_lines`:
    the same point set to 1 µm, a stretch along the edge counted as on it).
    Intersecting a line with a whole county's built-up area costs the size of the area,
    which made clipping every road quadratic in the county; overlaying each line with the
    pieces of the area it meets (:func:`area_pieces`) cost 2.5 s at 2,000 km².

    >>> from shapely import LineString, box
    >>> out = clip_lines(np.array([LineString([(1, 1), (2, 2)]), LineString([(5, 5), (15, 5)]),
    ...                            LineString([(20, 20), (30, 30)])]), box(0, 0, 10, 10))
    >>> [g.wkt for g in out]
    ['LINESTRING (1 1, 2 2)', 'LINESTRING (5 5, 10 5)', 'LINESTRING EMPTY']
    """
    lines = np.asarray(lines, dtype=object)
    shapely.prepare(area)
    out = np.empty(len(lines), dtype=object)
    out[:] = [shapely.LineString()] * len(lines)
    covered = shapely.covers(area, lines)
    out[covered] = lines[covered]
    rest = np.flatnonzero(~covered)  # half the lines at 2,000 km²: those tested again
    edge = rest[shapely.intersects(area, lines[rest])]
    if len(edge):
        out[edge] = clipped_lines(lines[edge], area, edge=edge_of(area))
    return out


_EDGES = _Kept(DISSOLVE_CACHE_SIZE)


def edge_of(area: BaseGeometry) -> Edge:
    """The area's :class:`~gis.indicators._noding.Edge`, kept per area object.

    As :func:`pieces_of`: a what-if road is clipped against it, not against a new one each
    time (0.1 s at 2,000 km²).
    """
    kept: Edge | None = _EDGES.get(id(area), owners=(area,))
    if kept is not None:
        return kept
    made: Edge = _EDGES.put(id(area), Edge.of(area), owners=(area,))
    return made


def unions_by_row(
    values: np.ndarray, row_of: np.ndarray, n_rows: int
) -> tuple[np.ndarray, npt.NDArray[np.bool_]]:
    """Per row, the union of the ``values`` whose ``row_of`` is that row, and which had several.

    A row of one value is that value as it is, a row of none is ``None``.  The rows of
    several are unioned at once (a table padded with ``None``, which the union ignores), on
    the 1 mm grid if GEOS fails (as :func:`robust_overlay`).

    >>> from shapely import box
    >>> u, several = unions_by_row(np.array([box(0, 0, 1, 1), box(5, 5, 6, 6), box(1, 0, 2, 1)]),
    ...                            np.array([0, 1, 0]), 3)
    >>> [None if g is None else g.area for g in u], several.tolist()
    ([2.0, 1.0, None], [True, False, False])
    """
    out = np.full(n_rows, None, dtype=object)
    counts = np.bincount(row_of, minlength=n_rows)
    table = row_table(values, row_of, counts)
    single = counts == 1
    out[single] = table[single, 0]
    several = counts > 1
    if several.any():
        rows = table[several]
        out[several] = _overlay_each(_union_rows, rows, rows)
    return out, several


def row_table(values: np.ndarray, row_of: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The ``values`` in a table of ``len(counts)`` rows padded with ``None``, in order per row.

    ``counts`` is how many values each row has (``np.bincount(row_of)``); ``None`` is what
    shapely's unions along a row ignore.

    >>> row_table(np.array(["a", "b", "c"], dtype=object), np.array([1, 0, 1]), np.array([1, 2]))
    array([['b', None],
           ['a', 'c']], dtype=object)
    """
    order = np.argsort(row_of, kind="stable")
    row = np.asarray(row_of)[order]
    rank = np.arange(len(row)) - (np.cumsum(counts) - counts)[row]
    table = np.full((len(counts), max(1, int(counts.max(initial=0)))), None, dtype=object)
    table[row, rank] = np.asarray(values, dtype=object)[order]
    return table


def clip_polygons(
    geom: BaseGeometry, area: BaseGeometry, *, pieces: np.ndarray | None = None
) -> BaseGeometry:
    """The polygonal part of ``geom ∩ area``, overlaid in pieces near the area's edge.

    ``geom`` is polygonal with parts that do not overlap (a dissolve).  The same point set
    as ``shapely.intersection(geom, area)`` less any lines and points: each part of ``geom``
    the (prepared) area covers is kept as it is, one it misses is dropped, and only those
    crossing its edge are intersected, each with the pieces of the area it meets
    (``pieces``, by default :func:`pieces_of`), the pieces of a part unioned again where a
    cut split them.  The overlay of a county's 8,500 green-space parts with its built-up
    area of 146,000 vertices took 0.6 s whole and 0.3 s so.  Parts may come in another
    order; an overlay GEOS fails is done on the 1 mm grid (as :func:`robust_overlay`).

    >>> from shapely import box
    >>> parks = shapely.MultiPolygon([box(1, 1, 2, 2), box(9, 0, 11, 1), box(20, 0, 21, 1)])
    >>> clip_polygons(parks, box(0, 0, 10, 10)).area
    2.0
    """
    parts = _polygons_of(np.asarray([geom], dtype=object))
    inside, _ = _sides(parts, area, _pieces(area, pieces), outside=False)
    return _valid_or(multipolygon(inside), shapely.intersection, geom, area)


def split_polygons(
    geom: BaseGeometry, area: BaseGeometry, *, pieces: np.ndarray | None = None
) -> tuple[BaseGeometry, BaseGeometry]:
    """``geom ∩ area`` and ``geom − area`` (polygonal parts), as :func:`clip_polygons`.

    A part crossing the area's edge loses the pieces of the area it meets, one after the
    other.

    >>> from shapely import box
    >>> homes = shapely.MultiPolygon([box(1, 1, 2, 2), box(9, 0, 11, 1), box(20, 0, 21, 1)])
    >>> [g.area for g in split_polygons(homes, box(0, 0, 10, 10))]
    [2.0, 2.0]
    """
    parts = _polygons_of(np.asarray([geom], dtype=object))
    inside, outside = _sides(parts, area, _pieces(area, pieces), outside=True)
    return (
        _valid_or(multipolygon(inside), shapely.intersection, geom, area),
        _valid_or(multipolygon(outside), shapely.difference, geom, area),
    )


def _valid_or(got: BaseGeometry, op: Any, geom: BaseGeometry, area: BaseGeometry) -> BaseGeometry:
    """``got`` when valid, else the polygonal part of ``op(geom, area)`` overlaid whole.

    Parts of ``geom`` touching at a point, clipped each on its own, can come to overlap by
    1e-15 m where the cut moves their meeting point: a multipolygon GEOS calls invalid
    (self-intersection; 0.5 % of random sets of turned boxes).  The whole overlay, as before
    the clipping in pieces, is then the answer.
    """
    if shapely.is_valid(got):
        return got
    return _polygonal(robust_overlay(op, geom, area))


def _pieces(area: BaseGeometry, pieces: np.ndarray | None) -> np.ndarray:
    """The given pieces of ``area`` (prepared), or :func:`pieces_of` it."""
    if pieces is None:
        return pieces_of(area)
    shapely.prepare(pieces)
    return pieces


def _sides(
    parts: np.ndarray, area: BaseGeometry, pieces: np.ndarray, *, outside: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Polygons of ``parts ∩ area`` and (when ``outside``) of ``parts − area``."""
    covered, meets = _located(parts, area, pieces)
    edge = parts[meets & ~covered]
    whole_in, whole_out = parts[covered], parts[~meets]
    if len(edge) == 0:
        return whole_in, whole_out
    part_of, piece_of = shapely.STRtree(pieces).query(edge, predicate="intersects")
    order = np.argsort(part_of, kind="stable")
    part_of, piece_of = part_of[order], piece_of[order]
    counts = np.bincount(part_of, minlength=len(edge))
    rank = np.arange(len(part_of)) - np.searchsorted(part_of, np.arange(len(edge)))[part_of]
    # every (part, piece) pair at once; a part's cuts joined again in one union per part
    cuts = _overlay_each(shapely.intersection, edge[part_of], pieces[piece_of])
    joined, _ = unions_by_row(cuts, part_of, len(edge))
    inside = np.concatenate([whole_in, _polygons_of(joined[~shapely.is_missing(joined)])])
    if not outside:
        return inside, whole_out
    rest = edge.copy()
    for r in range(int(counts.max(initial=0))):  # the r-th piece each part meets
        at = rank == r
        rest[part_of[at]] = _overlay_each(
            shapely.difference, rest[part_of[at]], pieces[piece_of[at]]
        )
    return inside, np.concatenate([whole_out, _polygons_of(rest)])


def _located(
    parts: np.ndarray, area: BaseGeometry, pieces: np.ndarray
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which parts the area covers and which it meets (``covers``, ``intersects``).

    Tested against the pieces first: a part a piece covers is covered, one whose box meets
    no piece is not met; the (prepared) area itself answers for the others.
    """
    part_of, piece_of = shapely.STRtree(pieces).query(parts)
    covered = np.zeros(len(parts), dtype=bool)
    covered[part_of[shapely.covers(pieces[piece_of], parts[part_of])]] = True
    meets = covered.copy()
    meets[part_of] = True
    maybe = np.flatnonzero(meets & ~covered)
    shapely.prepare(area)
    covered[maybe] = shapely.covers(area, parts[maybe])
    maybe = maybe[~covered[maybe]]
    meets[maybe] = shapely.intersects(area, parts[maybe])
    return covered, meets


def _overlay_each(op: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``op(a, b)``, on the 1 mm grid if GEOS fails (as :func:`robust_overlay`)."""
    try:
        out = op(a, b)
    except shapely.errors.GEOSException:
        out = op(a, b, grid_size=SNAP_GRID_M)
    return np.asarray(out, dtype=object)


def _union_rows(table: np.ndarray, _: np.ndarray, grid_size: float | None = None) -> np.ndarray:
    """The union of each row of ``table`` (for :func:`_overlay_each`; ``None`` ignored)."""
    return np.asarray(shapely.union_all(table, grid_size=grid_size, axis=1), dtype=object)


def _polygons_of(geoms: np.ndarray) -> np.ndarray:
    """The non-empty polygons of the geometries' polygonal parts (lines and points dropped)."""
    if len(geoms) == 0:
        return np.zeros(0, dtype=object)
    parts = np.asarray(shapely.get_parts(_polygonal_each(geoms)), dtype=object)
    return parts[~shapely.is_empty(parts)]


def _polygonal_each(geoms: np.ndarray) -> np.ndarray:
    """:func:`_polygonal` of each geometry (polygons and multipolygons are kept as they are).

    >>> [g.wkt for g in _polygonal_each(np.array([shapely.box(0, 0, 1, 1), shapely.Point(0, 0)]))]
    ['POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))', 'POLYGON EMPTY']
    """
    geoms = np.array(geoms, dtype=object)  # a copy
    kind = shapely.get_type_id(geoms)
    plain = (kind == shapely.GeometryType.POLYGON) | (kind == shapely.GeometryType.MULTIPOLYGON)
    geoms[~plain] = [_polygonal(g) for g in geoms[~plain]]
    return geoms


def multipolygon(parts: Sequence[BaseGeometry] | np.ndarray) -> BaseGeometry:
    """The non-empty polygons as one MultiPolygon (an empty polygon for none).

    >>> multipolygon([shapely.box(0, 0, 1, 1), shapely.Polygon()]).area
    1.0
    """
    geoms = np.asarray(list(parts), dtype=object)
    if len(geoms):
        geoms = geoms[~shapely.is_missing(geoms)]
        geoms = geoms[~shapely.is_empty(geoms)]
        geoms = geoms[shapely.area(geoms) > 0]
    if not len(geoms):
        return shapely.Polygon()
    return cast(BaseGeometry, shapely.multipolygons(geoms))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a geometry (make_valid may return collections)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if isinstance(geom, shapely.GeometryCollection):
        parts = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(parts) if parts else shapely.Polygon()
    return shapely.Polygon()


def polygon_parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """Polygons of a (multi)polygon or collection, empty parts dropped."""
    parts = _polygons_of(np.asarray([geom], dtype=object))
    return list(parts[shapely.area(parts) > 0])


def parts_layer(geom: BaseGeometry, crs: Any, **columns: Any) -> gpd.GeoDataFrame:
    """A layer with one row per polygon part of ``geom`` and its ``area_m2``."""
    parts = polygon_parts(geom)
    if not parts:
        layer = empty_layer(crs)
        layer["area_m2"] = np.zeros(0)
        return layer
    areas = shapely.area(np.asarray(parts, dtype=object)).tolist()
    data: dict[str, Any] = {"area_m2": [round(a, 2) for a in areas]}
    data.update({k: [v] * len(parts) for k, v in columns.items()})
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(parts, crs=crs), crs=crs)


@lru_cache(maxsize=32)
def _to_lonlat(crs_wkt: str) -> Transformer:
    """Transformer from a CRS (as WKT) to EPSG:4326 lon/lat (building one takes ~0.1 s)."""
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), CRS.from_epsg(4326), always_xy=True)


def lonlat(x_m: Any, y_m: Any, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (EPSG:4326) of metric coordinates."""
    to_geo = _to_lonlat(CRS.from_user_input(crs).to_wkt())
    lon, lat = to_geo.transform(np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def has_sample(gdf: gpd.GeoDataFrame | None) -> bool:
    """Whether any feature is flagged ``sample = true`` (made up for a demonstration)."""
    if gdf is None or "sample" not in gdf.columns or len(gdf) == 0:
        return False
    flags = gdf["sample"].astype("string").str.lower().isin(["true", "1", "yes"])
    return bool(flags.any())


def make_result(
    indicator_id: str,
    value: float | None,
    *,
    unit: str,
    target: float,
    settings: IndicatorSettings,
    layer: gpd.GeoDataFrame,
    layer_name: str,
    parameters: dict[str, Any],
    provenance: dict[str, str],
    details: dict[str, Any] | None = None,
    status: Status = "ok",
    reason: str = "",
    target_year: int | None = None,
) -> IndicatorResult:
    """Build an :class:`IndicatorResult`; ``value=None`` needs a non-ok status and a reason.

    ``target_year`` is the year of the target when it is not the settings' (a target the seed
    gives for one year only, e.g. the 2020 parking target).
    """
    name_zh, name_en = NAMES[indicator_id]
    if value is None and status == "ok":
        msg = f"{indicator_id}: a missing value needs status no_data/not_computable"
        raise ValueError(msg)
    passed = None if value is None else judged(value, target)
    return IndicatorResult(
        id=indicator_id,
        name_zh=name_zh,
        name_en=name_en,
        value=None if value is None else float(value),
        unit=unit,
        target=float(target),
        target_year=settings.target_year() if target_year is None else target_year,
        passed=passed,
        status=status,
        layer=layer,
        layer_name=layer_name,
        reason=reason,
        parameters=parameters,
        provenance=dict(provenance),
        details=details or {},
    )


def missing_result(
    indicator_id: str,
    status: Status,
    reason: str,
    *,
    unit: str,
    target: float,
    settings: IndicatorSettings,
    crs: Any,
    layer_name: str,
    parameters: dict[str, Any],
    provenance: dict[str, str],
    details: dict[str, Any] | None = None,
    target_year: int | None = None,
) -> IndicatorResult:
    """A result without a value: ``no_data`` (input absent) or ``not_computable`` (see reason)."""
    return make_result(
        indicator_id,
        None,
        unit=unit,
        target=target,
        settings=settings,
        layer=empty_layer(crs),
        layer_name=layer_name,
        parameters=parameters,
        provenance=provenance,
        details=details,
        status=status,
        reason=reason,
        target_year=target_year,
    )


SNAP_GRID_M = 0.001
"""Precision of the fallback overlay (1 mm in the metric CRS)."""


def robust_overlay(op: Any, a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    """``op(a, b)`` (``shapely.intersection`` or ``shapely.difference``), exact when GEOS can.

    GEOS's floating-point overlay can still fail on nearly coincident edges ("Unable to
    determine overlay result geometry dimension"); the same overlay is then done with snap
    rounding on a 1 mm grid (:data:`SNAP_GRID_M`), which always succeeds and moves no vertex
    by more than half a millimetre.

    >>> from shapely.geometry import box
    >>> robust_overlay(shapely.intersection, box(0, 0, 2, 2), box(1, 1, 3, 3)).area
    1.0
    """
    try:
        out: BaseGeometry = op(a, b)
    except shapely.errors.GEOSException:
        out = op(a, b, grid_size=SNAP_GRID_M)
    return out
