"""Downloads: the indicator table as CSV / Excel and any layer as a GeoPackage.

``/api/v1/counties/<county_id>/exports/...``.  The files are built from the same report and
layers as the JSON endpoints.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from apiflask import APIBlueprint
from apiflask.schemas import FileSchema
from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from api.cache import CachedBody, settings_key
from api.common import (
    IndicatorQuery,
    get_store,
    settings_from,
    vary_by_viewer,
    viewer_key,
    viewer_sees_private,
    visible_layer,
)
from layers.geojson import json_value

bp = APIBlueprint("exports", __name__, url_prefix="/api/v1", tag="Exports")

TABLE_COLUMNS = (
    ("id", "指标代码", "id"),
    ("name_zh", "指标", "indicator (zh)"),
    ("name_en", "指标（英文）", "indicator"),
    ("value", "数值", "value"),
    ("unit", "单位", "unit"),
    ("comparison", "比较", "comparison"),
    ("target", "目标", "target"),
    ("target_year", "目标年份", "target year"),
    ("passed", "是否达标", "passed"),
    ("status", "状态", "status"),
    ("reason", "说明", "reason"),
)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def indicator_rows(report: dict[str, Any]) -> list[list[Any]]:
    """One row per indicator in :data:`TABLE_COLUMNS` order."""
    return [
        [json_value(ind.get(key)) for key, _zh, _en in TABLE_COLUMNS]
        for ind in report.get("indicators", [])
    ]


def indicator_csv(report: dict[str, Any]) -> bytes:
    """The indicator table as UTF-8 CSV with a BOM (Excel then reads the Chinese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"{zh} {en}" for _key, zh, en in TABLE_COLUMNS])
    for row in indicator_rows(report):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def indicator_xlsx(report: dict[str, Any]) -> bytes:
    """The indicator table, the assessment and the parameters as an Excel workbook."""
    book = Workbook()
    sheet = book.active
    sheet.title = "指标 Indicators"
    sheet.append([f"{zh} {en}" for _key, zh, en in TABLE_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in indicator_rows(report):
        sheet.append(row)
    assessment = book.create_sheet("评估 Assessment")
    for key, value in (report.get("assessment") or {}).items():
        text = (
            value if isinstance(value, str | int | float) else json.dumps(value, ensure_ascii=False)
        )
        assessment.append([key, text])
    params = book.create_sheet("参数 Parameters")
    county = report.get("county") or {}
    params.append(["county", str(county.get("name", ""))])
    params.append(["year", report.get("year")])
    for key, value in (report.get("parameters") or {}).items():
        text = (
            value if isinstance(value, str | int | float) else json.dumps(value, ensure_ascii=False)
        )
        params.append([key, text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def layer_geopackage(frame: gpd.GeoDataFrame, name: str) -> bytes:
    """``frame`` written as a one-layer GeoPackage (EPSG:4326); list/dict values as JSON text."""
    frame = frame.copy()
    for column in frame.columns:
        if column != frame.geometry.name and frame[column].dtype == object:
            frame[column] = [
                json.dumps(json_value(v), ensure_ascii=False)
                if isinstance(v, list | dict | tuple)
                else json_value(v)
                for v in frame[column]
            ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.gpkg"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on empty layers
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
        return path.read_bytes()


def _download(body: CachedBody, filename: str) -> Response:
    response = Response(body.body, mimetype=body.mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.set_etag(body.etag)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def _cached_file(key: Any, build: Any, mimetype: str) -> CachedBody:
    import hashlib

    def compute() -> CachedBody:
        data = build()
        return CachedBody(data, hashlib.sha256(data).hexdigest()[:32], mimetype)

    return get_store().bodies.get_or_compute(key, compute)


@bp.get("/counties/<county_id>/exports/indicators.csv")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.output(FileSchema, content_type="text/csv")
@bp.doc(summary="Indicator table as CSV", description="UTF-8 with BOM, bilingual header.")
def export_csv(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    key = ("csv", county_id, store.version(county_id), settings_key(settings))
    body = _cached_file(
        key, lambda: indicator_csv(store.report(county_id, settings)[0]), "text/csv"
    )
    return _download(body, f"{county_id}-indicators-{settings.year}.csv")


@bp.get("/counties/<county_id>/exports/indicators.xlsx")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.output(FileSchema, content_type=XLSX_MIME)
@bp.doc(
    summary="Indicator table as Excel", description="Sheets: indicators, assessment, parameters."
)
def export_xlsx(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    key = ("xlsx", county_id, store.version(county_id), settings_key(settings))
    body = _cached_file(
        key, lambda: indicator_xlsx(store.report(county_id, settings)[0]), XLSX_MIME
    )
    return _download(body, f"{county_id}-indicators-{settings.year}.xlsx")


@bp.get("/counties/<county_id>/exports/layers/<layer>.gpkg")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.output(FileSchema, content_type="application/geopackage+sqlite3")
@bp.doc(
    summary="A layer as GeoPackage",
    description="Any stored, population or gap layer, "
    "in EPSG:4326, as a one-layer GeoPackage that QGIS and ArcGIS open directly. Records not "
    "marked public only for the county's staff.",
)
def export_layer(county_id: str, layer: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    private = viewer_sees_private(county_id)
    key = (
        "gpkg",
        county_id,
        store.version(county_id),
        layer,
        settings_key(settings),
        viewer_key(private=private),
    )
    body = _cached_file(
        key,
        lambda: layer_geopackage(visible_layer(county_id, layer, settings, private=private), layer),
        "application/geopackage+sqlite3",
    )
    return vary_by_viewer(_download(body, f"{county_id}-{layer}.gpkg"), private=private)
