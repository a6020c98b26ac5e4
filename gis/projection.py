"""Projected indicators (项目建成后): the indicators when the passed projects are finished.

Projects (the ``projects`` layer kind of the project library, EPSG:4326) are
applied to a **copy** of a workspace in its metric CRS; the stored layers are
never written.  Only projects whose ``review_status`` is ``已通过`` are applied,
each as if finished (whatever its ``status``):

* 公园绿地 (polygon): its outline is added to ``parks`` and ``green_space``; a point
  or line cannot add area and is reported as not applied.
* 道路 (line): its centre line is added to ``roads`` (class ``branch`` 支路 unless a
  ``road_class`` column says otherwise) and, unless an expressway, to the walking
  network: each end joins the nearest walk node within ``snap_m``
  (:data:`ROAD_SNAP_M`, 30 m; the line is extended to that node), otherwise a new
  node is made there.  Where the line crosses a walk edge (an existing street or
  another project's road) both are cut there and meet at a new node, as the
  ingest's noding makes junctions (:data:`CROSSING_TOLERANCE_M`).
* 体育: one sports facility (a point or polygon as drawn; a line's mid-point, as
  the ingest does for open ways).
* 停车: ``parking_spaces`` spaces added to the ``parking`` layer
  (``capacity_spaces``), which is created when the workspace has none.
* every other category changes no indicator ("no indicator effect").

:func:`project_indicators` then computes the indicators now and after with the
same code (:func:`gis.indicators.compute_all`) and grades both
(:func:`gis.assessment.assess`).  :func:`projected_report` is the call for the
planner dashboard.  Rules: docs/indicators.md, "Projected indicators (项目建成后)".
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
import shapely.ops
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from gis import projects
from gis.assessment import DEFAULT_RULES, Assessment, AssessmentRules, assess
from gis.crs import require_metric
from gis.errors import CrsError, Problem, ValidationError
from gis.indicators import compute_all
from gis.indicators._common import dissolve, located_along, pieces_of, polygon_parts
from gis.indicators._grow import Dissolved
from gis.indicators._threads import one_at_a_time
from gis.report import in_metric_crs
from gis.result import IndicatorResult
from gis.settings import IndicatorSettings
from gis.workspace import Workspace

CATEGORIES: tuple[str, ...] = tuple(projects.CATEGORIES)
STATUSES: tuple[str, ...] = tuple(projects.STATUSES)
# The library stores codes (passed); files and sheets may carry the Chinese labels (已通过).
REVIEW_STATUSES: tuple[str, ...] = (
    *(zh for zh, _en in projects.REVIEW_STATUSES.values()),
    *projects.REVIEW_STATUSES,
)
PASSED = "已通过"
REQUIRED_COLUMNS: tuple[str, ...] = ("project_id", "name", "category", "review_status")
ROAD_SNAP_M = 30.0
CROSSING_TOLERANCE_M = 0.5
"""A crossing nearer than this to an end of either line is that end's node, not a new one."""
"""A road project's end joins the nearest walk node within this distance (metres)."""
PARKING_LAYER = "parking"
PARKING_SPACES = "capacity_spaces"
ROAD_CLASS_HIGHWAY: dict[str, str] = {
    "expressway": "trunk",
    "arterial": "primary",
    "secondary": "secondary",
    "branch": "residential",
}
"""GB/T 51328-2018 class of a road project → the OSM ``highway`` its row gets."""
PROJECTED_PROVENANCE = "projected"
LABEL_ZH = "项目建成后（估算）"
LABEL_EN = "when the passed projects are finished (estimate)"

