"""A line network noded with arrays: every crossing and touch made a shared vertex.

:func:`noded_segments` cuts lines into 2-point segments and splits them where they meet,
so that segments share only their ends and no stretch is held twice: the input of
:func:`gis.indicators._faces.segment_faces` (street blocks).  ``shapely.union_all`` does
the same for lines, but a road cut where it crosses an oblique edge of the built-up area
ends a rounding error (about 1e-10 m) off that edge, and GEOS's union joined such ends to
the edge only some of the time: on the embedded county, streets crossing a block stopped
short of the edge and the blocks either side showed as one.  At 2,000 km² (380,000
segments of roads and the built-up edge) the union took 2.3-3.9 s, this about half of it.

Here the snapping is explicit and the same everywhere:

* **touches**: an end of one segment within :data:`NODE_TOLERANCE_M` of another
  segment's interior splits that segment at the end's own coordinates (a road cut at
  the area's edge, a street ending on another, a stretch drawn along another);
* **crossings**: two segments whose ends lie strictly on opposite sides of each other
  (farther than the tolerance) are both split at one computed point, GEOS's formula
  (homogeneous coordinates, conditioned about the middle of the boxes' overlap).

Candidate pairs come from a uniform grid of the segments' boxes, each pair counted in one
cell only.  Splits are not noded again (as GEOS's floating-point noder): a split moves a
segment by at most the tolerance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gis.coords import distinct_points

NODE_TOLERANCE_M = 1e-6
"""An end this close to another segment (m) lies on it: above rounding errors of cut points
(about 1e-9 m at projected coordinates of millions of metres), far below any drawn detail."""

MAX_CELLS_PER_SEGMENT = 16
"""Grid cells per segment on average at most, for the candidate pairs: the 383,712 segments
at 2,000 km² take 3 with cells of twice the median segment; a few long segments among
many tiny ones would take billions (found by hypothesis), and the cells are made larger."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def segments_of(lines: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """The 2-point segments (starts, ends) of the lines' parts, zero-length ones left out."""
    a, b, _ = _segments(shapely.get_parts(np.asarray(lines, dtype=object)))
    return a, b


def _segments(parts: np.ndarray) -> tuple[FloatArray, FloatArray, IntArray]:
    """The 2-point segments of single lines, in order, and the line each is of."""
    xy, which = shapely.get_coordinates(parts, return_index=True)
    inner = np.flatnonzero(which[1:] == which[:-1])
    a, b, part = xy[inner], xy[inner + 1], which[inner]
    real = ~_same(a, b)
    return a[real], b[real], part[real]


@dataclass(frozen=True)
class Edge:
    """An area's edge for :func:`clipped_lines`: its segments and its outline (prepared)."""

    a: FloatArray
    b: FloatArray
    outline: BaseGeometry

    @classmethod
    def of(cls, area: BaseGeometry) -> Edge:
        outline = shapely.boundary(area)
        shapely.prepare(outline)
        a, b = segments_of(np.array([outline], dtype=object))
        return cls(a, b, outline)


