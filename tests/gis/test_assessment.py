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
    "parking_per_100_cars": 10.0,
    "sewer_network_coverage": 90.0,
    "water_supply_coverage": 90.0,
    "sewage_treatment_rate": 88.0,
    "special_plans_approved_share": 100.0,
}
REPORTED = (
    "parking_per_100_cars",
    "sewer_network_coverage",
    "water_supply_coverage",
    "sewage_treatment_rate",
    "special_plans_approved_share",
)


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
    # road 6/8 = 75 % of target: (0.75 - 0.5) / 0.5 = half of 16 points
    a = assess(county(road_density=6.0))
    road = next(p for p in a.points if p.id == "road_density")
    assert (road.credit, road.points, road.achievement) == (0.5, 8.0, 0.75)
    assert a.score == 92.0
    assert a.grade == "合格"  # a missed core target blocks 优良
    assert "未达标" in a.reasoning[0] and "missed (75% of target)" in a.reasoning[0]
    below = assess(county(road_density=3.9))
    assert next(p for p in below.points if p.id == "road_density").points == 0.0


def test_missing_data_earns_nothing_and_blocks_excellent() -> None:
    a = assess(county(urban_design_coverage=None))
    design = next(p for p in a.points if p.id == "urban_design_coverage")
    assert (design.points, design.status, design.passed) == (0.0, "no_data", None)
    assert a.score == 92.0 and a.grade == "合格"
    assert "无数据" in a.reasoning[6] and "no data" in a.reasoning[6]
    absent = assess([r for r in county() if r.id != "road_density"])
    assert absent.score == 84.0 and absent.points[0].status == "no_data"


def test_missing_credit_is_configurable() -> None:
    rules = replace(DEFAULT_RULES, missing_credit=0.5)
    assert assess(county(urban_design_coverage=None), rules).score == 96.0


def test_grade_boundaries() -> None:
    # park service coverage (4 points) is not a core target: missing it still allows 优良
    a = assess(county(park_service_coverage=0.0))
    assert a.score == 96.0 and a.grade == "优良"
    fail = assess(
        county(road_density=0.0, fitness_15min_coverage=0.0, regulatory_plan_coverage=0.0)
    )
    assert fail.score == 56.0 and fail.grade == "不合格" and fail.grade_en == "fail"
    exactly_60 = assess(
        county(road_density=0.0, fitness_15min_coverage=0.0, urban_design_coverage=0.0)
    )
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
    assert data["rules"]["weights"]["road_density"] == 16.0 and "优良" in text
    assert data["rules"]["excluded_when_missing"] == sorted(REPORTED)
    with pytest.raises(ValueError, match="negative"):
        AssessmentRules(
            weights={**DEFAULT_RULES.weights, "road_density": -4.0, "green_space_ratio": 32.0}
        )
    assert set(data) >= {"score", "grade", "grade_en", "reasoning", "points", "rules"}


# --- the targets a county reports itself (issue 12): no data leaves the score --------------


def test_reported_targets_without_data_leave_the_score_and_are_listed() -> None:
    a = assess(county(**dict.fromkeys(REPORTED)))
    assert (a.score, a.grade) == (100.0, "优良")  # the seven spatial targets met
    assert set(a.no_data_excluded) == set(REPORTED) and a.weight_in_play == 80.0
    for p in a.points:
        if p.id in REPORTED:
            assert (p.excluded, p.points, p.passed, p.status) == (True, 0.0, None, "no_data")
    line = next(x for x in a.reasoning if x.startswith("无数据不计分"))
    assert "5 项" in line and "remaining 80" in line
    parking = next(x for x in a.reasoning if x.startswith("parking_per_100_cars_zh"))
    assert "不计分" in parking and "not scored" in parking
    data = a.to_dict()
    assert set(data["no_data_excluded"]) == set(REPORTED) and data["weight_in_play"] == 80.0


def test_scaling_keeps_the_score_of_a_county_without_the_new_figures() -> None:
    # road 6/8 earns 8 of 16; the other six spatial targets met: 72 of 80 -> 90.0, the score
    # the seven spatial indicators alone gave before the new targets (10 of 20 of 100)
    a = assess(county(road_density=6.0, **dict.fromkeys(REPORTED)))
    assert a.score == 90.0 and a.grade == "合格"


def test_reported_targets_with_values_count_like_the_others() -> None:
    # parking 7.5 per 100 cars against 10: 75 % of the target, half of 5 points
    a = assess(county(parking_per_100_cars=7.5))
    parking = next(p for p in a.points if p.id == "parking_per_100_cars")
    assert (parking.points, parking.passed, parking.excluded) == (2.5, False, False)
    assert a.score == 97.5 and a.grade == "优良"  # not a core target
    # a missed sewage rate of 44 % (half of 88) earns nothing but still counts
    b = assess(county(sewage_treatment_rate=44.0, water_supply_coverage=None))
    assert b.weight_in_play == 97.0 and b.score == round(100 * 94 / 97, 1)


def test_spatial_target_without_data_still_earns_nothing() -> None:
    a = assess(county(regulatory_plan_coverage=None, **dict.fromkeys(REPORTED)))
    assert a.weight_in_play == 80.0 and a.score == 85.0 and a.grade == "合格"
