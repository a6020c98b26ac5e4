"""The one OpenStreetMap reader: .osm.pbf, .osm, .osm.bz2 and .osm.gz, streamed with pyosmium.

:func:`read_features` passes over the file twice with libosmium (C++) and never holds the
file as a Python tree:

1. the relations only: multipolygon and boundary relations carrying a workspace key
   (:data:`WANTED_KEYS`), and the ids of their member ways;
2. nodes and ways, node locations kept by libosmium: nodes and ways with a workspace key,
   and the member ways of step 1, become geometries in C++ (WKB); every chunk of ways is
   filtered against the county's bounding box, then the county polygon, as it is read.

Only the tags the workspace uses are kept (:data:`KEPT_KEYS`).  Geometries follow osmnx's
rules for OSM XML (``osmnx.features_from_xml``), so the layers are the same whatever the
format: a closed way is a Polygon when one of its tags says so (Overpass turbo's polygon
features, :data:`POLYGON_FEATURES`) and it is not ``area=no``; a way with a node missing
from the file is dropped; a multipolygon relation is its outer rings less the inner rings
they contain, and is dropped when a member way is missing.  Everything is EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, polygonize, unary_union

from gis.crs import STORAGE_EPSG
from gis.errors import EmptyInputError, InputFileError

# Keys that make an element a workspace feature (roads, parks, sports, land use, green
# cover, buildings, water, life-circle facilities) and every key a layer reads (gis/osm.py).
WANTED_KEYS = (
    *("highway", "leisure", "landuse", "natural", "building", "waterway", "amenity"),
    *("shop", "place", "healthcare"),
)
KEPT_KEYS = (
    *WANTED_KEYS,
    *("name", "oneway", "foot", "access", "area", "sport", "type", "capacity", "parking"),
    *("social_facility", "social_facility:for", "isced:level", "school:level", "school"),
)
# Of amenity=*, only car parks (the parking layer) and the 15-minute life circle's facilities
# (the facilities layer, gis/osm.py facilities_from_features) are read; other amenities are
# dropped.  shop, place and healthcare are read only with the values below.
LIFE_CIRCLE_AMENITIES = frozenset(
    {
        *("kindergarten", "school", "social_facility", "nursing_home", "marketplace"),
        *("clinic", "doctors", "hospital", "community_centre", "arts_centre", "library"),
    }
)
WANTED_AMENITIES = frozenset({"parking"}) | LIFE_CIRCLE_AMENITIES
WANTED_VALUES: dict[str, frozenset[str]] = {
    "amenity": WANTED_AMENITIES,
    "shop": frozenset({"supermarket", "greengrocer"}),
    "place": frozenset({"square"}),
    "healthcare": frozenset({"clinic", "centre", "doctor", "hospital"}),
}
RELATION_TYPES = frozenset({"multipolygon", "boundary"})
PBF_SUFFIX = ".pbf"
XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz")
CHUNK_WAYS = 20_000

# Overpass turbo's polygon features, as osmnx applies them to closed ways
# (https://wiki.openstreetmap.org/wiki/Overpass_turbo/Polygon_Features).
_ALL = "all"
POLYGON_FEATURES: dict[str, tuple[str, frozenset[str]]] = {
    "aeroway": ("blocklist", frozenset({"taxiway"})),
    "amenity": (_ALL, frozenset()),
    "area": (_ALL, frozenset()),
    "area:highway": (_ALL, frozenset()),
    "barrier": (
        "passlist",
        frozenset({"city_wall", "ditch", "hedge", "retaining_wall", "spikes"}),
    ),
    "boundary": (_ALL, frozenset()),
    "building": (_ALL, frozenset()),
    "building:part": (_ALL, frozenset()),
    "craft": (_ALL, frozenset()),
    "golf": (_ALL, frozenset()),
    "highway": ("passlist", frozenset({"elevator", "escape", "rest_area", "services"})),
    "historic": (_ALL, frozenset()),
    "indoor": (_ALL, frozenset()),
    "landuse": (_ALL, frozenset()),
    "leisure": (_ALL, frozenset()),
    "man_made": ("blocklist", frozenset({"cutline", "embankment", "pipeline"})),
    "military": (_ALL, frozenset()),
    "natural": ("blocklist", frozenset({"arete", "cliff", "coastline", "ridge", "tree_row"})),
    "office": (_ALL, frozenset()),
    "place": (_ALL, frozenset()),
    "power": ("passlist", frozenset({"generator", "plant", "substation", "transformer"})),
    "public_transport": (_ALL, frozenset()),
    "railway": ("passlist", frozenset({"platform", "roundhouse", "station", "turntable"})),
    "ruins": (_ALL, frozenset()),
    "shop": (_ALL, frozenset()),
    "tourism": (_ALL, frozenset()),
    "waterway": ("passlist", frozenset({"boatyard", "dam", "dock", "riverbank"})),
}


@dataclass(frozen=True)
class ReadSummary:
    """What one :func:`read_features` pass saw.

    Attributes
    ----------
    ways_seen, relations_seen : int
        Ways and relations in the file.
    nodes_used : int
        Tagged nodes kept plus the node references of the ways kept.
    bounds : tuple of float or None
        ``(min_lon, min_lat, max_lon, max_lat)`` of the features kept (``None``: none).
    """

    ways_seen: int
    relations_seen: int
    nodes_used: int
    bounds: tuple[float, float, float, float] | None


def is_pbf(path: str | Path) -> bool:
    """Whether ``path`` names an OSM PBF file (by its suffix).

    >>> is_pbf("china-latest.osm.pbf"), is_pbf("a.osm.bz2")
    (True, False)
    """
    return Path(path).name.lower().endswith(PBF_SUFFIX)


def is_polygon_way(tags: Mapping[str, str], *, closed: bool) -> bool:
    """Whether a way is an area: closed, not ``area=no``, and a polygon feature by its tags.

    >>> is_polygon_way({"leisure": "park"}, closed=True)
    True
    >>> is_polygon_way({"highway": "primary"}, closed=True)
    False
    >>> is_polygon_way({"leisure": "park", "area": "no"}, closed=True)
    False
    """
    if not closed or tags.get("area") == "no":
        return False
    for key, value in tags.items():
        rule = POLYGON_FEATURES.get(key)
        if rule is None:
            continue
        kind, values = rule
        if kind == _ALL or (kind == "passlist") == (value in values):
            return True
    return False


def _kept(tags: Any) -> dict[str, str]:
    return {k: tags[k] for k in KEPT_KEYS if k in tags}


def _wanted(tags: Any) -> bool:
    """Whether an element is a workspace feature: a wanted key, or a key with a wanted value.

    >>> _wanted({"amenity": "kindergarten"}), _wanted({"shop": "clothes"})
    (True, False)
    >>> _wanted({"shop": "clothes", "building": "yes"})
    True
    """
    if any(tags.get(k) in values for k, values in WANTED_VALUES.items()):
        return True
    return any(k in tags for k in WANTED_KEYS if k not in WANTED_VALUES)


def _osmium() -> Any:
    try:
        import osmium
    except ImportError as exc:  # pragma: no cover - a broken install
        msg = "the osmium package (pyosmium) is missing; run `pip install -r requirements.lock`"
        raise InputFileError(msg) from exc
    return osmium


def check_readable(path: str | Path) -> str:
    """Refuse a missing file, an unknown suffix, or a .pbf whose header libosmium cannot read.

    Returns the ``generator`` of a .pbf header (``""`` for XML, checked elsewhere).

    Raises
    ------
    InputFileError
        Naming the file and what to give instead.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found; check the path"
        raise InputFileError(msg)
    name = path.name.lower()
    if not (is_pbf(path) or name.endswith(XML_SUFFIXES)):
        msg = (
            f"{path.name}: unknown OpenStreetMap format; give .osm.pbf (e.g. Geofabrik's "
            "china-latest.osm.pbf), .osm, .osm.bz2 or .osm.gz"
        )
        raise InputFileError(msg)
    if is_pbf(path):
        osmium = _osmium()
        try:
            reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
            generator = str(reader.header().get("generator", ""))
            reader.close()
        except RuntimeError as exc:
            raise _read_error(path, exc) from exc
        return generator
    return ""


