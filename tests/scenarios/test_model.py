"""What-if scenarios (gis/scenarios.py): edits checked all at once, applied to a copy (hand-made
geometries with answers known by hand), only the touched indicators recomputed and equal to a
full recomputation on the demonstration county, the province rank before → after."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS
from shapely.geometry import LineString, Point, box, mapping

from gis.assessment import assess
from gis.errors import ValidationError
from gis.indicators import INDICATOR_IDS, compute_all
from gis.indicators._state import disabled
from gis.scenarios import (
    INDICATOR_INPUTS,
    affected_indicators,
    apply_edits,
    evaluate,
    parse_edits,
    province_rank,
    recompute,
    set_population,
)
from gis.settings import IndicatorSettings
from gis.workspace import PopulationCells, Workspace

GK = CRS.from_epsg(4547)  # 114°E zone; the hand-made county lies at its central meridian
X0, Y0 = 500_000.0, 3_800_000.0  # about 114°E, 34.3°N (Henan)


def _lonlat(geom: Any) -> dict[str, Any]:
    return dict(mapping(gpd.GeoSeries([geom], crs=GK).to_crs(4326).iloc[0]))


def _square_county() -> Workspace:
    """A 1 km x 1 km county: one pitch, one 2 km road pair, a walk network of two nodes."""
    square = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=GK)
    empty = gpd.GeoDataFrame(geometry=[], crs=GK)
    roads = gpd.GeoDataFrame(
        {"highway": ["residential"] * 2, "osm_id": [1, 2]},
        geometry=[
            LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)]),
            LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 1000)]),
        ],
        crs=GK,
    )
    nodes = gpd.GeoDataFrame(
        {"node_id": [0, 1], "degree": [1, 1]},
        geometry=[Point(X0, Y0 + 500), Point(X0 + 1000, Y0 + 500)],
        crs=GK,
    )
    edges = gpd.GeoDataFrame(
        {"u": [0], "v": [1], "length_m": [1000.0]},
        geometry=[LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)])],
        crs=GK,
    )
    sports = gpd.GeoDataFrame({"leisure": ["pitch"]}, geometry=[Point(X0 + 100, Y0 + 100)], crs=GK)
    cells = PopulationCells(
        np.array([X0 + 50.0, X0 + 150.0, X0 + 950.0]),
        np.array([Y0 + 50.0, Y0 + 50.0, Y0 + 950.0]),
        np.array([100.0, 300.0, 600.0]),
        100.0,
        GK,
    )
    layers = {
        "boundary": square,
        "built_up": square,
        "roads": roads,
        "walk_nodes": nodes,
        "walk_edges": edges,
        "parks": empty,
        "green_space": empty,
        "sports": sports,
    }
    meta = {"county_id": "square", "population": {"urban_population": 1000.0}}
    return Workspace(layers, meta, cells, "", GK)


# --- parsing ------------------------------------------------------------------------------------


def test_every_bad_edit_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        parse_edits(
            [
                {"op": "add", "layer": "built_up", "geometry": _lonlat(Point(X0, Y0))},
                {"op": "add", "layer": "parks", "geometry": _lonlat(Point(X0, Y0))},
                {"op": "delete", "layer": "sports"},
                {"op": "add", "layer": "parking", "geometry": _lonlat(Point(X0, Y0))},
                {"op": "population", "geometry": _lonlat(box(X0, Y0, X0 + 1, Y0 + 1))},
                {
                    "op": "add",
                    "layer": "sports",
                    "geometry": {"type": "Point", "coordinates": [5e5, 3e6]},
                },
                {
                    "op": "add",
                    "layer": "roads",
                    "road_class": "motorway",
                    "geometry": _lonlat(LineString([(X0, Y0), (X0 + 1, Y0)])),
                },
            ]
        )
    codes = [p.code for p in info.value.problems]
    assert codes == [
        "bad_layer",
        "wrong_geometry_type",
        "bad_feature",
        "bad_spaces",
        "bad_population",
        "bad_coordinates",
        "bad_road_class",
    ]
    assert all(p.message_zh and p.message_en for p in info.value.problems)
    with pytest.raises(ValidationError):
        parse_edits({"op": "add"})


def test_edits_round_trip_through_json() -> None:
    raw = [
        {
            "id": "a",
            "op": "add",
            "layer": "sports",
            "facility_type": "fitness_station",
            "name": "健身点",
            "geometry": _lonlat(Point(X0 + 10, Y0 + 10)),
        },
        {
            "id": "b",
            "op": "population",
            "factor": 2.0,
            "geometry": _lonlat(box(X0, Y0, X0 + 10, Y0 + 10)),
        },
    ]
    edits = parse_edits(raw)
    again = parse_edits([e.to_dict() for e in edits])
    assert [e.to_dict() for e in again] == [e.to_dict() for e in edits]
    assert again[0].facility_type == "fitness_station" and again[1].factor == 2.0


# --- applying (answers by hand) ---------------------------------------------------------------


def test_adds_go_through_the_projection_and_the_stored_layers_stay() -> None:
    ws = _square_county()
    before = {k: v.copy() for k, v in ws.layers.items()}
    edits = parse_edits(
        [
            {
                "op": "add",
                "layer": "parks",
                "name": "新公园",
                "geometry": _lonlat(box(X0 + 600, Y0 + 600, X0 + 700, Y0 + 700)),
            },
            {
                "op": "add",
                "layer": "roads",
                "geometry": _lonlat(LineString([(X0 + 1000, Y0 + 500), (X0 + 1000, Y0 + 1000)])),
            },
            {
                "op": "add",
                "layer": "sports",
                "facility_type": "fitness_station",
                "geometry": _lonlat(Point(X0 + 900, Y0 + 900)),
            },
            {
                "op": "add",
                "layer": "libraries",
                "facility_type": "library",
                "geometry": _lonlat(Point(X0 + 300, Y0 + 300)),
            },
        ]
    )
    out = apply_edits(ws, edits)
    after = out.workspace.layers
    assert after["parks"].geometry.area.sum() == pytest.approx(10_000.0, rel=1e-6)
    assert after["green_space"].geometry.area.sum() == pytest.approx(10_000.0, rel=1e-6)
    assert after["roads"].length.sum() == pytest.approx(2500.0, rel=1e-6)
    # the road's first end is the walk node at (X0 + 1000, Y0 + 500): one new node, one edge
    assert len(after["walk_nodes"]) == 3 and len(after["walk_edges"]) == 2
    assert list(after["sports"]["leisure"]) == ["pitch", "fitness_station"]
    assert list(after["libraries"]["facility_type"]) == ["library"]
    assert out.changed == {
        "parks",
        "green_space",
        "roads",
        "walk_nodes",
        "walk_edges",
        "sports",
        "libraries",
    }
    assert [e["outcome"] for e in out.edits] == ["applied"] * 4
    for name, frame in before.items():  # nothing stored changed
        assert ws.layers[name].equals(frame), name
    assert "libraries" not in ws.layers


def test_move_and_delete_name_rows_and_check_the_original() -> None:
    ws = _square_county()
    moved = apply_edits(
        ws,
        parse_edits(
            [
                {
                    "op": "move",
                    "layer": "sports",
                    "feature": 0,
                    "original": _lonlat(Point(X0 + 100, Y0 + 100)),
                    "geometry": _lonlat(Point(X0 + 400, Y0 + 500)),
                }
            ]
        ),
    ).workspace
    point = moved.layers["sports"].geometry.iloc[0]
    assert point.distance(Point(X0 + 400, Y0 + 500)) < 0.01
    assert ws.layers["sports"].geometry.iloc[0].equals(Point(X0 + 100, Y0 + 100))
    with pytest.raises(ValidationError) as info:
        apply_edits(
            ws,
            parse_edits(
                [
                    {
                        "op": "move",
                        "layer": "sports",
                        "feature": 0,
                        "original": _lonlat(Point(X0 + 300, Y0 + 100)),
                        "geometry": _lonlat(Point(X0 + 400, Y0 + 500)),
                    },
                    {"op": "delete", "layer": "sports", "feature": 5},
                    {"op": "add", "layer": "sports", "geometry": _lonlat(Point(X0 + 50_000, Y0))},
                ]
            ),
        )
    assert sorted(p.code for p in info.value.problems) == ["outside_county"]
    with pytest.raises(ValidationError) as info:
        apply_edits(
            ws,
            parse_edits(
                [
                    {
                        "op": "move",
                        "layer": "sports",
                        "feature": 0,
                        "original": _lonlat(Point(X0 + 300, Y0 + 100)),
                        "geometry": _lonlat(Point(X0 + 400, Y0 + 500)),
                    },
                    {"op": "delete", "layer": "sports", "feature": 5},
                ]
            ),
        )
    assert [p.code for p in info.value.problems] == ["feature_changed", "no_such_feature"]
    gone = apply_edits(ws, parse_edits([{"op": "delete", "layer": "sports", "feature": 0}]))
    assert len(gone.workspace.layers["sports"]) == 0 and gone.changed == {"sports"}


def test_population_edits_move_the_urban_population() -> None:
    ws = _square_county()
    area = box(X0, Y0, X0 + 200, Y0 + 100)  # holds the cells of 100 and 300 persons
    out = apply_edits(
        ws, parse_edits([{"op": "population", "persons": 1000, "geometry": _lonlat(area)}])
    )
    cells = out.workspace.population
    assert cells is not None
    assert cells.persons.tolist() == pytest.approx([250.0, 750.0, 600.0])
    assert out.workspace.metadata["population"]["urban_population"] == pytest.approx(1600.0)
    assert ws.metadata["population"]["urban_population"] == 1000.0
    assert out.changed == {"population"}
    # an empty area gets new cells on the raster's lattice, sharing the persons evenly
    empty = box(X0 + 400, Y0 + 400, X0 + 600, Y0 + 500)
    new, before, after = set_population(ws.population, empty, persons=500)  # type: ignore[arg-type]
    assert (before, after) == (0.0, 500.0)
    assert new.persons.tolist() == [100.0, 300.0, 600.0, 250.0, 250.0]
    assert new.x_m[3:].tolist() == [X0 + 450.0, X0 + 550.0]


# --- indicators -----------------------------------------------------------------------------------


def test_affected_indicators() -> None:
    assert affected_indicators({"sports"}) == ["fitness_15min_coverage"]
    assert affected_indicators({"roads", "walk_edges"}) == [
        "road_density",
        "fitness_15min_coverage",
    ]
    assert affected_indicators({"population"}) == [
        "fitness_15min_coverage",
        "park_green_per_capita",
    ]
    assert set(INDICATOR_INPUTS) <= set(INDICATOR_IDS)


@pytest.fixture(scope="module")
def demo(demo_workspace: Any) -> tuple[Workspace, IndicatorSettings, list[Any]]:
    ws = demo_workspace.to_metric()
    settings = IndicatorSettings()
    return ws, settings, compute_all(ws, settings)


def _demo_edits(ws: Workspace) -> list[dict[str, Any]]:
    centre = ws.layers["built_up"].geometry.union_all().representative_point()
    c = (centre.x, centre.y)
    return [
        {
            "op": "add",
            "layer": "sports",
            "facility_type": "pitch",
            "geometry": _lonlat_in(ws, Point(c[0] + 1500, c[1] + 1500)),
        },
        {
            "op": "add",
            "layer": "parks",
            "geometry": _lonlat_in(ws, box(c[0], c[1], c[0] + 200, c[1] + 200)),
        },
        {
            "op": "add",
            "layer": "roads",
            "geometry": _lonlat_in(ws, LineString([c, (c[0] + 300, c[1] + 40)])),
        },
        {"op": "delete", "layer": "sports", "feature": 0},
        {"op": "population", "factor": 1.5, "geometry": _lonlat_in(ws, centre.buffer(800))},
        {"op": "add", "layer": "parking", "spaces": 300, "geometry": _lonlat_in(ws, centre)},
    ]


def _lonlat_in(ws: Workspace, geom: Any) -> dict[str, Any]:
    return dict(mapping(gpd.GeoSeries([geom], crs=ws.metric_crs).to_crs(4326).iloc[0]))


@pytest.mark.parametrize("which", [0, 1, 2, 3, 4, 5, None])
def test_incremental_equals_a_full_recomputation(demo: Any, which: int | None) -> None:
    """Each edit kind alone, and all together: the recomputed indicators are compute_all's."""
    ws, settings, now = demo
    raw = _demo_edits(ws)
    edits = parse_edits(raw if which is None else [raw[which]])
    applied = apply_edits(ws, edits)
    after, ids, full = recompute(applied.workspace, applied.changed, now, settings)
    assert not full and ids
    with disabled():  # a full recomputation, without the indicators' kept state
        expected = compute_all(applied.workspace, settings)
    assert [r.id for r in after] == [r.id for r in expected]
    for got, want in zip(after, expected, strict=True):
        assert got.to_dict()["value"] == want.to_dict()["value"], got.id
        assert got.passed == want.passed, got.id
    result = evaluate(ws, edits, settings, before=now)
    assert result.to_dict()["recomputed"] == ids


