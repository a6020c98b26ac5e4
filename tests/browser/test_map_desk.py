"""The planner map, indicator first (static/js/map-desk.js, layers/desk.py), in chromium.

The page opens on one indicator's view: only its inputs and gap layer are drawn, every drawn
layer has exactly one legend block (and nothing else has one), the choice is in the URL and a
link opens the same view; the other layers are one click away in the grouped control; the
control and the legend cover at most ``MAX_COVER_SHARE`` of the map at 1366 × 768 and on an
820 × 1180 tablet.  Screenshots go to test-artifacts/screenshots/ (planner_desk_*.png).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from layers.style import style_for
from tests.browser.test_browser import COUNT_FEATURES_JS
from tests.helpers import DEMO_ID

pytestmark = pytest.mark.browser

MAX_COVER_SHARE = 0.25
"""Largest share of the map's area the desk control and the legend may cover together."""
LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}

# Worked out by hand from layers/desk.py INDICATOR_INPUTS and the demonstration catalogue
# (GET /api/v1/counties/<c>/layers): the boundary, the inputs, the indicator's own layers.
FITNESS = "fitness_15min_coverage"
FITNESS_LAYERS = {
    "boundary",
    "population",
    "sports",
    "gap_fitness_uncovered_cells",
    "fitness_sites",
}
PLANS = "regulatory_plan_coverage"
PLAN_LAYERS = {"boundary", "built_up", "plans", "gap_plan_uncovered_built_up"}
PARKS = "park_service_coverage"
PARK_LAYERS = {"boundary", "residential", "parks", "gap_park_unserved_residential"}

DESK_JS = "() => JSON.parse(document.getElementById('map-desk-data').textContent)"
ON_MAP_JS = """() => Object.keys(gisLayers).filter(n => gisMap().hasLayer(gisLayers[n])).sort()"""
LEGEND_JS = """() => Array.from(document.querySelectorAll('#map-legend .desk-legend-layer'))
  .map(b => b.getAttribute('data-layer')).sort()"""
BOX_JS = """sel => { const r = document.querySelector(sel).getBoundingClientRect();
  return {x: r.left, y: r.top, width: r.width, height: r.height}; }"""


def _layers(client: Any) -> dict[str, dict[str, Any]]:
    body = client.get(f"/api/v1/counties/{DEMO_ID}/layers").get_json()
    return {layer["name"]: layer for layer in body["layers"]}


def _state(page: Any) -> dict[str, Any]:
    return {
        "on_map": set(page.evaluate(ON_MAP_JS)),
        "drawn": page.evaluate(COUNT_FEATURES_JS),
        "legend": page.evaluate(LEGEND_JS),
        "indicator": parse_qs(urlparse(page.url).query).get("indicator", [None])[0],
    }


def _check_view(page: Any, layers: dict[str, dict[str, Any]], expected: set[str]) -> None:
    state = _state(page)
    assert state["on_map"] == expected
    assert set(state["drawn"]) == expected  # nothing else has a feature on the map
    for name in expected:
        assert state["drawn"][name] == layers[name]["feature_count"], name
    assert state["legend"] == sorted(expected)  # one legend block per drawn layer


def test_the_default_view_draws_one_indicator_with_its_legend(visit: Any, client: Any) -> None:
    v = visit(f"/map/{DEMO_ID}", **LAPTOP)
    page = v.page
    desk = page.evaluate(DESK_JS)
    default = desk["default"]
    view = next(x for x in desk["views"] if x["id"] == default)
    assert "boundary" in view["layers"] and len(view["layers"]) >= 3
    layers = _layers(client)
    _check_view(page, layers, set(view["layers"]))
    own = {n for n in view["layers"] if layers[n]["indicator_id"] == default}
    assert own, "the default view shows the indicator's own (gap) layer"
    assert len(view["layers"]) < len([x for x in layers.values() if x["feature_count"]]) / 2
    assert _state(page)["indicator"] == default
    assert page.input_value("#desk-indicator") == default
    card = page.locator(f'article.indicator[data-indicator-id="{default}"]')
    assert "desk-selected" in (card.get_attribute("class") or "")
    assert v.errors == [] and v.outside == []
    v.shot("planner_desk_default_1366x768")


