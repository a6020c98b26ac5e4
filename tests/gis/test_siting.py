"""Maximal covering: hand-worked instances where greedy is provably worse, and the solver's optimum
checked against brute force."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gis.siting as siting
from gis.siting import (
    CoverProblem,
    ExactOutcome,
    cover_matrix,
    exact_cover,
    greedy_cover,
    reduce_problem,
    solve_cover,
)


def problem(rows: list[list[int]], weights: list[float]) -> CoverProblem:
    return CoverProblem(np.asarray(weights, dtype=float), cover_matrix(rows))


# Homes 0..3 with 1, 1.5, 1.5, 1 persons.  A covers homes 0, 1; B homes 2, 3; C homes 1, 2.
# Greedy: C first (3 persons, more than A's or B's 2.5), then A or B adds 1: 4 persons.
# A and B together cover all 5 persons.
ABC = problem([[1, 0, 0], [1, 0, 1], [0, 1, 1], [0, 1, 0]], [1.0, 1.5, 1.5, 1.0])


def test_greedy_is_worse_than_the_exact_optimum_on_the_abc_instance() -> None:
    greedy = solve_cover(ABC, 2, method="greedy")
    exact = solve_cover(ABC, 2, method="exact", time_limit_s=10)
    assert greedy.chosen.tolist() == [2, 0] and greedy.value == pytest.approx(4.0)
    assert greedy.method == "greedy" and greedy.gap_pct is None and greedy.optimal is False
    assert sorted(exact.chosen.tolist()) == [0, 1] and exact.value == pytest.approx(5.0)
    assert exact.method == "exact" and exact.optimal is True and exact.gap_pct == 0.0
    assert exact.greedy_value == pytest.approx(4.0)
    assert exact.gains.tolist() == pytest.approx([2.5, 2.5])  # each adds to those before it


def test_three_sites_greedy_misses_a_quarter() -> None:
    # Six homes of 10 persons in pairs; sites P, Q, R cover the pairs (0, 1), (2, 3), (4, 5).
    # The decoy D covers homes 1, 3, 5 and home 6 of 9 persons: 39, more than any pair's 20.
    # Greedy takes D, then two pairs add 10 each: 59.  P, Q and R cover the six homes: 60.
    rows = [
        [1, 0, 0, 0],
        [1, 0, 0, 1],
        [0, 1, 0, 0],
        [0, 1, 0, 1],
        [0, 0, 1, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
    ]
    p = problem(rows, [10, 10, 10, 10, 10, 10, 9])
    greedy = solve_cover(p, 3, method="greedy")
    exact = solve_cover(p, 3, method="exact", time_limit_s=10)
    assert greedy.chosen[0] == 3 and greedy.value == pytest.approx(59.0)
    assert sorted(exact.chosen.tolist()) == [0, 1, 2] and exact.value == pytest.approx(60.0)
    assert exact.optimal


def test_reduction_merges_rows_and_columns_and_drops_uncoverable_demand() -> None:
    # home 3 is covered by nobody; homes 0 and 1 by the same sites; sites 1 and 2 are identical
    rows = [[1, 1, 1], [1, 1, 1], [0, 1, 1], [0, 0, 0]]
    reduced, cols = reduce_problem(problem(rows, [2.0, 3.0, 4.0, 100.0]))
    assert cols.tolist() == [0, 1]
    assert sorted(reduced.weights.tolist()) == [4.0, 5.0]
    assert reduced.cover.shape == (2, 2)
    best = exact_cover(problem(rows, [2.0, 3.0, 4.0, 100.0]), 1, time_limit_s=10)
    assert best.chosen is not None and best.chosen.tolist() == [1] and best.value == 9.0
    assert (best.reduced_demand, best.reduced_candidates) == (2, 2)


def test_fewer_useful_sites_than_k_and_nothing_to_cover() -> None:
    p = problem([[1, 0], [0, 0]], [5.0, 7.0])
    for method in ("exact", "greedy"):
        out = solve_cover(p, 3, method=method, time_limit_s=5)
        assert out.chosen.tolist() == [0] and out.value == 5.0
    empty = problem([[0, 0]], [5.0])
    assert solve_cover(empty, 2).chosen.tolist() == []
    assert solve_cover(ABC, 0).chosen.tolist() == []


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method must be one of exact, greedy"):
        solve_cover(ABC, 2, method="lp")


def test_when_the_solver_runs_out_of_time_the_better_answer_and_its_gap_are_given(
    monkeypatch: Any,
) -> None:
    def slow(p: CoverProblem, k: int, *, time_limit_s: float) -> ExactOutcome:
        # what HiGHS answers at its time limit: a worse incumbent (C alone) and a bound of 5.5
        return ExactOutcome(np.array([2]), 3.0, 5.5, False, time_limit_s, "time_limit", 4, 3)

    monkeypatch.setattr(siting, "exact_cover", slow)
    out = solve_cover(ABC, 2, method="exact", time_limit_s=0.5)
    assert out.method == "greedy" and out.optimal is False
    assert out.value == pytest.approx(4.0)
    assert out.gap_pct == pytest.approx(100 * (5.5 - 4.0) / 5.5)
    assert out.status == "time_limit"

    def none_found(p: CoverProblem, k: int, *, time_limit_s: float) -> ExactOutcome:
        return ExactOutcome(None, 0.0, None, False, time_limit_s, "time_limit", 4, 3)

    monkeypatch.setattr(siting, "exact_cover", none_found)
    out = solve_cover(ABC, 2, method="exact", time_limit_s=0.5)
    assert out.method == "greedy" and out.gap_pct is None and out.value == pytest.approx(4.0)


def _brute_force(p: CoverProblem, k: int) -> float:
    dense = p.cover.toarray() > 0
    best = 0.0
    for size in range(min(k, dense.shape[1]) + 1):
        for combo in itertools.combinations(range(dense.shape[1]), size):
            covered = dense[:, list(combo)].any(axis=1) if combo else np.zeros(len(dense), bool)
            best = max(best, float(p.weights[covered].sum()))
    return best


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=7).flatmap(
        lambda n_cand: st.tuples(
            st.lists(
                st.lists(st.booleans(), min_size=n_cand, max_size=n_cand), min_size=1, max_size=9
            ),
            st.lists(st.integers(min_value=1, max_value=50), min_size=9, max_size=9),
            st.integers(min_value=1, max_value=4),
        )
    )
)
def test_the_exact_answer_is_the_brute_force_optimum(case: tuple[Any, Any, int]) -> None:
    rows, weights, k = case
    p = problem([[int(b) for b in r] for r in rows], [float(w) for w in weights[: len(rows)]])
    best = _brute_force(p, k)
    exact = solve_cover(p, k, method="exact", time_limit_s=10)
    greedy_value = float(greedy_cover(p, k)[1].sum())
    assert exact.optimal and exact.value == pytest.approx(best)
    assert len(exact.chosen) <= k and len(set(exact.chosen.tolist())) == len(exact.chosen)
    covered = (p.cover.toarray()[:, exact.chosen] > 0).any(axis=1)
    assert float(p.weights[covered].sum()) == pytest.approx(best)  # the sites really cover it
    assert (1 - 1 / math.e) * best - 1e-9 <= greedy_value <= best + 1e-9
