"""Helpers shared by the blueprints: the store, query schemas, settings and cached responses."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import geopandas as gpd
from apiflask import HTTPError, Schema
from apiflask.fields import Float, Integer
from apiflask.validators import Range
from flask import Response, current_app, g, request

from api.auth import current_user
from api.cache import CountyCache, make_body, settings_key
from gis.settings import DEFAULT_SETTINGS, IndicatorSettings
from layers.catalog import POPULATION_LAYER, PUBLIC_FLAG_LAYERS, LayerInfo, visible_rows
from layers.view import LayerIndex

MIN_YEAR = min(DEFAULT_SETTINGS.targets_by_year)
CACHE_MAX_AGE_S = 300
# Each distinct parameter set is a full indicator run and a cache entry, so the API rounds the
# walking time and speed to the steps a planner needs (the answer's ``parameters`` and the
# ``X-Parameters-Used`` header say which values were used, ``X-Parameter-Steps`` the steps).
MINUTES_STEP = 0.5
WALK_SPEED_STEP = 0.05


def quantise(value: float | None, step: float) -> float | None:
    """``value`` rounded to the nearest multiple of ``step`` (a positive value to one step or more).

    Values out of range stay out of range, so they are still refused with a 400.

    >>> quantise(15.26, 0.5), quantise(0.1, 0.5), quantise(1.1234, 0.05), quantise(-3.0, 0.5)
    (15.5, 0.5, 1.1, -3.0)
    """
    if value is None or not math.isfinite(value):
        return value
    rounded = round(round(float(value) / step) * step, 6)
    return step if value > 0 and rounded <= 0 else rounded


PARAMETER_STEPS = f"minutes={MINUTES_STEP:g}; walk_speed={WALK_SPEED_STEP:g}"


def get_store() -> CountyCache:
    """The app's :class:`CountyCache`."""
    store: CountyCache = current_app.extensions["gis_store"]
    return store


class IndicatorQuery(Schema):
    """Indicator parameters (omitted ones take the defaults of gis/settings.py)."""

    year = Integer(
        load_default=None,
        validate=Range(min=MIN_YEAR, max=2100),
        metadata={
            "description": f"assessment year (targets of {MIN_YEAR} or later); default "
            f"{DEFAULT_SETTINGS.year}"
        },
    )
    minutes = Float(
        load_default=None,
        validate=Range(min=0, max=120, min_inclusive=False),
        metadata={
            "description": "walking time of the fitness circle in minutes (0-120], rounded to "
            f"the nearest {MINUTES_STEP:g} (at least {MINUTES_STEP:g}); default "
            f"{DEFAULT_SETTINGS.walk_minutes:g}"
        },
    )
    walk_speed = Float(
        load_default=None,
        validate=Range(min=0.2, max=3.0),
        metadata={
            "description": "walking speed in m/s (0.2-3.0), rounded to the nearest "
            f"{WALK_SPEED_STEP:g}; default {DEFAULT_SETTINGS.walk_speed_m_s:g}"
        },
    )


def settings_from(query: dict[str, Any]) -> IndicatorSettings:
    """:class:`IndicatorSettings` for validated query parameters (400 naming a bad one)."""
    try:
        settings = DEFAULT_SETTINGS.with_overrides(
            year=query.get("year"),
            walk_minutes=quantise(query.get("minutes"), MINUTES_STEP),
            walk_speed_m_s=quantise(query.get("walk_speed"), WALK_SPEED_STEP),
        )
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from exc
    g.parameters_used = (
        f"year={settings.year}; minutes={settings.walk_minutes:g}; "
        f"walk_speed={settings.walk_speed_m_s:g}"
    )
    return settings


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``"min_lon,min_lat,max_lon,max_lat"`` to a tuple; 400 naming ``bbox`` when malformed."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    problem = ""
    values: list[float] = []
    if len(parts) != 4:
        problem = "expected 4 comma-separated numbers min_lon,min_lat,max_lon,max_lat"
    else:
        try:
            values = [float(p) for p in parts]
        except ValueError:
            problem = "every value must be a number"
    if not problem:
        minx, miny, maxx, maxy = values
        if not all(abs(v) < float("inf") for v in values):
            problem = "values must be finite"
        elif not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problem = "need -180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90"
    if problem:
        raise HTTPError(
            400, f"query parameter 'bbox': {problem}", detail={"query": {"bbox": [problem]}}
        )
    return values[0], values[1], values[2], values[3]


def cached_json(
    key: Any, compute: Callable[[], Any], *, max_age: int = CACHE_MAX_AGE_S
) -> Response:
    """A JSON response from the body cache with ETag and Cache-Control; 304 on If-None-Match."""
    cached = get_store().bodies.get_or_compute(key, lambda: make_body(compute()))
    response = Response(cached.body, mimetype=cached.mimetype)
    response.set_etag(cached.etag)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if "parameters_used" in g:
        response.headers["X-Parameters-Used"] = g.parameters_used
        response.headers["X-Parameter-Steps"] = PARAMETER_STEPS
    return response.make_conditional(request)


# --- what a visitor may see -------------------------------------------------------------------


def viewer_sees_private(county_id: str) -> bool:
    """Whether this request's visitor may see the county's rows not marked public.

    The county's staff and administrators may (signed in or with a token); anonymous visitors,
    public accounts and staff of other counties may not.
    """
    return current_user().can_write(county_id)


def visible_layer(
    county_id: str, name: str, settings: IndicatorSettings, *, private: bool | None = None
) -> gpd.GeoDataFrame:
    """Layer ``name`` as this visitor may see it (``private`` overrides who is asking).

    Every answer carrying a layer's features (API, exports, pages) reads it through here, so
    :func:`layers.catalog.visible_rows` is applied everywhere.
    """
    if private is None:
        private = viewer_sees_private(county_id)
    return visible_rows(get_store().frame(county_id, name, settings), name, private=private)


def visible_index(
    county_id: str, name: str, settings: IndicatorSettings, *, private: bool
) -> LayerIndex:
    """:func:`visible_layer` with its spatial index (cached per county version and viewer)."""
    store = get_store()
    version = store.version(county_id)
    key: tuple[Any, ...] = ("view-index", county_id, version, name, viewer_key(private=private))
    if name not in store.workspace(county_id).layers and name != POPULATION_LAYER:
        key = (*key, settings_key(settings))
    return store.derived(
        key, lambda: LayerIndex.build(visible_layer(county_id, name, settings, private=private))
    )


def visible_catalog(
    county_id: str, settings: IndicatorSettings, *, private: bool | None = None
) -> list[LayerInfo]:
    """The county's layer list with the feature counts this visitor may see."""
    if private is None:
        private = viewer_sees_private(county_id)
    infos = get_store().catalog(county_id, settings)
    if private:
        return infos
    return [
        replace(i, feature_count=len(visible_layer(county_id, i.name, settings, private=False)))
        if i.name in PUBLIC_FLAG_LAYERS
        else i
        for i in infos
    ]


def viewer_key(*, private: bool) -> str:
    """The part of a cache key telling what the visitor may see."""
    return "private" if private else "public"


def vary_by_viewer(response: Response, *, private: bool) -> Response:
    """Mark an answer that depends on the visitor: ``Vary``, and never shared when private."""
    response.vary.update(("Cookie", "Authorization"))
    if private:
        response.cache_control.public = False
        response.cache_control.private = True
    return response
