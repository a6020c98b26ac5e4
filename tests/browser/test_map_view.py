"""The map pages on a county larger than the demonstration: layers fetched for the view.

A mosaic of 9 demonstration copies (about 100 km², benchmarks/mosaic_workspace.py) served on
loopback and opened in Debian's chromium: the page weighs at most 300 KB (gzip, headers
included) before its first feature is drawn; the features drawn are exactly those the API
gives for the cells on screen, before and after a pan; a pan fetches only the cells that came
into view, and never again a large feature the page has drawn (the built-up area, sent by
reference: layers/view.py ``LARGE_FEATURE_VERTICES``); a dense layer below its zoom threshold
draws nothing and says to zoom in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEW_IDLE_JS

pytestmark = pytest.mark.browser

MOSAIC = "mosaic-100"
PAGE_BUDGET_BYTES = 300 * 1024
DRAWN_IDS_JS = """name => {
  const ids = [];
  gisMap().eachLayer(l => {
    if (l.feature && l.gisLayerName === name) { ids.push(l.feature.id); }
  });
  return ids.sort((a, b) => a - b);
}"""
GROUP_JS = """name => {
  let g = null;
  gisMap().eachLayer(l => { if (l.gisCells && l.gisLayerName === name) { g = l; } });
  return g && {cells: g.gisCells, bbox: g.gisViewBbox, zoom: g.gisZoom, status: g.gisStatus};
}"""


@pytest.fixture(scope="module")
def mosaic_server(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    from benchmarks.mosaic_workspace import build_mosaic_workspace

    root = tmp_path_factory.mktemp("mosaic") / "workspaces"
    build_mosaic_workspace(100, root / MOSAIC, source=demo_workspace_dir)
    app = make_app(WORKSPACES_DIR=str(root))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app.test_client()
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser: Browser, url: str) -> tuple[Any, Any, list[tuple[float, int]]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    finished: list[tuple[float, int]] = []

    def record(request: Any) -> None:
        sizes = request.sizes()
        end = request.timing["startTime"] + request.timing["responseEnd"]
        finished.append((end, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", record)
    page.goto(url, wait_until="load")
    page.wait_for_function("() => gisView.firstDrawMs !== null", timeout=15000)
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    return context, page, finished


@pytest.mark.parametrize("kind", ["map", "public"])
def test_page_weight_before_the_first_draw(
    browser: Browser, mosaic_server: tuple[str, Any], kind: str
) -> None:
    base, client = mosaic_server
    client.get(f"/{kind}/{MOSAIC}")  # the indicators are computed once, before timing
    context, page, finished = _open(browser, f"{base}/{kind}/{MOSAIC}")
    first = page.evaluate("performance.timeOrigin + gisView.firstDrawMs")
    before = sum(size for end, size in finished if end <= first)
    assert 0 < before <= PAGE_BUDGET_BYTES
    html = client.get(f"/{kind}/{MOSAIC}", headers={"Accept-Encoding": "gzip"})
    assert html.headers["Content-Encoding"] == "gzip"
    assert len(html.data) < 60 * 1024  # the page itself carries no features
    context.close()


def _api_ids(client: Any, name: str, bbox: list[float]) -> list[int]:
    body = client.get(
        f"/api/v1/counties/{MOSAIC}/layers/{name}",
        query_string={"bbox": ",".join(map(str, bbox)), "limit": 10000},
    ).get_json()
    return sorted(f["id"] for f in body["features"])


CHECKED = ("roads", "parks", "plans", "disclosures", "boundary", "built_up")
DRAWN_FEATURE_JS = """name => {
  let f = null;
  gisMap().eachLayer(l => { if (l.feature && l.gisLayerName === name) { f = l.feature; } });
  return f;
}"""
SHOW_JS = "names => names.forEach(n => gisMap().addLayer(gisLayers[n]))"
"""Switch layers on (the planner opens on one indicator's layers: static/js/map-desk.js)."""


def test_drawn_features_match_the_api_and_a_pan_fetches_only_the_new_cells(
    browser: Browser, mosaic_server: tuple[str, Any]
) -> None:
    base, client = mosaic_server
    context, page, _finished = _open(browser, f"{base}/map/{MOSAIC}")
    page.evaluate(SHOW_JS, list(CHECKED))
    page.wait_for_timeout(100)
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    roads = page.evaluate(GROUP_JS, "roads")
    page.evaluate(
        "z => { const m = gisMap(); m.setView(m.getCenter(), z, {animate: false}); }",
        max(roads["zoom"] + 1, 15),
    )
    page.wait_for_timeout(100)
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    for name in CHECKED:
        group = page.evaluate(GROUP_JS, name)
        assert group["status"] == "ok", (name, group)
        drawn = page.evaluate(DRAWN_IDS_JS, name)
        assert drawn == _api_ids(client, name, group["bbox"]), name
        assert len(set(drawn)) == len(drawn)
    assert len(page.evaluate(DRAWN_IDS_JS, "roads")) > 100
    # the built-up area (one polygon, the union of 9 copies) is drawn from its reference, and
    # is the feature the API gives at this zoom
    zoom = page.evaluate(GROUP_JS, "built_up")["zoom"]
    drawn_built_up = page.evaluate(DRAWN_FEATURE_JS, "built_up")
    api_built_up = client.get(
        f"/api/v1/counties/{MOSAIC}/layers/built_up", query_string={"zoom": zoom}
    ).get_json()["features"]
    assert [drawn_built_up] == api_built_up
    before = page.evaluate(GROUP_JS, "roads")
    cell = client.get(
        f"/api/v1/counties/{MOSAIC}/layers/built_up/view",
        query_string={"bbox": ",".join(map(str, before["bbox"])), "zoom": zoom},
    ).get_json()
    assert [r["id"] for r in cell["references"]] == [0] and cell["features"] == []
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/layers/" in r.url else None)
    page.evaluate("() => gisMap().panBy([gisMap().getSize().x / 2, 0], {animate: false})")
    page.wait_for_timeout(100)
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    after = page.evaluate(GROUP_JS, "roads")
    new_cells = set(after["cells"]) - set(before["cells"])
    roads_asked = [u for u in asked if "/layers/roads/view?" in u]
    assert new_cells and len(roads_asked) == len(new_cells)
    cell_boxes = {tuple(parse_qs(urlparse(u).query)["bbox"][0].split(",")) for u in roads_asked}
    assert len(cell_boxes) == len(roads_asked)
    assert [u for u in asked if "/built_up/view?" in u]  # its new cells are asked ...
    assert not [u for u in asked if "/view/features/" in u]  # ... the polygon is not again
    for name in CHECKED:  # after the pan, every layer draws exactly what the API gives
        group = page.evaluate(GROUP_JS, name)
        assert group["status"] == "ok", (name, group)
        assert page.evaluate(DRAWN_IDS_JS, name) == _api_ids(client, name, group["bbox"]), name
    assert page.evaluate(DRAWN_FEATURE_JS, "built_up") == drawn_built_up
    context.close()


def test_a_dense_layer_below_its_zoom_asks_to_zoom_in(
    browser: Browser, mosaic_server: tuple[str, Any]
) -> None:
    base, client = mosaic_server
    context, page, _finished = _open(browser, f"{base}/map/{MOSAIC}?indicator=road_density")
    page.evaluate("() => { const m = gisMap(); m.setView(m.getCenter(), 11, {animate: false}); }")
    page.wait_for_timeout(100)
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    group = page.evaluate(GROUP_JS, "roads")
    assert group["status"] == "zoom_in"
    assert page.evaluate(DRAWN_IDS_JS, "roads") == []
    note = page.locator('.gis-layer-loading [data-layer="roads"][data-state="zoom_in"]')
    assert note.count() == 1 and "zoom in" in note.inner_text()
    assert page.evaluate(DRAWN_IDS_JS, "boundary") == [0]
    context.close()


def test_a_large_feature_that_fails_says_so_and_is_drawn_on_the_next_move(
    browser: Browser, mosaic_server: tuple[str, Any]
) -> None:
    base, client = mosaic_server
    context, page, _finished = _open(browser, f"{base}/map/{MOSAIC}?indicator=road_density")
    page.route("**/view/features/**", lambda route: route.fulfill(status=503, body="{}"))
    page.evaluate("() => { const m = gisMap(); m.setView(m.getCenter(), 16, {animate: false}); }")
    page.wait_for_timeout(100)
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    note = page.locator('.gis-layer-loading [data-layer="built_up"][data-state="failed"]')
    assert note.count() == 1 and "HTTP 503" in note.inner_text()
    assert page.evaluate(DRAWN_IDS_JS, "built_up") == []
    assert page.evaluate(DRAWN_IDS_JS, "roads") != []  # the other layers are drawn
    page.unroute("**/view/features/**")
    page.evaluate("() => gisMap().panBy([50, 0], {animate: false})")
    page.wait_for_timeout(100)
    page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)
    assert page.evaluate(DRAWN_IDS_JS, "built_up") == [0]
    assert page.evaluate(GROUP_JS, "built_up")["status"] == "ok"
    context.close()
