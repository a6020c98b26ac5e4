"""layers/desk.py on the demonstration county, and the planner page's ``indicator`` parameter."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gis.indicators import INDICATOR_IDS
from layers.catalog import build_catalog
from layers.desk import (
    CONTEXT_LAYERS,
    GROUPS,
    INDICATOR_INPUTS,
    default_indicator,
    desk_payload,
    indicator_views,
    layer_group,
    shown_layers,
    view_layers,
)
from tests.helpers import DEMO_ID

DESK_RE = re.compile(r'<script type="application/json" id="map-desk-data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def demo(demo_workspace: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    from gis.report import county_report
    from gis.settings import DEFAULT_SETTINGS

    report, results = county_report(demo_workspace, DEFAULT_SETTINGS)
    return report["indicators"], build_catalog(demo_workspace, results)


def test_every_demo_layer_is_in_one_group_and_gap_layers_in_their_view(demo: Any) -> None:
    indicators, infos = demo
    groups = [key for key, _zh, _en in GROUPS]
    payload = desk_payload(indicators, infos, population_estimate=True)
    assert [g["key"] for g in payload["groups"]] == groups
    assert [x["name"] for x in payload["layers"]] == [i.name for i in infos]
    for info in infos:
        assert layer_group(info) in groups
        if info.kind in ("gap", "result", "suggestion") and info.feature_count:
            assert info.name in view_layers(info.indicator_id, infos), info.name
    views = {v.indicator_id: v for v in indicator_views(indicators, infos)}
    assert list(views) == list(INDICATOR_IDS)
    assert views["road_density"].layers == ("boundary", "built_up", "roads", "gap_road_dead_ends")
    assert views["urban_design_coverage"].layers == (
        "boundary",
        "key_areas",
        "urban_designs",
        "gap_design_uncovered_key_areas",
    )
    # a gap layer without features is not drawn: the view keeps its inputs only
    assert views["parking_per_100_cars"].layers == ("boundary", "built_up", "parking")


def test_legends_carry_units_sources_and_labels(demo: Any) -> None:
    indicators, infos = demo
    payload = desk_payload(indicators, infos, population_estimate=True)
    legends = {x["name"]: x for x in payload["layers"]}
    assert legends["population"]["unit_zh"] == "人/公顷" and legends["population"]["estimate"]
    assert len(legends["population"]["entries"]) == 5
    assert legends["plans"]["sample"] and legends["plans"]["source_zh"].startswith("样例")
    assert legends["built_up"]["estimate"] and legends["built_up"]["source_zh"] == "由OSM推算"
    assert legends["roads"]["source_en"] == "OpenStreetMap" and not legends["roads"]["estimate"]
    assert legends["roads"]["shape"] == "line" and legends["parks"]["shape"] == "fill"
    assert legends["fitness_sites"]["shape"] == "marker"
    gap = legends["gap_road_dead_ends"]
    assert gap["dashed"] and gap["group"] == "gaps" and gap["indicator_id"] == "road_density"
    assert gap["entries"][0]["label_zh"].startswith("断头路")  # what a feature means
    own = [x for x in legends.values() if x["group"] == "gaps" and x["feature_count"]]
    assert own and all(e["label_en"] != x["title_en"] for x in own for e in x["entries"])
    unestimated = desk_payload(indicators, infos, population_estimate=False)
    assert not {x["name"]: x for x in unestimated["layers"]}["population"]["estimate"]


def test_default_view_is_a_missed_target_with_a_gap_to_show(demo: Any) -> None:
    indicators, infos = demo
    views = indicator_views(indicators, infos)
    chosen = default_indicator(indicators, views)
    by_id = {i["id"]: i for i in indicators}
    assert by_id[chosen]["passed"] is False
    first_missed = next(
        i["id"]
        for i in indicators
        if i["passed"] is False and set(view_layers(i["id"], infos)) - set(CONTEXT_LAYERS)
    )
    assert chosen == first_missed
    payload = desk_payload(indicators, infos, population_estimate=True, selected="plans-nope")
    assert shown_layers(payload) == frozenset(CONTEXT_LAYERS)  # unknown: boundary only
    payload = desk_payload(indicators, infos, population_estimate=True, selected=None)
    assert payload["selected"] == chosen


def test_a_county_without_inputs_still_has_a_view(demo: Any) -> None:
    indicators, infos = demo
    thin = [i for i in infos if i.name in ("boundary", "built_up")]
    views = {v.indicator_id: v.layers for v in indicator_views(indicators, thin)}
    assert views["fitness_15min_coverage"] == ("boundary",)
    assert views["road_density"] == ("boundary", "built_up")
    assert default_indicator(indicators, indicator_views(indicators, [])) == indicators[0]["id"]
    assert set(INDICATOR_INPUTS) <= set(INDICATOR_IDS)


def _desk(html: str) -> dict[str, Any]:
    found = DESK_RE.search(html)
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_planner_page_selects_the_indicator_of_its_url(client: Any) -> None:
    page = client.get(f"/map/{DEMO_ID}?indicator=park_service_coverage&year=2018")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    desk = _desk(html)
    assert desk["selected"] == "park_service_coverage"
    assert 'name="indicator" value="park_service_coverage"' in html
    assert "indicator=road_density" in html  # each card links to its own view
    default = _desk(client.get(f"/map/{DEMO_ID}").get_data(as_text=True))
    assert default["selected"] == default["default"]
    assert _desk(client.get(f"/map/{DEMO_ID}?indicator=").get_data(as_text=True)) == default


@pytest.mark.parametrize("bad", ["nope", "<script>", "road_density%00"])
def test_an_unknown_indicator_is_a_clear_400(client: Any, bad: str) -> None:
    page = client.get(f"/map/{DEMO_ID}?indicator={bad}", headers={"Accept": "application/json"})
    assert page.status_code == 400
    message = page.get_json()["message"]
    assert "indicator" in message and "road_density" in message