def noded_segments(
    lines: np.ndarray, *, tol_m: float = NODE_TOLERANCE_M
) -> tuple[FloatArray, IntArray]:
    """The lines noded: the nodes and the 2-point segments between them, each once.

    Returns node coordinates ``(k, 2)`` and segments ``(m, 2)`` (node numbers, lower
    first) that meet only at their ends.

    >>> from shapely import LineString
    >>> nodes, edges = noded_segments(np.array([LineString([(0, 0), (2, 2)]),
    ...                                         LineString([(0, 2), (2, 0)]),
    ...                                         LineString([(2, 2), (3, 2)]),
    ...                                         LineString([(3, 2), (2, 2)])]))
    >>> sorted(np.round(nodes[edges].reshape(-1, 4), 6).tolist())
    ... # doctest: +NORMALIZE_WHITESPACE
    [[0.0, 0.0, 1.0, 1.0], [0.0, 2.0, 1.0, 1.0], [1.0, 1.0, 2.0, 0.0], [1.0, 1.0, 2.0, 2.0],
     [2.0, 2.0, 3.0, 2.0]]
    """
    a, b = segments_of(lines)
    if len(a) < 2:
        return _numbered(a, b)[:2]
    i, j = _candidate_pairs(a, b, tol_m)
    # 1. touches first, so that stretches drawn twice become one edge ...
    seg, xy = _touches(a, b, i, j, tol_m)
    a, b, parent = _split(a, b, seg, xy)
    nodes, edges, edge_of = _numbered(a, b)
    # 2. ... crossed once: two copies of a stretch would each get their own crossing point
    # (a rounding error apart), and neither copy would be a duplicate any more
    pi, pj = _piece_pairs(i, j, parent, edge_of)
    a, b = nodes[edges[:, 0]], nodes[edges[:, 1]]
    seg, xy = _crossings(a, b, pi, pj, tol_m)
    a, b, _ = _split(a, b, seg, xy)
    nodes, edges, _ = _numbered(a, b)
    return nodes, edges


