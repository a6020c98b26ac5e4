"""Version records: what to commit and what was committed.

:class:`NewVersion` (to commit), :class:`VersionRecord` (committed), and the metadata entry a
committed version leaves.

Both backends build their records here, so a version looks the same in
``versions/<layer>/vNNNN.json`` (folders) and in ``gis.layer_versions.record`` (PostGIS).
:meth:`VersionRecord.to_dict` gives the JSON document with the keys in the order the store has
always written them; :meth:`VersionRecord.from_dict` reads any stored document (keys it does not
know are kept and written back).  A record also reads like that document (``record["version"]``)
so templates and older callers keep working.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "RASTER_LAYER",
    "NewVersion",
    "VersionRecord",
    "committed_layer_entry",
    "get_layer_entry",
    "initial_version_record",
    "new_version_record",
    "rollback_version",
    "rolled_back_to_initial",
    "set_layer_entry",
]

RASTER_LAYER = "population"  # the one raster layer; every other layer is vector

_KNOWN = frozenset(
    (
        "version",
        "layer",
        "action",
        "rollback_of",
        "user",
        "created",
        "original_name",
        "sha256",
        "feature_count",
        "report",
        "provenance",
        "data_sha256",
        "metadata_entry",
        "current",
    )
)


@dataclass(frozen=True)
class NewVersion:
    """What to commit: vector data (EPSG:4326) or a raster file, and its provenance."""

    layer: str
    user: str
    original_name: str
    sha256: str
    feature_count: int
    report: dict[str, Any]
    gdf: gpd.GeoDataFrame | None = None
    raster_path: Path | None = None
    action: str = "upload"
    rollback_of: int | None = None


@dataclass(frozen=True, eq=False)
class VersionRecord(Mapping[str, Any]):
    """One committed version of a layer: who, when, which file, its report.

    ``action`` is ``initial`` (version 0, as ingest or an import left the layer), ``upload`` or
    ``rollback`` (a copy of version ``rollback_of``).  ``data_sha256`` is the stored data's
    digest (absent for PostGIS vector versions), ``metadata_entry`` the layer's metadata entry
    as ingested (version 0, and rollbacks to it), ``current`` is set only in a history.

    >>> r = VersionRecord.from_dict({"version": 1, "layer": "parks", "action": "upload",
    ...     "rollback_of": None, "user": "alice", "created": "2026-01-01T00:00:00+00:00",
    ...     "original_name": "p.zip", "sha256": "ab", "feature_count": 3, "report": {},
    ...     "provenance": "uploaded", "data_sha256": "cd"})
    >>> r.version, r["user"], list(r.to_dict())[-1]
    (1, 'alice', 'data_sha256')
    """

    version: int
    layer: str
    action: str
    user: str
    created: str
    original_name: str
    sha256: str
    feature_count: int | None
    report: dict[str, Any]
    provenance: str
    rollback_of: int | None = None
    data_sha256: str | None = None
    metadata_entry: dict[str, Any] | None = None
    current: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # stored keys this code does not know

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VersionRecord:
        """The record of a stored JSON document (``vNNNN.json`` or a ``layer_versions`` row)."""
        return cls(
            version=int(data["version"]),
            layer=str(data.get("layer", "")),
            action=str(data.get("action", "")),
            user=str(data.get("user", "")),
            created=str(data.get("created", "")),
            original_name=str(data.get("original_name", "")),
            sha256=str(data.get("sha256", "")),
            feature_count=data.get("feature_count"),
            report=dict(data.get("report") or {}),
            provenance=str(data.get("provenance", "unknown")),
            rollback_of=data.get("rollback_of"),
            data_sha256=data.get("data_sha256"),
            metadata_entry=data.get("metadata_entry"),
            current=data.get("current"),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, keys in the order the store writes them."""
        if self.action == "initial":
            out: dict[str, Any] = {
                "version": self.version,
                "layer": self.layer,
                "action": self.action,
                "user": self.user,
                "created": self.created,
                "original_name": self.original_name,
                "provenance": self.provenance,
                "feature_count": self.feature_count,
                "sha256": self.sha256,
                "report": self.report,
            }
            if self.rollback_of is not None:
                out["rollback_of"] = self.rollback_of
            if self.metadata_entry is not None:
                out["metadata_entry"] = self.metadata_entry
            if self.data_sha256 is not None:
                out["data_sha256"] = self.data_sha256
        else:
            out = {
                "version": self.version,
                "layer": self.layer,
                "action": self.action,
                "rollback_of": self.rollback_of,
                "user": self.user,
                "created": self.created,
                "original_name": self.original_name,
                "sha256": self.sha256,
                "feature_count": self.feature_count,
                "report": self.report,
                "provenance": self.provenance,
            }
            if self.data_sha256 is not None:
                out["data_sha256"] = self.data_sha256
            if self.metadata_entry is not None:
                out["metadata_entry"] = self.metadata_entry
        out.update(self.extra)
        if self.current is not None:
            out["current"] = self.current
        return out

    def with_current(self, *, current: bool) -> VersionRecord:
        """The record as a history shows it (``current`` set)."""
        return replace(self, current=current)

    # --- read like the JSON document ----------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_version_record(new: NewVersion, version: int) -> VersionRecord:
    """The record of an uploaded (or rolled-back) version; both stores use it."""
    return VersionRecord(
        version=version,
        layer=new.layer,
        action=new.action,
        rollback_of=new.rollback_of,
        user=new.user,
        created=_now(),
        original_name=new.original_name,
        sha256=new.sha256,
        feature_count=new.feature_count,
        report=new.report,
        provenance="uploaded",
    )


