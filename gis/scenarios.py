"""What-if scenarios (情景模拟): a planner's edits applied to a copy, indicators before → after.

A scenario is a list of :class:`Edit` objects, each with an ``op`` and a ``layer``:

* ``add`` a facility (a point, or a polygon for a large one) to a facility layer, with its
  ``facility_type`` (``sports`` + ``pitch``, ``parking`` + ``parking`` with ``spaces``, or any
  other facility layer of the workspace: a new layer name or type needs no new code here);
* ``move`` or ``delete`` a facility of a layer: ``feature`` is its 0-based row in the stored
  layer, ``original`` (optional) its stored geometry, checked so an edit made on an older
  version of the layer is refused rather than applied to another feature;
* ``add`` to ``parks`` (a drawn polygon) or ``roads`` (a drawn centre line, ``road_class``);
* ``population``: the persons of the population cells inside a polygon set to ``persons``
  (spread in proportion to the cells' persons, evenly over new cells where there are none) or
  multiplied by ``factor``; the county's urban population (城区人口) changes by the same amount.

Adds go through :func:`gis.projection.apply_projects` (the rules of the projected
indicators: a park joins ``parks`` and ``green_space``, a road joins ``roads`` and the
walking network at its ends, a sports facility joins ``sports``, parking adds spaces), so
there is one way to apply a change.  The stored layers are never changed.

:func:`evaluate` recomputes only the indicators whose inputs an edit touched
(:data:`INDICATOR_INPUTS`) with the same compute functions as :func:`gis.indicators.compute_all`,
keeps the others from the current results, grades both and ranks the county among the
province's results before and after.  Rules: docs/scenarios.md.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from gis import county_data
from gis.assessment import DEFAULT_RULES, Assessment, AssessmentRules, assess
from gis.crs import require_metric
from gis.errors import Problem, ValidationError
from gis.facility_types import FACILITIES_LAYER
from gis.indicators import (
    _housing,
    _prov,
    compute_all,
    compute_fitness_15min_coverage,
    compute_green_space_ratio,
    compute_park_green_per_capita,
    compute_park_service_coverage,
    compute_parking_per_100_cars,
    compute_road_density,
    urban_population,
)
from gis.indicators._common import dissolve
from gis.indicators._grow import remember
from gis.indicators._threads import one_at_a_time
from gis.indicators.life_circle import LifeCircle
from gis.indicators.parks import public_parks
from gis.indicators.road_density import remember_roads
from gis.life_circle_report import age_structure, life_circle_of
from gis.projection import (
    PARKING_LAYER,
    ROAD_CLASS_HIGHWAY,
    IndicatorChange,
    apply_projects,
    layer_totals,
)
from gis.ranking import rank_year
from gis.result import IndicatorResult
from gis.settings import IndicatorSettings
from gis.workspace import PopulationCells, Workspace

OPS = ("add", "move", "delete", "population")
POPULATION = "population"
PROJECT_CATEGORY: dict[str, str] = {
    "parks": "公园绿地",
    "roads": "道路",
    "sports": "体育",
    PARKING_LAYER: "停车",
}
"""Layers whose adds are applied by :func:`gis.projection.apply_projects` (its category)."""
TYPE_COLUMN: dict[str, str] = {"sports": "leisure", PARKING_LAYER: "amenity"}
"""The column holding a facility's type (OSM's key); other layers use ``facility_type``."""
NOT_FACILITY_LAYERS = frozenset(
    {
        "boundary",
        "built_up",
        "walk_nodes",
        "walk_edges",
        "green_space",
        "residential",
        "landuse",
        "plans",
        "key_areas",
        "urban_designs",
        "disclosures",
        "projects",
        "sewer_pipes",
    }
)
"""Layers that hold no facilities: an edit may not add, move or delete their features."""
DRAWN_ONLY = frozenset({"parks", "roads"})  # drawn (added), not moved or deleted here
LAYER_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
BOUNDARY_TOLERANCE_M = 1000.0
"""An edit must lie within this distance of the county boundary."""
ORIGINAL_TOLERANCE_M = 1.0
MAX_EDITS = 200
MAX_PERSONS = 5_000_000.0
MAX_FACTOR = 100.0
LABEL_ZH = "情景模拟（估算）"
LABEL_EN = "what-if scenario (estimate)"

INDICATOR_INPUTS: dict[str, frozenset[str]] = {
    "road_density": frozenset({"roads", "built_up"}),
    "fitness_15min_coverage": frozenset(
        {"walk_nodes", "walk_edges", "sports", POPULATION, "built_up"}
    ),
    "park_green_per_capita": frozenset({"parks", "built_up", POPULATION}),
    "green_space_ratio": frozenset({"green_space", "parks", "built_up"}),
    "park_service_coverage": frozenset({"parks", "residential", "built_up"}),
    "parking_per_100_cars": frozenset({PARKING_LAYER, "built_up"}),
}
"""What each indicator reads that an edit can change (the others read nothing edits change)."""
LIFE_CIRCLE_INPUTS = frozenset(
    {FACILITIES_LAYER, "parks", "sports", "walk_nodes", "walk_edges", POPULATION, "built_up"}
)
"""What the 15-minute life circle (:mod:`gis.indicators.life_circle`) reads."""
_KNOWN_INPUTS = frozenset().union(*INDICATOR_INPUTS.values(), {FACILITIES_LAYER})
LIFE_CIRCLE_LABEL_ZH = "15分钟生活圈（城市体检，不计入百城等级）"
LIFE_CIRCLE_LABEL_EN = "15-minute life circle (city check-up; not part of the 百城 grade)"


# --------------------------------------------------------------------------- the edit model


@dataclass(frozen=True)
class Edit:
    """One change of a scenario (see the module docstring); geometries in EPSG:4326."""

    edit_id: str
    op: str
    layer: str
    geometry: BaseGeometry | None = None
    name: str = ""
    facility_type: str = ""
    feature: int | None = None
    original: BaseGeometry | None = None
    road_class: str = "branch"
    spaces: int | None = None
    persons: float | None = None
    factor: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object it was parsed from (GeoJSON geometries, empty fields left out)."""
        out: dict[str, Any] = {"id": self.edit_id, "op": self.op, "layer": self.layer}
        for key, value in (
            ("name", self.name),
            ("facility_type", self.facility_type),
            ("feature", self.feature),
            ("spaces", self.spaces),
            ("persons", self.persons),
            ("factor", self.factor),
        ):
            if value not in (None, ""):
                out[key] = value
        if self.layer == "roads":
            out["road_class"] = self.road_class
        if self.geometry is not None:
            out["geometry"] = mapping(self.geometry)
        if self.original is not None:
            out["original"] = mapping(self.original)
        return out


