"""County figures and the special-plan checklist: validation (every problem at once, zh + en),
the versioned merge, and what a re-sent form changes."""

from __future__ import annotations

from typing import Any

import pytest

from gis import county_data
from gis.errors import ValidationError

GOOD_PLAN = {"status": "已批复", "approved_on": "2018-03-01", "document": "X政文〔2018〕12号"}


def problems_of(payload: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        county_data.validate_update(payload)
    for p in info.value.problems:  # every problem in both languages
        assert p.message_en and p.message_zh and p.message_zh != p.message_en
    return {p.source: p.code for p in info.value.problems}


def test_a_valid_update_is_cleaned() -> None:
    clean = county_data.validate_update(
        {
            "figures": {
                "registered_cars": {"value": "15000", "source": " 交警大队 ", "year": "2020"},
                "water_supply_pct": {"value": 0, "source": "年鉴", "year": 1949},
                "sewage_treatment_pct": None,
            },
            "special_plans": {
                "education": {**GOOD_PLAN, "link": "https://example.org/doc.pdf"},
                "medical": {"status": "in_progress"},
                "culture": {"status": "not_started"},
            },
        }
    )
    assert clean["figures"]["registered_cars"] == {
        "value": 15000,
        "source": "交警大队",
        "year": 2020,
    }
    assert clean["figures"]["water_supply_pct"]["value"] == 0.0
    assert clean["figures"]["sewage_treatment_pct"] is None  # clears the stored figure
    assert clean["special_plans"]["medical"]["status"] == "编制中"
    assert clean["special_plans"]["culture"]["status"] == "未编制"
    assert clean["special_plans"]["education"]["link"] == "https://example.org/doc.pdf"


def test_every_bad_figure_is_reported_at_once() -> None:
    codes = problems_of(
        {
            "figures": {
                "registered_cars": {"value": 1500.5, "source": "", "year": 1948},
                "water_supply_pct": {"value": 100.5, "source": "s", "year": 2101},
                "sewage_treatment_pct": {"value": "很高", "source": "s", "year": "二〇二〇"},
                "buses": {"value": 3},
            },
        }
    )
    assert codes == {
        "figures.registered_cars.value": "bad_count",
        "figures.registered_cars.source": "bad_source",
        "figures.registered_cars.year": "bad_year",
        "figures.water_supply_pct.value": "bad_percent",
        "figures.water_supply_pct.year": "bad_year",
        "figures.sewage_treatment_pct.value": "bad_percent",
        "figures.sewage_treatment_pct.year": "bad_year",
        "figures.buses": "unknown_item",
    }


@pytest.mark.parametrize("cars", [0, -5, True, "1e3", None, float("nan"), 10**9])
def test_cars_must_be_a_positive_whole_number(cars: Any) -> None:
    codes = problems_of(
        {"figures": {"registered_cars": {"value": cars, "source": "s", "year": 2020}}}
    )
    assert codes == {"figures.registered_cars.value": "bad_count"}


def test_every_bad_checklist_entry_is_reported_at_once() -> None:
    codes = problems_of(
        {
            "special_plans": {
                "education": {"status": "已批复"},  # no date, no document
                "medical": {"status": "done"},
                "culture": {"status": "编制中", "approved_on": "2018/03/01"},
                "sports": {**GOOD_PLAN, "approved_on": "2018-02-30"},
                "markets": {**GOOD_PLAN, "link": "javascript:alert(1)"},
                "power": "已批复",
                "airport": GOOD_PLAN,
            },
            "extra": 1,
        }
    )
    assert codes == {
        "special_plans.education.approved_on": "missing_date",
        "special_plans.education.document": "missing_document",
        "special_plans.medical.status": "bad_status",
        "special_plans.culture.approved_on": "bad_date",
        "special_plans.sports.approved_on": "bad_date",
        "special_plans.markets.link": "bad_link",
        "special_plans.power": "bad_plan",
        "special_plans.airport": "unknown_item",
        "extra": "unknown_section",
    }


@pytest.mark.parametrize("payload", [[], "x", {}, {"figures": {}}, {"figures": []}])
def test_an_empty_or_malformed_body_is_refused(payload: Any) -> None:
    assert problems_of(payload)


def test_merge_keeps_a_version_record_and_clears_on_null() -> None:
    update = county_data.validate_update(
        {
            "figures": {"water_supply_pct": {"value": 91, "source": "s", "year": 2020}},
            "special_plans": {"education": GOOD_PLAN},
        }
    )
    data, first = county_data.merged(None, update, user="alice", now="2020-05-01T00:00:00+00:00")
    assert (first["version"], first["user"], first["created"]) == (
        1,
        "alice",
        "2020-05-01T00:00:00+00:00",
    )
    assert first["changed"] == ["figures.water_supply_pct", "special_plans.education"]
    cleared = county_data.validate_update({"figures": {"water_supply_pct": None}})
    data2, second = county_data.merged(data, cleared, user="bob", now="2020-06-01T00:00:00+00:00")
    assert second["version"] == 2 and data2["figures"] == {}
    assert data2["special_plans"]["education"]["status"] == "已批复"
    assert [h["user"] for h in data2["history"]] == ["alice", "bob"]
    assert data["version"] == 1 and "water_supply_pct" in data["figures"]  # not mutated


def test_a_resent_form_changes_only_what_differs() -> None:
    stored, _ = county_data.merged(
        None,
        county_data.validate_update({"special_plans": {"education": GOOD_PLAN}}),
        user="a",
        now="t",
    )
    again = county_data.validate_update(
        {"special_plans": {"education": dict(GOOD_PLAN), "medical": {"status": "编制中"}}}
    )
    assert list(county_data.changes(stored, again)["special_plans"]) == ["medical"]


def test_the_checklist_lists_all_eleven_plans() -> None:
    meta = {"county_data": {"special_plans": {"education": {**GOOD_PLAN, "link": ""}}}}
    rows = county_data.checklist(meta)
    assert [r["name_zh"] for r in rows] == [
        "教育",
        "医疗",
        "文化",
        "养老",
        "体育",
        "市场",
        "电力",
        "通信",
        "广播电视",
        "水利",
        "消防",
    ]
    assert rows[0]["status"] == "已批复" and rows[1]["status"] == "未填报"
    assert rows[1]["status_en"] == "not reported"
