"""The versioned store: history, rollback, atomic writes under exceptions and SIGKILL, and
ten concurrent writers (threads and processes) serialised by the workspace lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest

from gis.errors import NotFoundError
from gis.io import read_layer, read_metadata, read_workspace
from gis.store import (
    NewVersion,
    commit_version,
    current_version,
    history,
    read_version,
    recover,
    rollback,
)
from tests.helpers import stored_hash

ROOT = Path(__file__).resolve().parents[2]


_INGESTED_PARKS: dict[str, gpd.GeoDataFrame] = {}
"""Ingested parks read before the threads start or the processes fork: none then reads a layer
another is replacing (v0000.gpkg half written, or the current layer already cut to fewer parks)."""


def tagged_parks(ws: Path, tag: str, n: int) -> gpd.GeoDataFrame:
    """The first ``n`` ingested (real) parks of the workspace, every name set to ``tag``."""
    initial = ws / "versions" / "parks" / "v0000.gpkg"
    if str(ws) in _INGESTED_PARKS:
        parks = _INGESTED_PARKS[str(ws)]
    elif initial.is_file():
        parks = pyogrio.read_dataframe(initial, layer="parks")
    else:
        parks = read_layer(ws, "parks")
    parks = parks.iloc[:n].copy()
    parks["name"] = tag
    parks["osm_id"] = range(-1, -n - 1, -1)
    return parks


def new_version(ws: Path, tag: str, n: int, user: str = "alice") -> NewVersion:
    return NewVersion(
        layer="parks",
        user=user,
        original_name=f"{tag}.zip",
        sha256=tag * 4,
        feature_count=n,
        report={"tag": tag},
        gdf=tagged_parks(ws, tag, n),
    )


def test_versions_history_and_metadata(ws: Path, demo_workspace_dir: Path) -> None:
    ingested = read_layer(ws, "parks")
    assert current_version(ws, "parks") == 0
    assert history(ws, "parks") == []
    record = commit_version(ws, new_version(ws, "a", 3))
    assert record["version"] == 1 and current_version(ws, "parks") == 1
    commit_version(ws, new_version(ws, "b", 5, user="root"))
    versions = history(ws, "parks")
    assert [(v["version"], v["action"], v["user"], v["current"]) for v in versions] == [
        (0, "initial", "ingest", False),
        (1, "upload", "alice", False),
        (2, "upload", "root", True),
    ]
    assert versions[0]["feature_count"] == len(ingested)
    stored = read_layer(ws, "parks")
    assert len(stored) == 5 and set(stored["name"]) == {"b"}
    entry = read_metadata(ws)["layers"]["parks"]
    assert entry["provenance"] == "uploaded" and entry["count"] == 5
    assert entry["upload"]["version"] == 2 and entry["upload"]["original_name"] == "b.zip"
    assert set(read_version(ws, "parks", 1)["name"]) == {"a"}
    assert len(read_version(ws, "parks", 0)) == len(ingested)
    # the other layers are untouched
    assert read_layer(ws, "roads").equals(read_layer(demo_workspace_dir, "roads"))
    read_workspace(ws)  # the whole workspace still reads


def test_rollback_to_ingested_and_back(ws: Path) -> None:
    ingested = read_layer(ws, "parks")
    meta_before = read_metadata(ws)["layers"]["parks"]
    commit_version(ws, new_version(ws, "a", 3))
    record = rollback(ws, "parks", 0, user="root")
    assert record["version"] == 2 and record["action"] == "rollback" and record["rollback_of"] == 0
    restored = read_layer(ws, "parks")
    assert len(restored) == len(ingested)
    assert sorted(restored["osm_id"]) == sorted(ingested["osm_id"])
    entry = read_metadata(ws)["layers"]["parks"]
    assert entry["provenance"] == meta_before["provenance"] == "osm"
    assert entry["upload"]["version"] == 2
    rollback(ws, "parks", 1, user="root")
    assert set(read_layer(ws, "parks")["name"]) == {"a"}
    assert read_metadata(ws)["layers"]["parks"]["provenance"] == "uploaded"
    rollback(ws, "parks", 2, user="root")  # a rollback of a rollback of the ingested data
    assert read_metadata(ws)["layers"]["parks"]["provenance"] == "osm"
    with pytest.raises(NotFoundError):
        rollback(ws, "parks", 9, user="root")


def test_new_optional_layer_has_no_version_zero(ws: Path) -> None:
    projects = tagged_parks(ws, "p", 2)[["geometry"]].assign(name=["x", "y"])
    commit_version(
        ws,
        NewVersion(
            layer="projects",
            user="alice",
            original_name="p.geojson",
            sha256="0",
            feature_count=2,
            report={},
            gdf=projects,
        ),
    )
    assert [v["version"] for v in history(ws, "projects")] == [1]
    assert read_metadata(ws)["layers"]["projects"]["provenance"] == "uploaded"


@pytest.mark.parametrize("stage", ["version_written", "gpkg_written"])
def test_exception_mid_write_leaves_previous_version(ws: Path, stage: str) -> None:
    commit_version(ws, new_version(ws, "a", 3))
    before = stored_hash(ws)
    history_before = history(ws, "parks")

    def fail(at: str) -> None:
        if at == stage:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        commit_version(ws, new_version(ws, "b", 4), hook=fail)
    assert stored_hash(ws) == before
    assert history(ws, "parks") == history_before
    assert not list(ws.glob(".tmp-*")) and not list((ws / "versions" / "parks").glob("v0002*"))
    assert commit_version(ws, new_version(ws, "c", 2))["version"] == 2


def _commit_in_process(args: tuple[str, str, int]) -> int:
    ws, tag, n = args
    return int(commit_version(Path(ws), new_version(Path(ws), tag, n))["version"])


def _check_ten_versions(ws: Path, tags: list[str]) -> None:
    versions = history(ws, "parks")
    assert [v["version"] for v in versions] == list(range(11))
    assert sorted(v["report"]["tag"] for v in versions[1:]) == sorted(tags)
    for v in versions[1:]:  # none mixed: every version holds exactly its own upload
        data = read_version(ws, "parks", v["version"])
        assert set(data["name"]) == {v["report"]["tag"]}
        assert len(data) == v["feature_count"] == int(v["report"]["tag"].split("-")[1])
    last = versions[-1]
    current = read_layer(ws, "parks")
    assert set(current["name"]) == {last["report"]["tag"]} and len(current) == last["feature_count"]
    assert read_metadata(ws)["layers"]["parks"]["upload"]["version"] == 10


def test_ten_parallel_threads(ws: Path) -> None:
    tags = [f"t-{k}" for k in range(1, 11)]
    barrier = threading.Barrier(10)
    _INGESTED_PARKS[str(ws)] = read_layer(ws, "parks")  # no thread reads a layer being replaced

    def one(tag: str) -> int:
        barrier.wait()
        return _commit_in_process((str(ws), tag, int(tag.split("-")[1])))

    with ThreadPoolExecutor(10) as pool:
        assert sorted(pool.map(one, tags)) == list(range(1, 11))
    _check_ten_versions(ws, tags)


def test_ten_parallel_processes(ws: Path) -> None:
    tags = [f"p-{k}" for k in range(1, 11)]
    import multiprocessing

    _INGESTED_PARKS[str(ws)] = read_layer(ws, "parks")  # inherited by the forked processes

    with ProcessPoolExecutor(10, mp_context=multiprocessing.get_context("fork")) as pool:
        versions = list(
            pool.map(_commit_in_process, [(str(ws), t, int(t.split("-")[1])) for t in tags])
        )
    assert sorted(versions) == list(range(1, 11))
    _check_ten_versions(ws, tags)


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from tests.upload.test_store import new_version
    from gis.store import commit_version

    ws, stage, marker = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

    def pause(at):
        if at == stage:
            marker.write_text(at)
            time.sleep(120)

    commit_version(ws, new_version(ws, "killed", 6), hook=pause)
    """
)