def parse_edits(items: Any) -> list[Edit]:
    """Edits from their JSON objects; every problem of every edit is raised at once.

    Raises
    ------
    gis.errors.ValidationError
        Not a list, too many edits, an unknown op or layer, a missing or wrong geometry,
        lon/lat out of range, a bad number; ``problems`` names the edit of each.

    Examples
    --------
    >>> e = parse_edits([{"op": "add", "layer": "sports", "facility_type": "pitch",
    ...                   "geometry": {"type": "Point", "coordinates": [104.05, 30.75]}}])
    >>> e[0].edit_id, e[0].op, e[0].layer, e[0].facility_type, e[0].geometry.geom_type
    ('e1', 'add', 'sports', 'pitch', 'Point')
    >>> try:
    ...     parse_edits([{"op": "paint", "layer": "sports"}])
    ... except ValidationError as exc:
    ...     print(exc.problems[0].code)
    unknown_op
    """
    if not isinstance(items, list):
        msg = "情景的编辑应为列表 | a scenario's edits must be a JSON list of edit objects"
        raise ValidationError(msg)
    if len(items) > MAX_EDITS:
        msg = (
            f"一个情景最多 {MAX_EDITS} 项编辑 | a scenario holds at most {MAX_EDITS} edits, "
            f"got {len(items)}"
        )
        raise ValidationError(msg)
    problems: list[Problem] = []
    edits: list[Edit] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        edit, found = _parse_one(item, i, seen)
        problems += found
        if edit is not None:
            edits.append(edit)
            seen.add(edit.edit_id)
    _raise(problems)
    return edits


def _raise(problems: Sequence[Problem]) -> None:
    if problems:
        zh = f"情景编辑有 {len(problems)} 个问题：" + "；".join(p.message_zh for p in problems)
        en = f"scenario edits: {len(problems)} problem(s): " + "; ".join(
            p.message_en for p in problems
        )
        raise ValidationError(f"{zh} | {en}", problems)


def _problem(source: str, en: str, zh: str, code: str) -> Problem:
    return Problem(source, en, zh, code)


def _parse_one(item: Any, i: int, seen: set[str]) -> tuple[Edit | None, list[Problem]]:
    """One edit, or the problems that stop it."""
    source = f"edit {i + 1}"
    if not isinstance(item, Mapping):
        return None, [_problem(source, "an edit must be a JSON object", "编辑应为对象", "bad_edit")]
    edit_id = str(item.get("id") or f"e{i + 1}").strip()[:40]
    source = f"edit {edit_id}"
    problems: list[Problem] = []
    if edit_id in seen:
        problems.append(_problem(source, "its id is repeated", "编辑编号重复", "repeated_id"))
    op = str(item.get("op") or "").strip()
    layer = POPULATION if op == POPULATION else str(item.get("layer") or "").strip()
    if op not in OPS:
        problems.append(
            _problem(
                source,
                f"op {op!r} is not one of {', '.join(OPS)}",
                f"操作“{op}”不在 {'、'.join(OPS)} 之中",
                "unknown_op",
            )
        )
        return None, problems
    problems += _layer_problems(source, op, layer)
    known = len(problems)
    geometry, original = _geometry(item, "geometry", source, problems), None
    bad_geometry = len(problems) > known
    if "original" in item and item["original"] is not None:
        original = _geometry(item, "original", source, problems)
    feature = _feature(item, source, op, problems)
    if not bad_geometry:
        problems += _shape_problems(source, op, layer, geometry)
    numbers = _numbers(item, source, op, layer, problems)
    if problems:
        return None, problems
    return Edit(
        edit_id,
        op,
        layer,
        geometry,
        name=str(item.get("name") or "").strip()[:100],
        facility_type=str(item.get("facility_type") or "").strip()[:60],
        feature=feature,
        original=original,
        road_class=str(item.get("road_class") or "branch"),
        **numbers,
    ), []


def _layer_problems(source: str, op: str, layer: str) -> list[Problem]:
    if op == POPULATION:
        return []
    if not LAYER_RE.match(layer) or layer in NOT_FACILITY_LAYERS or layer == POPULATION:
        return [
            _problem(
                source,
                f"layer {layer!r} cannot be edited: use parks, roads or a facility layer "
                "(sports, parking, ...)",
                f"图层“{layer}”不可编辑：可编辑公园 parks、道路 roads 或设施图层"
                "（sports、parking 等）",
                "bad_layer",
            )
        ]
    if op in ("move", "delete") and layer in DRAWN_ONLY:
        return [
            _problem(
                source,
                f"{op} applies to facilities; parks and roads are drawn (added) in a scenario",
                "移动、删除仅适用于设施；公园和道路在情景中只能新增绘制",
                "bad_layer",
            )
        ]
    return []


