"""``road_density.within_inner``: the dead-end test's inner area without one whole buffer.

Compared with ``contains(area.buffer(-edge_m), points)`` on hand-made concave areas with holes,
for points everywhere, many of them within a metre of the inner edge (the band tested locally).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from gis.indicators.road_density import within_inner


def _area() -> shapely.Geometry:
    comb = box(0, 0, 3000, 600).union(
        shapely.union_all([box(x, 600, x + 250, 2500) for x in range(0, 3000, 500)])
    )
    star = Polygon(
        [
            (4000 + 900 * np.cos(a) * (1 + (i % 2)), 900 * np.sin(a) * (1 + (i % 2)))
            for i, a in enumerate(np.linspace(0, 2 * np.pi, 24, endpoint=False))
        ]
    )
    return comb.difference(box(1000, 200, 1400, 400)).union(star)


@pytest.mark.parametrize("edge_m", [0.0, 30.0, 100.0, 250.0])
def test_same_points_as_the_whole_buffer(edge_m: float) -> None:
    area = _area()
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = area.bounds
    scattered = np.column_stack([rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)])
    inner_edge = shapely.get_coordinates(area.buffer(-edge_m).boundary) if edge_m else scattered
    near = inner_edge[rng.integers(0, len(inner_edge), 2000)] + rng.normal(0, 0.5, (2000, 2))
    pts = np.asarray(shapely.points(np.vstack([scattered, near])))
    want = shapely.contains(area.buffer(-edge_m), pts)
    got = within_inner(area, pts, edge_m)
    assert want.any() and not want.all()
    assert (got == want).all()
