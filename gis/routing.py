"""The network kernel: sparse walk graphs and one multi-source Dijkstra.

Everything here works on plain numpy arrays in metres (shapely arrays for edge
geometries; no GeoDataFrames), so that
the same code serves the indicators, the benchmarks and the growth tests.

* :func:`edge_graph` builds a symmetric CSR matrix from undirected edges, keeping
  the **shortest** of parallel edges (``scipy.sparse.coo_matrix.tocsr`` would add
  them up) and dropping self-loops.
* :func:`multi_source_distances` runs **one** Dijkstra from a virtual super-source
  joined to every source node by an edge whose weight is that source's start
  offset (the walk from the facility to the network), with a distance limit.
* :func:`nearest_edge_points` joins points to the nearest point of their nearest
  edge (exact point-to-segment distances, candidates from a k-d tree over
  short pieces of the edges); :func:`edge_point_walks` turns node distances into
  the walk from each joined point.
* :func:`reach_matrix_batches` runs bounded, batched single-source searches (used
  for the site suggestions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from gis.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def edge_graph(
    n_nodes: int, u: npt.ArrayLike, v: npt.ArrayLike, length_m: npt.ArrayLike
) -> sp.csr_matrix:
    """Symmetric CSR adjacency of an undirected network; parallel edges keep the minimum.

    Parameters
    ----------
    n_nodes : int
        Number of nodes; node ids are ``0 .. n_nodes - 1``.
    u, v : array-like of int
        End nodes of each undirected edge (either order).
    length_m : array-like of float
        Edge lengths in metres (non-negative; zero-length edges are kept).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``n_nodes x n_nodes``; entry ``(a, b)`` is the shortest edge between ``a``
        and ``b``, stored in both directions.  Explicit zeros are real zero-length
        edges (scipy's csgraph treats stored zeros as edges).

    Examples
    --------
    Two parallel edges 0-1 of 5 m and 3 m: the graph keeps 3 m, not 8 m.

    >>> g = edge_graph(3, [0, 1, 1], [1, 0, 2], [5.0, 3.0, 2.0])
    >>> g.toarray().tolist()
    [[0.0, 3.0, 0.0], [3.0, 0.0, 2.0], [0.0, 2.0, 0.0]]
    """
    u_arr = np.asarray(u, dtype=np.int64)
    v_arr = np.asarray(v, dtype=np.int64)
    w_arr = np.asarray(length_m, dtype=np.float64)
    _check_edges(n_nodes, u_arr, v_arr, w_arr)
    a, b = np.minimum(u_arr, v_arr), np.maximum(u_arr, v_arr)
    keep = a != b
    pair = a[keep] * n_nodes + b[keep]  # one int64 key per undirected node pair
    w_arr = w_arr[keep]
    order = np.argsort(pair, kind="stable")
    pair, w_arr = pair[order], w_arr[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if len(pair) else pair
    # The shortest of parallel edges, explicitly (a COO->CSR conversion would add them up).
    w_min = np.minimum.reduceat(w_arr, starts) if len(pair) else w_arr
    a, b = np.divmod(pair[starts], n_nodes)
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    data = np.concatenate([w_min, w_min])
    return _csr_from_sorted(n_nodes, rows, cols, data)


def _check_edges(n_nodes: int, u: IntArray, v: IntArray, w: FloatArray) -> None:
    """Raise :class:`ValidationError` for edges that point outside the nodes or have bad lengths."""
    if not len(u) == len(v) == len(w):
        msg = f"walk_edges: u, v and length_m differ in length ({len(u)}, {len(v)}, {len(w)})"
        raise ValidationError(msg)
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n_nodes):
        msg = f"walk_edges: u/v must be node ids in 0..{n_nodes - 1}; re-run the ingest"
        raise ValidationError(msg)
    if len(w) and not (np.isfinite(w).all() and (w >= 0).all()):
        msg = "walk_edges: length_m must be finite and >= 0 metres"
        raise ValidationError(msg)


def _csr_from_sorted(
    n_nodes: int, rows: IntArray, cols: IntArray, data: FloatArray
) -> sp.csr_matrix:
    """CSR matrix from unique (row, col) pairs, built without summing or dropping zeros."""
    order = np.argsort(rows * n_nodes + cols, kind="stable")
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_nodes), out=indptr[1:])
    return sp.csr_matrix(
        (data[order], cols[order].astype(np.int32), indptr.astype(np.int32)),
        shape=(n_nodes, n_nodes),
    )


def min_offsets(sources: npt.ArrayLike, offsets_m: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
    """Unique source nodes, each with the smallest offset given for it.

    >>> min_offsets([4, 2, 4], [30.0, 5.0, 10.0])
    (array([2, 4]), array([ 5., 10.]))
    """
    src = np.asarray(sources, dtype=np.int64)
    off = np.asarray(offsets_m, dtype=np.float64)
    order = np.lexsort((off, src))
    src, off = src[order], off[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = src[1:] != src[:-1]
    return src[first], off[first]


def multi_source_distances(
    graph: sp.csr_matrix,
    sources: npt.ArrayLike,
    offsets_m: npt.ArrayLike,
    limit_m: float,
) -> FloatArray:
    """Network distance from the nearest source (plus its offset) to every node, up to a limit.

    One Dijkstra from a virtual super-source ``s`` joined to each source node by
    an edge of weight ``offset``:  ``dist(x) = min_i offset_i + d(source_i, x)``.

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        Symmetric network from :func:`edge_graph`.
    sources : array-like of int
        Source nodes (repeats allowed: the smallest offset wins).
    offsets_m : array-like of float
        Distance already walked before reaching each source node, metres (>= 0).
    limit_m : float
        Search radius; nodes farther than this get ``inf``.

    Returns
    -------
    numpy.ndarray
        Distance in metres per node, ``inf`` where beyond the limit or unreachable.

    Examples
    --------
    A path 0-1-2-3 of 100 m edges; sources 0 (offset 50 m) and 3 (offset 0):

    >>> g = edge_graph(4, [0, 1, 2], [1, 2, 3], [100.0, 100.0, 100.0])
    >>> multi_source_distances(g, [0, 3], [50.0, 0.0], 250.0).tolist()
    [50.0, 150.0, 100.0, 0.0]
    >>> multi_source_distances(g, [0], [50.0], 120.0).tolist()
    [50.0, inf, inf, inf]
    """
    n = graph.shape[0]
    src, off = min_offsets(sources, offsets_m)
    if len(src) == 0:
        return np.full(n, np.inf)
    if (off < 0).any() or not np.isfinite(off).all():
        msg = "source offsets must be finite and >= 0 metres"
        raise ValidationError(msg)
    indptr = np.concatenate([graph.indptr, [graph.indptr[-1] + len(src)]]).astype(np.int64)
    indices = np.concatenate([graph.indices, src]).astype(np.int32)
    data = np.concatenate([graph.data, off])
    augmented = sp.csr_matrix((data, indices, indptr.astype(np.int32)), shape=(n + 1, n + 1))
    dist = dijkstra(augmented, directed=True, indices=n, limit=float(limit_m))
    return np.asarray(dist[:n], dtype=np.float64)


PIECE_M = 50.0  # edges are cut into pieces at most this long for the k-d tree of candidates
TIE_M = 1e-3  # edges this much farther than the nearest are nearest too (the shorter walk wins)
JOIN_CHUNK_POINTS = 65_536  # points joined at once (bounds the candidate arrays' memory)


@dataclass(frozen=True)
class EdgeJoin:
    """Points joined to the nearest point of their nearest edge: one row per (point, edge).

    Rows are sorted by ``point`` and every point has at least one row; a point has
    several when edges are equally near (within :data:`TIE_M`), e.g. at a node.

    Attributes
    ----------
    point, edge : numpy.ndarray of int
        Point index and edge index of each row.
    access_m : numpy.ndarray of float
        Straight distance from the point to the edge (metres).
    fraction : numpy.ndarray of float
        Position ``t`` of the nearest point along the edge's geometry, 0 at its
        first vertex (node ``u``) to 1 at its last (node ``v``).
    n_points : int
        Number of points joined.
    """

    point: IntArray
    edge: IntArray
    access_m: FloatArray
    fraction: FloatArray
    n_points: int

    def starts(self) -> IntArray:
        """Index of each point's first row (for ``np.minimum.reduceat``)."""
        if len(self.point) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.r_[True, self.point[1:] != self.point[:-1]])

    def subset(self, points: npt.ArrayLike) -> EdgeJoin:
        """The rows of the given (sorted, unique) points, renumbered ``0 .. len(points) - 1``."""
        pts = np.asarray(points, dtype=np.int64)
        pos = np.full(self.n_points, -1, dtype=np.int64)
        pos[pts] = np.arange(len(pts))
        keep = pos[self.point] >= 0
        return EdgeJoin(
            pos[self.point[keep]],
            self.edge[keep],
            self.access_m[keep],
            self.fraction[keep],
            len(pts),
        )