def _geometry(
    item: Mapping[str, Any], key: str, source: str, problems: list[Problem]
) -> BaseGeometry | None:
    """A GeoJSON geometry in lon/lat, or ``None`` (with a problem when it is bad)."""
    raw = item.get(key)
    if raw is None:
        return None
    try:
        geom = shape(raw)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        problems.append(
            _problem(
                source,
                f"{key} is not a GeoJSON geometry",
                f"{key} 不是 GeoJSON 几何",
                "bad_geometry",
            )
        )
        return None
    if geom.is_empty:
        problems.append(_problem(source, f"{key} is empty", f"{key} 为空", "bad_geometry"))
        return None
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90) or not all(
        map(math.isfinite, geom.bounds)
    ):
        problems.append(
            _problem(
                source,
                f"{key} is not in lon/lat degrees (EPSG:4326)",
                f"{key} 坐标不是经纬度（EPSG:4326）",
                "bad_coordinates",
            )
        )
        return None
    return geom if geom.is_valid else shapely.make_valid(geom)


def _feature(item: Mapping[str, Any], source: str, op: str, problems: list[Problem]) -> int | None:
    if op not in ("move", "delete"):
        return None
    value = item.get("feature")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(
            _problem(
                source,
                f"{op} needs feature: the 0-based row of the facility in its layer",
                f"{'移动' if op == 'move' else '删除'}须给出 feature"
                "（设施在图层中的行号，从 0 起）",
                "bad_feature",
            )
        )
        return None
    return value


_SHAPES = {"parks": ("Polygon",), "roads": ("LineString",), POPULATION: ("Polygon",)}


def _shape_problems(
    source: str, op: str, layer: str, geometry: BaseGeometry | None
) -> list[Problem]:
    if op == "delete":
        return []
    wanted = _SHAPES.get(layer, ("Point", "Polygon"))
    kinds = (
        {g.geom_type.replace("Multi", "") for g in shapely.get_parts(geometry)}
        if geometry
        else set()
    )
    if geometry is None or not kinds or not kinds <= set(wanted):
        names = {"Point": "点 point", "Polygon": "面 polygon", "LineString": "线 line"}
        want = " / ".join(names[w] for w in wanted)
        return [
            _problem(
                source,
                f"{op} of {layer} needs a geometry of type {want.split(' ')[-1]}",
                f"{layer} 的{op}需要几何类型：{want}",
                "wrong_geometry_type",
            )
        ]
    return []


def _numbers(
    item: Mapping[str, Any], source: str, op: str, layer: str, problems: list[Problem]
) -> dict[str, Any]:
    """``spaces`` (parking adds), ``persons`` / ``factor`` (population), ``road_class``."""
    out: dict[str, Any] = {}
    if op == "add" and layer == PARKING_LAYER:
        spaces = item.get("spaces")
        if isinstance(spaces, bool) or not isinstance(spaces, int) or not 0 < spaces <= 100_000:
            problems.append(
                _problem(
                    source,
                    "a parking add needs spaces: a whole number 1-100000",
                    "新增停车场须填写泊位数 spaces（1–100000 的整数）",
                    "bad_spaces",
                )
            )
        else:
            out["spaces"] = spaces
    if op == "add" and layer == "roads":
        road_class = str(item.get("road_class") or "branch")
        if road_class not in ROAD_CLASS_HIGHWAY:
            problems.append(
                _problem(
                    source,
                    f"road_class {road_class!r} is not one of {', '.join(ROAD_CLASS_HIGHWAY)}",
                    f"道路等级“{road_class}”不在 {'、'.join(ROAD_CLASS_HIGHWAY)} 之中",
                    "bad_road_class",
                )
            )
    if op == POPULATION:
        out.update(_population_numbers(item, source, problems))
    return out


def _population_numbers(
    item: Mapping[str, Any], source: str, problems: list[Problem]
) -> dict[str, float]:
    persons, factor = item.get("persons"), item.get("factor")
    given = [k for k, v in (("persons", persons), ("factor", factor)) if v is not None]
    ok = len(given) == 1
    value: Any = persons if persons is not None else factor
    if ok and (isinstance(value, bool) or not isinstance(value, int | float)):
        ok = False
    if ok:
        limit = MAX_PERSONS if persons is not None else MAX_FACTOR
        ok = math.isfinite(float(value)) and 0 <= float(value) <= limit
    if not ok:
        problems.append(
            _problem(
                source,
                f"a population edit needs either persons (0-{MAX_PERSONS:,.0f}) or factor "
                f"(0-{MAX_FACTOR:g}), not both",
                f"人口编辑须给出 persons（0–{MAX_PERSONS:,.0f} 人）"
                f"或 factor（0–{MAX_FACTOR:g} 倍）之一",
                "bad_population",
            )
        )
        return {}
    return {given[0]: float(value)}


# --------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class AppliedScenario:
    """The edited copy of the workspace, the layers it changed and what each edit did."""

    workspace: Workspace
    changed: frozenset[str]
    edits: list[dict[str, Any]]


