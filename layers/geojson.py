"""GeoDataFrames (EPSG:4326) to GeoJSON FeatureCollections with paging, bbox and simplification.

>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> gdf = gpd.GeoDataFrame({"name": ["a", "b", "c"]},
...                        geometry=[Point(104.0, 30.0), Point(104.1, 30.1), Point(104.2, 30.2)],
...                        crs=4326)
>>> page = to_feature_collection(gdf, limit=2, offset=1)
>>> page.collection["numberMatched"], page.collection["numberReturned"]
(3, 2)
>>> page.collection["bbox"]
[104.1, 30.1, 104.2, 30.2]
>>> [f["properties"]["name"] for f in page.collection["features"]]
['b', 'c']
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box, mapping

from layers.simplify import simplify_frame


@dataclass(frozen=True)
class FeaturePage:
    """One page of a layer as a GeoJSON FeatureCollection (a dict ready for ``json.dumps``)."""

    collection: dict[str, Any]

    @property
    def matched(self) -> int:
        """Features matching the bbox filter, before paging."""
        return int(self.collection["numberMatched"])


def json_value(value: Any) -> Any:
    """A JSON-serialisable version of one attribute value (NaN and NaT become ``None``).

    >>> json_value(np.int64(3)), json_value(float("nan")), json_value(dt.date(2020, 1, 2))
    (3, None, '2020-01-02')
    """
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def feature_properties(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Attribute rows of ``gdf`` (without geometry) as JSON-ready dicts."""
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    rows = gdf[columns].to_dict("records")
    return [{str(k): json_value(v) for k, v in row.items()} for row in rows]


def to_feature_collection(
    gdf: gpd.GeoDataFrame,
    *,
    limit: int | None = None,
    offset: int = 0,
    bbox: tuple[float, float, float, float] | None = None,
    tolerance_deg: float | None = None,
) -> FeaturePage:
    """One page of ``gdf`` (EPSG:4326) as a GeoJSON FeatureCollection.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in EPSG:4326; the feature ``id`` is the row's position in ``gdf``.
    limit, offset : int
        Paging over the features that intersect ``bbox`` (``limit=None``: all).
    bbox : tuple, optional
        ``(min_lon, min_lat, max_lon, max_lat)``: keep features intersecting it.
    tolerance_deg : float, optional
        Simplification tolerance (see :mod:`layers.simplify`).

    Returns
    -------
    FeaturePage
        ``collection`` has ``type``, ``bbox`` (of the returned features), ``numberMatched``,
        ``numberReturned`` and ``features``.
    """
    positions = np.arange(len(gdf))
    if bbox is not None and len(gdf):
        hits = shapely.intersects(np.asarray(gdf.geometry.values, dtype=object), box(*bbox))
        positions = positions[hits]
    matched = len(positions)
    end = matched if limit is None else offset + limit
    positions = positions[offset:end]
    page = simplify_frame(gdf.iloc[positions].reset_index(drop=True), tolerance_deg)
    ids = positions[page.index.to_numpy()]
    props = feature_properties(page)
    features = [
        {"type": "Feature", "id": int(i), "properties": p, "geometry": mapping(g)}
        for i, p, g in zip(ids, props, page.geometry.values, strict=True)
    ]
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "features": features,
    }
    if features:
        collection["bbox"] = [round(float(v), 6) for v in page.total_bounds]
    return FeaturePage(collection)
