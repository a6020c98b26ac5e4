"""The 15-minute life circle (15分钟生活圈 / 城市体检): walking coverage per facility type.

For each facility type :math:`k` of the catalogue (:mod:`gis.facility_types`) with walking
threshold :math:`T_k` (metres along the pedestrian network), a resident (population cell
:math:`c`, :math:`p_c` persons) is covered when the walk of the fitness circle's kernel
(:mod:`gis.indicators.fitness_coverage`: cell to the nearest point of its nearest street,
along the network, to a node within ``facility_snap_m`` of a facility) is at most
:math:`T_k`:

.. math::

    \\mathrm{coverage}_k = 100 \\cdot
        \\frac{\\sum_c p_c \\, [\\,w_k(c) \\le T_k\\,]}{\\sum_c p_c}

The network and the join of the cells to it are built once per county
(:func:`gis.indicators.fitness_coverage.join_cells`); each type is then one bounded
multi-source Dijkstra.  One more result counts, per cell, the types reached within their
thresholds (:math:`n(c)`), and reports the share of residents with :math:`n(c) = K` (all
types) and with :math:`n(c) \\ge k` for every :math:`k`.

Age groups: for children's (kindergarten, schools) and elderly facilities the persons are
the county's 0-14 or 60+ residents (census share x cell persons) when the county's age
structure is known.  The share is one number per county, so the *percentage* covered equals
the residents' percentage; the counts of children and elderly covered are the estimate it adds,
and the method says so.  These results form their own set: they do not enter the 百城 grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from geopandas.array import GeometryArray

from gis.facility_types import FACILITIES_LAYER, FacilityType
from gis.indicators._common import reason, require_all_metric
from gis.indicators._threads import one_at_a_time
from gis.indicators.fitness_coverage import (
    CellNetwork,
    _cells,
    cell_network,
    cell_squares,
    missing_input,
    network_coverage,
    uncovered_cells_layer,
)
from gis.result import IndicatorResult, Status, empty_layer, judged
from gis.settings import IndicatorSettings
from gis.workspace import PopulationCells

ID_PREFIX = "life_circle_"
GAP_PREFIX = "gap_life_circle_"
REACH_ID = "life_circle_all_types"
REACH_LAYER = "life_circle_types_reached"
UNIT = "%"
GROUP_NAMES = {
    "all": ("全体居民", "all residents"),
    "children": ("0-14岁儿童", "children aged 0-14"),
    "elderly": ("60岁及以上老年人", "residents aged 60 and over"),
}
NO_FACILITIES_NOTE = (
    "工作区内无此类设施（OpenStreetMap未标注或未上传），覆盖率为0",
    "no facility of this type in the workspace (none mapped in OpenStreetMap, none uploaded): "
    "coverage 0",
)
NO_LAYER_REASON = (
    "无数据：工作区没有生活圈设施图层（facilities）；重新导入（ingest）或上传该图层",
    "no data: the workspace has no facilities layer (ingested before the life circle); "
    "re-run the ingest or upload the facilities layer",
)


@dataclass(frozen=True)
class AgeStructure:
    """A county's census age shares (0-14 and 60+, fractions of all residents)."""

    children_share: float
    elderly_share: float
    source: str

    def share(self, group: str) -> float:
        """The share of ``group`` ("children", "elderly"; 1 for "all")."""
        return {"children": self.children_share, "elderly": self.elderly_share}.get(group, 1.0)


