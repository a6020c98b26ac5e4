"""The county workspace store on PostgreSQL + PostGIS (multi-user deployments).

The embedded default is one folder per county (GeoPackage + GeoTIFF + metadata.json, with the
versioned store of :mod:`gis.store.geopackage`).  Setting ``DATABASE_URL``
(``postgresql://user@host/db``) chooses this backend instead; :func:`gis.store.open_store`
returns either behind the interface :class:`gis.store.WorkspaceStore`: ``county_ids``,
``location``, ``version_token``,
``read_metadata``, ``list_layers``, ``read_layer``, ``read_population_bytes``,
``read_workspace``, ``current_version``, ``history``, ``read_version``, ``commit_version``,
``rollback`` and ``close``.

Tables (schema ``gis``, created by :meth:`PostgisStore.init_schema`):

- ``counties(county_id, metadata json, revision bigint)`` — ``revision`` takes a new value of
  the sequence ``gis.revisions`` at every import and commit: the version token caches key on;
- ``layer_versions(county_id, layer, version, record json, columns json)`` — one row per
  version, the same record the GeoPackage store writes as ``versions/<layer>/vNNNN.json``;
- ``features(county_id, layer, version, fid, properties json, geom geometry(Geometry, 4326))``
  with a GiST index; attribute dtypes are kept in ``columns`` and restored on reading;
- ``rasters(county_id, layer, version, data bytea)`` — the population GeoTIFF of each version,
  byte for byte (its SHA-256 is in the version record);
- ``current_layers(county_id, layer, version)`` — the committed version of each layer.

Documents are ``json``, not ``jsonb``: kept as written, keys in their order (metadata.json's
layer order shows in the API) and numbers digit for digit (``-0.0`` included).

**Transactions.** A commit inserts the version's features and record, points
``current_layers`` at it and updates the county's metadata and revision in one transaction,
holding the county's row lock (``SELECT … FOR UPDATE``, waiting at most ``lock_timeout_s``) so
writers of one county queue up.  Readers see the old version until the transaction commits,
and nothing at all if it fails; version numbers never repeat.  A whole workspace is read in one
``REPEATABLE READ`` snapshot, so it is never a mix of two versions.  As in the folder store,
versions only grow (a rollback commits a copy) and the imported data is version 0.

Connections are kept in a small pool per store (autocommit between transactions) and closed by
:meth:`PostgisStore.close` or when the store is garbage-collected.

``baicheng db import`` (``python -m gis db import``, :mod:`gis.cli.db`) loads folder workspaces
with :meth:`PostgisStore.import_workspace`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis import county_data
from gis.errors import GisError, NotFoundError
from gis.store.base import DatabaseError, Hook, StoreBusyError
from gis.store.query import FeaturePage, FeatureQuery, temporal_field
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

__all__ = ["IMPORT_COMMAND", "PostgisStore"]

SCHEMA = "gis"
STORAGE_SRID = 4326
POOL_CHECK_AFTER_S = 30.0
IMPORT_COMMAND = "baicheng db import"  # loads folder workspaces (gis/cli/db.py)

_DDL = f"""
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.revisions;
CREATE TABLE IF NOT EXISTS {SCHEMA}.counties (
    county_id text PRIMARY KEY,
    metadata json NOT NULL,
    revision bigint NOT NULL DEFAULT nextval('{SCHEMA}.revisions')
);
ALTER TABLE {SCHEMA}.counties
    ADD COLUMN IF NOT EXISTS revision bigint NOT NULL DEFAULT nextval('{SCHEMA}.revisions');
