"""Projected indicators (gis/projection.py) on a hand-made county with answers known by hand.

The county (local metres, shifted into EPSG:4547 by ``handmade``): a 1 km x 1 km built-up
area; two dead-end streets along y = 500, west (0-400 m) and east (600-1,000 m), 200 m apart;
a sports facility at the west end (0, 500); two population cells of 1,000 persons each at
(100, 520) and (900, 520); no parks.  So now: road density 0.8 km/km², fitness coverage 50 %
(the east cell's street does not reach the facility), park per capita 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry

from gis.cli import main
from gis.errors import CrsError, ValidationError
from gis.indicators import compute_all
from gis.network import build_walk_network
from gis.projection import (
    PARKING_LAYER,
    apply_projects,
    check_projects,
    project_indicators,
    projected_report,
)
from gis.settings import IndicatorSettings
from gis.workspace import Workspace
from tests.gis.indicators.handmade import CRS_GK, X0, Y0, cells, layer, points, roads, shift
from tests.helpers import stored_hash, write_grid_tif

S = IndicatorSettings()  # 15 min x 1.1 m/s = 990 m
WEST = [(0.0, 500.0), (100.0, 500.0), (200.0, 500.0), (300.0, 500.0), (400.0, 500.0)]
EAST = [(600.0, 500.0), (700.0, 500.0), (800.0, 500.0), (900.0, 500.0), (1000.0, 500.0)]
HOMES = [(100.0, 520.0), (900.0, 520.0)]


def hand_layers(parking: gpd.GeoDataFrame | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The county's layers in EPSG:4547."""
    streets = roads([(WEST, "branch", False, "西街"), (EAST, "branch", False, "东街")])
    nodes, edges = build_walk_network(streets[["osm_id", "highway", "geometry"]])
    out = {
        "boundary": layer([box(-100, -100, 1100, 1100)], name=["手工县"]),
        "built_up": layer([box(0, 0, 1000, 1000)], source=["test"]),
        "roads": streets,
        "walk_nodes": nodes,
        "walk_edges": edges,
        "parks": layer([], name=[]),
        "green_space": layer([], name=[]),
        "sports": points([(0.0, 500.0)], name=["体育场"], leisure=["stadium"]),
        "residential": layer([box(0, 0, 1000, 1000)], name=["小区"]),
        "landuse": layer([], landuse=[]),
    }
    if parking is not None:
        out[PARKING_LAYER] = parking
    return out


def hand_ws(parking: gpd.GeoDataFrame | None = None) -> Workspace:
    """The county in its metric CRS (population: the raster's 2,000 persons)."""
    meta = {"county_id": "hand", "name": "手工县", "metric_crs": "EPSG:4547", "layers": {}}
    pop = cells(HOMES, [1000.0, 1000.0])
    return Workspace(hand_layers(parking), meta, pop, "", CRS_GK)


def projects(*rows: tuple[Any, ...], **extra: list[Any]) -> gpd.GeoDataFrame:
    """Projects in EPSG:4326 from ``(id, category, local geometry[, review_status])`` rows."""
    geoms = [None if r[2] is None else shift(r[2]) for r in rows]
    data = {
        "project_id": [r[0] for r in rows],
        "name": [f"项目{r[0]}" for r in rows],
        "category": [r[1] for r in rows],
        "investment_wan_yuan": [100.0] * len(rows),
        "progress_pct": [0.0] * len(rows),
        "status": ["在建"] * len(rows),
        "review_status": [r[3] if len(r) > 3 else "已通过" for r in rows],
        **extra,
    }
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=CRS_GK)).to_crs(4326)


def values(results: list[Any]) -> dict[str, float | None]:
    return {r.id: r.value for r in results}


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return hand_ws()


@pytest.fixture(scope="module")
def now(ws: Workspace) -> dict[str, float | None]:
    return values(compute_all(ws, S))


