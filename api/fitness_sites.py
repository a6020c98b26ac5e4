"""Fitness-site search for planners: ``POST /api/v1/counties/<county>/fitness-sites``.

A JSON body asks for ``k`` new sites by ``method`` (``exact``: the maximal covering optimum
within ``time_limit_s``, else the greedy answer; ``greedy``), with sites already fixed
(``fixed_sites``: ``[[lon, lat], ...]``) and areas where no site may go (``excluded``: GeoJSON
polygons in EPSG:4326; ``exclude_layers``: polygon layers of the workspace, ``NAME`` or
``NAME:COLUMN=VALUE``).  It changes nothing stored.  It is a planning tool of the county's staff
(and administrators): a Bearer token, or the session cookie with the CSRF token; anonymous
visitors and other accounts are refused, as every POST is.  Each call is a fresh computation
(no cache): the time limit bounds it (``SITES_MAX_TIME_LIMIT_S``, default 60 s), and it takes one
of the process's indicator-computation slots (``RECOMPUTE_CONCURRENCY``, api/ratelimit.py), so
that searches never take every thread: 503 ``busy`` with ``Retry-After`` when none is free.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Float, Integer, List, Raw, String
from flask import current_app, request

from api.auth import require_writer
from api.common import get_store
from api.ratelimit import ComputeBusyError
from gis.errors import Problem, ValidationError
from gis.fitness_sites import (
    MAX_FIXED_SITES,
    SiteRequest,
    check_lonlat,
    polygons_from_geojson,
    suggest_fitness_sites,
)
from gis.settings import DEFAULT_SETTINGS, SITE_METHODS, IndicatorSettings

bp = APIBlueprint("fitness_sites", __name__, tag="Fitness sites")
DEFAULT_MAX_TIME_LIMIT_S = 60.0
MAX_EXCLUDE_LAYERS = 20
FIELDS = (
    "k",
    "method",
    "time_limit_s",
    "fixed_sites",
    "excluded",
    "exclude_layers",
    "minutes",
    "walk_speed",
)


class SitesIn(Schema):
    """The request (documented; checked by :func:`parse_request`)."""

    k = Integer(metadata={"description": f"new sites, 0-100; default {DEFAULT_SETTINGS.sites_k}"})
    method = String(metadata={"description": "exact (default) or greedy"})
    time_limit_s = Float(
        metadata={"description": "seconds the exact solver may take (default 5, at most 60)"}
    )
    fixed_sites = List(
        List(Float()), metadata={"description": "sites already fixed: [[lon, lat], ...]"}
    )
    excluded = Raw(metadata={"description": "GeoJSON polygons (EPSG:4326) where no site may go"})
    exclude_layers = List(
        String(), metadata={"description": "workspace polygon layers: NAME or NAME:COLUMN=VALUE"}
    )
    minutes = Float(metadata={"description": "walking minutes (default 15)"})
    walk_speed = Float(metadata={"description": "walking speed in m/s (default 1.1)"})


class SitesOut(Schema):
    county_id = String()
    coverage_pct = Float(allow_none=True)
    status = String()
    reason = String(allow_none=True)
    parameters = Dict()
    fixed_sites = List(Dict())
    fixed_sites_effect = Dict(allow_none=True)
    excluded = Dict()
    search = Dict()
    suggested_sites = List(Dict())
    elapsed_s = Float()


def _problem(field: str, en: str, zh: str) -> Problem:
    return Problem(field, en, zh, "invalid_parameter")


def _number(body: dict[str, Any], field: str, problems: list[Problem]) -> float | None:
    """A finite number (not a boolean) or ``None`` when absent; a problem otherwise."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(
            _problem(field, f"{field} must be a number, got {value!r}", f"{field} 须为数值")
        )
        return None
    return float(value)


