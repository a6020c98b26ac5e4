"""15-minute fitness coverage on hand-made networks with answers known by hand."""

from __future__ import annotations

import numpy as np
import pytest
from handmade import X0, Y0, cells, layer, network, path_network, points, square, translated
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.errors import CrsError, ValidationError
from gis.indicators.fitness_coverage import compute_fitness_15min_coverage, snap_facilities
from gis.settings import IndicatorSettings

S15 = IndicatorSettings()  # 15 min x 1.1 m/s = 990 m
S10 = IndicatorSettings(walk_minutes=10)  # 660 m


def coverage(nodes, edges, sports, pop, s=S15, built_up=None):
    return compute_fitness_15min_coverage(
        nodes, edges, sports, pop, built_up, settings=s, provenance={"sports": "osm"}
    )


def test_home_900_m_along_the_network_is_covered_at_15_not_10_minutes() -> None:
    nodes, edges = path_network(12)  # nodes every 100 m from x=0 to x=1100
    gym = points([(0, 0)], leisure=["fitness_centre"])
    home = cells([(900, 0)], [40.0])
    r15, r10 = coverage(nodes, edges, gym, home), coverage(nodes, edges, gym, home, S10)
    assert r15.value == pytest.approx(100.0) and r15.passed is True
    assert r10.value == pytest.approx(0.0) and r10.passed is False
    assert r10.layer_name == "gap_fitness_uncovered_cells"
    assert list(r10.layer["persons"]) == [40.0]
    assert np.isnan(r10.layer["walk_m"].iloc[0])  # farther than the 660 m searched
    assert r10.layer.geometry.iloc[0].area == pytest.approx(100.0 * 100.0)
    assert r15.parameters["max_walk_m"] == pytest.approx(990.0)


def test_straight_line_close_but_network_far_is_not_covered() -> None:
    # A U: up 1 km, across 200 m, down 1 km.  Home and gym are 200 m apart in a straight line.
    up = [(0, y) for y in range(0, 1001, 100)]
    down = [(200, y) for y in range(1000, -1, -100)]
    xy = up + [(100, 1000)] + down
    nodes, edges = network(xy, [(i, i + 1) for i in range(len(xy) - 1)])
    result = coverage(nodes, edges, points([(0, 0)]), cells([(200, 0)], [10.0]))
    assert result.value == pytest.approx(0.0)
    assert np.isnan(result.layer["walk_m"].iloc[0])  # 2,200 m: beyond the search


def test_parallel_edges_take_the_shortest() -> None:
    # Three edges 0-1: 1,500 m, 500 m, 1,500 m.  Summing or keeping the first/last gives > 990 m.
    nodes, edges = network([(0, 0), (500, 0)], [(0, 1), (0, 1), (1, 0)], [1500.0, 500.0, 1500.0])
    result = coverage(nodes, edges, points([(0, 0)]), cells([(500, 0)], [5.0]))
    assert result.value == pytest.approx(100.0)


def test_the_walk_to_the_network_counts() -> None:
    nodes, edges = path_network(12)
    gym = points([(0, 0)])
    near = cells([(900, 80)], [1.0])  # 900 m + 80 m = 980 m <= 990 m
    far = cells([(950 - 50, 95)], [1.0])  # 900 m + 95 m = 995 m > 990 m
    assert coverage(nodes, edges, gym, near).value == pytest.approx(100.0)
    missed = coverage(nodes, edges, gym, far)
    assert missed.value == pytest.approx(0.0)
    assert missed.layer["walk_m"].iloc[0] == pytest.approx(995.0)
    assert missed.layer["access_m"].iloc[0] == pytest.approx(95.0)


def test_home_joins_the_nearest_street_point_not_the_nearest_node() -> None:
    # One 1,000 m edge from the gym's node (0, 0) to (1000, 0).  The home is 40 m off the
    # edge at x = 900.  Edge join: 40 + 900 = 940 m, covered.  Nearest-node join: node
    # (1000, 0) is 107.7 m away and 1,000 m from the gym: 1,107.7 m, not covered.
    nodes, edges = network([(0, 0), (1000, 0)], [(0, 1)])
    result = coverage(nodes, edges, points([(0, 0)]), cells([(900, 40)], [7.0]))
    assert result.value == pytest.approx(100.0)
    s14 = IndicatorSettings(walk_minutes=14)  # 924 m < 940 m
    tighter = coverage(nodes, edges, points([(0, 0)]), cells([(900, 40)], [7.0]), s14)
    assert tighter.value == pytest.approx(0.0)
    assert tighter.layer["walk_m"].iloc[0] == pytest.approx(940.0)
    assert tighter.layer["access_m"].iloc[0] == pytest.approx(40.0)


