"""In a real browser (Debian chromium via Playwright): county staff sign in, draw a project's
point on the map of /projects/<county>, fill the form, save, and see it in the list and on the
map; the page raises no console error and asks for nothing outside the app."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.helpers import DEMO_ID, signed_in_page

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture()
def served(lib_app: Any) -> Iterator[tuple[str, Any]]:
    app, _accounts, _ws = lib_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)


def test_staff_create_a_project_on_the_map(served: tuple[str, Any]) -> None:
    base, app = served
    inside = (
        app.extensions["gis_store"]
        .backend.read_layer(DEMO_ID, "boundary")
        .to_crs(4326)
        .union_all()
        .representative_point()
    )
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = signed_in_page(browser, base, f"/projects/{DEMO_ID}", errors=errors, outside=outside)
        page.wait_for_function("() => window.projectMap !== undefined")
        page.click("#draw-point")
        xy = page.evaluate(
            "([lat, lon]) => { const m = window.projectMap; m.setView([lat, lon], 15);"
            " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            [inside.y, inside.x],
        )
        box = page.locator("#project-map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        assert abs(float(page.input_value("#f-lon")) - inside.x) < 1e-3
        page.fill("#f-name", "浏览器新建的停车场")
        page.select_option("#f-category", "停车")
        page.fill("#f-investment_wan_yuan", "350")
        page.fill("#f-progress_pct", "20")
        page.fill("#f-parking_spaces", "80")
        page.click("#save")
        row = page.locator("#project-list tbody tr", has_text="浏览器新建的停车场")
        row.wait_for(timeout=15000)
        assert "草稿" in row.inner_text()
        assert page.locator("#message.verdict-ok").is_visible()
        markers = page.evaluate(
            "() => { let n = 0;"
            " window.projectMap.eachLayer(l => { if (l.feature) n++; }); return n; }"
        )
        assert markers >= 2  # the county outline and the new project
        browser.close()
    assert errors == []
    assert outside == []
    stored = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "projects")
    assert stored["name"].tolist() == ["浏览器新建的停车场"]
    assert int(stored["parking_spaces"].iloc[0]) == 80


def test_staff_take_a_project_shape_from_a_park_on_the_map(served: tuple[str, Any]) -> None:
    """'Pick a map feature': a renovation project takes the shape of an existing park."""
    base, app = served
    parks = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "parks").to_crs(4326)
    metric = parks.estimate_utm_crs()
    largest = parks.to_crs(metric).area.idxmax()
    park = parks.geometry.loc[largest]
    inside = park.representative_point()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = signed_in_page(browser, base, f"/projects/{DEMO_ID}", errors=errors)
        page.wait_for_function("() => window.projectMap !== undefined")
        page.wait_for_selector("#pick-layer option[value=parks]", state="attached")
        options = page.eval_on_selector_all("#pick-layer option", "os => os.map(o => o.value)")
        assert "roads" in options and "boundary" not in options
        page.select_option("#pick-layer", "parks")
        xy = page.evaluate(
            "([lat, lon]) => { const m = window.projectMap;"
            " m.setView([lat, lon], 16, {animate: false});"
            " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            [inside.y, inside.x],
        )
        page.click("#draw-pick")
        page.wait_for_function("() => window.projectPick.layer.getLayers().length > 0")
        box = page.locator("#project-map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        page.wait_for_function("() => window.projectPick.picked() !== null")
        assert page.evaluate("() => window.projectPick.picked().layer") == "parks"
        page.fill("#f-name", "公园提升改造（选取）")
        page.select_option("#f-category", "公园绿地")
        page.fill("#f-investment_wan_yuan", "120")
        page.fill("#f-progress_pct", "0")
        page.click("#save")
        page.locator("#project-list tbody tr", has_text="公园提升改造（选取）").wait_for(
            timeout=15000
        )
        browser.close()
    assert errors == []
    stored = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "projects").to_crs(4326)
    shape = stored.loc[stored["name"] == "公园提升改造（选取）"].geometry.iloc[0]
    assert shape.geom_type in ("Polygon", "MultiPolygon")
    # the park's own outline (coordinates as the API gives them, to 1e-7 degrees)
    assert shape.symmetric_difference(park).area < 1e-3 * park.area
