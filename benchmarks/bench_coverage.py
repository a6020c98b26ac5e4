"""Benchmark 1: 15-minute coverage end to end, ours vs the ITDP pedestriansfirst method.

Both start from the loaded network (walk_nodes, walk_edges), the sports facilities and
the population cells, and end with the coverage figure (%):

- ours: ``compute_fitness_15min_coverage`` (CSR graph with the shortest parallel
  edges, each home joined at the nearest point of its nearest walk edge, facilities
  at their nodes, ONE multi-source Dijkstra), site suggestions off;
- ITDP: networkx single-source Dijkstra per facility with a cutoff, reached edges
  (part-edges at the limit) buffered into service polygons, union, population of
  the cells inside (benchmarks/itdp_baseline.py).

The two methods model the walk from home to the street differently.  Ours charges
each home its own straight walk to the nearest street point against the 990 m.
ITDP has one buffer ``b`` for everybody: a home counts when it lies within ``b`` of
a reached street, whatever its real walk.  The buffer is ITDP's free parameter and
is NOT fitted to our figure.  The benchmark's comparison uses ITDP's own published
buffer, 100 m, with the cutoff lowered to 990 m - 100 m = 890 m so that neither method
counts a walk longer than 990 m (street part plus the buffer's straight part).  It
also prints ITDP as published (cutoff 990 m + 100 m buffer, walks up to 1,090 m),
ITDP with ``b`` = the population-weighted median home-to-street distance (cutoff
990 m - ``b``), the figure's sensitivity to ``b``, and where the two methods disagree.

    .venv/bin/python -m benchmarks.bench_coverage [--grid-nodes 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree

from benchmarks.common import from_scratch, load_demo_metric, table, timed
from benchmarks.itdp_baseline import itdp_coverage
from benchmarks.synthetic import grid_arrays, grid_layers
from gis.indicators.fitness_coverage import (
    _facility_geoms,
    compute_fitness_15min_coverage,
    coverage_arrays,
    node_coordinates,
    snap_facilities,
    walk_edge_arrays,
)
from gis.routing import edge_graph, multi_source_distances, nearest_edge_points
from gis.settings import IndicatorSettings

SETTINGS = IndicatorSettings(sites_k=0)
MIN_SPEEDUP, MAX_DIFF_PP = 20.0, 1.0
ITDP_BUFFER_M = 100.0  # ITDP pedestriansfirst's service-area buffer around reached streets


def _cells(population: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.column_stack([population.x_m, population.y_m]), np.asarray(population.persons)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def median_access_m(edges: Any, population: Any) -> float:
    """Population-weighted median straight walk from a cell centre to its nearest street (m)."""
    xy, persons = _cells(population)
    join = nearest_edge_points(np.asarray(edges.geometry.values, dtype=object), xy)
    return _weighted_median(np.minimum.reduceat(join.access_m, join.starts()), persons)


def compare(
    name: str, nodes: Any, edges: Any, sports: Any, population: Any, repeat: int
) -> list[Any]:
    """Time both methods on one network; return a table row."""

    def run_ours() -> Any:
        return compute_fitness_15min_coverage(
            nodes, edges, sports, population, None, settings=SETTINGS, provenance={}
        )

    run_ours()  # warm-up
    ours_s, ours = timed(run_ours, repeat)
    limit = SETTINGS.max_walk_m
    itdp_s, (itdp, _) = timed(
        lambda: itdp_coverage(
            nodes, edges, sports, population, cutoff_m=limit - ITDP_BUFFER_M, buffer_m=ITDP_BUFFER_M
        )
    )
    b = max(1.0, median_access_m(edges, population))
    median_b, _ = itdp_coverage(nodes, edges, sports, population, cutoff_m=limit - b, buffer_m=b)
    published, _ = itdp_coverage(
        nodes, edges, sports, population, cutoff_m=limit, buffer_m=ITDP_BUFFER_M
    )
    diff = abs(ours.value - itdp.coverage_pct)
    speedup = itdp_s / ours_s
    return [
        name,
        len(nodes),
        len(edges),
        len(sports),
        len(population.persons),
        f"{ours_s * 1000:.1f}",
        f"{itdp_s:.2f}",
        f"{speedup:.0f}x",
        f"{ours.value:.2f}",
        f"{itdp.coverage_pct:.2f}",
        f"{diff:.2f}",
        f"{published.coverage_pct:.2f}",
        f"{median_b.coverage_pct:.2f} (b={b:.0f} m)",
        "yes" if speedup >= MIN_SPEEDUP and diff <= MAX_DIFF_PP else "NO",
    ]


def buffer_sensitivity(nodes: Any, edges: Any, sports: Any, population: Any) -> str:
    """ITDP's figure on one network for several buffers (cutoff = 990 m - buffer)."""
    rows = []
    for b in (50.0, 75.0, 100.0, 125.0, 150.0):
        res, _ = itdp_coverage(
            nodes, edges, sports, population, cutoff_m=SETTINGS.max_walk_m - b, buffer_m=b
        )
        rows.append([f"{b:g}", f"{SETTINGS.max_walk_m - b:g}", f"{res.coverage_pct:.2f}"])
    return table(rows, ["buffer m", "cutoff m", "ITDP %"])


