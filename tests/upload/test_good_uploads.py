"""Accepted uploads of real data: GBK shapefiles in Gauss-Krüger zones (with and without the zone
prefix), a GeoPackage with several layers, GeoJSON, GCJ-02, a population GeoTIFF; the stored
layer and the indicators change as computed by hand; rollback restores them; the page flow."""

from __future__ import annotations

import io
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString

from gis.chinacrs import wgs84_to_gcj02
from gis.io import read_layer, read_metadata
from gis.store import history
from tests.helpers import DEMO_ID, PASSWORD, write_grid_tif
from tests.upload.corpus import (
    geojson_bytes,
    real_parks,
    real_pitches,
    real_roads,
    shapefile_members,
    zip_bytes,
)

METRIC = 4544  # the demonstration area's CGCS2000 GK zone (CM 105E)


def post(
    app: Any, token_header: dict[str, str], kind: str, data: bytes, name: str, **form: str
) -> Any:
    fields: dict[str, Any] = {"file": (io.BytesIO(data), name), **form}
    return app.test_client().post(
        f"/api/v1/counties/{DEMO_ID}/layers/{kind}", data=fields, headers=token_header
    )


def indicator(body: dict[str, Any], ind_id: str) -> dict[str, Any]:
    return next(i for i in body["indicators"] if i["id"] == ind_id)


def _built_up_m(ws: Path) -> shapely.Geometry:
    return read_layer(ws, "built_up").to_crs(METRIC).union_all()


