"""15-minute life circle on hand-made networks with answers worked out by hand.

The network is a straight street of 100 m edges from x = 0 to x = 1,100 m; every facility
stands at x = 0 (on node 0).  Four homes (100 m cells centred on the street, so the walk to
the street is 0) are 250, 450, 950 and 1,050 m along it, with 10, 20, 30 and 40 persons:

- 300 m types (elderly care, kindergarten, park or square) reach the home at 250 m: 10 %;
- 500 m types (primary school, market) reach 250 and 450 m: 30 %;
- 1,000 m types (middle school, clinic, culture) reach 250, 450 and 950 m: 60 %;
- community sports (the fitness circle, 15 min x 1.1 m/s = 990 m) reach the same 60 %.
"""

from __future__ import annotations

import pytest
from handmade import cells, path_network, points, square

from gis.facility_types import LIFE_CIRCLE_TYPE_IDS, LIFE_CIRCLE_TYPES
from gis.indicators.fitness_coverage import compute_fitness_15min_coverage
from gis.indicators.life_circle import (
    REACH_ID,
    AgeStructure,
    compute_life_circle,
    result_id,
)
from gis.life_circle_report import age_structure, life_circle_report
from gis.osm_facilities import facility_types_of, school_levels
from gis.settings import IndicatorSettings

S = IndicatorSettings()
HOMES = [(250.0, 0.0), (450.0, 0.0), (950.0, 0.0), (1050.0, 0.0)]
PERSONS = [10.0, 20.0, 30.0, 40.0]
EXPECTED_PCT = {
    "elderly_care": 10.0,
    "kindergarten": 10.0,
    "park_square": 10.0,
    "primary_school": 30.0,
    "market": 30.0,
    "middle_school": 60.0,
    "clinic": 60.0,
    "culture": 60.0,
    "community_sports": 60.0,
}


def run(facility_types, *, parks=None, sports=None, facilities=True, s=S, age=None, pop=True):
    nodes, edges = path_network(12)
    layers = {
        "facilities": points([(0, 0)] * len(facility_types), facility_type=list(facility_types))
        if facilities
        else None,
        "parks": parks,
        "sports": sports,
    }
    return compute_life_circle(
        nodes,
        edges,
        layers,
        cells(HOMES, PERSONS) if pop else None,
        None,
        settings=s,
        provenance={"facilities": "osm"},
        age_structure=age,
    )


def by_id(circle):
    return {r.id: r for r in circle.results}


@pytest.mark.parametrize("type_id", LIFE_CIRCLE_TYPE_IDS)
def test_each_type_alone_covers_the_homes_within_its_threshold(type_id: str) -> None:
    results = by_id(run([type_id]))
    mine = results[f"life_circle_{type_id}"]
    assert mine.status == "ok"
    assert mine.value == pytest.approx(EXPECTED_PCT[type_id])
    assert mine.details["facilities"] == 1
    assert mine.layer_name == f"gap_life_circle_{type_id}"
    assert sorted(mine.layer["persons"]) == sorted(
        p for (x, _), p in zip(HOMES, PERSONS, strict=True) if x > mine.parameters["threshold_m"]
    )
    for other in LIFE_CIRCLE_TYPE_IDS:
        if other != type_id:  # every other type has no facility: coverage 0 with a note
            result = results[f"life_circle_{other}"]
            assert result.value == 0.0 and result.status == "ok"
            assert "no facility of this type" in result.details["note"]


def test_thresholds_follow_the_catalogue() -> None:
    thresholds = {t.type_id: S.life_circle_threshold_m(t) for t in LIFE_CIRCLE_TYPES}
    assert thresholds == {
        "elderly_care": 300.0,
        "kindergarten": 300.0,
        "park_square": 300.0,
        "primary_school": 500.0,
        "market": 500.0,
        "middle_school": 1000.0,
        "clinic": 1000.0,
        "culture": 1000.0,
        "community_sports": pytest.approx(990.0),
    }


def test_parks_and_sports_layers_feed_their_types() -> None:
    park = square(-60, -50, 0, 50, name=["公园"])  # its edge touches node 0: no walk inside
    gym = points([(0, 0)], leisure=["fitness_centre"])
    results = by_id(run([], parks=park, sports=gym))
    assert results["life_circle_park_square"].value == pytest.approx(10.0)
    assert results["life_circle_community_sports"].value == pytest.approx(60.0)
    assert results["life_circle_kindergarten"].value == 0.0


