"""The project register (项目台账) as a sheet: Excel .xlsx or .xls, or a .csv, one project per row.

:func:`prepare_sheet` reads the first worksheet (or the one named 项目台账), maps its columns
by the aliases of the ``projects`` schema (:mod:`gis.upload.columns`), takes each row's
location from 经度/纬度 (longitude/latitude in degrees) or a WKT column, converts GCJ-02 or
BD-09 only when the importer declares it, and checks every row and column against the schema;
every problem of the sheet is recorded (row numbers as the spreadsheet shows them, the header
being row 1) and raised once, so nothing is stored from a refused sheet.
:func:`template_xlsx` writes the blank register with the recognised headers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.chinacrs import normalise_coord_system, to_wgs84_function
from gis.errors import ProblemCollector
from gis.projects import CATEGORIES, FIELD_LABELS, STATUSES
from gis.upload.base import MAX_EXAMPLES, ValidationReport
from gis.upload.columns import resolve_columns
from gis.upload.layer import validate_layer
from gis.upload.messages import add_problem
from gis.upload.schemas import PROJECT_INPUT_COLUMNS, SCHEMAS, STORAGE_EPSG

SHEET_SUFFIXES = (".xlsx", ".xls", ".csv")
ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx (Office Open XML) is a zip
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Excel 97-2003 .xls (BIFF in OLE2)
SHEET_NAME = "项目台账"
MAX_SHEET_ROWS = 5000
MAX_SHEET_COLUMNS = 200
"""Columns read of a sheet (the register has about 20; a hostile file may claim 16,384)."""
LON_ALIASES = ("经度", "lon", "lng", "longitude", "经度（°）", "x坐标", "x")
LAT_ALIASES = ("纬度", "lat", "latitude", "纬度（°）", "y坐标", "y")
WKT_ALIASES = ("wkt", "几何", "geometry", "空间位置", "位置", "坐标串", "shape")
CHINA_LON = (73.0, 135.5)
CHINA_LAT = (3.0, 54.0)


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", str(name)).lower()


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and np.isnan(value))
    )


# --- reading -----------------------------------------------------------------------------------


class _Rows(list[list[Any]]):
    """A sheet's rows as read, up to the header and the row limit.

    ``filled`` counts every filled row of the sheet (those past the limit are counted, not kept).
    """

    filled: int = 0


def _bounded(rows: Any, max_rows: int) -> _Rows:
    """Keep rows until the header and ``max_rows`` filled rows are in; count the rest.

    Memory stays bounded by the limit whatever the sheet holds (a compressed .xlsx of a few
    MB can unfold into millions of rows); the count still says how many there were.
    """
    out = _Rows()
    for row in rows:
        cells = list(row)[:MAX_SHEET_COLUMNS]
        filled = any(not _blank(v) for v in cells)
        if out.filled <= max_rows + 1:  # the header, the limit and one row over it
            out.append(cells)
        out.filled += filled
    return out


def _xlsx_rows(path: Path, max_rows: int) -> tuple[str, _Rows]:
    from openpyxl import load_workbook

    with path.open("rb") as f:  # a file, not a name: openpyxl refuses names it does not know
        book = load_workbook(f, read_only=True, data_only=True)
        try:
            sheet = book[SHEET_NAME] if SHEET_NAME in book.sheetnames else book.worksheets[0]
            rows = sheet.iter_rows(values_only=True, max_col=MAX_SHEET_COLUMNS)
            return str(sheet.title), _bounded(rows, max_rows)
        finally:
            book.close()


def _xls_rows(path: Path, max_rows: int) -> tuple[str, _Rows]:
    """An Excel 97-2003 workbook's register sheet: dates as dates, whole numbers as ints."""
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        names = book.sheet_names()
        sheet = book.sheet_by_name(SHEET_NAME) if SHEET_NAME in names else book.sheet_by_index(0)
        width = min(sheet.ncols, MAX_SHEET_COLUMNS)
        rows = (
            [_xls_value(cell, book.datemode, xlrd) for cell in sheet.row_slice(r, 0, width)]
            for r in range(sheet.nrows)
        )
        return str(sheet.name), _bounded(rows, max_rows)
    finally:
        book.release_resources()


