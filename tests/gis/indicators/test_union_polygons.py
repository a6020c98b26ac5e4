"""union_polygons: the union overlaid only where polygons meet, the same point set as union_all."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.indicators import _common
from gis.indicators._common import (
    TOUCH_M,
    _meeting_pairs,
    group_union,
    group_unions,
    union_polygons,
)

boxes = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 12), st.integers(1, 12)),
    max_size=25,
)


# Found by hypothesis: GEOS 3.14.1's union_all of these six slanted boxes drops the 90 m² one
# (area 87 for a union of 177); the reference is therefore the union of the boxes before
# they are turned (integer corners, axis-parallel edges), turned.
GEOS_DROPS_A_BOX = [(0, 0, 1, 1), (0, 0, 1, 1), (0, 35, 1, 12), (7, 38, 12, 6), (9, 28, 9, 10)]


@settings(max_examples=80, deadline=None)
@given(boxes, st.booleans())
@example([*GEOS_DROPS_A_BOX, (19, 29, 1, 2)], True)
def test_the_same_point_set_as_union_all(rects: list[tuple[int, int, int, int]], rot: bool) -> None:
    straight = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    polys, want = straight, shapely.union_all(straight)
    if rot:  # slanted edges: meeting along a line and at single points alike
        polys = [shapely.affinity.rotate(p, 30, origin=(0, 0)) for p in straight]
        want = shapely.affinity.rotate(want, 30, origin=(0, 0))
    got = union_polygons(polys)
    assert got.is_valid
    assert abs(got.area - want.area) <= 1e-9 * max(1.0, want.area)
    assert got.symmetric_difference(want).area <= 1e-9 * max(1.0, want.area)
    if rot and not want.is_empty:  # corners meeting at a point may overlap or part, turned
        assert got.geom_type in {"Polygon", "MultiPolygon"}
    else:
        assert got.geom_type in ({"Polygon"} if want.geom_type == "Polygon" else {want.geom_type})


def test_touching_and_nested_polygons_merge_and_disjoint_ones_stay() -> None:
    got = union_polygons(
        [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0.2, 0.2, 0.4, 0.4), box(5, 5, 6, 6)]
    )
    assert got.geom_type == "MultiPolygon" and len(got.geoms) == 2
    assert sorted(p.area for p in got.geoms) == [1.0, 2.0]
    assert union_polygons([shapely.MultiPolygon([box(0, 0, 1, 1), box(3, 0, 4, 1)])]).area == 2.0


@settings(max_examples=60, deadline=None)
@given(boxes, st.booleans())
def test_meeting_pairs_are_the_pairs_within_a_micrometre(
    rects: list[tuple[int, int, int, int]], rot: bool
) -> None:
    polys = [box(x, y, x + w, y + h).segmentize(0.5 + (x % 3)) for x, y, w, h in rects]
    if rot:
        polys = [shapely.affinity.rotate(p, 30, origin=(0, 0)) for p in polys]
    want = {
        (i, j)
        for i in range(len(polys))
        for j in range(i + 1, len(polys))
        if shapely.distance(polys[i], polys[j]) <= TOUCH_M
    }
    got_left, got_right = _meeting_pairs(np.asarray(polys, dtype=object))
    assert set(zip(got_left.tolist(), got_right.tolist(), strict=True)) == want


# Found by hypothesis (another engineer's run): GEOS's union_all of these 16 turned boxes
# gives 499 m² for a union of 508.
SIXTEEN = [(1, 5, 8, 12), (18, 18, 8, 8), (40, 40, 4, 11), (31, 30, 2, 12), (40, 7, 4, 8),
           (28, 27, 8, 2), (20, 34, 6, 2), (26, 11, 2, 4), (7, 24, 9, 1), (4, 37, 9, 5),
           (7, 25, 12, 3), (3, 27, 4, 3), (5, 26, 9, 8), (33, 8, 3, 9), (3, 11, 4, 11),
           (1, 18, 1, 12)]  # fmt: skip


@pytest.mark.parametrize("rects", [[*GEOS_DROPS_A_BOX, (19, 29, 1, 2)], SIXTEEN])
def test_a_group_geos_unions_wrongly_is_unioned_again(rects) -> None:
    straight = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    want = shapely.union_all(straight).area
    turned = np.asarray([shapely.affinity.rotate(p, 30, origin=(0, 0)) for p in straight])
    assert group_union(turned).area == pytest.approx(want, rel=1e-12)
    assert union_polygons(turned).area == pytest.approx(want, rel=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.lists(boxes, min_size=1, max_size=6), st.booleans(), st.integers(1, 16))
@example([[*GEOS_DROPS_A_BOX, (19, 29, 1, 2)], [(0, 0, 2, 2), (1, 1, 2, 2)]], True, 16)
def test_groups_unioned_in_a_table_are_each_group_unioned(
    rects: list[list[tuple[int, int, int, int]]], rot: bool, widest: int
) -> None:
    """The very geometries :func:`group_union` makes, whatever groups go into the table.

    The example's first group is one GEOS's union drops a box of: its check fails in the
    table and it is made again as ``group_union`` makes it then.
    """
    from unittest import mock

    polys = [box(x, y, x + w, y + h) for group in rects for x, y, w, h in group]
    if rot:
        polys = [shapely.affinity.rotate(p, 30, origin=(0, 0)) for p in polys]
    parts = np.array(polys, dtype=object)
    sizes = [len(group) for group in rects]
    groups = [g for g in np.split(np.arange(len(parts)), np.cumsum(sizes)[:-1]) if len(g)]
    with mock.patch.object(_common, "TABLE_GROUP_MAX", widest):
        got = group_unions(parts, groups)
    want = [group_union(parts[g]) for g in groups]
    assert len(got) == len(want)
    assert all(shapely.equals_exact(a, b, tolerance=0.0) for a, b in zip(got, want, strict=True))
