"""The pages in a real browser: Debian chromium driven by Playwright, the app on loopback.

Each page loads with no console error and asks for nothing outside the app; the layers are
drawn (Leaflet features counted against the API's feature counts); a layer switched off in the
layer control disappears; the dashboard shows the numbers of ``python -m gis indicators --json``;
the public page works on a 390 x 844 phone screen; popups show markup as text.  Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from api.pages import fmt_number
from gis.indicators import INDICATOR_IDS
from layers.style import style_for
from tests.helpers import DEMO_ID, XSS_ID, XSS_TITLE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEW_IDLE_JS = "() => typeof gisViewBusy !== 'function' || !gisViewBusy()"
COUNT_FEATURES_JS = """() => {
  const map = window[document.querySelector('.folium-map').id];
  const counts = {};
  map.eachLayer(l => {
    if (l.feature && l.gisLayerName) { counts[l.gisLayerName] = (counts[l.gisLayerName] || 0) + 1; }
  });
  return counts;
}"""
OPEN_POISONED_ROAD_JS = """() => {
  const map = window[document.querySelector('.folium-map').id];
  let found = null;
  map.eachLayer(l => {
    const name = l.feature ? String(l.feature.properties.name) : '';
    if (!found && l.gisLayerName === 'roads' && name.includes('script')) {
      found = l;
    }
  });
  if (!found) { return false; }
  found.openPopup(found.getBounds().getCenter());
  return true;
}"""
LAZY_STATE_JS = """name => {
  const map = window[document.querySelector('.folium-map').id];
  let state = null;
  map.eachLayer(l => { if (l.gisState && l.gisLayerName === name) { state = l.gisState; } });
  return state === 'loaded';
}"""
LAZY_FEATURE_JS = """name => {
  const map = window[document.querySelector('.folium-map').id];
  let found = null;
  map.eachLayer(l => { if (!found && l.feature && l.gisLayerName === name) { found = l; } });
  const center = found.getLatLng ? found.getLatLng() : found.getBounds().getCenter();
  found.openPopup(center);
  return {properties: found.feature.properties, options: found.options};
}"""
VIEW_CELLS_JS = """name => {
  let cells = null;
  gisMap().eachLayer(l => { if (l.gisCells && l.gisLayerName === name) { cells = l.gisCells; } });
  return cells;
}"""
DOM_COUNTS_JS = """() => ({
  paths: document.querySelectorAll('.leaflet-overlay-pane svg path').length,
  markers: document.querySelectorAll('.leaflet-marker-pane .awesome-marker').length,
})"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened on the loopback server, recording console errors and outside requests."""

    def __init__(self, browser: Browser, base: str, *, width: int = 1400, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.base_host = urlparse(base).hostname
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.context.route("**/*", self._route)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _route(self, route: Any) -> None:
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:")) or host == self.base_host:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, url: str) -> Page:
        self.page.goto(url, wait_until="load")
        self.page.wait_for_function("() => document.readyState === 'complete'")
        self.settle()
        return self.page

    def settle(self) -> None:
        """Wait until the map's layers have drawn the view (``gisViewBusy``, gis-map.js)."""
        self.page.wait_for_function(VIEW_IDLE_JS, timeout=15000, polling=20)

    def shot(self, name: str, *, full_page: bool = False) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def visit(browser: Browser, live_server: str) -> Iterator[Any]:
    opened: list[Visit] = []

    def _open(path: str, **viewport: int) -> Visit:
        v = Visit(browser, live_server, **viewport)
        v.open(live_server + path)
        opened.append(v)
        return v

    yield _open
    for v in opened:
        v.close()


def _layers(client: Any, county: str) -> dict[str, dict[str, Any]]:
    body = client.get(f"/api/v1/counties/{county}/layers").get_json()
    return {layer["name"]: layer for layer in body["layers"]}


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "home"),
        (f"/public/{DEMO_ID}?lang=en", "public_en"),
        (f"/map/{DEMO_ID}", "planner"),
        ("/api/v1/docs", "api_docs"),
    ],
)
def test_page_loads_without_errors_or_outside_requests(visit: Any, path: str, name: str) -> None:
    v = visit(path)
    v.page.wait_for_timeout(300)
    assert v.errors == []
    assert v.outside == []
    v.shot(name)
    if path.startswith("/api/"):
        v.page.wait_for_selector(".opblock", timeout=15000)
        assert v.page.locator(".opblock").count() >= 10
        assert v.errors == [] and v.outside == []


