"""A county workspace as it was at an earlier moment (for "changes since a version or date").

Every layer keeps its versions (``versions/<layer>/vNNNN.*`` or ``gis.layer_versions``), each
with the time it was committed.  The workspace at a moment ``when`` is, layer by layer, the
latest version committed at or before ``when`` (version 0, the ingested data, dates from the
workspace's ``created``); a layer first uploaded after ``when`` is left out.

``since`` is given as a date (``2026-03-01``: the start of that day, UTC), a date and time
(``2026-03-01T08:30:00+08:00``; without a zone, UTC) or a layer version (``parks:2``: the
moment version 2 of ``parks`` was committed).

Limits: the staff-entered county figures (:mod:`gis.county_data`, registered cars, water
supply, …) keep only a short history of changes in metadata.json, so they are taken as they
are now; only the layers and the population raster go back in time.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.errors import GisError
from gis.store.records import (
    RASTER_LAYER,
    VersionRecord,
    committed_layer_entry,
    get_layer_entry,
    initial_version_record,
    set_layer_entry,
)
from gis.workspace import REQUIRED_LAYERS, Workspace

if TYPE_CHECKING:
    from gis.store.base import WorkspaceStore

__all__ = [
    "SinceError",
    "WorkspaceAt",
    "parse_since",
    "read_workspace_at",
    "resolve_since",
    "versions_at",
]

_LAYER_VERSION_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,62}):v?(\d{1,6})$")


class SinceError(GisError):
    """``since`` cannot be read or names no moment of the workspace's history."""

    status = 422
    code = "invalid_since"


@dataclass(frozen=True)
class WorkspaceAt:
    """The workspace at ``when``: its layers, and which version of each was in force."""

    workspace: Workspace
    when: datetime
    versions: dict[str, int | None]
    current_versions: dict[str, int | None]
    changed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """What the API tells about the earlier state."""
        return {
            "when": self.when.isoformat(timespec="seconds"),
            "layers_changed": [
                {"layer": name, "version_then": self.versions[name], "version_now": v}
                for name, v in self.current_versions.items()
                if name in self.changed
            ],
        }


def parse_since(text: str) -> datetime | tuple[str, int]:
    """A moment (aware, UTC when no zone is given) or a ``(layer, version)``.

    >>> parse_since("2026-03-01")
    datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_since("parks:2"), parse_since("population:v0")
    (('parks', 2), ('population', 0))
    >>> parse_since("last week")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis.store.snapshot.SinceError: since='last week': expected a date (2026-03-01), ...
    """
    text = text.strip()
    match = _LAYER_VERSION_RE.match(text)
    if match:
        return match.group(1), int(match.group(2))
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = (
            f"since={text!r}: expected a date (2026-03-01), a date and time "
            "(2026-03-01T08:30:00+08:00) or a layer version (parks:2)"
        )
        raise SinceError(msg) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _created(record: VersionRecord, fallback: str) -> datetime | None:
    raw = record.created or fallback
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def versions_at(
    histories: Mapping[str, Sequence[VersionRecord]], when: datetime, created: str
) -> dict[str, int | None]:
    """Layer → the version in force at ``when`` (``None``: the layer did not exist yet).

    ``histories`` holds each layer's records, oldest first; a layer with no record has only
    its ingested data (version 0, dated ``created``, the workspace's creation).

    >>> rec = lambda v, t: VersionRecord(v, "parks", "upload", "u", t, "", "", 1, {}, "uploaded")
    >>> h = {"parks": [rec(0, ""), rec(1, "2026-02-01T00:00:00+00:00")], "roads": []}
    >>> at = lambda s: versions_at(h, datetime.fromisoformat(s), "2026-01-01T00:00:00+00:00")
    >>> at("2026-01-15T00:00:00+00:00"), at("2026-02-01T00:00:00+00:00")
    ({'parks': 0, 'roads': 0}, {'parks': 1, 'roads': 0})
    """
    born = _created(VersionRecord(0, "", "", "", created, "", "", None, {}, ""), "")
    out: dict[str, int | None] = {}
    for layer, records in histories.items():
        if not records:
            out[layer] = 0 if born is None or born <= when else None
            continue
        chosen = None
        for record in records:
            moment = _created(record, created)
            if moment is not None and moment <= when:
                chosen = record.version
        out[layer] = chosen
    return out


