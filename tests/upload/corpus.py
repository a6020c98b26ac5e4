"""Real layers from the embedded OpenStreetMap extract, and writers of upload files.

Everything here starts from ``data/osm/chengdu_jinniu_xindu.osm.bz2`` (© OpenStreetMap
contributors, ODbL), read with GDAL's OSM driver, so the bad and good uploads are real
county data with one thing wrong (or nothing).
"""

from __future__ import annotations

import atexit
import bz2
import io
import json
import re
import shutil
import tempfile
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pyogrio

ROOT = Path(__file__).resolve().parents[2]
OSM_BZ2 = ROOT / "data" / "osm" / "chengdu_jinniu_xindu.osm.bz2"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
# Chinese class names as a county's road survey would write them.
ROAD_CLASS_ZH = {
    "trunk": "快速路",
    "trunk_link": "快速路",
    "primary": "主干路",
    "primary_link": "主干路",
    "secondary": "次干路",
    "secondary_link": "次干路",
    "tertiary": "支路",
    "tertiary_link": "支路",
    "residential": "支路",
    "unclassified": "支路",
    "service": "其他",
}


@lru_cache(maxsize=1)
def _osm_path() -> Path:
    """The extract decompressed (0.2 s) into a folder of this process alone, removed at exit.

    Not a shared file in the machine's temp folder: another run writing it at the same moment,
    or a run killed mid-write, would hand this one a cut-off extract.
    """
    folder = Path(tempfile.mkdtemp(prefix="gis-upload-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    out = folder / "chengdu.osm"
    out.write_bytes(bz2.decompress(OSM_BZ2.read_bytes()))
    return out


def _read_osm(layer: str) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(_osm_path(), layer=layer)


@lru_cache(maxsize=1)
def real_parks() -> gpd.GeoDataFrame:
    """The 19 leisure=park areas of the extract: columns 名称, 类型 (EPSG:4326)."""
    mp = _read_osm("multipolygons")
    parks = mp[mp["leisure"] == "park"].reset_index(drop=True)
    names = [n if isinstance(n, str) else f"公园{i + 1}" for i, n in enumerate(parks["name"])]
    return gpd.GeoDataFrame(
        {"名称": names, "类型": "公园"}, geometry=parks.geometry.values, crs=4326
    )


@lru_cache(maxsize=1)
def real_roads() -> gpd.GeoDataFrame:
    """Urban roads of the extract: columns 名称, 道路等级, 单行 (是/否); EPSG:4326."""
    lines = _read_osm("lines")
    roads = lines[lines["highway"].isin(list(ROAD_CLASS_ZH))].reset_index(drop=True)
    names = [n if isinstance(n, str) else "" for n in roads["name"]]
    oneway = [
        "是" if re.search(r'"oneway"=>"(yes|1|true|-1)"', t if isinstance(t, str) else "") else "否"
        for t in roads["other_tags"]
    ]
    return gpd.GeoDataFrame(
        {"名称": names, "道路等级": [ROAD_CLASS_ZH[h] for h in roads["highway"]], "单行": oneway},
        geometry=roads.geometry.values,
        crs=4326,
    )


@lru_cache(maxsize=1)
def real_residential() -> gpd.GeoDataFrame:
    """landuse=residential areas of the extract (EPSG:4326)."""
    mp = _read_osm("multipolygons")
    res = mp[mp["landuse"] == "residential"].reset_index(drop=True)
    names = [n if isinstance(n, str) else "" for n in res["name"]]
    return gpd.GeoDataFrame({"名称": names}, geometry=res.geometry.values, crs=4326)


@lru_cache(maxsize=1)
def real_pitches() -> gpd.GeoDataFrame:
    """leisure=pitch|sports_centre|... areas (EPSG:4326)."""
    mp = _read_osm("multipolygons")
    sports = mp[mp["leisure"].isin(["pitch", "sports_centre", "swimming_pool", "sports_hall"])]
    sports = sports.reset_index(drop=True)
    names = [n if isinstance(n, str) else "" for n in sports["name"]]
    return gpd.GeoDataFrame(
        {"名称": names, "类型": list(sports["leisure"])}, geometry=sports.geometry.values, crs=4326
    )


def shapefile_members(
    gdf: gpd.GeoDataFrame, stem: str, *, encoding: str = "GBK"
) -> dict[str, bytes]:
    """The members of a shapefile written by GDAL (``.shp .shx .dbf .prj .cpg``) as bytes.

    The .dbf header holds the fixed date :data:`FIXED_TIME`, not today's (reproducible bytes).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.shp"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(gdf, path, encoding=encoding)
        members = {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir())}
    return {n: _fixed_dbf_date(d) if n.endswith(".dbf") else d for n, d in members.items()}


def _fixed_dbf_date(dbf: bytes) -> bytes:
    """The .dbf with :data:`FIXED_TIME`'s day in its header (bytes 1-3, YY MM DD since 1900).

    GDAL writes the day the file was made there, so without this a file written today differs
    from the same file written tomorrow.
    """
    year, month, day = FIXED_TIME[:3]
    return dbf[:1] + bytes([year - 1900, month, day]) + dbf[4:]


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``members`` with fixed timestamps (reproducible bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def shapefile_zip(
    gdf: gpd.GeoDataFrame,
    stem: str,
    *,
    encoding: str = "GBK",
    drop: tuple[str, ...] = (),
    replace: dict[str, bytes] | None = None,
) -> bytes:
    """A zipped shapefile, optionally without members (``drop=(".prj",)``) or some replaced."""
    members = shapefile_members(gdf, stem, encoding=encoding)
    members = {k: v for k, v in members.items() if not k.endswith(drop)}
    for name, data in (replace or {}).items():
        members[name] = data
    return zip_bytes(members)


def geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    """GeoJSON (RFC 7946, EPSG:4326) text of ``gdf``."""
    return gdf.to_crs(4326).to_json(ensure_ascii=False, drop_id=True).encode("utf-8")


def feature_collection(features: list[dict]) -> bytes:  # type: ignore[type-arg]
    """A hand-written FeatureCollection."""
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False
    ).encode("utf-8")
