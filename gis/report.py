"""One county's indicator report: the JSON object the CLI prints and the API serves.

``{"county": {...}, "year", "parameters", "indicators": [...], "assessment": {...}}``
(see docs/indicators.md), plus the :class:`~gis.result.IndicatorResult` objects
with their gap layers for maps and exports.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from pyproj import CRS

from gis.assessment import DEFAULT_RULES, AssessmentRules, assess
from gis.indicators import compute_all
from gis.indicators._threads import one_at_a_time
from gis.result import IndicatorResult
from gis.settings import IndicatorSettings
from gis.workspace import Workspace


@one_at_a_time
def county_report(
    ws: Workspace, settings: IndicatorSettings, rules: AssessmentRules = DEFAULT_RULES
) -> tuple[dict[str, Any], list[IndicatorResult]]:
    """Compute every indicator of ``ws`` and assess them.

    Parameters
    ----------
    ws : Workspace
        The county, in its storage CRS or already in its metric CRS.
    settings : IndicatorSettings
        Year, walking time and speed, and the other parameters (validated here).
    rules : AssessmentRules
        The grading rules (:data:`gis.assessment.DEFAULT_RULES`).

    Returns
    -------
    (dict, list of IndicatorResult)
        The JSON-ready report and the results in :data:`gis.indicators.INDICATOR_IDS` order.
    """
    settings.validate()
    metric = ws if in_metric_crs(ws) else ws.to_metric()
    results = compute_all(metric, settings)
    report = {
        "county": county_summary(ws),
        "year": settings.year,
        "parameters": settings_parameters(settings),
        "indicators": [r.to_dict() for r in results],
        "assessment": assess(results, rules).to_dict(),
    }
    return report, results


def in_metric_crs(ws: Workspace) -> bool:
    """Whether every layer is already in the workspace's metric CRS."""
    target = CRS.from_user_input(ws.metric_crs)
    return target.is_projected and all(
        gdf.crs is not None and target.equals(gdf.crs) for gdf in ws.layers.values()
    )


def county_summary(ws: Workspace) -> dict[str, Any]:
    """The ``county`` object of the report."""
    meta = ws.metadata
    pop: dict[str, Any] = meta.get("population") or {}
    total = pop.get("total")
    if total is None and ws.population is not None:
        total = ws.population.total
    return {
        "id": ws.county_id,
        "name": meta.get("name", ws.county_id),
        "adcode": meta.get("adcode"),
        "is_demonstration": bool(meta.get("is_demonstration", False)),
        "population": None if total is None else round(float(total), 1),
        "population_is_estimate": bool(
            pop.get("is_estimate", pop.get("provenance") == "estimated")
        ),
    }


def settings_parameters(settings: IndicatorSettings) -> dict[str, Any]:
    """Every parameter and the year's targets, JSON-ready."""
    out = {
        f.name: getattr(settings, f.name)
        for f in fields(settings)
        if f.name not in ("targets_by_year", "life_circle")  # life circle: its own report
    }
    out["max_walk_m"] = round(settings.max_walk_m, 3)
    out["target_year"] = settings.target_year()
    out["targets"] = asdict(settings.targets)
    return out
