"""Attribute values: parsers and :func:`validate_attributes`.

Parsers for dates, booleans, numbers, percentages, road classes and disclosure types;
:func:`validate_attributes` checks columns mapped, required values and types.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from gis.errors import ProblemCollector
from gis.facility_types import LIFE_CIRCLE_TYPE_IDS
from gis.projects import parse_category, parse_project_status
from gis.settings import URBAN_ROAD_CLASSES
from gis.upload.base import MAX_EXAMPLES, ValidationReport
from gis.upload.columns import resolve_columns, warn_prefix_matches
from gis.upload.messages import Localized, add_problem
from gis.upload.schemas import Column, LayerSchema

_ROAD_CLASS_WORDS = {
    "快速路": "expressway",
    "快速道路": "expressway",
    "高速": "expressway",
    "高速公路": "expressway",
    "主干路": "arterial",
    "主干道": "arterial",
    "主要道路": "arterial",
    "次干路": "secondary",
    "次干道": "secondary",
    "支路": "branch",
    "支线": "branch",
    "街巷": "branch",
    "其他": "other",
    "其它": "other",
    "其他道路": "other",
    "expressway": "expressway",
    "arterial": "arterial",
    "secondary": "secondary",
    "branch": "branch",
    "other": "other",
    "major": "arterial",
    "minor": "branch",
}
_OSM_OTHER = {
    "service",
    "track",
    "footway",
    "path",
    "cycleway",
    "steps",
    "pedestrian",
    "bridleway",
    "construction",
    "road",
    "busway",
    "corridor",
}
HIGHWAY_FOR_CLASS = {
    "expressway": "trunk",
    "arterial": "primary",
    "secondary": "secondary",
    "branch": "tertiary",
    "other": "service",
}
DISCLOSURE_TYPES = ("编制", "修改", "审批", "规划许可", "违法建设查处")
_DISCLOSURE_WORDS = {
    "编制": "编制",
    "规划编制": "编制",
    "compilation": "编制",
    "preparation": "编制",
    "修改": "修改",
    "规划修改": "修改",
    "amendment": "修改",
    "modification": "修改",
    "审批": "审批",
    "批复": "审批",
    "规划审批": "审批",
    "approval": "审批",
    "规划许可": "规划许可",
    "许可": "规划许可",
    "permit": "规划许可",
    "license": "规划许可",
    "违法建设查处": "违法建设查处",
    "违法建设": "违法建设查处",
    "查处": "违法建设查处",
    "enforcement": "违法建设查处",
}
# Chinese words of each life-circle type, tried in order (the more specific first).
_FACILITY_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("养老", "日间照料", "托老", "敬老", "老年"), "elderly_care"),
    (("幼儿园", "托儿所", "幼稚园"), "kindergarten"),
    (("小学",), "primary_school"),
    (("初中", "中学"), "middle_school"),
    (("菜市场", "农贸市场", "生鲜", "超市", "市场"), "market"),
    (("卫生", "诊所", "医院", "医疗", "门诊"), "clinic"),
    (("文化", "图书馆", "文体活动"), "culture"),
    (("体育", "健身", "运动"), "community_sports"),
    (("公园", "广场", "游园"), "park_square"),
)
_TRUE = {"true", "t", "1", "yes", "y", "是", "公开", "对", "真"}
_FALSE = {"false", "f", "0", "no", "n", "否", "不公开", "未公开", "错", "假"}


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def parse_date(value: Any) -> str | None:
    """ISO date ``YYYY-MM-DD`` from the usual spellings; raise ``ValueError`` otherwise.

    >>> [parse_date(v) for v in ("2019-03-05", "2019/3/5", "2019年3月5日", "20190305", "2019.3.5")]
    ['2019-03-05', '2019-03-05', '2019-03-05', '2019-03-05', '2019-03-05']
    >>> parse_date("2019-02-30")
    Traceback (most recent call last):
    ValueError: day is out of range for month
    """
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    match = re.fullmatch(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text
    )
    if match is None:
        match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match is None:
        msg = f"not a date: {text!r}"
        raise ValueError(msg)
    year, month, day = (int(g) for g in match.groups())
    if not 1900 <= year <= 2100:
        msg = f"year {year} out of range"
        raise ValueError(msg)
    return date(year, month, day).isoformat()


def parse_bool(value: Any) -> bool:
    """``True``/``False`` from 是/否, yes/no, 1/0, true/false, 公开/不公开.

    >>> [parse_bool(v) for v in ("是", "否", "Yes", 0, 1.0, "公开", True)]
    [True, False, True, False, True, True, True]
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    key = str(value).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    msg = f"not a yes/no value: {value!r}"
    raise ValueError(msg)


