"""The province's project tables (统一发布): figures by county and category, .xlsx and .csv.

Every function takes the counties' *public* projects (:func:`gis.projects.public_projects`:
passed ones, public fields) and is pure; the web layer reads the store and sends the bytes.

The .xlsx follows the province template: a sheet 汇总 (totals: one row per county, the
province total, then the totals by category), a sheet 按县和类别 (one row per county and
category present) and one sheet per county listing its projects with a total row; the .csv
lists every project of every county, one per row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from gis.projects import (
    CATEGORIES,
    FIELD_LABELS,
    PUBLIC_FIELDS,
    STATUSES,
    normalise_projects,
    summarise,
    summarise_by_category,
)

TOTALS_SHEET = "汇总"
BY_CATEGORY_SHEET = "按县和类别"
PROJECT_COLUMNS = tuple(f for f in PUBLIC_FIELDS if f != "reviewed_at")
TOTALS_HEADER = (
    "县（市）",
    "county_id",
    "项目数",
    "计划总投资（万元）",
    "进度（%，按投资加权）",
    *(f"{s}（个）" for s in STATUSES),
    "停车泊位（个）",
)


@dataclass(frozen=True)
class CountyProjects:
    """One county's public projects and its name."""

    county_id: str
    name: str
    projects: gpd.GeoDataFrame


def province_summary(counties: Sequence[CountyProjects]) -> dict[str, Any]:
    """Counts, investment and progress per county, per category and for the province.

    >>> from shapely.geometry import Point
    >>> f = gpd.GeoDataFrame({"name": ["a"], "category": ["道路"], "investment_wan_yuan": [10.0],
    ...     "progress_pct": [20.0]}, geometry=[Point(0, 0)], crs=4326)
    >>> s = province_summary([CountyProjects("c1", "一县", f), CountyProjects("c2", "二县", f)])
    >>> s["total"]["count"], s["total"]["investment_wan_yuan"], s["by_category"][0]["count"]
    (2, 20.0, 2)
    """
    frames = [normalise_projects(c.projects) for c in counties]
    everything = _concat(frames)
    return {
        "counties": [
            {
                "county_id": c.county_id,
                "name": c.name,
                **summarise(f),
                "by_category": summarise_by_category(f),
            }
            for c, f in zip(counties, frames, strict=True)
        ],
        "by_category": summarise_by_category(everything),
        "total": summarise(everything),
        "categories": [{"category": k, "category_en": v} for k, v in CATEGORIES.items()],
    }


def _concat(frames: Sequence[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    import pandas as pd

    kept = [f for f in frames if len(f)]
    if not kept:
        return normalise_projects(None)
    return gpd.GeoDataFrame(pd.concat(kept, ignore_index=True), crs=4326)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return value


def _project_rows(frame: gpd.GeoDataFrame) -> list[list[Any]]:
    frame = normalise_projects(frame)
    return [
        [_cell(frame.iloc[i][f]) for f in PROJECT_COLUMNS] + [_wkt(frame.iloc[i].geometry)]
        for i in range(len(frame))
    ]


def _wkt(geom: Any) -> str:
    return "" if geom is None or geom.is_empty else str(geom.wkt)


def _totals_row(label: str, county_id: str, s: Mapping[str, Any]) -> list[Any]:
    return [
        label,
        county_id,
        s["count"],
        s["investment_wan_yuan"],
        "" if s["progress_pct"] is None else s["progress_pct"],
        *(s["by_status"][k] for k in STATUSES),
        s["parking_spaces"],
    ]


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_titles(counties: Sequence[CountyProjects]) -> list[str]:
    """Unique sheet titles (≤ 31 characters, none of ``[]:*?/\\``) from the county names."""
    titles: list[str] = []
    for c in counties:
        base = _SHEET_BAD.sub("_", c.name or c.county_id)[:28] or "county"
        title, n = base, 2
        while title in titles or title in (TOTALS_SHEET, BY_CATEGORY_SHEET):
            title = f"{base[:26]}_{n}"
            n += 1
        titles.append(title)
    return titles


def projects_xlsx(counties: Sequence[CountyProjects], *, title: str) -> bytes:
    """The province template: 汇总 and one sheet per county (bold headers, a total row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    summary = province_summary(counties)
    book = Workbook()
    totals = book.active
    assert totals is not None
    totals.title = TOTALS_SHEET
    totals.append([title])
    totals.append(list(TOTALS_HEADER))
    for c, s in zip(counties, summary["counties"], strict=True):
        totals.append(_totals_row(c.name, c.county_id, s))
    totals.append(_totals_row("全省合计", "", summary["total"]))
    totals.append([])
    totals.append(["项目类别", "category", *TOTALS_HEADER[2:]])
    for row in summary["by_category"]:
        totals.append(_totals_row(row["category"], row["category_en"], row))
    cross = book.create_sheet(BY_CATEGORY_SHEET)
    cross.append([f"{title}：按县（市）和项目类别"])
    cross.append(["县（市）", "county_id", "项目类别", "category", *TOTALS_HEADER[2:]])
    for c, s in zip(counties, summary["counties"], strict=True):
        for row in s["by_category"]:
            cross.append(
                [c.name, c.county_id, *_totals_row(row["category"], row["category_en"], row)]
            )
    header = [FIELD_LABELS[f][0] for f in PROJECT_COLUMNS] + ["位置（WKT）"]
    for c, sheet_title, s in zip(
        counties, _sheet_titles(counties), summary["counties"], strict=True
    ):
        sheet = book.create_sheet(sheet_title)
        sheet.append([f"{c.name}（{c.county_id}）"])
        sheet.append(header)
        for row in _project_rows(c.projects):
            sheet.append(row)
        total = ["合计", f"{s['count']} 个项目", "", s["investment_wan_yuan"]]
        sheet.append(total + [""] * (len(header) - len(total)))
    for sheet in book.worksheets:
        for cell in sheet[2]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def projects_csv(counties: Sequence[CountyProjects]) -> bytes:
    """Every public project of every county, one per row (UTF-8 with BOM, bilingual header)."""
    out = io.StringIO()
    writer = csv.writer(out)
    fields = (*PROJECT_COLUMNS, "reviewed_at")
    writer.writerow(
        ["county_id", "县（市）", *(f"{FIELD_LABELS[f][0]} {f}" for f in fields), "WKT"]
    )
    for c in counties:
        frame = normalise_projects(c.projects)
        for i in range(len(frame)):
            row = frame.iloc[i]
            writer.writerow(
                [c.county_id, c.name, *(_cell(row[f]) for f in fields), _wkt(row.geometry)]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
