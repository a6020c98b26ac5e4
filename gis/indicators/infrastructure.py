"""Parking and sewers: two spatial targets of 豫百城提质〔2017〕1号 (四)(五), 2020.

* 百辆汽车公共停车泊位数 (spaces per 100 cars) = public parking spaces of the car parks in the
  built-up area ÷ registered cars (a county figure entered by staff) × 100; target ≥ 10.
  A car park counts when its representative point lies in the built-up area; one without a
  ``capacity_spaces`` is counted but adds no spaces (never an invented capacity), and the
  result says how many there were: the value is then a lower bound (labelled an estimate).
* 建成区污水管网覆盖率 (%) = built-up area within ``settings.sewer_service_m`` of a sewer pipe
  ÷ built-up area; target ≥ 90.  Gap layer: the built-up area outside that distance.

A missing layer or figure is ``no_data``, never a fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.indicators._common import (
    LAYER_NAMES_ZH,
    dissolve,
    has_sample,
    make_result,
    missing_result,
    parts_layer,
    reason,
    require_all_metric,
)
from gis.indicators._threads import one_at_a_time
from gis.result import IndicatorResult, empty_layer
from gis.settings import TARGET_YEAR_2020, IndicatorSettings

CAPACITY_COLUMN = "capacity_spaces"


def _no_built_up(built_up: gpd.GeoDataFrame | None) -> bool:
    return built_up is None or len(built_up) == 0 or dissolve(built_up).area <= 0


def _capacities(parking: gpd.GeoDataFrame) -> pd.Series:
    """``capacity_spaces`` as numbers (NaN where absent, not a number or negative)."""
    if CAPACITY_COLUMN not in parking.columns:
        return pd.Series(np.nan, index=parking.index, dtype=float)
    values = pd.Series(
        pd.to_numeric(parking[CAPACITY_COLUMN], errors="coerce"), index=parking.index, dtype=float
    )
    return values.where(values >= 0)


def _in_area(gdf: gpd.GeoDataFrame, area: Any) -> np.ndarray:
    """Which features have their representative point in ``area``."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    valid = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    safe = geoms.copy()
    safe[~valid] = shapely.Point(0, 0)
    points = shapely.point_on_surface(safe)
    shapely.prepare(area)
    inside: np.ndarray = shapely.intersects(area, points) & valid
    return inside


@one_at_a_time
def compute_parking_per_100_cars(
    parking: gpd.GeoDataFrame | None,
    built_up: gpd.GeoDataFrame,
    registered_cars: Mapping[str, Any] | None,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
    metric_crs: Any = None,
) -> IndicatorResult:
    """Public parking spaces in the built-up area per 100 registered cars.

    Parameters
    ----------
    parking : GeoDataFrame or None
        Car parks (points or polygons) with the integer column ``capacity_spaces``.
    built_up : GeoDataFrame
        The built-up area.
    registered_cars : mapping or None
        The county figure ``{"value": cars, "source", "year"}``; ``None`` when not entered.

    Examples
    --------
    Three car parks of 50, 120 and unknown spaces and 1,500 cars: 170 / 1,500 × 100 = 11.33,
    a lower bound since one capacity is unknown.

    >>> from shapely.geometry import Point, box
    >>> bu = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=4547)
    >>> lots = gpd.GeoDataFrame({"capacity_spaces": [50, 120, None]},
    ...     geometry=[Point(100, 100), box(400, 400, 450, 450), Point(900, 900)], crs=4547)
    >>> cars = {"value": 1500, "source": "交警大队", "year": 2020}
    >>> r = compute_parking_per_100_cars(lots, bu, cars, settings=IndicatorSettings(),
    ...                                  provenance={})
    >>> round(r.value, 2), r.passed, r.details["car_parks_without_capacity"], r.basis
    (11.33, True, 1, 'estimate')
    """
    crs = require_all_metric({"parking": parking, "built_up": built_up}, metric_crs=metric_crs)
    prov = dict(provenance)
    if has_sample(parking):
        prov["parking"] = "sample"
    prov["registered_cars"] = "entered" if registered_cars else "absent"
    common: dict[str, Any] = {
        "unit": "泊位/百辆",
        "target": settings.targets.parking_spaces_per_100_cars,
        "settings": settings,
        "layer_name": "gap_parking_no_capacity",
        "parameters": {"capacity_column": CAPACITY_COLUMN, "counted_within": "built_up"},
        "target_year": TARGET_YEAR_2020,
    }
    if _no_built_up(built_up):
        why = reason("built_up_empty")
        return missing_result(
            "parking_per_100_cars", "not_computable", why, crs=crs, provenance=prov, **common
        )
    if parking is None or len(parking) == 0:
        why = reason("no_layer", layer="parking", layer_zh=LAYER_NAMES_ZH["parking"])
        return missing_result(
            "parking_per_100_cars", "no_data", why, crs=crs, provenance=prov, **common
        )
    if not registered_cars:
        why = reason("no_figure", figure="registered cars", figure_zh="城区汽车保有量")
        return missing_result(
            "parking_per_100_cars", "no_data", why, crs=crs, provenance=prov, **common
        )
    inside = parking[_in_area(parking, dissolve(built_up))]
    capacity = _capacities(inside)
    unknown = inside[capacity.isna().to_numpy()]
    cars = float(registered_cars["value"])
    spaces = int(capacity.sum(skipna=True))
    details = {
        "car_parks_in_built_up": len(inside),
        "car_parks_outside_built_up": len(parking) - len(inside),
        "car_parks_with_capacity": len(inside) - len(unknown),
        "car_parks_without_capacity": len(unknown),
        "public_spaces": spaces,
        "registered_cars": int(cars),
        "registered_cars_source": str(registered_cars.get("source", "")),
        "registered_cars_year": registered_cars.get("year"),
        "value_is_lower_bound": len(unknown) > 0,
        "sample_data": prov.get("parking") == "sample",
    }
    prov["parking_capacity"] = "incomplete" if len(unknown) else "complete"
    if len(inside) and len(unknown) == len(inside):
        why = reason("no_parking_capacity", count=str(len(inside)))
        return missing_result(
            "parking_per_100_cars",
            "not_computable",
            why,
            crs=crs,
            provenance=prov,
            details=details,
            **common,
        )
    layer = _unknown_points(unknown, crs)
    return make_result(
        "parking_per_100_cars",
        100.0 * spaces / cars,
        layer=layer,
        details=details,
        provenance=prov,
        **common,
    )