def test_the_county_now_is_as_worked_out_by_hand(now: dict[str, float | None]) -> None:
    assert now["road_density"] == pytest.approx(0.8)
    assert now["fitness_15min_coverage"] == pytest.approx(50.0)
    assert now["park_green_per_capita"] == pytest.approx(0.0)


def test_a_park_of_10000_m2_for_2000_persons_adds_5_m2_each(ws: Workspace) -> None:
    park = box(300, 100, 400, 200)  # 100 m x 100 m
    result = project_indicators(ws, projects(("P1", "公园绿地", park)), S)
    rows = {c["id"]: c for c in result.to_dict()["indicators"]}
    per_capita = rows["park_green_per_capita"]
    assert per_capita["now"] == pytest.approx(0.0)
    assert per_capita["projected"] == pytest.approx(5.0, rel=1e-6)
    assert per_capita["delta"] == pytest.approx(5.0, rel=1e-6)
    assert rows["green_space_ratio"]["projected"] == pytest.approx(1.0, rel=1e-6)  # 1 ha of 1 km²
    assert rows["road_density"]["delta"] == 0.0
    (applied,) = result.projects
    assert (applied.outcome, applied.unit, applied.layers) == (
        "applied",
        "m²",
        ("parks", "green_space"),
    )
    assert applied.amount == pytest.approx(10_000.0, rel=1e-6)
    assert applied.details["new_park_in_built_up_m2"] == pytest.approx(10_000.0, rel=1e-6)


def test_a_park_drawn_as_a_point_or_a_line_adds_no_area_and_says_why(ws: Workspace) -> None:
    result = project_indicators(
        ws,
        projects(("P1", "公园绿地", Point(500, 200)), ("P2", "公园绿地", LineString(WEST))),
        S,
    )
    assert [p.outcome for p in result.projects] == ["not_applied", "not_applied"]
    assert "polygon" in result.projects[0].note_en and "面" in result.projects[0].note_zh
    assert all(c.projected is c.now for c in result.changes)  # nothing applied


def test_a_road_joining_two_dead_ends_adds_its_length_and_covers_the_far_home(
    ws: Workspace,
) -> None:
    road = LineString([(400, 500), (600, 500)])  # 200 m
    result = project_indicators(ws, projects(("R1", "道路", road)), S)
    by_id = {c.now.id: c for c in result.changes}
    density = by_id["road_density"]
    assert density.delta == pytest.approx(0.2, rel=1e-6)  # 0.2 km / 1 km²
    assert density.now.details["dead_end_count"] == 2
    assert density.projected.details["dead_end_count"] == 0
    fitness = by_id["fitness_15min_coverage"]
    assert fitness.projected.value == pytest.approx(100.0)  # 20 m + 900 m <= 990 m
    assert fitness.projected.passed is True and fitness.now.passed is False
    (applied,) = result.projects
    assert applied.amount == pytest.approx(0.2, rel=1e-6) and applied.unit == "km"
    assert applied.details["ends_joined"] == 2
    assert applied.layers == ("roads", "walk_nodes", "walk_edges")


def test_road_ends_within_the_snap_distance_join_the_nearest_nodes(ws: Workspace) -> None:
    road = LineString([(410, 520), (590, 480)])  # ends 22.4 m from the nodes, under 30 m
    after, (applied,) = apply_projects(ws, projects(("R1", "道路", road)))
    assert applied.details["ends_joined"] == 2
    assert applied.details["snap_distances_m"] == pytest.approx([22.36, 22.36], abs=0.01)
    edges = after.layers["walk_edges"]
    assert len(edges) == len(ws.layers["walk_edges"]) + 1
    new = edges.iloc[-1]
    node_xy = {
        int(n): (p.x - X0, p.y - Y0)
        for n, p in zip(
            after.layers["walk_nodes"]["node_id"], after.layers["walk_nodes"].geometry, strict=True
        )
    }
    assert node_xy[int(new["u"])] == pytest.approx((400.0, 500.0), abs=1e-6)
    assert node_xy[int(new["v"])] == pytest.approx((600.0, 500.0), abs=1e-6)
    assert new["length_m"] == pytest.approx(2 * np.hypot(10, 20) + np.hypot(180, 40), rel=1e-6)
    degree = after.layers["walk_nodes"].set_index("node_id")["degree"]
    assert degree[int(new["u"])] == 2 and degree[int(new["v"])] == 2
    assert values(compute_all(after, S))["fitness_15min_coverage"] == pytest.approx(100.0)


