"""Road density: hand-made squares with answers known by hand, and properties."""

from __future__ import annotations

import geopandas as gpd
import pytest
from handmade import roads, square, translated
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.errors import CrsError
from gis.indicators.road_density import compute_road_density
from gis.settings import IndicatorSettings

S = IndicatorSettings()
BUILT = square(0, 0, 1000, 1000)


def grid_rows(dual: bool = False, name_b: str = "main") -> list:
    """4 horizontal + 4 vertical two-way roads of 1 km = 8 km in the 1 km square."""
    rows = []
    for y in (125, 375, 625, 875):
        rows.append(([(0, y), (1000, y)], "branch", False, f"h{y}"))
    for x in (125, 375, 625, 875):
        rows.append(([(x, 0), (x, 1000)], "arterial", False, f"v{x}"))
    if dual:  # replace h625 by two opposite one-way carriageways 20 m apart
        rows = [r for r in rows if r[3] != "h625"]
        rows.append(([(0, 615), (1000, 615)], "branch", True, "main"))
        rows.append(([(1000, 635), (0, 635)], "branch", True, name_b))
    return rows


def density(rows, built=BUILT, s=S) -> float:
    return compute_road_density(roads(rows), built, settings=s, provenance={}).value


def test_eight_km_in_one_square_km_is_eight() -> None:
    result = compute_road_density(
        roads(grid_rows()), BUILT, settings=S, provenance={"roads": "osm"}
    )
    assert result.value == pytest.approx(8.0)
    assert result.unit == "km/km²" and result.target == 8.0 and result.passed is True
    assert result.details["by_class"]["branch"]["length_km"] == pytest.approx(4.0)
    assert result.details["by_class"]["arterial"]["length_km"] == pytest.approx(4.0)
    assert result.provenance == {"roads": "osm"}


def test_dual_carriageway_counts_once() -> None:
    assert density(grid_rows(dual=True)) == pytest.approx(8.0)


def test_two_different_one_way_roads_count_twice() -> None:
    assert density(grid_rows(dual=True, name_b="other street")) == pytest.approx(9.0)


def test_same_direction_one_way_pair_is_not_a_dual_carriageway() -> None:
    rows = grid_rows()
    rows += [
        ([(0, 500), (1000, 500)], "branch", True, "x"),
        ([(0, 520), (1000, 520)], "branch", True, "x"),
    ]
    assert density(rows) == pytest.approx(10.0)


def test_unnamed_dual_carriageway_pairs_by_class() -> None:
    base = grid_rows()
    same = base + [
        ([(0, 500), (1000, 500)], "branch", True, ""),
        ([(1000, 520), (0, 520)], "branch", True, ""),
    ]
    other = base + [
        ([(0, 500), (1000, 500)], "branch", True, ""),
        ([(1000, 520), (0, 520)], "arterial", True, ""),
    ]
    assert density(same) == pytest.approx(9.0)
    assert density(other) == pytest.approx(10.0)


def test_partial_dual_carriageway_halves_only_the_paired_part() -> None:
    # 1 km eastbound; westbound partner only over x in [0, 400]: 0.6 + 0.5 * (0.4 + 0.4) = 1.0 km
    rows = [
        ([(0, 500), (1000, 500)], "branch", True, "m"),
        ([(400, 520), (0, 520)], "branch", True, "m"),
    ]
    assert density(rows) == pytest.approx(1.0)


def test_reversed_duplicate_counts_once_and_other_classes_are_left_out() -> None:
    rows = grid_rows() + [
        ([(1000, 125), (0, 125)], "branch", False, "h125"),  # the same way drawn backwards
        ([(0, 10), (1000, 10)], "other", False, "service road"),
    ]
    assert density(rows) == pytest.approx(8.0)


def test_clipped_to_the_built_up_area_and_target_by_year() -> None:
    rows = [([(-1000, 500), (2000, 500)], "branch", False, "long")]  # 3 km, 1 km inside
    r2018 = compute_road_density(
        roads(rows), BUILT, settings=IndicatorSettings(year=2018), provenance={}
    )
    assert r2018.value == pytest.approx(1.0)
    assert (r2018.target, r2018.target_year, r2018.passed) == (7.0, 2018, False)


