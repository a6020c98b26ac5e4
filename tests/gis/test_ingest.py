"""Ingest of the real extracts, checked against an independent reading of the OSM XML.

The reference here parses the XML with xml.etree, builds the lines and polygons
with shapely and clips them the way docs/workspace.md says, without osmnx or
any gis.* code, then compares counts, lengths, CRS, bounds and metadata.
"""

from __future__ import annotations

import bz2
import hashlib
import json
import os
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer
from shapely.ops import linemerge, polygonize

import gis.ingest
from gis.crs import gk_epsg
from gis.errors import EmptyInputError, InputFileError, ValidationError
from gis.ingest import IngestOptions, run_ingest
from gis.io import read_layer, read_metadata, read_workspace

DATA = Path(__file__).resolve().parents[2] / "data"
CHENGDU_OSM = DATA / "osm" / "chengdu_jinniu_xindu.osm.bz2"
SHANGHAI_OSM = DATA / "osm" / "shanghai_jingan_drive.osm.bz2"
DEMO_BOUNDARY = DATA / "demo" / "boundary.geojson"
TINY_OSM = DATA.parent / "tests" / "data" / "ingest" / "tiny.osm"  # hand-made, see test_osm.py
TINY_BOUNDARY = TINY_OSM.with_name("tiny_boundary.geojson")

UTM_48N = 32648  # Chengdu; an independent metric CRS (not the GK zone the code uses)
UTM_51N = 32651  # Shanghai
SPORTS = {
    "sports_centre",
    "stadium",
    "pitch",
    "fitness_centre",
    "fitness_station",
    "track",
    "swimming_pool",
    "sports_hall",
}
NOT_WALKABLE = {
    "motorway",
    "motorway_link",
    "construction",
    "proposed",
    "planned",
    "abandoned",
    "razed",
    "raceway",
    "bus_guideway",
    "busway",
    "platform",
    "elevator",
    "no",
}
URBAN_LANDUSE = {
    "residential",
    "commercial",
    "retail",
    "industrial",
    "railway",
    "education",
    "institutional",
    "construction",
    "religious",
}


# --- the independent reference ---------------------------------------------------------------


@dataclass
class Osm:
    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], dict[str, str]]] = field(default_factory=dict)
    relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]] = field(
        default_factory=dict
    )


@cache
def parse(path: Path) -> Osm:
    with bz2.open(path) as f:
        root = ET.parse(f).getroot()
    osm = Osm()
    for el in root:
        tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
        oid = int(el.get("id", "0"))
        if el.tag == "node":
            osm.nodes[oid] = (float(el.get("lon")), float(el.get("lat")))
            if tags:
                osm.node_tags[oid] = tags
        elif el.tag == "way":
            osm.ways[oid] = ([int(nd.get("ref")) for nd in el.findall("nd")], tags)
        elif el.tag == "relation":
            members = [
                (m.get("type"), int(m.get("ref")), m.get("role")) for m in el.findall("member")
            ]
            osm.relations[oid] = (members, tags)
    return osm


def boundary_of(path: Path) -> shapely.Polygon:
    with path.open(encoding="utf-8") as f:
        return shapely.geometry.shape(json.load(f)["features"][0]["geometry"])


def way_line(osm: Osm, way_id: int) -> shapely.LineString:
    refs, tags = osm.ways[way_id]
    coords = [osm.nodes[r] for r in refs]
    if tags.get("oneway") == "-1":
        coords = coords[::-1]
    return shapely.LineString(coords)


def way_polygon(osm: Osm, refs: list[int]) -> shapely.Geometry | None:
    """A closed way's polygon (None when it is not closed or too short)."""
    if len(refs) < 4 or refs[0] != refs[-1] or any(r not in osm.nodes for r in refs):
        return None
    return shapely.make_valid(shapely.Polygon([osm.nodes[r] for r in refs]))


def relation_polygon(osm: Osm, rel_id: int) -> shapely.Geometry | None:
    """A multipolygon relation's area: outer rings minus inner rings; None if a way is missing."""
    members, _ = osm.relations[rel_id]
    rings: dict[str, list[shapely.Geometry]] = {"outer": [], "inner": []}
    for kind, ref, role in members:
        if kind != "way":
            continue
        if ref not in osm.ways:
            return None
        if role in rings:
            refs = osm.ways[ref][0]
            rings[role].append(shapely.LineString([osm.nodes[r] for r in refs]))
    polys = {}
    for role, lines in rings.items():
        merged = linemerge(lines) if lines else shapely.MultiLineString()
        polys[role] = list(polygonize(merged)) if not merged.is_empty else []
    if not polys["outer"]:
        return None
    outer = shapely.union_all(polys["outer"])
    if polys["inner"]:
        outer = outer.difference(shapely.union_all(polys["inner"]))
    return shapely.make_valid(outer)