DESK_JS = "() => JSON.parse(document.getElementById('map-desk-data').textContent)"


def _open_layer_panel(page: Page) -> None:
    """Open the map desk's grouped layer control (static/js/map-desk.js)."""
    if page.locator("#desk-layers").is_hidden():
        page.click("#desk-layers-toggle")


@pytest.mark.parametrize("indicator", ["fitness_15min_coverage", "regulatory_plan_coverage"])
def test_planner_draws_every_layer_of_the_indicator_view(
    visit: Any, client: Any, indicator: str
) -> None:
    v = visit(f"/map/{DEMO_ID}?indicator={indicator}")
    layers = _layers(client, DEMO_ID)
    drawn = v.page.evaluate(COUNT_FEATURES_JS)
    desk = v.page.evaluate(DESK_JS)
    shown = next(view["layers"] for view in desk["views"] if view["id"] == indicator)
    assert "boundary" in shown and any(layers[n]["indicator_id"] == indicator for n in shown)
    expected = {n: layers[n]["feature_count"] for n in shown}
    assert drawn == expected
    dom = v.page.evaluate(DOM_COUNTS_JS)
    sites = expected.get("fitness_sites", 0)
    assert dom["markers"] == sites and (sites > 0) == (indicator == "fitness_15min_coverage")
    assert dom["paths"] == sum(c for n, c in expected.items() if n != "fitness_sites")
    hidden = [n for n in layers if n not in shown]
    assert "walk_edges" in hidden and "roads" in hidden and not set(hidden) & set(drawn)
    assert v.errors == []


def test_toggling_a_layer_hides_it(visit: Any, client: Any) -> None:
    v = visit(f"/map/{DEMO_ID}?indicator=road_density")
    roads = _layers(client, DEMO_ID)["roads"]["feature_count"]
    before = v.page.evaluate(DOM_COUNTS_JS)["paths"]
    _open_layer_panel(v.page)
    box = v.page.locator("#desk-layers label", has_text="道路（按等级）")
    box.locator("input").click()
    after = v.page.evaluate(DOM_COUNTS_JS)["paths"]
    assert before - after == roads
    assert "roads" not in v.page.evaluate(COUNT_FEATURES_JS)
    box.locator("input").click()
    assert v.page.evaluate(DOM_COUNTS_JS)["paths"] == before
    walk = v.page.locator("#desk-layers label", has_text="步行网络 /")
    walk.locator("input").click()
    v.page.wait_for_function(LAZY_STATE_JS, arg="walk_edges", timeout=15000)
    assert (
        v.page.evaluate(COUNT_FEATURES_JS)["walk_edges"]
        == (_layers(client, DEMO_ID)["walk_edges"]["feature_count"])
    )
    assert v.errors == []


def test_control_lists_every_layer_with_its_count(visit: Any, client: Any) -> None:
    v = visit(f"/map/{DEMO_ID}")
    _open_layer_panel(v.page)
    labels = v.page.locator("#desk-layers label.desk-layer").all_inner_texts()
    public = client.get(f"/api/v1/counties/{DEMO_ID}/disclosures?limit=1000").get_json()
    layers = _layers(client, DEMO_ID)
    layers["disclosures"]["feature_count"] = public["number_matched"]
    listed = [layer for layer in layers.values() if layer["feature_count"]]
    assert len(labels) == len(listed)
    for layer in listed:
        head = f"{layer['title_zh']} / {layer['title_en']} · {layer['feature_count']:,}"
        assert sum(label.strip().startswith(head) for label in labels) == 1, head


