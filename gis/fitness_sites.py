"""Fitness-site search on a workspace: ``k`` new sites, exact or greedy, fixed sites, exclusions.

Used by ``python -m gis sites`` and ``POST /api/v1/counties/{id}/fitness-sites``.  The search
is the fitness indicator's own (:func:`gis.indicators.fitness_coverage.suggest_sites`: the same
cell join, candidates and reach); this module gathers its inputs from a workspace and a request:
sites a planner fixes (longitude, latitude; existing or decided, counted as facilities), areas
where no site may go (polygons in EPSG:4326, or polygon layers of the workspace such as water or
protected land), and returns one JSON-ready answer.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape

from gis.crs import STORAGE_EPSG
from gis.errors import ValidationError
from gis.indicators._threads import one_at_a_time
from gis.indicators.fitness_coverage import compute_fitness_15min_coverage
from gis.report import in_metric_crs
from gis.settings import IndicatorSettings
from gis.workspace import Workspace

MAX_FIXED_SITES = 500
MAX_EXCLUDED_POLYGONS = 2_000
MAX_EXCLUDED_VERTICES = 200_000


@dataclass(frozen=True)
class SiteRequest:
    """What a planner asks: fixed sites (lon, lat), excluded polygons (EPSG:4326) and layers."""

    fixed_lonlat: tuple[tuple[float, float], ...] = ()
    excluded: tuple[shapely.Geometry, ...] = ()
    exclude_layers: tuple[str, ...] = ()


def parse_lonlat(text: str, source: str) -> tuple[float, float]:
    """``"lon,lat"`` in degrees; :class:`ValidationError` naming ``source`` otherwise.

    >>> parse_lonlat(" 104.05, 30.78 ", "--fix")
    (104.05, 30.78)
    """
    parts = str(text).split(",")
    try:
        lon, lat = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lon = lat = math.nan
    return check_lonlat(lon, lat, source, text)


def check_lonlat(lon: float, lat: float, source: str, shown: Any = None) -> tuple[float, float]:
    """A finite longitude in [-180, 180] and latitude in [-90, 90], else ValidationError."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        what = shown if shown is not None else [lon, lat]
        msg = (
            f"{source}: expected longitude,latitude in degrees (EPSG:4326), e.g. "
            f"104.05,30.78; got {what!r}"
        )
        raise ValidationError(msg)
    return float(lon), float(lat)


def polygons_from_geojson(document: Any, source: str) -> tuple[shapely.Geometry, ...]:
    """Polygons of a GeoJSON geometry, Feature or FeatureCollection in EPSG:4326.

    Raises :class:`ValidationError` naming ``source`` for anything else (points, lines,
    coordinates outside longitude/latitude ranges, too many polygons or vertices).

    >>> square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    >>> [g.geom_type for g in polygons_from_geojson({"type": "Feature", "geometry": square}, "x")]
    ['Polygon']
    """
    geometries = _geojson_geometries(document, source)
    out: list[shapely.Geometry] = []
    for i, geom_doc in enumerate(geometries):
        try:
            geom = shape(geom_doc)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            msg = f"{source}: geometry {i + 1} is not valid GeoJSON ({exc})"
            raise ValidationError(msg) from None
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            msg = f"{source}: geometry {i + 1} is a {geom.geom_type}; only polygons can be excluded"
            raise ValidationError(msg)
        out.append(shapely.make_valid(geom))
    coords = shapely.get_coordinates(np.asarray(out, dtype=object)) if out else np.zeros((0, 2))
    if len(out) > MAX_EXCLUDED_POLYGONS or len(coords) > MAX_EXCLUDED_VERTICES:
        msg = (
            f"{source}: at most {MAX_EXCLUDED_POLYGONS} polygons and {MAX_EXCLUDED_VERTICES} "
            f"vertices; got {len(out)} and {len(coords)} (simplify them or upload a layer)"
        )
        raise ValidationError(msg)
    if len(coords) and not (
        np.all(np.abs(coords[:, 0]) <= 180) and np.all(np.abs(coords[:, 1]) <= 90)
    ):
        msg = f"{source}: coordinates must be longitude/latitude in degrees (EPSG:4326)"
        raise ValidationError(msg)
    return tuple(out)


def _geojson_geometries(document: Any, source: str) -> list[Any]:
    """The geometry objects of a GeoJSON document."""
    if not isinstance(document, dict) or "type" not in document:
        msg = f"{source}: expected a GeoJSON object (FeatureCollection, Feature or Polygon)"
        raise ValidationError(msg)
    kind = document["type"]
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            msg = f"{source}: a FeatureCollection needs a 'features' list"
            raise ValidationError(msg)
        return [f.get("geometry") if isinstance(f, dict) else None for f in features]
    if kind == "Feature":
        return [document.get("geometry")]
    return [document]


