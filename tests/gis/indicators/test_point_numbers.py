"""point_numbers: rows of integer coordinates numbered as np.unique(axis=0) numbers them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.indicators._common import point_numbers

coordinate = st.one_of(st.integers(-5, 5), st.integers(-(2**62), 2**62))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate), max_size=40))
def test_numbers_as_unique_rows(rows: list[tuple[int, int]]) -> None:
    keys = np.array(rows, dtype=np.int64).reshape(-1, 2)
    expected = np.unique(keys, axis=0, return_inverse=True)[1].ravel() if len(keys) else []
    assert point_numbers(keys).tolist() == list(expected)
