"""What-if recomputation with the indicators' kept state equals a full recomputation.

For every edit kind, on the demonstration county and on a hand-made one (parks that touch, a
private park, a park across the built-up edge, a grid walk network), :func:`gis.scenarios.evaluate`
(the kept walk graph, cell join and walks; the kept park dissolves, clips and service zone with
a drawn park merged locally) gives the results of :func:`gis.indicators.compute_all` on the
edited copy: values, details and gap layers (as sets of polygons) to floating-point tolerance
(tests/scenarios/incremental_check.py).  Then the caches: keyed by content, bounded,
thread-safe, their arrays read-only.
"""

from __future__ import annotations

import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.ops
from hypothesis import example, given
from hypothesis import strategies as st
from pyproj import CRS
from shapely.geometry import LineString, Point, box, mapping

from gis.indicators import _grow, _state, compute_all, fitness_coverage, road_density
from gis.indicators.fitness_coverage import _NETWORKS, _WALKS, cell_network
from gis.indicators.parks import compute_park_service_coverage
from gis.scenarios import apply_edits, evaluate, parse_edits
from gis.settings import IndicatorSettings
from gis.workspace import PopulationCells, Workspace
from tests.scenarios.incremental_check import differences

GK = CRS.from_epsg(4547)
X0, Y0 = 500_000.0, 3_800_000.0


def _at(geom: Any) -> Any:
    return shapely.affinity.translate(geom, X0, Y0)


def _frame(geoms: list[Any], **columns: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(columns), geometry=[_at(g) for g in geoms], crs=GK)


def _lonlat(geom: Any) -> dict[str, Any]:
    return dict(mapping(gpd.GeoSeries([_at(geom)], crs=GK).to_crs(4326).iloc[0]))


def handmade() -> Workspace:
    """A 2 km x 2 km county: parks that touch, a private one, green space, homes, a grid."""
    area = box(0, 0, 2000, 2000)
    parks = _frame(
        [
            box(100, 100, 200, 200),  # 10,000 m²: big
            box(1000, 1000, 1040, 1040),  # 1,600 m²: small ...
            box(1040, 1000, 1060, 1020),  # ... touching it: one park of 2,000 m²
            box(1500, 1500, 1600, 1600),  # private: not public
            box(1950, 600, 2100, 700),  # across the built-up edge
        ],
        access=[None, None, None, "private", None],
    )
    green = _frame([box(0, 1800, 300, 2000), box(1020, 1020, 1100, 1100)])
    homes = _frame([box(0, 0, 2000, 800), box(0, 1200, 2000, 2000)])
    step = 200.0
    xs = np.arange(0.0, 2000.0 + 1, step)
    xy = np.array([(x, y) for y in xs for x in xs])
    n = len(xs)
    idx = np.arange(len(xy)).reshape(n, n)
    pairs = [(idx[r, c], idx[r, c + 1]) for r in range(n) for c in range(n - 1)]
    pairs += [(idx[r, c], idx[r + 1, c]) for r in range(n - 1) for c in range(n)]
    nodes = _frame(
        [Point(p) for p in xy], node_id=np.arange(len(xy)), degree=np.zeros(len(xy), int)
    )
    lines = [LineString([xy[u], xy[v]]) for u, v in pairs]
    edges = _frame(
        lines,
        u=[u for u, _ in pairs],
        v=[v for _, v in pairs],
        length_m=[line.length for line in lines],
    )
    roads = _frame(
        [LineString([(0, y), (2000, y)]) for y in (400.0, 1000.0, 1600.0)]
        + [LineString([(x, 0), (x, 2000)]) for x in (400.0, 1000.0, 1600.0)],
        highway=["residential"] * 6,
        road_class=["branch"] * 6,
        oneway=[False] * 6,
        osm_id=np.arange(6),
    )
    sports = _frame(
        [Point(300, 300), Point(1700, 1700), box(900, 1500, 960, 1560)],
        leisure=["pitch", "fitness_station", "sports_centre"],
    )
    cx, cy = np.meshgrid(np.arange(50.0, 2000.0, 100.0), np.arange(50.0, 2000.0, 100.0))
    persons = 10.0 + (cx.ravel() * 7 + cy.ravel() * 3) % 50
    cells = PopulationCells(cx.ravel() + X0, cy.ravel() + Y0, persons, 100.0, GK)
    layers = {
        "boundary": _frame([area]),
        "built_up": _frame([area]),
        "roads": roads,
        "walk_nodes": nodes,
        "walk_edges": edges,
        "parks": parks,
        "green_space": green,
        "residential": homes,
        "sports": sports,
    }
    meta = {"county_id": "handmade", "population": {"urban_population": float(persons.sum())}}
    return Workspace(layers, meta, cells, "", GK)


