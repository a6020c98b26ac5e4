"""The network kernel: sparse walk graphs and one multi-source Dijkstra.

Everything here works on plain numpy arrays in metres (no GeoDataFrames), so that
the same code serves the indicators, the benchmarks and the growth tests.

* :func:`edge_graph` builds a symmetric CSR matrix from undirected edges, keeping
  the **shortest** of parallel edges (``scipy.sparse.coo_matrix.tocsr`` would add
  them up) and dropping self-loops.
* :func:`multi_source_distances` runs **one** Dijkstra from a virtual super-source
  joined to every source node by an edge whose weight is that source's start
  offset (the walk from the facility to the network), with a distance limit.
* :func:`nearest_nodes` joins points to their nearest network node (k-d tree).
* :func:`reach_matrix_batches` runs bounded, batched single-source searches (used
  for the site suggestions).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
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


def nearest_nodes(node_xy: FloatArray, points_xy: FloatArray) -> tuple[IntArray, FloatArray]:
    """Nearest network node of each point and the straight distance to it (metres).

    >>> nodes = np.array([[0.0, 0.0], [100.0, 0.0]])
    >>> idx, d = nearest_nodes(nodes, np.array([[90.0, 30.0]]))
    >>> idx.tolist(), round(float(d[0]), 3)
    ([1], 31.623)
    """
    if len(node_xy) == 0:
        msg = "walk_nodes: the pedestrian network has no nodes"
        raise ValidationError(msg)
    if len(points_xy) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    dist, idx = cKDTree(node_xy).query(points_xy, k=1)
    return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float64)


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
