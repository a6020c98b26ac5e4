"""The scenario API: evaluate, save, list, get, update, delete, compare and export; planners of
the county only; every bad input a 4xx with a bilingual message; the stored layers unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import LineString, box, mapping

from tests.helpers import DEMO_ID, tree_hash

BASE = f"/api/v1/counties/{DEMO_ID}/scenarios"


def lonlat_edits(app: Any) -> list[dict[str, Any]]:
    """A 200 m square park, a 300 m road and a pitch near the built-up area's centre."""
    built = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "built_up")
    metric = built.estimate_utm_crs()
    c = built.to_crs(metric).union_all().representative_point()

    def ll(geom: Any) -> dict[str, Any]:
        return dict(mapping(gpd.GeoSeries([geom], crs=metric).to_crs(4326).iloc[0]))

    return [
        {
            "op": "add",
            "layer": "parks",
            "name": "样例公园",
            "geometry": ll(box(c.x, c.y, c.x + 200, c.y + 200)),
        },
        {"op": "add", "layer": "roads", "geometry": ll(LineString([(c.x, c.y), (c.x + 300, c.y)]))},
        {"op": "add", "layer": "sports", "facility_type": "pitch", "geometry": ll(c)},
    ]


def row(results: dict[str, Any], indicator: str) -> dict[str, Any]:
    return next(r for r in results["indicators"] if r["id"] == indicator)


def test_evaluate_save_list_compare_export_delete(sc_app: Any, tmp_path: Path) -> None:
    app, accounts, ws = sc_app
    client = app.test_client()
    staff = accounts.header("staff")
    before_hash = tree_hash(ws)
    edits = lonlat_edits(app)
    report = client.get(f"/api/v1/counties/{DEMO_ID}/indicators").get_json()
    now = {i["id"]: i["value"] for i in report["indicators"]}

    resp = client.post(f"{BASE}/evaluate", json={"edits": edits[:1]}, headers=staff)
    assert resp.status_code == 200, resp.get_json()
    park = row(resp.get_json()["results"], "park_green_per_capita")
    assert park["before"] == now["park_green_per_capita"]
    assert park["after"] > park["before"] and park["recomputed"]
    assert resp.get_json()["results"]["grade"]["score_before"] == report["assessment"]["score"]

    one = client.post(BASE, json={"name": "新公园", "edits": edits[:1]}, headers=staff)
    assert one.status_code == 201, one.get_json()
    two = client.post(BASE, json={"name": "公园+道路+球场", "edits": edits}, headers=staff)
    assert two.status_code == 201
    a, b = one.get_json(), two.get_json()
    assert a["author"] == "alice" and a["results"]["indicators"] and not a["stale"]
    assert row(a["results"], "park_green_per_capita")["after"] == park["after"]

    listed = client.get(BASE, headers=staff).get_json()["scenarios"]
    assert {s["scenario_id"] for s in listed} == {a["scenario_id"], b["scenario_id"]}
    assert all(s["author"] == "alice" for s in listed)
    assert (
        client.get(BASE + "?mine=1", headers=accounts.header("admin")).get_json()["scenarios"] == []
    )

    got = client.get(f"{BASE}/{b['scenario_id']}", headers=staff).get_json()
    assert len(got["edits"]) == 3 and got["name"] == "公园+道路+球场"

    cmp = client.get(f"{BASE}/compare?ids={a['scenario_id']},{b['scenario_id']}", headers=staff)
    assert cmp.status_code == 200
    road = next(r for r in cmp.get_json()["indicators"] if r["id"] == "road_density")
    assert road["scenarios"][a["scenario_id"]]["after"] == road["before"]
    assert road["scenarios"][b["scenario_id"]]["after"] > road["before"]

    renamed = client.put(
        f"{BASE}/{a['scenario_id']}", json={"name": "改名", "edits": edits[1:2]}, headers=staff
    )
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == "改名"
    assert row(renamed.get_json()["results"], "road_density")["after"] > now["road_density"]

    gpkg = client.get(f"{BASE}/{b['scenario_id']}/export.gpkg", headers=staff)
    assert gpkg.status_code == 200 and gpkg.data[:15] == b"SQLite format 3"
    path = tmp_path / "scenario.gpkg"
    path.write_bytes(gpkg.data)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"edits", "indicators", "scenario"}
    edits_gdf = pyogrio.read_dataframe(path, layer="edits")
    assert list(edits_gdf["op"]) == ["add"] * 3 and edits_gdf.crs.to_epsg() == 4326
    table = pyogrio.read_dataframe(path, layer="indicators", read_geometry=False)
    assert table.loc[table["id"] == "road_density", "after"].iloc[0] > now["road_density"]

    # another planner of the county may read but not change alice's scenario; an admin may
    assert (
        client.delete(f"{BASE}/{a['scenario_id']}", headers=accounts.header("admin")).status_code
        == 200
    )
    assert client.get(f"{BASE}/{a['scenario_id']}", headers=staff).status_code == 404
    assert tree_hash(ws) == before_hash  # the stored layers never change


