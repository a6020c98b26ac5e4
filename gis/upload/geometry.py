"""CRS and geometry checks of an upload.

The declared/file CRS, geographic ranges, geometry types, repair of invalid geometries,
features outside the county, reprojection to the storage CRS.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError, ProjError

from gis.chinacrs import (
    normalise_coord_system,
    parse_declared_crs,
    to_wgs84_function,
    zone_prefix_hint,
)
from gis.errors import ProblemCollector
from gis.upload.base import MAX_EXAMPLES, READ_ERRORS, RawUpload, UploadOptions, ValidationReport
from gis.upload.messages import add_problem
from gis.upload.schemas import LINES, POINTS, POLYGONS, STORAGE_EPSG, LayerSchema


def geometry_problems(
    geoms: gpd.GeoSeries,
    schema: LayerSchema,
    *,
    label: str,
    problems: ProblemCollector,
    report: ValidationReport,
) -> gpd.GeoSeries:
    """Check missing and wrong geometries, repair invalid ones; return the repaired series."""
    missing = geoms.isna() | geoms.is_empty
    if missing.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(missing.to_numpy())[:MAX_EXAMPLES])
        add_problem(
            problems, label, "missing_geometry", label=label, count=int(missing.sum()), rows=rows
        )
    present = geoms[~missing]
    not_finite = ~np.array([_finite(g) for g in present.to_numpy()], dtype=bool)
    if not_finite.any():
        rows = ", ".join(
            str(i + 1) for i in np.flatnonzero(~missing.to_numpy())[not_finite][:MAX_EXAMPLES]
        )
        add_problem(
            problems,
            label,
            "bad_coordinates.not_finite",
            label=label,
            count=int(not_finite.sum()),
            rows=rows,
        )
    types = present.geom_type
    wrong = ~types.isin(schema.geometry)
    if wrong.any():
        found = ", ".join(sorted(set(types[wrong])))
        add_problem(
            problems,
            label,
            "wrong_geometry_type",
            label=label,
            count=int(wrong.sum()),
            found=found,
            layer=schema.label,
            geometry=schema.geometry_words,
        )
    repaired, report.repaired_geometries = repair_geometries(
        geoms, schema, label=label, problems=problems
    )
    return repaired


def repair_geometries(
    geoms: gpd.GeoSeries, schema: LayerSchema, *, label: str, problems: ProblemCollector
) -> tuple[gpd.GeoSeries, int]:
    """Repair invalid geometries with ``make_valid``; return them and how many were repaired.

    A geometry whose repair leaves nothing of the layer's dimension (a polygon with no area) is
    a problem, not a silent change.
    """
    present = ~(geoms.isna() | geoms.is_empty)
    finite = np.array([_finite(g) for g in geoms.to_numpy()], dtype=bool)
    invalid = present & finite & ~geoms.is_valid  # non-finite ones are reported as bad coordinates
    if not invalid.any():
        return geoms, 0
    fixed = [_keep_dimension(g, schema) for g in shapely.make_valid(geoms[invalid].to_numpy())]
    collapsed = [
        i for i, g in zip(np.flatnonzero(invalid.to_numpy()), fixed, strict=True) if g is None
    ]
    if collapsed:
        rows = ", ".join(str(i + 1) for i in collapsed[:MAX_EXAMPLES])
        add_problem(
            problems,
            label,
            "degenerate_geometry",
            label=label,
            count=len(collapsed),
            rows=rows,
            geometry=schema.geometry_words,
        )
    repaired = geoms.copy()
    repaired.loc[invalid] = np.array(
        [g if g is not None else shapely.GeometryCollection() for g in fixed], dtype=object
    )
    return repaired, int(invalid.sum())


def _finite(geom: Any) -> bool:
    """Whether every coordinate of ``geom`` is a finite number (``True`` for no geometry)."""
    return geom is None or bool(np.isfinite(shapely.get_coordinates(geom)).all())


def _keep_dimension(geom: Any, schema: LayerSchema) -> Any:
    """The parts of a repaired geometry of the schema's dimension (a bow-tie's areas), or None."""
    if schema.geometry & POLYGONS:
        kinds = POLYGONS
    elif schema.geometry & LINES:
        kinds = LINES
    else:
        kinds = POINTS
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in schema.geometry:
        return geom
    if geom.geom_type != "GeometryCollection":
        return None if geom.geom_type not in kinds else geom
    parts = [g for g in geom.geoms if g.geom_type in kinds and not g.is_empty]
    return shapely.union_all(parts) if parts else None


def check_location(
    geoms: gpd.GeoSeries,
    boundary: gpd.GeoDataFrame | None,
    *,
    label: str,
    tolerance_m: float,
    source_epsg: int | None,
    source_minx: float,
    problems: ProblemCollector,
) -> None:
    """Features must lie in (or touch) the county: not entirely outside its boundary ± tolerance."""
    finite = np.isfinite(shapely.get_coordinates(geoms.dropna().to_numpy())).all()
    if not finite:
        hint = zone_prefix_hint(source_minx, source_epsg) if source_epsg else ""
        key = "bad_coordinates.not_lonlat_hint" if hint else "bad_coordinates.not_lonlat"
        add_problem(problems, label, key, label=label, hint=hint)
        return
    if boundary is None or boundary.empty:
        return
    from gis.crs import gk_epsg  # local: crs imports geopandas only

    area = boundary.to_crs(STORAGE_EPSG).union_all()
    cx = area.centroid.x
    metric = gk_epsg(cx)
    zone = gpd.GeoSeries([area], crs=STORAGE_EPSG).to_crs(metric).buffer(tolerance_m).iloc[0]
    measured = geoms.to_crs(metric)
    try:
        outside = ~measured.intersects(zone) & ~(measured.isna() | measured.is_empty)
    except shapely.errors.GEOSException:
        return  # only for geometries too broken to test; their own problem is reported
    if not outside.any():
        return
    rows = ", ".join(str(i + 1) for i in np.flatnonzero(outside.to_numpy())[:MAX_EXAMPLES])
    b = geoms.total_bounds
    county_b = area.bounds
    hint = ""
    if source_epsg:
        hint = zone_prefix_hint(source_minx, source_epsg)
    add_problem(
        problems,
        label,
        "outside_county.features_hint" if hint else "outside_county.features",
        label=label,
        count=int(outside.sum()),
        total=len(geoms),
        rows=rows,
        b=b,
        county_b=county_b,
        hint=hint,
    )


def to_storage(
    geoms: gpd.GeoSeries, label: str, problems: ProblemCollector
) -> gpd.GeoSeries | None:
    """``geoms`` in EPSG:4326, or ``None`` (and a problem) when the CRS cannot be converted."""
    try:
        with np.errstate(all="ignore"):
            return geoms.to_crs(STORAGE_EPSG)
    except (ProjError, CRSError, ValueError) as exc:
        add_problem(
            problems,
            label,
            "unknown_crs.not_convertible",
            label=label,
            crs_name=geoms.crs.name,
            detail=str(exc)[:80],
        )
        return None


def crs_from_file(
    raw: RawUpload, options: UploadOptions, label: str, problems: ProblemCollector
) -> None:
    """Take the layer's own CRS; a layer without one is a problem unless a CRS was declared."""
    if raw.gdf is None:
        return
    raw.crs, raw.crs_source = raw.gdf.crs, "file" if raw.gdf.crs is not None else ""
    if raw.crs is None and not options.declared_crs:
        add_problem(problems, label, "no_crs.layer", label=label)