def test_a_scenario_moves_the_figures_it_should(demo: Any) -> None:
    ws, settings, now = demo
    raw = _demo_edits(ws)
    out = evaluate(ws, parse_edits([raw[1], raw[5]]), settings, before=now).to_dict()
    rows = {r["id"]: r for r in out["indicators"]}
    assert rows["park_green_per_capita"]["after"] > rows["park_green_per_capita"]["before"]
    assert rows["road_density"]["after"] == rows["road_density"]["before"]
    assert not rows["road_density"]["recomputed"]
    assert (
        out["totals"]["parking_spaces"]["projected"] == out["totals"]["parking_spaces"]["now"] + 300
    )
    assert out["grade"]["score_before"] == assess(now).score
    assert out["rank"]["before"] is None and "2020" in out["rank"]["reason"]


def test_an_unknown_facility_layer_makes_a_full_recomputation(demo: Any) -> None:
    ws, settings, now = demo
    centre = ws.layers["built_up"].geometry.union_all().representative_point()
    edits = parse_edits(
        [
            {
                "op": "add",
                "layer": "clinics",
                "facility_type": "clinic",
                "geometry": _lonlat_in(ws, centre),
            }
        ]
    )
    result = evaluate(ws, edits, settings, before=now)
    assert result.full_recompute and "clinics" not in ws.layers


def test_province_rank_before_and_after() -> None:
    def doc(cid: str, score: float) -> dict[str, Any]:
        return {
            "county_id": cid,
            "year": 2020,
            "report": {"assessment": {"score": score, "grade": "合格"}, "indicators": []},
        }

    class A:  # only score and grade are read
        def __init__(self, score: float) -> None:
            self.score, self.grade = score, "合格"

    docs = [doc("a", 80.0), doc("b", 60.0), doc("me", 10.0), {**doc("c", 99.0), "year": 2018}]
    rank = province_rank(docs, "me", {}, 2020, ([], A(50.0)), ([], A(70.0)))  # type: ignore[arg-type]
    assert rank == {"year": 2020, "before": 3, "after": 2, "of": 3, "reason": None}
