"""Maximal covering location (MCLP): choose ``k`` sites covering the most weighted demand.

The problem (Church & ReVelle 1974): demand points :math:`i` with weights :math:`w_i`
(persons), candidate sites :math:`j`, and :math:`N_i` the candidates that cover
:math:`i`.

.. math::

    \\max \\sum_i w_i y_i \\quad \\text{s.t.} \\quad
    y_i \\le \\sum_{j \\in N_i} x_j, \\quad \\sum_j x_j \\le k, \\quad
    x_j \\in \\{0, 1\\}, \\quad 0 \\le y_i \\le 1

(:math:`y` may stay continuous: with :math:`x` integral an optimal :math:`y` is 0 or 1).
Two solvers share one problem type, :class:`CoverProblem`:

* :func:`greedy_cover` adds, ``k`` times, the candidate covering the most still-uncovered
  weight: a :math:`(1 - 1/e)` approximation (Nemhauser, Wolsey & Fisher 1978), fast;
* :func:`exact_cover` solves the integer programme with HiGHS through
  :func:`scipy.optimize.milp`, within a time limit, after reducing the problem
  (:func:`reduce_problem`: demand no candidate covers dropped, demand covered by the same
  candidates merged, candidates covering the same demand merged).

:func:`solve_cover` runs the method asked for: ``"exact"`` offers the solver's answer when it
proves it optimal within the time limit, else the better of the solver's best answer and the
greedy one (with the solver's gap); ``"greedy"`` skips the solver.  Sites already fixed (existing
or decided) are handled by the caller: their demand is removed before the problem is built.

Three candidates over four homes: A covers homes 0 and 1, B homes 2 and 3, C homes 1 and 2;
homes 1 and 2 hold 1.5 persons, homes 0 and 3 one.  Greedy takes C first (3 persons), then
adds 1: 4 persons.  A and B cover everyone, 5 persons.

>>> cover = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 1], [0, 1, 0]], dtype=bool)
>>> p = CoverProblem(np.array([1.0, 1.5, 1.5, 1.0]), cover_matrix(cover))
>>> chosen, gains = greedy_cover(p, 2)
>>> chosen.tolist(), gains.tolist()
([2, 0], [3.0, 1.0])
>>> best = exact_cover(p, 2, time_limit_s=10)
>>> best.chosen.tolist(), best.value, best.optimal
([0, 1], 5.0, True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from gis.settings import SITE_METHODS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
METHODS = SITE_METHODS
MIP_REL_GAP = 1e-9  # prove optimality (HiGHS' default stops at 1e-4, 0.01 % short of it)
# HiGHS' own presolve is switched off: on a 2,000-candidate grid problem (200 k non-zeros) it
# spent 26 s before the first LP, while the unpresolved root LP was integral in 6.6 s.


@dataclass(frozen=True)
class CoverProblem:
    """Demand weights and the covering matrix (``demand x candidates``, 1 where covered)."""

    weights: FloatArray
    cover: sp.csc_matrix

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites (columns)."""
        return int(self.cover.shape[1])


@dataclass(frozen=True)
class ExactOutcome:
    """What the integer programme gave: chosen candidates (``None`` when none found in time)."""

    chosen: IntArray | None
    value: float
    bound: float | None
    optimal: bool
    solve_s: float
    status: str
    reduced_demand: int
    reduced_candidates: int


@dataclass(frozen=True)
class CoverSolution:
    """Chosen candidates in pick order with the weight each adds, and how they were found.

    ``gap_pct`` is ``100 (bound - value) / bound`` against the solver's upper bound (0 when
    proven optimal, ``None`` when the solver did not run); ``greedy_value`` is what the greedy
    answer covers, for comparison.
    """

    chosen: IntArray
    gains: FloatArray
    method: str
    optimal: bool
    gap_pct: float | None
    bound: float | None
    solve_s: float
    greedy_value: float
    status: str
    reduced_demand: int | None = None
    reduced_candidates: int | None = None

    @property
    def value(self) -> float:
        """The weight the chosen sites cover."""
        return float(self.gains.sum())


def cover_matrix(dense: npt.ArrayLike) -> sp.csc_matrix:
    """A covering matrix from a dense ``demand x candidates`` boolean array."""
    return sp.csc_matrix(np.asarray(dense, dtype=bool).astype(np.float64))