def test_road_ends_beyond_the_snap_distance_stay_apart(ws: Workspace) -> None:
    road = LineString([(400, 560), (600, 560)])  # 60 m north of the street ends
    result = project_indicators(ws, projects(("R1", "道路", road)), S)
    (applied,) = result.projects
    assert applied.details["ends_joined"] == 0 and "dead ends" in applied.note_en
    fitness = {c.now.id: c for c in result.changes}["fitness_15min_coverage"]
    assert fitness.projected.value == pytest.approx(50.0)
    wider = project_indicators(ws, projects(("R1", "道路", road)), S, snap_m=70.0)
    assert wider.projects[0].details["ends_joined"] == 2
    # joined now, the far home walks 400 + 60 + 200 + 60 + 300 + 20 = 1,040 m: still beyond 990 m
    gap = {c.now.id: c.projected for c in wider.changes}["fitness_15min_coverage"].layer
    assert gap["walk_m"].tolist() == pytest.approx([1040.0], abs=0.01)


def _node_at(after: Workspace, x: float, y: float) -> int:
    nodes = after.layers["walk_nodes"]
    near = [
        int(n)
        for n, p in zip(nodes["node_id"], nodes.geometry, strict=True)
        if abs(p.x - X0 - x) < 1e-6 and abs(p.y - Y0 - y) < 1e-6
    ]
    assert len(near) == 1, (x, y, near)
    return near[0]


def test_a_road_crossing_a_street_meets_it_at_a_new_junction(ws: Workspace) -> None:
    """A north-south road through the west street at x = 250 (the street is one 400 m walk edge
    between its end nodes): the street's edge is cut into 250 and 150 m, the road into two of
    200 m, all four meet at a new node of degree 4; the walk network keeps its length."""
    road = LineString([(250, 300), (250, 700)])
    after, (applied,) = apply_projects(ws, projects(("R1", "道路", road)))
    assert applied.details["ends_joined"] == 0  # both ends are 200 m from any node
    edges, before = after.layers["walk_edges"], ws.layers["walk_edges"]
    assert len(edges) == len(before) - 1 + 2 + 2
    assert edges["length_m"].sum() == pytest.approx(before["length_m"].sum() + 400.0)
    junction = _node_at(after, 250, 500)
    degree = after.layers["walk_nodes"].set_index("node_id")["degree"]
    assert degree[junction] == 4
    at = edges[(edges["u"] == junction) | (edges["v"] == junction)]
    assert sorted(at["length_m"].round(6)) == [150.0, 200.0, 200.0, 250.0]
    west = at[at["project_id"].isna()]
    assert set(west["osm_id"]) == set(before["osm_id"][before["u"].isin(west["u"])])
    ends = {frozenset((int(a), int(b))) for a, b in zip(west["u"], west["v"], strict=True)}
    assert ends == {
        frozenset((_node_at(after, 0, 500), junction)),
        frozenset((junction, _node_at(after, 400, 500))),
    }


def test_a_crossing_road_brings_a_new_facility_within_reach(ws: Workspace) -> None:
    """A road through the east street at x = 750 with a sports facility at its south end
    (750, 300): the east home walks 20 m to its street, 150 m along it to the crossing and
    200 m down the road: 370 m, so both homes are covered (100 %).  Without the junction the
    facility would stand on a road joined to nothing (50 %)."""
    road = LineString([(750, 300), (750, 700)])
    result = project_indicators(
        ws, projects(("R1", "道路", road), ("S1", "体育", Point(750, 300))), S
    )
    fitness = {c.now.id: c for c in result.changes}["fitness_15min_coverage"]
    assert fitness.now.value == pytest.approx(50.0)
    assert fitness.projected.value == pytest.approx(100.0)