@one_at_a_time
def apply_edits(ws_metric: Workspace, edits: Sequence[Edit]) -> AppliedScenario:
    """A copy of ``ws_metric`` with ``edits`` applied; the workspace itself is not modified.

    Moves and deletes first (they name rows of the stored layers), then population edits,
    then every add through :func:`gis.projection.apply_projects` (other facility layers by
    appending the row).

    Raises
    ------
    gis.errors.ValidationError
        An edit outside the county (beyond :data:`BOUNDARY_TOLERANCE_M` of its boundary), a
        feature row that does not exist or whose geometry is not ``original``, a layer the
        county does not have; every problem at once.

    Examples
    --------
    >>> from pyproj import CRS
    >>> from shapely.geometry import box, Point
    >>> gk = CRS.from_epsg(4547)
    >>> empty = gpd.GeoDataFrame(geometry=[], crs=gk)
    >>> square = gpd.GeoDataFrame(geometry=[box(5e5, 3e6, 501e3, 3001e3)], crs=gk)
    >>> pitch = gpd.GeoDataFrame({"leisure": ["pitch"]}, geometry=[Point(500500, 3000500)], crs=gk)
    >>> ws = Workspace({"boundary": square, "built_up": square, "sports": pitch,
    ...     "parks": empty, "green_space": empty}, {}, metric_crs=gk)
    >>> gone = parse_edits([{"op": "delete", "layer": "sports", "feature": 0}])
    >>> out = apply_edits(ws, gone)
    >>> len(out.workspace.layers["sports"]), len(ws.layers["sports"]), sorted(out.changed)
    (0, 1, ['sports'])
    """
    require_metric(ws_metric.layers["built_up"], "built_up")
    metric = _to_metric(edits, ws_metric)
    _raise(_placement_problems(ws_metric, edits, metric))
    layers = dict(ws_metric.layers)
    changed: set[str] = set()
    done: dict[str, dict[str, Any]] = {}
    _raise(_move_delete(layers, edits, metric, changed, done, ws_metric))
    ws = Workspace(
        layers,
        copy.deepcopy(ws_metric.metadata),
        ws_metric.population,
        ws_metric.path,
        ws_metric.metric_crs,
    )
    ws = _population_edits(ws, edits, metric, changed, done)
    ws = _adds(ws, edits, metric, changed, done)
    return AppliedScenario(ws, frozenset(changed), [done[e.edit_id] for e in edits])


def _to_metric(
    edits: Sequence[Edit], ws: Workspace
) -> dict[str, tuple[BaseGeometry | None, BaseGeometry | None]]:
    """Each edit's geometry and original in the workspace's metric CRS."""
    geoms = [g for e in edits for g in (e.geometry, e.original)]
    series = gpd.GeoSeries(geoms, crs=4326).to_crs(ws.metric_crs)
    values = list(series.values)
    return {e.edit_id: (values[2 * i], values[2 * i + 1]) for i, e in enumerate(edits)}


def _placement_problems(
    ws: Workspace, edits: Sequence[Edit], metric: Mapping[str, tuple[Any, Any]]
) -> list[Problem]:
    """Edits drawn outside the county (a coordinate mix-up or another county's map)."""
    boundary = ws.layer("boundary")
    area = dissolve(boundary if boundary is not None and len(boundary) else ws.layers["built_up"])
    if area.is_empty:
        return []
    zone = area.buffer(BOUNDARY_TOLERANCE_M)
    return [
        _problem(
            f"edit {e.edit_id}",
            f"its geometry lies outside the county (more than {BOUNDARY_TOLERANCE_M:g} m from "
            "its boundary)",
            f"几何位于本县范围之外（距边界超过 {BOUNDARY_TOLERANCE_M:g} 米）",
            "outside_county",
        )
        for e in edits
        if metric[e.edit_id][0] is not None and not metric[e.edit_id][0].intersects(zone)
    ]


def _move_delete(
    layers: dict[str, gpd.GeoDataFrame],
    edits: Sequence[Edit],
    metric: Mapping[str, tuple[Any, Any]],
    changed: set[str],
    done: dict[str, dict[str, Any]],
    ws: Workspace,
) -> list[Problem]:
    """Apply moves and deletes to copies of their layers; problems for rows that do not match."""
    problems: list[Problem] = []
    drop: dict[str, set[int]] = {}
    for e in (e for e in edits if e.op in ("move", "delete")):
        layer = ws.layer(e.layer)
        source = f"edit {e.edit_id}"
        if layer is None or e.feature is None or e.feature >= len(layer):
            count = 0 if layer is None else len(layer)
            problems.append(
                _problem(
                    source,
                    f"layer {e.layer!r} has no feature {e.feature} (it has {count})",
                    f"图层 {e.layer} 没有第 {e.feature} 个要素（共 {count} 个）",
                    "no_such_feature",
                )
            )
            continue
        stored = layer.geometry.iloc[e.feature]
        original = metric[e.edit_id][1]
        if original is not None and (
            stored is None or stored.hausdorff_distance(original) > ORIGINAL_TOLERANCE_M
        ):
            problems.append(
                _problem(
                    source,
                    f"feature {e.feature} of {e.layer} is not where the edit found it (the layer "
                    "changed since); reload the map and make the edit again",
                    f"图层 {e.layer} 的第 {e.feature} 个要素已变化（图层已更新），"
                    "请刷新地图后重新编辑",
                    "feature_changed",
                )
            )
            continue
        if e.layer not in changed:
            layers[e.layer] = layer.copy()
            changed.add(e.layer)
        if e.op == "delete":
            drop.setdefault(e.layer, set()).add(e.feature)
            note = ("删除设施 1 处", "facility deleted")
        else:
            new = metric[e.edit_id][0]
            layers[e.layer].loc[layers[e.layer].index[e.feature], layers[e.layer].geometry.name] = (
                new
            )
            note = (
                f"设施移动 {stored.centroid.distance(new.centroid):,.0f} m",
                f"facility moved {stored.centroid.distance(new.centroid):,.0f} m",
            )
        done[e.edit_id] = _done(e, (e.layer,), *note)
    for name, rows in drop.items():
        keep = [i for i in range(len(layers[name])) if i not in rows]
        layers[name] = layers[name].iloc[keep].reset_index(drop=True)
    return problems


def _done(
    edit: Edit, layers: tuple[str, ...], note_zh: str, note_en: str, **details: Any
) -> dict[str, Any]:
    return {
        "id": edit.edit_id,
        "op": edit.op,
        "layer": edit.layer,
        "outcome": "applied" if layers else "not_applied",
        "layers": list(layers),
        "note_zh": note_zh,
        "note_en": note_en,
        "details": details,
    }


