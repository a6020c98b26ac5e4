"""The province's yearly assessment report: ranking, choropleths, counts by grade, gaps.

Input: one year's result documents of the batch (``python -m gis batch``; each holds the
county_report dict the API serves) and Henan's 157 county-level boundaries (天地图,
:func:`gis.province.load_units`).  Output: PDF (WeasyPrint, templates/report/province.html) or
DOCX (python-docx).  The maps are drawn by :func:`layers.mapimage.render_map` with a
:class:`~layers.style.LayerStyle` per map: numeric breaks relative to the target for an
indicator, a category per grade for the grade; units without a result are drawn grey and listed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
from pyproj import CRS

from gis.crs import gk_epsg
from gis.province import ATTRIBUTION, load_units
from gis.ranking import GRADE_EN, GRADES, RankRow, grade_counts, rank_year
from layers.charts import value_text
from layers.mapimage import PictureLayer, cjk_font_family, render_map
from layers.report_doc import TEXT, check_choice, render_html
from layers.style import LayerStyle, LegendEntry

MAP_WIDTH_PX, MAP_HEIGHT_PX = 1000, 1000
NO_RESULT_COLOR = "#dee2e6"
GRADE_COLORS = {"优良": "#2f9e44", "合格": "#fab005", "不合格": "#e03131"}
RATIO_BREAKS = (
    (0.5, "#c92a2a", "< 50%"),
    (0.8, "#f76707", "50–80%"),
    (1.0, "#fcc419", "80–100%"),
    (math.inf, "#2f9e44", "≥ 100%"),
)
"""Classes of an indicator map: the value as a share of the target."""
PROVINCE_TEXT = {
    "zh": {
        "ranking": "排名",
        "rank": "名次",
        "county": "县（市、区）",
        "counts": "各等级县数",
        "missing": "无考核结果的县级单位",
        "maps": "分布图",
        "none": "无结果",
        "of_target": "占目标",
        "no_results": "本年度没有任何县的计算结果（请先运行 batch）。",
        "share": "值/目标",
    },
    "en": {
        "ranking": "Ranking",
        "rank": "Rank",
        "county": "County",
        "counts": "Counties by grade",
        "missing": "County-level units without results",
        "maps": "Maps",
        "none": "no result",
        "of_target": "of target",
        "no_results": "No county has results for this year (run the batch first).",
        "share": "value/target",
    },
}


@dataclass
class ProvinceContent:
    """Everything the province report shows, in one language."""

    lang: str
    t: dict[str, str]
    pt: dict[str, str]
    title: str
    year: int
    rows: list[RankRow]
    values: dict[str, dict[str, Any]]
    indicators: list[dict[str, Any]]
    counts: dict[str, int]
    missing: list[dict[str, str]]
    maps: list[tuple[str, bytes]]
    attribution: list[str]


def _adcode(doc: Mapping[str, Any]) -> str | None:
    meta = doc.get("metadata") or {}
    county = (doc.get("report") or {}).get("county") or {}
    code = meta.get("adcode") or county.get("adcode")
    return None if code in (None, "") else str(code)


def indicator_style(item: Mapping[str, Any], lang: str) -> LayerStyle:
    """Classes of value ÷ target (property ``ratio``), with ``no result`` grey."""
    breaks = []
    legend = [LegendEntry(NO_RESULT_COLOR, "无结果", "no result")]
    for upper, color, label in RATIO_BREAKS:
        options = {"fillColor": color, "color": "#495057", "fillOpacity": 0.85}
        breaks.append((upper, options))
        legend.append(LegendEntry(color, f"{label} 目标", f"{label} of target"))
    title = str(item["name_en"] if lang == "en" else item["name_zh"])
    return LayerStyle(
        title,
        title,
        {"color": "#495057", "weight": 0.6, "fillColor": NO_RESULT_COLOR, "fillOpacity": 0.85},
        "ratio",
        breaks=tuple(breaks),
        legend=tuple(legend),
    )


def grade_style() -> LayerStyle:
    """One colour per grade (property ``grade``), ``no result`` grey."""
    categories = {
        g: {"fillColor": c, "color": "#495057", "fillOpacity": 0.85}
        for g, c in GRADE_COLORS.items()
    }
    legend = [LegendEntry(c, g, GRADE_EN[g]) for g, c in GRADE_COLORS.items()]
    legend.append(LegendEntry(NO_RESULT_COLOR, "无结果", "no result"))
    return LayerStyle(
        "等级",
        "Grade",
        {"color": "#495057", "weight": 0.6, "fillColor": NO_RESULT_COLOR, "fillOpacity": 0.85},
        "grade",
        categories,
        legend=tuple(legend),
    )


def value_ratio(value: Any, target: Any) -> float | None:
    """``value / target`` (``None`` without a value or a positive target).

    >>> value_ratio(4.0, 8.0), value_ratio(None, 8.0), value_ratio(1.0, 0.0)
    (0.5, None, None)
    """
    if value is None or target in (None, 0) or float(target) <= 0:
        return None
    return float(value) / float(target)


def _map(units: gpd.GeoDataFrame, style: LayerStyle, title: str, lang: str) -> bytes:
    metric = CRS.from_epsg(gk_epsg(float(units.total_bounds[[0, 2]].mean())))
    picture = render_map(
        [PictureLayer("units", units, style)],
        metric_crs=metric,
        title=title,
        attribution=[ATTRIBUTION],
        date="2020 census / 天地图 boundaries",
        width_px=MAP_WIDTH_PX,
        height_px=MAP_HEIGHT_PX,
        lang=lang,
    )
    return picture.png


def build_province_content(
    docs: Sequence[Mapping[str, Any]], year: int, *, lang: str = "zh"
) -> ProvinceContent:
    """The province report's content from one year's batch result documents."""
    t, pt = TEXT[lang], PROVINCE_TEXT[lang]
    units = load_units()
    rows = rank_year(docs)
    by_code = {code: doc for doc in docs if (code := _adcode(doc))}
    indicators: list[dict[str, Any]] = []
    values: dict[str, dict[str, Any]] = {}
    for doc in docs:
        report = doc.get("report") or {}
        values[str(doc.get("county_id"))] = {
            i["id"]: i.get("value") for i in report.get("indicators") or []
        }
        if not indicators:
            indicators = [dict(i) for i in report.get("indicators") or []]
    maps = []
    shown = units[["adcode", "name", "geometry"]].copy()
    grades = [
        (by_code.get(c) or {}).get("report", {}).get("assessment", {}).get("grade")
        for c in shown["adcode"]
    ]
    shown["grade"] = [g if g in GRADES else "" for g in grades]
    maps.append((f"{t['grade']} {year}", _map(shown, grade_style(), f"{t['grade']} {year}", lang)))
    for item in indicators:
        ratios = []
        for code in shown["adcode"]:
            found = None
            county_doc = by_code.get(code)
            if county_doc is not None:
                for ind in (county_doc.get("report") or {}).get("indicators") or []:
                    if ind.get("id") == item["id"]:
                        found = value_ratio(ind.get("value"), ind.get("target"))
            ratios.append(math.nan if found is None else found)
        if all(math.isnan(r) for r in ratios):
            continue
        frame = shown.assign(ratio=ratios)
        name = str(item["name_en"] if lang == "en" else item["name_zh"])
        maps.append((name, _map(frame, indicator_style(item, lang), f"{name} {year}", lang)))
    missing = [
        {"adcode": str(r.adcode), "name": str(r.name)}
        for r in units.itertuples()
        if str(r.adcode) not in by_code
    ]
    return ProvinceContent(
        lang=lang,
        t=t,
        pt=pt,
        title=t["province_title"],
        year=year,
        rows=rows,
        values=values,
        indicators=indicators,
        counts=grade_counts(rows),
        missing=missing,
        maps=maps,
        attribution=[ATTRIBUTION],
    )


def render_province(content: ProvinceContent, fmt: str) -> bytes:
    """The province report as ``pdf`` or ``docx`` bytes."""
    check_choice(fmt, content.lang)
    if fmt == "pdf":
        from weasyprint import HTML

        html = render_html(
            content, "province.html", ranking=ranking_rows(content), values=value_rows(content)
        )
        return bytes(HTML(string=html).write_pdf() or b"")
    return _docx(content)


def ranking_rows(content: ProvinceContent) -> list[list[str]]:
    """The ranking table's cells (rank, county, score, grade, passed/failed/no data)."""
    out = []
    for r in content.rows:
        grade = (GRADE_EN.get(r.grade or "", "") if content.lang == "en" else r.grade) or "—"
        out.append(
            [
                "—" if r.rank is None else str(r.rank),
                r.name,
                "—" if r.score is None else f"{r.score:g}",
                grade,
                f"{r.passed}/{r.failed}/{r.no_data}",
            ]
        )
    return out


