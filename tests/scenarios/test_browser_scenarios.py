"""In a real browser (Debian chromium via Playwright): a county planner signs in, opens the
planner map, draws a park in the what-if panel and the dashboard shows park per capita before
→ after equal to the API's answer for the same edits; the scenario is saved and listed; the
page raises no console error, asks for nothing outside the app, and the stored layers stay."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.helpers import DEMO_ID, signed_in_page, tree_hash

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture()
def served(sc_app: Any) -> Iterator[tuple[str, Any, Any, Any]]:
    app, accounts, ws = sc_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, accounts, ws
    server.shutdown()
    thread.join(timeout=10)


def _park_corners(app: Any) -> list[tuple[float, float]]:
    """(lat, lon) of a 250 m square near the built-up area's centre."""
    built = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "built_up")
    metric = built.estimate_utm_crs()
    c = built.to_crs(metric).union_all().representative_point()
    corners = [(c.x, c.y), (c.x + 250, c.y), (c.x + 250, c.y + 250), (c.x, c.y + 250)]
    pts = gpd.GeoSeries(gpd.points_from_xy(*zip(*corners, strict=True)), crs=metric).to_crs(4326)
    return [(p.y, p.x) for p in pts]


def test_planner_draws_a_park_and_sees_the_api_figures(served: tuple[str, Any, Any, Any]) -> None:
    base, app, accounts, ws = served
    before_hash = tree_hash(ws)
    corners = _park_corners(app)
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = signed_in_page(browser, base, f"/map/{DEMO_ID}", errors=errors, outside=outside)
        page.wait_for_selector("#scenario-tool-parks")
        page.wait_for_function("() => document.querySelector('#scenario-saved h3') !== null")
        page.click("#scenario-tool-parks")
        points = page.evaluate(
            "(corners) => { const m = gisMap(); m.fitBounds(corners,"
            " {paddingTopLeft: [340, 230], paddingBottomRight: [300, 230], animate: false});"
            " return corners.map(c => { const p = m.latLngToContainerPoint(c);"
            " return [p.x, p.y]; }); }",
            corners,
        )
        # the view layers of the new extent are fetched first: a layer drawn between a click's
        # mouse-down and mouse-up would swallow the click
        page.wait_for_function("() => !gisViewBusy()", timeout=30000, polling=50)
        box = page.locator(".folium-map").bounding_box()
        assert box is not None
        for x, y in points:
            page.mouse.click(box["x"] + x, box["y"] + y)
        page.click("#scenario-finish")
        page.wait_for_function(
            "() => document.getElementById('scenarios').dataset.state === 'ready'",
            polling=200,
            timeout=30000,
        )
        cell = page.locator(
            "#scenario-dashboard tr[data-indicator-id=park_green_per_capita] td[data-after]"
        )
        shown_after = float(cell.get_attribute("data-after") or "nan")
        edits = page.evaluate("() => window.gisScenario.edits")
        page.fill("#scenario-name", "浏览器绘制的公园")
        page.click("#scenario-save")
        page.locator("#scenario-saved li", has_text="浏览器绘制的公园").wait_for(timeout=30000)
        browser.close()
    assert errors == []
    assert outside == []
    assert len(edits) == 1 and edits[0]["layer"] == "parks" and edits[0]["op"] == "add"
    client = app.test_client()
    resp = client.post(
        f"/api/v1/counties/{DEMO_ID}/scenarios/evaluate",
        json={"edits": edits},
        headers=accounts.header("staff"),
    )
    row = next(
        r for r in resp.get_json()["results"]["indicators"] if r["id"] == "park_green_per_capita"
    )
    assert row["after"] > row["before"]
    assert shown_after == row["after"]
    listed = client.get(
        f"/api/v1/counties/{DEMO_ID}/scenarios", headers=accounts.header("staff")
    ).get_json()["scenarios"]
    assert any(s["name"] == "浏览器绘制的公园" and s["author"] == "alice" for s in listed)
    assert tree_hash(ws) == before_hash


def test_planner_adds_a_kindergarten_and_sees_the_life_circle(
    served: tuple[str, Any, Any, Any],
) -> None:
    """A life-circle facility from the panel: the type chosen from the catalogue, the life circle
    before → after shown beside the grade and equal to the API's answer."""
    base, app, accounts, ws = served
    before_hash = tree_hash(ws)
    corners = _park_corners(app)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = signed_in_page(browser, base, f"/map/{DEMO_ID}", errors=errors)
        page.wait_for_function("() => document.querySelector('#scenario-saved h3') !== null")
        page.click("#scenario-tool-facilities")
        options = page.eval_on_selector_all("#scenario-type option", "os => os.map(o => o.value)")
        assert "kindergarten" in options and "pitch" not in options
        page.select_option("#scenario-type", "kindergarten")
        point = page.evaluate(
            "(corners) => { const m = gisMap(); m.fitBounds(corners,"
            " {paddingTopLeft: [340, 230], paddingBottomRight: [300, 230], animate: false});"
            " const p = m.latLngToContainerPoint(corners[0]); return [p.x, p.y]; }",
            corners,
        )
        page.wait_for_function("() => !gisViewBusy()", timeout=30000, polling=50)
        box = page.locator(".folium-map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
        page.wait_for_function(
            "() => document.getElementById('scenarios').dataset.state === 'ready'",
            polling=200,
            timeout=30000,
        )
        cell = page.locator(
            "#scenario-life-circle-table tr[data-indicator-id=life_circle_kindergarten] "
            "td[data-after]"
        )
        shown_after = float(cell.get_attribute("data-after") or "nan")
        edits = page.evaluate("() => window.gisScenario.edits")
        browser.close()
    assert errors == []
    assert len(edits) == 1
    assert edits[0]["layer"] == "facilities" and edits[0]["facility_type"] == "kindergarten"
    resp = app.test_client().post(
        f"/api/v1/counties/{DEMO_ID}/scenarios/evaluate",
        json={"edits": edits},
        headers=accounts.header("staff"),
    )
    rows = {r["id"]: r for r in resp.get_json()["results"]["life_circle"]["indicators"]}
    assert rows["life_circle_kindergarten"]["after"] > rows["life_circle_kindergarten"]["before"]
    assert shown_after == rows["life_circle_kindergarten"]["after"]
    assert tree_hash(ws) == before_hash
