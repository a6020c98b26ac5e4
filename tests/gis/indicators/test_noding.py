"""Noding with arrays (gis.indicators._noding): hand-made cases, GEOS's union as reference."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from gis.indicators._faces import faces, segment_faces
from gis.indicators._noding import NODE_TOLERANCE_M, clipped_lines, noded_segments


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
    lines_out = np.asarray(shapely.linestrings(seg), dtype=object)
    tree = shapely.STRtree(lines_out)
    i, j = tree.query(lines_out, predicate="crosses")
    assert len(i) == 0


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, min_size=1, max_size=16), st.integers(1, 6))
def test_pairs_looked_at_in_chunks_node_alike(raw: list[list[tuple[int, int]]], chunk: int) -> None:
    """A few pairs at a time (candidates, touches, crossings) give the very same noding."""
    from unittest import mock

    from gis.indicators import _noding

    lines = np.array([LineString(c) for c in raw], dtype=object)
    nodes, edges = noded_segments(lines)
    with mock.patch.object(_noding, "PAIRS_PER_CHUNK", chunk):
        nodes_c, edges_c = noded_segments(lines)
    assert np.array_equal(nodes, nodes_c) and np.array_equal(edges, edges_c)


_at = st.floats(-50, 150, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.tuples(_at, _at), min_size=2, max_size=5), min_size=1, max_size=8),
    st.lists(
        st.tuples(_coord, _coord, st.integers(5, 60), st.integers(5, 60)), min_size=1, max_size=4
    ),
    st.floats(0, 90),
)
# found by hypothesis: a line down the area's edge and back up it 5e-11 m aside, a stretch
# drawn twice that neither GEOS's union of the line nor the test for it saw
@example([[(0.0, 1.0), (0.0, 0.0), (5.2794416303128455e-11, 11.0)]], [(0, 0, 5, 5)], 0.0)
def test_clipped_lines_are_geos_intersection_to_rounding(
    raw: list[list[tuple[float, float]]], boxes: list[tuple[int, int, int, int]], angle: float
) -> None:
    """Random lines against a rotated union of boxes far from the origin (projected metres)."""
    x0, y0 = 412_345.678, 3_404_567.891
    area = shapely.union_all(
        [shapely.box(8 * x, 8 * y, 8 * x + w, 8 * y + h) for x, y, w, h in boxes]
    )
    area = shapely.affinity.translate(shapely.affinity.rotate(area, angle, origin=(0, 0)), x0, y0)
    lines = np.array([LineString([(x + x0, y + y0) for x, y in c]) for c in raw], dtype=object)
    # no stretch drawn twice, not even a rounding error aside: GEOS's overlay dissolves those,
    # the clip keeps each (the road density counts every segment once by itself)
    once = np.array(
        [abs(shapely.union_all([g]).length - g.length) < 1e-9 and not _nearly_on_itself(g)
         for g in lines]
    )  # fmt: skip
    lines = lines[(shapely.length(lines) > 0) & once]
    mine = shapely.length(clipped_lines(lines, area))
    # between the clips by the area shrunk and grown by twice the tolerance: what lies
    # within it of the edge may go either way (a road along the edge a rounding error
    # outside counts as on it; a corner within it of a line cuts the line there)
    least = _line_lengths(shapely.intersection(lines, area.buffer(-2 * NODE_TOLERANCE_M)))
    most = _line_lengths(shapely.intersection(lines, area.buffer(2 * NODE_TOLERANCE_M)))
    assert np.all(mine >= least - 1e-7), (mine, least)
    assert np.all(mine <= most + 1e-7), (mine, most)


def _nearly_on_itself(line: LineString) -> bool:
    """Whether a vertex lies within twice the tolerance of a segment it is not an end of,
    without being on it exactly (a line drawn back over itself a rounding error aside)."""
    xy = shapely.get_coordinates(line)
    segments = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    d = shapely.distance(shapely.points(xy)[:, None], segments[None, :])
    vertex, segment = np.indices(d.shape)
    other = (segment != vertex) & (segment != vertex - 1)
    return bool(((d > 0.0) & (d <= 2 * NODE_TOLERANCE_M) & other).any())


def _line_lengths(geoms: np.ndarray) -> np.ndarray:
    """The length of each geometry's lines (an overlay gives points too)."""
    return np.array(
        [sum(p.length for p in shapely.get_parts(g) if p.geom_type == "LineString") for g in geoms]
    )