def areas(osm: Osm, wanted) -> list[shapely.Geometry]:  # type: ignore[no-untyped-def]
    """Polygons of closed ways (not area=no) and multipolygon relations whose tags match."""
    out = []
    for refs, tags in osm.ways.values():
        if wanted(tags) and tags.get("area") != "no":
            poly = way_polygon(osm, refs)
            if poly is not None:
                out.append(poly)
    for rel_id, (_, tags) in osm.relations.items():
        if tags.get("type") in ("multipolygon", "boundary") and wanted(tags):
            poly = relation_polygon(osm, rel_id)
            if poly is not None and not poly.is_empty:
                out.append(poly)
    return out


def count_clipped_areas(polys: list[shapely.Geometry], boundary: shapely.Geometry) -> int:
    return sum(1 for p in polys if shapely.intersection(p, boundary).area > 0)


def clipped_lines(lines: list[shapely.LineString], boundary: shapely.Geometry) -> list:
    pieces = []
    for line in lines:
        if boundary.contains(line):  # a way inside stays whole, even if it touches itself
            pieces.append(line)
            continue
        clipped = shapely.intersection(line, boundary)
        pieces += [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString"]
    return pieces


def metric_length_m(lines: list[shapely.LineString], epsg: int) -> float:
    to_m = Transformer.from_crs(4326, epsg, always_xy=True)
    return float(
        sum(
            shapely.transform(g, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))).length
            for g in lines
        )
    )


def road_way_ids(osm: Osm) -> list[int]:
    return [
        w for w, (_, tags) in osm.ways.items() if "highway" in tags and tags.get("area") != "yes"
    ]


def walkable(tags: dict[str, str]) -> bool:
    hw = tags.get("highway")
    if hw is None or hw in NOT_WALKABLE or tags.get("area") == "yes" or tags.get("foot") == "no":
        return False
    return not (
        tags.get("access") in ("private", "no") and tags.get("foot") not in ("yes", "designated")
    )


# --- the Chengdu demonstration workspace -------------------------------------------------------


def test_road_count_and_length_match_an_independent_reading(demo_workspace_dir: Path) -> None:
    osm, boundary = parse(CHENGDU_OSM), boundary_of(DEMO_BOUNDARY)
    pieces = clipped_lines([way_line(osm, w) for w in road_way_ids(osm)], boundary)
    roads = read_layer(demo_workspace_dir, "roads")
    assert len(roads) == len(pieces)
    assert set(roads["osm_id"]) == {
        w for w in road_way_ids(osm) if shapely.intersects(way_line(osm, w), boundary)
    }
    expected_m = metric_length_m(pieces, UTM_48N)
    got_m = float(roads.to_crs(gk_epsg(104.07)).length.sum())
    assert got_m == pytest.approx(expected_m, rel=0.005)
    assert expected_m > 100_000  # about 170 km of ways of every kind in 12.5 km²


def test_road_attributes(demo_workspace_dir: Path) -> None:
    osm = parse(CHENGDU_OSM)
    roads = read_layer(demo_workspace_dir, "roads")
    by_id = roads.drop_duplicates("osm_id").set_index("osm_id")
    trunk = [
        w for w, (_, t) in osm.ways.items() if t.get("highway") == "trunk" and w in by_id.index
    ]
    assert trunk and (by_id.loc[trunk, "road_class"] == "expressway").all()
    footways = [
        w for w, (_, t) in osm.ways.items() if t.get("highway") == "footway" and w in by_id.index
    ]
    assert footways and (by_id.loc[footways, "road_class"] == "other").all()
    oneway = {w for w, (_, t) in osm.ways.items() if t.get("oneway") in ("yes", "1", "true", "-1")}
    assert set(by_id.index[by_id["oneway"]]) == oneway & set(by_id.index)
    assert roads.geometry.geom_type.eq("LineString").all()
    named = by_id[by_id["name"] != ""]
    assert len(named) == sum(1 for w in by_id.index if osm.ways[w][1].get("name"))