def nearest_edge_points(edge_lines: npt.ArrayLike, points_xy: FloatArray) -> EdgeJoin:
    """Join each point to the nearest point of its nearest edge (exact, vectorised).

    The edges are cut into 2-point segments and those into pieces of at most
    :data:`PIECE_M`; a k-d tree over the piece centres gives each point its ``k``
    nearest pieces, whose segments are measured exactly.  The answer is complete
    when the ``k``-th centre is farther than the nearest segment plus half the
    longest piece (no unseen segment can be nearer); the other points are asked
    again with a larger ``k``.

    Parameters
    ----------
    edge_lines : array-like of shapely LineString
        Edge geometries in metres, drawn from node ``u`` to node ``v``.
    points_xy : numpy.ndarray
        ``(m, 2)`` point coordinates in the same CRS.

    Returns
    -------
    EdgeJoin
        Every edge within :data:`TIE_M` of the nearest, with the distance and the
        position along it.

    Examples
    --------
    A 1,000 m edge and a point 30 m off its middle; a second edge meeting it at (0, 0):

    >>> import shapely
    >>> lines = shapely.linestrings([[(0, 0), (1000, 0)], [(0, 0), (0, -500)]])
    >>> j = nearest_edge_points(lines, np.array([[500.0, 30.0], [-3.0, -4.0]]))
    >>> j.point.tolist(), j.edge.tolist(), j.access_m.tolist(), j.fraction.tolist()
    ([0, 1], [0, 1], [30.0, 3.0], [0.5, 0.008])
    """
    seg = _segments(np.asarray(edge_lines, dtype=object))
    pts = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    if len(seg.edge) == 0:
        msg = "walk_edges: the pedestrian network has no edges to join the homes to"
        raise ValidationError(msg)
    n_pieces = np.maximum(1, np.ceil(seg.length / PIECE_M)).astype(np.int64)
    owner = np.repeat(np.arange(len(seg.edge)), n_pieces)
    first = np.cumsum(n_pieces) - n_pieces
    step = (np.arange(len(owner)) - first[owner] + 0.5) / n_pieces[owner]
    centres = seg.a[owner] + step[:, None] * (seg.b[owner] - seg.a[owner])
    half_max = float((seg.length / n_pieces).max()) / 2.0
    # sliding-midpoint splits, not medians: half the build time (0.26 → 0.12 s for the 900,000
    # pieces of 2,000 km²), queries as fast; the answer does not depend on the tree's shape
    tree = cKDTree(centres, balanced_tree=False, compact_nodes=False)
    rows: list[tuple[IntArray, IntArray, FloatArray, FloatArray]] = []
    # points in chunks: the (points x k) candidate arrays stay a few tens of MB whatever the count
    for start in range(0, len(pts), JOIN_CHUNK_POINTS):
        todo = np.arange(start, min(start + JOIN_CHUNK_POINTS, len(pts)))
        rows.extend(_join_chunk(tree, owner, seg, pts, todo, half_max))
    return _join_rows(rows, len(pts))