def apply_crs(
    raw: RawUpload, options: UploadOptions, label: str, problems: ProblemCollector
) -> None:
    """Apply the declared CRS and coordinate system; convert GCJ-02/BD-09 to WGS84."""
    assert raw.gdf is not None
    if options.declared_crs:
        declared = parse_declared_crs(options.declared_crs)
        if declared is None:
            add_problem(
                problems,
                label,
                "bad_declared_crs.vector",
                label=label,
                declared_crs=options.declared_crs,
            )
            return
        if raw.crs is not None and not raw.crs.equals(declared, ignore_axis_order=True):
            raw.note(
                label,
                "declared_crs_used",
                label=label,
                crs_name=raw.crs.name,
                epsg=declared.to_epsg(),
            )
        raw.crs, raw.crs_source = declared, "declared"
    if raw.crs is None:
        return
    raw.gdf = raw.gdf.set_crs(raw.crs, allow_override=True)
    _check_geographic_range(raw, label, problems)
    system = normalise_coord_system(options.coord_system)
    if system is None:
        add_problem(
            problems,
            label,
            "bad_coord_system.unknown",
            label=label,
            coord_system=options.coord_system,
        )
        return
    if system == "wgs84":
        return
    if not raw.crs.is_geographic:
        add_problem(
            problems,
            label,
            "bad_coord_system.not_lonlat",
            label=label,
            system=system.upper(),
            crs_name=raw.crs.name,
        )
        return
    convert = to_wgs84_function(system)
    try:
        lonlat = raw.gdf.geometry.to_crs(4326).to_numpy()
    except READ_ERRORS:
        return  # validate_layer reports the unconvertible CRS
    geoms = shapely.transform(lonlat, convert)
    raw.gdf = raw.gdf.set_geometry(gpd.GeoSeries(geoms, index=raw.gdf.index, crs=4326))
    raw.crs = CRS.from_epsg(4326)
    raw.note(label, "converted", label=label, system=system.upper())


def _check_geographic_range(raw: RawUpload, label: str, problems: ProblemCollector) -> None:
    assert raw.gdf is not None and raw.crs is not None
    if not raw.crs.is_geographic or raw.gdf.empty:
        return
    coords = shapely.get_coordinates(raw.gdf.geometry.dropna().to_numpy())
    if len(coords) and (np.abs(coords[:, 0]).max() > 180 or np.abs(coords[:, 1]).max() > 90):
        add_problem(
            problems,
            label,
            "crs_mismatch",
            label=label,
            crs_name=raw.crs.name,
            largest=np.abs(coords).max(),
        )
        raw.gdf = None
