"""Benchmark: the 15-minute life circle, every facility type at once, beside one type alone.

Targets (issue 13 item 3): all nine types plus the types-reached layer in at most 1 s on the
100k-node synthetic grid and 100 ms on the demonstration county.  Both are timed in the same
run as the baseline, the single-type fitness circle (``compute_fitness_15min_coverage``, site
suggestions off), and as nine separate single-type runs (what the life circle would cost without
the shared graph and cell join):

- ``life circle``: ``compute_life_circle`` from the GeoDataFrames (one graph, one join of the
  cells, then one bounded multi-source Dijkstra per type, gap layers and the reach layer);
- ``one type``: ``compute_fitness_15min_coverage`` (its own graph and join);
- ``nine separate``: nine ``compute_fitness_15min_coverage`` runs with the nine thresholds.

The grid's facilities are synthetic: for each type one facility per 1,000 nodes at seeded random
points (community sports: the grid's sports layer, ``benchmarks/synthetic.py``).  The
demonstration county uses its OSM layers.

    .venv/bin/python -m benchmarks.bench_life_circle [--grid-nodes 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from benchmarks.common import from_scratch, load_demo_metric, table
from benchmarks.synthetic import CRS_GK, grid_arrays, grid_layers
from gis.facility_types import FACILITIES_LAYER, LIFE_CIRCLE_TYPE_IDS
from gis.indicators.fitness_coverage import compute_fitness_15min_coverage
from gis.indicators.life_circle import compute_life_circle
from gis.settings import IndicatorSettings

SETTINGS = IndicatorSettings(sites_k=0)
TARGET_GRID_S, TARGET_DEMO_S = 1.0, 0.1


def synthetic_facilities(extent: tuple[float, float, float, float], n_per_type: int) -> Any:
    """Seeded random points per life-circle type over the grid (made up: a benchmark input)."""
    rng = np.random.default_rng(13)
    x0, y0, x1, y1 = extent
    ids = [t for t in LIFE_CIRCLE_TYPE_IDS if t != "community_sports"]  # the sports layer's
    n = n_per_type * len(ids)
    xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    types = np.repeat(np.array(ids), n_per_type)
    return gpd.GeoDataFrame(
        {"facility_type": types}, geometry=gpd.GeoSeries(shapely.points(xy), crs=CRS_GK)
    )


def cpu_timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds (this process) of ``repeat`` calls, and the last result.

    On a shared machine the wall time includes waiting for a core; the process's CPU time does
    not, and for this single-threaded code it is what the wall time is on an idle machine.
    """
    walls, cpus, result = [], [], None
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def measure(
    name: str,
    nodes: Any,
    edges: Any,
    layers: dict[str, Any],
    pop: Any,
    built_up: Any,
    repeat: int,
    target_s: float,
) -> list[Any]:
    """Time the three ways on one county; return a table row."""

    def life_circle() -> Any:
        return compute_life_circle(
            nodes, edges, layers, pop, built_up, settings=SETTINGS, provenance={}
        )

    def one(settings: IndicatorSettings = SETTINGS) -> Any:
        return compute_fitness_15min_coverage(
            nodes, edges, layers["sports"], pop, built_up, settings=settings, provenance={}
        )

    def nine_separate() -> None:
        for facility in SETTINGS.life_circle:
            minutes = SETTINGS.life_circle_threshold_m(facility) / 60.0 / SETTINGS.walk_speed_m_s
            one(replace(SETTINGS, walk_minutes=minutes))

    life_circle()  # warm-up
    all_s, all_cpu, circle = cpu_timed(life_circle, repeat)
    one_s, one_cpu, single = cpu_timed(one, repeat)
    nine_s, nine_cpu, _ = cpu_timed(nine_separate, max(1, repeat // 2))
    sports = next(r for r in circle.results if r.id == "life_circle_community_sports")
    assert abs(sports.value - single.value) < 1e-9, (sports.value, single.value)
    return [
        name,
        f"{len(nodes):,}",
        f"{len(pop.persons):,}",
        f"{all_s * 1000:.1f} / {all_cpu * 1000:.1f}",
        f"{one_s * 1000:.1f} / {one_cpu * 1000:.1f}",
        f"{all_cpu / one_cpu:.2f}",
        f"{nine_s * 1000:.1f} / {nine_cpu * 1000:.1f}",
        f"{nine_cpu / all_cpu:.2f}",
        f"≤ {target_s * 1000:.0f} ms CPU: {'met' if all_cpu <= target_s else 'NOT met'}",
    ]


@from_scratch
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-nodes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    ws = load_demo_metric()
    demo_layers = {name: ws.layer(name) for name in (FACILITIES_LAYER, "parks", "sports")}
    rows.append(
        measure(
            "demonstration (real)",
            ws.layers["walk_nodes"],
            ws.layers["walk_edges"],
            demo_layers,
            ws.population,
            ws.layer("built_up"),
            args.repeat,
            TARGET_DEMO_S,
        )
    )
    grid = grid_arrays(args.grid_nodes)
    nodes, edges, sports, pop = grid_layers(grid)
    extent = (*grid.node_xy.min(axis=0), *grid.node_xy.max(axis=0))
    facilities = synthetic_facilities(extent, max(1, grid.n_nodes // 1000))
    grid_layers_ = {FACILITIES_LAYER: facilities, "parks": None, "sports": sports}
    rows.append(
        measure(
            f"synthetic grid {grid.n_nodes // 1000}k",
            nodes,
            edges,
            grid_layers_,
            pop,
            None,
            args.repeat,
            TARGET_GRID_S,
        )
    )
    head = [
        "county",
        "nodes",
        "cells",
        "life circle ms wall / CPU",
        "one type ms wall / CPU",
        "ratio (CPU)",
        "nine separate ms wall / CPU",
        "saved x (CPU)",
        "target",
    ]
    print(table(rows, head))
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores: with other work running, wall")
    print("times include waiting for a core; CPU times and the ratios are what to compare")


if __name__ == "__main__":
    main()
