"""Write the bad-upload corpus tests/data/bad_uploads/ from the real embedded data.

Each case is one real layer of the embedded OpenStreetMap extract (north Chengdu parks,
roads, residential land, sports grounds) with one thing wrong, or several at once.
``cases.json`` lists, per file: the layer kind it is uploaded as, the form fields, the
expected HTTP status and the problem codes every response must contain.

Run ``.venv/bin/python -m tests.upload.make_bad_uploads`` (or with ``--out DIR``);
the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_origin
from shapely.affinity import translate
from shapely.geometry import LineString, Point, Polygon

try:  # run as a module or imported by the tests
    from tests.upload.corpus import (
        FIXED_TIME,
        feature_collection,
        geojson_bytes,
        real_parks,
        real_pitches,
        real_residential,
        real_roads,
        shapefile_members,
        shapefile_zip,
        zip_bytes,
    )
except ModuleNotFoundError:  # pragma: no cover - imported as upload.make_bad_uploads
    from upload.corpus import (  # type: ignore[no-redef]
        FIXED_TIME,
        feature_collection,
        geojson_bytes,
        real_parks,
        real_pitches,
        real_residential,
        real_roads,
        shapefile_members,
        shapefile_zip,
        zip_bytes,
    )

OUT = Path(__file__).resolve().parents[1] / "data" / "bad_uploads"
Case = dict[str, Any]
CASES: list[tuple[Case, Callable[[], bytes]]] = []


def case(
    file: str,
    kind: str,
    status: int,
    codes: list[str],
    *,
    form: dict[str, str] | None = None,
    limits: dict[str, int] | None = None,
    what: str,
) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Register a builder of one bad file."""

    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        CASES.append(
            (
                {
                    "file": file,
                    "kind": kind,
                    "status": status,
                    "codes": codes,
                    "form": form or {},
                    "limits": limits or {},
                    "what": what,
                },
                build,
            )
        )
        return build

    return register


def _gk(gdf: gpd.GeoDataFrame, epsg: int = 4544) -> gpd.GeoDataFrame:
    return gdf.to_crs(epsg)


def _parks_zip(**kwargs: Any) -> bytes:
    return shapefile_zip(_gk(real_parks()), "公园", **kwargs)


# --- shapefile members, CRS and encoding -------------------------------------------------


@case("parks_no_prj.zip", "parks", 400, ["no_crs"], what="shapefile without .prj, no EPSG declared")
def _no_prj() -> bytes:
    return _parks_zip(drop=(".prj",))


@case("parks_no_shx.zip", "parks", 400, ["missing_member"], what="shapefile without .shx")
def _no_shx() -> bytes:
    return _parks_zip(drop=(".shx",))


@case("parks_no_dbf.zip", "parks", 400, ["missing_member"], what="shapefile without .dbf")
def _no_dbf() -> bytes:
    return _parks_zip(drop=(".dbf",))


@case("parks_no_shp.zip", "parks", 400, ["missing_member"], what="shapefile without .shp")
def _no_shp() -> bytes:
    return _parks_zip(drop=(".shp",))


@case(
    "parks_only_prj.zip",
    "parks",
    400,
    ["missing_member"],
    what="only .prj and .cpg: .shp .shx .dbf all missing",
)
def _only_prj() -> bytes:
    return _parks_zip(drop=(".shp", ".shx", ".dbf"))


@case(
    "parks_bad_prj.zip",
    "parks",
    400,
    ["unknown_crs"],
    what=".prj holding text that is no coordinate system",
)
def _bad_prj() -> bytes:
    return _parks_zip(replace={"公园.prj": b"this is not a projection"})


@case(
    "parks_no_prj_bad_epsg.zip",
    "parks",
    400,
    ["bad_declared_crs"],
    form={"epsg": "banana"},
    what="no .prj and a declared EPSG that is not a code",
)
def _bad_epsg() -> bytes:
    return _parks_zip(drop=(".prj",))


@case(
    "parks_cpg_says_utf8_but_gbk.zip",
    "parks",
    400,
    ["encoding_mismatch"],
    what="GBK attribute text with a .cpg saying UTF-8",
)
def _cpg_mismatch() -> bytes:
    return _parks_zip(replace={"公园.cpg": b"UTF-8"})


