"""SAMPLE planning layers: labelled, deterministic, partial, and standing on real features."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely import LineString, box

from gis.io import read_layer, read_metadata
from gis.samples import DISCLOSURE_TYPES, SAMPLE_PREFIX, SampleInputs, make_sample_layers

GK = 4547


def _inputs() -> SampleInputs:
    built_up = box(0, 0, 3000, 2000)
    roads = gpd.GeoDataFrame(
        {
            "name": ["人民大道", "人民大道", "小巷"],
            "road_class": ["arterial", "arterial", "branch"],
        },
        geometry=[
            LineString([(-500, 1000), (1500, 1000)]),
            LineString([(1500, 1000), (3500, 1000)]),
            LineString([(200, 0), (200, 2000)]),
        ],
        crs=GK,
    )
    water = gpd.GeoDataFrame(
        {"name": ["清河"], "kind": ["river"]},
        geometry=[LineString([(0, 300), (3000, 300)])],
        crs=GK,
    )
    residential = gpd.GeoDataFrame(
        {"name": ["甲小区", ""]},
        geometry=[box(100, 100, 400, 400), box(2000, 1500, 2300, 1800)],
        crs=GK,
    )
    parks = gpd.GeoDataFrame({"name": ["人民公园"]}, geometry=[box(1000, 1200, 1300, 1500)], crs=GK)
    return SampleInputs(
        box(-1000, -1000, 4000, 3000), built_up, roads, water, residential, parks, GK
    )


def test_every_sample_feature_is_labelled() -> None:
    for name, gdf in make_sample_layers(_inputs()).items():
        assert len(gdf) > 0, name
        assert gdf["sample"].astype(bool).all(), name
        label = gdf["title"] if name == "disclosures" else gdf["name"]
        assert label.str.startswith(SAMPLE_PREFIX).all(), name


def test_samples_are_deterministic() -> None:
    first, second = make_sample_layers(_inputs()), make_sample_layers(_inputs())
    for name in first:
        assert first[name].to_wkb().equals(second[name].to_wkb()), name


def test_plans_cover_part_of_the_built_up_area() -> None:
    plans = make_sample_layers(_inputs())["plans"]
    covered = shapely.union_all(plans.geometry.to_numpy()).area / (3000 * 2000)
    assert 0.6 < covered < 0.95  # the east end is left without a plan
    assert set(plans["status"]) == {"approved", "draft"}
    approved = plans[plans["status"] == "approved"]
    assert (approved["approved_on"].str.match(r"^201[6-9]-\d\d-\d\d$")).all()
    assert (plans.loc[plans["status"] == "draft", "approved_on"] == "").all()
    assert plans["plan_id"].is_unique
    assert (plans.geometry.area > 0).all()
    # units do not overlap
    assert shapely.union_all(plans.geometry.to_numpy()).area == pytest.approx(
        plans.geometry.area.sum()
    )


def test_key_areas_stand_on_real_features() -> None:
    inputs = _inputs()
    key = make_sample_layers(inputs)["key_areas"].set_index("kind")
    assert set(key.index) == {"centre", "main_road", "waterfront", "entrance"}
    assert "人民大道" in key.loc["main_road", "name"] and "清河" in key.loc["waterfront", "name"]
    road = shapely.union_all(inputs.roads.geometry[inputs.roads["name"] == "人民大道"].to_numpy())
    assert key.loc["main_road", "geometry"].contains(
        road.intersection(inputs.built_up).interpolate(0.5, normalized=True)
    )
    assert key.loc["waterfront", "geometry"].contains(shapely.Point(1500, 300))
    # the entrance is where the main road leaves the built-up area, away from the centre
    assert key.loc["entrance", "geometry"].contains(shapely.Point(3000, 1000)) or key.loc[
        "entrance", "geometry"
    ].contains(shapely.Point(0, 1000))


def test_urban_designs_cover_some_key_areas_only() -> None:
    layers = make_sample_layers(_inputs())
    key, designs = layers["key_areas"], layers["urban_designs"]
    key_union = shapely.union_all(key.geometry.to_numpy())
    design_union = shapely.union_all(designs.geometry.to_numpy())
    share = key_union.intersection(design_union).area / key_union.area
    assert 0.2 < share < 0.95
    assert {"approved", "draft"} == set(designs["status"])


def test_disclosures() -> None:
    records = make_sample_layers(_inputs())["disclosures"]
    assert len(records) == 20
    assert records["type"].value_counts().to_dict() == dict.fromkeys(DISCLOSURE_TYPES, 4)
    assert records["record_id"].is_unique
    assert 0 < (~records["public"].astype(bool)).sum() < 5
    assert records.geometry.geom_type.eq("Point").all()
    permits = records[records["type"] == "规划许可"]
    assert permits["title"].str.contains("甲小区").any()  # a real residential area's name


def test_no_built_up_area_gives_empty_layers() -> None:
    inputs = _inputs()
    empty = SampleInputs(
        inputs.boundary,
        shapely.Polygon(),
        inputs.roads,
        inputs.water,
        inputs.residential,
        inputs.parks,
        GK,
    )
    layers = make_sample_layers(empty)
    assert (
        len(layers["plans"]) == 0
        and len(layers["key_areas"]) == 0
        and len(layers["urban_designs"]) == 0
    )
    assert len(layers["disclosures"]) == 20  # still placed, on real residential land and parks


def test_demo_workspace_samples(demo_workspace_dir: Path) -> None:
    meta = read_metadata(demo_workspace_dir)
    for name in ("plans", "key_areas", "urban_designs", "disclosures"):
        gdf = read_layer(demo_workspace_dir, name)
        assert meta["layers"][name]["provenance"] == "sample"
        assert meta["layers"][name]["method"].startswith("SAMPLE")
        assert gdf["sample"].all() and len(gdf) == meta["layers"][name]["count"] > 0
    plans = read_layer(demo_workspace_dir, "plans").to_crs(4544)
    built_up = read_layer(demo_workspace_dir, "built_up").to_crs(4544).geometry.iloc[0]
    coverage = (
        shapely.union_all(plans.geometry.to_numpy()).intersection(built_up).area / built_up.area
    )
    assert 0.5 < coverage < 0.95
    key = read_layer(demo_workspace_dir, "key_areas")
    roads = read_layer(demo_workspace_dir, "roads")
    main_road = key.loc[key["kind"] == "main_road", "name"].iloc[0]
    road_name = main_road.removeprefix(f"{SAMPLE_PREFIX}重点地区：").removesuffix("沿线")
    assert road_name in set(roads["name"])  # the corridor follows a real OSM road
