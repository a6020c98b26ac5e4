"""The web app on PostgreSQL + PostGIS (``DATABASE_URL``), end to end through the test client.

The demonstration workspace is imported into a throwaway server; the app serving it from the
database must answer exactly what the app serving the folder answers (counties, indicators to
the last digit, every layer's GeoJSON, exports, pages), and uploads, history and rollback must
write through the PostGIS store: one transaction per version, nothing changed by a refused file
or a failure mid-commit, concurrent uploads serialised.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from gis.store.postgis import PostgisStore
from tests.helpers import DEMO_ID, Writable, create_token
from tests.upload.corpus import geojson_bytes, real_parks

BASE = f"/api/v1/counties/{DEMO_ID}"
BAD = Path(__file__).resolve().parent.parent / "data" / "bad_uploads"


def _get(app: Any, path: str) -> Any:
    resp = app.test_client().get(path)
    assert resp.status_code == 200, (path, resp.get_data(as_text=True)[:500])
    return resp


def _upload(w: Writable, kind: str, data: bytes, name: str, **form: str) -> Any:
    return w.app.test_client().post(
        w.url(f"/layers/{kind}"),
        data={"file": (io.BytesIO(data), name), **form},
        headers=w.staff,
    )


def _indicator(body: dict[str, Any], ind_id: str) -> dict[str, Any]:
    return next(i for i in body["indicators"] if i["id"] == ind_id)


def _db_state(url: str, county_id: str) -> dict[str, Any]:
    """Everything the database holds for one county (revision, metadata, versions, data)."""
    with psycopg.connect(url) as conn:
        revision, metadata = conn.execute(
            "SELECT revision, metadata FROM gis.counties WHERE county_id = %s", (county_id,)
        ).fetchone()
        versions = conn.execute(
            "SELECT layer, version, record FROM gis.layer_versions WHERE county_id = %s "
            "ORDER BY layer, version",
            (county_id,),
        ).fetchall()
        current = conn.execute(
            "SELECT layer, version FROM gis.current_layers WHERE county_id = %s ORDER BY layer",
            (county_id,),
        ).fetchall()
        features = conn.execute(
            "SELECT count(*), md5(string_agg(layer || version || fid || properties::text "
            "|| ST_AsEWKB(geom)::text, ',' ORDER BY layer, version, fid)) "
            "FROM gis.features WHERE county_id = %s",
            (county_id,),
        ).fetchone()
        rasters = conn.execute(
            "SELECT version, md5(data) FROM gis.rasters WHERE county_id = %s ORDER BY version",
            (county_id,),
        ).fetchall()
    return {
        "revision": revision,
        "metadata": metadata,
        "versions": versions,
        "current": current,
        "features": features,
        "rasters": rasters,
    }


# --- reading: the same answers as the folder app ---------------------------------------------


def test_the_app_reads_postgis_not_folders(pg_app: Any, gpkg_app: Any) -> None:
    store = pg_app.extensions["gis_store"]
    assert (
        store.backend.kind == "postgis" and gpkg_app.extensions["gis_store"].backend.kind == "gpkg"
    )
    assert not any(Path(pg_app.config["WORKSPACES_DIR"]).iterdir())  # nothing on disk
    assert store.county_ids() == [DEMO_ID]
    assert store.location(DEMO_ID) == f"postgis:{DEMO_ID}"
    assert store.version(DEMO_ID).startswith("pg")
    missing = pg_app.test_client().get("/api/v1/counties/nowhere/indicators")
    body = missing.get_json()
    assert missing.status_code == 404 and body["code"] == "not_found"
    assert "in the database" in body["message"] and DEMO_ID in body["message"]


@pytest.mark.parametrize("path", ["/api/v1/counties", BASE])
def test_counties_identical(pg_app: Any, gpkg_app: Any, path: str) -> None:
    assert _get(pg_app, path).get_json() == _get(gpkg_app, path).get_json()


@pytest.mark.parametrize("query", ["", "?year=2018&minutes=10&walk_speed=1.3"])
def test_indicators_identical_to_the_last_digit(pg_app: Any, gpkg_app: Any, query: str) -> None:
    from_pg = _get(pg_app, f"{BASE}/indicators{query}")
    from_gpkg = _get(gpkg_app, f"{BASE}/indicators{query}")
    assert from_pg.data == from_gpkg.data  # the JSON bytes: every float's repr, every digit
    values = [i["value"] for i in from_pg.get_json()["indicators"]]
    assert sum(isinstance(v, float) for v in values) >= 5  # real numbers were compared


def test_every_layer_identical(pg_app: Any, gpkg_app: Any) -> None:
    listed = _get(pg_app, f"{BASE}/layers")
    assert listed.data == _get(gpkg_app, f"{BASE}/layers").data
    names = [layer["name"] for layer in listed.get_json()["layers"]]
    assert {"parks", "walk_edges", "population", "disclosures"} <= set(names)
    assert any(n.startswith("gap_") for n in names)
    for name in names:
        for query in ("", "?zoom=17&limit=10000"):
            path = f"{BASE}/layers/{name}{query}"
            pg_body, gpkg_body = _get(pg_app, path).data, _get(gpkg_app, path).data
            assert pg_body == gpkg_body, path
    parks = json.loads(_get(pg_app, f"{BASE}/layers/parks?zoom=17").data)
    assert parks["numberMatched"] == 19 and parks["features"][0]["geometry"]["coordinates"]


def test_exports_records_and_pages(pg_app: Any, gpkg_app: Any, tmp_path: Path) -> None:
    for path in (
        f"{BASE}/exports/indicators.csv",
        f"{BASE}/disclosures",
        f"{BASE}/disclosures?type=审批&limit=5",
    ):
        assert _get(pg_app, path).data == _get(gpkg_app, path).data, path
    frames = []
    for k, app in enumerate((pg_app, gpkg_app)):
        path = tmp_path / f"parks{k}.gpkg"
        path.write_bytes(_get(app, f"{BASE}/exports/layers/parks.gpkg").data)
        frames.append(pyogrio.read_dataframe(path))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    xlsx = _get(pg_app, f"{BASE}/exports/indicators.xlsx")
    assert xlsx.data[:2] == b"PK"
    for page in (f"/map/{DEMO_ID}", f"/public/{DEMO_ID}", "/"):
        html = [
            re.sub(r"[0-9a-f]{32}", "ID", _get(app, page).get_data(as_text=True))
            for app in (pg_app, gpkg_app)
        ]  # folium names its elements with random ids; everything else must agree
        assert html[0] == html[1], page
        assert "示范区" in html[0]


# --- writing: versions in one transaction ----------------------------------------------------


def test_upload_creates_a_version_and_changes_the_indicators(writable: Writable) -> None:
    w = writable
    client = w.app.test_client()
    before = client.get(w.url("/indicators")).get_json()
    parks = real_parks().iloc[:4]
    resp = _upload(w, "parks", geojson_bytes(parks), "few.geojson")
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["version"] == 1 and body["record"]["user"] == "alice"
    change = _indicator(body, "park_green_per_capita")
    assert change["changed"] is True
    assert change["before"] == _indicator(before, "park_green_per_capita")["value"]
    after = client.get(w.url("/indicators")).get_json()
    assert _indicator(after, "park_green_per_capita")["value"] == change["after"]
    assert change["after"] < change["before"]  # 4 of the 19 parks
    assert w.store.current_version(w.county_id, "parks") == 1
    stored = w.store.read_layer(w.county_id, "parks")
    assert stored["name"].tolist() == parks["名称"].tolist()
    detail = client.get(w.url()).get_json()
    entry = next(layer for layer in detail["layers"] if layer["name"] == "parks")
    assert entry["provenance"] == "uploaded" and entry["count"] == 4
    history = client.get(w.url("/layers/parks/versions"), headers=w.staff).get_json()
    assert history["current"] == 1
    assert [(v["version"], v["action"], v["current"]) for v in history["versions"]] == [
        (0, "initial", False),
        (1, "upload", True),
    ]
    page = client.get(f"/upload/{w.county_id}", headers=w.staff)
    assert page.status_code == 200 and "few.geojson" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "name",
    [
        "parks_empty.geojson",
        "parks_outside_county.geojson",
        "parks_no_prj.zip",
        "zip_path_traversal.zip",
        "parks_as_points.geojson",
    ],
)
def test_a_refused_upload_changes_nothing(writable: Writable, postgres_url: str, name: str) -> None:
    w = writable
    client = w.app.test_client()
    indicators = client.get(w.url("/indicators")).data
    state = _db_state(postgres_url, w.county_id)
    resp = _upload(w, "parks", (BAD / name).read_bytes(), name)
    body = resp.get_json()
    assert resp.status_code == 400 and body["errors"], body
    assert _db_state(postgres_url, w.county_id) == state
    assert client.get(w.url("/indicators")).data == indicators


def test_a_failure_mid_commit_leaves_the_previous_version(
    writable: Writable, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = writable
    state = _db_state(postgres_url, w.county_id)
    real_set_current = PostgisStore._set_current

    def crash(self: PostgisStore, conn: Any, county_id: str, layer: str, version: int) -> None:
        real_set_current(self, conn, county_id, layer, version)  # current moved, not committed
        raise RuntimeError("server lost mid-commit")

    monkeypatch.setattr(PostgisStore, "_set_current", crash)
    failed = _upload(w, "parks", geojson_bytes(real_parks().iloc[:2]), "two.geojson")
    assert failed.status_code == 500 and failed.get_json()["code"] == "internal_error"
    assert "mid-commit" not in failed.get_data(as_text=True)  # the traceback stays in the log
    monkeypatch.undo()
    assert _db_state(postgres_url, w.county_id) == state  # no row, no revision, no metadata change
    resp = _upload(w, "parks", geojson_bytes(real_parks().iloc[:2]), "two.geojson")
    assert resp.status_code == 201 and resp.get_json()["version"] == 1


def test_rollback_restores_data_and_indicators(writable: Writable) -> None:
    w = writable
    client = w.app.test_client()
    original = w.store.read_layer(w.county_id, "parks")
    before = client.get(w.url("/indicators")).get_json()
    assert _upload(w, "parks", geojson_bytes(real_parks().iloc[:3]), "3.geojson").status_code == 201
    resp = client.post(w.url("/layers/parks/rollback"), json={"version": 0}, headers=w.staff)
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["version"] == 2 and body["record"]["rollback_of"] == 0
    restored = w.store.read_layer(w.county_id, "parks")
    assert restored.geometry.geom_equals_exact(original.geometry, tolerance=0).all()
    pd.testing.assert_frame_equal(
        restored.drop(columns="geometry"), original.drop(columns="geometry")
    )
    after = client.get(w.url("/indicators")).get_json()
    assert after["indicators"] == before["indicators"]
    assert after["assessment"] == before["assessment"]
    assert w.store.read_metadata(w.county_id)["layers"]["parks"]["provenance"] == "osm"
    versions = client.get(w.url("/layers/parks/versions"), headers=w.staff).get_json()
    assert [(v["version"], v["action"], v["current"]) for v in versions["versions"]] == [
        (0, "initial", False),
        (1, "upload", False),
        (2, "rollback", True),
    ]
    for bad, status in (({"version": 7}, 404), ({"version": "x"}, 400)):
        assert (
            client.post(w.url("/layers/parks/rollback"), json=bad, headers=w.staff).status_code
            == status
        )
    assert w.store.current_version(w.county_id, "parks") == 2


def test_ten_concurrent_uploads_ten_versions_none_mixed(writable: Writable) -> None:
    w = writable
    w.app.config["UPLOAD_RECOMPUTE"] = False
    barrier = threading.Barrier(10)

    def one(k: int) -> int:
        parks = real_parks().iloc[:k].copy()
        parks["名称"] = f"h-{k}"
        data = geojson_bytes(parks)
        barrier.wait()
        resp = _upload(w, "parks", data, f"h-{k}.geojson")
        assert resp.status_code == 201, resp.get_json()
        return int(resp.get_json()["version"])

    with ThreadPoolExecutor(10) as pool:
        assert sorted(pool.map(one, range(1, 11))) == list(range(1, 11))
    versions = w.store.history(w.county_id, "parks")
    assert [v["version"] for v in versions] == list(range(11))
    for v in versions[1:]:  # none mixed: each version holds exactly its own upload
        data = w.store.read_version(w.county_id, "parks", v["version"])
        tag = v["original_name"].removesuffix(".geojson")
        assert set(data["name"]) == {tag}
        assert len(data) == v["feature_count"] == int(tag[2:])
    current = w.store.read_layer(w.county_id, "parks")
    assert set(current["name"]) == {versions[-1]["original_name"].removesuffix(".geojson")}
    meta = w.store.read_metadata(w.county_id)
    assert meta["layers"]["parks"]["upload"]["version"] == 10
    served = json.loads(w.app.test_client().get(w.url("/layers/parks?zoom=17")).data)
    assert served["numberMatched"] == len(current)


def test_another_worker_sees_a_new_version_on_its_next_request(
    make_app: Any, writable: Writable, postgres_url: str, tmp_path: Path
) -> None:
    """Each worker process has its own caches; the county's revision keys them all."""
    w = writable
    other = make_app(WORKSPACES_DIR=str(tmp_path / "empty"), DATABASE_URL=postgres_url, GZIP=False)
    first = other.test_client().get(w.url("/indicators"))
    assert other.test_client().get(w.url("/indicators")).headers["ETag"] == first.headers["ETag"]
    assert _upload(w, "parks", geojson_bytes(real_parks().iloc[:5]), "5.geojson").status_code == 201
    second = other.test_client().get(w.url("/indicators"))
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.data == w.app.test_client().get(w.url("/indicators")).data
    other.extensions["gis_store"].close()