def _population_edits(
    ws: Workspace,
    edits: Sequence[Edit],
    metric: Mapping[str, tuple[Any, Any]],
    changed: set[str],
    done: dict[str, dict[str, Any]],
) -> Workspace:
    """Population cells inside each polygon set or scaled; the urban population follows."""
    todo = [e for e in edits if e.op == POPULATION]
    if not todo:
        return ws
    cells = ws.population
    if cells is None:
        msg = (
            "本县没有人口栅格，无法修改人口 | population edits need the county's population "
            "raster, and this county has none; upload one first"
        )
        raise ValidationError(msg)
    delta_total = 0.0
    for e in todo:
        cells, before, after = set_population(
            cells, metric[e.edit_id][0], persons=e.persons, factor=e.factor
        )
        delta_total += after - before
        done[e.edit_id] = _done(
            e,
            (POPULATION,),
            f"区域人口 {before:,.0f} → {after:,.0f} 人",
            f"population of the area {before:,.0f} → {after:,.0f} persons",
            persons_before=round(before, 1),
            persons_after=round(after, 1),
        )
    changed.add(POPULATION)
    meta = ws.metadata
    pop = dict(meta.get("population") or {})
    for key in ("urban_population", "total"):
        if pop.get(key) is not None:
            pop[key] = max(0.0, float(pop[key]) + delta_total)
    meta["population"] = pop
    return Workspace(ws.layers, meta, cells, ws.path, ws.metric_crs)


def set_population(
    cells: PopulationCells,
    area: BaseGeometry,
    *,
    persons: float | None = None,
    factor: float | None = None,
) -> tuple[PopulationCells, float, float]:
    """Cells with the persons inside ``area`` set to ``persons`` or multiplied by ``factor``.

    Cells are inside when their centre is.  ``persons`` is spread in proportion to the cells'
    persons; where ``area`` holds no populated cell, new cells are made on the raster's lattice
    (cell centres inside ``area``; its centroid when it is smaller than a cell) and share it
    evenly.  Returns the new cells and the persons inside before and after.

    Examples
    --------
    >>> from pyproj import CRS
    >>> c = PopulationCells(np.array([50.0, 150.0, 250.0]), np.array([50.0] * 3),
    ...                     np.array([10.0, 30.0, 5.0]), 100.0, CRS.from_epsg(4547))
    >>> new, before, after = set_population(c, shapely.box(0, 0, 200, 100), persons=80)
    >>> new.persons.tolist(), before, after
    ([20.0, 60.0, 5.0], 40.0, 80.0)
    >>> set_population(c, shapely.box(0, 0, 200, 100), factor=0.5)[0].persons.tolist()
    [5.0, 15.0, 5.0]
    """
    inside = shapely.contains_xy(area, cells.x_m, cells.y_m)
    persons_now = np.asarray(cells.persons, dtype=np.float64).copy()
    before = float(persons_now[inside].sum())
    x, y = cells.x_m, cells.y_m
    if factor is not None:
        persons_now[inside] *= factor
    elif persons is not None and before > 0:
        persons_now[inside] *= persons / before
    elif persons is not None and persons > 0:
        nx, ny = _lattice(cells, area)
        x, y = np.r_[x, nx], np.r_[y, ny]
        persons_now = np.r_[persons_now, np.full(len(nx), persons / len(nx))]
    keep = persons_now > 0
    out = PopulationCells(x[keep], y[keep], persons_now[keep], cells.cell_size_m, cells.crs)
    after = (
        float(persons_now[inside].sum())
        if factor is not None or before > 0
        else float(persons or 0.0)
    )
    return out, before, after


def _lattice(cells: PopulationCells, area: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the raster's cells inside ``area`` (its centroid's cell when none is)."""
    size = cells.cell_size_m
    ox = float(cells.x_m[0]) if len(cells.x_m) else 0.0
    oy = float(cells.y_m[0]) if len(cells.y_m) else 0.0
    x0, y0, x1, y1 = area.bounds
    xs = ox + size * np.arange(math.floor((x0 - ox) / size), math.ceil((x1 - ox) / size) + 1)
    ys = oy + size * np.arange(math.floor((y0 - oy) / size), math.ceil((y1 - oy) / size) + 1)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(area, gx, gy)
    if inside.any():
        return gx[inside], gy[inside]
    c = area.centroid
    return (
        np.array([ox + size * round((c.x - ox) / size)]),
        np.array([oy + size * round((c.y - oy) / size)]),
    )


def _adds(
    ws: Workspace,
    edits: Sequence[Edit],
    metric: Mapping[str, tuple[Any, Any]],
    changed: set[str],
    done: dict[str, dict[str, Any]],
) -> Workspace:
    """Parks, roads, sports and parking added by the projection; other facilities appended."""
    adds = [e for e in edits if e.op == "add"]
    projected = [e for e in adds if e.layer in PROJECT_CATEGORY]
    if projected:
        frame = gpd.GeoDataFrame(
            {
                "project_id": [e.edit_id for e in projected],
                "name": [e.name or e.edit_id for e in projected],
                "category": [PROJECT_CATEGORY[e.layer] for e in projected],
                "review_status": ["已通过"] * len(projected),
                "parking_spaces": [e.spaces for e in projected],
                "road_class": [e.road_class for e in projected],
            },
            geometry=[metric[e.edit_id][0] for e in projected],
            crs=ws.metric_crs,
        )
        metadata = ws.metadata
        ws, applied = apply_projects(ws, frame)
        ws = Workspace(
            ws.layers, _restore_meta(metadata, ws.metadata), ws.population, ws.path, ws.metric_crs
        )
        for e, a in zip(projected, applied, strict=True):
            changed.update(a.layers)
            done[e.edit_id] = _done(
                e,
                a.layers,
                a.note_zh,
                a.note_en,
                amount=round(a.amount, 4),
                unit=a.unit,
                **a.details,
            )
        ws = _set_types(ws, projected)
    others = [e for e in adds if e.layer not in PROJECT_CATEGORY]
    if others:
        ws = _append_facilities(ws, others, metric, changed, done)
    return ws


def _restore_meta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The projection's metadata without its list of projects (a scenario has edits)."""
    out = dict(after)
    out.pop("projected_projects", None)
    out["population"] = before.get("population", after.get("population"))
    return out