def _read_error(path: Path, exc: Exception) -> InputFileError:
    reason = " ".join(str(exc).split())
    if is_pbf(path):
        msg = (
            f"{path.name}: not a readable OSM PBF file ({reason}); is it truncated or another "
            "format? Download it again (e.g. from download.geofabrik.de)"
        )
    else:
        msg = f"{path.name}: cannot read the OSM file ({reason}); is it truncated or corrupt?"
    return InputFileError(msg)


# --- the passes -----------------------------------------------------------------------------


@dataclass
class _Relations:
    tags: dict[int, dict[str, str]]
    members: dict[int, list[tuple[int, str]]]
    member_ways: set[int]
    seen: int


def _read_relations(osmium: Any, path: Path) -> _Relations:
    """Pass 1: relations of :data:`RELATION_TYPES` with a wanted key, and their member ways."""
    rel = _Relations({}, {}, set(), 0)
    for r in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        rel.seen += 1
        tags = r.tags
        if tags.get("type") not in RELATION_TYPES or not _wanted(tags):
            continue
        members = [(m.ref, m.role) for m in r.members if m.type == "w"]
        rel.tags[r.id] = _kept(tags)
        rel.members[r.id] = members
        rel.member_ways.update(ref for ref, _ in members)
    return rel


@dataclass
class _Collected:
    ids: list[int]
    elements: list[str]
    tags: list[dict[str, str]]
    geoms: list[npt.NDArray[np.object_]]
    member_geoms: dict[int, BaseGeometry]
    ways_seen: int = 0
    nodes_used: int = 0


