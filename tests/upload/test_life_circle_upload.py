"""The ``facilities`` upload kind (life-circle facilities with ``facility_type``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gis.io import read_layer, read_workspace
from tests.helpers import DEMO_ID
from tests.upload.corpus import geojson_bytes

URL = f"/api/v1/counties/{DEMO_ID}/layers/facilities"


def _post(app: Any, header: dict[str, str], data: bytes) -> Any:
    return app.test_client().post(
        URL, data={"file": (io.BytesIO(data), "设施.geojson")}, headers=header
    )


def _busiest_cell(ws: Path) -> shapely.Point:
    pop = read_workspace(ws).population
    assert pop is not None
    i = int(np.argmax(pop.persons))
    point = gpd.GeoSeries([shapely.Point(pop.x_m[i], pop.y_m[i])], crs=pop.crs)
    return point.to_crs(4326).iloc[0]


def test_upload_replaces_the_facilities_and_the_life_circle_follows(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    client = app.test_client()
    before = client.get(f"/api/v1/counties/{DEMO_ID}/life-circle").get_json()
    osm = read_layer(ws, "facilities")
    where = _busiest_cell(ws)
    extra = gpd.GeoDataFrame(
        {"名称": ["测试养老服务站"], "设施类型": ["社区养老服务站"]}, geometry=[where], crs=4326
    )
    kept = gpd.GeoDataFrame(
        {"名称": osm["name"].fillna(""), "设施类型": osm["facility_type"]},
        geometry=osm.geometry.representative_point(),
        crs=4326,
    )
    upload = gpd.GeoDataFrame(
        gpd.pd.concat([kept, extra], ignore_index=True), geometry="geometry", crs=4326
    )
    resp = _post(app, accounts.header("staff"), geojson_bytes(upload))
    assert resp.status_code == 201, resp.get_json()
    stored = read_layer(ws, "facilities")
    assert len(stored) == len(osm) + 1
    assert (stored["facility_type"] == "elderly_care").sum() == 1
    assert set(stored["osm_tag"]) == {"upload"}
    after = client.get(f"/api/v1/counties/{DEMO_ID}/life-circle").get_json()
    old = {i["id"]: i for i in before["indicators"]}
    new = {i["id"]: i for i in after["indicators"]}
    assert old["life_circle_elderly_care"]["value"] == 0.0
    assert new["life_circle_elderly_care"]["value"] > 0.0  # the busiest cell is covered now
    assert new["life_circle_elderly_care"]["details"]["facilities"] == 1
    assert (
        new["life_circle_kindergarten"]["details"]["facilities"]
        == (old["life_circle_kindergarten"]["details"]["facilities"])
    )


def test_unknown_facility_type_is_refused_with_a_message(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    frame = gpd.GeoDataFrame(
        {"名称": ["加油站"], "设施类型": ["加油站"]}, geometry=[_busiest_cell(ws)], crs=4326
    )
    resp = _post(app, accounts.header("staff"), geojson_bytes(frame))
    assert 400 <= resp.status_code < 500
    text = resp.get_data(as_text=True)
    assert "生活圈设施类型" in text or "life-circle facility type" in text
    assert _post(app, {}, geojson_bytes(frame)).status_code in (401, 403)  # anonymous: no