def test_home_off_the_middle_of_a_long_edge_walks_along_it() -> None:
    # Edge A(0,0)-B(1000,0); the gym's node F is 900 m from both A and B by straight edges.
    # The home is 30 m off the middle of A-B: 30 + 500 + 900 = 1,430 m by the edge join.
    # The nearest-node join would cut the corner: sqrt(500^2 + 30^2) + 900 = 1,400.9 m.
    fy = -np.sqrt(900.0**2 - 500.0**2)
    nodes, edges = network([(0, 0), (1000, 0), (500, fy)], [(0, 1), (2, 0), (2, 1)])
    gym, home = points([(500, fy)]), cells([(500, 30)], [3.0])
    limit_1419 = IndicatorSettings(walk_minutes=1419.0 / 66.0)  # 1,419 m: node join would pass
    result = coverage(nodes, edges, gym, home, limit_1419)
    assert result.value == pytest.approx(0.0)
    assert result.layer["walk_m"].iloc[0] == pytest.approx(1430.0)
    limit_1431 = IndicatorSettings(walk_minutes=1431.0 / 66.0)
    assert coverage(nodes, edges, gym, home, limit_1431).value == pytest.approx(100.0)


def test_equally_near_streets_take_the_shorter_walk() -> None:
    # Two parallel 1,000 m streets 100 m apart, not connected; the gym is on the lower one.
    # The home is 50 m from both: the lower gives 50 + 500 = 550 m, the upper none.
    nodes, edges = network([(0, 0), (1000, 0), (0, 100), (1000, 100)], [(0, 1), (2, 3)])
    result = coverage(nodes, edges, points([(0, 0)]), cells([(500, 50)], [1.0]), S10)
    assert result.value == pytest.approx(100.0)
    upper = coverage(nodes, edges, points([(0, 100)]), cells([(500, 50)], [1.0]), S10)
    assert upper.value == pytest.approx(100.0)


def test_no_walk_edges_is_not_computable() -> None:
    nodes, edges = network([(0, 0), (100, 0)], [])
    result = coverage(nodes, edges, points([(0, 0)]), cells([(0, 0)], [1.0]))
    assert result.status == "not_computable" and "pedestrian network" in result.reason


def test_the_walk_from_the_network_to_the_facility_counts() -> None:
    nodes, edges = path_network(12)
    home = cells([(900, 0)], [1.0])
    pitch_60 = layer([box(-40, 60, 40, 120)], leisure=["pitch"])  # 60 m from node 0: 960 m
    pitch_100 = layer([box(-40, 100, 40, 160)], leisure=["pitch"])  # 100 m: 1000 m
    assert coverage(nodes, edges, pitch_60, home).value == pytest.approx(100.0)
    assert coverage(nodes, edges, pitch_100, home).value == pytest.approx(0.0)


def test_facility_polygon_joins_every_node_within_the_snap_distance() -> None:
    nodes, edges = path_network(25)  # 0 .. 2,400 m
    park_pitch = layer([box(-50, -20, 650, 20)])  # covers nodes 0..6 (x = 0..600)
    home = cells([(1500, 0)], [1.0])  # 900 m from node 6
    assert coverage(nodes, edges, park_pitch, home).value == pytest.approx(100.0)
    gyms = np.asarray(points([(40, 30), (2000, 500)]).geometry.values)
    node_xy = np.column_stack([np.arange(25) * 100.0 + X0, np.zeros(25) + Y0])
    ids, offsets = snap_facilities(gyms, node_xy, 100.0)
    assert ids.tolist() == [0, 1, 20]  # the far gym joins its nearest node anyway
    assert offsets == pytest.approx([50.0, np.hypot(60, 30), 500.0])