def _unknown_points(unknown: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """The car parks without a capacity, as points (one per car park) to survey."""
    if len(unknown) == 0:
        layer = empty_layer(crs)
        layer["name"] = pd.Series([], dtype=object)
        return layer
    names = unknown["name"].astype(object) if "name" in unknown.columns else [""] * len(unknown)
    points = shapely.point_on_surface(np.asarray(unknown.geometry.values, dtype=object))
    return gpd.GeoDataFrame({"name": list(names)}, geometry=gpd.GeoSeries(points, crs=crs), crs=crs)


@one_at_a_time
def compute_sewer_network_coverage(
    sewer_pipes: gpd.GeoDataFrame | None,
    built_up: gpd.GeoDataFrame,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
    metric_crs: Any = None,
) -> IndicatorResult:
    """Share of the built-up area within ``settings.sewer_service_m`` of a sewer pipe, in %.

    Examples
    --------
    A 1 km square with a pipe along its west side and a 200 m service distance: 20 %.

    >>> from shapely.geometry import LineString, box
    >>> bu = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=4547)
    >>> pipes = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (0, 1000)])], crs=4547)
    >>> r = compute_sewer_network_coverage(pipes, bu, settings=IndicatorSettings(),
    ...                                    provenance={})
    >>> round(r.value, 6), r.passed, round(r.layer.area.sum())
    (20.0, False, 800000)
    """
    crs = require_all_metric(
        {"sewer_pipes": sewer_pipes, "built_up": built_up}, metric_crs=metric_crs
    )
    prov = dict(provenance)
    if has_sample(sewer_pipes):
        prov["sewer_pipes"] = "sample"
    common: dict[str, Any] = {
        "unit": "%",
        "target": settings.targets.sewer_coverage_pct,
        "settings": settings,
        "layer_name": "gap_sewer_uncovered_built_up",
        "parameters": {"sewer_service_m": settings.sewer_service_m},
        "provenance": prov,
        "target_year": TARGET_YEAR_2020,
    }
    if _no_built_up(built_up):
        return missing_result(
            "sewer_network_coverage", "not_computable", reason("built_up_empty"), crs=crs, **common
        )
    if sewer_pipes is None or len(sewer_pipes) == 0:
        why = reason("no_layer", layer="sewer_pipes", layer_zh=LAYER_NAMES_ZH["sewer_pipes"])
        return missing_result("sewer_network_coverage", "no_data", why, crs=crs, **common)
    area = dissolve(built_up)
    geoms = np.asarray(sewer_pipes.geometry.values, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    served = shapely.union_all(shapely.buffer(geoms, settings.sewer_service_m))
    covered = area.intersection(served)
    pipe_length_m = float(shapely.length(shapely.intersection(geoms, area)).sum())
    details = {
        "built_up_area_m2": round(area.area, 2),
        "covered_area_m2": round(covered.area, 2),
        "pipes_total": len(sewer_pipes),
        "pipe_length_in_built_up_m": round(pipe_length_m, 2),
        "sample_data": prov.get("sewer_pipes") == "sample",
    }
    gap = parts_layer(area.difference(served), crs)
    return make_result(
        "sewer_network_coverage",
        100.0 * covered.area / area.area,
        layer=gap,
        details=details,
        **common,
    )
