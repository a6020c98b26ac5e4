"""Coordinate reference systems: storage CRS and the county's metric zone.

Storage is geographic (EPSG:4326, within a metre of CGCS2000 EPSG:4490).
Every measurement happens in the county's CGCS2000 3-degree Gauss-Krüger
zone: ``EPSG:(4534 + (CM - 75) / 3)`` with ``CM = 3 * round(lon / 3)``.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

from gis.errors import CrsError

STORAGE_EPSG = 4326
_GK_FIRST_EPSG = 4534  # CGCS2000 / 3-degree Gauss-Kruger CM 75E
_CM_MIN_DEG, _CM_MAX_DEG = 75, 135


def gk_central_meridian_deg(lon_deg: float) -> int:
    """Central meridian (degrees E) of the 3-degree zone holding ``lon_deg``.

    >>> gk_central_meridian_deg(113.6), gk_central_meridian_deg(104.07)
    (114, 105)
    """
    return int(3 * round(lon_deg / 3))


def gk_epsg(lon_deg: float) -> int:
    """EPSG code of the CGCS2000 3-degree GK zone (no zone prefix) for ``lon_deg``.

    >>> gk_epsg(113.6), gk_epsg(111.0), gk_epsg(117.2), gk_epsg(104.07)
    (4547, 4546, 4548, 4544)
    """
    cm = gk_central_meridian_deg(lon_deg)
    if not _CM_MIN_DEG <= cm <= _CM_MAX_DEG:
        msg = (
            f"longitude {lon_deg:.3f} is outside China's CGCS2000 3-degree zones "
            f"(central meridians {_CM_MIN_DEG}-{_CM_MAX_DEG} E); check the data's CRS"
        )
        raise CrsError(msg)
    return _GK_FIRST_EPSG + (cm - _CM_MIN_DEG) // 3


def metric_crs_for(gdf: gpd.GeoDataFrame) -> CRS:
    """The GK zone CRS for the centroid of ``gdf``'s bounds (any input CRS)."""
    if gdf.crs is None:
        msg = "layer has no CRS; cannot choose a metric zone"
        raise CrsError(msg)
    minx, miny, maxx, maxy = gdf.to_crs(STORAGE_EPSG).total_bounds
    return CRS.from_epsg(gk_epsg((minx + maxx) / 2))


def require_metric(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Raise :class:`CrsError` unless ``gdf`` is in a projected CRS in metres."""
    crs = gdf.crs
    if crs is None or not crs.is_projected:
        msg = f"{name}: needs a projected CRS in metres, got {crs!r}; reproject to the GK zone"
        raise CrsError(msg)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter"):
        msg = f"{name}: CRS unit is {unit!r}, expected metre"
        raise CrsError(msg)
