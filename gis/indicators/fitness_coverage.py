"""15-minute fitness circle coverage (城市15分钟健身圈覆盖率, %), along the pedestrian network.

A resident (population cell) is covered when

.. math::

    d_c + \\min \\left( D(u_c) + t_c L_c,\\; D(v_c) + (1 - t_c) L_c \\right)
    \\le T \\cdot 60 \\cdot v,
    \\qquad D(n) = \\min_f \\left( o_f + d_{net}(n_f, n) \\right)

where the cell centre joins the network at the nearest point of its nearest walk
edge :math:`(u_c, v_c)` of length :math:`L_c` (``length_m``): :math:`d_c` is the
straight walk to that point and :math:`t_c` its position along the edge (0 at
:math:`u_c`, 1 at :math:`v_c`); among edges equally near (within
:data:`gis.routing.TIE_M`, e.g. at a node) the shorter walk counts.
:math:`n_f` is a walk node within ``facility_snap_m`` of facility :math:`f` (or
at least its nearest node) and :math:`o_f` the distance from that node to the
facility (0 inside a facility polygon), :math:`d_{net}` the shortest walk along
the network (parallel edges: the shortest), :math:`T` the minutes and :math:`v`
the walking speed.  All facilities are searched at once: :math:`D` comes from
one Dijkstra from a virtual source joined to every facility node by an edge of
length :math:`o_f`, limited to :math:`T \\cdot 60 \\cdot v` (nodes beyond it are
:math:`\\infty`, and so is any walk through them).

Coverage is population-weighted: covered persons ÷ all persons (in the cells
overlapping the built-up area when ``settings.fitness_within_built_up``).  The gap layer holds the
uncovered cells as squares with their persons; the details suggest the ``k``
network nodes that would cover most of the still-uncovered residents (maximal
covering with the same cell join, exact or greedy, see :func:`suggest_sites`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from geopandas.array import GeometryArray
from pyproj import CRS
from scipy.spatial import cKDTree

from gis.errors import CrsError, ValidationError
from gis.indicators._common import (
    dissolve,
    lonlat,
    make_result,
    meets_interior,
    reason,
    require_all_metric,
)
from gis.indicators._state import (
    GeometryContent,
    KnownBases,
    digest_of,
    frozen,
    geometries,
    is_disabled,
    register,
    wkb_array,
)
from gis.indicators._threads import one_at_a_time
from gis.result import IndicatorResult, empty_layer
from gis.routing import (
    TIE_M,
    EdgeJoin,
    edge_graph,
    edge_point_walks,
    multi_source_distances,
    nearest_edge_points,
    reach_matrix_batches,
)
from gis.settings import IndicatorSettings
from gis.siting import CoverProblem, CoverSolution, cover_from_reach, solve_cover
from gis.workspace import PopulationCells

INDICATOR_ID = "fitness_15min_coverage"
UNIT = "%"
LAYER_NAME = "gap_fitness_uncovered_cells"
CELL_CHUNK = 65_536  # population cells tested against the built-up area at once
REACH_BUDGET_CELLS = 2_000_000  # floats per (candidates x cells) block of the site search
CANDIDATE_RULE = (
    "candidates: the end nodes of the walk edges at which uncovered residents join the "
    "network, the {n} with the most uncovered residents on their edges; each covers the "
    "uncovered cells within the walking distance along the network (the cell's walk to "
    "the nearest point of its nearest street and along that street included)"
)


@dataclass(frozen=True)
class WalkEdges:
    """The walk edges as arrays: end nodes, ``length_m`` and geometries (drawn u to v)."""

    u: npt.NDArray[np.int64]
    v: npt.NDArray[np.int64]
    length_m: npt.NDArray[np.float64]
    lines: np.ndarray


@dataclass(frozen=True)
class CoverageArrays:
    """Per-cell outcome of the coverage kernel (arrays aligned with the input cells).

    ``join`` holds each cell's nearest edge(s); ``access_m`` is the straight walk
    from the cell centre to its nearest street point, ``walk_m`` the whole walk.
    """

    join: EdgeJoin
    access_m: npt.NDArray[np.float64]
    walk_m: npt.NDArray[np.float64]
    covered: npt.NDArray[np.bool_]
    facility_nodes: int

    def fraction(self, persons: npt.NDArray[np.float64]) -> float:
        """Population-weighted covered share in [0, 1] (0 when nobody lives there)."""
        total = float(persons.sum())
        return float(persons[self.covered].sum()) / total if total > 0 else 0.0


@one_at_a_time
def compute_fitness_15min_coverage(
    walk_nodes: gpd.GeoDataFrame,
    walk_edges: gpd.GeoDataFrame,
    sports: gpd.GeoDataFrame | None,
    population: PopulationCells | None,
    built_up: gpd.GeoDataFrame | None = None,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
    fixed_sites: gpd.GeoDataFrame | None = None,
    excluded_areas: gpd.GeoDataFrame | None = None,
) -> IndicatorResult:
    """Share of residents within ``walk_minutes`` at ``walk_speed_m_s`` of a sports facility.

    Parameters
    ----------
    walk_nodes : geopandas.GeoDataFrame
        Points with ``node_id`` (dense ``0..n-1``).  Metric CRS.
    walk_edges : geopandas.GeoDataFrame
        Undirected edges ``u``, ``v``, ``length_m`` (metres; geometry length when absent).
    sports : geopandas.GeoDataFrame or None
        Sports facilities, points or polygons.
    population : PopulationCells or None
        Persons per raster cell, centres in the same metric CRS.
    built_up : geopandas.GeoDataFrame, optional
        When given (and ``settings.fitness_within_built_up``), only the cells
        overlapping it count: the fitness circle is an urban target.
    settings : IndicatorSettings
        ``walk_minutes``, ``walk_speed_m_s``, ``facility_snap_m``, ``sites_k``.
    provenance : dict
        Where each input came from.
    fixed_sites : geopandas.GeoDataFrame, optional
        Sites a planner has fixed (existing or decided, points or polygons): the suggestions
        treat them as facilities and add ``sites_k`` sites to them.  The coverage figure
        itself is not changed by them.
    excluded_areas : geopandas.GeoDataFrame, optional
        Polygons where no site may be suggested (water, protected land): candidate nodes
        inside them are left out.

    Returns
    -------
    IndicatorResult
        ``value`` in % of residents; ``not_computable`` without population,
        network or facilities (the gap layer and site suggestions are still given
        when only the facilities are missing).
    """
    crs = require_all_metric(
        {
            "walk_nodes": walk_nodes,
            "walk_edges": walk_edges,
            "sports": sports,
            "built_up": built_up,
            "fixed_sites": fixed_sites,
            "excluded_areas": excluded_areas,
        }
    )
    params = _parameters(settings, has_area=built_up is not None)
    target = settings.targets.fitness_coverage_pct
    base: dict[str, Any] = {
        "unit": UNIT,
        "target": target,
        "settings": settings,
        "layer_name": LAYER_NAME,
        "parameters": params,
        "provenance": provenance,
    }

    def _why(why: str) -> IndicatorResult:
        return make_result(
            INDICATOR_ID,
            None,
            layer=empty_layer(crs),
            status="not_computable",
            reason=why,
            **base,
        )

    why = missing_input(walk_nodes, walk_edges, population, crs)
    if why is not None or population is None:
        return _why(why or reason("no_population_raster"))
    cells_xy, persons = _cells(population, built_up if settings.fitness_within_built_up else None)
    if persons.sum() <= 0:
        return _why(reason("no_residents"))
    net, net_key = cell_network(walk_nodes, walk_edges, cells_xy)
    graph, node_xy, edges = net.graph, net.node_xy, net.edges
    facilities = _facility_geoms(sports)
    arrays = cached_coverage(
        net, net_key, facilities, max_walk_m=settings.max_walk_m, snap_m=settings.facility_snap_m
    )
    details = _details(arrays, persons, len(facilities))
    details["site_candidate_rule"] = CANDIDATE_RULE.format(n=settings.site_candidates_max)
    site_arrays = arrays
    fixed = _facility_geoms(fixed_sites)
    if len(fixed):  # the fixed sites count as facilities for the suggestions
        site_arrays = cached_coverage(
            net,
            net_key,
            np.concatenate([facilities, fixed]),
            max_walk_m=settings.max_walk_m,
            snap_m=settings.facility_snap_m,
        )
    details["suggested_sites"], details["site_search"] = suggest_sites(
        graph,
        node_xy,
        edges,
        site_arrays,
        persons,
        k=settings.sites_k,
        max_walk_m=settings.max_walk_m,
        max_candidates=settings.site_candidates_max,
        crs=crs,
        method=settings.sites_method,
        time_limit_s=settings.sites_time_limit_s,
        excluded=_facility_geoms(excluded_areas),
    )
    if fixed_sites is not None:
        details["fixed_sites"] = _fixed_details(arrays, site_arrays, persons, len(fixed))
    layer = uncovered_cells_layer(cells_xy, persons, arrays, population.cell_size_m, crs)
    if len(facilities) == 0:
        return make_result(
            INDICATOR_ID,
            None,
            layer=layer,
            status="not_computable",
            reason=reason("no_sports"),
            details=details,
            **base,
        )
    return make_result(
        INDICATOR_ID, 100.0 * arrays.fraction(persons), layer=layer, details=details, **base
    )


def _parameters(settings: IndicatorSettings, *, has_area: bool) -> dict[str, Any]:
    """The parameters reported with the result."""
    return {
        "walk_minutes": settings.walk_minutes,
        "walk_speed_m_s": settings.walk_speed_m_s,
        "max_walk_m": round(settings.max_walk_m, 3),
        "facility_snap_m": settings.facility_snap_m,
        "sites_k": settings.sites_k,
        "site_candidates_max": settings.site_candidates_max,
        "sites_method": settings.sites_method,
        "sites_time_limit_s": settings.sites_time_limit_s,
        "within_built_up": bool(settings.fitness_within_built_up and has_area),
    }


def node_coordinates(walk_nodes: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    """``(n, 2)`` coordinates indexed by ``node_id`` (which must be dense ``0..n-1``)."""
    ids = (
        walk_nodes["node_id"].to_numpy(dtype=np.int64)
        if "node_id" in walk_nodes.columns
        else np.arange(len(walk_nodes))
    )
    n = len(ids)
    if n and (ids.min() != 0 or ids.max() != n - 1 or (np.bincount(ids, minlength=n) != 1).any()):
        msg = "walk_nodes: node_id must be 0..n-1 without gaps or repeats; re-run the ingest"
        raise ValidationError(msg)
    xy = np.empty((n, 2))
    xy[ids] = shapely.get_coordinates(np.asarray(walk_nodes.geometry.values, dtype=object))
    return xy


def walk_edge_arrays(walk_edges: gpd.GeoDataFrame) -> WalkEdges:
    """``u``, ``v``, length in metres (``length_m``, else the geometry's) and geometry."""
    lines = np.asarray(walk_edges.geometry.values, dtype=object)
    if "length_m" in walk_edges.columns:
        length = walk_edges["length_m"].to_numpy(dtype=np.float64)
    else:
        length = shapely.length(lines).astype(np.float64)
    u, v = walk_edges["u"].to_numpy(np.int64), walk_edges["v"].to_numpy(np.int64)
    return WalkEdges(u, v, length, lines)


def _cells(
    population: PopulationCells, built_up: gpd.GeoDataFrame | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Cell centres and persons; with ``built_up``, only cells whose square touches it.

    A cell overlapping the built-up area counts whole: its residents live on the
    land that made it urban (the dasymetric estimate puts them on residential
    land, which is inside the built-up area even when the cell's centre is not).
    """
    xy = np.column_stack([population.x_m, population.y_m]).astype(np.float64)
    persons = np.asarray(population.persons, dtype=np.float64)
    if built_up is None:
        return xy, persons
    key = digest_of("cells in built-up", xy, population.cell_size_m, geometries(built_up))
    keep = _CELLS_IN_AREA.get(key, lambda: _touching(xy, population.cell_size_m, built_up))
    return xy[keep], persons[keep]


def _touching(
    xy: npt.NDArray[np.float64], cell_m: float, built_up: gpd.GeoDataFrame
) -> npt.NDArray[np.bool_]:
    """Which cells' squares overlap the built-up area (more than touch its edge).

    Tested against the local pieces of the area (:func:`meets_interior`).
    """
    area = dissolve(built_up)
    half = cell_m / 2.0
    keep = np.zeros(len(xy), dtype=bool)
    for start in range(0, len(xy), CELL_CHUNK):  # a few MB of squares at a time
        x, y = xy[start : start + CELL_CHUNK, 0], xy[start : start + CELL_CHUNK, 1]
        squares = shapely.box(x - half, y - half, x + half, y + half)
        keep[start : start + CELL_CHUNK] = meets_interior(area, squares)
    frozen(keep)
    return keep


def _facility_geoms(sports: gpd.GeoDataFrame | None) -> np.ndarray:
    """Non-empty facility geometries (points or polygons)."""
    if sports is None or len(sports) == 0:
        return np.zeros(0, dtype=object)
    geoms = np.asarray(sports.geometry.values, dtype=object)
    kept: np.ndarray = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    return kept


def snap_facilities(
    facilities: np.ndarray,
    node_xy: npt.NDArray[np.float64],
    snap_m: float,
    tree: cKDTree | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Network entry nodes of the facilities and the walk from each node to its facility.

    Every node within ``snap_m`` of a facility (distance to the polygon, 0
    inside) is an entry, and at least the nearest node of each facility.

    >>> nodes = np.array([[0.0, 0.0], [50.0, 0.0], [400.0, 0.0]])
    >>> snap_facilities(np.array([shapely.Point(10, 0)]), nodes, 100.0)
    (array([0, 1]), array([10., 40.]))
    """
    if len(facilities) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    tree = tree if tree is not None else cKDTree(node_xy)
    if bool(np.all(shapely.get_type_id(facilities) == 0)):
        xy = shapely.get_coordinates(facilities)
        near_d, near_i = tree.query(xy, k=1)
        pairs = tree.query_ball_point(xy, r=snap_m, return_sorted=False)
        fac = np.repeat(np.arange(len(xy)), [len(p) for p in pairs])
        nodes = (
            np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs])
            if len(fac)
            else np.zeros(0, dtype=np.int64)
        )
        offsets = np.hypot(*(node_xy[nodes] - xy[fac]).T) if len(fac) else np.zeros(0)
    else:
        fac, nodes, offsets, near_i, near_d = _snap_shapes(facilities, node_xy, snap_m, tree)
    all_nodes = np.concatenate(
        [np.asarray(nodes, dtype=np.int64), np.asarray(near_i, dtype=np.int64)]
    )
    all_off = np.concatenate(
        [np.asarray(offsets, dtype=np.float64), np.asarray(near_d, dtype=np.float64)]
    )
    order = np.lexsort((all_off, all_nodes))
    all_nodes, all_off = all_nodes[order], all_off[order]
    first = np.r_[True, all_nodes[1:] != all_nodes[:-1]]
    return all_nodes[first], all_off[first]


def _snap_shapes(
    shapes: np.ndarray, node_xy: npt.NDArray[np.float64], snap_m: float, tree: cKDTree
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Facilities of any shape: (facility, node) pairs within ``snap_m``, and each one's nearest.

    Found on the nodes' k-d tree: a node within ``d`` of a shape lies within ``d`` plus the
    shape's radius (its farthest vertex from its centre) of the centre, so the tree gives
    candidates and the exact distances decide.  The nearest node of a shape with none within
    ``snap_m`` is searched within the distance of the node nearest its centre (lowest node
    number among equal distances).  Building an STRtree of 100,000 node points for every
    what-if network took 0.1 s.
    """
    centre = shapely.get_coordinates(shapely.centroid(shapes))
    coords, owner = shapely.get_coordinates(shapes, return_index=True)
    radius = np.zeros(len(shapes))
    np.maximum.at(radius, owner, np.hypot(*(coords - centre[owner]).T))

    def exact(idx: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        near = tree.query_ball_point(centre[idx], r=reach, return_sorted=False)
        fac = np.repeat(idx, [len(p) for p in near])
        nodes = np.fromiter(chain.from_iterable(near), dtype=np.int64, count=len(fac))
        dist = shapely.distance(shapes[fac], shapely.points(node_xy[nodes]))
        return fac, nodes, np.asarray(dist, dtype=np.float64)

    def nearest(fac: np.ndarray, nodes: np.ndarray, dist: np.ndarray) -> None:
        order = np.lexsort((nodes, dist, fac))  # per facility: nearest, lowest node on ties
        first = order[np.r_[True, fac[order][1:] != fac[order][:-1]]] if len(order) else order
        near_i[fac[first]], near_d[fac[first]] = nodes[first], dist[first]

    every = np.arange(len(shapes))
    fac, nodes, dist = exact(every, radius + snap_m)
    inside = dist <= snap_m
    fac, nodes, dist = fac[inside], nodes[inside], dist[inside]
    near_i = np.full(len(shapes), -1, dtype=np.int64)
    near_d = np.full(len(shapes), np.inf)
    nearest(fac, nodes, dist)
    far = np.flatnonzero(near_i < 0)
    if len(far):  # no node within snap_m: the nearest is within the centre's nearest's distance
        _, centre_node = tree.query(centre[far], k=1)
        bound = np.asarray(shapely.distance(shapes[far], shapely.points(node_xy[centre_node])))
        nearest(*exact(far, radius[far] + bound + 1e-6))
    return fac, nodes, dist, near_i, near_d


@dataclass(frozen=True)
class CellNetwork:
    """The walk network with the population cells joined to it: built once per county.

    Every facility type (the fitness circle, each type of the 15-minute life circle) is then
    one bounded multi-source search on it (:func:`facility_walks`).
    """

    graph: sp.csr_matrix
    node_xy: npt.NDArray[np.float64]
    edges: WalkEdges
    join: EdgeJoin
    access_m: npt.NDArray[np.float64]

    @cached_property
    def edge_wkb(self) -> np.ndarray:
        """The edges' geometries as WKB (to match a later network's edges against them)."""
        return wkb_array(self.edges.lines)

    @cached_property
    def node_tree(self) -> cKDTree:
        """k-d tree of the nodes (point facilities are snapped on it)."""
        return cKDTree(self.node_xy)


def join_cells(
    graph: sp.csr_matrix,
    node_xy: npt.NDArray[np.float64],
    edges: WalkEdges,
    cells_xy: npt.NDArray[np.float64],
) -> CellNetwork:
    """Join every cell centre to the nearest point of its nearest walk edge (once per county)."""
    if len(node_xy) == 0:
        msg = "walk_nodes: the pedestrian network has no nodes"
        raise ValidationError(msg)
    join = nearest_edge_points(edges.lines, cells_xy)
    access_m = np.minimum.reduceat(join.access_m, join.starts()) if len(cells_xy) else np.zeros(0)
    return CellNetwork(graph, node_xy, edges, join, access_m)


_CELLS_IN_AREA = register("cells in the built-up area", 4)
_NETWORKS = register("walk graphs with the cells joined", 3)
_WALKS = register("walks to the facilities", 24)


def cell_network(
    walk_nodes: gpd.GeoDataFrame, walk_edges: gpd.GeoDataFrame, cells_xy: npt.NDArray[np.float64]
) -> tuple[CellNetwork, bytes]:
    """:func:`join_cells` of the walk network's graph, kept by the content of its inputs.

    Returns the network and its key (a digest of the nodes, the edges and the cell centres):
    a what-if edit that leaves the network and the cells alone (a facility added, moved or
    deleted, a population changed by a factor) reuses the graph and the cells' join.
    """
    ids = walk_nodes["node_id"].to_numpy() if "node_id" in walk_nodes.columns else None
    length = (
        walk_edges["length_m"].to_numpy(dtype=np.float64)
        if "length_m" in walk_edges.columns
        else None
    )
    parts = (  # geometries read once: the full key and a kept network's prefix key
        ids,
        GeometryContent(geometries(walk_nodes)),
        walk_edges["u"].to_numpy(),
        walk_edges["v"].to_numpy(),
        length,
        GeometryContent(geometries(walk_edges)),
    )

    def key_of(n_nodes: int, n_edges: int) -> bytes:
        cut = [n_nodes, n_nodes, n_edges, n_edges, n_edges, n_edges]
        return digest_of(
            "cell network",
            *[None if p is None else p[:n] for p, n in zip(parts, cut, strict=True)],
            cells_xy,
        )

    def nodes_key(n_nodes: int) -> bytes:
        return digest_of(
            "nodes and cells",
            ids[:n_nodes] if ids is not None else None,
            parts[1][:n_nodes],
            cells_xy,
        )

    key = key_of(len(walk_nodes), len(walk_edges))
    bases = _kept_bases(key, len(walk_nodes), nodes_key)

    def build() -> CellNetwork:
        node_xy = node_coordinates(walk_nodes)
        edges = walk_edge_arrays(walk_edges)
        graph = edge_graph(len(node_xy), edges.u, edges.v, edges.length_m)
        join = None
        # the edges' WKB, to match them against a kept base's (a what-if only)
        edge_wkb = parts[5].wkbs if bases else np.zeros(0, dtype=object)
        for base_key, base in bases:  # the most recent first; the first that grows
            kept = kept_edges(base.edges, base.edge_wkb, edges, edge_wkb)
            if kept is not None:
                join = grown_join(base.join, base.access_m, edges.lines, kept, cells_xy)
            if join is not None:
                _NETWORKS.touch(base_key)  # the stored county's network stays kept
                _KNOWN_NETWORKS.touch(base_key)
                break
        if join is None:
            net = join_cells(graph, node_xy, edges, cells_xy)
        else:
            access_m = (
                np.minimum.reduceat(join.access_m, join.starts()) if len(cells_xy) else np.zeros(0)
            )
            net = CellNetwork(graph, node_xy, edges, join, access_m)
        frozen(node_xy, edges.u, edges.v, edges.length_m, edges.lines, net.access_m)
        frozen(graph.data, graph.indices, graph.indptr)
        frozen(net.join.point, net.join.edge, net.join.access_m, net.join.fraction)
        return net

    net = _NETWORKS.get(key, build)
    if not is_disabled():
        _KNOWN_NETWORKS.note(key, (len(walk_nodes), nodes_key(len(walk_nodes))))
        _KNOWN_NETWORKS.keep_only(lambda k: _NETWORKS.peek(k) is not None)  # while kept
    return net, key


_KNOWN_NETWORKS = KnownBases(_NETWORKS.max_entries)


def _kept_bases(
    key: bytes, n_nodes: int, nodes_key: Callable[[int], bytes]
) -> list[tuple[bytes, CellNetwork]]:
    """Kept networks whose nodes (and cells) the network ``key`` starts with, latest first.

    Empty when ``key`` is kept itself.  ``nodes_key(n)`` is the digest of the first ``n``
    nodes and the cells, as kept networks were registered with.
    """
    if _NETWORKS.peek(key) is not None:
        return []
    known = _KNOWN_NETWORKS.snapshot()
    out: list[tuple[bytes, CellNetwork]] = []
    for base_key, (base_n, base_nodes) in reversed(known):
        if base_n <= n_nodes and nodes_key(base_n) == base_nodes:
            found = _NETWORKS.peek(base_key)
            if found is not None:
                out.append((base_key, found))
    return out


def kept_edges(
    base: WalkEdges, base_wkb: np.ndarray, edges: WalkEdges, wkb: np.ndarray
) -> npt.NDArray[np.int64] | None:
    """Which base edge each of the first rows of ``edges`` is, when they are base rows in order.

    The walk edges after a drawn road are the stored ones, less those it crosses (cut into
    pieces), with the new edges and the pieces appended.  Returns the base rows of the leading
    rows that are base rows (same geometry, ends and length), or ``None`` when they are not in
    the base's order.
    """
    runs = _matching_runs(base_wkb, wkb)
    if runs is None:
        return None
    idx = (
        np.concatenate([np.arange(j, j + n, dtype=np.int64) for j, n in runs])
        if runs
        else np.zeros(0, dtype=np.int64)
    )
    m = len(idx)
    same = (
        np.array_equal(base.u[idx], edges.u[:m])
        and np.array_equal(base.v[idx], edges.v[:m])
        and np.array_equal(base.length_m[idx], edges.length_m[:m])
    )
    return idx if same else None


_MAX_RUNS = 256


def _matching_runs(old: np.ndarray, new: np.ndarray) -> list[tuple[int, int]] | None:
    """The leading rows of ``new`` found in ``old`` in order, as runs ``(old start, length)``.

    Each row of ``new`` is matched with the next equal row of ``old`` after the previous
    match (rows of ``old`` between are skipped: removed), until a row of ``new`` is not found
    (appended rows).  The runs of equal rows are compared as whole arrays, so a network with
    a few edges removed is matched in a few vectorised passes; ``None`` after
    :data:`_MAX_RUNS` runs (not a network grown from ``old``).

    >>> o = np.array([b"a", b"b", b"c", b"d"], dtype=object)
    >>> _matching_runs(o, np.array([b"a", b"c", b"d", b"x"], dtype=object))
    [(0, 1), (2, 2)]
    >>> _matching_runs(o, np.array([b"x", b"a"], dtype=object))
    []
    >>> _matching_runs(np.array([b"a", b"b\\0"], dtype=object), np.array([b"b\\0"], dtype=object))
    [(1, 1)]
    """
    runs: list[tuple[int, int]] = []
    i = j = 0
    while i < len(new) and j < len(old):
        n = min(len(new) - i, len(old) - j)
        differ = np.flatnonzero(new[i : i + n] != old[j : j + n])
        same = int(differ[0]) if len(differ) else n
        if same:
            runs.append((j, same))
            i, j = i + same, j + same
        if i == len(new) or j == len(old):
            break
        # old[j] was removed: the next equal row (compared as objects: numpy would read a
        # bytes scalar as a fixed-width string and drop its trailing zero bytes)
        found = np.flatnonzero(old[j:] == new[i : i + 1])
        if len(found) == 0 or len(runs) >= _MAX_RUNS:
            return runs if len(found) == 0 else None
        j += int(found[0])
    return runs


def grown_join(
    join: EdgeJoin,
    access_m: npt.NDArray[np.float64],
    lines: np.ndarray,
    kept: npt.NDArray[np.int64],
    cells_xy: npt.NDArray[np.float64],
) -> EdgeJoin | None:
    """The cells' join of ``lines`` from the join of a base network (``None``: join afresh).

    ``lines[:len(kept)]`` are the base edges ``kept`` (the others were removed: cut by a
    drawn road), ``lines[len(kept):]`` are new (the road's edges, the cut edges' pieces).  A
    cell keeps its rows unless it was joined to a removed edge or lies within its nearest
    distance (plus :data:`gis.routing.TIE_M`) of a new edge; those cells are joined to the new
    edges (:func:`gis.routing.nearest_edge_points`) and keep every row within the new nearest
    distance plus ``TIE_M``, as the join of the whole network does.  A cell whose nearest
    distance would grow (a removed edge not covered by new ones) needs the whole network:
    ``None``.
    """
    m = len(kept)
    n_base = int(join.edge.max()) + 1 if len(join.edge) else 0
    n_base = max(n_base, int(kept.max()) + 1 if m else 0)
    remap = np.full(n_base, -1, dtype=np.int64)
    remap[kept] = np.arange(m)
    edge_now = remap[join.edge] if len(join.edge) else join.edge
    lost = edge_now < 0
    if m == 0 and len(lines) == 0:
        return None
    new = lines[m:]
    cut_cells = np.unique(join.point[lost])
    near_cells = np.zeros(0, dtype=np.int64)
    if len(new) and len(cells_xy):
        reach = access_m + TIE_M + 1e-9
        # a cell farther from the new edges' box than it is from its street cannot change
        x0, y0, x1, y1 = shapely.total_bounds(new)
        dx = np.maximum(np.maximum(x0 - cells_xy[:, 0], cells_xy[:, 0] - x1), 0.0)
        dy = np.maximum(np.maximum(y0 - cells_xy[:, 1], cells_xy[:, 1] - y1), 0.0)
        maybe = np.flatnonzero(np.hypot(dx, dy) <= reach)
        pts = shapely.points(cells_xy[maybe])
        near = np.full(len(maybe), np.inf)
        for line in new:
            near = np.minimum(near, shapely.distance(pts, line))
        near_cells = maybe[near <= reach[maybe]]
    affected = np.union1d(cut_cells, near_cells)
    if len(affected) == 0:
        return EdgeJoin(join.point, edge_now, join.access_m, join.fraction, join.n_points)
    if len(new) == 0:
        return None
    extra = nearest_edge_points(new, cells_xy[affected])
    stay = ~lost
    point = np.concatenate([join.point[stay], affected[extra.point]])
    edge = np.concatenate([edge_now[stay], extra.edge + m])
    access = np.concatenate([join.access_m[stay], extra.access_m])
    frac = np.concatenate([join.fraction[stay], extra.fraction])
    mine = np.isin(point, affected)
    best = np.full(len(cells_xy), np.inf)
    np.minimum.at(best, point[mine], access[mine])
    if (best[cut_cells] > access_m[cut_cells] + 1e-9).any():
        return None
    keep = np.flatnonzero(~mine | (access <= best[point] + TIE_M))
    order = np.lexsort((access[keep], edge[keep], point[keep]))
    keep = keep[order]
    return EdgeJoin(point[keep], edge[keep], access[keep], frac[keep], join.n_points)


def cached_coverage(
    net: CellNetwork, key: bytes, facilities: np.ndarray, *, max_walk_m: float, snap_m: float
) -> CoverageArrays:
    """:func:`network_coverage` of ``net`` (key from :func:`cell_network`), kept by content.

    A population edit that keeps the cells and the facilities reuses the walks.
    """
    walk_key = digest_of("walks", key, facilities, float(max_walk_m), float(snap_m))

    def walks() -> CoverageArrays:
        arrays = network_coverage(net, facilities, max_walk_m=max_walk_m, snap_m=snap_m)
        frozen(arrays.walk_m, arrays.covered)
        return arrays

    return _WALKS.get(walk_key, walks)


def facility_walks(
    net: CellNetwork, facilities: np.ndarray, *, max_walk_m: float, snap_m: float
) -> tuple[npt.NDArray[np.float64], int]:
    """Each cell's walk to the nearest facility (``inf`` beyond ``max_walk_m``), entry nodes.

    One bounded Dijkstra from all the facilities at once (see the module's formula).
    """
    fac_nodes, fac_off = snap_facilities(facilities, net.node_xy, snap_m, net.node_tree)
    dist = multi_source_distances(net.graph, fac_nodes, fac_off, max_walk_m)
    edges = net.edges
    walk_m = edge_point_walks(net.join, edges.u, edges.v, edges.length_m, dist)
    return walk_m, len(fac_nodes)


def coverage_arrays(
    graph: sp.csr_matrix,
    node_xy: npt.NDArray[np.float64],
    edges: WalkEdges,
    facilities: np.ndarray,
    cells_xy: npt.NDArray[np.float64],
    persons: npt.NDArray[np.float64],
    *,
    max_walk_m: float,
    snap_m: float,
) -> CoverageArrays:
    """The coverage kernel: join cells to edges and facilities to nodes, one bounded Dijkstra.

    ``persons`` is only checked for alignment; weighting is done by the caller.
    """
    if len(cells_xy) != len(persons):
        msg = "population: cell coordinates and persons differ in length"
        raise ValidationError(msg)
    net = join_cells(graph, node_xy, edges, cells_xy)
    return network_coverage(net, facilities, max_walk_m=max_walk_m, snap_m=snap_m)


def network_coverage(
    net: CellNetwork, facilities: np.ndarray, *, max_walk_m: float, snap_m: float
) -> CoverageArrays:
    """:class:`CoverageArrays` of one facility set on an already joined :class:`CellNetwork`."""
    walk_m, n_nodes = facility_walks(net, facilities, max_walk_m=max_walk_m, snap_m=snap_m)
    covered = walk_m <= max_walk_m + 1e-9
    return CoverageArrays(net.join, net.access_m, walk_m, covered, n_nodes)


def _details(arrays: CoverageArrays, persons: np.ndarray, n_facilities: int) -> dict[str, Any]:
    """Counts reported with the result."""
    covered = float(persons[arrays.covered].sum())
    total = float(persons.sum())
    return {
        "population_total": round(total, 2),
        "population_covered": round(covered, 2),
        "population_uncovered": round(total - covered, 2),
        "coverage_fraction": round(covered / total, 6) if total > 0 else 0.0,
        "cells": int(len(persons)),
        "cells_uncovered": int((~arrays.covered).sum()),
        "facilities": n_facilities,
        "facility_entry_nodes": arrays.facility_nodes,
    }


def cell_squares(cells_xy: np.ndarray, cell_m: float) -> np.ndarray:
    """The cells as square polygons (``cell_m`` wide, centred on ``cells_xy``)."""
    half = cell_m / 2.0
    x, y = cells_xy[:, 0], cells_xy[:, 1]
    squares: np.ndarray = shapely.box(x - half, y - half, x + half, y + half)
    return squares


def uncovered_cells_layer(
    cells_xy: np.ndarray,
    persons: np.ndarray,
    arrays: CoverageArrays,
    cell_m: float,
    crs: Any,
    squares: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Uncovered population cells as squares with persons and walk distances (m).

    ``squares`` may hold every cell's square already (:func:`cell_squares`, made once when
    several facility types draw gap layers of the same cells).
    """
    idx = np.flatnonzero(~arrays.covered)
    squares = cell_squares(cells_xy[idx], cell_m) if squares is None else squares[idx]
    walk = arrays.walk_m[idx]
    return gpd.GeoDataFrame(
        {
            "persons": np.round(persons[idx], 3),
            "walk_m": np.where(np.isfinite(walk), np.round(walk, 1), np.nan),
            "access_m": np.round(arrays.access_m[idx], 1),
            "geometry": GeometryArray(squares, crs=crs),  # 3x faster than a GeoSeries here
        },
        geometry="geometry",
    )


def suggest_sites(
    graph: sp.csr_matrix,
    node_xy: np.ndarray,
    edges: WalkEdges,
    arrays: CoverageArrays,
    persons: np.ndarray,
    *,
    k: int,
    max_walk_m: float,
    max_candidates: int,
    crs: Any,
    method: str = "exact",
    time_limit_s: float = 5.0,
    excluded: np.ndarray | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Maximal covering: ``k`` walk nodes adding the most uncovered residents, and how.

    Candidates are the end nodes of the edges at which uncovered residents join
    the network (less those inside the ``excluded`` polygons), the ``max_candidates``
    with the most uncovered persons on their edges.  Each candidate's reach (uncovered
    cells within ``max_walk_m``, joined to the network as in the coverage: the walk to
    the nearest street point and along the street counts) comes from bounded, batched
    Dijkstra searches.  :func:`gis.siting.solve_cover` then picks the sites: ``method``
    ``"exact"`` solves the maximal covering integer programme within ``time_limit_s``
    (the greedy answer when that does not prove an optimum and is better), ``"greedy"``
    picks, ``k`` times, the candidate adding the most persons not yet covered.  Sites are
    listed in greedy order among themselves; each reports the persons it adds to those
    before it and the percentage points of all residents.  The second value describes the
    search (``method``, ``optimal``, ``gap_pct``, the greedy answer's persons; no timing, so
    that a report stays the same from run to run).
    """
    total = float(persons.sum())
    if k <= 0 or total <= 0 or bool(arrays.covered.all()):  # nothing to search
        return [], {**dict.fromkeys(SEARCH_KEYS), "requested_method": method, "candidates": 0}
    found = site_problem(
        graph,
        node_xy,
        edges,
        arrays,
        persons,
        max_walk_m=max_walk_m,
        max_candidates=max_candidates,
        excluded=excluded,
    )
    solution = solve_cover(found.problem, k, method=method, time_limit_s=time_limit_s)
    search = _search_details(solution, method, len(found.candidates), total)
    chosen = found.candidates[solution.chosen]
    sites = _site_rows(chosen, solution.gains, node_xy, total=total, crs=crs)
    for site in sites:
        site["method"] = solution.method
    return sites, search


@dataclass(frozen=True)
class SiteProblem:
    """The covering problem of the site search: candidate nodes, uncovered cells, coverage."""

    candidates: npt.NDArray[np.int64]
    uncovered: npt.NDArray[np.int64]
    problem: CoverProblem


def site_problem(
    graph: sp.csr_matrix,
    node_xy: np.ndarray,
    edges: WalkEdges,
    arrays: CoverageArrays,
    persons: np.ndarray,
    *,
    max_walk_m: float,
    max_candidates: int,
    excluded: np.ndarray | None = None,
) -> SiteProblem:
    """Candidates (see :func:`suggest_sites`) and which uncovered cells each would cover."""
    unc = np.flatnonzero(~arrays.covered)
    join = arrays.join.subset(unc)
    first = join.edge[join.starts()]  # each uncovered cell's nearest edge
    ends = np.concatenate([edges.u[first], edges.v[first]])
    attached = np.bincount(ends, weights=np.tile(persons[unc], 2), minlength=len(node_xy))
    if excluded is not None and len(excluded):
        attached[excluded_nodes(node_xy, excluded)] = 0.0
    ranked = np.argsort(-attached, kind="stable")
    candidates = ranked[:max_candidates][attached[ranked[:max_candidates]] > 0]
    reach = _candidate_reach(graph, candidates, edges, join, max_walk_m)
    problem = CoverProblem(persons[unc].astype(np.float64), cover_from_reach(reach, len(unc)))
    return SiteProblem(candidates.astype(np.int64), unc.astype(np.int64), problem)


def excluded_nodes(node_xy: np.ndarray, polygons: np.ndarray) -> npt.NDArray[np.int64]:
    """Nodes inside (or on the edge of) any of the polygons.

    >>> square = shapely.box(0, 0, 10, 10)
    >>> excluded_nodes(np.array([[5.0, 5.0], [20.0, 5.0], [10.0, 0.0]]), np.array([square]))
    array([0, 2])
    """
    areas = polygons[shapely.get_dimensions(polygons) == 2]
    if len(areas) == 0 or len(node_xy) == 0:
        return np.zeros(0, dtype=np.int64)
    tree = shapely.STRtree(areas)
    nodes, _ = tree.query(shapely.points(node_xy), predicate="intersects")
    return np.unique(np.asarray(nodes, dtype=np.int64))


SEARCH_KEYS = (
    "method",
    "requested_method",
    "optimal",
    "gap_pct",
    "solver_status",
    "candidates",
    "persons_added",
    "coverage_added_pct",
    "greedy_persons_added",
    "upper_bound_persons",
    "reduced_demand_groups",
    "reduced_candidates",
)


def _search_details(
    solution: CoverSolution, requested: str, n_candidates: int, total: float
) -> dict[str, Any]:
    """How the sites were found, reported with the result."""

    def pct(value: float | None) -> float | None:
        return None if value is None else round(100.0 * value / total, 4)

    return {
        "method": solution.method,
        "requested_method": requested,
        "optimal": solution.optimal,
        "gap_pct": None if solution.gap_pct is None else round(solution.gap_pct, 4),
        "solver_status": solution.status,
        "candidates": n_candidates,
        "persons_added": round(solution.value, 2),
        "coverage_added_pct": pct(solution.value),
        "greedy_persons_added": round(solution.greedy_value, 2),
        "upper_bound_persons": None if solution.bound is None else round(solution.bound, 2),
        "reduced_demand_groups": solution.reduced_demand,
        "reduced_candidates": solution.reduced_candidates,
    }


def _fixed_details(
    arrays: CoverageArrays, with_fixed: CoverageArrays, persons: np.ndarray, n_fixed: int
) -> dict[str, Any]:
    """What the fixed sites cover beyond the existing facilities."""
    added = float(persons[with_fixed.covered & ~arrays.covered].sum())
    total = float(persons.sum())
    return {
        "count": n_fixed,
        "persons_added": round(added, 2),
        "coverage_added_pct": round(100.0 * added / total, 4) if total > 0 else 0.0,
    }


def _candidate_reach(
    graph: sp.csr_matrix,
    candidates: np.ndarray,
    edges: WalkEdges,
    join: EdgeJoin,
    max_walk_m: float,
) -> list[np.ndarray]:
    """For each candidate, the positions (into the uncovered cells) of the cells it would cover.

    A cell is covered when one of its join rows is within the walk (as
    :func:`gis.routing.edge_point_walks` measures it: the access, then the nearer way along
    the edge from a reached end).  Only the rows on edges with an end the candidate's search
    reached are measured: a 15-minute walk reaches a few thousand of a county's nodes, and
    measuring every uncovered cell's rows for every candidate took 0.25 s at 2,000 km².
    """
    reach: list[np.ndarray] = []
    limit = max_walk_m + 1e-9
    u, v = edges.u[join.edge], edges.v[join.edge]
    length = edges.length_m[join.edge]
    # the join rows at each node (an edge's rows at both its ends), grouped by node
    at_node = np.concatenate([u, v])
    order = np.argsort(at_node, kind="stable")
    node_rows = np.concatenate([np.arange(len(u)), np.arange(len(v))])[order]
    first = np.searchsorted(at_node[order], np.arange(graph.shape[0] + 1))
    # each batch makes a (batch x nodes) distance matrix and (batch x join rows) pairs at most
    width = max(graph.shape[0], len(join.point), 1)
    budget = max(1, REACH_BUDGET_CELLS * graph.shape[0] // width)
    for chunk, dist in reach_matrix_batches(graph, candidates, max_walk_m, max_cells=budget):
        search, node = np.nonzero(dist <= limit)
        count = first[node + 1] - first[node]
        search = np.repeat(search, count)
        step = np.arange(len(search)) - np.repeat(np.cumsum(count) - count, count)
        rows = node_rows[np.repeat(first[node], count) + step]
        t = join.fraction[rows]
        via_u = dist[search, u[rows]] + t * length[rows]
        via_v = dist[search, v[rows]] + (1.0 - t) * length[rows]
        near = join.access_m[rows] + np.minimum(via_u, via_v) <= limit
        key = np.unique(search[near] * max(join.n_points, 1) + join.point[rows[near]])
        cut = np.searchsorted(key, np.arange(1, len(chunk)) * max(join.n_points, 1))
        reach.extend(np.split(key % max(join.n_points, 1), cut))
    return reach


def _site_rows(
    nodes: np.ndarray, gains: np.ndarray, node_xy: np.ndarray, *, total: float, crs: Any
) -> list[dict[str, Any]]:
    """One record per chosen node, in order, with the persons it adds and the running total."""
    sites: list[dict[str, Any]] = []
    gained = 0.0
    for rank, (node, gain) in enumerate(zip(nodes.tolist(), gains.tolist(), strict=True), 1):
        gained += float(gain)
        lon, lat = lonlat([node_xy[node, 0]], [node_xy[node, 1]], crs)
        sites.append(
            {
                "rank": rank,
                "node_id": int(node),
                "lon": round(float(lon[0]), 6),
                "lat": round(float(lat[0]), 6),
                "x_m": round(float(node_xy[node, 0]), 2),
                "y_m": round(float(node_xy[node, 1]), 2),
                "persons_added": round(float(gain), 2),
                "coverage_added_pct": round(100.0 * float(gain) / total, 4),
                "cumulative_added_pct": round(100.0 * gained / total, 4),
            }
        )
    return sites


def missing_input(
    walk_nodes: gpd.GeoDataFrame,
    walk_edges: gpd.GeoDataFrame,
    population: PopulationCells | None,
    crs: CRS,
) -> str | None:
    """Why nothing can be computed (no population, no network), or ``None``."""
    if population is None:
        return reason("no_population_raster")
    if not CRS.from_user_input(population.crs).equals(crs):
        msg = (
            f"population: cells are in {population.crs}, the layers in {crs}; "
            "use Workspace.to_metric()"
        )
        raise CrsError(msg)
    if len(walk_nodes) == 0 or len(walk_edges) == 0:
        return reason("walk_network_empty")
    return None
