"""The remaining targets of the document (issue 12 item 4), on hand-made inputs worked out by hand.

Parking per 100 cars, sewer network coverage, water supply, sewage treatment and the 11 special
plans; and that ``compute_all`` feeds them from the workspace metadata and layers.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from gis.county_data import PLAN_KEYS
from gis.errors import CrsError
from gis.indicators import INDICATOR_IDS, compute_all
from gis.indicators.county_figures import (
    compute_sewage_treatment_rate,
    compute_special_plans_approved_share,
    compute_water_supply_coverage,
)
from gis.indicators.infrastructure import (
    compute_parking_per_100_cars,
    compute_sewer_network_coverage,
)
from gis.settings import IndicatorSettings

S = IndicatorSettings()
CRS = 4547
SQUARE = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=CRS)  # 1 km²
CARS = {"value": 1500, "source": "县公安局交警大队", "year": 2020}
APPROVED = {"status": "已批复", "approved_on": "2017-12-20", "document": "X政文〔2017〕88号"}


def lots(*capacities: int | None, points: list | None = None) -> gpd.GeoDataFrame:  # type: ignore[type-arg]
    geoms = points or [Point(100 + 200 * i, 500) for i in range(len(capacities))]
    return gpd.GeoDataFrame({"capacity_spaces": list(capacities)}, geometry=geoms, crs=CRS)


# --- parking ------------------------------------------------------------------------------------


def test_parking_three_lots_one_without_capacity() -> None:
    # 50 + 120 spaces (the third lot has no capacity: counted, no spaces) over 1,500 cars
    r = compute_parking_per_100_cars(lots(50, 120, None), SQUARE, CARS, settings=S, provenance={})
    assert r.value == pytest.approx(170 / 1500 * 100) and round(r.value, 2) == 11.33
    assert (r.passed, r.status, r.target, r.target_year, r.unit) == (
        True,
        "ok",
        10.0,
        2020,
        "泊位/百辆",
    )
    d = r.details
    assert (d["car_parks_in_built_up"], d["car_parks_with_capacity"]) == (3, 2)
    assert (d["car_parks_without_capacity"], d["public_spaces"], d["registered_cars"]) == (
        1,
        170,
        1500,
    )
    assert d["value_is_lower_bound"] is True
    assert r.basis == "estimate" and r.provenance["parking_capacity"] == "incomplete"
    assert "下限" in r.basis_note()[0] and "lower bound" in r.basis_note()[1]
    # the gap layer: the lot to survey, as a point
    assert r.layer_name == "gap_parking_no_capacity" and len(r.layer) == 1
    assert r.layer.geometry.iloc[0].equals(Point(500, 500))


def test_parking_counts_only_lots_in_the_built_up_area_and_polygons_by_their_inside() -> None:
    inside_polygon = box(400, 400, 500, 500)
    outside = Point(1500, 500)
    half_out = box(950, 0, 1200, 100)  # its representative point is outside the square
    r = compute_parking_per_100_cars(
        lots(90, 1000, 1000, points=[inside_polygon, outside, half_out]),
        SQUARE,
        {"value": 1000, "source": "s", "year": 2019},
        settings=S,
        provenance={},
    )
    assert r.value == pytest.approx(9.0) and r.passed is False
    assert r.details["car_parks_outside_built_up"] == 2 and r.basis == "measured"
    assert len(r.layer) == 0


def test_parking_without_data_is_never_a_fail() -> None:
    no_cars = compute_parking_per_100_cars(lots(50), SQUARE, None, settings=S, provenance={})
    assert (no_cars.status, no_cars.value, no_cars.passed) == ("no_data", None, None)
    assert "汽车保有量" in no_cars.reason and "registered cars" in no_cars.reason
    for layer in (None, lots()):
        r = compute_parking_per_100_cars(layer, SQUARE, CARS, settings=S, provenance={})
        assert (r.status, r.passed) == ("no_data", None) and "parking" in r.reason
    unknown = compute_parking_per_100_cars(
        lots(None, None), SQUARE, CARS, settings=S, provenance={}
    )
    assert (unknown.status, unknown.passed) == ("not_computable", None)
    assert (
        "capacity_spaces" in unknown.reason and unknown.details["car_parks_without_capacity"] == 2
    )
    empty_bu = gpd.GeoDataFrame(geometry=[], crs=CRS)
    r = compute_parking_per_100_cars(lots(5), empty_bu, CARS, settings=S, provenance={})
    assert r.status == "not_computable"


def test_parking_refuses_degrees() -> None:
    with pytest.raises(CrsError):
        compute_parking_per_100_cars(
            lots(5).to_crs(4490), SQUARE.to_crs(4490), CARS, settings=S, provenance={}
        )


# --- sewers -------------------------------------------------------------------------------------


def pipes(*lines: LineString) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(lines), crs=CRS)


def test_sewer_pipe_along_one_side_covers_a_fifth() -> None:
    # a 200 m band along the west side of a 1 km square: 0.2 km² of 1 km²
    r = compute_sewer_network_coverage(
        pipes(LineString([(0, 0), (0, 1000)])), SQUARE, settings=S, provenance={}
    )
    assert r.value == pytest.approx(20.0) and r.passed is False and r.target == 90.0
    assert r.layer_name == "gap_sewer_uncovered_built_up"
    assert r.layer.area.sum() == pytest.approx(800_000.0)
    assert r.details["covered_area_m2"] == pytest.approx(200_000.0)
    assert r.parameters == {"sewer_service_m": 200.0}


def test_sewer_pipe_through_the_middle_and_the_service_distance() -> None:
    middle = pipes(LineString([(500, -50), (500, 1050)]))
    r = compute_sewer_network_coverage(middle, SQUARE, settings=S, provenance={})
    assert r.value == pytest.approx(40.0)  # 200 m either side
    wider = compute_sewer_network_coverage(
        middle, SQUARE, settings=S.with_overrides(sewer_service_m=450.0), provenance={}
    )
    assert wider.value == pytest.approx(90.0) and wider.passed is True  # exactly the target
    assert wider.details["pipe_length_in_built_up_m"] == pytest.approx(1000.0)


def test_sewer_without_pipes_is_no_data() -> None:
    for layer in (None, pipes()):
        r = compute_sewer_network_coverage(layer, SQUARE, settings=S, provenance={})
        assert (r.status, r.value, r.passed) == ("no_data", None, None)
        assert "sewer_pipes" in r.reason and "污水管网" in r.reason
    with pytest.raises(ValueError, match="sewer_service_m"):
        S.with_overrides(sewer_service_m=0.0)


@settings(max_examples=25, deadline=None)
@given(
    x=st.floats(-500, 1500),
    y=st.floats(-500, 1500),
    dx=st.floats(-1e5, 1e5),
    dy=st.floats(-1e5, 1e5),
)
def test_sewer_coverage_is_a_share_and_moves_with_the_map(
    x: float, y: float, dx: float, dy: float
) -> None:
    line = LineString([(x, y), (x + 300, y + 120)])
    r = compute_sewer_network_coverage(pipes(line), SQUARE, settings=S, provenance={})
    assert r.value is not None and 0.0 <= r.value <= 100.0
    moved = compute_sewer_network_coverage(
        gpd.GeoDataFrame(geometry=pipes(line).translate(dx, dy)),
        gpd.GeoDataFrame(geometry=SQUARE.translate(dx, dy)),
        settings=S,
        provenance={},
    )
    assert moved.value == pytest.approx(r.value, abs=1e-6)


# --- county figures -----------------------------------------------------------------------------


def test_water_supply_and_sewage_treatment_are_graded_at_their_targets() -> None:
    water = compute_water_supply_coverage(
        {"value": 90, "source": "年鉴", "year": 2020}, settings=S, metric_crs=CRS
    )
    assert (water.value, water.passed, water.target, water.unit) == (90.0, True, 90.0, "%")
    assert water.details == {"source": "年鉴", "figure_year": 2020} and len(water.layer) == 0
    assert water.provenance == {"figure": "entered"}
    sewage = compute_sewage_treatment_rate(
        {"value": 87.99, "source": "住建局", "year": 2021}, settings=S, metric_crs=CRS
    )
    assert (sewage.passed, sewage.target) == (False, 88.0)
    none = compute_sewage_treatment_rate(None, settings=S, metric_crs=CRS)
    assert (none.status, none.passed, none.layer.crs.to_epsg()) == ("no_data", None, CRS)


# --- the 11 special plans -----------------------------------------------------------------------


def test_eleven_approved_plans_meet_the_target() -> None:
    r = compute_special_plans_approved_share(
        dict.fromkeys(PLAN_KEYS, APPROVED), settings=S, metric_crs=CRS
    )
    assert (r.value, r.passed, r.target_year) == (100.0, True, 2017)
    assert r.details["plans_approved"] == 11 and len(r.details["plans"]) == 11


def test_a_partial_checklist_counts_the_unreported_as_not_approved() -> None:
    entries = {
        "education": APPROVED,
        "medical": APPROVED,
        "fire_protection": APPROVED,
        "power": {"status": "编制中"},
        "telecom": {"status": "未编制"},
    }
    r = compute_special_plans_approved_share(entries, settings=S, metric_crs=CRS)
    assert r.value == pytest.approx(300 / 11) and r.passed is False
    assert r.details["by_status"] == {"未编制": 1, "编制中": 1, "已批复": 3, "未填报": 6}
    education = next(p for p in r.details["plans"] if p["key"] == "education")
    assert education["document"] == "X政文〔2017〕88号" and education["name_zh"] == "教育"


def test_no_checklist_is_no_data() -> None:
    for entries in (None, {}):
        r = compute_special_plans_approved_share(entries, settings=S, metric_crs=CRS)
        assert (r.status, r.value, r.passed) == ("no_data", None, None)
        assert "专项规划" in r.reason and "special plans" in r.reason


# --- from a workspace ---------------------------------------------------------------------------


def test_compute_all_feeds_the_new_targets_from_the_workspace(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    metric = demo_workspace.to_metric()
    meta = dict(metric.metadata)
    meta["county_data"] = {
        "figures": {
            "registered_cars": CARS,
            "water_supply_pct": {"value": 96.5, "source": "统计年鉴", "year": 2020},
        },
        "special_plans": {"education": APPROVED},
    }
    built_up = metric.layers["built_up"]
    b = built_up.geometry.iloc[0].representative_point()
    layers = dict(metric.layers)
    crs = metric.metric_crs
    layers["parking"] = lots(300, points=[b]).set_crs(crs, allow_override=True)
    line = LineString([(b.x - 10_000, b.y), (b.x + 10_000, b.y)])
    layers["sewer_pipes"] = pipes(line).set_crs(crs, allow_override=True)
    ws = type(metric)(layers, meta, metric.population, metric.path, metric.metric_crs)
    by_id = {r.id: r for r in compute_all(ws, S)}
    assert tuple(by_id) == INDICATOR_IDS and len(INDICATOR_IDS) == 12
    assert by_id["parking_per_100_cars"].value == pytest.approx(20.0)
    assert by_id["water_supply_coverage"].value == 96.5
    assert by_id["sewage_treatment_rate"].status == "no_data"
    assert by_id["special_plans_approved_share"].value == pytest.approx(100 / 11)
    sewer = by_id["sewer_network_coverage"]
    assert sewer.status == "ok" and 0 < sewer.value < 100 and not math.isnan(sewer.value)
    # without anything entered every new target is "no data", none a fail
    plain = {r.id: r for r in compute_all(metric, S)}
    for ident in INDICATOR_IDS[7:]:
        assert plain[ident].status == "no_data" and plain[ident].passed is None, ident