def test_population_weighted_not_area_weighted() -> None:
    nodes, edges = path_network(30)
    pop = cells([(100, 0), (2500, 0), (2600, 0), (2700, 0)], [30.0, 2.0, 4.0, 4.0])
    result = coverage(nodes, edges, points([(0, 0)]), pop)
    assert result.value == pytest.approx(75.0)
    assert result.details["population_covered"] == pytest.approx(30.0)
    assert result.details["cells_uncovered"] == 3


def test_only_cells_overlapping_the_built_up_area_count_when_given() -> None:
    nodes, edges = path_network(30)
    pop = cells([(100, 0), (2500, 0), (1040, 0), (1050, 0)], [30.0, 10.0, 8.0, 5.0])
    built = square(-100, -100, 1000, 100)  # cell at 1040 overlaps by 10 m; the one at 1050 touches
    result = coverage(nodes, edges, points([(0, 0)]), pop, built_up=built)
    assert result.details["population_total"] == pytest.approx(38.0)
    assert result.value == pytest.approx(100.0 * 30.0 / 38.0)
    assert list(result.layer["persons"]) == [8.0]


def test_site_suggestions_cover_the_largest_uncovered_group_first() -> None:
    nodes, edges = path_network(61)  # 0 .. 6,000 m
    pop = cells([(100, 0), (3000, 0), (3100, 0), (5500, 0)], [10.0, 50.0, 30.0, 20.0])
    s = IndicatorSettings(sites_k=3)
    sites = coverage(nodes, edges, points([(0, 0)]), pop, s).details["suggested_sites"]
    assert [x["persons_added"] for x in sites] == [80.0, 20.0]  # nothing left for a third
    assert sites[0]["node_id"] in {30, 31}
    assert sites[0]["coverage_added_pct"] == pytest.approx(100 * 80 / 110, abs=1e-3)
    assert sites[1]["cumulative_added_pct"] == pytest.approx(100 * 100 / 110, abs=1e-3)
    assert 113 < sites[0]["lon"] < 115 and 34 < sites[0]["lat"] < 36


def test_site_suggestions_use_the_street_point_join() -> None:
    # One 1,960 m street A(0,0)-B(1960,0), no gym yet.  Home 1 (50 persons) is 60 m off
    # the street at x = 950: from A it is 60 + 950 = 1,010 m (a nearest-node join would say
    # sqrt(950^2 + 60^2) = 951.9 m, inside 990 m); from B 60 + 1,010 m.  Home 2 (5 persons)
    # is at x = 100 on the street.  So a site at A adds only the 5, and nothing else adds.
    nodes, edges = network([(0, 0), (1960, 0)], [(0, 1)])
    pop = cells([(950, 60), (100, 0)], [50.0, 5.0])
    sites = coverage(nodes, edges, points([]), pop).details["suggested_sites"]
    assert [(s["node_id"], s["persons_added"]) for s in sites] == [(0, 5.0)]


def test_no_facility_is_not_computable_but_still_suggests_sites() -> None:
    nodes, edges = path_network(5)
    result = coverage(nodes, edges, points([]), cells([(100, 0)], [9.0]))
    assert result.value is None and result.passed is None
    assert result.status == "not_computable" and "sports facilities" in result.reason
    assert result.details["suggested_sites"][0]["persons_added"] == 9.0
    assert list(result.layer["persons"]) == [9.0]
    none = coverage(nodes, edges, None, cells([(100, 0)], [9.0]))
    assert none.status == "not_computable"


def test_no_population_is_not_computable() -> None:
    nodes, edges = path_network(5)
    result = coverage(nodes, edges, points([(0, 0)]), None)
    assert result.status == "not_computable" and "population" in result.reason
    empty = coverage(
        nodes, edges, points([(0, 0)]), cells([(9000, 0)], [5.0]), built_up=square(0, 0, 10, 10)
    )
    assert empty.status == "not_computable"


def test_degrees_and_bad_node_ids_are_refused() -> None:
    nodes, edges = path_network(5)
    with pytest.raises(CrsError, match="walk_nodes"):
        coverage(
            nodes.to_crs(4326),
            edges.to_crs(4326),
            points([(0, 0)]).to_crs(4326),
            cells([(0, 0)], [1]),
        )
    broken = nodes.assign(node_id=nodes["node_id"] + 1)
    with pytest.raises(ValidationError, match="node_id"):
        coverage(broken, edges, points([(0, 0)]), cells([(0, 0)], [1.0]))