HANDMADE_EDITS: dict[str, list[dict[str, Any]]] = {
    "sports added": [
        {
            "op": "add",
            "layer": "sports",
            "facility_type": "pitch",
            "geometry": _lonlat(Point(1100, 500)),
        }
    ],
    "sports moved": [
        {"op": "move", "layer": "sports", "feature": 1, "geometry": _lonlat(Point(600, 1300))}
    ],
    "sports deleted": [{"op": "delete", "layer": "sports", "feature": 0}],
    "park joining two": [
        {"op": "add", "layer": "parks", "geometry": _lonlat(box(1055, 1010, 1200, 1100))}
    ],
    "park across the edge": [
        {"op": "add", "layer": "parks", "geometry": _lonlat(box(1900, 200, 2100, 300))}
    ],
    "park by the private one": [
        {"op": "add", "layer": "parks", "geometry": _lonlat(box(1600, 1500, 1640, 1530))}
    ],
    "small park alone": [
        {"op": "add", "layer": "parks", "geometry": _lonlat(box(700, 1300, 735, 1335))}
    ],
    "road": [  # corner to corner of a street block: it crosses no walk edge
        {
            "op": "add",
            "layer": "roads",
            "geometry": _lonlat(LineString([(200, 200), (400, 400)])),
        }
    ],
    "road crossing streets": [  # the walk edges it crosses are cut (a new network)
        {
            "op": "add",
            "layer": "roads",
            "geometry": _lonlat(LineString([(200, 200), (400, 600)])),
        }
    ],
    "population factor": [
        {"op": "population", "factor": 3.0, "geometry": _lonlat(Point(1000, 1000).buffer(450))}
    ],
    "population persons": [
        {"op": "population", "persons": 5000, "geometry": _lonlat(box(1200, 200, 1500, 500))}
    ],
}
HANDMADE_EDITS["all together"] = [
    {**e, "id": f"{k}-{i}"} for k, v in HANDMADE_EDITS.items() for i, e in enumerate(v)
]


def _full(ws: Workspace, edits: Any, settings: IndicatorSettings) -> list[Any]:
    """compute_all of the edited copy without any kept state: a full recomputation."""
    with _state.disabled():
        return compute_all(apply_edits(ws, edits).workspace, settings)


@pytest.fixture(scope="module")
def hand() -> tuple[Workspace, IndicatorSettings, list[Any]]:
    ws = handmade()
    settings = IndicatorSettings()
    return ws, settings, compute_all(ws, settings)


