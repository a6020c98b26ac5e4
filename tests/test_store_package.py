"""gis/store/: no backend imports the other, every module imports alone, and version records
read and write the stored JSON documents unchanged."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gis.store import VersionRecord

ROOT = Path(__file__).resolve().parent.parent
STORE = ROOT / "gis" / "store"
BACKENDS = {"gis.store.geopackage", "gis.store.postgis"}
SHARED = {"gis.store.base", "gis.store.records", "gis.store.files", "gis.store.query"}

# Documents as the store writes them (folder files and PostGIS rows), keys in stored order.
UPLOAD = {
    "version": 1,
    "layer": "parks",
    "action": "upload",
    "rollback_of": None,
    "user": "alice",
    "created": "2026-12-02T10:00:00+00:00",
    "original_name": "parks.zip",
    "sha256": "ab" * 32,
    "feature_count": 3,
    "report": {"tag": "a"},
    "provenance": "uploaded",
    "data_sha256": "cd" * 32,
}
ENTRY = {"count": 1, "provenance": "osm", "method": "leisure=park"}
INITIAL = {
    "version": 0,
    "layer": "parks",
    "action": "initial",
    "user": "ingest",
    "created": "2026-12-01",
    "original_name": "",
    "provenance": "osm",
    "feature_count": 1,
    "sha256": "",
    "report": {},
    "metadata_entry": ENTRY,
    "data_sha256": "ef" * 32,
}
ROLLBACK_TO_INITIAL = {
    **UPLOAD,
    "version": 2,
    "action": "rollback",
    "rollback_of": 0,
    "provenance": "osm",
    "metadata_entry": ENTRY,
}
POSTGIS_VECTOR = {k: v for k, v in UPLOAD.items() if k != "data_sha256"}
RASTER_INITIAL = {**INITIAL, "layer": "population", "feature_count": None}


def _store_imports(path: Path) -> set[str]:
    """The gis.store modules a file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gis.store"):
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gis.store")}
    return found


def test_backends_import_only_the_shared_modules() -> None:
    for backend in BACKENDS:
        path = STORE / f"{backend.rsplit('.', 1)[1]}.py"
        assert _store_imports(path) <= SHARED, backend
    for shared in SHARED:
        path = STORE / f"{shared.rsplit('.', 1)[1]}.py"
        assert not _store_imports(path) & (BACKENDS | {"gis.store"}), shared
    assert not (ROOT / "gis" / "store.py").exists()
    assert not (ROOT / "gis" / "store_postgis.py").exists()


@pytest.mark.parametrize("module", sorted(BACKENDS | SHARED | {"gis.store", "api.cache"}))
def test_each_module_imports_alone(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "document",
    [UPLOAD, INITIAL, ROLLBACK_TO_INITIAL, POSTGIS_VECTOR, RASTER_INITIAL],
    ids=["upload", "initial", "rollback-to-initial", "postgis-vector", "raster-initial"],
)
def test_records_write_back_the_stored_document_byte_for_byte(document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2)
    record = VersionRecord.from_dict(json.loads(text))
    assert json.dumps(record.to_dict(), ensure_ascii=False, indent=2) == text
    assert dict(record) == document and record["version"] == record.version


def test_history_records_unknown_keys_and_current() -> None:
    record = VersionRecord.from_dict({**UPLOAD, "note": "kept"}).with_current(current=True)
    assert list(record.to_dict())[-2:] == ["note", "current"]
    assert record.current is True and record["note"] == "kept"
    assert record == {**UPLOAD, "note": "kept", "current": True}
