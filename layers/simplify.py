"""Geometry simplification suited to a web-map zoom level.

At zoom ``z`` a 256-pixel Web Mercator tile spans ``360 / 2**z`` degrees of longitude, so one
screen pixel is ``360 / (256 * 2**z)`` degrees.  Features are simplified (Douglas-Peucker,
topology preserved) with a tolerance of half a pixel: the result is indistinguishable on screen.
From :data:`EXACT_FROM_ZOOM` on the tolerance would be below the data's precision (about half a
metre) and geometries are served exactly.  docs/api.md lists the thresholds.

>>> round(simplify_tolerance_deg(10), 7)
0.0006866
>>> simplify_tolerance_deg(17) is None
True
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

EXACT_FROM_ZOOM = 17
MAX_ZOOM = 22
PIXEL_FRACTION = 0.5
COORD_DECIMALS = 6  # 1e-6 degree is about 0.1 m


def simplify_tolerance_deg(zoom: int | None) -> float | None:
    """Tolerance in degrees for ``zoom`` (``None``: no simplification).

    Parameters
    ----------
    zoom : int or None
        Web-map zoom level, 0-22; ``None`` or ``>= EXACT_FROM_ZOOM`` gives exact geometry.
    """
    if zoom is None or zoom >= EXACT_FROM_ZOOM:
        return None
    return PIXEL_FRACTION * 360.0 / (256.0 * 2.0**zoom)


def simplify_frame(gdf: gpd.GeoDataFrame, tolerance_deg: float | None) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` (EPSG:4326) simplified by ``tolerance_deg`` and rounded to 1e-6 degree.

    Points are left as they are; features whose geometry collapses are dropped.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if tolerance_deg:
        geoms = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
    return out[keep]
