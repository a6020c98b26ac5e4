"""The yearly assessment report of a county as a document: PDF (WeasyPrint) or DOCX (python-docx).

Built from exactly what the API serves: :func:`gis.report.county_report`'s dict (values, targets,
pass/fail, provenance, assessment) and its :class:`~gis.result.IndicatorResult` objects (the gap
layers for the maps); nothing is computed a second time.  Contents: cover, summary (grade, score
and reasoning), one section per indicator (value, target, result, gap map, chart, method, data
sources with their provenance labels), suggested fitness sites, what changed since the previous
year (when a previous report is given), and an appendix of parameters.  Chinese by default,
English with ``lang="en"``.

The PDF is HTML (templates/report/county.html) laid out by WeasyPrint with the system CJK font;
the DOCX is written paragraph by paragraph so staff can edit it in Word or WPS.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd

from gis.errors import GisError
from gis.resources import resource_dir
from gis.result import IndicatorResult, reason_parts
from gis.workspace import Workspace
from gis.year_over_year import PP_UNIT, compare
from layers.catalog import site_frame
from layers.charts import render_chart, value_text
from layers.mapimage import (
    PictureLayer,
    attribution_lines,
    cjk_font_family,
    data_date,
    render_map,
)
from layers.style import gap_style, result_style, style_for

Lang = Literal["zh", "en"]
LANGS = ("zh", "en")
FORMATS = ("pdf", "docx")
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
MAP_WIDTH_PX, MAP_HEIGHT_PX = 1100, 760

PROVENANCE_LABELS: dict[str, tuple[str, str]] = {
    "osm": ("OpenStreetMap（实测）", "OpenStreetMap (mapped)"),
    "osm_derived": ("由OpenStreetMap推算", "derived from OpenStreetMap"),
    "uploaded": ("上传数据", "uploaded by GIS staff"),
    "estimated": ("估算", "estimated"),
    "sample": ("样例数据（演示用，非真实）", "SAMPLE data (made up for the demonstration)"),
    "absent": ("缺失", "absent"),
    "county": ("县级填报", "entered by the county"),
    "entered": ("县级填报", "entered by the county"),
    "incomplete": ("不完整", "incomplete"),
    "built_up_substitute": ("以建成区代替", "built-up area stands in"),
    "computed": ("计算结果", "computed"),
}

METHODS: dict[str, tuple[str, str]] = {
    "road_density": (
        "建成区内城市道路（GB/T 51328-2018 快速路、主干路、次干路、支路）中心线长度 ÷ 建成区面积；"
        "双幅路只计一次。缺口图层：断头路。",
        "Centre-line km of urban roads (GB/T 51328-2018 classes; dual carriageways once) in the "
        "built-up area ÷ built-up km². Gap layer: dead-end roads.",
    ),
    "fitness_15min_coverage": (
        "沿步行网络步行15分钟（步速参数）可达体育设施的居民 ÷ 全部居民，按人口加权。"
        "缺口图层：未覆盖的人口格网；并给出最大覆盖选址建议。",
        "Residents within a 15-minute walk along the pedestrian network of a sports facility ÷ "
        "all residents, population-weighted. Gap layer: uncovered population cells; suggested "
        "sites by maximal covering (exact within a time limit, greedy otherwise).",
    ),
    "park_green_per_capita": (
        "建成区内公园绿地面积（重叠合并）÷ 城区人口。",
        "Dissolved park area inside the built-up area ÷ urban population.",
    ),
    "green_space_ratio": (
        "建成区内全部绿地（公园及其他绿地）面积 ÷ 建成区面积。",
        "All green space (parks and other green space) in the built-up area ÷ built-up area.",
    ),
    "park_service_coverage": (
        "距 ≥5000 m² 公园500 m或距 ≥1000 m² 公园300 m以内的居住用地 ÷ 全部居住用地（参考指标）。",
        "Residential land within 500 m of a park ≥ 5,000 m² or 300 m of a park ≥ 1,000 m² ÷ "
        "residential land (reference).",
    ),
    "regulatory_plan_coverage": (
        "已批准控规单元覆盖的建成区面积 ÷ 建成区面积。缺口图层：无已批准控规的建成区。",
        "Built-up area inside approved regulatory plan units ÷ built-up area. Gap layer: "
        "built-up land without an approved plan.",
    ),
    "urban_design_coverage": (
        "城市设计覆盖的重点地区面积 ÷ 重点地区面积。",
        "Key areas covered by urban designs ÷ key areas.",
    ),
    "parking_per_100_cars": (
        "公共停车场泊位数 ÷ 城区汽车保有量 × 100。",
        "Public parking spaces ÷ registered cars × 100.",
    ),
    "sewer_network_coverage": (
        "距污水管网服务距离以内的建成区 ÷ 建成区面积。",
        "Built-up area within the service distance of a sewer pipe ÷ built-up area.",
    ),
    "water_supply_coverage": (
        "县级填报的公共供水普及率（含来源和年份）。",
        "Public water-supply coverage as entered by the county (with source and year).",
    ),
    "sewage_treatment_rate": (
        "县级填报的生活污水集中处理率（含来源和年份）。",
        "Domestic sewage treatment rate as entered by the county (with source and year).",
    ),
    "special_plans_approved_share": (
        "11项专项规划中已批复的比例（县级填报清单）。",
        "Share of the 11 special plans approved (the county's checklist).",
    ),
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "百城建设提质工程 年度考核报告",
        "year": "考核年度",
        "summary": "考核结论",
        "score": "得分",
        "grade": "等级",
        "reasoning": "评分依据",
        "indicators": "指标一览",
        "indicator": "指标",
        "value": "数值",
        "unit": "单位",
        "target": "目标",
        "result": "结论",
        "passed": "达标",
        "failed": "未达标",
        "estimate": "（估算）",
        "method": "计算方法",
        "sources": "数据来源",
        "gap_map": "缺口地图",
        "no_gap": "无缺口图层或缺口为空。",
        "chart": "数值与目标",
        "sites": "建议新增健身设施选址",
        "rank": "序号",
        "persons": "新增覆盖人口",
        "cover": "新增覆盖率 %",
        "changes": "与上一年度比较",
        "before": "上一年度",
        "after": "本年度",
        "change": "变化",
        "no_previous": "未提供上一年度结果，无法比较。",
        "appendix": "附录：计算参数",
        "parameter": "参数",
        "data_date": "数据日期",
        "generated_from": "本报告由系统根据与API相同的计算结果生成，可在Word/WPS中编辑。",
        "demonstration": "示范区，非河南省行政县（演示数据）",
        "population_estimate": "人口为估算值",
        "province_title": "百城建设提质工程 全省考核汇总",
        "colon": "：",
    },
    "en": {
        "title": "Hundred Cities Quality Improvement: yearly assessment report",
        "year": "Assessment year",
        "summary": "Summary",
        "score": "Score",
        "grade": "Grade",
        "reasoning": "Reasoning",
        "indicators": "Indicators",
        "indicator": "Indicator",
        "value": "Value",
        "unit": "Unit",
        "target": "Target",
        "result": "Result",
        "passed": "passed",
        "failed": "failed",
        "estimate": " (estimate)",
        "method": "Method",
        "sources": "Data sources",
        "gap_map": "Gap map",
        "no_gap": "No gap layer, or the gap is empty.",
        "chart": "Value and target",
        "sites": "Suggested fitness sites",
        "rank": "Rank",
        "persons": "Residents added",
        "cover": "Coverage added %",
        "changes": "Change since the previous year",
        "before": "Previous",
        "after": "This year",
        "change": "Change",
        "no_previous": "No previous year's results given: nothing to compare.",
        "appendix": "Appendix: parameters",
        "parameter": "Parameter",
        "data_date": "Data date",
        "generated_from": "Generated from the same results the API serves; editable in Word.",
        "demonstration": "Demonstration area, not a Henan county (demonstration data)",
        "population_estimate": "population is an estimate",
        "province_title": "Hundred Cities Quality Improvement: province assessment",
        "colon": ": ",
    },
}


class ReportFormatError(GisError):
    """An unknown report format or language."""


@dataclass
class IndicatorSection:
    """What one indicator's section shows."""

    item: dict[str, Any]
    name: str
    value: str
    target: str
    verdict: str
    passed: bool | None
    method: str
    sources: list[str]
    note: str
    chart_png: bytes
    map_png: bytes | None


