"""Styles and legends of the map layers, as data (JSON for the API, style functions for Folium).

A :class:`LayerStyle` is a base Leaflet path style, optionally varied by one property: by
category (``roads`` by ``road_class``, ``disclosures`` by ``type``) or by numeric breaks
(population cells by ``persons_per_ha``).  The API sends :meth:`LayerStyle.to_dict`; the map page
calls :meth:`LayerStyle.feature_style` for each feature, so both show the same colours.

>>> style_for("roads").feature_style({"road_class": "arterial"})["color"]
'#0072b2'
>>> style_for("population").feature_style({"persons_per_ha": 150.0})["fillColor"]
'#6a51a3'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gis.settings import ROAD_CLASS_NAMES


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a colour swatch and its label in Chinese and English."""

    color: str
    label_zh: str
    label_en: str

    def to_dict(self) -> dict[str, str]:
        """JSON shape."""
        return {"color": self.color, "label_zh": self.label_zh, "label_en": self.label_en}


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn.

    Attributes
    ----------
    title_zh, title_en : str
        Name of the layer in the layer control and legend.
    base : dict
        Leaflet path options (``color``, ``weight``, ``fillColor``, ``fillOpacity``, ``radius``
        for points, ...).
    by_property : str
        Property whose value picks a variant (empty: one style for all features).
    categories : dict
        ``value -> options`` overriding :attr:`base` (categorical styling).
    breaks : tuple
        ``(upper_bound, options)`` pairs in increasing order (numeric styling); a value below
        ``upper_bound`` takes ``options``; values above the last bound take the last one.
    legend : tuple of LegendEntry
    """

    title_zh: str
    title_en: str
    base: dict[str, Any]
    by_property: str = ""
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    breaks: tuple[tuple[float, dict[str, Any]], ...] = ()
    legend: tuple[LegendEntry, ...] = ()

    def feature_style(self, properties: dict[str, Any]) -> dict[str, Any]:
        """Leaflet path options for one feature with ``properties``."""
        style = dict(self.base)
        if not self.by_property:
            return style
        value = properties.get(self.by_property)
        if self.categories:
            style.update(self.categories.get(str(value), {}))
        elif self.breaks and isinstance(value, int | float) and not math.isnan(value):
            chosen = self.breaks[-1][1]
            for upper, options in self.breaks:
                if value < upper:
                    chosen = options
                    break
            style.update(chosen)
        return style

    def to_dict(self) -> dict[str, Any]:
        """JSON shape sent by the API (``breaks`` upper bounds; ``null`` means no bound)."""
        return {
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "base": self.base,
            "by_property": self.by_property or None,
            "categories": self.categories,
            "breaks": [
                {"below": (None if math.isinf(upper) else upper), "style": options}
                for upper, options in self.breaks
            ],
            "legend": [entry.to_dict() for entry in self.legend],
        }


def _line(color: str, weight: float, **extra: Any) -> dict[str, Any]:
    return {"color": color, "weight": weight, "opacity": 0.9, "fill": False, **extra}


def _poly(color: str, fill_opacity: float, weight: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {
        "color": color,
        "weight": weight,
        "opacity": 0.9,
        "fillColor": color,
        "fillOpacity": fill_opacity,
        **extra,
    }


# The palette: Okabe & Ito's colour-universal-design colours (layers/palette.py), Paul Tol's
# indigo for expressways and ColorBrewer's Purples for population density.  The colours of the
# layers an indicator shows together stay at least MIN_DELTA_E00 apart under normal vision and
# simulated protanopia, deuteranopia and tritanopia (tests/layers/test_palette.py).
ROAD_COLORS = {
    "expressway": ("#332288", 5.0),
    "arterial": ("#0072b2", 4.0),
    "secondary": ("#56b4e9", 3.0),
    "branch": ("#f0e442", 2.0),
    "other": ("#999999", 1.0),
}

DISCLOSURE_TYPES = {
    "编制": ("#0072b2", "plan compilation"),
    "修改": ("#e69f00", "plan amendment"),
    "审批": ("#009e73", "plan approval"),
    "规划许可": ("#cc79a7", "planning permit"),
    "违法建设查处": ("#d55e00", "enforcement against illegal building"),
}

POPULATION_BREAKS_PER_HA = (
    (10.0, "#efedf5"),
    (50.0, "#bcbddc"),
    (100.0, "#807dba"),
    (200.0, "#6a51a3"),
    (math.inf, "#3f007d"),
)

GAP_COLOR = "#d55e00"


def _roads() -> LayerStyle:
    categories = {k: _line(c, w) for k, (c, w) in ROAD_COLORS.items()}
    legend = tuple(
        LegendEntry(c, ROAD_CLASS_NAMES[k][0], ROAD_CLASS_NAMES[k][1])
        for k, (c, _w) in ROAD_COLORS.items()
    )
    return LayerStyle(
        "道路（按等级）",
        "Roads by class",
        _line("#999999", 1.0),
        "road_class",
        categories,
        legend=legend,
    )


def _population() -> LayerStyle:
    breaks = []
    legend = []
    lower = 0.0
    for upper, color in POPULATION_BREAKS_PER_HA:
        breaks.append((upper, {"fillColor": color, "color": color}))
        if math.isinf(upper):
            legend.append(LegendEntry(color, f"≥ {lower:g} 人/公顷", f"≥ {lower:g} persons/ha"))
        else:
            legend.append(
                LegendEntry(
                    color, f"{lower:g}–{upper:g} 人/公顷", f"{lower:g}–{upper:g} persons/ha"
                )
            )
        lower = upper
    return LayerStyle(
        "人口（栅格）",
        "Population cells",
        _poly("#807dba", 0.55, 0.3),
        "persons_per_ha",
        breaks=tuple(breaks),
        legend=tuple(legend),
    )


def _disclosures() -> LayerStyle:
    categories = {k: {"color": c, "fillColor": c} for k, (c, _en) in DISCLOSURE_TYPES.items()}
    legend = tuple(LegendEntry(c, k, en) for k, (c, en) in DISCLOSURE_TYPES.items())
    base = _poly("#495057", 0.6, 2.0, radius=7)
    return LayerStyle(
        "阳光规划公开记录", "Disclosed planning records", base, "type", categories, legend=legend
    )


def _plans() -> LayerStyle:
    categories = {
        "approved": _poly("#009e73", 0.25, 1.5),
        "draft": _poly("#e69f00", 0.15, 1.5, dashArray="5 4"),
    }
    legend = (
        LegendEntry("#009e73", "已批准控规单元", "approved regulatory plan unit"),
        LegendEntry("#e69f00", "未批准（草案等）", "not approved (draft, ...)"),
    )
    return LayerStyle(
        "控制性详细规划",
        "Regulatory detailed plans",
        _poly("#e69f00", 0.15, 1.5, dashArray="5 4"),
        "status",
        categories,
        legend=legend,
    )


def _simple(title_zh: str, title_en: str, base: dict[str, Any]) -> LayerStyle:
    color = str(base.get("fillColor") or base["color"])
    return LayerStyle(title_zh, title_en, base, legend=(LegendEntry(color, title_zh, title_en),))


_STYLES: dict[str, LayerStyle] = {
    "boundary": _simple("边界", "Boundary", _line("#000000", 2.5, dashArray="8 5")),
    "built_up": _simple("建成区", "Built-up area", _poly("#666666", 0.06, 2.0)),
    "roads": _roads(),
    "walk_edges": _simple("步行网络", "Walking network", _line("#999999", 1.0, opacity=0.6)),
    "walk_nodes": _simple(
        "步行网络节点", "Walking network nodes", _poly("#999999", 0.8, 0.5, radius=2)
    ),
    "parks": _simple("公园绿地", "Parks", _poly("#009e73", 0.5)),
    "green_space": _simple("绿地", "Green space", _poly("#f0e442", 0.45)),
    "sports": _simple("体育设施", "Sports facilities", _poly("#e69f00", 0.7, 1.5, radius=6)),
    "residential": _simple("居住用地", "Residential land", _poly("#cc79a7", 0.3)),
    "landuse": _simple("土地利用", "Land use", _poly("#bbbbbb", 0.25)),
    "plans": _plans(),
    "key_areas": _simple("重点地区", "Key areas", _poly("#cc79a7", 0.15, 2.0)),
    "urban_designs": _simple("城市设计", "Urban designs", _poly("#56b4e9", 0.25, 1.5)),
    "disclosures": _disclosures(),
    "parking": _simple("公共停车场", "Public car parks", _poly("#0072b2", 0.35, 1.5, radius=5)),
    "sewer_pipes": _simple("污水管网", "Sewer pipes", _line("#56b4e9", 2.0)),
    "projects": _simple("项目库", "Projects", _poly("#e69f00", 0.35, 2.5, radius=7)),
    "facilities": _simple(
        "生活圈设施", "Life-circle facilities", _poly("#882255", 0.5, 1.5, radius=5)
    ),
    "population": _population(),
    "fitness_sites": _simple(
        "建议新增健身设施选址", "Suggested fitness sites", _poly("#0072b2", 0.9, 2.0, radius=8)
    ),
}


def gap_style(title_zh: str, title_en: str) -> LayerStyle:
    """The style of every indicator gap layer (Okabe–Ito vermillion, hatched look by dashes)."""
    base = _poly(GAP_COLOR, 0.35, 2.5, dashArray="4 3", radius=5)
    return _simple(title_zh, title_en, base)


def result_style(title_zh: str, title_en: str) -> LayerStyle:
    """The style of an indicator layer showing what was counted: blue outline.

    For example the parks inside the built-up area.
    """
    return _simple(title_zh, title_en, _poly("#0072b2", 0.25, 1.5, radius=4))


def style_for(name: str) -> LayerStyle:
    """Style of the stored layer ``name`` (a neutral grey for layers without their own style)."""
    style = _STYLES.get(name)
    if style is None:
        return _simple(name, name, _poly("#495057", 0.3))
    return style