@one_at_a_time
def suggest_fitness_sites(
    ws: Workspace, settings: IndicatorSettings, request: SiteRequest
) -> dict[str, Any]:
    """The site search of ``ws`` for ``settings`` (``sites_k``, ``sites_method``, time limit).

    Returns the fitness coverage now, the fixed sites' contribution, the suggested sites (in
    pick order: persons each adds to those before it), how they were found (``method``
    ``"exact"`` or ``"greedy"``, ``optimal``, ``gap_pct``, the greedy answer's persons) and the
    wall time of the search (``elapsed_s``).
    """
    settings.validate()
    if len(request.fixed_lonlat) > MAX_FIXED_SITES:
        msg = f"fixed sites: at most {MAX_FIXED_SITES}, got {len(request.fixed_lonlat)}"
        raise ValidationError(msg)
    metric = ws if in_metric_crs(ws) else ws.to_metric()
    crs = metric.metric_crs
    excluded = _excluded_areas(metric, request, crs)
    fixed = gpd.GeoDataFrame(
        geometry=gpd.GeoSeries(
            [shapely.Point(lon, lat) for lon, lat in request.fixed_lonlat], crs=STORAGE_EPSG
        ).to_crs(crs),
        crs=crs,
    )
    started = time.perf_counter()
    result = compute_fitness_15min_coverage(
        metric.layers["walk_nodes"],
        metric.layers["walk_edges"],
        metric.layer("sports"),
        metric.population,
        metric.layer("built_up"),
        settings=settings,
        provenance={},
        fixed_sites=fixed if len(fixed) else None,
        excluded_areas=excluded if len(excluded) else None,
    )
    details = result.details
    return {
        "county_id": ws.county_id,
        "coverage_pct": None if result.value is None else round(float(result.value), 4),
        "status": result.status,
        "reason": result.reason,
        "parameters": {
            "sites_k": settings.sites_k,
            "method": settings.sites_method,
            "time_limit_s": settings.sites_time_limit_s,
            "walk_minutes": settings.walk_minutes,
            "walk_speed_m_s": settings.walk_speed_m_s,
            "max_walk_m": round(settings.max_walk_m, 3),
        },
        "fixed_sites": [{"lon": lon, "lat": lat} for lon, lat in request.fixed_lonlat],
        "fixed_sites_effect": details.get("fixed_sites"),
        "excluded": {"layers": list(request.exclude_layers), "polygons": len(excluded)},
        "search": details.get("site_search", {}),
        "suggested_sites": details.get("suggested_sites", []),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }


def _excluded_areas(ws: Workspace, request: SiteRequest, crs: Any) -> gpd.GeoDataFrame:
    """The excluded polygons in the metric CRS: the request's and the named layers' polygons."""
    frames = []
    if request.excluded:
        given = gpd.GeoSeries(list(request.excluded), crs=STORAGE_EPSG).to_crs(crs)
        frames.append(gpd.GeoDataFrame(geometry=given, crs=crs))
    for spec in request.exclude_layers:
        frame = _exclude_layer(ws, spec)
        frames.append(gpd.GeoDataFrame(geometry=frame.geometry.to_crs(crs), crs=crs))
    if not frames:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    geoms = np.concatenate([np.asarray(f.geometry.values, dtype=object) for f in frames])
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


def _exclude_layer(ws: Workspace, spec: str) -> gpd.GeoDataFrame:
    """The polygons of ``NAME`` or ``NAME:COLUMN=VALUE`` (rows whose column equals the value)."""
    name, _, condition = spec.partition(":")
    frame = ws.layer(name)
    names = ", ".join(_polygon_layers(ws)) or "none"
    if frame is None:
        msg = f"exclude layer {name!r}: no such layer in the workspace; polygon layers: {names}"
        raise ValidationError(msg)
    if condition:
        column, eq, value = condition.partition("=")
        if not eq or column not in frame.columns:
            msg = (
                f"exclude layer {spec!r}: expected NAME:COLUMN=VALUE with a column of {name} "
                f"({', '.join(c for c in frame.columns if c != frame.geometry.name)})"
            )
            raise ValidationError(msg)
        frame = frame[frame[column].astype(str) == value]  # may be none: nothing excluded
    types = set(frame.geometry.geom_type.dropna())
    if (frame.empty and not condition) or not types <= {"Polygon", "MultiPolygon"}:
        msg = (
            f"exclude layer {spec!r}: needs polygons, it holds "
            f"{', '.join(sorted(types)) or 'nothing'}; polygon layers: {names}"
        )
        raise ValidationError(msg)
    return frame


def _polygon_layers(ws: Workspace) -> list[str]:
    """Names of the workspace's non-empty polygon layers."""
    return sorted(
        name
        for name, frame in ws.layers.items()
        if len(frame) and set(frame.geometry.geom_type.dropna()) <= {"Polygon", "MultiPolygon"}
    )