@dataclass(frozen=True)
class LifeCircle:
    """The set: one result per facility type, then the types-reached result."""

    results: list[IndicatorResult]
    age_structure: AgeStructure | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (results' gap layers are served separately)."""
        age = self.age_structure
        return {
            "indicators": [r.to_dict() for r in self.results],
            "age_structure": None
            if age is None
            else {
                "children_0_14_share": round(age.children_share, 6),
                "elderly_60_plus_share": round(age.elderly_share, 6),
                "source": age.source,
            },
            "notes": list(self.notes),
        }


FacilitySources = dict[str, tuple[np.ndarray, npt.NDArray[np.str_] | None]]
"""Per layer name: its non-empty geometries and (``facilities``) their ``facility_type``."""


def facility_sources(layers: Mapping[str, gpd.GeoDataFrame | None]) -> FacilitySources:
    """The facility layers as arrays, read once for every type (absent layers left out)."""
    out: FacilitySources = {}
    for name, frame in layers.items():
        if frame is None:
            continue
        geoms = np.asarray(frame.geometry.values, dtype=object)
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        types = None
        if name == FACILITIES_LAYER:
            column = (
                frame["facility_type"]
                if "facility_type" in frame.columns
                else np.full(len(frame), "")
            )
            types = np.asarray(column, dtype=object).astype(str)[keep]
        out[name] = (geoms[keep], types)
    return out


def facilities_of_type(facility: FacilityType, sources: FacilitySources) -> tuple[np.ndarray, bool]:
    """Geometries of ``facility`` from its layers, and whether any of those layers exists.

    From ``facilities`` the rows whose ``facility_type`` is the type's id; from any other
    layer named in the catalogue (``parks``, ``sports``) every row.

    >>> import geopandas as gpd, shapely
    >>> fac = gpd.GeoDataFrame({"facility_type": ["kindergarten", "market"]},
    ...                        geometry=[shapely.Point(0, 0), shapely.Point(5, 5)])
    >>> from gis.facility_types import LIFE_CIRCLE_TYPES
    >>> kindergarten = LIFE_CIRCLE_TYPES[1]
    >>> geoms, present = facilities_of_type(kindergarten, facility_sources({"facilities": fac}))
    >>> len(geoms), present
    (1, True)
    >>> facilities_of_type(kindergarten, facility_sources({"facilities": None}))[1]
    False
    """
    parts: list[np.ndarray] = []
    present = False
    for name in facility.layers:
        if name not in sources:
            continue
        present = True
        geoms, types = sources[name]
        parts.append(geoms if types is None else geoms[types == facility.type_id])
    geoms = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
    return geoms, present


@one_at_a_time
def compute_life_circle(
    walk_nodes: gpd.GeoDataFrame,
    walk_edges: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame | None],
    population: PopulationCells | None,
    built_up: gpd.GeoDataFrame | None = None,
    *,
    settings: IndicatorSettings,
    provenance: Mapping[str, str],
    age_structure: AgeStructure | None = None,
) -> LifeCircle:
    """Coverage of every life-circle type and the count of types reached per cell.

    Parameters
    ----------
    walk_nodes, walk_edges : geopandas.GeoDataFrame
        The pedestrian network (as for the fitness circle).  Metric CRS.
    layers : mapping
        ``facilities`` (with ``facility_type``), ``parks`` and ``sports``; ``None`` or
        missing when the workspace has no such layer.
    population : PopulationCells or None
        Persons per cell, same metric CRS.
    built_up : geopandas.GeoDataFrame, optional
        With ``settings.fitness_within_built_up``, only the cells touching it count.
    settings : IndicatorSettings
        ``life_circle`` (the catalogue with thresholds), ``facility_snap_m``.
    provenance : mapping
        Where each input came from (by layer name).
    age_structure : AgeStructure, optional
        The county's census age shares; without it children and elderly are not counted.

    Returns
    -------
    LifeCircle
        One :class:`IndicatorResult` per type (``value`` in % of the residents), then
        :data:`REACH_ID` (% of residents reaching every type with data).
    """
    crs = require_all_metric(
        {"walk_nodes": walk_nodes, "walk_edges": walk_edges, "built_up": built_up}
        | {k: v for k, v in layers.items() if v is not None}
    )
    notes = [_age_note(age_structure)]
    why = missing_input(walk_nodes, walk_edges, population, crs)
    if population is None or why is not None:
        return _all_missing(settings, crs, why or "", age_structure, notes)
    area = built_up if settings.fitness_within_built_up else None
    cells_xy, persons = _cells(population, area)
    if persons.sum() <= 0:
        return _all_missing(settings, crs, reason("no_residents"), age_structure, notes)
    net, _ = cell_network(walk_nodes, walk_edges, cells_xy)
    squares = cell_squares(cells_xy, population.cell_size_m)
    sources = facility_sources(layers)
    results, reached = [], []
    for facility in settings.life_circle:
        result, covered = _type_result(
            facility,
            net,
            sources,
            (cells_xy, persons, squares),
            population.cell_size_m,
            settings=settings,
            crs=crs,
            provenance=provenance,
            age=age_structure,
        )
        results.append(result)
        if covered is not None:
            reached.append(covered)
    results.append(_reach_result(reached, results, (squares, persons), settings, crs))
    return LifeCircle(results, age_structure, notes)


def _all_missing(
    settings: IndicatorSettings,
    crs: Any,
    why: str,
    age_structure: AgeStructure | None,
    notes: list[str],
) -> LifeCircle:
    """Every result ``not_computable`` for the same reason."""
    results = [
        _result(t, None, settings, crs, status="not_computable", reason_text=why)
        for t in settings.life_circle
    ]
    results.append(_reach_missing(settings, crs, why))
    return LifeCircle(results, age_structure, notes)