def value_rows(content: ProvinceContent) -> list[list[str]]:
    """Every ranked county's indicator values as the API gives them."""
    return [
        [
            r.name,
            *(
                value_text(content.values.get(r.county_id, {}).get(i["id"]))
                for i in content.indicators
            ),
        ]
        for r in content.rows
    ]


def _docx(content: ProvinceContent) -> bytes:
    from docx import Document
    from docx.shared import Cm

    from layers.report_doc import _docx_font, _docx_table

    t, pt = content.t, content.pt
    doc = Document()
    _docx_font(doc, cjk_font_family())
    doc.add_heading(f"{content.title} {content.year}", level=0)
    doc.add_heading(pt["counts"], level=1)
    labels = {g: (GRADE_EN[g] if content.lang == "en" else g) for g in GRADES}
    _docx_table(
        doc,
        [t["grade"], "n"],
        [[labels.get(k, pt["none"]), str(v)] for k, v in content.counts.items()],
    )
    doc.add_heading(pt["ranking"], level=1)
    if not content.rows:
        doc.add_paragraph(pt["no_results"])
    _docx_table(
        doc,
        [pt["rank"], pt["county"], t["score"], t["grade"], "✓/✗/—"],
        ranking_rows(content),
    )
    if content.indicators:
        name_key = "name_en" if content.lang == "en" else "name_zh"
        _docx_table(
            doc,
            [pt["county"], *(str(i[name_key]) for i in content.indicators)],
            value_rows(content),
        )
    doc.add_heading(pt["maps"], level=1)
    for title, png in content.maps:
        doc.add_heading(title, level=2)
        doc.add_picture(io.BytesIO(png), width=Cm(15))
    doc.add_heading(pt["missing"], level=1)
    doc.add_paragraph(
        f"{len(content.missing)}: "
        + "、".join(f"{m['name']} ({m['adcode']})" for m in content.missing)
    )
    doc.add_paragraph(f"{t['sources']}: " + "; ".join(content.attribution))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
