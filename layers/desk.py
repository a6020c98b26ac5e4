"""The planner's map desk: which layers each indicator shows, the layer groups and the legends.

One place for what the indicator-first planner map (``/map/<county>?indicator=<id>``,
static/js/map-desk.js) draws: an indicator's view is its inputs (:data:`INDICATOR_INPUTS`)
plus every catalogue layer the indicator produced (gap, counted area, suggestions: the
``indicator_id`` of :class:`layers.catalog.LayerInfo`), over the county boundary.  Every layer of
the catalogue sits in one group of the layer control (:data:`GROUPS`) and has a legend: its class
breaks or categories with colours (:mod:`layers.style`), the unit, the source and the 样例 /
估算 labels.  :func:`desk_payload` is the JSON the page reads; a server-side renderer can call
the same functions for the same styles.

A layer added to the catalogue elsewhere shows up by itself: a gap, result or suggestion layer
under 指标缺口 and in its indicator's view, any other layer under 基础数据 unless
:data:`LAYER_GROUPS` names its group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from layers.catalog import POPULATION_LAYER, LayerInfo

GROUPS: tuple[tuple[str, str, str], ...] = (
    ("base", "基础数据", "Base data"),
    ("gaps", "指标缺口", "Indicator gaps"),
    ("plans", "规划", "Plans"),
    ("projects", "项目", "Projects"),
)
"""The groups of the layer control in order: ``(key, title_zh, title_en)``."""

LAYER_GROUPS: dict[str, str] = {
    "plans": "plans",
    "key_areas": "plans",
    "urban_designs": "plans",
    "disclosures": "plans",
    "projects": "projects",
}
"""Stored layers outside 基础数据 (other stored layers and the population cells are base data)."""

INDICATOR_KINDS = frozenset({"gap", "result", "suggestion"})
"""Catalogue kinds an indicator produces: grouped under 指标缺口, shown with their indicator."""

CONTEXT_LAYERS: tuple[str, ...] = ("boundary",)
"""Drawn under every indicator's view (where the county is)."""

INDICATOR_INPUTS: dict[str, tuple[str, ...]] = {
    "road_density": ("built_up", "roads"),
    "fitness_15min_coverage": (POPULATION_LAYER, "sports"),
    "park_green_per_capita": ("built_up", "parks"),
    "green_space_ratio": ("built_up", "parks", "green_space"),
    "park_service_coverage": ("residential", "parks"),
    "regulatory_plan_coverage": ("built_up", "plans"),
    "urban_design_coverage": ("key_areas", "urban_designs"),
    "parking_per_100_cars": ("built_up", "parking"),
    "sewer_network_coverage": ("built_up", "sewer_pipes"),
}
"""The stored layers an indicator is computed from, bottom first.  An indicator not listed (a
county figure such as the water-supply rate) shows the built-up area."""

DEFAULT_INPUTS: tuple[str, ...] = ("built_up",)

UNITS: dict[str, tuple[str, str]] = {
    POPULATION_LAYER: ("人/公顷", "persons per hectare"),
    "roads": ("道路等级（GB/T 51328-2018）", "road class (GB/T 51328-2018)"),
    "plans": ("审批状态", "approval status"),
    "disclosures": ("公开类型", "record type"),
}
"""What the legend's classes measure, for layers styled by a property."""

SOURCES: dict[str, tuple[str, str]] = {
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "osm_derived": ("由OSM推算", "derived from OpenStreetMap"),
    "sample": ("样例数据（虚构）", "sample data (made up)"),
    "uploaded": ("上传数据", "uploaded"),
    "estimated": ("估算", "estimate"),
    "computed": ("指标计算结果", "computed by the indicator"),
}
"""Legend wording of the catalogue's provenance values (others are shown as they are)."""

ESTIMATE_PROVENANCES = frozenset({"osm_derived", "estimated"})

MEANINGS: dict[str, tuple[str, str]] = {
    "gap_road_dead_ends": (
        "断头路：建成区内驾车网络的尽端道路",
        "dead-end roads: urban roads ending inside the built-up area",
    ),
    "gap_fitness_uncovered_cells": (
        "人口格：步行15分钟内无体育设施",
        "population cells with no sports facility within a 15-minute walk",
    ),
    "fitness_sites": (
        "建议新增健身设施选址（覆盖最多未覆盖居民）",
        "suggested sites covering the most uncovered residents",
    ),
    "parks_in_built_up": ("建成区内计入的公园绿地", "parks counted, inside the built-up area"),
    "green_in_built_up": ("建成区内计入的绿地", "green space counted, inside the built-up area"),
    "gap_park_unserved_residential": (
        "公园服务半径以外的居住用地",
        "residential land outside every park's service radius",
    ),
    "gap_plan_uncovered_built_up": (
        "无已批准控规的建成区",
        "built-up land without an approved regulatory plan",
    ),
    "gap_design_uncovered_key_areas": (
        "无城市设计的重点地区",
        "key areas without an urban design",
    ),
    "gap_parking_no_capacity": ("未填泊位数的停车场", "car parks without a capacity"),
    "gap_sewer_uncovered_built_up": (
        "污水管网服务范围以外的建成区",
        "built-up land beyond the sewer pipes' reach",
    ),
}
"""What one feature of an indicator's own layer is: the label of its legend swatch (a layer not
listed keeps its title)."""