@dataclass
class ReportContent:
    """Everything the PDF and the DOCX show, in one language."""

    lang: str
    t: dict[str, str]
    title: str
    county_name: str
    year: int
    report: dict[str, Any]
    notes: list[str]
    data_date: str
    attribution: list[str]
    reasoning: list[str]
    sections: list[IndicatorSection]
    sites: list[dict[str, Any]]
    changes: list[dict[str, str]] | None
    parameters: list[tuple[str, str]]
    extra: dict[str, Any] = field(default_factory=dict)


def check_choice(fmt: str, lang: str) -> None:
    """Raise :class:`ReportFormatError` for an unknown format or language.

    >>> check_choice("pdf", "zh")
    >>> check_choice("odt", "zh")
    Traceback (most recent call last):
    ...
    layers.report_doc.ReportFormatError: report format must be pdf or docx, got 'odt'
    """
    if fmt not in FORMATS:
        msg = f"report format must be pdf or docx, got {fmt!r}"
        raise ReportFormatError(msg)
    if lang not in LANGS:
        msg = f"report language must be zh or en, got {lang!r}"
        raise ReportFormatError(msg)


def pick(zh_en: str, lang: str) -> str:
    """The language's half of a ``中文 | English`` text."""
    zh, en = reason_parts(zh_en)
    return en if lang == "en" else zh