def test_two_project_roads_crossing_each_other_meet(ws: Workspace) -> None:
    """The second road crosses the first (a queued edge), away from every street."""
    a = LineString([(450, 100), (450, 400)])
    b = LineString([(350, 250), (550, 250)])
    after, _ = apply_projects(ws, projects(("R1", "道路", a), ("R2", "道路", b)))
    junction = _node_at(after, 450, 250)
    assert after.layers["walk_nodes"].set_index("node_id")["degree"][junction] == 4
    edges = after.layers["walk_edges"]
    assert len(edges) == len(ws.layers["walk_edges"]) + 4
    assert edges["length_m"].sum() == pytest.approx(
        ws.layers["walk_edges"]["length_m"].sum() + 500.0
    )


def test_a_sports_project_covers_the_far_home(ws: Workspace) -> None:
    result = project_indicators(ws, projects(("S1", "体育", Point(1000, 450))), S)
    by_id = {c.now.id: c for c in result.changes}
    assert by_id["fitness_15min_coverage"].projected.value == pytest.approx(100.0)
    assert result.totals["sports_facilities"] == {"now": 1.0, "projected": 2.0}
    assert result.projects[0].amount == 1.0 and result.projects[0].unit == "facility"


def test_a_sports_line_becomes_its_mid_point_and_a_polygon_stays_a_polygon(ws: Workspace) -> None:
    after, _ = apply_projects(
        ws,
        projects(
            ("S1", "体育", LineString([(700, 400), (900, 400)])),
            ("S2", "体育", box(100, 100, 200, 150)),
        ),
    )
    added = after.layers["sports"].iloc[-2:]
    assert added.geometry.iloc[0].geom_type == "Point"
    assert (added.geometry.iloc[0].x - X0, added.geometry.iloc[0].y - Y0) == pytest.approx(
        (800.0, 400.0), abs=1e-6
    )
    assert added.geometry.iloc[1].area == pytest.approx(5000.0, rel=1e-6)


def test_parking_projects_add_their_spaces_to_a_new_or_existing_parking_layer() -> None:
    lots = projects(
        ("K1", "停车", Point(500, 300)), ("K2", "停车", box(0, 0, 50, 50)), parking_spaces=[120, 30]
    )
    fresh = project_indicators(hand_ws(), lots, S)
    assert fresh.totals["parking_spaces"] == {"now": None, "projected": 150.0}
    assert [p.amount for p in fresh.projects] == [120.0, 30.0]
    existing = points([(10.0, 10.0)], name=["老停车场"], capacity_spaces=[50])
    after, _ = apply_projects(hand_ws(existing), lots)
    assert after.layers[PARKING_LAYER]["capacity_spaces"].tolist() == [50, 120, 30]
    assert project_indicators(hand_ws(existing), lots, S).totals["parking_spaces"] == {
        "now": 50.0,
        "projected": 200.0,
    }


def test_a_parking_project_without_spaces_is_not_applied(ws: Workspace) -> None:
    lot = projects(("K1", "停车", Point(500, 300)), parking_spaces=[None])
    after, (applied,) = apply_projects(ws, lot)
    assert applied.outcome == "not_applied" and "parking_spaces" in applied.note_en
    assert PARKING_LAYER not in after.layers


def test_projects_not_passed_or_without_effect_change_nothing(
    ws: Workspace, now: dict[str, float | None]
) -> None:
    park, road = box(300, 100, 400, 200), LineString([(400, 500), (600, 500)])
    rows = [(f"P{i}", "公园绿地", park, s) for i, s in enumerate(("草稿", "已提交", "已退回"))]
    rows += [("R1", "道路", road, "已退回"), ("W1", "供水", road), ("X1", "其他", None)]
    after, applied = apply_projects(ws, projects(*rows))
    assert [a.outcome for a in applied] == ["not_passed"] * 4 + ["no_effect"] * 2
    assert values(compute_all(after, S)) == now
    for name, gdf in ws.layers.items():
        assert after.layers[name] is gdf  # unchanged layers are shared, not rebuilt
    result = project_indicators(ws, projects(*rows), S).to_dict()
    assert result["grade"]["score_delta"] == 0.0
    assert result["project_counts"] == {
        "applied": 0,
        "no_effect": 2,
        "not_applied": 0,
        "not_passed": 4,
    }


