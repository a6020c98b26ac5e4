"""Versioned layer store on a county workspace, with atomic writes and one writer at a time.

Layout inside the workspace folder (docs/uploads.md)::

    workspace.gpkg                 current layers (what the indicators and maps read)
    population.tif                 current population raster
    metadata.json                  layers[<layer>] says provenance "uploaded" and the version
    versions/<layer>/v0003.gpkg    the data of version 3 (v0003.tif for population)
    versions/<layer>/v0003.json    who, when, original file name, sha256, feature count, report
    .store.lock                    fcntl.flock lock serialising writers

**Commit point.** A version becomes current in one step: a complete copy of
``workspace.gpkg`` holding the new layer, whose GeoPackage ``gpkg_contents``
description records ``{"gis_version": N}``, is fsynced and ``os.replace``-d
over the old file (for the raster, the GeoTIFF tag ``GIS_VERSION``).  Before
that step nothing a reader sees has changed; after it the new version is
current.  Version files and records written for a commit that never happened
(a killed process) have a number above the current one; they are ignored and
overwritten by the next upload.  ``metadata.json`` is rewritten atomically
after the commit and re-synchronised by the next writer if a crash came in
between.

Versions only grow: a rollback to version 2 commits a new version whose data
is a copy of version 2, so the history stays linear and auditable.

**One interface, two backends.** :class:`GeoPackageStore` wraps these folder
functions per county id; :class:`gis.store.postgis.PostgisStore` offers the same
methods on PostgreSQL + PostGIS (:class:`gis.store.WorkspaceStore`).
:func:`gis.store.open_store` picks one from ``DATABASE_URL``; the web app, the
uploads and the batch only talk to that interface.  The records both write are
:mod:`gis.store.records`; the atomic-write helpers are :mod:`gis.store.files`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import rasterio

from gis import county_data
from gis.errors import NotFoundError
from gis.store.base import COUNTY_ID_RE, Hook, StoreBusyError
from gis.store.files import (
    TMP_PREFIX,
    fsync_dir,
    fsync_file,
    sha256_file,
    tmp_path,
    write_json_atomic,
)
from gis.store.query import FeaturePage, FeatureQuery, flag_where, temporal_field
from gis.store.records import (
    RASTER_LAYER,
    NewVersion,
    VersionRecord,
    committed_layer_entry,
    get_layer_entry,
    initial_version_record,
    new_version_record,
    rollback_version,
    rolled_back_to_initial,
    set_layer_entry,
)
from gis.workspace import Workspace

__all__ = [
    "GPKG_NAME",
    "LOCK_NAME",
    "METADATA_NAME",
    "POPULATION_NAME",
    "VERSIONS_DIR",
    "GeoPackageStore",
    "commit_version",
    "current_version",
    "history",
    "read_version",
    "recover",
    "rollback",
    "workspace_lock",
]

GPKG_NAME = "workspace.gpkg"
POPULATION_NAME = "population.tif"
METADATA_NAME = "metadata.json"
VERSIONS_DIR = "versions"
LOCK_NAME = ".store.lock"
_VERSION_TAG = "GIS_VERSION"


@contextlib.contextmanager
def workspace_lock(workspace: str | Path, *, timeout_s: float = 300.0) -> Iterator[None]:
    """Hold the workspace's exclusive writer lock (``fcntl.flock``; threads and processes).

    Raises :class:`StoreBusyError` after ``timeout_s`` seconds of waiting.
    """
    lock_path = Path(workspace) / LOCK_NAME
    deadline = time.monotonic() + timeout_s
    with lock_path.open("a+") as f:
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    msg = (
                        f"{Path(workspace).name}: another upload is still being written; "
                        "try again in a minute"
                    )
                    raise StoreBusyError(msg) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _versions_dir(workspace: Path, layer: str) -> Path:
    return workspace / VERSIONS_DIR / layer


def _data_name(layer: str, version: int) -> str:
    return f"v{version:04d}.tif" if layer == RASTER_LAYER else f"v{version:04d}.gpkg"


def current_version(workspace: str | Path, layer: str) -> int | None:
    """The committed version of ``layer``: ``0`` as ingested, ``None`` when there is no layer."""
    workspace = Path(workspace)
    if layer == RASTER_LAYER:
        tif = workspace / POPULATION_NAME
        if not tif.is_file():
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(tif) as src:
                return int(src.tags().get(_VERSION_TAG, 0))
    gpkg = workspace / GPKG_NAME
    if not gpkg.is_file():
        msg = f"{workspace}: no {GPKG_NAME}; create the workspace with `python -m gis ingest`"
        raise NotFoundError(msg)
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT description FROM gpkg_contents WHERE table_name = ?", (layer,)
        ).fetchone()
    finally:
        con.close()
    if row is None:
        return None
    try:
        return int(json.loads(row[0] or "{}").get("gis_version", 0))
    except (ValueError, AttributeError):
        return 0


def history(workspace: str | Path, layer: str) -> list[VersionRecord]:
    """Every committed version of ``layer``, oldest first, each with ``current`` set."""
    workspace = Path(workspace)
    current = current_version(workspace, layer)
    folder = _versions_dir(workspace, layer)
    if current is None or not folder.is_dir():
        return []
    records = []
    for n in range(current + 1):
        path = folder / f"v{n:04d}.json"
        if path.is_file():
            records.append(_read_record(path).with_current(current=n == current))
    return records


def _read_record(path: Path) -> VersionRecord:
    return VersionRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))


def read_version(workspace: str | Path, layer: str, version: int) -> gpd.GeoDataFrame:
    """The data of one committed vector version."""
    workspace = Path(workspace)
    current = current_version(workspace, layer)
    path = _versions_dir(workspace, layer) / _data_name(layer, version)
    if current is None or version > current or not path.is_file():
        msg = f"{layer}: no version {version}; see GET …/layers/{layer}/versions for the history"
        raise NotFoundError(msg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(path, layer=layer)


def read_raster_version(workspace: str | Path, version: int) -> bytes:
    """The population GeoTIFF of one committed version, exactly as stored.

    Version 0 is kept under ``versions/`` from the first upload on; before it, the current
    file is version 0.
    """
    workspace = Path(workspace)
    current = current_version(workspace, RASTER_LAYER)
    path = _versions_dir(workspace, RASTER_LAYER) / _data_name(RASTER_LAYER, version)
    if current is not None and version == current == 0 and not path.is_file():
        path = workspace / POPULATION_NAME
    if current is None or version > current or not path.is_file():
        msg = f"{RASTER_LAYER}: no version {version}"
        raise NotFoundError(msg)
    return path.read_bytes()


def _cleanup_tmp(workspace: Path) -> None:
    """Remove temporary files left by a killed writer (call with the lock held)."""
    for folder in (workspace, *(p for p in (workspace / VERSIONS_DIR).glob("*") if p.is_dir())):
        for tmp in folder.glob(f"{TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)


def _write_vector_file(
    gdf: gpd.GeoDataFrame, path: Path, layer: str, description: str = ""
) -> None:
    options = {"DESCRIPTION": description} if description else {}
    types = set(gdf.geometry.geom_type.dropna())
    promote = bool(types) and types <= {
        "Polygon",
        "MultiPolygon",
    }  # MultiPolygon layers, as ingest writes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(
            gdf, path, layer=layer, driver="GPKG", layer_options=options, promote_to_multi=promote
        )


def _write_version_data(workspace: Path, new: NewVersion, version: int) -> Path:
    folder = _versions_dir(workspace, new.layer)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / _data_name(new.layer, version)
    tmp = tmp_path(folder, final.name)
    try:
        if new.layer == RASTER_LAYER:
            assert new.raster_path is not None
            shutil.copyfile(new.raster_path, tmp)
        else:
            assert new.gdf is not None
            _write_vector_file(new.gdf, tmp, new.layer)
        fsync_file(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def _snapshot_initial(workspace: Path, layer: str, metadata: dict[str, Any]) -> None:
    """Keep the ingested layer as version 0 before the first upload replaces it."""
    folder = _versions_dir(workspace, layer)
    if (folder / "v0000.json").is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / _data_name(layer, 0)
    tmp = tmp_path(folder, final.name)
    try:
        if layer == RASTER_LAYER:
            shutil.copyfile(workspace / POPULATION_NAME, tmp)
            entry = metadata.get("population", {})
            count = None
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gdf = pyogrio.read_dataframe(workspace / GPKG_NAME, layer=layer)
            _write_vector_file(gdf, tmp, layer)
            entry = metadata.get("layers", {}).get(layer, {})
            count = len(gdf)
        fsync_file(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    record = replace(
        initial_version_record(layer, metadata, entry, count), data_sha256=sha256_file(final)
    )
    write_json_atomic(folder / "v0000.json", record.to_dict())


def _swap_vector(workspace: Path, layer: str, data_file: Path, version: int, hook: Hook) -> None:
    """Commit: a full copy of workspace.gpkg with the new layer replaces the old file."""
    gpkg = workspace / GPKG_NAME
    tmp = tmp_path(workspace, GPKG_NAME)
    try:
        shutil.copyfile(gpkg, tmp)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = pyogrio.read_dataframe(data_file, layer=layer)
        _write_vector_file(gdf, tmp, layer, json.dumps({"gis_version": version}))
        hook("gpkg_written")
        fsync_file(tmp)
        os.replace(tmp, gpkg)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(workspace)


def _swap_raster(workspace: Path, data_file: Path, version: int, hook: Hook) -> None:
    tif = workspace / POPULATION_NAME
    tmp = tmp_path(workspace, POPULATION_NAME)
    try:
        shutil.copyfile(data_file, tmp)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(tmp, "r+") as dst:
                dst.update_tags(**{_VERSION_TAG: str(version)})
        hook("gpkg_written")
        fsync_file(tmp)
        os.replace(tmp, tif)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(workspace)


def _read_metadata(workspace: Path) -> dict[str, Any]:
    path = workspace / METADATA_NAME
    if not path.is_file():
        msg = (
            f"{workspace}: not a workspace (no {METADATA_NAME}); "
            "create one with `python -m gis ingest`"
        )
        raise NotFoundError(msg)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _sync_metadata(workspace: Path) -> None:
    """Make metadata.json agree with the committed versions (repairs a crash after a commit)."""
    root = workspace / VERSIONS_DIR
    if not root.is_dir():
        return
    metadata = _read_metadata(workspace)
    changed = False
    for folder in sorted(p for p in root.glob("*") if p.is_dir()):
        layer = folder.name
        current = current_version(workspace, layer)
        record_path = folder / f"v{(current or 0):04d}.json"
        if not current or not record_path.is_file():
            continue
        section = get_layer_entry(metadata, layer)
        if section.get("upload", {}).get("version") == current:
            continue
        record = _read_record(record_path)
        set_layer_entry(metadata, layer, committed_layer_entry(record, section))
        changed = True
    if changed:
        write_json_atomic(workspace / METADATA_NAME, metadata)


def _commit_locked(workspace: Path, new: NewVersion, hook: Hook) -> VersionRecord:
    _cleanup_tmp(workspace)
    _sync_metadata(workspace)
    metadata = _read_metadata(workspace)
    current = current_version(workspace, new.layer)
    if current == 0:
        _snapshot_initial(workspace, new.layer, metadata)
    version = (current or 0) + 1
    try:
        return _write_and_swap(workspace, new, version, metadata, hook)
    except BaseException:
        if current_version(workspace, new.layer) != version:  # not committed: drop its files
            for suffix in (".json", ".gpkg", ".tif"):
                (_versions_dir(workspace, new.layer) / f"v{version:04d}{suffix}").unlink(
                    missing_ok=True
                )
        _cleanup_tmp(workspace)
        raise


def _write_and_swap(
    workspace: Path, new: NewVersion, version: int, metadata: dict[str, Any], hook: Hook
) -> VersionRecord:
    data_file = _write_version_data(workspace, new, version)
    previous = get_layer_entry(metadata, new.layer)
    record = replace(new_version_record(new, version), data_sha256=sha256_file(data_file))
    if new.action == "rollback" and new.rollback_of is not None:
        source = _read_record(_versions_dir(workspace, new.layer) / f"v{new.rollback_of:04d}.json")
        record = rolled_back_to_initial(record, source)  # back to the ingested data (or a copy)
    write_json_atomic(
        _versions_dir(workspace, new.layer) / f"v{version:04d}.json", record.to_dict()
    )
    hook("version_written")
    if new.layer == RASTER_LAYER:
        _swap_raster(workspace, data_file, version, hook)
    else:
        _swap_vector(workspace, new.layer, data_file, version, hook)
    hook("committed")
    set_layer_entry(metadata, new.layer, committed_layer_entry(record, previous))
    write_json_atomic(workspace / METADATA_NAME, metadata)
    return record


def _no_hook(stage: str) -> None:
    """Default hook: nothing."""


def commit_version(
    workspace: str | Path,
    new: NewVersion,
    *,
    hook: Hook | None = None,
    lock_timeout_s: float = 300.0,
) -> VersionRecord:
    """Store ``new`` as the next version of its layer and make it current, atomically.

    Parameters
    ----------
    workspace : the county workspace folder.
    new : the data and provenance of the version.
    hook : called with ``"version_written"``, ``"gpkg_written"`` (the new copy
        is complete but not yet in place) and ``"committed"``; tests use it to
        kill or fail the writer at those points.

    Returns
    -------
    VersionRecord
        The version record (stored as ``versions/<layer>/vNNNN.json``).
    """
    workspace = Path(workspace)
    _read_metadata(workspace)
    with workspace_lock(workspace, timeout_s=lock_timeout_s):
        return _commit_locked(workspace, new, hook or _no_hook)


def commit_county_data(
    workspace: str | Path, update: Mapping[str, Any], *, user: str, lock_timeout_s: float = 300.0
) -> dict[str, Any]:
    """Apply a validated county-data update (:mod:`gis.county_data`) to metadata.json.

    Under the writer lock: metadata.json is read, the update merged with a version record
    (who, when, what) and the file replaced atomically (which also changes the version token,
    so every cache of the county is refreshed).  Returns the version record.
    """
    workspace = Path(workspace)
    _read_metadata(workspace)
    with workspace_lock(workspace, timeout_s=lock_timeout_s):
        _cleanup_tmp(workspace)
        _sync_metadata(workspace)
        metadata = _read_metadata(workspace)
        data, record = county_data.merged(
            metadata.get(county_data.METADATA_KEY), update, user=user, now=county_data.now_iso()
        )
        metadata[county_data.METADATA_KEY] = data
        write_json_atomic(workspace / METADATA_NAME, metadata)
    return record


def rollback(
    workspace: str | Path, layer: str, version: int, *, user: str, hook: Hook | None = None
) -> VersionRecord:
    """Make a copy of ``version`` the new current version of ``layer`` (history stays linear)."""
    workspace = Path(workspace)
    with workspace_lock(workspace):
        current = current_version(workspace, layer)
        folder = _versions_dir(workspace, layer)
        record_path = folder / f"v{version:04d}.json"
        data_path = folder / _data_name(layer, version)
        if current is None or version < 0 or version > current or not record_path.is_file():
            msg = (
                f"{layer}: no version {version} to roll back to (current is {current}); "
                f"see …/layers/{layer}/versions"
            )
            raise NotFoundError(msg)
        source = _read_record(record_path)
        if layer == RASTER_LAYER:
            gdf, raster = None, data_path
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gdf, raster = pyogrio.read_dataframe(data_path, layer=layer), None
        new = rollback_version(source, layer, user, version, gdf, raster)
        return _commit_locked(workspace, new, hook or _no_hook)


def recover(workspace: str | Path, *, timeout_s: float = 300.0) -> None:
    """Remove a killed writer's temporary files and re-sync metadata.json (takes the lock).

    Raises :class:`StoreBusyError` when a writer holds the lock for ``timeout_s`` seconds (that
    writer repairs the workspace itself).
    """
    workspace = Path(workspace)
    with workspace_lock(workspace, timeout_s=timeout_s):
        _cleanup_tmp(workspace)
        _sync_metadata(workspace)


class GeoPackageStore:
    """The embedded default: one workspace folder per county under ``root``.

    The county id is the folder name; every method is the folder function of this module
    or of :mod:`gis.io` applied to ``root / county_id``.
    """

    kind = "gpkg"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _folder(self, county_id: str) -> Path:
        folder = self.root / county_id
        if not COUNTY_ID_RE.match(county_id) or not (folder / METADATA_NAME).is_file():
            msg = f"no county {county_id!r} in the workspaces folder {self.root}"
            raise NotFoundError(msg)
        return folder

    def county_ids(self) -> list[str]:
        """Sub-folders holding a metadata.json, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and COUNTY_ID_RE.match(p.name) and (p / METADATA_NAME).is_file()
        )

    def location(self, county_id: str) -> str:
        """The county's folder (:class:`NotFoundError` when there is none)."""
        return str(self._folder(county_id))

    def version_token(self, county_id: str) -> str:
        """Changes whenever the workspace changes: mtime and size of metadata.json.

        Ingest and every commit rewrite metadata.json last, with ``os.replace``.
        """
        stat = (self._folder(county_id) / METADATA_NAME).stat()
        return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"

    def read_metadata(self, county_id: str) -> dict[str, Any]:
        """metadata.json of the county."""
        return _read_metadata(self._folder(county_id))

    def list_layers(self, county_id: str) -> list[str]:
        """Vector layers of workspace.gpkg, sorted."""
        from gis.io import list_layers

        return sorted(list_layers(self._folder(county_id)))

    def read_layer(self, county_id: str, name: str) -> gpd.GeoDataFrame:
        """The current version of one vector layer (storage CRS)."""
        from gis.io import read_layer

        return read_layer(self._folder(county_id), name)

    def read_population_bytes(self, county_id: str) -> bytes | None:
        """population.tif as stored, or ``None``."""
        tif = self._folder(county_id) / POPULATION_NAME
        return tif.read_bytes() if tif.is_file() else None

    def read_workspace(self, county_id: str) -> Workspace:
        """The whole workspace (:func:`gis.io.read_workspace`)."""
        from gis.io import read_workspace

        return read_workspace(self._folder(county_id))

    def current_version(self, county_id: str, layer: str) -> int | None:
        """See :func:`current_version`."""
        return current_version(self._folder(county_id), layer)

    def history(self, county_id: str, layer: str) -> list[VersionRecord]:
        """See :func:`history`."""
        return history(self._folder(county_id), layer)

    def read_version(self, county_id: str, layer: str, version: int) -> gpd.GeoDataFrame:
        """See :func:`read_version`."""
        return read_version(self._folder(county_id), layer, version)

    def read_raster_version(self, county_id: str, version: int) -> bytes:
        """See :func:`read_raster_version`."""
        return read_raster_version(self._folder(county_id), version)

    def commit_version(
        self, county_id: str, new: NewVersion, *, hook: Hook | None = None
    ) -> VersionRecord:
        """See :func:`commit_version` (flock on the folder serialises writers)."""
        return commit_version(self._folder(county_id), new, hook=hook)

    def commit_county_data(
        self, county_id: str, update: Mapping[str, Any], *, user: str
    ) -> dict[str, Any]:
        """See :func:`commit_county_data`."""
        return commit_county_data(self._folder(county_id), update, user=user)

    def rollback(
        self, county_id: str, layer: str, version: int, *, user: str, hook: Hook | None = None
    ) -> VersionRecord:
        """See :func:`rollback`."""
        return rollback(self._folder(county_id), layer, version, user=user, hook=hook)

    def read_layer_page(self, county_id: str, name: str, query: FeatureQuery) -> FeaturePage:
        """See :func:`read_layer_page`."""
        return read_layer_page(self._folder(county_id), name, query)

    def close(self) -> None:
        """Nothing to release."""