def test_the_legend_names_classes_units_sources_and_labels(visit: Any, client: Any) -> None:
    v = visit(f"/map/{DEMO_ID}?indicator={FITNESS}", **LAPTOP)
    page = v.page
    _check_view(page, _layers(client), FITNESS_LAYERS)
    block = page.locator('#map-legend .desk-legend-layer[data-layer="population"]')
    text = block.inner_text()
    assert "人/公顷" in text and "persons per hectare" in text and "估算" in text
    colours = block.locator(".desk-swatch").evaluate_all(
        "els => els.map(e => e.getAttribute('data-color'))"
    )
    assert colours == [e.color for e in style_for("population").legend]
    labels = block.locator(".desk-legend-entry").all_inner_texts()
    assert [x.strip() for x in labels] == [
        f"{e.label_zh} / {e.label_en}" for e in style_for("population").legend
    ]
    gap = page.locator('#map-legend .desk-legend-layer[data-layer="gap_fitness_uncovered_cells"]')
    assert "指标计算结果" in gap.inner_text()
    pin = page.locator('#map-legend [data-layer="fitness_sites"] .awesome-marker')
    assert pin.count() == 1
    page.select_option("#desk-indicator", PLANS)
    v.settle()
    plans = page.locator('#map-legend .desk-legend-layer[data-layer="plans"]').inner_text()
    assert "样例" in plans and "sample data" in plans and "已批准控规单元" in plans
    built_up = page.locator('#map-legend .desk-legend-layer[data-layer="built_up"]').inner_text()
    assert "估算" in built_up and "由OSM推算" in built_up
    assert v.errors == []
    v.shot("planner_desk_fitness_legend")


def test_choosing_an_indicator_switches_the_layers_and_the_url_round_trips(
    visit: Any, client: Any
) -> None:
    layers = _layers(client)
    query = "?year=2018&minutes=10&walk_speed=1.3"
    v = visit(f"/map/{DEMO_ID}{query}", **LAPTOP)
    page = v.page
    page.evaluate("() => { window.__sameDocument = true; }")
    page.select_option("#desk-indicator", PLANS)
    v.settle()
    assert _state(page)["indicator"] == PLANS
    assert "year=2018" in page.url and "minutes=10" in page.url
    assert page.locator('form.params input[name="indicator"]').input_value() == PLANS
    plan_layers = _layers_for(client, query)
    _check_view(page, plan_layers, PLAN_LAYERS)
    link = page.locator(f'a[data-show-indicator="{PARKS}"]')
    link.click()
    v.settle()
    assert page.evaluate("window.__sameDocument") is True  # switched in place, no reload
    assert _state(page)["indicator"] == PARKS
    _check_view(page, plan_layers, PARK_LAYERS)
    again = visit(urlparse(page.url).path + "?" + urlparse(page.url).query, **LAPTOP)
    assert again.page.input_value("#desk-indicator") == PARKS
    _check_view(again.page, plan_layers, PARK_LAYERS)
    assert layers["roads"]["feature_count"] > 0 and "roads" not in _state(again.page)["drawn"]
    assert v.errors == [] and again.errors == []


