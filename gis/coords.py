"""Coordinates numbered with arrays, shared by the network builder and the indicators.

Below every other module of the package: it imports only numpy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def distinct_points(xy: FloatArray) -> tuple[FloatArray, IntArray]:
    """The distinct points of ``xy`` (n, 2), in (x, then y) order, and which each row is.

    Points are matched by exact coordinates, each row read as one complex number
    (``np.unique(..., axis=0)`` sorts rows as records: 2.4 s against 0.3 s for 1.2 million
    rows).

    >>> pts, which = distinct_points(np.array([[5.0, -1.0], [0.0, 7.0], [5.0, -1.0], [0.0, 2.0]]))
    >>> pts.tolist(), which.tolist()
    ([[0.0, 2.0], [0.0, 7.0], [5.0, -1.0]], [2, 1, 2, 0])
    """
    rows = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
    values, which = np.unique(rows.view(np.complex128).ravel(), return_inverse=True)
    points: FloatArray = np.ascontiguousarray(values).view(np.float64).reshape(-1, 2)
    return points, np.asarray(which, dtype=np.int64).ravel()
