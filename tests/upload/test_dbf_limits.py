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

from gis.encoding import choose_dbf_encoding, decode_dbf_text
from gis.errors import ProblemCollector
from gis.io import read_layer
from gis.upload import (
    POLYGONS,
    SCHEMAS,
    Column,
    LayerSchema,
    PreparedUpload,
    UploadOptions,
    prepare_upload,
    resolve_columns,
)
from tests.helpers import DEMO_ID
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


def test_gdal_gbk_shapefile_with_cut_names_and_values_is_read_and_warned() -> None:
    """GDAL in GBK cuts names at 10 bytes and a value at 254 bytes mid-character (GBK is two
    bytes a character, so an odd ASCII prefix leaves half a character at the limit)."""
    plans = _plans()
    long_name = "A" + "金牛区北部新城控规单元" * 12  # 1 + 264 bytes in GBK
    plans.loc[0, "规划单元名称"] = long_name
    plans["1备注说明文字"] = ["已公示", "", "待审"]  # 1 + 12 bytes: cut after 说明 + half of 文
    members = shapefile_members(plans, "控规", encoding="GBK")
    assert members["控规.cpg"] == b"GBK"
    assert b"1\xb1\xb8\xd7\xa2\xcb\xb5\xc3\xf7\xce\x00" in members["控规.dbf"][:400]
    prepared = _prepare(zip_bytes(members), "控规.zip")
    report = prepared.report
    assert report["column_mapping"] == {
        "plan_id": "规划编号",  # 8 bytes in GBK: whole
        "name": "规划单元名",  # 规划单元名称 cut cleanly at 10 bytes
        "status": "审批状态",
        "approved_on": "批复日期",
    }
    assert report["ignored_columns"] == ["1备注说明"]
    assert prepared.gdf is not None
    names = list(prepared.gdf["name"])
    assert names[0] == long_name.encode("gbk")[:253].decode("gbk")  # the half character dropped
    assert names[1:] == list(plans["规划单元名称"][1:])
    cut_name = _warnings(report, "dbf_name_cut")
    assert [w["source"] for w in cut_name] == ["控规.zip: column 1备注说明"]
    assert "1备注说明" in cut_name[0]["message_zh"] and "10" in cut_name[0]["message_zh"]
    cut_value = _warnings(report, "dbf_value_cut")
    assert [w["source"] for w in cut_value] == ["控规.zip: column 规划单元名"]
    assert "254" in cut_value[0]["message"] and "rows 1" in cut_value[0]["message"]
    assert "254" in cut_value[0]["message_zh"] and "第 1 行" in cut_value[0]["message_zh"]
    prefix = _warnings(report, "column_name_prefix")
    assert [w["source"] for w in prefix] == ["控规.zip: column 规划单元名"]
    assert "规划单元名称" in prefix[0]["message"]
    assert report["encoding"] == "gbk (cpg)"


def _dbf(fields: list[tuple[bytes, int]], records: list[list[bytes]], *, ldid: int = 0) -> bytes:
    """A hand-made dBase III file of character fields (what ArcGIS and others write)."""
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(width for _, width in fields)
    out = bytearray(b"\x03\x7c\x01\x01")  # version 3, 2024-01-01
    out += len(records).to_bytes(4, "little") + header_len.to_bytes(2, "little")
    out += record_len.to_bytes(2, "little") + bytes(17) + bytes([ldid]) + bytes(2)
    for name, width in fields:
        out += name[:11].ljust(11, b"\x00") + b"C" + bytes(4) + bytes([width, 0]) + bytes(14)
    out += b"\x0d"
    for values in records:
        out += b" " + b"".join(
            v[:w].ljust(w, b" ") for v, (_, w) in zip(values, fields, strict=True)
        )
    return bytes(out + b"\x1a")


def _hand_made_plans_zip(
    fields: list[tuple[bytes, int]], records: list[list[bytes]], cpg: bytes | None
) -> bytes:
    members = shapefile_members(
        _plans(len(records))[["geometry"]].assign(x="x"), "控规", encoding="UTF-8"
    )
    members["控规.dbf"] = _dbf(fields, records)
    if cpg is None:
        members.pop("控规.cpg")
    else:
        members["控规.cpg"] = cpg
    return zip_bytes(members)


