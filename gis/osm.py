"""OpenStreetMap extracts: validation, reading (pyosmium, offline) and the workspace layers.

:func:`inspect_osm_xml` checks a file is OSM XML with at least one way before
anything slow runs; :func:`read_osm_features` streams the elements the workspace
needs from .osm.pbf or OSM XML (:mod:`gis.osmfile`, which assembles multipolygon
relations); the ``*_from_features`` functions select, clip and tidy one layer
each.  Everything here is in EPSG:4326 (the storage CRS); lengths and areas
are measured later in the county's Gauss-Krüger zone.
"""

from __future__ import annotations

import bz2
import gzip
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.errors import EmptyInputError, InputFileError
from gis.settings import (
    GREEN_LANDUSE,
    GREEN_NATURAL,
    NON_WALKABLE_HIGHWAYS,
    PARK_LEISURE,
    PUBLIC_PARKING_EXCLUDED_ACCESS,
    PUBLIC_PARKING_EXCLUDED_TYPES,
    SPORTS_LEISURE,
    URBAN_ROAD_CLASSES,
)

OSM_LICENCE = "ODbL 1.0"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
ONEWAY_FORWARD = frozenset({"yes", "1", "true"})
ONEWAY_REVERSE = "-1"
PRIVATE_ACCESS = frozenset({"private", "no"})
FOOT_ALLOWED = frozenset({"yes", "designated"})
FOOT_FORBIDDEN = "no"
_MAGIC = {b"BZh": ".bz2", b"\x1f\x8b": ".gz"}
_POLYGONAL = ("Polygon", "MultiPolygon")
_LINEAR = ("LineString", "MultiLineString", "LinearRing")


@dataclass(frozen=True)
class OsmExtract:
    """What :func:`inspect_osm_xml` found in an OSM XML file.

    Attributes
    ----------
    bounds : tuple of float
        ``(min_lon, min_lat, max_lon, max_lat)`` of the nodes in the file.
    declared_bounds : tuple of float or None
        The ``<bounds>`` element, when the file has one.
    """

    path: Path
    node_count: int
    way_count: int
    relation_count: int
    bounds: tuple[float, float, float, float]
    declared_bounds: tuple[float, float, float, float] | None
    generator: str


@contextmanager
def _open_osm(path: Path) -> Iterator[IO[bytes]]:
    """Open plain, ``.bz2`` or ``.gz`` OSM XML as bytes; refuse a mislabelled compression."""
    if not path.is_file():
        msg = f"{path}: file not found; check the path"
        raise InputFileError(msg)
    with path.open("rb") as raw:
        head = raw.read(3)
    compression = next((ext for magic, ext in _MAGIC.items() if head.startswith(magic)), "")
    suffix = path.suffix.lower() if path.suffix.lower() in (".bz2", ".gz") else ""
    if compression != suffix:
        found = f"{compression[1:]}-compressed" if compression else "not compressed"
        msg = (
            f"{path.name}: the file is {found} but its name ends in "
            f"{path.suffix or '(no suffix)'}; "
            f"rename it to end in {'.osm' + compression if compression else '.osm'}"
        )
        raise InputFileError(msg)
    opener: Any = {".bz2": bz2.open, ".gz": gzip.open}.get(compression, io.open)
    with opener(path, "rb") as stream:
        yield stream


