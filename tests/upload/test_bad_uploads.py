"""Every file of tests/data/bad_uploads/ is refused with the right status, every expected
problem (each naming the file, in English and Chinese) and nothing stored changes."""

from __future__ import annotations

import bz2
import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from gis.errors import GisError
from gis.upload import UploadLimits, UploadOptions, prepare_upload
from tests.helpers import DEMO_ID, tree_hash
from tests.upload import corpus
from tests.upload.corpus import FIXED_TIME
from tests.upload.make_bad_uploads import write_all

BAD = Path(__file__).resolve().parents[1] / "data" / "bad_uploads"
CASES: list[dict[str, Any]] = json.loads((BAD / "cases.json").read_text(encoding="utf-8"))
LIMIT_CONFIG = {"max_file_bytes": "UPLOAD_MAX_FILE_BYTES", "max_features": "UPLOAD_MAX_FEATURES"}


def test_corpus_is_big_enough_and_small() -> None:
    assert len(CASES) >= 25
    assert len({c["file"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert (BAD / c["file"]).stat().st_size < 50 * 1024, c["file"]
    problems = {code for c in CASES for code in c["codes"]}
    for needed in (
        "missing_member",
        "no_crs",
        "encoding_mismatch",
        "wrong_geometry_type",
        "empty_layer",
        "outside_county",
        "bad_date",
        "bad_number",
        "bad_bool",
        "file_too_large",
        "zip_path_traversal",
        "zip_absolute_path",
        "zip_link",
        "zip_too_many_members",
        "zip_ratio",
        "zip_too_large",
        "zip_nested_archive",
        "bad_coord_system",
    ):
        assert needed in problems, needed
    assert sum(len(c["codes"]) >= 3 for c in CASES) >= 3  # combinations


def test_corpus_is_reproducible(tmp_path: Path) -> None:
    manifest = write_all(tmp_path)
    assert [m["file"] for m in manifest] == [c["file"] for c in CASES]
    for m in manifest:
        new, old = tmp_path / m["file"], BAD / m["file"]
        if m["file"].endswith(".gpkg"):  # SQLite's change counter depends on the process's history
            assert _gpkg_tables(new) == _gpkg_tables(old), m["file"]
        else:
            assert new.read_bytes() == old.read_bytes(), m["file"]


def _dbf_dates(folder: Path) -> dict[str, bytes]:
    """Bytes 1-3 (YY MM DD, the day it was written) of every .dbf header inside the corpus zips."""
    dates = {}
    for path in sorted(folder.glob("*.zip")):
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.filename.lower().endswith(".dbf") and not info.flag_bits & 0x1:
                        data = zf.read(info)
                        if data[:1] == b"\x03":  # a dBase file, not a symbolic link's target
                            dates[f"{path.name}/{info.filename}"] = data[1:4]
        except (zipfile.BadZipFile, OSError):
            continue  # the damaged archives of the corpus
    return dates


def test_corpus_dbf_headers_hold_a_fixed_date(tmp_path: Path) -> None:
    """The generator writes the fixed date into every .dbf header, not the day it ran, so the
    committed corpus equals a regenerated one on any later day."""
    write_all(tmp_path)
    fixed = bytes([FIXED_TIME[0] - 1900, FIXED_TIME[1], FIXED_TIME[2]])
    for folder in (tmp_path, BAD):
        dates = _dbf_dates(folder)
        assert len(dates) >= 15, sorted(dates)
        assert {k: v for k, v in dates.items() if v != fixed} == {}, folder


def test_osm_extract_is_never_read_from_another_runs_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus is made from the real extract, never from a stale or half-written copy that
    another run (another worktree, another engineer) left in the machine's temp folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / "gis-upload-tests-chengdu.osm"
    stale.write_bytes(b"<?xml version='1.0'?><osm>")  # cut off mid-write
    path = corpus._osm_path.__wrapped__()
    assert path.read_bytes() == bz2.decompress(corpus.OSM_BZ2.read_bytes())


def _gpkg_tables(path: Path) -> list[Any]:
    con = sqlite3.connect(path)
    try:
        names = [
            r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name")
        ]
        return [(n, con.execute(f'SELECT * FROM "{n}"').fetchall()) for n in names]
    finally:
        con.close()


def _form(case: dict[str, Any], data: bytes) -> dict[str, Any]:
    form: dict[str, Any] = {"file": (io.BytesIO(data), case["file"])}
    form.update(case["form"])
    return form


def _assert_no_server_path(text: str, app: Any) -> None:
    """Answers name the uploaded file and its members, never a folder of the server."""
    for folder in (app.instance_path, app.config["UPLOAD_TMP_DIR"], tempfile.gettempdir()):
        assert str(folder) not in text, folder
    for fragment in ("/tmp/", "/work/", "/unpacked/", "upload-tmp", "\\"):
        assert fragment not in text, fragment


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_upload_refused_over_http(case: dict[str, Any], shared_app: Any) -> None:
    app, accounts, ws = shared_app
    before = tree_hash(ws)
    saved = {key: app.config[key] for key in LIMIT_CONFIG.values()}
    for name, value in case["limits"].items():
        app.config[LIMIT_CONFIG[name]] = value
    try:
        resp = app.test_client().post(
            f"/api/v1/counties/{DEMO_ID}/layers/{case['kind']}",
            data=_form(case, (BAD / case["file"]).read_bytes()),
            headers=accounts.header("staff"),
        )
    finally:
        app.config.update(saved)
    body = resp.get_json()
    assert resp.status_code == case["status"], body
    assert resp.mimetype == "application/json"
    _assert_no_server_path(resp.get_data(as_text=True), app)
    assert set(body) == {"code", "message", "errors"}
    codes = [e["code"] for e in body["errors"]]
    assert set(case["codes"]) <= set(codes), codes
    assert case["file"] in body["message"]
    for error in body["errors"]:
        assert error["source"] and error["message"] and error["message_zh"]
        assert case["file"] in error["message"], error
        assert error["message_zh"] != error["message"]
    assert tree_hash(ws) == before, "a refused upload changed the workspace"
    assert not (ws / "versions").exists()  # no version was ever written in this module


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_upload_refused_by_prepare_upload(case: dict[str, Any]) -> None:
    boundary = gpd.read_file(
        Path(__file__).resolve().parents[2] / "data" / "demo" / "boundary.geojson"
    )
    form = case["form"]
    options = UploadOptions(
        kind=case["kind"],
        original_name=case["file"],
        declared_crs=form.get("epsg", ""),
        coord_system=form.get("coord_system", ""),
        source_layer=form.get("layer", ""),
        mapping={k[4:]: v for k, v in form.items() if k.startswith("map.")},
    )
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(GisError) as info:
        prepare_upload(
            BAD / case["file"],
            options=options,
            workdir=tmp,
            boundary=boundary,
            limits=UploadLimits(**case["limits"]),
        )
    assert info.value.status == case["status"]
    assert set(case["codes"]) <= {p.code for p in info.value.problems}


def test_every_problem_reported_at_once() -> None:
    """The combined case lists five different problems in one answer."""
    combo = next(c for c in CASES if c["file"] == "combo_disclosures_everything.geojson")
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(GisError) as info:
        prepare_upload(
            BAD / combo["file"],
            options=UploadOptions(kind="disclosures", original_name=combo["file"]),
            workdir=tmp,
            boundary=gpd.read_file(
                Path(__file__).resolve().parents[2] / "data" / "demo" / "boundary.geojson"
            ),
        )
    codes = [p.code for p in info.value.problems]
    assert len(set(codes)) >= 5, codes
    assert "5 problem(s)" in info.value.message or f"{len(codes)} problem(s)" in info.value.message


def test_oversized_request_refused_before_reading(shared_app: Any) -> None:
    """A body far over the limit is refused from its Content-Length (413), nothing saved."""
    app, accounts, ws = shared_app
    before = tree_hash(ws)
    saved = app.config["UPLOAD_MAX_FILE_BYTES"]
    app.config["UPLOAD_MAX_FILE_BYTES"] = 1000
    try:
        boundary, body = encode_multipart(  # in memory: the test client would spool it to a file
            {"file": FileStorage(io.BytesIO(bytes(3 * 1024 * 1024)), "big.zip")}
        )
        resp = app.test_client().post(
            f"/api/v1/counties/{DEMO_ID}/layers/parks",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
            headers=accounts.header("staff"),
        )
    finally:
        app.config["UPLOAD_MAX_FILE_BYTES"] = saved
    assert resp.status_code == 413 and resp.get_json()["code"] == "file_too_large"
    assert tree_hash(ws) == before
    tmp = Path(app.config["UPLOAD_TMP_DIR"])
    assert not tmp.exists() or not any(tmp.iterdir())


def test_missing_file_field_and_bad_mapping(shared_app: Any) -> None:
    app, accounts, _ws = shared_app
    client = app.test_client()
    url = f"/api/v1/counties/{DEMO_ID}/layers/parks"
    no_file = client.post(url, data={"epsg": "4544"}, headers=accounts.header("staff"))
    assert no_file.status_code == 400 and no_file.get_json()["errors"][0]["code"] == "no_file"
    bad_json = client.post(
        url,
        data={"file": (io.BytesIO(b"{}"), "a.geojson"), "mapping": "[1, 2]"},
        headers=accounts.header("staff"),
    )
    assert bad_json.status_code == 400 and bad_json.get_json()["errors"][0]["code"] == "bad_mapping"
    unknown = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/rivers",
        data={"file": (io.BytesIO(b"{}"), "a.geojson")},
        headers=accounts.header("staff"),
    )
    assert unknown.status_code == 404 and "parks" in unknown.get_json()["message"]


def _unreadable_files() -> dict[str, bytes]:
    """Files GDAL itself fails on (its messages carry the full path of what it opened)."""
    from tests.upload.corpus import real_parks, shapefile_members, zip_bytes

    members = shapefile_members(real_parks().iloc[:3], "parks", encoding="UTF-8")
    garbage_shp = {**members, "parks.shp": b"garbage!" * 40}
    cut_shp = {**members, "parks.shp": members["parks.shp"][:100] + b"\x00garbage" * 40}
    return {
        "garbage_shp.zip": zip_bytes(garbage_shp),
        "cut_shp.zip": zip_bytes(cut_shp),
        "garbage.gpkg": b"SQLite format 3\x00" + b"\x01garbage" * 200,
        "garbage.geojson": b'{"type": "FeatureCollection", "features": [{"type": 7}]}',
        "garbage.zip": b"PK\x03\x04" + b"\x00" * 200,
    }


@pytest.mark.parametrize("name", sorted(_unreadable_files()))
def test_unreadable_file_answers_name_no_server_path(shared_app: Any, name: str) -> None:
    app, accounts, ws = shared_app
    before = tree_hash(ws)
    client = app.test_client()
    data = _unreadable_files()[name]
    resp = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/parks",
        data={"file": (io.BytesIO(data), name)},
        headers=accounts.header("staff"),
    )
    assert resp.status_code == 400, resp.get_json()
    assert name in resp.get_json()["message"]
    _assert_no_server_path(resp.get_data(as_text=True), app)
    raster = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/population",
        data={"file": (io.BytesIO(b"II*\x00" + bytes(100)), "garbage.tif")},
        headers=accounts.header("staff"),
    )
    assert raster.status_code == 400, raster.get_json()
    _assert_no_server_path(raster.get_data(as_text=True), app)
    assert tree_hash(ws) == before
