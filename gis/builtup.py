"""The built-up area (建成区) derived from OpenStreetMap when the county supplies none.

The official 建成区 is drawn along streets: it takes whole urban blocks, the
streets between them included.  So the estimate starts from the **road
blocks**: the faces of the urban-class road network (GB/T 51328-2018 classes,
:data:`gis.settings.URBAN_ROAD_CLASSES`) noded together with the boundary,
up to :data:`MAX_BLOCK_M2` each (larger faces are farmland, hills or water
between roads, not blocks).  Then:

* **land use rich** (urban land use, parks, sports grounds and buildings cover
  at least :data:`RICH_EVIDENCE_SHARE` of the blocks): the blocks with at
  least :data:`BLOCK_EVIDENCE_SHARE` of their area under such evidence
  (``landuse_blocks``);
* **land use thin**, as in most Chinese county seats in OSM: every block
  (``road_blocks``), parts smaller than :data:`SATELLITE_SHARE` of the
  largest (villages with a loop of lanes) dropped.

Either way the evidence lying outside every block (a parcel in a face larger
than a block, land use beyond the last street) is added after a morphological
closing by :data:`CLOSING_M`; holes under :data:`HOLE_FILL_M2` are filled,
parts under :data:`MIN_PART_M2` dropped, and the result clipped to the
boundary.  An extract whose roads enclose no block falls back to the closed
evidence (``landuse_closing``), then to the urban roads buffered by
:data:`ROAD_BUFFER_M` (``road_buffer``).  Every variant is an estimate and the
workspace metadata says which one was used (docs/workspace.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gis.errors import EmptyInputError

CLOSING_M = 50.0
"""Closing distance: gaps narrower than twice this (streets, small yards) are bridged."""
HOLE_FILL_M2 = 50_000.0
"""Holes smaller than 5 ha (blocks without mapped land use) are treated as built up."""
MIN_PART_M2 = 10_000.0
"""Isolated fragments smaller than 1 ha (a lone building) are not part of the built-up area."""
ROAD_BUFFER_M = 100.0
"""Last fallback (roads that enclose no block, no land use): urban roads buffered by this."""
MAX_BLOCK_M2 = 300_000.0
"""Largest road block, 30 ha: Chinese urban superblocks are 4-25 ha; larger faces are not blocks."""
BLOCK_EVIDENCE_SHARE = 0.10
"""A block is built up (land-use method) when urban evidence covers at least 10 % of it."""
RICH_EVIDENCE_SHARE = 0.25
"""Land use is 'rich' when evidence covers at least 25 % of all blocks' area (else: thin)."""
SATELLITE_SHARE = 0.05
"""Road method: parts smaller than 5 % of the largest part (villages) are dropped."""

STREET_EDGE_M = 10.0
"""Block methods: the blocks are widened by this (half a branch road's 15-30 m red line), so
the streets along the outer edge of the town lie inside the area, not on its edge."""

MethodId = Literal["landuse_blocks", "road_blocks", "landuse_closing", "road_buffer"]


