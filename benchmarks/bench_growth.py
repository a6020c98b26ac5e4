"""Benchmark 4: growth of the coverage kernel on synthetic grids of ~10k, 100k and 1M nodes.

Each size runs in its own subprocess (so peak memory is that size's alone) on a grid
from ``benchmarks.synthetic`` with population (100 m cells) and facilities (one per
1,000 nodes) proportional to the nodes.  Measured:

- ``kernel``: ``edge_graph`` + ``coverage_arrays`` (each cell joined to the nearest
  point of its nearest edge, facilities to nodes, one multi-source Dijkstra, covered
  cells) from plain arrays and the edge LineStrings, median of 3;
- ``end to end``: ``compute_fitness_15min_coverage`` from GeoDataFrames (site
  suggestions off), one run;
- peak memory: ``tracemalloc`` peak during one kernel run, and the subprocess's
  ``ru_maxrss`` (everything: Python, libraries, the grid, its GeoDataFrames).

``t / (n log n)`` is normalised to the smallest grid; a constant means n log n growth.

    .venv/bin/python -m benchmarks.bench_growth [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
import tracemalloc

from benchmarks.common import ROOT, from_scratch, table, timed
from benchmarks.synthetic import grid_arrays, grid_layers

LIMIT_GB = 4.0


def measure(n: int) -> dict[str, float]:
    """Run in the child: time and memory of one size."""
    import numpy as np
    import shapely

    from gis.indicators.fitness_coverage import (
        WalkEdges,
        compute_fitness_15min_coverage,
        coverage_arrays,
    )
    from gis.routing import edge_graph
    from gis.settings import IndicatorSettings

    settings = IndicatorSettings(sites_k=0)
    grid = grid_arrays(n)
    facilities = shapely.points(grid.facility_xy)
    lines = shapely.linestrings(np.stack([grid.node_xy[grid.u], grid.node_xy[grid.v]], axis=1))
    edges = WalkEdges(grid.u, grid.v, grid.length_m, lines)

    def kernel() -> float:
        graph = edge_graph(grid.n_nodes, grid.u, grid.v, grid.length_m)
        arrays = coverage_arrays(
            graph,
            grid.node_xy,
            edges,
            facilities,
            grid.cell_xy,
            grid.persons,
            max_walk_m=settings.max_walk_m,
            snap_m=settings.facility_snap_m,
        )
        return 100.0 * arrays.fraction(grid.persons)

    kernel_s, coverage = timed(kernel, 3)
    tracemalloc.start()
    kernel()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    layers = grid_layers(grid)
    start = time.perf_counter()
    e2e = compute_fitness_15min_coverage(*layers, None, settings=settings, provenance={})
    e2e_s = time.perf_counter() - start
    if abs(e2e.value - coverage) > 1e-9:
        msg = f"end-to-end {e2e.value} differs from the kernel {coverage}"
        raise AssertionError(msg)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": grid.n_nodes,
        "edges": len(grid.u),
        "cells": len(grid.persons),
        "facilities": len(grid.facility_xy),
        "kernel_s": kernel_s,
        "e2e_s": e2e_s,
        "coverage_pct": coverage,
        "traced_peak_mb": traced_peak / 2**20,
        "maxrss_mb": rss_kb / 1024,
    }


@from_scratch
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    runs = []
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_growth", "--child", str(n)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = runs[0]["kernel_s"] / (runs[0]["n"] * math.log(runs[0]["n"]))
    rows, prev = [], None
    for r in runs:
        nlogn = r["kernel_s"] / (r["n"] * math.log(r["n"])) / base
        slope = (
            ""
            if prev is None
            else (
                f"{math.log(r['kernel_s'] / prev['kernel_s']) / math.log(r['n'] / prev['n']):.2f}"
            )
        )
        rows.append(
            [
                r["n"],
                r["edges"],
                r["cells"],
                r["facilities"],
                f"{r['kernel_s']:.3f}",
                f"{nlogn:.2f}",
                slope,
                f"{r['e2e_s']:.2f}",
                f"{r['coverage_pct']:.2f}",
                f"{r['traced_peak_mb']:.0f}",
                f"{r['maxrss_mb']:.0f}",
                "yes" if r["maxrss_mb"] < LIMIT_GB * 1024 else "NO",
            ]
        )
        prev = r
    head = [
        "nodes",
        "edges",
        "cells",
        "facilities",
        "kernel s",
        "t/(n log n)",
        "exponent",
        "end-to-end s",
        "coverage %",
        "kernel peak MB",
        "process max RSS MB",
        "< 4 GB",
    ]
    print("coverage kernel growth (exponent = log(t2/t1)/log(n2/n1); n log n gives ~1.1)")
    print(table(rows, head))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