def test_dead_end_inside_is_a_gap_but_not_at_the_edge() -> None:
    rows = grid_rows() + [
        ([(125, 500), (300, 500)], "branch", False, "stub lane"),  # ends at (300, 500): dead end
        ([(875, 950), (950, 950)], "branch", False, "edge stub"),  # ends 50 m from the edge
        ([(375, 300), (500, 300)], "other", False, "driveway"),  # service: not an urban road
    ]
    result = compute_road_density(roads(rows), BUILT, settings=S, provenance={})
    gap = result.layer
    assert result.layer_name == "gap_road_dead_ends"
    assert list(gap["name"]) == ["stub lane"]
    assert gap["osm_id"].iloc[0] == 9 and gap["dead_ends"].iloc[0] == 1
    assert gap["length_m"].iloc[0] == pytest.approx(175.0)
    assert result.details["dead_end_count"] == 1


def test_road_ending_on_a_vertex_inside_another_way_is_connected() -> None:
    rows = [
        ([(0, 500), (500, 500), (1000, 500)], "branch", False, "a"),
        ([(500, 500), (500, 800)], "branch", False, "b"),
        ([(500, 800), (500, 1000)], "branch", False, "c"),
    ]
    result = compute_road_density(roads(rows), BUILT, settings=S, provenance={})
    assert len(result.layer) == 0


def test_largest_blocks_are_reported() -> None:
    rows = [
        ([(0, 500), (1000, 500)], "branch", False, "a"),
        ([(300, 500), (300, 1000)], "branch", False, "b"),
    ]
    blocks = compute_road_density(roads(rows), BUILT, settings=S, provenance={}).details[
        "sparsest_blocks"
    ]
    assert [b["area_m2"] for b in blocks] == pytest.approx([500_000, 350_000, 150_000])
    assert 113 < blocks[0]["lon"] < 115


def test_empty_built_up_is_not_computable_and_degrees_are_refused() -> None:
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=BUILT.crs), crs=BUILT.crs)
    result = compute_road_density(roads(grid_rows()), empty, settings=S, provenance={})
    assert (
        result.value is None and result.status == "not_computable" and "built-up" in result.reason
    )
    with pytest.raises(CrsError, match="roads"):
        compute_road_density(
            roads(grid_rows()).to_crs(4326), BUILT.to_crs(4326), settings=S, provenance={}
        )


coord = st.floats(-200, 1200, allow_nan=False)
two_way_road = st.tuples(
    st.lists(st.tuples(coord, coord), min_size=2, max_size=4),
    st.sampled_from(["branch", "arterial", "other"]),
    st.just(False),
    st.text(max_size=2),
)
one_way_road = st.tuples(
    st.lists(st.tuples(coord, coord), min_size=2, max_size=4),
    st.sampled_from(["branch", "arterial"]),
    st.just(True),
    st.sampled_from(["", "m"]),
)
any_road = st.one_of(two_way_road, one_way_road)


def _valid(rows) -> list:
    return [r for r in rows if len(set(r[0])) > 1]


@settings(max_examples=40, deadline=None)
@given(st.lists(any_road, min_size=1, max_size=6), st.floats(-1e4, 1e4), st.floats(-1e4, 1e4))
def test_translation_leaves_density_unchanged(rows, dx: float, dy: float) -> None:
    rows = _valid(rows)
    if not rows:
        return
    moved = compute_road_density(
        translated(roads(rows), dx, dy), translated(BUILT, dx, dy), settings=S, provenance={}
    )
    assert moved.value == pytest.approx(density(rows), abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(any_road, max_size=5),
    st.one_of(two_way_road, one_way_road.map(lambda r: (r[0], r[1], True, "a new street"))),
)
def test_adding_a_road_never_lowers_density(rows, extra) -> None:
    """A two-way road, or a one-way road of a new name (it cannot pair), never lowers density."""
    rows = _valid(rows)
    if not _valid([extra]):
        return
    before = density(rows) if rows else 0.0
    assert density([*rows, extra]) >= before - 1e-9


def test_the_second_carriageway_keeps_one_centre_line() -> None:
    one = [([(0, 500), (1000, 500)], "branch", True, "m")]
    two = [*one, ([(1000, 520), (0, 520)], "branch", True, "m")]
    assert density(one) == pytest.approx(1.0)
    assert density(two) == pytest.approx(1.0)