def _set_types(ws: Workspace, edits: Sequence[Edit]) -> Workspace:
    """The facility type of added sports and parking rows (the projection writes a default)."""
    layers = dict(ws.layers)
    for e in edits:
        column = TYPE_COLUMN.get(e.layer)
        if not column or not e.facility_type or e.layer not in layers:
            continue
        frame = layers[e.layer]
        if "project_id" not in frame.columns:
            continue
        frame = frame.copy() if frame is ws.layers[e.layer] else frame
        frame.loc[frame["project_id"] == e.edit_id, column] = e.facility_type
        layers[e.layer] = frame
    return Workspace(layers, ws.metadata, ws.population, ws.path, ws.metric_crs)


def _append_facilities(
    ws: Workspace,
    edits: Sequence[Edit],
    metric: Mapping[str, tuple[Any, Any]],
    changed: set[str],
    done: dict[str, dict[str, Any]],
) -> Workspace:
    """Facilities of layers the projection has no rule for: a row each (``facility_type``)."""
    layers = dict(ws.layers)
    metadata = ws.metadata
    for name in dict.fromkeys(e.layer for e in edits):
        mine = [e for e in edits if e.layer == name]
        rows = gpd.GeoDataFrame(
            {
                "name": [e.name for e in mine],
                "facility_type": [e.facility_type for e in mine],
                "scenario_edit": [e.edit_id for e in mine],
            },
            geometry=[metric[e.edit_id][0] for e in mine],
            crs=ws.metric_crs,
        )
        old = layers.get(name)
        if old is None or len(old) == 0:
            layers[name] = (
                rows.rename_geometry(old.geometry.name)
                if old is not None and old.geometry.name != "geometry"
                else rows
            )
            metadata.setdefault("layers", {}).setdefault(name, {"provenance": "scenario"})
        else:
            rows = (
                rows.rename_geometry(old.geometry.name) if old.geometry.name != "geometry" else rows
            )
            layers[name] = gpd.GeoDataFrame(
                pd.concat([old, rows], ignore_index=True), geometry=old.geometry.name, crs=old.crs
            )
        changed.add(name)
        for e in mine:
            done[e.edit_id] = _done(
                e,
                (name,),
                f"设施 +1 处（{e.facility_type or name}）",
                f"facility +1 ({e.facility_type or name})",
            )
    return Workspace(layers, metadata, ws.population, ws.path, ws.metric_crs)


# --------------------------------------------------------------------------- indicators


def _road_density(ws: Workspace, s: IndicatorSettings) -> IndicatorResult:
    return compute_road_density(
        ws.layers["roads"],
        ws.layers["built_up"],
        settings=s,
        provenance=_prov(ws, "roads", "built_up"),
    )


def _fitness(ws: Workspace, s: IndicatorSettings) -> IndicatorResult:
    return compute_fitness_15min_coverage(
        ws.layers["walk_nodes"],
        ws.layers["walk_edges"],
        ws.layer("sports"),
        ws.population,
        ws.layers["built_up"],
        settings=s,
        provenance=_prov(ws, "walk_edges", "sports", "population", "built_up"),
    )


def _park_per_capita(ws: Workspace, s: IndicatorSettings) -> IndicatorResult:
    persons, source, is_estimate = urban_population(ws)
    return compute_park_green_per_capita(
        ws.layer("parks"),
        ws.layers["built_up"],
        persons,
        settings=s,
        population_source=source,
        population_is_estimate=is_estimate,
        provenance=_prov(ws, "parks", "built_up", "population"),
    )


def _green_ratio(ws: Workspace, s: IndicatorSettings) -> IndicatorResult:
    return compute_green_space_ratio(
        ws.layer("green_space"),
        ws.layers["built_up"],
        ws.layer("parks"),
        settings=s,
        provenance=_prov(ws, "green_space", "parks", "built_up"),
    )


def _park_service(ws: Workspace, s: IndicatorSettings) -> IndicatorResult:
    homes, provenance = _housing(ws, ws.layers["built_up"], ws.layer("parks"), s)
    return compute_park_service_coverage(
        ws.layer("parks"), homes, ws.layers["built_up"], settings=s, provenance=provenance
    )


def _parking(ws: Workspace, s: IndicatorSettings) -> IndicatorResult:
    return compute_parking_per_100_cars(
        ws.layer(PARKING_LAYER),
        ws.layers["built_up"],
        county_data.figure(ws.metadata, "registered_cars"),
        settings=s,
        provenance=_prov(ws, PARKING_LAYER, "built_up"),
        metric_crs=ws.metric_crs,
    )


_COMPUTE: dict[str, Callable[[Workspace, IndicatorSettings], IndicatorResult]] = {
    "road_density": _road_density,
    "fitness_15min_coverage": _fitness,
    "park_green_per_capita": _park_per_capita,
    "green_space_ratio": _green_ratio,
    "park_service_coverage": _park_service,
    "parking_per_100_cars": _parking,
}
"""The same calls as :func:`gis.indicators.compute_all` makes (a test checks they agree)."""