def inspect_osm_xml(path: str | Path) -> OsmExtract:
    """Check that ``path`` is OSM XML with at least one way, and summarise it.

    Raises
    ------
    InputFileError
        The file is missing, is not XML, or its root element is not ``<osm>``.
    EmptyInputError
        The file has no ways (nothing to build roads or land use from).

    Examples
    --------
    >>> from pathlib import Path
    >>> extract = inspect_osm_xml(Path("data/osm/chengdu_jinniu_xindu.osm.bz2"))
    >>> extract.node_count, extract.way_count, extract.relation_count
    (9433, 1047, 98)
    """
    path = Path(path)
    counts = {"node": 0, "way": 0, "relation": 0}
    lons: list[float] = []
    lats: list[float] = []
    declared: tuple[float, float, float, float] | None = None
    generator = ""
    try:
        with _open_osm(path) as stream:
            events = ET.iterparse(stream, events=("start", "end"))
            _, root = next(events)
            if root.tag != "osm":
                msg = (
                    f"{path.name}: not OSM XML: the root element is <{root.tag}>, expected <osm>; "
                    "export the area from openstreetmap.org or Overpass as OSM XML"
                )
                raise InputFileError(msg)
            generator = root.get("generator", "")
            for event, elem in events:
                if event != "end":
                    continue
                tag = elem.tag
                if tag == "node":
                    counts["node"] += 1
                    lat, lon = elem.get("lat"), elem.get("lon")
                    if lat is not None and lon is not None:
                        lats.append(float(lat))
                        lons.append(float(lon))
                elif tag in ("way", "relation"):
                    counts[tag] += 1
                elif tag == "bounds":
                    declared = tuple(  # type: ignore[assignment]
                        float(elem.get(k, "nan")) for k in ("minlon", "minlat", "maxlon", "maxlat")
                    )
                if tag in ("node", "way", "relation"):
                    elem.clear()
                    root.clear()
    except ET.ParseError as exc:
        msg = (
            f"{path.name}: not OSM XML ({exc}); expected an OpenStreetMap XML export "
            "(.osm, .osm.bz2 or .osm.gz) or an .osm.pbf file"
        )
        raise InputFileError(msg) from exc
    except (OSError, EOFError) as exc:
        msg = f"{path.name}: cannot read the file ({exc}); is it truncated or corrupt?"
        raise InputFileError(msg) from exc
    if counts["way"] == 0:
        msg = (
            f"{path.name}: the OSM extract is empty: {counts['node']} nodes and no ways; "
            "export an area that contains streets"
        )
        raise EmptyInputError(msg)
    bounds = (min(lons), min(lats), max(lons), max(lats))
    return OsmExtract(
        path, counts["node"], counts["way"], counts["relation"], bounds, declared, generator
    )


def read_osm_features(path: str | Path, *, area: BaseGeometry | None = None) -> gpd.GeoDataFrame:
    """The workspace's tagged nodes, ways and multipolygon relations of an OSM file (EPSG:4326).

    Streams ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz`` with pyosmium
    (:func:`gis.osmfile.read_features`, osmnx's geometry rules): closed ways become Polygons
    when their tags say they are areas, multipolygon relations are assembled (relations
    missing a member way are dropped); features not meeting ``area`` are dropped while reading.

    Returns
    -------
    GeoDataFrame
        Columns ``element`` (``node``/``way``/``relation``), ``osm_id`` (int64),
        one column per kept tag key, geometry.
    """
    from gis.osmfile import read_features

    features, _ = read_features(path, area=area)
    return features


def tag(features: pd.DataFrame, key: str) -> pd.Series:
    """The values of tag ``key`` (``None`` where absent), whatever columns exist."""
    if key in features.columns:
        return features[key].astype(object).where(features[key].notna(), None)
    return pd.Series([None] * len(features), index=features.index, dtype=object)


def _text(features: pd.DataFrame, key: str) -> npt.NDArray[np.object_]:
    """Tag values as strings, ``""`` where absent."""
    return tag(features, key).fillna("").astype(str).to_numpy(dtype=object)


def _geom_types(gdf: gpd.GeoDataFrame) -> npt.NDArray[np.object_]:
    return np.asarray(gdf.geometry.geom_type.fillna(""), dtype=object)


# --- clipping -------------------------------------------------------------------------------


def clip_to_boundary(
    geoms: npt.NDArray[np.object_], boundary: BaseGeometry
) -> npt.NDArray[np.object_]:
    """Each geometry intersected with ``boundary`` (unchanged when entirely inside).

    Geometries outside become empty.  Features wholly inside keep their exact
    coordinates, so ways that share an OSM node still share a vertex.
    """
    geoms = np.asarray(geoms, dtype=object)
    shapely.prepare(boundary)
    inside = shapely.contains(boundary, geoms)
    touching = shapely.intersects(boundary, geoms) & ~inside
    out = geoms.copy()
    out[~inside & ~touching] = shapely.Polygon()
    if touching.any():
        out[touching] = shapely.intersection(geoms[touching], boundary)
    return out


def _parts_of_type(
    geoms: npt.NDArray[np.object_], kinds: tuple[str, ...]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int64]]:
    """Single parts of ``geoms`` whose type is in ``kinds``, with the index of their source."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    flat_kinds = np.asarray(shapely.get_type_id(parts))
    wanted = {"Point": 0, "LineString": 1, "LinearRing": 2, "Polygon": 3}
    ids = [wanted[k] for k in kinds if k in wanted]
    keep = np.isin(flat_kinds, ids) & ~shapely.is_empty(parts)
    return parts[keep], index[keep].astype(np.int64)


def clip_lines(gdf: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Lines clipped to ``boundary``, one row per LineString piece (attributes repeated)."""
    clipped = clip_to_boundary(np.asarray(gdf.geometry.array, dtype=object), boundary)
    pieces, source = _parts_of_type(clipped, ("LineString", "LinearRing"))
    pieces = (
        np.asarray(
            [shapely.LineString(p) if p.geom_type == "LinearRing" else p for p in pieces],
            dtype=object,
        )
        if len(pieces)
        else pieces
    )
    out = gdf.iloc[source].copy()
    out = out.set_geometry(gpd.GeoSeries(pieces, index=out.index, crs=gdf.crs))
    return out.reset_index(drop=True)


