"""Per-county intermediate state of the indicators, kept by the content of its inputs.

A what-if scenario changes one layer of a county and recomputes the indicators that read it
(:mod:`gis.scenarios`).  What those indicators build from the layers the edit did *not*
change (the walk graph, the join of the population cells to it, the dissolved parks, ...) is
the same as for the stored county, so it is kept here and reused.

Every entry is keyed by a BLAKE2b digest of the inputs it was computed from (points and lines
as their coordinates, other geometries as WKB: :class:`GeometryContent`; the arrays as bytes,
the parameters as text): an input changed in any coordinate or number is a different key and a
miss, never a stale hit.  Each cache is bounded (a few
entries, least recently used dropped first) and thread-safe (the server computes in
threads).  Values are shared between callers and must not be modified: arrays stored here are
made read-only.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import shapely

T = TypeVar("T")


_COORDINATE_TYPES = np.array(
    [shapely.GeometryType.POINT, shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING]
)


class GeometryContent:
    """Geometries made digestible once, to digest the whole and leading slices of it.

    A point or a line is its type, whether it has Z and its coordinates, read straight from
    GEOS (``get_coordinates``: every X and Y, then the Z values of the rows that have Z); a
    polygon, a collection or a geometry with M values is its WKB (:func:`wkb_array`); a
    missing one is its type (-1).  Each row's record depends on that row alone, so a slice
    digests as the same geometries taken fresh, and two arrays digest alike exactly when
    their geometries are the same in type, dimension and every coordinate.  Digesting the
    201,886 walk edges of a 2,000 km² county as WKB took 0.11 s, serialising them with the
    GIL held; as coordinates 0.05 s, most of it the hashing.  :attr:`wkbs` serialises on
    demand (a what-if matches kept walk edges by their WKB).

    >>> g = np.array([shapely.Point(0, 0), None, shapely.box(0, 0, 1, 1)], dtype=object)
    >>> digest_of(GeometryContent(g)) == digest_of(g)
    True
    >>> digest_of(GeometryContent(g)[:2]) == digest_of(g[:2]), len(GeometryContent(g)[1:])
    (True, 2)
    """

    def __init__(self, geoms: np.ndarray) -> None:
        self.geoms = np.asarray(geoms, dtype=object)
        types = shapely.get_type_id(self.geoms)
        simple = np.isin(types, _COORDINATE_TYPES) & ~shapely.has_m(self.geoms)
        self.kind = np.where(simple | (types < 0), types, types + 16).astype(np.int8)
        self.has_z = shapely.has_z(self.geoms) & simple
        counts = np.where(simple, shapely.get_num_coordinates(self.geoms), 0).astype(np.int64)
        self.counts = counts
        self._coord_at = np.concatenate([[0], np.cumsum(counts)])
        self.coords = shapely.get_coordinates(self.geoms[simple])
        self._z_at = np.concatenate([[0], np.cumsum(counts * self.has_z)])
        self.z = shapely.get_coordinates(self.geoms[self.has_z], include_z=True)[:, 2]
        serialised = ~simple & (types >= 0)
        self._wkb_at = np.concatenate([[0], np.cumsum(serialised)])
        self._row_wkbs = wkb_array(self.geoms[serialised])

    def __len__(self) -> int:
        return len(self.geoms)

    def __getitem__(self, cut: slice) -> GeometryContent:
        start, stop, step = cut.indices(len(self))
        if step != 1:
            msg = "only a run of rows can be taken"
            raise ValueError(msg)
        stop = max(start, stop)
        part = object.__new__(GeometryContent)
        part.geoms = self.geoms[start:stop]
        part.kind, part.has_z = self.kind[start:stop], self.has_z[start:stop]
        part.counts = self.counts[start:stop]
        part._coord_at = self._coord_at[start : stop + 1] - self._coord_at[start]
        part.coords = self.coords[self._coord_at[start] : self._coord_at[stop]]
        part._z_at = self._z_at[start : stop + 1] - self._z_at[start]
        part.z = self.z[self._z_at[start] : self._z_at[stop]]
        part._wkb_at = self._wkb_at[start : stop + 1] - self._wkb_at[start]
        part._row_wkbs = self._row_wkbs[self._wkb_at[start] : self._wkb_at[stop]]
        return part

    @property
    def wkbs(self) -> np.ndarray:
        """Each geometry's WKB (``b"-"`` for a missing one), as :func:`wkb_array`."""
        return wkb_array(self.geoms)

    def feed(self, digest: Any) -> None:
        """Add the geometries to a digest (rows of fixed size, then coordinates, then WKB)."""
        digest.update(b"G" + len(self).to_bytes(8, "little"))
        for data in (self.kind, self.has_z, self.counts, self.coords, self.z):
            if data.size:
                digest.update(np.ascontiguousarray(data).data.cast("B"))
        digest.update(b"".join(self._row_wkbs.tolist()))  # WKB is self-delimiting


def _serialised(geoms: np.ndarray) -> np.ndarray:
    wkbs = np.asarray(shapely.to_wkb(geoms, include_srid=False), dtype=object)
    wkbs[shapely.is_missing(geoms)] = b"-"
    return wkbs


