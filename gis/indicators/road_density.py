"""Road-network density (道路网密度, km/km²) inside the built-up area, with dead-end roads.

.. math::

    \\rho = \\frac{\\sum_{w} \\left( L_w - \\tfrac12 P_w \\right)}{A_{built-up}}

where :math:`L_w` is the length of urban road way :math:`w` clipped to the
built-up area and :math:`P_w` the part of it that is one side of a dual
carriageway (it runs within ``dual_carriageway_gap_m`` of an opposite one-way
way of the same road: same name, or the same class when both are unnamed).
The two sides of a dual carriageway thus add up to one centre line.  Every road
segment counts once whatever the graph's direction: the ways are cut into 2-point
segments, each keyed by its two ends (sorted, rounded to 1 cm), and a segment already
counted (earlier in the same way, as in a way drawn out and back, or in an earlier
way, as in two ways sharing a stretch or a two-way street drawn as two reversed ways)
adds nothing; :math:`L_w` and :math:`P_w` are measured on way :math:`w`'s own
segments only.

Urban roads are the GB/T 51328-2018 classes (``road_class`` other than
``"other"``).  The gap layer holds the dead-end roads (断头路): urban roads with
a degree-1 end of the driving network inside the built-up area and farther than
``dead_end_edge_buffer_m`` from its edge.  The details list the largest street
blocks (the sparsest parts of the network): the faces of the clipped urban roads and
the area's edge, noded with arrays (:mod:`gis.indicators._noding`), a road cut at the
edge joined to it there.  A stretch of road lying along the edge (within 1 µm) is
inside the area, as a road exactly on it is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.coords import distinct_points
from gis.indicators._common import (
    clip_lines,
    dissolve,
    located_along,
    lonlat,
    make_result,
    missing_result,
    reason,
    require_all_metric,
    separate_copy,
)
from gis.indicators._faces import segment_faces
from gis.indicators._noding import noded_segments
from gis.indicators._state import (
    GeometryContent,
    KnownBases,
    digest_of,
    geometries,
    is_disabled,
    register,
)
from gis.indicators._threads import both, one_at_a_time
from gis.result import IndicatorResult, empty_layer
from gis.settings import ROAD_CLASS_NAMES, URBAN_ROAD_CLASSES, IndicatorSettings

INDICATOR_ID = "road_density"
UNIT = "km/km²"
LAYER_NAME = "gap_road_dead_ends"
# Ways a car cannot use: they do not make a road end "connected" for the dead-end test.
NON_DRIVING_HIGHWAYS = frozenset(
    {"footway", "path", "steps", "cycleway", "pedestrian", "bridleway", "corridor", "elevator"}
)
OPPOSITE_COS = -0.7  # tangents within ~45 degrees of opposite count as a dual carriageway
SAME_WAY_DEG = 89.0
"""Two ways whose segments all run within this angle of each other are no dual carriageway
(below 90°, where the proof of :func:`_may_run_back` holds, by a margin for rounding)."""
CLASS_ORDER = ("expressway", "arterial", "secondary", "branch")


@one_at_a_time
def compute_road_density(
    roads: gpd.GeoDataFrame,
    built_up: gpd.GeoDataFrame,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
) -> IndicatorResult:
    """Urban road centre-line km per km² of built-up area.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        LineStrings with ``road_class`` (or ``highway``), ``oneway``, ``name``,
        ``osm_id``; one-way geometry follows the traffic.  Metric CRS.
    built_up : geopandas.GeoDataFrame
        The built-up area (any number of polygons, dissolved).  Same CRS.
    settings : IndicatorSettings
        ``dual_carriageway_gap_m``, ``dead_end_edge_buffer_m``, the year's target.
    provenance : dict
        Where each input came from (``{"roads": "osm", ...}``).

    Returns
    -------
    IndicatorResult
        ``value`` in km/km²; details hold the by-class breakdown, the paired
        dual-carriageway length and the largest blocks.

    Examples
    --------
    A 1 km square crossed by two 1 km roads has density 2 km/km²:

    >>> from shapely.geometry import LineString, box
    >>> from gis.settings import IndicatorSettings
    >>> sq = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=4547)
    >>> rd = gpd.GeoDataFrame({"road_class": ["branch", "arterial"], "oneway": [False, False],
    ...     "name": ["a", "b"], "osm_id": [1, 2]},
    ...     geometry=[LineString([(0, 500), (1000, 500)]), LineString([(500, 0), (500, 1000)])],
    ...     crs=4547)
    >>> compute_road_density(rd, sq, settings=IndicatorSettings(), provenance={}).value
    2.0
    """
    crs = require_all_metric({"roads": roads, "built_up": built_up})
    target = settings.targets.road_density_km_per_km2
    params = {
        "dual_carriageway_gap_m": settings.dual_carriageway_gap_m,
        "dead_end_edge_buffer_m": settings.dead_end_edge_buffer_m,
        "urban_road_classes": list(CLASS_ORDER),
    }
    area = separate_copy(dissolve(built_up))  # its own: it runs beside the other indicators
    if area.area <= 0:
        return missing_result(
            INDICATOR_ID,
            "not_computable",
            reason("built_up_empty"),
            unit=UNIT,
            target=target,
            settings=settings,
            crs=crs,
            layer_name=LAYER_NAME,
            parameters=params,
            provenance=provenance,
        )
    state = road_state(roads, built_up, area, settings)
    area_km2 = area.area / 1e6
    lengths_m = state.lengths_m
    total_km = float(lengths_m.sum()) / 1000.0
    dead_ends = _dead_layer(state, roads.crs)
    details: dict[str, Any] = {
        "built_up_area_km2": round(area_km2, 6),
        "centre_line_km": round(total_km, 6),
        "by_class": _by_class(state.classes, lengths_m, area_km2),
        "dual_carriageway_paired_km": round(float(state.paired_m.sum()) / 1000.0, 6),
        "repeated_segments_km": round(state.repeated_m / 1000.0, 6),
        "dead_end_count": int(dead_ends["dead_ends"].sum()) if len(dead_ends) else 0,
        "sparsest_blocks": _ranked_blocks(state, area, crs, settings.sparsest_blocks_n),
    }
    return make_result(
        INDICATOR_ID,
        total_km / area_km2,
        unit=UNIT,
        target=target,
        settings=settings,
        layer=dead_ends,
        layer_name=LAYER_NAME,
        parameters=params,
        provenance=provenance,
        details=details,
    )


def _urban_ways(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Urban-class ways with a geometry (repeats are handled segment by segment)."""
    classes = _road_classes(roads)
    ways = roads.assign(road_class=classes)
    ways = ways[(classes != "other").to_numpy() & ~ways.geometry.is_empty.to_numpy()]
    ways = ways[ways.geometry.notna().to_numpy()]
    return ways.reset_index(drop=True)


