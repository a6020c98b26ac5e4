"""gis.store.snapshot on both backends: the workspace as it was before a parks upload."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gis.store.snapshot import SinceError, read_workspace_at, resolve_since
from tests.province.test_store_backends import _parks_version, store_and_id  # noqa: F401


def test_workspace_before_and_after_an_upload(
    store_and_id: Any,  # noqa: F811
    demo_workspace_dir: Path,
) -> None:
    store, cid = store_and_id
    original = store.read_layer(cid, "parks")
    provenance = store.read_metadata(cid)["layers"]["parks"]["provenance"]
    # the raster was never uploaded: its version 0 is the ingested file, byte for byte
    tif = (demo_workspace_dir / "population.tif").read_bytes()
    assert store.read_raster_version(cid, 0) == tif
    created = resolve_since(store, cid, "parks:0")  # never uploaded yet: the workspace's creation
    assert created == datetime.fromisoformat(store.read_metadata(cid)["created"])
    time.sleep(1.1)  # version times are whole seconds
    store.commit_version(cid, _parks_version(original.iloc[:3]))
    uploaded = resolve_since(store, cid, "parks:1")
    assert uploaded > created

    before = read_workspace_at(store, cid, created)
    assert before.changed == ["parks"]
    assert before.versions["parks"] == 0 and before.current_versions["parks"] == 1
    assert len(before.workspace.layers["parks"]) == len(original)
    assert before.workspace.metadata["layers"]["parks"]["provenance"] == provenance
    now = store.read_workspace(cid)
    assert len(now.layers["parks"]) == 3
    assert before.workspace.population is not None and now.population is not None
    assert before.workspace.population.total == now.population.total
    assert before.to_dict()["layers_changed"] == [
        {"layer": "parks", "version_then": 0, "version_now": 1}
    ]

    after = read_workspace_at(store, cid, uploaded)
    assert after.changed == [] and len(after.workspace.layers["parks"]) == 3

    with pytest.raises(SinceError, match="was created at"):
        read_workspace_at(store, cid, created - timedelta(days=1))
    with pytest.raises(SinceError, match="has no version 5"):
        resolve_since(store, cid, "parks:5")
    assert resolve_since(store, cid, "2030-01-02T03:04:05") == datetime(
        2030, 1, 2, 3, 4, 5, tzinfo=UTC
    )
