"""China-specific coordinates: GCJ-02 / BD-09 ⇄ WGS84, and forgiving CRS parsing.

GCJ-02 (国测局坐标, used by Amap/高德, Tencent) and BD-09 (百度) are
obfuscated longitude/latitude systems offset by 300–600 m from WGS84.  They
have no EPSG code, so a file cannot say it is in them: the uploader must
declare it, and only then are coordinates converted (never guessed).

The forward transform WGS84 → GCJ-02 is the published polynomial; the inverse
is solved by fixed-point iteration to well under a centimetre.  BD-09 is a
further rotation/scaling of GCJ-02.

CRS parsing accepts an EPSG code typed by the uploader (``4544``,
``EPSG:4544``, ``epsg 4544``), common names (``CGCS2000``, ``WGS84``) and
ESRI-style .prj text (pyproj reads ESRI WKT; names such as
``CGCS2000_3_Degree_GK_CM_105E`` are matched to their EPSG code).
"""

from __future__ import annotations

import math
import re

import numpy as np
import numpy.typing as npt
from pyproj import CRS
from pyproj.exceptions import CRSError

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

FloatArray = npt.NDArray[np.float64]

COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS84 longitude/latitude (degrees) → GCJ-02.

    >>> lon, lat = wgs84_to_gcj02(np.array([104.07]), np.array([30.77]))
    >>> bool(0.001 < abs(lon[0] - 104.07) < 0.01)
    True
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: FloatArray, lat: FloatArray, *, iterations: int = 8
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS84 by fixed-point iteration (error < 1e-9 degrees after a few steps).

    >>> x, y = wgs84_to_gcj02(np.array([113.6]), np.array([34.75]))
    >>> bx, by = gcj02_to_wgs84(x, y)
    >>> bool(abs(bx[0] - 113.6) < 1e-8 and abs(by[0] - 34.75) < 1e-8)
    True
    """
    glon = np.asarray(lon, dtype="float64")
    glat = np.asarray(lat, dtype="float64")
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon = wlon - (tlon - glon)
        wlat = wlat - (tlat - glat)
    return wlon, wlat


def gcj02_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → BD-09 (Baidu longitude/latitude)."""
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: FloatArray, lat: FloatArray, *, iterations: int = 4
) -> tuple[FloatArray, FloatArray]:
    """BD-09 → GCJ-02: the published inverse, refined by fixed-point iteration (< 1 mm).

    >>> x, y = gcj02_to_bd09(np.array([104.07]), np.array([30.77]))
    >>> gx, gy = bd09_to_gcj02(x, y)
    >>> bool(abs(gx[0] - 104.07) < 1e-5 and abs(gy[0] - 30.77) < 1e-5)
    True
    """
    blon = np.asarray(lon, dtype="float64")
    blat = np.asarray(lat, dtype="float64")
    x, y = blon - 0.0065, blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(iterations):
        tlon, tlat = gcj02_to_bd09(glon, glat)
        glon, glat = glon - (tlon - blon), glat - (tlat - blat)
    return glon, glat


