"""Park and green-space indicators (GB/T 50563-2010): per capita, ratio, service radius.

* 人均公园绿地面积 park green area per capita (m²/person) = area of the dissolved
  public parks inside the built-up area ÷ urban population (census 城区人口 when
  known, else the workspace's total population; estimates are labelled).
* 绿地率 green-space ratio (%) = dissolved green space (parks included) inside
  the built-up area ÷ built-up area.
* 公园绿地服务半径覆盖率 park service-radius coverage (%) = residential land in the
  built-up area within ``big_park_radius_m`` of a park of at least
  ``big_park_m2`` or ``small_park_radius_m`` of a park of at least
  ``small_park_m2`` (parks dissolved first, so touching parks form one park)
  ÷ residential land in the built-up area.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.indicators._common import (
    _polygonal,
    area_pieces,
    clip_polygons,
    dissolve,
    intersection_of,
    make_result,
    missing_result,
    multipolygon,
    parts_layer,
    polygon_parts,
    reason,
    require_all_metric,
    split_polygons,
    union_polygons,
)
from gis.indicators._grow import Dissolved, Growth, derived, grown_clip, grown_union
from gis.indicators._state import digest_of, geometries
from gis.indicators._threads import one_at_a_time
from gis.result import IndicatorResult
from gis.settings import IndicatorSettings

NOT_PUBLIC_ACCESS = frozenset({"private", "no", "customers", "permit"})


def public_parks(parks: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Parks open to the public (``access`` not private/no/customers/permit)."""
    if parks is None or "access" not in parks.columns:
        return parks
    access = parks["access"].fillna("").astype(str).str.strip().str.lower()
    return parks[~access.isin(NOT_PUBLIC_ACCESS).to_numpy()]


@one_at_a_time
def compute_park_green_per_capita(
    parks: gpd.GeoDataFrame | None,
    built_up: gpd.GeoDataFrame,
    urban_population: float | None,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
    population_source: str = "urban_population",
    population_is_estimate: bool = False,
) -> IndicatorResult:
    """Public park area (m², dissolved, inside the built-up area) per urban resident.

    Examples
    --------
    Two overlapping 6,000 m² parks (union 9,000 m²) for 1,000 people: 9 m² each.

    >>> from shapely.geometry import box
    >>> from gis.settings import IndicatorSettings
    >>> bu = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=4547)
    >>> pk = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 60), box(50, 0, 150, 60)], crs=4547)
    >>> compute_park_green_per_capita(pk, bu, 1000, settings=IndicatorSettings(),
    ...                               provenance={}).value
    9.0
    """
    crs = require_all_metric({"parks": parks, "built_up": built_up})
    ident, unit = "park_green_per_capita", "m²/person"
    target = settings.targets.park_m2_per_capita
    params = {
        "population_source": population_source,
        "population_is_estimate": population_is_estimate,
        "excluded_access": sorted(NOT_PUBLIC_ACCESS),
    }
    base: dict[str, Any] = {
        "unit": unit,
        "target": target,
        "settings": settings,
        "crs": crs,
        "layer_name": "parks_in_built_up",
        "parameters": params,
        "provenance": provenance,
    }
    area = dissolve(built_up)
    if area.area <= 0:
        return missing_result(
            ident,
            "not_computable",
            reason("built_up_empty"),
            **base,
        )
    if urban_population is None or not urban_population > 0:
        return missing_result(
            ident,
            "not_computable",
            reason("no_urban_population"),
            **base,
        )
    inside = _clipped(*public_park_union(parks), built_up, area)
    details = {
        "park_area_m2": round(inside.area, 2),
        "urban_population": round(float(urban_population), 2),
        "population_source": population_source,
        "population_is_estimate": population_is_estimate,
    }
    base.pop("crs")
    return make_result(
        ident,
        inside.area / float(urban_population),
        layer=parts_layer(inside, crs),
        details=details,
        **base,
    )