def target_text(item: dict[str, Any]) -> str:
    """``≥ 8 km/km² (2020)``.

    >>> target_text({"comparison": ">=", "target": 8.0, "unit": "km/km²", "target_year": 2020})
    '≥ 8 km/km² (2020)'
    """
    sign = "≥" if item.get("comparison", ">=") == ">=" else "≤"
    return f"{sign} {float(item['target']):g} {item['unit']} ({item['target_year']})"


def verdict_text(item: dict[str, Any], lang: str) -> str:
    """达标 / 未达标 (with 估算), or the reason there is no value."""
    t = TEXT[lang]
    if item.get("status") != "ok" or item.get("value") is None:
        return pick(str(item.get("reason") or "无数据 | no data"), lang)
    text = t["passed"] if item.get("passed") else t["failed"]
    return text + (t["estimate"] if item.get("basis") == "estimate" else "")


def source_lines(item: dict[str, Any], lang: str) -> list[str]:
    """Each input of an indicator with its provenance label.

    >>> source_lines({"provenance": {"roads": "osm", "plans": "sample"}}, "en")
    ['roads: OpenStreetMap (mapped)', 'plans: SAMPLE data (made up for the demonstration)']
    """
    out = []
    for name, prov in (item.get("provenance") or {}).items():
        zh, en = PROVENANCE_LABELS.get(str(prov), (str(prov), str(prov)))
        out.append(f"{name}: {en if lang == 'en' else zh}")
    return out


DIRECTION_TEXT = {
    "zh": {"improved": "改善", "worse": "变差", "unchanged": "不变", "no_data": "无法比较"},
    "en": {
        "improved": "improved",
        "worse": "worse",
        "unchanged": "unchanged",
        "no_data": "no data",
    },
}


