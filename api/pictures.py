"""Pictures and documents of a county: the map as PNG, dashboard charts, the assessment report.

- ``GET /api/v1/counties/<c>/map.png``: the layers ``layers=a,b`` (default: those the planner
  map shows switched on) in ``bbox`` (default: all) at ``width`` × ``height`` pixels (200-4000),
  with title, legend, scale bar, north arrow, attribution and data date
  (:func:`layers.mapimage.render_map`).
- ``GET /api/v1/counties/<c>/charts/<indicator>.png`` and ``.svg``: one indicator against its
  target (:func:`layers.charts.render_chart`).
- ``GET /api/v1/counties/<c>/report.pdf`` and ``.docx``: the yearly assessment report
  (:mod:`layers.report_doc`), from the same cached results as ``/indicators``.

All are public: they show the indicator results and gap layers every visitor may read, and the
map draws each layer through :func:`api.common.visible_layer`, so an anonymous visitor's picture
holds only records marked public (staff of the county see theirs; the answer varies by viewer).
"""

from __future__ import annotations

import hashlib
from typing import Any

from apiflask import APIBlueprint, HTTPError
from apiflask.fields import Integer, String
from apiflask.validators import Length, OneOf, Range
from flask import Response, request

from api.cache import CachedBody, settings_key
from api.changes import previous_result, results_token
from api.common import (
    CACHE_MAX_AGE_S,
    IndicatorQuery,
    get_store,
    parse_bbox,
    settings_from,
    vary_by_viewer,
    viewer_key,
    viewer_sees_private,
    visible_catalog,
    visible_layer,
)
from gis.settings import IndicatorSettings
from layers.charts import chart_mimetype, render_chart
from layers.mapimage import (
    MAX_SIZE_PX,
    MIN_SIZE_PX,
    PictureLayer,
    attribution_lines,
    data_date,
    render_map,
)
from layers.report_doc import MIME, build_content, render_report

bp = APIBlueprint("pictures", __name__, url_prefix="/api/v1", tag="Pictures and reports")

MAX_PICTURE_LAYERS = 40
LANG_FIELD = String(
    load_default="zh",
    validate=OneOf(["zh", "en"]),
    metadata={"description": "language of the labels: zh (default) or en"},
)


class MapPictureQuery(IndicatorQuery):
    layers = String(
        load_default=None,
        validate=Length(max=2000),
        metadata={
            "description": "comma-separated layer names (see /layers); default: the layers "
            "the planner map shows switched on"
        },
    )
    bbox = String(
        load_default=None,
        metadata={
            "description": "min_lon,min_lat,max_lon,max_lat (EPSG:4326); default: the county's "
            "bounds"
        },
    )
    width = Integer(
        load_default=1200,
        validate=Range(min=MIN_SIZE_PX, max=MAX_SIZE_PX),
        metadata={"description": f"width in pixels ({MIN_SIZE_PX}-{MAX_SIZE_PX})"},
    )
    height = Integer(
        load_default=900,
        validate=Range(min=MIN_SIZE_PX, max=MAX_SIZE_PX),
        metadata={"description": f"height in pixels ({MIN_SIZE_PX}-{MAX_SIZE_PX})"},
    )
    title = String(
        load_default=None,
        validate=Length(max=200),
        metadata={"description": "title printed on the map (default: county · 规划地图)"},
    )
    lang = LANG_FIELD


class LangQuery(IndicatorQuery):
    lang = LANG_FIELD


def _binary(key: tuple[Any, ...], mimetype: str, compute: Any, *, private: bool) -> Response:
    """A binary answer from the body cache with ETag, 304 and the viewer's cache rules."""

    def body() -> CachedBody:
        data: bytes = compute()
        return CachedBody(data, hashlib.sha256(data).hexdigest()[:32], mimetype)

    cached = get_store().bodies.get_or_compute(key, body)
    response = Response(cached.body, mimetype=mimetype)
    response.set_etag(cached.etag)
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_MAX_AGE_S
    return vary_by_viewer(response.make_conditional(request), private=private)


def county_bbox(meta: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The county's bounds from its metadata (the planner map's first view), if recorded.

    >>> county_bbox({"bounds": [104.05, 30.75, 104.1, 30.78]})
    (104.05, 30.75, 104.1, 30.78)
    >>> county_bbox({}) is None
    True
    """
    bounds = meta.get("bounds") or []
    try:
        values = [float(v) for v in bounds]
    except (TypeError, ValueError):
        return None
    if len(values) != 4 or not (values[0] < values[2] and values[1] < values[3]):
        return None
    return values[0], values[1], values[2], values[3]


def _layer_names(county_id: str, settings: IndicatorSettings, text: str | None) -> list[str]:
    """The layers asked for, checked against the county's list (400 naming an unknown one)."""
    infos = visible_catalog(county_id, settings)
    known = [i.name for i in infos]
    if text is None or not text.strip():
        return [i.name for i in infos if i.shown]
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise HTTPError(
            400,
            f"query parameter 'layers': unknown layer {unknown[0]!r}; known layers: "
            + ", ".join(known),
        )
    if len(names) > MAX_PICTURE_LAYERS:
        raise HTTPError(400, f"query parameter 'layers': at most {MAX_PICTURE_LAYERS} layers")
    return list(dict.fromkeys(names))


