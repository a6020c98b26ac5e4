"""Counties and their indicators: ``/api/v1/counties``."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from flask import Response, url_for

from api.cache import settings_key
from api.common import IndicatorQuery, cached_json, get_store, settings_from, visible_layer
from gis.settings import DEFAULT_SETTINGS
from layers.catalog import PUBLIC_FLAG_LAYERS

bp = APIBlueprint("counties", __name__, url_prefix="/api/v1", tag="Counties")
COUNTY_LINKS = {  # link relation → endpoint taking ``county_id``
    "self": "counties.get_county",
    "indicators": "counties.get_indicators",
    "life_circle": "life_circle.get_life_circle",
    "layers": "layers.list_layers",
    "disclosures": "disclosures.list_disclosures",
    "planner_map": "pages.planner_map",
    "public_map": "pages.public_map",
}


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


def public_method(entry: dict[str, Any]) -> str | None:
    """How a layer (or the population) was made, as public answers tell it.

    An uploaded version is named by its number only: which account uploaded which file is
    for the county's staff (the versions API and the upload page), never for a public answer.

    >>> public_method({"provenance": "uploaded", "method": "uploaded by alice from p.zip",
    ...                "upload": {"version": 3, "user": "alice"}})
    'uploaded by GIS staff (version 3)'
    >>> public_method({"provenance": "osm", "method": "leisure=park"})
    'leisure=park'
    """
    method = entry.get("method")
    if entry.get("provenance") != "uploaded":
        return None if method is None else str(method)
    upload = entry.get("upload") if isinstance(entry.get("upload"), dict) else {}
    version = upload.get("version")
    return "uploaded by GIS staff" + (f" (version {version})" if version is not None else "")


def _population(meta: dict[str, Any]) -> dict[str, Any]:
    pop = meta.get("population") or {}
    return {
        "total": pop.get("total"),
        "urban_population": pop.get("urban_population"),
        "is_estimate": bool(pop.get("is_estimate", pop.get("provenance") == "estimated")),
        "provenance": pop.get("provenance"),
        "method": public_method(pop),
    }


def county_summary(county_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The list entry of one county, from its metadata."""
    adcode = meta.get("adcode")
    return {
        "county_id": county_id,
        "name": str(meta.get("name") or county_id),
        "adcode": None if adcode in (None, "") else str(adcode),
        "is_demonstration": bool(meta.get("is_demonstration", False)),
        "population": _population(meta),
        "bounds": [float(v) for v in meta.get("bounds") or []],
        "attribution": [str(a) for a in meta.get("attribution") or []],
        "links": county_links(county_id),
    }


def county_links(county_id: str) -> dict[str, str]:
    """The links of a county's JSON answers: paths on this site, built by ``url_for``."""
    return {
        rel: url_for(endpoint, county_id=county_id, _external=False)
        for rel, endpoint in COUNTY_LINKS.items()
    }


def county_detail(
    county_id: str, meta: dict[str, Any], public_counts: dict[str, int] | None = None
) -> dict[str, Any]:
    """The detail of one county: the summary plus layers with provenance and sources.

    ``public_counts`` replaces the stored count of layers whose rows are not all public.
    """
    public_counts = public_counts or {}
    layers = []
    for name, info in (meta.get("layers") or {}).items():
        info = info if isinstance(info, dict) else {}
        layers.append(
            {
                "name": str(name),
                "count": public_counts.get(str(name), info.get("count")),
                "provenance": info.get("provenance"),
                "method": public_method(info),
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
    "estimated, sample). Counts only public records; names no account or uploaded file.",
)
def get_county(county_id: str) -> dict[str, Any]:
    meta = get_store().metadata(county_id)
    counts = {
        name: len(visible_layer(county_id, name, DEFAULT_SETTINGS, private=False))
        for name in PUBLIC_FLAG_LAYERS & set(meta.get("layers") or {})
    }
    return county_detail(county_id, meta, counts)


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


def projected_indicators(county_id: str, settings: Any) -> dict[str, Any] | None:
    """Indicators and grade now → when the county's passed projects are finished.

    ``None`` when the project library holds no passed (已通过) project.  Computed by
    :func:`gis.projection.projected_report` on a copy (the stored layers never change), with
    the cached current results as "now", and cached per county version and parameters (the
    library is a layer of the workspace, so a review decision makes a new version).
    """
    from gis.projection import projected_report
    from gis.projects import LAYER, normalise_projects

    store = get_store()
    ws = store.workspace(county_id)
    frame = ws.layer(LAYER)
    if frame is None or frame.empty:
        return None
    library = normalise_projects(frame)
    passed = library[library["review_status"] == "passed"]
    if passed.empty:
        return None
    _report, results = store.report(county_id, settings)
    key = ("projected", county_id, store.version(county_id), settings_key(settings))
    return store.derived(key, lambda: projected_report(ws, passed, settings, now=results))


@bp.get("/counties/<county_id>/indicators/projected")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.doc(
    summary="Indicators when the passed projects are finished (项目建成后)",
    description="Every indicator and the grade now → when the county's passed (已通过) "
    "projects are finished, computed with the same indicator code on a copy "
    "(docs/indicators.md, 'Projected indicators'); an estimate. `projected` is null when no "
    "project has passed review. Passed projects are public, so anyone may read this.",
)
def get_projected_indicators(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    key = ("projected-json", county_id, store.version(county_id), settings_key(settings))

    def compute() -> dict[str, Any]:
        projected = projected_indicators(county_id, settings)
        return {
            "county_id": county_id,
            "projected": projected,
            "reason": None if projected else "no passed project (没有审核通过的项目)",
        }

    return cached_json(key, compute)