def _numbered(a: FloatArray, b: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    """The distinct ends, each distinct undirected segment once, and which each input is.

    Ends are matched by exact coordinates; segments are node numbers, lower first.
    """
    n = len(a)
    xy, number = distinct_points(np.concatenate([a, b]))
    lo, hi = np.minimum(number[:n], number[n:]), np.maximum(number[:n], number[n:])
    each = lo * len(xy) + hi
    keys = np.sort(each)
    keys = keys[np.r_[True, keys[1:] != keys[:-1]][: len(keys)]]
    edges: IntArray = np.column_stack([keys // len(xy), keys % len(xy)])
    edge_of: IntArray = np.searchsorted(keys, each)
    return xy, edges, edge_of


def _piece_pairs(
    i: IntArray, j: IntArray, parent: IntArray, edge_of: IntArray
) -> tuple[IntArray, IntArray]:
    """The pairs of edges cut from each candidate pair of segments.

    Every piece of one with every piece of the other: a piece's box lies in its segment's,
    grown by the tolerance, so no other pair can cross.
    """
    order = np.argsort(parent, kind="stable")
    first = np.searchsorted(parent[order], np.arange(int(parent.max()) + 1))
    count = np.bincount(parent, minlength=len(first))
    ci, cj = count[i], count[j]
    n = ci * cj
    pair = np.repeat(np.arange(len(i)), n)
    k = np.arange(len(pair)) - np.repeat(np.cumsum(n) - n, n)
    ei = edge_of[order[first[i[pair]] + k // cj[pair]]]
    ej = edge_of[order[first[j[pair]] + k % cj[pair]]]
    keep = ei != ej
    return ei[keep], ej[keep]


def _candidate_pairs(
    a: FloatArray, b: FloatArray, tol_m: float, *, across: int | None = None
) -> tuple[IntArray, IntArray]:
    """Pairs of segments whose boxes, grown by the tolerance, meet (each pair once).

    With ``across``, only pairs of a segment numbered below it with one at or above it
    (lines against an area's edge), the first of each pair below.
    """
    x0, x1 = np.minimum(a[:, 0], b[:, 0]) - tol_m, np.maximum(a[:, 0], b[:, 0]) + tol_m
    y0, y1 = np.minimum(a[:, 1], b[:, 1]) - tol_m, np.maximum(a[:, 1], b[:, 1]) + tol_m
    # cells of about twice the median segment: fewer pairs in a cell than larger cells give,
    # fewer cells per long segment than smaller ones
    cell = max(float(np.median(np.maximum(x1 - x0, y1 - y0))) * 2.0, 16.0 * tol_m)
    ox, oy = float(x0.min()), float(y0.min())
    while True:  # larger where the median is tiny beside long segments (few real cells)
        cx0, cx1 = ((x0 - ox) // cell).astype(np.int64), ((x1 - ox) // cell).astype(np.int64)
        cy0, cy1 = ((y0 - oy) // cell).astype(np.int64), ((y1 - oy) // cell).astype(np.int64)
        nx, ny = cx1 - cx0 + 1, cy1 - cy0 + 1
        rows = int(cy1.max()) + 1
        entries = float((nx.astype(np.float64) * ny).sum())
        if entries <= MAX_CELLS_PER_SEGMENT * len(a) and (int(cx1.max()) + 1) * rows < 2**62:
            break
        cell *= 2.0
    count = nx * ny
    seg = np.repeat(np.arange(len(a)), count)
    k = np.arange(len(seg)) - np.repeat(np.cumsum(count) - count, count)
    key = (cx0[seg] + k % nx[seg]) * rows + cy0[seg] + k // nx[seg]
    if across is None:  # each entry with those after it in its cell
        order = np.argsort(key, kind="stable")
        key, seg = key[order], seg[order]
        lowest = np.arange(1, len(key) + 1)
        highest = np.searchsorted(key, key, side="right")
    else:  # each entry of the first set with those of the second in its cell
        second_set = (seg >= across).astype(np.int64)
        both = key * 2 + second_set
        order = np.argsort(both, kind="stable")
        both, key, seg = both[order], key[order], seg[order]
        lowest = np.searchsorted(both, key * 2 + 1, side="left")
        highest = np.where(
            second_set[order] == 1, lowest, np.searchsorted(both, key * 2 + 1, "right")
        )
    partners = highest - lowest
    boxes = (x0[seg], x1[seg], y0[seg], y1[seg])  # each entry's box, in entry order
    # the entries' pairs a few hundred thousand at a time: the same pairs, in the same order,
    # in a tenth of the memory (at 2,000 km², 2.5 million pairs in cells, 700,000 kept)
    ends = np.cumsum(partners)
    steps = np.arange(PAIRS_PER_CHUNK, int(ends[-1]), PAIRS_PER_CHUNK)
    bounds = np.r_[0, np.searchsorted(ends, steps), len(key)]
    found = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))]
    for c0, c1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if c1 > c0:
            found.append(_pairs_in_cells(lowest, partners, boxes, seg, key, cx0, cy0, rows, c0, c1))
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


PAIRS_PER_CHUNK = 262_144
"""Pairs of entries in a cell looked at a time by :func:`_candidate_pairs`."""


def _pairs_in_cells(
    lowest: IntArray,
    partners: IntArray,
    boxes: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    seg: IntArray,
    key: IntArray,
    cx0: IntArray,
    cy0: IntArray,
    rows: int,
    c0: int,
    c1: int,
) -> tuple[IntArray, IntArray]:
    """Of the entries ``c0..c1`` paired with their partners, the pairs whose boxes meet.

    An entry's partners are the ``partners`` entries from ``lowest`` on (those after it in
    its cell); a pair is kept only in the cell of its boxes' overlap's lower-left corner.
    """
    count = partners[c0:c1]
    first = np.repeat(np.arange(c0, c1), count)
    shift = np.cumsum(count) - count - lowest[c0:c1]
    second = np.arange(len(first)) - np.repeat(shift, count)
    x0, x1, y0, y1 = boxes
    meet = (x0[first] <= x1[second]) & (x0[second] <= x1[first])
    meet &= (y0[first] <= y1[second]) & (y0[second] <= y1[first])
    first, second = first[meet], second[meet]
    i, j, here = seg[first], seg[second], key[first]
    # each pair only in the cell holding the lower-left corner of the boxes' overlap (the
    # cell numbers grow with the coordinates, so that cell's are the greater of the two's)
    corner = np.maximum(cx0[i], cx0[j]) * rows + np.maximum(cy0[i], cy0[j])
    keep = corner == here
    return i[keep], j[keep]


def _same(p: FloatArray, q: FloatArray) -> npt.NDArray[np.bool_]:
    """Per row, whether the two points are the same (exactly)."""
    out: npt.NDArray[np.bool_] = (p[:, 0] == q[:, 0]) & (p[:, 1] == q[:, 1])
    return out


def _cross(o: FloatArray, p: FloatArray, q: FloatArray) -> FloatArray:
    """Per row, the cross product (p - o) x (q - o)."""
    out: FloatArray = (p[:, 0] - o[:, 0]) * (q[:, 1] - o[:, 1]) - (p[:, 1] - o[:, 1]) * (
        q[:, 0] - o[:, 0]
    )
    return out


def _on_interior(e: FloatArray, s0: FloatArray, s1: FloatArray, tol_m: float) -> np.ndarray:
    """Which points ``e`` lie within the tolerance of the segment's interior (not an end)."""
    dx, dy = s1[:, 0] - s0[:, 0], s1[:, 1] - s0[:, 1]
    ex, ey = e[:, 0] - s0[:, 0], e[:, 1] - s0[:, 1]
    t = (ex * dx + ey * dy) / (dx * dx + dy * dy)
    near = (ex - t * dx) ** 2 + (ey - t * dy) ** 2 <= tol_m * tol_m
    inside: np.ndarray = near & (t > 0.0) & (t < 1.0) & ~(_same(e, s0) | _same(e, s1))
    return inside


def _pair_chunks(i: IntArray, j: IntArray) -> Iterator[tuple[int, IntArray, IntArray]]:
    """The pairs ``(i, j)`` :data:`PAIRS_PER_CHUNK` at a time: ``(first row, i, j)``."""
    for lo in range(0, len(i), PAIRS_PER_CHUNK):
        yield lo, i[lo : lo + PAIRS_PER_CHUNK], j[lo : lo + PAIRS_PER_CHUNK]


def _touches(
    a: FloatArray, b: FloatArray, i: IntArray, j: IntArray, tol_m: float
) -> tuple[IntArray, FloatArray]:
    """Ends lying on other segments: ``(segment, point)`` rows, the point the end itself.

    The rows of each kind of end (i's starts, i's ends, j's starts, j's ends) together, in
    pair order; the pairs looked at :data:`PAIRS_PER_CHUNK` at a time.
    """
    none = (np.zeros(0, dtype=np.int64), np.zeros((0, 2)))
    found: list[list[tuple[IntArray, FloatArray]]] = [[none], [], [], []]
    for _, ci, cj in _pair_chunks(i, j):
        ai, bi, aj, bj = a[ci], b[ci], a[cj], b[cj]
        kinds = ((ai, cj, aj, bj), (bi, cj, aj, bj), (aj, ci, ai, bi), (bj, ci, ai, bi))
        for rows, (ends, other, s0, s1) in zip(found, kinds, strict=True):
            on = _on_interior(ends, s0, s1, tol_m)
            rows.append((other[on], ends[on]))
    rows = [row for kind in found for row in kind]
    return np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows])


def _crossings(
    a: FloatArray, b: FloatArray, i: IntArray, j: IntArray, tol_m: float
) -> tuple[IntArray, FloatArray]:
    """Proper crossings: ``(segment, point)`` rows, one computed point for both segments.

    Pairs sharing an end, or with an end within the tolerance of the other, do not cross.
    """
    # the pairs crossing strictly first (29,173 of 942,267 at 2,000 km²; the pairs looked
    # at PAIRS_PER_CHUNK at a time), then of those the ones touching: the same rows as
    # testing every pair for touches first
    crossing = [np.zeros(0, dtype=np.int64)]
    for lo, ci, cj in _pair_chunks(i, j):
        crossing.append(lo + np.flatnonzero(_crosses(a[ci], b[ci], a[cj], b[cj])))
    rest = np.concatenate(crossing)
    ai, bi, aj, bj = a[i[rest]], b[i[rest]], a[j[rest]], b[j[rest]]
    touching = _same(ai, aj) | _same(ai, bj) | _same(bi, aj) | _same(bi, bj)
    for ends, s0, s1 in ((ai, aj, bj), (bi, aj, bj), (aj, ai, bi), (bj, ai, bi)):
        touching |= _point_segment_distance(ends, s0, s1) <= tol_m
    apart = ~touching
    rest = rest[apart]
    point = _merged(_intersection(ai[apart], bi[apart], aj[apart], bj[apart]), tol_m)
    return np.concatenate([i[rest], j[rest]]), np.concatenate([point, point])


def _crosses(p0: FloatArray, p1: FloatArray, q0: FloatArray, q1: FloatArray) -> np.ndarray:
    """Per row, whether segments ``p`` and ``q`` properly cross.

    Each segment's ends lie strictly on opposite sides of the other's line.
    """
    crossing: np.ndarray = (np.sign(_cross(p0, p1, q0)) * np.sign(_cross(p0, p1, q1)) < 0) & (
        np.sign(_cross(q0, q1, p0)) * np.sign(_cross(q0, q1, p1)) < 0
    )
    return crossing


def _merged(points: FloatArray, tol_m: float) -> FloatArray:
    """Crossing points within the tolerance of each other made one (the first of them).

    Three streets through one point give three computed points a rounding error apart;
    split there, they would leave slivers between them that the faces cannot order.
    """
    if len(points) < 2:
        return points
    geoms = np.asarray(shapely.points(points), dtype=object)
    p, q = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tol_m)
    p, q = p[p != q], q[p != q]
    if len(p) == 0:
        return points
    label = np.arange(len(points))
    while True:  # each point labelled by the least point of its cluster
        least = label.copy()
        np.minimum.at(least, p, label[q])
        least = least[least]
        if np.array_equal(least, label):
            break
        label = least
    out: FloatArray = points[label]
    return out


def _intersection(p1: FloatArray, p2: FloatArray, q1: FloatArray, q2: FloatArray) -> FloatArray:
    """The crossing point of each pair of properly crossing segments (GEOS's formula).

    Coordinates are taken relative to the middle of the two boxes' overlap, the lines'
    homogeneous equations crossed, and a point outside either segment's box replaced by
    the end nearest the other segment (as GEOS's ``LineIntersector``).
    """
    lo = np.maximum(np.minimum(p1, p2), np.minimum(q1, q2))
    hi = np.minimum(np.maximum(p1, p2), np.maximum(q1, q2))
    mid = (lo + hi) / 2.0
    p1, p2, q1, q2 = p1 - mid, p2 - mid, q1 - mid, q2 - mid
    px, py = p1[:, 1] - p2[:, 1], p2[:, 0] - p1[:, 0]
    pw = p1[:, 0] * p2[:, 1] - p2[:, 0] * p1[:, 1]
    qx, qy = q1[:, 1] - q2[:, 1], q2[:, 0] - q1[:, 0]
    qw = q1[:, 0] * q2[:, 1] - q2[:, 0] * q1[:, 1]
    w = px * qy - qx * py
    with np.errstate(divide="ignore", invalid="ignore"):
        point = np.column_stack([(py * qw - qy * pw) / w, (qx * pw - px * qw) / w]) + mid
    p1, p2, q1, q2 = p1 + mid, p2 + mid, q1 + mid, q2 + mid
    boxed = (
        (point >= np.minimum(p1, p2)).all(axis=1)
        & (point <= np.maximum(p1, p2)).all(axis=1)
        & (point >= np.minimum(q1, q2)).all(axis=1)
        & (point <= np.maximum(q1, q2)).all(axis=1)
    )
    bad = np.flatnonzero(~boxed)
    if len(bad):
        point[bad] = _nearest_end(p1[bad], p2[bad], q1[bad], q2[bad])
    return point


def _nearest_end(p1: FloatArray, p2: FloatArray, q1: FloatArray, q2: FloatArray) -> FloatArray:
    """Of the four ends, the one nearest the other segment."""
    cands = np.stack([p1, p2, q1, q2], axis=1)
    dist = np.column_stack(
        [
            _point_segment_distance(p1, q1, q2),
            _point_segment_distance(p2, q1, q2),
            _point_segment_distance(q1, p1, p2),
            _point_segment_distance(q2, p1, p2),
        ]
    )
    out: FloatArray = cands[np.arange(len(p1)), np.argmin(dist, axis=1)]
    return out


def _point_segment_distance(e: FloatArray, s0: FloatArray, s1: FloatArray) -> FloatArray:
    """Per row, the distance (m) from the point to the segment."""
    dx, dy = s1[:, 0] - s0[:, 0], s1[:, 1] - s0[:, 1]
    ex, ey = e[:, 0] - s0[:, 0], e[:, 1] - s0[:, 1]
    length2 = dx * dx + dy * dy
    t = np.clip((ex * dx + ey * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    out: FloatArray = np.hypot(ex - t * dx, ey - t * dy)
    return out


def _split(
    a: FloatArray, b: FloatArray, seg: IntArray, xy: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """The segments cut at their split points, in order along each, and each piece's segment."""
    n = len(a)
    if len(seg) == 0:
        return a, b, np.arange(n)
    dx, dy = b[seg, 0] - a[seg, 0], b[seg, 1] - a[seg, 1]
    t = ((xy[:, 0] - a[seg, 0]) * dx + (xy[:, 1] - a[seg, 1]) * dy) / (dx * dx + dy * dy)
    # every segment's start (t = 0), its split points, its end (t = 1)
    all_seg = np.concatenate([np.arange(n), seg, np.arange(n)])
    all_t = np.concatenate([np.zeros(n), t, np.ones(n)])
    all_xy = np.concatenate([a, xy, b])
    order = np.lexsort((all_t, all_seg))
    all_seg, all_xy = all_seg[order], all_xy[order]
    same = np.flatnonzero(all_seg[1:] == all_seg[:-1])
    starts, stops = all_xy[same], all_xy[same + 1]
    real = ~_same(starts, stops)
    return starts[real], stops[real], all_seg[same][real]


def clipped_lines(
    lines: np.ndarray,
    area: BaseGeometry,
    *,
    edge: Edge | None = None,
    tol_m: float = NODE_TOLERANCE_M,
) -> np.ndarray:
    """Each line's part inside the polygonal ``area``, cut with arrays.

    The point set of ``shapely.intersection(line, area)`` (its lines; a line meeting the
    area only at points gives an empty line; a stretch drawn twice is kept twice, where
    GEOS's overlay dissolves it) to the tolerance: the lines' segments are cut
    where the area's edge crosses them (the crossing computed as in :func:`noded_segments`)
    and where an edge vertex lies on them; the pieces between two points on the edge are
    kept together when the middle of the longest is in the area or within the tolerance of
    its edge (a stretch along the edge), and consecutive pieces are joined again.  A cut
    end lies a rounding error (about 1e-10 m) off the edge, well within the tolerance at
    which :func:`noded_segments` joins it there.

    >>> from shapely import LineString, box
    >>> out = clipped_lines(np.array([LineString([(5, 5), (15, 5), (15, 15), (5, 15)]),
    ...                               LineString([(20, 20), (30, 30)])]), box(0, 0, 10, 10))
    >>> [g.wkt for g in out]
    ['LINESTRING (5 5, 10 5)', 'LINESTRING EMPTY']
    """
    lines = np.asarray(lines, dtype=object)
    out = np.empty(len(lines), dtype=object)
    out[:] = [shapely.LineString()] * len(lines)
    parts, part_of = shapely.get_parts(lines, return_index=True)
    a, b, seg_part = _segments(parts)
    if len(a) == 0:
        return out
    edge = Edge.of(area) if edge is None else edge
    # the edge's segments near the lines only (a what-if road meets a few of 146,000)
    x0, y0 = np.minimum(a, b).min(axis=0) - tol_m
    x1, y1 = np.maximum(a, b).max(axis=0) + tol_m
    lo, hi = np.minimum(edge.a, edge.b), np.maximum(edge.a, edge.b)
    near = (lo[:, 0] <= x1) & (hi[:, 0] >= x0) & (lo[:, 1] <= y1) & (hi[:, 1] >= y0)
    ea, eb = edge.a[near], edge.b[near]
    n = len(a)
    li, ej = _candidate_pairs(np.concatenate([a, ea]), np.concatenate([b, eb]), tol_m, across=n)
    ej -= n
    seg, cuts, start_on, stop_on = _cuts(a[li], b[li], ea[ej], eb[ej], li, tol_m)
    pa, pb, parent = _split(a, b, seg, cuts)
    # the pieces between two points on the edge (cuts, vertices within the tolerance of it)
    # are all in or all out: one test each, of its longest piece
    vertex_on = np.zeros(n, dtype=bool)  # each segment's start
    vertex_on[li[start_on]] = True
    following = li[stop_on] + 1  # a segment's end is the next one's start, in the same part
    following = following[following < n]
    vertex_on[following[seg_part[following] == seg_part[following - 1]]] = True
    starts_segment = np.r_[True, parent[1:] != parent[:-1]]
    new_part = np.r_[True, seg_part[parent[1:]] != seg_part[parent[:-1]]]
    event = new_part | ~starts_segment | vertex_on[parent]
    run = np.cumsum(event) - 1
    length = np.hypot(pb[:, 0] - pa[:, 0], pb[:, 1] - pa[:, 1])
    order = np.lexsort((-length, run))
    longest = order[np.r_[True, run[order][1:] != run[order][:-1]]]
    mid = (pa[longest] + pb[longest]) / 2.0
    shapely.prepare(area)
    inside = shapely.intersects_xy(area, mid[:, 0], mid[:, 1])
    outside = np.flatnonzero(~inside)
    if len(outside):
        inside[outside] = shapely.dwithin(edge.outline, shapely.points(mid[outside]), tol_m)
    k = np.flatnonzero(inside[run])
    if len(k) == 0:
        return out
    part = seg_part[parent[k]]
    pa, pb = pa[k], pb[k]
    new_run = np.r_[True, (part[1:] != part[:-1]) | ~_same(pb[:-1], pa[1:])]
    run = np.cumsum(new_run) - 1
    starts = np.flatnonzero(new_run)
    coords = np.insert(pb, starts, pa[starts], axis=0)  # each run: its start, then every end
    runs = np.asarray(
        shapely.linestrings(coords, indices=np.insert(run, starts, run[starts])), dtype=object
    )
    line_of = part_of[part[starts]]
    count = np.bincount(line_of, minlength=len(lines))
    single = np.flatnonzero(count[line_of] == 1)
    out[line_of[single]] = runs[single]
    several = np.flatnonzero(count[line_of] > 1)
    if len(several):
        owners, which_line = np.unique(line_of[several], return_inverse=True)
        out[owners] = shapely.multilinestrings(runs[several], indices=which_line.ravel())
    return out


def _cuts(
    s0: FloatArray, s1: FloatArray, e0: FloatArray, e1: FloatArray, seg: IntArray, tol_m: float
) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Where the area's edge segments ``e`` cut the line segments ``s`` (``seg`` their numbers).

    An edge vertex within the tolerance of a line segment's interior cuts it there; a proper
    crossing cuts it at the computed point.  Also returns, per pair, whether the line
    segment's start and its end lie within the tolerance of the edge segment.
    """
    out_seg: list[IntArray] = []
    out_xy: list[FloatArray] = []
    start_on = _point_segment_distance(s0, e0, e1) <= tol_m
    stop_on = _point_segment_distance(s1, e0, e1) <= tol_m
    for v in (e0, e1):
        on = _on_interior(v, s0, s1, tol_m)
        out_seg.append(seg[on])
        out_xy.append(v[on])
    # the pairs crossing strictly, less those touching (ends within the tolerance)
    rest = np.flatnonzero(_crosses(s0, s1, e0, e1))
    touching = start_on[rest] | stop_on[rest]
    for v in (e0, e1):
        touching |= _point_segment_distance(v[rest], s0[rest], s1[rest]) <= tol_m
    rest = rest[~touching]
    out_seg.append(seg[rest])
    out_xy.append(_intersection(s0[rest], s1[rest], e0[rest], e1[rest]))
    return np.concatenate(out_seg), np.concatenate(out_xy), start_on, stop_on