def test_the_workspace_given_is_never_modified(ws: Workspace) -> None:
    before = {
        k: (len(v), list(v.columns), v.geometry.to_wkb().tolist()) for k, v in ws.layers.items()
    }
    rows = [
        ("P1", "公园绿地", box(300, 100, 400, 200)),
        ("R1", "道路", LineString([(400, 500), (600, 500)])),
        ("S1", "体育", Point(1000, 450)),
        ("K1", "停车", Point(500, 300)),
    ]
    project_indicators(ws, projects(*rows, parking_spaces=[None, None, None, 10]), S)
    after = {
        k: (len(v), list(v.columns), v.geometry.to_wkb().tolist()) for k, v in ws.layers.items()
    }
    assert after == before
    assert PARKING_LAYER not in ws.layers and "projected_projects" not in ws.metadata


def test_the_now_results_given_are_used_as_they_are(ws: Workspace) -> None:
    current = compute_all(ws, S)
    result = project_indicators(ws, projects(("W1", "供水", Point(1, 1))), S, now=current)
    assert [c.now for c in result.changes] == current
    assert [c.projected for c in result.changes] == current  # nothing applied: nothing recomputed


def test_bad_projects_are_refused_with_every_problem_named() -> None:
    bad = projects(("P1", "公园", Point(0, 0)), ("P1", "道路", Point(0, 0), "approved"))
    with pytest.raises(ValidationError) as info:
        check_projects(bad)
    codes = [(p.source, p.code) for p in info.value.problems]
    assert codes == [
        ("P1", "unknown_category"),
        ("P1", "unknown_review_status"),
        ("P1", "repeated"),
    ]
    assert "项目数据有 3 个问题" in str(info.value) and "3 problem(s)" in str(info.value)
    with pytest.raises(ValidationError, match="review_status"):
        check_projects(projects(("P1", "道路", Point(0, 0))).drop(columns="review_status"))
    with pytest.raises(ValidationError, match="parking_spaces"):
        check_projects(projects(("K1", "停车", Point(0, 0)), parking_spaces=[-3]))
    with pytest.raises(CrsError, match="EPSG:4326"):
        check_projects(gpd.GeoDataFrame({"project_id": ["P1"]}, geometry=[Point(0, 0)]))


def test_a_metric_crs_is_required(ws: Workspace) -> None:
    geographic = Workspace({k: v.to_crs(4326) for k, v in ws.layers.items()}, ws.metadata)
    with pytest.raises(CrsError):
        apply_projects(geographic, projects(("P1", "公园绿地", box(0, 0, 10, 10))))


def test_projected_report_takes_a_workspace_in_its_storage_crs(ws: Workspace) -> None:
    stored = Workspace(
        {k: v.to_crs(4326) for k, v in ws.layers.items()}, ws.metadata, ws.population, "", CRS_GK
    )
    report = projected_report(stored, projects(("P1", "公园绿地", box(300, 100, 400, 200))), S)
    json.dumps(report, ensure_ascii=False, allow_nan=False)
    per_capita = {c["id"]: c for c in report["indicators"]}["park_green_per_capita"]
    assert per_capita["projected"] == pytest.approx(5.0, rel=1e-6)
    assert report["label_zh"] == "项目建成后（估算）"


# ---------------------------------------------------------------- properties

COORD = st.floats(-300.0, 1300.0, allow_nan=False)


