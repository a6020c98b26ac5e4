"""The province view: all 157 county-level units, the ranking, choropleths and exports.

- ``/province``: a Folium map of the 157 units (天地图 boundaries) with one choropleth per
  indicator, for the grade and for the 2020 census population (chosen in a selector on the
  map, static/js/province.js), and the ranking table; each ranked county links to its planner
  map ``/map/<id>``; units without a workspace are grey and show their census population.
- ``/api/v1/province/counties``: the 157 units with census figures and, where there is one,
  the county's workspace and assessment.
- ``/api/v1/province/ranking`` (JSON), ``/api/v1/province/ranking.csv`` and ``.xlsx``.

The results come from the batch (``python -m gis batch``), read from ``RESULTS_DIR``
(default ``<instance>/results``); nothing is computed per request.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import folium
import geopandas as gpd
import pandas as pd
from apiflask import APIBlueprint, Schema
from apiflask.fields import Integer, String
from apiflask.schemas import FileSchema
from apiflask.validators import OneOf, Range
from flask import Response, current_app, render_template, request, url_for
from openpyxl import Workbook
from openpyxl.styles import Font

from api.common import MIN_YEAR, get_store
from api.maps import (
    BASEMAP_HOSTS,
    add_attribution,
    add_basemap,
    add_labels,
    json_for_script,
    local_assets,
    map_parts,
)
from api.projects import province_projects
from api.province_change import change_views
from gis.batch import read_failures, read_results
from gis.indicators import INDICATOR_IDS, INDICATOR_NAMES
from gis.project_exports import province_summary
from gis.province import ATTRIBUTION, NO_CENSUS, load_units, read_province_sources, reconcile
from gis.province import unit_records as _unit_records
from gis.ranking import GRADES, RankRow, grade_counts, rank_with_change
from gis.settings import DEFAULT_SETTINGS

bp = APIBlueprint("province", __name__, tag="Province")

GREY = "#d9d9d9"
GRADE_COLOURS = {"优良": "#1a9850", "合格": "#fee08b", "不合格": "#d73027"}
SEQUENTIAL = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
POPULATION_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
SIMPLIFY_DEG = 0.002  # about 200 m: the province map shows 157 units at zoom 7-9
RANKING_COLUMNS = (
    ("rank", "名次", "rank"),
    ("county_id", "县区代码", "county id"),
    ("name", "名称", "name"),
    ("adcode", "行政区划代码", "adcode"),
    ("score", "得分", "score"),
    ("grade", "等级", "grade"),
    ("passed", "达标指标数", "indicators passed"),
    ("failed", "未达标指标数", "indicators failed"),
    ("no_data", "无数据指标数", "indicators without data"),
    ("previous_year", "上次年份", "previous year"),
    ("previous_rank", "上次名次", "previous rank"),
    ("rank_change", "名次变化", "rank change"),
    ("score_change", "得分变化", "score change"),
    ("copy_label", "说明", "note"),
)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LOCK = threading.Lock()


class YearQuery(Schema):
    """The assessment year (default: the latest year with results)."""

    year = Integer(
        load_default=None,
        validate=Range(min=MIN_YEAR, max=2100),
        metadata={"description": "assessment year; default the latest year with batch results"},
    )


# --- data ------------------------------------------------------------------------------------
def results_dir() -> Path:
    """The batch results folder of this app."""
    configured = current_app.config.get("RESULTS_DIR")
    return Path(configured or os.path.join(current_app.instance_path, "results"))


def _results_signature(root: Path) -> tuple[Any, ...]:
    if not root.is_dir():
        return ()
    return tuple(
        (str(p.relative_to(root)), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(root.glob("*/*.json"))
    )


def all_results() -> dict[int, list[dict[str, Any]]]:
    """Every batch result by year, re-read only when a result file changed."""
    root = results_dir()
    signature = (str(root), _results_signature(root))
    cache = current_app.extensions.setdefault("province_results", {})
    with _LOCK:
        if cache.get("signature") != signature:
            cache["signature"], cache["value"] = signature, read_results(root)
        value: dict[int, list[dict[str, Any]]] = cache["value"]
    return value


def chosen_year(query_year: int | None, by_year: dict[int, Any]) -> int:
    """The requested year, else the latest with results, else the default assessment year."""
    if query_year is not None:
        return int(query_year)
    return max(by_year) if by_year else DEFAULT_SETTINGS.year


def workspace_index() -> dict[str, dict[str, Any]]:
    """County id → metadata of every workspace the app serves."""
    store = get_store()
    out = {}
    for cid in store.county_ids():
        try:
            out[cid] = store.metadata(cid)
        except (OSError, ValueError):
            out[cid] = {}
    return out


def province_table(year: int) -> dict[str, Any]:
    """Units, ranking and indicator values for ``year``, joined by adcode."""
    by_year = all_results()
    rows = rank_with_change(by_year, year)
    docs = {str(d.get("county_id")): d for d in by_year.get(year, [])}
    workspaces = workspace_index()
    by_adcode: dict[str, dict[str, Any]] = {}
    for cid, meta in workspaces.items():
        code = meta.get("adcode")
        if code:
            by_adcode.setdefault(str(code), {"county_id": cid, "meta": meta})
    ranked_by_adcode = {r.adcode: r for r in rows if r.adcode}
    return {
        "year": year,
        "years": sorted(by_year),
        "rows": rows,
        "docs": docs,
        "workspaces": workspaces,
        "workspace_by_adcode": by_adcode,
        "ranked_by_adcode": ranked_by_adcode,
        "failures": read_failures(results_dir(), year),
    }


def indicator_catalogue(docs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Indicators present in the results (id, names, unit, target), in report order."""
    seen: dict[str, dict[str, Any]] = {}
    for doc in docs.values():
        for ind in (doc.get("report") or {}).get("indicators", []):
            if ind.get("id") and ind["id"] not in seen:
                seen[ind["id"]] = {
                    k: ind.get(k)
                    for k in ("id", "name_zh", "name_en", "unit", "target", "comparison")
                }
    return list(seen.values())


