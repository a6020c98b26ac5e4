"""county_report: the JSON object served by the API and printed by ``--json``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gis.indicators import INDICATOR_IDS
from gis.report import county_report, in_metric_crs
from gis.settings import IndicatorSettings


@pytest.fixture(scope="module")
def report_2020(demo_workspace: Any) -> tuple[dict[str, Any], list[Any]]:
    return county_report(demo_workspace, IndicatorSettings())


def test_report_shape(report_2020: tuple[dict[str, Any], list[Any]]) -> None:
    report, results = report_2020
    assert list(report) == ["county", "year", "parameters", "indicators", "assessment"]
    county = report["county"]
    assert set(county) == {
        "id",
        "name",
        "adcode",
        "is_demonstration",
        "population",
        "population_is_estimate",
    }
    assert county["id"] == "demo-chengdu-north" and county["is_demonstration"] is True
    assert county["population_is_estimate"] is True and county["population"] > 0
    assert report["year"] == 2020
    assert [i["id"] for i in report["indicators"]] == list(INDICATOR_IDS)
    assert [r.id for r in results] == list(INDICATOR_IDS)
    for item in report["indicators"]:
        assert {"id", "value", "unit", "target", "passed", "status", "parameters"} <= set(item)
    assert report["parameters"]["max_walk_m"] == pytest.approx(990.0)
    assert report["parameters"]["targets"]["road_density_km_per_km2"] == 8.0
    assert report["assessment"]["grade"] in ("优良", "合格", "不合格")
    assert 0 <= report["assessment"]["score"] <= 100
    json.dumps(report, ensure_ascii=False, allow_nan=False)


def test_storage_and_metric_workspaces_give_the_same_report(
    demo_workspace: Any, report_2020: tuple[dict[str, Any], list[Any]]
) -> None:
    assert not in_metric_crs(demo_workspace)
    metric = demo_workspace.to_metric()
    assert in_metric_crs(metric)
    again, _ = county_report(metric, IndicatorSettings())
    assert again == report_2020[0]


def test_year_and_walk_parameters_flow_through(demo_workspace: Any) -> None:
    report, results = county_report(demo_workspace, IndicatorSettings(year=2018, walk_minutes=10))
    road = report["indicators"][0]
    assert (road["target"], road["target_year"]) == (7.0, 2018)
    fitness = {r.id: r for r in results}["fitness_15min_coverage"]
    assert fitness.parameters["max_walk_m"] == pytest.approx(660.0)
    with pytest.raises(ValueError, match="walk_minutes"):
        county_report(demo_workspace, IndicatorSettings(walk_minutes=-1))
