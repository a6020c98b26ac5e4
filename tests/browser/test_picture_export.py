"""The planner map's "导出图片 PNG" control in Debian's chromium: it asks the server for the
picture of the current view (the layers switched on, the map's bounds, the chosen size)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, sync_playwright

from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEW_IDLE_JS
from tests.helpers import DEMO_ID, ROOT

pytestmark = pytest.mark.browser

SHOWN_JS = "() => gisVisibleLayerNames(gisMap())"
BOUNDS_JS = (
    "() => { const b = gisMap().getBounds(); return [b.getWest(), b.getSouth(), "
    "b.getEast(), b.getNorth()]; }"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_export_button_fetches_the_current_view_as_png(browser: Browser, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # the indicator-first map: the park view draws the built-up area and the parks
    page.goto(f"{live_server}/map/{DEMO_ID}?indicator=park_green_per_capita", wait_until="load")
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    # switch one layer off in the layer control: it must leave the picture too
    shown = page.evaluate(SHOWN_JS)
    assert "built_up" in shown and "parks" in shown
    page.evaluate(
        """() => { const m = gisMap(); m.eachLayer(l => {
             if (l.gisLayerName === 'parks' && l.gisCells) { m.removeLayer(l); } }); }"""
    )
    page.fill("#map-picture input[name=width]", "900")
    page.fill("#map-picture input[name=height]", "640")
    bounds = page.evaluate(BOUNDS_JS)
    with context.expect_page() as popup_info:
        page.click("#map-picture-button")
    popup = popup_info.value
    url = urlparse(popup.url)
    query = parse_qs(url.query)
    assert url.path == f"/api/v1/counties/{DEMO_ID}/map.png"
    names = query["layers"][0].split(",")
    assert "built_up" in names and "parks" not in names
    bbox = [float(v) for v in query["bbox"][0].split(",")]
    assert bbox == pytest.approx(bounds, abs=1e-5)
    assert query["width"] == ["900"] and query["height"] == ["640"]
    answer = context.request.get(popup.url)
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.body()))
    assert image.size == (900, 640)
    # a legend is drawn: the column right of the map (below the title, above the footer) holds
    # its entries' text (dark pixels; a picture without a legend has none there)
    pixels = np.asarray(image.convert("RGB")).astype(int)
    panel = pixels[int(0.08 * 640) : int(0.9 * 640), int(0.74 * 900) :]
    assert (panel.max(axis=2) < 120).sum() > 200
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "planner-view-export.png").write_bytes(answer.body())
    assert page.get_attribute("#map-picture-link", "href") == popup.url
    assert errors == []
    context.close()