@case(
    "parks_cpg_unknown.zip",
    "parks",
    400,
    ["encoding_unknown"],
    what=".cpg naming an unknown code page",
)
def _cpg_unknown() -> bytes:
    return _parks_zip(replace={"公园.cpg": b"KLINGON-9"})


@case(
    "parks_undecodable_text.zip",
    "parks",
    400,
    ["encoding_undetected"],
    what="attribute bytes valid in neither UTF-8 nor GBK, no .cpg",
)
def _undecodable() -> bytes:
    parks = _gk(real_parks()).copy()
    parks = gpd.GeoDataFrame(
        {"name": [f"QQ{i:02d}" for i in range(len(parks))]},
        geometry=parks.geometry.values,
        crs=parks.crs,
    )
    members = shapefile_members(parks, "parks", encoding="UTF-8")
    members.pop("parks.cpg", None)
    members["parks.dbf"] = members["parks.dbf"].replace(b"QQ", b"\xff\xfe")  # no UTF-8, no GBK
    return zip_bytes(members)


@case(
    "parks_zone_prefix_missing_in_prj.zip",
    "parks",
    400,
    ["bad_coordinates"],
    what="zone-prefixed x (35xxxxxx) with a .prj for EPSG:4544 (no prefix)",
)
def _zone_prefix() -> bytes:
    prj_4544 = shapefile_members(_gk(real_parks(), 4544), "x")["x.prj"]
    return _parks_zip_in(4523, replace_prj=prj_4544)


def _parks_zip_in(epsg: int, replace_prj: bytes | None = None) -> bytes:
    parks = _gk(real_parks(), epsg)
    replace = {"公园.prj": replace_prj} if replace_prj else None
    return shapefile_zip(parks, "公园", replace=replace)


@case(
    "parks_gcj02_on_projected.zip",
    "parks",
    400,
    ["bad_coord_system"],
    form={"coord_system": "gcj02"},
    what="GCJ-02 declared for data in a projected GK CRS",
)
def _gcj_projected() -> bytes:
    return _parks_zip()


# --- geometry -----------------------------------------------------------------------------


@case(
    "parks_as_points.geojson",
    "parks",
    400,
    ["wrong_geometry_type"],
    what="park centroids (points) as parks",
)
def _points() -> bytes:
    parks = real_parks().copy()
    parks["geometry"] = parks.to_crs(4544).centroid.to_crs(4326)
    return geojson_bytes(parks)


@case(
    "roads_as_polygons.zip",
    "roads",
    400,
    ["wrong_geometry_type", "missing_column"],
    what="residential polygons uploaded as roads (wrong type, no class column)",
)
def _roads_polygons() -> bytes:
    return shapefile_zip(_gk(real_residential()), "roads")


@case(
    "parks_empty.geojson",
    "parks",
    400,
    ["empty_layer"],
    what="a FeatureCollection with no features",
)
def _empty() -> bytes:
    return feature_collection([])


@case(
    "parks_null_geometry.geojson",
    "parks",
    400,
    ["missing_geometry"],
    what="features without geometry",
)
def _null_geometry() -> bytes:
    doc = json.loads(geojson_bytes(real_parks()))
    for feature in doc["features"][:3]:
        feature["geometry"] = None
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


@case(
    "parks_outside_county.geojson",
    "parks",
    400,
    ["outside_county"],
    what="the real parks moved 800 km to Zhengzhou (outside the county)",
)
def _outside() -> bytes:
    parks = real_parks().copy()
    parks["geometry"] = [translate(g, xoff=9.6, yoff=4.0) for g in parks.geometry]
    return geojson_bytes(parks)


@case(
    "parks_projected_coords_no_crs.geojson",
    "parks",
    400,
    ["crs_mismatch"],
    what="GeoJSON with GK metres but no crs member (read as longitude/latitude)",
)
def _projected_geojson() -> bytes:
    parks = _gk(real_parks())
    doc = json.loads(parks.to_json(ensure_ascii=False, drop_id=True))
    doc.pop("crs", None)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


# --- attributes ----------------------------------------------------------------------------


