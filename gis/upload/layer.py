"""Validation of an uploaded layer against its kind's schema: collect every problem, raise once.

:func:`validate_layer` checks emptiness, the feature limit, missing and
wrong geometries, invalid geometries (repaired with ``shapely.make_valid``
and counted as a warning), features outside the county boundary, required
columns and attribute types (dates, numbers, booleans, enumerations).  It
records problems in a :class:`gis.errors.ProblemCollector` and returns the
layer as it will be stored: workspace columns, EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.errors import ProblemCollector
from gis.projects import normalise_projects
from gis.upload.attributes import HIGHWAY_FOR_CLASS, validate_attributes
from gis.upload.base import ValidationReport
from gis.upload.geometry import check_location, geometry_problems, repair_geometries, to_storage
from gis.upload.messages import add_problem
from gis.upload.schemas import STORAGE_EPSG, LayerSchema


def validate_layer(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    *,
    label: str,
    problems: ProblemCollector,
    boundary: gpd.GeoDataFrame | None = None,
    mapping: Mapping[str, str] | None = None,
    max_features: int = 200_000,
    outside_tolerance_m: float = 500.0,
    source_epsg: int | None = None,
    row_numbers: Sequence[int] | None = None,
) -> tuple[gpd.GeoDataFrame | None, ValidationReport]:
    """Check ``gdf`` against ``schema``; record problems; return the layer to store (EPSG:4326).

    ``gdf`` carries the source CRS (after any GCJ-02/BD-09 conversion, as
    EPSG:4326).  Returns ``None`` for the layer when a problem prevents
    building it; the caller raises once with every problem.
    """
    report = ValidationReport()
    if len(gdf) == 0:
        add_problem(problems, label, "empty_layer.vector", label=label, layer=schema.label)
        return None, report
    if len(gdf) > max_features:
        add_problem(
            problems, label, "too_many_features", label=label, count=len(gdf), limit=max_features
        )
    geoms = geometry_problems(gdf.geometry, schema, label=label, problems=problems, report=report)
    geoms_4326 = to_storage(geoms, label, problems) if gdf.crs is not None else None
    if geoms_4326 is not None and not problems.problems:  # projecting can make a ring touch itself
        geoms_4326, again = repair_geometries(geoms_4326, schema, label=label, problems=problems)
        report.repaired_geometries += again
    if report.repaired_geometries:
        report.warn(label, "repaired_geometries", label=label, count=report.repaired_geometries)
    if geoms_4326 is not None:
        source_minx = float(geoms.total_bounds[0]) if len(geoms.dropna()) else 0.0
        check_location(
            geoms_4326,
            boundary,
            label=label,
            tolerance_m=outside_tolerance_m,
            source_epsg=source_epsg,
            source_minx=source_minx,
            problems=problems,
        )
    values = validate_attributes(
        gdf.drop(columns=gdf.geometry.name),
        schema,
        label=label,
        problems=problems,
        mapping=mapping,
        report=report,
        row_numbers=row_numbers,
    )
    if problems.problems or geoms_4326 is None:
        return None, report
    stored = _build_stored(geoms_4326, values, schema, label=label)
    report.feature_count = len(stored)
    return stored, report


def _build_stored(
    geoms: gpd.GeoSeries, values: dict[str, list[Any]], schema: LayerSchema, *, label: str
) -> gpd.GeoDataFrame:
    n = len(geoms)
    data: dict[str, Any] = {}
    for name in schema.stored_columns:
        if name in values:
            data[name] = values[name]
        elif name == "osm_id":
            data[name] = np.arange(-1, -n - 1, -1, dtype="int64")  # negative: not OSM way ids
        elif name == "osm_type":
            data[name] = ["upload"] * n  # not an OSM element
        elif name == "sample":
            data[name] = np.zeros(n, dtype=bool)
        else:
            data[name] = [None] * n
    frame = gpd.GeoDataFrame(data, geometry=geoms.reset_index(drop=True).values, crs=STORAGE_EPSG)
    return _finish(frame, schema, label)


def _finish(frame: gpd.GeoDataFrame, schema: LayerSchema, label: str) -> gpd.GeoDataFrame:
    kind = schema.kind
    if kind == "built_up":
        merged = shapely.union_all(frame.geometry.to_numpy())
        return gpd.GeoDataFrame(
            {"source": ["uploaded"], "method": [f"uploaded from {label}"]},
            geometry=[merged],
            crs=STORAGE_EPSG,
        )
    if kind == "roads":
        frame = frame.explode(index_parts=False, ignore_index=True)
        frame = frame[frame.geometry.geom_type == "LineString"].reset_index(drop=True)
        frame["osm_id"] = np.arange(-1, -len(frame) - 1, -1, dtype="int64")
        frame["highway"] = [HIGHWAY_FOR_CLASS[c] for c in frame["road_class"]]
        frame["oneway"] = [bool(v) if v is not None else False for v in frame["oneway"]]
        return frame
    if kind == "parks":
        frame["leisure"] = "park"
    if kind == "sports":
        frame["leisure"] = [v or "sports_centre" for v in frame["leisure"]]
    if kind == "green_space":
        frame["kind"] = [v or "green_space" for v in frame["kind"]]
    if kind == "disclosures":
        frame["record_id"] = [v or f"upload-{i + 1}" for i, v in enumerate(frame["record_id"])]
        frame["public"] = [bool(v) for v in frame["public"]]
    if kind == "facilities":
        frame["osm_tag"] = "upload"
        frame["level_source"] = ""
    if kind == "parking":  # uploaded car parks are the county's public ones
        frame["access"] = "public"
        frame["capacity_spaces"] = pd.array(frame["capacity_spaces"], dtype="Int64")
    if kind == "projects":
        frame = normalise_projects(frame, fill_ids=False)  # ids are given when merged
    if kind in ("plans", "urban_designs", "key_areas", "disclosures"):
        frame["sample"] = False
    return frame
