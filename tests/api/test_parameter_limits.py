"""Issue 10, point 4: indicator parameters are rounded to planner steps, the caches are bounded by
bytes and drop superseded versions, and recomputation is rate-limited per client (429)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.cache import LRU, CountyCache, approx_size
from gis.settings import DEFAULT_SETTINGS
from tests.helpers import DEMO_ID

BASE = f"/api/v1/counties/{DEMO_ID}"


@pytest.fixture()
def app_root(demo_workspace_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "workspaces"
    shutil.copytree(demo_workspace_dir, root / DEMO_ID)
    return root


@pytest.fixture()
def app_for(make_app: Any, app_root: Path) -> Any:
    """``app_for(**config)``: the app serving ``app_root`` (the one app factory, ``make_app``)."""

    def build(**config: Any) -> Any:
        return make_app(WORKSPACES_DIR=str(app_root), **config)

    return build


def _fitness(body: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in body["indicators"] if i["id"] == "fitness_15min_coverage")


def test_parameters_rounded_to_steps_share_one_computation(app_for: Any) -> None:
    app = app_for()
    store: CountyCache = app.extensions["gis_store"]
    calls: list[tuple[float, float]] = []

    def guard(_county_id: str, s: Any) -> Any:
        calls.append((s.walk_minutes, s.walk_speed_m_s))
        return contextlib.nullcontext()

    store.compute_guard = guard
    client = app.test_client()
    bodies = [
        client.get(f"{BASE}/indicators?minutes={m}&walk_speed={v}")
        for m, v in ((12.26, 1.112), (12.49, 1.09), (12.5, 1.1))
    ]
    assert calls == [(12.5, 1.1)]  # three requests, one run
    for response in bodies:
        assert response.status_code == 200
        assert response.headers["X-Parameters-Used"] == "year=2020; minutes=12.5; walk_speed=1.1"
        body = response.get_json()
        assert body["parameters"]["walk_minutes"] == 12.5
        assert body["parameters"]["walk_speed_m_s"] == 1.1
        assert response.headers["X-Parameter-Steps"] == "minutes=0.5; walk_speed=0.05"
        assert _fitness(body)["parameters"]["walk_minutes"] == 12.5
    tiny = client.get(f"{BASE}/indicators?minutes=0.1").get_json()
    assert tiny["parameters"]["walk_minutes"] == 0.5  # positive: at least one step


def test_recomputation_rate_limited_per_client(app_for: Any) -> None:
    app = app_for(RECOMPUTE_LIMIT="2 per 10 minutes")
    client = app.test_client()
    for minutes in (10, 11):
        assert client.get(f"{BASE}/indicators?minutes={minutes}").status_code == 200
    refused = client.get(f"{BASE}/indicators?minutes=12")
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "too_many_requests" and int(refused.headers["Retry-After"]) > 0
    assert "new parameters" in body["message"] and "新参数" in body["message"]
    assert body["errors"][0]["code"] == "rate_limited" and body["errors"][0]["message_zh"]
    # what is cached, and the default parameters, are never refused
    assert client.get(f"{BASE}/indicators?minutes=10.2").status_code == 200
    assert client.get(f"{BASE}/indicators").status_code == 200
    assert client.get(f"/public/{DEMO_ID}").status_code == 200
    # another client has its own budget
    other = client.get(f"{BASE}/indicators?minutes=13", environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert other.status_code == 200
    page = client.get(f"/map/{DEMO_ID}?minutes=14", headers={"Accept": "text/html"})
    assert page.status_code == 429 and "新参数" in page.get_data(as_text=True)


def test_lru_bounded_by_bytes() -> None:
    cache = LRU(100, max_bytes=10_000, sizer=len)
    for i in range(10):
        cache.get_or_compute(i, lambda: b"x" * 3000)
    assert len(cache) == 3 and cache.bytes <= 10_000
    assert list(cache._items) == [7, 8, 9]  # the most recent kept
    big = cache.get_or_compute("big", lambda: b"y" * 50_000)  # alone over the bound: still served
    assert len(big) == 50_000 and list(cache._items) == ["big"]


def test_approx_size_counts_arrays_and_frames(demo_workspace: Any) -> None:
    arr = np.zeros(1_000_000)
    assert 8_000_000 <= approx_size((arr, {"a": arr[:10]})) < 8_100_000
    parks = demo_workspace.layers["parks"]
    assert approx_size(parks) > 16 * int(parks.geometry.count_coordinates().sum())


def test_superseded_version_dropped_from_caches(app_for: Any, app_root: Path) -> None:
    app = app_for()
    store: CountyCache = app.extensions["gis_store"]
    client = app.test_client()
    assert client.get(f"{BASE}/indicators").status_code == 200
    assert client.get(f"/public/{DEMO_ID}").status_code == 200
    old = store.version(DEMO_ID)
    assert store.cached_bytes() > 0
    meta = app_root / DEMO_ID / "metadata.json"
    later = time.time() + 5
    os.utime(meta, (later, later))  # a new version committed by another process
    assert store.version(DEMO_ID) != old
    for cache in store.caches():
        assert not [k for k in cache._items if old in k], cache._items.keys()
    assert store.cached_bytes() == 0


def test_default_settings_are_never_charged(app_for: Any, app_root: Path) -> None:
    app = app_for(RECOMPUTE_LIMIT="1 per 10 minutes")
    client = app.test_client()
    for _ in range(3):
        meta = app_root / DEMO_ID / "metadata.json"
        later = time.time() + 10 * (_ + 1)
        os.utime(meta, (later, later))  # each request meets a new version: a recomputation
        assert client.get(f"{BASE}/indicators").status_code == 200
    assert DEFAULT_SETTINGS.walk_minutes == 15


def test_one_recomputation_at_a_time_per_process(app_for: Any) -> None:
    import threading

    app = app_for(RECOMPUTE_CONCURRENCY=1)
    slots = app.extensions["gis_compute_slots"]
    assert slots.acquire()  # another thread of this worker is computing
    try:
        client = app.test_client()
        busy = client.get(f"{BASE}/indicators?minutes=9")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
        body = busy.get_json()
        assert body["code"] == "busy" and "其他参数" in body["message"]
        assert client.get(f"{BASE}/indicators").status_code == 200  # defaults: never refused
    finally:
        slots.release()
    assert client.get(f"{BASE}/indicators?minutes=9").status_code == 200
    assert isinstance(slots, type(threading.BoundedSemaphore()))


def test_planner_page_does_not_embed_huge_layers(
    app_for: Any, app_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A layer over MAX_EMBEDDED_FEATURES (1 M population cells once took a 294 MB page, 72 s
    and 5 GB) starts switched off and is fetched from the layer API when switched on
    (``MAP_LAYERS=embed``; the default pages embed no features, tests/api/test_view.py)."""
    import api.pages

    client = app_for(MAP_LAYERS="embed").test_client()  # the former, embedding pages
    embedded = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert f"/api/v1/counties/{DEMO_ID}/layers/population?" not in embedded
    monkeypatch.setattr(api.pages, "MAX_EMBEDDED_FEATURES", 100)  # the demo has 961 cells
    lazy = client.get(f"/map/{DEMO_ID}?minutes=14").get_data(as_text=True)
    assert f"/api/v1/counties/{DEMO_ID}/layers/population?" in lazy
    assert len(lazy) < len(embedded) - 100_000
