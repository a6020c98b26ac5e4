"""Units of the upload path: China coordinate conversions, forgiving CRS parsing (Esri .prj),
encoding detection, column mapping and value parsing, zip limits; with hypothesis properties."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gis.chinacrs import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    normalise_coord_system,
    parse_declared_crs,
    parse_prj,
    wgs84_to_bd09,
    wgs84_to_gcj02,
    zone_prefix_hint,
)
from gis.encoding import choose_dbf_encoding, codec_from_cpg, dbf_text_bytes
from gis.errors import ProblemCollector
from gis.upload import SCHEMAS, parse_bool, parse_date, parse_road_class, resolve_columns
from gis.upload.zipsafe import ZipLimits, inspect_zip
from tests.upload.corpus import real_parks, shapefile_members

GEOD = Geod(ellps="WGS84")
CHINA_LON = st.floats(min_value=74.0, max_value=134.0)
CHINA_LAT = st.floats(min_value=18.5, max_value=53.0)

# What ArcGIS writes for CGCS2000 / 3-degree GK CM 105E and Xian 1980 / 3-degree GK zone 38.
ESRI_CGCS2000_CM105 = (
    'PROJCS["CGCS2000_3_Degree_GK_CM_105E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
ESRI_XIAN80_ZONE38 = (
    'PROJCS["Xian_1980_3_Degree_GK_Zone_38",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",'
    'SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],'
    'UNIT["Meter",1.0]]'
)
ESRI_GCS_CGCS2000 = (
    'GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",'
    'SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]]'
)


@pytest.mark.parametrize(
    ("text", "epsg"),
    [
        (ESRI_CGCS2000_CM105, 4544),
        (ESRI_XIAN80_ZONE38, 2362),
        (ESRI_GCS_CGCS2000, 4490),
        ("4547", 4547),
    ],
)
def test_esri_prj_maps_to_epsg(text: str, epsg: int) -> None:
    crs = parse_prj(text)
    assert crs is not None and crs.to_epsg() == epsg


def test_declared_crs_spellings() -> None:
    for text in ("4523", "EPSG:4523", "epsg 4523", " EPSG：4523 "):
        assert parse_declared_crs(text).to_epsg() == 4523  # type: ignore[union-attr]
    for text in ("", "4x", "EPSG:99999999", "GCJ-02"):
        assert parse_declared_crs(text) is None
    assert [normalise_coord_system(t) for t in ("gcj-02", "GCJ02", "bd09ll", "wgs84")] == [
        "gcj02",
        "gcj02",
        "bd09",
        "wgs84",
    ]


@settings(max_examples=200, deadline=None)
@given(CHINA_LON, CHINA_LAT)
def test_gcj02_round_trip_and_offset(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    _, _, offset_m = GEOD.inv(lon, lat, glon[0], glat[0])
    assert 1.0 < offset_m < 1000.0  # the obfuscation moves every point, by up to several hundred m
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    _, _, error_m = GEOD.inv(lon, lat, back_lon[0], back_lat[0])
    assert error_m < 0.01


@settings(max_examples=100, deadline=None)
@given(CHINA_LON, CHINA_LAT)
def test_bd09_round_trip(lon: float, lat: float) -> None:
    blon, blat = wgs84_to_bd09(np.array([lon]), np.array([lat]))
    back_lon, back_lat = bd09_to_wgs84(blon, blat)
    _, _, error_m = GEOD.inv(lon, lat, back_lon[0], back_lat[0])
    assert error_m < 0.05


def test_gcj02_known_point() -> None:
    """Tiananmen (WGS84 116.391349, 39.907375) is at GCJ-02 116.397590, 39.908779 on Amap."""
    glon, glat = wgs84_to_gcj02(np.array([116.391349]), np.array([39.907375]))
    assert glon[0] == pytest.approx(116.397590, abs=2e-5) and glat[0] == pytest.approx(
        39.908779, abs=2e-5
    )


def test_zone_prefix_hints_both_ways() -> None:
    assert "EPSG:4523" in zone_prefix_hint(35_410_000.0, 4544)
    assert "EPSG:4544" in zone_prefix_hint(410_000.0, 4523)
    assert zone_prefix_hint(410_000.0, 4544) == "" and zone_prefix_hint(
        35_410_000.0, 4523
    ).startswith("x")


CHINESE = st.text(
    alphabet=st.sampled_from(list("公园绿地道路人民体育场主干次支路规划批复控规一二三")),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(CHINESE, min_size=1, max_size=4), st.sampled_from(["GBK", "UTF-8"]), st.booleans())
def test_dbf_encoding_detected_or_from_cpg(names: list[str], encoding: str, with_cpg: bool) -> None:
    parks = real_parks().iloc[: len(names)].to_crs(4544).copy()
    parks["名称"] = names
    members = shapefile_members(parks[["名称", "geometry"]], "p", encoding=encoding)
    dbf = members["p.dbf"]
    cpg = members["p.cpg"].decode() if with_cpg else None
    choice = choose_dbf_encoding(dbf, cpg)
    assert choice.problem == "" and choice.codec is not None
    assert choice.how == ("cpg" if with_cpg else "detected")
    texts = dbf_text_bytes(dbf).decode(choice.codec).split("\n")
    assert [t.strip() for t in texts] == names


def test_cpg_contradicting_the_bytes_is_a_problem() -> None:
    parks = real_parks().iloc[:3].to_crs(4544)[["名称", "geometry"]]
    dbf = shapefile_members(parks, "p", encoding="GBK")["p.dbf"]
    assert choose_dbf_encoding(dbf, "UTF-8").problem == "cpg_mismatch"
    assert choose_dbf_encoding(dbf, "65001").problem == "cpg_mismatch"
    assert choose_dbf_encoding(dbf, "936").problem == "" and codec_from_cpg("936") == "gbk"


def test_columns_map_from_chinese_english_and_pinyin_abbreviations() -> None:
    problems = ProblemCollector()
    assert resolve_columns(
        ["编号", "MC", "ZT", "批复日期"], SCHEMAS["plans"], {}, label="x", problems=problems
    ) == {"plan_id": "编号", "name": "MC", "status": "ZT", "approved_on": "批复日期"}
    assert (
        resolve_columns(
            ["DYBH", "NAME", "SPZT"],
            SCHEMAS["plans"],
            {"status": "SPZT"},
            label="x",
            problems=problems,
        )["status"]
        == "SPZT"
    )
    assert problems.problems == []


@pytest.mark.parametrize("bad", ["2019-13-01", "2019-02-29", "1899-01-01", "明天", "2019"])
def test_bad_dates(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_date(bad)


def test_values() -> None:
    assert parse_date("2020-02-29") == "2020-02-29"
    assert [parse_road_class(v) for v in ("快速路", "trunk_link", "支路", "track")] == [
        "expressway",
        "expressway",
        "branch",
        "other",
    ]
    with pytest.raises(ValueError):
        parse_bool("也许")


def _zip(entries: list[tuple[str, bytes]]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    path = Path(tempfile.mkdtemp()) / "a.zip"
    path.write_bytes(buf.getvalue())
    return path


def _codes(path: Path, limits: ZipLimits) -> set[str]:
    problems = ProblemCollector()
    inspect_zip(path, limits=limits, label="a.zip", problems=problems)
    return {p.code for p in problems.problems}


def test_zip_limits_at_the_edge() -> None:
    path = _zip([(f"f{i}.txt", b"x") for i in range(10)])
    assert _codes(path, ZipLimits(max_members=10)) == set()
    assert _codes(path, ZipLimits(max_members=9)) == {"zip_too_many_members"}
    zeros = _zip([("z.bin", bytes(2 * 1024 * 1024))])  # deflates about 1000:1
    assert _codes(zeros, ZipLimits(max_ratio=2000)) == set()
    assert _codes(zeros, ZipLimits(max_ratio=100)) == {"zip_ratio"}
    mib2 = 2 * 1024 * 1024
    assert _codes(zeros, ZipLimits(max_total_bytes=mib2, max_ratio=2000)) == set()
    assert _codes(zeros, ZipLimits(max_total_bytes=mib2 - 1, max_ratio=2000)) == {"zip_too_large"}