def test_community_sports_is_the_fitness_circle() -> None:
    gym = points([(0, 0)], leisure=["pitch"])
    nodes, edges = path_network(12)
    for minutes, expected in ((15.0, 60.0), (10.0, 30.0)):  # 990 m; 660 m
        s = IndicatorSettings(walk_minutes=minutes)
        circle = by_id(run([], sports=gym, s=s))["life_circle_community_sports"]
        fitness = compute_fitness_15min_coverage(
            nodes, edges, gym, cells(HOMES, PERSONS), None, settings=s, provenance={}
        )
        assert circle.value == pytest.approx(expected) == fitness.value


def test_types_reached_per_home_and_the_summary() -> None:
    circle = run(list(LIFE_CIRCLE_TYPE_IDS))
    reach = by_id(circle)[REACH_ID]
    # home at 250 m reaches all 9 types, 450 m six, 950 m four, 1,050 m none
    counts = dict(zip(reach.layer["persons"], reach.layer["types_reached"], strict=True))
    assert counts == {10.0: 9, 20.0: 6, 30.0: 4, 40.0: 0}
    assert reach.value == pytest.approx(10.0)  # only the 10 persons reach every type
    at_least = reach.details["at_least_pct"]
    assert at_least["0"] == 100.0 and at_least["1"] == pytest.approx(60.0)
    assert at_least["4"] == pytest.approx(60.0) and at_least["5"] == pytest.approx(30.0)
    assert at_least["6"] == pytest.approx(30.0) and at_least["9"] == pytest.approx(10.0)
    missing = dict(zip(reach.layer["persons"], reach.layer["missing"], strict=True))
    assert missing[30.0] == "elderly_care,kindergarten,park_square,primary_school,market"
    assert reach.layer_name == "life_circle_types_reached"


def test_a_workspace_without_the_facilities_layer_gives_no_data_not_a_crash() -> None:
    gym = points([(0, 0)], leisure=["pitch"])
    park = square(-60, -50, 0, 50)
    results = by_id(run([], parks=park, sports=gym, facilities=False))
    for type_id in ("elderly_care", "kindergarten", "primary_school", "market", "clinic"):
        result = results[f"life_circle_{type_id}"]
        assert result.status == "no_data" and result.value is None and result.passed is None
        assert "facilities layer" in result.reason
    assert results["life_circle_park_square"].value == pytest.approx(10.0)  # from parks
    reach = results[REACH_ID]
    assert reach.details["types_counted"] == ["park_square", "community_sports"]
    assert reach.value == pytest.approx(10.0)


def test_no_population_is_not_computable_for_every_type() -> None:
    circle = run(["kindergarten"], pop=False)
    assert all(r.status == "not_computable" and r.value is None for r in circle.results)
    assert "population" in circle.results[0].reason


def test_threshold_override_without_code() -> None:
    s = S.with_life_circle_thresholds({"kindergarten": 500})
    assert by_id(run(["kindergarten"], s=s))["life_circle_kindergarten"].value == pytest.approx(
        30.0
    )
    assert S.life_circle_threshold_m(LIFE_CIRCLE_TYPES[1]) == 300.0  # the default unchanged
    with pytest.raises(ValueError, match="unknown facility type swimming"):
        S.with_life_circle_thresholds({"swimming": 500})
    with pytest.raises(ValueError, match="kindergarten=0 m"):
        S.with_life_circle_thresholds({"kindergarten": 0})


def test_age_groups_weight_children_and_elderly() -> None:
    age = AgeStructure(children_share=0.2, elderly_share=0.15, source="hand-made")
    results = by_id(run(["kindergarten", "elderly_care", "market"], age=age))
    kid = results["life_circle_kindergarten"]
    assert kid.value == pytest.approx(10.0)  # one county share: the % equals the residents'
    assert kid.details["group"]["persons_total"] == pytest.approx(20.0)  # 100 x 0.2
    assert kid.details["group"]["persons_covered"] == pytest.approx(2.0)  # 10 x 0.2
    assert kid.details["group"]["method"].startswith("weighted")
    old = results["life_circle_elderly_care"]
    assert old.details["group"]["persons_covered"] == pytest.approx(1.5)  # 10 x 0.15
    assert "persons_total" not in results["life_circle_market"].details["group"]
    unweighted = by_id(run(["kindergarten"]))["life_circle_kindergarten"]
    assert unweighted.details["group"]["method"].startswith("unweighted")