@pytest.mark.parametrize("kind", list(HANDMADE_EDITS))
def test_handmade_edit_equals_compute_all(
    hand: Any, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, settings, now = hand
    edits = parse_edits(HANDMADE_EDITS[kind])
    grown: list[str] = []
    real = _grow._grow
    monkeypatch.setattr(_grow, "_grow", lambda label, *a: grown.append(label) or real(label, *a))
    real_road = road_density._grown_state

    def road(*a: Any) -> Any:
        out = real_road(*a)
        grown.append("roads" if out is not None else "roads refused")
        return out

    monkeypatch.setattr(road_density, "_grown_state", road)
    real_join = fitness_coverage.grown_join

    def join(*a: Any) -> Any:
        out = real_join(*a)
        grown.append("walk network" if out is not None else "walk network refused")
        return out

    monkeypatch.setattr(fitness_coverage, "grown_join", join)
    result = evaluate(ws, edits, settings, before=now)
    assert not result.full_recompute
    if "park" in kind or kind == "all together":  # the drawn park merged into the kept dissolves
        assert {"public parks", "green space and parks"} <= set(grown)
    if kind.startswith("road") or kind == "all together":  # added to the kept road state
        assert "roads" in grown and "roads refused" not in grown
    if kind.startswith("road"):  # the join grown by the road's edges and the cut edges' pieces
        assert "walk network" in grown
    full = _full(ws, edits, settings)
    assert differences(result.after_results, full) == []
    # twice: the second time every kept state is warm
    again = evaluate(ws, edits, settings, before=now)
    assert differences(again.after_results, full) == []


def _demo_sets(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    from benchmarks.bench_scenarios import edit_sets

    sets = edit_sets(ws, 2, seed=11)
    out = {f"{k} {i}": s for k, v in sets.items() for i, s in enumerate(v)}
    out["all"] = [{**e, "id": f"{k}"} for k, v in out.items() for e in v]
    return out


@pytest.fixture(scope="module")
def demo(demo_workspace: Any) -> tuple[Workspace, IndicatorSettings, list[Any]]:
    ws = demo_workspace.to_metric()
    settings = IndicatorSettings()
    return ws, settings, compute_all(ws, settings)


def test_demo_every_edit_kind_equals_compute_all(demo: Any) -> None:
    ws, settings, now = demo
    for name, raw in _demo_sets(ws).items():
        edits = parse_edits(raw)
        result = evaluate(ws, edits, settings, before=now)
        full = _full(ws, edits, settings)
        assert differences(result.after_results, full) == [], name


def test_the_comparison_sees_a_changed_result(hand: Any) -> None:
    """The check can fail: a drawn park changes the park figures and their layers."""
    ws, settings, now = hand
    edits = parse_edits(HANDMADE_EDITS["park joining two"])
    result = evaluate(ws, edits, settings, before=now)
    found = differences(result.after_results, now)
    assert any(f.startswith("park_green_per_capita.value") for f in found)
    assert any(f.startswith("green_space_ratio.layer") for f in found)
    moved = [r.layer.copy() for r in now]
    park = next(i for i, r in enumerate(now) if r.id == "park_service_coverage")
    moved[park]["geometry"] = moved[park].geometry.translate(0.5, 0)
    shifted = [
        r if i != park else type(r)(**{**r.__dict__, "layer": moved[park]})
        for i, r in enumerate(now)
    ]
    assert any("geometry differs" in f for f in differences(shifted, now))


# --------------------------------------------------------------------------- the caches


def test_state_cache_is_bounded_and_keyed() -> None:
    cache = _state.StateCache("t", 3)
    made: list[int] = []
    for n in [1, 2, 3, 1, 4, 2, 1]:
        assert cache.get(_state.digest_of(n), lambda n=n: made.append(n) or n) == n
    assert len(cache) == 3
    assert made == [1, 2, 3, 4, 2]  # 1 kept (used again), 2 dropped as the oldest


def test_digest_sees_any_change() -> None:
    geoms = np.array([Point(0, 0), LineString([(0, 0), (1, 1)]), None], dtype=object)
    key = _state.digest_of(geoms)
    assert key == _state.digest_of(geoms.copy())
    moved = geoms.copy()
    moved[1] = LineString([(0, 0), (1, 1.000001)])
    assert _state.digest_of(moved) != key
    assert _state.digest_of(geoms[:2]) != key
    assert _state.digest_of(np.array([1, 2])) != _state.digest_of(np.array([1.0, 2.0]))
    assert _state.digest_of((b"ab", b"c")) != _state.digest_of((b"a", b"bc"))


def _drawn_geometry(kind: int, c: list[int]) -> Any:
    """A geometry of a small kind, from a few small coordinates (so that arrays often agree)."""
    x0, y0, x1, y1 = (float(v) for v in c)
    made = [
        lambda: None,
        lambda: Point(x0, y0),
        lambda: Point(x0, y0, y1),
        lambda: Point(x0, y0, float("nan")),
        lambda: shapely.Point(),
        lambda: LineString([(x0, y0), (x1, y1)]),
        lambda: LineString([(x0, y0, 0.0), (x1, y1, 1.0)]),
        lambda: shapely.LinearRing([(x0, y0), (x1, y0), (x1, y1 + 1)]),
        lambda: LineString([(x0, y0), (x1, y0), (x1, y1 + 1), (x0, y0)]),
        lambda: box(x0, y0, x0 + 1 + x1, y0 + 1 + y1),
        lambda: shapely.MultiLineString([[(x0, y0), (x1, y1)], [(x1, y1), (x0, y0)]]),
        lambda: shapely.from_wkt(f"POINT M ({x0} {y0} {y1})"),
        lambda: shapely.from_wkt(f"LINESTRING M ({x0} {y0} 1, {x1} {y1} {y0})"),
    ]
    return made[kind]()


_KINDS = 13
_GEOMETRY_ROWS = st.lists(
    st.tuples(st.integers(0, _KINDS - 1), st.lists(st.integers(0, 2), min_size=4, max_size=4)),
    max_size=8,
)


@given(
    _GEOMETRY_ROWS,
    st.integers(0, 7),
    st.one_of(
        st.none(),
        st.integers(0, _KINDS - 1),  # the row made another kind, same coordinates
        st.lists(st.integers(0, 2), min_size=4, max_size=4),  # same kind, other coordinates
        st.just("swap"),  # the row and the next one swapped
    ),
    st.integers(0, 8),
    st.integers(0, 8),
)
@example([(3, [0, 0, 0, 0])], 0, 1, 0, 1)  # a point with Z, all NaN, and one without
@example([(4, [0, 0, 0, 0]), (1, [0, 0, 0, 0])], 0, "swap", 0, 2)  # empty, then not
@example([(11, [0, 0, 0, 0]), (4, [0, 0, 0, 0])], 0, "swap", 0, 2)  # WKB, then empty
@example([(2, [0, 0, 0, 1])], 0, [0, 0, 0, 2], 0, 1)  # another Z only
@example([(11, [0, 0, 0, 1])], 0, [0, 0, 0, 2], 0, 1)  # another M only
@example([(7, [0, 0, 1, 1])], 0, 8, 0, 1)  # a ring, a closed line
@example([(9, [0, 0, 0, 0]), (9, [1, 1, 1, 1]), (9, [2, 2, 2, 2])], 0, None, 1, 3)
@example([(5, [0, 0, 1, 1]), (6, [0, 1, 2, 2]), (9, [1, 1, 1, 1])], 0, None, 1, 3)
def test_geometry_digests_see_every_change_and_slice_as_fresh_rows(
    rows_a: list[Any], at: int, edit: Any, start: int, stop: int
) -> None:
    """Two geometry arrays digest alike exactly when their rows are the same geometries.

    Same means the same type (a ring is not a line), dimension (Z, even all NaN, and M) and
    coordinates: the type and the WKB.  The second array is the first with one row edited.  A
    run of rows taken from :class:`~gis.indicators._state.GeometryContent` digests as the
    same rows taken fresh (the roads and walk networks are digested in slices).
    """
    rows_b = list(rows_a)
    if rows_a and edit is not None:
        i = at % len(rows_a)
        kind, coords = rows_a[i]
        if edit == "swap":
            j = (i + 1) % len(rows_a)
            rows_b[i], rows_b[j] = rows_a[j], rows_a[i]
        elif isinstance(edit, int):
            rows_b[i] = (edit, coords)
        else:
            rows_b[i] = (kind, edit)
    a = np.array([_drawn_geometry(k, c) for k, c in rows_a] + [0], dtype=object)[:-1]
    b = np.array([_drawn_geometry(k, c) for k, c in rows_b] + [0], dtype=object)[:-1]

    def rows(g: np.ndarray) -> list[Any]:
        return [None if x is None else (x.geom_type, shapely.to_wkb(x)) for x in g]

    same = rows(a) == rows(b)
    assert (_state.digest_of(a) == _state.digest_of(b)) == same
    content = _state.GeometryContent(a)
    assert _state.digest_of(content) == _state.digest_of(a)
    run = content[start:stop]
    assert len(run) == len(a[start:stop])
    assert _state.digest_of(run) == _state.digest_of(a[start:stop])
    assert run.wkbs.tolist() == _state.wkb_array(a[start:stop]).tolist()
    assert _state.digest_of(run[1:]) == _state.digest_of(a[start:stop][1:])  # a slice's slice


def test_the_walk_network_is_kept_by_content_and_read_only() -> None:
    ws = handmade()
    nodes, edges = ws.layers["walk_nodes"], ws.layers["walk_edges"]
    cells = np.column_stack([ws.population.x_m, ws.population.y_m])
    net, key = cell_network(nodes, edges, cells)
    misses = _NETWORKS.misses
    again, key2 = cell_network(nodes.copy(), edges.copy(), cells.copy())
    assert again is net and key2 == key and _NETWORKS.misses == misses
    changed = edges.copy()
    changed.loc[0, "length_m"] = 250.0
    other, key3 = cell_network(nodes, changed, cells)
    assert other is not net and key3 != key and _NETWORKS.misses == misses + 1
    with pytest.raises(ValueError, match="read-only"):
        net.access_m[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        net.graph.data[0] = 0.0
    assert len(_NETWORKS) <= _NETWORKS.max_entries


def test_a_population_edit_reuses_the_walks(hand: Any) -> None:
    ws, settings, now = hand
    edits = parse_edits(HANDMADE_EDITS["population factor"])
    evaluate(ws, edits, settings, before=now)
    hits, nets = _WALKS.hits, _NETWORKS.hits
    evaluate(ws, edits, settings, before=now)
    assert _WALKS.hits > hits and _NETWORKS.hits > nets


def test_grown_union_merges_locally_and_a_changed_row_is_a_miss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # only this test's layer remembered (an empty layer remembered by an earlier test would be
    # a base of every layer: growing from it is correct, but not what this test looks at)
    monkeypatch.setattr(_grow, "_KNOWN", _state.KnownBases(_grow.KNOWN_LAYERS))
    base = _frame([box(0, 0, 10, 10), box(10, 0, 20, 10), box(50, 50, 60, 60)])
    _grow.remember(base)

    def build(frames: Any) -> Any:
        return shapely.union_all(list(frames[0].geometry))

    grown = _frame([box(0, 0, 10, 10), box(10, 0, 20, 10), box(50, 50, 60, 60), box(20, 0, 25, 5)])
    dissolved, _, growth = _grow.grown_union("test", [grown], build)
    assert growth is not None and list(growth.touched) == [0]
    full = build([grown])
    assert shapely.symmetric_difference(dissolved.geom, full).area < 1e-9
    assert len(dissolved.parts) == 2
    moved = grown.copy()
    moved.loc[2, "geometry"] = _at(box(51, 50, 61, 60))  # a base row changed: not a growth
    _, _, growth = _grow.grown_union("test", [moved], build)
    assert growth is None


def test_service_coverage_of_a_grown_park_keeps_the_zone_rule(hand: Any) -> None:
    """A small park grown into a big one serves 500 m instead of 300 m: the zone grows."""
    ws, settings, _ = hand
    parks = ws.layers["parks"]
    homes, area = ws.layers["residential"], ws.layers["built_up"]
    before = compute_park_service_coverage(parks, homes, area, settings=settings, provenance={})
    grown = gpd.GeoDataFrame(
        pd_concat(parks, _frame([box(1000, 1040, 1080, 1100)])), geometry="geometry", crs=GK
    )
    _grow.remember(parks)
    after = compute_park_service_coverage(grown, homes, area, settings=settings, provenance={})
    with _state.disabled():
        full = compute_park_service_coverage(grown, homes, area, settings=settings, provenance={})
    assert after.details["big_parks"] == before.details["big_parks"] + 1
    assert after.details["small_parks"] == before.details["small_parks"] - 1
    assert differences([after], [full]) == []


def pd_concat(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> Any:
    import pandas as pd

    return pd.concat([a, b], ignore_index=True)


def test_caches_answer_threads_alike(hand: Any) -> None:
    ws, settings, now = hand
    for cache in _state.all_caches():
        cache.clear()
    edits = parse_edits(HANDMADE_EDITS["all together"])
    want = _full(ws, edits, settings)
    found: list[list[str]] = []

    def run() -> None:
        found.append(differences(evaluate(ws, edits, settings, before=now).after_results, want))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [[]] * 4


def test_road_state_grows_only_by_two_way_new_lines(hand: Any) -> None:
    """A one-way way or a way drawn again is not added locally; the result is still exact."""
    ws, settings, _ = hand
    roads, area = ws.layers["roads"], ws.layers["built_up"]
    road_density.remember_roads(roads)
    extra = _frame(
        [LineString([(200, 200), (400, 400)])],
        highway=["residential"],
        road_class=["branch"],
        oneway=[True],
        osm_id=[-1],
    )
    import pandas as pd

    for row in (extra, roads.iloc[[0]]):
        grown = gpd.GeoDataFrame(pd.concat([roads, row], ignore_index=True), crs=GK)
        base = road_density._full_state(roads, road_density.dissolve(area), settings)
        assert road_density._grown_state(base, row, road_density.dissolve(area), settings) is None
        got = road_density.compute_road_density(grown, area, settings=settings, provenance={})
        with _state.disabled():
            want = road_density.compute_road_density(grown, area, settings=settings, provenance={})
        assert differences([got], [want]) == []


def test_a_changed_road_attribute_is_a_different_state(hand: Any) -> None:
    ws, settings, _ = hand
    roads, area = ws.layers["roads"], ws.layers["built_up"]
    first = road_density.road_state(roads, area, road_density.dissolve(area), settings)
    renamed = roads.copy()
    renamed["highway"] = ["residential"] * 5 + ["primary"]
    second = road_density.road_state(renamed, area, road_density.dissolve(area), settings)
    assert second is not first
    assert road_density.road_state(roads.copy(), area, road_density.dissolve(area), settings) is (
        first
    )


def test_grown_join_equals_the_join_of_the_whole_network() -> None:
    """Edges appended: the cells' join from the kept one equals joining all edges afresh."""
    from gis.indicators.fitness_coverage import grown_join
    from gis.routing import nearest_edge_points

    rng = np.random.default_rng(5)
    ends = rng.uniform(0, 1000, size=(60, 2, 2))
    lines = np.asarray(shapely.linestrings(ends), dtype=object)
    grid = np.arange(0.0, 1000.0, 25.0)
    cells = np.column_stack([a.ravel() for a in np.meshgrid(grid, grid)])
    cells = np.r_[cells, ends[50, 0][None, :]]  # a cell exactly on an appended edge's end
    old = nearest_edge_points(lines[:50], cells)
    access = np.minimum.reduceat(old.access_m, old.starts())
    got = grown_join(old, access, lines, np.arange(50), cells)
    want = nearest_edge_points(lines, cells)
    assert got is not None and (got.edge >= 50).any()  # some cells join an appended edge
    for name in ("point", "edge", "access_m", "fraction"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)


def test_grown_join_with_cut_edges_equals_the_join_of_the_whole_network() -> None:
    """Edges cut into pieces (removed, their pieces appended) and new ones: the same join."""
    from gis.indicators.fitness_coverage import grown_join
    from gis.routing import nearest_edge_points

    rng = np.random.default_rng(8)
    lines = np.asarray(shapely.linestrings(rng.uniform(0, 1000, size=(50, 2, 2))), dtype=object)
    grid = np.arange(0.0, 1000.0, 25.0)
    cells = np.column_stack([a.ravel() for a in np.meshgrid(grid, grid)])
    old = nearest_edge_points(lines, cells)
    access = np.minimum.reduceat(old.access_m, old.starts())
    cut = [3, 17, 30]
    kept = np.array([i for i in range(50) if i not in cut])
    pieces = [
        shapely.ops.substring(lines[i], a, b, normalized=True)
        for i in cut
        for a, b in ((0.0, 0.4), (0.4, 1.0))
    ]
    road = shapely.linestrings(rng.uniform(0, 1000, size=(1, 2, 2)))
    now = np.asarray([*lines[kept], *pieces, *road], dtype=object)
    got = grown_join(old, access, now, kept, cells)
    want = nearest_edge_points(now, cells)
    assert got is not None and (got.edge >= len(kept)).any()
    np.testing.assert_array_equal(got.point, want.point)
    np.testing.assert_array_equal(got.edge, want.edge)
    np.testing.assert_allclose(got.access_m, want.access_m, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.fraction, want.fraction, rtol=0, atol=1e-12)


def test_road_edits_in_a_row_keep_growing_the_stored_network(
    hand: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More road edits than kept networks: each still grows the stored county's join.

    The stored network was once forgotten as a base after three edits (its registration
    dropped while the network itself was kept), and every later road joined all cells again.
    """
    ws, settings, now = hand
    compute_all(ws, settings)  # the stored county's network kept, as the app has it
    joined: list[int] = []
    real = fitness_coverage.join_cells
    monkeypatch.setattr(fitness_coverage, "join_cells", lambda *a: joined.append(1) or real(*a))
    for i in range(_NETWORKS.max_entries + 3):
        x = 200.0 + 200.0 * (i % 8)
        line = LineString([(x, 200.0), (x + 200.0, 600.0)])  # crosses a street: edges cut
        edits = parse_edits([{"op": "add", "layer": "roads", "geometry": _lonlat(line)}])
        result = evaluate(ws, edits, settings, before=now)
        assert not result.full_recompute
    assert joined == []


def _matching_runs_by_loop(old: list[bytes], new: list[bytes]) -> list[int]:
    kept: list[int] = []
    j = 0
    for row in new:
        while j < len(old) and old[j] != row:
            j += 1
        if j == len(old):
            break
        kept.append(j)
        j += 1
    return kept


@given(
    st.lists(st.binary(min_size=1, max_size=2), min_size=0, max_size=40),
    st.lists(st.booleans(), min_size=40, max_size=40),
    st.lists(st.binary(min_size=1, max_size=2), max_size=5),
)
@example([b"a", b"b\x00"], [True] + [False] * 39, [])  # a WKB may end in a zero byte
def test_matching_runs_match_row_by_row(
    old: list[bytes], drop: list[bool], appended: list[bytes]
) -> None:
    from gis.indicators.fitness_coverage import _matching_runs

    new = [row for row, gone in zip(old, drop, strict=False) if not gone] + appended
    runs = _matching_runs(np.array(old, dtype=object), np.array(new, dtype=object))
    assert runs is not None
    got = [j + k for j, n in runs for k in range(n)]
    assert got == _matching_runs_by_loop(old, new)


def test_wkb_of_a_copied_layer_is_taken_by_identity_and_equals_serialising() -> None:
    rng = np.random.default_rng(3)
    geoms = np.asarray(shapely.points(rng.uniform(0, 1e5, size=(3000, 2))), dtype=object)
    plain = lambda g: [shapely.to_wkb(x, include_srid=False) for x in g]  # noqa: E731
    assert _state.wkb_array(geoms).tolist() == plain(geoms)
    edited = np.concatenate([geoms[:1000], geoms[1001:], [Point(1.5, 2.5)]])
    edited[5] = Point(-1, -1)  # a changed row among kept objects
    assert _state.wkb_array(edited).tolist() == plain(edited)
    assert _state.digest_of(edited) == _state.digest_of(np.array(list(edited), dtype=object))
    with _state.disabled():
        assert _state.wkb_array(edited).tolist() == plain(edited)


def test_the_wkb_memo_keeps_few_large_geometries_too() -> None:
    """A built-up area of one polygon is serialised once, also with the kept state off."""
    memo = _state._WkbMemo()
    ring = shapely.Point(500_000, 3_000_000).buffer(1_000, quad_segs=3_000)  # 12,001 vertices
    small = shapely.box(0, 0, 1, 1)
    with _state.disabled():
        first = memo.wkbs(np.array([ring], dtype=object))
        again = memo.wkbs(np.array([ring], dtype=object))
        few = memo.wkbs(np.array([small], dtype=object))
        few_again = memo.wkbs(np.array([small], dtype=object))
    assert again[0] is first[0] and first[0] == shapely.to_wkb(ring, include_srid=False)
    assert few_again[0] is not few[0] and few[0] == few_again[0]  # not worth keeping
    assert len(memo._arrays) == 1


def test_the_wkb_memo_keeps_at_most_its_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    memo = _state._WkbMemo()
    monkeypatch.setattr(memo, "max_bytes", 60_000)  # 2,500 points: 52,500 bytes of WKB
    rng = np.random.default_rng(4)
    arrays = [
        np.asarray(shapely.points(rng.uniform(0, 1e5, size=(2500, 2))), dtype=object)
        for _ in range(3)
    ]
    for geoms in arrays:
        assert memo.wkbs(geoms).tolist() == shapely.to_wkb(geoms, include_srid=False).tolist()
    assert len(memo._arrays) == 1 and next(iter(memo._arrays.values()))[0] is arrays[-1]
    assert sum(e[4] for e in memo._arrays.values()) <= 60_000


def test_a_full_recomputation_registers_no_base(hand: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """compute_all of an edited copy with the kept state off leaves later edits growing.

    It once registered the edited layers as bases: the same edit then matched a base of its
    own length, nothing grew, and a park edit unioned every park again (5 s at 1,000 km²).
    """
    ws, settings, now = hand
    compute_all(ws, settings)
    raw = HANDMADE_EDITS["small park alone"] + HANDMADE_EDITS["road"]
    edits = parse_edits(raw)
    with _state.disabled():
        compute_all(apply_edits(ws, edits).workspace, settings)
    grown: list[str] = []
    real = _grow._grow
    monkeypatch.setattr(_grow, "_grow", lambda label, *a: grown.append(label) or real(label, *a))
    real_road = road_density._grown_state
    monkeypatch.setattr(
        road_density, "_grown_state", lambda *a: grown.append("roads") or real_road(*a)
    )
    for cache in _state.all_caches():  # nothing kept from the edit itself
        cache.clear()
    compute_all(ws, settings)
    evaluate(ws, edits, settings, before=now)
    assert {"public parks", "green space and parks", "roads"} <= set(grown)
