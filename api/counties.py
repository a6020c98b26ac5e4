"""Counties and their indicators: ``/api/v1/counties``."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from flask import Response

from api.common import IndicatorQuery, cached_json, get_store, settings_from
from api.store import settings_key

bp = APIBlueprint("counties", __name__, url_prefix="/api/v1", tag="Counties")


class PopulationOut(Schema):
    total = Float(allow_none=True, metadata={"description": "persons"})
    urban_population = Float(allow_none=True, metadata={"description": "城区人口, persons"})
    is_estimate = Boolean(metadata={"description": "true when estimated, not counted"})
    provenance = String(allow_none=True)
    method = String(allow_none=True)


class LayerMetaOut(Schema):
    name = String()
    count = Integer(allow_none=True)
    provenance = String(allow_none=True)
    method = String(allow_none=True)
    sample = Boolean()


class CountyOut(Schema):
    county_id = String(required=True)
    name = String()
    adcode = String(allow_none=True)
    is_demonstration = Boolean()
    population = Nested(PopulationOut)
    bounds = List(Float(), metadata={"description": "[min_lon, min_lat, max_lon, max_lat]"})
    attribution = List(String())
    links = Dict()


class CountyDetailOut(CountyOut):
    layers = List(Nested(LayerMetaOut))
    sources = List(Dict())
    created = String(allow_none=True)
    metric_crs = String(allow_none=True)


class CountyListOut(Schema):
    counties = List(Nested(CountyOut))


class IndicatorReportOut(Schema):
    county = Dict()
    year = Integer()
    parameters = Dict()
    indicators = List(Dict())
    assessment = Dict()


def _population(meta: dict[str, Any]) -> dict[str, Any]:
    pop = meta.get("population") or {}
    return {
        "total": pop.get("total"),
        "urban_population": pop.get("urban_population"),
        "is_estimate": bool(pop.get("is_estimate", pop.get("provenance") == "estimated")),
        "provenance": pop.get("provenance"),
        "method": pop.get("method"),
    }


def county_summary(county_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The list entry of one county, from its metadata."""
    adcode = meta.get("adcode")
    base = f"/api/v1/counties/{county_id}"
    return {
        "county_id": county_id,
        "name": str(meta.get("name") or county_id),
        "adcode": None if adcode in (None, "") else str(adcode),
        "is_demonstration": bool(meta.get("is_demonstration", False)),
        "population": _population(meta),
        "bounds": [float(v) for v in meta.get("bounds") or []],
        "attribution": [str(a) for a in meta.get("attribution") or []],
        "links": {
            "self": base,
            "indicators": f"{base}/indicators",
            "layers": f"{base}/layers",
            "disclosures": f"{base}/disclosures",
            "planner_map": f"/map/{county_id}",
            "public_map": f"/public/{county_id}",
        },
    }


def county_detail(county_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The detail of one county: the summary plus layers with provenance and sources."""
    layers = []
    for name, info in (meta.get("layers") or {}).items():
        info = info if isinstance(info, dict) else {}
        layers.append(
            {
                "name": str(name),
                "count": info.get("count"),
                "provenance": info.get("provenance"),
                "method": info.get("method"),
                "sample": info.get("provenance") == "sample" or bool(info.get("sample", False)),
            }
        )
    return {
        **county_summary(county_id, meta),
        "layers": layers,
        "sources": [s for s in meta.get("sources") or [] if isinstance(s, dict)],
        "created": meta.get("created"),
        "metric_crs": meta.get("metric_crs"),
    }


@bp.get("/counties")
@bp.output(CountyListOut)
@bp.doc(summary="List the counties", description="Every county workspace the service holds.")
def list_counties() -> dict[str, Any]:
    store = get_store()
    return {"counties": [county_summary(c, store.metadata(c)) for c in store.county_ids()]}


@bp.get("/counties/<county_id>")
@bp.output(CountyDetailOut)
@bp.doc(
    summary="One county",
    description="Name, adcode, population (with `is_estimate`), the "
    "layers present and where each came from (`provenance`: osm, osm_derived, uploaded, "
    "estimated, sample).",
)
def get_county(county_id: str) -> dict[str, Any]:
    return county_detail(county_id, get_store().metadata(county_id))


@bp.get("/counties/<county_id>/indicators")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.output(IndicatorReportOut)
@bp.doc(
    summary="Indicators of a county",
    description="The same JSON object as "
    "`python -m gis indicators DIR --json`: county, year, parameters, every indicator "
    "(value, unit, target, passed, status, gap layer) and the assessment. Carries an ETag; "
    "answers 304 to a matching If-None-Match.",
    responses={304: "Not modified"},
)
def get_indicators(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    key = ("indicators", county_id, store.version(county_id), settings_key(settings))
    return cached_json(key, lambda: store.report(county_id, settings)[0])
