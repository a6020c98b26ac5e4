"""The app's county cache: workspaces loaded lazily from the store and cached per process.

The workspaces come from one store behind :class:`gis.store.WorkspaceStore`: the folders under
``WORKSPACES_DIR`` (the default; a sub-folder per county, its name the ``county_id``, as in
docs/workspace.md) or PostgreSQL + PostGIS when ``DATABASE_URL`` is set.  The cache holds,
per county, the loaded workspace, its layers in EPSG:4326, the indicator results per ``(year,
minutes, walk speed)`` and serialised responses.  Every entry is keyed by the store's version
token of the county (folders: mtime and size of metadata.json, which ingest and uploads rewrite
last; PostGIS: the county's revision, renewed by every committed version), so a new version is
picked up on the next request by every process.  All access is thread-safe; a value being
computed is computed once.

Memory is bounded: every cache holds at most ``max_items`` entries *and* ``max_bytes`` of
approximate size (:func:`approx_size`: array and GeoDataFrame buffers, geometry coordinates, body
bytes), and when a county's version token changes the entries of its superseded version are
dropped at once (not left to age out).  ``compute_guard`` (set by the app) wraps every indicator
run that is not cached; the app charges the client's recomputation budget there and bounds how
many runs one process makes at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.errors import NotFoundError
from gis.indicators import holds_turn
from gis.indicators.life_circle import LifeCircle
from gis.result import IndicatorResult
from gis.settings import IndicatorSettings
from gis.store import COUNTY_ID_RE, WorkspaceStore, open_store
from gis.workspace import Workspace
from layers.catalog import LayerInfo, build_catalog, layer_frame

__all__ = [
    "COUNTY_ID_RE",
    "LRU",
    "CachedBody",
    "CountyCache",
    "approx_size",
    "make_body",
    "settings_key",
]
T = TypeVar("T")

Report = tuple[dict[str, Any], list[IndicatorResult]]
LifeCircleReport = tuple[dict[str, Any], LifeCircle]
ComputeGuard = Callable[[str, IndicatorSettings], contextlib.AbstractContextManager[Any]]
MB = 1024 * 1024
# Approximate bytes per cache (config ``CACHE_MAX_BYTES``, e.g. {"reports": 268435456}).
CACHE_MAX_BYTES: dict[str, int] = {
    "workspaces": 128 * MB,
    "reports": 64 * MB,
    "frames": 32 * MB,
    "bodies": 32 * MB,
}


@dataclass(frozen=True)
class CachedBody:
    """A serialised response body with its strong ETag."""

    body: bytes
    etag: str
    mimetype: str = "application/json"


def make_body(payload: Any) -> CachedBody:
    """Serialise ``payload`` to compact UTF-8 JSON and hash it for the ETag."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return CachedBody(body, hashlib.sha256(body).hexdigest()[:32])


def _body_size(value: Any) -> int:
    body = getattr(value, "body", value)
    return len(body) + 200 if isinstance(body, (bytes, bytearray)) else approx_size(value)


def settings_key(settings: IndicatorSettings) -> tuple[int, float, float]:
    """The part of the settings the API lets a caller change (the cache key of a report)."""
    return (settings.year, float(settings.walk_minutes), float(settings.walk_speed_m_s))


_OBJECT_BYTES = 64  # a small Python object, roughly
_GEOMETRY_BYTES = 120  # a shapely geometry without its coordinates