def layer_group(info: LayerInfo) -> str:
    """The layer-control group of a catalogue layer (a key of :data:`GROUPS`).

    >>> from layers.style import style_for
    >>> def info(name, kind="stored"):
    ...     return LayerInfo(name, kind, "", "", 1, (), "osm", False, style_for(name))
    >>> layer_group(info("roads")), layer_group(info("plans")), layer_group(info("x_gap", "gap"))
    ('base', 'plans', 'gaps')
    """
    if info.kind in INDICATOR_KINDS:
        return "gaps"
    return LAYER_GROUPS.get(info.name, "base")


def is_estimate(info: LayerInfo, *, population_estimate: bool) -> bool:
    """Whether the layer's legend carries 估算: derived from OSM, estimated, or estimated cells."""
    if info.kind == "population":
        return population_estimate
    return info.provenance in ESTIMATE_PROVENANCES


@dataclass(frozen=True)
class IndicatorView:
    """What the map draws for one indicator: layer names bottom first, those with features."""

    indicator_id: str
    name_zh: str
    name_en: str
    layers: tuple[str, ...]
    status: str = ""
    passed: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "id": self.indicator_id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "layers": list(self.layers),
            "status": self.status or None,
            "passed": self.passed,
        }


def view_layers(indicator_id: str, infos: Sequence[LayerInfo]) -> tuple[str, ...]:
    """The layers drawn for ``indicator_id``: context, inputs, then what the indicator produced.

    Only layers of ``infos`` with features; inputs in :data:`INDICATOR_INPUTS` order, produced
    layers in catalogue order.

    >>> from layers.style import style_for
    >>> def info(name, kind="stored", ind="", n=1):
    ...     return LayerInfo(name, kind, "", "", n, (), "osm", False, style_for(name), ind)
    >>> infos = [info("boundary"), info("built_up"), info("roads"), info("parks"),
    ...          info("gap_road_dead_ends", "gap", "road_density"),
    ...          info("gap_other", "gap", "park_service_coverage"), info("empty_gap", "gap",
    ...          "road_density", 0)]
    >>> view_layers("road_density", infos)
    ('boundary', 'built_up', 'roads', 'gap_road_dead_ends')
    """
    present = {i.name for i in infos if i.feature_count}
    wanted = [*CONTEXT_LAYERS, *INDICATOR_INPUTS.get(indicator_id, DEFAULT_INPUTS)]
    produced = [
        i.name
        for i in infos
        if i.indicator_id == indicator_id and i.kind in INDICATOR_KINDS and i.feature_count
    ]
    out: list[str] = []
    for name in [*wanted, *produced]:
        if name in present and name not in out:
            out.append(name)
    return tuple(out)


def indicator_views(
    indicators: Sequence[Mapping[str, Any]], infos: Sequence[LayerInfo]
) -> list[IndicatorView]:
    """One view per indicator of the report (``id``, ``name_zh``, ``name_en``, ``status``)."""
    return [
        IndicatorView(
            str(ind["id"]),
            str(ind.get("name_zh", ind["id"])),
            str(ind.get("name_en", ind["id"])),
            view_layers(str(ind["id"]), infos),
            str(ind.get("status") or ""),
            ind.get("passed") if isinstance(ind.get("passed"), bool) else None,
        )
        for ind in indicators
    ]


def default_indicator(
    indicators: Sequence[Mapping[str, Any]], views: Sequence[IndicatorView]
) -> str:
    """The indicator the map opens on: the first one missing its target with a gap to show.

    Else the first with a layer of its own beyond the boundary, else the first indicator.

    >>> views = [IndicatorView("a", "", "", ("boundary",)), IndicatorView("b", "", "",
    ...          ("boundary", "roads")), IndicatorView("c", "", "", ("boundary", "x"))]
    >>> default_indicator([{"id": "a", "passed": False}, {"id": "b", "passed": True},
    ...                    {"id": "c", "passed": False}], views)
    'c'
    >>> default_indicator([{"id": "a", "passed": False}, {"id": "b", "passed": True}], views)
    'b'
    """
    by_id = {v.indicator_id: v for v in views}
    own = [v.indicator_id for v in views if set(v.layers) - set(CONTEXT_LAYERS)]
    for ind in indicators:
        if ind.get("passed") is False and str(ind["id"]) in own:
            return str(ind["id"])
    if own:
        return own[0]
    return next(iter(by_id), "")


def _entry_shape(info: LayerInfo) -> str:
    if info.kind == "suggestion":
        return "marker"
    types = set(info.geometry_types)
    if types and types <= {"Point", "MultiPoint"}:
        return "point"
    if types and types <= {"LineString", "MultiLineString"}:
        return "line"
    if not types and info.style.base.get("fill") is False:
        return "line"
    return "fill"