def test_reversed_oneway_follows_the_traffic(demo_workspace_dir: Path) -> None:
    osm = parse(CHENGDU_OSM)
    reversed_ways = [
        w for w, (_, t) in osm.ways.items() if t.get("oneway") == "-1" and "highway" in t
    ]
    roads = read_layer(demo_workspace_dir, "roads").set_index("osm_id")
    assert reversed_ways
    for way_id in reversed_ways:
        refs = osm.ways[way_id][0]
        first = roads.loc[[way_id]].geometry.iloc[0].coords[0]
        assert first == pytest.approx(osm.nodes[refs[-1]])


@pytest.mark.parametrize(
    ("layer", "wanted"),
    [
        (
            "parks",
            lambda t: (
                t.get("leisure") in ("park", "garden") and t.get("access") not in ("private", "no")
            ),
        ),
        (
            "green_space",
            lambda t: (
                t.get("leisure") in ("park", "garden")
                or t.get("landuse")
                in ("grass", "forest", "meadow", "village_green", "recreation_ground", "greenery")
                or t.get("natural") in ("wood", "scrub", "grassland")
            ),
        ),
        ("residential", lambda t: t.get("landuse") == "residential"),
        ("landuse", lambda t: "landuse" in t),
    ],
)
def test_area_layer_counts_match_an_independent_reading(
    demo_workspace_dir: Path, layer: str, wanted
) -> None:  # type: ignore[no-untyped-def]
    osm, boundary = parse(CHENGDU_OSM), boundary_of(DEMO_BOUNDARY)
    expected = count_clipped_areas(areas(osm, wanted), boundary)
    gdf = read_layer(demo_workspace_dir, layer)
    assert len(gdf) == expected
    assert expected > 0
    assert gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_multipolygon_relations_are_included(demo_workspace_dir: Path) -> None:
    osm = parse(CHENGDU_OSM)
    green = read_layer(demo_workspace_dir, "green_space")
    rel_ids = {
        r
        for r, (_, t) in osm.relations.items()
        if t.get("landuse") == "grass" and relation_polygon(osm, r) is not None
    }
    assert rel_ids
    assert rel_ids <= set(green.loc[green["osm_type"] == "relation", "osm_id"])


def test_sports_count_matches_an_independent_reading(demo_workspace_dir: Path) -> None:
    osm, boundary = parse(CHENGDU_OSM), boundary_of(DEMO_BOUNDARY)
    is_sport = lambda t: t.get("leisure") in SPORTS  # noqa: E731
    points = [shapely.Point(osm.nodes[n]) for n, t in osm.node_tags.items() if is_sport(t)]
    open_ways = [
        way_line(osm, w).interpolate(0.5, normalized=True)
        for w, (refs, t) in osm.ways.items()
        if is_sport(t) and refs[0] != refs[-1]
    ]
    expected = sum(1 for p in points + open_ways if boundary.intersects(p))
    expected += count_clipped_areas(areas(osm, is_sport), boundary)
    sports = read_layer(demo_workspace_dir, "sports")
    assert len(sports) == expected > 0
    assert set(sports.geometry.geom_type) <= {"Point", "Polygon", "MultiPolygon"}


def test_everything_is_inside_the_boundary_in_the_storage_crs(demo_workspace_dir: Path) -> None:
    boundary = boundary_of(DEMO_BOUNDARY).buffer(1e-9)
    for name in pyogrio.list_layers(demo_workspace_dir / "workspace.gpkg")[:, 0]:
        info = pyogrio.read_info(demo_workspace_dir / "workspace.gpkg", layer=name)
        assert info["crs"] == "EPSG:4326", name
        gdf = read_layer(demo_workspace_dir, name)
        assert gdf.geometry.within(boundary).all(), name