def test_gbk_shapefile_gk_zone_without_prefix_no_cpg(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    parks = real_parks().iloc[:10]
    members = shapefile_members(parks.to_crs(METRIC), "公园", encoding="GBK")
    members.pop("公园.cpg")  # no .cpg: the encoding must be detected
    resp = post(app, accounts.header("staff"), "parks", zip_bytes(members), "公园.zip")
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["version"] == 1 and body["record"]["user"] == "alice"
    assert body["report"]["encoding"].startswith("gb") and "detected" in body["report"]["encoding"]
    assert body["report"]["crs"] == "EPSG:4544" and body["report"]["column_mapping"] == {
        "name": "名称"
    }
    stored = read_layer(ws, "parks")
    assert stored.crs.to_epsg() == 4326 and len(stored) == 10
    assert list(stored["name"]) == list(parks["名称"])  # Chinese text intact
    assert "芙蓉渚公园" in set(stored["name"])
    # geometry survives GK → storage within a centimetre
    diff = stored.to_crs(METRIC).geometry.hausdorff_distance(
        parks.to_crs(METRIC).geometry.reset_index(drop=True)
    )
    assert float(diff.max()) < 0.01
    # park area per capita scales with the park area inside the built-up area (hand computed)
    bu = _built_up_m(ws)
    all_m = shapely.intersection(real_parks().to_crs(METRIC).union_all(), bu).area
    sub_m = shapely.intersection(parks.to_crs(METRIC).union_all(), bu).area
    change = indicator(body, "park_green_per_capita")
    assert change["changed"] is True
    assert change["after"] == pytest.approx(change["before"] * sub_m / all_m, rel=1e-3)
    assert indicator(body, "road_density")["changed"] is False
    meta = read_metadata(ws)["layers"]["parks"]
    assert (
        meta["provenance"] == "uploaded"
        and meta["count"] == 10
        and meta["upload"]["original_name"] == "公园.zip"
    )


def test_gbk_shapefile_zone_prefixed_gk(upload_app: Any) -> None:
    """EPSG:4523 (CGCS2000 3-degree zone 35, x = 35 500 000 + …) with a .cpg saying GBK."""
    app, accounts, ws = upload_app
    roads = real_roads()
    members = shapefile_members(roads.to_crs(4523), "道路", encoding="GBK")
    resp = post(app, accounts.header("staff"), "roads", zip_bytes(members), "道路.zip")
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["report"]["crs"] == "EPSG:4523" and body["report"]["encoding"].startswith("gbk")
    stored = read_layer(ws, "roads")
    assert len(stored) == len(roads)
    expected = {
        "快速路": "expressway",
        "主干路": "arterial",
        "次干路": "secondary",
        "支路": "branch",
        "其他": "other",
    }
    assert list(stored["road_class"]) == [expected[c] for c in roads["道路等级"]]
    xs = shapely.get_coordinates(stored.geometry.to_numpy())[:, 0]
    assert (
        xs.min() > 104.0 and xs.max() < 104.2
    )  # really placed in the county, not 35 million metres east
    diff = stored.to_crs(METRIC).geometry.hausdorff_distance(
        roads.to_crs(METRIC).geometry.reset_index(drop=True)
    )
    assert float(diff.max()) < 0.01
    change = indicator(body, "road_density")
    assert change["after"] is not None and change["after"] == pytest.approx(
        change["before"], rel=0.2
    )


def test_geojson_roads_density_known_by_hand(upload_app: Any) -> None:
    """A 主干路 line and a 其他 road: density = urban length inside the built-up area ÷ its area."""
    app, accounts, ws = upload_app
    bu = _built_up_m(ws)
    p = bu.representative_point()
    line = LineString([(p.x - 500, p.y), (p.x + 500, p.y)])
    service = LineString([(p.x - 500, p.y + 50), (p.x + 500, p.y + 50)])
    roads = gpd.GeoDataFrame(
        {"name": ["测试大道", "后巷"], "class": ["主干路", "其他"]},
        geometry=[line, service],
        crs=METRIC,
    ).to_crs(4326)
    resp = post(app, accounts.header("staff"), "roads", geojson_bytes(roads), "roads.geojson")
    body = resp.get_json()
    assert resp.status_code == 201, body
    expected = shapely.intersection(line, bu).length / 1000 / (bu.area / 1e6)
    assert indicator(body, "road_density")["after"] == pytest.approx(expected, rel=2e-3)


def _gpkg_bytes(layers: dict[str, gpd.GeoDataFrame]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "county.gpkg"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, gdf in layers.items():
                pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG")
        return path.read_bytes()


def test_geopackage_choose_one_layer(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    sports = real_pitches().iloc[:3].to_crs(4490)  # CGCS2000 geographic
    data = _gpkg_bytes({"体育设施": sports, "公园": real_parks(), "道路": real_roads().iloc[:20]})
    refused = post(app, accounts.header("staff"), "sports", data, "county.gpkg")
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["code"] == "choose_layer"
    resp = post(app, accounts.header("staff"), "sports", data, "county.gpkg", layer="体育设施")
    body = resp.get_json()
    assert resp.status_code == 201, body
    stored = read_layer(ws, "sports")
    assert len(stored) == 3 and list(stored["leisure"]) == list(sports["类型"])
    change = indicator(body, "fitness_15min_coverage")
    assert change["after"] <= change["before"]  # fewer facilities never cover more people
    assert [v["version"] for v in history(ws, "sports")] == [0, 1]


def test_geojson_plans_cover_everything_then_nothing(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    bu = read_layer(ws, "built_up")
    plans = gpd.GeoDataFrame(
        {
            "规划编号": ["U-01"],
            "规划名称": ["全域控规"],
            "审批状态": ["已批复"],
            "批复日期": ["2018年6月30日"],
        },
        geometry=bu.geometry.values,
        crs=4326,
    )
    resp = post(app, accounts.header("staff"), "plans", geojson_bytes(plans), "plans.geojson")
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert indicator(body, "regulatory_plan_coverage")["after"] == pytest.approx(100.0, abs=1e-6)
    stored = read_layer(ws, "plans")
    assert list(stored["approved_on"]) == ["2018-06-30"] and list(stored["sample"]) == [False]
    plans["审批状态"] = "编制中"
    body = post(
        app, accounts.header("staff"), "plans", geojson_bytes(plans), "plans.geojson"
    ).get_json()
    assert indicator(body, "regulatory_plan_coverage")["after"] == pytest.approx(0.0, abs=1e-6)


def test_gcj02_declared_is_converted(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    parks = real_parks()
    shifted = parks.copy()
    shifted["geometry"] = shapely.transform(
        parks.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    offset = shifted.to_crs(METRIC).centroid.distance(parks.to_crs(METRIC).centroid)
    assert 200 < float(offset.mean()) < 800  # the GCJ-02 offset is real
    resp = post(
        app,
        accounts.header("staff"),
        "parks",
        geojson_bytes(shifted),
        "amap.geojson",
        coord_system="gcj02",
    )
    assert resp.status_code == 201, resp.get_json()
    stored = read_layer(ws, "parks").to_crs(METRIC)
    diff = stored.geometry.hausdorff_distance(parks.to_crs(METRIC).geometry.reset_index(drop=True))
    assert float(diff.max()) < 0.5
    assert any(w["code"] == "converted" for w in resp.get_json()["report"]["warnings"])


def test_invalid_geometry_repaired_and_counted(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    parks = real_parks().iloc[:5].to_crs(METRIC).copy()
    x0, y0, x1, y1 = parks.geometry.iloc[0].bounds
    parks.loc[parks.index[0], "geometry"] = shapely.Polygon(
        [(x0, y0), (x1, y1), (x1, y0), (x0, y1)]
    )  # bow-tie
    assert not parks.geometry.iloc[0].is_valid
    resp = post(app, accounts.header("staff"), "parks", geojson_bytes(parks), "parks.geojson")
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["report"]["repaired_geometries"] == 1
    assert any(w["code"] == "repaired_geometries" for w in body["report"]["warnings"])
    stored = read_layer(ws, "parks")
    assert stored.is_valid.all() and len(stored) == 5


def test_population_geotiff(upload_app: Any, tmp_path: Path) -> None:
    app, accounts, ws = upload_app
    bu = _built_up_m(ws)
    minx, miny, maxx, maxy = bu.bounds
    cols, rows = int((maxx - minx) // 100) + 1, int((maxy - miny) // 100) + 1
    values = np.full((rows, cols), 10.0, dtype="float32")
    values[0, 0] = -1.0  # nodata
    total = float(values[values > 0].sum())
    tif = write_grid_tif(tmp_path / "人口.tif", values, left=minx, top=maxy, cell_m=100)
    before_pop = read_metadata(ws)["population"]["urban_population"]
    resp = post(app, accounts.header("staff"), "population", tif.read_bytes(), "人口.tif")
    body = resp.get_json()
    assert resp.status_code == 201, body
    pop = read_metadata(ws)["population"]
    assert (
        pop["total"] == pytest.approx(total)
        and pop["provenance"] == "uploaded"
        and pop["is_estimate"] is False
    )
    change = indicator(body, "park_green_per_capita")
    assert change["after"] == pytest.approx(change["before"] * before_pop / total, rel=1e-3)
    back = app.test_client().post(
        f"/api/v1/counties/{DEMO_ID}/layers/population/rollback",
        json={"version": 0},
        headers=accounts.header("staff"),
    )
    assert back.status_code == 201
    assert read_metadata(ws)["population"]["provenance"] == "estimated"
    assert indicator(back.get_json(), "park_green_per_capita")["after"] == pytest.approx(
        change["before"]
    )


def test_rollback_restores_indicators_and_history(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    first = post(
        app, accounts.header("staff"), "parks", geojson_bytes(real_parks().iloc[:4]), "few.geojson"
    )
    before = indicator(first.get_json(), "park_green_per_capita")["before"]
    client = app.test_client()
    resp = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/parks/rollback",
        json={"version": 0},
        headers=accounts.header("staff"),
    )
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["version"] == 2 and body["record"]["rollback_of"] == 0
    assert indicator(body, "park_green_per_capita")["after"] == pytest.approx(before)
    versions = client.get(
        f"/api/v1/counties/{DEMO_ID}/layers/parks/versions", headers=accounts.header("staff")
    )
    listed = versions.get_json()
    assert listed["current"] == 2
    assert [(v["version"], v["action"], v["current"]) for v in listed["versions"]] == [
        (0, "initial", False),
        (1, "upload", False),
        (2, "rollback", True),
    ]
    bad = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/parks/rollback",
        json={"version": 7},
        headers=accounts.header("staff"),
    )
    assert bad.status_code == 404
    assert (
        client.post(
            f"/api/v1/counties/{DEMO_ID}/layers/parks/rollback",
            json={"version": "x"},
            headers=accounts.header("staff"),
        ).status_code
        == 400
    )


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def test_page_flow_sign_in_upload_problems_rollback(upload_app: Any) -> None:
    app, _accounts, ws = upload_app
    client = app.test_client()
    page = client.get(f"/upload/{DEMO_ID}")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    login = client.get(f"/login?next=/upload/{DEMO_ID}")
    token = _csrf(login.get_data(as_text=True))
    signed = client.post(
        "/login",
        data={
            "name": "alice",
            "password": PASSWORD,
            "csrf_token": token,
            "next": f"/upload/{DEMO_ID}",
        },
    )
    assert signed.status_code == 302 and signed.headers["Location"].endswith(f"/upload/{DEMO_ID}")
    cookie = signed.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get(f"/upload/{DEMO_ID}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'type="file"' in html and 'name="epsg"' in html
    assert 'value="gcj02"' in html and 'name="map.name"' in html
    token = _csrf(html)
    bad = (
        Path(__file__).resolve().parents[1]
        / "data"
        / "bad_uploads"
        / "combo_plans_gbk_cpg_wrong_no_prj.zip"
    )
    refused = client.post(
        f"/upload/{DEMO_ID}",
        data={
            "csrf_token": token,
            "kind": "plans",
            "file": (io.BytesIO(bad.read_bytes()), bad.name),
        },
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert (
        text.count('data-code="') >= 4 and "missing_column" in text and "encoding_mismatch" in text
    )
    assert "缺少" in text and "no_crs" in text
    accepted = client.post(
        f"/upload/{DEMO_ID}",
        data={
            "csrf_token": token,
            "kind": "parks",
            "file": (io.BytesIO(geojson_bytes(real_parks().iloc[:5])), "五个公园.geojson"),
        },
    )
    text = accepted.get_data(as_text=True)
    assert accepted.status_code == 201
    assert 'id="changes"' in text and 'data-indicator-id="park_green_per_capita"' in text
    assert "五个公园.geojson" in text
    no_token = client.post(
        f"/upload/{DEMO_ID}", data={"kind": "parks", "action": "rollback", "version": "0"}
    )
    assert no_token.status_code == 403
    back = client.post(
        f"/upload/{DEMO_ID}",
        data={"csrf_token": token, "kind": "parks", "action": "rollback", "version": "0"},
    )
    assert back.status_code == 201
    assert [v["action"] for v in history(ws, "parks")] == ["initial", "upload", "rollback"]