def test_utf8_cpg_with_one_gbk_column_reads_that_column_as_gbk() -> None:
    """A .cpg saying UTF-8 and one column (状态) holding GBK bytes, the others UTF-8: read, the
    column decoded as GBK, and a warning names it (a .cpg wrong for every column is refused)."""
    fields = [(b"BH", 10), ("名称".encode(), 40), ("状态".encode(), 20), (b"PFRQ", 10)]
    records = [
        [b"JN-01", "金牛区控规单元一".encode(), "已批复".encode("gbk"), b"2019-03-05"],
        [b"JN-02", "金牛区控规单元二".encode(), "已批复".encode("gbk"), b"2020/1/2"],
    ]
    prepared = _prepare(_hand_made_plans_zip(fields, records, b"UTF-8"), "控规.zip")
    assert prepared.gdf is not None
    assert list(prepared.gdf["name"]) == ["金牛区控规单元一", "金牛区控规单元二"]
    assert list(prepared.gdf["status"]) == ["已批复", "已批复"]
    assert list(prepared.gdf["approved_on"]) == ["2019-03-05", "2020-01-02"]
    warned = _warnings(prepared.report, "column_encoding")
    assert [w["source"] for w in warned] == ["控规.zip: column 状态"]
    assert "GBK" in warned[0]["message"] and "UTF-8" in warned[0]["message"]
    assert "状态" in warned[0]["message_zh"] and "GBK" in warned[0]["message_zh"]


def test_hand_made_utf8_values_and_names_cut_mid_character() -> None:
    """A writer that cuts UTF-8 text at the byte limits, not at a character: names of 10 bytes
    and values filling their field end in broken bytes, which are dropped, with or without .cpg."""
    fields = [
        (b"BH", 10),
        ("规划单元名称".encode()[:10], 20),  # 规划单 + 1 byte
        ("审批状态".encode()[:10], 10),  # 审批状 + 1 byte
        ("批复日期".encode()[:10], 10),
    ]
    name = "金牛区控规单元一"
    records = [
        [b"JN-01", name.encode()[:20], "已批复".encode()[:10], b"2019-03-05"],
        [b"JN-02", "北区".encode(), "已批复".encode()[:10], b"20200102"],
    ]
    for cpg in (b"UTF-8", None):
        prepared = _prepare(_hand_made_plans_zip(fields, records, cpg), "控规.zip")
        report = prepared.report
        assert report["column_mapping"] == {
            "plan_id": "BH",
            "name": "规划单",
            "status": "审批状",
            "approved_on": "批复日",
        }, cpg
        assert prepared.gdf is not None
        assert list(prepared.gdf["name"]) == ["金牛区控规单", "北区"]  # 20 bytes = 6⅔ characters
        assert list(prepared.gdf["status"]) == ["已批复", "已批复"]  # 9 bytes in a 10-byte field
        assert list(prepared.gdf["approved_on"]) == ["2019-03-05", "2020-01-02"]
        cut = {w["source"]: w for w in _warnings(report, "dbf_value_cut")}
        assert list(cut) == ["控规.zip: column 规划单"]
        assert "20 bytes" in cut["控规.zip: column 规划单"]["message"]
        names = {w["source"] for w in _warnings(report, "dbf_name_cut")}
        assert names == {
            "控规.zip: column 规划单",
            "控规.zip: column 审批状",
            "控规.zip: column 批复日",
        }


def test_encoding_choice_per_column_and_cut_values() -> None:
    """choose_dbf_encoding: a cut value does not contradict the .cpg; a column the .cpg cannot
    read gets its own codec when the .cpg reads the other Chinese columns, and the .cpg is
    still wrong (refused, as before) when it reads none of them."""
    name_utf8, status_gbk = "名称".encode(), "状态".encode("gbk")
    cut = _dbf([(b"MC", 10)], [["金牛区控规".encode("gbk")[:9]]])  # 4½ characters in 9 bytes
    assert cut[32 + 16] == 10  # the value fills less than the field: not cut by the limit
    assert choose_dbf_encoding(cut, "GBK").problem == "cpg_mismatch"
    full = _dbf([(b"MC", 9)], [["金牛区控规".encode("gbk")[:9]]])
    choice = choose_dbf_encoding(full, "GBK")
    assert (choice.codec, choice.problem, choice.column_codecs) == ("gbk", "", ())
    assert decode_dbf_text("金牛区控规".encode("gbk")[:9], "gbk", full=True) == ("金牛区控", True)
    mixed = _dbf(
        [(name_utf8, 20), (status_gbk, 10)],
        [["金牛区控规".encode(), "已批复".encode("gbk")]],
    )
    choice = choose_dbf_encoding(mixed, "UTF-8")
    assert (choice.codec, choice.how, choice.problem) == ("utf-8", "cpg", "")
    assert choice.column_codecs == ((status_gbk, "gb18030"),)
    only_gbk = _dbf([(b"MC", 20), (b"ZT", 10)], [[b"JN-01", "已批复".encode("gbk")]])
    choice = choose_dbf_encoding(only_gbk, "UTF-8")
    assert choice.problem == "cpg_mismatch" and choice.codec == "gb18030"
