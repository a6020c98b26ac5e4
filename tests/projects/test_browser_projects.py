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
