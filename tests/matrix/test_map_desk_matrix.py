"""The planner map desk (layers/desk.py) on every workspace of the matrix: layers missing or
empty, sparse OSM, uploaded built-up area.  Every indicator has a view (``?indicator=<id>``
answers 200 and selects it) whose layers are catalogue layers with features; every such layer
sits in exactly one group of the control and has a legend; the default view is one of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gis.indicators import INDICATOR_IDS
from layers.desk import GROUPS
from tests.matrix.test_matrix import CASE_PARAMS, sign_in
from tests.matrix.workspaces import Matrix

DESK_RE = re.compile(r'<script type="application/json" id="map-desk-data">(.*?)</script>', re.S)


def _desk(html: str) -> dict[str, Any]:
    found = DESK_RE.search(html)
    assert found, "the planner page has no map-desk data block"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


@pytest.mark.parametrize("case_id", CASE_PARAMS)
def test_every_indicator_has_a_view_of_layers_with_features(
    case_id: str, matrix: Matrix, matrix_app: tuple[Any, str]
) -> None:
    matrix.path(case_id)
    app, _token = matrix_app
    client = app.test_client()
    sign_in(client)
    catalogue = client.get(f"/api/v1/counties/{case_id}/layers").get_json()["layers"]
    with_features = {x["name"] for x in catalogue if x["feature_count"]}
    desk = _desk(client.get(f"/map/{case_id}").get_data(as_text=True))
    assert {v["id"] for v in desk["views"]} == set(INDICATOR_IDS)
    assert desk["selected"] == desk["default"] in INDICATOR_IDS
    groups = {key for key, _zh, _en in GROUPS}
    legends = {x["name"]: x for x in desk["layers"]}
    assert set(legends) == {x["name"] for x in catalogue}
    for legend in legends.values():
        assert legend["group"] in groups and legend["source_zh"], legend["name"]
    for view in desk["views"]:
        assert set(view["layers"]) <= with_features, view
        own = [n for n in view["layers"] if legends[n]["indicator_id"] == view["id"]]
        assert all(legends[n]["group"] == "gaps" for n in own)
    for indicator in ("road_density", "fitness_15min_coverage"):
        page = client.get(f"/map/{case_id}?indicator={indicator}")
        assert page.status_code == 200
        assert _desk(page.get_data(as_text=True))["selected"] == indicator