def year_changes(
    previous: dict[str, Any], current: dict[str, Any], lang: str
) -> list[dict[str, str]]:
    """Each indicator's value before → after and the change, from two county_report dicts.

    The change is :func:`gis.year_over_year.compare`'s (shares in percentage points, the
    direction relative to the target).

    >>> prev = {"indicators": [{"id": "a", "name_zh": "甲", "name_en": "A", "value": 5.0,
    ...         "unit": "%", "target": 10.0, "comparison": ">="}],
    ...         "assessment": {"score": 40.0, "grade": "不合格"}}
    >>> cur = {"indicators": [{"id": "a", "name_zh": "甲", "name_en": "A", "value": 7.5,
    ...        "unit": "%", "target": 10.0, "comparison": ">="}],
    ...        "assessment": {"score": 61.0, "grade": "合格"}}
    >>> [r["change"] for r in year_changes(prev, cur, "en")]
    ['+2.5 pp (improved)', '+21 points']
    >>> year_changes(prev, cur, "zh")[0]["change"]
    '+2.5 百分点（改善）'
    """
    comparison = compare(previous, current)
    words = DIRECTION_TEXT["en" if lang == "en" else "zh"]
    rows = []
    for row in comparison["indicators"]:
        unit = str(row.get("change_unit") or row.get("unit") or "")
        if unit == PP_UNIT:
            unit = "pp" if lang == "en" else "百分点"
        word = words[row["direction"]]
        change = row.get("change")
        if change is None:
            text = "—"
        elif lang == "en":
            text = f"{change:+.4g} {unit} ({word})".replace("  ", " ")
        else:
            text = f"{change:+.4g} {unit}（{word}）".replace(" （", "（")
        rows.append(
            {
                "name": row["name_en"] if lang == "en" else row["name_zh"],
                "before": value_text(row.get("previous_value")),
                "after": value_text(row.get("current_value")),
                "change": text,
            }
        )
    pa, ca = comparison["previous"], comparison["current"]
    if comparison.get("score_change") is not None:
        points = "points" if lang == "en" else "分"
        rows.append(
            {
                "name": TEXT[lang]["score"] + " / " + TEXT[lang]["grade"],
                "before": f"{pa['score']:g} {pa.get('grade') or ''}",
                "after": f"{ca['score']:g} {ca.get('grade') or ''}",
                "change": f"{comparison['score_change']:+.4g} {points}",
            }
        )
    return rows


def load_previous(path: Path) -> dict[str, Any]:
    """A previous year's county_report dict from a saved JSON file (``indicators --json``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"{path}: cannot read the previous year's results as JSON: {exc}"
        raise GisError(msg) from exc
    if isinstance(data, dict) and isinstance(data.get("report"), dict):
        data = data["report"]  # a batch result document (python -m gis batch)
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        msg = (
            f"{path}: not a saved indicator report (expected the JSON of "
            "`python -m gis indicators DIR --json`, with an 'indicators' list)"
        )
        raise GisError(msg)
    return data


CONTEXT_LAYERS: dict[str, str] = {
    "road_density": "roads",
    "fitness_15min_coverage": "sports",
    "park_green_per_capita": "parks",
    "green_space_ratio": "green_space",
    "park_service_coverage": "parks",
    "regulatory_plan_coverage": "plans",
    "urban_design_coverage": "urban_designs",
    "parking_per_100_cars": "parking",
    "sewer_network_coverage": "sewer_pipes",
}
"""The stored layer drawn under each indicator's gap layer, for context."""


def _boundary_layers(ws: Workspace, context: str = "") -> list[PictureLayer]:
    out = []
    for name in ("built_up", context, "boundary"):
        frame = ws.layer(name) if name else None
        if frame is not None and len(frame):
            out.append(PictureLayer(name, frame, style_for(name)))
    return out


def gap_map(
    ws: Workspace,
    result: IndicatorResult,
    results: Sequence[IndicatorResult],
    *,
    title: str,
    lang: str,
    notes: Sequence[str] = (),
) -> bytes | None:
    """The map of one indicator's gap layer over the built-up area and boundary (PNG)."""
    layer = result.layer
    if not isinstance(layer, gpd.GeoDataFrame) or layer.empty or not result.layer_name:
        return None
    name = result.layer_name
    is_gap = name.startswith("gap_") or name.endswith("_gap")
    label_zh = f"缺口：{result.name_zh}" if is_gap else f"{result.name_zh}（计算范围）"
    label_en = f"Gap: {result.name_en}" if is_gap else f"{result.name_en} (counted area)"
    style = gap_style(label_zh, label_en) if is_gap else result_style(label_zh, label_en)
    context = CONTEXT_LAYERS.get(result.id, "")
    layers = [*_boundary_layers(ws, context), PictureLayer(name, layer, style)]
    sites = site_frame([result]) if result.details.get("suggested_sites") else None
    if sites is not None and len(sites):
        layers.append(PictureLayer("fitness_sites", sites, style_for("fitness_sites")))
    bbox = _bbox(ws)
    picture = render_map(
        layers,
        metric_crs=ws.metric_crs,
        title=title,
        attribution=attribution_lines(ws.metadata),
        date=data_date(ws.metadata),
        bbox_lonlat=bbox,
        width_px=MAP_WIDTH_PX,
        height_px=MAP_HEIGHT_PX,
        lang=lang,
        notes=notes,
    )
    return picture.png