def resolve_since(store: WorkspaceStore, county_id: str, since: str) -> datetime:
    """The moment ``since`` names (:func:`parse_since`); a layer version gives its commit time."""
    parsed = parse_since(since)
    if isinstance(parsed, datetime):
        return parsed
    layer, version = parsed
    records = {r.version: r for r in store.history(county_id, layer)}
    meta = store.read_metadata(county_id)
    if not records and version == 0 and store.current_version(county_id, layer) == 0:
        records[0] = initial_version_record(layer, meta, {}, None)  # never uploaded: as ingested
    if version not in records:
        known = ", ".join(str(v) for v in sorted(records)) or "none"
        msg = f"since={since!r}: layer {layer!r} has no version {version} (versions: {known})"
        raise SinceError(msg)
    meta_created = str(meta.get("created") or "")
    moment = _created(records[version], meta_created)
    if moment is None:
        msg = f"since={since!r}: that version has no commit time"
        raise SinceError(msg)
    return moment


def read_workspace_at(store: WorkspaceStore, county_id: str, when: datetime) -> WorkspaceAt:
    """The county's workspace as it was at ``when`` (see the module docstring).

    Raises :class:`SinceError` when ``when`` is before the workspace was created or a required
    layer did not exist yet.
    """
    now = store.read_workspace(county_id)
    created = str(now.metadata.get("created") or "")
    layers = [*now.layers, *([RASTER_LAYER] if now.population is not None else [])]
    histories = {name: store.history(county_id, name) for name in layers}
    versions = versions_at(histories, when, created)
    current: dict[str, int | None] = {
        name: (records[-1].version if records else 0) for name, records in histories.items()
    }
    born = _created(VersionRecord(0, "", "", "", created, "", "", None, {}, ""), "")
    if born is not None and when < born:
        msg = (
            f"the workspace of {county_id} was created at {born.isoformat(timespec='seconds')}; "
            f"there is nothing before it (since {when.isoformat(timespec='seconds')})"
        )
        raise SinceError(msg)
    missing = [n for n in REQUIRED_LAYERS if versions.get(n) is None]
    if missing:
        msg = f"at {when.isoformat(timespec='seconds')} the workspace had no layers {missing}"
        raise SinceError(msg)
    changed = [n for n in layers if versions[n] != current[n]]
    ws = _rebuild(store, county_id, now, histories, versions, changed)
    return WorkspaceAt(ws, when, versions, current, changed)


def _rebuild(
    store: WorkspaceStore,
    county_id: str,
    now: Workspace,
    histories: Mapping[str, Sequence[VersionRecord]],
    versions: Mapping[str, int | None],
    changed: Sequence[str],
) -> Workspace:
    metadata = {**now.metadata, "layers": dict(now.metadata.get("layers") or {})}
    layers = dict(now.layers)
    population = now.population
    for name in changed:
        version = versions[name]
        initial = next((r for r in histories[name] if r.version == 0), None)
        base_entry = (initial.metadata_entry if initial else None) or get_layer_entry(
            now.metadata, name
        )
        if version is None:
            layers.pop(name, None)
            metadata["layers"].pop(name, None)
            continue
        record = next(r for r in histories[name] if r.version == version)
        entry = (
            dict(base_entry)
            if record.action == "initial"
            else committed_layer_entry(record, base_entry)
        )
        set_layer_entry(metadata, name, entry)
        if name == RASTER_LAYER:
            population = _population(store.read_raster_version(county_id, version), now)
        else:
            layers[name] = store.read_version(county_id, name, version)
    return Workspace(layers, metadata, population, now.path, now.metric_crs)


def _population(tif: bytes, now: Workspace) -> Any:
    from gis.io import read_population_cells

    with tempfile.TemporaryDirectory(prefix="gis-pop-at-") as tmp:
        path = Path(tmp) / "population.tif"
        path.write_bytes(tif)
        return read_population_cells(path, now.metric_crs)