class _WayChunk:
    """Ways read but not yet turned into shapely geometries and filtered (one chunk)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.tags: list[dict[str, str]] = []
        self.wkb: list[str] = []
        self.polygon: list[bool] = []
        self.member: list[bool] = []
        self.wanted: list[bool] = []

    def __len__(self) -> int:
        return len(self.ids)


def _read_nodes_and_ways(
    osmium: Any, path: Path, rel: _Relations, area: BaseGeometry | None
) -> _Collected:
    """Pass 2: tagged nodes and ways with a wanted key or in a relation, filtered by ``area``."""
    out = _Collected([], [], [], [], {})
    factory = osmium.geom.WKBFactory()
    use_all = osmium.geom.ALL
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
    # untagged nodes stop in C++ once libosmium has stored their location
    processor.with_locations().with_filter(
        osmium.filter.KeyFilter(*WANTED_KEYS).enable_for(osmium.osm.NODE)
    )
    node_ids: list[int] = []
    node_tags: list[dict[str, str]] = []
    node_xy: list[tuple[float, float]] = []
    chunk = _WayChunk()
    for obj in processor:
        if obj.is_node():
            if any(k in obj.tags for k in WANTED_VALUES) and not _wanted(dict(obj.tags)):
                continue  # e.g. an amenity or shop not read, and nothing else wanted
            loc = obj.location
            node_ids.append(obj.id)
            node_tags.append(_kept(dict(obj.tags)))
            node_xy.append((loc.lon, loc.lat))
            continue
        out.ways_seen += 1
        in_relation = obj.id in rel.member_ways
        tags = dict(obj.tags)  # one crossing into libosmium per tag, then plain dict look-ups
        wanted = _wanted(tags)
        if not (wanted or in_relation):
            continue
        refs = obj.nodes
        closed = len(refs) > 1 and refs[0].ref == refs[-1].ref
        try:
            wkb = factory.create_linestring(obj, use_nodes=use_all)
        except (osmium.InvalidLocationError, RuntimeError):
            # a node is missing from the file: the way is dropped (osmnx too) and a relation
            # it belongs to sees an empty member
            if in_relation:
                polygonal = is_polygon_way(tags, closed=closed)
                out.member_geoms[obj.id] = shapely.Polygon() if polygonal else shapely.LineString()
            continue
        chunk.ids.append(obj.id)
        chunk.tags.append(_kept(tags))
        chunk.wkb.append(wkb)
        chunk.polygon.append(is_polygon_way(tags, closed=closed))
        chunk.member.append(in_relation)
        chunk.wanted.append(wanted)
        if len(chunk) >= CHUNK_WAYS:
            _flush_ways(chunk, out, area)
            chunk = _WayChunk()
    _flush_ways(chunk, out, area)
    _add_nodes(out, node_ids, node_tags, node_xy, area)
    return out


def _flush_ways(chunk: _WayChunk, out: _Collected, area: BaseGeometry | None) -> None:
    """Turn a chunk into geometries (osmnx's way rules) and keep what meets ``area``."""
    if not len(chunk):
        return
    lines = np.asarray(shapely.from_wkb(chunk.wkb), dtype=object)
    polygon = np.asarray(chunk.polygon, dtype=bool)
    geoms = lines.copy()
    if polygon.any():
        geoms[polygon] = _polygons_of(lines[polygon])
    members = np.flatnonzero(np.asarray(chunk.member, dtype=bool))
    for i in members:
        out.member_geoms[chunk.ids[i]] = geoms[i]
    keep = np.asarray(chunk.wanted, dtype=bool) & ~shapely.is_empty(geoms)
    if area is not None:
        keep &= _meets(geoms, area)
    idx = np.flatnonzero(keep)
    out.ids.extend(chunk.ids[i] for i in idx)
    out.elements.extend(["way"] * len(idx))
    out.tags.extend(chunk.tags[i] for i in idx)
    out.geoms.append(geoms[idx])
    out.nodes_used += int(shapely.get_num_coordinates(geoms[idx]).sum())


def _polygons_of(lines: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Closed lines as Polygons; fewer than four coordinates give an empty Polygon (osmnx)."""
    out = np.empty(len(lines), dtype=object)
    out[:] = [shapely.Polygon()] * len(lines)
    ok = shapely.get_num_coordinates(lines) >= 4
    if ok.any():
        coords, index = shapely.get_coordinates(lines[ok], return_index=True)
        rings = shapely.linearrings(coords, indices=index)
        out[ok] = shapely.polygons(rings)
    return out


def _meets(geoms: npt.NDArray[np.object_], area: BaseGeometry) -> npt.NDArray[np.bool_]:
    """Which geometries touch ``area``: its bounding box first, then the polygon itself."""
    bounds = shapely.bounds(geoms)
    minx, miny, maxx, maxy = area.bounds
    in_box = (
        (bounds[:, 0] <= maxx)
        & (bounds[:, 2] >= minx)
        & (bounds[:, 1] <= maxy)
        & (bounds[:, 3] >= miny)
    )
    meets = np.zeros(len(geoms), dtype=bool)
    if in_box.any():
        meets[in_box] = shapely.intersects(area, geoms[in_box])
    return meets


def _add_nodes(
    out: _Collected,
    ids: list[int],
    tags: list[dict[str, str]],
    xy: list[tuple[float, float]],
    area: BaseGeometry | None,
) -> None:
    if not ids:
        return
    points = np.asarray(shapely.points(np.asarray(xy, dtype=float)), dtype=object)
    keep = _meets(points, area) if area is not None else np.ones(len(ids), dtype=bool)
    idx = np.flatnonzero(keep)
    out.ids.extend(ids[i] for i in idx)
    out.elements.extend(["node"] * len(idx))
    out.tags.extend(tags[i] for i in idx)
    out.geoms.append(points[idx])
    out.nodes_used += len(idx)


def relation_geometry(
    members: Iterable[tuple[int, str]], way_geoms: Mapping[int, BaseGeometry]
) -> BaseGeometry:
    """A multipolygon relation's area: outer rings less the inner rings they contain.

    Open member ways are merged and polygonized per role; a member way missing from
    ``way_geoms`` gives an empty Polygon (the relation is dropped), as in osmnx.

    >>> from shapely import box
    >>> g = relation_geometry([(1, "outer"), (2, "inner")],
    ...                       {1: box(0, 0, 4, 4), 2: box(1, 1, 2, 2)})
    >>> g.area
    15.0
    """
    parts: dict[tuple[str, str], list[BaseGeometry]] = {}
    for ref, role in members:
        geom = way_geoms.get(ref)
        if geom is None:
            return shapely.Polygon()
        parts.setdefault((role, geom.geom_type), []).append(geom)
    outer = list(parts.get(("outer", "Polygon"), []))
    inner = list(parts.get(("inner", "Polygon"), []))
    outer += _rings(parts.get(("outer", "LineString"), []))
    inner += _rings(parts.get(("inner", "LineString"), []))
    if inner:
        pieces = []
        for shell in outer:
            shapely.prepare(shell)
            holes = [hole for hole in inner if shell.contains(hole)]
            pieces.append(shell.difference(unary_union(holes)))
        geometry = unary_union(pieces)
    else:
        geometry = unary_union(outer)
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    return shapely.Polygon()


def _rings(lines: list[BaseGeometry]) -> list[BaseGeometry]:
    """Open member ways merged end to end, then closed rings polygonized (as osmnx does)."""
    merged: Any = linemerge(cast(Any, lines))
    singles = [merged] if merged.geom_type == "LineString" else list(merged.geoms)
    return [p for line in singles for p in polygonize(line)]


def _add_relations(out: _Collected, rel: _Relations, area: BaseGeometry | None) -> None:
    ids = sorted(rel.members)
    geoms = np.empty(len(ids), dtype=object)
    geoms[:] = [relation_geometry(rel.members[r], out.member_geoms) for r in ids]
    keep = ~shapely.is_empty(geoms)
    if area is not None and keep.any():
        keep[keep] = _meets(geoms[keep], area)
    idx = np.flatnonzero(keep)
    out.ids.extend(ids[i] for i in idx)
    out.elements.extend(["relation"] * len(idx))
    out.tags.extend(rel.tags[ids[i]] for i in idx)
    out.geoms.append(geoms[idx])


def read_features(
    path: str | Path, *, area: BaseGeometry | None = None
) -> tuple[gpd.GeoDataFrame, ReadSummary]:
    """The workspace's OSM features of ``path`` that meet ``area`` (EPSG:4326), streamed.

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz``.
    area
        The county (lon/lat); features not meeting it are dropped while reading (bounding
        box first, then the polygon).  ``None`` keeps everything.

    Returns
    -------
    GeoDataFrame, ReadSummary
        Columns ``element`` (``node``/``way``/``relation``), ``osm_id`` (int64), one column per
        kept tag key present, geometry (valid); rows sorted by element then id, as osmnx does.

    Raises
    ------
    InputFileError
        The file cannot be read (not OSM, truncated).
    EmptyInputError
        No feature of the workspace's kinds in the file (with ``area``: an empty frame).
    """
    path = Path(path)
    check_readable(path)
    osmium = _osmium()
    if area is not None:
        shapely.prepare(area)
    try:
        rel = _read_relations(osmium, path)
        out = _read_nodes_and_ways(osmium, path, rel, area)
    except RuntimeError as exc:
        raise _read_error(path, exc) from exc
    _add_relations(out, rel, area)
    if not out.ids and area is None:
        msg = (
            f"{path.name}: no OpenStreetMap features of the workspace's kinds (roads, land "
            "use, parks, ...); give the extract of a town or county"
        )
        raise EmptyInputError(msg)
    frame = _frame(out)
    bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else None
    summary = ReadSummary(
        ways_seen=out.ways_seen,
        relations_seen=rel.seen,
        nodes_used=out.nodes_used,
        bounds=bounds,  # type: ignore[arg-type]
    )
    return frame, summary


def _frame(out: _Collected) -> gpd.GeoDataFrame:
    geoms = np.concatenate(out.geoms) if out.geoms else np.array([], dtype=object)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    tags = pd.DataFrame.from_records(out.tags, columns=_present_keys(out.tags))
    frame = pd.concat(
        [
            pd.DataFrame(
                {"element": np.asarray(out.elements, dtype=object), "osm_id": out.ids},
            ).astype({"osm_id": "int64"}),
            tags,
        ],
        axis=1,
    )
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=STORAGE_EPSG))
    gdf = gdf.sort_values(["element", "osm_id"], kind="stable").reset_index(drop=True)
    return gdf


def _present_keys(tags: list[dict[str, str]]) -> list[str]:
    present: set[str] = set()
    for t in tags:
        present.update(t)
    return [k for k in KEPT_KEYS if k in present]