def parse_number(value: Any) -> float:
    """A non-negative number, tolerating thousands separators and 万元/元 units.

    >>> parse_number("1,200.5万元"), parse_number(3), parse_number(" 45 ")
    (1200.5, 3.0, 45.0)
    """
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
    else:
        text = re.sub(r"[,，\s]|万元$|万$|元$", "", str(value).strip())
        number = float(text)
    if not math.isfinite(number) or number < 0:
        msg = f"not a non-negative number: {value!r}"
        raise ValueError(msg)
    return number


def parse_count(value: Any) -> int:
    """A whole number ≥ 0 (``"120"``, ``"1,200"``, ``"85个"``, ``"85 位"``, ``40.0``).

    >>> parse_count("1,200"), parse_count("85个"), parse_count(40.0)
    (1200, 85, 40)
    """
    text = re.sub(r"[\s,，]|个$|位$|辆$", "", value) if isinstance(value, str) else value
    number = parse_number(text)
    if not float(number).is_integer():
        msg = f"not a whole number: {value!r}"
        raise ValueError(msg)
    return int(number)


def parse_pct(value: Any) -> float:
    """A percentage 0–100 (``"45%"`` or ``45``).

    >>> parse_pct("45%"), parse_pct(100)
    (45.0, 100.0)
    """
    text = str(value).strip().rstrip("%％") if isinstance(value, str) else value
    number = parse_number(text)
    if number > 100:
        msg = f"percentage above 100: {value!r}"
        raise ValueError(msg)
    return number


def parse_road_class(value: Any) -> str:
    """GB/T 51328 class (``expressway`` … ``branch``, ``other``) from Chinese, English or OSM words.

    >>> [parse_road_class(v) for v in ("主干路", "次干道", "residential", "service", "Branch")]
    ['arterial', 'secondary', 'branch', 'other', 'branch']
    """
    key = str(value).strip()
    low = key.lower()
    if key in _ROAD_CLASS_WORDS:
        return _ROAD_CLASS_WORDS[key]
    if low in _ROAD_CLASS_WORDS:
        return _ROAD_CLASS_WORDS[low]
    if low in URBAN_ROAD_CLASSES:
        return URBAN_ROAD_CLASSES[low]
    if low in _OSM_OTHER:
        return "other"
    msg = f"unknown road class {value!r}"
    raise ValueError(msg)


def parse_disclosure_type(value: Any) -> str:
    """One of 编制 修改 审批 规划许可 违法建设查处 (Chinese or English).

    >>> parse_disclosure_type("Permit"), parse_disclosure_type("批复")
    ('规划许可', '审批')
    """
    key = str(value).strip()
    found = _DISCLOSURE_WORDS.get(key) or _DISCLOSURE_WORDS.get(key.lower())
    if found is None:
        msg = f"unknown disclosure type {value!r}"
        raise ValueError(msg)
    return found