def _layers_for(client: Any, query: str) -> dict[str, dict[str, Any]]:
    body = client.get(f"/api/v1/counties/{DEMO_ID}/layers{query}").get_json()
    return {layer["name"]: layer for layer in body["layers"]}


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "1366x768"), (TABLET, "820x1180")])
def test_every_layer_is_one_click_away_in_its_group(
    visit: Any, client: Any, viewport: dict[str, int], name: str
) -> None:
    layers = _layers(client)
    v = visit(f"/map/{DEMO_ID}?indicator={PLANS}", **viewport)
    page = v.page
    assert page.locator("#desk-layers").is_hidden()
    page.click("#desk-layers-toggle")
    assert page.locator("#desk-layers").is_visible()
    # the open list folds the legend so that neither hides the other, and fits in the map
    assert page.locator("#map-legend .map-legend-body").is_hidden()
    fmap, panel = page.evaluate(BOX_JS, ".folium-map"), page.evaluate(BOX_JS, "#map-desk")
    legend = page.evaluate(BOX_JS, "#map-legend")
    assert panel["y"] + panel["height"] <= legend["y"] <= fmap["y"] + fmap["height"]
    v.shot(f"planner_desk_layers_open_{name}")
    groups = page.locator("#desk-layers fieldset").evaluate_all(
        "els => els.map(e => e.getAttribute('data-group'))"
    )
    assert groups == ["base", "gaps", "plans"]  # no project in the demonstration county
    listed = page.locator("#desk-layers label.desk-layer").evaluate_all(
        "els => els.map(e => [e.closest('fieldset').getAttribute('data-group'),"
        " e.getAttribute('data-layer')])"
    )
    with_features = {n for n, x in layers.items() if x["feature_count"]}
    assert sorted(n for _g, n in listed) == sorted(with_features)
    group_of = dict((n, g) for g, n in listed)
    assert group_of["roads"] == "base" and group_of["population"] == "base"
    assert group_of["gap_road_dead_ends"] == "gaps" and group_of["fitness_sites"] == "gaps"
    assert group_of["plans"] == "plans" and group_of["disclosures"] == "plans"
    checked = page.locator("#desk-layers input:checked").evaluate_all(
        "els => els.map(e => e.closest('label').getAttribute('data-layer')).sort()"
    )
    assert checked == sorted(PLAN_LAYERS)
    page.click('#desk-layers label[data-layer="walk_edges"] input')
    v.settle()
    state = _state(page)
    assert state["drawn"]["walk_edges"] == layers["walk_edges"]["feature_count"]
    assert state["legend"] == sorted(PLAN_LAYERS | {"walk_edges"})
    page.click('#desk-layers label[data-layer="plans"] input')
    assert "plans" not in _state(page)["drawn"]
    assert _state(page)["legend"] == sorted((PLAN_LAYERS - {"plans"}) | {"walk_edges"})
    page.click("#desk-layers-toggle")
    assert page.locator("#desk-layers").is_hidden()
    assert page.locator("#map-legend .map-legend-body").is_visible()
    assert v.errors == []


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "1366x768"), (TABLET, "820x1180")])
@pytest.mark.parametrize("indicator", ["", FITNESS])
def test_the_desk_and_legend_leave_the_map_readable(
    visit: Any, viewport: dict[str, int], name: str, indicator: str
) -> None:
    query = f"?indicator={indicator}" if indicator else ""
    v = visit(f"/map/{DEMO_ID}{query}", **viewport)
    page = v.page
    assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]
    fmap = page.evaluate(BOX_JS, ".folium-map")
    assert fmap["width"] >= 0.9 * viewport["width"] or fmap["width"] >= 900
    assert fmap["height"] >= 0.55 * viewport["height"]
    covered = 0.0
    for sel in ("#map-desk", "#map-legend"):
        box = page.evaluate(BOX_JS, sel)
        assert box["width"] > 0 and box["height"] > 0
        assert fmap["x"] <= box["x"] and box["x"] + box["width"] <= fmap["x"] + fmap["width"]
        assert fmap["y"] <= box["y"] and box["y"] + box["height"] <= fmap["y"] + fmap["height"]
        covered += box["width"] * box["height"]
    assert covered / (fmap["width"] * fmap["height"]) <= MAX_COVER_SHARE
    desk = page.evaluate(BOX_JS, "#map-desk")
    legend = page.evaluate(BOX_JS, "#map-legend")
    assert desk["y"] + desk["height"] <= legend["y"]  # they do not overlap each other
    assert page.locator("#desk-indicator").is_visible()
    assert v.errors == [] and v.outside == []
    v.shot(f"planner_desk_{indicator or 'default'}_{name}")
