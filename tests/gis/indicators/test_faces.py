"""``_faces.faces``: the faces of a noded network, the same polygons as GEOS's polygonizer.

Random networks on a small integer grid make every awkward case often: crossings, T
junctions, shared stretches, dangles, bridges, islands in faces and islands in islands,
loops touching a face's edge at one vertex (pinched faces), closed rings.
"""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from gis.indicators._faces import faces

point = st.tuples(st.integers(0, 8), st.integers(0, 8))
polyline = st.lists(point, min_size=2, max_size=5)


def _same_as_polygonize(lines: list[LineString]) -> None:
    noded = np.asarray(shapely.get_parts(shapely.union_all(lines)), dtype=object)
    want = shapely.get_parts(shapely.polygonize(noded))
    got = faces(noded)
    want, got = want[shapely.area(want) > 0], got[shapely.area(got) > 0]
    assert shapely.is_valid(got).all()
    key = lambda g: sorted(shapely.to_wkb(shapely.normalize(g)).tolist())  # noqa: E731
    assert key(got) == key(want)


@settings(max_examples=300, deadline=None)
@given(st.lists(polyline, min_size=1, max_size=12))
@example([[(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)], [(0, 0), (2, 1), (1, 2), (0, 0)]])
@example([[(0, 0), (6, 0), (6, 6), (0, 6), (0, 0)], [(2, 2), (4, 2), (4, 4), (2, 2)]])
def test_the_same_polygons_as_polygonize(rows: list[list[tuple[int, int]]]) -> None:
    lines = [LineString(r) for r in rows if len(set(r)) > 1]
    if lines:
        _same_as_polygonize(lines)


def test_islands_in_islands_bridges_and_pinches() -> None:
    """A block holding an island (holding an island), a loop on a bridge, a pinched face."""
    lines = [
        box(0, 0, 100, 100).boundary,
        box(10, 10, 60, 60).boundary,  # island
        box(20, 20, 30, 30).boundary,  # island in the island's face
        LineString([(100, 50), (130, 50)]),  # bridge to a loop
        box(130, 40, 150, 60).boundary,
        LineString([(100, 80), (90, 85), (90, 75), (100, 80)]),  # loop inside, on the edge
        LineString([(0, 100), (-20, 120), (-40, 100), (0, 100)]),  # loop outside a corner
        LineString([(70, 70), (80, 80)]),  # dangle in the block
    ]
    _same_as_polygonize(lines)
    noded = shapely.get_parts(shapely.union_all(lines))
    areas = sorted(round(a, 6) for a in shapely.area(faces(noded)))
    assert areas == sorted([10000 - 2500 - 50, 2500 - 100, 100, 400, 50, 400.0])


def test_nothing_to_enclose() -> None:
    assert len(faces(np.array([LineString([(0, 0), (1, 1)]), shapely.Point(0, 0)]))) == 0
    assert len(faces(np.zeros(0, dtype=object))) == 0
