"""Three shortcuts past GEOS work, each against the way before it, on one workspace.

1. The built-up area cut into pieces (:func:`gis.indicators._common.area_pieces`): GEOS's
   rectangle clipping of each quadrant (checked: valid, adding up to the area) against
   overlays with the quadrants' boxes (the way before, written out here); the same number
   of pieces and the same total area are required.
2. The counted lines of the ways taking part in the dual-carriageway pairing
   (:func:`gis.indicators.road_density._own_lines`, here of every urban way): a simple open
   way whose segments all count taken as it is, against every way's counted segments cut
   and merged again (the way before); the lines must be exactly equal.
3. The dual-carriageway pairing (:func:`gis.indicators.road_density._paired_lengths`)
   leaving out pairs of ways running alike (:func:`~gis.indicators.road_density._may_run_back`)
   against every pair of the same road within the gap (the way before: that test made to
   keep every pair); the paired lengths must be exactly equal.

Alternated, the least CPU time of ``--repeat`` runs each.  Run::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_shortcuts WS --repeat 3
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from benchmarks.common import least_cpu_s, workspace_and_repeat
from gis.indicators import road_density
from gis.indicators._common import PIECE_VERTICES, _polygonal, area_pieces, clip_lines, dissolve
from gis.indicators.road_density import (
    Segments,
    _inside_counted,
    _own_lines,
    _paired_lengths,
    _segment_lines,
    _urban_ways,
    unique_segments,
)
from gis.settings import IndicatorSettings


def _pieces_by_overlays(area: BaseGeometry) -> np.ndarray:
    """The quadrant cut before the rectangle clipping: an overlay with each quadrant's box."""
    out: list[BaseGeometry] = []
    stack = [(area, tuple(area.bounds))]
    while stack:
        geom, (x0, y0, x1, y1) = stack.pop()
        if shapely.get_num_coordinates(geom) <= PIECE_VERTICES or (x1 - x0) + (y1 - y0) < 1.0:
            out.append(geom)
            continue
        xm, ym = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        for q in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)):
            piece = _polygonal(shapely.intersection(geom, shapely.box(*q)))
            if not piece.is_empty:
                stack.append((piece, q))
    return np.asarray(out, dtype=object)


def _all_merged(segments: Segments, ways: np.ndarray) -> np.ndarray:
    """Every way's counted segments cut and merged (the ways all have counted segments)."""
    sel = np.flatnonzero(segments.first & np.isin(segments.way, ways))
    which = np.searchsorted(ways, segments.way[sel])
    multi = shapely.multilinestrings(_segment_lines(segments, sel), indices=which)
    return np.asarray(shapely.line_merge(np.asarray(multi), directed=True), dtype=object)


def _every_pair(_segments: Segments, pi: np.ndarray, _pj: np.ndarray) -> np.ndarray:
    """The pairing before the direction test: every pair of the same road within the gap."""
    return np.ones(len(pi), dtype=bool)


def main(argv: list[str] | None = None) -> int:
    ws, repeat = workspace_and_repeat(__doc__, argv)
    area = dissolve(ws.layers["built_up"])
    (before_s, now_s), (before, now) = least_cpu_s(
        repeat, lambda: _pieces_by_overlays(area), lambda: area_pieces(area)
    )
    if len(before) != len(now) or not np.isclose(shapely.area(now).sum(), area.area, rtol=1e-9):
        raise SystemExit("the pieces differ")
    print(
        f"{shapely.get_num_coordinates(area)} vertices of the built-up area in {len(now)} "
        f"pieces: overlays {before_s:.3f} s, rectangle clips {now_s:.3f} s "
        f"(ratio {now_s / before_s:.2f})"
    )
    ways = _urban_ways(ws.layers["roads"])
    geoms = np.asarray(ways.geometry.values, dtype=object)
    segments = unique_segments(geoms)
    asked = np.unique(segments.way[segments.first])
    (before_s, now_s), (before, now) = least_cpu_s(
        repeat, lambda: _all_merged(segments, asked), lambda: _own_lines(segments, asked, geoms)
    )
    if not shapely.equals_exact(before, now, tolerance=0.0).all():
        raise SystemExit("the counted lines differ")
    taken = int(sum(g is w for g, w in zip(now, geoms[asked], strict=True)))
    print(
        f"{len(asked)} urban ways with counted segments, {taken} taken as they are: "
        f"all merged {before_s:.3f} s, shortcut {now_s:.3f} s (ratio {now_s / before_s:.2f})"
    )
    gap_m = IndicatorSettings().dual_carriageway_gap_m
    clipped = clip_lines(geoms, area)
    clip_len, _ = _inside_counted(len(ways), segments, clipped, area)

    def paired() -> np.ndarray:
        return _paired_lengths(ways, segments, clip_len, clipped, area, gap_m)

    def paired_before() -> np.ndarray:
        with mock.patch.object(road_density, "_may_run_back", _every_pair):
            return paired()

    (before_s, now_s), (before, now) = least_cpu_s(repeat, paired_before, paired)
    if not np.array_equal(before, now):
        raise SystemExit("the paired lengths differ")
    print(
        f"dual carriageways, {float(now.sum()) / 1000:.1f} km paired: every pair "
        f"{before_s:.3f} s, pairs running alike left out {now_s:.3f} s "
        f"(ratio {now_s / before_s:.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