@st.composite
def rectangles(draw: Any) -> BaseGeometry:
    x, y = draw(COORD), draw(COORD)
    return box(x, y, x + draw(st.floats(1.0, 600.0)), y + draw(st.floats(1.0, 600.0)))


@st.composite
def inert_projects(draw: Any) -> tuple[Any, ...]:
    """A project that must not move an indicator: not passed, no effect, or a park without area."""
    kind = draw(st.sampled_from(["not_passed", "no_effect", "park_point", "park_line"]))
    geom = draw(rectangles())
    if kind == "not_passed":
        category = draw(st.sampled_from(["公园绿地", "道路", "体育", "停车"]))
        if category == "道路":
            geom = geom.exterior
        return (category, geom, draw(st.sampled_from(["草稿", "已提交", "已退回"])))
    if kind == "no_effect":
        category = draw(st.sampled_from(["供水", "污水", "燃气", "供热", "环卫/公厕", "其他"]))
        return (category, geom, "已通过")
    return ("公园绿地", geom.centroid if kind == "park_point" else geom.exterior, "已通过")


PROPERTY = hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(inert_projects(), max_size=4))
def test_projects_that_apply_nothing_leave_every_indicator_identical(rows: list[Any]) -> None:
    ws = hand_ws()
    table = projects(*[(f"P{i}", *r[:2], r[2]) for i, r in enumerate(rows)])
    after, _ = apply_projects(ws, table)
    assert values(compute_all(after, S)) == values(compute_all(ws, S))


@PROPERTY
@given(st.lists(rectangles(), min_size=1, max_size=3))
def test_park_projects_never_lower_park_per_capita_or_green_ratio(parks: list[Any]) -> None:
    ws = hand_ws()
    ws.layers["parks"] = layer([box(250, 50, 450, 250)], name=["老公园"])  # overlaps some
    table = projects(*[(f"P{i}", "公园绿地", g) for i, g in enumerate(parks)])
    result = {c.now.id: c for c in project_indicators(ws, table, S).changes}
    for ident in ("park_green_per_capita", "green_space_ratio"):
        now, after = result[ident].now.value, result[ident].projected.value
        assert now is not None and after is not None
        assert after >= now - 1e-9


# ---------------------------------------------------------------- the command line


