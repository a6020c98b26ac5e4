"""``POST /api/v1/counties/<id>/fitness-sites``: who may ask, what it answers, bad requests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEMO_ID, OTHER_ID, Accounts, create_accounts, tree_hash

URL = f"/api/v1/counties/{DEMO_ID}/fitness-sites"


@pytest.fixture(scope="module")
def sites_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Accounts, Path]:
    target = tmp_path_factory.mktemp("sites-api") / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    app = make_app(WORKSPACES_DIR=str(target.parent), SITES_MAX_TIME_LIMIT_S=30)
    return app, create_accounts(app), target


def post(app: Any, accounts: Accounts, who: str, body: Any, url: str = URL) -> Any:
    return app.test_client().post(url, json=body, headers=accounts.header(who))


def test_only_the_countys_staff_and_admins_may_search(sites_app: Any) -> None:
    app, accounts, ws = sites_app
    before = tree_hash(ws)
    body = {"k": 2, "method": "greedy"}
    assert post(app, accounts, "", body).status_code == 401
    for who in ("public", "other_staff", "reviewer"):
        assert post(app, accounts, who, body).status_code == 403, who
    assert post(app, accounts, "staff", body).status_code == 200
    assert post(app, accounts, "admin", body).status_code == 200
    assert post(app, accounts, "admin", body, URL.replace(DEMO_ID, OTHER_ID)).status_code == 404
    assert tree_hash(ws) == before  # nothing stored changes


def test_exact_beats_greedy_on_the_demo_and_says_so(sites_app: Any) -> None:
    app, accounts, _ = sites_app
    exact = post(app, accounts, "staff", {"k": 5}).get_json()
    greedy = post(app, accounts, "staff", {"k": 5, "method": "greedy"}).get_json()
    assert exact["search"]["method"] == "exact" and exact["search"]["optimal"] is True
    assert exact["search"]["gap_pct"] == 0.0
    assert greedy["search"]["method"] == "greedy" and greedy["search"]["gap_pct"] is None
    assert exact["search"]["persons_added"] >= greedy["search"]["persons_added"]
    assert exact["search"]["greedy_persons_added"] == greedy["search"]["persons_added"]
    assert len(exact["suggested_sites"]) == 5
    assert exact["parameters"]["method"] == "exact" and exact["parameters"]["sites_k"] == 5
    # the same figures as the CLI's and the indicator's default suggestions
    report = app.test_client().get(f"/api/v1/counties/{DEMO_ID}/indicators").get_json()
    fitness = next(i for i in report["indicators"] if i["id"] == "fitness_15min_coverage")
    assert [s["node_id"] for s in fitness["details"]["suggested_sites"]] == [
        s["node_id"] for s in exact["suggested_sites"]
    ]
    assert fitness["details"]["site_search"]["method"] == "exact"


def test_fixed_sites_and_excluded_areas(sites_app: Any) -> None:
    app, accounts, _ = sites_app
    best = post(app, accounts, "staff", {"k": 1}).get_json()["suggested_sites"][0]
    lon, lat, d = best["lon"], best["lat"], 0.002
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    polygon = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    out = post(
        app,
        accounts,
        "staff",
        {
            "k": 3,
            "fixed_sites": [[104.06, 30.77]],
            "excluded": {"type": "Feature", "properties": {}, "geometry": polygon},
            "exclude_layers": ["parks", "landuse:landuse=water"],
        },
    ).get_json()
    assert out["fixed_sites"] == [{"lon": 104.06, "lat": 30.77}]
    assert out["fixed_sites_effect"]["count"] == 1
    assert out["excluded"]["layers"] == ["parks", "landuse:landuse=water"]
    assert out["excluded"]["polygons"] > 1
    for site in out["suggested_sites"]:
        assert not (abs(site["lon"] - lon) <= d and abs(site["lat"] - lat) <= d)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"method": "lp"}, "method must be one of exact, greedy"),
        ({"k": 101}, "sites_k=101"),
        ({"k": 2.5}, "k must be a whole number"),
        ({"k": "5"}, "k must be a number"),
        ({"time_limit_s": 31}, "time_limit_s must be > 0 and <= 30"),
        ({"fixed_sites": [[500000, 3850000]]}, "fixed_sites must be a list"),
        ({"fixed_sites": "104,30"}, "fixed_sites must be a list"),
        ({"excluded": {"type": "Point", "coordinates": [104, 30]}}, "only polygons"),
        ({"excluded": [1, 2]}, "expected a GeoJSON object"),
        ({"exclude_layers": ["lakes"]}, "no such layer"),
        ({"exclude_layers": "parks"}, "exclude_layers must be a list"),
        ({"colour": "red"}, "unknown field(s) colour"),
        ([1, 2], "the body must be a JSON object"),
    ],
)
def test_bad_requests_are_400_with_a_message(sites_app: Any, body: Any, text: str) -> None:
    app, accounts, _ = sites_app
    resp = post(app, accounts, "staff", body)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert text in resp.get_json()["message"]


def test_several_problems_are_reported_at_once(sites_app: Any) -> None:
    app, accounts, _ = sites_app
    resp = post(app, accounts, "staff", {"method": "x", "k": "y", "fixed_sites": 3})
    assert resp.status_code == 400
    sources = {e["source"] for e in resp.get_json()["errors"]}
    assert sources == {"method", "k", "fixed_sites"}
    assert all(e["message_zh"] for e in resp.get_json()["errors"])


def test_a_body_that_is_not_json_is_refused(sites_app: Any) -> None:
    app, accounts, _ = sites_app
    resp = app.test_client().post(
        URL, data="k=5", content_type="text/plain", headers=accounts.header("staff")
    )
    assert resp.status_code == 400 and "not JSON" in resp.get_json()["message"]


def test_the_planner_map_and_the_sites_layer_name_the_method(sites_app: Any) -> None:
    app, _, _ = sites_app
    client = app.test_client()
    html = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert 'id="sites-method"' in html
    assert "最大覆盖精确解 exact maximal covering" in html and "已证最优 proven optimal" in html
    assert f"/api/v1/counties/{DEMO_ID}/fitness-sites" in html
    layer = client.get(f"/api/v1/counties/{DEMO_ID}/layers/fitness_sites").get_json()
    methods = {f["properties"]["method"] for f in layer["features"]}
    assert methods == {"exact"}


def test_a_search_waits_for_a_free_computation_slot(sites_app: Any) -> None:
    app, accounts, _ = sites_app
    slots = app.extensions["gis_compute_slots"]
    assert slots.acquire(timeout=5)  # another computation holds the only slot
    try:
        busy = post(app, accounts, "staff", {"k": 1, "method": "greedy"})
    finally:
        slots.release()
    assert busy.status_code == 503 and "Retry-After" in busy.headers
    assert post(app, accounts, "staff", {"k": 1, "method": "greedy"}).status_code == 200