def close_polygons(
    polygons: npt.NDArray[np.object_],
    boundary: BaseGeometry,
    *,
    closing_m: float = CLOSING_M,
    hole_fill_m2: float = HOLE_FILL_M2,
    min_part_m2: float = MIN_PART_M2,
) -> BaseGeometry:
    """Union of ``polygons`` closed by ``closing_m``, small holes filled, clipped to ``boundary``.

    All geometries are in a projected CRS in metres.

    Examples
    --------
    Two 200 m squares 60 m apart merge into one block; the gap is filled (all
    but the rounded notches at its ends, 0.09 ha of the 9.2 ha bounding block):

    >>> from shapely import box
    >>> import numpy as np
    >>> squares = np.array([box(0, 0, 200, 200), box(260, 0, 460, 200)], dtype=object)
    >>> merged = close_polygons(squares, box(-1000, -1000, 1000, 1000))
    >>> merged.geom_type, round(merged.area / 10_000, 1)
    ('Polygon', 9.1)
    """
    polygons = np.asarray(polygons, dtype=object)
    if len(polygons) == 0:
        return shapely.Polygon()
    grown = shapely.union_all(shapely.buffer(polygons, closing_m, quad_segs=4))
    closed = shapely.buffer(grown, -closing_m, quad_segs=4)
    kept = []
    for part in shapely.get_parts(closed):
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= hole_fill_m2]
        filled = shapely.Polygon(part.exterior, holes)
        if filled.area >= min_part_m2:
            kept.append(filled)
    if not kept:
        return shapely.Polygon()
    result = shapely.intersection(shapely.MultiPolygon(kept), boundary)
    return _polygonal(result)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygonal parts of ``geom`` (a clip can leave lines and points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


@dataclass(frozen=True)
class BuiltUpEstimate:
    """A derived built-up area and how it was made.

    Attributes
    ----------
    geometry : Polygon or MultiPolygon
        The estimate, metric CRS, clipped to the boundary.
    method_id : str
        ``landuse_blocks``, ``road_blocks``, ``landuse_closing`` or ``road_buffer``.
    method : str
        One sentence for the metadata and the maps.
    evidence_share : float
        Share of the road blocks' area under urban land use, parks, sports
        grounds and buildings (0 when there are no blocks).
    block_count : int
        Road blocks of at most :data:`MAX_BLOCK_M2`.
    """

    geometry: BaseGeometry
    method_id: MethodId
    method: str
    evidence_share: float
    block_count: int


def road_blocks(
    urban_roads: npt.NDArray[np.object_],
    boundary: BaseGeometry,
    *,
    max_block_m2: float = MAX_BLOCK_M2,
) -> npt.NDArray[np.object_]:
    """Faces of the road network noded with the boundary, each at most ``max_block_m2``.

    Examples
    --------
    A 3 x 3 grid of 200 m blocks drawn with 4 + 4 streets inside a larger
    boundary: the nine blocks, 4 ha each (the faces between the outer streets
    and the boundary are larger than the 30 ha limit and left out).

    >>> from shapely import LineString, box
    >>> import numpy as np
    >>> streets = [LineString([(x, 0), (x, 600)]) for x in (0, 200, 400, 600)]
    >>> streets += [LineString([(0, y), (600, y)]) for y in (0, 200, 400, 600)]
    >>> blocks = road_blocks(np.array(streets, dtype=object), box(-1000, -1000, 1600, 1600))
    >>> len(blocks), sorted({round(b.area / 10_000, 1) for b in blocks})
    (9, [4.0])
    """
    roads = np.asarray(urban_roads, dtype=object)
    if len(roads) == 0:
        return np.array([], dtype=object)
    roads = roads[~shapely.is_empty(roads)]
    lines = np.concatenate([roads, shapely.get_parts(shapely.boundary(boundary))])
    noded = shapely.node(shapely.union_all(lines))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    area = shapely.area(faces)
    return np.asarray(faces[(area > 0) & (area <= max_block_m2)], dtype=object)


def evidence_shares(
    blocks: npt.NDArray[np.object_], evidence: BaseGeometry
) -> npt.NDArray[np.float64]:
    """Share of each block's area covered by ``evidence`` (0..1).

    >>> from shapely import box
    >>> import numpy as np
    >>> evidence_shares(np.array([box(0, 0, 10, 10)], dtype=object), box(0, 0, 5, 10)).tolist()
    [0.5]
    """
    blocks = np.asarray(blocks, dtype=object)
    if len(blocks) == 0:
        return np.zeros(0)
    # Each block against the nearby parts of the evidence only (the parts of a union are
    # disjoint, so their overlaps add up): one block against the whole county's evidence
    # costs the size of all of it, which made this quadratic in the county's size.
    parts = shapely.get_parts(evidence)
    parts = parts[shapely.area(parts) > 0] if len(parts) else parts
    if len(parts) == 0:
        return np.zeros(len(blocks))
    block_idx, part_idx = shapely.STRtree(parts).query(blocks, predicate="intersects")
    overlap = shapely.area(shapely.intersection(blocks[block_idx], parts[part_idx]))
    covered = np.bincount(block_idx, weights=overlap, minlength=len(blocks))
    return np.asarray(covered / shapely.area(blocks), dtype=np.float64)


def _union_parts(
    blocks: npt.NDArray[np.object_],
    outside: BaseGeometry,
    boundary: BaseGeometry,
    *,
    satellite_share: float,
) -> BaseGeometry:
    """Blocks and the closed evidence outside them: holes filled, small parts dropped."""
    widened = shapely.buffer(blocks, STREET_EDGE_M, quad_segs=2, join_style="mitre")
    merged = shapely.union_all(np.concatenate([widened, np.array([outside], dtype=object)]))
    parts = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon"]
    filled = [
        shapely.Polygon(
            p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= HOLE_FILL_M2]
        )
        for p in parts
    ]
    largest = max((p.area for p in filled), default=0.0)
    floor = max(MIN_PART_M2, satellite_share * largest)
    kept = [p for p in filled if p.area >= floor]
    if not kept:
        return shapely.Polygon()
    return _polygonal(shapely.intersection(shapely.MultiPolygon(kept), boundary))