def write_hand_workspace(folder: Path, *, parking: gpd.GeoDataFrame | None = None) -> Path:
    """The hand-made county as a workspace folder (GeoPackage in EPSG:4326, GeoTIFF, metadata)."""
    folder.mkdir(parents=True)
    for name, gdf in hand_layers(parking).items():
        pyogrio.write_dataframe(gdf.to_crs(4326), folder / "workspace.gpkg", layer=name)
    grid = np.zeros((1, 9))
    grid[0, 0] = grid[0, 8] = 1000.0  # cells centred at x = 100 and 900 m, y = 520 m
    write_grid_tif(
        folder / "population.tif", grid, left=X0 + 50, top=Y0 + 570, cell_m=100.0, crs="EPSG:4547"
    )
    meta = {"county_id": "hand", "name": "手工县", "metric_crs": "EPSG:4547", "layers": {}}
    (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def disk_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lot = points([(10.0, 10.0)], name=["老停车场"], capacity_spaces=[50])
    return write_hand_workspace(tmp_path_factory.mktemp("proj") / "hand", parking=lot)


def all_kinds() -> gpd.GeoDataFrame:
    return projects(
        ("P1", "公园绿地", box(300, 100, 400, 200)),
        ("R1", "道路", LineString([(400, 500), (600, 500)])),
        ("K1", "停车", Point(500, 300)),
        ("D1", "体育", Point(900, 500), "草稿"),
        parking_spaces=[None, None, 120, None],
    )


def test_cli_prints_now_projected_and_leaves_the_workspace_byte_identical(
    disk_ws: Path, tmp_path: Path, capsys: Any
) -> None:
    file = tmp_path / "projects.geojson"
    all_kinds().to_file(file, driver="GeoJSON")
    before = stored_hash(disk_ws)
    assert main(["project-impact", str(disk_ws), "--projects", str(file), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    rows = {r["id"]: r for r in result["indicators"]}
    assert rows["park_green_per_capita"]["projected"] == pytest.approx(5.0, rel=1e-4)
    assert rows["road_density"]["now"] == pytest.approx(0.8, rel=1e-6)
    assert rows["road_density"]["projected"] == pytest.approx(1.0, rel=1e-6)
    assert rows["fitness_15min_coverage"]["now"] == pytest.approx(50.0)
    assert rows["fitness_15min_coverage"]["projected"] == pytest.approx(100.0)
    assert result["totals"]["parking_spaces"] == {"now": 50.0, "projected": 170.0}
    assert [p["outcome"] for p in result["projects"]] == ["applied"] * 3 + ["not_passed"]
    assert stored_hash(disk_ws) == before
    gpkg = tmp_path / "projects.gpkg"
    all_kinds().to_file(gpkg, layer="projects", driver="GPKG")
    assert main(["project-impact", str(disk_ws), "--projects", str(gpkg)]) == 0
    table = capsys.readouterr().out
    line = next(t for t in table.splitlines() if t.startswith("人均公园绿地面积"))
    assert line.split()[-9:] == [
        "0.00",
        "5.00",
        "+5.00",
        "m²/person",
        "≥",
        "8.5",
        "未达标",
        "→",
        "未达标",
    ]
    line = next(t for t in table.splitlines() if t.startswith("城市15分钟健身圈覆盖率"))
    assert line.endswith("未达标 → 达标")
    assert "停车泊位: 50.00 → 170.00" in table
    assert stored_hash(disk_ws) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--projects", "missing.geojson"], "no such projects file"),
        (["--projects", "projects.csv"], "must be a .geojson"),
        (["--projects", "bad.geojson"], "category '公园' is not one of"),
        (["--projects", "ok.geojson", "--year", "2019"], "--year must be one of"),
        (["--projects", "ok.geojson", "--snap-m", "-5"], "snap_m must be"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(
    disk_ws: Path, tmp_path: Path, capsys: Any, args: list[str], message: str
) -> None:
    projects(("P1", "公园", Point(0, 0))).to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    projects(("P1", "公园绿地", box(0, 0, 9, 9))).to_file(tmp_path / "ok.geojson", driver="GeoJSON")
    (tmp_path / "projects.csv").write_text("x\n", encoding="utf-8")
    args = [a if not a.endswith((".geojson", ".csv")) else str(tmp_path / a) for a in args]
    assert main(["project-impact", str(disk_ws), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


# ---------------------------------------------------------------- the real demonstration area


def test_building_the_first_suggested_fitness_site_adds_what_it_promised(
    demo_workspace: Workspace,
) -> None:
    ws = demo_workspace.to_metric()
    now = compute_all(ws, S)
    fitness = next(r for r in now if r.id == "fitness_15min_coverage")
    site = fitness.details["suggested_sites"][0]
    gym = gpd.GeoDataFrame(
        {
            "project_id": ["S1"],
            "name": ["体育场"],
            "category": ["体育"],
            "review_status": ["已通过"],
        },
        geometry=[Point(site["x_m"], site["y_m"])],
        crs=ws.metric_crs,
    ).to_crs(4326)
    result = project_indicators(ws, gym, S, now=now)
    change = {c.now.id: c for c in result.changes}["fitness_15min_coverage"]
    # the site was scored entering the network at its node alone; built, it also enters at the
    # nodes within facility_snap_m, so it covers at least what it promised
    assert change.delta is not None
    assert change.delta >= site["coverage_added_pct"] - 1e-4  # the site figure is rounded
    assert change.delta <= site["coverage_added_pct"] + 5.0
    others = [c for c in result.changes if c.now.id != "fitness_15min_coverage"]
    assert all(c.delta in (0.0, None) for c in others)  # None: no data now and after
    assert all((c.now.value is None) == (c.delta is None) for c in others)
