"""Write the bad project-register corpus tests/data/bad_sheets/ from the real embedded data.

Each case is a 项目台账 (.xlsx or .csv) whose projects are real places of the embedded
OpenStreetMap extract (north Chengdu parks and sports grounds: names and locations) with one
thing wrong, or several at once.  ``cases.json`` lists, per file: the form fields, the expected
HTTP status, the problem codes the answer must contain and texts it must contain (the rows and
columns named as the spreadsheet shows them).

Run ``.venv/bin/python -m tests.projects.make_bad_sheets`` (or with ``--out DIR``).  The
output is reproducible: the .xlsx zip members and document properties carry a fixed time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.upload.corpus import FIXED_TIME, real_parks, real_pitches

OUT = Path(__file__).resolve().parents[1] / "data" / "bad_sheets"
HEADER = [
    "项目编号",
    "项目名称",
    "项目类别",
    "计划总投资（万元）",
    "计划开工日期",
    "计划完工日期",
    "建设状态",
    "进度（%）",
    "责任单位",
    "联系人",
    "经度",
    "纬度",
]
Case = dict[str, Any]
CASES: list[tuple[str, Case, Callable[[], bytes]]] = []


def case(
    name: str,
    codes: list[str],
    *,
    texts: tuple[str, ...] = (),
    what: str = "",
    form: dict[str, str] | None = None,
    status: int = 400,
) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Register a case: the file name, the codes and texts the answer must hold."""

    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        CASES.append(
            (
                name,
                {
                    "status": status,
                    "codes": codes,
                    "texts": list(texts),
                    "what": what,
                    "form": form or {},
                },
                build,
            )
        )
        return build

    return register


def _places(n: int = 4) -> list[tuple[str, float, float]]:
    """``n`` real named places: (name, lon, lat) of north Chengdu parks and sports grounds."""
    frames = [real_parks(), real_pitches()]
    out: list[tuple[str, float, float]] = []
    for frame in frames:
        named = frame[[isinstance(v, str) and v.strip() != "" for v in frame["名称"]]]
        points = named.to_crs(4544).representative_point().to_crs(4326)
        for name, point in zip(named["名称"], points, strict=True):
            out.append((str(name), round(point.x, 6), round(point.y, 6)))
            if len(out) == n:
                return out
    return out


def _rows(n: int = 4) -> list[list[Any]]:
    """``n`` good register rows at real places."""
    categories = ["公园绿地", "体育", "停车", "道路"]
    rows = []
    for i, (name, lon, lat) in enumerate(_places(n)):
        rows.append(
            [
                f"XM-2024-{i + 1:03d}",
                f"{name}提升工程",
                categories[i % 4],
                100.0 * (i + 1),
                "2024-03-01",
                "2025-06-30",
                "在建",
                40,
                "县住建局",
                "李工 13800000000",
                lon,
                lat,
            ]
        )
    return rows


def xlsx(rows: list[list[Any]], header: list[str] = HEADER, *, title: str = "项目台账") -> bytes:
    """A workbook of one sheet, reproducible (fixed times)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    fixed = datetime(*FIXED_TIME)
    book.properties.created = fixed
    book.properties.modified = fixed
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_zip(raw.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    stamp = datetime(*FIXED_TIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.encode(), body)
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, body)
    return out.getvalue()


def csv_bytes(
    rows: list[list[Any]], header: list[str] = HEADER, *, encoding: str = "utf-8-sig"
) -> bytes:
    """A .csv as Excel writes it (UTF-8 with BOM, or GBK)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


# --- the cases -----------------------------------------------------------------------------------


@case(
    "missing_columns.xlsx",
    ["missing_column"],
    texts=("项目类别", "investment_wan_yuan"),
    what="no 项目类别 and no 投资 column",
)
def _missing_columns() -> bytes:
    keep = [i for i, h in enumerate(HEADER) if h not in ("项目类别", "计划总投资（万元）")]
    return xlsx([[r[i] for i in keep] for r in _rows()], [HEADER[i] for i in keep])


@case(
    "bad_values.xlsx",
    ["bad_project_category", "bad_number", "bad_pct", "bad_date", "bad_project_status", "bad_int"],
    texts=("row 3", "row 4", "row 5", "'飞机场'", "'很多'", "'150%'"),
    what="one bad value in each of six columns, rows 2-5 (the header is row 1)",
)
def _bad_values() -> bytes:
    rows = _rows()
    header = [*HEADER, "停车泊位（个）"]
    rows = [[*r, ""] for r in rows]
    rows[1][2] = "飞机场"  # row 3
    rows[2][3] = "很多"  # row 4
    rows[3][7] = "150%"  # row 5
    rows[0][4] = "2024-13-45"  # row 2
    rows[1][6] = "暂停"  # row 3
    rows[2][12] = "12.5"  # row 4
    return xlsx(rows, header)


@case(
    "blank_required.csv",
    ["missing_value"],
    texts=("rows 3, 5",),
    what="项目名称 empty in rows 3 and 5 (UTF-8 with BOM)",
)
def _blank_required() -> bytes:
    rows = _rows()
    rows[1][1] = ""
    rows[3][1] = "  "
    return csv_bytes(rows)