def test_metadata_is_complete(demo_workspace_dir: Path) -> None:
    meta = read_metadata(demo_workspace_dir)
    assert meta["name"] == "成都北部示范区 (Chengdu north demonstration area)"
    assert meta["county_id"] == "demo-chengdu-north"
    assert meta["is_demonstration"] is True
    assert meta["adcode"] is None
    assert meta["storage_crs"] == "EPSG:4326"
    assert meta["metric_crs"] == "EPSG:4544"  # CGCS2000 GK zone, central meridian 105 E
    assert meta["bounds"] == pytest.approx([104.05361, 30.75379, 104.09704, 30.78088])
    assert meta["created"].endswith("+00:00")
    osm_source = next(s for s in meta["sources"] if s["role"] == "osm")
    assert osm_source["sha256"] == hashlib.sha256(CHENGDU_OSM.read_bytes()).hexdigest()
    assert osm_source["licence"] == "ODbL 1.0"
    assert osm_source["attribution"] == "© OpenStreetMap contributors"
    assert {s["role"] for s in meta["sources"]} == {"osm", "boundary"}
    assert "© OpenStreetMap contributors (ODbL 1.0)" in meta["attribution"]
    layers = pyogrio.list_layers(demo_workspace_dir / "workspace.gpkg")[:, 0]
    assert set(meta["layers"]) == set(layers)
    for name, entry in meta["layers"].items():
        extra = {"derivation"} if name == "built_up" else set()
        assert set(entry) == {"count", "provenance", "method"} | extra, name
        assert (
            entry["count"]
            == pyogrio.read_info(demo_workspace_dir / "workspace.gpkg", layer=name)["features"]
        )
        assert entry["method"], name
    provenance = {k: v["provenance"] for k, v in meta["layers"].items()}
    assert provenance["roads"] == "osm" and provenance["built_up"] == "osm_derived"
    assert provenance["walk_edges"] == "osm_derived"
    for name in ("plans", "key_areas", "urban_designs", "disclosures"):
        assert provenance[name] == "sample"
    pop = meta["population"]
    assert pop["provenance"] == "estimated" and pop["is_estimate"] is True
    assert pop["total"] == pop["urban_population"] > 0
    assert pop["persons_per_ha"] == 250
    assert "250 persons per hectare" in pop["method"]


def test_population_raster_sums_to_the_estimate(demo_workspace_dir: Path) -> None:
    meta = read_metadata(demo_workspace_dir)
    residential = read_layer(demo_workspace_dir, "residential").to_crs(4544)
    hectares = float(residential.union_all().area) / 10_000
    assert meta["population"]["total"] == pytest.approx(250 * hectares, rel=1e-9)
    with rasterio.open(demo_workspace_dir / "population.tif") as src:
        assert src.crs.to_epsg() == 4544
        assert src.res == (100.0, 100.0)
        assert src.nodata == -1
        assert src.dtypes[0] == "float32"
        band = src.read(1, masked=True)
        transform = src.transform
    assert float(band.sum(dtype="float64")) == pytest.approx(meta["population"]["total"], rel=1e-6)
    # persons sit exactly where the housing is: every populated cell holds residential land,
    # and each cell's share equals its share of the residential area
    land = residential.union_all()
    rows, cols = np.nonzero(np.ma.filled(band, 0) > 0)
    cells = shapely.box(
        transform.c + cols * 100.0,
        transform.f - (rows + 1) * 100.0,
        transform.c + (cols + 1) * 100.0,
        transform.f - rows * 100.0,
    )
    shares = shapely.area(shapely.intersection(cells, land)) / land.area
    persons = np.asarray(band[rows, cols], dtype="float64")
    assert np.allclose(persons, shares * meta["population"]["total"], rtol=1e-5, atol=1e-3)
    assert shares.sum() == pytest.approx(1.0, rel=1e-9)


def test_built_up_is_derived_and_inside_the_boundary(demo_workspace_dir: Path) -> None:
    built_up = read_layer(demo_workspace_dir, "built_up")
    assert len(built_up) == 1
    assert built_up["source"].iloc[0] == "osm_derived"
    assert "estimate" in built_up["method"].iloc[0]
    area_km2 = float(built_up.to_crs(4544).area.iloc[0]) / 1e6
    boundary_km2 = float(read_layer(demo_workspace_dir, "boundary").to_crs(4544).area.iloc[0]) / 1e6
    residential = read_layer(demo_workspace_dir, "residential").to_crs(4544).union_all()
    # all residential land (urban land use) lies in the built-up area, which is not the whole box
    assert (
        residential.difference(built_up.to_crs(4544).geometry.iloc[0]).area
        < 0.01 * residential.area
    )
    assert 0.2 * boundary_km2 < area_km2 < 0.9 * boundary_km2


# --- the walk network on real data -------------------------------------------------------------


