"""Reading OSM XML into layers, on a hand-made extract whose answers are known by hand.

tests/data/ingest/tiny.osm (boundary: tiny_boundary.geojson, the box 104.06-104.07 E,
30.76-30.77 N) holds: a residential street 101 (nodes 1-2-3) crossed at node 2 by footway
102 (4-2-5); primary 103 (3-6, oneway=-1) leaving the box at 104.07; private service 104;
footway 105 with foot=no; a pedestrian area 106; motorway 107; private path 108 with
foot=yes; park 201; private garden 202; a grass multipolygon 301 (outer 203, inner 204);
a park relation 302 missing a member; a pitch node 40, an open track way 205, a fitness
node 43 outside the box; residential 206 crossing the east edge; canal 207; building 208.
"""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from gis import osm
from gis.errors import EmptyInputError, InputFileError

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
TINY = DATA / "tiny.osm"
BOX = shapely.box(104.060, 30.760, 104.070, 30.770)


@pytest.fixture(scope="module")
def features():  # type: ignore[no-untyped-def]
    return osm.read_osm_features(TINY)


def by_id(gdf, osm_id: int):  # type: ignore[no-untyped-def]
    return gdf[gdf["osm_id"] == osm_id]


def test_inspect_counts_elements_and_reads_bounds() -> None:
    extract = osm.inspect_osm_xml(TINY)
    assert (extract.node_count, extract.way_count, extract.relation_count) == (45, 16, 2)
    assert extract.declared_bounds == (104.06, 30.76, 104.07, 30.77)
    assert extract.bounds == (104.0605, 30.7605, 104.08, 30.7695)
    assert "hand-made" in extract.generator


def test_compressed_files_are_read(tmp_path: Path) -> None:
    for suffix, opener in ((".bz2", bz2.open), (".gz", gzip.open)):
        path = tmp_path / f"tiny.osm{suffix}"
        with opener(path, "wb") as f:
            f.write(TINY.read_bytes())
        assert osm.inspect_osm_xml(path).way_count == 16
        assert len(osm.read_osm_features(path)) == len(osm.read_osm_features(TINY))