def cover_from_reach(reach: list[npt.NDArray[np.int64]], n_demand: int) -> sp.csc_matrix:
    """The covering matrix from each candidate's covered demand positions.

    >>> cover_from_reach([np.array([0, 2]), np.array([1])], 3).toarray().tolist()
    [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """
    rows = (
        np.concatenate([np.asarray(r, dtype=np.int64) for r in reach])
        if reach
        else np.zeros(0, dtype=np.int64)
    )
    cols = np.repeat(np.arange(len(reach)), [len(r) for r in reach])
    data = np.ones(len(cols))
    return sp.csc_matrix((data, (rows, cols)), shape=(n_demand, len(reach)))


def greedy_cover(problem: CoverProblem, k: int) -> tuple[IntArray, FloatArray]:
    """Up to ``k`` candidates, each adding the most uncovered weight (ties: the lower index).

    Stops early when no candidate adds anything.  Returns the picks and their gains.
    """
    weights = problem.weights.astype(np.float64).copy()
    cover = problem.cover.tocsc()
    chosen: list[int] = []
    gains: list[float] = []
    for _ in range(max(0, k)):
        if cover.shape[1] == 0:
            break
        gain = cover.T @ weights
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(gain[best]))
        weights[cover.indices[cover.indptr[best] : cover.indptr[best + 1]]] = 0.0
    return np.asarray(chosen, dtype=np.int64), np.asarray(gains, dtype=np.float64)


def order_by_gain(problem: CoverProblem, chosen: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
    """The chosen candidates in greedy order among themselves, with the weight each adds.

    An exact answer has no order; this one lists first the site adding the most, so that
    each site's figure is what it adds to those before it.
    """
    picks = np.asarray(chosen, dtype=np.int64)
    sub = CoverProblem(problem.weights, problem.cover.tocsc()[:, picks])
    order, gains = greedy_cover(sub, len(picks))
    return picks[order], gains


def reduce_problem(problem: CoverProblem) -> tuple[CoverProblem, IntArray]:
    """The same problem, smaller; returns it and each reduced column's original candidate.

    Demand with no weight or no covering candidate is dropped, demand covered by exactly the
    same candidates is merged (weights added), and of candidates covering exactly the same
    demand the first is kept.  The optimum is unchanged.
    """
    cover = problem.cover.tocsr().astype(bool).astype(np.float64)
    keep = (problem.weights > 0) & (np.diff(cover.indptr) > 0)
    cover, weights = cover[keep], problem.weights[keep]
    row_key = _pattern_ids(cover)
    merged_w = np.bincount(row_key, weights=weights).astype(np.float64)
    first_row = np.unique(row_key, return_index=True)[1]
    cover = cover[first_row].tocsc()
    col_key = _pattern_ids(cover.T.tocsr())
    useful = np.diff(cover.indptr) > 0
    first_col = np.unique(col_key[useful], return_index=True)[1]
    cols = np.sort(np.flatnonzero(useful)[first_col])
    return CoverProblem(merged_w, cover[:, cols].tocsc()), cols.astype(np.int64)


def _pattern_ids(matrix: sp.csr_matrix) -> IntArray:
    """One integer per row: equal for rows with the same non-zero columns."""
    matrix.sort_indices()
    keys: dict[bytes, int] = {}
    out = np.empty(matrix.shape[0], dtype=np.int64)
    for i in range(matrix.shape[0]):
        key = matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]].tobytes()
        out[i] = keys.setdefault(key, len(keys))
    return out


