"""The counties served by the app: workspaces loaded lazily and cached per process.

The workspaces come from one store behind :class:`gis.store.WorkspaceStore`: the folders under
``WORKSPACES_DIR`` (the default; a sub-folder per county, its name the ``county_id``, as in
docs/workspace.md) or PostgreSQL + PostGIS when ``DATABASE_URL`` is set.  The app's store caches,
per county, the loaded workspace, its layers in EPSG:4326, the indicator results per ``(year,
minutes, walk speed)`` and serialised responses.  Every entry is keyed by the store's version
token of the county (folders: mtime and size of metadata.json, which ingest and uploads rewrite
last; PostGIS: the county's revision, renewed by every committed version), so a new version is
picked up on the next request by every process.  All access is thread-safe; a value being
computed is computed once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd

from gis.errors import NotFoundError
from gis.result import IndicatorResult
from gis.settings import IndicatorSettings
from gis.store import COUNTY_ID_RE, WorkspaceStore, open_store
from gis.workspace import Workspace
from layers.catalog import LayerInfo, build_catalog, layer_frame

__all__ = ["COUNTY_ID_RE", "LRU", "CachedBody", "CountyStore", "make_body", "settings_key"]
T = TypeVar("T")

Report = tuple[dict[str, Any], list[IndicatorResult]]


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


def settings_key(settings: IndicatorSettings) -> tuple[int, float, float]:
    """The part of the settings the API lets a caller change (the cache key of a report)."""
    return (settings.year, float(settings.walk_minutes), float(settings.walk_speed_m_s))


class LRU:
    """A small thread-safe least-recently-used map with compute-once semantics."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}

    def get_or_compute(self, key: Any, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computing it (once, even under concurrency) if absent."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.max_items:
                    self._items.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()


class CountyStore:
    """Lazy, cached access to the county workspaces of one backend.

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
    ) -> None:
        self.root = Path(root)
        self.backend: WorkspaceStore = backend or open_store(database_url or None, root)
        self._workspaces = LRU(16)
        self._reports = LRU(max_reports)
        self._frames = LRU(256)
        self.bodies = LRU(max_bodies)

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
            return self.backend.version_token(county_id)
        except NotFoundError:
            raise self._unknown(county_id) from None

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
        return self._reports.get_or_compute(key, lambda: county_report(ws, settings))

    # --- layers -----------------------------------------------------------------------------
    def catalog(self, county_id: str, settings: IndicatorSettings) -> list[LayerInfo]:
        """Every layer of the county (stored, population, gap layers for ``settings``)."""
        _report, results = self.report(county_id, settings)
        return build_catalog(self.workspace(county_id), results)

    def frame(self, county_id: str, name: str, settings: IndicatorSettings) -> gpd.GeoDataFrame:
        """Layer ``name`` in EPSG:4326, cached (stored layers need no indicator run)."""
        ws = self.workspace(county_id)
        version = self.version(county_id)
        if name in ws.layers or name == "population":
            key: tuple[Any, ...] = (county_id, version, name)
            return self._frames.get_or_compute(key, lambda: layer_frame(ws, [], name))
        key = (county_id, version, name, settings_key(settings))
        _report, results = self.report(county_id, settings)
        return self._frames.get_or_compute(key, lambda: layer_frame(ws, results, name))

    def clear(self) -> None:
        """Drop every cached value (tests)."""
        for cache in (self._workspaces, self._reports, self._frames, self.bodies):
            cache.clear()

    def close(self) -> None:
        """Release the backend's connections (PostGIS; nothing for folders)."""
        self.backend.close()