def _walk_lines(osm: Osm, boundary: shapely.Geometry) -> list[shapely.LineString]:
    ids = [w for w, (_, t) in osm.ways.items() if walkable(t)]
    return clipped_lines([way_line(osm, w) for w in ids], boundary)


def _check_network(ws_dir: Path, osm: Osm, boundary: shapely.Geometry, gk: int) -> None:
    nodes = read_layer(ws_dir, "walk_nodes")
    edges = read_layer(ws_dir, "walk_edges")
    lines = _walk_lines(osm, boundary)
    assert edges["length_m"].sum() == pytest.approx(
        metric_length_m(lines, UTM_48N if gk == 4544 else UTM_51N), rel=0.005
    )
    assert edges["length_m"].sum() == pytest.approx(float(edges.to_crs(gk).length.sum()), rel=1e-6)
    assert nodes["node_id"].tolist() == list(range(len(nodes)))
    assert (
        edges["u"].between(0, len(nodes) - 1).all() and edges["v"].between(0, len(nodes) - 1).all()
    )
    degree = np.bincount(edges["u"], minlength=len(nodes)) + np.bincount(
        edges["v"], minlength=len(nodes)
    )
    assert (degree == nodes["degree"].to_numpy()).all()
    assert degree.min() >= 1  # every node is the end of some edge
    # the ends of each edge are its nodes
    xy = np.column_stack([nodes.geometry.x, nodes.geometry.y])
    starts = shapely.get_coordinates(shapely.get_point(edges.geometry.to_numpy(), 0))
    ends = shapely.get_coordinates(shapely.get_point(edges.geometry.to_numpy(), -1))
    assert np.allclose(starts, xy[edges["u"]], atol=1e-9)
    assert np.allclose(ends, xy[edges["v"]], atol=1e-9)
    # no edge passes through a node (ways were split at every shared vertex)
    node_keys = {(round(x, 9), round(y, 9)) for x, y in xy}
    for geom in edges.geometry:
        inner = shapely.get_coordinates(geom)[1:-1]
        assert not any((round(x, 9), round(y, 9)) in node_keys for x, y in inner)
    # a vertex shared by two walkable ways is a node of degree >= 3 unless both ways end there
    shared = _shared_vertices(osm, boundary)
    assert shared
    assert shared <= node_keys


def _shared_vertices(osm: Osm, boundary: shapely.Geometry) -> set[tuple[float, float]]:
    """Coordinates of OSM nodes used by two or more walkable ways, inside the boundary."""
    count: dict[int, int] = {}
    for refs, tags in osm.ways.values():
        if walkable(tags):
            for r in set(refs):
                count[r] = count.get(r, 0) + 1
    return {
        (round(osm.nodes[n][0], 9), round(osm.nodes[n][1], 9))
        for n, c in count.items()
        if c >= 2 and boundary.contains(shapely.Point(osm.nodes[n]))
    }


def test_walk_network_of_the_chengdu_extract(demo_workspace_dir: Path) -> None:
    _check_network(demo_workspace_dir, parse(CHENGDU_OSM), boundary_of(DEMO_BOUNDARY), 4544)
    edges = read_layer(demo_workspace_dir, "walk_edges")
    assert "footway" in set(edges["highway"]) and "motorway" not in set(edges["highway"])


