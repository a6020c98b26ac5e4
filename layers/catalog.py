"""The layers of one county: stored workspace layers, population cells and indicator gap layers.

Every layer is addressed by a name (the stored layer's name, ``population``, or the indicator
result's ``layer_name``) and returned in EPSG:4326 with its style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gis.errors import NotFoundError
from gis.indicators.life_circle import GAP_PREFIX as LIFE_CIRCLE_GAP_PREFIX
from gis.indicators.life_circle import REACH_LAYER as LIFE_CIRCLE_REACH_LAYER
from gis.projects import LAYER as PROJECTS_LAYER
from gis.projects import public_projects
from gis.result import IndicatorResult
from gis.workspace import OPTIONAL_LAYERS, REQUIRED_LAYERS, PopulationCells, Workspace
from layers.style import LayerStyle, gap_style, result_style, style_for

STORAGE_EPSG = 4326
POPULATION_LAYER = "population"
SITES_LAYER = "fitness_sites"
SITES_DETAIL = "suggested_sites"
BIG_LAYER_FEATURES = 2000
"""Layers with more features are big: served simplified (zoom 14) unless a zoom is given."""
BIG_LAYER_DEFAULT_ZOOM = 14
DEFAULT_HIDDEN = frozenset({"walk_nodes", "walk_edges", "landuse"})
"""Layers drawn only when switched on in the layer control (dense and rarely needed)."""
LIFE_CIRCLE_LAYER_PREFIXES = (LIFE_CIRCLE_GAP_PREFIX, LIFE_CIRCLE_REACH_LAYER)
"""The 15-minute life circle's layers (one gap layer per facility type and the types reached):
listed, and drawn when switched on (the 百城 gap layers are drawn at once)."""
PUBLIC_FLAG_LAYERS = frozenset({"disclosures", "projects"})
# Layers whose visitor rule is more than a flag column (rows and columns: see visible_rows).
FRAME_RULE_LAYERS = frozenset({"projects"})
"""Layers a visitor sees only in part: disclosures marked ``public``; passed projects, with
their public fields only (:func:`gis.projects.public_projects`).  The rest is for the county's
staff."""


@dataclass(frozen=True)
class LayerInfo:
    """What the layer list says about one layer."""

    name: str
    kind: str  # "stored", "population", "gap", "result" or "suggestion"
    title_zh: str
    title_en: str
    feature_count: int
    geometry_types: tuple[str, ...]
    provenance: str
    sample: bool
    style: LayerStyle
    indicator_id: str = ""
    shown: bool = True

    @property
    def big(self) -> bool:
        """Whether the layer is served simplified by default (see docs/api.md)."""
        return self.feature_count > BIG_LAYER_FEATURES

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the layer list."""
        return {
            "name": self.name,
            "kind": self.kind,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "feature_count": self.feature_count,
            "geometry_types": list(self.geometry_types),
            "provenance": self.provenance,
            "sample": self.sample,
            "indicator_id": self.indicator_id or None,
            "big": self.big,
            "default_zoom": BIG_LAYER_DEFAULT_ZOOM if self.big else None,
            "shown_by_default": self.shown,
            "style": self.style.to_dict(),
        }


def visible_rows(frame: gpd.GeoDataFrame, name: str, *, private: bool) -> gpd.GeoDataFrame:
    """The rows of layer ``name`` a viewer may see: the one rule every answer and page applies.

    ``private`` is true for a viewer allowed to see rows not marked public (the county's staff
    and administrators).  Everyone else sees, of a layer in :data:`PUBLIC_FLAG_LAYERS`, only the
    rows whose ``public`` is true (none when the column is missing), of ``projects`` the passed
    projects without contact or review details; other layers whole.

    >>> import geopandas as gpd
    >>> records = gpd.GeoDataFrame({"public": [True, False, None]}, geometry=[None] * 3)
    >>> len(visible_rows(records, "disclosures", private=False)), len(
    ...     visible_rows(records, "disclosures", private=True))
    (1, 3)
    >>> len(visible_rows(records.drop(columns="public"), "disclosures", private=False))
    0
    """
    if not private and name == PROJECTS_LAYER:
        return public_projects(frame)
    flags = required_flags(name, private=private)
    if not flags:
        return frame
    if any(f not in frame.columns for f in flags):
        return frame.iloc[0:0]
    keep = np.ones(len(frame), dtype=bool)
    for flag in flags:
        keep &= frame[flag].fillna(False).astype(bool).to_numpy()
    return frame[keep]