def approx_size(value: Any, _depth: int = 0) -> int:
    """Approximate bytes held by a cached value (bodies, frames, reports, workspaces).

    Counts array buffers, GeoDataFrame columns, 16 bytes per coordinate plus a fixed overhead per
    geometry, and walks tuples, lists, dicts and dataclass-like objects a few levels deep.  It is
    an estimate to bound caches, not an exact measure.

    >>> approx_size(b"x" * 1000) >= 1000
    True
    """
    if _depth > 6 or value is None or isinstance(value, (bool, int, float)):
        return 8
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value) + _OBJECT_BYTES
    if isinstance(value, str):
        return len(value) * 2 + _OBJECT_BYTES
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return int(value.size) * _OBJECT_BYTES + _geometry_bytes(value)
        return int(value.nbytes) + _OBJECT_BYTES
    if isinstance(value, pd.DataFrame):
        size = int(value.memory_usage(index=True, deep=False).sum())
        if isinstance(value, gpd.GeoDataFrame) and value.geometry.name in value:
            size += _geometry_bytes(np.asarray(value.geometry.values, dtype=object))
        return size + _OBJECT_BYTES
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=False)) + _OBJECT_BYTES
    if isinstance(value, dict):
        return _OBJECT_BYTES + sum(
            approx_size(k, _depth + 1) + approx_size(v, _depth + 1) for k, v in value.items()
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return _OBJECT_BYTES + sum(approx_size(v, _depth + 1) for v in value)
    fields = getattr(value, "__dict__", None)
    if fields is None and hasattr(value, "__slots__"):
        fields = {k: getattr(value, k, None) for k in value.__slots__}
    if isinstance(fields, dict):
        return _OBJECT_BYTES + sum(approx_size(v, _depth + 1) for v in fields.values())
    return _OBJECT_BYTES


def _geometry_bytes(geoms: np.ndarray) -> int:
    """Bytes of shapely geometries: coordinates and a fixed overhead each."""
    if geoms.size == 0:
        return 0
    try:
        coords = int(shapely.get_num_coordinates(geoms).sum())
    except (TypeError, shapely.errors.GEOSException):
        return int(geoms.size) * _OBJECT_BYTES
    return coords * 16 + int(geoms.size) * _GEOMETRY_BYTES


class LRU:
    """A thread-safe least-recently-used map with compute-once semantics.

    Bounded by ``max_items`` entries and, when given, by ``max_bytes`` of :func:`approx_size`
    (``sizer`` overrides the measure).  The most recent entry is kept even when it alone is over
    ``max_bytes``, so a value just computed is served.
    """

    def __init__(
        self,
        max_items: int,
        *,
        max_bytes: int | None = None,
        sizer: Callable[[Any], int] | None = None,
    ) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._sizer = sizer or approx_size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._sizes: dict[Any, int] = {}
        self.bytes = 0
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Any) -> bool:
        with self._lock:
            return key in self._items

    def get_or_compute(self, key: Any, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computing it (once, even under concurrency) if absent."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        # A thread inside a computation never waits for a key: the key's holder may be
        # waiting for the computation turn it holds (gis.indicators._threads).  It computes
        # the value itself and does not keep it (the holder will).
        if not key_lock.acquire(blocking=not holds_turn()):
            return compute()
        try:
            return self._compute_held(key, compute)
        finally:
            key_lock.release()

    def _compute_held(self, key: Any, compute: Callable[[], T]) -> T:
        """``get_or_compute`` with the key's lock held."""
        with self._lock:
            if key in self._items:
                return self._items[key]  # type: ignore[no-any-return]
        try:
            value = compute()
        except BaseException:
            with self._lock:
                self._key_locks.pop(key, None)
            raise
        size = self._sizer(value) if self.max_bytes is not None else 0
        with self._lock:
            self._remove(key)
            self._items[key] = value
            self._sizes[key] = size
            self.bytes += size
            while len(self._items) > self.max_items or (
                self.max_bytes is not None and self.bytes > self.max_bytes and len(self._items) > 1
            ):
                self._remove(next(iter(self._items)))
            self._key_locks.pop(key, None)
        return value

    def _remove(self, key: Any) -> None:
        """Drop ``key`` (call with the lock held)."""
        if key in self._items:
            del self._items[key]
            self.bytes -= self._sizes.pop(key, 0)

    def drop(self, predicate: Callable[[Any], bool]) -> int:
        """Forget every entry whose key satisfies ``predicate``; return how many."""
        with self._lock:
            keys = [k for k in self._items if predicate(k)]
            for key in keys:
                self._remove(key)
        return len(keys)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self.bytes = 0


class CountyCache:
    """Lazy, cached access to the county workspaces of one store backend.

    Parameters
    ----------
    root : the workspaces folder (used when ``database_url`` is empty).
    database_url : ``postgresql://…`` to serve the counties stored in PostGIS.
    backend : a ready :class:`gis.store.WorkspaceStore` (overrides both).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        database_url: str = "",
        backend: WorkspaceStore | None = None,
        max_reports: int = 32,
        max_bodies: int = 512,
        max_bytes: Mapping[str, int] | None = None,
    ) -> None:
        self.root = Path(root)
        self.backend: WorkspaceStore = backend or open_store(database_url or None, root)
        limits = {**CACHE_MAX_BYTES, **(max_bytes or {})}
        self._workspaces = LRU(16, max_bytes=limits["workspaces"])
        self._reports = LRU(max_reports, max_bytes=limits["reports"])
        self._frames = LRU(256, max_bytes=limits["frames"])
        self.bodies = LRU(max_bodies, max_bytes=limits["bodies"], sizer=_body_size)
        self._tokens: dict[str, str] = {}
        self._tokens_lock = threading.Lock()
        self.compute_guard: ComputeGuard = lambda _county_id, _settings: contextlib.nullcontext()

    # --- counties ---------------------------------------------------------------------------
    def county_ids(self) -> list[str]:
        """Ids of the counties present, sorted."""
        return [c for c in self.backend.county_ids() if COUNTY_ID_RE.match(c)]

    def _unknown(self, county_id: str) -> NotFoundError:
        where = "the database" if self.backend.kind == "postgis" else "the workspaces folder"
        known = ", ".join(self.county_ids()) or "none"
        msg = f"no county {county_id!r} in {where}; known counties: {known}"
        return NotFoundError(msg)

    def location(self, county_id: str) -> str:
        """Where the county is stored (its folder, or ``postgis:<id>``).

        Raises :class:`NotFoundError` naming the known counties when there is no such county.
        """
        if not COUNTY_ID_RE.match(county_id):
            raise self._unknown(county_id)
        try:
            return self.backend.location(county_id)
        except NotFoundError:
            raise self._unknown(county_id) from None

    path = location  # the older name, used by callers that only check that a county exists

    def version(self, county_id: str) -> str:
        """Version token of the county's workspace: changes with every committed version."""
        if not COUNTY_ID_RE.match(county_id):
            raise self._unknown(county_id)
        try:
            token = self.backend.version_token(county_id)
        except NotFoundError:
            raise self._unknown(county_id) from None
        with self._tokens_lock:
            old = self._tokens.get(county_id)
            self._tokens[county_id] = token
        if old is not None and old != token:
            self.drop_version(county_id, old)
        return token

    def drop_version(self, county_id: str, token: str) -> int:
        """Forget every cached value of ``county_id`` at version ``token``; return how many."""

        def superseded(key: Any) -> bool:
            return isinstance(key, tuple) and county_id in key and token in key

        return sum(cache.drop(superseded) for cache in self.caches())

    def caches(self) -> tuple[LRU, ...]:
        """Every LRU of the county cache."""
        return (self._workspaces, self._reports, self._frames, self.bodies)

    def cached_bytes(self) -> int:
        """Approximate bytes held by the caches."""
        return sum(cache.bytes for cache in self.caches())

    def metadata(self, county_id: str) -> dict[str, Any]:
        """The county's metadata (read through the workspace cache)."""
        key = ("meta", county_id, self.version(county_id))
        return self._workspaces.get_or_compute(key, lambda: self.backend.read_metadata(county_id))

    def workspace(self, county_id: str) -> Workspace:
        """The loaded workspace (storage CRS), cached per version."""
        key = ("ws", county_id, self.version(county_id))
        return self._workspaces.get_or_compute(key, lambda: self.backend.read_workspace(county_id))

    # --- indicators -------------------------------------------------------------------------
    def report(self, county_id: str, settings: IndicatorSettings) -> Report:
        """``gis.report.county_report`` of the county for ``settings``, cached."""
        from gis.report import county_report

        key = (county_id, self.version(county_id), settings_key(settings))
        ws = self.workspace(county_id)

        def compute() -> Report:
            with self.compute_guard(county_id, settings):
                return county_report(ws, settings)

        return self._reports.get_or_compute(key, compute)

    def life_circle(self, county_id: str, settings: IndicatorSettings) -> LifeCircleReport:
        """``gis.life_circle_report.life_circle_report`` of the county, cached like ``report``."""
        from gis.life_circle_report import life_circle_report

        thresholds = tuple(settings.life_circle_threshold_m(t) for t in settings.life_circle)
        version = self.version(county_id)
        key = ("life-circle", county_id, version, settings_key(settings), thresholds)
        ws = self.workspace(county_id)

        def compute() -> LifeCircleReport:
            with self.compute_guard(county_id, settings):
                return life_circle_report(ws, settings)

        return self._reports.get_or_compute(key, compute)

    def _results(self, county_id: str, settings: IndicatorSettings) -> list[IndicatorResult]:
        """The 百城 results and the life circle's (whose gap layers the layer routes serve)."""
        _report, results = self.report(county_id, settings)
        _circle_report, circle = self.life_circle(county_id, settings)
        return [*results, *circle.results]

    # --- layers -----------------------------------------------------------------------------
    def catalog(self, county_id: str, settings: IndicatorSettings) -> list[LayerInfo]:
        """Every layer of the county (stored, population, gap layers for ``settings``)."""
        return build_catalog(self.workspace(county_id), self._results(county_id, settings))

    def frame(self, county_id: str, name: str, settings: IndicatorSettings) -> gpd.GeoDataFrame:
        """Layer ``name`` in EPSG:4326, cached (stored layers need no indicator run)."""
        ws = self.workspace(county_id)
        version = self.version(county_id)
        if name in ws.layers or name == "population":
            key: tuple[Any, ...] = (county_id, version, name)
            return self._frames.get_or_compute(key, lambda: layer_frame(ws, [], name))
        key = (county_id, version, name, settings_key(settings))
        results = self._results(county_id, settings)
        return self._frames.get_or_compute(key, lambda: layer_frame(ws, results, name))

    def derived(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """A value derived from a layer (e.g. its spatial index), cached beside the frames.

        ``key`` must hold the county id and its version token, so a new version drops it.
        """
        return self._frames.get_or_compute(key, compute)

    def clear(self) -> None:
        """Drop every cached value (tests)."""
        for cache in self.caches():
            cache.clear()

    def close(self) -> None:
        """Release the backend's connections (PostGIS; nothing for folders)."""
        self.backend.close()