def _age_note(age: AgeStructure | None) -> str:
    if age is None:
        return (
            "无县级年龄结构（示范区不在河南，或无普查数据）：儿童、老年设施按全体居民计，未加权 | "
            "no county age structure (the demonstration area is not in Henan, or no census "
            "row): children's and elderly facilities are counted over all residents, unweighted"
        )
    return (
        f"儿童（0-14岁）占{100 * age.children_share:.2f}%，老年人（60岁及以上）占"
        f"{100 * age.elderly_share:.2f}%（{age.source}）；比例全县统一，覆盖百分比与全体居民相同，"
        "人数为估算 | children (0-14) are "
        f"{100 * age.children_share:.2f} %, residents 60+ {100 * age.elderly_share:.2f} % "
        f"({age.source}); one share per county, so the percentage covered equals the residents' "
        "and the counts of children and elderly are estimates"
    )


def result_id(facility: FacilityType) -> str:
    """The result id of a type (``life_circle_<type_id>``)."""
    return f"{ID_PREFIX}{facility.type_id}"


def _names(facility: FacilityType, threshold_m: float) -> tuple[str, str]:
    zh = f"{facility.name_zh}步行{facility.tier_min}分钟覆盖率（{threshold_m:g}米）"
    en = f"{facility.name_en} within a {facility.tier_min}-minute walk ({threshold_m:g} m)"
    return zh, en


def _result(
    facility: FacilityType,
    value: float | None,
    settings: IndicatorSettings,
    crs: Any,
    *,
    status: Status = "ok",
    reason_text: str = "",
    layer: gpd.GeoDataFrame | None = None,
    details: dict[str, Any] | None = None,
    provenance: Mapping[str, str] | None = None,
) -> IndicatorResult:
    threshold = settings.life_circle_threshold_m(facility)
    name_zh, name_en = _names(facility, threshold)
    return IndicatorResult(
        id=result_id(facility),
        name_zh=name_zh,
        name_en=name_en,
        value=value,
        unit=UNIT,
        target=facility.target_pct,
        target_year=settings.target_year(),
        passed=None if value is None else judged(value, facility.target_pct),
        status=status,
        layer=empty_layer(crs) if layer is None else layer,
        layer_name=f"{GAP_PREFIX}{facility.type_id}",
        reason=reason_text,
        parameters={
            "facility_type": facility.type_id,
            "threshold_m": round(threshold, 3),
            "tier_min": facility.tier_min,
            "facility_snap_m": settings.facility_snap_m,
            "within_built_up": settings.fitness_within_built_up,
            "osm_tags": facility.osm_tags,
            "source": facility.source,
            "group": facility.group,
        },
        provenance=dict(provenance or {}),
        details=details or {},
    )


def _type_result(
    facility: FacilityType,
    net: CellNetwork,
    sources: FacilitySources,
    cells: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], np.ndarray],
    cell_m: float,
    *,
    settings: IndicatorSettings,
    crs: Any,
    provenance: Mapping[str, str],
    age: AgeStructure | None,
) -> tuple[IndicatorResult, npt.NDArray[np.bool_] | None]:
    """One type's result and its covered cells (``None`` when the type has no data)."""
    cells_xy, persons, squares = cells
    prov = {n: provenance.get(n, "absent") for n in (*facility.layers, "walk_edges", "population")}
    geoms, present = facilities_of_type(facility, sources)
    if not present:
        return _result(
            facility,
            None,
            settings,
            crs,
            status="no_data",
            reason_text=" | ".join(NO_LAYER_REASON),
            provenance=prov,
        ), None
    threshold = settings.life_circle_threshold_m(facility)
    arrays = network_coverage(net, geoms, max_walk_m=threshold, snap_m=settings.facility_snap_m)
    covered_persons = float(persons[arrays.covered].sum())
    total = float(persons.sum())
    details = {
        "population_total": round(total, 2),
        "population_covered": round(covered_persons, 2),
        "coverage_fraction": round(covered_persons / total, 6),
        "cells": len(persons),
        "cells_uncovered": int((~arrays.covered).sum()),
        "facilities": len(geoms),
        "facility_entry_nodes": arrays.facility_nodes,
        "group": _group_details(facility, covered_persons, total, age),
    }
    if len(geoms) == 0:
        details["note"] = " | ".join(NO_FACILITIES_NOTE)
    layer = uncovered_cells_layer(cells_xy, persons, arrays, cell_m, crs, squares)
    layer.insert(0, "facility_type", facility.type_id)  # the row says which gap it is
    value = 100.0 * covered_persons / total
    return _result(
        facility, value, settings, crs, layer=layer, details=details, provenance=prov
    ), arrays.covered


