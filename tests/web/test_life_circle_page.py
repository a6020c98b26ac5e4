"""The planner page's 15-minute life circle section (its own section, beside the 百城 dashboard)."""

from __future__ import annotations

import re
from typing import Any

from gis.facility_types import LIFE_CIRCLE_TYPES
from tests.helpers import DEMO_ID

S = re.S


def test_planner_page_has_the_life_circle_section(client: Any) -> None:
    response = client.get(f"/map/{DEMO_ID}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    section = re.search(r'<section class="life-circle" id="life-circle">(.*?)</section>', html, S)
    assert section, "no life-circle section"
    body = section.group(1)
    assert "15分钟生活圈 / 城市体检" in body and "不计入百城评分" in body
    for facility in LIFE_CIRCLE_TYPES:
        assert f'data-indicator-id="life_circle_{facility.type_id}"' in body
        assert facility.name_zh in body
    assert "300 m" in body and "500 m" in body and "1000 m" in body
    assert "未加权" in body  # the demonstration area has no age structure: said so
    dashboard = re.search(r'<section class="indicators" id="indicators">(.*?)</section>', html, S)
    assert dashboard and "life_circle_" not in dashboard.group(1)  # not in the 百城 dashboard
    # the gap layers are in the map's layer control (through the layer catalogue)
    assert "gap_life_circle_kindergarten" in html


def test_public_page_does_not_show_the_gap_layers(client: Any) -> None:
    html = client.get(f"/public/{DEMO_ID}").get_data(as_text=True)
    assert "gap_life_circle_" not in html