def clip_polygons(gdf: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Polygons clipped to ``boundary``; features with no area inside are dropped.

    A feature keeps one row (a MultiPolygon when the clip cuts it in parts);
    slivers of lines or points left by the clip are discarded.
    """
    clipped = clip_to_boundary(np.asarray(gdf.geometry.array, dtype=object), boundary)
    parts, source = _parts_of_type(clipped, ("Polygon",))
    if len(parts) == 0:
        return gdf.iloc[:0].copy().reset_index(drop=True)
    keep, dense = np.unique(source, return_inverse=True)
    merged = np.asarray(shapely.multipolygons(parts, indices=dense), dtype=object)
    single = np.bincount(dense) == 1
    merged[single] = parts[np.searchsorted(dense, np.flatnonzero(single))]
    out = gdf.iloc[keep].copy()
    out = out.set_geometry(gpd.GeoSeries(merged, index=out.index, crs=gdf.crs))
    return out[shapely.area(merged) > 0].reset_index(drop=True)


def clip_points(gdf: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Points inside or on ``boundary``."""
    shapely.prepare(boundary)
    inside = shapely.intersects(boundary, np.asarray(gdf.geometry.array, dtype=object))
    return gdf[inside].reset_index(drop=True)


# --- roads and the walk network -------------------------------------------------------------


def walkable_mask(features: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Which highway ways a pedestrian may use.

    Not walkable: no ``highway`` tag, a highway type in
    :data:`gis.settings.NON_WALKABLE_HIGHWAYS`, ``foot=no``, ``access=private|no``
    unless ``foot=yes|designated``, and areas (``area=yes``).
    """
    highway = _text(features, "highway")
    foot = _text(features, "foot")
    access = _text(features, "access")
    area = _text(features, "area")
    bad_type = np.isin(highway, list(NON_WALKABLE_HIGHWAYS)) | (highway == "")
    closed = np.isin(access, list(PRIVATE_ACCESS)) & ~np.isin(foot, list(FOOT_ALLOWED))
    walkable: npt.NDArray[np.bool_] = (
        ~bad_type & (foot != FOOT_FORBIDDEN) & ~closed & (area != "yes")
    )
    return walkable


def _as_line(geom: BaseGeometry) -> BaseGeometry:
    """A way's centre line: Polygons made by a closed way's other tags give their ring back."""
    if isinstance(geom, shapely.Polygon):
        return shapely.LineString(geom.exterior.coords)
    if isinstance(geom, shapely.MultiPolygon):
        return shapely.MultiLineString([p.exterior.coords for p in geom.geoms])
    return geom


def roads_from_features(features: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Every way with a ``highway`` tag, clipped to ``boundary``, as LineStrings.

    Areas (``area=yes``, e.g. pedestrian squares) are not centre lines and are
    left out.  ``oneway`` is true for ``yes``/``1``/``true``/``-1``; ``-1`` ways
    are reversed so that geometry follows the traffic.  A way cut by the
    boundary into several pieces gives one row per piece, with the same
    ``osm_id``.  The extra boolean column ``walkable`` is :func:`walkable_mask`.
    """
    highway = _text(features, "highway")
    ways = (features["element"].to_numpy() == "way") & (highway != "")
    ways &= _text(features, "area") != "yes"
    ways &= np.isin(_geom_types(features), [*_LINEAR, *_POLYGONAL])
    sel = features[ways]
    oneway_tag = _text(sel, "oneway")
    geoms = np.asarray([_as_line(g) for g in sel.geometry], dtype=object)
    reverse = oneway_tag == ONEWAY_REVERSE
    if reverse.any():
        geoms[reverse] = shapely.reverse(geoms[reverse])
    hw = _text(sel, "highway")
    roads = gpd.GeoDataFrame(
        {
            "osm_id": sel["osm_id"].to_numpy(dtype=np.int64),
            "highway": hw,
            "road_class": np.asarray(
                [URBAN_ROAD_CLASSES.get(h, "other") for h in hw], dtype=object
            ),
            "name": _text(sel, "name"),
            "oneway": np.isin(oneway_tag, list(ONEWAY_FORWARD)) | reverse,
            "walkable": walkable_mask(sel),
        },
        geometry=gpd.GeoSeries(geoms, crs=features.crs),
        crs=features.crs,
    )
    return clip_lines(roads, boundary)


# --- areas ----------------------------------------------------------------------------------


def _areas(features: gpd.GeoDataFrame, mask: npt.NDArray[np.bool_]) -> gpd.GeoDataFrame:
    """Ways and relations in ``mask`` whose geometry is polygonal."""
    polygonal = np.isin(_geom_types(features), list(_POLYGONAL))
    element = features["element"].to_numpy()
    return features[mask & polygonal & (element != "node")]


def _frame(
    sel: gpd.GeoDataFrame, columns: dict[str, npt.NDArray[Any]], boundary: BaseGeometry
) -> gpd.GeoDataFrame:
    data: dict[str, Any] = {
        "osm_id": sel["osm_id"].to_numpy(dtype=np.int64),
        "osm_type": sel["element"].to_numpy(dtype=object),
    }
    data.update(columns)
    gdf = gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(sel.geometry.array, crs=sel.crs), crs=sel.crs
    )
    return clip_polygons(gdf, boundary)


def parks_from_features(features: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Park green space (公园绿地): ``leisure=park|garden`` areas not ``access=private|no``."""
    leisure = _text(features, "leisure")
    access = _text(features, "access")
    sel = _areas(
        features, np.isin(leisure, list(PARK_LEISURE)) & ~np.isin(access, list(PRIVATE_ACCESS))
    )
    return _frame(
        sel,
        {
            "name": _text(sel, "name"),
            "leisure": _text(sel, "leisure"),
            "access": _text(sel, "access"),
        },
        boundary,
    )


def green_space_from_features(
    features: gpd.GeoDataFrame, boundary: BaseGeometry
) -> gpd.GeoDataFrame:
    """All green space (绿地): parks and gardens (public or not) plus green land use and cover.

    ``kind`` is the ``leisure`` value for parks and gardens, else the
    ``landuse`` value (:data:`gis.settings.GREEN_LANDUSE`), else the ``natural``
    value (:data:`gis.settings.GREEN_NATURAL`).  Gardens inside compounds count:
    the green-space ratio includes attached green space (附属绿地).
    """
    leisure, landuse, natural = (_text(features, k) for k in ("leisure", "landuse", "natural"))
    is_park = np.isin(leisure, list(PARK_LEISURE))
    is_landuse = np.isin(landuse, list(GREEN_LANDUSE))
    is_natural = np.isin(natural, list(GREEN_NATURAL))
    kind = np.where(is_park, leisure, np.where(is_landuse, landuse, natural))
    mask = is_park | is_landuse | is_natural
    sel = _areas(features, mask)
    kind_sel = pd.Series(kind, index=features.index).loc[sel.index].to_numpy(dtype=object)
    return _frame(sel, {"name": _text(sel, "name"), "kind": kind_sel}, boundary)


def sports_from_features(features: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Sports facilities (``leisure`` in :data:`gis.settings.SPORTS_LEISURE`): points and areas.

    Nodes stay points, closed ways and relations stay polygons; an open way
    (e.g. a running track drawn as a line) becomes the point half-way along it.
    """
    leisure = _text(features, "leisure")
    mask = np.isin(leisure, list(SPORTS_LEISURE))
    kinds = _geom_types(features)
    sel = features[mask & np.isin(kinds, ["Point", *_POLYGONAL, *_LINEAR])]
    geoms = np.asarray(sel.geometry.array, dtype=object)
    lines = np.isin(_geom_types(sel), list(_LINEAR))
    if lines.any():
        geoms[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
    gdf = gpd.GeoDataFrame(
        {
            "osm_id": sel["osm_id"].to_numpy(dtype=np.int64),
            "osm_type": sel["element"].to_numpy(dtype=object),
            "name": _text(sel, "name"),
            "leisure": _text(sel, "leisure"),
            "sport": _text(sel, "sport"),
        },
        geometry=gpd.GeoSeries(geoms, crs=features.crs),
        crs=features.crs,
    )
    is_point = np.asarray(gdf.geometry.geom_type == "Point")
    points = clip_points(gdf[is_point], boundary)
    areas = clip_polygons(gdf[~is_point], boundary)
    out = pd.concat([points, areas], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=features.crs)


def osm_capacity(value: Any) -> int | None:
    """The OSM ``capacity`` tag as a number of spaces, or ``None`` when it is not one.

    Only a plain whole number counts (``"120"``; ``" 45 "``); ranges, words and estimates
    (``"50-60"``, ``"approx 40"``, ``"unknown"``) give ``None``: no capacity is invented.

    >>> [osm_capacity(v) for v in ("120", " 45 ", "50-60", "about 40", None, "", "0")]
    [120, 45, None, None, None, None, 0]
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def parking_from_features(features: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Public car parks: ``amenity=parking`` nodes, areas and open ways, with their capacity.

    Left out: ``access`` in :data:`gis.settings.PUBLIC_PARKING_EXCLUDED_ACCESS` (private, no,
    customers, permit, residents, employees, delivery, agricultural) and ``parking`` in
    :data:`gis.settings.PUBLIC_PARKING_EXCLUDED_TYPES` (garage_boxes, carports); single spaces
    (``amenity=parking_space``) and entrances (``amenity=parking_entrance``) are not car parks.
    ``capacity_spaces`` is the ``capacity`` tag when it is a whole number (:func:`osm_capacity`),
    else null: such car parks are kept, counted, and add no spaces.
    """
    amenity = _text(features, "amenity")
    access = np.char.lower(_text(features, "access").astype(str))
    kind = _text(features, "parking")
    mask = (
        (amenity == "parking")
        & ~np.isin(access, list(PUBLIC_PARKING_EXCLUDED_ACCESS))
        & ~np.isin(kind, list(PUBLIC_PARKING_EXCLUDED_TYPES))
    )
    sel = features[mask & np.isin(_geom_types(features), ["Point", *_POLYGONAL, *_LINEAR])]
    geoms = np.asarray(sel.geometry.array, dtype=object)
    lines = np.isin(_geom_types(sel), list(_LINEAR))
    if lines.any():
        geoms[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
    capacity = [osm_capacity(v) for v in tag(sel, "capacity")]
    gdf = gpd.GeoDataFrame(
        {
            "osm_id": sel["osm_id"].to_numpy(dtype=np.int64),
            "osm_type": sel["element"].to_numpy(dtype=object),
            "name": _text(sel, "name"),
            "access": _text(sel, "access"),
            "parking": _text(sel, "parking"),
            "capacity_spaces": pd.array(capacity, dtype="Int64"),
        },
        geometry=gpd.GeoSeries(geoms, crs=features.crs),
        crs=features.crs,
    )
    is_point = np.asarray(gdf.geometry.geom_type == "Point")
    out = pd.concat(
        [clip_points(gdf[is_point], boundary), clip_polygons(gdf[~is_point], boundary)],
        ignore_index=True,
    )
    out["capacity_spaces"] = out["capacity_spaces"].astype("Int64")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=features.crs)


def residential_from_features(
    features: gpd.GeoDataFrame, boundary: BaseGeometry
) -> gpd.GeoDataFrame:
    """Residential land: ``landuse=residential`` areas."""
    sel = _areas(features, _text(features, "landuse") == "residential")
    return _frame(sel, {"name": _text(sel, "name")}, boundary)


def landuse_from_features(features: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Every ``landuse`` area, with its value."""
    sel = _areas(features, _text(features, "landuse") != "")
    return _frame(sel, {"landuse": _text(sel, "landuse"), "name": _text(sel, "name")}, boundary)


def buildings_from_features(features: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Building footprints (``building=*``), used to derive the built-up area."""
    sel = _areas(features, _text(features, "building") != "")
    return _frame(sel, {"building": _text(sel, "building")}, boundary)


def water_from_features(features: gpd.GeoDataFrame, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Rivers, canals and streams (``waterway`` lines) and water areas (``natural=water``).

    Used to place sample waterfront key areas; not stored as a layer.
    """
    waterway = _text(features, "waterway")
    natural = _text(features, "natural")
    kinds = _geom_types(features)
    element = features["element"].to_numpy()
    is_line = (
        np.isin(waterway, ["river", "canal", "stream"])
        & np.isin(kinds, list(_LINEAR))
        & (element == "way")
    )
    lines = features[is_line]
    line_gdf = gpd.GeoDataFrame(
        {
            "osm_id": lines["osm_id"].to_numpy(dtype=np.int64),
            "name": _text(lines, "name"),
            "kind": _text(lines, "waterway"),
        },
        geometry=gpd.GeoSeries(lines.geometry.array, crs=features.crs),
        crs=features.crs,
    )
    areas = _areas(features, natural == "water")
    area_gdf = _frame(
        areas,
        {"name": _text(areas, "name"), "kind": np.full(len(areas), "water", dtype=object)},
        boundary,
    )
    out = pd.concat(
        [clip_lines(line_gdf, boundary), area_gdf.drop(columns="osm_type")], ignore_index=True
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=features.crs)