def _group_details(
    facility: FacilityType, covered: float, total: float, age: AgeStructure | None
) -> dict[str, Any]:
    """Who the type serves and, with an age structure, how many of them are covered."""
    zh, en = GROUP_NAMES[facility.group]
    out: dict[str, Any] = {"group": facility.group, "name_zh": zh, "name_en": en}
    if facility.group == "all":
        out["method"] = "all residents (population cells)"
        return out
    if age is None:
        out["method"] = (
            "unweighted: no county age structure (e.g. the demonstration area, not in Henan); "
            "all residents counted"
        )
        return out
    share = age.share(facility.group)
    out |= {
        "share": round(share, 6),
        "persons_total": round(total * share, 1),
        "persons_covered": round(covered * share, 1),
        "method": f"weighted: cell persons x county census share of {en} ({age.source}); "
        "the percentage equals the residents' (one share per county), the counts are estimates",
    }
    return out


def _reach_missing(settings: IndicatorSettings, crs: Any, why: str) -> IndicatorResult:
    return _reach(None, settings, crs, empty_layer(crs), {}, status="not_computable", why=why)


def _reach(
    value: float | None,
    settings: IndicatorSettings,
    crs: Any,
    layer: gpd.GeoDataFrame,
    details: dict[str, Any],
    *,
    status: Status = "ok",
    why: str = "",
) -> IndicatorResult:
    return IndicatorResult(
        id=REACH_ID,
        name_zh="15分钟生活圈设施全部可达的居民比例",
        name_en="Residents reaching every life-circle facility type",
        value=value,
        unit=UNIT,
        target=100.0,
        target_year=settings.target_year(),
        passed=None if value is None else judged(value, 100.0),
        status=status,
        layer=layer,
        layer_name=REACH_LAYER,
        reason=why,
        parameters={"types": [t.type_id for t in settings.life_circle]},
        provenance={},
        details=details,
    )


def _reach_result(
    reached: list[npt.NDArray[np.bool_]],
    results: list[IndicatorResult],
    cells: tuple[np.ndarray, npt.NDArray[np.float64]],
    settings: IndicatorSettings,
    crs: Any,
) -> IndicatorResult:
    """Per cell the number of types reached; the share reaching all and at least ``k``."""
    squares, persons = cells
    counted = [r.parameters["facility_type"] for r in results if r.value is not None]
    if not reached:
        return _reach_missing(settings, crs, " | ".join(NO_LAYER_REASON))
    matrix = np.vstack(reached)
    count = matrix.sum(axis=0).astype(np.int64)
    total = float(persons.sum())
    k_types = len(reached)
    at_least = {
        str(k): round(100.0 * float(persons[count >= k].sum()) / total, 4)
        for k in range(k_types + 1)
    }
    layer = gpd.GeoDataFrame(
        {
            "persons": np.round(persons, 3),
            "types_reached": count,
            "types_counted": np.full(len(count), k_types),
            "missing": _missing_names(matrix, counted),
            "geometry": GeometryArray(squares, crs=crs),
        },
        geometry="geometry",
    )
    details = {
        "types_counted": counted,
        "types_without_data": [r.parameters["facility_type"] for r in results if r.value is None],
        "at_least_pct": at_least,
        "population_total": round(total, 2),
        "mean_types_reached": round(float((count * persons).sum() / total), 4),
    }
    return _reach(at_least[str(k_types)], settings, crs, layer, details)


def _missing_names(reached: npt.NDArray[np.bool_], names: list[str]) -> np.ndarray:
    """Per cell (column) the comma-joined names of the types not reached (one text per pattern).

    >>> _missing_names(np.array([[True, False, False], [True, True, False]]), ["a", "b"])
    array(['', 'a', 'a,b'], dtype=object)
    """
    bits = np.left_shift(1, np.arange(len(names), dtype=np.int64))
    codes, inverse = np.unique(bits @ reached.astype(np.int64), return_inverse=True)
    texts = np.array(
        [",".join(n for n, bit in zip(names, bits, strict=True) if not c & bit) for c in codes],
        dtype=object,
    )
    out: np.ndarray = texts[np.asarray(inverse).reshape(-1)]
    return out
