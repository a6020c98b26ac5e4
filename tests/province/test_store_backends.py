"""The workspace store on both backends: GeoPackage folders (default) and PostGIS (DATABASE_URL).

Every test runs once per backend with the same expectations.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path

import pandas as pd
import pytest

from gis.errors import NotFoundError
from gis.io import list_layers, read_layer
from gis.store import DatabaseError, GeoPackageStore, NewVersion, open_store
from gis.store.postgis import PostgisStore


@pytest.fixture(params=["gpkg", "postgis"])
def store_and_id(request, demo_workspace_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    county_id = f"c-{uuid.uuid4().hex[:8]}"
    if request.param == "gpkg":
        shutil.copytree(demo_workspace_dir, tmp_path / county_id)
        store = open_store(None, tmp_path)
        assert isinstance(store, GeoPackageStore)
    else:
        store = open_store(request.getfixturevalue("postgres_url"), tmp_path)
        assert isinstance(store, PostgisStore)
        store.import_workspace(demo_workspace_dir, county_id)
    return store, county_id


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    )


def _parks_version(parks, user: str = "tester") -> NewVersion:  # type: ignore[no-untyped-def]
    return NewVersion(
        layer="parks",
        user=user,
        original_name="parks.gpkg",
        sha256="ab" * 32,
        feature_count=len(parks),
        report={"ok": True},
        gdf=parks,
    )


def test_every_layer_reads_back_exactly(store_and_id, demo_workspace_dir: Path) -> None:  # type: ignore[no-untyped-def]
    store, cid = store_and_id
    assert cid in store.county_ids()
    assert store.list_layers(cid) == sorted(list_layers(demo_workspace_dir))
    for name in list_layers(demo_workspace_dir):
        _same(store.read_layer(cid, name), read_layer(demo_workspace_dir, name))
    ws = store.read_workspace(cid)
    assert ws.population is not None and ws.population.total > 0
    assert str(ws.metric_crs.to_epsg()) in store.read_metadata(cid)["metric_crs"]
    with pytest.raises(NotFoundError):
        store.read_layer(cid, "no_such_layer")


def test_versions_history_and_rollback(store_and_id, demo_workspace_dir: Path) -> None:  # type: ignore[no-untyped-def]
    store, cid = store_and_id
    original = store.read_layer(cid, "parks")
    assert store.current_version(cid, "parks") == 0
    record = store.commit_version(cid, _parks_version(original.iloc[:3]))
    assert record["version"] == 1 and record["action"] == "upload"
    assert store.current_version(cid, "parks") == 1
    assert len(store.read_layer(cid, "parks")) == 3
    entry = store.read_metadata(cid)["layers"]["parks"]
    assert entry["provenance"] == "uploaded" and entry["upload"]["version"] == 1
    _same(store.read_version(cid, "parks", 0), original)
    back = store.rollback(cid, "parks", 0, user="tester")
    assert back["version"] == 2 and back["rollback_of"] == 0
    _same(store.read_layer(cid, "parks"), original)
    history = store.history(cid, "parks")
    assert [(h["version"], h["action"], h["current"]) for h in history] == [
        (0, "initial", False),
        (1, "upload", False),
        (2, "rollback", True),
    ]
    assert store.read_metadata(cid)["layers"]["parks"]["provenance"] == "osm"
    with pytest.raises(NotFoundError):
        store.read_version(cid, "parks", 7)
    tif = demo_workspace_dir / "population.tif"
    raster = NewVersion(
        layer="population",
        user="tester",
        original_name="pop.tif",
        sha256="",
        feature_count=0,
        report={"population_total": 1.0},
        raster_path=tif,
    )
    assert store.commit_version(cid, raster)["version"] == 1
    assert store.current_version(cid, "population") == 1


def test_failed_write_leaves_the_previous_version(store_and_id) -> None:  # type: ignore[no-untyped-def]
    store, cid = store_and_id
    original = store.read_layer(cid, "parks")
    meta_before = store.read_metadata(cid)

    def crash(stage: str) -> None:
        if stage == "version_written":
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        store.commit_version(cid, _parks_version(original.iloc[:2]), hook=crash)
    assert store.current_version(cid, "parks") == 0
    _same(store.read_layer(cid, "parks"), original)
    assert store.read_metadata(cid)["layers"]["parks"] == meta_before["layers"]["parks"]
    assert [h["version"] for h in store.history(cid, "parks") if h["current"]] in ([0], [])
    assert store.commit_version(cid, _parks_version(original.iloc[:2]))["version"] == 1
    assert len(store.read_layer(cid, "parks")) == 2


def test_concurrent_writers_get_distinct_versions(store_and_id) -> None:  # type: ignore[no-untyped-def]
    store, cid = store_and_id
    parks = store.read_layer(cid, "parks")
    results: list[int] = []
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            results.append(
                store.commit_version(cid, _parks_version(parks.iloc[:n], f"u{n}"))["version"]
            )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in (2, 4, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(results) == [1, 2, 3]
    assert store.current_version(cid, "parks") == 3
    last = next(h for h in store.history(cid, "parks") if h["version"] == 3)
    assert len(store.read_layer(cid, "parks")) == last["feature_count"]


def test_unreachable_database_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = PostgisStore(f"postgresql://gis@127.0.0.1:{port}/gis")
    with pytest.raises(DatabaseError, match="cannot connect to PostgreSQL"):
        store.county_ids()


def test_bad_database_url_is_refused() -> None:
    from gis.errors import GisError

    with pytest.raises(GisError, match="expected postgresql://"):
        open_store("mysql://x", "unused")


def test_indicators_identical_from_both_backends(
    demo_workspace_dir: Path, postgres_url: str, tmp_path: Path
) -> None:
    """The batch on the PostGIS store (DATABASE_URL) gives the GeoPackage's numbers exactly."""
    from gis.batch import compute_county, discover_database, plan_tasks, run_batch

    store = PostgisStore(postgres_url)
    store.import_workspace(demo_workspace_dir, "pg-demo")
    from_gpkg = compute_county(demo_workspace_dir, 2020)
    from_pg = compute_county("pg-demo", 2020, postgres_url)
    assert from_pg["exact_values"] == from_gpkg["exact_values"]
    assert from_pg["report"]["assessment"] == from_gpkg["report"]["assessment"]
    assert from_pg["report"]["indicators"] == from_gpkg["report"]["indicators"]

    found = discover_database(postgres_url)
    assert "pg-demo" in found
    tasks = plan_tasks(
        found, ["pg-demo"], year=2020, results_dir=tmp_path, database_url=postgres_url
    )
    summary = run_batch(tasks, workers=1, progress=False)
    assert [o.status for o in summary.outcomes] == ["computed"]


