"""County-size mosaics of a real OpenStreetMap extract, written as .osm.pbf (with a boundary).

``build_mosaic(area_km2, out_dir)`` tiles the embedded north-Chengdu extract
(data/osm/chengdu_jinniu_xindu.osm.bz2, © OpenStreetMap contributors, ODbL) over a grid until
the tiles cover ``area_km2``: each tile is the extract's exported box (about 4.2 × 3.0 km)
shifted by whole boxes east and north, its elements cut as ``osmium extract --strategy
complete_ways`` would (ways with a node in the box, with all their nodes; relations whose
member ways are all kept) and their ids renumbered densely (in id order, from 1) and offset
by a multiple of :data:`ID_STRIDE`, so tiles never share an id and the ids stay as dense as
a real extract's (libosmium's id sets and location index grow with the id range).  Tiles
do not connect to each other (as separate towns in one county would not at their edges).
The boundary is the union of the tile boxes (GeoJSON, EPSG:4326) and its area is at least
``area_km2``.

The files are cached in ``out_dir`` by area and origin; other benchmarks (maps, batch) use
the same function::

    from benchmarks.mosaic import build_mosaic
    pbf, boundary = build_mosaic(2000, Path("/tmp/mosaics"))

``origin`` moves the south-west corner of the mosaic (lon, lat), e.g. into a Henan county.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "osm" / "chengdu_jinniu_xindu.osm.bz2"
ID_STRIDE = 100_000  # above the element count of one tile (9,433 nodes)
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class _Source:
    box: tuple[float, float, float, float]
    nodes: list[tuple[int, float, float, dict[str, str]]]
    ways: list[tuple[int, list[int], dict[str, str]]]
    relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]]


def _declared_box(path: Path) -> tuple[float, float, float, float]:
    import bz2
    import re

    with bz2.open(path, "rt", encoding="utf-8") as f:
        head = f.read(4096)
    m = re.search(r"<bounds ([^>]*)/>", head)
    if m is None:
        msg = f"{path.name}: no <bounds> element to tile by"
        raise ValueError(msg)
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
    return tuple(float(attrs[k]) for k in ("minlon", "minlat", "maxlon", "maxlat"))  # type: ignore[return-value]


def _read_source(path: Path = SOURCE) -> _Source:
    """The extract cut to its box with complete ways (see the module docstring)."""
    import osmium

    box = _declared_box(path)
    nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    relations = []
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat, dict(obj.tags))
        elif obj.is_way():
            ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
        elif obj.is_relation():
            members = [(m.type, m.ref, m.role) for m in obj.members]
            relations.append((obj.id, members, dict(obj.tags)))

    def inside(ref: int) -> bool:
        if ref not in nodes:
            return False
        lon, lat, _ = nodes[ref]
        return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]

    kept_ways = [w for w in ways if any(inside(r) for r in w[1])]
    way_ids = {w[0] for w in kept_ways}
    needed = {r for w in kept_ways for r in w[1] if r in nodes}
    needed |= {nid for nid in nodes if inside(nid)}
    kept_rel = [
        r for r in relations if all(t != "w" or ref in way_ids for t, ref, _ in r[1]) and r[1]
    ]
    rel_ids = {r[0] for r in kept_rel}
    kept_rel = [
        (rid, [m for m in members if m[0] != "r" or m[1] in rel_ids], tags)
        for rid, members, tags in kept_rel
    ]
    node_no = {nid: k + 1 for k, nid in enumerate(sorted(needed))}
    way_no = {wid: k + 1 for k, wid in enumerate(sorted(way_ids))}
    rel_no = {rid: k + 1 for k, rid in enumerate(sorted(r[0] for r in kept_rel))}
    number = {"n": node_no, "w": way_no, "r": rel_no}
    return _Source(
        box,
        [(node_no[nid], *nodes[nid]) for nid in sorted(needed)],
        sorted(
            (way_no[wid], [node_no[r] for r in refs if r in node_no], tags)
            for wid, refs, tags in kept_ways
        ),
        sorted(
            (
                rel_no[rid],
                [(t, number[t][ref], role) for t, ref, role in members if ref in number[t]],
                tags,
            )
            for rid, members, tags in kept_rel
        ),
    )


def tile_area_km2(box: tuple[float, float, float, float]) -> float:
    """Area of a lon/lat box on the sphere (km²).

    >>> round(tile_area_km2((0.0, 0.0, 1.0, 1.0)))
    12364
    """
    minx, miny, maxx, maxy = box
    dlon = math.radians(maxx - minx)
    band = math.sin(math.radians(maxy)) - math.sin(math.radians(miny))
    return EARTH_RADIUS_M**2 * dlon * band / 1e6


def grid(n_tiles: int) -> list[tuple[int, int]]:
    """(column, row) of ``n_tiles`` tiles filling a near-square grid row by row.

    >>> grid(5)
    [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1)]
    """
    cols = math.ceil(math.sqrt(n_tiles))
    return [(k % cols, k // cols) for k in range(n_tiles)]


def build_mosaic(
    area_km2: float, out_dir: Path, *, origin: tuple[float, float] | None = None
) -> tuple[Path, Path]:
    """Write (or reuse) a mosaic of at least ``area_km2``; return (.osm.pbf, boundary GeoJSON).

    Parameters
    ----------
    area_km2
        Area the tiles must cover (the boundary's area is this rounded up to whole tiles).
    out_dir
        Folder for ``mosaic_<area>km2[_<origin>].osm.pbf`` and ``..._boundary.geojson``.
    origin
        (lon, lat) of the south-west corner; default the source extract's own corner.
    """
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    src = _read_source()
    minx, miny, maxx, maxy = src.box
    n_tiles = max(1, math.ceil(area_km2 / tile_area_km2(src.box) - 1e-9))
    ox, oy = origin if origin is not None else (minx, miny)
    tag = f"mosaic_{area_km2:g}km2" + (f"_{ox:.4f}_{oy:.4f}" if origin is not None else "")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pbf, boundary = out_dir / f"{tag}.osm.pbf", out_dir / f"{tag}_boundary.geojson"
    if pbf.is_file() and boundary.is_file():
        return pbf, boundary
    w, h = maxx - minx, maxy - miny
    shifts = [(ox - minx + c * w, oy - miny + r * h) for c, r in grid(n_tiles)]
    part = pbf.with_name(pbf.name + ".part.osm.pbf")
    with osmium.SimpleWriter(str(part), overwrite=True) as writer:
        for k, (dx, dy) in enumerate(shifts):
            off = (k + 1) * ID_STRIDE
            for nid, lon, lat, tags in src.nodes:
                writer.add_node(Node(id=nid + off, location=(lon + dx, lat + dy), tags=tags))
        for k in range(n_tiles):
            off = (k + 1) * ID_STRIDE
            for wid, refs, tags in src.ways:
                writer.add_way(Way(id=wid + off, nodes=[r + off for r in refs], tags=tags))
        for k in range(n_tiles):
            off = (k + 1) * ID_STRIDE
            for rid, members, tags in src.relations:
                moved = [(t, ref + off, role) for t, ref, role in members]
                writer.add_relation(Relation(id=rid + off, members=moved, tags=tags))
    part.replace(pbf)
    boundary.write_text(json.dumps(_boundary_geojson(shifts, src.box, area_km2)), "utf-8")
    return pbf, boundary


def _boundary_geojson(
    shifts: list[tuple[float, float]], box: tuple[float, float, float, float], area_km2: float
) -> dict[str, Any]:
    import shapely

    minx, miny, maxx, maxy = box
    tiles = [shapely.box(minx + dx, miny + dy, maxx + dx, maxy + dy) for dx, dy in shifts]
    outline = shapely.union_all(tiles)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": f"mosaic {area_km2:g} km² ({len(shifts)} tiles of north Chengdu)",
                    "tiles": len(shifts),
                    "area_km2": round(len(shifts) * tile_area_km2(box), 1),
                },
                "geometry": shapely.geometry.mapping(outline),
            }
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.mosaic --area 1000 [--origin LON LAT] --out DIR``: build one."""
    import argparse

    parser = argparse.ArgumentParser(description="build a mosaic .osm.pbf and its boundary")
    parser.add_argument("--area", type=float, required=True, help="km² to cover")
    parser.add_argument("--origin", type=float, nargs=2, metavar=("LON", "LAT"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    origin = (args.origin[0], args.origin[1]) if args.origin else None
    pbf, boundary = build_mosaic(args.area, args.out, origin=origin)
    print(pbf)
    print(boundary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