def _join_chunk(
    tree: cKDTree,
    owner: IntArray,
    seg: _Segments,
    pts: FloatArray,
    todo: IntArray,
    half_max: float,
) -> list[tuple[IntArray, IntArray, FloatArray, FloatArray]]:
    """Rows of :func:`nearest_edge_points` for the points ``todo`` (``k`` grows until exact)."""
    rows: list[tuple[IntArray, IntArray, FloatArray, FloatArray]] = []
    k = min(8, len(owner))
    while len(todo):
        dist_k, piece = tree.query(pts[todo], k=k)
        cand = owner[np.asarray(piece).reshape(len(todo), k)]
        gap, w = _point_segment(pts[todo][:, None, :], seg.a[cand], seg.b[cand])
        nearest = gap.min(axis=1)
        done = (k == len(owner)) | (
            np.asarray(dist_k).reshape(len(todo), k)[:, -1] - half_max > nearest + TIE_M
        )
        r, c = np.nonzero(done[:, None] & (gap <= nearest[:, None] + TIE_M))
        s = cand[r, c]
        along = seg.before[s] + w[r, c] * seg.length[s]
        total = seg.edge_length[seg.edge[s]]
        t = np.divide(along, total, out=np.zeros_like(along), where=total > 0)
        rows.append((todo[r], seg.edge[s], gap[r, c], np.clip(t, 0.0, 1.0)))
        todo, k = todo[~done], min(4 * k, len(owner))
    return rows


@dataclass(frozen=True)
class _Segments:
    """2-point segments of edge geometries: ends, owning edge, length, length before it."""

    a: FloatArray
    b: FloatArray
    edge: IntArray
    length: FloatArray
    before: FloatArray
    edge_length: FloatArray


