"""gis.year_over_year.compare on hand-made reports (answers worked out by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from gis.year_over_year import compare, compare_indicator, diverging_class, improvement


def _ind(
    ind_id: str,
    value: float | None,
    *,
    unit: str = "km/km²",
    target: float = 8.0,
    comparison: str = ">=",
    status: str = "ok",
    passed: bool | None = None,
) -> dict[str, Any]:
    if passed is None and value is not None and status == "ok":
        passed = value >= target if comparison == ">=" else value <= target
    return {
        "id": ind_id,
        "name_zh": f"{ind_id} 中文",
        "name_en": ind_id,
        "unit": unit,
        "target": target,
        "comparison": comparison,
        "value": value,
        "passed": passed if status == "ok" else None,
        "status": status,
    }


def _report(
    year: int, indicators: list[dict[str, Any]], score: float | None, grade: str | None, **params
) -> dict[str, Any]:
    return {
        "county": {"id": "x"},
        "year": year,
        "parameters": {"year": year, "walk_minutes": 15.0, "walk_speed_m_s": 1.1, **params},
        "indicators": indicators,
        "assessment": {"score": score, "grade": grade},
    }


PREVIOUS = _report(
    2018,
    [
        _ind("road_density", 6.5, target=7.0),  # 6.5 → 8.25: +1.75, +26.923077 %, now passes
        _ind("green_space_ratio", 35.0, unit="%", target=33.0),  # 35 → 31.5: −3.5 pp, fails
        _ind("plan_coverage", None, unit="%", target=100.0, status="no_data"),
        _ind("unit_cost", 12.0, unit="yuan", target=10.0, comparison="<="),  # 12 → 9: better
        _ind("dropped", 3.0, unit="m", target=1.0),  # only in 2018
        _ind("flat", 4.0, unit="m", target=5.0),  # 4 → 4: unchanged, still fails
    ],
    62.5,
    "合格",
)
CURRENT = _report(
    2020,
    [
        _ind("road_density", 8.25),
        _ind("green_space_ratio", 31.5, unit="%", target=33.0),
        _ind("plan_coverage", 80.0, unit="%", target=100.0),
        _ind("unit_cost", 9.0, unit="yuan", target=10.0, comparison="<="),
        _ind("flat", 4.0, unit="m", target=5.0),
        _ind("parking", 12.0, unit="spaces/100 cars", target=10.0),  # new in 2020
        _ind("fitness", None, unit="%", target=100.0, status="not_computable"),
    ],
    80.0,
    "优良",
)


def _rows(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in out["indicators"]}


def test_values_changes_and_directions_by_hand() -> None:
    out = compare(PREVIOUS, CURRENT, previous_rank=4, current_rank=1)
    rows = _rows(out)
    road = rows["road_density"]
    assert (road["previous_value"], road["current_value"]) == (6.5, 8.25)
    assert road["change"] == 1.75 and road["change_unit"] == "km/km²"
    assert road["relative_change_pct"] == pytest.approx(1.75 / 6.5 * 100, abs=1e-6)
    assert road["direction"] == "improved"
    # the target itself changed (7 in 2018 → 8 in 2020); both are reported
    assert (road["previous_target"], road["current_target"]) == (7.0, 8.0)
    assert (road["previous_passed"], road["current_passed"]) == (False, True)
    assert road["pass_change"] == "newly_passed"

    green = rows["green_space_ratio"]
    assert green["change"] == -3.5 and green["change_unit"] == "百分点 pp"
    assert green["relative_change_pct"] is None  # shares change in percentage points only
    assert green["direction"] == "worse" and green["pass_change"] == "newly_failed"

    cost = rows["unit_cost"]  # a "<=" target: falling from 12 to 9 is an improvement
    assert cost["change"] == -3.0 and cost["direction"] == "improved"
    assert cost["relative_change_pct"] == -25.0
    assert cost["pass_change"] == "newly_passed"

    flat = rows["flat"]
    assert flat["change"] == 0.0 and flat["direction"] == "unchanged"
    assert flat["pass_change"] == "still_failed" and flat["relative_change_pct"] == 0.0


def test_no_data_and_indicators_present_in_one_year_only() -> None:
    rows = _rows(compare(PREVIOUS, CURRENT))
    plans = rows["plan_coverage"]  # no data in 2018, 80 % in 2020
    assert plans["previous_status"] == "no_data" and plans["previous_value"] is None
    assert plans["current_value"] == 80.0
    assert plans["change"] is None and plans["direction"] == "no_data"
    assert plans["pass_change"] is None

    parking = rows["parking"]  # new indicator in the newer report
    assert parking["previous_status"] == "absent" and parking["previous_value"] is None
    assert parking["current_value"] == 12.0 and parking["direction"] == "no_data"

    dropped = rows["dropped"]  # only in the older report: kept, after the current ones
    assert dropped["current_status"] == "absent" and dropped["previous_value"] == 3.0
    assert dropped["direction"] == "no_data" and dropped["name_zh"] == "dropped 中文"

    fitness = rows["fitness"]
    assert fitness["current_status"] == "not_computable" and fitness["direction"] == "no_data"


def test_order_counts_and_assessment() -> None:
    out = compare(PREVIOUS, CURRENT, previous_rank=4, current_rank=1)
    # the current report's order first, then what only the previous one had
    assert [r["id"] for r in out["indicators"]] == [
        "road_density",
        "green_space_ratio",
        "plan_coverage",
        "unit_cost",
        "flat",
        "parking",
        "fitness",
        "dropped",
    ]
    assert out["counts"] == {"improved": 2, "worse": 1, "unchanged": 1, "no_data": 4}
    assert out["previous"] == {"year": 2018, "score": 62.5, "grade": "合格", "rank": 4}
    assert out["current"] == {"year": 2020, "score": 80.0, "grade": "优良", "rank": 1}
    assert out["score_change"] == 17.5
    assert out["grade_direction"] == "improved"
    assert out["rank_change"] == 3  # moved up three places
    assert out["parameters_changed"] == []


def test_reversed_comparison_and_missing_assessment() -> None:
    out = compare(CURRENT, PREVIOUS)
    assert out["score_change"] == -17.5 and out["grade_direction"] == "worse"
    assert out["rank_change"] is None  # no ranks given
    assert _rows(out)["road_density"]["direction"] == "worse"
    bare = compare({"indicators": []}, {"indicators": [], "assessment": {"score": None}})
    assert bare["score_change"] is None and bare["grade_direction"] == "no_data"
    assert bare["indicators"] == [] and bare["previous"]["year"] is None


def test_changed_parameters_are_named() -> None:
    prev = _report(2020, [_ind("road_density", 8.0)], 70.0, "合格", walk_minutes=15.0)
    cur = _report(2020, [_ind("road_density", 8.0)], 70.0, "合格", walk_minutes=10.0)
    assert compare(prev, cur)["parameters_changed"] == ["walk_minutes"]


def test_float_noise_is_unchanged_and_indicator_requires_a_side() -> None:
    row = compare_indicator(_ind("a", 0.1 + 0.2), _ind("a", 0.3))
    assert row["direction"] == "unchanged"
    with pytest.raises(ValueError, match="both sides"):
        compare_indicator(None, None)


def test_colour_classes_follow_the_target_direction() -> None:
    assert improvement(-3.0, "<=") == 3.0
    assert [diverging_class(v, 4.0) for v in (-4.0, -2.0, 0.0, 1.0, 2.0, 3.0)] == [
        -2,
        -1,
        0,
        1,
        1,
        2,
    ]
    assert diverging_class(None, 4.0) is None
