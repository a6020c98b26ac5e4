"""County figures and the special-plan checklist over HTTP: who may read and write, the JSON API
(every problem at once, nothing stored on a refusal), the staff page with its CSRF token, and the
new indicators on the planner page, the API and the CLI."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import pytest
import shapely

from gis.cli import main as cli_main
from gis.indicators import INDICATOR_IDS
from tests.helpers import DEMO_ID, PASSWORD, stored_hash, tree_hash

URL = f"/api/v1/counties/{DEMO_ID}/county-data"
PAGE = f"/county-data/{DEMO_ID}"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FIGURES = {
    "figures": {
        "registered_cars": {"value": 1500, "source": "县公安局交警大队", "year": 2020},
        "water_supply_pct": {"value": 95.5, "source": "县统计年鉴2020", "year": 2020},
        "sewage_treatment_pct": {"value": 86, "source": "县住建局", "year": 2020},
    },
    "special_plans": {
        "education": {
            "status": "已批复",
            "approved_on": "2017-11-02",
            "document": "X政文〔2017〕9号",
        },
        "medical": {"status": "编制中"},
    },
}


@pytest.mark.parametrize(
    ("who", "status"),
    [("", 401), ("public", 403), ("other_staff", 403), ("staff", 200), ("admin", 200)],
)
def test_who_may_read_and_write(shared_app: Any, who: str, status: int) -> None:
    app, accounts, ws = shared_app
    client = app.test_client()
    before = tree_hash(ws)
    assert client.get(URL, headers=accounts.header(who)).status_code == status
    bad = {"figures": {"water_supply_pct": {"value": 101, "source": "s", "year": 2020}}}
    answer = client.put(URL, json=bad, headers=accounts.header(who))
    assert answer.status_code == (400 if status == 200 else status)  # writers get the 400
    assert tree_hash(ws) == before  # nothing stored either way


def test_entering_figures_stores_a_version_and_moves_the_indicators(upload_app: Any) -> None:
    app, accounts, ws = upload_app
    client = app.test_client()
    answer = client.put(URL, json=FIGURES, headers=accounts.header("staff"))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["version"] == 1 and body["record"]["user"] == "alice"
    assert body["figures"]["registered_cars"]["value"] == 1500
    plans = {p["key"]: p for p in body["special_plans"]}
    assert len(plans) == 11 and plans["education"]["status"] == "已批复"
    assert plans["culture"]["status"] == "未填报"
    results = {i["id"]: i for i in body["indicators"]}
    assert (
        results["water_supply_coverage"]["value"] == 95.5
        and results["water_supply_coverage"]["passed"]
    )
    assert results["sewage_treatment_rate"]["passed"] is False
    assert results["special_plans_approved_share"]["value"] == pytest.approx(100 / 11, abs=1e-4)
    # kept in the workspace metadata, with the version record
    meta = json.loads((ws / "metadata.json").read_text(encoding="utf-8"))
    assert meta["county_data"]["version"] == 1
    assert meta["county_data"]["history"][0]["changed"][0] == "figures.registered_cars"
    # the report (API) carries the new indicators; the assessment lists what has no data
    report = client.get(f"/api/v1/counties/{DEMO_ID}/indicators").get_json()
    assert [i["id"] for i in report["indicators"]] == list(INDICATOR_IDS)
    assessment = report["assessment"]
    assert "sewer_network_coverage" in assessment["no_data_excluded"]
    assert "water_supply_coverage" not in assessment["no_data_excluded"]
    # clearing one figure is a new version; sending the same again changes nothing
    cleared = client.put(
        URL, json={"figures": {"water_supply_pct": None}}, headers=accounts.header("admin")
    )
    assert (
        cleared.get_json()["version"] == 2
        and "water_supply_pct" not in cleared.get_json()["figures"]
    )
    again = client.put(
        URL,
        json={"figures": {"registered_cars": FIGURES["figures"]["registered_cars"]}},
        headers=accounts.header("staff"),
    )
    assert again.get_json()["version"] == 2 and again.get_json()["record"] == {}
    history = client.get(URL, headers=accounts.header("staff")).get_json()["history"]
    assert [h["user"] for h in history] == ["root", "alice"]


def test_a_bad_update_lists_every_problem_in_both_languages(shared_app: Any) -> None:
    app, accounts, ws = shared_app
    before = stored_hash(ws)
    payload = {
        "figures": {
            "registered_cars": {"value": -1, "source": "", "year": 2020},
            "water_supply_pct": {"value": 120, "source": "s", "year": 1800},
        },
        "special_plans": {"education": {"status": "已批复"}, "nuclear": {"status": "未编制"}},
    }
    answer = app.test_client().put(URL, json=payload, headers=accounts.header("staff"))
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["code"] == "validation_failed"
    codes = sorted(e["code"] for e in body["errors"])
    assert codes == sorted(
        [
            "bad_count",
            "bad_source",
            "bad_percent",
            "bad_year",
            "missing_date",
            "missing_document",
            "unknown_item",
        ]
    )
    assert all(e["message_zh"] and e["message"] for e in body["errors"])
    assert stored_hash(ws) == before
    not_json = app.test_client().put(URL, data="x", headers=accounts.header("staff"))
    assert not_json.status_code == 400


def test_unknown_county_is_404(shared_app: Any) -> None:
    app, accounts, _ws = shared_app
    answer = app.test_client().put(
        "/api/v1/counties/no-such-county/county-data",
        json=FIGURES,
        headers=accounts.header("admin"),
    )
    assert answer.status_code == 404


def _sign_in(client: Any, name: str) -> None:
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    data = {"name": name, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302


def test_the_staff_page(upload_app: Any) -> None:
    app, _accounts, ws = upload_app
    client = app.test_client()
    assert client.get(PAGE).status_code == 302  # anonymous: to the sign-in page
    planner = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert f'href="{PAGE}"' in planner  # reachable from the planner page
    _sign_in(client, "bob")  # staff of another county
    assert client.get(PAGE).status_code == 403
    client = app.test_client()
    _sign_in(client, "alice")
    page = client.get(PAGE).get_data(as_text=True)
    assert "教育" in page and "消防" in page and "registered_cars.value" in page
    token = TOKEN_RE.search(page).group(1)  # type: ignore[union-attr]
    form = {
        "registered_cars.value": "1,500",
        "registered_cars.source": "交警",
        "registered_cars.year": "2020",
    }
    # without the CSRF token the cookie-authenticated write is refused
    assert client.post(PAGE, data=form).status_code == 403
    bad = client.post(PAGE, data={**form, "csrf_token": token, "plan.education.status": "已批复"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "bad_count" in text and "missing_date" in text and "须填写批复日期" in text
    assert "county_data" not in json.loads((ws / "metadata.json").read_text(encoding="utf-8"))
    ok = client.post(
        PAGE,
        data={
            **form,
            "registered_cars.value": "1500",
            "csrf_token": token,
            "plan.education.status": "已批复",
            "plan.education.approved_on": "2017-12-01",
            "plan.education.document": "X政〔2017〕1号",
        },
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)[:2000]
    stored = json.loads((ws / "metadata.json").read_text(encoding="utf-8"))["county_data"]
    assert stored["figures"]["registered_cars"]["value"] == 1500
    assert stored["special_plans"]["education"]["document"] == "X政〔2017〕1号"
    assert 'data-plan="education" data-status="已批复"' in ok.get_data(as_text=True)


def test_the_cli_prints_the_new_targets(
    upload_app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app, accounts, ws = upload_app
    app.test_client().put(URL, json=FIGURES, headers=accounts.header("staff"))
    assert cli_main(["indicators", str(ws), "--json"]) in (0, None)
    report = json.loads(capsys.readouterr().out)
    by_id = {i["id"]: i for i in report["indicators"]}
    assert by_id["water_supply_coverage"]["value"] == 95.5
    assert by_id["sewer_network_coverage"]["status"] == "no_data"
    # the demonstration area's OSM car parks carry no capacity tag: not computable, not a fail
    parking = by_id["parking_per_100_cars"]
    assert parking["passed"] is None and parking["status"] in ("not_computable", "no_data", "ok")


def test_uploaded_car_parks_and_sewer_pipes_feed_the_indicators(upload_app: Any) -> None:
    from gis.io import read_layer
    from tests.upload.corpus import geojson_bytes
    from tests.upload.test_good_uploads import indicator, post

    app, accounts, ws = upload_app
    app.test_client().put(URL, json=FIGURES, headers=accounts.header("staff"))  # 1,500 cars
    bu = read_layer(ws, "built_up").geometry.iloc[0]
    inside = [bu.representative_point()] * 3
    lots = gpd.GeoDataFrame(
        {"名称": ["甲", "乙", "丙"], "泊位数": ["50", "120个", None]}, geometry=inside, crs=4326
    )
    resp = post(app, accounts.header("staff"), "parking", geojson_bytes(lots), "parking.geojson")
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert indicator(body, "parking_per_100_cars")["after"] == pytest.approx(170 / 15, abs=1e-4)
    stored = read_layer(ws, "parking")
    assert stored["capacity_spaces"].isna().sum() == 1 and set(stored["access"]) == {"public"}
    bad = lots.assign(泊位数=["五十", "-3", "1.5"])
    refused = post(app, accounts.header("staff"), "parking", geojson_bytes(bad), "bad.geojson")
    assert refused.status_code == 400
    assert [e["code"] for e in refused.get_json()["errors"]] == ["bad_count"]
    minx, miny, maxx, maxy = bu.bounds
    pipe = shapely.LineString([(minx - 0.01, (miny + maxy) / 2), (maxx + 0.01, (miny + maxy) / 2)])
    pipes = gpd.GeoDataFrame({"管径": [400]}, geometry=[pipe], crs=4326)
    resp = post(app, accounts.header("staff"), "sewer_pipes", geojson_bytes(pipes), "pipes.geojson")
    assert resp.status_code == 201, resp.get_json()
    after = indicator(resp.get_json(), "sewer_network_coverage")["after"]
    assert 0 < after < 100
