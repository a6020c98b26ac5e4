"""Layer kinds: :data:`SCHEMAS` maps each kind to its stored layer, geometry types and columns.

Column names are matched from common Chinese and English spellings (名称 / NAME / name / MC …)
unless the uploader maps them explicitly (:mod:`gis.upload.columns`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.errors import (
    NotFoundError,
)
from gis.upload.messages import Localized, joined, term

STORAGE_EPSG = 4326
POLYGONS = frozenset({"Polygon", "MultiPolygon"})
LINES = frozenset({"LineString", "MultiLineString"})
POINTS = frozenset({"Point", "MultiPoint"})


@dataclass(frozen=True)
class Column:
    """One stored column: name, type, whether required, and the source names that map onto it."""

    name: str
    kind: str  # str | date | bool | number | int | count | pct | road_class | disclosure_type …
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
    def label(self) -> Localized:
        """The kind's label in each language, for messages (公园 / parks)."""
        return Localized(en=self.label_en, zh=self.label_zh)

    @property
    def geometry_words(self) -> Localized:
        """The accepted geometry in words of each language ("polygons or points", "面或点")."""
        if self.raster:
            return term("geometry.raster")
        kinds = [
            name
            for name, types in (("polygons", POLYGONS), ("lines", LINES), ("points", POINTS))
            if self.geometry & types
        ]
        return joined([term(f"geometry.{name}") for name in kinds], "geometry.or")


_NAME = Column(
    "name", "str", "名称", ("name", "名称", "名字", "mc", "name_zh", "name_cn", "中文名")
)


def _col(name: str, kind: str, label_zh: str, *aliases: str, required: bool = False) -> Column:
    return Column(name, kind, label_zh, (name, *aliases), required)


# The project library (项目库, docs/projects.md): what a sheet, a form or an upload may set.  The
# review fields are stored only: no file sets them, only the review itself (gis.projects).
PROJECT_INPUT_COLUMNS: tuple[Column, ...] = (
    _col("project_id", "str", "项目编号", "编号", "项目编号", "id", "xmbh", "project_no"),
    Column("name", "str", "项目名称", (*_NAME.aliases, "项目名称", "xmmc", "project_name"), True),
    _col(
        "category",
        "project_category",
        "项目类别",
        "类别",
        "项目类别",
        "项目类型",
        "类型",
        "category",
        "lb",
        "xmlb",
        required=True,
    ),
    _col(
        "investment_wan_yuan",
        "number",
        "计划总投资（万元）",
        "investment",
        "投资",
        "总投资",
        "计划总投资",
        "投资额",
        "总投资万元",
        "计划总投资万元",
        "总投资（万元）",
        "计划总投资（万元）",
        "tz",
        "ztz",
        required=True,
    ),
    _col(
        "planned_start",
        "date",
        "计划开工日期",
        "计划开工",
        "计划开工日期",
        "开工日期",
        "开工时间",
        "start",
        "start_date",
        "kgrq",
    ),
    _col(
        "planned_finish",
        "date",
        "计划完工日期",
        "计划完工",
        "计划完工日期",
        "完工日期",
        "竣工日期",
        "完工时间",
        "finish",
        "finish_date",
        "end_date",
        "wgrq",
    ),
    _col(
        "status",
        "project_status",
        "建设状态",
        "状态",
        "建设状态",
        "项目状态",
        "project_status",
        "zt",
    ),
    _col(
        "progress_pct",
        "pct",
        "进度（%）",
        "progress",
        "进度",
        "完成进度",
        "形象进度",
        "进度（%）",
        "进度%",
        "jd",
        required=True,
    ),
    _col(
        "responsible_unit",
        "str",
        "责任单位",
        "责任单位",
        "建设单位",
        "实施单位",
        "unit",
        "responsible",
        "zrdw",
    ),
    _col("contact", "str", "联系人", "联系人", "联系方式", "联系电话", "lxr", "phone"),
    _col(
        "parking_spaces",
        "int",
        "停车泊位（个）",
        "停车泊位",
        "泊位数",
        "停车位",
        "车位数",
        "停车泊位（个）",
        "spaces",
        "bws",
    ),
)
PROJECT_REVIEW_COLUMNS = ("review_status", "review_comment", "reviewed_by", "reviewed_at")
PROJECT_STORED_COLUMNS: tuple[str, ...] = (
    *(c.name for c in PROJECT_INPUT_COLUMNS),
    *PROJECT_REVIEW_COLUMNS,
    "updated_by",
    "updated_at",
)


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
            "parking",
            "parking",
            "公共停车场",
            "public car parks",
            POLYGONS | POINTS,
            (
                _NAME,
                _col(
                    "capacity_spaces",
                    "count",
                    "泊位数",
                    "泊位数",
                    "泊位",
                    "车位数",
                    "车位",
                    "停车位",
                    "停车泊位",
                    "capacity",
                    "spaces",
                    "bws",
                    "cws",
                ),
            ),
            ("osm_id", "osm_type", "name", "access", "capacity_spaces", "sample"),
        ),
        LayerSchema(
            "facilities",
            "facilities",
            "生活圈设施",
            "life-circle facilities",
            POLYGONS | POINTS,
            (
                _NAME,
                _col(
                    "facility_type",
                    "facility_type",
                    "设施类型",
                    "设施类型",
                    "类型",
                    "类别",
                    "type",
                    "lx",
                    "sslx",
                    required=True,
                ),
            ),
            ("osm_id", "osm_type", "name", "facility_type", "osm_tag", "level_source"),
        ),
        LayerSchema(
            "sewer_pipes",
            "sewer_pipes",
            "污水管网",
            "sewer pipes",
            LINES,
            (
                _col("pipe_id", "str", "管线编号", "编号", "管线编号", "管段编号", "id", "bh"),
                _col(
                    "diameter_mm",
                    "number",
                    "管径（毫米）",
                    "管径",
                    "管径mm",
                    "diameter",
                    "dn",
                    "gj",
                ),
                _col("kind", "str", "管线类型", "类型", "管线类型", "管类", "type", "lx"),
            ),
            ("pipe_id", "diameter_mm", "kind", "sample"),
        ),
        LayerSchema(
            "projects",
            "projects",
            "项目库",
            "project library",
            POLYGONS | POINTS | LINES,
            PROJECT_INPUT_COLUMNS,
            PROJECT_STORED_COLUMNS,
        ),
    )
}


def schema_for(kind: str) -> LayerSchema:
    """The schema of a layer kind, or :class:`NotFoundError` naming the known kinds."""
    if kind not in SCHEMAS:
        msg = f"unknown layer kind {kind!r}; expected one of {', '.join(SCHEMAS)}"
        raise NotFoundError(msg)
    return SCHEMAS[kind]