def _coordinates(geoms: np.ndarray) -> int:
    """The number of coordinates of the geometries (0 for a missing one)."""
    return int(shapely.get_num_coordinates(geoms).sum())


class _WkbMemo:
    """The WKB of large geometry arrays, found again by the identity of their geometries.

    A what-if copy of a county's layer holds the stored layer's geometry objects (pandas
    concatenation copies references) with a few edited rows; serialising its 100,000 walk
    edges again for a digest took 0.1 s per edit at 1,000 km².  Arrays of at least
    :attr:`min_rows` geometries, or of :attr:`min_coordinates` coordinates, are kept (at most
    :attr:`max_arrays` and :attr:`max_bytes` of WKB, least recently used dropped) with their
    WKB; a later array's geometries that *are* kept objects take their WKB, only the others
    are serialised.  Keeping the array keeps its objects alive, so an address cannot be
    reused by another object meanwhile, and shapely geometries are immutable: identity
    implies the same WKB.  So the memo answers within :func:`disabled` too: it cannot change
    a result.  (One computation at 2,000 km² digested its six polygon layers 29 times, the
    built-up area of 146,000 vertices 14 times: 0.15 s of serialising with the GIL held,
    0.04 s so.)
    """

    min_rows = 1_000
    min_coordinates = 10_000  # or fewer rows this large (a built-up area of 146,000 vertices)
    max_arrays = 12
    max_bytes = 128 * 2**20  # of WKB kept in all (a 2,000 km² county's walk network ~40 MB)

    def __init__(self) -> None:
        # per kept array: (geometries, sorted addresses, their rows, WKB, bytes of WKB)
        self._arrays: OrderedDict[
            int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]
        ] = OrderedDict()
        self._lock = threading.Lock()

    def wkbs(self, geoms: np.ndarray) -> np.ndarray:
        if len(geoms) < self.min_rows and _coordinates(geoms) < self.min_coordinates:
            return _serialised(geoms)
        ids = np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms))
        out = np.empty(len(geoms), dtype=object)
        todo = np.ones(len(geoms), dtype=bool)
        with self._lock:
            kept = list(self._arrays.items())
        for key, (_, sorted_ids, rows, wkbs, _size) in reversed(kept):
            pos = np.minimum(np.searchsorted(sorted_ids, ids[todo]), len(sorted_ids) - 1)
            hit = sorted_ids[pos] == ids[todo]
            if not hit.any():
                continue
            at = np.flatnonzero(todo)[hit]
            out[at] = wkbs[rows[pos[hit]]]
            todo[at] = False
            with self._lock:
                if key in self._arrays:
                    self._arrays.move_to_end(key)
            if not todo.any():
                break
        if todo.any():
            out[todo] = _serialised(geoms[todo])
        size = sum(map(len, out)) if todo.sum() * 2 > len(geoms) else self.max_bytes + 1
        if size <= self.max_bytes:  # mostly new objects: keep this array
            order = np.argsort(ids, kind="stable")
            frozen(out)
            with self._lock:
                self._arrays[id(geoms)] = (geoms, ids[order], order, out, size)
                self._arrays.move_to_end(id(geoms))
                total = sum(entry[4] for entry in self._arrays.values())
                while len(self._arrays) > self.max_arrays or total > self.max_bytes:
                    total -= self._arrays.popitem(last=False)[1][4]
            out = out.copy()
        return out

    def clear(self) -> None:
        with self._lock:
            self._arrays.clear()


_WKB_MEMO = _WkbMemo()


def wkb_array(geoms: np.ndarray) -> np.ndarray:
    """Each geometry's WKB (``b"-"`` for a missing one); large arrays through :class:`_WkbMemo`.

    >>> g = np.array([shapely.Point(0, 0), None], dtype=object)
    >>> wkb_array(g)[1], shapely.from_wkb(wkb_array(g)[0]).equals(g[0])
    (b'-', True)
    """
    return _WKB_MEMO.wkbs(geoms)


def _feed(digest: Any, part: Any) -> None:
    """Add one input to a digest, with its kind and length so inputs cannot run together."""
    if isinstance(part, GeometryContent):
        part.feed(digest)
    elif part is None:
        digest.update(b"N")
    elif isinstance(part, bytes):
        digest.update(b"B" + len(part).to_bytes(8, "little") + part)
    elif isinstance(part, str):
        _feed(digest, part.encode())
    elif isinstance(part, bool | int | float):
        _feed(digest, repr(part).encode())
    elif isinstance(part, np.ndarray) and part.dtype != object:
        data = np.ascontiguousarray(part)
        digest.update(f"A{data.dtype.str}{data.shape}".encode())
        digest.update(data.tobytes())
    elif isinstance(part, np.ndarray):  # geometries
        GeometryContent(part).feed(digest)
    elif isinstance(part, tuple | list):
        digest.update(b"T" + len(part).to_bytes(8, "little"))
        for item in part:
            _feed(digest, item)
    else:
        msg = f"cannot digest {type(part).__name__}"
        raise TypeError(msg)


