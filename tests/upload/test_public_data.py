"""What visitors may see, over every GET route of the Flask URL map (a new route is covered
without editing these tests): non-public 阳光规划 records reach only the county's own staff, and
no public answer names a staff account or an uploaded file."""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from tests.helpers import DEMO_ID, Accounts, create_accounts, write_grid_tif
from tests.upload.corpus import geojson_bytes, real_parks

MARKER = "NONPUBLIC-MARKER"
SKIP_ENDPOINTS = {"static"}
VIEWERS = ("staff", "", "public", "other_staff")  # staff first: a cache must not leak later
UPLOAD_NAMES = ("p10-parks-upload.geojson", "pop-upload-7.tif")
VIEW_QUERIES = {  # the map pages' routes answer 400 without these
    "layers.get_view": "?bbox=103.9,30.7,104.2,30.9&zoom=14",
    "layers.get_view_feature": "?zoom=16",
}


def _value(values: dict[str, str], match: re.Match[str]) -> str:
    return values.get(match.group(1), "x")


def get_urls(
    app: Any, params: dict[str, str], feature_ids: range = range(1)
) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route, path parameters filled from ``params``; a route of
    one feature once per id of ``feature_ids``, the view routes with their required query."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint in SKIP_ENDPOINTS:
            continue
        ids = [str(i) for i in feature_ids] if "<int:feature_id>" in rule.rule else [""]
        for feature_id in ids:
            values = {**params, "feature_id": feature_id}
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", partial(_value, values), rule.rule)
            urls.append((rule.endpoint, url + VIEW_QUERIES.get(rule.endpoint, "")))
    assert len(urls) >= 20
    return urls


def body_text(resp: Any) -> str:
    """The response body as text; a zip (Excel) is expanded, a GeoPackage read as bytes."""
    data = resp.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"".join(archive.read(n) for n in archive.namelist())
    return data.decode("utf-8", errors="replace")


def _private_records(folder: Path) -> tuple[list[str], int, int]:
    """Give the non-public records marker titles; (their record ids, public count, all)."""
    gpkg = folder / "workspace.gpkg"
    records = gpd.read_file(gpkg, layer="disclosures")
    private = ~records["public"].astype(bool)
    records.loc[private, "title"] = [f"{MARKER}-{i}" for i in range(int(private.sum()))]
    pyogrio.write_dataframe(records, gpkg, layer="disclosures")
    ids = [str(r) for r in records.loc[private, "record_id"]]
    return ids, int((~private).sum()), len(records)


@pytest.fixture(scope="module")
def private_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, Accounts, list[str], int, int]]:
    """An app whose county has non-public records with marker titles."""
    base = tmp_path_factory.mktemp("private")
    target = base / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    ids, n_public, n_all = _private_records(target)
    assert 0 < n_public < n_all
    app = make_app(WORKSPACES_DIR=str(target.parent), UPLOAD_RECOMPUTE=False)
    yield app, create_accounts(app), ids, n_public, n_all


def _counts(doc: Any, layer: str) -> list[int]:
    """Every feature/record count the document gives for ``layer``."""
    found: list[int] = []
    if isinstance(doc, dict):
        if doc.get("name") == layer:
            found += [v for k, v in doc.items() if k in ("feature_count", "count") and v]
        for value in doc.values():
            found += _counts(value, layer)
    elif isinstance(doc, list):
        for value in doc:
            found += _counts(value, layer)
    return found


def test_non_public_records_reach_only_the_countys_staff(private_app: Any) -> None:
    app, accounts, ids, n_public, n_all = private_app
    params = {"county_id": DEMO_ID, "layer": "disclosures", "record_id": ids[0]}
    urls = get_urls(app, params, feature_ids=range(n_all + 1))  # every record's id, one more
    client = app.test_client()
    seen_by_staff = set()
    for who in VIEWERS:
        for endpoint, url in urls:
            resp = client.get(url, headers=accounts.header(who))
            text = body_text(resp)
            if who == "staff":
                if MARKER in text:
                    seen_by_staff.add(endpoint)
                continue
            assert MARKER not in text, (who, endpoint, url)
            for record_id in ids:  # (a 404 may repeat the id asked for in the URL)
                assert record_id not in text or record_id in url, (who, endpoint, record_id)
            if resp.mimetype.endswith("json") and resp.status_code == 200:
                counts = _counts(resp.get_json(), "disclosures")
                assert all(c == n_public for c in counts), (who, endpoint, counts)
    # the county's staff still see them where the data is served: whole, and on the map pages'
    # routes (the cells on screen, one feature by id)
    assert {
        "layers.get_features",
        "exports.export_layer",
        "layers.get_view",
        "layers.get_view_feature",
    } <= seen_by_staff


