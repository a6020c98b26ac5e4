"""Planning coverage: regulatory detailed plans (控规) and urban designs of key areas.

* 控制性详细规划覆盖率 (%) = union of the **approved** plan units ∩ built-up area
  ÷ built-up area.  Units with another status (draft, in review, …) do not count.
* 重点地区城市设计覆盖率 (%) = union of the approved or completed urban designs ∩
  key areas ÷ key areas.

A county without the layer gets ``no_data`` (never 0 % or 100 %).  The gap
layer is the uncovered part of the built-up area (or key areas).  Layers made up
for a demonstration (``sample = true``) are named in the provenance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd

from gis.indicators._common import (
    LAYER_NAMES_ZH,
    dissolve,
    has_sample,
    make_result,
    missing_result,
    parts_layer,
    reason,
    require_all_metric,
)
from gis.indicators._threads import one_at_a_time
from gis.result import IndicatorResult
from gis.settings import APPROVED_PLAN_STATUSES, COMPLETED_DESIGN_STATUSES, IndicatorSettings


@one_at_a_time
def compute_regulatory_plan_coverage(
    plans: gpd.GeoDataFrame | None,
    built_up: gpd.GeoDataFrame,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
    metric_crs: Any = None,
) -> IndicatorResult:
    """Share of the built-up area covered by approved regulatory plan units, in %.

    Examples
    --------
    An approved unit over the west half and a draft over the east half: 50 %.

    >>> from shapely.geometry import box
    >>> from gis.settings import IndicatorSettings
    >>> bu = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=4547)
    >>> pl = gpd.GeoDataFrame({"status": ["Approved", "draft"]},
    ...                       geometry=[box(0, 0, 500, 1000), box(500, 0, 1000, 1000)], crs=4547)
    >>> compute_regulatory_plan_coverage(pl, bu, settings=IndicatorSettings(), provenance={}).value
    50.0
    >>> compute_regulatory_plan_coverage(None, bu, settings=IndicatorSettings(),
    ...                                  provenance={}).status
    'no_data'
    """
    return _coverage(
        "regulatory_plan_coverage",
        plans,
        built_up,
        "plans",
        "built_up",
        APPROVED_PLAN_STATUSES,
        settings.targets.plan_coverage_pct,
        "gap_plan_uncovered_built_up",
        settings=settings,
        provenance=provenance,
        metric_crs=metric_crs,
    )


@one_at_a_time
def compute_urban_design_coverage(
    urban_designs: gpd.GeoDataFrame | None,
    key_areas: gpd.GeoDataFrame | None,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
    metric_crs: Any = None,
) -> IndicatorResult:
    """Share of the key areas covered by approved or completed urban designs, in %.

    ``metric_crs`` (the workspace's GK zone) is the CRS of the empty gap layer
    when the county has neither layer: the result is then ``no_data``.

    Examples
    --------
    >>> from gis.settings import IndicatorSettings
    >>> r = compute_urban_design_coverage(None, None, settings=IndicatorSettings(),
    ...                                   provenance={}, metric_crs="EPSG:4547")
    >>> r.status, r.value, r.layer.crs.to_epsg()
    ('no_data', None, 4547)
    """
    return _coverage(
        "urban_design_coverage",
        urban_designs,
        key_areas,
        "urban_designs",
        "key_areas",
        COMPLETED_DESIGN_STATUSES,
        settings.targets.urban_design_coverage_pct,
        "gap_design_uncovered_key_areas",
        settings=settings,
        provenance=provenance,
        metric_crs=metric_crs,
    )


def _coverage(
    ident: str,
    cover: gpd.GeoDataFrame | None,
    base_layer: gpd.GeoDataFrame | None,
    cover_name: str,
    base_name: str,
    statuses: Iterable[str],
    target: float,
    layer_name: str,
    *,
    settings: IndicatorSettings,
    provenance: dict[str, str],
    metric_crs: Any,
) -> IndicatorResult:
    """Area of ``base_layer`` covered by counted features of ``cover``, in %."""
    layers = {cover_name: cover, base_name: base_layer}
    crs = require_all_metric(layers, metric_crs=metric_crs)
    counted_statuses = sorted(statuses)
    prov = dict(provenance)
    prov.update({name: "sample" for name, gdf in layers.items() if has_sample(gdf)})
    params = {"counted_statuses": counted_statuses}
    common: dict[str, Any] = {
        "unit": "%",
        "target": target,
        "settings": settings,
        "layer_name": layer_name,
        "parameters": params,
        "provenance": prov,
    }
    missing = _missing(cover, base_layer, cover_name, base_name)
    if missing:
        return missing_result(ident, missing[0], missing[1], crs=crs, **common)
    assert cover is not None and base_layer is not None  # narrowed by _missing
    area = dissolve(base_layer)
    counted = _counted(cover, counted_statuses)
    covered = dissolve(counted).intersection(area)
    details = {
        f"{base_name}_area_m2": round(area.area, 2),
        "covered_area_m2": round(covered.area, 2),
        "units_total": len(cover),
        "units_counted": len(counted),
        "units_not_counted_by_status": _status_counts(cover.drop(index=counted.index)),
        "sample_data": any(v == "sample" for v in prov.values()),
    }
    gap = parts_layer(area.difference(covered), crs)
    return make_result(
        ident, 100.0 * covered.area / area.area, layer=gap, details=details, **common
    )


def _missing(
    cover: gpd.GeoDataFrame | None,
    base_layer: gpd.GeoDataFrame | None,
    cover_name: str,
    base_name: str,
) -> tuple[Any, str] | None:
    """``(status, reason)`` when a layer is absent or empty, else ``None``."""
    if base_layer is None or len(base_layer) == 0 or dissolve(base_layer).area <= 0:
        if base_name == "built_up":
            return "not_computable", reason("built_up_empty")
        return "no_data", reason("no_layer", layer=base_name, layer_zh=LAYER_NAMES_ZH[base_name])
    if cover is None or len(cover) == 0:
        return "no_data", reason(
            "no_status_layer", layer=cover_name, layer_zh=LAYER_NAMES_ZH[cover_name]
        )
    return None


def _counted(cover: gpd.GeoDataFrame, statuses: list[str]) -> gpd.GeoDataFrame:
    """Features whose ``status`` (case-insensitive, trimmed) is one of ``statuses``."""
    if "status" not in cover.columns:
        return cover.iloc[0:0]
    status = cover["status"].fillna("").astype(str).str.strip().str.lower()
    return cover[status.isin({s.lower() for s in statuses}).to_numpy()]


def _status_counts(rest: gpd.GeoDataFrame) -> dict[str, int]:
    """How many units were left out, by status."""
    if len(rest) == 0:
        return {}
    if "status" not in rest.columns:
        return {"(no status column)": len(rest)}
    counts = rest["status"].fillna("(empty)").astype(str).value_counts()
    return {str(k): int(v) for k, v in counts.items()}
