"""CRS and geometry checks: the declared/file CRS, geographic ranges, geometry types, repair of
invalid geometries, features outside the county, reprojection to the storage CRS.
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
        problems.add(
            label,
            f"{label}: {int(missing.sum())} feature(s) have no geometry (rows {rows}); "
            "delete them or draw their shapes",
            f"{label}：{int(missing.sum())} 个要素没有几何图形（第 {rows} 行）；请删除或补绘",
            "missing_geometry",
        )
    present = geoms[~missing]
    not_finite = ~np.array([_finite(g) for g in present.to_numpy()], dtype=bool)
    if not_finite.any():
        rows = ", ".join(
            str(i + 1) for i in np.flatnonzero(~missing.to_numpy())[not_finite][:MAX_EXAMPLES]
        )
        problems.add(
            label,
            f"{label}: {int(not_finite.sum())} feature(s) have coordinates that are not numbers "
            f"(NaN or infinite; rows {rows}); the file is damaged, export it again",
            f"{label}：{int(not_finite.sum())} 个要素的坐标不是有效数字（第 {rows} 行）；"
            "文件已损坏，请重新导出",
            "bad_coordinates",
        )
    types = present.geom_type
    wrong = ~types.isin(schema.geometry)
    if wrong.any():
        found = ", ".join(sorted(set(types[wrong])))
        problems.add(
            label,
            f"{label}: {int(wrong.sum())} feature(s) are {found}, but {schema.label_en} must be "
            f"{schema.geometry_text}; export the right layer or convert the geometry",
            f"{label}：{int(wrong.sum())} 个要素为 {found}，而{schema.label_zh}应为"
            f"{_geometry_zh(schema)}；请导出正确的图层或转换几何类型",
            "wrong_geometry_type",
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
        problems.add(
            label,
            f"{label}: {len(collapsed)} invalid geometr(y/ies) have nothing left of the right "
            f"kind after repair (rows {rows}), e.g. a polygon without area; fix or delete them",
            f"{label}：{len(collapsed)} 个无效几何修复后不再是有效的{_geometry_zh(schema)}"
            f"（第 {rows} 行），如没有面积的多边形；请修正或删除",
            "degenerate_geometry",
        )
    repaired = geoms.copy()
    repaired.loc[invalid] = np.array(
        [g if g is not None else shapely.GeometryCollection() for g in fixed], dtype=object
    )
    return repaired, int(invalid.sum())


def _geometry_zh(schema: LayerSchema) -> str:
    parts = []
    if schema.geometry & POLYGONS:
        parts.append("面")
    if schema.geometry & LINES:
        parts.append("线")
    if schema.geometry & POINTS:
        parts.append("点")
    return "或".join(parts)


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
        problems.add(
            label,
            f"{label}: coordinates do not convert to longitude/latitude; the CRS is wrong. "
            f"Check the .prj or the declared EPSG code{'; ' + hint if hint else ''}",
            f"{label}：坐标无法转换为经纬度，坐标系有误；请检查 .prj 或填写的 EPSG 代码"
            f"{'（' + hint + '）' if hint else ''}",
            "bad_coordinates",
        )
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
    extra_en = (
        f" Hint: {hint}."
        if hint
        else (" If the data comes from Amap/Baidu, declare GCJ-02/BD-09; otherwise check the CRS.")
    )
    problems.add(
        label,
        f"{label}: {int(outside.sum())} of {len(geoms)} feature(s) lie outside the county "
        f"(rows {rows}); data bounds lon {b[0]:.4f}–{b[2]:.4f}, lat {b[1]:.4f}–{b[3]:.4f}, county "
        f"lon {county_b[0]:.4f}–{county_b[2]:.4f}, lat "
        f"{county_b[1]:.4f}–{county_b[3]:.4f}.{extra_en}",
        f"{label}：{int(outside.sum())}/{len(geoms)} 个要素位于本县范围之外（第 {rows} 行）；"
        "请检查坐标系（带号、EPSG 代码），高德/百度数据请声明 GCJ-02/BD-09",
        "outside_county",
    )


def to_storage(
    geoms: gpd.GeoSeries, label: str, problems: ProblemCollector
) -> gpd.GeoSeries | None:
    """``geoms`` in EPSG:4326, or ``None`` (and a problem) when the CRS cannot be converted."""
    try:
        with np.errstate(all="ignore"):
            return geoms.to_crs(STORAGE_EPSG)
    except (ProjError, CRSError, ValueError) as exc:
        problems.add(
            label,
            f"{label}: the coordinate system {geoms.crs.name!r} cannot be converted to "
            f"longitude/latitude ({str(exc)[:80]}); type the EPSG code in the form (e.g. 4544)",
            f"{label}：坐标系 {geoms.crs.name!r} 无法转换为经纬度；"
            "请在表单中填写 EPSG 代码（如 4544）",
            "unknown_crs",
        )
        return None


def crs_from_file(
    raw: RawUpload, options: UploadOptions, label: str, problems: ProblemCollector
) -> None:
    if raw.gdf is None:
        return
    raw.crs, raw.crs_source = raw.gdf.crs, "file" if raw.gdf.crs is not None else ""
    if raw.crs is None and not options.declared_crs:
        problems.add(
            label,
            f"{label}: the layer has no coordinate system; type the EPSG code in the form (e.g. "
            "4490, 4544)",
            f"{label}：图层没有坐标系；请在表单中填写 EPSG 代码（如 4490、4544）",
            "no_crs",
        )


def apply_crs(
    raw: RawUpload, options: UploadOptions, label: str, problems: ProblemCollector
) -> None:
    """Apply the declared CRS and coordinate system; convert GCJ-02/BD-09 to WGS84."""
    assert raw.gdf is not None
    if options.declared_crs:
        declared = parse_declared_crs(options.declared_crs)
        if declared is None:
            problems.add(
                label,
                f"{label}: the declared coordinate system {options.declared_crs!r} is not an EPSG "
                "code "
                "or known name; type e.g. 4490, 4326, 4544 or 4523",
                f"{label}：填写的坐标系 {options.declared_crs!r} 不是有效的 EPSG 代码；请填写如 "
                "4490、4326、4544、4523",
                "bad_declared_crs",
            )
            return
        if raw.crs is not None and not raw.crs.equals(declared, ignore_axis_order=True):
            raw.note(
                label,
                "declared_crs_used",
                f"{label}: the file says {raw.crs.name}; the declared EPSG:{declared.to_epsg()} "
                "was used",
                f"{label}：文件坐标系为 {raw.crs.name}，已按填写的 EPSG:{declared.to_epsg()} 处理",
            )
        raw.crs, raw.crs_source = declared, "declared"
    if raw.crs is None:
        return
    raw.gdf = raw.gdf.set_crs(raw.crs, allow_override=True)
    _check_geographic_range(raw, label, problems)
    system = normalise_coord_system(options.coord_system)
    if system is None:
        problems.add(
            label,
            f"{label}: unknown coordinate system {options.coord_system!r}; choose WGS84/CGCS2000, "
            "GCJ-02 or BD-09",
            f"{label}：未知的坐标系 {options.coord_system!r}；请选择 WGS84/CGCS2000、GCJ-02 或 "
            "BD-09",
            "bad_coord_system",
        )
        return
    if system == "wgs84":
        return
    if not raw.crs.is_geographic:
        problems.add(
            label,
            f"{label}: {system.upper()} applies to longitude/latitude, but the file is in "
            f"{raw.crs.name}; "
            "declare GCJ-02/BD-09 only for Amap/Baidu longitude/latitude data",
            f"{label}：{system.upper()} 仅适用于经纬度数据，而文件坐标系为 {raw.crs.name}；"
            "只有高德/百度经纬度数据才需声明",
            "bad_coord_system",
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
    raw.note(
        label,
        "converted",
        f"{label}: converted from {system.upper()} to WGS84",
        f"{label}：已从 {system.upper()} 转换为 WGS84",
    )


def _check_geographic_range(raw: RawUpload, label: str, problems: ProblemCollector) -> None:
    assert raw.gdf is not None and raw.crs is not None
    if not raw.crs.is_geographic or raw.gdf.empty:
        return
    coords = shapely.get_coordinates(raw.gdf.geometry.dropna().to_numpy())
    if len(coords) and (np.abs(coords[:, 0]).max() > 180 or np.abs(coords[:, 1]).max() > 90):
        problems.add(
            label,
            f"{label}: the CRS is longitude/latitude ({raw.crs.name}) but the coordinates are up "
            "to "
            f"{np.abs(coords).max():,.0f}: they are projected metres. Type the EPSG code of the "
            "projection in the form (e.g. 4544, or 4523 when x starts with the zone number 35)",
            f"{label}：坐标系为经纬度，但坐标值达 {np.abs(coords).max():,.0f}，应为投影坐标（米）；"
            "请在表单中填写投影的 EPSG 代码（如 4544；x 以带号 35 开头时为 4523）",
            "crs_mismatch",
        )
        raw.gdf = None