def _xls_value(cell: Any, datemode: int, xlrd: Any) -> Any:
    """A cell as openpyxl would give it (xlrd gives every number as a float, a date as one)."""
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
        return int(cell.value)
    return cell.value


def _workbook_kind(path: Path, suffix: str) -> str | None:
    """``xlsx``, ``xls`` or ``None`` (text) by the file's first bytes, else by its name.

    A workbook saved under the other Excel name (an .xlsx called .xls, as some systems export)
    is read as what it is.
    """
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head == OLE2_MAGIC:
        return "xls"
    if suffix.endswith(".xlsx"):
        return "xlsx"
    return "xls" if suffix.endswith(".xls") else None


def _csv_rows(data: bytes, max_rows: int) -> _Rows | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _bounded(csv.reader(io.StringIO(text)), max_rows)
    return None


def read_sheet(
    path: Path, *, label: str, problems: ProblemCollector, max_rows: int = MAX_SHEET_ROWS
) -> tuple[pd.DataFrame, list[int]] | None:
    """The sheet's rows under its header (all values as read) and their row numbers.

    Empty rows are skipped (their numbers too); ``None`` when the file cannot be read as a
    sheet (the problem recorded).
    """
    suffix = path.suffix.lower() if path.suffix.lower() in SHEET_SUFFIXES else label.lower()
    if not suffix.endswith(SHEET_SUFFIXES):
        add_problem(problems, label, "bad_sheet.suffix", label=label)
        return None
    sheet = "csv"
    kind = _workbook_kind(path, suffix)
    if kind is not None:
        try:
            sheet, rows = (_xlsx_rows if kind == "xlsx" else _xls_rows)(path, max_rows)
        except Exception as exc:  # noqa: BLE001 - openpyxl and xlrd raise many kinds for a bad file
            add_problem(
                problems,
                label,
                "bad_sheet.unreadable",
                label=label,
                kind=f"Excel .{kind}",
                detail=type(exc).__name__,
            )
            return None
    else:
        found = _csv_rows(path.read_bytes(), max_rows)
        if found is None:
            add_problem(problems, label, "bad_sheet.encoding", label=label)
            return None
        rows = found
    return _table(rows, sheet=sheet, label=label, problems=problems, max_rows=max_rows)


def _table(
    rows: list[list[Any]], *, sheet: str, label: str, problems: ProblemCollector, max_rows: int
) -> tuple[pd.DataFrame, list[int]] | None:
    header_at = next((i for i, r in enumerate(rows) if any(not _blank(v) for v in r)), None)
    if header_at is None:
        add_problem(problems, label, "bad_sheet.empty", label=label, sheet=sheet)
        return None
    header = [str(v).strip() if not _blank(v) else "" for v in rows[header_at]]
    width = max(i + 1 for i, h in enumerate(header) if h)
    header = header[:width]
    for name in sorted({h for h in header if h and header.count(h) > 1}):
        add_problem(
            problems,
            label,
            "bad_sheet.duplicate_header",
            label=label,
            column=name,
            count=header.count(name),
        )
    body: list[list[Any]] = []
    numbers: list[int] = []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = (list(row) + [None] * width)[:width]
        if all(_blank(v) for v in cells):
            continue
        body.append([None if _blank(v) else v for v in cells])
        numbers.append(i)
    if not body:
        add_problem(problems, label, "bad_sheet.empty", label=label, sheet=sheet)
        return None
    if len(body) > max_rows:
        filled = getattr(rows, "filled", None)  # every filled row of the sheet, header included
        count = len(body) if filled is None else max(filled - 1, len(body))
        add_problem(
            problems, label, "bad_sheet.too_many_rows", label=label, count=count, limit=max_rows
        )
        return None
    names: list[str] = []
    for j, h in enumerate(header):  # a repeated name is reported above; kept apart here
        name = h or f"column{j + 1}"
        names.append(name if name not in names else f"{name} (column {j + 1})")
    return pd.DataFrame(body, columns=names, dtype=object), numbers