def test_rings_alone_and_chains_through_two_segment_nodes_make_faces() -> None:
    """A block with an island ring touching nothing, and a street ending inside the block."""
    outer = LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])
    island = LineString([(4, 4), (6, 4), (6, 6), (4, 6), (4, 4)])
    dead_end = LineString([(10, 5), (8, 5), (7, 5)])
    nodes, edges = noded_segments(np.array([outer, island, dead_end], dtype=object))
    got = sorted(p.area for p in segment_faces(nodes, edges))
    assert got == [4.0, 96.0]
    holes = [len(p.interiors) for p in segment_faces(nodes, edges)]
    assert sorted(holes) == [0, 1]


def test_clipped_lines_leave_the_holes_out_and_keep_each_part_of_a_multiline() -> None:
    area = shapely.box(0, 0, 100, 100).difference(shapely.box(40, 40, 60, 60))
    crossing = LineString([(-10, 50), (110, 50)])  # through the hole
    multi = shapely.MultiLineString([[(10, 10), (10, 200)], [(50, -50), (50, 20)]])
    out = clipped_lines(np.array([crossing, multi], dtype=object), area)
    assert out[0].length == pytest.approx(80.0) and len(shapely.get_parts(out[0])) == 2
    assert out[1].length == pytest.approx(110.0) and len(shapely.get_parts(out[1])) == 2
    assert shapely.equals(out[0], shapely.intersection(crossing, area))


# segments short and long (across many grid cells), some of them touching by the tolerance
_coordinate = st.one_of(
    st.integers(0, 20).map(float),
    st.floats(0.0, 500.0, allow_nan=False),
    st.integers(0, 20).map(lambda v: v + NODE_TOLERANCE_M / 2),
)
_segment = st.tuples(_coordinate, _coordinate, _coordinate, _coordinate)


@settings(max_examples=300, deadline=None)
@given(st.lists(_segment, min_size=2, max_size=40), st.integers(0, 40), st.integers(1, 9))
def test_candidate_pairs_are_the_pairs_of_meeting_boxes(
    rows: list[tuple[float, float, float, float]], split: int, chunk: int
) -> None:
    """Every pair of boxes grown by the tolerance that meet, once; across two sets too.

    The pairs in cells are looked at ``chunk`` at a time (a chunk of a few, or all at once,
    must find the same pairs).
    """
    from unittest import mock

    from gis.indicators import _noding

    def _candidate_pairs(
        a: np.ndarray, b: np.ndarray, tol: float, across: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        size = 10**9 if chunk == 9 else chunk
        with mock.patch.object(_noding, "PAIRS_PER_CHUNK", size):
            return _noding._candidate_pairs(a, b, tol, across=across)

    xy = np.array(rows, dtype=np.float64)
    a, b = xy[:, :2] + 3_500_000.0, xy[:, 2:] + 3_500_000.0  # projected magnitudes
    tol = NODE_TOLERANCE_M
    lo, hi = np.minimum(a, b) - tol, np.maximum(a, b) + tol
    n = len(a)
    want = {
        (p, q)
        for p in range(n)
        for q in range(p + 1, n)
        if (lo[p] <= hi[q]).all() and (lo[q] <= hi[p]).all()
    }
    i, j = _candidate_pairs(a, b, tol)
    got = [(min(p, q), max(p, q)) for p, q in zip(i.tolist(), j.tolist(), strict=True)]
    assert len(got) == len(set(got)) and set(got) == want
    across = min(max(split, 1), n - 1)
    i, j = _candidate_pairs(a, b, tol, across=across)
    got = list(zip(i.tolist(), j.tolist(), strict=True))
    assert len(got) == len(set(got))
    assert set(got) == {(p, q) for p, q in want if p < across <= q}


def test_candidate_pairs_of_one_long_segment_among_tiny_ones() -> None:
    """Cells of twice the (tiny) median would have put the long segment in 3.9e9 cells."""
    from gis.indicators._noding import _candidate_pairs

    a = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [0.0, 0.0]]) + 3_500_000.0
    b = a.copy()
    b[4] += 500.0  # 500 m each way, the others zero-length
    i, j = _candidate_pairs(a, b, NODE_TOLERANCE_M)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 4), (1, 4), (2, 4), (3, 4)]
