"""The pages: planner map ``/map/<county>``, public 阳光规划 map ``/public/<county>`` and ``/``.

Both maps are Folium maps built from the same ``layers`` output the JSON API serves.  Every
attribute text reaches the browser escaped: Jinja autoescapes the page, layer data is embedded
with ``tojson`` and popups are built with ``textContent`` (static/js/gis-map.js).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from api.cache import CachedBody, settings_key
from api.changes import dashboard_changes, results_token
from api.common import (
    get_store,
    settings_from,
    vary_by_viewer,
    viewer_key,
    viewer_sees_private,
    visible_catalog,
    visible_index,
    visible_layer,
)
from api.counties import county_summary, projected_indicators
from api.disclosures import county_public_records
from api.life_circle_page import life_circle_rows
from api.maps import (
    BASEMAP_HOSTS,
    OSM_ATTRIBUTION,
    TIANDITU_ATTRIBUTION,
    MapLayer,
    build_map,
    json_for_script,
    layer_label,
    map_parts,
)
from api.projects import public_payload
from gis.errors import NotFoundError
from gis.indicators import INDICATOR_IDS
from gis.result import reason_parts
from layers.catalog import LayerInfo, site_frame
from layers.desk import desk_payload, first_view_bounds, shown_layers
from layers.style import DISCLOSURE_TYPES

bp = Blueprint("pages", __name__)

PUBLIC_LAYERS = ("boundary", "built_up", "disclosures", "projects")
PAGE_MAX_AGE_S = 60


def fmt_number(value: Any) -> str:
    """A value as shown on the pages: thousands separators, 2 decimals below 100, 1 above.

    >>> fmt_number(7.2345), fmt_number(81234.56), fmt_number(None), fmt_number(100.0)
    ('7.23', '81,234.6', '—', '100.0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = float(value)
    return f"{number:,.1f}" if abs(number) >= 100 else f"{number:,.2f}"


def plain_sentence(ind: dict[str, Any], lang: str) -> str:
    """One indicator in plain language, Chinese or English."""
    unit = ind.get("unit") or ""
    status = ind.get("status")
    reason_zh, reason_en = reason_parts(ind.get("reason") or "")
    reason = reason_zh if lang == "zh" else reason_en
    if status == "no_data":
        return (
            f"{ind['name_zh']}：暂无数据。{reason}"
            if lang == "zh"
            else (f"{ind['name_en']}: no data yet. {reason}")
        )
    if status != "ok" or ind.get("value") is None:
        return (
            f"{ind['name_zh']}：无法计算。{reason}"
            if lang == "zh"
            else (f"{ind['name_en']}: cannot be computed. {reason}")
        )
    value, target = fmt_number(ind["value"]), fmt_number(ind["target"])
    at_least = ind.get("comparison", ">=") == ">="
    if lang == "zh":
        verdict = "已达标" if ind.get("passed") else "未达标"
        bound = "不低于" if at_least else "不高于"
        note = f"（{ind['basis_note_zh']}）" if ind.get("basis_note_zh") else ""
        return (
            f"{ind['name_zh']}为 {value} {unit}，{ind.get('target_year')}年目标{bound} "
            f"{target} {unit}，{verdict}{note}。"
        )
    verdict = "target met" if ind.get("passed") else "target not met"
    bound = "at least" if at_least else "at most"
    note = f" ({ind['basis_note_en']})" if ind.get("basis_note_en") else ""
    return (
        f"{ind['name_en']} is {value} {unit}; the {ind.get('target_year')} target is {bound} "
        f"{target} {unit}: {verdict}{note}."
    )


def bar_chart(ind: dict[str, Any]) -> dict[str, Any]:
    """Geometry of the small inline SVG bar chart: value bar and target tick, in 0-200 px."""
    width = 200.0
    value, target = ind.get("value"), ind.get("target") or 0.0
    if value is None:
        return {"width": width, "value_px": 0.0, "target_px": None, "state": "none"}
    scale = 100.0 if ind.get("unit") == "%" else max(float(target), float(value), 1e-9) * 1.15
    value_px = max(0.0, min(float(value) / scale, 1.0)) * width
    target_px = max(0.0, min(float(target) / scale, 1.0)) * width
    state = "pass" if ind.get("passed") else "fail"
    if state == "pass" and ind.get("basis") == "estimate":
        state = "estimate"
    return {
        "width": width,
        "value_px": round(value_px, 1),
        "target_px": round(target_px, 1),
        "state": state,
    }


def _attributions(meta: dict[str, Any]) -> list[str]:
    """The data attributions: OpenStreetMap's once, then any other source's, then the basemap's."""
    items = [OSM_ATTRIBUTION + " (ODbL)"]
    items += [str(a) for a in meta.get("attribution") or [] if "OpenStreetMap" not in str(a)]
    if current_app.config["BASEMAP"] == "tianditu":
        items.append(TIANDITU_ATTRIBUTION)
    return items


def _notes(summary: dict[str, Any], sample_titles: list[str], *, short: bool = False) -> list[str]:
    """The lines of the note box on the map: 示范区, 样例数据 and estimate labels."""
    notes = []
    if summary["is_demonstration"]:
        notes.append(
            "示范区 / demonstration area — 不是河南省的县 (not a Henan county)"
            if short
            else f"示范区 / demonstration area: {summary['name']} — 不是河南省的县 "
            "(not a Henan county)"
        )
    if sample_titles:
        notes.append("样例数据 / sample data" + ("" if short else ": " + ", ".join(sample_titles)))
    if summary["population"]["is_estimate"] and not short:
        notes.append("人口为估算值 / population is an estimate")
    return notes


def _query_settings() -> Any:
    """Indicator settings from the page's query string (400 naming a bad parameter)."""
    query: dict[str, Any] = {}
    for name, cast in (("year", int), ("minutes", float), ("walk_speed", float)):
        raw = request.args.get(name)
        if raw in (None, ""):
            continue
        try:
            value = cast(raw)
        except ValueError as exc:
            raise BadRequest(f"query parameter {name!r}: {raw!r} is not a number") from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise BadRequest(f"query parameter {name!r}: must be finite")
        query[name] = value
    return settings_from(query)


def _static(path: str) -> str:
    return url_for("static", filename=path)


def _map_kwargs(meta: dict[str, Any], county_id: str) -> dict[str, Any]:
    built = get_store().workspace(county_id).layer("built_up")
    built_bounds = (
        [float(v) for v in built.to_crs(4326).total_bounds]
        if built is not None and len(built) and built.crs is not None
        else None
    )
    return {
        "bounds": first_view_bounds(meta.get("bounds") or [0.0, 0.0, 0.0, 0.0], built_bounds),
        "static_url": _static,
        "basemap": current_app.config["BASEMAP"],
        "tianditu_key": current_app.config["TIANDITU_KEY"],
    }


def _features_url(county_id: str, layer: str, settings: Any) -> str:
    """The layer API's features URL (same origin) with the page's indicator parameters.

    A layer hidden by default is not embedded in the planner page; the page fetches this URL
    (and its ``next`` pages) when the layer is first switched on.  The API serves the same
    features the page would have embedded: simplified at zoom 14 above 2,000 features.
    """
    return url_for(
        "layers.get_features",
        county_id=county_id,
        layer=layer,
        year=settings.year,
        minutes=settings.walk_minutes,
        walk_speed=settings.walk_speed_m_s,
    )


def _view_url(county_id: str, layer: str, settings: Any) -> str:
    """The view route of a layer (same origin) with the page's indicator parameters."""
    return url_for(
        "layers.get_view",
        county_id=county_id,
        layer=layer,
        year=settings.year,
        minutes=settings.walk_minutes,
        walk_speed=settings.walk_speed_m_s,
    )


def _embed_layers() -> bool:
    """Whether the pages embed their layers (``MAP_LAYERS = "embed"``, the former pages)."""
    return bool(current_app.config.get("MAP_LAYERS", "view") == "embed")


def _view_layer(
    county_id: str, info: LayerInfo, settings: Any, label: str, *, private: bool
) -> MapLayer:
    """A layer the page fetches for the view, with the zoom from which it is drawn."""
    index = visible_index(county_id, info.name, settings, private=private)
    return MapLayer(
        info,
        None,
        label,
        view_url=_view_url(county_id, info.name, settings),
        min_zoom=index.min_zoom,
    )


def _cached_page(key: tuple[Any, ...], render: Any) -> Response:
    """A page from the body cache (per county version and parameters) with ETag and 304."""
    store = get_store()

    def compute() -> CachedBody:
        html = render().encode("utf-8")
        return CachedBody(html, hashlib.sha256(html).hexdigest()[:32], "text/html")

    cached = store.bodies.get_or_compute(key, compute)
    response = Response(cached.body, mimetype="text/html")
    response.set_etag(cached.etag)
    response.cache_control.public = True
    response.cache_control.max_age = PAGE_MAX_AGE_S
    return response.make_conditional(request)


def _page_key(page: str, county_id: str, settings: Any, *extra: Any) -> tuple[Any, ...]:
    store = get_store()
    return (
        page,
        county_id,
        store.version(county_id),
        settings_key(settings),
        current_app.config["BASEMAP"],
        current_app.config.get("MAP_LAYERS", "view"),
        *extra,
    )


@bp.get("/map/<county_id>")
def planner_map(county_id: str) -> Response:
    """The planner map and indicator dashboard (non-public records only for county staff)."""
    settings = _query_settings()
    get_store().path(county_id)
    indicator = _query_indicator()
    staff = viewer_sees_private(county_id)
    key = _page_key(
        "planner", county_id, settings, viewer_key(private=staff), indicator, results_token()
    )
    response = _cached_page(
        key, lambda: _render_planner(county_id, settings, staff=staff, indicator=indicator)
    )
    return vary_by_viewer(response, private=staff)


def _query_indicator() -> str | None:
    """The ``indicator`` of the page's URL (the map desk's view); ``None`` when absent."""
    raw = request.args.get("indicator", "").strip()
    if not raw:
        return None
    if raw not in INDICATOR_IDS:
        raise BadRequest(
            f"query parameter 'indicator': unknown indicator {raw[:60]!r}; "
            f"known: {', '.join(INDICATOR_IDS)}"
        )
    return raw


# A layer with more features is not embedded in the planner page (it would weigh hundreds of MB
# and take as much memory to render): it starts switched off and is fetched page by page from the
# layer API when switched on.
MAX_EMBEDDED_FEATURES = 20_000


def _render_planner(
    county_id: str, settings: Any, *, staff: bool, indicator: str | None = None
) -> str:
    store = get_store()
    meta = store.metadata(county_id)
    summary = county_summary(county_id, meta)
    report, results = store.report(county_id, settings)
    infos = visible_catalog(county_id, settings, private=staff)
    estimate = summary["population"]["is_estimate"]
    desk = desk_payload(
        report.get("indicators", []), infos, population_estimate=estimate, selected=indicator
    )
    drawn = shown_layers(desk)
    layers = []
    for info in infos:
        label = layer_label(info, estimate=estimate and info.kind == "population")
        if not _embed_layers():  # the map desk (static/js/map-desk.js): the view's layers only
            info = replace(info, shown=info.name in drawn)
            layers.append(_view_layer(county_id, info, settings, label, private=staff))
            continue
        frame, url = None, None
        if info.feature_count > MAX_EMBEDDED_FEATURES:
            info = replace(info, shown=False)  # e.g. 1 M population cells: fetched when switched on
        if info.shown:
            frame = visible_layer(county_id, info.name, settings, private=staff)
        else:  # fetched from the layer API, which applies the same rule
            url = _features_url(county_id, info.name, settings)
        layers.append(MapLayer(info, frame, label, source_url=url))
    sample_titles = [i.title_zh for i in infos if i.sample]
    fmap = build_map(
        layers,
        notes=_notes(summary, sample_titles),
        attributions=_attributions(meta),
        collapsed_control=False,
        layer_control=_embed_layers(),
        **_map_kwargs(meta, county_id),
    )
    sites = site_frame(results)
    indicators = [
        {
            **ind,
            "display": fmt_number(ind.get("value")),
            "target_display": fmt_number(ind.get("target")),
            "chart": bar_chart(ind),
            "sentence_zh": plain_sentence(ind, "zh"),
            "sentence_en": plain_sentence(ind, "en"),
        }
        for ind in report.get("indicators", [])
    ]
    return render_template(
        "planner.html",
        county=summary,
        report=report,
        indicators=indicators,
        assessment=report.get("assessment") or {},
        sites=[] if sites is None else sites.drop(columns="geometry").to_dict("records"),
        sites_xy=[] if sites is None else [(g.y, g.x) for g in sites.geometry],
        layers=infos,
        settings=settings,
        fmap=map_parts(fmap),
        desk=json_for_script(desk) if not _embed_layers() else None,
        selected_indicator=desk["selected"],
        basemap_hosts=BASEMAP_HOSTS[current_app.config["BASEMAP"]],
        projected=_projected_rows(projected_indicators(county_id, settings)),
        changes=dashboard_changes(county_id, settings.year, report),
        life_circle=life_circle_rows(store.life_circle(county_id, settings)[0]),
    )


# The public page embeds the newest records only; with more, the list pages and searches
# through the records API (a county's whole 阳光规划 history would grow the page without bound).
PUBLIC_RECORDS_EMBEDDED = 100


def _projected_rows(projected: dict[str, Any] | None) -> dict[str, Any] | None:
    """The now → projected object with display strings for the dashboard."""
    if projected is None:
        return None
    rows = [
        {
            **row,
            "now_display": fmt_number(row["now"]),
            "projected_display": fmt_number(row["projected"]),
            "delta_display": "—"
            if row["delta"] is None
            else f"{'+' if row['delta'] > 0 else ''}{fmt_number(row['delta'])} {row['unit']}",
        }
        for row in projected["indicators"]
    ]
    return {**projected, "indicators": rows}


def _public_page(county_id: str) -> Response:
    lang = "en" if request.args.get("lang") == "en" else "zh"
    settings = _query_settings()
    key = _page_key("public", county_id, settings, lang, PUBLIC_RECORDS_EMBEDDED)
    return _cached_page(key, lambda: _render_public(county_id, settings, lang))


def _render_public(county_id: str, settings: Any, lang: str) -> str:
    store = get_store()
    meta = store.metadata(county_id)
    summary = county_summary(county_id, meta)
    report, _results = store.report(county_id, settings)
    ws = store.workspace(county_id)
    catalog = visible_catalog(county_id, settings, private=False)
    infos = [i for i in catalog if i.name in PUBLIC_LAYERS]
    layers = []
    for info in infos:
        label = layer_label(info, lang=lang)
        if not _embed_layers():
            layers.append(_view_layer(county_id, info, settings, label, private=False))
            continue
        frame = visible_layer(county_id, info.name, settings, private=False)
        layers.append(MapLayer(info, frame, label))
    sample_titles = [i.title_zh for i in infos if i.sample]
    fmap = build_map(
        layers,
        notes=_notes(summary, sample_titles, short=True),
        attributions=_attributions(meta),
        collapsed_control=True,
        **_map_kwargs(meta, county_id),
    )
    available, records = county_public_records(county_id)
    projects = public_payload(county_id)
    indicators = [
        {**ind, "sentence_zh": plain_sentence(ind, "zh"), "sentence_en": plain_sentence(ind, "en")}
        for ind in report.get("indicators", [])
    ]
    return render_template(
        "public.html",
        lang=lang,
        county=summary,
        report=report,
        indicators=indicators,
        assessment=report.get("assessment") or {},
        records=records[:PUBLIC_RECORDS_EMBEDDED],
        records_total=len(records),
        records_api=url_for("disclosures.list_disclosures", county_id=county_id),
        records_page=PUBLIC_RECORDS_EMBEDDED,
        records_available=available,
        projects=projects,
        record_types=DISCLOSURE_TYPES,
        has_sample_records=any(r["sample"] for r in records),
        fmap=map_parts(fmap),
        workspace_layers=sorted(ws.layers),
    )


@bp.get("/public/<county_id>")
def public_map(county_id: str) -> Response:
    """The public 阳光规划 map of a county (read-only)."""
    return _public_page(county_id)


@bp.get("/")
def index() -> Response:
    """The public map of the default county, else of the first county there is.

    A deployment without the demonstration area (``DEFAULT_COUNTY`` absent) opens on its own
    first county rather than on a 404; with no county at all the error says how to add one.
    """
    default = current_app.config["DEFAULT_COUNTY"]
    ids = get_store().county_ids()
    if default in ids:
        return _public_page(default)
    if not ids:
        msg = (
            "尚无县工作区：请用 baicheng ingest 建立（见 README“Your own county”）| "
            "no county workspace yet: build one with `baicheng ingest` (README, 'Your own county')"
        )
        raise NotFoundError(msg)
    return redirect(url_for("pages.public_map", county_id=sorted(ids)[0]))
