"""Targets reported by the county: water supply, sewage treatment and the 11 special plans.

* 公共供水普及率 (%) ≥ 90 and 生活污水集中处理率 (%) ≥ 88: the figures the county's staff
  entered (:mod:`gis.county_data`), each with its source and year, graded like the others.
* 专项规划批复率 (%) = special plans of (一) with the status 已批复 ÷ 11 × 100; target 100
  (by end 2017).  A plan the county has not reported counts as not approved, but a county that
  has reported none gets ``no_data``.

None of them has a gap layer (the result's layer is empty).  Pure functions: the figures are
passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gis.county_data import APPROVED, PLAN_STATUSES, SPECIAL_PLANS
from gis.indicators._common import make_result, missing_result, reason
from gis.result import IndicatorResult, empty_layer
from gis.settings import TARGET_YEAR_2020, IndicatorSettings

SPECIAL_PLANS_TARGET_YEAR = 2017


def _figure_result(
    ident: str,
    entry: Mapping[str, Any] | None,
    target: float,
    label: tuple[str, str],
    *,
    settings: IndicatorSettings,
    metric_crs: Any,
) -> IndicatorResult:
    common: dict[str, Any] = {
        "unit": "%",
        "target": target,
        "settings": settings,
        "layer_name": "",
        "parameters": {},
        "target_year": TARGET_YEAR_2020,
    }
    if not entry:
        why = reason("no_figure", figure=label[1], figure_zh=label[0])
        return missing_result(
            ident, "no_data", why, crs=metric_crs, provenance={"figure": "absent"}, **common
        )
    details = {"source": str(entry.get("source", "")), "figure_year": entry.get("year")}
    return make_result(
        ident,
        float(entry["value"]),
        layer=empty_layer(metric_crs),
        details=details,
        provenance={"figure": "entered"},
        **common,
    )


def compute_water_supply_coverage(
    figure: Mapping[str, Any] | None, *, settings: IndicatorSettings, metric_crs: Any
) -> IndicatorResult:
    """公共供水普及率 as entered by the county (``{"value", "source", "year"}`` or ``None``).

    >>> from gis.settings import IndicatorSettings
    >>> r = compute_water_supply_coverage({"value": 92.5, "source": "统计年鉴", "year": 2020},
    ...                                   settings=IndicatorSettings(), metric_crs=4547)
    >>> r.value, r.passed, r.details["source"]
    (92.5, True, '统计年鉴')
    >>> compute_water_supply_coverage(None, settings=IndicatorSettings(), metric_crs=4547).status
    'no_data'
    """
    return _figure_result(
        "water_supply_coverage",
        figure,
        settings.targets.water_supply_pct,
        ("公共供水普及率", "public water-supply coverage"),
        settings=settings,
        metric_crs=metric_crs,
    )


def compute_sewage_treatment_rate(
    figure: Mapping[str, Any] | None, *, settings: IndicatorSettings, metric_crs: Any
) -> IndicatorResult:
    """生活污水集中处理率 as entered by the county (target ≥ 88 %).

    >>> from gis.settings import IndicatorSettings
    >>> r = compute_sewage_treatment_rate({"value": 85, "source": "住建局", "year": 2019},
    ...                                   settings=IndicatorSettings(), metric_crs=4547)
    >>> r.value, r.passed, r.target
    (85.0, False, 88.0)
    """
    return _figure_result(
        "sewage_treatment_rate",
        figure,
        settings.targets.sewage_treatment_pct,
        ("生活污水集中处理率", "domestic sewage treatment rate"),
        settings=settings,
        metric_crs=metric_crs,
    )


def compute_special_plans_approved_share(
    entries: Mapping[str, Mapping[str, Any]] | None,
    *,
    settings: IndicatorSettings,
    metric_crs: Any,
) -> IndicatorResult:
    """Share of the 11 special plans of (一) with the status 已批复, in %.

    ``entries`` maps plan keys (:data:`gis.county_data.PLAN_KEYS`) to the checklist entries
    ``{"status", "approved_on", "document", "link"}``.

    Examples
    --------
    Four of the eleven approved, two in progress, the rest not reported: 4 / 11 = 36.36 %.

    >>> from gis.settings import IndicatorSettings
    >>> ok = {"status": "已批复", "approved_on": "2017-06-30", "document": "X政〔2017〕1号"}
    >>> entries = {k: ok for k in ("education", "medical", "culture", "sports")}
    >>> entries |= {k: {"status": "编制中"} for k in ("power", "telecom")}
    >>> r = compute_special_plans_approved_share(entries, settings=IndicatorSettings(),
    ...                                          metric_crs=4547)
    >>> round(r.value, 2), r.passed, r.details["by_status"]
    (36.36, False, {'未编制': 0, '编制中': 2, '已批复': 4, '未填报': 5})
    """
    common: dict[str, Any] = {
        "unit": "%",
        "target": settings.targets.special_plans_approved_pct,
        "settings": settings,
        "layer_name": "",
        "parameters": {"plans": [k for k, _zh, _en in SPECIAL_PLANS]},
        "target_year": SPECIAL_PLANS_TARGET_YEAR,
    }
    entries = {k: v for k, v in (entries or {}).items() if v}
    if not entries:
        return missing_result(
            "special_plans_approved_share",
            "no_data",
            reason("no_checklist"),
            crs=metric_crs,
            provenance={"checklist": "absent"},
            **common,
        )
    rows = []
    for key, zh, en in SPECIAL_PLANS:
        entry = entries.get(key) or {}
        rows.append(
            {
                "key": key,
                "name_zh": zh,
                "name_en": en,
                "status": str(entry.get("status") or "未填报"),
                "approved_on": str(entry.get("approved_on") or ""),
                "document": str(entry.get("document") or ""),
            }
        )
    by_status = {s: sum(1 for r in rows if r["status"] == s) for s in (*PLAN_STATUSES, "未填报")}
    approved = by_status[APPROVED]
    details = {
        "plans_total": len(SPECIAL_PLANS),
        "plans_approved": approved,
        "by_status": by_status,
        "plans": rows,
    }
    return make_result(
        "special_plans_approved_share",
        100.0 * approved / len(SPECIAL_PLANS),
        layer=empty_layer(metric_crs),
        details=details,
        provenance={"checklist": "entered"},
        **common,
    )
