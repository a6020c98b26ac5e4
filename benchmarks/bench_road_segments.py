"""Road density's segment rule at scale: 1M road segments, every segment counted once.

A synthetic street grid of long ways (``--ways`` ways of ``--segments`` 2-point segments
each, 100 m apart, half of them drawn again in reverse so that a quarter of all segments
are repeats) clipped to a disc-shaped built-up area.  Timed, median of 3:

- ours: ``unique_segments`` (integer end keys, one lexsort) and the per-segment clip
  and count of ``road_density`` (prepared ``covers``/``intersects``, intersection only at
  the edge);
- baseline: the plain way, ``shapely.intersection`` of every whole way with the area and
  the lengths summed (no deduplication, so it answers an easier question).

The counted length must equal the length of the distinct ways inside the area (checked).

    .venv/bin/python -m benchmarks.bench_road_segments [--ways 2000] [--segments 500]
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import shapely

from benchmarks.common import table, timed
from benchmarks.synthetic import CRS_GK, X0, Y0
from gis.indicators._common import clip_lines
from gis.indicators.road_density import _counted_lengths, unique_segments


def street_ways(n_ways: int, n_segments: int, spacing_m: float = 100.0) -> np.ndarray:
    """``n_ways`` straight ways (half east-west, half north-south) of ``n_segments`` pieces."""
    along = np.linspace(0.0, n_segments * spacing_m, n_segments + 1)
    half = n_ways // 2
    lines = []
    for i in range(half):
        across = np.full(len(along), i * spacing_m * n_segments / max(half, 1))
        lines.append(shapely.LineString(np.column_stack([X0 + along, Y0 + across])))
        lines.append(shapely.LineString(np.column_stack([X0 + across, Y0 + along])))
    return np.asarray(lines, dtype=object)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ways", type=int, default=2000)
    parser.add_argument("--segments", type=int, default=500)
    args = parser.parse_args(argv)
    distinct = street_ways(args.ways, args.segments)
    repeats = shapely.reverse(distinct[: len(distinct) // 2])
    lines = np.concatenate([distinct, repeats])
    ways = gpd.GeoDataFrame(
        {"road_class": "branch", "oneway": False, "name": ""},
        index=range(len(lines)),
        geometry=gpd.GeoSeries(lines, crs=CRS_GK),
    )
    extent = args.segments * 100.0
    area = shapely.Point(X0 + extent / 2, Y0 + extent / 2).buffer(0.4 * extent, 64)

    def ours() -> float:
        segments = unique_segments(lines)
        clipped = clip_lines(lines, area)
        counted, _, _ = _counted_lengths(ways, segments, clipped, area, 60.0)
        return float(counted.sum())

    def baseline() -> float:
        return float(shapely.length(shapely.intersection(lines, area)).sum())

    ours_s, counted_m = timed(ours, 3)
    base_s, raw_m = timed(baseline, 3)
    expected_m = float(shapely.length(shapely.intersection(distinct, area)).sum())
    if abs(counted_m - expected_m) > 1e-6 * expected_m:
        msg = f"counted {counted_m:.1f} m, distinct ways inside {expected_m:.1f} m"
        raise AssertionError(msg)
    n_seg = int(shapely.get_num_coordinates(lines).sum() - len(lines))
    rows = [
        [
            len(lines),
            n_seg,
            f"{ours_s:.2f}",
            f"{base_s:.2f}",
            f"{ours_s / base_s:.2f}",
            f"{counted_m / 1000:.0f}",
            f"{raw_m / 1000:.0f}",
        ]
    ]
    head = ["ways", "segments", "ours s", "plain clip s", "ratio", "counted km", "plain km"]
    print("road density, every segment once (median of 3)")
    print(table(rows, head))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
