"""Park indicators on hand-made polygons with answers known by hand."""

from __future__ import annotations

import pytest
from handmade import layer, square, translated
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.errors import CrsError
from gis.indicators.parks import (
    compute_green_space_ratio,
    compute_park_green_per_capita,
    compute_park_service_coverage,
)
from gis.settings import IndicatorSettings

S = IndicatorSettings()
BUILT = square(0, 0, 1000, 1000)


def test_two_overlapping_6000_m2_parks_for_1000_people() -> None:
    # 100 x 60 each, overlapping by 50 x 60: union = 150 x 60 = 9,000 m2
    parks = layer([box(0, 0, 100, 60), box(50, 0, 150, 60)], access=[None, "yes"])
    result = compute_park_green_per_capita(
        parks,
        BUILT,
        1000.0,
        settings=S,
        provenance={"parks": "osm"},
        population_source="urban_population (城区人口)",
        population_is_estimate=True,
    )
    assert result.value == pytest.approx(9.0)
    assert (result.unit, result.target, result.passed) == ("m²/person", 8.5, True)
    assert result.details["park_area_m2"] == pytest.approx(9000.0)
    assert result.parameters["population_is_estimate"] is True
    assert list(result.layer["area_m2"]) == pytest.approx([9000.0])


def test_only_public_parks_inside_the_built_up_area_count() -> None:
    parks = layer(
        [box(-50, 0, 50, 100), box(200, 200, 300, 300), box(400, 400, 500, 500)],
        access=["yes", "private", None],
    )  # 5,000 inside + private (left out) + 10,000
    result = compute_park_green_per_capita(parks, BUILT, 3000.0, settings=S, provenance={})
    assert result.value == pytest.approx(5.0)
    assert result.passed is False


def test_no_population_is_not_computable() -> None:
    parks = layer([box(0, 0, 100, 100)])
    for pop in (None, 0.0):
        result = compute_park_green_per_capita(parks, BUILT, pop, settings=S, provenance={})
        assert result.status == "not_computable" and result.value is None
        assert "population" in result.reason


def test_green_space_ratio_dissolves_green_and_parks() -> None:
    green = layer([box(0, 0, 200, 1000), box(100, 0, 300, 1000)], kind=["grass", "forest"])
    parks = layer([box(250, 0, 350, 1000)])
    result = compute_green_space_ratio(green, BUILT, parks, settings=S, provenance={})
    assert result.value == pytest.approx(35.0)  # x from 0 to 350 over the full height
    assert result.passed is True and result.target == 33.0
    outside = compute_green_space_ratio(
        layer([box(-500, 0, 100, 1000)]), BUILT, settings=S, provenance={}
    )
    assert outside.value == pytest.approx(10.0)


def test_park_service_radius_big_and_small_parks() -> None:
    built = square(-2000, -500, 3000, 500)
    homes = layer([box(0, 0, 2000, 100)])  # 2 km x 100 m = 200,000 m2
    big = layer([box(-100, 0, 0, 100)])  # 10,000 m2: serves x <= 500
    assert compute_park_service_coverage(big, homes, built, settings=S, provenance={}).value == (
        pytest.approx(25.0)
    )
    small = layer([box(-20, 0, 0, 100)])  # 2,000 m2: serves x <= 300
    r = compute_park_service_coverage(small, homes, built, settings=S, provenance={})
    assert r.value == pytest.approx(15.0)
    assert r.layer_name == "gap_park_unserved_residential"
    assert r.layer["area_m2"].sum() == pytest.approx(170_000.0)
    tiny = layer([box(-9, 0, 0, 100)])  # 900 m2: below 1,000 m2, serves nobody
    assert compute_park_service_coverage(tiny, homes, built, settings=S, provenance={}).value == 0


def test_touching_small_parks_dissolve_into_a_big_one() -> None:
    built = square(-2000, -500, 3000, 500)
    homes = layer([box(0, 0, 2000, 100)])
    halves = layer([box(-60, 0, -30, 100), box(-30, 0, 0, 100)])  # 3,000 m2 each, 6,000 together
    result = compute_park_service_coverage(halves, homes, built, settings=S, provenance={})
    assert result.value == pytest.approx(25.0)
    assert result.details["big_parks"] == 1 and result.details["small_parks"] == 0


def test_no_residential_land_is_not_computable_and_degrees_refused() -> None:
    parks = layer([box(0, 0, 100, 100)])
    result = compute_park_service_coverage(parks, None, BUILT, settings=S, provenance={})
    assert result.status == "not_computable"
    with pytest.raises(CrsError):
        compute_green_space_ratio(parks.to_crs(4326), BUILT.to_crs(4326), settings=S, provenance={})


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-200, 1000), st.floats(-200, 1000), st.floats(5, 400)),
        min_size=1,
        max_size=5,
    ),
    st.floats(-1e5, 1e5),
    st.floats(-1e5, 1e5),
)
def test_translation_and_share_bounds(squares, dx: float, dy: float) -> None:
    parks = layer([box(x, y, x + w, y + w) for x, y, w in squares])
    homes = layer([box(0, 0, 600, 600)])
    args = {"settings": S, "provenance": {}}
    ratio = compute_green_space_ratio(parks, BUILT, **args).value
    served = compute_park_service_coverage(parks, homes, BUILT, **args).value
    assert 0 <= ratio <= 100 + 1e-9 and 0 <= served <= 100 + 1e-9
    moved = [translated(g, dx, dy) for g in (parks, homes, BUILT)]
    assert compute_green_space_ratio(moved[0], moved[2], **args).value == pytest.approx(
        ratio, abs=1e-6
    )
    assert compute_park_service_coverage(*moved, **args).value == pytest.approx(served, abs=1e-6)