def parse_facility_type(value: Any) -> str:
    """A life-circle facility type (gis/facility_types.py) from its code or Chinese words.

    >>> [parse_facility_type(v) for v in ("幼儿园", "Kindergarten", "社区卫生服务中心", "农贸市场")]
    ['kindergarten', 'kindergarten', 'clinic', 'market']
    """
    key = str(value).strip()
    low = key.lower().replace(" ", "_").replace("-", "_")
    if low in LIFE_CIRCLE_TYPE_IDS:
        return low
    for words, type_id in _FACILITY_WORDS:
        if any(w in key for w in words):
            return type_id
    msg = f"unknown facility type {value!r}"
    raise ValueError(msg)


def parse_int(value: Any) -> int:
    """A whole number ≥ 0 (``"120"``, ``120.0``, ``"1,200个"``); a fraction is refused.

    >>> parse_int("1,200个"), parse_int(35.0)
    (1200, 35)
    """
    text = re.sub(r"个$|辆$|位$", "", value.strip()) if isinstance(value, str) else value
    number = parse_number(text)
    if number != int(number):
        msg = f"not a whole number: {value!r}"
        raise ValueError(msg)
    return int(number)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "str": lambda v: str(v).strip(),
    "date": parse_date,
    "bool": parse_bool,
    "number": parse_number,
    "pct": parse_pct,
    "count": parse_count,
    "road_class": parse_road_class,
    "facility_type": parse_facility_type,
    "disclosure_type": parse_disclosure_type,
    "project_category": parse_category,
    "project_status": parse_project_status,
    "int": parse_int,
}


def _parse_column(
    values: pd.Series,
    col: Column,
    source: str,
    *,
    label: str,
    problems: ProblemCollector,
    row_numbers: Sequence[int] | None = None,
) -> list[Any]:
    parser = _PARSERS[col.kind]
    out: list[Any] = []
    bad: list[str] = []
    blank_rows: list[int] = []
    for i, value in enumerate(values.tolist()):
        row = row_numbers[i] if row_numbers is not None else i + 1
        if _is_blank(value):
            out.append(None)
            if col.required:
                blank_rows.append(row)
            continue
        try:
            out.append(parser(value))
        except (ValueError, TypeError, OverflowError):
            out.append(None)
            bad.append(f"row {row}: {str(value)[:40]!r}")
    if bad:
        add_problem(
            problems,
            f"{label}: column {source}",
            f"bad_{col.kind}.column",  # one key per column kind: bad_date.column, bad_pct.column …
            label=label,
            source=source,
            column=Localized(en=col.name, zh=col.label_zh),  # 名称 in Chinese, name in English
            count=len(bad),
            examples="; ".join(bad[:MAX_EXAMPLES]),
        )
    if blank_rows:
        rows = ", ".join(str(r) for r in blank_rows[:MAX_EXAMPLES])
        add_problem(
            problems,
            f"{label}: column {source}",
            "missing_value",
            label=label,
            source=source,
            column=Localized(en=col.name, zh=col.label_zh),  # 名称 in Chinese, name in English
            count=len(blank_rows),
            rows=rows,
        )
    return out


def validate_attributes(
    table: pd.DataFrame,
    schema: LayerSchema,
    *,
    label: str,
    problems: ProblemCollector,
    mapping: Mapping[str, str] | None = None,
    report: ValidationReport | None = None,
    row_numbers: Sequence[int] | None = None,
) -> dict[str, list[Any]]:
    """Map and parse the attribute columns of ``table``; record problems; return stored values.

    Rows are named 1, 2 … (a layer's features) or by ``row_numbers`` (a sheet's rows as the
    spreadsheet shows them, under its header row).
    """
    columns = [str(c) for c in table.columns]
    resolved = resolve_columns(columns, schema, mapping or {}, label=label, problems=problems)
    if report is not None:
        report.column_mapping = dict(resolved)
        report.ignored_columns = [c for c in columns if c not in resolved.values()]
        warn_prefix_matches(resolved, schema, mapping or {}, label=label, report=report)
    return {
        col.name: _parse_column(
            table[resolved[col.name]],
            col,
            resolved[col.name],
            label=label,
            problems=problems,
            row_numbers=row_numbers,
        )
        for col in schema.columns
        if col.name in resolved
    }
