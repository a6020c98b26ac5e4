"""Life-circle facilities from OpenStreetMap: the ``facilities`` layer (one row per type).

:func:`facility_types_of` maps one element's tags to the life-circle types it serves
(:mod:`gis.facility_types`; the table is in docs/indicators.md); :func:`facilities_from_features`
applies it to the features read by :mod:`gis.osmfile` and gives points and polygons inside the
boundary, EPSG:4326, with ``facility_type``, ``osm_tag`` and, for schools, ``level_source``.

Schools: OpenStreetMap rarely says whether an ``amenity=school`` is a primary or a middle
school.  The level comes from ``isced:level`` (1 primary, 2 middle), else ``school:level`` /
``school`` (primary; middle, secondary, lower_secondary), else the Chinese name (小学 primary;
初中, or 中学 that is not 高中/高级中学, middle; 九年一贯制 both; 高中/高级中学 alone neither),
else it is unknown and the school counts as both (``level_source = "unknown"``: the coverage of
both is then an upper bound).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.osm import clip_points, clip_polygons
from gis.osmfile import LIFE_CIRCLE_AMENITIES, WANTED_VALUES

SENIOR = frozenset({"senior", "elderly", "aged"})
ELDERLY_SOCIAL = frozenset({"nursing_home", "assisted_living"})
CLINIC_AMENITY = frozenset({"clinic", "doctors", "hospital"})
CULTURE_AMENITY = frozenset({"community_centre", "arts_centre", "library"})
MIDDLE_WORDS = ("middle", "secondary", "lower_secondary")
TAG_KEYS = ("amenity", "shop", "place", "healthcare", "highway")


def school_levels(tags: Mapping[str, str]) -> tuple[tuple[str, ...], str]:
    """The life-circle school types of an ``amenity=school`` and where the level came from.

    >>> school_levels({"isced:level": "1;2"})
    (('primary_school', 'middle_school'), 'tag')
    >>> school_levels({"name": "金牛区实验小学"})
    (('primary_school',), 'name')
    >>> school_levels({"name": "成都市第七高级中学"})
    ((), 'name')
    >>> school_levels({"name": "某某学校"})
    (('primary_school', 'middle_school'), 'unknown')
    """
    isced = str(tags.get("isced:level") or "")
    if isced:
        levels = _isced(isced)
        return tuple(t for t, n in (("primary_school", 1), ("middle_school", 2)) if n in levels), (
            "tag"
        )
    word = f"{tags.get('school:level') or ''};{tags.get('school') or ''}".lower()
    primary, middle = "primary" in word, any(w in word for w in MIDDLE_WORDS)
    if primary or middle:
        return _pick(primary=primary, middle=middle), "tag"
    name = str(tags.get("name") or "")
    if "一贯制" in name:
        return ("primary_school", "middle_school"), "name"
    primary = "小学" in name
    high_only = ("高中" in name or "高级中学" in name) and "初中" not in name
    middle = "初中" in name or ("中学" in name and not high_only)
    if primary or middle or high_only:
        return _pick(primary=primary, middle=middle), "name"
    return ("primary_school", "middle_school"), "unknown"


def _isced(text: str) -> set[int]:
    """ISCED levels in ``"1;2"``, ``"1-3"``, ``"2"``."""
    levels: set[int] = set()
    for part in re.split(r"[;,]", text):
        bounds = [int(n) for n in re.findall(r"\d", part)]
        if len(bounds) == 2 and "-" in part:
            levels |= set(range(bounds[0], bounds[1] + 1))
        else:
            levels |= set(bounds)
    return levels


def _pick(*, primary: bool, middle: bool) -> tuple[str, ...]:
    return tuple(t for t, on in (("primary_school", primary), ("middle_school", middle)) if on)


def facility_types_of(tags: Mapping[str, str], *, polygon: bool) -> list[tuple[str, str, str]]:
    """``(facility_type, osm_tag, level_source)`` for each life-circle type an element serves.

    >>> facility_types_of({"amenity": "kindergarten"}, polygon=False)
    [('kindergarten', 'amenity=kindergarten', '')]
    >>> facility_types_of({"amenity": "social_facility", "social_facility:for": "senior"},
    ...                   polygon=True)
    [('elderly_care', 'amenity=social_facility', '')]
    >>> facility_types_of({"amenity": "social_facility", "social_facility:for": "child"},
    ...                   polygon=True)
    []
    >>> facility_types_of({"highway": "pedestrian"}, polygon=False)  # a street, not a square
    []
    """
    amenity = str(tags.get("amenity") or "")
    out: list[tuple[str, str, str]] = []
    a_tag = f"amenity={amenity}"
    if amenity == "kindergarten":
        out.append(("kindergarten", a_tag, ""))
    elif amenity == "nursing_home" or (
        amenity == "social_facility"
        and (
            str(tags.get("social_facility:for") or "") in SENIOR
            or (
                not tags.get("social_facility:for")
                and str(tags.get("social_facility") or "") in ELDERLY_SOCIAL
            )
        )
    ):
        out.append(("elderly_care", a_tag, ""))
    elif amenity == "school":
        levels, source = school_levels(tags)
        out += [(level, a_tag, source) for level in levels]
    elif amenity == "marketplace":
        out.append(("market", a_tag, ""))
    elif amenity in CULTURE_AMENITY:
        out.append(("culture", a_tag, ""))
    shop, health = str(tags.get("shop") or ""), str(tags.get("healthcare") or "")
    if shop in WANTED_VALUES["shop"] and not any(t[0] == "market" for t in out):
        out.append(("market", f"shop={shop}", ""))
    if amenity in CLINIC_AMENITY:
        out.append(("clinic", a_tag, ""))
    elif health in WANTED_VALUES["healthcare"]:
        out.append(("clinic", f"healthcare={health}", ""))
    if tags.get("place") == "square":
        out.append(("park_square", "place=square", ""))
    elif tags.get("highway") == "pedestrian" and polygon:
        out.append(("park_square", "highway=pedestrian (area)", ""))
    return out


def _candidates(features: gpd.GeoDataFrame) -> np.ndarray:
    """Rows that may be a facility (a cheap vectorised pre-filter of the whole feature table)."""
    mask = np.zeros(len(features), dtype=bool)
    for key in TAG_KEYS:
        if key not in features.columns:
            continue
        values = features[key].astype(object).fillna("").astype(str).to_numpy()
        wanted = {"pedestrian"} if key == "highway" else WANTED_VALUES.get(key, frozenset())
        if key == "amenity":
            wanted = LIFE_CIRCLE_AMENITIES
        mask |= np.isin(values, list(wanted))
    return mask


def facilities_from_features(
    features: gpd.GeoDataFrame, boundary: BaseGeometry
) -> gpd.GeoDataFrame:
    """The ``facilities`` layer: one row per (element, life-circle type), inside ``boundary``.

    Nodes stay points and areas polygons; an open way becomes the point half-way along it
    (a ``highway=pedestrian`` line is a street and is not read).
    """
    sel = features[_candidates(features)]
    kinds = np.asarray(sel.geometry.geom_type.fillna(""), dtype=object)
    rows: list[dict[str, object]] = []
    geoms: list[BaseGeometry] = []
    keys = [c for c in sel.columns if c not in ("geometry", "element", "osm_id")]
    for i, (kind, geom) in enumerate(zip(kinds, sel.geometry.array, strict=True)):
        if kind not in ("Point", "Polygon", "MultiPolygon", "LineString", "MultiLineString"):
            continue
        record = sel.iloc[i]
        tags = {k: str(record[k]) for k in keys if isinstance(record[k], str) and record[k]}
        polygon = kind in ("Polygon", "MultiPolygon")
        for facility_type, osm_tag, level_source in facility_types_of(tags, polygon=polygon):
            rows.append(
                {
                    "osm_id": int(record["osm_id"]),
                    "osm_type": str(record["element"]),
                    "name": tags.get("name", ""),
                    "facility_type": facility_type,
                    "osm_tag": osm_tag,
                    "level_source": level_source,
                }
            )
            line = kind in ("LineString", "MultiLineString")
            geoms.append(
                shapely.line_interpolate_point(geom, 0.5, normalized=True) if line else geom
            )
    columns = ["osm_id", "osm_type", "name", "facility_type", "osm_tag", "level_source"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["osm_id"] = frame["osm_id"].astype(np.int64)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=features.crs), crs=features.crs)
    is_point = np.asarray(gdf.geometry.geom_type == "Point")
    out = pd.concat(
        [clip_points(gdf[is_point], boundary), clip_polygons(gdf[~is_point], boundary)],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=features.crs)
