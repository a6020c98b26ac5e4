"""Yearly assessment of a county: a score out of 100 and the grade 优良 / 合格 / 不合格.

The seed (豫百城提质〔2017〕1号 二.十) names the grades but not the rules, so the
rules are ours, all in one configuration (:data:`DEFAULT_RULES`) and explained in
docs/assessment.md:

* each indicator has a **weight** (they add up to 100);
* a met target earns the full weight; a missed one earns **partial credit**
  rising linearly from 0 at ``partial_credit_floor`` of the target to the full
  weight at the target (``credit = (value/target - floor) / (1 - floor)``);
* ``no_data`` and ``not_computable`` earn ``missing_credit`` of the weight (0 by
  default: an indicator the county cannot show is not credited) and block 优良 when core;
* the targets a county reports or maps for itself (parking, sewers, water supply, sewage
  treatment, special plans: ``excluded_when_missing``) are left out of the score when they
  have no value: the score is the points earned ÷ the weights in play × 100, and they are
  listed (``no_data_excluded``);
* 优良 needs ``excellent_min_score`` and every core target met; 合格 needs
  ``pass_min_score``; anything else is 不合格.

Every grade comes with its reasoning, one line per indicator and one for the
grade, in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from gis.result import IndicatorResult, reason_parts

GRADES: tuple[str, str, str] = ("优良", "合格", "不合格")
GRADE_EN: MappingProxyType[str, str] = MappingProxyType(
    {"优良": "excellent", "合格": "pass", "不合格": "fail"}
)


@dataclass(frozen=True)
class AssessmentRules:
    """Every number the grade depends on (see docs/assessment.md)."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                "road_density": 16.0,
                "fitness_15min_coverage": 16.0,
                "park_green_per_capita": 12.0,
                "green_space_ratio": 12.0,
                "park_service_coverage": 4.0,
                "regulatory_plan_coverage": 12.0,
                "urban_design_coverage": 8.0,
                "parking_per_100_cars": 5.0,
                "sewer_network_coverage": 5.0,
                "special_plans_approved_share": 4.0,
                "water_supply_coverage": 3.0,
                "sewage_treatment_rate": 3.0,
            }
        )
    )
    # Targets of the seed document; park service coverage is a national reference only.
    core: frozenset[str] = frozenset(
        {
            "road_density",
            "fitness_15min_coverage",
            "park_green_per_capita",
            "green_space_ratio",
            "regulatory_plan_coverage",
            "urban_design_coverage",
        }
    )
    # Reported or mapped by the county itself (issue 12): without a value, out of the score.
    excluded_when_missing: frozenset[str] = frozenset(
        {
            "parking_per_100_cars",
            "sewer_network_coverage",
            "water_supply_coverage",
            "sewage_treatment_rate",
            "special_plans_approved_share",
        }
    )
    partial_credit_floor: float = 0.5
    missing_credit: float = 0.0
    excellent_min_score: float = 85.0
    pass_min_score: float = 60.0

    def __post_init__(self) -> None:
        """Check the rules are coherent."""
        problems = []
        if abs(sum(self.weights.values()) - 100.0) > 1e-6:
            problems.append(f"weights add up to {sum(self.weights.values())}, expected 100")
        if not 0.0 <= self.partial_credit_floor < 1.0:
            problems.append("partial_credit_floor must be in [0, 1)")
        if not 0.0 <= self.missing_credit <= 1.0:
            problems.append("missing_credit must be in [0, 1]")
        if not 0.0 <= self.pass_min_score <= self.excellent_min_score <= 100.0:
            problems.append("need 0 <= pass_min_score <= excellent_min_score <= 100")
        if any(w < 0 for w in self.weights.values()):
            problems.append("weights must not be negative")
        if problems:
            raise ValueError("invalid assessment rules: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy of the rules."""
        return {
            "weights": dict(self.weights),
            "core": sorted(self.core),
            "excluded_when_missing": sorted(self.excluded_when_missing),
            "partial_credit_floor": self.partial_credit_floor,
            "missing_credit": self.missing_credit,
            "excellent_min_score": self.excellent_min_score,
            "pass_min_score": self.pass_min_score,
        }


DEFAULT_RULES = AssessmentRules()


@dataclass(frozen=True)
class IndicatorPoints:
    """Points one indicator earned and why."""

    id: str
    weight: float
    credit: float
    points: float
    status: str
    passed: bool | None
    achievement: float | None
    excluded: bool = False


@dataclass(frozen=True)
class Assessment:
    """Score (0-100), grade and the reasoning behind them."""

    score: float
    grade: str
    grade_en: str
    reasoning: list[str]
    points: list[IndicatorPoints]
    rules: AssessmentRules = DEFAULT_RULES
    passes_on_estimates: tuple[str, ...] = ()
    no_data_excluded: tuple[str, ...] = ()
    weight_in_play: float = 100.0

    @property
    def provisional(self) -> bool:
        """Whether a pass rests on a derived built-up area, an estimated population or samples."""
        return bool(self.passes_on_estimates)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the shape served by the API and printed by the CLI)."""
        return {
            "score": self.score,
            "grade": self.grade,
            "grade_en": self.grade_en,
            "max_score": 100.0,
            "reasoning": list(self.reasoning),
            "provisional": self.provisional,
            "passes_on_estimates": list(self.passes_on_estimates),
            "no_data_excluded": list(self.no_data_excluded),
            "weight_in_play": self.weight_in_play,
            "points": [asdict(p) for p in self.points],
            "rules": self.rules.to_dict(),
        }


def achievement(result: IndicatorResult) -> float | None:
    """Value as a share of the target (``>=`` targets; inverted for ``<=``); None without a value.

    >>> from gis.result import empty_layer
    >>> r = IndicatorResult("road_density", "", "", 6.0, "km/km²", 8.0, 2020, False, "ok",
    ...                     empty_layer(4547))
    >>> achievement(r)
    0.75
    """
    if result.value is None or result.status != "ok":
        return None
    if result.comparison == "<=":
        return 1.0 if result.value <= 0 else result.target / result.value
    return 1.0 if result.target <= 0 else result.value / result.target


def credit_for(result: IndicatorResult, rules: AssessmentRules) -> float:
    """Share of the weight earned: 1 when passed, linear partial credit, ``missing_credit``.

    >>> from gis.result import empty_layer
    >>> r = IndicatorResult("road_density", "", "", 6.0, "km/km²", 8.0, 2020, False, "ok",
    ...                     empty_layer(4547))
    >>> credit_for(r, DEFAULT_RULES)  # 75 % of the target, floor 50 %: half the weight
    0.5
    """
    ratio = achievement(result)
    if ratio is None:
        return rules.missing_credit
    if result.passed:
        return 1.0
    floor = rules.partial_credit_floor
    return min(1.0, max(0.0, (ratio - floor) / (1.0 - floor)))


def assess(
    results: Sequence[IndicatorResult], rules: AssessmentRules = DEFAULT_RULES
) -> Assessment:
    """Score and grade a county's indicator results under ``rules``.

    Indicators named in ``rules.weights`` but absent from ``results`` count as
    missing data; results of indicators without a weight are listed, worth 0.  Those of
    ``rules.excluded_when_missing`` without a value leave the score (their weight is taken out
    and the score is scaled to the weights in play).
    """
    by_id = {r.id: r for r in results}
    points, reasoning = [], []
    for ident, weight in rules.weights.items():
        result = by_id.get(ident)
        credit = rules.missing_credit if result is None else credit_for(result, rules)
        excluded = ident in rules.excluded_when_missing and (result is None or result.value is None)
        if excluded:
            credit = 0.0
        item = IndicatorPoints(
            id=ident,
            weight=weight,
            credit=round(credit, 6),
            points=round(weight * credit, 3),
            status="no_data" if result is None else result.status,
            passed=None if result is None else result.passed,
            achievement=None if result is None else _rounded(achievement(result)),
            excluded=excluded,
        )
        points.append(item)
        reasoning.append(_indicator_line(ident, result, item))
    in_play = sum(p.weight for p in points if not p.excluded)
    earned = sum(p.points for p in points)
    score = round(100.0 * earned / in_play, 1) if in_play > 0 else 0.0
    excluded_ids = tuple(p.id for p in points if p.excluded)
    if excluded_ids:
        reasoning.append(
            f"无数据不计分：{len(excluded_ids)} 项（{', '.join(excluded_ids)}）不计入总分，"
            f"总分按其余 {in_play:g} 分折算为百分制 | no data, not scored: "
            f"{len(excluded_ids)} item(s) ({', '.join(excluded_ids)}) left out; the score is "
            f"the points earned out of the remaining {in_play:g}, scaled to 100"
        )
    grade, why = _grade(score, points, rules)
    reasoning.append(why)
    on_estimates = tuple(r.id for r in results if r.passed and r.basis == "estimate")
    if on_estimates:
        reasoning.append(
            f"暂定：{len(on_estimates)} 项达标依据推算或估算数据（{', '.join(on_estimates)}），"
            "上传正式建成区和人口数据后方可确认 | provisional: "
            f"{len(on_estimates)} pass(es) rest on derived or estimated inputs "
            f"({', '.join(on_estimates)}); upload the official 建成区 and population to confirm"
        )
    return Assessment(
        score,
        grade,
        GRADE_EN[grade],
        reasoning,
        points,
        rules,
        on_estimates,
        excluded_ids,
        round(in_play, 6),
    )


def _rounded(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _grade(score: float, points: list[IndicatorPoints], rules: AssessmentRules) -> tuple[str, str]:
    """The grade and its one-line reason."""
    core_short = [p.id for p in points if p.id in rules.core and p.passed is not True]
    if score >= rules.excellent_min_score and not core_short:
        return "优良", (
            f"总分 {score:.1f} ≥ {rules.excellent_min_score:g} 且核心指标全部达标 → 优良 | "
            f"score {score:.1f} >= {rules.excellent_min_score:g} and every core target met "
            "→ excellent"
        )
    if score >= rules.pass_min_score:
        extra_zh = f"；{len(core_short)} 项核心指标未达标或无数据，不能评优良" if core_short else ""
        extra_en = (
            f"; {len(core_short)} core target(s) missed or without data, so not excellent"
            if core_short
            else ""
        )
        return "合格", (
            f"总分 {score:.1f} ≥ {rules.pass_min_score:g}{extra_zh} → 合格 | "
            f"score {score:.1f} >= {rules.pass_min_score:g}{extra_en} → pass"
        )
    return "不合格", (
        f"总分 {score:.1f} < {rules.pass_min_score:g} → 不合格 | "
        f"score {score:.1f} < {rules.pass_min_score:g} → fail"
    )


def _indicator_line(ident: str, result: IndicatorResult | None, item: IndicatorPoints) -> str:
    """One reasoning line, Chinese then English."""
    pts = f"{item.points:.1f}/{item.weight:g}"
    pts_zh, pts_en = (
        ("不计分", "not scored") if item.excluded else (f"得 {pts} 分", f"{pts} points")
    )
    if result is None:
        return f"{ident}：无结果，{pts_zh} | {ident}: no result, {pts_en}"
    name = f"{result.name_zh}"
    if result.value is None:
        status_zh = "无数据" if result.status == "no_data" else "无法计算"
        why_zh, why_en = reason_parts(result.reason)
        why_zh = why_zh.removeprefix(f"{status_zh}：")  # the reasons name the status too
        why_en = why_en.removeprefix(f"{result.status.replace('_', ' ')}: ")
        return (
            f"{name}：{status_zh}（{why_zh}），{pts_zh} | "
            f"{result.name_en}: {result.status.replace('_', ' ')} ({why_en}), {pts_en}"
        )
    value = f"{result.value:.2f} {result.unit}"
    sign = "≥" if result.comparison == ">=" else "≤"
    target = f"{sign} {result.target:g} {result.unit}（{result.target_year}年）"
    target_en = f"{sign} {result.target:g} {result.unit} ({result.target_year})"
    if result.passed:
        note_zh, note_en = result.basis_note()
        return (
            f"{name}：{value}，目标 {target}，达标{f'（{note_zh}）' if note_zh else ''}，"
            f"得 {pts} 分 | {result.name_en}: {value} against {target_en}: met"
            f"{f' ({note_en})' if note_en else ''}, {pts} points"
        )
    share = f"{100 * (item.achievement or 0):.0f}%"
    return (
        f"{name}：{value}，目标 {target}，未达标（完成 {share}），得 {pts} 分 | "
        f"{result.name_en}: {value} against {target_en}: missed ({share} of target), "
        f"{pts} points"
    )