def test_county_data_is_kept_with_a_version_record(store_and_id) -> None:  # type: ignore[no-untyped-def]
    from gis import county_data
    from gis.indicators import compute_all
    from gis.settings import DEFAULT_SETTINGS

    store, cid = store_and_id
    token = store.version_token(cid)
    update = county_data.validate_update(
        {"figures": {"water_supply_pct": {"value": 93.5, "source": "年鉴", "year": 2020}}}
    )
    record = store.commit_county_data(cid, update, user="alice")
    assert (record["version"], record["user"], record["changed"]) == (
        1,
        "alice",
        ["figures.water_supply_pct"],
    )
    assert store.version_token(cid) != token  # caches of the county are refreshed
    clear = county_data.validate_update({"figures": {"water_supply_pct": None}})
    assert store.commit_county_data(cid, clear, user="bob")["version"] == 2
    again = county_data.validate_update({"special_plans": {"power": {"status": "编制中"}}})
    store.commit_county_data(cid, again, user="carol")
    data = county_data.read(store.read_metadata(cid))
    assert data["version"] == 3 and data["figures"] == {}
    assert [h["user"] for h in data["history"]] == ["alice", "bob", "carol"]
    ws = store.read_workspace(cid)
    by_id = {r.id: r for r in compute_all(ws.to_metric(), DEFAULT_SETTINGS)}
    assert by_id["water_supply_coverage"].status == "no_data"
    assert by_id["special_plans_approved_share"].value == 0.0