# --- locations ---------------------------------------------------------------------------------


def _find(columns: Sequence[str], aliases: Sequence[str]) -> str | None:
    by_norm = {_norm(c): c for c in columns}
    return next((by_norm[_norm(a)] for a in aliases if _norm(a) in by_norm), None)


def _degrees(value: Any) -> float:
    number = float(str(value).strip().rstrip("°")) if isinstance(value, str) else float(value)
    if not np.isfinite(number):
        msg = "not finite"
        raise ValueError(msg)
    return number


def _in_china(geom: BaseGeometry) -> bool:
    xy = shapely.get_coordinates(geom)
    return bool(
        len(xy)
        and np.isfinite(xy).all()
        and (xy[:, 0] >= CHINA_LON[0]).all()
        and (xy[:, 0] <= CHINA_LON[1]).all()
        and (xy[:, 1] >= CHINA_LAT[0]).all()
        and (xy[:, 1] <= CHINA_LAT[1]).all()
    )


def _row_location(
    row: pd.Series, lon_col: str | None, lat_col: str | None, wkt_col: str | None
) -> tuple[BaseGeometry | None, str]:
    """The row's geometry in the sheet's lon/lat, or ``None`` and why."""
    if wkt_col is not None and not _blank(row[wkt_col]):
        try:
            geom = shapely.from_wkt(str(row[wkt_col]).strip())
        except shapely.errors.GEOSException:
            return None, f"{wkt_col} {str(row[wkt_col])[:30]!r} is not WKT"
        if geom is None or geom.is_empty:
            return None, f"{wkt_col} is empty"
        if not _in_china(geom):
            return None, f"{wkt_col} is not lon/lat in China"
        return geom, ""
    if lon_col is None or lat_col is None or _blank(row[lon_col]) or _blank(row[lat_col]):
        return None, "no location"
    try:
        lon, lat = _degrees(row[lon_col]), _degrees(row[lat_col])
    except (TypeError, ValueError):
        return None, f"{lon_col}/{lat_col} {row[lon_col]!r}, {row[lat_col]!r} are not numbers"
    point = shapely.Point(lon, lat)
    if not _in_china(point):
        return None, f"{lon_col}/{lat_col} {lon:g}, {lat:g} are not lon/lat in China"
    return point, ""


def sheet_locations(
    table: pd.DataFrame,
    rows: Sequence[int],
    *,
    label: str,
    coord_system: str,
    problems: ProblemCollector,
) -> tuple[list[BaseGeometry | None], list[str]]:
    """Each row's geometry in WGS84 (``None`` where unusable) and the location columns used."""
    columns = [str(c) for c in table.columns]
    lon_col, lat_col = _find(columns, LON_ALIASES), _find(columns, LAT_ALIASES)
    wkt_col = _find(columns, WKT_ALIASES)
    used = [c for c in (lon_col, lat_col, wkt_col) if c is not None]
    if wkt_col is None and (lon_col is None or lat_col is None):
        add_problem(problems, label, "no_location.columns", label=label, columns=", ".join(columns))
        return [None] * len(table), used
    convert = to_wgs84_function(coord_system)
    geoms: list[BaseGeometry | None] = []
    bad: list[str] = []
    for k in range(len(table)):
        geom, why = _row_location(table.iloc[k], lon_col, lat_col, wkt_col)
        if geom is None:
            bad.append(f"row {rows[k]}: {why}")
        elif convert is not None:
            geom = shapely.transform(geom, convert)
        geoms.append(geom)
    if bad:
        add_problem(
            problems,
            label,
            "bad_location.rows",
            label=label,
            count=len(bad),
            examples="; ".join(bad[:MAX_EXAMPLES]),
        )
    return geoms, used


# --- whole-sheet checks ------------------------------------------------------------------------


