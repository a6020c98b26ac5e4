"""Stored XSS through uploads: attribute text and file names holding HTML and script are stored
as they are, returned as data by the API and shown as text in lists, the upload page and popups."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import pytest
from werkzeug.serving import make_server

from gis.io import read_layer
from tests.helpers import DEMO_ID
from tests.upload.corpus import geojson_bytes, real_parks

TITLE = '<script>window.__xss="title"</script>'
AUTHORITY = "<img src=x onerror=\"window.__xss='authority'\">"
PARK = "<b onmouseover=\"window.__xss='park'\">九道堰公园</b>"
FILE_NAME = "<svg onload=alert(1)>.geojson"  # no double quote: multipart headers would cut it


def _disclosures(ws: Any) -> bytes:
    points = read_layer(ws, "residential").to_crs(4544).centroid.to_crs(4326).iloc[:2]
    records = gpd.GeoDataFrame(
        {
            "类型": ["审批", "规划许可"],
            "标题": [TITLE, "正常的公示"],
            "文号": ["金规〔2021〕7号", "x"],
            "日期": ["2021-03-01", "2021-03-02"],
            "机关": [AUTHORITY, "规划局"],
            "是否公开": ["是", "是"],
        },
        geometry=points.values,
        crs=4326,
    )
    return geojson_bytes(records)


def _upload(app: Any, accounts: Any, kind: str, data: bytes, name: str) -> Any:
    return app.test_client().post(
        f"/api/v1/counties/{DEMO_ID}/layers/{kind}",
        data={"file": (io.BytesIO(data), name)},
        headers=accounts.header("staff"),
    )


@pytest.fixture(scope="module")
def poisoned(shared_app: Any) -> tuple[Any, Any, Any]:
    """Uploads with markup, made once for the module (the tests only read)."""
    app, accounts, ws = shared_app
    resp = _upload(app, accounts, "disclosures", _disclosures(ws), FILE_NAME)
    assert resp.status_code == 201, resp.get_json()
    parks = real_parks().iloc[:3].copy()
    parks.loc[parks.index[0], "名称"] = PARK
    assert _upload(app, accounts, "parks", geojson_bytes(parks), "parks.geojson").status_code == 201
    return app, accounts, ws


def test_api_returns_the_text_as_data(poisoned: Any) -> None:
    app, _accounts, _ws = poisoned
    client = app.test_client()
    records = client.get(f"/api/v1/counties/{DEMO_ID}/disclosures")
    assert records.mimetype == "application/json"
    by_title = {r["title"]: r for r in records.get_json()["records"]}
    assert TITLE in by_title and by_title[TITLE]["authority"] == AUTHORITY
    parks = client.get(f"/api/v1/counties/{DEMO_ID}/layers/parks")
    assert parks.mimetype == "application/geo+json"
    assert PARK in [f["properties"]["name"] for f in parks.get_json()["features"]]


@pytest.mark.parametrize("path", [f"/public/{DEMO_ID}", f"/map/{DEMO_ID}"])
def test_pages_never_contain_the_raw_markup(poisoned: Any, path: str) -> None:
    app, _accounts, _ws = poisoned
    html = app.test_client().get(path).get_data(as_text=True)
    for raw in (TITLE, AUTHORITY, PARK, "<script>window.__xss", "<img src=x", "<b onmouseover"):
        assert raw not in html, raw
    if path.startswith("/public"):
        assert "&lt;script&gt;window.__xss" in html  # the record list shows it, escaped


def test_upload_page_escapes_history_and_problems(poisoned: Any) -> None:
    app, accounts, _ws = poisoned
    client = app.test_client()
    page = client.get(f"/upload/{DEMO_ID}", headers=accounts.header("staff"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg onload" not in html and "&lt;svg onload" in html
    refused = client.post(
        f"/upload/{DEMO_ID}",
        headers=accounts.header("staff"),
        data={
            "kind": "parks",
            "file": (io.BytesIO(b"{not json"), "<img src=x onerror=alert(9)>.geojson"),
        },
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert (
        "<img src=x onerror=alert(9)>" not in text and "&lt;img src=x onerror=alert(9)&gt;" in text
    )
    versions = client.get(
        f"/api/v1/counties/{DEMO_ID}/layers/disclosures/versions", headers=accounts.header("staff")
    )
    assert versions.get_json()["versions"][-1]["original_name"] == FILE_NAME


@pytest.fixture(scope="module")
def server(poisoned: Any) -> Iterator[str]:
    app = poisoned[0]
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)


OPEN_PARK_JS = """(text) => {
  const map = window[document.querySelector('.folium-map').id];
  let found = null;
  map.eachLayer(l => {
    const name = l.feature ? String(l.feature.properties.name) : '';
    if (!found && l.gisLayerName === 'parks' && name.includes(text)) {
      found = l;
    }
  });
  if (!found) { return false; }
  found.openPopup(found.getBounds().getCenter());
  return true;
}"""


@pytest.mark.browser
def test_popups_show_uploaded_markup_as_text(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context()
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith((server, "data:", "blob:"))
                    else route.abort()
                ),
            )
            page = context.new_page()
            page.goto(f"{server}/public/{DEMO_ID}", wait_until="load")
            # the page draws its layers for the view after load: wait until they are drawn
            page.wait_for_function(
                "() => window.gisView && gisView.firstDrawMs !== null && !gisViewBusy()",
                timeout=15000,
            )
            record = page.locator("#record-list li", has_text="window.__xss").first
            record.locator("button.show-on-map").click()
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for(timeout=5000)
            assert TITLE in popup.inner_text() and popup.locator("script").count() == 0
            assert page.evaluate("window.__xss") is None
            planner = context.new_page()
            # the indicator-first map: the park indicator's view draws the parks
            planner.goto(
                f"{server}/map/{DEMO_ID}?indicator=park_green_per_capita", wait_until="load"
            )
            # the page fetches its layers for the view after load: wait until the park is drawn
            planner.wait_for_function(OPEN_PARK_JS, arg="onmouseover", timeout=15000)
            park_popup = planner.locator(".leaflet-popup-content")
            park_popup.wait_for(timeout=5000)
            assert PARK in park_popup.inner_text() and park_popup.locator("b").count() == 0
            park_popup.hover()
            assert planner.evaluate("window.__xss") is None
        finally:
            browser.close()
