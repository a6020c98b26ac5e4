"""Issue 10, point 3: feature counts and sizes are checked from headers before any reader runs.

The big files are generated at test time in ``tmp_path``; the readers are replaced by functions
that fail the test, so a refusal proves nothing was parsed.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

import gis.upload.readers
from gis.errors import ValidationError
from gis.upload import (
    UploadLimits,
    UploadOptions,
    geojson_feature_count,
    prepare_upload,
    shapefile_record_count,
)
from tests.helpers import DEMO_ID, create_accounts

N_BIG = 250_001  # over the default limit of 200,000 features


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(1)
    xy = np.column_stack([104.05 + rng.random(n) * 0.05, 30.70 + rng.random(n) * 0.05])
    return gpd.GeoDataFrame({"name": np.full(n, "p")}, geometry=shapely.points(xy), crs="EPSG:4326")


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the reader must not run for a file refused from its headers")


@pytest.fixture()
def no_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gis.upload.readers, "_quiet_read", _boom)
    monkeypatch.setattr(gis.upload.readers, "choose_dbf_encoding", _boom)
    monkeypatch.setattr(gis.upload.readers.json, "load", _boom)
    monkeypatch.setattr(pyogrio, "read_dataframe", _boom)


def _codes(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {p.code for p in exc.value.problems}


def _refuse(path: Path, tmp_path: Path, limits: UploadLimits | None = None) -> set[str]:
    with pytest.raises(ValidationError) as exc:
        prepare_upload(
            path,
            options=UploadOptions(kind="sports", original_name=path.name),
            workdir=tmp_path / "work",
            limits=limits or UploadLimits(),
        )
    return _codes(exc)


@pytest.fixture(scope="module")
def big_shapefile_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _shapefile_zip(tmp_path_factory.mktemp("bigshp"), N_BIG)


def test_shapefile_counted_from_shx_and_dbf(big_shapefile_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(big_shapefile_zip) as zf:
        zf.extractall(tmp_path)
    present = {s: tmp_path / f"sports{s}" for s in (".shx", ".dbf")}
    assert shapefile_record_count(present) == N_BIG
    assert shapefile_record_count({".dbf": present[".dbf"]}) == N_BIG


def test_big_shapefile_refused_before_reading(
    big_shapefile_zip: Path, tmp_path: Path, no_readers: None
) -> None:
    assert _refuse(big_shapefile_zip, tmp_path) == {"too_many_features"}


def _shapefile_zip(folder: Path, n: int) -> Path:
    pyogrio.write_dataframe(_points(n), folder / "sports.shp", encoding="UTF-8")
    path = folder / "sports.zip"  # stored: identical points would pass the zip-ratio limit
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for member in sorted(folder.glob("sports.*")):
            if member.suffix != ".zip":
                zf.write(member, member.name)
    return path


def test_shapefile_refused_over_http(
    make_app: Any, ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a small file (the test client leaks request bodies over 500 KB) under a small limit
    app = make_app(
        WORKSPACES_DIR=str(ws.parent),
        USERS_DB=str(tmp_path / "users.sqlite"),
        UPLOAD_TMP_DIR=str(tmp_path / "upload-tmp"),
        UPLOAD_MAX_FEATURES=1_000,
    )
    accounts = create_accounts(app)
    path = _shapefile_zip(tmp_path, 1_001)
    monkeypatch.setattr(gis.upload.readers, "_quiet_read", _boom)
    with path.open("rb") as f:
        response = app.test_client().post(
            f"/api/v1/counties/{DEMO_ID}/layers/sports",
            data={"file": (f, "体育设施.zip")},
            headers=accounts.header("staff"),
        )
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert [e["code"] for e in errors] == ["too_many_features"]
    assert "1,001" in errors[0]["message"] and "超过上限" in errors[0]["message_zh"]


def test_big_geopackage_refused_before_reading(tmp_path: Path, no_readers: None) -> None:
    path = tmp_path / "sports.gpkg"
    pyogrio.write_dataframe(_points(5_001), path, layer="sports")
    assert _refuse(path, tmp_path, UploadLimits(max_features=5_000)) == {"too_many_features"}


def _geojson_text(n: int) -> str:
    feature = (
        '{"type": "Feature", "properties": {"name": "p%d"}, '
        '"geometry": {"type": "Point", "coordinates": [104.06, 30.71]}}'
    )
    body = ",\n".join(feature % i for i in range(n))
    return '{"type": "FeatureCollection", "features": [\n' + body + "\n]}"


def test_geojson_counted_by_streaming(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text(_geojson_text(30_000), encoding="utf-8")  # ~3.6 MB: several 1 MB blocks
    assert geojson_feature_count(path) == 30_000
    assert geojson_feature_count(path, stop_after=100) <= 30_000


def test_geojson_with_too_many_features_refused_before_parsing(
    tmp_path: Path, no_readers: None
) -> None:
    path = tmp_path / "sports.geojson"
    path.write_text(_geojson_text(N_BIG), encoding="utf-8")
    assert _refuse(path, tmp_path) == {"too_many_features"}


def test_geojson_over_byte_limit_refused_before_parsing(tmp_path: Path, no_readers: None) -> None:
    path = tmp_path / "sports.geojson"
    path.write_text(_geojson_text(20_000), encoding="utf-8")
    limits = UploadLimits(max_geojson_bytes=1_000_000)
    assert _refuse(path, tmp_path, limits) == {"geojson_too_large"}


def test_zipped_geojson_refused_from_the_central_directory(
    tmp_path: Path, no_readers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gis.upload.readers, "extract_zip", _boom)
    path = tmp_path / "sports.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sports.geojson", _geojson_text(20_000))  # ~2.4 MB, compresses well
    limits = UploadLimits(max_geojson_bytes=1_000_000)
    assert _refuse(path, tmp_path, limits) == {"geojson_too_large"}


def test_small_geojson_still_accepted(tmp_path: Path) -> None:
    path = tmp_path / "sports.geojson"
    path.write_text(_geojson_text(3), encoding="utf-8")
    prepared = prepare_upload(path, options=UploadOptions(kind="sports"), workdir=tmp_path / "work")
    assert prepared.feature_count == 3
    assert json.loads(path.read_text(encoding="utf-8"))["features"]
