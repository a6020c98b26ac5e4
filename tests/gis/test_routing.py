"""The network kernel against networkx on hand-made and random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.errors import ValidationError
from gis.routing import (
    edge_graph,
    edge_point_walks,
    min_offsets,
    multi_source_distances,
    nearest_edge_points,
    reach_matrix_batches,
)


def test_parallel_edges_keep_the_minimum_and_self_loops_go() -> None:
    g = edge_graph(3, [0, 1, 0, 2, 2], [1, 0, 1, 2, 1], [7.0, 2.0, 9.0, 1.0, 4.0])
    assert g.toarray().tolist() == [[0, 2, 0], [2, 0, 4], [0, 4, 0]]
    assert g.nnz == 4


def test_zero_length_edges_are_real_edges() -> None:
    g = edge_graph(3, [0, 1], [1, 2], [0.0, 5.0])
    assert multi_source_distances(g, [0], [0.0], 100.0).tolist() == [0.0, 0.0, 5.0]


def test_offsets_and_limit() -> None:
    g = edge_graph(5, [0, 1, 2, 3], [1, 2, 3, 4], [100.0] * 4)
    dist = multi_source_distances(g, [0, 4, 4], [30.0, 90.0, 10.0], 150.0)
    assert dist.tolist() == [30.0, 130.0, np.inf, 110.0, 10.0]  # node 2: 230 or 210 m > 150
    assert np.isinf(multi_source_distances(g, [0], [0.0], 50.0)[1:]).all()
    assert np.isinf(multi_source_distances(g, [], [], 50.0)).all()


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValidationError, match="node ids"):
        edge_graph(2, [0], [5], [1.0])
    with pytest.raises(ValidationError, match="length_m"):
        edge_graph(2, [0], [1], [-1.0])
    with pytest.raises(ValidationError, match="offsets"):
        multi_source_distances(edge_graph(2, [0], [1], [1.0]), [0], [-3.0], 10.0)
    with pytest.raises(ValidationError, match="no edges"):
        nearest_edge_points(np.zeros(0, dtype=object), np.zeros((1, 2)))


def test_min_offsets() -> None:
    src, off = min_offsets([3, 3, 1], [5.0, 2.0, 8.0])
    assert src.tolist() == [1, 3] and off.tolist() == [8.0, 2.0]


def test_edge_join_by_hand() -> None:
    # An L-shaped edge (0,0)-(300,0)-(300,400) of 700 m, a 2,000 m straight edge, and a
    # point-like edge; points: beside the bend's second leg, beyond the long edge's end,
    # and at the shared node of the first two (equally near both: two rows).
    coords = [[(0, 0), (300, 0), (300, 400)], [(0, 0), (-2000, 0)], [(5000, 5000)] * 2]
    lines = np.asarray([shapely.LineString(c) for c in coords], dtype=object)
    pts = np.array([[320.0, 100.0], [-2030.0, 40.0], [0.0, 0.0], [5000.0, 5003.0]])
    j = nearest_edge_points(lines, pts)
    assert j.point.tolist() == [0, 1, 2, 2, 3]
    assert j.edge.tolist() == [0, 1, 0, 1, 2]
    assert j.access_m == pytest.approx([20.0, 50.0, 0.0, 0.0, 3.0])
    assert j.fraction == pytest.approx([400 / 700, 1.0, 0.0, 0.0, 0.0])
    # walks with node distances D = [u0: 100, v0: 0, u1: 100, v1: inf], edges (0,1), (0,2), (3,3)
    u, v = np.array([0, 0, 3]), np.array([1, 2, 3])
    dist = np.array([100.0, 0.0, np.inf, 7.0])
    walks = edge_point_walks(j, u, v, np.array([700.0, 2000.0, 0.0]), dist)
    assert walks == pytest.approx([20.0 + 300.0, 50.0 + 100.0 + 2000.0, 100.0, 10.0])
    both = edge_point_walks(j, u, v, np.array([700.0, 2000.0, 0.0]), np.stack([dist, dist + 1]))
    assert both.shape == (2, 4) and both[1] == pytest.approx(walks + 1)
    sub = j.subset([2, 3])
    assert sub.point.tolist() == [0, 0, 1] and sub.n_points == 2


def test_long_edges_are_found_though_their_pieces_are_far() -> None:
    # A 10 km edge and a short one: the point is 100 m off the long edge's middle, 150 m
    # from the short edge's end.  The k-d tree's nearest pieces are the short edge's.
    lines = shapely.linestrings([[(0, 0), (10_000, 0)], [(5000, 250), (5000, 260)]])
    j = nearest_edge_points(lines, np.array([[5000.0, 100.0]]))
    assert j.edge.tolist() == [0] and j.access_m.tolist() == [100.0]
    assert j.fraction == pytest.approx([0.5])


def _coord(limit: int):
    return st.integers(-limit * 100, limit * 100).map(lambda i: i / 100)


@st.composite
def random_lines(draw):
    n = draw(st.integers(1, 12))
    lines = []
    for _ in range(n):
        k = draw(st.integers(2, 4))
        pts = draw(
            st.lists(
                st.tuples(
                    _coord(500),
                    _coord(500),
                ),
                min_size=k,
                max_size=k,
            )
        )
        lines.append(shapely.LineString(pts))
    homes = draw(
        st.lists(
            st.tuples(
                _coord(700),
                _coord(700),
            ),
            min_size=1,
            max_size=10,
        )
    )
    return np.asarray(lines, dtype=object), np.asarray(homes, dtype=float)


@settings(max_examples=80, deadline=None)
@given(random_lines())
def test_edge_join_matches_shapely_nearest(data) -> None:
    lines, homes = data
    j = nearest_edge_points(lines, homes)
    assert j.n_points == len(homes) and sorted(set(j.point.tolist())) == list(range(len(homes)))
    for i, p in enumerate(shapely.points(homes)):
        gaps = shapely.distance(lines, p)
        rows = np.flatnonzero(j.point == i)
        assert j.access_m[rows] == pytest.approx(gaps[j.edge[rows]], abs=1e-6)
        assert j.access_m[rows].min() == pytest.approx(gaps.min(), abs=1e-6)
        tied = set(np.flatnonzero(gaps <= gaps.min() + 0.5e-3).tolist())
        assert tied <= set(j.edge[rows].tolist())
        for r in rows:
            line = lines[j.edge[r]]
            if line.length > 0 and gaps[j.edge[r]] > 1e-6:
                foot = line.interpolate(j.fraction[r], normalized=True)
                assert foot.distance(p) == pytest.approx(gaps[j.edge[r]], abs=1e-6)


def test_reach_batches_cover_every_start() -> None:
    g = edge_graph(4, [0, 1, 2], [1, 2, 3], [10.0, 10.0, 10.0])
    batches = list(reach_matrix_batches(g, [0, 1, 2, 3], 15.0, max_cells=8))
    assert [b[0].tolist() for b in batches] == [[0, 1], [2, 3]]
    assert batches[0][1][0].tolist() == [0.0, 10.0, np.inf, np.inf]


@st.composite
def random_graph(draw):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(1, 60))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    w = draw(st.lists(st.floats(0, 500), min_size=m, max_size=m))
    k = draw(st.integers(1, 4))
    src = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    off = draw(st.lists(st.floats(0, 200), min_size=k, max_size=k))
    return n, u, v, w, src, off


@settings(max_examples=80, deadline=None)
@given(random_graph(), st.floats(0, 2000))
def test_matches_networkx_multi_source_dijkstra(graph, limit: float) -> None:
    n, u, v, w, src, off = graph
    G = nx.MultiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(u, v, w, strict=True))
    G.add_node("s")
    for s, o in zip(src, off, strict=True):
        G.add_edge("s", s, weight=o)
    expected = nx.single_source_dijkstra_path_length(G, "s", cutoff=limit, weight="weight")
    got = multi_source_distances(edge_graph(n, u, v, w), src, off, limit)
    for node in range(n):
        if node in expected:
            assert got[node] == pytest.approx(expected[node])
        else:
            assert np.isinf(got[node])


def test_multi_part_edges_measure_along_their_parts_in_order() -> None:
    multi = shapely.MultiLineString([[(0, 0), (100, 0)], [(200, 0), (500, 0)]])
    lines = np.asarray([shapely.LineString([(0, 50), (1, 50)]), multi], dtype=object)
    j = nearest_edge_points(lines, np.array([[300.0, -10.0]]))
    assert j.edge.tolist() == [1] and j.access_m.tolist() == [10.0]
    assert j.fraction == pytest.approx([200.0 / 400.0])  # 100 m of part 1 + 100 m of part 2
