"""The road density's dead-end search: way ends numbered as complex numbers against unique rows.

On the driving ways of one workspace (read and reprojected once, outside the timing), the
coordinates rounded to 1 cm are numbered by the distinct point each is, as
:func:`gis.indicators.road_density._dead_end_points` does: ``np.unique(keys, axis=0)`` (the
way before, which sorts the rows as records) against
:func:`gis.coords.distinct_points` (each row read as one complex number),
alternated, the least CPU time of ``--repeat`` runs each; then the whole dead-end search
once. The two numberings must agree. Then which dead ends lie farther than the settings'
distance inside the dissolved built-up area:
:func:`gis.indicators.road_density.within_inner` (one distance test per point) against
GEOS's inner buffer of the whole area (once; it approximates the rule), with the number of
points they decide differently.

Run::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_dead_ends WS --repeat 3
"""

from __future__ import annotations

import time

import numpy as np
import shapely

from benchmarks.common import least_cpu_s, workspace_and_repeat
from gis.coords import distinct_points
from gis.indicators._common import dissolve
from gis.indicators.road_density import _dead_end_points, _driving_lines, within_inner
from gis.settings import IndicatorSettings


def main(argv: list[str] | None = None) -> int:
    ws, repeat = workspace_and_repeat(__doc__, argv)
    lines = _driving_lines(ws.layers["roads"])
    keys = np.round(shapely.get_coordinates(lines) * 100)
    (rows_s, points_s), (by_rows, by_points) = least_cpu_s(
        repeat,
        lambda: np.unique(keys, axis=0, return_inverse=True)[1].ravel(),
        lambda: distinct_points(keys)[1],
    )
    if not np.array_equal(by_rows, by_points):
        raise SystemExit("the two numberings differ")
    cpu = time.process_time()
    dead = _dead_end_points(lines)
    search_s = time.process_time() - cpu
    print(
        f"{len(keys)} way vertices of {len(lines)} driving ways: unique rows {rows_s:.3f} s, "
        f"complex view {points_s:.3f} s (ratio {points_s / rows_s:.2f}); "
        f"whole dead-end search now {search_s:.3f} s, {len(dead)} dead ends"
    )
    area, edge_m = dissolve(ws.layers["built_up"]), IndicatorSettings().dead_end_edge_buffer_m
    pts = np.asarray(shapely.points(dead))
    shapely.prepare(area)
    cpu = time.process_time()
    inner = within_inner(area, pts, edge_m)
    rule_s = time.process_time() - cpu
    cpu = time.process_time()
    by_buffer = shapely.contains(area.buffer(-edge_m), pts)
    buffer_s = time.process_time() - cpu
    print(
        f"{len(pts)} dead ends farther than {edge_m:g} m inside: distance rule {rule_s:.3f} s "
        f"({int(inner.sum())}), whole inner buffer {buffer_s:.3f} s ({int(by_buffer.sum())}); "
        f"ratio {rule_s / buffer_s:.3f}, decided differently {int((inner != by_buffer).sum())}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
