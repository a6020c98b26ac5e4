"""union_polygons: the union overlaid only where polygons meet, the same point set as union_all."""

from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.indicators._common import _meeting_pairs, union_polygons

boxes = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 12), st.integers(1, 12)),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(boxes, st.booleans())
def test_the_same_point_set_as_union_all(rects: list[tuple[int, int, int, int]], rot: bool) -> None:
    polys = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    if rot:  # slanted edges: meeting along a line and at single points alike
        polys = [shapely.affinity.rotate(p, 30, origin=(0, 0)) for p in polys]
    got, want = union_polygons(polys), shapely.union_all(polys)
    assert got.is_valid
    assert abs(got.area - want.area) <= 1e-9 * max(1.0, want.area)
    assert got.symmetric_difference(want).area <= 1e-9 * max(1.0, want.area)
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
def test_meeting_pairs_are_the_strtree_intersects_pairs(
    rects: list[tuple[int, int, int, int]], rot: bool
) -> None:
    polys = [box(x, y, x + w, y + h).segmentize(0.5 + (x % 3)) for x, y, w, h in rects]
    if rot:
        polys = [shapely.affinity.rotate(p, 30, origin=(0, 0)) for p in polys]
    parts = np.asarray(polys, dtype=object)
    left, right = shapely.STRtree(parts).query(parts, predicate="intersects")
    want = {(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True) if a < b}
    got_left, got_right = _meeting_pairs(np.asarray(polys, dtype=object))
    assert set(zip(got_left.tolist(), got_right.tolist(), strict=True)) == want
