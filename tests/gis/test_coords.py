"""distinct_points: rows of coordinates numbered as np.unique(axis=0) numbers them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.coords import distinct_points

# whole centimetres as the dead-end search rounds them, small and at projected magnitudes
coordinate = st.one_of(st.integers(-5, 5), st.integers(-(10**12), 10**12)).map(float)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate), max_size=40))
def test_numbers_as_unique_rows(rows: list[tuple[float, float]]) -> None:
    xy = np.array(rows, dtype=np.float64).reshape(-1, 2)
    points, which = distinct_points(xy)
    if len(xy) == 0:
        assert len(points) == 0 and len(which) == 0
        return
    expected, inverse = np.unique(xy, axis=0, return_inverse=True)
    assert which.tolist() == np.asarray(inverse).ravel().tolist()
    assert points.tolist() == expected.tolist()
