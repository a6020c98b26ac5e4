"""The common method for walking-distance coverage, after ITDP's pedestriansfirst.

For each facility: join it to the network (the same entry nodes and walks as the
indicator uses, so both methods start from the same places), run networkx
``single_source_dijkstra_path_length`` with a distance cutoff, collect the reached
edges (the reachable part of an edge at the limit, cut with
``shapely.ops.substring``), buffer them into a service polygon, union the
polygons of all facilities and sum the population of the cells whose centre lies
inside (the zonal statistics of a raster at cell resolution).

The buffer is the method's own parameter: it stands for the walk from a home to the
street, the same for everybody, and caps it (a home farther than the buffer from every
reached street is never covered).  ITDP uses 100 m; benchmarks/bench_coverage.py
uses that, and shows the figure's sensitivity to it, rather than fitting it.

This is the baseline the benchmarks compare against; it is not used by the product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.ops import substring

from gis.workspace import PopulationCells


@dataclass(frozen=True)
class BaselineResult:
    """Coverage figure of the baseline and how many facilities it searched from."""

    coverage_pct: float
    facilities_searched: int
    facilities_total: int


def build_graph(walk_nodes: gpd.GeoDataFrame, walk_edges: gpd.GeoDataFrame) -> nx.MultiGraph:
    """A networkx MultiGraph with ``length`` and ``geometry`` on each edge (as osmnx keeps them)."""
    G = nx.MultiGraph()
    for node_id, point in zip(walk_nodes["node_id"], walk_nodes.geometry, strict=True):
        G.add_node(int(node_id), x=point.x, y=point.y)
    for u, v, length, geom in zip(
        walk_edges["u"], walk_edges["v"], walk_edges["length_m"], walk_edges.geometry, strict=True
    ):
        G.add_edge(int(u), int(v), length=float(length), geometry=geom, start=int(u))
    return G


def service_polygon(
    G: nx.MultiGraph, source: object, cutoff_m: float, buffer_m: float
) -> shapely.Geometry:
    """Buffered reached edges of one facility's search (edges without geometry skipped)."""
    dist = nx.single_source_dijkstra_path_length(G, source, cutoff=cutoff_m, weight="length")
    pieces = []
    seen = set()
    for node in dist:
        for nbr, keyed in G[node].items():
            for key, data in keyed.items():
                if "geometry" not in data:
                    continue  # the virtual facility edges
                edge_key = (min(node, nbr), max(node, nbr), key)
                if edge_key in seen:
                    continue
                seen.add(edge_key)
                pieces.extend(_reached_parts(data, node, nbr, dist, cutoff_m))
    if not pieces:
        return shapely.Polygon()
    return shapely.union_all(shapely.buffer(np.asarray(pieces, dtype=object), buffer_m))


def _reached_parts(
    data: dict, a: int, b: int, dist: dict[int, float], cutoff_m: float
) -> list[shapely.Geometry]:
    """The reached part(s) of edge a-b: whole, or the ends walked in from each side."""
    geom, length = data["geometry"], data["length"]
    if length <= 0:
        return [geom]
    from_start = cutoff_m - dist.get(data["start"], math.inf)
    other = b if data["start"] == a else a
    from_end = cutoff_m - dist.get(other, math.inf)
    if max(from_start, 0) + max(from_end, 0) >= length:
        return [geom]
    parts = []
    scale = geom.length / length
    if from_start > 0:
        parts.append(substring(geom, 0, from_start * scale))
    if from_end > 0:
        parts.append(substring(geom, geom.length - from_end * scale, geom.length))
    return parts


def itdp_coverage(
    walk_nodes: gpd.GeoDataFrame,
    walk_edges: gpd.GeoDataFrame,
    sports: gpd.GeoDataFrame,
    population: PopulationCells,
    *,
    cutoff_m: float,
    buffer_m: float,
    snap_m: float = 100.0,
    max_facilities: int | None = None,
    seed: int = 1,
) -> tuple[BaselineResult, shapely.Geometry]:
    """Coverage (%) of ``population`` by the union of the facilities' service polygons.

    With ``max_facilities`` only a random sample is searched (to extrapolate the time);
    the coverage figure is then not comparable and the caller must say so.
    """
    G = build_graph(walk_nodes, walk_edges)
    entries = facility_entries(walk_nodes, sports, snap_m)
    if max_facilities is not None and max_facilities < len(entries):
        rng = np.random.default_rng(seed)
        entries = [entries[i] for i in rng.choice(len(entries), max_facilities, replace=False)]
    polygons = []
    for nodes, offsets in entries:  # one search per facility, from a temporary virtual node
        G.add_weighted_edges_from(
            [("facility", n, o) for n, o in zip(nodes, offsets, strict=True)], weight="length"
        )
        polygons.append(service_polygon(G, "facility", cutoff_m, buffer_m))
        G.remove_node("facility")
    served = shapely.union_all(polygons)
    shapely.prepare(served)
    inside = shapely.contains_xy(served, population.x_m, population.y_m)
    pct = 100.0 * float(population.persons[inside].sum()) / float(population.persons.sum())
    return BaselineResult(pct, len(polygons), len(sports)), served


def facility_entries(
    walk_nodes: gpd.GeoDataFrame, sports: gpd.GeoDataFrame, snap_m: float
) -> list[tuple[list[int], list[float]]]:
    """Per facility: the nodes within ``snap_m`` (and the nearest) with the walk to it (m).

    Written with a per-facility loop over a k-d tree, independently of gis.indicators.
    """
    xy = np.column_stack([walk_nodes.geometry.x, walk_nodes.geometry.y])
    node_ids = walk_nodes["node_id"].to_numpy()
    tree = cKDTree(xy)
    out = []
    for geom in sports.geometry:
        c = geom.centroid
        minx, miny, maxx, maxy = geom.bounds
        radius = snap_m + 0.5 * math.hypot(maxx - minx, maxy - miny)  # a disc holding the zone
        near = tree.query_ball_point([c.x, c.y], r=radius)
        near += list(np.atleast_1d(tree.query([c.x, c.y], k=min(16, len(xy)))[1]))
        near = sorted(set(int(k) for k in near))
        d = shapely.distance(geom, shapely.points(xy[near]))
        picked = {
            int(node_ids[k]): float(dk) for k, dk in zip(near, d, strict=True) if dk <= snap_m
        }
        k0 = near[int(np.argmin(d))]
        picked.setdefault(int(node_ids[k0]), float(d.min()))
        out.append((list(picked), list(picked.values())))
    return out
