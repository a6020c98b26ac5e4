"""The versioned county workspace store: one interface, two backends.

- :mod:`gis.store.base`: the interface :class:`WorkspaceStore`, its errors, the county id rule;
- :mod:`gis.store.records`: :class:`NewVersion` (what to commit) and :class:`VersionRecord`
  (what was committed, as ``vNNNN.json`` and ``gis.layer_versions.record`` hold it);
- :mod:`gis.store.files`: atomic writes and digests;
- :mod:`gis.store.geopackage`: the embedded default, one folder per county (docs/uploads.md);
- :mod:`gis.store.postgis`: PostgreSQL + PostGIS (``DATABASE_URL``, docs/province.md).

Each backend imports ``base``, ``records`` and ``files``, never the other backend.
:func:`open_store` picks one; the web app, the uploads and the batch talk to the interface.
"""

from __future__ import annotations

from pathlib import Path

from gis.errors import GisError
from gis.store.base import (
    COUNTY_ID_RE,
    DatabaseError,
    Hook,
    StoreBusyError,
    WorkspaceStore,
    database_url_problem,
)
from gis.store.files import write_bytes_atomic, write_json_atomic
from gis.store.geopackage import (
    GeoPackageStore,
    commit_version,
    current_version,
    history,
    read_version,
    recover,
    rollback,
    workspace_lock,
)
from gis.store.records import RASTER_LAYER, NewVersion, VersionRecord

__all__ = [
    "COUNTY_ID_RE",
    "RASTER_LAYER",
    "DatabaseError",
    "GeoPackageStore",
    "Hook",
    "NewVersion",
    "StoreBusyError",
    "VersionRecord",
    "WorkspaceStore",
    "commit_version",
    "current_version",
    "database_url_problem",
    "history",
    "open_store",
    "read_version",
    "recover",
    "rollback",
    "workspace_lock",
    "write_bytes_atomic",
    "write_json_atomic",
]


def open_store(database_url: str | None, workspaces_dir: str | Path) -> WorkspaceStore:
    """The PostGIS store when ``database_url`` is set, else the GeoPackage folders.

    >>> open_store(None, "instance/workspaces").kind
    'gpkg'
    >>> open_store("postgresql://gis@127.0.0.1/gis", "unused").kind
    'postgis'
    """
    if database_url:
        problem = database_url_problem(database_url)
        if problem:
            raise GisError(problem)
        from gis.store.postgis import PostgisStore  # loaded only when chosen

        return PostgisStore(database_url)
    return GeoPackageStore(workspaces_dir)