def _bbox(ws: Workspace) -> tuple[float, float, float, float] | None:
    frame = ws.layer("boundary")
    if frame is None or frame.empty or frame.crs is None:
        return None
    minx, miny, maxx, maxy = (float(v) for v in frame.to_crs(4326).total_bounds)
    return minx, miny, maxx, maxy


def report_notes(report: dict[str, Any], lang: str) -> list[str]:
    """示范区, sample data and estimate labels of the report."""
    t = TEXT[lang]
    notes = []
    county = report["county"]
    if county.get("is_demonstration"):
        notes.append(t["demonstration"])
    if county.get("population_is_estimate"):
        notes.append(t["population_estimate"])
    samples = sorted(
        {
            k
            for i in report["indicators"]
            for k, v in (i.get("provenance") or {}).items()
            if v == "sample"
        }
    )
    if samples:
        label = PROVENANCE_LABELS["sample"][1 if lang == "en" else 0]
        notes.append(f"{label}: {', '.join(samples)}")
    return notes


def build_content(
    report: dict[str, Any],
    results: Sequence[IndicatorResult],
    ws: Workspace,
    *,
    lang: str = "zh",
    previous: dict[str, Any] | None = None,
) -> ReportContent:
    """Everything the documents show, from the API's report dict and its result objects."""
    t = TEXT[lang]
    county = report["county"]
    name = str(county["name"])
    notes = report_notes(report, lang)
    by_id = {r.id: r for r in results}
    sections = []
    for item in report["indicators"]:
        label = item["name_en"] if lang == "en" else item["name_zh"]
        result = by_id.get(item["id"])
        png = None
        if result is not None:
            png = gap_map(ws, result, results, title=f"{name} · {label}", lang=lang, notes=notes)
        note = item.get("basis_note_en") if lang == "en" else item.get("basis_note_zh")
        method = METHODS.get(item["id"], ("", ""))
        sections.append(
            IndicatorSection(
                item=item,
                name=label,
                value=value_text(item.get("value")),
                target=target_text(item),
                verdict=verdict_text(item, lang),
                passed=item.get("passed"),
                method=method[1] if lang == "en" else method[0],
                sources=source_lines(item, lang),
                note=str(note or ""),
                chart_png=render_chart(item, "png", lang=lang),
                map_png=png,
            )
        )
    sites = []
    for item in report["indicators"]:
        for site in (item.get("details") or {}).get("suggested_sites") or []:
            sites.append(site)
    params = report.get("parameters") or {}
    return ReportContent(
        lang=lang,
        t=t,
        title=t["title"],
        county_name=name,
        year=int(report["year"]),
        report=report,
        notes=notes,
        data_date=data_date(ws.metadata),
        attribution=attribution_lines(ws.metadata),
        reasoning=[pick(line, lang) for line in report["assessment"].get("reasoning") or []],
        sections=sections,
        sites=sites,
        changes=None if previous is None else year_changes(previous, report, lang),
        parameters=[(k, json.dumps(v, ensure_ascii=False)) for k, v in params.items()],
    )


# --- PDF --------------------------------------------------------------------------------------


