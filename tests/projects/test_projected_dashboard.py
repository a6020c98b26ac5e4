"""The planner dashboard's "when the passed projects are finished": a park project entered by
the county and passed by the province moves park per capita on the API and the page; a draft
or submitted project moves nothing; the stored layers are untouched."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from shapely.geometry import box, mapping

from tests.helpers import DEMO_ID, Accounts, tree_hash

URL = f"/api/v1/counties/{DEMO_ID}/projects"
PROJECTED = f"/api/v1/counties/{DEMO_ID}/indicators/projected"


def _park_body(app: Any) -> dict[str, Any]:
    """A 1 ha square park project inside the county's built-up area, in lon/lat."""
    store = app.extensions["gis_store"].backend
    built = store.read_layer(DEMO_ID, "built_up")
    metric = built.estimate_utm_crs()
    centre = built.to_crs(metric).union_all().representative_point()
    square = box(centre.x - 50, centre.y - 50, centre.x + 50, centre.y + 50)
    geom = gpd.GeoSeries([square], crs=metric).to_crs(4326).iloc[0]
    return {
        "name": "城北口袋公园",
        "category": "公园绿地",
        "investment_wan_yuan": 300,
        "progress_pct": 0,
        "geometry": mapping(geom),
    }


def _row(doc: dict[str, Any], indicator: str) -> dict[str, Any]:
    return next(r for r in doc["projected"]["indicators"] if r["id"] == indicator)


def test_a_passed_park_project_moves_park_per_capita(lib_app: Any) -> None:
    app, accounts, ws = lib_app
    client = app.test_client()
    staff: Accounts = accounts
    resp = client.post(URL, json=_park_body(app), headers=staff.header("staff"))
    assert resp.status_code == 201, resp.get_json()
    pid = resp.get_json()["project"]["project_id"]

    # a draft, then a submitted project: nothing projected
    assert client.get(PROJECTED).get_json()["projected"] is None
    assert client.post(f"{URL}/{pid}/submit", headers=staff.header("staff")).status_code == 200
    assert client.get(PROJECTED).get_json()["projected"] is None
    page = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert 'id="projected"' in page and "暂无审核通过的项目" in page

    resp = client.post(
        f"{URL}/{pid}/review", json={"decision": "pass"}, headers=staff.header("reviewer")
    )
    assert resp.status_code == 200, resp.get_json()
    before = tree_hash(ws)
    doc = client.get(PROJECTED).get_json()
    park = _row(doc, "park_green_per_capita")
    now = client.get(f"/api/v1/counties/{DEMO_ID}/indicators").get_json()
    now_park = next(i for i in now["indicators"] if i["id"] == "park_green_per_capita")
    assert park["now"] == now_park["value"]  # "now" is the dashboard's own figure
    # 10,000 m² more park for the same residents (the square lies in the built-up area)
    persons = 10_000.0 / (park["projected"] - park["now"])
    assert 0.5 * 72_720 < persons < 2 * 72_720
    assert doc["projected"]["project_counts"]["applied"] == 1
    assert _row(doc, "road_density")["delta"] == 0.0
    assert tree_hash(ws) == before  # computed on a copy

    page = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert 'id="projected"' in page
    section = page[page.index('id="projected"') :]
    assert f'data-projected="{park["projected"]}"' in section
    assert "不合格" in section or "合格" in section  # the grade now → projected