def disagreement(nodes: Any, edges: Any, sports: Any, population: Any) -> str:
    """Where ours and ITDP (100 m buffer, cutoff 890 m) differ, by the home's walk to its street.

    Per cell: covered by ours (edge join, 990 m in all) and by ITDP (centre inside the
    buffered reached streets), in % of all persons, split by the cell's straight walk to
    its nearest street (``a``) against the buffer.
    """
    xy, persons = _cells(population)
    node_xy = node_coordinates(nodes)
    walk = walk_edge_arrays(edges)
    graph = edge_graph(len(node_xy), walk.u, walk.v, walk.length_m)
    arrays = coverage_arrays(
        graph,
        node_xy,
        walk,
        _facility_geoms(sports),
        xy,
        persons,
        max_walk_m=SETTINGS.max_walk_m,
        snap_m=SETTINGS.facility_snap_m,
    )
    _, served = itdp_coverage(
        nodes,
        edges,
        sports,
        population,
        cutoff_m=SETTINGS.max_walk_m - ITDP_BUFFER_M,
        buffer_m=ITDP_BUFFER_M,
    )
    shapely.prepare(served)
    itdp = shapely.contains_xy(served, xy[:, 0], xy[:, 1])
    total = float(persons.sum())
    rows = []
    for label, near in (
        (f"a <= {ITDP_BUFFER_M:g} m", arrays.access_m <= ITDP_BUFFER_M),
        (f"a > {ITDP_BUFFER_M:g} m", arrays.access_m > ITDP_BUFFER_M),
    ):

        def pct(mask: np.ndarray, near: np.ndarray = near) -> str:
            return f"{100.0 * float(persons[mask & near].sum()) / total:.2f}"

        rows.append(
            [
                label,
                pct(np.ones(len(persons), dtype=bool)),
                pct(arrays.covered & itdp),
                pct(arrays.covered & ~itdp),
                pct(~arrays.covered & itdp),
            ]
        )
    head = ["home-to-street walk a", "% persons", "both cover", "ours only", "ITDP only"]
    return table(rows, head)


def node_join_pct(nodes: Any, edges: Any, sports: Any, population: Any) -> float:
    """Coverage if each cell joined the network at its nearest node (DESIGN.md's wording).

    A diagnostic (the rule before the edge join), not the indicator.
    """
    xy, persons = _cells(population)
    node_xy = node_coordinates(nodes)
    graph = edge_graph(len(node_xy), edges["u"], edges["v"], edges["length_m"])
    entries, walks = snap_facilities(_facility_geoms(sports), node_xy, SETTINGS.facility_snap_m)
    dist = multi_source_distances(graph, entries, walks, SETTINGS.max_walk_m)
    access, node = cKDTree(node_xy).query(xy)
    covered = dist[node] + access <= SETTINGS.max_walk_m
    return 100.0 * float(persons[covered].sum()) / float(persons.sum())


@from_scratch
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-nodes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    ws = load_demo_metric()
    demo = (ws.layers["walk_nodes"], ws.layers["walk_edges"], ws.layers["sports"], ws.population)
    rows = [compare("demo (real)", *demo, repeat=args.repeat)]
    grid = grid_layers(grid_arrays(args.grid_nodes))
    rows.append(compare(f"grid {args.grid_nodes // 1000}k", *grid, repeat=args.repeat))
    head = [
        "network",
        "nodes",
        "edges",
        "facilities",
        "cells",
        "ours ms",
        "ITDP s",
        "speed-up",
        "ours %",
        "ITDP 890/100 %",
        "|diff| pp",
        "ITDP 990/100 %",
        "ITDP median-b %",
        "target met",
    ]
    limit = SETTINGS.max_walk_m
    print(
        f"15-minute coverage ({SETTINGS.walk_minutes:g} min x {SETTINGS.walk_speed_m_s} m/s = "
        f"{limit:g} m), ours median of {args.repeat} after a warm-up, ITDP one run"
    )
    print(table(rows, head))
    print(
        f"targets: speed-up >= {MIN_SPEEDUP:g}x and |diff| <= {MAX_DIFF_PP:g} pp vs ITDP with "
        f"its own {ITDP_BUFFER_M:g} m buffer and cutoff {limit - ITDP_BUFFER_M:g} m "
        f"(= {limit:g} m - buffer, so neither counts a walk over {limit:g} m);\n"
        "the buffer is ITDP's published parameter, not fitted to our figure. "
        "990/100: ITDP as published (walks up to 1,090 m); median-b: buffer = the "
        "population-weighted median home-to-street distance, cutoff 990 m - b"
    )
    print("\nITDP's figure on the real network depends on its buffer (the home-to-street walk):")
    print(buffer_sensitivity(*demo))
    print(
        "\nwhere the two differ on the real network (% of all persons; a = the home's "
        "straight walk to its nearest street):"
    )
    print(disagreement(*demo))
    print(
        "\ndiagnostic: homes joined at their nearest node instead of their nearest street "
        f"point would give {node_join_pct(*demo):.2f} % on the real network"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