def built_up_from_blocks(
    blocks: npt.NDArray[np.object_],
    urban_areas: npt.NDArray[np.object_],
    boundary: BaseGeometry,
    *,
    use_evidence: bool,
) -> BaseGeometry:
    """The built-up area from road blocks: those with evidence (or all) plus evidence outside.

    Parameters
    ----------
    blocks : array of Polygon
        :func:`road_blocks`.
    urban_areas : array of Polygon
        Urban land use, parks, sports areas and buildings (metric CRS).
    boundary : Polygon or MultiPolygon
        The county boundary.
    use_evidence : bool
        True: only blocks with at least :data:`BLOCK_EVIDENCE_SHARE` under
        ``urban_areas`` (the land-use method); False: every block, parts under
        :data:`SATELLITE_SHARE` of the largest dropped (the road method).

    Examples
    --------
    Nine 4 ha blocks, land use on one of them: the land-use method keeps that
    block, the road method all nine (36 ha; 38.4 ha with the 10 m street edge).

    >>> from shapely import LineString, box
    >>> import numpy as np
    >>> streets = [LineString([(x, 0), (x, 600)]) for x in (0, 200, 400, 600)]
    >>> streets += [LineString([(0, y), (600, y)]) for y in (0, 200, 400, 600)]
    >>> bnd = box(-1000, -1000, 1600, 1600)
    >>> blocks = road_blocks(np.array(streets, dtype=object), bnd)
    >>> housing = np.array([box(20, 20, 180, 180)], dtype=object)
    >>> round(built_up_from_blocks(blocks, housing, bnd, use_evidence=True).area / 10_000, 1)
    4.8
    >>> round(built_up_from_blocks(blocks, housing, bnd, use_evidence=False).area / 10_000, 1)
    38.4
    """
    blocks = np.asarray(blocks, dtype=object)
    evidence = _union(np.asarray(urban_areas, dtype=object))
    return _from_blocks(
        blocks, _blocks_union(blocks), evidence, boundary, use_evidence=use_evidence
    )


def _union(geoms: npt.NDArray[np.object_]) -> BaseGeometry:
    """Union of polygons; an empty polygon for none."""
    return shapely.union_all(geoms) if len(geoms) else shapely.Polygon()


def _blocks_union(blocks: npt.NDArray[np.object_]) -> BaseGeometry:
    """Union of road blocks: faces of one noded network, so edge to edge (a coverage).

    GEOS's coverage union only dissolves the shared edges, several times faster than a
    general union on a county's tens of thousands of blocks.
    """
    return shapely.coverage_union_all(blocks) if len(blocks) else shapely.Polygon()