def test_a_mislabelled_compression_is_named(tmp_path: Path) -> None:
    fake = tmp_path / "plain.osm.bz2"
    fake.write_bytes(TINY.read_bytes())
    with pytest.raises(
        InputFileError, match=r"plain.osm.bz2: the file is not compressed but its name ends in .bz2"
    ):
        osm.inspect_osm_xml(fake)
    packed = tmp_path / "packed.osm"
    packed.write_bytes(bz2.compress(TINY.read_bytes()))
    with pytest.raises(
        InputFileError,
        match=r"packed.osm: the file is bz2-compressed .* rename it to end in .osm.bz2",
    ):
        osm.inspect_osm_xml(packed)


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("not_osm.osm", InputFileError, r"not_osm.osm: not OSM XML \(syntax error"),
        ("gpx_root.osm", InputFileError, r"gpx_root.osm: not OSM XML: the root element is <gpx>"),
        ("empty.osm", EmptyInputError, r"empty.osm: the OSM extract is empty: 2 nodes and no ways"),
        ("missing.osm", InputFileError, r"missing.osm: file not found"),
    ],
)
def test_bad_extracts_are_refused_with_a_clear_message(
    name: str, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        osm.inspect_osm_xml(DATA / name)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    cut = tmp_path / "cut.osm.bz2"
    cut.write_bytes(bz2.compress(TINY.read_bytes())[:200])
    with pytest.raises(InputFileError, match="cut.osm.bz2: (cannot read|not OSM XML)"):
        osm.inspect_osm_xml(cut)


def test_roads_by_hand(features) -> None:  # type: ignore[no-untyped-def]
    roads = osm.roads_from_features(features, BOX)
    assert sorted(roads["osm_id"]) == [101, 102, 103, 104, 105, 107, 108]  # not the area 106
    assert roads.geometry.geom_type.eq("LineString").all()
    assert dict(zip(roads["osm_id"], roads["road_class"], strict=True)) == {
        101: "branch",
        102: "other",
        103: "arterial",
        104: "other",
        105: "other",
        107: "expressway",
        108: "other",
    }
    oneway = dict(zip(roads["osm_id"], roads["oneway"], strict=True))
    assert oneway[103] and oneway[107] and not oneway[101]
    primary = by_id(roads, 103).geometry.iloc[0]
    # drawn 3 -> 6 (eastwards, out of the box); oneway=-1 so stored westwards, clipped at 104.07
    assert list(primary.coords) == [(104.07, 30.765), (104.069, 30.765)]
    assert by_id(roads, 101)["name"].iloc[0] == "东西路"
    assert by_id(roads, 102)["name"].iloc[0] == ""


def test_walkable_ways_by_hand(features) -> None:  # type: ignore[no-untyped-def]
    roads = osm.roads_from_features(features, BOX)
    walkable = set(roads.loc[roads["walkable"], "osm_id"])
    # not: private service 104, foot=no 105, motorway 107; yes: private path with foot=yes 108
    assert walkable == {101, 102, 103, 108}


def test_walkable_mask_rules() -> None:
    tags = pd.DataFrame(
        [
            {"highway": "footway"},
            {"highway": "motorway_link"},
            {"highway": "residential", "access": "no"},
            {"highway": "residential", "access": "no", "foot": "designated"},
            {"highway": "pedestrian", "area": "yes"},
            {"highway": "steps", "foot": "no"},
            {"highway": "construction"},
            {"building": "yes"},
        ]
    )
    assert osm.walkable_mask(tags).tolist() == [
        True,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
    ]


def test_areas_by_hand(features) -> None:  # type: ignore[no-untyped-def]
    parks = osm.parks_from_features(features, BOX)
    assert parks["osm_id"].tolist() == [201]  # not the private garden, not the broken relation
    assert parks["name"].tolist() == ["人民公园"]
    green = osm.green_space_from_features(features, BOX)
    assert sorted(zip(green["osm_type"], green["osm_id"], green["kind"], strict=True)) == [
        ("relation", 301, "grass"),
        ("way", 201, "park"),
        ("way", 202, "garden"),
    ]
    grass = by_id(green, 301).geometry.iloc[0]
    outer = shapely.box(104.0630, 30.7605, 104.0640, 30.7615)
    inner = shapely.box(104.0633, 30.7608, 104.0637, 30.7612)
    assert grass.area == pytest.approx(outer.area - inner.area, rel=1e-9)
    residential = osm.residential_from_features(features, BOX)
    assert residential["osm_id"].tolist() == [206]
    clipped = residential.geometry.iloc[0]
    assert clipped.bounds == pytest.approx((104.068, 30.762, 104.070, 30.764))
    landuse = osm.landuse_from_features(features, BOX)
    assert sorted(zip(landuse["osm_id"], landuse["landuse"], strict=True)) == [
        (206, "residential"),
        (301, "grass"),
    ]
    assert osm.buildings_from_features(features, BOX)["osm_id"].tolist() == [208]


def test_sports_by_hand(features) -> None:  # type: ignore[no-untyped-def]
    sports = osm.sports_from_features(features, BOX)
    assert sorted(sports["osm_id"]) == [40, 205]  # node 43 is outside the box
    track = by_id(sports, 205).geometry.iloc[0]
    assert (track.x, track.y) == pytest.approx((104.067, 30.762))  # half-way along the open way
    pitch = by_id(sports, 40)
    assert pitch["sport"].iloc[0] == "basketball" and pitch["osm_type"].iloc[0] == "node"


def test_water_by_hand(features) -> None:  # type: ignore[no-untyped-def]
    water = osm.water_from_features(features, BOX)
    assert water["name"].tolist() == ["九道堰"] and water["kind"].tolist() == ["canal"]


def test_clip_keeps_features_inside_exactly_and_drops_slivers() -> None:
    import geopandas as gpd

    inside = shapely.LineString([(0.1, 0.1), (0.5, 0.5), (0.1, 0.5), (0.5, 0.1)])  # self-crossing
    across = shapely.LineString([(-1, 0.5), (0.5, 0.5), (0.5, 2), (0.7, 2), (0.7, 0.5)])
    outside = shapely.LineString([(2, 2), (3, 3)])
    gdf = gpd.GeoDataFrame({"k": [1, 2, 3]}, geometry=[inside, across, outside], crs=4326)
    clipped = osm.clip_lines(gdf, shapely.box(0, 0, 1, 1))
    assert clipped["k"].tolist() == [1, 2, 2]
    assert clipped.geometry.iloc[0].equals_exact(inside, tolerance=0)
    # (0, .5)-(.5, .5)-(.5, 1) and (.7, 1)-(.7, .5)
    assert [g.length for g in clipped.geometry.iloc[1:]] == pytest.approx([1.0, 0.5])
    touching = shapely.box(1, 0, 2, 1)  # shares only an edge with the unit box
    straddling = shapely.box(0.5, 0.5, 1.5, 1.5)
    polys = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[touching, straddling], crs=4326)
    clipped_polys = osm.clip_polygons(polys, shapely.box(0, 0, 1, 1))
    assert clipped_polys["k"].tolist() == [2]
    assert clipped_polys.geometry.iloc[0].area == pytest.approx(0.25)


def test_tag_is_none_where_absent(features) -> None:  # type: ignore[no-untyped-def]
    values = osm.tag(features, "no_such_key")
    assert values.isna().all() and len(values) == len(features)
    assert np.asarray(osm.tag(features, "leisure").dropna() != "").all()