Outcome = Literal["applied", "no_effect", "not_applied", "not_passed"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class AppliedProject:
    """What one project changes in the projected workspace, or why it changes nothing.

    Attributes
    ----------
    project_id, name, category : str
        From the project.
    outcome : {"applied", "no_effect", "not_applied", "not_passed"}
        ``applied``: layers changed; ``no_effect``: its category moves no
        indicator; ``not_applied``: it should, but cannot (``note`` says why);
        ``not_passed``: its review status is not 已通过.
    amount : float
        How much it adds, in ``unit``: m² of park, km of road, 1 facility, N spaces.
    unit : str
        ``m²``, ``km``, ``facility``, ``spaces`` or ``""``.
    layers : tuple of str
        The workspace layers it changed.
    note_zh, note_en : str
        What changed or why nothing did.
    details : dict
        Figures behind the amount (e.g. the park area not already park inside the
        built-up area, the road's connected ends and snap distances).
    """

    project_id: str
    name: str
    category: str
    outcome: Outcome
    amount: float = 0.0
    unit: str = ""
    layers: tuple[str, ...] = ()
    note_zh: str = ""
    note_en: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return {
            "project_id": self.project_id,
            "name": self.name,
            "category": self.category,
            "outcome": self.outcome,
            "amount": round(self.amount, 4),
            "unit": self.unit,
            "layers": list(self.layers),
            "note_zh": self.note_zh,
            "note_en": self.note_en,
            "details": dict(self.details),
        }


# --------------------------------------------------------------------------- validation


def check_projects(projects: gpd.GeoDataFrame) -> None:
    """Raise one error listing every problem of a projects frame (nothing is applied then).

    Raises
    ------
    gis.errors.CrsError
        When the frame has no CRS.
    gis.errors.ValidationError
        Missing columns, unknown categories, review statuses or statuses, repeated
        ``project_id`` values, ``parking_spaces`` that are not whole numbers >= 0;
        ``problems`` holds each one in Chinese and English.

    Examples
    --------
    >>> bad = gpd.GeoDataFrame({"project_id": ["P1"], "name": ["x"], "category": ["公园"],
    ...                         "review_status": ["已通过"]}, geometry=[None], crs=4326)
    >>> try:
    ...     check_projects(bad)
    ... except ValidationError as exc:
    ...     print(exc.problems[0].code, exc.problems[0].source)
    unknown_category P1
    """
    if not isinstance(projects, gpd.GeoDataFrame):
        msg = "项目须为带坐标系的 GeoDataFrame | projects: expected a GeoDataFrame with a CRS"
        raise ValidationError(msg)
    if projects.crs is None:
        msg = (
            "项目图层没有坐标系；项目应为 EPSG:4326 | projects: no CRS; projects arrive in "
            "EPSG:4326 (WGS84 lon/lat)"
        )
        raise CrsError(msg)
    if len(projects) == 0:
        return  # no projects: nothing to check, nothing to apply
    problems = _column_problems(projects)
    if not problems:
        problems = _value_problems(projects)
    if problems:
        head_zh = f"项目数据有 {len(problems)} 个问题：" + "；".join(p.message_zh for p in problems)
        head_en = f"projects: {len(problems)} problem(s): " + "; ".join(
            p.message_en for p in problems
        )
        raise ValidationError(f"{head_zh} | {head_en}", problems)


def _column_problems(projects: gpd.GeoDataFrame) -> list[Problem]:
    """A problem per missing required column."""
    return [
        Problem(
            column,
            f"column {column!r} is missing; the projects layer needs {', '.join(REQUIRED_COLUMNS)}",
            f"缺少字段 {column}；项目图层须有 {', '.join(REQUIRED_COLUMNS)}",
            "missing_column",
        )
        for column in REQUIRED_COLUMNS
        if column not in projects.columns
    ]


def _value_problems(projects: gpd.GeoDataFrame) -> list[Problem]:
    """A problem per bad value, in row order."""
    problems: list[Problem] = []
    ids = [_text(v) for v in projects["project_id"]]
    for row, pid in enumerate(ids):
        source = pid or f"row {row + 1}"
        problems += _row_problems(projects.iloc[row], source)
        if not pid:
            problems.append(
                Problem(source, "project_id is empty", "项目编号为空", "missing_project_id")
            )
    seen: set[str] = set()
    for pid in dict.fromkeys(ids):
        if pid and ids.count(pid) > 1:
            problems.append(
                Problem(pid, f"project_id {pid!r} is repeated", f"项目编号 {pid} 重复", "repeated")
            )
        seen.add(pid)
    return problems


def _row_problems(row: pd.Series, source: str) -> list[Problem]:
    """Problems of one project's category, statuses and parking spaces."""
    problems: list[Problem] = []
    checks = [("category", CATEGORIES, "类别"), ("review_status", REVIEW_STATUSES, "审核状态")]
    if "status" in row.index and _text(row["status"]):
        checks.append(("status", STATUSES, "状态"))
    for column, allowed, label_zh in checks:
        value = _text(row[column])
        if value not in allowed:
            problems.append(
                Problem(
                    source,
                    f"{column} {value!r} is not one of {', '.join(allowed)}",
                    f"{label_zh}“{value}”不在 {'、'.join(allowed)} 之中",
                    f"unknown_{column}",
                )
            )
    if "parking_spaces" in row.index and _spaces(row["parking_spaces"]) == -1:
        problems.append(
            Problem(
                source,
                f"parking_spaces {row['parking_spaces']!r} is not a whole number >= 0",
                f"停车泊位数“{row['parking_spaces']}”不是非负整数",
                "bad_parking_spaces",
            )
        )
    return problems


def _text(value: Any) -> str:
    """A cell as stripped text; missing values as ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _spaces(value: Any) -> int | None:
    """Parking spaces as an int; ``None`` when missing, ``-1`` when not a whole number >= 0."""
    if _text(value) == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return -1
    if not math.isfinite(number) or number < 0 or number != int(number):
        return -1
    return int(number)


# --------------------------------------------------------------------------- applying


@dataclass
class _Draft:
    """The copy being built: new rows per layer and the walk network's additions."""

    ws: Workspace
    snap_m: float
    area: BaseGeometry
    parks: Dissolved  # the stored parks dissolved, their parts and STRtree made when asked
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    node_xy: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))
    tree: cKDTree | None = None
    new_xy: list[tuple[float, float]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    nodes_loaded: bool = False
    road_count: int = 0
    edge_tree: shapely.STRtree | None = None
    edge_geoms: np.ndarray | None = None
    removed: set[int] = field(default_factory=set)  # stored walk edges (rows) cut by crossings
    added_parks: list[BaseGeometry] = field(default_factory=list)  # park outlines applied

    def add(self, layer: str, row: dict[str, Any]) -> None:
        """Queue one feature for ``layer``."""
        self.rows.setdefault(layer, []).append(row)


@one_at_a_time
def apply_projects(
    ws_metric: Workspace, projects: gpd.GeoDataFrame, *, snap_m: float = ROAD_SNAP_M
) -> tuple[Workspace, list[AppliedProject]]:
    """A copy of ``ws_metric`` with the passed projects built, and what each project did.

    Parameters
    ----------
    ws_metric : Workspace
        The county in its metric CRS (:meth:`Workspace.to_metric`); not modified.
    projects : geopandas.GeoDataFrame
        Projects in any CRS (EPSG:4326 by contract) with ``project_id``, ``name``,
        ``category``, ``review_status`` and optionally ``status``,
        ``parking_spaces``, ``road_class``; checked by :func:`check_projects`.
    snap_m : float
        A road project's end joins the nearest walk node within this many metres.

    Returns
    -------
    (Workspace, list of AppliedProject)
        The projected copy (unchanged layers are shared, never modified; changed
        ones are new frames) and one entry per project, in input order.

    Examples
    --------
    A 100 m x 100 m park project for a workspace without parks adds 10,000 m²:

    >>> from shapely.geometry import box
    >>> from pyproj import CRS
    >>> gk = CRS.from_epsg(4547)
    >>> empty = gpd.GeoDataFrame(geometry=[], crs=gk)
    >>> ws = Workspace({"built_up": gpd.GeoDataFrame(geometry=[box(0, 0, 1e3, 1e3)], crs=gk),
    ...                 "parks": empty, "green_space": empty}, {}, metric_crs=gk)
    >>> park = gpd.GeoDataFrame({"project_id": ["P1"], "name": ["新公园"],
    ...     "category": ["公园绿地"], "review_status": ["已通过"]},
    ...     geometry=[box(0, 0, 100, 100)], crs=gk)
    >>> after, applied = apply_projects(ws, park)
    >>> applied[0].outcome, applied[0].amount, len(after.layers["parks"]), len(ws.layers["parks"])
    ('applied', 10000.0, 1, 0)
    """
    require_metric(ws_metric.layers["built_up"], "built_up")
    if snap_m < 0 or not math.isfinite(snap_m):
        msg = f"snap_m must be a finite distance >= 0 metres, got {snap_m}"
        raise ValidationError(msg)
    check_projects(projects)
    metric = projects.to_crs(ws_metric.metric_crs)
    area, parks = dissolve(ws_metric.layers["built_up"]), dissolve(ws_metric.layer("parks"))
    draft = _Draft(ws_metric, snap_m, area, Dissolved(parks))
    rows = (row for _, row in metric.iterrows())
    geoms = list(metric.geometry.values)
    applied = [_apply_one(draft, row, geom) for row, geom in zip(rows, geoms, strict=True)]
    return _finish(draft, applied), applied


def _apply_one(draft: _Draft, row: pd.Series, geom: BaseGeometry | None) -> AppliedProject:
    """Apply one project to the draft (or say why not)."""
    head = (_text(row["project_id"]), _text(row["name"]), _text(row["category"]))
    review = _text(row["review_status"])
    if review not in (PASSED, "passed"):
        return AppliedProject(
            *head,
            "not_passed",
            note_zh=f"审核状态为“{review}”，未通过审核的项目不计入",
            note_en=f"review status {review!r}: only passed (已通过) projects are applied",
        )
    apply = _APPLIERS.get(head[2])
    if apply is None:
        return AppliedProject(
            *head,
            "no_effect",
            note_zh="该类项目不影响本系统的指标",
            note_en="no indicator effect: this category moves none of the indicators",
        )
    if geom is None or geom.is_empty:
        return _not_applied(head, "项目没有空间位置（几何为空）", "the project has no geometry")
    return apply(draft, row, head, shapely.make_valid(geom) if not geom.is_valid else geom)


def _not_applied(head: tuple[str, str, str], why_zh: str, why_en: str) -> AppliedProject:
    return AppliedProject(
        *head, "not_applied", note_zh=f"未计入：{why_zh}", note_en=f"not applied: {why_en}"
    )


def _apply_park(
    draft: _Draft, row: pd.Series, head: tuple[str, str, str], geom: BaseGeometry
) -> AppliedProject:
    """A park outline joins ``parks`` and ``green_space``; points and lines add no area."""
    parts = polygon_parts(geom)
    if not parts:
        return _not_applied(
            head,
            "公园绿地项目须为面（范围线），点或线没有面积",
            "a park project needs its outline (a polygon); a point or a line has no area",
        )
    outline = shapely.union_all(parts)
    new_inside_m2 = _new_park_area(draft, outline)
    draft.added_parks.append(outline)
    feature = {"name": head[1], "project_id": head[0], "geometry": outline}
    draft.add("parks", {**feature, "leisure": "park"})
    draft.add("green_space", {**feature, "kind": "park"})
    area_m2 = float(outline.area)
    return AppliedProject(
        *head,
        "applied",
        amount=area_m2,
        unit="m²",
        layers=("parks", "green_space"),
        note_zh=f"公园绿地 +{area_m2:,.0f} m²",
        note_en=f"park +{area_m2:,.0f} m²",
        details={
            "area_m2": round(area_m2, 2),
            "new_park_in_built_up_m2": round(new_inside_m2, 2),
        },
    )


def _new_park_area(draft: _Draft, outline: BaseGeometry) -> float:
    """m² of ``outline`` inside the built-up area and not yet park (stored or projected).

    Worked out near the outline only: the built-up area's pieces (:func:`pieces_of`, disjoint,
    so their areas add up) and the park parts it meets, not the whole county's geometries
    (0.15 s per drawn park at 1,000 km²).
    """
    near = draft.parks.parts[draft.parks.tree.query(outline, predicate="intersects")]
    added = [p for p in draft.added_parks if p.intersects(outline)]
    parks = shapely.union_all([*near, *added])
    pieces = pieces_of(draft.area)
    hit = pieces[shapely.intersects(pieces, outline)]
    inside = shapely.difference(shapely.intersection(hit, outline), parks)
    return float(shapely.area(inside).sum())


def _apply_sports(
    draft: _Draft, row: pd.Series, head: tuple[str, str, str], geom: BaseGeometry
) -> AppliedProject:
    """One facility: the point or polygon as drawn, a line's mid-point."""
    if isinstance(geom, shapely.LineString | shapely.MultiLineString):
        geom = shapely.line_interpolate_point(geom, 0.5, normalized=True)
    elif geom.geom_type not in ("Point", "MultiPoint"):
        parts = polygon_parts(geom)
        geom = shapely.union_all(parts) if parts else geom.centroid
    draft.add(
        "sports",
        {"name": head[1], "project_id": head[0], "leisure": "sports_centre", "geometry": geom},
    )
    return AppliedProject(
        *head,
        "applied",
        amount=1.0,
        unit="facility",
        layers=("sports",),
        note_zh="体育设施 +1 处",
        note_en="sports facility +1",
        details={"geometry_type": geom.geom_type},
    )


def _apply_parking(
    draft: _Draft, row: pd.Series, head: tuple[str, str, str], geom: BaseGeometry
) -> AppliedProject:
    """``parking_spaces`` spaces join the parking layer."""
    spaces = _spaces(row["parking_spaces"]) if "parking_spaces" in row.index else None
    if not spaces:
        return _not_applied(
            head,
            "停车项目未填写停车泊位数（parking_spaces）",
            "the parking project gives no parking_spaces",
        )
    draft.add(
        PARKING_LAYER,
        {"name": head[1], "project_id": head[0], PARKING_SPACES: spaces, "geometry": geom},
    )
    return AppliedProject(
        *head,
        "applied",
        amount=float(spaces),
        unit="spaces",
        layers=(PARKING_LAYER,),
        note_zh=f"公共停车泊位 +{spaces} 个",
        note_en=f"parking +{spaces} spaces",
    )


def _apply_road(
    draft: _Draft, row: pd.Series, head: tuple[str, str, str], geom: BaseGeometry
) -> AppliedProject:
    """Centre line to ``roads``; each part's ends joined to the walk network."""
    lines = [g for g in shapely.get_parts(geom) if g.geom_type == "LineString" and g.length > 0]
    if not lines:
        return _not_applied(
            head, "道路项目须为线（道路中心线）", "a road project needs its centre line (a line)"
        )
    road_class = _road_class(row)
    walkable = road_class != "expressway"
    snapped, joined, snaps = [], 0, []
    for line in lines:
        drawn, ends = _connect(
            draft,
            line,
            walk=walkable,
            highway=ROAD_CLASS_HIGHWAY[road_class],
            project_id=head[0],
        )
        snapped.append(drawn)
        joined += sum(d is not None for d in ends)
        snaps += [None if d is None else round(d, 2) for d in ends]
        draft.road_count += 1
        draft.add("roads", _road_row(head, road_class, drawn, -draft.road_count))
    length_km = sum(g.length for g in snapped) / 1000.0
    loose_zh, loose_en = "", ""
    if walkable and joined < 2 * len(lines):
        loose_zh = f"；{2 * len(lines) - joined} 个端点 {draft.snap_m:g} m 内无步行网节点，成为尽端"
        loose_en = (
            f"; {2 * len(lines) - joined} end(s) with no walk node within {draft.snap_m:g} m "
            "left as dead ends"
        )
    inside_km = sum(g.intersection(draft.area).length for g in snapped) / 1000.0
    return AppliedProject(
        *head,
        "applied",
        amount=length_km,
        unit="km",
        layers=("roads", "walk_nodes", "walk_edges") if walkable else ("roads",),
        note_zh=f"道路中心线 +{length_km:.3f} km，{joined} 个端点接入现状路网{loose_zh}",
        note_en=(
            f"road centre line +{length_km:.3f} km, {joined} end(s) joined to the network{loose_en}"
        ),
        details={
            "road_class": road_class,
            "in_built_up_km": round(inside_km, 6),
            "ends_joined": joined,
            "snap_distances_m": snaps,
            "walkable": walkable,
        },
    )


def _road_class(row: pd.Series) -> str:
    """The project's GB/T 51328 class (``road_class`` column), ``branch`` by default."""
    value = _text(row["road_class"]) if "road_class" in row.index else ""
    return value if value in ROAD_CLASS_HIGHWAY else "branch"


def _road_row(
    head: tuple[str, str, str], road_class: str, line: BaseGeometry, osm_id: int
) -> dict[str, Any]:
    """A ``roads`` row for a project line (negative ``osm_id``: not an OSM way)."""
    return {
        "osm_id": osm_id,
        "highway": ROAD_CLASS_HIGHWAY[road_class],
        "road_class": road_class,
        "name": head[1],
        "oneway": False,
        "project_id": head[0],
        "geometry": line,
    }


def _connect(
    draft: _Draft, line: BaseGeometry, *, walk: bool, highway: str, project_id: str
) -> tuple[BaseGeometry, list[float | None]]:
    """Snap the line's ends to walk nodes within ``snap_m`` and queue its walk edge.

    Returns the line extended to the nodes it joins, and each end's snap
    distance (``None`` where the end joins no node; a walkable road then gets a
    new node there).
    """
    coords = np.asarray(line.coords, dtype=np.float64)[:, :2]
    if not draft.nodes_loaded:
        _load_nodes(draft)
    (u, du), (v, dv) = _nearest_node(draft, coords[0]), _nearest_node(draft, coords[-1])
    start = _node_xy(draft, u) if u >= 0 else coords[0]
    stop = _node_xy(draft, v) if v >= 0 else coords[-1]
    drawn = np.vstack([start, coords, stop])
    keep = np.r_[True, np.any(drawn[1:] != drawn[:-1], axis=1)]
    snapped = shapely.LineString(drawn[keep])
    if walk:
        u = u if u >= 0 else _new_node(draft, coords[0])
        v = v if v >= 0 else _new_node(draft, coords[-1])
        stops = [(0.0, u), *_crossings(draft, snapped), (float(snapped.length), v)]
        osm_id = -1 - len(draft.edges)
        for (a, na), (b, nb) in zip(stops[:-1], stops[1:], strict=True):
            if na == nb or b - a <= 0:
                continue
            piece = shapely.ops.substring(snapped, a, b)
            draft.edges.append(
                {
                    "u": na,
                    "v": nb,
                    "length_m": float(piece.length),
                    "osm_id": osm_id,
                    "highway": highway,
                    "project_id": project_id,
                    "geometry": piece,
                }
            )
    return snapped, [du, dv]


def _crossings(draft: _Draft, line: BaseGeometry) -> list[tuple[float, int]]:
    """Where ``line`` crosses walk edges inside its length: ``(distance along it, node)``.

    Each crossed edge is cut at its crossings (the stored one marked removed, its pieces
    queued as new edges with its attributes; a queued one replaced by its pieces); a crossing
    at an edge's end takes that end's node.  Sorted along ``line``, one entry per node.
    """
    _load_edges(draft)
    tol = CROSSING_TOLERANCE_M
    hits: list[tuple[str, int, BaseGeometry]] = []
    if draft.edge_tree is not None and draft.edge_geoms is not None:
        for i in draft.edge_tree.query(line, predicate="intersects"):
            if int(i) not in draft.removed:
                hits.append(("stored", int(i), draft.edge_geoms[int(i)]))
    for j, edge in enumerate(draft.edges):
        if not edge.get("removed") and edge["geometry"].intersects(line):
            hits.append(("queued", j, edge["geometry"]))
    found: dict[int, float] = {}
    for kind, i, geom in hits:
        points = [
            p
            for p in shapely.get_parts(line.intersection(geom))
            if p.geom_type == "Point" and tol < _along(line, p) < line.length - tol
        ]
        if points:
            for node, point in _cut_edge(draft, kind, i, geom, points):
                found.setdefault(node, _along(line, point))
    return sorted((d, n) for n, d in found.items())


def _cut_edge(
    draft: _Draft, kind: str, i: int, geom: BaseGeometry, points: list[BaseGeometry]
) -> list[tuple[int, BaseGeometry]]:
    """Cut one walk edge at ``points``: the node at each, the edge replaced by its pieces."""
    row = _edge_row(draft, kind, i)
    u, v, length = int(row["u"]), int(row["v"]), float(geom.length)
    at = sorted({round(_along(geom, p), 6) for p in points})
    nodes: list[tuple[int, BaseGeometry]] = []
    cuts: list[tuple[float, int]] = []
    for d in at:
        point = geom.interpolate(d)
        if d <= CROSSING_TOLERANCE_M:
            nodes.append((u, point))
        elif d >= length - CROSSING_TOLERANCE_M:
            nodes.append((v, point))
        else:
            node = _new_node(draft, np.asarray(point.coords[0], dtype=np.float64))
            cuts.append((d, node))
            nodes.append((node, point))
    if cuts:
        if kind == "stored":
            draft.removed.add(i)
        else:
            draft.edges[i]["removed"] = True
        stops = [(0.0, u), *cuts, (length, v)]
        for (a, na), (b, nb) in zip(stops[:-1], stops[1:], strict=True):
            piece = shapely.ops.substring(cast(LineString, geom), a, b)
            draft.edges.append(
                {**row, "u": na, "v": nb, "length_m": float(piece.length), "geometry": piece}
            )
    return nodes


def _edge_row(draft: _Draft, kind: str, i: int) -> dict[str, Any]:
    """A walk edge's attributes (a stored row, or a queued edge) without the removed flag."""
    if kind == "queued":
        return {k: val for k, val in draft.edges[i].items() if k != "removed"}
    edges = draft.ws.layers["walk_edges"]
    row: dict[str, Any] = edges.iloc[i].to_dict()
    geometry = edges.geometry.name
    if geometry != "geometry":
        row["geometry"] = row.pop(geometry)
    return row


def _along(line: BaseGeometry, point: BaseGeometry) -> float:
    """Distance along ``line`` to the point of it nearest ``point``."""
    return float(located_along(cast(LineString, line), cast(Point, point)))


def _load_edges(draft: _Draft) -> None:
    """The stored walk edges' geometries and their STR-tree (once per draft)."""
    if draft.edge_geoms is not None:
        return
    edges = draft.ws.layer("walk_edges")
    draft.edge_geoms = (
        np.asarray(edges.geometry.values, dtype=object)
        if edges is not None
        else np.zeros(0, dtype=object)
    )
    if len(draft.edge_geoms):
        draft.edge_tree = shapely.STRtree(draft.edge_geoms)


def _load_nodes(draft: _Draft) -> None:
    """Walk node coordinates indexed by ``node_id`` and their k-d tree."""
    draft.nodes_loaded = True
    nodes = draft.ws.layer("walk_nodes")
    if nodes is None or len(nodes) == 0:
        return
    ids = nodes["node_id"].to_numpy(dtype=np.int64)
    xy = np.empty((len(ids), 2))
    xy[ids] = shapely.get_coordinates(np.asarray(nodes.geometry.values, dtype=object))
    draft.node_xy = xy
    draft.tree = cKDTree(xy)


def _nearest_node(draft: _Draft, point: FloatArray) -> tuple[int, float | None]:
    """Nearest existing or new node within ``snap_m``: ``(node, distance)``, else ``(-1, None)``."""
    best, best_d = -1, math.inf
    if draft.tree is not None:
        d, i = draft.tree.query(point, k=1)
        best, best_d = int(i), float(d)
    if draft.new_xy:
        dist = np.hypot(*(np.asarray(draft.new_xy) - point).T)
        j = int(np.argmin(dist))
        if dist[j] < best_d:
            best, best_d = len(draft.node_xy) + j, float(dist[j])
    if best_d <= draft.snap_m:
        return best, best_d
    return -1, None


def _node_xy(draft: _Draft, node: int) -> FloatArray:
    """Coordinates of an existing or a new node."""
    if node < len(draft.node_xy):
        xy: FloatArray = draft.node_xy[node]
        return xy
    return np.asarray(draft.new_xy[node - len(draft.node_xy)], dtype=np.float64)


def _new_node(draft: _Draft, point: FloatArray) -> int:
    """Add a node at ``point``; return its id (after the existing ones)."""
    draft.new_xy.append((float(point[0]), float(point[1])))
    return len(draft.node_xy) + len(draft.new_xy) - 1


_APPLIERS: dict[
    str, Callable[[_Draft, pd.Series, tuple[str, str, str], BaseGeometry], AppliedProject]
] = {
    "公园绿地": _apply_park,
    "道路": _apply_road,
    "体育": _apply_sports,
    "停车": _apply_parking,
}


def _finish(draft: _Draft, applied: Sequence[AppliedProject]) -> Workspace:
    """The projected workspace: changed layers rebuilt once, the others shared."""
    ws = draft.ws
    crs = ws.metric_crs
    layers = dict(ws.layers)
    for name, rows in draft.rows.items():
        layers[name] = _appended(ws.layer(name), rows, crs)
    if draft.edges or draft.new_xy:
        layers["walk_nodes"], layers["walk_edges"] = _walk_network(draft, crs)
    metadata = copy.deepcopy(ws.metadata)
    if PARKING_LAYER in draft.rows and ws.layer(PARKING_LAYER) is None:
        metadata.setdefault("layers", {})[PARKING_LAYER] = {"provenance": PROJECTED_PROVENANCE}
    metadata["projected_projects"] = [a.project_id for a in applied if a.outcome == "applied"]
    return Workspace(layers, metadata, ws.population, ws.path, ws.metric_crs)


def _appended(
    layer: gpd.GeoDataFrame | None, rows: list[dict[str, Any]], crs: Any
) -> gpd.GeoDataFrame:
    """``layer`` with ``rows`` appended (a new frame; the layer itself is untouched)."""
    new = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    if layer is None:
        return new
    geometry = layer.geometry.name
    new = new.rename_geometry(geometry) if geometry != "geometry" else new
    if len(layer) == 0:
        columns = list(dict.fromkeys([*layer.columns, *new.columns]))
        out = new.reindex(columns=columns)
        for column in set(layer.columns) - set(new.columns) - {geometry}:
            out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)  # not float
        return gpd.GeoDataFrame(out, geometry=geometry, crs=crs)
    out = pd.concat([layer, new], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry=geometry, crs=crs)