def _from_blocks(
    blocks: npt.NDArray[np.object_],
    blocks_union: BaseGeometry,
    evidence: BaseGeometry,
    boundary: BaseGeometry,
    *,
    use_evidence: bool,
) -> BaseGeometry:
    """:func:`built_up_from_blocks` with the unions of all blocks and of the evidence given."""
    kept = blocks
    if use_evidence and len(blocks):
        kept = blocks[evidence_shares(blocks, evidence) >= BLOCK_EVIDENCE_SHARE]
    rest_parts = shapely.get_parts(shapely.difference(evidence, blocks_union))
    rest_parts = rest_parts[shapely.area(rest_parts) > 0] if len(rest_parts) else rest_parts
    outside = close_polygons(rest_parts, boundary) if len(rest_parts) else shapely.Polygon()
    share = 0.0 if use_evidence else SATELLITE_SHARE
    return _union_parts(kept, outside, boundary, satellite_share=share)


def _describe(method_id: MethodId, share: float) -> str:
    """The sentence stored with the layer."""
    blocks = (
        f"road blocks = faces of the urban-class road network noded with the boundary, "
        f"each at most {MAX_BLOCK_M2 / 10_000:g} ha"
    )
    tail = (
        f"; evidence outside the blocks added after a {CLOSING_M:g} m closing, holes under "
        f"{HOLE_FILL_M2 / 10_000:g} ha filled, parts under {MIN_PART_M2 / 10_000:g} ha dropped, "
        f"clipped to the boundary; blocks widened by {STREET_EDGE_M:g} m so that the streets on "
        "the town's edge lie inside. An estimate, not the official 建成区."
    )
    evidence = (
        "urban land use (landuse=residential/commercial/retail/industrial/railway/education/"
        "institutional/construction/religious), parks, sports grounds and buildings"
    )
    if method_id == "landuse_blocks":
        return (
            f"derived from OpenStreetMap (land use rich: {evidence} cover {share:.0%} of the "
            f"blocks): the {blocks} with at least {BLOCK_EVIDENCE_SHARE:.0%} of their area "
            f"under that evidence{tail}"
        )
    if method_id == "road_blocks":
        return (
            f"derived from OpenStreetMap roads (land use thin: {evidence} cover only {share:.0%} "
            f"of the blocks, under {RICH_EVIDENCE_SHARE:.0%}): every one of the {blocks}, parts "
            f"under {SATELLITE_SHARE:.0%} of the largest dropped (villages){tail}"
        )
    if method_id == "landuse_closing":
        return (
            f"derived from OpenStreetMap (the roads enclose no block): union of {evidence}; "
            f"closed by {CLOSING_M:g} m (buffer out and in), holes under "
            f"{HOLE_FILL_M2 / 10_000:g} ha filled, parts under {MIN_PART_M2 / 10_000:g} ha "
            "dropped, clipped to the boundary. An estimate, not the official 建成区."
        )
    return (
        "derived from OpenStreetMap roads (no road block and no urban land use): urban-class "
        f"roads buffered by {ROAD_BUFFER_M:g} m, closed by {CLOSING_M:g} m, holes under "
        f"{HOLE_FILL_M2 / 10_000:g} ha filled, clipped to the boundary. "
        "A rough estimate, not the official 建成区."
    )