@pytest.mark.parametrize(
    ("who", "status"), [("", 401), ("public", 403), ("other_staff", 403), ("reviewer", 403)]
)
def test_only_the_county_planners(sc_app: Any, who: str, status: int) -> None:
    app, accounts, ws = sc_app
    client = app.test_client()
    made = client.post(BASE, json={"name": "x", "edits": []}, headers=accounts.header("staff"))
    sid = made.get_json()["scenario_id"]
    headers = accounts.header(who)
    for method, url in [
        ("GET", BASE),
        ("POST", BASE),
        ("POST", f"{BASE}/evaluate"),
        ("GET", f"{BASE}/{sid}"),
        ("PUT", f"{BASE}/{sid}"),
        ("DELETE", f"{BASE}/{sid}"),
        ("GET", f"{BASE}/compare?ids={sid},{sid}"),
        ("GET", f"{BASE}/{sid}/export.gpkg"),
    ]:
        resp = client.open(url, method=method, json={"name": "y", "edits": []}, headers=headers)
        assert resp.status_code == status, (method, url, resp.get_json())
    assert client.get(f"{BASE}/{sid}", headers=accounts.header("staff")).status_code == 200


def test_bad_input_is_a_clear_4xx(sc_app: Any) -> None:
    app, accounts, _ws = sc_app
    client = app.test_client()
    staff = accounts.header("staff")
    bad = client.post(f"{BASE}/evaluate", json={"edits": [{"op": "paint"}]}, headers=staff)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["code"] == "unknown_op"
    far = {"op": "add", "layer": "sports", "geometry": {"type": "Point", "coordinates": [0.0, 0.0]}}
    outside = client.post(f"{BASE}/evaluate", json={"edits": [far]}, headers=staff)
    assert outside.status_code == 400
    assert outside.get_json()["errors"][0]["code"] == "outside_county"
    assert client.post(BASE, json={"edits": []}, headers=staff).status_code == 400  # no name
    assert client.post(BASE, json={"name": "x", "oops": 1}, headers=staff).status_code == 400
    assert client.post(BASE, data="not json", headers=staff).status_code == 400
    missing = client.get(f"{BASE}/S-000000000000", headers=staff)
    assert missing.status_code == 404 and "情景" in missing.get_json()["message"]
    assert client.get(f"{BASE}/../../etc", headers=staff).status_code == 404
    assert client.get(f"{BASE}/compare?ids=S-000000000000", headers=staff).status_code == 400
    gone = client.get(f"{BASE}/compare?ids=S-000000000000,S-000000000001", headers=staff)
    assert gone.status_code == 404
    other = client.get(
        "/api/v1/counties/no-such-county/scenarios", headers=accounts.header("admin")
    )
    assert other.status_code == 404
