"""The planning indicators of the 百城提质 project, one module per family, one result type.

:data:`INDICATOR_IDS` lists them in report order; :func:`compute_all` runs them
on a workspace already in its metric CRS (:meth:`gis.workspace.Workspace.to_metric`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from gis import county_data
from gis.crs import require_metric
from gis.indicators._common import NAMES as INDICATOR_NAMES
from gis.indicators._common import dissolve, intersection_of
from gis.indicators._threads import both, holds_turn, one_at_a_time
from gis.indicators.county_figures import (
    compute_sewage_treatment_rate,
    compute_special_plans_approved_share,
    compute_water_supply_coverage,
)
from gis.indicators.fitness_coverage import compute_fitness_15min_coverage
from gis.indicators.infrastructure import (
    compute_parking_per_100_cars,
    compute_sewer_network_coverage,
)
from gis.indicators.parks import (
    compute_green_space_ratio,
    compute_park_green_per_capita,
    compute_park_service_coverage,
    public_parks,
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
    "parking_per_100_cars",
    "sewer_network_coverage",
    "water_supply_coverage",
    "sewage_treatment_rate",
    "special_plans_approved_share",
)

__all__ = [
    "INDICATOR_IDS",
    "INDICATOR_NAMES",
    "compute_all",
    "compute_fitness_15min_coverage",
    "compute_green_space_ratio",
    "compute_park_green_per_capita",
    "compute_park_service_coverage",
    "compute_parking_per_100_cars",
    "compute_regulatory_plan_coverage",
    "compute_reported_targets",
    "compute_road_density",
    "compute_sewage_treatment_rate",
    "compute_sewer_network_coverage",
    "compute_special_plans_approved_share",
    "compute_urban_design_coverage",
    "compute_water_supply_coverage",
    "holds_turn",
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


def _housing(
    ws: Workspace,
    built_up: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame | None,
    settings: IndicatorSettings,
) -> tuple[gpd.GeoDataFrame | None, dict[str, str]]:
    """Residential land for the park service coverage, or a labelled stand-in when unmapped.

    Where residential land covers less than ``settings.residential_min_share`` of
    the built-up area, OpenStreetMap has not mapped the housing (most county
    seats): the built-up area less the public parks stands in, and the
    provenance says ``built_up_substitute``.  Returns the layer and the provenance.
    """
    residential = ws.layer("residential")
    area = dissolve(built_up)
    homes = intersection_of(dissolve(residential), area)
    prov = _prov(ws, "parks", "residential", "built_up")
    if area.area > 0 and homes.area < settings.residential_min_share * area.area:
        stand_in = area.difference(dissolve(public_parks(parks)))
        residential = gpd.GeoDataFrame(geometry=[stand_in], crs=built_up.crs)
        prov["residential"] = "built_up_substitute"
    return residential, prov


@one_at_a_time
def compute_all(ws: Workspace, settings: IndicatorSettings) -> list[IndicatorResult]:
    """All indicators, in :data:`INDICATOR_IDS` order, for a workspace in its metric CRS.

    Raises
    ------
    gis.errors.CrsError
        When the workspace's layers are not in a metric CRS.
    """
    built_up = ws.layers["built_up"]
    require_metric(built_up, "built_up")

    def road_density() -> IndicatorResult:
        return compute_road_density(
            ws.layers["roads"],
            built_up,
            settings=settings,
            provenance=_prov(ws, "roads", "built_up"),
        )

    road, others = both(
        road_density,
        lambda: _area_indicators(ws, built_up, settings),
        rows=len(ws.layers["roads"]),
    )
    return [road, *others]


def _area_indicators(
    ws: Workspace, built_up: gpd.GeoDataFrame, settings: IndicatorSettings
) -> list[IndicatorResult]:
    """Every indicator but the road density, in :data:`INDICATOR_IDS` order."""
    parks = ws.layer("parks")
    persons, source, is_estimate = urban_population(ws)
    homes, homes_provenance = _housing(ws, built_up, parks, settings)
    return [
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
            parks, homes, built_up, settings=settings, provenance=homes_provenance
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
        *compute_reported_targets(ws, built_up, settings),
    ]


@one_at_a_time
def compute_reported_targets(
    ws: Workspace, built_up: gpd.GeoDataFrame, settings: IndicatorSettings
) -> list[IndicatorResult]:
    """Parking, sewers, water supply, sewage treatment and special plans (issue 12)."""
    meta = ws.metadata
    return [
        compute_parking_per_100_cars(
            ws.layer("parking"),
            built_up,
            county_data.figure(meta, "registered_cars"),
            settings=settings,
            provenance=_prov(ws, "parking", "built_up"),
            metric_crs=ws.metric_crs,
        ),
        compute_sewer_network_coverage(
            ws.layer("sewer_pipes"),
            built_up,
            settings=settings,
            provenance=_prov(ws, "sewer_pipes", "built_up"),
            metric_crs=ws.metric_crs,
        ),
        compute_water_supply_coverage(
            county_data.figure(meta, "water_supply_pct"),
            settings=settings,
            metric_crs=ws.metric_crs,
        ),
        compute_sewage_treatment_rate(
            county_data.figure(meta, "sewage_treatment_pct"),
            settings=settings,
            metric_crs=ws.metric_crs,
        ),
        compute_special_plans_approved_share(
            county_data.read(meta)["special_plans"], settings=settings, metric_crs=ws.metric_crs
        ),
    ]