@pytest.fixture(scope="module")
def shanghai_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Shanghai drive extract ingested with a boundary made from its <bounds>."""
    with bz2.open(SHANGHAI_OSM) as f:
        root = ET.parse(f).getroot()
    b = root.find("bounds")
    assert b is not None
    box = shapely.box(*(float(b.get(k)) for k in ("minlon", "minlat", "maxlon", "maxlat")))
    tmp = tmp_path_factory.mktemp("shanghai")
    boundary = tmp / "boundary.geojson"
    boundary.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "静安 test area"},
                        "geometry": shapely.geometry.mapping(box),
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return run_ingest(IngestOptions(osm=SHANGHAI_OSM, boundary=boundary, out=tmp / "shanghai"))


def test_shanghai_roads_and_network(shanghai_dir: Path) -> None:
    osm = parse(SHANGHAI_OSM)
    boundary = read_layer(shanghai_dir, "boundary").geometry.iloc[0]
    pieces = clipped_lines([way_line(osm, w) for w in road_way_ids(osm)], boundary)
    roads = read_layer(shanghai_dir, "roads")
    assert len(roads) == len(pieces) > 500
    assert float(roads.to_crs(4549).length.sum()) == pytest.approx(
        metric_length_m(pieces, UTM_51N), rel=0.005
    )
    meta = read_metadata(shanghai_dir)
    assert meta["metric_crs"] == "EPSG:4549"  # central meridian 120 E
    assert meta["is_demonstration"] is False and meta["county_id"] == "shanghai"
    assert "plans" not in meta["layers"]
    _check_network(shanghai_dir, osm, boundary, 4549)


def test_roads_only_extract_derives_built_up_from_roads(shanghai_dir: Path) -> None:
    meta = read_metadata(shanghai_dir)
    assert meta["layers"]["parks"]["count"] == 0
    assert "roads" in meta["layers"]["built_up"]["method"]
    assert meta["layers"]["built_up"]["derivation"]["method_id"] == "road_blocks"
    # no residential land: the estimate goes on the built-up area at 100 persons/ha
    pop = meta["population"]
    assert pop["method_id"] == "built_up_buildings_dasymetric" and pop["is_estimate"]
    assert pop["total"] == pytest.approx(100.0 * pop["built_up_ha"], rel=1e-4)
    assert pop["total"] > 0
    ws = read_workspace(shanghai_dir)
    assert len(ws.layers["parks"]) == 0 and len(ws.layers["built_up"]) == 1


# --- options: uploaded built-up, population, plans ---------------------------------------------


def _box_file(path: Path, bounds: tuple[float, float, float, float], **props: object) -> Path:
    feature = {
        "type": "Feature",
        "properties": props,
        "geometry": shapely.geometry.mapping(shapely.box(*bounds)),
    }
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    return path


def test_uploaded_built_up_total_and_plans(tmp_path: Path) -> None:
    built_up = _box_file(tmp_path / "built.geojson", (104.061, 30.761, 104.069, 30.769))
    plans = tmp_path / "plans.geojson"
    plans.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "status": "approved",
                            "name": "北区",
                            "approved_on": "2018-05-01",
                        },
                        "geometry": shapely.geometry.mapping(
                            shapely.box(104.061, 30.761, 104.065, 30.769)
                        ),
                    },
                    {
                        "type": "Feature",
                        "properties": {"status": "draft", "name": "南区", "approved_on": None},
                        "geometry": shapely.geometry.mapping(
                            shapely.box(104.065, 30.761, 104.2, 30.769)
                        ),
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    out = run_ingest(
        IngestOptions(
            osm=TINY_OSM,
            boundary=TINY_BOUNDARY,
            out=tmp_path / "ws",
            built_up=built_up,
            population_total=123_456.0,
            plans=plans,
            name="测试县",
            county_id="test-county",
            adcode="410102",
        )
    )
    meta = read_metadata(out)
    assert (
        meta["name"] == "测试县"
        and meta["adcode"] == "410102"
        and meta["is_demonstration"] is False
    )
    assert meta["layers"]["built_up"]["provenance"] == "uploaded"
    assert meta["layers"]["plans"]["provenance"] == "uploaded"
    assert {s["role"] for s in meta["sources"]} == {"osm", "boundary", "built_up", "plans"}
    assert meta["population"]["total"] == 123_456.0
    with rasterio.open(out / "population.tif") as src:
        assert float(src.read(1, masked=True).sum(dtype="float64")) == pytest.approx(
            123_456.0, rel=1e-6
        )
    built = read_layer(out, "built_up").to_crs(4544).geometry.iloc[0]
    assert built.area == pytest.approx(
        _area_m2(shapely.box(104.061, 30.761, 104.069, 30.769)), rel=1e-6
    )
    plans_layer = read_layer(out, "plans")
    assert plans_layer["status"].tolist() == ["approved", "draft"]
    assert plans_layer["approved_on"].tolist() == ["2018-05-01", ""]
    assert not plans_layer["sample"].any()
    # the second unit is clipped to the boundary (east edge 104.07)
    assert plans_layer.total_bounds[2] == pytest.approx(104.07)
    assert "key_areas" not in meta["layers"]


def _area_m2(geom: shapely.Geometry) -> float:
    import geopandas as gpd

    return float(gpd.GeoSeries([geom], crs=4326).to_crs(4544).area.iloc[0])


def test_population_raster_is_copied(tmp_path: Path) -> None:
    tif = tmp_path / "pop.tif"
    data = np.array([[1.5, 2.5], [0.0, 4.0]], dtype="float32")
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:4544",
        transform=Affine(100.0, 0.0, 404_000.0, 0.0, -100.0, 3_405_000.0),
    ) as dst:
        dst.write(data, 1)
    out = run_ingest(
        replace(
            IngestOptions.demo(TINY_OSM, TINY_BOUNDARY, tmp_path / "ws"),
            population_density_per_ha=None,
            population_tif=tif,
            with_sample_layers=False,
        )
    )
    assert (out / "population.tif").read_bytes() == tif.read_bytes()
    pop = read_metadata(out)["population"]
    assert pop["total"] == pytest.approx(8.0) and pop["is_estimate"] is False
    assert pop["provenance"] == "uploaded"


def test_a_missing_status_column_is_refused(tmp_path: Path) -> None:
    plans = _box_file(tmp_path / "plans.geojson", (104.061, 30.761, 104.065, 30.769), name="x")
    with pytest.raises(ValidationError, match="plans.geojson: no 'status' column"):
        run_ingest(
            IngestOptions(osm=TINY_OSM, boundary=TINY_BOUNDARY, out=tmp_path / "ws", plans=plans)
        )
    assert not (tmp_path / "ws").exists()


# --- atomicity -----------------------------------------------------------------------------------


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def existing_workspace(demo_workspace_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "county" / "demo-chengdu-north"
    shutil.copytree(demo_workspace_dir, out)
    return out


def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("injected failure")


@pytest.mark.parametrize("step", ["_step_roads", "_step_population", "build_metadata"])
def test_a_failure_mid_ingest_leaves_the_old_workspace_byte_identical(
    existing_workspace: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    before = _hashes(existing_workspace)
    monkeypatch.setattr(gis.ingest, step, _boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        run_ingest(IngestOptions.demo(TINY_OSM, TINY_BOUNDARY, existing_workspace))
    assert _hashes(existing_workspace) == before
    assert sorted(p.name for p in existing_workspace.parent.iterdir()) == [existing_workspace.name]


def test_a_failure_while_swapping_restores_the_old_workspace(
    existing_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _hashes(existing_workspace)
    real_rename = os.rename
    calls: list[tuple[str, str]] = []

    def rename(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        if len(calls) == 2:  # moving the new workspace in
            raise OSError("disk full")
        real_rename(src, dst)

    monkeypatch.setattr(gis.ingest.os, "rename", rename)
    with pytest.raises(OSError, match="disk full"):
        run_ingest(IngestOptions.demo(TINY_OSM, TINY_BOUNDARY, existing_workspace))
    assert _hashes(existing_workspace) == before
    assert sorted(p.name for p in existing_workspace.parent.iterdir()) == [existing_workspace.name]


def test_a_failed_first_ingest_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gis.ingest, "_step_planning", _boom)
    with pytest.raises(RuntimeError):
        run_ingest(IngestOptions.demo(TINY_OSM, TINY_BOUNDARY, tmp_path / "new"))
    assert list(tmp_path.iterdir()) == []


def test_a_successful_ingest_replaces_the_old_workspace(existing_workspace: Path) -> None:
    (existing_workspace / "stale.txt").write_text("from the old version")
    run_ingest(
        replace(
            IngestOptions.demo(TINY_OSM, TINY_BOUNDARY, existing_workspace),
            with_sample_layers=False,
        )
    )
    assert not (existing_workspace / "stale.txt").exists()
    assert "plans" not in read_metadata(existing_workspace)["layers"]
    assert sorted(p.name for p in existing_workspace.parent.iterdir()) == [existing_workspace.name]


def test_a_folder_that_is_not_a_workspace_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(InputFileError, match="is not a workspace"):
        run_ingest(IngestOptions.demo(TINY_OSM, TINY_BOUNDARY, out))
    assert (out / "thesis.docx").read_text() == "precious"


def test_no_highway_inside_the_boundary_is_refused(tmp_path: Path) -> None:
    # a sliver of the box in its south-west corner, away from every road
    boundary = _box_file(tmp_path / "corner.geojson", (104.0600, 30.7600, 104.0601, 30.7601))
    with pytest.raises(EmptyInputError, match="no highway ways inside the boundary"):
        run_ingest(IngestOptions(osm=TINY_OSM, boundary=boundary, out=tmp_path / "ws"))
