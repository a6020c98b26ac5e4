"""Reasons of indicators without a value: one catalogue, every text ``中文 | English``."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from handmade import square

from gis.indicators._common import LAYER_NAMES_ZH, REASONS, reason
from gis.indicators.parks import compute_park_green_per_capita, compute_park_service_coverage
from gis.indicators.planning import compute_regulatory_plan_coverage, compute_urban_design_coverage
from gis.indicators.road_density import compute_road_density
from gis.result import reason_parts
from gis.settings import IndicatorSettings

S = IndicatorSettings()
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _bilingual(text: str) -> None:
    zh, en = reason_parts(text)
    assert " | " in text and CJK.search(zh) and not CJK.search(en) and re.search("[a-z]{3}", en)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_catalogued_reason_is_chinese_then_english(code: str) -> None:
    values = {"figure": "registered cars", "figure_zh": "城区汽车保有量", "count": "3"}
    _bilingual(reason(code, layer="plans", layer_zh=LAYER_NAMES_ZH["plans"], **values))


def test_results_without_a_value_carry_a_bilingual_reason() -> None:
    built = square(0, 0, 1000, 1000)
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=built.crs), crs=built.crs)
    results = [
        compute_regulatory_plan_coverage(None, built, settings=S, provenance={}),
        compute_urban_design_coverage(None, None, settings=S, provenance={}, metric_crs=4547),
        compute_park_green_per_capita(None, built, None, settings=S, provenance={}),
        compute_park_service_coverage(None, None, built, settings=S, provenance={}),
        compute_road_density(
            gpd.GeoDataFrame(
                {"road_class": [], "oneway": [], "name": [], "osm_id": []},
                geometry=gpd.GeoSeries([], crs=built.crs),
                crs=built.crs,
            ),
            empty,
            settings=S,
            provenance={},
        ),
    ]
    for result in results:
        assert result.value is None and result.status != "ok", result.id
        _bilingual(result.reason)


def test_the_assessment_shows_each_half_once() -> None:
    from gis.assessment import assess
    from gis.indicators import INDICATOR_IDS

    built = square(0, 0, 1000, 1000)
    result = compute_urban_design_coverage(None, None, settings=S, provenance={}, metric_crs=4547)
    plans = compute_regulatory_plan_coverage(None, built, settings=S, provenance={})
    line = assess([result, plans]).reasoning[INDICATOR_IDS.index("urban_design_coverage")]
    zh, en = line.split(" | ")
    assert "无数据（工作区没有重点地区图层" in zh and "no data" not in zh
    assert "no data (the workspace has no key_areas layer" in en and not CJK.search(en)
