"""The faces of a noded line network (street blocks), traced with arrays, not GEOS's polygonizer.

:func:`faces` returns the polygons ``shapely.polygonize`` returns for lines that meet only at
shared vertices (``shapely.union_all``'s output): every bounded face of the network, dangles
and cut edges left out, islands as holes.  At 2,000 km² (89,000 blocks from 230,000 noded
lines) GEOS's polygonizer took 2.1 s CPU; tracing the faces as below takes a fraction of it.

:func:`segment_faces` takes the 2-point segments of :func:`gis.indicators._noding.noded_segments`
(node numbers) and first joins them into lines through the nodes where exactly two meet
(pointer jumping; a ring of such nodes alone is cut open at its least half-edge): the faces
are traced by the line, and 487,000 segments make 221,000 lines at 2,000 km².

Each line is a pair of half-edges (one each way).  Around
every vertex the half-edges leaving it are sorted by angle; the half-edge after ``h`` on the
face to its left leaves ``h``'s end just clockwise of ``h``'s way back.  Following "after"
from every half-edge walks every face's boundary once: counter-clockwise (positive area)
around a bounded face, clockwise around the outside of each connected part.  An edge whose
two half-edges lie on the same walk has the same face on both sides (a dangle or a bridge):
those are removed and the walks traced again.  Walks are labelled and ordered with pointer
jumping (``log2`` of the longest walk rounds of array gathers).  Each clockwise walk is a
hole of the smallest counter-clockwise walk around it, or the outside if none.

A walk that passes a vertex twice (a face pinched at a vertex: a loop touching the block's
edge at one point) is not a valid ring; such faces, rare in street networks, are left to
GEOS's polygonizer, given that face's own edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from gis.coords import distinct_points

IntArray = npt.NDArray[np.int64]


def faces(lines: np.ndarray) -> np.ndarray:
    """Polygons of the bounded faces of noded lines (``shapely.polygonize``'s, any order).

    ``lines`` must meet only at their ends, with no stretch twice (``union_all``'s parts);
    points, empty and zero-length lines are ignored.

    >>> from shapely import LineString
    >>> grid = [LineString([(0, y), (2, y)]) for y in (0, 1)] + [
    ...     LineString([(x, 0), (x, 1)]) for x in (0, 1, 2)] + [LineString([(2, 1), (3, 3)])]
    >>> noded = shapely.get_parts(shapely.union_all(grid))
    >>> sorted(p.area for p in faces(noded))
    [1.0, 1.0]
    """
    lines = np.asarray(lines, dtype=object)
    lines = lines[shapely.get_type_id(lines) == shapely.GeometryType.LINESTRING]
    lines = lines[shapely.length(lines) > 0]
    if len(lines) == 0:
        return np.zeros(0, dtype=object)
    return _traced(_Network.of(lines))


def segment_faces(nodes: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """:func:`faces` of 2-point segments: node coordinates ``(k, 2)``, segments ``(m, 2)``.

    The segments join distinct nodes and meet only at their ends, each once
    (:func:`gis.indicators._noding.noded_segments`).

    >>> square = np.array([(0, 0), (1, 0), (1, 1), (0, 1)], dtype=float)
    >>> [p.area for p in segment_faces(square, np.array([[0, 1], [1, 2], [2, 3], [0, 3]]))]
    [1.0]
    """
    if len(edges) == 0:
        return np.zeros(0, dtype=object)
    return _traced(_Network.of_segments(np.asarray(nodes, dtype=float), np.asarray(edges)))


def _traced(net: _Network) -> np.ndarray:
    """The bounded faces of the network (:func:`faces`)."""
    keep = np.ones(len(net.start), dtype=bool)
    all_origin, all_order = _around_nodes(net)  # once: a subset keeps its order
    while True:  # trace, drop the lines with one face on both sides, trace again
        edges = np.flatnonzero(keep)
        origin, after = _half_edges(all_origin, all_order, keep)
        walk = _walks(after)
        cut = walk[0::2] == walk[1::2]
        if not cut.any():
            break
        keep[edges[cut]] = False  # removing every bridge leaves none: one more round at most
        if not keep.any():
            return np.zeros(0, dtype=object)
    return _polygons(net, edges, origin, after, walk)


@dataclass(frozen=True)
class _Network:
    """The lines' coordinates, where each starts and ends, its end nodes and shoelace sum."""

    xy: np.ndarray
    start: IntArray
    stop: IntArray
    node: IntArray  # (n, 2): the node at each line's start and end
    along: np.ndarray  # per line, the sum of x_i y_i+1 - x_i+1 y_i (centred coordinates)

    @classmethod
    def of(cls, lines: np.ndarray) -> _Network:
        xy, which = shapely.get_coordinates(lines, return_index=True)
        start = np.searchsorted(which, np.arange(len(lines)))
        stop = np.r_[start[1:], len(which)] - 1
        ends = np.concatenate([xy[start], xy[stop]])
        node = distinct_points(ends)[1]  # ends matched exactly
        c = xy - xy.mean(axis=0)  # centred: the products stay small
        same = np.flatnonzero(which[1:] == which[:-1])
        cross = c[same, 0] * c[same + 1, 1] - c[same + 1, 0] * c[same, 1]
        along = np.bincount(which[same], weights=cross, minlength=len(lines))
        nodes = np.column_stack([node[: len(lines)], node[len(lines) :]])
        return cls(xy, start, stop, nodes, along)

    @classmethod
    def of_segments(cls, nodes: np.ndarray, edges: np.ndarray) -> _Network:
        """The network of segments joined into lines through the nodes of two segments.

        Fewer, longer lines: tracing the faces costs by the line, not by the vertex.
        """
        chain, count = _chains(len(nodes), edges)
        c = nodes - nodes.mean(axis=0)  # centred: the products stay small
        org, dst = edges.ravel()[chain], edges[:, ::-1].ravel()[chain]
        starts = np.cumsum(count) - count
        # each line: its first node, then the end of each of its half-edges
        points = np.insert(dst, starts, org[starts])
        xy = nodes[points]
        start = starts + np.arange(len(count))
        stop = start + count
        p, q = c[org], c[dst]
        cross = p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]
        along = np.add.reduceat(cross, starts) if len(cross) else np.zeros(0)
        ends = np.column_stack([org[starts], dst[starts + count - 1]])
        return cls(xy, start, stop, ends, along)


def _chains(n_nodes: int, edges: IntArray) -> tuple[IntArray, IntArray]:
    """The segments joined into chains through the nodes where exactly two meet.

    Half-edge ``2i`` runs segment ``i`` from ``edges[i, 0]``, ``2i + 1`` back.  Returns the
    half-edges of the chains, chain after chain, each in order (one direction of each
    chain), and each chain's count of half-edges.  A
    ring of such nodes only is cut open at its least half-edge.
    """
    m = len(edges)
    half = np.arange(2 * m)
    org, dst = edges.ravel(), edges[:, ::-1].ravel()
    degree = np.bincount(org, minlength=n_nodes)
    leaving = np.argsort(org, kind="stable")
    first_leaving = np.searchsorted(org[leaving], np.arange(n_nodes))
    through = degree[dst] == 2
    c0 = leaving[first_leaving[dst[through]]]
    c1 = leaving[np.minimum(first_leaving[dst[through]] + 1, 2 * m - 1)]
    nxt = np.full(2 * m, -1, dtype=np.int64)
    nxt[through] = np.where(c0 == (half[through] ^ 1), c1, c0)
    end, to_end, ring = _follow(nxt)
    was_ring = ring
    keep = np.ones(2 * m, dtype=bool)
    if ring.any():
        # of a ring and its reverse, keep the one holding the lesser least half-edge; cut it
        # open there
        rings = np.flatnonzero(ring)
        least = _least_on_rings(nxt, half, rings)
        least_twin = _least_on_rings(nxt, half ^ 1, rings)
        keep[rings] = least < least_twin
        heads = rings[keep[rings] & (least == rings)]
        nxt[rings[np.isin(nxt[rings], heads)]] = -1
        end, to_end, ring = _follow(nxt)  # the reverse rings stay rings, left out
        keep[ring] = False
    # of an open chain and its reverse, keep the one whose start is less
    chains = np.flatnonzero(~was_ring)
    start_of = end[chains ^ 1] ^ 1  # the reverse of h ends at the twin of h's chain's start
    keep[chains] = start_of < (end[chains] ^ 1)
    members = np.flatnonzero(keep)
    order = members[np.lexsort((-to_end[members], end[members]))]
    new_chain = np.r_[True, end[order][1:] != end[order][:-1]]
    count = np.diff(np.r_[np.flatnonzero(new_chain), len(order)])
    return order, count


def _follow(nxt: IntArray) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
    """From each half-edge along ``nxt`` to its last: that one, the steps, and if a ring.

    Pointer jumping over the half-edges not yet at their end; a ring never ends.

    A round in which no half-edge reaches its end leaves only rings: a chain longer than
    ``2**k`` holds a half-edge exactly ``2**k`` steps from its end, which round ``k`` ends.
    """
    n = len(nxt)
    last = nxt < 0
    jump = np.where(last, np.arange(n), nxt)
    steps = (~last).astype(np.int64)
    active = np.flatnonzero(~last[jump])
    while len(active):
        target = jump[active]
        steps_now = steps[active] + steps[target]
        jump_now = jump[target]
        steps[active], jump[active] = steps_now, jump_now
        ended = last[jump_now]
        if not ended.any():
            break
        active = active[~ended]
    ring = np.zeros(n, dtype=bool)
    ring[active] = True
    return jump, steps, ring


def _least_on_rings(nxt: IntArray, value: IntArray, rings: IntArray) -> IntArray:
    """Per ring half-edge (``rings``), the least ``value`` on its ring."""
    where = np.full(len(nxt), -1, dtype=np.int64)
    where[rings] = np.arange(len(rings))
    jump = where[nxt[rings]]
    least = value[rings].copy()
    while True:
        now = np.minimum(least, least[jump])
        if np.array_equal(now, least) and np.array_equal(now, now[jump]):
            return least
        least, jump = now, jump[jump]


def _around_nodes(net: _Network) -> tuple[IntArray, IntArray]:
    """Every half-edge's origin, and the half-edges in order around their origins.

    Half-edge ``2i`` runs line ``i`` forwards, ``2i + 1`` backwards; the order is by origin,
    then counter-clockwise by the angle of the first segment leaving it (ties by number).
    """
    origin = net.node.ravel()  # 2i: start -> stop, 2i + 1: stop -> start
    s, e = net.start, net.stop
    first = np.empty((2 * len(s), 2))
    first[0::2] = net.xy[s + 1] - net.xy[s]  # leaving along the first or the last segment
    first[1::2] = net.xy[e - 1] - net.xy[e]
    angle = np.arctan2(first[:, 1], first[:, 0])
    order: IntArray = np.lexsort((angle, origin))
    return origin, order


def _half_edges(
    all_origin: IntArray, all_order: IntArray, keep: npt.NDArray[np.bool_]
) -> tuple[IntArray, IntArray]:
    """Origins and "after" of the half-edges of the lines ``keep`` holds, numbered among them.

    Half-edge ``2k`` runs the ``k``-th kept line forwards, ``2k + 1`` backwards.
    ``after[h]`` is the half-edge that follows ``h`` on the face to its left: of those
    leaving ``h``'s end, the one just clockwise of ``h``'s twin.  The order around the nodes
    is :func:`_around_nodes`' with the other lines' half-edges left out (a stable sort of
    the kept ones alone gives the same).
    """
    kept = np.repeat(keep, 2)
    number = np.cumsum(kept) - 1  # each kept half-edge's number among the kept
    order = number[all_order[kept[all_order]]]
    origin = all_origin[kept]
    sorted_origin = origin[order]
    lowest = np.searchsorted(sorted_origin, sorted_origin, side="left")
    highest = np.searchsorted(sorted_origin, sorted_origin, side="right") - 1
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    p = position[np.arange(len(origin)) ^ 1]  # where each half-edge's twin sits
    after: IntArray = order[np.where(p == lowest[p], highest[p], p - 1)]
    return origin, after


def _walks(after: IntArray) -> IntArray:
    """Each half-edge's walk, labelled by its least half-edge (pointer jumping).

    After round ``k`` a label is the least of the ``2**k`` half-edges from it on; a round
    that changes no label changes none later (each label is then at most the next one's).
    """
    label = np.arange(len(after))
    step = after.copy()
    while True:
        least = np.minimum(label, label[step])
        if np.array_equal(least, label):
            return label
        label, step = least, step[step]


def _ranks(after: IntArray, walk: IntArray) -> IntArray:
    """Each half-edge's place on its walk, counted from the walk's least half-edge."""
    n = len(after)
    step = np.where(walk[after] == after, -1, after)  # each walk cut open before its head
    to_end = (step >= 0).astype(np.int64)  # steps to the walk's last half-edge
    live = np.flatnonzero(step >= 0)
    while len(live):
        nxt = step[live]
        to_end[live] += to_end[nxt]
        step[live] = step[nxt]
        live = live[step[live] >= 0]
    length = np.bincount(walk, minlength=n)[walk]
    ranks: IntArray = length - 1 - to_end
    return ranks


def _polygons(
    net: _Network, edges: IntArray, origin: IntArray, after: IntArray, walk: IntArray
) -> np.ndarray:
    """The faces as polygons: counter-clockwise walks with the clockwise walks inside them."""
    labels, compact = np.unique(walk, return_inverse=True)
    compact = np.asarray(compact).ravel()
    n_walks = len(labels)
    # each half-edge's coordinates but its last, forwards or backwards along its line
    line = np.repeat(edges, 2)
    forwards = np.arange(len(line)) % 2 == 0
    first = np.where(forwards, net.start[line], net.stop[line])
    count = net.stop[line] - net.start[line]
    along = net.along[line]
    area = 0.5 * np.bincount(compact, weights=np.where(forwards, along, -along))
    order = np.lexsort((_ranks(after, walk), compact))
    offset = np.repeat(np.cumsum(count[order]) - count[order], count[order])
    step = np.arange(int(count.sum())) - offset
    index = np.repeat(first[order], count[order]) + np.where(
        np.repeat(forwards[order], count[order]), step, -step
    )
    ring_of = np.repeat(compact[order], count[order])
    start = np.searchsorted(ring_of, np.arange(n_walks))
    stops = np.r_[start[1:], len(index)]
    coords = np.insert(net.xy[index], stops, net.xy[index[start]], axis=0)  # closed
    rings = np.asarray(
        shapely.linearrings(coords, indices=np.insert(ring_of, stops, np.arange(n_walks))),
        dtype=object,
    )
    pinched = _pinched(compact, origin, n_walks)
    shells, holes = np.flatnonzero(area > 0), np.flatnonzero(area < 0)
    owner = _owners(rings, shells, holes, area)
    inside = owner >= 0
    polygon_of = np.concatenate([np.arange(len(shells)), owner[inside]])
    members = np.concatenate([shells, holes[inside]])
    grouped = np.argsort(polygon_of, kind="stable")  # each shell first, then its holes
    polygons = np.asarray(
        shapely.polygons(rings[members[grouped]], indices=polygon_of[grouped]), dtype=object
    )
    bad = np.zeros(len(shells), dtype=bool)
    bad[pinched[shells]] = True
    bad[owner[inside][pinched[holes[inside]]]] = True
    for i in np.flatnonzero(bad).tolist():
        polygons[i] = _polygonized(polygons[i])
    return polygons


def _pinched(walk: IntArray, origin: IntArray, n_walks: int) -> npt.NDArray[np.bool_]:
    """Which walks pass some vertex more than once."""
    pairs = walk * (int(origin.max()) + 1) + origin
    values, counts = np.unique(pairs, return_counts=True)
    out = np.zeros(n_walks, dtype=bool)
    out[values[counts > 1] // (int(origin.max()) + 1)] = True
    return out


def _owners(rings: np.ndarray, shells: IntArray, holes: IntArray, area: np.ndarray) -> IntArray:
    """For each clockwise walk, the smallest shell (index into ``shells``) around it, or -1.

    Only the shells whose boxes hold a hole's first point are made polygons to test it (at
    2,000 km², 1,817 of 89,331 for 551 holes).
    """
    owner = np.full(len(holes), -1, dtype=np.int64)
    if len(holes) == 0 or len(shells) == 0:
        return owner
    points = shapely.get_point(rings[holes], 0)
    hole_of, shell_of = shapely.STRtree(rings[shells]).query(points)  # the boxes only
    near, which = np.unique(shell_of, return_inverse=True)
    outlines = np.asarray(shapely.polygons(rings[shells[near]]), dtype=object)
    inside = shapely.within(points[hole_of], outlines[np.asarray(which).ravel()])
    hole_of, shell_of = hole_of[inside], shell_of[inside]
    if len(hole_of) == 0:
        return owner
    # the smallest area first per hole (then the first shell, whatever order the tree gave)
    best = np.lexsort((shell_of, area[shells][shell_of], hole_of))
    first = best[np.r_[True, hole_of[best][1:] != hole_of[best][:-1]]]
    owner[hole_of[first]] = shell_of[first]
    return owner


def _polygonized(face: shapely.Polygon) -> shapely.Polygon:
    """A pinched face as GEOS's polygonizer makes it from the face's own edges.

    Of the polygons made (the face, and the loops touching it), the face is the one with
    the largest box.
    """
    edges = shapely.get_parts(shapely.union_all(shapely.get_rings(face)))
    made = np.asarray(shapely.get_parts(shapely.polygonize(edges)), dtype=object)
    if len(made) == 0:
        return face
    box = shapely.bounds(made)
    size = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    best = np.lexsort((-shapely.area(made), -size))[0]
    polygon: shapely.Polygon = made[best]
    return polygon