PROJECT_ID_RE = re.compile(r"^[^/?#\\\s]{1,64}$")


def _id_text(value: Any) -> str:
    """An id cell as text: an Excel number 1001.0 reads as ``1001``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_ids(
    table: pd.DataFrame,
    rows: Sequence[int],
    id_col: str | None,
    *,
    label: str,
    problems: ProblemCollector,
) -> None:
    if id_col is None:
        return
    ids = [None if _blank(v) else _id_text(v) for v in table[id_col].tolist()]
    bad = [k for k, v in enumerate(ids) if v is not None and not PROJECT_ID_RE.match(v)]
    if bad:
        add_problem(
            problems,
            label,
            "bad_project_id",
            label=label,
            ids=", ".join(repr(ids[k]) for k in bad[:MAX_EXAMPLES]),
            rows=", ".join(str(rows[k]) for k in bad[:MAX_EXAMPLES]),
        )
    dup = sorted({v for v in ids if v is not None and ids.count(v) > 1})
    if dup:
        where = [str(rows[k]) for k, v in enumerate(ids) if v in dup]
        add_problem(
            problems,
            label,
            "duplicate_project_id",
            label=label,
            ids=", ".join(dup[:MAX_EXAMPLES]),
            rows=", ".join(where[: MAX_EXAMPLES * 2]),
        )


def _as_date(value: Any) -> date | None:
    from gis.upload.attributes import parse_date

    if _blank(value):
        return None
    try:
        return date.fromisoformat(parse_date(value) or "")
    except (TypeError, ValueError):
        return None


def check_dates(
    starts: Sequence[Any],
    finishes: Sequence[Any],
    rows: Sequence[int],
    *,
    label: str,
    problems: ProblemCollector,
) -> None:
    """A planned finish before the planned start is a problem (both given and readable)."""
    bad = []
    for k, (s, f) in enumerate(zip(starts, finishes, strict=True)):
        start, finish = _as_date(s), _as_date(f)
        if start is not None and finish is not None and finish < start:
            bad.append(f"row {rows[k]}: {start.isoformat()} → {finish.isoformat()}")
    if bad:
        add_problem(
            problems,
            label,
            "bad_dates.order",
            label=label,
            count=len(bad),
            examples="; ".join(bad[:MAX_EXAMPLES]),
        )


def _outside_rows(
    geoms: Sequence[BaseGeometry | None],
    rows: Sequence[int],
    boundary: gpd.GeoDataFrame | None,
    *,
    label: str,
    tolerance_m: float,
    problems: ProblemCollector,
) -> None:
    if boundary is None or boundary.empty or not geoms:
        return
    from gis.crs import gk_epsg

    area = boundary.to_crs(STORAGE_EPSG).union_all()
    metric = gk_epsg(area.centroid.x)
    zone = gpd.GeoSeries([area], crs=STORAGE_EPSG).to_crs(metric).buffer(tolerance_m).iloc[0]
    measured = gpd.GeoSeries(list(geoms), crs=STORAGE_EPSG).to_crs(metric)
    outside = [k for k, g in enumerate(measured) if g is not None and not g.intersects(zone)]
    if outside:
        add_problem(
            problems,
            label,
            "outside_county.features",
            label=label,
            count=len(outside),
            total=len(geoms),
            rows=", ".join(str(rows[k]) for k in outside[:MAX_EXAMPLES]),
            b=gpd.GeoSeries(list(geoms), crs=STORAGE_EPSG).total_bounds,
            county_b=area.bounds,
            hint="",
        )


# --- the whole sheet ---------------------------------------------------------------------------


def prepare_sheet(
    path: Path,
    *,
    label: str,
    coord_system: str = "",
    boundary: gpd.GeoDataFrame | None = None,
    outside_tolerance_m: float = 500.0,
    max_rows: int = MAX_SHEET_ROWS,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read and check a project register; the projects to merge, or ``ValidationError`` listing all.

    The result has the schema's columns (blank ``project_id`` where the sheet gave none; the
    merge numbers them) in EPSG:4326.
    """
    problems = ProblemCollector()
    declared = normalise_coord_system(coord_system)
    if declared is None:
        add_problem(problems, "coord_system", "bad_coord_system", label=label, value=coord_system)
        declared = "wgs84"
    read = read_sheet(path, label=label, problems=problems, max_rows=max_rows)
    if read is None:
        problems.raise_if_any(f"{label}: import refused")
        raise AssertionError  # pragma: no cover - a None read always records a problem
    table, rows = read
    schema = SCHEMAS["projects"]
    geoms, used = sheet_locations(
        table, rows, label=label, coord_system=declared, problems=problems
    )
    attributes = table.drop(columns=used)
    resolved = resolve_columns(
        [str(c) for c in attributes.columns], schema, {}, label=label, problems=ProblemCollector()
    )
    _check_ids(attributes, rows, resolved.get("project_id"), label=label, problems=problems)
    if "planned_start" in resolved and "planned_finish" in resolved:
        check_dates(
            attributes[resolved["planned_start"]].tolist(),
            attributes[resolved["planned_finish"]].tolist(),
            rows,
            label=label,
            problems=problems,
        )
    _outside_rows(
        geoms, rows, boundary, label=label, tolerance_m=outside_tolerance_m, problems=problems
    )
    frame = gpd.GeoDataFrame(attributes, geometry=list(geoms), crs=STORAGE_EPSG)
    located = all(g is not None for g in geoms)
    if located:
        stored, report = validate_layer(
            frame, schema, label=label, problems=problems, row_numbers=rows, max_features=max_rows
        )
    else:  # rows without a location are reported once above; still check every attribute
        from gis.upload.attributes import validate_attributes

        report = ValidationReport()
        validate_attributes(attributes, schema, label=label, problems=problems, row_numbers=rows)
        stored = None
    problems.raise_if_any(f"{label}: import refused")
    assert stored is not None
    report.feature_count = len(stored)
    return stored, report


