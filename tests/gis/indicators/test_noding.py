"""Noding with arrays (gis.indicators._noding): hand-made cases, GEOS's union as reference."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from gis.indicators._faces import faces, segment_faces
from gis.indicators._noding import NODE_TOLERANCE_M, noded_segments


def _segments(lines: list[LineString]) -> list[tuple[float, ...]]:
    nodes, edges = noded_segments(np.array(lines, dtype=object))
    return sorted(tuple(r) for r in np.round(nodes[edges].reshape(-1, 4), 9).tolist())


def test_a_crossing_splits_both_segments_at_one_point() -> None:
    got = _segments([LineString([(0, 0), (4, 4)]), LineString([(0, 4), (4, 0)])])
    assert got == [(0, 0, 2, 2), (0, 4, 2, 2), (2, 2, 4, 0), (2, 2, 4, 4)]


def test_an_end_within_the_tolerance_splits_the_other_segment_there() -> None:
    off = NODE_TOLERANCE_M / 10
    nodes, edges = noded_segments(
        np.array([LineString([(0, 0), (10, 0)]), LineString([(5, 5), (5, off)])], dtype=object)
    )
    ends = {tuple(p) for p in nodes[edges].reshape(-1, 2).tolist()}
    assert (5.0, off) in ends and len(edges) == 3  # the edge split at the street's own end
    far = noded_segments(
        np.array([LineString([(0, 0), (10, 0)]), LineString([(5, 5), (5, 1e-3)])], dtype=object)
    )[1]
    assert len(far) == 2  # 1 mm away: not touching


def test_stretches_held_twice_are_kept_once() -> None:
    got = _segments(
        [
            LineString([(0, 0), (10, 0)]),
            LineString([(4, 0), (14, 0)]),  # overlapping along 4..10
            LineString([(10, 0), (0, 0)]),  # the first, reversed
        ]
    )
    assert got == [(0, 0, 4, 0), (4, 0, 10, 0), (10, 0, 14, 0)]


def test_nothing_to_node() -> None:
    nodes, edges = noded_segments(np.array([LineString([(0, 0), (1, 1)])], dtype=object))
    assert nodes.tolist() == [[0.0, 0.0], [1.0, 1.0]] and edges.tolist() == [[0, 1]]
    assert noded_segments(np.array([LineString()], dtype=object))[1].shape == (0, 2)


_coord = st.integers(0, 12)
_line = st.lists(st.tuples(_coord, _coord), min_size=2, max_size=4, unique=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, min_size=1, max_size=12))
def test_same_length_and_faces_as_geos_union(raw: list[list[tuple[int, int]]]) -> None:
    """On a grid GEOS's union is exact: the same length and the same faces."""
    lines = np.array([LineString(c) for c in raw], dtype=object)
    nodes, edges = noded_segments(lines)
    geos = shapely.get_parts(shapely.union_all(lines))
    seg = nodes[edges]
    length = float(np.hypot(*(seg[:, 1] - seg[:, 0]).T).sum())
    assert abs(length - float(shapely.length(geos).sum())) <= 1e-9 * max(1.0, length)
    mine = np.sort(shapely.area(segment_faces(nodes, edges)))
    theirs = np.sort(shapely.area(faces(geos)))
    assert len(mine) == len(theirs)
    assert np.allclose(mine, theirs, rtol=0, atol=1e-9)
    # and each segment meets the others only at its ends
    lines_out = shapely.linestrings(seg)
    tree = shapely.STRtree(lines_out)
    i, j = tree.query(lines_out, predicate="crosses")
    assert len(i) == 0