def parse_request(body: Any, max_time_limit_s: float) -> tuple[IndicatorSettings, SiteRequest]:
    """Settings and request from the JSON body; every problem at once (ValidationError, 400)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        msg = 'the body must be a JSON object, e.g. {"k": 5, "method": "exact"}'
        raise ValidationError(msg)
    problems: list[Problem] = []
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        problems.append(
            _problem(
                ", ".join(unknown),
                f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}",
                f"未知字段 {', '.join(unknown)}",
            )
        )
    k = _number(body, "k", problems)
    if k is not None and k != int(k):
        problems.append(_problem("k", f"k must be a whole number, got {k:g}", "k 须为整数"))
    method = body.get("method", DEFAULT_SETTINGS.sites_method)
    if method not in SITE_METHODS:
        problems.append(
            _problem(
                "method",
                f"method must be one of {', '.join(SITE_METHODS)}, got {method!r}",
                "method 须为 exact（精确解）或 greedy（贪心近似）",
            )
        )
    limit = _number(body, "time_limit_s", problems)
    if limit is not None and not 0 < limit <= max_time_limit_s:
        problems.append(
            _problem(
                "time_limit_s",
                f"time_limit_s must be > 0 and <= {max_time_limit_s:g}, got {limit:g}",
                f"time_limit_s 须大于0且不超过 {max_time_limit_s:g} 秒",
            )
        )
    fixed = _fixed_sites(body.get("fixed_sites"), problems)
    excluded, layers = _exclusions(body, problems)
    minutes = _number(body, "minutes", problems)
    speed = _number(body, "walk_speed", problems)
    settings = DEFAULT_SETTINGS
    if not problems:
        try:
            settings = DEFAULT_SETTINGS.with_overrides(
                sites_k=None if k is None else int(k),
                sites_method=method,
                sites_time_limit_s=limit,
                walk_minutes=minutes,
                walk_speed_m_s=speed,
            )
        except ValueError as exc:
            problems.append(_problem("parameters", str(exc), "参数超出范围"))
    if problems:
        msg = "; ".join(p.message_en for p in problems)
        raise ValidationError(msg, problems)
    return settings, SiteRequest(fixed, excluded, tuple(layers))


def _exclusions(body: dict[str, Any], problems: list[Problem]) -> tuple[tuple[Any, ...], list[str]]:
    """The excluded polygons and layer names of the body; problems collected."""
    excluded: tuple[Any, ...] = ()
    if body.get("excluded") is not None:
        try:
            excluded = polygons_from_geojson(body["excluded"], "excluded")
        except ValidationError as exc:
            problems.append(_problem("excluded", exc.message, "excluded 须为经纬度多边形 GeoJSON"))
    layers = body.get("exclude_layers") or []
    if not isinstance(layers, list) or not all(isinstance(n, str) and n for n in layers):
        problems.append(
            _problem(
                "exclude_layers",
                "exclude_layers must be a list of layer names",
                "exclude_layers 须为图层名列表",
            )
        )
        layers = []
    elif len(layers) > MAX_EXCLUDE_LAYERS:
        problems.append(
            _problem(
                "exclude_layers",
                f"at most {MAX_EXCLUDE_LAYERS} layers",
                f"最多 {MAX_EXCLUDE_LAYERS} 个图层",
            )
        )
    return excluded, layers


def _fixed_sites(value: Any, problems: list[Problem]) -> tuple[tuple[float, float], ...]:
    """``[[lon, lat], ...]`` checked; problems collected."""
    if value is None:
        return ()
    ok = isinstance(value, list) and len(value) <= MAX_FIXED_SITES
    pairs: list[tuple[float, float]] = []
    for i, item in enumerate(value if ok else []):
        good = (
            isinstance(item, list)
            and len(item) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in item)
        )
        try:
            if not good:
                raise ValidationError("not a pair")
            pairs.append(check_lonlat(float(item[0]), float(item[1]), f"fixed_sites[{i}]"))
        except ValidationError:
            ok = False
            break
    if not ok:
        problems.append(
            _problem(
                "fixed_sites",
                f"fixed_sites must be a list of at most {MAX_FIXED_SITES} [lon, lat] pairs in "
                "degrees (EPSG:4326), e.g. [[104.05, 30.78]]",
                "fixed_sites 须为经纬度坐标对列表，如 [[104.05, 30.78]]",
            )
        )
        return ()
    return tuple(pairs)


@bp.post("/api/v1/counties/<county_id>/fitness-sites")
@require_writer()
@bp.input(SitesIn, location="json", validation=False, arg_name="body")
@bp.output(SitesOut)
@bp.doc(
    summary="Suggest fitness sites: exact or greedy, fixed sites, excluded areas (staff)",
    description="`k` new sports-facility sites covering the most residents outside the "
    "15-minute fitness circle. `method`: `exact` (default) solves the maximal covering "
    "integer programme with HiGHS within `time_limit_s` and answers the proven optimum, else "
    "the better of the solver's best and the greedy answer; `greedy` picks one site at a time. "
    "`search` says which (`method`, `optimal`, `gap_pct` to the solver's bound, "
    "`greedy_persons_added`). `fixed_sites` ([[lon, lat], ...]) count as facilities; no site "
    "is suggested inside `excluded` (GeoJSON polygons, EPSG:4326) or `exclude_layers` "
    "(workspace polygon layers, `NAME` or `NAME:COLUMN=VALUE`). Changes nothing stored. Needs "
    "a staff account for the county (Bearer token, or the session cookie plus the "
    "`X-CSRF-Token` header).",
    responses={
        400: "Invalid request",
        401: "Not signed in",
        403: "Not allowed for this county",
        404: "Unknown county",
    },
    security="BearerAuth",
)
def post_fitness_sites(county_id: str, body: Any = None) -> Any:
    store = get_store()
    store.location(county_id)  # 404 for an unknown county
    max_limit = float(current_app.config.get("SITES_MAX_TIME_LIMIT_S", DEFAULT_MAX_TIME_LIMIT_S))
    payload = request.get_json(silent=True)
    if payload is None and request.get_data(cache=True).strip():
        msg = 'the body is not JSON; send a JSON object, e.g. {"k": 5, "method": "exact"}'
        raise ValidationError(msg)
    settings, site_request = parse_request(payload, max_limit)
    with _compute_slot():
        return suggest_fitness_sites(store.workspace(county_id), settings, site_request)


@contextlib.contextmanager
def _compute_slot() -> Iterator[None]:
    """One of the app's computation slots for the search, else 503 (``ComputeBusyError``)."""
    slots: threading.BoundedSemaphore | None = current_app.extensions.get("gis_compute_slots")
    if slots is None:
        yield
        return
    if not slots.acquire(timeout=float(current_app.config.get("RECOMPUTE_WAIT_S", 0.0))):
        raise ComputeBusyError(int(current_app.config.get("RECOMPUTE_RETRY_AFTER_S", 5)))
    try:
        yield
    finally:
        slots.release()
