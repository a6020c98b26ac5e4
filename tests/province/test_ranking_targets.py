"""The province ranking shows the new targets: each indicator's value and the items left out of
the score for want of data, in the JSON rows and the CSV / Excel exports."""

from __future__ import annotations

import csv
import io

from api.province import ranking_csv, ranking_header, ranking_rows
from gis.indicators import INDICATOR_IDS
from gis.ranking import rank_year


def doc(cid: str, score: float, water: float | None) -> dict:  # type: ignore[type-arg]
    indicators = [{"id": i, "value": None, "passed": None} for i in INDICATOR_IDS]
    indicators[0] = {"id": "road_density", "value": 7.912345, "passed": False}
    for ind in indicators:
        if ind["id"] == "water_supply_coverage" and water is not None:
            ind.update(value=water, passed=water >= 90)
    excluded = [i for i in INDICATOR_IDS[7:] if not (i == "water_supply_coverage" and water)]
    return {
        "county_id": cid,
        "year": 2020,
        "report": {
            "assessment": {"score": score, "grade": "合格", "no_data_excluded": excluded},
            "indicators": indicators,
        },
    }


def test_rows_carry_values_and_the_items_not_scored() -> None:
    rows = rank_year([doc("a", 70.0, 95.0), doc("b", 65.0, None)])
    a, b = rows
    assert a.values["water_supply_coverage"] == 95.0 and b.values["water_supply_coverage"] is None
    assert "water_supply_coverage" not in a.no_data_excluded
    assert len(b.no_data_excluded) == 5 and a.to_dict()["no_data_excluded"] == a.no_data_excluded


def test_exports_have_a_column_per_indicator() -> None:
    rows = rank_year([doc("a", 70.0, 95.0), doc("b", 65.0, None)])
    header = ranking_header()
    assert "百辆汽车公共停车泊位数 parking_per_100_cars" in header
    assert "专项规划批复率 special_plans_approved_share" in header
    table = list(csv.reader(io.StringIO(ranking_csv(rows).decode("utf-8-sig"))))
    assert table[0] == header and len(table) == 3
    at = {name: i for i, name in enumerate(header)}
    assert table[1][at["道路网密度 road_density"]] == "7.91"
    assert table[1][at["公共供水普及率 water_supply_coverage"]] == "95.0"
    assert table[2][at["公共供水普及率 water_supply_coverage"]] == ""
    assert "sewer_network_coverage" in table[2][-1]
    assert len(ranking_rows(rows)[0]) == len(header)
