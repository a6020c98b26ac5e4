"""Fitness-site suggestions on a hand-made street: exact vs greedy, fixed sites, excluded areas.

One straight street, nodes every 100 m from x = 0 to 5,400 m, walking reach 990 m (15 min at
1.1 m/s), homes on the street (so a home at x is reached from a node at n when |x - n| <= 990):

    x:        0     900    1800   2700   3600   4500   5400
    persons:  10    1      15     1      15     1      10

The candidates are the nodes at and beside the homes.  The node at 2700 reaches 1800, 2700 and
3600: 31 persons, the most, so greedy takes it first; then the best addition is 0 + 900 or
4500 + 5400, 11 persons: greedy 42.  The nodes at 900 (0, 900, 1800: 26) and 4500 (3600, 4500,
5400: 26) reach everyone but the 1 at 2700: 52, the optimum for two sites.
"""

from __future__ import annotations

import numpy as np
import pytest
from handmade import cells, path_network, points, square
from hypothesis import example, given, settings
from hypothesis import strategies as st

from benchmarks.bench_shortcuts import _reach_of_every_cell
from gis.indicators import fitness_coverage
from gis.indicators.fitness_coverage import WalkEdges, compute_fitness_15min_coverage
from gis.routing import EdgeJoin, edge_graph
from gis.settings import IndicatorSettings

HOMES_X = [0, 900, 1800, 2700, 3600, 4500, 5400]
PERSONS = [10.0, 1.0, 15.0, 1.0, 15.0, 1.0, 10.0]
TOTAL = sum(PERSONS)


def run(method: str, k: int = 2, **kwargs: object) -> dict:
    nodes, edges = path_network(55)  # 0 .. 5,400 m; node i at x = 100 i
    pop = cells([(x, 0) for x in HOMES_X], PERSONS)
    s = IndicatorSettings(sites_k=k, sites_method=method)
    result = compute_fitness_15min_coverage(
        nodes, edges, points([]), pop, None, settings=s, provenance={}, **kwargs
    )
    return result.details


def test_greedy_takes_the_middle_and_covers_42() -> None:
    details = run("greedy")
    sites = details["suggested_sites"]
    assert sites[0]["node_id"] == 27 and sites[0]["persons_added"] == 31.0
    assert sum(s["persons_added"] for s in sites) == 42.0
    assert {s["method"] for s in sites} == {"greedy"}
    assert details["site_search"]["method"] == "greedy"
    assert details["site_search"]["gap_pct"] is None


def test_exact_finds_the_two_end_sites_covering_52() -> None:
    details = run("exact")
    sites = details["suggested_sites"]
    assert sorted(s["node_id"] for s in sites) == [9, 45]
    assert [s["persons_added"] for s in sites] == [26.0, 26.0]
    assert sites[1]["cumulative_added_pct"] == pytest.approx(100 * 52 / TOTAL, abs=1e-3)
    search = details["site_search"]
    assert search["method"] == "exact" and search["optimal"] is True
    assert search["gap_pct"] == 0.0 and search["persons_added"] == 52.0
    assert search["greedy_persons_added"] == 42.0
    assert search["upper_bound_persons"] == pytest.approx(52.0)
    assert {s["method"] for s in sites} == {"exact"}


def test_a_fixed_site_covers_its_part_and_one_more_site_is_chosen_for_the_rest() -> None:
    # Fixed at x = 900: 0, 900 and 1800 are covered (26).  One more site: 4500 adds 26
    # (3600, 4500, 5400), 2700 only 16 (2700, 3600).
    details = run("exact", k=1, fixed_sites=points([(900, 0)]))
    assert [s["node_id"] for s in details["suggested_sites"]] == [45]
    assert details["suggested_sites"][0]["persons_added"] == 26.0
    assert details["fixed_sites"] == {
        "count": 1,
        "persons_added": 26.0,
        "coverage_added_pct": pytest.approx(100 * 26 / TOTAL, abs=1e-3),
    }