# --- properties -------------------------------------------------------------------------


def grid_inputs(n: int, fac: list, homes: list, persons: list):
    xy = [(i * 100.0, j * 100.0) for j in range(n) for i in range(n)]
    e = [(j * n + i, j * n + i + 1) for j in range(n) for i in range(n - 1)]
    e += [(j * n + i, (j + 1) * n + i) for j in range(n - 1) for i in range(n)]
    nodes, edges = network(xy, e)
    return nodes, edges, points(fac), cells(homes, persons)


pt = st.tuples(st.floats(-100, 1100), st.floats(-100, 1100))
scenario = st.tuples(
    st.lists(pt, min_size=1, max_size=3),
    st.lists(st.tuples(pt, st.floats(0.5, 100)), min_size=1, max_size=8),
)


@settings(max_examples=30, deadline=None)
@given(scenario, st.floats(1, 30))
def test_coverage_is_a_share_and_more_minutes_never_lower_it(data, minutes: float) -> None:
    fac, homes = data
    nodes, edges, sports, pop = grid_inputs(8, fac, [h[0] for h in homes], [h[1] for h in homes])
    short = coverage(nodes, edges, sports, pop, IndicatorSettings(walk_minutes=minutes))
    longer = coverage(nodes, edges, sports, pop, IndicatorSettings(walk_minutes=minutes + 2.5))
    assert 0.0 <= short.value <= 100.0
    assert 0.0 <= short.details["coverage_fraction"] <= 1.0
    assert longer.value >= short.value - 1e-9


@settings(max_examples=20, deadline=None)
@given(scenario, st.floats(-5e4, 5e4), st.floats(-5e4, 5e4))
def test_translation_leaves_coverage_unchanged(data, dx: float, dy: float) -> None:
    fac, homes = data
    nodes, edges, sports, pop = grid_inputs(6, fac, [h[0] for h in homes], [h[1] for h in homes])
    base = coverage(nodes, edges, sports, pop, IndicatorSettings(walk_minutes=5))
    moved = coverage(
        translated(nodes, dx, dy),
        translated(edges, dx, dy),
        translated(sports, dx, dy),
        pop.translated(dx, dy),
        IndicatorSettings(walk_minutes=5),
    )
    assert moved.value == pytest.approx(base.value, abs=1e-6)
    assert [s["persons_added"] for s in moved.details["suggested_sites"]] == pytest.approx(
        [s["persons_added"] for s in base.details["suggested_sites"]]
    )


def _snap_by_brute_force(shapes, node_xy, snap_m):
    """Every (shape, node) distance: nodes within snap_m and each shape's nearest."""
    import shapely

    best: dict[int, float] = {}
    pts = shapely.points(node_xy)
    for shape in shapes:
        d = shapely.distance(shape, pts)
        for n in [*np.flatnonzero(d <= snap_m).tolist(), int(np.argmin(d))]:
            best[n] = min(best.get(n, np.inf), float(d[n]))
    nodes = sorted(best)
    return nodes, [best[n] for n in nodes]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 2000), st.floats(0, 2000), st.floats(1, 400), st.floats(1, 300)),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 30.0, 100.0]),
)
def test_shapes_snap_to_the_nodes_within_reach_and_their_nearest(rects, seed, snap_m) -> None:
    """Polygon and line facilities on the k-d tree equal every distance worked out."""
    import shapely

    rng = np.random.default_rng(seed)
    node_xy = rng.uniform(-500, 2500, size=(int(rng.integers(1, 300)), 2))
    shapes = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    shapes[0] = shapely.LineString([(rects[0][0], rects[0][1]), (rects[0][0] + 900, 50)])
    got_nodes, got_off = snap_facilities(np.array(shapes, dtype=object), node_xy, snap_m)
    want_nodes, want_off = _snap_by_brute_force(shapes, node_xy, snap_m)
    assert got_nodes.tolist() == want_nodes
    assert got_off == pytest.approx(want_off, abs=1e-9)
