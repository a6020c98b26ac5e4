"""OGC API – Features (Part 1: Core, GeoJSON): query parameters, collections and feature pages.

Pure functions behind :mod:`api.ogc`: parse ``bbox``, ``limit``, ``offset`` and ``datetime``
(a bad one raises :class:`InvalidParameterError`, answered 400), name collections
``<county_id>.<layer>``, page a layer held in memory through its spatial index, and write the
documents (collection metadata, FeatureCollection, Feature) in CRS84 (longitude, latitude).

>>> parse_bbox("113.5,34.7,113.6,34.8")
(113.5, 34.7, 113.6, 34.8)
>>> parse_limit("20"), parse_limit(None), parse_limit("50000")
(20, 10, 10000)
>>> parse_datetime("2020-01-01/..")
('2020-01-01', None)
>>> split_collection_id("demo.v2.roads", ["demo.v2", "demo"])
('demo.v2', 'roads')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box, mapping

from gis.errors import GisError, NotFoundError, Problem
from gis.store.query import FeaturePage, temporal_field
from layers.catalog import LayerInfo
from layers.geojson import feature_properties

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
"""A larger ``limit`` is served as this many features (no error), as pygeoapi's default."""
MAX_OFFSET = 10_000_000
ITEM_PARAMETERS = frozenset({"f", "limit", "offset", "bbox", "bbox-crs", "datetime"})
"""The query parameters of ``/items`` (anything else is refused, /req/core/query-param-unknown)."""
COORD_DECIMALS = 6  # 1e-6 degree is about 0.1 m, as the layer API
_INSTANT_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?$"
)


class InvalidParameterError(GisError):
    """A query parameter of the OGC API is malformed or out of range (400)."""

    status = 400
    code = "invalid_parameter"


def invalid(name: str, en: str, zh: str) -> InvalidParameterError:
    """An :class:`InvalidParameterError` about query parameter ``name``, in Chinese and English."""
    msg = f"参数 {name} 无效：{zh} | query parameter {name!r}: {en}"
    return InvalidParameterError(
        msg, [Problem(name, en, f"参数 {name} 无效：{zh}", "invalid_parameter")]
    )


