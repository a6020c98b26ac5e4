"""Browser: the province map coloured by change (legend, colours of two counties by hand).

Hand-made batch results of tests/province/test_province_web.py: 410181 scored 50 → 90 (+40, the
largest change: dark blue), 410225 70 → 75 (+5, up to half of it: light blue); park per capita
+6 and −3 (dark blue, light red).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from api.province_change import DIVERGING, GREY
from gis.batch import copy_workspace, result_path
from tests.browser.test_browser import Visit, browser  # noqa: F401 (fixture)
from tests.helpers import COPY_CODES
from tests.province.test_province_web import _doc

DARK_BLUE, LIGHT_BLUE, _WHITE, LIGHT_RED, _DARK_RED = DIVERGING[::-1]
FILLS_JS = """() => {
  const data = JSON.parse(document.getElementById('province-data').textContent);
  const fills = {};
  window[data.layer].eachLayer(l => { fills[l.feature.properties.adcode] = l.options.fillColor; });
  return fills;
}"""


@pytest.fixture(scope="module")
def base_url(
    demo_workspace_dir: Path, make_app: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("change_ws")
    for code in COPY_CODES:
        copy_workspace(demo_workspace_dir, root, county_id=code, adcode=code, purpose="test")
    results = tmp_path_factory.mktemp("change_results")
    docs = [
        _doc(COPY_CODES[0], 2018, COPY_CODES[0], 50.0, "不合格", (5.0, 4.0)),
        _doc(COPY_CODES[1], 2018, COPY_CODES[1], 70.0, "合格", (7.5, 9.0)),
        _doc(COPY_CODES[0], 2020, COPY_CODES[0], 90.0, "优良", (9.0, 10.0)),
        _doc(COPY_CODES[1], 2020, COPY_CODES[1], 75.0, "合格", (8.1, 6.0)),
    ]
    for d in docs:
        path = result_path(results, d["year"], d["county_id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    app = make_app(WORKSPACES_DIR=str(root), RESULTS_DIR=str(results))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_province_map_coloured_by_change(browser: Browser, base_url: str) -> None:  # noqa: F811
    v = Visit(browser, base_url)
    try:
        page = v.open(f"{base_url}/province?year=2020")
        page.wait_for_selector("#province-view", timeout=15000)
        group = page.locator("#province-view optgroup")
        assert group.get_attribute("label") == "按变化着色 / colour by change"
        page.select_option("#province-view", "change:score")
        legend = page.inner_text(".province-legend")
        assert "得分变化 / score change" in legend
        assert "改善 improved > +20 分" in legend and "变差 worse < -20 分" in legend
        assert "无两年结果" in legend
        fills = page.evaluate(FILLS_JS)
        assert fills[COPY_CODES[0]] == DARK_BLUE
        assert fills[COPY_CODES[1]] == LIGHT_BLUE
        assert fills["410102"] == GREY  # 郑州市中原区: no workspace
        page.select_option("#province-view", "change:ind:park_per_capita")
        assert "改善 improved > +3 m²/person" in page.inner_text(".province-legend")
        fills = page.evaluate(FILLS_JS)
        assert fills[COPY_CODES[0]] == DARK_BLUE
        assert fills[COPY_CODES[1]] == LIGHT_RED
        assert v.errors == [] and v.outside == []
        v.shot("province_change")
    finally:
        v.close()