@case(
    "no_location_columns.xlsx", ["no_location"], texts=("经度",), what="neither 经度/纬度 nor WKT"
)
def _no_location() -> bytes:
    return xlsx([r[:10] for r in _rows()], HEADER[:10])


@case(
    "bad_locations.xlsx",
    ["bad_location"],
    texts=("row 2", "row 3", "row 4", "row 5"),
    what="lon as text, lat outside China, an empty location, a broken WKT",
)
def _bad_locations() -> bytes:
    rows = [[*r, ""] for r in _rows()]
    rows[0][10] = "东经104度"
    rows[1][11] = 91.5
    rows[2][10] = rows[2][11] = None
    rows[3][10] = rows[3][11] = None
    rows[3][12] = "POLYGON ((104 30, 104.1 30"
    return xlsx(rows, [*HEADER, "WKT"])


@case(
    "outside_county.xlsx",
    ["outside_county"],
    texts=("rows 3",),
    what="row 3 at 郑州 (113.62, 34.75), far outside the county",
)
def _outside() -> bytes:
    rows = _rows()
    rows[1][10], rows[1][11] = 113.62, 34.75
    return xlsx(rows)


@case(
    "duplicate_ids.xlsx",
    ["duplicate_project_id"],
    texts=("XM-2024-001", "rows 2, 4"),
    what="XM-2024-001 in rows 2 and 4",
)
def _duplicate_ids() -> bytes:
    rows = _rows()
    rows[2][0] = rows[0][0]
    return xlsx(rows)


@case("bad_ids.xlsx", ["bad_project_id"], texts=("'XM/2024/2'",), what="an id with slashes")
def _bad_ids() -> bytes:
    rows = _rows()
    rows[1][0] = "XM/2024/2"
    return xlsx(rows)


@case("dates_reversed.csv", ["bad_dates"], texts=("row 4",), what="finish before start in row 4")
def _dates_reversed() -> bytes:
    rows = _rows()
    rows[2][4], rows[2][5] = "2025-06-30", "2024/3/1"
    return csv_bytes(rows)


@case("header_only.xlsx", ["bad_sheet"], texts=("项目台账",), what="the header row and no project")
def _header_only() -> bytes:
    return xlsx([])


@case(
    "duplicate_header.xlsx",
    ["bad_sheet"],
    texts=("'项目名称'",),
    what="项目名称 twice in the header",
)
def _duplicate_header() -> bytes:
    header = list(HEADER)
    header[8] = "项目名称"
    return xlsx(_rows(), header)


@case("not_a_workbook.xlsx", ["bad_sheet"], texts=("Excel",), what="a text file named .xlsx")
def _not_a_workbook() -> bytes:
    return "项目名称,项目类别\n体育中心,体育\n".encode()


@case("not_text.csv", ["bad_sheet"], texts=("UTF-8",), what="bytes that are neither UTF-8 nor GBK")
def _not_text() -> bytes:
    return b"\xff\xfe\xff\x00\x81\x30\xff" * 20


@case("broken.xls", ["bad_sheet"], texts=("Excel .xls",), what="an Excel 97-2003 file cut short")
def _broken_xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 2


@case("register.ods", ["bad_sheet"], texts=(".xlsx", ".xls"), what="an OpenDocument sheet")
def _ods() -> bytes:
    return xlsx(_rows())  # a zip like an .ods; refused by its name before it is opened


@case(
    "unknown_coord_system.xlsx",
    ["bad_coord_system"],
    texts=("'mars'",),
    form={"coord_system": "mars"},
    what="a coordinate system nobody knows",
)
def _unknown_cs() -> bytes:
    return xlsx(_rows())


@case(
    "everything_at_once.csv",
    ["missing_value", "bad_project_category", "bad_location", "duplicate_project_id", "bad_dates"],
    texts=("rows 2", "row 3", "row 4", "row 5", "rows 2, 5"),
    what="five problems in four rows, GBK text as Excel saves .csv in China",
)
def _everything() -> bytes:
    rows = _rows()
    rows[0][1] = ""
    rows[1][2] = "飞机场"
    rows[2][10] = "x"
    rows[3][0] = rows[0][0]
    rows[3][4], rows[3][5] = "2025-01-01", "2024-01-01"
    return csv_bytes(rows, encoding="gbk")


def write(out: Path = OUT) -> dict[str, Case]:
    """Write every case into ``out`` with ``cases.json``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, meta, build in CASES:
        (out / name).write_bytes(build())
        manifest[name] = meta
    (out / "cases.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def good_register(n: int = 4) -> bytes:
    """A good register (.xlsx) of ``n`` real places (the tests import it)."""
    return xlsx(_rows(n))


def main() -> None:
    """Write the corpus (``--out DIR``, default tests/data/bad_sheets)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    manifest = write(args.out)
    print(f"wrote {len(manifest)} cases to {args.out}")


if __name__ == "__main__":
    main()
