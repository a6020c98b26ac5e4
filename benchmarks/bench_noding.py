"""Street blocks and road clipping with arrays against GEOS, on one workspace, in one run.

Two comparisons on the urban roads and the built-up area of a workspace (read, reprojected
and dissolved once, outside the timing), each the least CPU time of ``--repeat`` runs,
the GEOS baseline and the array version alternated:

* **blocks**: ``shapely.union_all`` of the clipped roads and the area's edge, then the faces
  (:func:`gis.indicators._faces.faces`), against :func:`gis.indicators._noding.noded_segments`
  then :func:`gis.indicators._faces.segment_faces`; with the number of blocks and of
  blocks whose areas differ by more than 1 m²;
* **clip**: the lines crossing the area's edge overlaid with the area's pieces they meet
  (the method before, written out here), against
  :func:`gis.indicators._noding.clipped_lines`; with the largest length difference.

Run::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_noding WS --repeat 3
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from benchmarks.common import least_cpu_s, workspace_and_repeat
from gis.indicators._common import clip_lines, dissolve, pieces_of, unions_by_row
from gis.indicators._faces import faces, segment_faces
from gis.indicators._noding import clipped_lines, noded_segments
from gis.indicators.road_density import _urban_ways


def pieces_clip(lines: np.ndarray, area: Any) -> np.ndarray:
    """The lines crossing the edge, each overlaid with the pieces of the area it meets."""
    pieces = pieces_of(area)
    line_of, piece_of = shapely.STRtree(pieces).query(lines, predicate="intersects")
    cuts = shapely.intersection(lines[line_of], pieces[piece_of])
    joined, multi = unions_by_row(cuts, line_of, len(lines))
    split = multi & (shapely.get_type_id(joined) == shapely.GeometryType.MULTILINESTRING)
    joined[split] = shapely.line_merge(joined[split], directed=True)
    joined[shapely.is_missing(joined)] = shapely.LineString()
    return joined


def main(argv: list[str] | None = None) -> int:
    ws, repeat = workspace_and_repeat(__doc__, argv)
    area = dissolve(ws.layers["built_up"])
    shapely.prepare(area)
    roads = np.asarray(_urban_ways(ws.layers["roads"]).geometry.values, dtype=object)
    lines = np.concatenate([shapely.get_parts(clip_lines(roads, area)), [area.boundary]])
    lines = shapely.get_parts(lines[~shapely.is_empty(lines)])

    def geos_blocks() -> np.ndarray:
        return faces(shapely.get_parts(shapely.union_all(lines)))

    def array_blocks() -> np.ndarray:
        return segment_faces(*noded_segments(lines))

    (geos_s, array_s), (before, after) = least_cpu_s(repeat, geos_blocks, array_blocks)
    a0, a1 = np.sort(shapely.area(before)), np.sort(shapely.area(after))
    a0, a1 = a0[a0 > 0], a1[a1 > 0]
    same = len(a0) == len(a1)
    differ = int((np.abs(a0 - a1) > 1.0).sum()) if same else -1
    print(
        f"blocks: GEOS union + faces {geos_s:.2f} s, arrays {array_s:.2f} s "
        f"(ratio {array_s / geos_s:.2f}); blocks {len(a0)} / {len(a1)}, "
        f"areas differing by > 1 m²: {differ if same else 'counts differ'}"
    )
    covered = shapely.covers(area, roads)
    edge = roads[~covered & shapely.intersects(area, roads)]
    pieces_of(area)  # cut once, outside the timing (both methods' callers have them)
    (pieces_s, arrays_s), (old, new) = least_cpu_s(
        repeat, lambda: pieces_clip(edge, area), lambda: clipped_lines(edge, area)
    )
    diff = float(np.abs(shapely.length(old) - shapely.length(new)).max()) if len(edge) else 0.0
    print(
        f"clip of {len(edge)} lines crossing the edge: pieces overlay {pieces_s:.2f} s, "
        f"arrays {arrays_s:.2f} s (ratio {arrays_s / pieces_s:.2f}); "
        f"largest length difference {diff:.3g} m"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