@pytest.mark.parametrize("name", ["walk_edges", "walk_nodes", "landuse"])
def test_hidden_layer_is_fetched_when_switched_on(visit: Any, client: Any, name: str) -> None:
    layer = _layers(client, DEMO_ID)[name]
    assert not layer["shown_by_default"] and layer["feature_count"] > 0
    query = "?year=2018&minutes=10&walk_speed=1.3"
    v = visit(f"/map/{DEMO_ID}{query}")
    page = v.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if f"/layers/{name}/" in r.url else None)
    assert name not in page.evaluate(COUNT_FEATURES_JS)
    held: list[Any] = []
    pattern = f"**/api/v1/counties/{DEMO_ID}/layers/{name}/view?*"

    def hold_first(route: Any) -> None:  # the first cell waits until the note is checked
        if held:
            route.fallback()
        else:
            held.append(route)

    page.route(pattern, hold_first)
    before = page.evaluate(DOM_COUNTS_JS)["paths"]
    _open_layer_panel(page)
    box = page.locator(f'#desk-layers label[data-layer="{name}"]')
    box.first.locator("input").click()
    note = page.locator(f'.gis-layer-loading [data-layer="{name}"]')
    note.wait_for(timeout=5000)
    assert "loading" in note.inner_text() and layer["title_zh"] in note.inner_text()
    page.wait_for_timeout(100)
    assert len(held) == 1
    v.shot(f"planner_lazy_{name}_loading")
    held[0].fallback()
    page.wait_for_function(LAZY_STATE_JS, arg=name, timeout=15000)
    v.settle()
    assert note.count() == 0
    assert page.evaluate(COUNT_FEATURES_JS)[name] == layer["feature_count"]
    assert page.evaluate(DOM_COUNTS_JS)["paths"] - before == layer["feature_count"]
    cells = page.evaluate(VIEW_CELLS_JS, name)
    assert len(requests) == len(cells) > 0  # one request per cell on screen
    for url in requests:
        assert urlparse(url).hostname == "127.0.0.1"
        assert all(p in url for p in ("year=2018", "minutes=10.0", "walk_speed=1.3"))
    drawn = page.evaluate(LAZY_FEATURE_JS, name)
    expected = style_for(name).feature_style(drawn["properties"])
    assert {k: drawn["options"].get(k) for k in expected} == expected
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    title = layer["title_zh"] + " / " + layer["title_en"]
    assert popup.locator(".gis-popup-title").inner_text() == title
    box.first.locator("input").click()
    assert name not in page.evaluate(COUNT_FEATURES_JS)
    box.first.locator("input").click()
    v.settle()
    assert page.evaluate(COUNT_FEATURES_JS)[name] == layer["feature_count"]
    assert len(requests) == len(cells)  # drawn again from memory, not fetched again
    assert v.errors == [] and v.outside == []
    v.shot(f"planner_lazy_{name}")


def test_lazy_styles_match_the_python_styles(visit: Any) -> None:
    v = visit(f"/map/{DEMO_ID}")
    cases = [
        ("roads", {"road_class": "arterial"}),
        ("roads", {"road_class": "no such class"}),
        ("population", {"persons_per_ha": 150.0}),
        ("population", {"persons_per_ha": 1e9}),
        ("population", {"persons_per_ha": None}),
        ("disclosures", {"type": "审批"}),
    ]
    for name, props in cases:
        style = style_for(name)
        got = v.page.evaluate("([s, p]) => gisFeatureStyle(s, p)", [style.to_dict(), props])
        assert got == style.feature_style(props), (name, props)