def _data_uri(png: bytes | None) -> str:
    return "" if png is None else "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(content: Any, template: str = "county.html", **extra: Any) -> str:
    """The report as HTML (the PDF's source), from templates/report/."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(resource_dir("templates") / "report"),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["data_uri"] = _data_uri
    return env.get_template(template).render(c=content, font=cjk_font_family(), **extra)


def render_pdf(content: ReportContent, template: str = "county.html") -> bytes:
    """The report as PDF bytes (WeasyPrint, system CJK font)."""
    from weasyprint import HTML

    html = render_html(content, template)
    pdf = HTML(string=html, base_url=str(resource_dir("templates"))).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf without a target returns bytes
        msg = "WeasyPrint wrote no PDF"
        raise GisError(msg)
    return bytes(pdf)


# --- DOCX -------------------------------------------------------------------------------------


def _docx_table(doc: Any, head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)


def _docx_font(doc: Any, family: str) -> None:
    from docx.oxml.ns import qn

    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        try:
            style = doc.styles[style_name]
        except KeyError:
            continue
        style.font.name = family
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), family)


def render_docx(content: ReportContent) -> bytes:
    """The report as a DOCX document (python-docx), editable in Word and WPS."""
    from docx import Document
    from docx.shared import Cm

    t = content.t
    doc = Document()
    _docx_font(doc, cjk_font_family())
    doc.add_heading(content.title, level=0)
    doc.add_paragraph(content.county_name)
    doc.add_paragraph(f"{t['year']}: {content.year}")
    doc.add_paragraph(f"{t['data_date']}: {content.data_date or '—'}")
    for note in content.notes:
        doc.add_paragraph(note)
    doc.add_paragraph(t["generated_from"])
    doc.add_page_break()  # type: ignore[no-untyped-call]
    assessment = content.report["assessment"]
    doc.add_heading(t["summary"], level=1)
    grade = assessment["grade_en"] if content.lang == "en" else assessment["grade"]
    doc.add_paragraph(
        f"{t['score']}: {assessment['score']:g} / {assessment.get('max_score', 100):g}    "
        f"{t['grade']}: {grade}"
    )
    doc.add_heading(t["reasoning"], level=2)
    for line in content.reasoning:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading(t["indicators"], level=2)
    _docx_table(
        doc,
        [t["indicator"], t["value"], t["unit"], t["target"], t["result"]],
        [[s.name, s.value, s.item["unit"], s.target, s.verdict] for s in content.sections],
    )
    for s in content.sections:
        doc.add_heading(s.name, level=1)
        doc.add_paragraph(f"{t['value']}: {s.value} {s.item['unit']}")
        doc.add_paragraph(f"{t['target']}: {s.target}")
        doc.add_paragraph(f"{t['result']}: {s.verdict}")
        if s.note:
            doc.add_paragraph(s.note)
        doc.add_heading(t["method"], level=2)
        doc.add_paragraph(s.method)
        doc.add_heading(t["sources"], level=2)
        for line in s.sources:
            doc.add_paragraph(line, style="List Bullet")
        doc.add_heading(t["chart"], level=2)
        doc.add_picture(io.BytesIO(s.chart_png), width=Cm(12))
        doc.add_heading(t["gap_map"], level=2)
        if s.map_png is None:
            doc.add_paragraph(t["no_gap"])
        else:
            doc.add_picture(io.BytesIO(s.map_png), width=Cm(16))
    _docx_tail(doc, content)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _docx_tail(doc: Any, content: ReportContent) -> None:
    t = content.t
    doc.add_heading(t["sites"], level=1)
    if content.sites:
        _docx_table(
            doc,
            [t["rank"], "lon", "lat", t["persons"], t["cover"]],
            [
                [
                    str(s.get("rank")),
                    f"{float(s['lon']):.5f}",
                    f"{float(s['lat']):.5f}",
                    f"{float(s.get('persons_added') or 0):,.0f}",
                    f"{float(s.get('coverage_added_pct') or 0):.2f}",
                ]
                for s in content.sites
            ],
        )
    else:
        doc.add_paragraph("—")
    doc.add_heading(t["changes"], level=1)
    if content.changes is None:
        doc.add_paragraph(t["no_previous"])
    else:
        _docx_table(
            doc,
            [t["indicator"], t["before"], t["after"], t["change"]],
            [[r["name"], r["before"], r["after"], r["change"]] for r in content.changes],
        )
    doc.add_heading(t["appendix"], level=1)
    _docx_table(doc, [t["parameter"], t["value"]], content.parameters)
    doc.add_paragraph(f"{t['sources']}: " + "; ".join(content.attribution))


def render_report(content: ReportContent, fmt: str) -> bytes:
    """The report as ``pdf`` or ``docx`` bytes."""
    check_choice(fmt, content.lang)
    return render_pdf(content) if fmt == "pdf" else render_docx(content)
