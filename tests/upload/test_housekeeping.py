"""Issue 10, point 10: abandoned upload folders are removed and a crash-committed version is
repaired when the app starts (``app.startup_housekeeping``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from gis.housekeeping import clean_abandoned_folders, folder_in_use
from gis.io import read_metadata
from gis.store import commit_version, current_version
from tests.helpers import DEMO_ID
from tests.upload.test_store import _run_and_kill, new_version

HOUR_S = 3600.0


def _leftover(base: Path, name: str, age_s: float) -> Path:
    """An upload folder as a killed worker leaves it: the upload and its unpacked files."""
    folder = base / name
    (folder / "work" / "unpacked").mkdir(parents=True)
    (folder / "upload.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder / "work" / "unpacked" / "parks.shp").write_bytes(bytes(1000))
    old = time.time() - age_s
    for path in (*folder.rglob("*"), folder):
        os.utime(path, (old, old))
    return folder


def test_leftover_upload_folder_removed_on_start(make_app: Any, ws: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "upload-tmp"
    abandoned = _leftover(tmp, "dead1234-abcd", 2 * HOUR_S)
    young = _leftover(tmp, "live5678-abcd", 60.0)
    make_app(
        WORKSPACES_DIR=str(ws.parent),
        USERS_DB=str(tmp_path / "users.sqlite"),
        UPLOAD_TMP_DIR=str(tmp_path / "upload-tmp"),
        UPLOAD_TMP_MAX_AGE_S=HOUR_S,
    )
    assert not abandoned.exists()
    assert young.exists()  # may belong to an upload still running in another worker


def test_locked_folder_is_kept_whatever_its_age(tmp_path: Path) -> None:
    live = _leftover(tmp_path, "busy-0001", 5 * HOUR_S)
    dead = _leftover(tmp_path, "dead-0002", 5 * HOUR_S)
    with folder_in_use(live):
        old = time.time() - 5 * HOUR_S
        os.utime(live, (old, old))
        os.utime(live / ".in-use", (old, old))
        removed = clean_abandoned_folders(tmp_path, max_age_s=HOUR_S)
    assert removed == [dead]
    assert live.exists() and not dead.exists()


def test_upload_removes_abandoned_folders(upload_app: tuple, tmp_path: Path) -> None:
    app, accounts, _ws = upload_app
    tmp = Path(app.config["UPLOAD_TMP_DIR"])
    abandoned = _leftover(tmp, "dead9999-abcd", 2 * HOUR_S)
    client = app.test_client()
    response = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/parks",
        data={"file": (tmp_path.joinpath("x.kml").open("wb+"), "x.kml")},
        headers=accounts.header("staff"),
    )
    assert response.status_code == 400  # refused, but the housekeeping ran first
    assert not abandoned.exists()
    assert list(tmp.iterdir()) == []  # and the upload's own folder is gone too


def test_crash_committed_version_visible_after_start(
    make_app: Any, ws: Path, tmp_path: Path
) -> None:
    commit_version(ws, new_version(ws, "a", 3))
    _run_and_kill(ws, "committed", tmp_path)  # workspace.gpkg replaced, metadata.json not yet
    assert read_metadata(ws)["layers"]["parks"]["upload"]["version"] == 1  # stale
    app = make_app(
        WORKSPACES_DIR=str(ws.parent),
        USERS_DB=str(tmp_path / "users.sqlite"),
        UPLOAD_TMP_DIR=str(tmp_path / "upload-tmp"),
    )
    assert current_version(ws, "parks") == 2
    entry = read_metadata(ws)["layers"]["parks"]
    assert entry["upload"]["version"] == 2 and entry["count"] == 6
    history = app.extensions["gis_store"].metadata(DEMO_ID)["layers"]["parks"]
    assert history["upload"]["version"] == 2


def test_a_new_folder_is_locked_before_any_cleaner_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cleaner running while another upload creates its folder never removes that folder.

    Found by running the suite with the clock a year ahead: every folder then looked old, and a
    cleaner removed one between its creation and its lock. Creation and cleaning now exclude each
    other, so the lock is always held first, whatever the clocks say.
    """
    import tempfile
    import threading

    import gis.housekeeping as hk

    created = threading.Event()
    real_mkdtemp = tempfile.mkdtemp

    def slow_mkdtemp(*args: Any, **kwargs: Any) -> str:
        path = real_mkdtemp(*args, **kwargs)
        created.set()
        time.sleep(0.3)  # the window between creating the folder and locking it
        return path

    monkeypatch.setattr(hk.tempfile, "mkdtemp", slow_mkdtemp)
    result: dict[str, Any] = {}
    maker = threading.Thread(
        target=lambda: result.update(made=hk.new_upload_folder(tmp_path, prefix="u-"))
    )
    maker.start()
    assert created.wait(5)
    removed = clean_abandoned_folders(tmp_path, max_age_s=0.0, now=time.time() + 10 * HOUR_S)
    maker.join(5)
    folder, lock = result["made"]
    assert removed == [] and folder.is_dir()
    lock.release()
    assert clean_abandoned_folders(tmp_path, max_age_s=0.0, now=time.time() + 10 * HOUR_S) == [
        folder
    ]
