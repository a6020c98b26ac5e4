"""Tests against an area cut in pieces (pieces_of): the same answers as the whole area."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.indicators._common import meets_interior, pieces_of

# grid-aligned edges (boxes touch them exactly) and enough vertices to be cut in pieces
AREA = (
    shapely.union_all([box(0, 0, 60, 100), box(60, 40, 100, 100), box(70, 0, 90, 20)])
    .difference(box(20, 20, 40, 40))
    .segmentize(0.05)
)

rects = st.lists(
    st.tuples(st.integers(-5, 105), st.integers(-5, 105), st.integers(0, 30), st.integers(0, 30)),
    min_size=1,
    max_size=40,
)


def test_the_area_is_cut_in_pieces() -> None:
    assert len(pieces_of(AREA)) > 4


@settings(max_examples=60, deadline=None)
@given(rects)
def test_meets_interior_is_intersects_and_not_touches(r: list[tuple[int, int, int, int]]) -> None:
    boxes = np.array([box(x, y, x + w, y + h) for x, y, w, h in r], dtype=object)
    boxes = boxes[shapely.area(boxes) > 0]
    want = shapely.intersects(AREA, boxes) & ~shapely.touches(AREA, boxes)
    assert (meets_interior(AREA, boxes) == want).all()


def test_meets_interior_of_hand_made_boxes() -> None:
    boxes = np.array(
        [
            box(1, 1, 2, 2),  # inside
            box(20, 20, 40, 40),  # the hole: touches only
            box(25, 25, 30, 30),  # in the hole
            box(45, 45, 55, 55),  # across the quadrant cut lines, inside
            box(60, 0, 70, 40),  # the notch between the parts: touches only
            box(59, 0, 61, 1),  # across an edge
        ],
        dtype=object,
    )
    assert meets_interior(AREA, boxes).tolist() == [True, False, False, True, False, True]
    assert meets_interior(shapely.Polygon(), boxes).tolist() == [False] * 6