def _walk_network(draft: _Draft, crs: Any) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Walk nodes and edges with the new nodes and edges appended (ids continue)."""
    nodes, edges = draft.ws.layer("walk_nodes"), draft.ws.layer("walk_edges")
    n_old, n_new = len(draft.node_xy), len(draft.new_xy)
    degree = np.zeros(n_old + n_new, dtype=np.int64)
    if nodes is not None and n_old:
        degree[nodes["node_id"].to_numpy(dtype=np.int64)] = nodes["degree"].to_numpy(np.int64)
    queued = [e for e in draft.edges if not e.get("removed")]
    for edge in queued:
        degree[edge["u"]] += 1
        degree[edge["v"]] += 1
    if draft.removed and edges is not None:
        cut = edges.iloc[sorted(draft.removed)]
        np.subtract.at(degree, cut["u"].to_numpy(dtype=np.int64), 1)
        np.subtract.at(degree, cut["v"].to_numpy(dtype=np.int64), 1)
        edges = edges.drop(index=cut.index)
    new_nodes = [
        {"node_id": n_old + i, "degree": 0, "geometry": shapely.Point(p)}
        for i, p in enumerate(draft.new_xy)
    ]
    out_nodes = _appended(nodes, new_nodes, crs) if new_nodes else nodes
    assert out_nodes is not None  # a walk edge was added, so a node exists
    out_nodes = out_nodes.copy()
    out_nodes["degree"] = degree[out_nodes["node_id"].to_numpy(dtype=np.int64)]
    out_edges = _appended(edges, queued, crs) if queued else edges
    assert out_edges is not None
    return out_nodes, out_edges


# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class IndicatorChange:
    """One indicator now and projected, with the change and both verdicts."""

    now: IndicatorResult
    projected: IndicatorResult

    @property
    def delta(self) -> float | None:
        """Projected minus now, in the indicator's unit (``None`` when either has no value)."""
        if self.now.value is None or self.projected.value is None:
            return None
        return self.projected.value - self.now.value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready row: values, delta, pass now and projected."""
        now, after = self.now.to_dict(), self.projected.to_dict()
        delta = self.delta
        return {
            "id": now["id"],
            "name_zh": now["name_zh"],
            "name_en": now["name_en"],
            "unit": now["unit"],
            "target": now["target"],
            "target_year": now["target_year"],
            "comparison": now["comparison"],
            "now": now["value"],
            "projected": after["value"],
            "delta": None if delta is None or math.isnan(delta) else round(delta, 4),
            "passed_now": now["passed"],
            "passed_projected": after["passed"],
            "status_now": now["status"],
            "status_projected": after["status"],
            "reason_projected": after["reason"],
            "basis_projected": "estimate",
        }


@dataclass(frozen=True)
class ProjectedIndicators:
    """The indicators and grade now and when the passed projects are finished."""

    changes: list[IndicatorChange]
    assessment_now: Assessment
    assessment_projected: Assessment
    projects: list[AppliedProject]
    totals: dict[str, dict[str, float | None]]
    year: int
    snap_m: float

    @property
    def projected_results(self) -> list[IndicatorResult]:
        """The projected :class:`IndicatorResult` objects (gap layers included), in report order."""
        return [c.projected for c in self.changes]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the shape the CLI prints with ``--json``)."""
        counts = {k: 0 for k in ("applied", "no_effect", "not_applied", "not_passed")}
        for p in self.projects:
            counts[p.outcome] += 1
        now, after = self.assessment_now, self.assessment_projected
        return {
            "label_zh": LABEL_ZH,
            "label_en": LABEL_EN,
            "year": self.year,
            "parameters": {"road_snap_m": self.snap_m, "applied_review_status": PASSED},
            "indicators": [c.to_dict() for c in self.changes],
            "grade": {
                "now": now.grade,
                "now_en": now.grade_en,
                "projected": after.grade,
                "projected_en": after.grade_en,
                "score_now": now.score,
                "score_projected": after.score,
                "score_delta": round(after.score - now.score, 1),
            },
            "assessment_now": now.to_dict(),
            "assessment_projected": after.to_dict(),
            "projects": [p.to_dict() for p in self.projects],
            "project_counts": counts,
            "totals": self.totals,
        }


