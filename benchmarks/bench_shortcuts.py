"""Seven shortcuts past needless work, each against the way before it, on one workspace.

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
4. The content digests of the walk edges, walk nodes and roads
   (:class:`gis.indicators._state.GeometryContent`): points and lines as their coordinates
   against every geometry serialised as WKB and hashed (the way before, written out here);
   each must digest a copy of its array alike and the array less its last row otherwise.
5. The sparsest blocks (:func:`gis.indicators.road_density._first_inside`): only the blocks
   whose area reaches the reported ones' placed by position, against all blocks' positions
   worked out and sorted (the way before, written out here); the reported blocks must be the
   same.
6. The fitness indicator's site search (:func:`gis.indicators.fitness_coverage._candidate_reach`):
   each candidate's walks measured on the edges its search reached, against every uncovered
   cell's walk for every candidate (the way before, written out here); the indicator's value
   and suggested sites must be the same.
7. The street blocks' noding (:func:`gis.indicators._noding.noded_segments`): the pairs of
   segments looked at :data:`~gis.indicators._noding.PAIRS_PER_CHUNK` at a time, and the
   pairs crossing strictly found before the touching ones are left out of them, against all
   pairs at once and every pair tested for touches first (the way before: one chunk, the
   crossings written out here); the nodes and segments must be exactly equal.

Alternated, the least CPU time of ``--repeat`` runs each.  Run::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_shortcuts WS --repeat 3
"""

from __future__ import annotations

import hashlib
from typing import Any
from unittest import mock

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from benchmarks.common import least_cpu_s, workspace_and_repeat
from gis.indicators import _noding, fitness_coverage, road_density
from gis.indicators._common import PIECE_VERTICES, _polygonal, area_pieces, clip_lines, dissolve
from gis.indicators._state import digest_of, disabled, geometries
from gis.indicators.road_density import (
    Segments,
    _blocks,
    _first_inside,
    _inside_counted,
    _own_lines,
    _paired_lengths,
    _segment_lines,
    _urban_ways,
    block_keys,
    unique_segments,
)
from gis.routing import edge_point_walks, reach_matrix_batches
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


def _wkb_digest(geoms: np.ndarray) -> bytes:
    """A geometry array's digest before: every geometry's WKB, joined and hashed."""
    wkbs = np.asarray(shapely.to_wkb(geoms, include_srid=False), dtype=object)
    wkbs[shapely.is_missing(geoms)] = b"-"
    digest = hashlib.blake2b(digest_size=32)
    digest.update(b"G" + len(geoms).to_bytes(8, "little"))
    digest.update(b"".join(wkbs.tolist()))
    return digest.digest()


def _first_inside_ranking_all(
    area: BaseGeometry, blocks: np.ndarray, areas: np.ndarray, n: int
) -> np.ndarray:
    """The reported blocks before: every block's position worked out, all blocks sorted."""
    ranked = np.lexsort((*block_keys(blocks).T, -np.round(areas, 3)))
    found: list[np.ndarray] = []
    count, start, batch = 0, 0, max(4 * n, 16)
    while count < n and start < len(ranked):
        part = ranked[start : start + batch]
        hit = part[shapely.contains(area, shapely.point_on_surface(blocks[part]))]
        found.append(hit)
        count += len(hit)
        start, batch = start + len(part), batch * 4
    return np.concatenate(found)[:n] if found else np.zeros(0, dtype=np.int64)


