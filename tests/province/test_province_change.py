"""The province map's "colour by change" views on hand-made batch results (known answers).

The results of tests/province/test_province_web.py: 410181 scored 50 (2018) → 90 (2020), road
density 5 → 9, park per capita 4 → 10; 410225 scored 70 → 75, road density 7.5 → 8.1, park per
capita 9 → 6; the demonstration area has 2020 only.
"""

from __future__ import annotations

from typing import Any

from api.province_change import DIVERGING, GREY
from tests.helpers import COPY_CODES
from tests.province.test_province_web import client, results_dir  # noqa: F401 (fixtures)

DARK_BLUE, LIGHT_BLUE, WHITE, LIGHT_RED, DARK_RED = DIVERGING[::-1]


def _views(app: Any) -> tuple[dict[str, Any], dict[str, dict[str, str]], dict[str, Any]]:
    from api.province import map_views, province_table
    from gis.province import load_units

    with app.test_request_context("/province?year=2020"):
        views, styling = map_views(province_table(2020), load_units())
    return {v["key"]: v for v in views}, styling["colours"], styling["texts"]


def test_change_views_colour_each_county_by_its_change(client: Any) -> None:  # noqa: F811
    views, colours, texts = _views(client.application)
    assert {"change:score", "change:ind:road_density", "change:ind:park_per_capita"} <= set(views)
    score = views["change:score"]
    assert score["group"] == "按变化着色 / colour by change"
    # largest score change 40, classes split at 20: +40 dark blue, +5 light blue
    assert score["legend"][1:] == [
        [DARK_RED, "变差 worse < -20 分"],
        [LIGHT_RED, "变差 worse -20 – 0 分"],
        [WHITE, "不变 unchanged"],
        [LIGHT_BLUE, "改善 improved 0 – +20 分"],
        [DARK_BLUE, "改善 improved > +20 分"],
        [GREY, "无两年结果或无数据 / not two years, or no data"],
    ]
    a, b = COPY_CODES
    assert colours[a]["change:score"] == DARK_BLUE
    assert colours[b]["change:score"] == LIGHT_BLUE
    assert texts[a]["change:score"] == "2018 → 2020: 50.0 → 90.0 分 (+40)"
    # park per capita: +6 and −3 (largest 6, split at 3): dark blue and light red
    assert colours[a]["change:ind:park_per_capita"] == DARK_BLUE
    assert colours[b]["change:ind:park_per_capita"] == LIGHT_RED
    # road density: +4 and +0.6 (split at 2)
    assert colours[a]["change:ind:road_density"] == DARK_BLUE
    assert colours[b]["change:ind:road_density"] == LIGHT_BLUE
    # units without a workspace or a second year are grey
    others = [c for c in colours if c not in COPY_CODES]
    assert len(others) == 155 and all(colours[c]["change:score"] == GREY for c in others)


def test_page_lists_counties_without_two_years(client: Any) -> None:  # noqa: F811
    html = client.get("/province?year=2020").get_data(as_text=True)
    section = html[html.index('id="no-change"') : html.index('id="units"')]
    assert "(1)" in section and 'data-county-id="demo-chengdu-north"' in section
    assert f'data-county-id="{COPY_CODES[0]}"' not in section
    # 2018 is the first year: every county lacks a previous result, no change view
    html_2018 = client.get("/province?year=2018").get_data(as_text=True)
    assert "change:score" not in html_2018
    assert 'id="no-change-list"' in html_2018
