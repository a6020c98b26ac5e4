"""Benchmark: fitness-site suggestions, exact maximal covering (HiGHS MILP) vs greedy.

Builds the site search's covering problem once per network (candidate nodes, the uncovered
cells each would cover; the same code as the indicator, :func:`site_problem`), then for
k = 5, 10, 20 solves it greedily and exactly (:func:`gis.siting.solve_cover`, time limit
``--time-limit``), and prints the persons covered by each, the greedy answer's shortfall
against the optimum (gap, %), both times and the ratio exact / greedy time.

Networks: the demonstration area (real OSM walk network) and a seeded 100,000-node synthetic
street grid (benchmarks/synthetic.py), with the product's 300 candidates and with
``--many-candidates`` (default 2,000) to load the solver.

    .venv/bin/python -m benchmarks.bench_siting [--grid-nodes 100000] [--time-limit 60]
    .venv/bin/python -m benchmarks.bench_siting --indicators-only  # compute_all: greedy vs exact
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.common import from_scratch, load_demo_metric, table, timed
from benchmarks.synthetic import grid_arrays, grid_layers
from gis.indicators import compute_all
from gis.indicators.fitness_coverage import (
    _cells,
    _facility_geoms,
    coverage_arrays,
    node_coordinates,
    site_problem,
    walk_edge_arrays,
)
from gis.routing import edge_graph
from gis.settings import IndicatorSettings
from gis.siting import CoverProblem, solve_cover

SETTINGS = IndicatorSettings()
KS = (5, 10, 20)


def build_problem(
    nodes: Any, edges_gdf: Any, sports: Any, population: Any, built_up: Any, candidates: int
) -> tuple[CoverProblem, float, float]:
    """The covering problem of a network, the time to build it (s) and all persons."""
    start = time.perf_counter()
    cells_xy, persons = _cells(population, built_up)
    node_xy = node_coordinates(nodes)
    edges = walk_edge_arrays(edges_gdf)
    graph = edge_graph(len(node_xy), edges.u, edges.v, edges.length_m)
    arrays = coverage_arrays(
        graph,
        node_xy,
        edges,
        _facility_geoms(sports),
        cells_xy,
        persons,
        max_walk_m=SETTINGS.max_walk_m,
        snap_m=SETTINGS.facility_snap_m,
    )
    found = site_problem(
        graph,
        node_xy,
        edges,
        arrays,
        persons,
        max_walk_m=SETTINGS.max_walk_m,
        max_candidates=candidates,
    )
    return found.problem, time.perf_counter() - start, float(persons.sum())


def compare(name: str, problem: CoverProblem, total: float, time_limit_s: float) -> list[list[Any]]:
    """One row per k: persons, gap, times."""
    rows = []
    for k in KS:
        greedy = solve_cover(problem, k, method="greedy")
        exact = solve_cover(problem, k, method="exact", time_limit_s=time_limit_s)
        best = exact.bound if exact.bound is not None else exact.value
        gap = 100.0 * (best - greedy.value) / best if best > 0 else 0.0
        rows.append(
            [
                name,
                problem.n_candidates,
                k,
                f"{greedy.value:,.0f}",
                f"{exact.value:,.0f}",
                f"{100.0 * (exact.value - greedy.value) / total:.2f}",
                f"{gap:.2f}",
                _optimal_text(optimal=exact.optimal, gap_pct=exact.gap_pct),
                f"{greedy.solve_s:.3f}",
                f"{exact.solve_s:.3f}",
                f"{exact.solve_s / max(greedy.solve_s, 1e-6):.0f}",
            ]
        )
    return rows


def indicator_cost(repeat: int = 5) -> None:
    """``compute_all`` on the demonstration area, greedy vs exact sites, alternately twice."""
    ws = load_demo_metric()
    rows = []
    for method in ("greedy", "exact", "greedy", "exact"):
        seconds, _ = timed(
            lambda m=method: compute_all(ws, IndicatorSettings(sites_method=m)), repeat=repeat
        )
        rows.append([method, f"{seconds:.3f}"])
    print(table(rows, ["sites_method", f"compute_all s (median of {repeat})"]))


def _optimal_text(*, optimal: bool, gap_pct: float | None) -> str:
    if optimal:
        return "yes"
    return "no (no bound)" if gap_pct is None else f"no ({gap_pct:.2f} %)"


@from_scratch
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-nodes", type=int, default=100_000)
    parser.add_argument("--many-candidates", type=int, default=2_000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--indicators-only",
        action="store_true",
        help="only time compute_all on the demo with sites_method greedy vs exact",
    )
    args = parser.parse_args(argv)
    if args.indicators_only:
        indicator_cost()
        return

    rows: list[list[Any]] = []
    ws = load_demo_metric()
    layers = ws.layers
    for n_cand in (SETTINGS.site_candidates_max,):  # the demo has fewer candidates than 300
        problem, build_s, total = build_problem(
            layers["walk_nodes"],
            layers["walk_edges"],
            ws.layer("sports"),
            ws.population,
            layers["built_up"],
            n_cand,
        )
        print(f"demo, {n_cand} candidates asked: problem built in {build_s:.2f} s")
        rows += compare("demo", problem, total, args.time_limit)

    grid = grid_arrays(args.grid_nodes)
    g_nodes, g_edges, g_sports, g_pop = grid_layers(grid)
    for n_cand in (SETTINGS.site_candidates_max, args.many_candidates):
        problem, build_s, total = build_problem(g_nodes, g_edges, g_sports, g_pop, None, n_cand)
        print(f"grid {grid.n_nodes:,}, {n_cand} candidates asked: built in {build_s:.2f} s")
        rows += compare(f"grid {grid.n_nodes // 1000}k", problem, total, args.time_limit)

    head = [
        "network",
        "cands",
        "k",
        "greedy persons",
        "exact persons",
        "exact-greedy pp",
        "greedy gap %",
        "optimal",
        "greedy s",
        "exact s",
        "exact/greedy",
    ]
    print(table(rows, head))
    print(f"(exact: HiGHS via scipy.optimize.milp, time limit {args.time_limit:g} s)")


if __name__ == "__main__":
    main()
