"""Assessment rules: weights, partial credit, missing data and the grade boundaries."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from gis.assessment import DEFAULT_RULES, AssessmentRules, assess, credit_for
from gis.indicators import INDICATOR_IDS
from gis.result import IndicatorResult, empty_layer

TARGETS = {
    "road_density": 8.0,
    "fitness_15min_coverage": 100.0,
    "park_green_per_capita": 8.5,
    "green_space_ratio": 33.0,
    "park_service_coverage": 80.0,
    "regulatory_plan_coverage": 100.0,
    "urban_design_coverage": 100.0,
}


def result(
    rid: str, value: float | None, status: str = "ok", comparison: str = ">="
) -> IndicatorResult:
    target = TARGETS[rid]
    passed = None if value is None else (value >= target if comparison == ">=" else value <= target)
    return IndicatorResult(
        id=rid,
        name_zh=f"{rid}_zh",
        name_en=rid,
        value=value,
        unit="u",
        target=target,
        target_year=2020,
        passed=passed,
        status=status,
        layer=empty_layer(4547),
        reason="" if value is not None else "no data: no layer",
        comparison=comparison,
    )


def county(**values: float | None) -> list[IndicatorResult]:
    out = []
    for rid in INDICATOR_IDS:
        v = values.get(rid, TARGETS[rid])
        out.append(result(rid, v, "ok" if v is not None else "no_data"))
    return out


def test_every_target_met_is_100_and_excellent() -> None:
    a = assess(county())
    assert (a.score, a.grade, a.grade_en) == (100.0, "优良", "excellent")
    assert len(a.reasoning) == len(INDICATOR_IDS) + 1
    assert all(" | " in line for line in a.reasoning)  # Chinese | English
    assert sum(p.points for p in a.points) == pytest.approx(100.0)


def test_partial_credit_is_linear_from_the_floor() -> None:
    # road 6/8 = 75 % of target: (0.75 - 0.5) / 0.5 = half of 20 points
    a = assess(county(road_density=6.0))
    road = next(p for p in a.points if p.id == "road_density")
    assert (road.credit, road.points, road.achievement) == (0.5, 10.0, 0.75)
    assert a.score == 90.0
    assert a.grade == "合格"  # a missed core target blocks 优良
    assert "未达标" in a.reasoning[0] and "missed (75% of target)" in a.reasoning[0]
    below = assess(county(road_density=3.9))
    assert next(p for p in below.points if p.id == "road_density").points == 0.0


def test_missing_data_earns_nothing_and_blocks_excellent() -> None:
    a = assess(county(urban_design_coverage=None))
    design = next(p for p in a.points if p.id == "urban_design_coverage")
    assert (design.points, design.status, design.passed) == (0.0, "no_data", None)
    assert a.score == 90.0 and a.grade == "合格"
    assert "无数据" in a.reasoning[6] and "no data" in a.reasoning[6]
    absent = assess([r for r in county() if r.id != "road_density"])
    assert absent.score == 80.0 and absent.points[0].status == "no_data"


def test_missing_credit_is_configurable() -> None:
    rules = replace(DEFAULT_RULES, missing_credit=0.5)
    assert assess(county(urban_design_coverage=None), rules).score == 95.0


def test_grade_boundaries() -> None:
    # park service coverage (5 points) is not a core target: missing it still allows 优良
    a = assess(county(park_service_coverage=0.0))
    assert a.score == 95.0 and a.grade == "优良"
    fail = assess(
        county(road_density=0.0, fitness_15min_coverage=0.0, regulatory_plan_coverage=0.0)
    )
    assert fail.score == 45.0 and fail.grade == "不合格" and fail.grade_en == "fail"
    exactly_60 = assess(county(road_density=0.0, fitness_15min_coverage=0.0))
    assert exactly_60.score == 60.0 and exactly_60.grade == "合格"


def test_at_most_comparison_inverts_the_ratio() -> None:
    r = result("road_density", 16.0, comparison="<=")
    assert credit_for(r, DEFAULT_RULES) == 0.0  # 8/16 = 50 %: at the floor
    r = result("road_density", 10.0, comparison="<=")
    assert credit_for(r, DEFAULT_RULES) == pytest.approx(0.6)


def test_rules_are_checked_and_serialised() -> None:
    with pytest.raises(ValueError, match="add up to"):
        AssessmentRules(weights={"road_density": 50.0})
    with pytest.raises(ValueError, match="pass_min_score"):
        AssessmentRules(pass_min_score=90.0, excellent_min_score=80.0)
    data = assess(county()).to_dict()
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert data["rules"]["weights"]["road_density"] == 20.0 and "优良" in text
    assert set(data) >= {"score", "grade", "grade_en", "reasoning", "points", "rules"}