def test_no_site_is_suggested_inside_an_excluded_area() -> None:
    # Water over x = 4,350 .. 4,650 takes out nodes 44, 45 and 46.  Best pair left: 900 (26)
    # and 3600 (2700, 3600, 4500: 17) = 43; greedy: 2700 (31) then 900 (0, 900: 11) = 42.
    water = square(4350, -50, 4650, 50)
    exact = run("exact", excluded_areas=water)
    nodes = sorted(s["node_id"] for s in exact["suggested_sites"])
    assert not {44, 45, 46} & set(nodes)
    assert nodes == [9, 36] and exact["site_search"]["persons_added"] == 43.0
    greedy = run("greedy", excluded_areas=water)
    assert sum(s["persons_added"] for s in greedy["suggested_sites"]) == 42.0
    assert not {44, 45, 46} & {s["node_id"] for s in greedy["suggested_sites"]}


def test_excluding_every_candidate_leaves_no_suggestion() -> None:
    for method in ("exact", "greedy"):
        details = run(method, excluded_areas=square(-100, -100, 5500, 100))
        assert details["suggested_sites"] == []
        assert details["site_search"]["candidates"] == 0
        assert details["site_search"]["persons_added"] == 0.0


def test_a_fixed_site_covering_everyone_leaves_nothing_to_suggest() -> None:
    sites = [(x, 0) for x in (900, 2700, 4500)]
    details = run("exact", k=2, fixed_sites=points(sites))
    assert details["suggested_sites"] == [] and details["fixed_sites"]["persons_added"] == TOTAL
    search = details["site_search"]
    assert search["method"] is None and search["persons_added"] is None
    assert set(search) == set(run("exact")["site_search"])  # the same keys either way


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 12),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.integers(1, 400)), max_size=30),
    st.lists(
        st.tuples(st.integers(0, 29), st.integers(0, 300), st.integers(0, 100)),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 3),
    st.integers(50, 900),
)
@example(3, [(0, 1, 100), (1, 2, 50)], [(1, 0, 0)], 1, 100)  # reached at the very limit
def test_each_candidate_covers_the_cells_its_walks_reach(
    n_nodes: int,
    links: list[tuple[int, int, int]],
    rows: list[tuple[int, int, int]],
    batch: int,
    max_walk_m: int,
) -> None:
    """The cells measured from the edges a search reached are those every cell's walk gives.

    Random networks (loops, parallel and unreached edges), cells joined to one edge or to
    several at a tie, small search batches: the candidates' covered cells must be exactly
    those of measuring every uncovered cell's walk for every candidate (the way before, as
    benchmarks/bench_shortcuts.py times it).
    """
    links = [(a % n_nodes, b % n_nodes, w) for a, b, w in links] or [(0, 1 % n_nodes, 10)]
    u = np.array([a for a, _, _ in links], dtype=np.int64)
    v = np.array([b for _, b, _ in links], dtype=np.int64)
    length = np.array([float(w) for _, _, w in links])
    edges = WalkEdges(u, v, length, np.zeros(len(u), dtype=object))
    graph = edge_graph(n_nodes, u, v, length)
    point = np.repeat(np.arange(len(rows)), 1 + np.arange(len(rows)) % 2)  # ties: two rows
    pick = np.arange(len(point))
    edge = np.array([rows[p][0] % len(u) for p in point], dtype=np.int64)
    edge[1::3] = (edge[1::3] + 1) % len(u)
    access = np.array([float(rows[p][1]) for p in point]) + pick % 3
    fraction = np.array([rows[p][2] / 100.0 for p in point])
    join = EdgeJoin(point, edge, access, fraction, len(rows))
    candidates = np.arange(n_nodes, dtype=np.int64)
    monkey_budget = batch * n_nodes  # a batch of ``batch`` searches
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fitness_coverage, "REACH_BUDGET_CELLS", monkey_budget)
        got = fitness_coverage._candidate_reach(graph, candidates, edges, join, float(max_walk_m))
    want = _reach_of_every_cell(graph, candidates, edges, join, float(max_walk_m))
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