def _plans(dates: list[str], status: str = "已批复") -> gpd.GeoDataFrame:
    res = real_residential().iloc[: len(dates)].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "编号": [f"JN-{i:02d}" for i in range(len(dates))],
            "名称": [f"控规单元{i}" for i in range(len(dates))],
            "状态": status,
            "批复日期": dates,
        },
        geometry=res.geometry.values,
        crs=4326,
    )


@case(
    "plans_bad_dates.geojson",
    "plans",
    400,
    ["bad_date"],
    what="approval dates 2019-13-45, 2019-02-30, 昨天",
)
def _bad_dates() -> bytes:
    return geojson_bytes(_plans(["2019-03-05", "2019-13-45", "2019-02-30", "昨天", "2018年7月1日"]))


@case(
    "plans_missing_columns.geojson",
    "plans",
    400,
    ["missing_column"],
    what="plans with only a name column",
)
def _plans_missing() -> bytes:
    return geojson_bytes(_plans(["2019-03-05"] * 3)[["名称", "geometry"]])


@case(
    "plans_bad_mapping.geojson",
    "plans",
    400,
    ["bad_mapping"],
    form={"map.plan_id": "DYBH_NOT_THERE"},
    what="a column mapping naming a column the file does not have",
)
def _bad_mapping() -> bytes:
    return geojson_bytes(_plans(["2019-03-05"] * 3))


def _disclosures(public: list[Any], types: list[str]) -> gpd.GeoDataFrame:
    pts = real_parks().to_crs(4544).centroid.to_crs(4326).iloc[: len(public)]
    return gpd.GeoDataFrame(
        {
            "类型": types,
            "标题": [f"公示{i}" for i in range(len(public))],
            "文号": "金规〔2020〕1号",
            "日期": "2020-05-01",
            "机关": "金牛区规划局",
            "是否公开": public,
        },
        geometry=pts.values,
        crs=4326,
    )


@case(
    "disclosures_bad_values.geojson",
    "disclosures",
    400,
    ["bad_bool", "bad_disclosure_type"],
    what="public flag 'maybe' and an unknown record type",
)
def _disclosure_values() -> bytes:
    return geojson_bytes(_disclosures(["是", "maybe", "否"], ["编制", "审批", "闲聊"]))


@case(
    "disclosures_required_empty.geojson",
    "disclosures",
    400,
    ["missing_value"],
    what="required title and public flag left empty",
)
def _disclosure_empty() -> bytes:
    gdf = _disclosures(["是", "否", "是"], ["编制", "审批", "修改"])
    gdf.loc[1, "标题"] = ""
    gdf.loc[2, "是否公开"] = None
    return geojson_bytes(gdf)


@case(
    "projects_bad_numbers.geojson",
    "projects",
    400,
    ["bad_number", "bad_pct"],
    what="investment 很多 and progress 150%",
)
def _project_numbers() -> bytes:
    pts = real_pitches().to_crs(4544).centroid.to_crs(4326).iloc[:3]
    gdf = gpd.GeoDataFrame(
        {
            "项目名称": ["体育中心", "公园提升", "道路改造"],
            "项目类别": "公共服务",
            "总投资": ["1200", "很多", "300万元"],
            "进度": ["45%", "150%", "10"],
        },
        geometry=pts.values,
        crs=4326,
    )
    return geojson_bytes(gdf)


@case(
    "roads_unknown_class.zip", "roads", 400, ["bad_road_class"], what="road class 乡间小道 / 'fast'"
)
def _road_class() -> bytes:
    roads = _gk(real_roads()).iloc[:40].copy()
    roads.loc[roads.index[:3], "道路等级"] = ["乡间小道", "fast", "???"]
    return shapefile_zip(roads, "道路")


# --- archive safety --------------------------------------------------------------------------