def affected_indicators(changed: frozenset[str] | set[str]) -> list[str]:
    """Ids of the indicators that read a changed layer, in report order.

    >>> affected_indicators({"sports"}), affected_indicators({"parks"})[:2]
    (['fitness_15min_coverage'], ['park_green_per_capita', 'green_space_ratio'])
    """
    return [i for i, inputs in INDICATOR_INPUTS.items() if inputs & changed]


@one_at_a_time
def recompute(
    ws_after: Workspace,
    changed: frozenset[str],
    before: Sequence[IndicatorResult],
    settings: IndicatorSettings,
    base: Workspace | None = None,
) -> tuple[list[IndicatorResult], list[str], bool]:
    """The results after the edits: ``(results, recomputed ids, full)``.

    Only the indicators reading a changed layer are computed again; the others are the
    ``before`` results.  A changed layer no indicator here is known to read (a facility layer
    added after this module) makes a full :func:`gis.indicators.compute_all` (``full`` true),
    so a new indicator is never left stale.

    ``base`` is the workspace the edits were applied to: its park and road layers are
    remembered so the park indicators merge a drawn park into the base's kept dissolve
    (:mod:`gis.indicators._grow`) and the road density adds a drawn road to the base's kept
    state (:func:`gis.indicators.road_density.road_state`); the indicators' other kept state
    (walk graph, the cells' join) is found by content.  The results are those of a full
    computation either way.
    """
    if not changed:
        return list(before), [], False
    if changed - _KNOWN_INPUTS:
        after = compute_all(ws_after, settings)
        return after, [r.id for r in after], True
    ids = affected_indicators(changed)
    if base is not None and changed & {"parks", "green_space"}:
        parks = base.layer("parks")
        remember(parks, public_parks(parks), base.layer("green_space"))
    if base is not None and "roads" in changed:
        remember_roads(base.layer("roads"))
    fresh = {i: _COMPUTE[i](ws_after, settings) for i in ids}
    return [fresh.get(r.id, r) for r in before], ids, False


ROW_FIELDS = ("id", "name_zh", "name_en", "unit", "target", "target_year", "comparison")
"""The fields a row of :func:`change_rows` copies from the indicator as they are."""


def change_rows(
    changes: Sequence[IndicatorChange], recomputed: Sequence[str]
) -> list[dict[str, Any]]:
    """One JSON row per indicator change: before, after, delta, target, pass before and after."""
    rows = []
    for c in changes:
        d = c.to_dict()
        rows.append(
            {
                **{k: d[k] for k in ROW_FIELDS},
                "before": d["now"],
                "after": d["projected"],
                "delta": d["delta"],
                "passed_before": d["passed_now"],
                "passed_after": d["passed_projected"],
                "status_before": d["status_now"],
                "status_after": d["status_projected"],
                "reason_after": d["reason_projected"],
                "recomputed": c.now.id in recomputed,
            }
        )
    return rows