@pytest.mark.parametrize("who", VIEWERS)
def test_layer_answers_count_what_the_viewer_sees(private_app: Any, who: str) -> None:
    app, accounts, _ids, n_public, n_all = private_app
    expected = n_all if who == "staff" else n_public
    client = app.test_client()
    headers = accounts.header(who)
    base = f"/api/v1/counties/{DEMO_ID}"
    listed = client.get(f"{base}/layers", headers=headers).get_json()
    info = next(layer for layer in listed["layers"] if layer["name"] == "disclosures")
    assert info["feature_count"] == expected
    features = client.get(f"{base}/layers/disclosures", headers=headers)
    assert features.get_json()["numberMatched"] == expected
    gpkg = client.get(f"{base}/exports/layers/disclosures.gpkg", headers=headers)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.gpkg"
        path.write_bytes(gpkg.get_data())
        assert len(pyogrio.read_dataframe(path)) == expected
    # staff answers must not be kept by shared caches; every answer varies with the viewer
    for resp in (features, gpkg):
        assert "Cookie" in resp.headers.get("Vary", "")
        assert "Authorization" in resp.headers.get("Vary", "")
        if who == "staff":
            assert resp.cache_control.private and not resp.cache_control.public
    # the public records API stays public-only, whoever asks
    records = client.get(f"{base}/disclosures", headers=headers).get_json()
    assert records["number_matched"] == n_public


def test_signed_in_staff_session_sees_them_too(private_app: Any) -> None:
    """The same rule for a browser session as for a token."""
    from tests.helpers import PASSWORD

    app, _accounts, _ids, _n_public, n_all = private_app
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf_token": token})
    features = client.get(f"/api/v1/counties/{DEMO_ID}/layers/disclosures").get_json()
    assert features["numberMatched"] == n_all


def _population_tif(path: Path, bounds: tuple[float, float, float, float]) -> bytes:
    minx, miny, maxx, maxy = bounds
    cols, rows = int((maxx - minx) // 200) + 1, int((maxy - miny) // 200) + 1
    grid = np.full((rows, cols), 20.0, dtype="float32")
    write_grid_tif(path, grid, left=minx, top=maxy, cell_m=200, nodata=None)
    return path.read_bytes()


@pytest.fixture(scope="module")
def uploaded_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Accounts]:
    """An app after alice uploaded parks and a population raster."""
    base = tmp_path_factory.mktemp("uploaded")
    target = base / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    app = make_app(WORKSPACES_DIR=str(target.parent), UPLOAD_RECOMPUTE=False)
    accounts = create_accounts(app)
    client = app.test_client()
    url = f"/api/v1/counties/{DEMO_ID}/layers"
    parks = geojson_bytes(real_parks().iloc[:5])
    resp = client.post(
        f"{url}/parks",
        data={"file": (io.BytesIO(parks), UPLOAD_NAMES[0])},
        headers=accounts.header("staff"),
    )
    assert resp.status_code == 201, resp.get_json()
    built_up = gpd.read_file(target / "workspace.gpkg", layer="built_up").to_crs(4544)
    tif = _population_tif(base / UPLOAD_NAMES[1], tuple(built_up.total_bounds))
    resp = client.post(
        f"{url}/population",
        data={"file": (io.BytesIO(tif), UPLOAD_NAMES[1])},
        headers=accounts.header("staff"),
    )
    assert resp.status_code == 201, resp.get_json()
    return app, accounts


def test_no_public_answer_names_an_account_or_an_uploaded_file(uploaded_app: Any) -> None:
    app, accounts = uploaded_app
    client = app.test_client()
    con = sqlite3.connect(app.config["USERS_DB"])
    names = [row[0] for row in con.execute("SELECT name FROM users")]
    con.close()
    assert "alice" in names
    urls = get_urls(app, {"county_id": DEMO_ID, "layer": "parks", "record_id": "x"})
    for _endpoint, url in urls:
        for extra in ("", "?lang=en"):
            text = body_text(client.get(url + extra))
            for secret in (*names, *UPLOAD_NAMES):
                assert not re.search(rf"\b{re.escape(secret)}\b", text), (url + extra, secret)
    # the county's staff still see who uploaded what (history and upload page)
    staff = accounts.header("staff")
    history = client.get(f"/api/v1/counties/{DEMO_ID}/layers/parks/versions", headers=staff)
    assert "alice" in history.get_data(as_text=True)
    assert UPLOAD_NAMES[0] in client.get(f"/upload/{DEMO_ID}", headers=staff).get_data(as_text=True)