def _distinct_ways(ways: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each distinct line once (the same line drawn again, in either direction, dropped)."""
    keys = shapely.to_wkb(shapely.normalize(np.asarray(ways.geometry.values, dtype=object)))
    return ways[~pd.Series(keys).duplicated().to_numpy()].reset_index(drop=True)


def _road_classes(roads: gpd.GeoDataFrame) -> pd.Series:
    """``road_class`` when present, else mapped from ``highway``."""
    if "road_class" in roads.columns:
        classes: pd.Series = roads["road_class"].fillna("other").astype(str)
        return classes
    highway = roads["highway"] if "highway" in roads.columns else pd.Series("", index=roads.index)
    mapped: pd.Series = highway.map(lambda h: URBAN_ROAD_CLASSES.get(str(h), "other"))
    return mapped


def _names(ways: gpd.GeoDataFrame) -> np.ndarray:
    """Road names with missing values as empty strings."""
    if "name" not in ways.columns:
        return np.full(len(ways), "", dtype=object)
    names: np.ndarray = ways["name"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    return names


def _oneway(ways: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean one-way flag (missing = two-way)."""
    if "oneway" not in ways.columns:
        return np.zeros(len(ways), dtype=bool)
    text = ways["oneway"].astype("string").str.lower().fillna("false")
    flags: np.ndarray = text.isin(["true", "1", "yes"]).to_numpy()
    return flags


@dataclass(frozen=True)
class Segments:
    """The 2-point segments of a set of ways, in way order, and which of them count.

    ``a`` and ``b`` are ``(n, 2)`` end coordinates, ``way`` the index of the way
    holding each segment (sorted), ``first`` whether it is the first occurrence of
    its undirected segment (the one that counts; repeats count nothing).
    Zero-length segments are left out.
    """

    a: np.ndarray
    b: np.ndarray
    way: np.ndarray
    first: np.ndarray


def unique_segments(geoms: np.ndarray) -> Segments:
    """Cut ways into 2-point segments and mark each undirected segment's first occurrence.

    Ends are matched at 1 cm, in either order; zero-length segments are dropped.  The
    first way (in row order) holding a segment counts it; a way drawn out and back
    counts its outward segments.

    >>> from shapely.geometry import LineString
    >>> out_and_back = LineString([(0, 0), (100, 0), (0, 0)])
    >>> shared = LineString([(50, 0), (100, 0), (100, 80)])
    >>> seg = unique_segments(np.array([out_and_back, shared], dtype=object))
    >>> seg.way.tolist(), seg.first.tolist()
    ([0, 0, 1, 1], [True, False, True, True])
    >>> unique_segments(np.array([out_and_back, out_and_back.reverse()])).first.tolist()
    [True, False, False, False]
    """
    parts, part_way = shapely.get_parts(geoms, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    inner = np.flatnonzero(part[1:] == part[:-1])
    a, b = coords[inner], coords[inner + 1]
    way = np.asarray(part_way, dtype=np.int64)[part[inner]]
    ka, kb = np.round(a * 100.0).astype(np.int64), np.round(b * 100.0).astype(np.int64)
    real = (ka != kb).any(axis=1)
    a, b, way, ka, kb = a[real], b[real], way[real], ka[real], kb[real]
    swap = (ka[:, 0] > kb[:, 0]) | ((ka[:, 0] == kb[:, 0]) & (ka[:, 1] > kb[:, 1]))
    lo, hi = np.where(swap[:, None], kb, ka), np.where(swap[:, None], ka, kb)
    order = np.lexsort((hi[:, 1], hi[:, 0], lo[:, 1], lo[:, 0]))  # stable: first way first
    keys = np.column_stack([lo, hi])[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    first = np.zeros(len(order), dtype=bool)
    first[order[new]] = True
    return Segments(a, b, way, first)


def _inside_lengths(lines: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """Length (m) of each line inside ``area``: whole, none, or clipped where it crosses the edge.

    ``area`` must be prepared; only the lines crossing its edge are intersected.
    """
    length = shapely.length(lines)
    inside = np.where(shapely.covers(area, lines), length, 0.0)
    edge = np.flatnonzero((inside == 0.0) & shapely.intersects(area, lines))
    if len(edge):
        inside[edge] = shapely.length(clip_lines(lines[edge], area))
    return inside


def _segment_lines(segments: Segments, idx: np.ndarray) -> np.ndarray:
    """The given segments as 2-point LineStrings."""
    return np.asarray(shapely.linestrings(np.stack([segments.a[idx], segments.b[idx]], axis=1)))


def _counted_lengths(
    ways: gpd.GeoDataFrame,
    segments: Segments,
    clipped: np.ndarray,
    area: BaseGeometry,
    gap_m: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Counted length (m) of each way inside ``area``, its dual-carriageway part (m), repeats (m).

    A way's length is that of its counted segments (first occurrences) inside ``area``:
    a way without repeats is its clipped line (``clipped``, the ways clipped to ``area``),
    the others are clipped segment by segment.
    """
    clip_len, repeated_m = _inside_counted(len(ways), segments, clipped, area)
    paired = _paired_lengths(ways, segments, clip_len, clipped, area, gap_m)
    return clip_len - 0.5 * paired, paired, repeated_m


def _inside_counted(
    n_ways: int, segments: Segments, clipped: np.ndarray, area: BaseGeometry
) -> tuple[np.ndarray, float]:
    """Each way's counted length inside ``area`` (m) and the repeated segments' length (m).

    A way without repeats is its clipped line (``clipped``); the others are their first
    occurrences, clipped segment by segment.
    """
    shapely.prepare(area)
    has_repeat = np.zeros(n_ways, dtype=bool)
    has_repeat[segments.way[~segments.first]] = True
    lengths = np.zeros(n_ways)
    whole = np.flatnonzero(~has_repeat)
    lengths[whole] = shapely.length(clipped[whole])
    counted = np.flatnonzero(segments.first & has_repeat[segments.way])
    if len(counted):
        lengths += np.bincount(
            segments.way[counted],
            weights=_inside_lengths(_segment_lines(segments, counted), area),
            minlength=n_ways,
        )
    repeats = np.flatnonzero(~segments.first)
    repeated_m = 0.0
    if len(repeats):
        repeated_m = float(_inside_lengths(_segment_lines(segments, repeats), area).sum())
    return lengths, repeated_m


def _paired_lengths(
    ways: gpd.GeoDataFrame,
    segments: Segments,
    clip_len: np.ndarray,
    clipped_ways: np.ndarray,
    area: BaseGeometry,
    gap_m: float,
) -> np.ndarray:
    """Length (m) of each way's counted part that runs beside an opposite one-way way.

    Only the ways' own segments take part: a way whose segments were all counted by
    another (a two-way street drawn as two reversed one-way ways) is no partner.  A way
    whose own segments merge back into its very geometry (the usual case) reuses its
    clipped line (``clipped_ways``) instead of being clipped again.  All
    candidate pairs go through shapely's array functions at once (band intersections,
    tangents, projections); only the interval merging per way is a Python loop.
    """
    paired = np.zeros(len(ways))
    oneway = _oneway(ways)
    idx = np.flatnonzero(oneway & (clip_len > 0))
    if len(idx) < 2:
        return paired
    geoms = np.asarray(ways.geometry.values, dtype=object)
    names, classes = _names(ways), ways["road_class"].to_numpy(dtype=object)
    pi, pj = _near_same_road(geoms, idx, names, classes, gap_m)
    keep = _may_run_back(segments, pi, pj)
    pi, pj = pi[keep], pj[keep]
    if len(pi) == 0:
        return paired
    involved = np.union1d(pi, pj)
    own = _own_lines(segments, involved, geoms)  # each involved way's counted segments, merged
    ri = np.searchsorted(involved, pi).astype(np.int64)  # positions in the sorted ``involved``
    rj = np.searchsorted(involved, pj).astype(np.int64)
    firsts = np.unique(ri)
    clipped = np.empty(len(involved), dtype=object)
    same = shapely.equals_exact(own[firsts], geoms[involved[firsts]], tolerance=0.0)
    clipped[firsts[same]] = clipped_ways[involved[firsts[same]]]
    clipped[firsts[~same]] = clip_lines(own[firsts[~same]], area)
    live = ~shapely.is_empty(own[rj])
    ri, rj = ri[live], rj[live]
    bands = np.empty(len(involved), dtype=object)
    used = np.unique(rj)
    bands[used] = shapely.buffer(own[used], gap_m, quad_segs=16, cap_style="flat")
    parts, pair = _opposite_parts(clipped[ri], own[rj], bands[rj])
    if len(parts) == 0:
        return paired
    order = np.argsort(ri[pair], kind="stable")  # each way's pieces together, in pair order
    way_of = ri[pair][order]
    starts = np.flatnonzero(np.r_[True, way_of[1:] != way_of[:-1]])
    covered = _covered_lengths(own[way_of], parts[order], starts)
    paired[involved[way_of[starts]]] = covered
    return paired


def _near_same_road(
    geoms: np.ndarray, idx: np.ndarray, names: np.ndarray, classes: np.ndarray, gap_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of the ways ``idx`` within ``gap_m`` of each other that are the same road.

    Every ordered pair within the gap that :func:`_same_road_pairs` keeps, grouped by the
    first way; the costly distance is only worked out for pairs of the same road whose boxes
    come within the gap (a quarter of the candidates in a city).  (An STRtree ``dwithin``
    query of every one-way way took 1.6 s at 2,000 km², and missed two lines sharing an end
    when one was 1e-113 m long.)
    """
    lines = geoms[idx]
    x0, y0, x1, y1 = shapely.bounds(lines).T
    boxes = shapely.box(x0 - gap_m, y0 - gap_m, x1 + gap_m, y1 + gap_m)
    left, right = shapely.STRtree(lines).query(boxes)
    pi, pj = idx[left], idx[right]
    keep = (pi != pj) & _same_road_pairs(names[pi], names[pj], classes[pi], classes[pj])
    pi, pj = pi[keep], pj[keep]
    near = shapely.dwithin(geoms[pi], geoms[pj], gap_m)
    return pi[near], pj[near]


def _may_run_back(segments: Segments, pi: np.ndarray, pj: np.ndarray) -> npt.NDArray[np.bool_]:
    """Per pair of ways, whether a part of one may run back beside the other.

    False for a pair each segment of which runs within :data:`SAME_WAY_DEG` of each segment
    of the other (their segments in ``segments``, counted or not: the counted and clipped
    parts paired are pieces of those).  A tangent of either (see :func:`_tangents`) is then a
    sum of its segments' directions with positive weights, so the two tangents' dot product
    is positive, never :data:`OPPOSITE_COS` or less.  (Only a piece a rounding error long,
    between a cut point and a vertex a rounding error away, has a direction of its own.)
    Each way's directions are held in an arc about their mean (:func:`_direction_arcs`); a
    pair whose arcs' farthest directions are less than that angle apart is left out.  At
    2,000 km² that is a third of the 98,030 pairs (none of which paired anything), most of
    them a one-way road's consecutive ways.
    """
    keep = np.ones(len(pi), dtype=bool)
    if len(pi) == 0:
        return keep
    n_ways = int(max(pi.max(), pj.max())) + 1
    mean, half = _direction_arcs(segments.b - segments.a, segments.way, n_ways)
    cos = np.clip((mean[pi] * mean[pj]).sum(axis=1), -1.0, 1.0)
    spread = np.arccos(cos) + half[pi] + half[pj]
    keep[spread < np.radians(SAME_WAY_DEG)] = False
    return keep


def _direction_arcs(steps: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per owner ``0..n-1``, its steps' mean direction (unit) and their largest angle from it.

    ``steps`` are ``(m, 2)`` segment vectors, ``owner`` the owner of each (those of owners
    ``n`` and above are ignored); angles in radians.  Zero-length steps
    have no direction and are left out; an owner without direction, or whose directions
    cancel out, gets an arc of π (any direction).

    >>> mean, half = _direction_arcs(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([0, 0]), 2)
    >>> np.round(np.degrees(half), 1).tolist()
    [22.5, 180.0]
    """
    norm = np.hypot(steps[:, 0], steps[:, 1])
    real = (norm > 0) & (owner < n)
    unit = steps[real] / norm[real][:, None]
    owner = owner[real]
    total = np.column_stack([np.bincount(owner, unit[:, k], minlength=n) for k in (0, 1)])
    size = np.hypot(total[:, 0], total[:, 1])
    mean = np.where((size > 0)[:, None], total / np.where(size > 0, size, 1.0)[:, None], 0.0)
    least = np.ones(n)
    np.minimum.at(least, owner, (unit * mean[owner]).sum(axis=1))
    half = np.arccos(np.clip(least, -1.0, 1.0))  # 90° or more where the directions cancel
    half[np.bincount(owner, minlength=n) == 0] = np.pi
    return mean, half


def _own_lines(segments: Segments, ways: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Each given way's counted segments merged (in drawing order) into lines where they join.

    A way none of whose segments counts (all counted by an earlier way) is an empty line.
    A simple open LineString (``geoms``, all ways' geometries) all of whose segments count
    and none of which was dropped as shorter than 1 cm is its own line as it is: merging its
    segments gives back its very coordinates (so for 43,470 of the 43,631 urban ways at
    2,000 km²), and only the others are cut and merged.
    """
    out = np.empty(len(ways), dtype=object)
    out[:] = [shapely.MultiLineString()] * len(ways)
    n_segments = np.bincount(segments.way, minlength=len(geoms))[ways]
    n_counted = np.bincount(segments.way[segments.first], minlength=len(geoms))[ways]
    own = geoms[ways]
    whole = (
        (shapely.get_type_id(own) == shapely.GeometryType.LINESTRING)
        & (n_segments == shapely.get_num_coordinates(own) - 1)
        & (n_counted == n_segments)
    )
    at = np.flatnonzero(whole)
    whole[at] = ~shapely.is_closed(own[at]) & shapely.is_simple(own[at])
    out[whole] = own[whole]
    rest = np.asarray(ways)[~whole]
    sel = np.flatnonzero(segments.first & np.isin(segments.way, rest))
    if len(sel) == 0:
        return out
    # ways with counted segments, numbered from 0 (shapely wants every index up to the last)
    present, which = np.unique(np.searchsorted(ways, segments.way[sel]), return_inverse=True)
    multi = shapely.multilinestrings(_segment_lines(segments, sel), indices=which.ravel())
    out[present] = shapely.line_merge(np.asarray(multi), directed=True)
    return out


def _same_road_pairs(
    name_a: np.ndarray, name_b: np.ndarray, class_a: np.ndarray, class_b: np.ndarray
) -> np.ndarray:
    """Per pair: same name, or both unnamed and of the same class."""
    named = (name_a != "") | (name_b != "")
    same: np.ndarray = np.where(named, name_a == name_b, class_a == class_b).astype(bool)
    return same


def _opposite_parts(
    clipped_a: np.ndarray, b: np.ndarray, band: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, the pieces of ``clipped_a`` in ``b``'s band where ``b`` runs back.

    ``band`` is ``b`` buffered by the gap with flat ends.  ``clipped_a`` holds each of way
    a's counted segments once, in drawing order, so a piece's own direction is a's
    direction there (the way's full geometry would be ambiguous where it is drawn out and
    back over itself).  Returns the pieces and the pair each belongs to, in pair order.
    """
    near = shapely.intersection(clipped_a, band)
    multi = shapely.get_type_id(near) == shapely.GeometryType.MULTILINESTRING
    near[multi] = shapely.line_merge(near[multi], directed=True)
    parts, pair = shapely.get_parts(near, return_index=True)
    ok = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & (
        shapely.length(parts) > 0
    )
    parts, pair = parts[ok], pair[ok]
    mid = shapely.line_interpolate_point(parts, 0.5, normalized=True)
    ta = _tangents(parts, mid)
    tb = _tangents(_nearest_lines(b[pair], mid), mid)
    back = ta[:, 0] * tb[:, 0] + ta[:, 1] * tb[:, 1] <= OPPOSITE_COS
    return parts[back], pair[back]


def _nearest_lines(lines: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Each line itself, or for a MultiLineString its first part nearest the point."""
    out = lines.copy()
    multi = np.flatnonzero(shapely.get_type_id(lines) == shapely.GeometryType.MULTILINESTRING)
    if len(multi) == 0:
        return out
    comps, row = shapely.get_parts(lines[multi], return_index=True)
    dist = shapely.distance(comps, points[multi][row])
    order = np.lexsort((np.arange(len(comps)), dist, row))  # least distance, first part
    first = order[np.r_[True, row[order][1:] != row[order][:-1]]]
    out[multi[row[first]]] = comps[first]
    return out


def _tangents(lines: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Unit direction (n, 2) of each LineString (in drawing order) at its point nearest the point.

    Measured over up to 5 m either side; a degenerate line gives a zero vector.
    """
    length = shapely.length(lines)
    s = located_along(lines, points)
    step = np.minimum(5.0, np.maximum(length / 2.0, 1e-6))
    p0 = shapely.line_interpolate_point(lines, np.maximum(s - step, 0.0))
    p1 = shapely.line_interpolate_point(lines, np.minimum(s + step, length))
    vec = np.column_stack(
        [shapely.get_x(p1) - shapely.get_x(p0), shapely.get_y(p1) - shapely.get_y(p0)]
    )
    norm = np.hypot(vec[:, 0], vec[:, 1])
    safe = np.where(norm > 0, norm, 1.0)
    return np.where((norm > 0)[:, None], vec / safe[:, None], vec)


def _covered_lengths(lines: np.ndarray, parts: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group of parts, the length of its line covered by the union of the parts.

    ``lines[i]`` is the line part ``i`` was cut from; groups are the runs of rows beginning
    at ``starts`` (one line each).  Pieces cut from the same line by different partners
    overlap but rarely share exact coordinates, so they are merged as intervals along the
    line (each piece's ends located on it, all pieces at once); a line that is not one
    LineString (its segments did not merge into one) takes the length of the union.

    >>> line = shapely.LineString([(0, 0), (100, 0)])
    >>> parts = shapely.linestrings([[(0, 0), (30, 0)], [(20, 0), (50, 0)], [(70, 0), (60, 0)]])
    >>> _covered_lengths(np.array([line] * 3), parts, np.array([0])).tolist()
    [60.0]
    """
    out = np.zeros(len(starts))
    if len(starts) == 0:
        return out
    stops = np.r_[starts[1:], len(parts)]
    simple = shapely.get_type_id(lines[starts]) == shapely.GeometryType.LINESTRING
    for g in np.flatnonzero(~simple).tolist():
        out[g] = float(shapely.union_all(parts[starts[g] : stops[g]]).length)
    rows = np.flatnonzero(np.repeat(simple, stops - starts))
    if len(rows) == 0:
        return out
    ends = np.column_stack(
        [
            located_along(lines[rows], shapely.get_point(parts[rows], 0)),
            located_along(lines[rows], shapely.get_point(parts[rows], -1)),
        ]
    )
    ends.sort(axis=1)
    group = np.repeat(np.arange(len(starts)), stops - starts)[rows]
    order = np.lexsort((ends[:, 0], group))
    for g, length in _union_lengths(group[order], ends[order]):
        out[g] = length
    return out


def _union_lengths(group: np.ndarray, ends: np.ndarray) -> list[tuple[int, float]]:
    """The length of the union of each group's intervals, as ``(group, length)``.

    ``ends`` are ``(start, stop)`` rows sorted by group, then start.

    >>> _union_lengths(np.array([0, 0, 0, 1]),
    ...                np.array([[0.0, 2.0], [1.0, 3.0], [5.0, 6.0], [0.0, 1.0]]))
    [(0, 4.0), (1, 1.0)]
    """
    out: list[tuple[int, float]] = []
    rows = zip(group.tolist(), ends[:, 0].tolist(), ends[:, 1].tolist(), strict=True)
    g_prev, total, start, stop = -1, 0.0, 0.0, 0.0
    for g, s0, s1 in rows:
        if g != g_prev:
            if g_prev >= 0:
                out.append((g_prev, total + stop - start))
            g_prev, total, start, stop = g, 0.0, s0, s1
        elif s0 > stop:
            total += stop - start
            start, stop = s0, s1
        else:
            stop = max(stop, s1)
    if g_prev >= 0:
        out.append((g_prev, total + stop - start))
    return out


def _by_class(classes: np.ndarray, lengths_m: np.ndarray, area_km2: float) -> dict[str, Any]:
    """Counted length and density per GB/T 51328 class."""
    out: dict[str, Any] = {}
    for cls in CLASS_ORDER:
        km = float(lengths_m[classes == cls].sum()) / 1000.0
        zh, en = ROAD_CLASS_NAMES[cls]
        out[cls] = {
            "name_zh": zh,
            "name_en": en,
            "length_km": round(km, 6),
            "density_km_per_km2": round(km / area_km2, 6),
        }
    return out


def within_inner(area: BaseGeometry, pts: np.ndarray, edge_m: float) -> np.ndarray:
    """Which points lie inside ``area`` and farther than ``edge_m`` from its edge.

    The exact rule of docs/indicators.md, one distance test per point against the prepared
    edge (holes' rings included).  ``area.buffer(-edge_m)`` only approximates it: GEOS draws
    the buffer's arcs as chords and simplifies the area by 1 % of the distance first, so a
    point within about 1 % of ``edge_m`` of the inner edge can fall on either side (0.1 %
    measured: ``tests/gis/indicators/test_within_inner.py``).  Buffering a 2,000 km²
    built-up area (146,000 vertices) whole took 10 s CPU, buffering the area near the few
    points in that band 0.5-1.2 s; this takes 0.1 s.  A negative ``edge_m`` (the area
    grown) is the buffer itself.

    >>> from shapely import box, points
    >>> pts = np.asarray(points([(500, 500), (50, 500), (101, 500), (99, 500), (-5, 0)]))
    >>> within_inner(box(0, 0, 1000, 1000), pts, 100.0).tolist()
    [True, False, True, False, False]
    """
    if len(pts) == 0:
        return np.zeros(0, dtype=bool)
    if edge_m < 0:
        grown = area.buffer(-edge_m)
        shapely.prepare(grown)
        return np.asarray(shapely.contains(grown, pts), dtype=bool)
    shapely.prepare(area)
    edge = area.boundary
    shapely.prepare(edge)
    inside = np.asarray(shapely.contains(area, pts), dtype=bool)
    out: np.ndarray = inside & ~np.asarray(shapely.dwithin(edge, pts, edge_m), dtype=bool)
    return out


def _empty_dead_ends(crs: Any) -> gpd.GeoDataFrame:
    """The dead-end layer with its columns and no rows."""
    layer = empty_layer(crs)
    for col, dtype in (
        ("osm_id", "int64"),
        ("name", "object"),
        ("highway", "object"),
        ("road_class", "object"),
        ("length_m", "float64"),
        ("dead_ends", "int64"),
    ):
        layer[col] = pd.Series([], dtype=dtype)
    return layer


def _driving_lines(roads: gpd.GeoDataFrame) -> np.ndarray:
    """Geometries of the ways a car can use."""
    if "highway" in roads.columns:
        roads = roads[~roads["highway"].astype(str).isin(NON_DRIVING_HIGHWAYS).to_numpy()]
    geoms = np.asarray(roads.geometry.values, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms)]
    return np.asarray(shapely.get_parts(geoms), dtype=object)


def _dead_end_points(lines: np.ndarray) -> np.ndarray:
    """Coordinates of way ends that no other way touches: degree-1 nodes of the network.

    A vertex inside a way has degree 2, a way end 1; a shared coordinate sums them
    (matched at 1 cm).  An end lying on another way counts as connected too.
    """
    if len(lines) == 0:
        return np.zeros((0, 2))
    coords, which = shapely.get_coordinates(lines, return_index=True)
    is_end = np.zeros(len(coords), dtype=bool)
    starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
    stops = np.r_[starts[1:] - 1, len(coords) - 1]
    is_end[starts] = True
    is_end[stops] = True
    inverse = distinct_points(np.round(coords * 100))[1]
    degree = np.bincount(inverse, weights=np.where(is_end, 1, 2))
    dead = np.flatnonzero(is_end & (degree[inverse] == 1))
    # An end lying on another way without a shared vertex (a T in uploaded data) is connected.
    ends = shapely.points(coords[dead])
    end_idx, line_idx = shapely.STRtree(lines).query(ends, predicate="dwithin", distance=0.01)
    touching_other = np.zeros(len(dead), dtype=bool)
    touching_other[end_idx[line_idx != which[dead][end_idx]]] = True
    return coords[dead[~touching_other]]


def _first_inside(area: BaseGeometry, blocks: np.ndarray, areas: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` blocks of :func:`block_ranking` whose point on surface lies in ``area``.

    Ranked and tested in growing batches, not all blocks (89,000 at 2,000 km²), since only
    the largest few are reported (holes of the built-up area enclosed by roads are not
    blocks of it).
    """
    found: list[np.ndarray] = []
    count, start, batch = 0, 0, max(4 * n, 16)
    while count < n and start < len(blocks):
        part = block_ranking(areas, blocks, first=start + batch)[start:]
        hit = part[shapely.contains(area, shapely.point_on_surface(blocks[part]))]
        found.append(hit)
        count += len(hit)
        start, batch = start + len(part), batch * 4
    return np.concatenate(found)[:n] if found else np.zeros(0, dtype=np.int64)


# --------------------------------------------------------------------------- kept state
# What the density is made of (counted lengths, dead ends, blocks) is kept per roads, built-up
# area and settings (gis.indicators._state).  A roads layer that is a kept one with ways
# appended (a road drawn in a what-if scenario, two-way as gis.projection draws it) is
# computed from the kept state: the appended ways' own lengths, the dead ends near them and
# the blocks they cross; every other figure of the kept state stays as it is.


@dataclass(frozen=True)
class RoadState:
    """The parts of the road density of one roads layer, built-up area and settings."""

    urban: gpd.GeoDataFrame
    classes: np.ndarray
    segments: Segments
    lengths_m: np.ndarray
    paired_m: np.ndarray
    repeated_m: float
    driving: np.ndarray
    dead_xy: np.ndarray
    inner: np.ndarray
    distinct: gpd.GeoDataFrame
    counts: np.ndarray
    blocks: np.ndarray | None
    block_areas: np.ndarray | None

    @cached_property
    def segment_keys(self) -> KeyRows:
        """The undirected 1 cm keys of every segment."""
        return KeyRows(_segment_keys(self.segments.a, self.segments.b))

    @cached_property
    def distinct_wkb(self) -> set[bytes]:
        """Normalised WKB of the distinct urban ways."""
        geoms = np.asarray(self.distinct.geometry.values, dtype=object)
        return set(shapely.to_wkb(shapely.normalize(geoms)).tolist())

    @cached_property
    def driving_tree(self) -> shapely.STRtree:
        """STRtree of the driving lines."""
        return shapely.STRtree(self.driving)

    @cached_property
    def distinct_tree(self) -> shapely.STRtree:
        """STRtree of the distinct urban ways."""
        return shapely.STRtree(np.asarray(self.distinct.geometry.values, dtype=object))

    @cached_property
    def block_tree(self) -> shapely.STRtree:
        """STRtree of the blocks."""
        return shapely.STRtree(self.blocks if self.blocks is not None else np.zeros(0, object))


ROAD_COLUMNS = ("road_class", "highway", "oneway", "name", "osm_id")
"""The columns the road density reads (with the geometry): part of the kept state's key."""
_ROAD_STATES = register("road density state", 3)
_KNOWN_ROADS = KnownBases(8)
_REMEMBERED_LOCK = threading.Lock()


def _roads_content(roads: gpd.GeoDataFrame) -> list[Any]:
    """The geometries and the read columns (as text) of the roads, for digests.

    A missing value and an absent column read alike (no name, two-way, ...), except for
    ``road_class``: without the column the class comes from ``highway``, with it a missing
    class is ``other``.
    """
    out: list[Any] = [GeometryContent(geometries(roads))]  # read once, digested in slices
    for c in ROAD_COLUMNS:
        if c not in roads.columns:
            out.append(None if c == "road_class" else np.full(len(roads), "\0", dtype=object))
            continue
        column = roads[c]
        text = column.astype(str).to_numpy(dtype=object)  # Python strings, joined as they are
        out.append(np.where(column.isna().to_numpy(), "\0", text))
    return out


def _digest_rows(content: list[Any], n: int) -> bytes:
    geoms, *columns = content
    text = [None if c is None else "\x1f".join(c[:n].tolist()).encode() for c in columns]
    return digest_of("roads", None if geoms is None else geoms[:n], *text, ROAD_COLUMNS)


_REMEMBERED: dict[int, tuple[gpd.GeoDataFrame, bytes]] = {}


def remember_roads(roads: gpd.GeoDataFrame | None) -> None:
    """Remember a roads layer as the base of later, grown layers (a what-if road).

    The digest of the same frame object is reused (the stored layer, edit after edit).  That
    is safe even if the frame were changed in place since: a remembered digest is only a
    candidate, and a grown layer is matched by the digest of its own first rows.
    """
    if roads is None:
        return
    with _REMEMBERED_LOCK:
        hit = _REMEMBERED.get(id(roads))
    if hit is not None and hit[0] is roads:
        key = hit[1]
    else:
        key = _digest_rows(_roads_content(roads), len(roads))
        _remember_frame(roads, key)
    _KNOWN_ROADS.note(key, len(roads))


def _remember_frame(roads: gpd.GeoDataFrame, key: bytes) -> None:
    if is_disabled():
        return
    with _REMEMBERED_LOCK:
        _REMEMBERED.clear()  # the last frame only (holding it keeps its id unique)
        _REMEMBERED[id(roads)] = (roads, key)


def road_state(
    roads: gpd.GeoDataFrame,
    built_up: gpd.GeoDataFrame,
    area: BaseGeometry,
    settings: IndicatorSettings,
) -> RoadState:
    """The kept :class:`RoadState` of the roads (computed, or grown from a kept base)."""
    content = _roads_content(roads)
    rows_key = _digest_rows(content, len(roads))
    params = (
        float(settings.dual_carriageway_gap_m),
        float(settings.dead_end_edge_buffer_m),
        int(settings.sparsest_blocks_n),
    )
    area_key = digest_of(geometries(built_up))

    def key_of(rows: bytes) -> bytes:
        return digest_of("road state", rows, area_key, *params)

    key = key_of(rows_key)
    grown: RoadState | None = None
    if _ROAD_STATES.peek(key) is None:
        known = dict(_KNOWN_ROADS.snapshot())
        for n in sorted({n for n in known.values() if n < len(roads)}, reverse=True):
            base_rows = _digest_rows(content, n)
            if known.get(base_rows) != n:
                continue
            stored = roads.iloc[:n]

            def full_base(stored: gpd.GeoDataFrame = stored) -> RoadState:
                return _full_state(stored, area, settings)

            base = _ROAD_STATES.get(key_of(base_rows), full_base)
            grown = _grown_state(base, roads.iloc[n:], area, settings)
            break
    if grown is not None:
        kept = grown
        return _ROAD_STATES.get(key, lambda: kept)
    _KNOWN_ROADS.note(rows_key, len(roads))
    _remember_frame(roads, rows_key)  # the county's own roads: a later what-if's base
    return _ROAD_STATES.get(key, lambda: _full_state(roads, area, settings))


def _full_state(
    roads: gpd.GeoDataFrame, area: BaseGeometry, settings: IndicatorSettings
) -> RoadState:
    """Every part computed from the whole roads layer."""
    urban = _urban_ways(roads)
    geoms = np.asarray(urban.geometry.values, dtype=object)
    clipped = clip_lines(geoms, area)  # used twice
    outline = area.boundary  # the blocks' thread gets this, not the area the other one uses
    driving = _driving_lines(roads)

    def faces() -> tuple[np.ndarray | None, np.ndarray | None]:
        return _blocks(clipped, outline, settings.sparsest_blocks_n)

    def all_but_blocks() -> RoadState:
        # the segments here, not before the clip: the blocks wait only for the clipped lines
        segments = unique_segments(geoms)
        lengths_m, paired_m, repeated_m = _counted_lengths(
            urban, segments, clipped, area, settings.dual_carriageway_gap_m
        )
        dead_xy = _dead_end_points(driving)
        inner = (
            within_inner(area, np.asarray(shapely.points(dead_xy)), settings.dead_end_edge_buffer_m)
            if len(dead_xy)
            else np.zeros(0, dtype=bool)
        )
        distinct = _distinct_ways(urban)
        counts = _dead_counts(np.asarray(distinct.geometry.values, dtype=object), dead_xy[inner])
        return RoadState(
            urban=urban,
            classes=urban["road_class"].to_numpy(),
            segments=segments,
            lengths_m=lengths_m,
            paired_m=paired_m,
            repeated_m=repeated_m,
            driving=driving,
            dead_xy=dead_xy,
            inner=inner,
            distinct=distinct,
            counts=counts,
            blocks=None,  # from the other thread
            block_areas=None,
        )

    # the blocks on another core when one is free (GEOS releases the GIL), the rest here
    (blocks, areas), state = both(faces, all_but_blocks, rows=len(roads))
    return replace(state, blocks=blocks, block_areas=areas)


class KeyRows:
    """A set of integer rows (segment keys) answering membership for many rows at once.

    Rows are found by a 64-bit mix of their values (sorted once) and confirmed whole, so
    two rows mixing alike are still told apart.  A Python set of 120,000 tuples took 0.14 s
    to build on a county's first what-if road at 1,000 km².

    >>> rows = KeyRows(np.array([[1, 2, 3, 4], [5, 6, 7, 8]]))
    >>> rows.contains(np.array([[5, 6, 7, 8], [1, 2, 3, 5], [1, 2, 3, 4]])).tolist()
    [True, False, True]
    """

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)  # (n, k)
        mixed = self._mix(self.rows)
        self.order = np.argsort(mixed, kind="stable")
        self.sorted = mixed[self.order]

    @staticmethod
    def _mix(rows: np.ndarray) -> np.ndarray:
        mixed = np.zeros(len(rows), dtype=np.uint64)
        for i in range(rows.shape[1]):
            odd = np.uint64((0x9E3779B97F4A7C15 * (2 * i + 1)) % 2**64 | 1)
            mixed = (mixed ^ rows[:, i].astype(np.uint64)) * odd
            mixed ^= mixed >> np.uint64(29)
        return mixed

    def contains(self, rows: np.ndarray) -> npt.NDArray[np.bool_]:
        """Whether each row is one of the set's."""
        rows = np.asarray(rows, dtype=np.int64)
        mixed = self._mix(rows)
        lo = np.searchsorted(self.sorted, mixed, side="left")
        hi = np.searchsorted(self.sorted, mixed, side="right")
        found = np.zeros(len(rows), dtype=bool)
        for i in np.flatnonzero(hi > lo):
            found[i] = bool((self.rows[self.order[lo[i] : hi[i]]] == rows[i]).all(axis=1).any())
        return found


def _segment_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Undirected keys of segments: ends at 1 cm, lower end first (:func:`unique_segments`)."""
    ka, kb = np.round(a * 100.0).astype(np.int64), np.round(b * 100.0).astype(np.int64)
    swap = (ka[:, 0] > kb[:, 0]) | ((ka[:, 0] == kb[:, 0]) & (ka[:, 1] > kb[:, 1]))
    lo, hi = np.where(swap[:, None], kb, ka), np.where(swap[:, None], ka, kb)
    keys: np.ndarray = np.column_stack([lo, hi])
    return keys


def _grown_state(
    base: RoadState, added: gpd.GeoDataFrame, area: BaseGeometry, settings: IndicatorSettings
) -> RoadState | None:
    """The state of the base's roads with ``added`` appended, or ``None`` when not local.

    Appended urban ways must be two-way (they then pair with nothing, and every kept way's
    pairing stays) and new lines (not a distinct way drawn again).  Appended ways come after
    the kept ones, so the kept ways' counted segments stay theirs.
    """
    new = _urban_ways(added)
    geoms = np.asarray(new.geometry.values, dtype=object)
    if len(new) and _oneway(new).any():
        return None
    wkb = shapely.to_wkb(shapely.normalize(geoms)).tolist() if len(geoms) else []
    if len(set(wkb)) < len(wkb) or any(w in base.distinct_wkb for w in wkb):
        return None
    if base.blocks is None and settings.sparsest_blocks_n > 0 and len(geoms):
        return None  # the kept state has no blocks to split
    own = unique_segments(geoms)
    keys = _segment_keys(own.a, own.b)
    seen = base.segment_keys.contains(keys)
    segments = Segments(own.a, own.b, own.way, own.first & ~seen)
    clipped = clip_lines(geoms, area) if len(geoms) else np.zeros(0, dtype=object)
    lengths, new_repeated_m = _inside_counted(len(new), segments, clipped, area)
    repeated_m = base.repeated_m + new_repeated_m
    dead_xy, inner, counts = _grown_dead_ends(base, added, geoms, area, settings)
    blocks, areas = _grown_blocks(base, clipped)
    urban = gpd.GeoDataFrame(
        pd.concat([base.urban, new], ignore_index=True), geometry=base.urban.geometry.name
    )
    state = RoadState(
        urban,
        np.concatenate([base.classes, new["road_class"].to_numpy()]),
        Segments(
            np.concatenate([base.segments.a, segments.a]),
            np.concatenate([base.segments.b, segments.b]),
            np.concatenate([base.segments.way, segments.way + len(base.urban)]),
            np.concatenate([base.segments.first, segments.first]),
        ),
        np.concatenate([base.lengths_m, lengths]),
        np.concatenate([base.paired_m, np.zeros(len(new))]),
        repeated_m,
        np.concatenate([base.driving, _driving_lines(added)]),
        dead_xy,
        inner,
        gpd.GeoDataFrame(
            pd.concat([base.distinct, new], ignore_index=True),
            geometry=base.distinct.geometry.name,
        ),
        counts,
        blocks,
        areas,
    )
    return state


def _grown_dead_ends(
    base: RoadState,
    added: gpd.GeoDataFrame,
    new_ways: np.ndarray,
    area: BaseGeometry,
    settings: IndicatorSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dead ends, which are inside, and the dead ends per distinct way, with ``added``.

    Added lines only connect: a kept dead end stays one unless an added line reaches it,
    and an added line's ends are the only new candidates.  Each candidate is decided as
    :func:`_dead_end_points` decides it on every line, using the lines within 1 m of it
    (all that can share its 1 cm key or pass within 1 cm).
    """
    lines = _driving_lines(added)
    dead_xy, inner, counts = base.dead_xy, base.inner, base.counts.copy()
    gone = np.zeros(0, dtype=np.int64)
    fresh = np.zeros((0, 2))
    if len(lines):
        pts = np.asarray(shapely.points(dead_xy)) if len(dead_xy) else np.zeros(0, object)
        near = (
            np.unique(shapely.STRtree(lines).query(pts, predicate="dwithin", distance=0.05)[0])
            if len(pts)
            else np.zeros(0, dtype=np.int64)
        )
        ends = np.concatenate(
            [shapely.get_coordinates(shapely.get_point(lines, i)) for i in (0, -1)]
        )
        cand = np.concatenate([dead_xy[near], ends])
        local_idx = np.unique(
            base.driving_tree.query(shapely.points(cand), predicate="dwithin", distance=1.0)[1]
        )
        local = np.concatenate([base.driving[local_idx], lines])
        still = {tuple(p) for p in _dead_end_points(local).tolist()}
        keep = np.array([tuple(p) in still for p in dead_xy[near].tolist()], dtype=bool)
        gone = near[~keep]
        fresh = np.unique(ends[[tuple(p) in still for p in ends.tolist()]], axis=0)
    fresh_inner = (
        within_inner(area, np.asarray(shapely.points(fresh)), settings.dead_end_edge_buffer_m)
        if len(fresh)
        else np.zeros(0, dtype=bool)
    )
    tree = base.distinct_tree
    for pts_xy, sign in ((dead_xy[gone][inner[gone]], -1), (fresh[fresh_inner], 1)):
        if len(pts_xy):
            ways = tree.query(shapely.points(pts_xy), predicate="dwithin", distance=0.01)[1]
            counts += sign * np.bincount(ways, minlength=len(counts))
    keep_mask = np.ones(len(dead_xy), dtype=bool)
    keep_mask[gone] = False
    dead_xy = np.concatenate([dead_xy[keep_mask], fresh])
    inner = np.concatenate([inner[keep_mask], fresh_inner])
    counts = np.concatenate([counts, _dead_counts(new_ways, dead_xy[inner])])
    return dead_xy, inner, counts


def _dead_counts(ways: np.ndarray, pts_xy: np.ndarray) -> np.ndarray:
    """How many of the points lie within 1 cm of each way."""
    if len(pts_xy) == 0 or len(ways) == 0:
        return np.zeros(len(ways), dtype=np.int64)
    way_idx, _ = shapely.STRtree(np.asarray(shapely.points(pts_xy))).query(
        ways, predicate="dwithin", distance=0.01
    )
    return np.bincount(way_idx, minlength=len(ways))


def _dead_layer(state: RoadState, crs: Any) -> gpd.GeoDataFrame:
    """The dead-end roads layer: distinct urban ways with dead ends inside, and how many."""
    if not state.inner.any():
        return _empty_dead_ends(crs)
    urban, counts = state.distinct, state.counts
    geoms = np.asarray(urban.geometry.values, dtype=object)
    hit = np.flatnonzero(counts > 0)
    cols = {
        c: urban[c].to_numpy()[hit] for c in ("osm_id", "name", "highway") if c in urban.columns
    }
    layer = gpd.GeoDataFrame(
        {
            **cols,
            "road_class": urban["road_class"].to_numpy()[hit],
            "length_m": np.round(shapely.length(geoms[hit]), 2),
            "dead_ends": counts[hit],
        },
        geometry=gpd.GeoSeries(geoms[hit], crs=crs),
        crs=crs,
    )
    return layer.reset_index(drop=True)


def _blocks(
    clipped: np.ndarray, outline: BaseGeometry, n: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The blocks enclosed by the clipped urban roads and the area's edge (``outline``)."""
    if n <= 0 or len(clipped) == 0:
        return None, None
    lines = np.concatenate([shapely.get_parts(clipped), shapely.get_parts(outline)])
    blocks = segment_faces(*noded_segments(lines))  # GEOS's union and polygonize, faster
    blocks = blocks[shapely.area(blocks) > 0]
    return blocks, shapely.area(blocks)


def _grown_blocks(
    base: RoadState, clipped: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The blocks with the new clipped lines: only the blocks they meet are split again.

    The lines are noded with those blocks' outlines and polygonized; of the faces, those
    inside the blocks they replace are kept (a block's hole gives a face that is not).
    """
    if base.blocks is None or base.block_areas is None:
        return base.blocks, base.block_areas
    parts = shapely.get_parts(clipped) if len(clipped) else np.zeros(0, dtype=object)
    parts = parts[~shapely.is_empty(parts)] if len(parts) else parts
    if len(parts) == 0:
        return base.blocks, base.block_areas
    met = np.unique(base.block_tree.query(parts, predicate="intersects")[1])
    if len(met) == 0:
        return base.blocks, base.block_areas
    outlines = shapely.get_parts(shapely.boundary(base.blocks[met]))
    faces = segment_faces(*noded_segments(np.concatenate([outlines, parts])))
    faces = faces[shapely.area(faces) > 0]
    inside = np.zeros(len(faces), dtype=bool)
    if len(faces):
        face_of, block_of = base.block_tree.query(
            shapely.point_on_surface(faces), predicate="within"
        )
        inside[face_of[np.isin(block_of, met)]] = True
    faces = faces[inside]
    keep = np.ones(len(base.blocks), dtype=bool)
    keep[met] = False
    blocks = np.concatenate([base.blocks[keep], faces])
    return blocks, np.concatenate([base.block_areas[keep], shapely.area(faces)])


def block_keys(blocks: np.ndarray) -> np.ndarray:
    """``(n, 6)`` position keys of blocks: centroid y, x, then bounds, rounded to 1 mm."""
    if len(blocks) == 0:
        return np.zeros((0, 6))
    box = np.round(shapely.bounds(blocks), 3)
    centre = np.round(shapely.get_coordinates(shapely.centroid(blocks)), 3)
    keys: np.ndarray = np.column_stack(
        [centre[:, 1], centre[:, 0], box[:, 3], box[:, 2], box[:, 1], box[:, 0]]
    )
    return keys


def block_ranking(areas: np.ndarray, blocks: np.ndarray, first: int | None = None) -> np.ndarray:
    """Block indices, largest first; equal areas (to 0.001 m²) by position, west then south.

    The positions are :func:`block_keys`.  The order does not depend on the order polygonize
    gives the blocks in, so the blocks of a kept state with a few of them split again rank as
    those of the whole network do.  With ``first``, only the first that many of the ranking:
    the blocks whose area reaches the ``first``-th largest (ties included) are placed, the
    others' positions are never worked out (centroids of the 89,000 blocks of 2,000 km² took
    0.1 s for a handful of reported blocks).

    >>> squares = np.array([shapely.box(10, 0, 20, 10), shapely.box(0, 0, 10, 10),
    ...                     shapely.box(0, 10, 30, 20)])
    >>> block_ranking(shapely.area(squares), squares).tolist()
    [2, 1, 0]
    >>> block_ranking(shapely.area(squares), squares, first=2).tolist()
    [2, 1]
    """
    size = -np.round(areas, 3)
    rows = np.arange(len(areas))
    if first is not None and first < len(areas):
        kth = max(first - 1, 0)
        rows = np.flatnonzero(size <= np.partition(size, kth)[kth])
    keys = block_keys(blocks[rows])
    ranking: np.ndarray = rows[np.lexsort((*keys.T, size[rows]))]
    return ranking[:first]


def _ranked_blocks(state: RoadState, area: BaseGeometry, crs: Any, n: int) -> list[dict[str, Any]]:
    """The ``n`` largest blocks inside ``area`` (:func:`block_ranking`), area and lon/lat."""
    if state.blocks is None or state.block_areas is None:
        return []
    blocks, areas = state.blocks, state.block_areas
    shapely.prepare(area)
    order = _first_inside(area, blocks, areas, n)
    centres = shapely.point_on_surface(blocks[order])
    lon, lat = lonlat(shapely.get_x(centres), shapely.get_y(centres), crs)
    return [
        {"area_m2": round(float(a), 1), "lon": round(float(x), 6), "lat": round(float(y), 6)}
        for a, x, y in zip(areas[order], lon, lat, strict=True)
    ]
