"""What every store backend shares: the interface, its errors and the county id rule.

Each backend module (:mod:`gis.store.geopackage`, :mod:`gis.store.postgis`) imports this
module and :mod:`gis.store.records`, never the other backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from gis.errors import GisError

if TYPE_CHECKING:
    import geopandas as gpd

    from gis.store.query import FeaturePage, FeatureQuery
    from gis.store.records import NewVersion, VersionRecord
    from gis.workspace import Workspace

__all__ = [
    "COUNTY_ID_RE",
    "DatabaseError",
    "Hook",
    "StoreBusyError",
    "WorkspaceStore",
    "database_url_problem",
]

COUNTY_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")

# Called with "version_written", "gpkg_written" and "committed" while a version is written.
Hook = Callable[[str], None]


class StoreBusyError(GisError):
    """Another upload to this workspace holds the lock for too long."""

    status = 503
    code = "store_busy"


class DatabaseError(GisError):
    """The database cannot be reached or refused an operation."""

    status = 503
    code = "database_error"


class WorkspaceStore(Protocol):
    """What both backends offer.

    :class:`gis.store.GeoPackageStore` (folders) and :class:`gis.store.postgis.PostgisStore`
    (``DATABASE_URL``).

    Reading: ``county_ids``, ``location``, ``version_token``, ``read_metadata``,
    ``list_layers``, ``read_layer``, ``read_layer_page`` (a bbox, date range and page through the
    spatial index, :mod:`gis.store.query`), ``read_population_bytes``, ``read_workspace``.
    Versions: ``current_version``, ``history``, ``read_version``, ``read_raster_version``,
    ``commit_version``,
    ``rollback``; ``commit_county_data`` (the figures and checklist staff enter, kept in the
    metadata with a version record, :mod:`gis.county_data`).  ``close`` releases connections
    (nothing for folders).
    """

    kind: str

    def county_ids(self) -> list[str]: ...
    def location(self, county_id: str) -> str: ...
    def version_token(self, county_id: str) -> str: ...
    def read_metadata(self, county_id: str) -> dict[str, Any]: ...
    def list_layers(self, county_id: str) -> list[str]: ...
    def read_layer(self, county_id: str, name: str) -> gpd.GeoDataFrame: ...
    def read_layer_page(self, county_id: str, name: str, query: FeatureQuery) -> FeaturePage: ...
    def read_population_bytes(self, county_id: str) -> bytes | None: ...
    def read_workspace(self, county_id: str) -> Workspace: ...
    def current_version(self, county_id: str, layer: str) -> int | None: ...
    def history(self, county_id: str, layer: str) -> list[VersionRecord]: ...
    def read_version(self, county_id: str, layer: str, version: int) -> gpd.GeoDataFrame: ...
    def read_raster_version(self, county_id: str, version: int) -> bytes: ...
    def commit_version(
        self, county_id: str, new: NewVersion, *, hook: Hook | None = None
    ) -> VersionRecord: ...
    def rollback(
        self, county_id: str, layer: str, version: int, *, user: str, hook: Hook | None = None
    ) -> VersionRecord: ...
    def commit_county_data(
        self, county_id: str, update: Mapping[str, Any], *, user: str
    ) -> dict[str, Any]: ...
    def close(self) -> None: ...


def database_url_problem(database_url: str) -> str:
    """Why ``database_url`` is not a PostgreSQL URL, or ``""`` when it is one.

    >>> database_url_problem("postgresql://gis@127.0.0.1:5432/gis")
    ''
    >>> database_url_problem("mysql://x")
    "DATABASE_URL='mysql://x': expected postgresql://user@host[:port]/dbname"
    """
    if database_url.startswith(("postgresql://", "postgres://")) or "=" in database_url:
        return ""
    return f"DATABASE_URL={database_url!r}: expected postgresql://user@host[:port]/dbname"