def bd09_to_wgs84(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """BD-09 → WGS84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS84 → BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def to_wgs84_function(coord_system: str):  # type: ignore[no-untyped-def]
    """A vectorised ``f(xy: (n, 2) array) -> (n, 2) array`` converting ``coord_system`` to WGS84.

    Suitable for :func:`shapely.transform`.  ``"wgs84"`` returns ``None`` (no change).
    """
    funcs = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
    if coord_system == "wgs84":
        return None
    func = funcs[coord_system]

    def convert(xy: FloatArray) -> FloatArray:
        lon, lat = func(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return convert


def normalise_coord_system(text: str | None) -> str | None:
    """``"gcj02"``, ``"bd09"``, ``"wgs84"`` for the many ways of writing them; ``None`` if unknown.

    >>> [normalise_coord_system(t) for t in ("GCJ-02", "高德", "BD-09", "百度", "", None, "x")]
    ['gcj02', 'gcj02', 'bd09', 'bd09', 'wgs84', 'wgs84', None]
    """
    if text is None:
        return "wgs84"
    key = re.sub(r"[\s_\-]", "", text).lower()
    if key in ("", "none", "wgs84", "4326", "epsg4326", "cgcs2000", "无"):
        return "wgs84"
    if key in (
        "gcj02",
        "gcj",
        "amap",
        "gaode",
        "高德",
        "火星",
        "火星坐标",
        "国测局",
        "tencent",
        "腾讯",
    ):
        return "gcj02"
    if key in ("bd09", "bd09ll", "baidu", "百度"):
        return "bd09"
    return None


_ESRI_GK_CM = re.compile(r"(CGCS2000|Xian_?1980|Beijing_?1954)_3_Degree_GK_CM_(\d{2,3})E", re.I)
_ESRI_GK_ZONE = re.compile(r"(CGCS2000|Xian_?1980|Beijing_?1954)_3_Degree_GK_Zone_(\d{2})", re.I)
# First EPSG code of each datum's 3-degree GK series:
# (zone-prefixed zone 25, CM 75E without prefix).
_GK_SERIES = {"cgcs2000": (4513, 4534), "xian1980": (2349, 2370), "beijing1954": (2401, 2422)}
_NAMES = {
    "cgcs2000": 4490,
    "wgs84": 4326,
    "wgs1984": 4326,
    "xian1980": 4610,
    "beijing1954": 4214,
    "webmercator": 3857,
}


def parse_declared_crs(text: str) -> CRS | None:
    """The CRS an uploader typed: an EPSG code or a common name; ``None`` when not understood.

    >>> [parse_declared_crs(t).to_epsg() for t in ("4544", "EPSG:4523", "epsg 4326", "CGCS2000")]
    [4544, 4523, 4326, 4490]
    >>> parse_declared_crs("banana") is None
    True
    """
    key = text.strip()
    if not key:
        return None
    match = re.fullmatch(r"(?:epsg)?\s*[:：]?\s*(\d{4,6})", key, flags=re.I)
    if match:
        try:
            return CRS.from_epsg(int(match.group(1)))
        except CRSError:
            return None
    norm = re.sub(r"[\s_\-]", "", key).lower()
    if norm in _NAMES:
        return CRS.from_epsg(_NAMES[norm])
    return None


def parse_prj(text: str) -> CRS | None:
    """The CRS of a .prj file (OGC or ESRI WKT, or a bare EPSG code); ``None`` when unreadable.

    ESRI names of the Chinese 3-degree GK zones are mapped to their EPSG
    codes even when the WKT body is incomplete.

    >>> esri = 'PROJCS["CGCS2000_3_Degree_GK_CM_105E",GEOGCS["GCS_China_2000"]]'
    >>> parse_prj(esri).to_epsg()
    4544
    >>> parse_prj('PROJCS["CGCS2000_3_Degree_GK_Zone_35",GEOGCS["x"]]').to_epsg()
    4523
    """
    text = text.strip().strip("\ufeff")
    if not text:
        return None
    epsg = _esri_gk_epsg(text)
    if epsg is not None:
        return CRS.from_epsg(epsg)
    for candidate in (text, f"ESRI:{text}"):
        try:
            crs = CRS.from_user_input(candidate)
        except CRSError:
            continue
        code = crs.to_epsg(min_confidence=70)
        return CRS.from_epsg(code) if code else crs
    return parse_declared_crs(text)


def _esri_gk_epsg(text: str) -> int | None:
    head = text[:200]
    cm_match = _ESRI_GK_CM.search(head)
    zone_match = _ESRI_GK_ZONE.search(head)
    if cm_match:
        datum = re.sub(r"_", "", cm_match.group(1)).lower()
        cm = int(cm_match.group(2))
        if 75 <= cm <= 135 and cm % 3 == 0:
            return _GK_SERIES[datum][1] + (cm - 75) // 3
    if zone_match:
        datum = re.sub(r"_", "", zone_match.group(1)).lower()
        zone = int(zone_match.group(2))
        if 25 <= zone <= 45:
            return _GK_SERIES[datum][0] + (zone - 25)
    return None


def zone_prefix_hint(minx: float, metric_epsg: int) -> str:
    """A hint when projected x values carry a zone prefix the declared CRS lacks (or vice versa).

    GK eastings are about 500,000 m (no prefix) or ZZ,500,000 m with the zone
    number ZZ in front.

    >>> zone_prefix_hint(35_421_000.0, 4544)
    'x values start with zone 35: use EPSG:4523 (zone-prefixed) instead'
    >>> zone_prefix_hint(421_000.0, 4523)
    'x values carry no zone prefix: use EPSG:4544 (central meridian 105E) instead'
    >>> zone_prefix_hint(421_000.0, 4544)
    ''
    """
    if 1_000_000 <= minx < 100_000_000:
        zone = int(minx // 1_000_000)
        if 25 <= zone <= 45:
            epsg = 4513 + zone - 25
            return f"x values start with zone {zone}: use EPSG:{epsg} (zone-prefixed) instead"
    if 0 < minx < 1_000_000 and 4513 <= metric_epsg <= 4533:
        cm = 75 + 3 * (metric_epsg - 4513)
        return (
            f"x values carry no zone prefix: use EPSG:{4534 + (cm - 75) // 3} "
            f"(central meridian {cm}E) instead"
        )
    return ""