@one_at_a_time
def project_indicators(
    ws_metric: Workspace,
    projects: gpd.GeoDataFrame,
    settings: IndicatorSettings,
    *,
    rules: AssessmentRules = DEFAULT_RULES,
    now: Sequence[IndicatorResult] | None = None,
    snap_m: float = ROAD_SNAP_M,
) -> ProjectedIndicators:
    """The indicators and grade now and with the passed projects finished.

    Parameters
    ----------
    ws_metric : Workspace
        The county in its metric CRS; never modified.
    projects : geopandas.GeoDataFrame
        The projects (see :func:`apply_projects`).
    settings : IndicatorSettings
        Year, walking time and the other parameters, as for the report.
    rules : AssessmentRules
        Grading rules.
    now : sequence of IndicatorResult, optional
        The current results when the caller has them (the app's cache), so they
        are not computed again; they must come from the same workspace and settings.
    snap_m : float
        Snapping distance of road ends (:data:`ROAD_SNAP_M`).

    Returns
    -------
    ProjectedIndicators
        Now → projected per indicator, both grades and what each project did.
        When no project changes a layer, the projected results are the current ones.
    """
    after_ws, applied = apply_projects(ws_metric, projects, snap_m=snap_m)
    current = list(now) if now is not None else compute_all(ws_metric, settings)
    changed = any(p.outcome == "applied" for p in applied)
    after = compute_all(after_ws, settings) if changed else current
    by_id = {r.id: r for r in after}
    changes = [IndicatorChange(r, by_id.get(r.id, r)) for r in current]
    return ProjectedIndicators(
        changes,
        assess(current, rules),
        assess(after, rules),
        applied,
        layer_totals(ws_metric, after_ws),
        settings.year,
        snap_m,
    )


