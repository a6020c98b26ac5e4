"""Benchmark 2: the path kernel vs a bare scipy.sparse.csgraph multi-source Dijkstra.

Same CSR graph, same sources, same distance limit:

- ours: ``gis.routing.multi_source_distances`` (virtual super-source with one edge
  per facility entry weighted by its walk offset, augmented CSR built per call);
- bare: ``scipy.sparse.csgraph.dijkstra(graph, indices=sources, min_only=True,
  limit=...)`` (no offsets, so it answers a slightly easier question).

With all offsets zero both must give identical distances (checked).  Target: ours
within 3x of bare.

    .venv/bin/python -m benchmarks.bench_kernel [--grid-nodes 100000 1000000] [--repeat 7]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from benchmarks.common import from_scratch, load_demo_metric, table, timed
from benchmarks.synthetic import grid_arrays
from gis.indicators.fitness_coverage import _facility_geoms, node_coordinates, snap_facilities
from gis.routing import edge_graph, multi_source_distances
from gis.settings import IndicatorSettings

LIMIT_M = IndicatorSettings().max_walk_m
MAX_RATIO = 3.0


def compare(
    name: str, graph: Any, sources: np.ndarray, offsets: np.ndarray, repeat: int
) -> list[Any]:
    """Time both kernels on one graph; return a table row."""
    uniq = np.unique(sources)
    same = multi_source_distances(graph, uniq, np.zeros(len(uniq)), LIMIT_M)
    bare_d = dijkstra(graph, directed=True, indices=uniq, min_only=True, limit=LIMIT_M)
    if not np.array_equal(same, bare_d):
        msg = f"{name}: kernel and bare scipy disagree with zero offsets"
        raise AssertionError(msg)
    ours_s, _ = timed(lambda: multi_source_distances(graph, sources, offsets, LIMIT_M), repeat)
    bare_s, _ = timed(
        lambda: dijkstra(graph, directed=True, indices=uniq, min_only=True, limit=LIMIT_M), repeat
    )
    ratio = ours_s / bare_s
    return [
        name,
        graph.shape[0],
        graph.nnz // 2,
        len(uniq),
        f"{ours_s * 1000:.2f}",
        f"{bare_s * 1000:.2f}",
        f"{ratio:.2f}",
        "yes" if ratio <= MAX_RATIO else "NO",
    ]


@from_scratch
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-nodes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    ws = load_demo_metric()
    nodes, edges = ws.layers["walk_nodes"], ws.layers["walk_edges"]
    xy = node_coordinates(nodes)
    graph = edge_graph(len(xy), edges["u"], edges["v"], edges["length_m"])
    src, off = snap_facilities(_facility_geoms(ws.layers["sports"]), xy, 100.0)
    rows = [compare("demo (real)", graph, src, off, args.repeat * 3)]
    for n in args.grid_nodes:
        g = grid_arrays(n)
        graph = edge_graph(g.n_nodes, g.u, g.v, g.length_m)
        src, off = snap_facilities(shapely.points(g.facility_xy), g.node_xy, 100.0)
        rows.append(compare(f"grid {n // 1000}k", graph, src, off, args.repeat))
    head = ["network", "nodes", "edges", "sources", "ours ms", "bare scipy ms", "ratio", "<= 3x"]
    print(f"path kernel, limit {LIMIT_M:g} m, median of repeats")
    print(table(rows, head))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
