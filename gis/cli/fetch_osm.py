"""``python -m gis fetch-osm --county ADCODE --out FILE.osm``: a county's OpenStreetMap data.

The county polygon comes from the embedded 天地图 boundaries (:mod:`gis.province`); osmnx
queries the Overpass API for the tags the workspace needs (:data:`OSM_TAGS`) inside it,
subdividing big counties, and the answer is written as OSM XML 0.6, which
``python -m gis ingest --osm FILE.osm`` reads.

Offline (or with Overpass unreachable) the command stops at once with one clear line instead
of osmnx's 60-second retry pauses.  Data © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse
from xml.sax.saxutils import quoteattr

from shapely import Polygon
from shapely.geometry.base import BaseGeometry

from gis.errors import GisError

# Tags the workspace layers are built from (docs/workspace.md, gis/osm.py): roads and paths,
# parks and sports (leisure), land use and green natural areas, buildings (for the derived
# built-up area) and waterways (waterfront key areas).
OSM_TAGS: dict[str, bool | str | list[str]] = {
    "highway": True,
    "leisure": True,
    "landuse": True,
    "natural": ["wood", "scrub", "grassland", "water"],
    "building": True,
    "waterway": ["river", "canal", "stream"],
}
SIMPLIFY_M = 50.0
PROBE_TIMEOUT_S = 8.0
_VISIBLE = ' version="1" visible="true"'


class OfflineError(GisError):
    """The Overpass API cannot be reached (no network, DNS or firewall)."""

    status = 503
    code = "offline"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``fetch-osm`` sub-command."""
    p = sub.add_parser(
        "fetch-osm",
        help="download a Henan county's OpenStreetMap data (needs internet)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument("--county", required=True, help="6-digit adcode, e.g. 410181 (巩义市)")
    p.add_argument("--out", required=True, type=Path, help="OSM XML file to write")
    p.add_argument(
        "--simplify-m",
        type=float,
        default=SIMPLIFY_M,
        help=f"simplify the query polygon (grown by the same distance), metres [{SIMPLIFY_M:g}]",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fetch and write the county's OSM XML and boundary; return the exit code."""
    from gis.province import find_unit, load_units

    unit = find_unit(load_units(), args.county)
    polygon = query_polygon(unit.geometry, simplify_m=args.simplify_m)
    responses = download(polygon)
    counts = write_osm_xml(responses, args.out, bounds=unit.geometry.bounds)
    boundary = write_boundary(unit, boundary_path(args.out))
    next_command = ingest_command(
        unit, args.out, boundary, prog=getattr(args, "prog", "python -m gis")
    )
    print(
        f"{unit['adcode']} {unit['name']}: wrote {args.out} ({counts['node']} nodes, "
        f"{counts['way']} ways, {counts['relation']} relations; © OpenStreetMap contributors, "
        f"ODbL) and {boundary}.\nNext: {next_command}",
        file=sys.stderr,
    )
    return 0


def boundary_path(out: str | Path) -> Path:
    """Where the county boundary goes: next to the OSM file.

    >>> boundary_path("data/gongyi.osm").as_posix()
    'data/gongyi_boundary.geojson'
    """
    out = Path(out)
    return out.with_name(f"{out.name.split('.')[0]}_boundary.geojson")


def write_boundary(unit: Any, path: Path) -> Path:
    """The unit's 天地图 polygon as GeoJSON (EPSG:4326) with its name and adcode."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"name": [unit["name"]], "adcode": [unit["adcode"]]}, geometry=[unit.geometry], crs=4326
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, driver="GeoJSON")
    return path


def ingest_command(
    unit: Any, osm: str | Path, boundary: Path, *, prog: str = "python -m gis"
) -> str:
    """The ``python -m gis ingest`` line for the fetched files (城区人口 when the census has it)."""
    code = unit["adcode"]
    parts = [
        f"{prog} ingest",
        f"--osm {osm}",
        f"--boundary {boundary}",
        f"--adcode {code}",
        f"--county-id {code}",
        f"--name {unit['name']}",
    ]
    urban = unit.get("urban_district_population_2020")
    if urban is not None and str(urban) != "<NA>":
        parts.append(f"--population-total {int(urban)}")
    parts.append(f"--out instance/workspaces/{code}")
    return " ".join(parts)


def query_polygon(geometry: BaseGeometry, *, simplify_m: float) -> BaseGeometry:
    """The county polygon grown by ``simplify_m`` then simplified by it (EPSG:4326 in and out).

    Growing first keeps every point of the county inside the simpler polygon; the Overpass
    query string stays short.

    >>> from shapely.geometry import box
    >>> poly = query_polygon(box(113.0, 34.0, 113.1, 34.1), simplify_m=50)
    >>> poly.contains(box(113.0, 34.0, 113.1, 34.1))
    True
    """
    import geopandas as gpd

    from gis.crs import gk_epsg

    series = gpd.GeoSeries([geometry], crs=4326)
    metric = series.to_crs(gk_epsg(geometry.centroid.x))
    grown = metric.buffer(simplify_m).simplify(0.9 * simplify_m)
    outline: BaseGeometry = grown.to_crs(4326).iloc[0]
    return outline


def check_reachable(url: str, *, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Raise :class:`OfflineError` in one line unless a TCP connection to ``url`` opens."""
    parts = urlparse(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        msg = (
            f"fetch-osm: cannot reach the Overpass API at {host}:{port} ({reason}); you seem to "
            "be offline. Connect to the internet (or set a reachable Overpass mirror) and retry, "
            "or upload the county's layers instead"
        )
        raise OfflineError(msg) from exc


def download(polygon: BaseGeometry) -> list[dict[str, Any]]:
    """Overpass JSON answers (one per sub-polygon) for :data:`OSM_TAGS` inside ``polygon``."""
    import osmnx as ox
    from osmnx import _overpass

    check_reachable(ox.settings.overpass_url)
    try:
        features = _overpass._download_overpass_features(cast(Polygon, polygon), dict(OSM_TAGS))
        return list(features)
    except (OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:300]
        msg = f"fetch-osm: the Overpass download failed ({reason}); retry later"
        raise OfflineError(msg) from exc


def merge_elements(responses: Iterable[Mapping[str, Any]]) -> dict[str, dict[int, dict[str, Any]]]:
    """Overpass JSON elements by type and id, each once (sub-polygons overlap at edges).

    >>> r = {"elements": [{"type": "node", "id": 1, "lat": 34.0, "lon": 113.0}]}
    >>> {k: sorted(v) for k, v in merge_elements([r, r]).items()}
    {'node': [1], 'way': [], 'relation': []}
    """
    out: dict[str, dict[int, dict[str, Any]]] = {"node": {}, "way": {}, "relation": {}}
    for response in responses:
        for el in response.get("elements", []):
            kind = el.get("type")
            if kind in out:
                out[kind][int(el["id"])] = el
    return out


def osm_xml_lines(
    elements: Mapping[str, Mapping[int, Mapping[str, Any]]],
    bounds: tuple[float, float, float, float] | None = None,
) -> Iterable[str]:
    """OSM XML 0.6 lines for merged elements (nodes, then ways, then relations, by id).

    >>> els = merge_elements([{"elements": [
    ...     {"type": "node", "id": 1, "lat": 34.5, "lon": 113.5, "tags": {"name": "A&B"}}]}])
    >>> print("".join(osm_xml_lines(els)).strip())  # doctest: +ELLIPSIS
    <?xml version='1.0' encoding='UTF-8'?>
    <osm version="0.6" generator="baicheng-gis fetch-osm" copyright=...>
     <node id="1" lat="34.5000000" lon="113.5000000" version="1" visible="true">
      <tag k="name" v="A&amp;B"/>
     </node>
    </osm>
    """
    yield "<?xml version='1.0' encoding='UTF-8'?>\n"
    yield (
        '<osm version="0.6" generator="baicheng-gis fetch-osm" '
        'copyright="OpenStreetMap and contributors" '
        'attribution="http://www.openstreetmap.org/copyright" '
        'license="http://opendatacommons.org/licenses/odbl/1-0/">\n'
    )
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        yield (
            f' <bounds minlat="{miny:.7f}" minlon="{minx:.7f}" '
            f'maxlat="{maxy:.7f}" maxlon="{maxx:.7f}"/>\n'
        )
    for nid in sorted(elements["node"]):
        n = elements["node"][nid]
        head = f' <node id="{nid}" lat="{n["lat"]:.7f}" lon="{n["lon"]:.7f}"{_VISIBLE}'
        yield from _with_children(head, "node", [], n.get("tags", {}))
    for wid in sorted(elements["way"]):
        w = elements["way"][wid]
        refs = [f'  <nd ref="{int(ref)}"/>\n' for ref in w.get("nodes", [])]
        yield from _with_children(f' <way id="{wid}"{_VISIBLE}', "way", refs, w.get("tags", {}))
    for rid in sorted(elements["relation"]):
        r = elements["relation"][rid]
        members = [
            f'  <member type="{m["type"]}" ref="{int(m["ref"])}" role={_role(m)}/>\n'
            for m in r.get("members", [])
        ]
        head = f' <relation id="{rid}"{_VISIBLE}'
        yield from _with_children(head, "relation", members, r.get("tags", {}))
    yield "</osm>\n"


def _role(member: Mapping[str, Any]) -> str:
    return quoteattr(str(member.get("role", "")))


def _with_children(
    head: str, kind: str, children: list[str], tags: Mapping[str, Any]
) -> Iterable[str]:
    tag_lines = [f"  <tag k={quoteattr(str(k))} v={quoteattr(str(v))}/>\n" for k, v in tags.items()]
    if not children and not tag_lines:
        yield head + "/>\n"
        return
    yield head + ">\n"
    yield from children
    yield from tag_lines
    yield f" </{kind}>\n"


def write_osm_xml(
    responses: Iterable[Mapping[str, Any]],
    out: str | Path,
    *,
    bounds: tuple[float, float, float, float] | None = None,
) -> dict[str, int]:
    """Write the merged answers to ``out`` as OSM XML; return the element counts."""
    elements = merge_elements(responses)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as f:
        f.writelines(osm_xml_lines(elements, bounds))
    tmp.replace(out)
    return {kind: len(v) for kind, v in elements.items()}
