"""Tests against an area cut in pieces (pieces_of): the same answers as the whole area."""

from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.indicators._common import (
    clip_polygons,
    intersection_of,
    meets_interior,
    pieces_of,
    split_polygons,
    union_polygons,
)

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


def _dissolved(r: list[tuple[int, int, int, int]], rot: bool) -> shapely.Geometry:
    polys = [box(x, y, x + w + 1, y + h + 1) for x, y, w, h in r]
    if rot:  # slanted edges crossing the area's edges and the cut lines anywhere
        polys = [shapely.affinity.rotate(p, 17, origin=(50, 50)) for p in polys]
    return union_polygons(polys)


def _same_set(got: shapely.Geometry, want: shapely.Geometry) -> None:
    polys = shapely.get_parts(want)
    polys = polys[
        (shapely.get_type_id(polys) == shapely.GeometryType.POLYGON) & (shapely.area(polys) > 0)
    ]
    assert got.is_valid
    assert abs(got.area - want.area) <= 1e-9 * max(1.0, want.area)
    assert got.symmetric_difference(want).area <= 1e-9 * max(1.0, want.area)
    assert len(polys) == (0 if got.is_empty else len(shapely.get_parts(got)))


@settings(max_examples=60, deadline=None)
@given(rects, st.booleans())
def test_split_polygons_is_intersection_and_difference(
    r: list[tuple[int, int, int, int]], rot: bool
) -> None:
    geom = _dissolved(r, rot)
    inside, outside = split_polygons(geom, AREA)
    _same_set(inside, shapely.intersection(geom, AREA))
    _same_set(outside, shapely.difference(geom, AREA))
    _same_set(clip_polygons(geom, AREA), shapely.intersection(geom, AREA))


def test_split_polygons_of_hand_made_parts() -> None:
    geom = shapely.MultiPolygon(
        [
            box(1, 1, 2, 2),  # inside: kept as it is
            box(25, 25, 30, 30),  # in the hole: outside
            box(45, 45, 55, 55),  # across the quadrant cut lines, inside
            box(55, 90, 65, 110),  # across the area's edge and a cut line
            box(200, 200, 201, 201),  # far away
        ]
    )
    inside, outside = split_polygons(geom, AREA)
    assert sorted(round(p.area, 9) for p in inside.geoms) == [1.0, 100.0, 100.0]
    assert sorted(round(p.area, 9) for p in outside.geoms) == [1.0, 25.0, 100.0]
    assert any(p.equals(box(1, 1, 2, 2)) for p in inside.geoms)
    assert clip_polygons(shapely.Polygon(), AREA).is_empty
    assert split_polygons(geom, shapely.Polygon())[1].area == geom.area


def test_intersection_of_polygons_is_clipped_in_pieces() -> None:
    geom = shapely.MultiPolygon([box(55, 90, 65, 110), box(25, 25, 30, 30)])
    got = intersection_of(geom, AREA)
    assert got.geom_type == "MultiPolygon"
    assert got.symmetric_difference(geom.intersection(AREA)).area < 1e-9


def test_pieces_are_valid_where_the_rectangle_clip_is_not() -> None:
    """A hole touching the shell at the corner of a quadrant: GEOS's rectangle clip of that
    quadrant is not valid (a self-touching ring), so that piece is cut as an overlay."""
    from gis.indicators._common import area_pieces

    area = shapely.union_all(
        [
            shapely.from_wkt(
                "POLYGON ((16 15, 16 1, 6 1, 6 5, 1 5, 1 13, 6 13, 6 15, 16 15),"
                " (10 5, 10 9, 6 9, 6 5, 10 5))"
            ),
            box(16, 14, 17, 15),
        ]
    ).segmentize(0.05)
    assert not shapely.clip_by_rect(area, 1.0, 1.0, 9.0, 8.0).is_valid  # the first quadrant
    pieces = area_pieces(area, max_vertices=200)
    assert len(pieces) > 4 and shapely.is_valid(pieces).all()
    assert abs(shapely.area(pieces).sum() - area.area) <= 1e-9 * area.area
    assert shapely.union_all(pieces).symmetric_difference(area).area <= 1e-9 * area.area


def test_pieces_of_an_area_thinner_than_rounding() -> None:
    """Quadrants of no width (the middle rounds onto an edge) are left out, not clipped."""
    from gis.indicators._common import area_pieces

    x = 3_500_000.0
    sliver = shapely.Polygon([(x, 0), (np.nextafter(x, np.inf), 0), (x, 1000)]).segmentize(0.5)
    pieces = area_pieces(sliver, max_vertices=100)
    assert abs(shapely.area(pieces).sum() - sliver.area) <= 1e-6 * max(sliver.area, 1e-12)