def _raw_zip(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def _info(name: str, mode: int = 0o644 | stat.S_IFREG) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@case(
    "zip_path_traversal.zip",
    "parks",
    400,
    ["zip_path_traversal"],
    what="a member named ../../evil.shp",
)
def _traversal() -> bytes:
    members = shapefile_members(_gk(real_parks()), "parks")
    entries = [(_info(k), v) for k, v in members.items()]
    entries.append((_info("../../evil.shp"), members["parks.shp"]))
    return _raw_zip(entries)


@case(
    "zip_absolute_path.zip",
    "parks",
    400,
    ["zip_absolute_path"],
    what="a member named /etc/cron.d/x",
)
def _absolute() -> bytes:
    members = shapefile_members(_gk(real_parks()), "parks")
    entries = [(_info(k), v) for k, v in members.items()]
    entries.append((_info("/etc/cron.d/x"), b"* * * * * root true\n"))
    return _raw_zip(entries)


@case(
    "zip_symlink.zip",
    "parks",
    400,
    ["zip_link"],
    what="parks.dbf is a symbolic link to /etc/passwd",
)
def _symlink() -> bytes:
    members = shapefile_members(_gk(real_parks()), "parks")
    entries = [(_info(k), v) for k, v in members.items() if not k.endswith(".dbf")]
    entries.append((_info("parks.dbf", 0o777 | stat.S_IFLNK), b"/etc/passwd"))
    return _raw_zip(entries)


@case(
    "zip_bomb.zip", "parks", 400, ["zip_ratio"], what="a 40 MB member of zeros packed into ~40 KB"
)
def _bomb() -> bytes:
    members = shapefile_members(_gk(real_parks()), "parks")
    entries = [(_info(k), v) for k, v in members.items()]
    entries.append((_info("padding.txt"), bytes(40 * 1024 * 1024)))
    return _raw_zip(entries)


@case("zip_too_many_members.zip", "parks", 400, ["zip_too_many_members"], what="250 members")
def _many() -> bytes:
    members = shapefile_members(_gk(real_parks()), "parks")
    entries = [(_info(k), v) for k, v in members.items()]
    entries += [(_info(f"notes/{i:03d}.txt"), b"x") for i in range(250)]
    return _raw_zip(entries)


@case(
    "zip_nested.zip", "parks", 400, ["zip_nested_archive"], what="the shapefile zipped inside a zip"
)
def _nested() -> bytes:
    return zip_bytes({"inner.zip": _parks_zip()})


@case(
    "zip_declares_600MB.zip",
    "parks",
    400,
    ["zip_too_large"],
    what="central directory claims a 600 MB member (forged header, stopped before extraction)",
)
def _forged_large() -> bytes:
    data = _raw_zip(
        [(_info(k), v) for k, v in shapefile_members(_gk(real_parks()), "parks").items()]
    )
    return _patch_central_size(data, "parks.dbf", 600 * 1024 * 1024)


@case(
    "zip_header_lies_small.zip",
    "parks",
    400,
    ["zip_corrupt"],
    what="a member inflating past the 100 bytes its header declares: "
    "extraction stops at 100 bytes, CRC refuses it",
)
def _forged_small() -> bytes:
    data = _raw_zip(
        [(_info(k), v) for k, v in shapefile_members(_gk(real_parks()), "parks").items()]
    )
    return _patch_central_size(data, "parks.shp", 100)


def _patch_central_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size of ``member`` in the central directory and local header."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    local = info.header_offset
    struct.pack_into("<I", buf, local + 22, size)
    name = member.encode()
    pos = buf.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + name_len]) == name:
            struct.pack_into("<I", buf, pos + 24, size)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    return bytes(buf)


@case(
    "zip_encrypted_flag.zip",
    "parks",
    400,
    ["zip_encrypted"],
    what="members flagged as password-protected",
)
def _encrypted() -> bytes:
    buf = bytearray(_parks_zip())
    pos = buf.find(b"PK\x01\x02")
    while pos != -1:
        flags = struct.unpack_from("<H", buf, pos + 8)[0]
        struct.pack_into("<H", buf, pos + 8, flags | 0x1)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    return bytes(buf)


@case("zip_duplicate_members.zip", "parks", 400, ["zip_duplicate_member"], what="parks.dbf twice")
def _duplicate() -> bytes:
    members = shapefile_members(_gk(real_parks()), "parks")
    entries = [(_info(k), v) for k, v in members.items()]
    entries.append((_info("PARKS.DBF"), members["parks.dbf"]))
    return _raw_zip(entries)