def initial_version_record(
    layer: str, metadata: Mapping[str, Any], entry: dict[str, Any], count: int | None
) -> VersionRecord:
    """The version-0 record of a layer as ingest (or an import) left it; both stores use it."""
    return VersionRecord(
        version=0,
        layer=layer,
        action="initial",
        user="ingest",
        created=metadata.get("created", ""),
        original_name="",
        provenance=entry.get("provenance", "unknown"),
        feature_count=count,
        sha256="",
        report={},
        metadata_entry=entry,
    )


def rollback_version(
    source: VersionRecord,
    layer: str,
    user: str,
    version: int,
    gdf: gpd.GeoDataFrame | None,
    raster_path: Path | None,
) -> NewVersion:
    """A new version copying ``version`` (its record ``source``); both stores use it."""
    kept = ("population_total", "raster_crs")
    return NewVersion(
        layer=layer,
        user=user,
        original_name=source.original_name,
        sha256=source.sha256,
        feature_count=source.feature_count or (len(gdf) if gdf is not None else 0),
        report={"rollback_of": version, **{k: v for k, v in source.report.items() if k in kept}},
        gdf=gdf,
        raster_path=raster_path,
        action="rollback",
        rollback_of=version,
    )


def rolled_back_to_initial(record: VersionRecord, source: VersionRecord) -> VersionRecord:
    """``record`` (a rollback to ``source``) keeps the ingested provenance when ``source`` has it.

    A rollback to version 0 (or to a copy of it) restores the layer's metadata entry as ingested.
    """
    if not source.metadata_entry:
        return record
    return replace(record, metadata_entry=source.metadata_entry, provenance=source.provenance)


def committed_layer_entry(record: VersionRecord, previous: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata entry of a committed version (``upload`` names the version).

    ``previous`` is the layer's entry before the commit (the ingested attributes are kept).
    """
    upload = {
        "version": record.version,
        "user": record.user,
        "created": record.created,
        "original_name": record.original_name,
        "sha256": record.sha256,
        "action": record.action,
    }
    if record.metadata_entry:  # a rollback to the ingested data: provenance as it was
        return {**record.metadata_entry, "upload": upload}
    if record.layer == RASTER_LAYER:  # as ingest writes a supplied raster: its sum is the total
        total = record.report.get("population_total")
        return {
            "total": total,
            "urban_population": total,
            "provenance": "uploaded",
            "is_estimate": False,
            "method": f"population GeoTIFF uploaded by {record.user}: {record.original_name} "
            f"(version {record.version})",
            "crs": record.report.get("raster_crs", ""),
            "upload": upload,
        }
    base = {
        k: v for k, v in previous.items() if k not in ("provenance", "method", "count", "upload")
    }
    base.update(
        {
            "provenance": "uploaded",
            "method": f"uploaded by {record.user} from {record.original_name} "
            f"(version {record.version})",
            "upload": upload,
        }
    )
    base["count"] = record.feature_count
    return base


def set_layer_entry(metadata: dict[str, Any], layer: str, entry: dict[str, Any]) -> None:
    """Put ``entry`` where metadata.json keeps ``layer`` (``population`` or ``layers[layer]``)."""
    if layer == RASTER_LAYER:
        metadata["population"] = entry
    else:
        metadata.setdefault("layers", {})[layer] = entry


def get_layer_entry(metadata: Mapping[str, Any], layer: str) -> dict[str, Any]:
    """A copy of the metadata entry of ``layer`` (``{}`` when there is none)."""
    if layer == RASTER_LAYER:
        return dict(metadata.get("population", {}))
    return dict(metadata.get("layers", {}).get(layer, {}))