def _segments(lines: np.ndarray) -> _Segments:
    """Explode edges (LineStrings; parts of multi-lines in order) into 2-point segments."""
    if bool(np.all(shapely.get_type_id(lines) == 1)):  # LineStrings: no parts to split
        parts, part_edge = lines, np.arange(len(lines))
    else:
        parts, part_edge = shapely.get_parts(lines, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    inner = np.flatnonzero(part[1:] == part[:-1])
    a, b = coords[inner], coords[inner + 1]
    edge = np.asarray(part_edge, dtype=np.int64)[part[inner]]
    length = np.hypot(*(b - a).T)
    edge_length = np.asarray(
        np.bincount(edge, weights=length, minlength=len(lines)), dtype=np.float64
    )
    cum = np.cumsum(length) - length  # length before each segment, over all edges
    first_of_edge = np.r_[0, np.flatnonzero(edge[1:] != edge[:-1]) + 1] if len(edge) else edge
    base = np.repeat(cum[first_of_edge], np.diff(np.r_[first_of_edge, len(edge)]))
    return _Segments(a, b, edge, length, cum - base, edge_length)


def _point_segment(p: FloatArray, a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Distance from ``p`` to segment ``a``-``b`` and the foot's fraction ``w`` along it."""
    ab = b - a
    sq = (ab**2).sum(axis=-1)
    w = np.divide(((p - a) * ab).sum(axis=-1), sq, out=np.zeros_like(sq), where=sq > 0)
    w = np.clip(w, 0.0, 1.0)
    foot = a + w[..., None] * ab
    return np.hypot(*np.moveaxis(p - foot, -1, 0)), w


def _join_rows(
    rows: list[tuple[IntArray, IntArray, FloatArray, FloatArray]], n_points: int
) -> EdgeJoin:
    """Concatenate, sort by point, and keep one row per (point, edge): the nearest."""
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return EdgeJoin(empty, empty, np.zeros(0), np.zeros(0), n_points)
    point, edge, access, frac = (np.concatenate(c) for c in zip(*rows, strict=True))
    order = np.lexsort((access, edge, point))
    point, edge, access, frac = point[order], edge[order], access[order], frac[order]
    first = np.r_[True, (point[1:] != point[:-1]) | (edge[1:] != edge[:-1])]
    return EdgeJoin(
        point[first].astype(np.int64),
        edge[first].astype(np.int64),
        access[first],
        frac[first],
        n_points,
    )


def edge_point_walks(
    join: EdgeJoin,
    u: IntArray,
    v: IntArray,
    length_m: FloatArray,
    node_dist_m: FloatArray,
) -> FloatArray:
    """Walk from each joined point to the sources: the shortest over its nearest edges.

    For a point at distance ``d`` from edge ``(u, v)`` of length ``L`` at fraction ``t``:
    ``d + min(D[u] + t * L, D[v] + (1 - t) * L)``.  ``node_dist_m`` is ``(n_nodes,)``
    or ``(batch, n_nodes)``; the result is ``(n_points,)`` or ``(batch, n_points)``.

    >>> j = EdgeJoin(np.array([0]), np.array([0]), np.array([30.0]), np.array([0.5]), 1)
    >>> edge_point_walks(j, np.array([0]), np.array([1]), np.array([1000.0]),
    ...                  np.array([900.0, 900.0])).tolist()
    [1430.0]
    """
    e = join.edge
    t, length = join.fraction, length_m[e]
    via_u = node_dist_m[..., u[e]] + t * length
    via_v = node_dist_m[..., v[e]] + (1.0 - t) * length
    walk = join.access_m + np.minimum(via_u, via_v)
    if join.n_points == 0:
        return walk
    return np.minimum.reduceat(walk, join.starts(), axis=-1)


def reach_matrix_batches(
    graph: sp.csr_matrix,
    starts: npt.ArrayLike,
    limit_m: float,
    *,
    max_cells: int = 4_000_000,
) -> Iterator[tuple[IntArray, FloatArray]]:
    """Yield ``(start_nodes, distances)`` for batches of single-source searches.

    Each batch holds at most ``max_cells // n_nodes`` starts (at least one), so
    the ``batch x n_nodes`` distance block stays within ``max_cells`` floats.
    """
    start_arr = np.asarray(starts, dtype=np.int64)
    n = graph.shape[0]
    batch = max(1, max_cells // max(n, 1))
    for i in range(0, len(start_arr), batch):
        chunk = start_arr[i : i + batch]
        dist = dijkstra(graph, directed=True, indices=chunk, limit=float(limit_m))
        yield chunk, np.atleast_2d(dist)