def indicator_values(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Indicator id → {value, passed, status} of one result document."""
    return {
        ind["id"]: {
            "value": ind.get("value"),
            "passed": ind.get("passed"),
            "status": ind.get("status"),
        }
        for ind in (doc.get("report") or {}).get("indicators", [])
        if ind.get("id")
    }


def class_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Upper bounds of ``classes`` equal-count classes of ``values`` (quantiles; sorted, unique).

    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    [2.0, 4.0, 6.0, 8.0, 10.0]
    >>> class_breaks([3.0, 3.0])
    [3.0]
    """
    data = sorted(float(v) for v in values)
    if not data:
        return []
    breaks = []
    for k in range(1, classes + 1):
        idx = min(len(data) - 1, max(0, round(k * len(data) / classes) - 1))
        breaks.append(data[idx])
    return sorted(set(breaks))


def colour_for(value: float | None, breaks: list[float], palette: tuple[str, ...]) -> str:
    """The palette colour of the class holding ``value`` (grey when there is none).

    >>> colour_for(5, [2.0, 4.0, 6.0], ("#a", "#b", "#c")), colour_for(None, [1.0], ("#a",))
    ('#c', '#d9d9d9')
    """
    if value is None or not breaks:
        return GREY
    offset = len(palette) - len(breaks)
    for i, upper in enumerate(breaks):
        if value <= upper:
            return palette[max(0, offset + i) if len(breaks) > 1 else len(palette) - 1]
    return palette[-1]


def _legend(
    title: str, breaks: list[float], palette: tuple[str, ...], unit: str
) -> list[list[str]]:
    items, lower = [], None
    offset = len(palette) - len(breaks)
    for i, upper in enumerate(breaks):
        colour = palette[max(0, offset + i) if len(breaks) > 1 else len(palette) - 1]
        label = f"≤ {_fmt(upper)}" if lower is None else f"{_fmt(lower)} – {_fmt(upper)}"
        items.append([colour, f"{label} {unit}".strip()])
        lower = upper
    items.append([GREY, "无数据 / no data"])
    return [[title, ""], *items]


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- map -------------------------------------------------------------------------------------
def _map_url(county_id: str) -> str:
    """The planner map of a county (a path on this site, as the JSON answers give it)."""
    return url_for("pages.planner_map", county_id=county_id, _external=False)


def map_views(
    table: dict[str, Any], units: gpd.GeoDataFrame
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """The selectable choropleths (grade, each indicator, population) and colours per unit."""
    ranked = table["ranked_by_adcode"]
    docs = table["docs"]
    values_by_adcode = {
        code: indicator_values(docs.get(r.county_id, {})) for code, r in ranked.items()
    }
    views: list[dict[str, Any]] = []
    colours: dict[str, dict[str, str]] = {code: {} for code in units["adcode"]}
    texts: dict[str, dict[str, str]] = {code: {} for code in units["adcode"]}

    legend = (
        [["等级 / grade", ""]]
        + [[GRADE_COLOURS[g], g] for g in GRADES]
        + [[GREY, "无结果 / no result"]]
    )
    views.append({"key": "grade", "title": f"等级 / grade {table['year']}", "legend": legend})
    for code in colours:
        row = ranked.get(code)
        colours[code]["grade"] = GRADE_COLOURS.get(row.grade or "", GREY) if row else GREY
        texts[code]["grade"] = (
            f"{row.grade} · {_fmt(row.score)} 分, 第{row.rank}名" if row and row.grade else "—"
        )

    for ind in indicator_catalogue(docs):
        key = f"ind:{ind['id']}"
        vals = {c: v.get(ind["id"], {}).get("value") for c, v in values_by_adcode.items()}
        numbers = [float(v) for v in vals.values() if isinstance(v, int | float)]
        breaks = class_breaks(numbers)
        unit = str(ind.get("unit") or "")
        title = f"{ind.get('name_zh') or ind['id']} / {ind.get('name_en') or ''}"
        target = f"目标 target {ind.get('comparison') or '≥'} {_fmt(ind.get('target'))} {unit}"
        views.append(
            {
                "key": key,
                "title": title,
                "legend": [*_legend(title, breaks, SEQUENTIAL, unit), ["", target]],
            }
        )
        for code in colours:
            v = vals.get(code)
            colours[code][key] = colour_for(
                v if isinstance(v, int | float) else None, breaks, SEQUENTIAL
            )
            texts[code][key] = f"{_fmt(v)} {unit}".strip() if v is not None else "—"

    pops = {
        c: (None if pd.isna(p) else float(p))
        for c, p in zip(units["adcode"], units["population_2020"], strict=True)
    }
    breaks = class_breaks([p for p in pops.values() if p is not None])
    title = "2020年常住人口 / population 2020 (census)"
    views.append(
        {
            "key": "population",
            "title": title,
            "legend": _legend(title, breaks, POPULATION_COLOURS, "人"),
        }
    )
    for code, p in pops.items():
        colours[code]["population"] = colour_for(p, breaks, POPULATION_COLOURS)
        texts[code]["population"] = (
            f"{_fmt(int(p))} 人" if p is not None else "无2020年普查数据 / no 2020 census row"
        )
    change, change_colours, change_texts = change_views(
        table["rows"], all_results(), indicator_catalogue(docs), ranked, list(colours)
    )
    views.extend(change)
    for code in colours:
        colours[code].update(change_colours.get(code, {}))
        texts[code].update(change_texts.get(code, {}))
    return views, {"colours": colours, "texts": texts}  # type: ignore[dict-item]


def unit_features(
    table: dict[str, Any], units: gpd.GeoDataFrame, styling: dict[str, Any]
) -> dict[str, Any]:
    """GeoJSON of the 157 units (simplified for the page) with everything the popups show."""
    ranked = table["ranked_by_adcode"]
    with_ws = table["workspace_by_adcode"]
    simple = units.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    features = []
    for (_, unit), geom in zip(units.iterrows(), simple, strict=True):
        code = unit["adcode"]
        row: RankRow | None = ranked.get(code)
        ws = with_ws.get(code)
        props = {
            "adcode": code,
            "name": unit["name"],
            "city": unit["city_name"],
            "population": None
            if pd.isna(unit["population_2020"])
            else int(unit["population_2020"]),
            "census_status": unit["census_status"],
            "note": unit["note"],
            "county_id": ws["county_id"] if ws else None,
            "map_url": _map_url(ws["county_id"]) if ws else None,
            "copy_label": str((ws or {}).get("meta", {}).get("copy_label") or ""),
            "rank": row.rank if row else None,
            "score": row.score if row else None,
            "grade": row.grade if row else None,
            "colours": styling["colours"][code],
            "texts": styling["texts"][code],
        }
        features.append(
            {"type": "Feature", "geometry": geom.__geo_interface__, "properties": props}
        )
    return {"type": "FeatureCollection", "features": features}


def province_map(
    table: dict[str, Any], units: gpd.GeoDataFrame
) -> tuple[folium.Map, dict[str, Any]]:
    """The Folium map of the province (local assets only) and the data of its selector.

    The data (the Folium names of the map and the units' layer, and the selectable views) goes
    into the page as JSON for static/js/province.js, which adds the choropleth selector, the
    legend, the popups and the tooltips.
    """
    minx, miny, maxx, maxy = units.total_bounds
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=True,
        width="100%",
        height="100%",
    )
    fmap.default_js, fmap.default_css = local_assets(lambda p: url_for("static", filename=p))
    add_basemap(fmap, current_app.config["BASEMAP"], current_app.config["TIANDITU_KEY"])
    views, styling = map_views(table, units)
    collection = unit_features(table, units, styling)
    geojson = folium.GeoJson(
        collection,
        name="河南省县级行政区 / Henan county-level units",
        style_function=lambda f: {"fillColor": f["properties"]["colours"]["grade"], "weight": 1},
        smooth_factor=1.0,
    )
    geojson.add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    add_labels(
        fmap, ["灰色：无工作区或无结果 / grey: no workspace or no result"], position="bottomleft"
    )
    add_attribution(fmap, [ATTRIBUTION])
    return fmap, {"map": fmap.get_name(), "layer": geojson.get_name(), "views": views}


# --- page and API ----------------------------------------------------------------------------
def _year_arg() -> int | None:
    raw = request.args.get("year")
    if raw in (None, ""):
        return None
    try:
        year = int(str(raw))
    except ValueError:
        from werkzeug.exceptions import BadRequest

        raise BadRequest(f"query parameter 'year': {raw!r} is not a whole number") from None
    return year


@bp.get("/province")
@bp.doc(hide=True)
def province_page() -> str:
    """The province map and ranking table."""
    by_year = all_results()
    year = chosen_year(_year_arg(), by_year)
    table = province_table(year)
    units = load_units()
    fmap, page_data = province_map(table, units)
    ranked_codes = set(table["ranked_by_adcode"])
    unranked_units = [u for u in _unit_records(units) if u["adcode"] not in ranked_codes]
    return render_template(
        "province.html",
        year=year,
        years=table["years"],
        rows=table["rows"],
        grade_counts=grade_counts(table["rows"]),
        failures=table["failures"],
        units_count=len(units),
        unranked_units=unranked_units,
        workspace_by_adcode=table["workspace_by_adcode"],
        fmap=map_parts(fmap),
        page_data=json_for_script(page_data),
        fmt=_fmt,
        no_census=NO_CENSUS,
        attribution=ATTRIBUTION,
        basemap_hosts=BASEMAP_HOSTS[current_app.config["BASEMAP"]],
        projects=province_summary(province_projects()),
    )


def counties_payload(year: int) -> dict[str, Any]:
    """JSON body of ``/api/v1/province/counties``."""
    units = load_units()
    table = province_table(year)
    ranked = table["ranked_by_adcode"]
    counties = []
    for rec in _unit_records(units):
        ws = table["workspace_by_adcode"].get(rec["adcode"])
        row = ranked.get(rec["adcode"])
        rec["county_id"] = ws["county_id"] if ws else None
        rec["has_workspace"] = ws is not None
        rec["copy_label"] = str((ws or {}).get("meta", {}).get("copy_label") or "") or None
        rec["assessment"] = (
            {
                "rank": row.rank,
                "score": row.score,
                "grade": row.grade,
                "passed": row.passed,
                "failed": row.failed,
                "no_data": row.no_data,
            }
            if row
            else None
        )
        counties.append(rec)
    sources = read_province_sources()
    check = reconcile(sources.census, {u["adcode"] for u in counties})
    return {
        "year": year,
        "count": len(counties),
        "with_workspace": sum(1 for c in counties if c["has_workspace"]),
        "without_2020_census": [c["adcode"] for c in counties if c["census_status"] == NO_CENSUS],
        "census_totals": {
            "province_total_2020": check.province_total,
            "units_total_2020": check.joined_units_total,
            "prefecture_rows_consistent": check.prefectures_consistent,
            "county_rows_consistent": check.counties_consistent,
        },
        "attribution": ATTRIBUTION,
        "counties": counties,
    }


@bp.get("/api/v1/province/counties")
@bp.input(YearQuery, location="query", arg_name="query")
def province_counties(query: dict[str, Any]) -> dict[str, Any]:
    """Henan's 157 county-level units with 2020 census figures and their assessment.

    Units created after the 2020 census (偃师区 410307, 孟津区 410308) are listed with
    ``census_status = "no_2020_census_row"`` and no population.
    """
    return counties_payload(chosen_year(query.get("year"), all_results()))


def ranking_payload(year: int) -> dict[str, Any]:
    """JSON body of ``/api/v1/province/ranking``."""
    table = province_table(year)
    rows = table["rows"]
    return {
        "year": year,
        "years": table["years"],
        "count": len(rows),
        "grade_counts": grade_counts(rows),
        "rules": "score desc, then grade, then indicators passed desc, then indicators without "
        "data asc; exact ties share a rank (1, 2, 2, 4); see docs/province.md",
        "rows": [r.to_dict() | {"map_url": _map_url(r.county_id)} for r in rows],
        "failures": table["failures"],
    }


@bp.get("/api/v1/province/ranking")
@bp.input(YearQuery, location="query", arg_name="query")
def province_ranking(query: dict[str, Any]) -> dict[str, Any]:
    """The counties with batch results, ranked by assessment score, with year-over-year change."""
    return ranking_payload(chosen_year(query.get("year"), all_results()))


def ranking_header() -> list[str]:
    """Column titles: :data:`RANKING_COLUMNS`, each indicator's value, the items not scored."""
    return [
        *(f"{zh} {en}" for _key, zh, en in RANKING_COLUMNS),
        *(f"{INDICATOR_NAMES[i][0]} {i}" for i in INDICATOR_IDS),
        "无数据不计分 not scored (no data)",
    ]


def ranking_rows(rows: list[RankRow]) -> list[list[Any]]:
    """Ranking rows in :func:`ranking_header` order (no value: empty)."""
    out = []
    for r in rows:
        data = r.to_dict()
        values = [data.get(key) for key, _zh, _en in RANKING_COLUMNS]
        values += [_rounded(r.values.get(i)) for i in INDICATOR_IDS]
        values.append(", ".join(r.no_data_excluded))
        out.append(values)
    return out


def _rounded(value: Any) -> Any:
    return round(float(value), 2) if isinstance(value, int | float) else None


def ranking_csv(rows: list[RankRow]) -> bytes:
    """The ranking as UTF-8 CSV with a BOM (Excel reads the Chinese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ranking_header())
    for row in ranking_rows(rows):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def ranking_xlsx(rows: list[RankRow], year: int) -> bytes:
    """The ranking as an Excel workbook (one sheet, bold header)."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"排名 ranking {year}"
    ws.append(ranking_header())
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in ranking_rows(rows):
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@bp.get("/api/v1/province/ranking.csv")
@bp.input(YearQuery, location="query", arg_name="query")
@bp.output(FileSchema(type="string", format="binary"), content_type="text/csv")
def province_ranking_csv(query: dict[str, Any]) -> Response:
    """The ranking as CSV (UTF-8 with BOM)."""
    year = chosen_year(query.get("year"), all_results())
    rows = province_table(year)["rows"]
    return _download(ranking_csv(rows), f"henan_ranking_{year}.csv", "text/csv; charset=utf-8")


@bp.get("/api/v1/province/ranking.xlsx")
@bp.input(YearQuery, location="query", arg_name="query")
@bp.output(FileSchema(type="string", format="binary"), content_type=XLSX_MIME)
def province_ranking_xlsx(query: dict[str, Any]) -> Response:
    """The ranking as an Excel workbook."""
    year = chosen_year(query.get("year"), all_results())
    rows = province_table(year)["rows"]
    return _download(ranking_xlsx(rows, year), f"henan_ranking_{year}.xlsx", XLSX_MIME)


class ProvinceReportQuery(YearQuery):
    """The assessment year and the report's language."""

    lang = String(
        load_default="zh",
        validate=OneOf(["zh", "en"]),
        metadata={"description": "language of the report: zh (default) or en"},
    )


REPORT_MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_REPORT_LOCK = threading.Lock()  # one province report is drawn at a time (13 maps of 157 units)
_REPORTS_KEPT = 8


def province_report(year: int, fmt: str, lang: str) -> bytes:
    """The province report of ``year`` (layers.province_doc), kept until a result file changes."""
    from layers.province_doc import build_province_content, render_province

    docs = all_results().get(year, [])
    key = (current_app.extensions["province_results"]["signature"], year, fmt, lang)
    cache: dict[Any, bytes] = current_app.extensions.setdefault("province_reports", {})
    with _REPORT_LOCK:
        if key not in cache:
            while len(cache) >= _REPORTS_KEPT:
                cache.pop(next(iter(cache)))
            cache[key] = render_province(build_province_content(docs, year, lang=lang), fmt)
        return cache[key]


def _province_report_response(query: dict[str, Any], fmt: str) -> Response:
    year = chosen_year(query.get("year"), all_results())
    lang = str(query.get("lang") or "zh")
    body = province_report(year, fmt, lang)
    return _download(body, f"henan-{year}-province-report-{lang}.{fmt}", REPORT_MIME[fmt])


PROVINCE_REPORT_DOC = (
    "The province's yearly assessment report (省级考核报告): counts by grade, the ranking, every "
    "county's values, a choropleth for the grade and one per indicator (天地图 boundaries), and "
    "the county-level units without results; the same document as `python -m gis report "
    "--province --results DIR --year Y`. Built from the batch results, public like the ranking."
)


@bp.get("/api/v1/province/report.pdf")
@bp.input(ProvinceReportQuery, location="query", arg_name="query")
@bp.output(FileSchema(type="string", format="binary"), content_type=REPORT_MIME["pdf"])
@bp.doc(description=PROVINCE_REPORT_DOC)
def province_report_pdf(query: dict[str, Any]) -> Response:
    """The province assessment report as PDF."""
    return _province_report_response(query, "pdf")


@bp.get("/api/v1/province/report.docx")
@bp.input(ProvinceReportQuery, location="query", arg_name="query")
@bp.output(FileSchema(type="string", format="binary"), content_type=REPORT_MIME["docx"])
@bp.doc(description=PROVINCE_REPORT_DOC)
def province_report_docx(query: dict[str, Any]) -> Response:
    """The province assessment report as DOCX (editable)."""
    return _province_report_response(query, "docx")