@bp.get("/counties/<county_id>/map.png")
@bp.input(MapPictureQuery, location="query", arg_name="query")
@bp.doc(
    summary="The map as a PNG picture (导出图片)",
    description="Server-side picture of the chosen layers with the web map's styles: title, "
    "legend, scale bar (metres, in the county's CGCS2000 Gauss-Krüger zone), north arrow, "
    "attribution and the data date (from the workspace, not today). Width and height "
    f"{MIN_SIZE_PX}-{MAX_SIZE_PX} px. Records not marked public appear only for the county's "
    "staff.",
    responses={
        200: {"description": "PNG picture", "content": {"image/png": {}}},
        304: "Not modified",
    },
)
def get_map_png(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    private = viewer_sees_private(county_id)
    names = _layer_names(county_id, settings, query.get("layers"))
    lang = str(query.get("lang") or "zh")
    meta = store.metadata(county_id)
    bbox = parse_bbox(query.get("bbox")) or county_bbox(meta)
    title = query.get("title") or f"{meta.get('name') or county_id} · 规划地图 Planning map"
    key = (
        "map.png",
        county_id,
        store.version(county_id),
        settings_key(settings),
        viewer_key(private=private),
        tuple(names),
        bbox,
        query["width"],
        query["height"],
        title,
        lang,
    )

    def compute() -> bytes:
        infos = {i.name: i for i in visible_catalog(county_id, settings, private=private)}
        layers = [
            PictureLayer(n, visible_layer(county_id, n, settings, private=private), infos[n].style)
            for n in names
        ]
        notes = []
        if meta.get("is_demonstration"):
            notes.append("示范区，非河南省的县 / demonstration area, not a Henan county")
        samples = [infos[n].title_zh for n in names if infos[n].sample]
        if samples:
            notes.append("样例数据 / sample data: " + ", ".join(samples))
        picture = render_map(
            layers,
            metric_crs=store.workspace(county_id).metric_crs,
            title=title,
            attribution=attribution_lines(meta),
            date=data_date(meta),
            bbox_lonlat=bbox,
            width_px=int(query["width"]),
            height_px=int(query["height"]),
            lang=lang,
            notes=notes,
        )
        return picture.png

    return _binary(key, "image/png", compute, private=private)


def _chart(county_id: str, indicator: str, fmt: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    report, _results = store.report(county_id, settings)
    items = {i["id"]: i for i in report["indicators"]}
    if indicator not in items:
        raise HTTPError(404, f"no indicator {indicator!r}; known indicators: " + ", ".join(items))
    lang = str(query.get("lang") or "zh")
    key = (
        "chart",
        county_id,
        store.version(county_id),
        settings_key(settings),
        indicator,
        fmt,
        lang,
    )
    return _binary(
        key,
        chart_mimetype(fmt),
        lambda: render_chart(items[indicator], "png" if fmt == "png" else "svg", lang=lang),
        private=False,
    )


CHART_DOC = {
    "summary": "One indicator against its target as a chart",
    "description": "The dashboard's bar (value, target mark, pass/fail) as a picture; the "
    "value is written as /indicators gives it.",
}


@bp.get("/counties/<county_id>/charts/<indicator>.png")
@bp.input(LangQuery, location="query", arg_name="query")
@bp.doc(**CHART_DOC, responses={200: {"description": "PNG", "content": {"image/png": {}}}})
def get_chart_png(county_id: str, indicator: str, query: dict[str, Any]) -> Response:
    return _chart(county_id, indicator, "png", query)


@bp.get("/counties/<county_id>/charts/<indicator>.svg")
@bp.input(LangQuery, location="query", arg_name="query")
@bp.doc(**CHART_DOC, responses={200: {"description": "SVG", "content": {"image/svg+xml": {}}}})
def get_chart_svg(county_id: str, indicator: str, query: dict[str, Any]) -> Response:
    return _chart(county_id, indicator, "svg", query)


def _report(county_id: str, fmt: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    lang = str(query.get("lang") or "zh")
    version = store.version(county_id)
    report, results = store.report(county_id, settings)
    previous_year, previous = previous_result(county_id, settings.year)
    token = results_token()  # a new batch result may bring a previous year
    content_key = ("report-content", county_id, version, settings_key(settings), lang, token)

    def content() -> Any:
        return build_content(
            report, results, store.workspace(county_id), lang=lang, previous=previous
        )

    key = ("report", county_id, version, settings_key(settings), lang, fmt, token)
    response = _binary(
        key,
        MIME[fmt],
        lambda: render_report(store.derived(content_key, content), fmt),
        private=False,
    )
    name = f"{county_id}-{settings.year}-report-{lang}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


REPORT_DOC = {
    "summary": "The yearly assessment report (考核报告)",
    "description": "Cover, grade and score with reasoning, one section per indicator (value, "
    "target, result, gap map, chart, method, data sources with provenance), suggested "
    "fitness sites and the parameters; built from the same results as /indicators. Chinese "
    'by default, `lang=en` for English. The section "since the previous year" compares with '
    "the county's latest province batch result of an earlier year (`python -m gis batch`), "
    "through `gis.year_over_year.compare`; the CLI takes any earlier report with "
    "`python -m gis report DIR --previous FILE`.",
}


@bp.get("/counties/<county_id>/report.pdf")
@bp.input(LangQuery, location="query", arg_name="query")
@bp.doc(**REPORT_DOC, responses={200: {"description": "PDF", "content": {MIME["pdf"]: {}}}})
def get_report_pdf(county_id: str, query: dict[str, Any]) -> Response:
    return _report(county_id, "pdf", query)


@bp.get("/counties/<county_id>/report.docx")
@bp.input(LangQuery, location="query", arg_name="query")
@bp.doc(**REPORT_DOC, responses={200: {"description": "DOCX", "content": {MIME["docx"]: {}}}})
def get_report_docx(county_id: str, query: dict[str, Any]) -> Response:
    return _report(county_id, "docx", query)