def digest_of(*parts: Any) -> bytes:
    """A BLAKE2b digest of the inputs (arrays, geometry arrays, numbers, text, tuples).

    >>> a = np.array([1.0, 2.0])
    >>> digest_of(a, "x") == digest_of(a.copy(), "x"), digest_of(a, "x") == digest_of(a, "y")
    (True, False)
    >>> digest_of(np.array([shapely.Point(0, 0)])) == digest_of(np.array([shapely.Point(0, 1)]))
    False
    """
    digest = hashlib.blake2b(digest_size=32)
    for part in parts:
        _feed(digest, part)
    return digest.digest()


def geometries(gdf: gpd.GeoDataFrame | None) -> np.ndarray:
    """A layer's geometries as an object array (empty for none)."""
    if gdf is None:
        return np.zeros(0, dtype=object)
    return np.asarray(gdf.geometry.values, dtype=object)


class StateCache:
    """A bounded, thread-safe map from a digest to a value computed once.

    >>> cache = StateCache("demo", 2)
    >>> calls = []
    >>> def make(n):
    ...     calls.append(n)
    ...     return n * 10
    >>> [cache.get(digest_of(n), lambda n=n: make(n)) for n in (1, 2, 1, 3, 2)]
    [10, 20, 10, 30, 20]
    >>> calls, len(cache)
    ([1, 2, 3, 2], 2)
    """

    def __init__(self, name: str, max_entries: int) -> None:
        self.name = name
        self.max_entries = max_entries
        self._items: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def peek(self, key: bytes) -> Any:
        """The value of ``key`` or ``None`` (not counted, not computed)."""
        if is_disabled():
            return None
        with self._lock:
            return self._items.get(key)

    def touch(self, key: bytes) -> None:
        """Mark ``key`` as just used (a kept base another entry was grown from)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)

    def get(self, key: bytes, compute: Callable[[], T]) -> T:
        """The value of ``key``, computed by ``compute()`` (outside the lock) on a miss."""
        if is_disabled():
            return compute()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                value: T = self._items[key]
                return value
            self.misses += 1
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Drop every entry (tests)."""
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


_DISABLED: ContextVar[bool] = ContextVar("indicator_state_disabled", default=False)


def is_disabled() -> bool:
    """Whether this context computes without the kept state (:func:`disabled`).

    A context variable, not a thread-local: the threads an indicator computation starts
    (:mod:`gis.indicators._threads`) run in a copy of its context and see the same switch.
    """
    return _DISABLED.get()


@contextmanager
def disabled() -> Iterator[None]:
    """Compute without any kept state in this context: every cache misses and stores nothing.

    For benchmarks and tests that need a full recomputation to compare with.

    >>> cache = StateCache("demo", 2)
    >>> with disabled():
    ...     cache.get(b"k", lambda: 1), len(cache)
    (1, 0)
    """
    token = _DISABLED.set(True)
    try:
        yield
    finally:
        _DISABLED.reset(token)


class KnownBases:
    """Inputs a later, grown input may start with (a stored layer, a stored network): key → value.

    Bounded (the newest ``max_entries``, a base grown from is moved to the newest end) and
    thread-safe.  Nothing is registered while the kept state is off (:func:`disabled`): a full
    recomputation of an edited copy would otherwise be found as the base of that same edit,
    which then grows nothing.

    >>> known = KnownBases(2)
    >>> for key, rows in ((b"a", 1), (b"b", 2), (b"c", 3)):
    ...     known.note(key, rows)
    >>> known.touch(b"b"); known.snapshot()
    [(b'c', 3), (b'b', 2)]
    >>> with disabled():
    ...     known.note(b"d", 4); known.snapshot()
    []
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, key: bytes, value: Any) -> None:
        """Register ``key`` as the newest base (nothing while the kept state is off)."""
        if is_disabled():
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def touch(self, key: bytes) -> None:
        """Mark a registered base as just grown from."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)

    def keep_only(self, keep: Callable[[bytes], bool]) -> None:
        """Drop the bases for which ``keep(key)`` is false (their state is no longer kept)."""
        with self._lock:
            for key in [k for k in self._items if not keep(k)]:
                del self._items[key]

    def snapshot(self) -> list[tuple[bytes, Any]]:
        """The bases, oldest first (none while the kept state is off)."""
        if is_disabled():
            return []
        with self._lock:
            return list(self._items.items())


def frozen(*arrays: np.ndarray) -> None:
    """Make arrays read-only (values shared through a cache must not be changed in place)."""
    for array in arrays:
        if isinstance(array, np.ndarray):
            array.setflags(write=False)


def all_caches() -> Iterable[StateCache]:
    """Every cache of the indicator modules (tests clear them)."""
    return list(_REGISTRY)


_REGISTRY: list[StateCache] = []


def register(name: str, max_entries: int) -> StateCache:
    """A new cache, listed by :func:`all_caches`."""
    cache = StateCache(name, max_entries)
    _REGISTRY.append(cache)
    return cache