@one_at_a_time
def compute_green_space_ratio(
    green_space: gpd.GeoDataFrame | None,
    built_up: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame | None = None,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
) -> IndicatorResult:
    """Dissolved green space (and parks) inside the built-up area ÷ built-up area, in %.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from gis.settings import IndicatorSettings
    >>> bu = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=4547)
    >>> gs = gpd.GeoDataFrame(geometry=[box(-100, 0, 100, 1000)], crs=4547)
    >>> compute_green_space_ratio(gs, bu, settings=IndicatorSettings(), provenance={}).value
    10.0
    """
    crs = require_all_metric({"green_space": green_space, "built_up": built_up, "parks": parks})
    ident = "green_space_ratio"
    base: dict[str, Any] = {
        "unit": "%",
        "target": settings.targets.green_space_ratio_pct,
        "settings": settings,
        "layer_name": "green_in_built_up",
        "parameters": {"includes_parks": parks is not None},
        "provenance": provenance,
    }
    area = dissolve(built_up)
    if area.area <= 0:
        return missing_result(
            ident,
            "not_computable",
            reason("built_up_empty"),
            crs=crs,
            **base,
        )
    green = _clipped(*green_union(green_space, parks), built_up, area)
    details = {"green_area_m2": round(green.area, 2), "built_up_area_m2": round(area.area, 2)}
    return make_result(
        ident,
        100.0 * green.area / area.area,
        layer=parts_layer(green, crs),
        details=details,
        **base,
    )


@one_at_a_time
def compute_park_service_coverage(
    parks: gpd.GeoDataFrame | None,
    residential: gpd.GeoDataFrame | None,
    built_up: gpd.GeoDataFrame,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
) -> IndicatorResult:
    """Residential land (in the built-up area) within a park's service radius ÷ all of it, in %.

    Examples
    --------
    A 100 m x 100 m park (10,000 m², serves 500 m) beside residential land
    reaching 1,000 m away: half of it is served.

    >>> from shapely.geometry import box
    >>> from gis.settings import IndicatorSettings
    >>> bu = gpd.GeoDataFrame(geometry=[box(-200, 0, 1000, 100)], crs=4547)
    >>> pk = gpd.GeoDataFrame(geometry=[box(-100, 0, 0, 100)], crs=4547)
    >>> rs = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 100)], crs=4547)
    >>> compute_park_service_coverage(pk, rs, bu, settings=IndicatorSettings(), provenance={}).value
    50.0
    """
    crs = require_all_metric({"parks": parks, "residential": residential, "built_up": built_up})
    ident = "park_service_coverage"
    params = {
        "big_park_m2": settings.big_park_m2,
        "big_park_radius_m": settings.big_park_radius_m,
        "small_park_m2": settings.small_park_m2,
        "small_park_radius_m": settings.small_park_radius_m,
    }
    base: dict[str, Any] = {
        "unit": "%",
        "target": settings.targets.park_service_coverage_pct,
        "settings": settings,
        "layer_name": "gap_park_unserved_residential",
        "parameters": params,
        "provenance": provenance,
    }
    area = dissolve(built_up)
    homes = intersection_of(dissolve(residential), area)
    if homes.area <= 0:
        return missing_result(
            ident,
            "not_computable",
            reason("no_residential"),
            crs=crs,
            **base,
        )
    served_m2, gap_geom, counts = _served(
        public_park_union(parks), homes, (residential, built_up), settings
    )
    details = {
        "residential_area_m2": round(homes.area, 2),
        "served_area_m2": round(served_m2, 2),
        **counts,
    }
    gap = parts_layer(gap_geom, crs)
    return make_result(ident, 100.0 * served_m2 / homes.area, layer=gap, details=details, **base)


def _service_zone(
    parks: BaseGeometry, settings: IndicatorSettings
) -> tuple[BaseGeometry, dict[str, int]]:
    """Union of the service buffers of big and small parks (after dissolving)."""
    park = np.asarray(polygon_parts(parks), dtype=object)
    size = shapely.area(park) if len(park) else np.zeros(0)
    big = shapely.buffer(
        park[size >= settings.big_park_m2], settings.big_park_radius_m, quad_segs=16
    )
    small = park[(size < settings.big_park_m2) & (size >= settings.small_park_m2)]
    small = shapely.buffer(small, settings.small_park_radius_m, quad_segs=16)
    zone = shapely.union_all([*big, *small]) if len(big) or len(small) else shapely.Polygon()
    return zone, {"big_parks": len(big), "small_parks": len(small)}


# --------------------------------------------------------------------------- kept state
# The dissolves, their clips and the service zone are kept by the content of their inputs
# (gis.indicators._grow): a county whose parks grew by a drawn park (a what-if scenario)
# merges the new park into the kept dissolve and clips only what changed.

Union = tuple[Dissolved, bytes, Growth | None]


