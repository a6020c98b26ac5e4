"""Validation of an uploaded layer against its kind's schema: collect every problem, raise once.

Each layer kind (:data:`SCHEMAS`) names its stored layer in the workspace
GeoPackage (docs/workspace.md), the geometry types it accepts and its
columns.  Column names are matched from common Chinese and English spellings
(名称 / NAME / name / MC …) unless the uploader maps them explicitly.

:func:`validate_layer` checks emptiness, the feature limit, missing and
wrong geometries, invalid geometries (repaired with ``shapely.make_valid``
and counted as a warning), features outside the county boundary, required
columns and attribute types (dates, numbers, booleans, enumerations).  It
records problems in a :class:`gis.errors.ProblemCollector` and returns the
layer as it will be stored: workspace columns, EPSG:4326.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj.exceptions import CRSError, ProjError

from gis.chinacrs import zone_prefix_hint
from gis.errors import ProblemCollector
from gis.settings import URBAN_ROAD_CLASSES

STORAGE_EPSG = 4326
POLYGONS = frozenset({"Polygon", "MultiPolygon"})
LINES = frozenset({"LineString", "MultiLineString"})
POINTS = frozenset({"Point", "MultiPoint"})
_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Column:
    """One stored column: name, type, whether required, and the source names that map onto it."""

    name: str
    kind: str  # str | date | bool | number | pct | road_class | disclosure_type
    label_zh: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class LayerSchema:
    """What one kind of upload must look like and where it is stored."""

    kind: str
    layer: str
    label_zh: str
    label_en: str
    geometry: frozenset[str]
    columns: tuple[Column, ...] = ()
    stored_columns: tuple[str, ...] = ()
    single_feature: bool = False
    raster: bool = False

    @property
    def geometry_text(self) -> str:
        """The accepted geometry, in words."""
        if self.raster:
            return "a GeoTIFF raster"
        parts = []
        if self.geometry & POLYGONS:
            parts.append("polygons")
        if self.geometry & LINES:
            parts.append("lines")
        if self.geometry & POINTS:
            parts.append("points")
        return " or ".join(parts)


_NAME = Column(
    "name", "str", "名称", ("name", "名称", "名字", "mc", "name_zh", "name_cn", "中文名")
)


def _col(name: str, kind: str, label_zh: str, *aliases: str, required: bool = False) -> Column:
    return Column(name, kind, label_zh, (name, *aliases), required)


SCHEMAS: dict[str, LayerSchema] = {
    s.kind: s
    for s in (
        LayerSchema(
            "built_up",
            "built_up",
            "建成区",
            "built-up area",
            POLYGONS,
            stored_columns=("source", "method"),
            single_feature=True,
        ),
        LayerSchema(
            "roads",
            "roads",
            "道路",
            "roads",
            LINES,
            (
                _col(
                    "road_class",
                    "road_class",
                    "道路等级",
                    "class",
                    "等级",
                    "道路等级",
                    "道路类型",
                    "dldj",
                    "fclass",
                    "highway",
                    "type",
                    "kind",
                    "grade",
                    required=True,
                ),
                _NAME,
                _col("oneway", "bool", "单行", "单行", "单向", "one_way", "dx"),
            ),
            ("osm_id", "highway", "road_class", "name", "oneway"),
        ),
        LayerSchema(
            "parks",
            "parks",
            "公园绿地",
            "parks",
            POLYGONS,
            (_NAME,),
            ("osm_id", "osm_type", "name", "leisure", "access"),
        ),
        LayerSchema(
            "green_space",
            "green_space",
            "绿地",
            "green space",
            POLYGONS,
            (_NAME, _col("kind", "str", "类型", "类型", "绿地类型", "type", "lx", "class")),
            ("osm_id", "osm_type", "name", "kind"),
        ),
        LayerSchema(
            "sports",
            "sports",
            "体育设施",
            "sports facilities",
            POLYGONS | POINTS,
            (
                _NAME,
                _col("leisure", "str", "设施类型", "类型", "设施类型", "type", "lx", "category"),
                _col("sport", "str", "运动项目", "运动项目", "项目", "sports"),
            ),
            ("osm_id", "osm_type", "name", "leisure", "sport"),
        ),
        LayerSchema(
            "residential",
            "residential",
            "居住用地",
            "residential land",
            POLYGONS,
            (_NAME,),
            ("osm_id", "osm_type", "name"),
        ),
        LayerSchema(
            "population", "population", "人口栅格", "population raster", frozenset(), raster=True
        ),
        LayerSchema(
            "plans",
            "plans",
            "控制性详细规划",
            "regulatory plans",
            POLYGONS,
            (
                _col(
                    "plan_id",
                    "str",
                    "规划编号",
                    "编号",
                    "规划编号",
                    "单元编号",
                    "plan_no",
                    "planid",
                    "id",
                    "bh",
                    "dybh",
                    "code",
                    required=True,
                ),
                Column(
                    "name",
                    "str",
                    "名称",
                    (*_NAME.aliases, "规划名称", "单元名称", "规划单元名称", "plan_name"),
                    True,
                ),
                _col(
                    "status",
                    "str",
                    "审批状态",
                    "状态",
                    "审批状态",
                    "批复状态",
                    "zt",
                    "spzt",
                    required=True,
                ),
                _col(
                    "approved_on",
                    "date",
                    "批复日期",
                    "批复日期",
                    "批准日期",
                    "审批日期",
                    "批复时间",
                    "approved",
                    "approval_date",
                    "pfrq",
                    "date",
                ),
            ),
            ("plan_id", "name", "status", "approved_on", "sample"),
        ),
        LayerSchema(
            "urban_designs",
            "urban_designs",
            "城市设计",
            "urban designs",
            POLYGONS,
            (
                Column("name", "str", "名称", (*_NAME.aliases, "设计名称", "项目名称"), True),
                _col("status", "str", "状态", "状态", "审批状态", "zt"),
            ),
            ("name", "status", "sample"),
        ),
        LayerSchema(
            "key_areas",
            "key_areas",
            "重点地区",
            "key areas",
            POLYGONS,
            (
                Column("name", "str", "名称", (*_NAME.aliases, "地区名称", "区域名称"), True),
                _col("kind", "str", "类型", "类型", "地区类型", "type", "lx", "category"),
            ),
            ("name", "kind", "sample"),
        ),
        LayerSchema(
            "disclosures",
            "disclosures",
            "阳光规划公示",
            "planning disclosures",
            POLYGONS | POINTS,
            (
                _col("record_id", "str", "记录编号", "编号", "记录编号", "id", "bh"),
                _col(
                    "type",
                    "disclosure_type",
                    "公示类型",
                    "类型",
                    "公示类型",
                    "事项类型",
                    "lx",
                    "category",
                    required=True,
                ),
                _col("title", "str", "标题", "标题", "名称", "事项", "name", "bt", required=True),
                _col(
                    "doc_number",
                    "str",
                    "文号",
                    "文号",
                    "批准文号",
                    "文件编号",
                    "doc_no",
                    "docno",
                    "wh",
                ),
                _col(
                    "date",
                    "date",
                    "日期",
                    "日期",
                    "公示日期",
                    "发布日期",
                    "批复日期",
                    "rq",
                    required=True,
                ),
                _col(
                    "authority",
                    "str",
                    "机关",
                    "机关",
                    "发布机关",
                    "审批机关",
                    "单位",
                    "dept",
                    "organ",
                ),
                _col(
                    "public",
                    "bool",
                    "是否公开",
                    "是否公开",
                    "公开",
                    "公示",
                    "is_public",
                    "sfgk",
                    required=True,
                ),
            ),
            ("record_id", "type", "title", "doc_number", "date", "authority", "public", "sample"),
        ),
        LayerSchema(
            "projects",
            "projects",
            "项目库",
            "project library",
            POLYGONS | POINTS | LINES,
            (
                _col("project_id", "str", "项目编号", "编号", "项目编号", "id", "xmbh"),
                Column("name", "str", "项目名称", (*_NAME.aliases, "项目名称", "xmmc"), True),
                _col(
                    "category",
                    "str",
                    "项目类别",
                    "类别",
                    "项目类别",
                    "类型",
                    "category",
                    "lb",
                    required=True,
                ),
                _col(
                    "investment_wan_yuan",
                    "number",
                    "总投资（万元）",
                    "investment",
                    "投资",
                    "总投资",
                    "投资额",
                    "总投资万元",
                    "tz",
                    "ztz",
                    required=True,
                ),
                _col(
                    "progress_pct",
                    "pct",
                    "进度（%）",
                    "progress",
                    "进度",
                    "完成进度",
                    "形象进度",
                    "jd",
                    required=True,
                ),
            ),
            ("project_id", "name", "category", "investment_wan_yuan", "progress_pct"),
        ),
    )
}

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
_HIGHWAY_FOR_CLASS = {
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


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "str": lambda v: str(v).strip(),
    "date": parse_date,
    "bool": parse_bool,
    "number": parse_number,
    "pct": parse_pct,
    "road_class": parse_road_class,
    "disclosure_type": parse_disclosure_type,
}
_EXPECTED = {
    "date": ("a date such as 2019-03-05 or 2019年3月5日", "日期，如 2019-03-05 或 2019年3月5日"),
    "bool": ("yes/no (是/否, 1/0, true/false)", "是/否（或 1/0、true/false）"),
    "number": ("a non-negative number", "非负数字"),
    "pct": ("a percentage from 0 to 100", "0–100 的百分数"),
    "road_class": (
        "a road class: 快速路/主干路/次干路/支路/其他 or "
        "expressway/arterial/secondary/branch/other",
        "道路等级：快速路、主干路、次干路、支路或其他",
    ),
    "disclosure_type": (
        "one of 编制 修改 审批 规划许可 违法建设查处",
        "编制、修改、审批、规划许可、违法建设查处之一",
    ),
    "str": ("text", "文本"),
}


@dataclass
class ValidationReport:
    """What validation found that did not stop the upload (warnings) and what it did."""

    feature_count: int = 0
    repaired_geometries: int = 0
    warnings: list[dict[str, str]] = field(default_factory=list)
    column_mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def warn(self, source: str, code: str, message_en: str, message_zh: str) -> None:
        """Record one warning."""
        self.warnings.append(
            {"source": source, "code": code, "message": message_en, "message_zh": message_zh}
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "feature_count": self.feature_count,
            "repaired_geometries": self.repaired_geometries,
            "warnings": list(self.warnings),
            "column_mapping": dict(self.column_mapping),
            "ignored_columns": list(self.ignored_columns),
            **self.extra,
        }


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", str(name)).lower()


def resolve_columns(
    columns: list[str],
    schema: LayerSchema,
    mapping: Mapping[str, str],
    *,
    label: str,
    problems: ProblemCollector,
) -> dict[str, str]:
    """Stored column → source column, from the uploader's mapping, else the known aliases.

    >>> p = ProblemCollector()
    >>> resolve_columns(["MC", "DLDJ"], SCHEMAS["roads"], {}, label="r.zip", problems=p)
    {'road_class': 'DLDJ', 'name': 'MC'}
    >>> resolve_columns(["x"], SCHEMAS["roads"], {}, label="r.zip", problems=p)
    {}
    >>> [q.code for q in p.problems]
    ['missing_column']
    """
    by_norm = {_norm(c): c for c in columns}
    known = {c.name for c in schema.columns}
    for target, source in mapping.items():
        if target not in known:
            problems.add(
                f"{label}: mapping {target}",
                f"{label}: the column mapping names {target!r}, which is not a column of "
                f"{schema.label_en}; expected one of {sorted(known)}",
                f"{label}：字段映射中的 {target!r} 不是{schema.label_zh}的字段；应为 "
                f"{sorted(known)} 之一",
                "bad_mapping",
            )
        elif source not in columns:
            problems.add(
                f"{label}: mapping {target}",
                f"{label}: the column mapping says {target} comes from {source!r}, but the file "
                f"has no such column; its columns are {columns}",
                f"{label}：字段映射指定 {target} 来自 {source!r}，但文件中没有该字段；现有字段："
                f"{columns}",
                "bad_mapping",
            )
    found: dict[str, str] = {}
    used: set[str] = set()
    for col in schema.columns:
        source = mapping.get(col.name)
        if source is None or source not in columns:
            source = next(
                (
                    by_norm[_norm(a)]
                    for a in col.aliases
                    if _norm(a) in by_norm and by_norm[_norm(a)] not in used
                ),
                None,
            )
        if source is not None:
            found[col.name] = source
            used.add(source)
    found.update(_prefix_matches([c for c in columns if c not in used], schema, found))
    resolved: dict[str, str] = {}
    for col in schema.columns:
        source = found.get(col.name)
        if source is None:
            if col.required:
                problems.add(
                    f"{label}: column {col.name}",
                    f"{label}: no column for {col.name} ({col.label_zh}); the file has {columns}. "
                    f"Name a column {col.aliases[1] if len(col.aliases) > 1 else col.name!r} "
                    f"or map it in the upload form ({col.name}=YOUR_COLUMN)",
                    f"{label}：缺少字段 {col.label_zh}（{col.name}）；文件中的字段为 {columns}。"
                    f"请将字段命名为 {col.aliases[1] if len(col.aliases) > 1 else col.name}，"
                    "或在上传表单中设置映射",
                    "missing_column",
                )
            continue
        resolved[col.name] = source
    return resolved


def _may_be_cut(name: str) -> bool:
    """A column name long enough to have been cut by the dBase limit of 10 bytes per name."""
    return len(name.encode("utf-8")) >= (10 if name.isascii() else 8)


def prefix_alias(source: str, col: Column) -> str | None:
    """The alias of ``col`` that ``source`` (a cut column name) is the beginning of, if any.

    >>> prefix_alias("批复日", SCHEMAS["plans"].columns[3])
    '批复日期'
    >>> prefix_alias("批复日期", SCHEMAS["plans"].columns[3]) is None  # whole, not cut
    True
    """
    key = _norm(source)
    if not key or not _may_be_cut(source):
        return None
    return next(
        (a for a in col.aliases if _norm(a) != key and _norm(a).startswith(key)),
        None,
    )


def _prefix_matches(
    unused: list[str], schema: LayerSchema, found: Mapping[str, str]
) -> dict[str, str]:
    """Stored column → source column for cut names that begin exactly one column's aliases.

    A shapefile cuts 批复日期 to 批复日 (10 bytes, the broken byte dropped); it still maps to
    approved_on.  Only unique matches count: a cut name beginning the aliases of two columns,
    or two cut names beginning the aliases of one column, map nothing.
    """
    open_columns = [c for c in schema.columns if c.name not in found]
    candidates = {
        source: [c.name for c in open_columns if prefix_alias(source, c) is not None]
        for source in unused
    }
    unique = {s: names[0] for s, names in candidates.items() if len(names) == 1}
    targets = list(unique.values())
    return {name: s for s, name in unique.items() if targets.count(name) == 1}


def _parse_column(
    values: pd.Series, col: Column, source: str, *, label: str, problems: ProblemCollector
) -> list[Any]:
    parser = _PARSERS[col.kind]
    out: list[Any] = []
    bad: list[str] = []
    blank_rows: list[int] = []
    for row, value in enumerate(values.tolist()):
        if _is_blank(value):
            out.append(None)
            if col.required:
                blank_rows.append(row + 1)
            continue
        try:
            out.append(parser(value))
        except (ValueError, TypeError, OverflowError):
            out.append(None)
            bad.append(f"row {row + 1}: {str(value)[:40]!r}")
    if bad:
        expected_en, expected_zh = _EXPECTED[col.kind]
        examples = "; ".join(bad[:_MAX_EXAMPLES])
        problems.add(
            f"{label}: column {source}",
            f"{label}: column {source!r} ({col.name}) has {len(bad)} value(s) that are not "
            f"{expected_en} ({examples}); correct them and upload again",
            f"{label}：字段 {source!r}（{col.label_zh}）有 {len(bad)} "
            f"个值不是{expected_zh}（{examples}）；请更正后重新上传",
            f"bad_{col.kind}",
        )
    if blank_rows:
        rows = ", ".join(str(r) for r in blank_rows[:_MAX_EXAMPLES])
        problems.add(
            f"{label}: column {source}",
            f"{label}: column {source!r} ({col.name}) is empty in {len(blank_rows)} row(s) "
            f"(rows {rows}); it is required, fill it in",
            f"{label}：必填字段 {source!r}（{col.label_zh}）有 {len(blank_rows)} 行为空（第 "
            f"{rows} 行）；请补全",
            "missing_value",
        )
    return out


def _geometry_problems(
    geoms: gpd.GeoSeries,
    schema: LayerSchema,
    *,
    label: str,
    problems: ProblemCollector,
    report: ValidationReport,
) -> gpd.GeoSeries:
    """Check missing and wrong geometries, repair invalid ones; return the repaired series."""
    missing = geoms.isna() | geoms.is_empty
    if missing.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(missing.to_numpy())[:_MAX_EXAMPLES])
        problems.add(
            label,
            f"{label}: {int(missing.sum())} feature(s) have no geometry (rows {rows}); "
            "delete them or draw their shapes",
            f"{label}：{int(missing.sum())} 个要素没有几何图形（第 {rows} 行）；请删除或补绘",
            "missing_geometry",
        )
    present = geoms[~missing]
    not_finite = ~np.array([_finite(g) for g in present.to_numpy()], dtype=bool)
    if not_finite.any():
        rows = ", ".join(
            str(i + 1) for i in np.flatnonzero(~missing.to_numpy())[not_finite][:_MAX_EXAMPLES]
        )
        problems.add(
            label,
            f"{label}: {int(not_finite.sum())} feature(s) have coordinates that are not numbers "
            f"(NaN or infinite; rows {rows}); the file is damaged, export it again",
            f"{label}：{int(not_finite.sum())} 个要素的坐标不是有效数字（第 {rows} 行）；"
            "文件已损坏，请重新导出",
            "bad_coordinates",
        )
    types = present.geom_type
    wrong = ~types.isin(schema.geometry)
    if wrong.any():
        found = ", ".join(sorted(set(types[wrong])))
        problems.add(
            label,
            f"{label}: {int(wrong.sum())} feature(s) are {found}, but {schema.label_en} must be "
            f"{schema.geometry_text}; export the right layer or convert the geometry",
            f"{label}：{int(wrong.sum())} 个要素为 {found}，而{schema.label_zh}应为"
            f"{_geometry_zh(schema)}；请导出正确的图层或转换几何类型",
            "wrong_geometry_type",
        )
    repaired, report.repaired_geometries = _repair(geoms, schema, label=label, problems=problems)
    return repaired


def _repair(
    geoms: gpd.GeoSeries, schema: LayerSchema, *, label: str, problems: ProblemCollector
) -> tuple[gpd.GeoSeries, int]:
    """Repair invalid geometries with ``make_valid``; return them and how many were repaired.

    A geometry whose repair leaves nothing of the layer's dimension (a polygon with no area) is
    a problem, not a silent change.
    """
    present = ~(geoms.isna() | geoms.is_empty)
    finite = np.array([_finite(g) for g in geoms.to_numpy()], dtype=bool)
    invalid = present & finite & ~geoms.is_valid  # non-finite ones are reported as bad coordinates
    if not invalid.any():
        return geoms, 0
    fixed = [_keep_dimension(g, schema) for g in shapely.make_valid(geoms[invalid].to_numpy())]
    collapsed = [
        i for i, g in zip(np.flatnonzero(invalid.to_numpy()), fixed, strict=True) if g is None
    ]
    if collapsed:
        rows = ", ".join(str(i + 1) for i in collapsed[:_MAX_EXAMPLES])
        problems.add(
            label,
            f"{label}: {len(collapsed)} invalid geometr(y/ies) have nothing left of the right "
            f"kind after repair (rows {rows}), e.g. a polygon without area; fix or delete them",
            f"{label}：{len(collapsed)} 个无效几何修复后不再是有效的{_geometry_zh(schema)}"
            f"（第 {rows} 行），如没有面积的多边形；请修正或删除",
            "degenerate_geometry",
        )
    repaired = geoms.copy()
    repaired.loc[invalid] = np.array(
        [g if g is not None else shapely.GeometryCollection() for g in fixed], dtype=object
    )
    return repaired, int(invalid.sum())


def _geometry_zh(schema: LayerSchema) -> str:
    parts = []
    if schema.geometry & POLYGONS:
        parts.append("面")
    if schema.geometry & LINES:
        parts.append("线")
    if schema.geometry & POINTS:
        parts.append("点")
    return "或".join(parts)


def _finite(geom: Any) -> bool:
    """Whether every coordinate of ``geom`` is a finite number (``True`` for no geometry)."""
    return geom is None or bool(np.isfinite(shapely.get_coordinates(geom)).all())


def _keep_dimension(geom: Any, schema: LayerSchema) -> Any:
    """The parts of a repaired geometry of the schema's dimension (a bow-tie's areas), or None."""
    if schema.geometry & POLYGONS:
        kinds = POLYGONS
    elif schema.geometry & LINES:
        kinds = LINES
    else:
        kinds = POINTS
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in schema.geometry:
        return geom
    if geom.geom_type != "GeometryCollection":
        return None if geom.geom_type not in kinds else geom
    parts = [g for g in geom.geoms if g.geom_type in kinds and not g.is_empty]
    return shapely.union_all(parts) if parts else None


def _check_location(
    geoms: gpd.GeoSeries,
    boundary: gpd.GeoDataFrame | None,
    *,
    label: str,
    tolerance_m: float,
    source_epsg: int | None,
    source_minx: float,
    problems: ProblemCollector,
) -> None:
    """Features must lie in (or touch) the county: not entirely outside its boundary ± tolerance."""
    finite = np.isfinite(shapely.get_coordinates(geoms.dropna().to_numpy())).all()
    if not finite:
        hint = zone_prefix_hint(source_minx, source_epsg) if source_epsg else ""
        problems.add(
            label,
            f"{label}: coordinates do not convert to longitude/latitude; the CRS is wrong. "
            f"Check the .prj or the declared EPSG code{'; ' + hint if hint else ''}",
            f"{label}：坐标无法转换为经纬度，坐标系有误；请检查 .prj 或填写的 EPSG 代码"
            f"{'（' + hint + '）' if hint else ''}",
            "bad_coordinates",
        )
        return
    if boundary is None or boundary.empty:
        return
    from gis.crs import gk_epsg  # local: crs imports geopandas only

    area = boundary.to_crs(STORAGE_EPSG).union_all()
    cx = area.centroid.x
    metric = gk_epsg(cx)
    zone = gpd.GeoSeries([area], crs=STORAGE_EPSG).to_crs(metric).buffer(tolerance_m).iloc[0]
    measured = geoms.to_crs(metric)
    try:
        outside = ~measured.intersects(zone) & ~(measured.isna() | measured.is_empty)
    except shapely.errors.GEOSException:
        return  # only for geometries too broken to test; their own problem is reported
    if not outside.any():
        return
    rows = ", ".join(str(i + 1) for i in np.flatnonzero(outside.to_numpy())[:_MAX_EXAMPLES])
    b = geoms.total_bounds
    county_b = area.bounds
    hint = ""
    if source_epsg:
        hint = zone_prefix_hint(source_minx, source_epsg)
    extra_en = (
        f" Hint: {hint}."
        if hint
        else (" If the data comes from Amap/Baidu, declare GCJ-02/BD-09; otherwise check the CRS.")
    )
    problems.add(
        label,
        f"{label}: {int(outside.sum())} of {len(geoms)} feature(s) lie outside the county "
        f"(rows {rows}); data bounds lon {b[0]:.4f}–{b[2]:.4f}, lat {b[1]:.4f}–{b[3]:.4f}, county "
        f"lon {county_b[0]:.4f}–{county_b[2]:.4f}, lat "
        f"{county_b[1]:.4f}–{county_b[3]:.4f}.{extra_en}",
        f"{label}：{int(outside.sum())}/{len(geoms)} 个要素位于本县范围之外（第 {rows} 行）；"
        "请检查坐标系（带号、EPSG 代码），高德/百度数据请声明 GCJ-02/BD-09",
        "outside_county",
    )


def _to_storage(
    geoms: gpd.GeoSeries, label: str, problems: ProblemCollector
) -> gpd.GeoSeries | None:
    """``geoms`` in EPSG:4326, or ``None`` (and a problem) when the CRS cannot be converted."""
    try:
        with np.errstate(all="ignore"):
            return geoms.to_crs(STORAGE_EPSG)
    except (ProjError, CRSError, ValueError) as exc:
        problems.add(
            label,
            f"{label}: the coordinate system {geoms.crs.name!r} cannot be converted to "
            f"longitude/latitude ({str(exc)[:80]}); type the EPSG code in the form (e.g. 4544)",
            f"{label}：坐标系 {geoms.crs.name!r} 无法转换为经纬度；"
            "请在表单中填写 EPSG 代码（如 4544）",
            "unknown_crs",
        )
        return None


def validate_attributes(
    table: pd.DataFrame,
    schema: LayerSchema,
    *,
    label: str,
    problems: ProblemCollector,
    mapping: Mapping[str, str] | None = None,
    report: ValidationReport | None = None,
) -> dict[str, list[Any]]:
    """Map and parse the attribute columns of ``table``; record problems; return stored values."""
    columns = [str(c) for c in table.columns]
    resolved = resolve_columns(columns, schema, mapping or {}, label=label, problems=problems)
    if report is not None:
        report.column_mapping = dict(resolved)
        report.ignored_columns = [c for c in columns if c not in resolved.values()]
        _warn_prefix_matches(resolved, schema, mapping or {}, label=label, report=report)
    return {
        col.name: _parse_column(
            table[resolved[col.name]], col, resolved[col.name], label=label, problems=problems
        )
        for col in schema.columns
        if col.name in resolved
    }


def _warn_prefix_matches(
    resolved: Mapping[str, str],
    schema: LayerSchema,
    mapping: Mapping[str, str],
    *,
    label: str,
    report: ValidationReport,
) -> None:
    """One warning per column mapped by the beginning of an alias (a name cut by the DBF)."""
    for col in schema.columns:
        source = resolved.get(col.name)
        if source is None or mapping.get(col.name) == source:
            continue
        if any(_norm(a) == _norm(source) for a in col.aliases):
            continue
        alias = prefix_alias(source, col) or col.name
        report.warn(
            f"{label}: column {source}",
            "column_name_prefix",
            f"{label}: column {source!r} was taken as {col.name} ({alias}): its name looks cut "
            f"by the dBase limit of 10 bytes per column name and is the beginning of {alias!r}. "
            f"If that is wrong, map the column in the upload form ({col.name}=YOUR_COLUMN)",
            f"{label}：字段 {source!r} 已作为{col.label_zh}（{col.name}）读取：其名称似被 dBase "
            f"字段名 10 字节上限截断，是 {alias!r} 的开头。如不正确，请在上传表单中设置映射",
        )


def validate_layer(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    *,
    label: str,
    problems: ProblemCollector,
    boundary: gpd.GeoDataFrame | None = None,
    mapping: Mapping[str, str] | None = None,
    max_features: int = 200_000,
    outside_tolerance_m: float = 500.0,
    source_epsg: int | None = None,
) -> tuple[gpd.GeoDataFrame | None, ValidationReport]:
    """Check ``gdf`` against ``schema``; record problems; return the layer to store (EPSG:4326).

    ``gdf`` carries the source CRS (after any GCJ-02/BD-09 conversion, as
    EPSG:4326).  Returns ``None`` for the layer when a problem prevents
    building it; the caller raises once with every problem.
    """
    report = ValidationReport()
    if len(gdf) == 0:
        problems.add(
            label,
            f"{label}: the layer has no features; upload a file with {schema.label_en} in it",
            f"{label}：图层没有要素；请上传包含{schema.label_zh}的文件",
            "empty_layer",
        )
        return None, report
    if len(gdf) > max_features:
        problems.add(
            label,
            f"{label}: {len(gdf):,} features, more than the limit of {max_features:,}; "
            "split the layer or ask an administrator to raise the limit",
            f"{label}：要素 {len(gdf):,} 个，超过上限 {max_features:,}；请拆分图层",
            "too_many_features",
        )
    geoms = _geometry_problems(gdf.geometry, schema, label=label, problems=problems, report=report)
    geoms_4326 = _to_storage(geoms, label, problems) if gdf.crs is not None else None
    if geoms_4326 is not None and not problems.problems:  # projecting can make a ring touch itself
        geoms_4326, again = _repair(geoms_4326, schema, label=label, problems=problems)
        report.repaired_geometries += again
    if report.repaired_geometries:
        report.warn(
            label,
            "repaired_geometries",
            f"{label}: {report.repaired_geometries} invalid geometr(y/ies) "
            "(e.g. self-intersecting) repaired with make_valid; check them in QGIS",
            f"{label}：{report.repaired_geometries} 个无效几何（如自相交）已用 make_valid 修复；"
            "请在 QGIS 中核对",
        )
    if geoms_4326 is not None:
        source_minx = float(geoms.total_bounds[0]) if len(geoms.dropna()) else 0.0
        _check_location(
            geoms_4326,
            boundary,
            label=label,
            tolerance_m=outside_tolerance_m,
            source_epsg=source_epsg,
            source_minx=source_minx,
            problems=problems,
        )
    values = validate_attributes(
        gdf.drop(columns=gdf.geometry.name),
        schema,
        label=label,
        problems=problems,
        mapping=mapping,
        report=report,
    )
    if problems.problems or geoms_4326 is None:
        return None, report
    stored = _build_stored(geoms_4326, values, schema, label=label)
    report.feature_count = len(stored)
    return stored, report


def _build_stored(
    geoms: gpd.GeoSeries, values: dict[str, list[Any]], schema: LayerSchema, *, label: str
) -> gpd.GeoDataFrame:
    n = len(geoms)
    data: dict[str, Any] = {}
    for name in schema.stored_columns:
        if name in values:
            data[name] = values[name]
        elif name == "osm_id":
            data[name] = np.arange(-1, -n - 1, -1, dtype="int64")  # negative: not OSM way ids
        elif name == "osm_type":
            data[name] = ["upload"] * n  # not an OSM element
        elif name == "sample":
            data[name] = np.zeros(n, dtype=bool)
        else:
            data[name] = [None] * n
    frame = gpd.GeoDataFrame(data, geometry=geoms.reset_index(drop=True).values, crs=STORAGE_EPSG)
    return _finish(frame, schema, label)


def _finish(frame: gpd.GeoDataFrame, schema: LayerSchema, label: str) -> gpd.GeoDataFrame:
    kind = schema.kind
    if kind == "built_up":
        merged = shapely.union_all(frame.geometry.to_numpy())
        return gpd.GeoDataFrame(
            {"source": ["uploaded"], "method": [f"uploaded from {label}"]},
            geometry=[merged],
            crs=STORAGE_EPSG,
        )
    if kind == "roads":
        frame = frame.explode(index_parts=False, ignore_index=True)
        frame = frame[frame.geometry.geom_type == "LineString"].reset_index(drop=True)
        frame["osm_id"] = np.arange(-1, -len(frame) - 1, -1, dtype="int64")
        frame["highway"] = [_HIGHWAY_FOR_CLASS[c] for c in frame["road_class"]]
        frame["oneway"] = [bool(v) if v is not None else False for v in frame["oneway"]]
        return frame
    if kind == "parks":
        frame["leisure"] = "park"
    if kind == "sports":
        frame["leisure"] = [v or "sports_centre" for v in frame["leisure"]]
    if kind == "green_space":
        frame["kind"] = [v or "green_space" for v in frame["kind"]]
    if kind == "disclosures":
        frame["record_id"] = [v or f"upload-{i + 1}" for i, v in enumerate(frame["record_id"])]
        frame["public"] = [bool(v) for v in frame["public"]]
    if kind in ("plans", "urban_designs", "key_areas", "disclosures"):
        frame["sample"] = False
    return frame