def test_dashboard_matches_the_cli(visit: Any, web_root: Path) -> None:
    cli = subprocess.run(
        [sys.executable, "-m", "gis", "indicators", str(web_root / DEMO_ID), "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    report = json.loads(cli.stdout)
    v = visit(f"/map/{DEMO_ID}")
    for ind in report["indicators"]:
        card = v.page.locator(f'[data-indicator-id="{ind["id"]}"]')
        value = card.locator("[data-value]")
        raw = value.get_attribute("data-value")
        if ind["value"] is None:
            assert raw == ""
        else:
            assert float(raw or "nan") == ind["value"]
        assert value.inner_text().strip() == fmt_number(ind["value"])
        assert card.locator("svg.chart").count() == 1
        badge = card.locator(".badge").inner_text()
        expected = {True: "达标", False: "未达标", None: "无"}[ind["passed"]]
        assert badge.startswith(expected)
    grade = v.page.locator("#assessment .grade-value").inner_text().strip()
    assert grade == report["assessment"]["grade"]
    score = v.page.locator("#assessment [data-score]").get_attribute("data-score")
    assert float(score or "nan") == pytest.approx(report["assessment"]["score"])
    v.shot("planner_dashboard", full_page=True)


def test_public_page_on_a_phone(visit: Any, client: Any) -> None:
    v = visit(f"/public/{DEMO_ID}", width=390, height=844)
    page = v.page
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    map_box = page.locator(".folium-map").bounding_box()
    assert map_box is not None and map_box["width"] >= 380 and map_box["height"] >= 250
    records = client.get(f"/api/v1/counties/{DEMO_ID}/disclosures?limit=1000").get_json()
    items = page.locator("#record-list li")
    assert items.count() == records["number_matched"]
    drawn = page.evaluate(COUNT_FEATURES_JS)
    assert drawn["disclosures"] == records["number_matched"]
    word = records["records"][0]["doc_number"]
    page.fill("#record-search", word)
    visible = page.locator("#record-list li:visible")
    api = client.get(f"/api/v1/counties/{DEMO_ID}/disclosures", query_string={"q": word})
    assert visible.count() == api.get_json()["number_matched"] >= 1
    assert page.locator("#record-count").inner_text() == str(visible.count())
    kind = records["records"][0]["type"]
    page.fill("#record-search", "")
    page.select_option("#record-type", kind)
    by_type = client.get(f"/api/v1/counties/{DEMO_ID}/disclosures", query_string={"type": kind})
    assert page.locator("#record-list li:visible").count() == by_type.get_json()["number_matched"]
    first = page.locator("#record-list li:visible").first
    title = first.locator(".record-title").inner_text()
    first.locator("button.show-on-map").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert title in popup.inner_text()
    assert page.locator("#results .sentences li").count() == len(INDICATOR_IDS)
    assert page.locator("text=示范区").first.is_visible()
    assert v.errors == [] and v.outside == []
    v.shot("public_phone", full_page=True)
    page.click("#lang-switch")
    page.wait_for_load_state("load")
    assert "Open planning" in page.locator("h1").inner_text()


def test_popups_show_markup_as_text(visit: Any) -> None:
    v = visit(f"/public/{XSS_ID}")
    page = v.page
    assert page.evaluate("window.__xss") is None
    record = page.locator("#record-list li", has_text="onerror").first
    record.locator("button.show-on-map").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert XSS_TITLE in popup.inner_text()
    assert popup.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None
    planner = visit(f"/map/{XSS_ID}").page
    assert planner.evaluate("window.__xss") is None
    opened = planner.evaluate(OPEN_POISONED_ROAD_JS)
    assert opened is True
    road_popup = planner.locator(".leaflet-popup-content")
    assert "</script><script>" in road_popup.inner_text()
    assert planner.evaluate("window.__xss") is None


def test_layers_draw_when_the_basemap_is_unreachable(
    browser: Browser, make_app: Any, web_root: Path
) -> None:
    app = make_app(WORKSPACES_DIR=str(web_root), BASEMAP="osm")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    v = Visit(browser, base)
    try:
        v.open(f"{base}/public/{DEMO_ID}")
        counts = v.page.evaluate(COUNT_FEATURES_JS)
        assert counts["boundary"] == 1 and counts["disclosures"] > 0
        assert v.outside and all(
            urlparse(u).hostname == "tile.openstreetmap.org" for u in v.outside
        )
        attribution = v.page.locator(".leaflet-control-attribution").inner_text()
        assert "© OpenStreetMap contributors" in attribution
        assert all(
            "tile.openstreetmap.org" in e or "ERR_" in e or "Failed to load" in e for e in v.errors
        )
        v.shot("public_osm_basemap_offline")
    finally:
        v.close()
        server.shutdown()
        thread.join(timeout=10)


def test_province_page_script_runs_under_the_policy(visit: Any) -> None:
    """static/js/province.js reads its JSON data block: selector, legend, popups, no CSP error."""
    v = visit("/province")
    page = v.page
    page.wait_for_selector("#province-view", timeout=15000)
    keys = page.eval_on_selector_all("#province-view option", "os => os.map(o => o.value)")
    assert keys[0] == "grade" and "population" in keys
    assert "等级 / grade" in page.inner_text(".province-legend")
    page.select_option("#province-view", "population")
    assert "population 2020" in page.inner_text(".province-legend")
    assert (
        page.evaluate("() => document.querySelectorAll('.leaflet-overlay-pane path').length") > 100
    )
    assert v.errors == [] and v.outside == []
    v.shot("province")