def required_flags(name: str, *, private: bool) -> tuple[str, ...]:
    """The boolean columns a row of layer ``name`` must have true for this viewer to see it.

    The rule :func:`visible_rows` applies, in a form a store can evaluate while reading a page
    (:class:`gis.store.query.FeatureQuery` ``flags``); a row whose column is missing or not
    true is not shown.

    >>> required_flags("disclosures", private=False), required_flags("disclosures", private=True)
    (('public',), ())
    >>> required_flags("roads", private=False)
    ()
    """
    if private or name not in PUBLIC_FLAG_LAYERS or name in FRAME_RULE_LAYERS:
        return ()
    return ("public",)


def needs_frame_rule(name: str, *, private: bool) -> bool:
    """Whether this viewer's rule for layer ``name`` needs the whole frame (not flags).

    The project library's visitors see passed projects with their public fields only
    (:func:`gis.projects.public_projects`): a store cannot apply that while reading a page.

    >>> needs_frame_rule("projects", private=False), needs_frame_rule("projects", private=True)
    (True, False)
    >>> needs_frame_rule("disclosures", private=False)
    False
    """
    return not private and name in FRAME_RULE_LAYERS


def stored_layer_names(ws: Workspace) -> list[str]:
    """Names of the workspace's layers in the documented order (required, then optional)."""
    order = [*REQUIRED_LAYERS, *OPTIONAL_LAYERS]
    return [n for n in order if n in ws.layers] + sorted(n for n in ws.layers if n not in order)


def population_frame(cells: PopulationCells, *, is_estimate: bool) -> gpd.GeoDataFrame:
    """Population cells as square polygons in EPSG:4326 with ``persons`` and ``persons_per_ha``.

    >>> from pyproj import CRS
    >>> cells = PopulationCells(np.array([500.0]), np.array([3_300_000.0]), np.array([250.0]),
    ...                         100.0, CRS.from_epsg(4544))
    >>> frame = population_frame(cells, is_estimate=True)
    >>> row = frame.iloc[0]
    >>> float(row["persons"]), float(row["persons_per_ha"]), bool(row["estimate"])
    (250.0, 250.0, True)
    """
    half = cells.cell_size_m / 2.0
    squares = shapely.box(cells.x_m - half, cells.y_m - half, cells.x_m + half, cells.y_m + half)
    cell_ha = cells.cell_size_m**2 / 10_000.0
    frame = gpd.GeoDataFrame(
        {
            "persons": np.round(cells.persons, 1),
            "persons_per_ha": np.round(cells.persons / cell_ha, 1),
            "estimate": np.full(len(cells.persons), is_estimate),
        },
        geometry=gpd.GeoSeries(squares, crs=cells.crs),
    )
    return frame.to_crs(STORAGE_EPSG)


def gap_layer_name(result: IndicatorResult) -> str:
    """The name a result's gap layer is served under."""
    return result.layer_name or f"{result.id}_gap"


def _is_sample(gdf: gpd.GeoDataFrame, provenance: str) -> bool:
    if provenance == "sample":
        return True
    if "sample" in gdf.columns and len(gdf):
        return bool(gdf["sample"].fillna(False).astype(bool).any())
    return False


def _geometry_types(gdf: gpd.GeoDataFrame) -> tuple[str, ...]:
    if not len(gdf) or gdf.geometry.name not in gdf:
        return ()
    return tuple(sorted({str(t) for t in gdf.geometry.geom_type.dropna().unique()}))


def _to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        return gdf.set_crs(STORAGE_EPSG)
    return gdf.to_crs(STORAGE_EPSG)


def _gap_results(results: Sequence[IndicatorResult]) -> dict[str, IndicatorResult]:
    out: dict[str, IndicatorResult] = {}
    for result in results:
        layer = result.layer
        if isinstance(layer, gpd.GeoDataFrame) and layer.geometry.name in layer.columns:
            out[gap_layer_name(result)] = result
    return out


def _sites_result(results: Sequence[IndicatorResult]) -> IndicatorResult | None:
    for result in results:
        if isinstance(result.details.get(SITES_DETAIL), list):
            return result
    return None