@case("zip_truncated.zip", "parks", 400, ["zip_corrupt"], what="the archive cut in half")
def _truncated() -> bytes:
    data = _parks_zip()
    return data[: len(data) // 2]


@case("text_renamed.zip", "parks", 400, ["bad_file"], what="a text file renamed to .zip")
def _renamed() -> bytes:
    return "公园名单：人民公园、九道堰公园\n".encode()


@case(
    "zip_without_layer.zip",
    "parks",
    400,
    ["no_layer_in_zip"],
    what="a zip holding only a spreadsheet",
)
def _no_layer() -> bytes:
    return zip_bytes({"parks.csv": "名称,面积\n九道堰公园,12000\n".encode()})


@case(
    "two_shapefiles.zip",
    "parks",
    400,
    ["several_layers"],
    what="parks and roads in one zip, none chosen",
)
def _two() -> bytes:
    members = shapefile_members(_gk(real_parks()), "parks")
    members.update(shapefile_members(_gk(real_roads()).iloc[:20], "roads"))
    return zip_bytes(members)


# --- formats --------------------------------------------------------------------------------


@case(
    "parks.shp", "parks", 400, ["unsupported_format"], what="a bare .shp without its other members"
)
def _bare_shp() -> bytes:
    return shapefile_members(_gk(real_parks()), "parks")["parks.shp"]


@case("parks.kml", "parks", 400, ["unsupported_format"], what="KML is not an accepted format")
def _kml() -> bytes:
    return b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'


@case("parks_truncated.geojson", "parks", 400, ["bad_json"], what="GeoJSON cut off mid-way")
def _bad_json() -> bytes:
    data = geojson_bytes(real_parks())
    return data[: len(data) // 2]


@case(
    "several_layers.gpkg",
    "parks",
    400,
    ["choose_layer"],
    what="GeoPackage with parks and roads, none chosen",
)
def _gpkg_several() -> bytes:
    return _gpkg({"parks": real_parks().iloc[:6], "roads": real_roads().iloc[:10]})


@case(
    "gpkg_wrong_layer.gpkg",
    "parks",
    400,
    ["layer_not_found"],
    form={"layer": "绿地"},
    what="GeoPackage layer chosen that does not exist",
)
def _gpkg_wrong() -> bytes:
    return _gpkg({"parks": real_parks().iloc[:6]})


@case("gpkg_no_crs.gpkg", "parks", 400, ["no_crs"], what="GeoPackage layer with an undefined SRS")
def _gpkg_no_crs() -> bytes:
    return _gpkg({"parks": _gk(real_parks().iloc[:6]).set_crs(None, allow_override=True)})


def _gpkg(layers: dict[str, gpd.GeoDataFrame]) -> bytes:
    import tempfile
    import warnings

    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.gpkg"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, gdf in layers.items():
                pyogrio.write_dataframe(
                    gdf, path, layer=name, driver="GPKG", layer_options={"SPATIAL_INDEX": "NO"}
                )
        con = sqlite3.connect(path)
        con.execute("UPDATE gpkg_contents SET last_change = '2024-01-01T00:00:00.000Z'")
        con.commit()
        con.execute("PRAGMA page_size = 512")
        con.execute("VACUUM")
        con.close()
        return path.read_bytes()


def _population(values: np.ndarray, crs: str | None) -> bytes:
    buf = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profile = {
            "driver": "GTiff",
            "width": values.shape[1],
            "height": values.shape[0],
            "count": 1,
            "dtype": "float32",
            "transform": from_origin(410_000, 3_406_000, 100, 100),
            "nodata": -1.0,
        }
        if crs:
            profile["crs"] = crs
        with rasterio.MemoryFile() as mem:
            with mem.open(**profile) as dst:
                dst.write(values.astype("float32"), 1)
            buf.write(mem.read())
    return buf.getvalue()


@case(
    "population_no_crs.tif", "population", 400, ["no_crs"], what="population GeoTIFF without a CRS"
)
def _pop_no_crs() -> bytes:
    return _population(np.full((20, 30), 50.0), None)


@case(
    "population_negative.tif", "population", 400, ["bad_number"], what="negative population cells"
)
def _pop_negative() -> bytes:
    values = np.full((20, 30), 50.0)
    values[3:5, 3:5] = -20.0
    return _population(values, "EPSG:4544")


@case(
    "population_as_geojson.geojson",
    "population",
    400,
    ["unsupported_format"],
    what="residential areas uploaded as the population raster",
)
def _pop_geojson() -> bytes:
    return geojson_bytes(real_residential())


# --- limits ---------------------------------------------------------------------------------


@case(
    "parks_over_size_limit.zip",
    "parks",
    413,
    ["file_too_large"],
    limits={"max_file_bytes": 4096},
    what="a file over the configured upload size (limit set to 4 KB)",
)
def _too_big() -> bytes:
    return _parks_zip()


@case(
    "roads_over_feature_limit.geojson",
    "roads",
    400,
    ["too_many_features"],
    limits={"max_features": 50},
    what="more features than the configured limit (50)",
)
def _too_many() -> bytes:
    return geojson_bytes(real_roads().iloc[:60])


# --- combinations -----------------------------------------------------------------------------


@case(
    "combo_plans_gbk_cpg_wrong_no_prj.zip",
    "plans",
    400,
    ["encoding_mismatch", "no_crs", "missing_column"],
    what="plans: .cpg says UTF-8 for GBK text, no .prj, no plan id or status columns",
)
def _combo1() -> bytes:
    plans = _gk(_plans(["2019-03-05"] * 4))[["名称", "批复日期", "geometry"]]
    return shapefile_zip(plans, "控规", drop=(".prj",), replace={"控规.cpg": b"UTF-8"})


@case(
    "combo_disclosures_everything.geojson",
    "disclosures",
    400,
    ["wrong_geometry_type", "outside_county", "bad_date", "bad_bool", "missing_column"],
    what="disclosures as lines, far away, with bad dates, bad flags and no title",
)
def _combo2() -> bytes:
    feats = []
    for i, (d, p) in enumerate([("2020-05-01", "是"), ("2020-02-31", "?"), ("明天", "否")]):
        line = LineString([(113.6 + i * 0.01, 34.7), (113.61 + i * 0.01, 34.71)])
        feats.append(
            {
                "type": "Feature",
                "properties": {"类型": "审批", "日期": d, "是否公开": p},
                "geometry": line.__geo_interface__,
            }
        )
    return feature_collection(feats)


@case(
    "combo_zip_traversal_and_bomb.zip",
    "parks",
    400,
    ["zip_path_traversal", "zip_ratio", "zip_nested_archive"],
    what="traversal, a bomb member and a nested archive in one file: all three reported",
)
def _combo3() -> bytes:
    entries = [
        (_info("../up.txt"), b"x"),
        (_info("zeros.bin"), bytes(20 * 1024 * 1024)),
        (_info("more.zip"), b"PK\x05\x06" + bytes(18)),
    ]
    return _raw_zip(entries)


@case(
    "combo_parks_bowtie_and_points.geojson",
    "parks",
    400,
    ["wrong_geometry_type", "missing_geometry"],
    what="a self-intersecting park (repaired, warned) plus points and a null geometry",
)
def _combo4() -> bytes:
    parks = real_parks().iloc[:4].copy().reset_index(drop=True)
    c = parks.to_crs(4544).centroid.to_crs(4326)
    x, y = c.iloc[0].x, c.iloc[0].y
    bowtie = Polygon([(x, y), (x + 0.002, y + 0.002), (x + 0.002, y), (x, y + 0.002)])
    geoms = [bowtie, Point(x, y), None, parks.geometry.iloc[3]]
    return geojson_bytes(gpd.GeoDataFrame(parks.drop(columns="geometry"), geometry=geoms, crs=4326))


def write_all(out: Path = OUT) -> list[Case]:
    """Write every case into ``out`` with ``cases.json``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for meta, build in CASES:
        data = build()
        (out / meta["file"]).write_bytes(data)
        manifest.append({**meta, "bytes": len(data)})
    (out / "cases.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


def main() -> None:
    """Command line: write the corpus."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    manifest = write_all(args.out)
    print(f"{len(manifest)} bad uploads written to {args.out}")


if __name__ == "__main__":
    main()
