"""The 15-minute life circle (15分钟生活圈 / 城市体检): ``/counties/<county_id>/life-circle``.

A set of its own beside the 百城 indicators (not graded).  Its gap layers (one per facility
type, ``gap_life_circle_<type>``) and the types-reached layer (``life_circle_types_reached``) are
served by the generic layer routes (``/layers/<layer>``, ``/view``, exports) for the default
thresholds.  Everything here comes from public inputs (OpenStreetMap, population cells), so
anyone may read it.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, HTTPError, Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, String
from apiflask.validators import Length, Range
from flask import Response, g

from api.cache import settings_key
from api.common import (
    MINUTES_STEP,
    WALK_SPEED_STEP,
    cached_json,
    get_store,
    quantise,
)
from gis.settings import DEFAULT_SETTINGS, IndicatorSettings

bp = APIBlueprint("life_circle", __name__, url_prefix="/api/v1", tag="Life circle")
THRESHOLD_STEP_M = 10.0
TYPES = ", ".join(t.type_id for t in DEFAULT_SETTINGS.life_circle)


class LifeCircleQuery(Schema):
    """Parameters (omitted ones take the catalogue's defaults, gis/facility_types.py)."""

    threshold = String(
        load_default=None,
        validate=Length(max=500),
        metadata={
            "description": "walking thresholds in metres as TYPE:METRES pairs separated by "
            f"commas, e.g. `kindergarten:400,market:600` (rounded to {THRESHOLD_STEP_M:g} m; "
            f"0 < metres <= 5000); types: {TYPES}"
        },
    )
    minutes = Float(
        load_default=None,
        validate=Range(min=0, max=120, min_inclusive=False),
        metadata={"description": "walking time of the community-sports (fitness) type, minutes"},
    )
    walk_speed = Float(
        load_default=None,
        validate=Range(min=0.2, max=3.0),
        metadata={"description": "walking speed in m/s of the community-sports type"},
    )


class LifeCircleOut(Schema):
    county = Dict()
    set = String()
    set_name_zh = String()
    set_name_en = String()
    graded = Boolean()
    year = Integer()
    parameters = Dict()
    indicators = List(Dict())
    age_structure = Dict(allow_none=True)
    notes = List(String())
    thresholds_m = Dict(metadata={"description": "type → threshold used (metres)"})
    min_threshold_step_m = Float()


def parse_thresholds(text: str | None) -> dict[str, float]:
    """``"kindergarten:400,market:600"`` to ``{type: metres}`` (rounded); 400 naming the problem.

    >>> parse_thresholds("kindergarten:404, market:600")
    {'kindergarten': 400.0, 'market': 600.0}
    >>> parse_thresholds(None)
    {}
    """
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition(":")
        try:
            metres = float(value)
        except ValueError:
            metres = float("nan")
        if not sep or not name.strip() or metres != metres:
            problem = f"expected TYPE:METRES pairs (e.g. kindergarten:400), got {part.strip()!r}"
            raise HTTPError(
                400,
                f"query parameter 'threshold': {problem}",
                detail={"query": {"threshold": [problem]}},
            )
        out[name.strip()] = quantise(metres, THRESHOLD_STEP_M) or metres
    return out


def life_circle_settings(query: dict[str, Any]) -> IndicatorSettings:
    """Settings for the query (400 naming a bad type or threshold)."""
    try:
        settings = DEFAULT_SETTINGS.with_overrides(
            walk_minutes=quantise(query.get("minutes"), MINUTES_STEP),
            walk_speed_m_s=quantise(query.get("walk_speed"), WALK_SPEED_STEP),
        ).with_life_circle_thresholds(parse_thresholds(query.get("threshold")))
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from exc
    used = ",".join(
        f"{t.type_id}:{settings.life_circle_threshold_m(t):g}" for t in settings.life_circle
    )
    g.parameters_used = (
        f"minutes={settings.walk_minutes:g}; walk_speed={settings.walk_speed_m_s:g}; "
        f"threshold={used}"
    )
    return settings


@bp.get("/counties/<county_id>/life-circle")
@bp.input(LifeCircleQuery, location="query", arg_name="query")
@bp.output(LifeCircleOut)
@bp.doc(
    summary="15-minute life circle of a county (15分钟生活圈 / 城市体检)",
    description="The same JSON object as `python -m gis life-circle DIR --json`: one coverage "
    "per facility type (elderly care, kindergarten, park or square: 300 m; primary school, "
    "market: 500 m; middle school, clinic, culture: 1,000 m; community sports: the fitness "
    "circle), each with its gap layer, and the share of residents reaching all / at least k "
    "types (docs/indicators.md, '15-minute life circle'). Not part of the 百城 grade. Carries "
    "an ETag; answers 304 to a matching If-None-Match.",
    responses={304: "Not modified"},
)
def get_life_circle(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = life_circle_settings(query)
    thresholds = {t.type_id: settings.life_circle_threshold_m(t) for t in settings.life_circle}
    key = (
        "life-circle-json",
        county_id,
        store.version(county_id),
        settings_key(settings),
        tuple(thresholds.values()),
    )

    def compute() -> dict[str, Any]:
        report, _circle = store.life_circle(county_id, settings)
        return {**report, "thresholds_m": thresholds, "min_threshold_step_m": THRESHOLD_STEP_M}

    return cached_json(key, compute)
