"""Year over year: one county's indicators before → after (two years, or two workspace versions).

:func:`compare` is the single place the comparison is computed; the API
(``/api/v1/counties/<id>/indicators/changes``), the planner dashboard, the province page's
"colour by change" and the assessment report all call it.  It takes two
:func:`gis.report.county_report` dicts (as the batch stores them under ``report`` and the
indicators API answers them) and returns a JSON-ready dict::

    {
      "previous": {"year", "score", "grade", "rank"},      # rank only when given
      "current":  {"year", "score", "grade", "rank"},
      "score_change": float | None,                         # current − previous, points
      "grade_direction": "improved" | "worse" | "unchanged" | "no_data",
      "rank_change": int | None,                            # previous − current: + = moved up
      "indicators": [ {                                     # current report's order, then
          "id", "name_zh", "name_en", "unit", "comparison", # those only in the previous one
          "previous_value", "current_value",                # None without data or absent
          "previous_status", "current_status",              # ok | no_data | not_computable
                                                            # | absent (not in that report)
          "previous_passed", "current_passed",              # True | False | None
          "previous_target", "current_target",              # targets differ by year
          "change",                                         # current − previous, in change_unit
          "change_unit",                                    # the unit; "百分点 pp" for shares (%)
          "relative_change_pct",                            # change ÷ |previous| × 100; None
                                                            # for shares or previous = 0
          "direction",                                      # improved | worse | unchanged |
                                                            # no_data (a side has no value)
          "pass_change",                                    # newly_passed | newly_failed |
                                                            # still_passed | still_failed | None
      } ],
      "counts": {"improved", "worse", "unchanged", "no_data"},
      "parameters_changed": [name, ...],                    # parameters that differ
    }

Direction is relative to the target: for a ``>=`` target a rise is an improvement, for a
``<=`` target a fall is.  A change smaller than :data:`UNCHANGED_TOLERANCE` in the report's
rounding (values are rounded to 4 decimals) is ``unchanged``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

Direction = Literal["improved", "worse", "unchanged", "no_data"]

UNCHANGED_TOLERANCE = 1e-9
SHARE_UNIT = "%"
PP_UNIT = "百分点 pp"
GRADE_ORDER = ("不合格", "合格", "优良")  # worst → best
# Parameters that are expected to differ between two years and need no warning.
_QUIET_PARAMETERS = frozenset({"year", "target_year", "targets"})


def compare(
    previous: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    previous_rank: int | None = None,
    current_rank: int | None = None,
) -> dict[str, Any]:
    """Compare two county reports, indicator by indicator (see the module docstring).

    Parameters
    ----------
    previous, current : dict
        :func:`gis.report.county_report` dicts (``indicators`` a list of
        :meth:`gis.result.IndicatorResult.to_dict`, ``assessment`` with ``score`` and
        ``grade``).  The newer report may have more (or fewer) indicators.
    previous_rank, current_rank : int, optional
        The county's places in the province ranking of each year, when known.

    Returns
    -------
    dict
        JSON-ready; described in the module docstring.

    Examples
    --------
    >>> def rep(year, value, score, grade):
    ...     ind = {"id": "road_density", "name_zh": "道路网密度", "name_en": "road density",
    ...            "unit": "km/km²", "comparison": ">=", "value": value, "target": 8.0,
    ...            "passed": value >= 8.0, "status": "ok"}
    ...     return {"year": year, "indicators": [ind],
    ...             "assessment": {"score": score, "grade": grade}}
    >>> out = compare(rep(2018, 6.5, 60.0, "合格"), rep(2020, 8.25, 85.0, "优良"),
    ...               previous_rank=3, current_rank=1)
    >>> row = out["indicators"][0]
    >>> row["change"], row["relative_change_pct"], row["direction"], row["pass_change"]
    (1.75, 26.923077, 'improved', 'newly_passed')
    >>> out["score_change"], out["grade_direction"], out["rank_change"]
    (25.0, 'improved', 2)
    """
    prev_by_id = {str(i["id"]): i for i in _indicators(previous) if i.get("id")}
    cur_list = [i for i in _indicators(current) if i.get("id")]
    cur_ids = {str(i["id"]) for i in cur_list}
    rows = [compare_indicator(prev_by_id.get(str(i["id"])), i) for i in cur_list]
    rows += [compare_indicator(p, None) for pid, p in prev_by_id.items() if pid not in cur_ids]
    prev_side = _side(previous, previous_rank)
    cur_side = _side(current, current_rank)
    return {
        "previous": prev_side,
        "current": cur_side,
        "score_change": _difference(prev_side["score"], cur_side["score"]),
        "grade_direction": grade_direction(prev_side["grade"], cur_side["grade"]),
        "rank_change": None
        if previous_rank is None or current_rank is None
        else previous_rank - current_rank,
        "indicators": rows,
        "counts": {d: sum(1 for r in rows if r["direction"] == d) for d in _DIRECTIONS},
        "parameters_changed": parameters_changed(previous, current),
    }


_DIRECTIONS: tuple[Direction, ...] = ("improved", "worse", "unchanged", "no_data")


def compare_indicator(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any] | None
) -> dict[str, Any]:
    """One indicator before → after; either side may be ``None`` (not in that report).

    >>> compare_indicator({"id": "g", "unit": "%", "value": 30.0, "passed": False,
    ...                    "status": "ok", "comparison": ">="},
    ...                   {"id": "g", "unit": "%", "value": 34.5, "passed": True,
    ...                    "status": "ok", "comparison": ">="})["change"]
    4.5
    """
    if previous is None and current is None:
        msg = "compare_indicator: both sides are None"
        raise ValueError(msg)
    base = current if current is not None else previous
    assert base is not None
    unit = str(base.get("unit") or "")
    comparison = str(base.get("comparison") or ">=")
    prev_value = _value(previous)
    cur_value = _value(current)
    change = _difference(prev_value, cur_value)
    is_share = unit == SHARE_UNIT
    return {
        "id": str(base["id"]),
        "name_zh": base.get("name_zh") or (previous or {}).get("name_zh"),
        "name_en": base.get("name_en") or (previous or {}).get("name_en"),
        "unit": unit,
        "comparison": comparison,
        "previous_value": prev_value,
        "current_value": cur_value,
        "previous_status": _status(previous),
        "current_status": _status(current),
        "previous_passed": None if previous is None else previous.get("passed"),
        "current_passed": None if current is None else current.get("passed"),
        "previous_target": None if previous is None else previous.get("target"),
        "current_target": None if current is None else current.get("target"),
        "change": change,
        "change_unit": PP_UNIT if is_share else unit,
        "relative_change_pct": None if is_share else relative_change_pct(prev_value, cur_value),
        "direction": direction(change, comparison),
        "pass_change": pass_change(
            None if previous is None else previous.get("passed"),
            None if current is None else current.get("passed"),
        ),
    }


def direction(change: float | None, comparison: str = ">=") -> Direction:
    """Whether a change moves the value toward its target.

    >>> direction(0.5), direction(0.5, "<="), direction(0.0), direction(None)
    ('improved', 'worse', 'unchanged', 'no_data')
    """
    if change is None:
        return "no_data"
    if abs(change) <= UNCHANGED_TOLERANCE:
        return "unchanged"
    better = change > 0 if comparison != "<=" else change < 0
    return "improved" if better else "worse"


def improvement(change: float | None, comparison: str = ">=") -> float | None:
    """The change signed so that positive means toward the target (for colouring).

    >>> improvement(-2.0, "<="), improvement(-2.0), improvement(None)
    (2.0, -2.0, None)
    """
    if change is None:
        return None
    return -change if comparison == "<=" else change


def relative_change_pct(previous: float | None, current: float | None) -> float | None:
    """``(current − previous) ÷ |previous| × 100``, rounded to 6 decimals; None when undefined.

    >>> relative_change_pct(8.0, 10.0), relative_change_pct(0.0, 1.0), relative_change_pct(None, 1)
    (25.0, None, None)
    """
    if previous is None or current is None or previous == 0:
        return None
    return round((current - previous) / abs(previous) * 100.0, 6)


def pass_change(previous: Any, current: Any) -> str | None:
    """``newly_passed``, ``newly_failed``, ``still_passed``, ``still_failed`` or None.

    >>> pass_change(False, True), pass_change(True, True), pass_change(None, True)
    ('newly_passed', 'still_passed', None)
    """
    if not isinstance(previous, bool) or not isinstance(current, bool):
        return None
    if previous == current:
        return "still_passed" if current else "still_failed"
    return "newly_passed" if current else "newly_failed"


def grade_direction(previous: str | None, current: str | None) -> Direction:
    """Whether the grade rose (不合格 < 合格 < 优良).

    >>> grade_direction("合格", "优良"), grade_direction("优良", "不合格")
    ('improved', 'worse')
    >>> grade_direction(None, "合格")
    'no_data'
    """
    if previous not in GRADE_ORDER or current not in GRADE_ORDER:
        return "no_data"
    delta = GRADE_ORDER.index(current) - GRADE_ORDER.index(previous)
    return "unchanged" if delta == 0 else ("improved" if delta > 0 else "worse")


def parameters_changed(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Names of the parameters (walking time, speed, …) that differ between the two reports.

    The year and its targets are expected to differ and are not listed.

    >>> parameters_changed({"parameters": {"year": 2018, "walk_minutes": 15}},
    ...                    {"parameters": {"year": 2020, "walk_minutes": 10}})
    ['walk_minutes']
    """
    prev = previous.get("parameters") or {}
    cur = current.get("parameters") or {}
    names = sorted(set(prev) | set(cur))
    return [n for n in names if n not in _QUIET_PARAMETERS and prev.get(n) != cur.get(n)]


