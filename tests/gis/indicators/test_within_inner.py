"""``road_density.within_inner``: points inside an area and farther than a distance from its edge.

Hand-made concave areas with a hole, points everywhere and many within a metre of the inner
edge. The distance is worked out here from the edge's segments with numpy (not GEOS), and
GEOS's own inner buffer is shown to agree but for points within its 1 % approximation.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from gis.indicators.road_density import within_inner


def _area() -> BaseGeometry:
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


def _edge_distance(area: BaseGeometry, xy: np.ndarray) -> np.ndarray:
    """Each point's distance to the area's rings, from every segment of them (numpy)."""
    rings = shapely.get_parts(shapely.get_parts(area.boundary))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    k = np.flatnonzero(ring[1:] == ring[:-1])
    a, d = coords[k], coords[k + 1] - coords[k]
    out = np.full(len(xy), np.inf)
    for start in range(0, len(xy), 500):
        p = xy[start : start + 500, None, :] - a[None, :, :]
        t = np.clip((p * d).sum(axis=2) / (d * d).sum(axis=1), 0.0, 1.0)
        gap = p - t[:, :, None] * d[None, :, :]
        out[start : start + 500] = np.sqrt((gap**2).sum(axis=2)).min(axis=1)
    return out


def _points(area: BaseGeometry, edge_m: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = area.bounds
    scattered = np.column_stack([rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)])
    inner_edge = shapely.get_coordinates(area.buffer(-edge_m).boundary) if edge_m else scattered
    near = inner_edge[rng.integers(0, len(inner_edge), 2000)] + rng.normal(0, 0.5, (2000, 2))
    return np.vstack([scattered, near])


@pytest.mark.parametrize("edge_m", [0.0, 30.0, 100.0, 250.0])
def test_inside_and_farther_than_the_distance_from_the_edge(edge_m: float) -> None:
    area = _area()
    xy = _points(area, edge_m, 7)
    pts = np.asarray(shapely.points(xy))
    want = shapely.contains(area, pts) & (_edge_distance(area, xy) > edge_m)
    got = within_inner(area, pts, edge_m)
    assert want.any() and not want.all()
    assert (got == want).all()


@pytest.mark.parametrize("edge_m", [30.0, 100.0, 250.0])
def test_geos_inner_buffer_differs_only_within_its_approximation(edge_m: float) -> None:
    """``area.buffer(-edge_m)`` decides the same but for points within 1 % of the distance."""
    area = shapely.segmentize(_area(), 2.0)  # many vertices: GEOS simplifies the input
    xy = _points(area, edge_m, 11)
    pts = np.asarray(shapely.points(xy))
    got = within_inner(area, pts, edge_m)
    geos = shapely.contains(area.buffer(-edge_m), pts)
    differ = np.flatnonzero(got != geos)
    assert len(differ) < 0.05 * len(pts)
    assert (np.abs(_edge_distance(area, xy[differ]) - edge_m) <= 0.01 * edge_m).all()


def test_a_negative_distance_grows_the_area() -> None:
    area = box(0, 0, 100, 100)
    pts = np.asarray(shapely.points([(50, 50), (105, 50), (115, 50)]))
    assert within_inner(area, pts, -10.0).tolist() == [True, True, False]