def exact_cover(problem: CoverProblem, k: int, *, time_limit_s: float) -> ExactOutcome:
    """The integer programme solved by HiGHS (:func:`scipy.optimize.milp`) within a time limit.

    ``chosen`` are candidate indices of ``problem`` (sorted); ``bound`` an upper bound on the
    covered weight (the optimum when ``optimal``).
    """
    started = time.perf_counter()
    reduced, cols = reduce_problem(problem)
    n_dem, n_cand = reduced.cover.shape
    if k <= 0 or n_dem == 0 or n_cand == 0:
        return ExactOutcome(
            np.zeros(0, dtype=np.int64), 0.0, 0.0, True, 0.0, "trivial", n_dem, n_cand
        )
    if n_cand <= k:  # every useful candidate fits: nothing to choose
        value = float(reduced.weights.sum())
        elapsed = time.perf_counter() - started
        return ExactOutcome(cols, value, value, True, elapsed, "trivial", n_dem, n_cand)
    # variables: x (n_cand, binary) then y (n_dem, continuous in [0, 1])
    c = np.concatenate([np.zeros(n_cand), -reduced.weights])
    link = sp.hstack([-reduced.cover.tocsr(), sp.identity(n_dem, format="csr")], format="csr")
    budget = sp.csr_matrix(np.concatenate([np.ones(n_cand), np.zeros(n_dem)])[None, :])
    constraints = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(budget, 0.0, float(k)),
    ]
    integrality = np.concatenate([np.ones(n_cand), np.zeros(n_dem)])
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        constraints=constraints,
        options={
            "time_limit": float(time_limit_s),
            "mip_rel_gap": MIP_REL_GAP,
            "presolve": False,  # HiGHS' presolve of a covering matrix takes longer than the solve
        },
    )
    elapsed = time.perf_counter() - started
    dual = res.get("mip_dual_bound")
    bound = -float(dual) if dual is not None and math.isfinite(dual) else None
    status = {0: "optimal", 1: "time_limit"}.get(int(res.status), "solver_failed")
    if res.x is None:
        return ExactOutcome(None, 0.0, bound, False, elapsed, status, n_dem, n_cand)
    picked = cols[np.flatnonzero(res.x[:n_cand] > 0.5)]
    value = covered_weight(problem, picked)  # an incumbent's y may fall short of its x
    optimal = int(res.status) == 0
    return ExactOutcome(
        picked, value, value if optimal else bound, optimal, elapsed, status, n_dem, n_cand
    )


def covered_weight(problem: CoverProblem, chosen: npt.ArrayLike) -> float:
    """The weight the chosen candidates cover together.

    >>> covered_weight(CoverProblem(np.array([1.0, 2.0]), cover_matrix([[1, 0], [1, 1]])), [0, 1])
    3.0
    """
    picks = np.asarray(chosen, dtype=np.int64)
    if len(picks) == 0:
        return 0.0
    hits = np.asarray(problem.cover.tocsc()[:, picks].sum(axis=1)).ravel()
    return float(problem.weights[hits > 0].sum())


def solve_cover(
    problem: CoverProblem, k: int, *, method: str = "exact", time_limit_s: float = 5.0
) -> CoverSolution:
    """``k`` sites by ``method`` (``"exact"`` or ``"greedy"``), in pick order with their gains.

    ``"exact"``: the solver's answer when proven optimal within ``time_limit_s``; otherwise
    the better of its best answer so far and the greedy answer (``method`` says which), with
    the gap to the solver's bound.  ``"greedy"``: the greedy answer only.
    """
    if method not in METHODS:
        msg = f"method must be one of {', '.join(METHODS)}, got {method!r}"
        raise ValueError(msg)
    started = time.perf_counter()
    greedy, greedy_gains = greedy_cover(problem, k)
    greedy_value = float(greedy_gains.sum())
    if method == "greedy":
        elapsed = time.perf_counter() - started
        return CoverSolution(
            greedy, greedy_gains, "greedy", False, None, None, elapsed, greedy_value, "greedy"
        )
    exact = exact_cover(problem, k, time_limit_s=time_limit_s)
    if exact.chosen is not None and (exact.optimal or exact.value >= greedy_value - 1e-9):
        chosen, gains, used = *order_by_gain(problem, exact.chosen), "exact"
    else:
        chosen, gains, used = greedy, greedy_gains, "greedy"
    value = float(gains.sum())
    bound = exact.bound
    gap = None if bound is None else _gap_pct(value, bound)
    return CoverSolution(
        chosen,
        gains,
        used,
        exact.optimal and used == "exact",
        0.0 if exact.optimal and used == "exact" else gap,
        bound,
        time.perf_counter() - started,
        greedy_value,
        exact.status,
        exact.reduced_demand,
        exact.reduced_candidates,
    )


def _gap_pct(value: float, bound: float) -> float:
    """``100 (bound - value) / bound``, 0 for a zero bound, never negative.

    >>> _gap_pct(90.0, 100.0), _gap_pct(0.0, 0.0)
    (10.0, 0.0)
    """
    if bound <= 0:
        return 0.0
    return max(0.0, 100.0 * (bound - value) / bound)