def _population_tif(built_up_bounds: tuple[float, float, float, float]) -> bytes:
    minx, miny, maxx, maxy = built_up_bounds
    cols, rows = int((maxx - minx) // 100) + 1, int((maxy - miny) // 100) + 1
    values = np.full((rows, cols), 10.0, dtype="float32")
    values[0, 0] = -1.0  # nodata
    values[1, :] = 25.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with MemoryFile() as mem:
            with mem.open(
                driver="GTiff",
                width=cols,
                height=rows,
                count=1,
                dtype="float32",
                crs="EPSG:4544",
                transform=from_origin(minx, maxy, 100, 100),
                nodata=-1.0,
            ) as dst:
                dst.write(values, 1)
            return bytes(mem.read())


def _cells(data: bytes) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with MemoryFile(data) as mem, mem.open() as src:
            return src.read(1, masked=True), src.transform


def test_population_raster_round_trips_exactly(
    writable: Writable, demo_workspace_dir: Path
) -> None:
    """The GeoTIFF is kept as bytea: imported, uploaded and rolled back byte for byte."""
    w = writable
    demo_tif = (demo_workspace_dir / "population.tif").read_bytes()
    assert w.store.read_population_bytes(w.county_id) == demo_tif
    bounds = w.store.read_layer(w.county_id, "built_up").to_crs(4544).total_bounds
    tif = _population_tif(tuple(float(b) for b in bounds))
    resp = _upload(w, "population", tif, "人口.tif")
    body = resp.get_json()
    assert resp.status_code == 201, body
    stored = w.store.read_population_bytes(w.county_id)
    assert stored is not None
    assert body["record"]["data_sha256"] == hashlib.sha256(stored).hexdigest()
    assert body["record"]["sha256"] == hashlib.sha256(tif).hexdigest()
    (sent, sent_transform), (kept, kept_transform) = _cells(tif), _cells(stored)
    assert kept_transform == sent_transform
    assert np.array_equal(np.ma.getmaskarray(kept), np.ma.getmaskarray(sent))
    assert np.array_equal(kept.compressed(), sent.compressed())
    pop = w.store.read_metadata(w.county_id)["population"]
    assert pop["provenance"] == "uploaded" and pop["total"] == pytest.approx(float(sent.sum()))
    back = w.app.test_client().post(
        w.url("/layers/population/rollback"), json={"version": 0}, headers=w.staff
    )
    assert back.status_code == 201
    assert w.store.read_population_bytes(w.county_id) == demo_tif
    assert w.store.read_metadata(w.county_id)["population"]["provenance"] == "estimated"


def test_same_uploads_same_indicators_on_both_backends(
    make_app: Any, writable: Writable, demo_workspace_dir: Path, tmp_path: Path
) -> None:
    """A parks file and a population raster uploaded to a folder and to PostGIS: same numbers."""
    w = writable
    folder = tmp_path / "folders" / w.county_id
    shutil.copytree(demo_workspace_dir, folder)
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    meta["county_id"] = w.county_id  # as the import records it
    (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    gpkg = make_app(WORKSPACES_DIR=str(folder.parent), GZIP=False)
    token = create_token(gpkg, "alice", "staff", [w.county_id])
    on_folder = Writable(gpkg, w.county_id, {"Authorization": f"Bearer {token}"}, w.store)
    bounds = w.store.read_layer(w.county_id, "built_up").to_crs(4544).total_bounds
    uploads = [
        ("parks", geojson_bytes(real_parks().iloc[2:9]), "seven.geojson"),
        ("population", _population_tif(tuple(float(b) for b in bounds)), "pop.tif"),
    ]
    for kind, data, name in uploads:
        answers = [_upload(target, kind, data, name) for target in (w, on_folder)]
        assert [a.status_code for a in answers] == [201, 201]
        pg_body, folder_body = (a.get_json() for a in answers)
        assert pg_body["version"] == folder_body["version"] == 1
        assert pg_body["indicators"] == folder_body["indicators"]
    pg_ind = w.app.test_client().get(w.url("/indicators")).get_json()
    folder_ind = gpkg.test_client().get(w.url("/indicators")).get_json()
    assert pg_ind["indicators"] == folder_ind["indicators"]
    assert pg_ind["assessment"] == folder_ind["assessment"]
    gpkg.extensions["gis_store"].close()


# --- configuration -----------------------------------------------------------------------------


def test_database_url_from_the_environment(
    make_app: Any,
    pg_app: Any,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import ConfigError

    config = {"WORKSPACES_DIR": str(tmp_path), "USERS_DB": str(tmp_path / "u.sqlite")}
    monkeypatch.delenv("GIS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", postgres_url)  # the plain name, as the issue says
    app = make_app(exact=True, **config)
    assert app.extensions["gis_store"].backend.kind == "postgis"
    assert app.extensions["gis_store"].county_ids() == [DEMO_ID]
    monkeypatch.setenv("GIS_DATABASE_URL", "")  # the GIS_ name wins: folders again
    assert make_app(exact=True, **config).extensions["gis_store"].backend.kind == "gpkg"
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("GIS_DATABASE_URL", postgres_url)
    assert make_app(exact=True, **config).extensions["gis_store"].backend.kind == "postgis"
    monkeypatch.delenv("GIS_DATABASE_URL")
    assert make_app(exact=True, **config).extensions["gis_store"].backend.kind == "gpkg"
    with pytest.raises(ConfigError, match="DATABASE_URL='mysql://db'"):
        make_app(exact=True, **config, DATABASE_URL="mysql://db")


def test_unreachable_database_answers_503(make_app: Any, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    unreachable = f"postgresql://gis@127.0.0.1:{port}/gis"
    app = make_app(WORKSPACES_DIR=str(tmp_path), DATABASE_URL=unreachable, GZIP=False)
    resp = app.test_client().get("/api/v1/counties")
    body = resp.get_json()
    assert resp.status_code == 503 and body["code"] == "database_error"
    assert "cannot connect to PostgreSQL" in body["message"]


def test_database_without_tables_names_the_import_command(
    make_app: Any, postgres_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS empty_db")
        conn.execute("CREATE DATABASE empty_db")
    empty_db = postgres_url.rsplit("/", 1)[0] + "/empty_db"
    app = make_app(WORKSPACES_DIR=str(tmp_path), DATABASE_URL=empty_db, GZIP=False)
    resp = app.test_client().get("/api/v1/counties")
    body = resp.get_json()
    assert resp.status_code == 503 and "baicheng db import" in body["message"]
    app.extensions["gis_store"].close()