def site_frame(results: Sequence[IndicatorResult]) -> gpd.GeoDataFrame | None:
    """The fitness-site suggestions (``details["suggested_sites"]``) as points in EPSG:4326.

    ``None`` when no result carries suggestions.
    """
    result = _sites_result(results)
    if result is None:
        return None
    rows = [dict(site) for site in result.details[SITES_DETAIL]]
    points = [shapely.Point(float(r["lon"]), float(r["lat"])) for r in rows]
    keep = ("rank", "persons_added", "coverage_added_pct", "cumulative_added_pct", "method")
    data = {k: [r.get(k) for r in rows] for k in keep}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=STORAGE_EPSG))


def _population_is_estimate(ws: Workspace) -> bool:
    return bool(ws.metadata.get("population", {}).get("is_estimate", False))


def layer_frame(ws: Workspace, results: Sequence[IndicatorResult], name: str) -> gpd.GeoDataFrame:
    """The layer ``name`` of the county in EPSG:4326.

    Raises
    ------
    NotFoundError
        When the county has no such layer (the message lists the known ones).
    """
    if name in ws.layers:
        return _to_storage(ws.layers[name])
    if name == POPULATION_LAYER and ws.population is not None:
        return population_frame(ws.population, is_estimate=_population_is_estimate(ws))
    gaps = _gap_results(results)
    if name in gaps:
        return _to_storage(gaps[name].layer)
    sites = site_frame(results)
    if name == SITES_LAYER and sites is not None:
        return sites
    known = [info.name for info in build_catalog(ws, results, frames={})]
    msg = f"county {ws.county_id!r} has no layer {name!r}; known layers: {', '.join(known)}"
    raise NotFoundError(msg)


def build_catalog(
    ws: Workspace,
    results: Sequence[IndicatorResult],
    *,
    frames: dict[str, gpd.GeoDataFrame] | None = None,
) -> list[LayerInfo]:
    """Every layer of the county (stored, population, gap) with counts, provenance and style.

    ``frames`` may hold already-reprojected layers by name (only counts and types are read).
    """
    frames = frames or {}
    infos: list[LayerInfo] = []
    for name in stored_layer_names(ws):
        gdf = frames.get(name, ws.layers[name])
        style = style_for(name)
        provenance = ws.provenance(name)
        infos.append(
            LayerInfo(
                name,
                "stored",
                style.title_zh,
                style.title_en,
                len(gdf),
                _geometry_types(gdf),
                provenance,
                _is_sample(gdf, provenance),
                style,
                shown=name not in DEFAULT_HIDDEN,
            )
        )
    if ws.population is not None:
        style = style_for(POPULATION_LAYER)
        provenance = str(ws.metadata.get("population", {}).get("provenance", "unknown"))
        infos.append(
            LayerInfo(
                POPULATION_LAYER,
                "population",
                style.title_zh,
                style.title_en,
                len(ws.population.persons),
                ("Polygon",),
                provenance,
                False,
                style,
            )
        )
    for name, result in _gap_results(results).items():
        is_gap = name.startswith("gap_") or name.endswith("_gap")
        title_zh = f"缺口：{result.name_zh}" if is_gap else f"{result.name_zh}（计算范围）"
        title_en = f"Gap: {result.name_en}" if is_gap else f"{result.name_en} (counted area)"
        style = gap_style(title_zh, title_en) if is_gap else result_style(title_zh, title_en)
        infos.append(
            LayerInfo(
                name,
                "gap" if is_gap else "result",
                title_zh,
                title_en,
                len(result.layer),
                _geometry_types(result.layer),
                "computed",
                False,
                style,
                indicator_id=result.id,
                shown=not name.startswith(LIFE_CIRCLE_LAYER_PREFIXES),
            )
        )
    sites = site_frame(results)
    sites_result = _sites_result(results)
    if sites is not None and sites_result is not None:
        style = style_for(SITES_LAYER)
        infos.append(
            LayerInfo(
                SITES_LAYER,
                "suggestion",
                style.title_zh,
                style.title_en,
                len(sites),
                ("Point",) if len(sites) else (),
                "computed",
                False,
                style,
                indicator_id=sites_result.id,
            )
        )
    return infos