def derive_built_up(
    urban_areas: npt.NDArray[np.object_],
    urban_roads: npt.NDArray[np.object_],
    boundary: BaseGeometry,
) -> BuiltUpEstimate:
    """The built-up area estimate and how it was made (metres in, metres out).

    Parameters
    ----------
    urban_areas : array of Polygon
        Urban land use, parks, sports areas and buildings (metric CRS).
    urban_roads : array of LineString
        Roads of the urban classes.
    boundary : Polygon or MultiPolygon
        The county boundary (metric CRS).

    Raises
    ------
    EmptyInputError
        Neither roads nor land use give any built-up area.

    Examples
    --------
    A town of nine 4 ha blocks with one housing estate mapped: land use is
    thin (evidence on 7 % of the blocks), so every block counts.

    >>> from shapely import LineString, box
    >>> import numpy as np
    >>> streets = [LineString([(x, 0), (x, 600)]) for x in (0, 200, 400, 600)]
    >>> streets += [LineString([(0, y), (600, y)]) for y in (0, 200, 400, 600)]
    >>> est = derive_built_up(np.array([box(20, 20, 180, 180)], dtype=object),
    ...                       np.array(streets, dtype=object), box(-1000, -1000, 1600, 1600))
    >>> est.method_id, round(est.geometry.area / 10_000, 1), round(est.evidence_share, 2)
    ('road_blocks', 38.4, 0.07)
    """
    areas = np.asarray(urban_areas, dtype=object)
    areas = areas[~shapely.is_empty(areas)] if len(areas) else areas
    blocks = road_blocks(urban_roads, boundary)
    share = 0.0
    if len(blocks):
        blocks_union, evidence = _blocks_union(blocks), _union(areas)
        share = float(shapely.intersection(blocks_union, evidence).area / blocks_union.area)
        method_id: MethodId = "landuse_blocks" if share >= RICH_EVIDENCE_SHARE else "road_blocks"
        geom = _from_blocks(
            blocks, blocks_union, evidence, boundary, use_evidence=method_id == "landuse_blocks"
        )
        if not geom.is_empty:
            return BuiltUpEstimate(geom, method_id, _describe(method_id, share), share, len(blocks))
    if len(areas):
        geom = close_polygons(areas, boundary)
        if not geom.is_empty:
            return BuiltUpEstimate(
                geom, "landuse_closing", _describe("landuse_closing", share), share, len(blocks)
            )
    roads = np.asarray(urban_roads, dtype=object)
    if len(roads):
        corridors = shapely.buffer(roads, ROAD_BUFFER_M, quad_segs=4)
        geom = close_polygons(corridors, boundary)
        if not geom.is_empty:
            return BuiltUpEstimate(
                geom, "road_buffer", _describe("road_buffer", share), share, len(blocks)
            )
    msg = (
        "built-up area: the OSM extract has no urban land use, buildings or urban roads inside "
        "the boundary to derive it from; supply the 建成区 polygon with --built-up FILE"
    )
    raise EmptyInputError(msg)


@dataclass(frozen=True)
class MethodComparison:
    """The land-use and the road method on the same inputs (metric CRS)."""

    landuse: BaseGeometry
    roads: BaseGeometry

    @property
    def iou(self) -> float:
        """Intersection over union of the two areas (0..1)."""
        union = shapely.union(self.landuse, self.roads).area
        return 0.0 if union <= 0 else shapely.intersection(self.landuse, self.roads).area / union


def compare_methods(
    urban_areas: npt.NDArray[np.object_],
    urban_roads: npt.NDArray[np.object_],
    boundary: BaseGeometry,
) -> MethodComparison:
    """Both block methods on one extract: evidence-selected blocks vs every block.

    The road method here uses the roads alone (no evidence outside the blocks),
    so that it shows what a county with no land use mapped at all would get.

    >>> from shapely import LineString, box
    >>> import numpy as np
    >>> streets = [LineString([(x, 0), (x, 600)]) for x in (0, 200, 400, 600)]
    >>> streets += [LineString([(0, y), (600, y)]) for y in (0, 200, 400, 600)]
    >>> housing = np.array([box(0, 0, 600, 400)], dtype=object)
    >>> cmp = compare_methods(housing, np.array(streets, dtype=object), box(-1e3, -1e3, 2e3, 2e3))
    >>> round(cmp.iou, 3)
    0.677
    """
    blocks = road_blocks(urban_roads, boundary)
    blocks_union = _blocks_union(blocks)
    evidence = _union(np.asarray(urban_areas, dtype=object))
    landuse = _from_blocks(blocks, blocks_union, evidence, boundary, use_evidence=True)
    roads = _from_blocks(blocks, blocks_union, shapely.Polygon(), boundary, use_evidence=False)
    return MethodComparison(landuse, roads)
