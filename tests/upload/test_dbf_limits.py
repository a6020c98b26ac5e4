"""Shapefiles as GIS staff really have them: column names and values cut mid-character by the
dBase byte limits (10-byte names, 254-byte values) in UTF-8 and GBK, written by GDAL itself, and
a .cpg that one column disagrees with. They are read (the broken bytes dropped), their columns
map by their aliases, and each cut or odd column is named in a warning, not refused (issue 9)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd

from gis.errors import ProblemCollector
from gis.io import read_layer
from gis.upload import PreparedUpload, UploadOptions, prepare_upload
from gis.validate import POLYGONS, SCHEMAS, Column, LayerSchema, resolve_columns
from tests.upload.conftest import DEMO_ID
from tests.upload.corpus import real_residential, shapefile_members, zip_bytes

METRIC = 4544  # the demonstration area's CGCS2000 GK zone (CM 105E)


def _plans(n: int = 3) -> gpd.GeoDataFrame:
    """Regulatory plan units on real residential land, with the columns a county writes."""
    res = real_residential().iloc[:n].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "规划编号": [f"JN-{i:02d}" for i in range(n)],
            "规划单元名称": [f"金牛区控规单元{i}" for i in range(n)],
            "审批状态": ["已批复"] * n,
            "批复日期": [f"2019-03-{i + 1:02d}" for i in range(n)],
        },
        geometry=res.geometry.values,
        crs=4326,
    ).to_crs(METRIC)


def _prepare(data: bytes, name: str, kind: str = "plans") -> PreparedUpload:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.zip"
        path.write_bytes(data)
        return prepare_upload(
            path, options=UploadOptions(kind=kind, original_name=name), workdir=Path(tmp) / "w"
        )


def _warnings(report: dict[str, Any], code: str) -> list[dict[str, str]]:
    return [w for w in report["warnings"] if w["code"] == code]


def test_gdal_utf8_shapefile_with_cut_chinese_column_names_is_accepted(upload_app: Any) -> None:
    """GDAL writes 批复日期 in UTF-8 as 批复日 + one byte of 期 (10 bytes): read, mapped, warned."""
    app, accounts, ws = upload_app
    plans = _plans()
    members = shapefile_members(plans, "控规", encoding="UTF-8")
    assert members["控规.cpg"] == b"UTF-8"
    assert (
        b"\xe6\x89\xb9\xe5\xa4\x8d\xe6\x97\xa5\xe6\x00" in members["控规.dbf"][:300]
    )  # 批复日 + 1
    resp = app.test_client().post(
        f"/api/v1/counties/{DEMO_ID}/layers/plans",
        data={"file": (io.BytesIO(zip_bytes(members)), "控规.zip")},
        headers=accounts.header("staff"),
    )
    body = resp.get_json()
    assert resp.status_code == 201, body
    report = body["report"]
    assert report["column_mapping"] == {
        "plan_id": "规划编",
        "name": "规划单",
        "status": "审批状",
        "approved_on": "批复日",
    }
    stored = read_layer(ws, "plans")
    assert list(stored["plan_id"]) == list(plans["规划编号"])
    assert list(stored["name"]) == list(plans["规划单元名称"])
    assert list(stored["approved_on"]) == ["2019-03-01", "2019-03-02", "2019-03-03"]
    cut = _warnings(report, "dbf_name_cut")
    assert {w["source"] for w in cut} == {
        f"控规.zip: column {c}" for c in ("规划编", "规划单", "审批状", "批复日")
    }
    one = next(w for w in cut if "批复日" in w["source"])
    assert "批复日" in one["message"] and "10" in one["message"] and "批复日" in one["message_zh"]
    prefix = _warnings(report, "column_name_prefix")
    one = next(w for w in prefix if "批复日" in w["source"])
    assert "批复日期" in one["message"] and "approved_on" in one["message"]
    assert "批复日期" in one["message_zh"]


def test_cut_names_map_by_a_unique_prefix_only() -> None:
    """批复日 begins the alias 批复日期 of approved_on alone: mapped. A cut name beginning the
    aliases of two columns, or two cut names beginning one column's, map nothing; a whole
    alias wins over a cut one; short names (not cut by a 10-byte limit) never match by prefix."""
    plans = SCHEMAS["plans"]

    def resolve(columns: list[str], schema: LayerSchema = plans) -> dict[str, str]:
        return resolve_columns(columns, schema, {}, label="x.zip", problems=ProblemCollector())

    assert resolve(["编号", "MC", "状态", "批复日"])["approved_on"] == "批复日"
    assert resolve(["编号", "批复日", "批复日期"])["approved_on"] == "批复日期"
    assert "approved_on" not in resolve(["批复"])  # 6 bytes: a whole name, not a cut one
    assert resolve(["approval_d"])["approved_on"] == "approval_d"  # ASCII cut at 10 bytes
    two = LayerSchema(
        "t",
        "t",
        "测试",
        "test",
        POLYGONS,
        (Column("a", "str", "甲", ("规划单元编号",)), Column("b", "str", "乙", ("规划单元名称",))),
    )
    assert resolve(["规划单元"], two) == {}  # begins both columns' aliases
    assert resolve(["规划单元名"], two) == {"b": "规划单元名"}
    assert resolve(["规划单元", "规划单元名"], two) == {"b": "规划单元名"}
    one = LayerSchema(
        "t", "t", "测试", "test", POLYGONS, (Column("a", "str", "甲", ("甲乙丙丁戊己",)),)
    )
    assert resolve(["甲乙丙", "甲乙丙丁"], one) == {}  # two cut names for one column
