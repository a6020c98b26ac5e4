"""The built-up area (建成区) derived from OpenStreetMap when the county supplies none.

Urban land use, parks, sports grounds and buildings are merged by a
morphological closing (buffer out, then in, by :data:`CLOSING_M`), holes
smaller than :data:`HOLE_FILL_M2` are filled and fragments smaller than
:data:`MIN_PART_M2` dropped, then the result is clipped to the boundary.  An
extract with no such areas (a roads-only extract) falls back to the urban road
network buffered by :data:`ROAD_BUFFER_M`.  Both are estimates and the
workspace metadata says so.
"""

from __future__ import annotations

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
"""Fallback for extracts without land use: urban roads buffered by this distance."""


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


def derive_built_up(
    urban_areas: npt.NDArray[np.object_],
    urban_roads: npt.NDArray[np.object_],
    boundary: BaseGeometry,
) -> tuple[BaseGeometry, str]:
    """The built-up area estimate and a sentence saying how it was made (metres in, metres out).

    Parameters
    ----------
    urban_areas : array of Polygon
        Urban land use, parks, sports areas and buildings (metric CRS).
    urban_roads : array of LineString
        Roads of the urban classes, used only when ``urban_areas`` is empty.
    boundary : Polygon or MultiPolygon
        The county boundary (metric CRS).

    Raises
    ------
    EmptyInputError
        Neither land use nor roads give any built-up area.
    """
    areas = np.asarray(urban_areas, dtype=object)
    if len(areas):
        geom = close_polygons(areas, boundary)
        method = (
            "derived from OpenStreetMap: union of urban land use "
            "(landuse=residential/commercial/retail/industrial/railway/education/institutional/"
            f"construction/religious), parks, sports grounds and buildings; closed by "
            f"{CLOSING_M:g} m (buffer out and in), "
            f"holes under {HOLE_FILL_M2 / 10_000:g} ha filled, "
            f"parts under {MIN_PART_M2 / 10_000:g} ha dropped, clipped to the boundary. "
            "An estimate, not the official 建成区."
        )
        if not geom.is_empty:
            return geom, method
    roads = np.asarray(urban_roads, dtype=object)
    if len(roads):
        corridors = shapely.buffer(roads, ROAD_BUFFER_M, quad_segs=4)
        geom = close_polygons(corridors, boundary)
        method = (
            "derived from OpenStreetMap roads (the extract has no urban land use): urban-class "
            f"roads buffered by {ROAD_BUFFER_M:g} m, closed by {CLOSING_M:g} m, holes under "
            f"{HOLE_FILL_M2 / 10_000:g} ha filled, clipped to the boundary. "
            "A rough estimate, not the official 建成区."
        )
        if not geom.is_empty:
            return geom, method
    msg = (
        "built-up area: the OSM extract has no urban land use, buildings or urban roads inside "
        "the boundary to derive it from; supply the 建成区 polygon with --built-up FILE"
    )
    raise EmptyInputError(msg)
