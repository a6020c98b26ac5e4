"""The walk network builder on hand-made lines with answers known by hand, plus properties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiLineString

from gis.errors import CrsError, ValidationError
from gis.network import build_walk_network

GK = 4547  # CGCS2000 / 3-degree GK CM 114E (Henan)


def lines(*coords: list[tuple[float, float]], crs: int = GK, **cols: list) -> gpd.GeoDataFrame:  # type: ignore[type-arg]
    data = cols or {"highway": ["footway"] * len(coords)}
    return gpd.GeoDataFrame(data, geometry=[LineString(c) for c in coords], crs=crs)


def edge_set(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame
) -> set[tuple[tuple[float, float], ...]]:
    xy = {int(i): (p.x, p.y) for i, p in zip(nodes["node_id"], nodes.geometry, strict=True)}
    return {tuple(sorted((xy[u], xy[v]))) for u, v in zip(edges["u"], edges["v"], strict=True)}


def test_two_lines_crossing_at_a_shared_vertex_give_four_edges_and_five_nodes() -> None:
    nodes, edges = build_walk_network(
        lines([(0, 0), (10, 0), (20, 0)], [(10, -5), (10, 0), (10, 5)])
    )
    assert len(nodes) == 5 and len(edges) == 4
    assert sorted(edges["length_m"]) == [5.0, 5.0, 10.0, 10.0]
    centre = nodes[[p.equals(shapely.Point(10, 0)) for p in nodes.geometry]]
    assert centre["degree"].tolist() == [4]
    assert nodes["node_id"].tolist() == [0, 1, 2, 3, 4]


def test_lines_crossing_without_a_shared_vertex_stay_apart() -> None:
    # a bridge: the lines cross in the drawing but share no OSM node
    nodes, edges = build_walk_network(lines([(0, 0), (20, 0)], [(10, -5), (10, 5)]))
    assert len(nodes) == 4 and len(edges) == 2
    assert set(nodes["degree"]) == {1}


def test_a_t_junction_splits_the_through_line() -> None:
    nodes, edges = build_walk_network(lines([(0, 0), (5, 0), (10, 0)], [(5, 0), (5, 8)]))
    assert len(nodes) == 4 and len(edges) == 3
    assert edge_set(nodes, edges) == {
        ((0.0, 0.0), (5.0, 0.0)),
        ((5.0, 0.0), (10.0, 0.0)),
        ((5.0, 0.0), (5.0, 8.0)),
    }


def test_lines_meeting_end_to_end_make_a_degree_two_node() -> None:
    nodes, edges = build_walk_network(lines([(0, 0), (3, 4)], [(3, 4), (3, 10)]))
    assert len(nodes) == 3 and len(edges) == 2
    assert sorted(nodes["degree"]) == [1, 1, 2]
    assert sorted(edges["length_m"]) == [5.0, 6.0]


def test_interior_vertices_that_are_not_shared_stay_inside_the_edge() -> None:
    nodes, edges = build_walk_network(lines([(0, 0), (1, 1), (2, 0), (3, 1), (4, 0)]))
    assert len(nodes) == 2 and len(edges) == 1
    assert len(edges.geometry.iloc[0].coords) == 5
    assert edges["length_m"].iloc[0] == pytest.approx(4 * np.sqrt(2))


def test_a_closed_loop_is_one_self_loop_edge() -> None:
    nodes, edges = build_walk_network(lines([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]))
    assert len(nodes) == 1 and len(edges) == 1
    assert edges["u"].iloc[0] == edges["v"].iloc[0] == 0
    assert nodes["degree"].tolist() == [2]
    assert edges["length_m"].iloc[0] == pytest.approx(40.0)


def test_a_loop_with_a_tail_splits_where_the_way_returns_to_itself() -> None:
    # a lollipop: the way comes back to its own vertex (5, 0)
    nodes, edges = build_walk_network(lines([(0, 0), (5, 0), (10, 0), (10, 5), (5, 0)]))
    assert len(nodes) == 2 and len(edges) == 2
    assert sorted(edges["length_m"]) == pytest.approx([5.0, 5.0 + 5.0 + np.hypot(5, 5)])


def test_repeated_vertices_and_degenerate_lines_are_ignored() -> None:
    gdf = gpd.GeoDataFrame(
        {"highway": ["steps", "path", "footway"]},
        geometry=[
            LineString([(7, 7), (7, 7)]),  # a degenerate way before the others
            LineString([(0, 0), (0, 0), (4, 0), (4, 0)]),
            LineString([(4, 0), (4, 3)]),
        ],
        crs=GK,
    )
    nodes, edges = build_walk_network(gdf)
    assert len(nodes) == 3 and len(edges) == 2
    assert [len(g.coords) for g in edges.geometry] == [2, 2]
    assert edges["highway"].tolist() == ["path", "footway"]
    assert edges["length_m"].tolist() == [4.0, 3.0]


def test_attributes_follow_their_line_and_u_v_follow_the_drawing() -> None:
    gdf = lines(
        [(0, 0), (10, 0), (20, 0)], [(10, 5), (10, 0)], osm_id=[7, 9], highway=["steps", "path"]
    )
    nodes, edges = build_walk_network(gdf)
    xy = {int(i): (p.x, p.y) for i, p in zip(nodes["node_id"], nodes.geometry, strict=True)}
    for row in edges.itertuples():
        coords = list(row.geometry.coords)
        assert coords[0] == xy[row.u] and coords[-1] == xy[row.v]
    assert sorted(zip(edges["osm_id"], edges["highway"], strict=True)) == [
        (7, "steps"),
        (7, "steps"),
        (9, "path"),
    ]


def test_all_components_are_kept() -> None:
    nodes, edges = build_walk_network(lines([(0, 0), (1, 0)], [(100, 100), (101, 100)]))
    assert len(nodes) == 4 and len(edges) == 2


def test_empty_input_gives_an_empty_network() -> None:
    nodes, edges = build_walk_network(gpd.GeoDataFrame({"highway": []}, geometry=[], crs=GK))
    assert len(nodes) == 0 and len(edges) == 0
    assert {"node_id", "degree"} <= set(nodes.columns)
    assert {"u", "v", "length_m", "highway"} <= set(edges.columns)


def test_degrees_are_refused() -> None:
    with pytest.raises(CrsError, match="projected CRS in metres"):
        build_walk_network(lines([(113.0, 34.0), (113.1, 34.0)], crs=4326))


def test_multi_part_lines_are_refused() -> None:
    gdf = gpd.GeoDataFrame(
        {"highway": ["path"]},
        geometry=[MultiLineString([[(0, 0), (1, 0)], [(2, 0), (3, 0)]])],
        crs=GK,
    )
    with pytest.raises(ValidationError, match="LineStrings only"):
        build_walk_network(gdf)


def test_a_grid_of_streets() -> None:
    # 3 horizontal and 3 vertical streets, 100 m apart, sharing every crossing vertex
    ticks = [0.0, 100.0, 200.0]
    rows = [[(x, y) for x in ticks] for y in ticks]
    cols = [[(x, y) for y in ticks] for x in ticks]
    nodes, edges = build_walk_network(lines(*rows, *cols))
    assert len(nodes) == 9 and len(edges) == 12
    assert edges["length_m"].sum() == pytest.approx(1200.0)
    assert sorted(nodes["degree"]) == [2, 2, 2, 2, 3, 3, 3, 3, 4]


# --- properties ----------------------------------------------------------------------------------

grid_points = st.tuples(st.integers(0, 6), st.integers(0, 6)).map(
    lambda p: (p[0] * 50.0, p[1] * 50.0)
)
polylines = st.lists(grid_points, min_size=2, max_size=6)


@settings(max_examples=40, deadline=None)
@given(st.lists(polylines, min_size=1, max_size=12), st.floats(-1e5, 1e5), st.floats(-1e5, 1e5))
def test_network_properties(coords: list, dx: float, dy: float) -> None:  # type: ignore[type-arg]
    gdf = lines(*coords)
    nodes, edges = build_walk_network(gdf)
    # length is conserved (minus nothing: zero-length lines have no length)
    assert edges["length_m"].sum() == pytest.approx(float(gdf.length.sum()), abs=1e-6)
    # degrees count edge ends; ids are dense; every node is used
    assert int(nodes["degree"].sum()) == 2 * len(edges)
    assert nodes["node_id"].tolist() == list(range(len(nodes)))
    assert (nodes["degree"] >= 1).all()
    # no edge passes through a node
    node_xy = {(p.x, p.y) for p in nodes.geometry}
    for geom in edges.geometry:
        assert not any(tuple(c) in node_xy for c in list(geom.coords)[1:-1])
    # moving everything moves nothing in the topology
    moved = gdf.set_geometry(gdf.translate(dx, dy))
    nodes2, edges2 = build_walk_network(moved)
    assert len(nodes2) == len(nodes) and len(edges2) == len(edges)
    assert sorted(edges2["length_m"].round(6)) == sorted(edges["length_m"].round(6))