def public_park_union(parks: gpd.GeoDataFrame | None) -> Union:
    """The dissolved public parks (kept; merged locally when parks were appended)."""
    return grown_union("public parks", [public_parks(parks)], lambda f: dissolve(f[0]))


def green_union(green_space: gpd.GeoDataFrame | None, parks: gpd.GeoDataFrame | None) -> Union:
    """The dissolved green space and parks (kept; merged locally when rows were appended)."""
    return grown_union(
        "green space and parks",
        [green_space, parks],
        lambda f: union_polygons([dissolve(f[0]), dissolve(f[1])]),
    )


def _clipped(
    dissolved: Dissolved,
    key: bytes,
    growth: Growth | None,
    built_up: gpd.GeoDataFrame,
    area: BaseGeometry,
) -> BaseGeometry:
    """The dissolve inside the built-up area ``area`` (the dissolve of ``built_up``)."""
    area_key = digest_of(geometries(built_up))
    if growth is None:
        return derived(
            digest_of(key, area_key),
            "in built-up",
            lambda: clip_polygons(dissolved.geom, area),
        )
    base_clip = derived(
        digest_of(growth.base_key, area_key),
        "in built-up",
        lambda: clip_polygons(growth.base.geom, area),
    )
    return grown_clip(base_clip, growth, area)


def _served(
    union: Union,
    homes: BaseGeometry,
    inputs: tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame],
    settings: IndicatorSettings,
) -> tuple[float, BaseGeometry, dict[str, int]]:
    """Served residential area, the unserved residential land and the park counts.

    Kept per parks, residential land, built-up area and the settings; for parks grown by
    appended polygons, from the base's: the merged parts are at least as large as the parts
    they replace, so (the larger radius belonging to the larger class) their service zone
    covers the replaced parts' and the new zone is the base's plus the merged parts' buffers.
    """
    dissolved, key, growth = union
    params = (
        settings.big_park_m2,
        settings.big_park_radius_m,
        settings.small_park_m2,
        settings.small_park_radius_m,
    )
    homes_key = digest_of(*(geometries(f) for f in inputs), *map(float, params))

    def full(geom: BaseGeometry) -> tuple[float, BaseGeometry, dict[str, int]]:
        zone, counts = _service_zone(geom, settings)
        served, gap = split_polygons(homes, zone, pieces=area_pieces(zone))  # zone not kept
        return served.area, gap, counts

    monotone = (
        settings.big_park_m2 >= settings.small_park_m2
        and settings.big_park_radius_m >= settings.small_park_radius_m
    )
    if growth is None or not monotone:
        out = derived(digest_of(key, homes_key), "served", lambda: full(dissolved.geom))
        return out
    base_served, base_gap, base_counts = derived(
        digest_of(growth.base_key, homes_key), "served", lambda: full(growth.base.geom)
    )
    counts = dict(base_counts)
    for parts, sign in ((growth.base.parts[growth.touched], -1), (growth.merged, 1)):
        for part in parts:
            kind = _park_class(part, settings)
            if kind:
                counts[kind] += sign
    buffers = [
        part.buffer(
            settings.big_park_radius_m
            if _park_class(part, settings) == "big_parks"
            else settings.small_park_radius_m
        )
        for part in growth.merged
        if _park_class(part, settings)
    ]
    if not buffers:
        return base_served, base_gap, counts
    reach = shapely.union_all(buffers)
    shapely.prepare(reach)
    gap_parts = shapely.get_parts(_polygonal(base_gap))
    gap_parts = gap_parts[~shapely.is_empty(gap_parts)]
    hit = shapely.intersects(reach, gap_parts) if len(gap_parts) else np.zeros(0, dtype=bool)
    cut = [_polygonal(g) for g in shapely.difference(gap_parts[hit], reach)]
    gained = float(shapely.area(gap_parts[hit]).sum()) - float(sum(g.area for g in cut))
    pieces = [*gap_parts[~hit], *(p for g in cut for p in shapely.get_parts(g))]
    return base_served + gained, multipolygon(pieces), counts


def _park_class(park: BaseGeometry, settings: IndicatorSettings) -> str:
    """``big_parks``, ``small_parks`` or ``""`` (too small to count), as :func:`_service_zone`."""
    if park.area >= settings.big_park_m2:
        return "big_parks"
    if park.area >= settings.small_park_m2:
        return "small_parks"
    return ""