def _run_and_kill(ws: Path, stage: str, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(KILL_SCRIPT.format(root=str(ROOT)))
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", str(script), str(ws), stage, str(marker)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the writer never reached the hook"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_before_commit_keeps_previous_version(ws: Path, tmp_path: Path) -> None:
    commit_version(ws, new_version(ws, "a", 3))
    before = stored_hash(ws)
    _run_and_kill(ws, "gpkg_written", tmp_path)  # the new GeoPackage copy is complete, not in place
    assert list(ws.glob(".tmp-*")), "the killed writer should have left its temporary copy"
    assert stored_hash(ws) == before
    assert current_version(ws, "parks") == 1 and [v["version"] for v in history(ws, "parks")] == [
        0,
        1,
    ]
    assert set(read_workspace(ws).layers["parks"]["name"]) == {"a"}
    record = commit_version(ws, new_version(ws, "b", 2))  # the next writer cleans up and numbers on
    assert record["version"] == 2 and not list(ws.glob(".tmp-*"))
    assert set(read_version(ws, "parks", 2)["name"]) == {"b"}


def test_sigkill_after_commit_is_repaired(ws: Path, tmp_path: Path) -> None:
    commit_version(ws, new_version(ws, "a", 3))
    _run_and_kill(ws, "committed", tmp_path)  # workspace.gpkg replaced, metadata.json not yet
    assert current_version(ws, "parks") == 2
    assert set(read_layer(ws, "parks")["name"]) == {"killed"}
    assert read_metadata(ws)["layers"]["parks"]["upload"]["version"] == 1  # stale until repaired
    recover(ws)
    entry = read_metadata(ws)["layers"]["parks"]
    assert entry["upload"]["version"] == 2 and entry["count"] == 6


def test_commit_point_is_the_gpkg_description(ws: Path) -> None:
    """The version marker lives in gpkg_contents, so the data and its number change together."""
    commit_version(ws, new_version(ws, "a", 3))
    import sqlite3

    con = sqlite3.connect(ws / "workspace.gpkg")
    desc = con.execute("SELECT description FROM gpkg_contents WHERE table_name='parks'").fetchone()[
        0
    ]
    con.close()
    assert json.loads(desc) == {"gis_version": 1}
    assert pyogrio.read_info(ws / "workspace.gpkg", layer="parks")["features"] == 3


def test_ten_parallel_http_uploads(upload_app: Any) -> None:
    """Ten staff uploads to one layer at once through the API: ten versions, none mixed."""
    import io

    from tests.upload.corpus import geojson_bytes, real_parks

    app, accounts, ws = upload_app
    app.config["UPLOAD_RECOMPUTE"] = False
    barrier = threading.Barrier(10)

    def one(k: int) -> int:
        parks = real_parks().iloc[:k].copy()
        parks["名称"] = f"h-{k}"
        barrier.wait()
        resp = app.test_client().post(
            "/api/v1/counties/demo-chengdu-north/layers/parks",
            data={"file": (io.BytesIO(geojson_bytes(parks)), f"h-{k}.geojson")},
            headers=accounts.header("staff"),
        )
        assert resp.status_code == 201, resp.get_json()
        return int(resp.get_json()["version"])

    with ThreadPoolExecutor(10) as pool:
        assert sorted(pool.map(one, range(1, 11))) == list(range(1, 11))
    versions = history(ws, "parks")
    assert [v["version"] for v in versions] == list(range(11))
    for v in versions[1:]:
        data = read_version(ws, "parks", v["version"])
        assert set(data["name"]) == {v["original_name"].removesuffix(".geojson")}
        assert len(data) == v["feature_count"] == int(v["original_name"][2:].split(".")[0])
    assert set(read_layer(ws, "parks")["name"]) == {
        versions[-1]["original_name"].removesuffix(".geojson")
    }
