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


@pytest.mark.parametrize("edge_m", [30.0, 100.0])
def test_same_points_on_an_area_cut_in_pieces(edge_m: float) -> None:
    """An area of many vertices is tested from its pieces (``_common.pieces_of``)."""
    from gis.indicators._common import pieces_of

    area = shapely.segmentize(_area(), 2.0)
    assert len(pieces_of(area)) > 4
    rng = np.random.default_rng(11)
    inner_edge = shapely.get_coordinates(area.buffer(-edge_m).boundary)
    near = inner_edge[rng.integers(0, len(inner_edge), 3000)] + rng.normal(0, 0.5, (3000, 2))
    pts = np.asarray(shapely.points(near))
    want = shapely.contains(area.buffer(-edge_m), pts)
    assert want.any() and not want.all()
    assert (within_inner(area, pts, edge_m) == want).all()


def test_local_areas_are_the_area_within_each_box() -> None:
    from gis.indicators._common import local_areas, pieces_of

    area = shapely.segmentize(_area(), 2.0)
    assert len(pieces_of(area)) > 4
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = area.bounds
    corner = np.column_stack([rng.uniform(x0 - 500, x1, 200), rng.uniform(y0 - 500, y1, 200)])
    size = rng.uniform(1, 1500, (200, 2))
    boxes = np.asarray(shapely.box(*corner.T, *(corner + size).T))
    got = local_areas(area, boxes)
    want = shapely.intersection(area, boxes)
    assert np.allclose(shapely.area(got), shapely.area(want), rtol=1e-12, atol=1e-6)
    assert (shapely.area(shapely.symmetric_difference(got, want)) < 1e-6).all()
