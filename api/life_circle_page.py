"""The planner page's 15-minute life circle section (templates/_life_circle.html): display rows."""

from __future__ import annotations

from typing import Any

STATUS_TEXT = {"no_data": "无数据 no data", "not_computable": "无法计算 not computable"}


def life_circle_rows(report: dict[str, Any]) -> dict[str, Any]:
    """The life-circle report (:func:`gis.life_circle_report.life_circle_report`) for the page.

    >>> report = {"indicators": [
    ...     {"id": "life_circle_kindergarten", "name_zh": "幼儿园", "name_en": "Kindergarten",
    ...      "value": 11.08, "status": "ok", "gap_layer": "gap_life_circle_kindergarten",
    ...      "parameters": {"tier_min": 5, "threshold_m": 300.0}, "details": {"facilities": 6}},
    ...     {"id": "life_circle_all_types", "value": 0.0, "status": "ok",
    ...      "details": {"at_least_pct": {"0": 100.0, "1": 90.6}, "types_counted": ["a"]}}],
    ...     "notes": ["unweighted"]}
    >>> page = life_circle_rows(report)
    >>> page["rows"][0]["walk"], page["rows"][0]["display"], page["at_least"]
    ('5 min · 300 m', '11.08 %', [('1', 90.6)])
    """
    *types, reach = report["indicators"]
    rows = []
    for item in types:
        params, details = item["parameters"], item["details"]
        value = item["value"]
        rows.append(
            {
                "id": item["id"],
                "name_zh": item["name_zh"],
                "name_en": item["name_en"],
                "walk": f"{params['tier_min']} min · {params['threshold_m']:g} m",
                "facilities": details.get("facilities", "—"),
                "value": value,
                "display": "—" if value is None else f"{value:.2f} %",
                "status": item["status"],
                "status_text": STATUS_TEXT.get(item["status"], item["status"]),
                "gap_layer": item.get("gap_layer", ""),
            }
        )
    at_least = reach["details"].get("at_least_pct") or {}
    all_types = reach["value"]
    return {
        "rows": rows,
        "at_least": [(k, v) for k, v in at_least.items() if k != "0"],
        "all_types": "" if all_types is None else all_types,
        "all_types_display": "—" if all_types is None else f"{all_types:.1f}",
        "types_counted": len(reach["details"].get("types_counted") or []),
        "notes": list(report.get("notes") or []),
    }