@dataclass(frozen=True)
class ScenarioResult:
    """Indicators, grade and province rank before → after a scenario's edits."""

    changes: list[IndicatorChange]
    assessment_before: Assessment
    assessment_after: Assessment
    edits: list[dict[str, Any]]
    recomputed: list[str]
    full_recompute: bool
    totals: dict[str, dict[str, float | None]]
    year: int
    rank: dict[str, Any] = field(default_factory=dict)
    life_circle: list[IndicatorChange] | None = None

    @property
    def after_results(self) -> list[IndicatorResult]:
        """The results after the edits (gap layers included), in report order."""
        return [c.projected for c in self.changes]

    def indicator_rows(self) -> list[dict[str, Any]]:
        """One JSON row per indicator: before, after, delta, target, pass before and after."""
        return change_rows(self.changes, self.recomputed)

    def life_circle_dict(self) -> dict[str, Any] | None:
        """The life-circle set before → after (``None`` when the scenario did not compute it)."""
        if self.life_circle is None:
            return None
        return {
            "label_zh": LIFE_CIRCLE_LABEL_ZH,
            "label_en": LIFE_CIRCLE_LABEL_EN,
            "graded": False,
            "indicators": change_rows(self.life_circle, [c.now.id for c in self.life_circle]),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what the API returns and a saved scenario keeps)."""
        b, a = self.assessment_before, self.assessment_after
        return {
            "label_zh": LABEL_ZH,
            "label_en": LABEL_EN,
            "year": self.year,
            "indicators": self.indicator_rows(),
            "grade": {
                "before": b.grade,
                "before_en": b.grade_en,
                "after": a.grade,
                "after_en": a.grade_en,
                "score_before": b.score,
                "score_after": a.score,
                "score_delta": round(a.score - b.score, 1),
            },
            "rank": self.rank,
            "edits": self.edits,
            "recomputed": self.recomputed,
            "full_recompute": self.full_recompute,
            "totals": self.totals,
            "life_circle": self.life_circle_dict(),
        }


@one_at_a_time
def evaluate(
    ws_metric: Workspace,
    edits: Sequence[Edit],
    settings: IndicatorSettings,
    *,
    before: Sequence[IndicatorResult] | None = None,
    rules: AssessmentRules = DEFAULT_RULES,
    province_docs: Sequence[Mapping[str, Any]] = (),
    life_circle: bool | None = None,
    life_circle_before: LifeCircle | Callable[[], LifeCircle] | None = None,
) -> ScenarioResult:
    """Apply ``edits`` to a copy of ``ws_metric`` and compare every indicator before → after.

    Parameters
    ----------
    ws_metric : Workspace
        The county in its metric CRS; never modified.
    edits : sequence of Edit
        From :func:`parse_edits`.
    settings : IndicatorSettings
        Year, walking time and the other parameters.
    before : sequence of IndicatorResult, optional
        The current results of the same workspace and settings (the app's cache); computed
        when not given.
    rules : AssessmentRules
        Grading rules.
    province_docs : sequence of mapping
        The province's batch result documents (:func:`gis.batch.read_results`) of every year;
        those of ``settings.year`` rank the county before and after (:func:`province_rank`).
    life_circle : bool, optional
        Compare the 15-minute life circle before → after too (``ScenarioResult.life_circle``;
        it does not enter the grade).  ``None`` (default): when an edit touches the
        ``facilities`` layer, whose types only the life circle reads.
    life_circle_before : LifeCircle or callable returning one, optional
        The current life circle of the same workspace and settings (the app's cache, asked
        for only when the life circle is compared); computed when needed and not given.
    """
    current = list(before) if before is not None else compute_all(ws_metric, settings)
    applied = apply_edits(ws_metric, edits)
    after, ids, full = recompute(
        applied.workspace, applied.changed, current, settings, base=ws_metric
    )
    by_id = {r.id: r for r in after}
    changes = [IndicatorChange(r, by_id.get(r.id, r)) for r in current]
    a_before, a_after = assess(current, rules), assess(after, rules)
    rank = province_rank(
        province_docs,
        ws_metric.county_id,
        ws_metric.metadata,
        settings.year,
        (current, a_before),
        (after, a_after),
    )
    circle = None
    if life_circle or (life_circle is None and FACILITIES_LAYER in applied.changed):
        circle = _life_circle_changes(ws_metric, applied, settings, life_circle_before)
    return ScenarioResult(
        changes,
        a_before,
        a_after,
        applied.edits,
        ids,
        full,
        layer_totals(ws_metric, applied.workspace),
        settings.year,
        rank,
        circle,
    )


def _life_circle_changes(
    ws_metric: Workspace,
    applied: AppliedScenario,
    settings: IndicatorSettings,
    before: LifeCircle | Callable[[], LifeCircle] | None,
) -> list[IndicatorChange]:
    """The life circle before → after, computed after only when an edit touched its inputs."""
    if callable(before):
        before = before()
    if before is None:
        before = life_circle_of(
            ws_metric, settings, age_structure(ws_metric.metadata.get("adcode"))
        )
    after = (
        life_circle_of(applied.workspace, settings, before.age_structure)
        if applied.changed & LIFE_CIRCLE_INPUTS
        else before
    )
    return [IndicatorChange(b, a) for b, a in zip(before.results, after.results, strict=True)]


def province_rank(
    docs: Sequence[Mapping[str, Any]],
    county_id: str,
    metadata: Mapping[str, Any],
    year: int,
    before: tuple[Sequence[IndicatorResult], Assessment],
    after: tuple[Sequence[IndicatorResult], Assessment],
) -> dict[str, Any]:
    """The county's province rank in ``year`` now and with the scenario (:func:`rank_year`).

    The county's own result document of the year, if any, is replaced by its current or its
    scenario figures; the other counties' documents are as the batch wrote them.  ``rank``
    is ``None`` (with a reason) when the province has no results for the year.

    Examples
    --------
    >>> from gis.assessment import assess
    >>> others = [{"county_id": "b", "year": 2020, "report": {"assessment": {"score": 50.0,
    ...     "grade": "不合格"}, "indicators": []}}]
    >>> province_rank(others, "a", {}, 2020, ([], assess([])), ([], assess([])))["of"]
    2
    """
    peers = [
        d for d in docs if int(d.get("year", 0)) == year and str(d.get("county_id")) != county_id
    ]
    if not peers:
        return {
            "year": year,
            "before": None,
            "after": None,
            "of": None,
            "reason": f"省级批量结果中没有 {year} 年的其他县 | no province results for {year}",
        }

    def rank_of(results: Sequence[IndicatorResult], assessment: Assessment) -> int | None:
        doc = {
            "county_id": county_id,
            "year": year,
            "metadata": dict(metadata),
            "report": {
                "assessment": {"score": assessment.score, "grade": assessment.grade},
                "indicators": [{"id": r.id, "passed": r.passed, "value": r.value} for r in results],
            },
        }
        rows = rank_year([*peers, doc])
        return next(r.rank for r in rows if r.county_id == county_id)

    return {
        "year": year,
        "before": rank_of(*before),
        "after": rank_of(*after),
        "of": len(peers) + 1,
        "reason": None,
    }


def edits_frame(
    edits: Sequence[Edit], applied: Sequence[Mapping[str, Any]] = ()
) -> gpd.GeoDataFrame:
    """The edits as features (EPSG:4326) with their op, layer, type, numbers and outcome."""
    notes = {str(a.get("id")): a for a in applied}
    rows = [
        {
            "edit_id": e.edit_id,
            "op": e.op,
            "layer": e.layer,
            "name": e.name,
            "facility_type": e.facility_type,
            "feature": e.feature,
            "road_class": e.road_class if e.layer == "roads" else None,
            "spaces": e.spaces,
            "persons": e.persons,
            "factor": e.factor,
            "note_zh": notes.get(e.edit_id, {}).get("note_zh", ""),
            "note_en": notes.get(e.edit_id, {}).get("note_en", ""),
        }
        for e in edits
    ]
    columns = [
        "edit_id",
        "op",
        "layer",
        "name",
        "facility_type",
        "feature",
        "road_class",
        "spaces",
        "persons",
        "factor",
        "note_zh",
        "note_en",
    ]
    geoms = [e.geometry if e.geometry is not None else e.original for e in edits]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry=geoms, crs=4326)


__all__ = [
    "INDICATOR_INPUTS",
    "LIFE_CIRCLE_INPUTS",
    "ROW_FIELDS",
    "OPS",
    "AppliedScenario",
    "Edit",
    "ScenarioResult",
    "affected_indicators",
    "apply_edits",
    "change_rows",
    "edits_frame",
    "evaluate",
    "parse_edits",
    "province_rank",
    "recompute",
    "set_population",
]
