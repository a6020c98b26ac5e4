"""The network kernel against networkx on hand-made and random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.errors import ValidationError
from gis.routing import (
    edge_graph,
    min_offsets,
    multi_source_distances,
    nearest_nodes,
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
    with pytest.raises(ValidationError, match="no nodes"):
        nearest_nodes(np.zeros((0, 2)), np.zeros((1, 2)))


def test_min_offsets_and_nearest_nodes() -> None:
    src, off = min_offsets([3, 3, 1], [5.0, 2.0, 8.0])
    assert src.tolist() == [1, 3] and off.tolist() == [8.0, 2.0]
    idx, d = nearest_nodes(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[9.0, 0.0], [1.0, 1.0]]))
    assert idx.tolist() == [1, 0] and d == pytest.approx([1.0, np.sqrt(2)])


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
