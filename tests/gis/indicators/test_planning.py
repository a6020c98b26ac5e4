"""Regulatory plan and urban design coverage on hand-made polygons."""

from __future__ import annotations

import geopandas as gpd
import pytest
from handmade import layer, square, translated
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.indicators.planning import compute_regulatory_plan_coverage, compute_urban_design_coverage
from gis.settings import IndicatorSettings

S = IndicatorSettings()
BUILT = square(0, 0, 1000, 1000)


def test_draft_units_do_not_count() -> None:
    plans = layer(
        [box(0, 0, 400, 1000), box(400, 0, 1000, 1000)],
        plan_id=["A-01", "A-02"],
        status=["approved", "draft"],
        sample=[False, False],
    )
    result = compute_regulatory_plan_coverage(
        plans, BUILT, settings=S, provenance={"plans": "uploaded"}
    )
    assert result.value == pytest.approx(40.0)
    assert result.passed is False and result.target == 100.0
    assert result.details["units_counted"] == 1
    assert result.details["units_not_counted_by_status"] == {"draft": 1}
    assert result.layer_name == "gap_plan_uncovered_built_up"
    assert result.layer["area_m2"].sum() == pytest.approx(600_000.0)
    assert result.provenance == {"plans": "uploaded"}


def test_overlapping_approved_units_dissolve_and_status_is_case_insensitive() -> None:
    plans = layer(
        [box(-500, 0, 600, 1000), box(500, 0, 1000, 1000), box(0, 0, 1000, 1000)],
        status=[" Approved ", "已批复", "in review"],
    )
    result = compute_regulatory_plan_coverage(plans, BUILT, settings=S, provenance={})
    assert result.value == pytest.approx(100.0) and result.passed is True
    assert len(result.layer) == 0


def test_no_plans_layer_is_no_data_not_zero_or_hundred() -> None:
    for plans in (None, layer([], status=[])):
        result = compute_regulatory_plan_coverage(plans, BUILT, settings=S, provenance={})
        assert result.status == "no_data" and result.value is None and result.passed is None
        assert "no plans layer" in result.reason
        assert result.to_dict()["value"] is None


def test_sample_layers_are_named_in_the_provenance() -> None:
    plans = layer([box(0, 0, 1000, 500)], status=["approved"], sample=[True])
    result = compute_regulatory_plan_coverage(plans, BUILT, settings=S, provenance={"plans": "osm"})
    assert result.value == pytest.approx(50.0)
    assert result.provenance["plans"] == "sample" and result.details["sample_data"] is True


def test_urban_design_coverage_of_key_areas() -> None:
    key = layer([box(0, 0, 100, 100), box(500, 500, 600, 700)], name=["入口", "滨水"])
    designs = layer([box(0, 0, 100, 100), box(500, 500, 600, 600)], status=["completed", "draft"])
    result = compute_urban_design_coverage(designs, key, settings=S, provenance={})
    assert result.value == pytest.approx(100.0 * 10_000 / 30_000)
    assert result.layer_name == "gap_design_uncovered_key_areas"
    assert result.layer["area_m2"].sum() == pytest.approx(20_000.0)
    assert (
        compute_urban_design_coverage(designs, None, settings=S, provenance={}).status == "no_data"
    )
    assert compute_urban_design_coverage(None, key, settings=S, provenance={}).status == "no_data"


def test_empty_built_up_is_not_computable() -> None:
    plans = layer([box(0, 0, 10, 10)], status=["approved"])
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=BUILT.crs), crs=BUILT.crs)
    result = compute_regulatory_plan_coverage(plans, empty, settings=S, provenance={})
    assert result.status == "not_computable"


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-300, 1000),
            st.floats(-300, 1000),
            st.floats(10, 800),
            st.sampled_from(["approved", "draft"]),
        ),
        min_size=1,
        max_size=5,
    ),
    st.floats(-1e5, 1e5),
    st.floats(-1e5, 1e5),
)
def test_coverage_share_and_translation(units, dx: float, dy: float) -> None:
    plans = layer([box(x, y, x + w, y + w) for x, y, w, _ in units], status=[u[3] for u in units])
    value = compute_regulatory_plan_coverage(plans, BUILT, settings=S, provenance={}).value
    assert 0 <= value <= 100 + 1e-9
    moved = compute_regulatory_plan_coverage(
        translated(plans, dx, dy), translated(BUILT, dx, dy), settings=S, provenance={}
    ).value
    assert moved == pytest.approx(value, abs=1e-6)


def test_neither_key_areas_nor_designs_is_no_data_in_the_given_metric_crs() -> None:
    """A county's first day: no key areas and no urban designs is no_data, not an exception."""
    result = compute_urban_design_coverage(
        None, None, settings=S, provenance={}, metric_crs="EPSG:4547"
    )
    assert result.status == "no_data" and result.value is None and result.passed is None
    assert "key_areas" in result.reason and "无" in result.reason
    assert result.layer.crs.to_epsg() == 4547 and len(result.layer) == 0
    plans = compute_regulatory_plan_coverage(
        None, BUILT, settings=S, provenance={}, metric_crs="EPSG:4547"
    )
    assert plans.status == "no_data"