# --- the blank template ------------------------------------------------------------------------

TEMPLATE_HEADERS = (
    *(FIELD_LABELS[c.name][0] for c in PROJECT_INPUT_COLUMNS),
    "经度",
    "纬度",
    "WKT",
)


def template_xlsx() -> bytes:
    """The blank 项目台账 (.xlsx): the recognised headers, choice lists, and a sheet of notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_NAME
    sheet.append(list(TEMPLATE_HEADERS))
    for j, _ in enumerate(TEMPLATE_HEADERS, start=1):
        sheet.cell(row=1, column=j).font = Font(bold=True)
        sheet.column_dimensions[sheet.cell(row=1, column=j).column_letter].width = 16
    for header, choices in (("项目类别", CATEGORIES), ("建设状态", STATUSES)):
        letter = sheet.cell(row=1, column=TEMPLATE_HEADERS.index(header) + 1).column_letter
        check = DataValidation(
            type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
        )
        check.add(f"{letter}2:{letter}{MAX_SHEET_ROWS + 1}")
        sheet.add_data_validation(check)
    notes = book.create_sheet("说明")
    for line in _TEMPLATE_NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_TEMPLATE_NOTES = (
    "百城建设提质工程 项目台账 / project register (one project per row; the header is row 1)",
    "必填 required: 项目名称, 项目类别, 计划总投资（万元）, 进度（%）, and a location",
    "项目类别: " + "、".join(CATEGORIES),
    "建设状态: 储备、在建、完工 (empty: from the progress, 0 % 储备, 100 % 完工, else 在建)",
    "日期 dates: 2024-03-05, 2024/3/5, 2024年3月5日 or an Excel date",
    "位置 location: 经度 and 纬度 in degrees (WGS84/CGCS2000), or WKT such as "
    "POINT (113.62 34.75), LINESTRING (…), POLYGON ((…)); Amap/Baidu coordinates: choose "
    "GCJ-02 or BD-09 when importing",
    "项目编号: empty for a new project (numbered XM-0001 …); an existing number updates that "
    "project, which goes back to 草稿 (draft) if anything changed",
)


# --- one project from the form or the API ------------------------------------------------------


def location_from(
    values: Mapping[str, Any], *, label: str, problems: ProblemCollector
) -> BaseGeometry | None:
    """The geometry of a form or API body: ``geometry`` (GeoJSON), ``wkt``, or ``lon`` + ``lat``.

    ``None`` when none is given; a problem when one is given but unusable (not lon/lat in China,
    not parseable, empty).
    """
    from shapely.geometry import shape

    geom: BaseGeometry | None = None
    try:
        if values.get("geometry") not in (None, ""):
            raw = values["geometry"]
            geom = shape(dict(raw)) if isinstance(raw, Mapping) else shapely.from_wkt(str(raw))
        elif values.get("wkt") not in (None, ""):
            geom = shapely.from_wkt(str(values["wkt"]))
        elif values.get("lon") not in (None, "") or values.get("lat") not in (None, ""):
            geom = shapely.Point(_degrees(values.get("lon")), _degrees(values.get("lat")))
        else:
            return None
    except (TypeError, ValueError, KeyError, AttributeError, shapely.errors.GEOSException) as exc:
        detail = type(exc).__name__
        add_problem(problems, "geometry", "bad_location.form", label=label, detail=detail)
        return None
    if geom is None or geom.is_empty or not _in_china(geom):
        detail = "empty" if geom is None or geom.is_empty else "not lon/lat in China"
        add_problem(problems, "geometry", "bad_location.form", label=label, detail=detail)
        return None
    return geom


def prepare_record(
    values: Mapping[str, Any],
    *,
    label: str,
    coord_system: str = "",
    boundary: gpd.GeoDataFrame | None = None,
    outside_tolerance_m: float = 500.0,
) -> dict[str, Any]:
    """Check one project (every field of the record, as a one-row sheet); its stored values.

    ``values`` holds the stored column names (name, category, investment_wan_yuan …) and the
    location (see :func:`location_from`, already merged with the stored geometry by the caller
    as ``geometry``).  Raises ``ValidationError`` listing every problem.
    """
    problems = ProblemCollector()
    declared = normalise_coord_system(coord_system)
    if declared is None:
        add_problem(problems, "coord_system", "bad_coord_system", label=label, value=coord_system)
        declared = "wgs84"
    geom = location_from(values, label=label, problems=problems)
    if geom is not None and declared != "wgs84":
        geom = shapely.transform(geom, to_wgs84_function(declared))
    names = [c.name for c in PROJECT_INPUT_COLUMNS if c.name != "project_id"]
    table = pd.DataFrame([[values.get(n) for n in names]], columns=names, dtype=object)
    if "project_id" in values and values["project_id"] not in (None, ""):
        table.insert(0, "project_id", [values["project_id"]])
        _check_ids(table, [1], "project_id", label=label, problems=problems)
    check_dates(
        [values.get("planned_start")],
        [values.get("planned_finish")],
        [1],
        label=label,
        problems=problems,
    )
    if geom is None and not problems.problems:
        add_problem(problems, "geometry", "bad_location.form", label=label, detail="no location")
    if geom is not None:
        _outside_rows(
            [geom], [1], boundary, label=label, tolerance_m=outside_tolerance_m, problems=problems
        )
    frame = gpd.GeoDataFrame(table, geometry=[geom], crs=STORAGE_EPSG)
    if geom is not None:
        stored, _report = validate_layer(frame, SCHEMAS["projects"], label=label, problems=problems)
    else:
        from gis.upload.attributes import validate_attributes

        validate_attributes(table, SCHEMAS["projects"], label=label, problems=problems)
        stored = None
    problems.raise_if_any(f"{label}: project refused")
    assert stored is not None
    row = stored.iloc[0]
    out = {c: _clean_cell(row[c]) for c in names}
    out["geometry"] = row.geometry
    if "project_id" in table.columns:
        out["project_id"] = _id_text(values["project_id"])
    return out


def _clean_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value