def read_layer_page(workspace: str | Path, layer: str, query: FeatureQuery) -> FeaturePage:
    """The features of ``layer`` matching ``query``, read through the GeoPackage's R-tree.

    The matching ids come from :func:`pyogrio.read_bounds` (bbox through the layer's spatial
    index, date range as an SQL ``where``; envelopes only, no attributes), then only the page's
    features are read by fid.  Without a bbox or date range the count is the layer's feature
    count and the page is read by position.

    Raises
    ------
    NotFoundError
        When workspace.gpkg has no such vector layer.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on empty layers
        return _read_layer_page(Path(workspace) / GPKG_NAME, layer, query)


def _read_layer_page(gpkg: Path, layer: str, query: FeatureQuery) -> FeaturePage:
    try:
        info = pyogrio.read_info(gpkg, layer=layer)
    except pyogrio.errors.DataLayerError:
        msg = f"no layer {layer!r} in {gpkg.parent.name}/{GPKG_NAME}"
        raise NotFoundError(msg) from None
    columns = [str(f) for f in info["fields"]]
    field = temporal_field(columns)
    fid_where = None if query.fid is None else f'"{info["fid_column"]}" = {int(query.fid)}'
    conditions = [
        c
        for c in (
            query.date_where(field) if field else None,
            flag_where(query.flags, columns),
            fid_where,
        )
        if c
    ]
    where = " AND ".join(f"({c})" for c in conditions) or None
    end = None if query.limit is None else query.offset + query.limit
    if query.bbox is None and where is None:
        matched = int(info["features"])
        count = max(0, (matched if end is None else min(end, matched)) - query.offset)
        if not count:
            return FeaturePage(_read_fids(gpkg, layer, []), matched)
        frame = pyogrio.read_dataframe(
            gpkg, layer=layer, skip_features=query.offset, max_features=count, fid_as_index=True
        )
        return FeaturePage(frame.sort_index(), matched)
    fids, _bounds = pyogrio.read_bounds(gpkg, layer=layer, bbox=query.bbox, where=where)
    ordered = sorted(int(f) for f in fids)
    return FeaturePage(_read_fids(gpkg, layer, ordered[query.offset : end]), len(ordered))


def _read_fids(gpkg: Path, layer: str, fids: list[int]) -> gpd.GeoDataFrame:
    """The features ``fids`` of ``layer`` in fid order (none: an empty frame with the columns)."""
    frame = pyogrio.read_dataframe(gpkg, layer=layer, fids=fids, fid_as_index=True)
    return frame.sort_index()
