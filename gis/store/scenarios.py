"""Saved what-if scenarios (情景模拟): one JSON document per scenario, per county.

A scenario never changes a county's layers, so it is not a version of the workspace: it is
kept beside the workspaces, in ``<root>/<county_id>/<scenario_id>.json`` (written atomically,
:func:`gis.store.files.write_json_atomic`), whichever backend stores the layers.
:class:`ScenarioRecord` is the document, read and written like the store's version records
(:mod:`gis.store.records`): known keys as fields, unknown keys kept and written back.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gis.errors import NotFoundError
from gis.store.base import COUNTY_ID_RE
from gis.store.files import write_json_atomic

SCENARIO_ID_RE = re.compile(r"^S-[0-9a-f]{12}$")
_KNOWN = frozenset(
    ("scenario_id", "county_id", "name", "author", "created", "updated", "edits", "results")
)


@dataclass(frozen=True)
class ScenarioRecord:
    """One saved scenario: name, author, times, its edits (JSON objects) and last results.

    >>> r = ScenarioRecord.from_dict({"scenario_id": "S-0123456789ab", "county_id": "c",
    ...     "name": "新体育场", "author": "alice", "created": "2026-01-01T00:00:00+00:00",
    ...     "updated": "2026-01-01T00:00:00+00:00", "edits": [], "results": None, "x": 1})
    >>> r.name, r.extra, list(r.to_dict())[-1]
    ('新体育场', {'x': 1}, 'x')
    """

    scenario_id: str
    county_id: str
    name: str
    author: str
    created: str
    updated: str
    edits: list[dict[str, Any]]
    results: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioRecord:
        """The record of a stored document."""
        return cls(
            scenario_id=str(data["scenario_id"]),
            county_id=str(data.get("county_id", "")),
            name=str(data.get("name", "")),
            author=str(data.get("author", "")),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
            edits=list(data.get("edits") or []),
            results=data.get("results"),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "scenario_id": self.scenario_id,
            "county_id": self.county_id,
            "name": self.name,
            "author": self.author,
            "created": self.created,
            "updated": self.updated,
            "edits": self.edits,
            "results": self.results,
            **self.extra,
        }

    def summary(self) -> dict[str, Any]:
        """The list entry: everything but the edits and results, plus their headline figures."""
        grade = (self.results or {}).get("grade") or {}
        return {
            "scenario_id": self.scenario_id,
            "county_id": self.county_id,
            "name": self.name,
            "author": self.author,
            "created": self.created,
            "updated": self.updated,
            "edit_count": len(self.edits),
            "grade_before": grade.get("before"),
            "grade_after": grade.get("after"),
            "score_before": grade.get("score_before"),
            "score_after": grade.get("score_after"),
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ScenarioFiles:
    """Scenarios under ``root``: list, read, create, update, delete (thread-safe per process)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    def _folder(self, county_id: str) -> Path:
        if not COUNTY_ID_RE.match(county_id):
            msg = f"no county {county_id!r}"
            raise NotFoundError(msg)
        return self.root / county_id

    def _path(self, county_id: str, scenario_id: str) -> Path:
        if not SCENARIO_ID_RE.match(scenario_id):
            msg = f"本县没有该情景 | no scenario {scenario_id!r} in {county_id}"
            raise NotFoundError(msg)
        return self._folder(county_id) / f"{scenario_id}.json"

    def records(self, county_id: str) -> list[ScenarioRecord]:
        """The county's scenarios, newest change first."""
        folder = self._folder(county_id)
        records = [ScenarioRecord.from_dict(doc) for doc in self._documents(folder)]
        return sorted(records, key=lambda r: (r.updated, r.scenario_id), reverse=True)

    @staticmethod
    def _documents(folder: Path) -> Iterator[dict[str, Any]]:
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("S-*.json")):
            if SCENARIO_ID_RE.match(path.stem):
                yield json.loads(path.read_text(encoding="utf-8"))

    def get(self, county_id: str, scenario_id: str) -> ScenarioRecord:
        """One scenario; :class:`NotFoundError` when there is none."""
        path = self._path(county_id, scenario_id)
        if not path.is_file():
            msg = f"本县没有该情景 | no scenario {scenario_id!r} in {county_id}"
            raise NotFoundError(msg)
        return ScenarioRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def create(
        self,
        county_id: str,
        *,
        name: str,
        author: str,
        edits: list[dict[str, Any]],
        results: dict[str, Any] | None,
    ) -> ScenarioRecord:
        """Save a new scenario with a fresh id."""
        now = _now()
        self._folder(county_id).mkdir(parents=True, exist_ok=True)
        with self._lock:
            while True:
                scenario_id = f"S-{secrets.token_hex(6)}"
                if not self._path(county_id, scenario_id).exists():
                    break
            record = ScenarioRecord(scenario_id, county_id, name, author, now, now, edits, results)
            write_json_atomic(self._path(county_id, scenario_id), record.to_dict())
        return record

    def update(self, record: ScenarioRecord, **changes: Any) -> ScenarioRecord:
        """Save ``record`` with ``changes`` (name, edits, results) and a new ``updated`` time."""
        new = replace(record, **changes, updated=_now())
        with self._lock:
            write_json_atomic(self._path(record.county_id, record.scenario_id), new.to_dict())
        return new

    def delete(self, county_id: str, scenario_id: str) -> None:
        """Remove one scenario (:class:`NotFoundError` when there is none)."""
        path = self._path(county_id, scenario_id)
        with self._lock:
            if not path.is_file():
                msg = f"本县没有该情景 | no scenario {scenario_id!r} in {county_id}"
                raise NotFoundError(msg)
            path.unlink()