def layer_legend(info: LayerInfo, *, population_estimate: bool) -> dict[str, Any]:
    """The legend of one layer: entries (colour, labels, shape), unit, source and labels.

    >>> from layers.style import style_for
    >>> roads = LayerInfo("roads", "stored", "道路", "Roads", 5, ("LineString",), "osm", False,
    ...                   style_for("roads"))
    >>> legend = layer_legend(roads, population_estimate=False)
    >>> legend["group"], legend["shape"], legend["source_zh"], len(legend["entries"])
    ('base', 'line', 'OpenStreetMap', 5)
    """
    source_zh, source_en = SOURCES.get(info.provenance, (info.provenance, info.provenance))
    unit_zh, unit_en = UNITS.get(info.name, ("", ""))
    shape = _entry_shape(info)
    return {
        "name": info.name,
        "kind": info.kind,
        "group": layer_group(info),
        "indicator_id": info.indicator_id or None,
        "title_zh": info.title_zh,
        "title_en": info.title_en,
        "feature_count": info.feature_count,
        "shape": shape,
        "dashed": bool(info.style.base.get("dashArray")),
        "unit_zh": unit_zh,
        "unit_en": unit_en,
        "source_zh": source_zh,
        "source_en": source_en,
        "sample": info.sample,
        "estimate": is_estimate(info, population_estimate=population_estimate),
        "entries": [_entry(info, e.to_dict(), shape) for e in info.style.legend],
    }


def _entry(info: LayerInfo, entry: dict[str, str], shape: str) -> dict[str, str]:
    meaning = MEANINGS.get(info.name)
    if meaning is not None and len(info.style.legend) == 1:
        entry = {**entry, "label_zh": meaning[0], "label_en": meaning[1]}
    return {**entry, "shape": shape}


def desk_payload(
    indicators: Sequence[Mapping[str, Any]],
    infos: Sequence[LayerInfo],
    *,
    population_estimate: bool,
    selected: str | None = None,
) -> dict[str, Any]:
    """Everything the map desk reads: groups, legends by layer, views, default and selection.

    ``selected`` is the indicator of the page's URL (``None``: the default view).
    """
    views = indicator_views(indicators, infos)
    default = default_indicator(indicators, views)
    return {
        "groups": [{"key": k, "title_zh": zh, "title_en": en} for k, zh, en in GROUPS],
        "layers": [layer_legend(i, population_estimate=population_estimate) for i in infos],
        "views": [v.to_dict() for v in views],
        "default": default,
        "selected": selected or default,
    }


def shown_layers(payload: Mapping[str, Any]) -> frozenset[str]:
    """The names of the layers the selected view draws (what the page switches on first)."""
    for view in payload["views"]:
        if view["id"] == payload["selected"]:
            return frozenset(view["layers"])
    return frozenset(CONTEXT_LAYERS)


TOWN_VIEW_SHARE = 0.25
"""The map opens on the built-up area when its box is less than this share of the county's."""
TOWN_VIEW_PADDING = 0.15


def first_view_bounds(county: Sequence[float], built_up: Sequence[float] | None) -> list[float]:
    """The bounds a county's map opens on: its town when the town is a small part of it.

    A Henan county is a town of a few dozen km² in farmland; opened on the whole county
    (2,000 km²) the town and its indicators are a few pixels.  When the built-up area's box is
    less than :data:`TOWN_VIEW_SHARE` of the county's box (in squared degrees, enough to compare
    two boxes of one place), the map opens on the built-up box widened by
    :data:`TOWN_VIEW_PADDING` on every side; otherwise (a city filling its county, or no
    built-up area) on the county.  Boxes are ``[min_lon, min_lat, max_lon, max_lat]``.

    >>> first_view_bounds([0, 0, 1, 1], [0.4, 0.4, 0.6, 0.5])
    [0.37, 0.385, 0.63, 0.515]
    >>> first_view_bounds([0, 0, 1, 1], [0.1, 0.1, 0.9, 0.9])
    [0.0, 0.0, 1.0, 1.0]
    >>> first_view_bounds([0, 0, 1, 1], None)
    [0.0, 0.0, 1.0, 1.0]
    """
    whole = [float(v) for v in county]

    def area(box: Sequence[float]) -> float:
        return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)

    if built_up is None or not all(map(_finite, built_up)) or area(built_up) <= 0:
        return whole
    if area(built_up) >= TOWN_VIEW_SHARE * area(whole):
        return whole
    dx = (built_up[2] - built_up[0]) * TOWN_VIEW_PADDING
    dy = (built_up[3] - built_up[1]) * TOWN_VIEW_PADDING
    out = [built_up[0] - dx, built_up[1] - dy, built_up[2] + dx, built_up[3] + dy]
    return [round(float(v), 7) for v in out]


def _finite(value: Any) -> bool:
    try:
        return bool(abs(float(value)) < float("inf"))
    except (TypeError, ValueError):
        return False