def diverging_class(value: float | None, max_abs: float) -> int | None:
    """Class −2 … 2 of a change for a diverging palette: 0 unchanged, ±1 up to half, ±2 beyond.

    ``max_abs`` is the largest absolute change being shown (the legend's scale).

    >>> [diverging_class(v, 10.0) for v in (-10.0, -5.0, -0.1, 0.0, 5.0, 5.1, None)]
    [-2, -1, -1, 0, 1, 2, None]
    """
    if value is None:
        return None
    if abs(value) <= UNCHANGED_TOLERANCE:
        return 0
    half = max_abs / 2.0
    sign = 1 if value > 0 else -1
    return sign * (1 if abs(value) <= half + UNCHANGED_TOLERANCE else 2)


def _indicators(report: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    items = report.get("indicators") or []
    if isinstance(items, Mapping):
        return list(items.values())
    return list(items)


def _value(ind: Mapping[str, Any] | None) -> float | None:
    if ind is None:
        return None
    value = ind.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return None
    if ind.get("status", "ok") != "ok":
        return None
    return float(value)


def _status(ind: Mapping[str, Any] | None) -> str:
    if ind is None:
        return "absent"
    return str(ind.get("status") or "ok")


def _difference(previous: float | None, current: float | None) -> float | None:
    if previous is None or current is None:
        return None
    return round(current - previous, 6)


def _side(report: Mapping[str, Any], rank: int | None) -> dict[str, Any]:
    assessment = report.get("assessment") or {}
    score = assessment.get("score")
    if not isinstance(score, int | float) or isinstance(score, bool) or math.isnan(score):
        score = None
    year = report.get("year")
    return {
        "year": int(year) if isinstance(year, int | float) else None,
        "score": None if score is None else float(score),
        "grade": assessment.get("grade"),
        "rank": rank,
    }
