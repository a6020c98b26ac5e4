"""The road density's dead-end search: way ends numbered by packed keys against unique rows.

On the driving ways of one workspace (read and reprojected once, outside the timing), the
coordinates rounded to 1 cm are numbered by the distinct point each is, as
:func:`gis.indicators.road_density._dead_end_points` does: ``np.unique(keys, axis=0)`` (the
way before, which sorts the rows as records) against
:func:`gis.indicators._common.point_numbers` (one packed integer per row), alternated, the
least CPU time of ``--repeat`` runs each; then the whole dead-end search once.  The two
numberings must agree.

Run::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_dead_ends WS --repeat 3
"""

from __future__ import annotations

import time

import numpy as np
import shapely

from benchmarks.common import workspace_and_repeat
from gis.indicators._common import point_numbers
from gis.indicators.road_density import _dead_end_points, _driving_lines


def main(argv: list[str] | None = None) -> int:
    ws, repeat = workspace_and_repeat(__doc__, argv)
    lines = _driving_lines(ws.layers["roads"])
    keys = np.round(shapely.get_coordinates(lines) * 100).astype(np.int64)
    rows_s, packed_s = float("inf"), float("inf")
    for _ in range(repeat):
        cpu = time.process_time()
        by_rows = np.unique(keys, axis=0, return_inverse=True)[1].ravel()
        rows_s = min(rows_s, time.process_time() - cpu)
        cpu = time.process_time()
        by_packing = point_numbers(keys)
        packed_s = min(packed_s, time.process_time() - cpu)
    if not np.array_equal(by_rows, by_packing):
        raise SystemExit("the two numberings differ")
    cpu = time.process_time()
    dead = _dead_end_points(lines)
    search_s = time.process_time() - cpu
    print(
        f"{len(keys)} way vertices of {len(lines)} driving ways: unique rows {rows_s:.3f} s, "
        f"packed keys {packed_s:.3f} s (ratio {packed_s / rows_s:.2f}); "
        f"whole dead-end search now {search_s:.3f} s, {len(dead)} dead ends"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
