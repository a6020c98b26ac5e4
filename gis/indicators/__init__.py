"""The seven planning indicators of the 百城提质 project, one module each, one result type.

:data:`INDICATOR_IDS` lists them in report order; :func:`compute_all` runs them
on a workspace already in its metric CRS (:meth:`gis.workspace.Workspace.to_metric`).
"""

from __future__ import annotations

from typing import Any

from gis.crs import require_metric
from gis.indicators.fitness_coverage import compute_fitness_15min_coverage
from gis.indicators.parks import (
    compute_green_space_ratio,
    compute_park_green_per_capita,
    compute_park_service_coverage,
)
from gis.indicators.planning import compute_regulatory_plan_coverage, compute_urban_design_coverage
from gis.indicators.road_density import compute_road_density
from gis.result import IndicatorResult
from gis.settings import IndicatorSettings
from gis.workspace import Workspace

INDICATOR_IDS: tuple[str, ...] = (
    "road_density",
    "fitness_15min_coverage",
    "park_green_per_capita",
    "green_space_ratio",
    "park_service_coverage",
    "regulatory_plan_coverage",
    "urban_design_coverage",
)

__all__ = [
    "INDICATOR_IDS",
    "compute_all",
    "compute_fitness_15min_coverage",
    "compute_green_space_ratio",
    "compute_park_green_per_capita",
    "compute_park_service_coverage",
    "compute_regulatory_plan_coverage",
    "compute_road_density",
    "compute_urban_design_coverage",
    "urban_population",
]


def urban_population(ws: Workspace) -> tuple[float | None, str, bool]:
    """The population used per capita: ``(persons, source, is_estimate)``.

    The census 城区人口 (metadata ``population.urban_population``) when present,
    else the metadata total, else the population raster's sum.
    """
    meta: dict[str, Any] = ws.metadata.get("population") or {}
    is_estimate = bool(meta.get("is_estimate", meta.get("provenance") == "estimated"))
    if meta.get("urban_population") is not None:
        return float(meta["urban_population"]), "urban_population (城区人口)", is_estimate
    if meta.get("total") is not None:
        return float(meta["total"]), "population total (人口总数; no 城区人口 given)", is_estimate
    if ws.population is not None:
        return ws.population.total, "population raster sum (人口栅格合计)", is_estimate
    return None, "none", is_estimate


def _prov(ws: Workspace, *names: str) -> dict[str, str]:
    """Provenance of the named inputs (``population`` from the metadata)."""
    out = {}
    for name in names:
        if name == "population":
            out[name] = str((ws.metadata.get("population") or {}).get("provenance", "unknown"))
        elif ws.layer(name) is not None:
            out[name] = ws.provenance(name)
        else:
            out[name] = "absent"
    return out


def compute_all(ws: Workspace, settings: IndicatorSettings) -> list[IndicatorResult]:
    """All seven indicators, in :data:`INDICATOR_IDS` order, for a workspace in its metric CRS.

    Raises
    ------
    gis.errors.CrsError
        When the workspace's layers are not in a metric CRS.
    """
    built_up = ws.layers["built_up"]
    require_metric(built_up, "built_up")
    parks = ws.layer("parks")
    persons, source, is_estimate = urban_population(ws)
    return [
        compute_road_density(
            ws.layers["roads"],
            built_up,
            settings=settings,
            provenance=_prov(ws, "roads", "built_up"),
        ),
        compute_fitness_15min_coverage(
            ws.layers["walk_nodes"],
            ws.layers["walk_edges"],
            ws.layer("sports"),
            ws.population,
            built_up,
            settings=settings,
            provenance=_prov(ws, "walk_edges", "sports", "population", "built_up"),
        ),
        compute_park_green_per_capita(
            parks,
            built_up,
            persons,
            settings=settings,
            population_source=source,
            population_is_estimate=is_estimate,
            provenance=_prov(ws, "parks", "built_up", "population"),
        ),
        compute_green_space_ratio(
            ws.layer("green_space"),
            built_up,
            parks,
            settings=settings,
            provenance=_prov(ws, "green_space", "parks", "built_up"),
        ),
        compute_park_service_coverage(
            parks,
            ws.layer("residential"),
            built_up,
            settings=settings,
            provenance=_prov(ws, "parks", "residential", "built_up"),
        ),
        compute_regulatory_plan_coverage(
            ws.layer("plans"),
            built_up,
            settings=settings,
            provenance=_prov(ws, "plans", "built_up"),
            metric_crs=ws.metric_crs,
        ),
        compute_urban_design_coverage(
            ws.layer("urban_designs"),
            ws.layer("key_areas"),
            settings=settings,
            provenance=_prov(ws, "urban_designs", "key_areas"),
            metric_crs=ws.metric_crs,
        ),
    ]