def _reach_of_every_cell(
    graph: Any, candidates: np.ndarray, edges: Any, join: Any, max_walk_m: float
) -> list[np.ndarray]:
    """The site search's reach before: every uncovered cell's walk from every candidate."""
    reach: list[np.ndarray] = []
    width = max(graph.shape[0], len(join.point), 1)
    budget = max(1, fitness_coverage.REACH_BUDGET_CELLS * graph.shape[0] // width)
    for _, dist in reach_matrix_batches(graph, candidates, max_walk_m, max_cells=budget):
        walks = edge_point_walks(join, edges.u, edges.v, edges.length_m, dist)
        reach.extend(np.flatnonzero(row) for row in walks <= max_walk_m + 1e-9)
    return reach


def _crossings_touches_first(
    a: np.ndarray, b: np.ndarray, i: np.ndarray, j: np.ndarray, tol_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gis.indicators._noding._crossings` as it was: every pair tested for touches."""
    ai, bi, aj, bj = a[i], b[i], a[j], b[j]
    same = _noding._same
    touching = same(ai, aj) | same(ai, bj) | same(bi, aj) | same(bi, bj)
    for ends, s0, s1 in ((ai, aj, bj), (bi, aj, bj), (aj, ai, bi), (bj, ai, bi)):
        touching |= _noding._point_segment_distance(ends, s0, s1) <= tol_m
    rest = np.flatnonzero(~touching)
    rest = rest[_noding._crosses(ai[rest], bi[rest], aj[rest], bj[rest])]
    point = _noding._merged(_noding._intersection(ai[rest], bi[rest], aj[rest], bj[rest]), tol_m)
    return np.concatenate([i[rest], j[rest]]), np.concatenate([point, point])


def _noded_at_once(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The noding as it was: all pairs in one chunk, touches tested first."""
    with (
        mock.patch.object(_noding, "PAIRS_PER_CHUNK", 2**62),
        mock.patch.object(_noding, "_crossings", _crossings_touches_first),
    ):
        return _noding.noded_segments(lines)


def _compare_noding(lines: np.ndarray, repeat: int) -> None:
    """Print the street blocks' noding at once and in chunks (line 7), or stop if they differ."""

    def now() -> tuple[np.ndarray, np.ndarray]:
        return _noding.noded_segments(lines)

    (before_s, now_s), (before, after) = least_cpu_s(repeat, lambda: _noded_at_once(lines), now)
    if not all(np.array_equal(x, y) for x, y in zip(before, after, strict=True)):
        raise SystemExit("the noding differs")
    print(
        f"noding of {len(lines)} lines into {len(after[1])} segments: all pairs at once "
        f"{before_s:.3f} s, in chunks {now_s:.3f} s (ratio {now_s / max(before_s, 1e-9):.2f})"
    )


def _fitness(ws: Any) -> Any:
    """The fitness indicator of the workspace, its kept state off (each run from the layers)."""
    with disabled():
        return fitness_coverage.compute_fitness_15min_coverage(
            ws.layers["walk_nodes"],
            ws.layers["walk_edges"],
            ws.layer("sports"),
            ws.population,
            ws.layers["built_up"],
            settings=IndicatorSettings(),
            provenance={},
        )


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
    for name in ("walk_edges", "walk_nodes", "roads"):
        layer = geometries(ws.layers[name])
        (before_s, now_s), _ = least_cpu_s(
            repeat, lambda g=layer: _wkb_digest(g), lambda g=layer: digest_of(g)
        )
        same = digest_of(layer.copy()) == digest_of(layer)
        if not same or (len(layer) and digest_of(layer[:-1]) == digest_of(layer)):
            raise SystemExit(f"the digest of {name} misses a change")
        print(
            f"digest of {len(layer)} {name}: as WKB {before_s:.3f} s, "
            f"as coordinates {now_s:.3f} s (ratio {now_s / max(before_s, 1e-9):.2f})"
        )
    if ws.population is not None:

        def fitness_before() -> Any:
            with mock.patch.object(fitness_coverage, "_candidate_reach", _reach_of_every_cell):
                return _fitness(ws)

        (before_s, now_s), (before, now) = least_cpu_s(repeat, fitness_before, lambda: _fitness(ws))
        if before.value != now.value or before.details.get("suggested_sites") != now.details.get(
            "suggested_sites"
        ):
            raise SystemExit("the site search differs")
        print(
            f"fitness indicator with its site search: every cell's walks {before_s:.3f} s, "
            f"reached edges only {now_s:.3f} s (ratio {now_s / max(before_s, 1e-9):.2f})"
        )
    _compare_noding(
        np.concatenate([shapely.get_parts(clipped), shapely.get_parts(area.boundary)]), repeat
    )
    n = IndicatorSettings().sparsest_blocks_n
    blocks, areas = _blocks(clipped, area.boundary, n)
    if blocks is None or areas is None:
        return 0
    (before_s, now_s), (before, now) = least_cpu_s(
        repeat,
        lambda: _first_inside_ranking_all(area, blocks, areas, n),
        lambda: _first_inside(area, blocks, areas, n),
    )
    if before.tolist() != now.tolist():
        raise SystemExit("the sparsest blocks differ")
    print(
        f"{n} sparsest of {len(blocks)} blocks: all ranked {before_s:.3f} s, "
        f"the largest only {now_s:.3f} s (ratio {now_s / max(before_s, 1e-9):.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