CREATE TABLE IF NOT EXISTS {SCHEMA}.layer_versions (
    county_id text NOT NULL REFERENCES {SCHEMA}.counties ON DELETE CASCADE,
    layer text NOT NULL,
    version integer NOT NULL CHECK (version >= 0),
    record json NOT NULL,
    columns json NOT NULL DEFAULT '[]',
    PRIMARY KEY (county_id, layer, version)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.features (
    county_id text NOT NULL,
    layer text NOT NULL,
    version integer NOT NULL,
    fid integer NOT NULL,
    properties json NOT NULL,
    geom geometry(Geometry, {STORAGE_SRID}),
    PRIMARY KEY (county_id, layer, version, fid),
    FOREIGN KEY (county_id, layer, version)
        REFERENCES {SCHEMA}.layer_versions ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS features_geom_gist ON {SCHEMA}.features USING gist (geom);
CREATE TABLE IF NOT EXISTS {SCHEMA}.rasters (
    county_id text NOT NULL,
    layer text NOT NULL,
    version integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (county_id, layer, version),
    FOREIGN KEY (county_id, layer, version)
        REFERENCES {SCHEMA}.layer_versions ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.current_layers (
    county_id text NOT NULL,
    layer text NOT NULL,
    version integer NOT NULL,
    PRIMARY KEY (county_id, layer),
    FOREIGN KEY (county_id, layer, version) REFERENCES {SCHEMA}.layer_versions
);
"""


def _database_error(exc: Exception) -> GisError:
    """Our error for a psycopg one: busy lock, missing tables, lost server or other."""
    import psycopg

    reason = " ".join(str(exc).split())[:300]
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        msg = "another upload to this county is still being written; try again in a minute"
        return StoreBusyError(msg)
    if isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName):
        msg = (
            f"DATABASE_URL: the database has no {SCHEMA} tables ({reason}); create them and load "
            f"the workspaces with `{IMPORT_COMMAND} --workspaces DIR`"
        )
        return DatabaseError(msg)
    if isinstance(exc, psycopg.OperationalError):
        msg = f"DATABASE_URL: lost the PostgreSQL connection ({reason}); try again"
        return DatabaseError(msg)
    msg = f"DATABASE_URL: PostgreSQL refused the operation ({reason})"
    return DatabaseError(msg)


def _close_all(idle: list[tuple[Any, float]]) -> None:
    """Close pooled connections (also the finaliser of a collected store)."""
    while idle:
        conn, _used = idle.pop()
        with contextlib.suppress(Exception):
            conn.close()


# --- attribute values <-> JSON ---------------------------------------------------------------
def _json_value(value: Any) -> Any:
    """A JSON-storable attribute value (NaN/NaT/NA → None; numpy → Python; dates → ISO).

    >>> _json_value(np.int64(3)), _json_value(float("nan")), _json_value(np.bool_(True))
    (3, None, True)
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _columns_of(gdf: gpd.GeoDataFrame) -> list[list[str]]:
    return [[str(c), str(gdf[c].dtype)] for c in gdf.columns if c != gdf.geometry.name]


def _restore(frame: pd.DataFrame, columns: list[list[str]]) -> pd.DataFrame:
    """Cast columns back to their stored dtypes (integers with gaps become ``Int64``)."""
    out = {}
    for name, dtype in columns:
        series = frame[name] if name in frame else pd.Series([None] * len(frame), dtype=object)
        out[name] = _cast(series.reset_index(drop=True), dtype)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    """``series`` as the stored column's dtype (nullable where values are missing), else as is."""
    target: Any = dtype  # a dtype name read from the database: pandas checks it at run time
    try:
        if dtype.startswith("datetime64"):
            converted: pd.Series = pd.to_datetime(series).astype(target)
            return converted
        if dtype in ("int64", "int32", "int16", "int8", "uint8") and series.isna().any():
            return series.astype("Int64")
        if dtype == "bool" and series.isna().any():
            return series.astype("boolean")
        cast_series: pd.Series = series.astype(target)
        return cast_series
    except (TypeError, ValueError):
        return series


# --- the store -------------------------------------------------------------------------------
class PostgisStore:
    """County workspaces in PostgreSQL + PostGIS (see the module docstring).

    Parameters
    ----------
    url : str
        ``postgresql://user[:password]@host[:port]/dbname`` (libpq syntax also works).
    pool_size : int
        Idle connections kept for reuse (a busy store opens more; extras are closed).
    lock_timeout_s : float
        How long a writer waits for the county's lock before :class:`StoreBusyError`.
    """

    kind = "postgis"

    def __init__(self, url: str, *, pool_size: int = 4, lock_timeout_s: float = 300.0) -> None:
        self.url = url
        self.pool_size = pool_size
        self.lock_timeout_s = lock_timeout_s
        self._idle: list[tuple[Any, float]] = []
        self._pool_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _close_all, self._idle)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the settings only (tasks sent to other processes open their own pool)."""
        return {"url": self.url, "pool_size": self.pool_size, "lock_timeout_s": self.lock_timeout_s}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def close(self) -> None:
        """Close the idle pooled connections (the store stays usable)."""
        with self._pool_lock:
            _close_all(self._idle)

    # --- connections ----------------------------------------------------------------------
    def _open(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, connect_timeout=10, autocommit=True)
        except psycopg.OperationalError as exc:
            reason = " ".join(str(exc).split())
            msg = (
                f"DATABASE_URL: cannot connect to PostgreSQL ({reason}); check the URL, that the "
                "server runs and accepts the user, or unset DATABASE_URL to use GeoPackages"
            )
            raise DatabaseError(msg) from exc

    def _take(self) -> Any:
        """A pooled connection (checked when it idled long: the server may have restarted)."""
        while True:
            with self._pool_lock:
                if not self._idle:
                    break
                conn, used = self._idle.pop()
            if time.monotonic() - used < POOL_CHECK_AFTER_S:
                return conn
            try:
                conn.execute("SELECT 1")
                return conn
            except Exception:  # noqa: BLE001 - a dead connection is dropped, another is tried
                with contextlib.suppress(Exception):
                    conn.close()
        return self._open()

    def _give_back(self, conn: Any) -> None:
        from psycopg.pq import TransactionStatus

        reusable = (
            not conn.closed
            and not conn.broken
            and conn.info.transaction_status == TransactionStatus.IDLE
        )
        if reusable:
            with self._pool_lock:
                if len(self._idle) < self.pool_size:
                    self._idle.append((conn, time.monotonic()))
                    return
        with contextlib.suppress(Exception):
            conn.close()

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """A connection from the pool; psycopg errors become :class:`DatabaseError`."""
        import psycopg

        conn = self._take()
        try:
            yield conn
        except psycopg.Error as exc:
            raise _database_error(exc) from exc
        finally:
            self._give_back(conn)

    @contextmanager
    def _snapshot(self) -> Iterator[Any]:
        """A read-only transaction seeing one consistent state of the database."""
        with self._connect() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    def init_schema(self) -> None:
        """Create the PostGIS extension, the schema and the tables (idempotent)."""
        with self._connect() as conn, conn.transaction():
            conn.execute(_DDL)

    # --- reading --------------------------------------------------------------------------
    def county_ids(self) -> list[str]:
        """Ids of the stored counties, sorted."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT county_id FROM {SCHEMA}.counties ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def location(self, county_id: str) -> str:
        """``postgis:<county_id>`` (:class:`NotFoundError` when the county is not stored)."""
        self.version_token(county_id)
        return f"postgis:{county_id}"

    def version_token(self, county_id: str) -> str:
        """The county's revision: a new value at every import and committed version."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT revision FROM {SCHEMA}.counties WHERE county_id = %s", (county_id,)
            ).fetchone()
        if row is None:
            raise self._not_found(county_id)
        return f"pg{int(row[0])}"

    @staticmethod
    def _not_found(county_id: str) -> NotFoundError:
        msg = f"no county {county_id!r} in the database; import it with `{IMPORT_COMMAND}`"
        return NotFoundError(msg)

    def read_metadata(self, county_id: str) -> dict[str, Any]:
        """The county's metadata (what metadata.json holds in a folder workspace)."""
        with self._connect() as conn:
            return self._metadata(conn, county_id)

    def _metadata(self, conn: Any, county_id: str, *, lock: bool = False) -> dict[str, Any]:
        sql = f"SELECT metadata FROM {SCHEMA}.counties WHERE county_id = %s"
        row = conn.execute(sql + (" FOR UPDATE" if lock else ""), (county_id,)).fetchone()
        if row is None:
            raise self._not_found(county_id)
        data: dict[str, Any] = row[0]
        return data

    def list_layers(self, county_id: str) -> list[str]:
        """Vector layers with a current version (the raster is ``population``, not listed)."""
        with self._connect() as conn:
            self._metadata(conn, county_id)
            return self._layer_names(conn, county_id)

    @staticmethod
    def _layer_names(conn: Any, county_id: str) -> list[str]:
        rows = conn.execute(
            f"SELECT layer FROM {SCHEMA}.current_layers WHERE county_id = %s AND layer <> %s "
            "ORDER BY layer",
            (county_id, RASTER_LAYER),
        ).fetchall()
        return [r[0] for r in rows]

    def current_version(self, county_id: str, layer: str) -> int | None:
        """The committed version of ``layer`` (0 = imported), ``None`` when there is none."""
        with self._connect() as conn:
            self._metadata(conn, county_id)
            return self._current(conn, county_id, layer)

    @staticmethod
    def _current(conn: Any, county_id: str, layer: str) -> int | None:
        row = conn.execute(
            f"SELECT version FROM {SCHEMA}.current_layers WHERE county_id = %s AND layer = %s",
            (county_id, layer),
        ).fetchone()
        return None if row is None else int(row[0])

    def read_layer(self, county_id: str, name: str) -> gpd.GeoDataFrame:
        """The current version of layer ``name`` (EPSG:4326), rows in stored order."""
        with self._snapshot() as conn:
            self._metadata(conn, county_id)
            return self._read_current(conn, county_id, name)

    def _read_current(self, conn: Any, county_id: str, name: str) -> gpd.GeoDataFrame:
        version = self._current(conn, county_id, name)
        if version is None or name == RASTER_LAYER:
            known = ", ".join(self._layer_names(conn, county_id))
            msg = f"{county_id}: no layer {name!r}; stored layers: {known}"
            raise NotFoundError(msg)
        return self._read(conn, county_id, name, version)

    def read_version(self, county_id: str, layer: str, version: int) -> gpd.GeoDataFrame:
        """The data of one committed vector version."""
        with self._snapshot() as conn:
            current = self._current(conn, county_id, layer)
            if current is None or not 0 <= version <= current or layer == RASTER_LAYER:
                msg = f"{layer}: no version {version}; see GET …/layers/{layer}/versions"
                raise NotFoundError(msg)
            return self._read(conn, county_id, layer, version)

    def _read(self, conn: Any, county_id: str, layer: str, version: int) -> gpd.GeoDataFrame:
        (columns,) = conn.execute(
            f"SELECT columns FROM {SCHEMA}.layer_versions "
            "WHERE county_id = %s AND layer = %s AND version = %s",
            (county_id, layer, version),
        ).fetchone()
        rows = conn.execute(
            f"SELECT properties, ST_AsBinary(geom) FROM {SCHEMA}.features "
            "WHERE county_id = %s AND layer = %s AND version = %s ORDER BY fid",
            (county_id, layer, version),
        ).fetchall()
        props = pd.DataFrame([r[0] for r in rows]) if rows else pd.DataFrame()
        frame = _restore(props, columns)
        wkb = np.array([None if r[1] is None else bytes(r[1]) for r in rows], dtype=object)
        geoms = shapely.from_wkb(wkb) if len(wkb) else np.array([], dtype=object)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=STORAGE_SRID))

    def read_layer_page(self, county_id: str, name: str, query: FeatureQuery) -> FeaturePage:
        """The features of layer ``name`` matching ``query`` (EPSG:4326), indexed by ``fid``.

        The bbox goes through the GiST index (``&&``) and then ``ST_Intersects``; the count and
        the page are two statements of one read-only snapshot.
        """
        with self._snapshot() as conn:
            self._metadata(conn, county_id)
            version = self._current(conn, county_id, name)
            if version is None or name == RASTER_LAYER:
                known = ", ".join(self._layer_names(conn, county_id))
                msg = f"{county_id}: no layer {name!r}; stored layers: {known}"
                raise NotFoundError(msg)
            (columns,) = conn.execute(
                f"SELECT columns FROM {SCHEMA}.layer_versions "
                "WHERE county_id = %s AND layer = %s AND version = %s",
                (county_id, name, version),
            ).fetchone()
            where, params = self._page_filter(query, [str(c[0]) for c in columns])
            base = (
                f"FROM {SCHEMA}.features WHERE county_id = %s AND layer = %s AND version = %s"
                + where
            )
            args = (county_id, name, version, *params)
            (matched,) = conn.execute(f"SELECT count(*) {base}", args).fetchone()
            limit = "" if query.limit is None else f" LIMIT {int(query.limit)}"
            rows = conn.execute(
                f"SELECT fid, properties, ST_AsBinary(geom) {base} ORDER BY fid "
                f"OFFSET {int(query.offset)}{limit}",
                args,
            ).fetchall()
        props = pd.DataFrame([r[1] for r in rows]) if rows else pd.DataFrame()
        frame = _restore(props, columns)
        wkb = np.array([None if r[2] is None else bytes(r[2]) for r in rows], dtype=object)
        geoms = shapely.from_wkb(wkb) if len(wkb) else np.array([], dtype=object)
        index = pd.Index([int(r[0]) for r in rows], name="fid")
        frame.index = index
        page = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=index, crs=STORAGE_SRID))
        return FeaturePage(page, int(matched))

    @staticmethod
    def _page_filter(query: FeatureQuery, columns: list[str]) -> tuple[str, tuple[Any, ...]]:
        """SQL conditions (after the layer's) and parameters for the bbox and date range."""
        where = ""
        params: tuple[Any, ...] = ()
        if query.bbox is not None:
            where += (
                f" AND geom && ST_MakeEnvelope(%s, %s, %s, %s, {STORAGE_SRID})"
                f" AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, {STORAGE_SRID}))"
            )
            params = (*query.bbox, *query.bbox)
        field = temporal_field(columns)
        if field is not None and query.date_range is not None:
            condition = query.date_where(field, quote="")
            if condition:
                # the column is a key of the properties document, not a table column
                where += " AND " + condition.replace(
                    f"CAST({field} AS TEXT)", f"(properties->>'{field}')"
                )
        for flag in query.flags:  # a viewer's rule: the flag true in the properties document
            where += " AND lower(properties->>%s) IN ('true', '1')"
            params = (*params, flag)
        if query.fid is not None:
            where += " AND fid = %s"
            params = (*params, int(query.fid))
        return where, params

    def read_population_bytes(self, county_id: str) -> bytes | None:
        """The current population GeoTIFF exactly as stored, or ``None``."""
        with self._snapshot() as conn:
            self._metadata(conn, county_id)
            return self._population_bytes(conn, county_id)

    def read_raster_version(self, county_id: str, version: int) -> bytes:
        """The population GeoTIFF of one committed version, exactly as stored."""
        with self._snapshot() as conn:
            current = self._current(conn, county_id, RASTER_LAYER)
            if current is None or not 0 <= version <= current:
                msg = f"{RASTER_LAYER}: no version {version}"
                raise NotFoundError(msg)
            return self._raster(conn, county_id, version)

    def _population_bytes(self, conn: Any, county_id: str) -> bytes | None:
        version = self._current(conn, county_id, RASTER_LAYER)
        if version is None:
            return None
        return self._raster(conn, county_id, version)

    @staticmethod
    def _raster(conn: Any, county_id: str, version: int) -> bytes:
        (data,) = conn.execute(
            f"SELECT data FROM {SCHEMA}.rasters WHERE county_id = %s AND layer = %s "
            "AND version = %s",
            (county_id, RASTER_LAYER, version),
        ).fetchone()
        return bytes(data)

    def read_workspace(self, county_id: str) -> Workspace:
        """The whole workspace, as :func:`gis.io.read_workspace` gives it from a folder.

        Read in one snapshot: a commit running meanwhile is either wholly in it or not at all.
        """
        from gis.io import read_population_cells
        from gis.workspace import OPTIONAL_LAYERS, REQUIRED_LAYERS

        with self._snapshot() as conn:
            metadata = self._metadata(conn, county_id)
            present = set(self._layer_names(conn, county_id))
            missing = [n for n in REQUIRED_LAYERS if n not in present]
            if missing:
                msg = f"{county_id}: workspace is missing layers {missing}; re-import it"
                raise GisError(msg)
            names = [*REQUIRED_LAYERS, *(n for n in OPTIONAL_LAYERS if n in present)]
            layers = {name: self._read_current(conn, county_id, name) for name in names}
            tif = self._population_bytes(conn, county_id)
        metric_crs = CRS.from_user_input(metadata["metric_crs"])
        population = None
        if tif is not None:
            with tempfile.TemporaryDirectory(prefix="gis-pop-") as tmp:
                path = Path(tmp) / "population.tif"
                path.write_bytes(tif)
                population = read_population_cells(path, metric_crs)
        return Workspace(layers, metadata, population, f"postgis:{county_id}", metric_crs)

    def history(self, county_id: str, layer: str) -> list[VersionRecord]:
        """Every committed version of ``layer``, oldest first, each with ``current`` set."""
        with self._snapshot() as conn:
            self._metadata(conn, county_id)
            current = self._current(conn, county_id, layer)
            rows = conn.execute(
                f"SELECT version, record FROM {SCHEMA}.layer_versions "
                "WHERE county_id = %s AND layer = %s ORDER BY version",
                (county_id, layer),
            ).fetchall()
        return [
            VersionRecord.from_dict(record).with_current(current=version == current)
            for version, record in rows
        ]

    # --- writing --------------------------------------------------------------------------
    def import_workspace(self, folder: str | Path, county_id: str | None = None) -> str:
        """Load a folder workspace as version 0 of every layer (replacing a county of that id)."""
        from gis.io import POPULATION_NAME, list_layers, read_layer, read_metadata

        folder = Path(folder)
        metadata = read_metadata(folder)
        county_id = county_id or folder.name
        metadata["county_id"] = county_id
        with self._connect() as conn, conn.transaction():
            conn.execute(
                f"SELECT 1 FROM {SCHEMA}.counties WHERE county_id = %s FOR UPDATE", (county_id,)
            )
            conn.execute(f"DELETE FROM {SCHEMA}.current_layers WHERE county_id = %s", (county_id,))
            conn.execute(f"DELETE FROM {SCHEMA}.counties WHERE county_id = %s", (county_id,))
            conn.execute(
                f"INSERT INTO {SCHEMA}.counties (county_id, metadata) VALUES (%s, %s)",
                (county_id, _jsonb(metadata)),
            )
            for name in list_layers(folder):
                gdf = read_layer(folder, name)
                entry = get_layer_entry(metadata, name)
                record = initial_version_record(name, metadata, entry, len(gdf))
                self._insert_vector(conn, county_id, name, 0, record, gdf)
                self._set_current(conn, county_id, name, 0)
            tif = folder / POPULATION_NAME
            if tif.is_file():
                data = tif.read_bytes()
                record = replace(
                    initial_version_record(
                        RASTER_LAYER, metadata, get_layer_entry(metadata, RASTER_LAYER), None
                    ),
                    data_sha256=hashlib.sha256(data).hexdigest(),
                )
                self._insert_raster(conn, county_id, 0, record, data)
                self._set_current(conn, county_id, RASTER_LAYER, 0)
        return county_id

    def _insert_vector(
        self,
        conn: Any,
        county_id: str,
        layer: str,
        version: int,
        record: VersionRecord,
        gdf: gpd.GeoDataFrame,
    ) -> None:
        gdf = gdf.to_crs(STORAGE_SRID) if gdf.crs is not None else gdf.set_crs(STORAGE_SRID)
        conn.execute(
            f"INSERT INTO {SCHEMA}.layer_versions (county_id, layer, version, record, columns) "
            "VALUES (%s, %s, %s, %s, %s)",
            (county_id, layer, version, _jsonb(record.to_dict()), _jsonb(_columns_of(gdf))),
        )
        names = [c for c in gdf.columns if c != gdf.geometry.name]
        geoms = shapely.set_srid(np.asarray(gdf.geometry.values, dtype=object), STORAGE_SRID)
        ewkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
        columns = {n: gdf[n].tolist() for n in names}
        sql = (
            f"COPY {SCHEMA}.features (county_id, layer, version, fid, properties, geom) FROM STDIN"
        )
        with conn.cursor() as cur, cur.copy(sql) as copy:
            for fid in range(len(gdf)):
                props = {n: _json_value(columns[n][fid]) for n in names}
                copy.write_row(
                    (
                        county_id,
                        layer,
                        version,
                        fid,
                        json.dumps(props, ensure_ascii=False),
                        ewkb[fid],
                    )
                )

    def _insert_raster(
        self, conn: Any, county_id: str, version: int, record: VersionRecord, data: bytes
    ) -> None:
        conn.execute(
            f"INSERT INTO {SCHEMA}.layer_versions (county_id, layer, version, record) "
            "VALUES (%s, %s, %s, %s)",
            (county_id, RASTER_LAYER, version, _jsonb(record.to_dict())),
        )
        conn.execute(
            f"INSERT INTO {SCHEMA}.rasters (county_id, layer, version, data) "
            "VALUES (%s, %s, %s, %s)",
            (county_id, RASTER_LAYER, version, data),
        )

    def _set_current(self, conn: Any, county_id: str, layer: str, version: int) -> None:
        conn.execute(
            f"INSERT INTO {SCHEMA}.current_layers (county_id, layer, version) VALUES (%s, %s, %s) "
            "ON CONFLICT (county_id, layer) DO UPDATE SET version = EXCLUDED.version",
            (county_id, layer, version),
        )

    def commit_version(
        self, county_id: str, new: NewVersion, *, hook: Hook | None = None
    ) -> VersionRecord:
        """Store ``new`` as the next version of its layer and make it current, in one transaction.

        ``hook`` is called with ``"version_written"`` inside the transaction (data and record
        inserted, not yet current), ``"gpkg_written"`` (current pointer and metadata updated,
        not yet committed) and ``"committed"`` after it; tests make it raise to check that a
        failed write leaves the previous version current.
        """
        hook = hook or (lambda stage: None)
        raster = Path(new.raster_path).read_bytes() if new.raster_path is not None else None
        with self._connect() as conn:
            with conn.transaction():
                conn.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout_s * 1000)}ms'")
                record = self._commit_in(conn, county_id, new, raster, hook)
            hook("committed")
        return record

    def _commit_in(
        self, conn: Any, county_id: str, new: NewVersion, raster: bytes | None, hook: Hook
    ) -> VersionRecord:
        metadata = self._metadata(conn, county_id, lock=True)  # writers of a county queue here
        (last,) = conn.execute(
            f"SELECT max(version) FROM {SCHEMA}.layer_versions WHERE county_id = %s AND layer = %s",
            (county_id, new.layer),
        ).fetchone()
        version = 1 if last is None else int(last) + 1  # as the folder store: uploads start at 1
        record = new_version_record(new, version)
        if new.action == "rollback" and new.rollback_of is not None:
            source = self._record(conn, county_id, new.layer, new.rollback_of)
            record = rolled_back_to_initial(record, source)  # back to the imported data (or a copy)
        if new.layer == RASTER_LAYER:
            if raster is None:
                msg = f"{new.layer}: a raster version needs raster_path"
                raise GisError(msg)
            record = replace(record, data_sha256=hashlib.sha256(raster).hexdigest())
            self._insert_raster(conn, county_id, version, record, raster)
        else:
            if new.gdf is None:
                msg = f"{new.layer}: a vector version needs gdf"
                raise GisError(msg)
            self._insert_vector(conn, county_id, new.layer, version, record, new.gdf)
        hook("version_written")
        self._set_current(conn, county_id, new.layer, version)
        previous = get_layer_entry(metadata, new.layer)
        set_layer_entry(metadata, new.layer, committed_layer_entry(record, previous))
        conn.execute(
            f"UPDATE {SCHEMA}.counties SET metadata = %s, revision = nextval('{SCHEMA}.revisions') "
            "WHERE county_id = %s",
            (_jsonb(metadata), county_id),
        )
        hook("gpkg_written")
        return record

    def commit_county_data(
        self, county_id: str, update: Mapping[str, Any], *, user: str
    ) -> dict[str, Any]:
        """Apply a validated county-data update (:mod:`gis.county_data`) in one transaction.

        Returns the version record (version, user, created, changed items).
        """
        with self._connect() as conn, conn.transaction():
            conn.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout_s * 1000)}ms'")
            metadata = self._metadata(conn, county_id, lock=True)
            data, record = county_data.merged(
                metadata.get(county_data.METADATA_KEY), update, user=user, now=county_data.now_iso()
            )
            metadata[county_data.METADATA_KEY] = data
            conn.execute(
                f"UPDATE {SCHEMA}.counties SET metadata = %s, "
                f"revision = nextval('{SCHEMA}.revisions') WHERE county_id = %s",
                (_jsonb(metadata), county_id),
            )
        return record

    def _record(self, conn: Any, county_id: str, layer: str, version: int) -> VersionRecord:
        row = conn.execute(
            f"SELECT record FROM {SCHEMA}.layer_versions WHERE county_id = %s AND layer = %s "
            "AND version = %s",
            (county_id, layer, version),
        ).fetchone()
        if row is None:
            msg = f"{layer}: no version {version}; see …/layers/{layer}/versions"
            raise NotFoundError(msg)
        return VersionRecord.from_dict(row[0])

    def rollback(
        self, county_id: str, layer: str, version: int, *, user: str, hook: Hook | None = None
    ) -> VersionRecord:
        """Commit a copy of ``version`` as the new current version (history stays linear)."""
        with self._snapshot() as conn:
            self._metadata(conn, county_id)
            current = self._current(conn, county_id, layer)
            if current is None or not 0 <= version <= current:
                msg = (
                    f"{layer}: no version {version} to roll back to (current is {current}); "
                    f"see …/layers/{layer}/versions"
                )
                raise NotFoundError(msg)
            source = self._record(conn, county_id, layer, version)
            if layer == RASTER_LAYER:
                gdf, raster_bytes = None, self._raster(conn, county_id, version)
            else:
                gdf, raster_bytes = self._read(conn, county_id, layer, version), None
        with tempfile.TemporaryDirectory(prefix="gis-rollback-") as tmp:
            raster_path = None
            if raster_bytes is not None:
                raster_path = Path(tmp) / "population.tif"
                raster_path.write_bytes(raster_bytes)
            new = rollback_version(source, layer, user, version, gdf, raster_path)
            return self.commit_version(county_id, new, hook=hook)


def _jsonb(value: Any) -> Any:
    """A JSON parameter (type ``json``: the document's text as written, keys in order)."""
    from psycopg.types.json import Json

    return Json(value)