# --- parameters -------------------------------------------------------------------------------


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` (or the six numbers of a 3-D box) in CRS84.

    >>> parse_bbox("1,2,0,3,4,5")
    (1.0, 2.0, 3.0, 4.0)
    >>> parse_bbox("1,2,3")
    Traceback (most recent call last):
    ...
    layers.ogc.InvalidParameterError: 参数 bbox 无效：应为 4 个（或 6 个）以逗号分隔的数 | ...
    """
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise invalid(
            "bbox",
            "expected 4 (or 6) comma-separated numbers",
            "应为 4 个（或 6 个）以逗号分隔的数",
        )
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise invalid("bbox", "every value must be a number", "每个值都必须是数字") from None
    if not all(np.isfinite(values)):
        raise invalid("bbox", "values must be finite", "值必须是有限数")
    lons_lats = values if len(values) == 4 else [values[0], values[1], values[3], values[4]]
    min_lon, min_lat, max_lon, max_lat = lons_lats
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise invalid(
            "bbox",
            "need -180 <= lon <= 180 and -90 <= min_lat <= max_lat <= 90",
            "经度须在 -180 至 180 之间，纬度须在 -90 至 90 之间且下界不大于上界",
        )
    if min_lon > max_lon:
        raise invalid(
            "bbox",
            "a box crossing the antimeridian (min_lon > max_lon) is not supported",
            "不支持跨越 180° 经线的范围（min_lon > max_lon）",
        )
    return min_lon, min_lat, max_lon, max_lat


def _integer(name: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise invalid(name, "must be an integer", "必须是整数") from None
    if value < minimum:
        raise invalid(name, f"must be at least {minimum}", f"不得小于 {minimum}")
    return value


def parse_limit(text: str | None) -> int:
    """Features per page: default :data:`DEFAULT_LIMIT`, at least 1, at most :data:`MAX_LIMIT`."""
    if text is None:
        return DEFAULT_LIMIT
    return min(_integer("limit", text, 1), MAX_LIMIT)


def parse_offset(text: str | None) -> int:
    """Features to skip (0 by default).

    >>> parse_offset("30"), parse_offset(None)
    (30, 0)
    """
    if text is None:
        return 0
    value = _integer("offset", text, 0)
    if value > MAX_OFFSET:
        raise invalid("offset", f"must be at most {MAX_OFFSET}", f"不得大于 {MAX_OFFSET}")
    return value


def _day(text: str, *, end: bool) -> str | None:
    """The ISO day of one end of a ``datetime`` interval (``None`` for ``..`` or empty)."""
    if text in ("", ".."):
        return None
    if not _INSTANT_RE.match(text):
        raise invalid(
            "datetime",
            f"{text!r} is not an RFC 3339 date or date-time (e.g. 2020-01-31 or "
            "2020-01-31T08:00:00Z), nor '..'",
            f"{text!r} 不是 RFC 3339 日期或时间（如 2020-01-31 或 "
            "2020-01-31T08:00:00Z），也不是 '..'",
        )
    try:
        instant = dt.datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        raise invalid(
            "datetime", f"{text!r} is not a valid date", f"{text!r} 不是有效日期"
        ) from None
    if instant.tzinfo is not None:
        instant = instant.astimezone(dt.UTC)
    del end  # a feature's date is a whole day: both ends of the interval round to their day
    return instant.date().isoformat()


def parse_datetime(text: str | None) -> tuple[str | None, str | None] | None:
    """``datetime`` as the first and last day of the interval (``None``: open end).

    Features carry a day (``date`` or ``approved_on``), so a feature matches when its day
    touches the interval.

    >>> parse_datetime("2020-03-01"), parse_datetime("../2019-12-31T23:00:00Z")
    (('2020-03-01', '2020-03-01'), (None, '2019-12-31'))
    """
    if text is None:
        return None
    if "/" in text:
        start_text, _, end_text = text.partition("/")
        start, end = _day(start_text, end=False), _day(end_text, end=True)
        if start and end and start > end:
            raise invalid("datetime", "the interval ends before it starts", "区间的结束早于开始")
        return start, end
    day = _day(text, end=False)
    if day is None:
        raise invalid("datetime", "'..' alone is not an instant", "单独的 '..' 不是时间点")
    return day, day


# --- collections ------------------------------------------------------------------------------


def collection_id(county_id: str, layer: str) -> str:
    """The collection of ``layer`` of ``county_id``: ``<county_id>.<layer>``."""
    return f"{county_id}.{layer}"


def split_collection_id(cid: str, county_ids: Iterable[str]) -> tuple[str, str]:
    """``(county_id, layer)`` of a collection id (county ids may hold dots: the longest known).

    Raises
    ------
    NotFoundError
        When no known county starts the id.
    """
    for county_id in sorted(county_ids, key=len, reverse=True):
        if cid.startswith(county_id + ".") and len(cid) > len(county_id) + 1:
            return county_id, cid[len(county_id) + 1 :]
    msg = (
        f"没有要素集合 {cid!r}（应为 <县 id>.<图层>，见 /ogc/collections） | "
        f"no collection {cid!r}: expected <county_id>.<layer>, see /ogc/collections"
    )
    raise NotFoundError(msg)


def temporal_interval(frame: gpd.GeoDataFrame) -> list[str | None] | None:
    """``[first, last]`` RFC 3339 instants of the frame's dates (``None`` when it has none)."""
    field = temporal_field([str(c) for c in frame.columns])
    if field is None or not len(frame):
        return None
    days = sorted(d for d in (_row_day(v) for v in frame[field]) if d)
    if not days:
        return None
    return [f"{days[0]}T00:00:00Z", f"{days[-1]}T23:59:59Z"]


def _row_day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()[:10]
    text = str(value)[:10]
    return text if re.match(r"^\d{4}-\d{2}-\d{2}$", text) else None


def collection_title(county_name: str, info: LayerInfo, *, estimate: bool) -> str:
    """The collection's title: county, layer in Chinese and English, 【样例】 / 估算 labels.

    >>> from layers.style import style_for
    >>> info = LayerInfo("plans", "stored", "控规", "Regulatory plans", 3, (), "sample", True,
    ...                  style_for("plans"))
    >>> collection_title("巩义市", info, estimate=False)
    '巩义市 · 控规 Regulatory plans 【样例】sample'
    """
    labels = ("【样例】sample" if info.sample else "", "（估算）estimate" if estimate else "")
    return " ".join(p for p in (f"{county_name} · {info.title_zh} {info.title_en}", *labels) if p)


def collection_doc(
    cid: str,
    *,
    county_id: str,
    title: str,
    info: LayerInfo,
    bbox: Sequence[float],
    interval: list[str | None] | None,
    attribution: str,
    links: list[dict[str, str]],
) -> dict[str, Any]:
    """One collection's metadata (``/collections/{collectionId}``)."""
    extent: dict[str, Any] = {
        "spatial": {"bbox": [[round(float(v), 6) for v in bbox]], "crs": CRS84}
    }
    if interval is not None:
        extent["temporal"] = {"interval": [interval], "trs": GREGORIAN}
    return {
        "id": cid,
        "title": title,
        "description": (
            f"{info.title_zh} / {info.title_en}: {info.kind} layer of county {county_id}, "
            f"provenance {info.provenance}"
            + ("; sample data made up for a demonstration (样例数据)" if info.sample else "")
        ),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "county_id": county_id,
        "layer": info.name,
        "kind": info.kind,
        "provenance": info.provenance,
        "sample": info.sample,
        "attribution": attribution,
        "links": links,
    }


# --- features ---------------------------------------------------------------------------------


def page_of_frame(
    frame: gpd.GeoDataFrame,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    date_range: tuple[str | None, str | None] | None = None,
    fid: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> FeaturePage:
    """The rows of an in-memory layer matching the query, indexed by row position (the id).

    The bbox goes through the frame's spatial index (``frame.sindex``, built once per cached
    frame).

    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(5, 5), Point(1, 1)], crs=4326)
    >>> page = page_of_frame(pts, bbox=(-1, -1, 2, 2), limit=1, offset=1)
    >>> page.matched, list(page.frame.index)
    (2, [2])
    """
    positions = np.arange(len(frame))
    if fid is not None:
        positions = positions[positions == fid]
    if bbox is not None and len(frame):
        hits = frame.sindex.query(box(*bbox), predicate="intersects")
        positions = np.intersect1d(positions, hits)
    field = temporal_field([str(c) for c in frame.columns])
    if date_range is not None and field is not None and len(positions):
        days = np.array([_row_day(v) or "" for v in frame[field].to_numpy()[positions]])
        first, last = date_range
        keep = days != ""
        if first is not None:
            keep &= days >= first
        if last is not None:
            keep &= days <= last
        positions = positions[keep]
    end = None if limit is None else offset + limit
    page_positions = positions[offset:end]
    page = frame.iloc[page_positions].copy()
    page.index = page_positions
    return FeaturePage(page, len(positions))


def to_crs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in longitude/latitude (EPSG:4326 axis order east, north: CRS84)."""
    return frame.set_crs(4326) if frame.crs is None else frame.to_crs(4326)


def features(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """GeoJSON features of a page (CRS84, indexed by id), coordinates rounded to 1e-6 degree.

    A feature without geometry has ``"geometry": null``.
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if len(geoms):
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    props = feature_properties(frame)
    return [
        {
            "type": "Feature",
            "id": int(i),
            "geometry": None if g is None or shapely.is_empty(g) else mapping(g),
            "properties": p,
        }
        for i, p, g in zip(frame.index, props, geoms, strict=True)
    ]


def paging_links(
    href: str, args: dict[str, str], *, offset: int, limit: int, matched: int, media_type: str
) -> list[dict[str, str]]:
    """``next`` and ``prev`` links of an items page (``href`` without query)."""
    from urllib.parse import urlencode

    links = []
    if offset + limit < matched:
        query = urlencode({**args, "limit": limit, "offset": offset + limit})
        links.append(
            {
                "rel": "next",
                "type": media_type,
                "title": "next page 下一页",
                "href": f"{href}?{query}",
            }
        )
    if offset > 0:
        query = urlencode({**args, "limit": limit, "offset": max(0, offset - limit)})
        links.append(
            {
                "rel": "prev",
                "type": media_type,
                "title": "previous page 上一页",
                "href": f"{href}?{query}",
            }
        )
    return links