def layer_totals(now: Workspace, after: Workspace) -> dict[str, dict[str, float | None]]:
    """Counts the projects change, now and projected: facilities, parking spaces, walk edges."""
    return {
        name: {"now": count(now), "projected": count(after)}
        for name, count in (
            ("sports_facilities", lambda w: _rows(w, "sports")),
            ("parking_spaces", _parking_spaces),
            ("walk_edges", lambda w: _rows(w, "walk_edges")),
        )
    }


def _rows(ws: Workspace, name: str) -> float | None:
    layer = ws.layer(name)
    return None if layer is None else float(len(layer))


def _parking_spaces(ws: Workspace) -> float | None:
    """Total ``capacity_spaces`` of the parking layer (``None`` without one)."""
    layer = ws.layer(PARKING_LAYER)
    if layer is None or PARKING_SPACES not in layer.columns:
        return None
    return float(pd.to_numeric(layer[PARKING_SPACES], errors="coerce").fillna(0).sum())


@one_at_a_time
def projected_report(
    ws: Workspace,
    projects: gpd.GeoDataFrame,
    settings: IndicatorSettings,
    *,
    rules: AssessmentRules = DEFAULT_RULES,
    now: Sequence[IndicatorResult] | None = None,
    snap_m: float = ROAD_SNAP_M,
) -> dict[str, Any]:
    """The dashboard's now → projected object for a workspace in any CRS.

    Validates ``settings``, takes the workspace to its metric CRS when needed
    (as :func:`gis.report.county_report` does) and returns
    :meth:`ProjectedIndicators.to_dict`.  Pass the passed projects (or all of
    them: the others are listed as ``not_passed``) and, when cached, the current
    results of the same workspace and settings as ``now``.
    """
    settings.validate()
    metric = ws if in_metric_crs(ws) else ws.to_metric()
    return project_indicators(
        metric, projects, settings, rules=rules, now=now, snap_m=snap_m
    ).to_dict()