def test_census_age_structure_matches_the_published_share() -> None:
    import pandas as pd

    from gis.province import CENSUS_NAME, DATA_DIR

    census = pd.read_csv(DATA_DIR / CENSUS_NAME, dtype={"区划代码": str}).set_index("区划代码")
    for code in ("410102", "411721", "410000"):
        age = age_structure(code)
        assert age is not None
        published = census.loc[code]
        assert 100 * age.children_share == pytest.approx(published["人口比重_0-14岁"], abs=0.01)
        assert 100 * age.elderly_share >= published["人口比重_65岁及以上"]  # 60+ holds 65+
    assert age_structure("510106") is None and age_structure(None) is None


@pytest.mark.parametrize(
    ("tags", "polygon", "expected"),
    [
        ({"amenity": "kindergarten"}, False, ["kindergarten"]),
        ({"amenity": "social_facility", "social_facility:for": "senior"}, False, ["elderly_care"]),
        ({"amenity": "social_facility", "social_facility": "nursing_home"}, True, ["elderly_care"]),
        ({"amenity": "nursing_home"}, True, ["elderly_care"]),
        ({"amenity": "school", "isced:level": "1"}, True, ["primary_school"]),
        ({"amenity": "school", "isced:level": "2;3"}, True, ["middle_school"]),
        ({"amenity": "school", "name": "北星中学"}, True, ["middle_school"]),
        ({"amenity": "school", "name": "第七高级中学"}, True, []),
        ({"amenity": "school"}, True, ["primary_school", "middle_school"]),
        ({"amenity": "marketplace"}, True, ["market"]),
        ({"shop": "supermarket"}, False, ["market"]),
        ({"shop": "greengrocer"}, False, ["market"]),
        ({"shop": "clothes"}, False, []),
        ({"amenity": "clinic"}, False, ["clinic"]),
        ({"amenity": "doctors", "healthcare": "doctor"}, False, ["clinic"]),
        ({"healthcare": "centre"}, True, ["clinic"]),
        ({"amenity": "hospital"}, True, ["clinic"]),
        ({"amenity": "library"}, False, ["culture"]),
        ({"amenity": "community_centre"}, True, ["culture"]),
        ({"amenity": "arts_centre"}, True, ["culture"]),
        ({"place": "square"}, True, ["park_square"]),
        ({"highway": "pedestrian", "area": "yes"}, True, ["park_square"]),
        ({"highway": "pedestrian"}, False, []),
        ({"amenity": "restaurant"}, False, []),
    ],
)
def test_osm_tags_to_facility_types(tags, polygon, expected) -> None:
    assert [t for t, _, _ in facility_types_of(tags, polygon=polygon)] == expected


def test_school_level_sources() -> None:
    assert school_levels({"name": "九年一贯制学校"}) == (
        ("primary_school", "middle_school"),
        "name",
    )
    assert school_levels({"school:level": "primary", "name": "某中学"})[1] == "tag"
    assert school_levels({"isced:level": "1-2"})[0] == ("primary_school", "middle_school")


def test_demo_county_life_circle(demo_workspace) -> None:
    from gis.report import county_report

    report, circle = life_circle_report(demo_workspace, S)
    ids = [r.id for r in circle.results]
    assert ids == [result_id(t) for t in LIFE_CIRCLE_TYPES] + [REACH_ID]
    assert report["graded"] is False and report["age_structure"] is None
    assert "unweighted" in report["notes"][0]
    facilities = demo_workspace.layer("facilities")
    assert set(facilities["facility_type"]) <= set(LIFE_CIRCLE_TYPE_IDS)
    assert (facilities["facility_type"] == "kindergarten").sum() >= 1
    values = {r.id: r.value for r in circle.results}
    assert all(v is not None and 0 <= v <= 100 for v in values.values())
    _, bai = county_report(demo_workspace, S)
    fitness = next(r for r in bai if r.id == "fitness_15min_coverage")
    assert values["life_circle_community_sports"] == pytest.approx(fitness.value)
    # a workspace ingested before the life circle (no facilities layer) still works
    old = type(demo_workspace)(
        {k: v for k, v in demo_workspace.layers.items() if k != "facilities"},
        demo_workspace.metadata,
        demo_workspace.population,
        demo_workspace.path,
        demo_workspace.metric_crs,
    )
    _, old_circle = life_circle_report(old, S)
    statuses = {r.id: r.status for r in old_circle.results}
    assert statuses["life_circle_kindergarten"] == "no_data"
    assert statuses["life_circle_community_sports"] == "ok"
