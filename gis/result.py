"""The one result type every indicator returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd

Status = Literal["ok", "no_data", "not_computable"]

ESTIMATED_INPUTS: dict[str, tuple[frozenset[str], str, str]] = {
    "built_up": (
        frozenset({"osm_derived"}),
        "建成区由OpenStreetMap推算",
        "built-up area derived from OpenStreetMap",
    ),
    "population": (frozenset({"estimated"}), "人口为估算", "population estimated"),
    "residential": (
        frozenset({"built_up_substitute"}),
        "居住用地未测绘，以建成区（除公园）代替",
        "residential land not mapped: the built-up area less parks stands in",
    ),
    "plans": (frozenset({"sample"}), "控规为样例数据", "plans are SAMPLE data"),
    "key_areas": (frozenset({"sample"}), "重点地区为样例数据", "key areas are SAMPLE data"),
    "urban_designs": (
        frozenset({"sample"}),
        "城市设计为样例数据",
        "urban designs are SAMPLE data",
    ),
    "parking_capacity": (
        frozenset({"incomplete"}),
        "部分停车场未标注泊位数，数值为下限",
        "some car parks have no capacity: the value is a lower bound",
    ),
    "parking": (frozenset({"sample"}), "停车场为样例数据", "car parks are SAMPLE data"),
    "sewer_pipes": (frozenset({"sample"}), "污水管网为样例数据", "sewer pipes are SAMPLE data"),
}
"""Inputs that make a result an estimate: input -> (provenances, Chinese, English label)."""


def empty_layer(crs: Any) -> gpd.GeoDataFrame:
    """An empty gap layer in ``crs``."""
    return gpd.GeoDataFrame({"geometry": gpd.GeoSeries([], crs=crs)}, geometry="geometry", crs=crs)


@dataclass(frozen=True)
class IndicatorResult:
    """Value of one indicator against its target, with the gap layer to draw.

    ``value`` is ``None`` when ``status`` is ``"no_data"`` (the county has no
    input layer, e.g. no regulatory plans) or ``"not_computable"`` (inputs
    exist but cannot give a number, e.g. no population); ``reason`` says why.
    ``passed`` is ``None`` then too: missing data is neither a pass nor a fail.
    ``reason`` is ``中文 | English`` (gis.indicators._common.REASONS; :func:`reason_parts`).
    """

    id: str
    name_zh: str
    name_en: str
    value: float | None
    unit: str
    target: float
    target_year: int
    passed: bool | None
    status: Status
    layer: gpd.GeoDataFrame
    layer_name: str = ""
    reason: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    comparison: Literal[">=", "<="] = ">="

    @property
    def estimated_inputs(self) -> list[str]:
        """Inputs this result rests on that are derived, estimated or sample data.

        >>> import geopandas as gpd
        >>> r = IndicatorResult("x", "x", "x", 1.0, "%", 1.0, 2020, True, "ok",
        ...                     gpd.GeoDataFrame(geometry=[]),
        ...                     provenance={"roads": "osm", "built_up": "osm_derived"})
        >>> r.estimated_inputs, r.basis
        (['built_up'], 'estimate')
        """
        if self.value is None:
            return []
        return [
            name
            for name, (provenances, _zh, _en) in ESTIMATED_INPUTS.items()
            if self.provenance.get(name) in provenances
        ]

    @property
    def basis(self) -> Literal["measured", "estimate"]:
        """``estimate`` when the value rests on a derived, estimated or sample input."""
        return "estimate" if self.estimated_inputs else "measured"

    def basis_note(self) -> tuple[str, str]:
        """What the value rests on, in Chinese and English (empty when nothing is estimated)."""
        names = self.estimated_inputs
        if not names:
            return "", ""
        zh = "；".join(ESTIMATED_INPUTS[n][1] for n in names)
        en = "; ".join(ESTIMATED_INPUTS[n][2] for n in names)
        return f"基于估算：{zh}", f"rests on estimates: {en}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the gap layer is served separately)."""
        value = None if self.value is None or math.isnan(self.value) else round(self.value, 4)
        note_zh, note_en = self.basis_note()
        return {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "value": value,
            "unit": self.unit,
            "target": self.target,
            "target_year": self.target_year,
            "comparison": self.comparison,
            "passed": self.passed,
            "basis": self.basis,
            "estimated_inputs": self.estimated_inputs,
            "basis_note_zh": note_zh,
            "basis_note_en": note_en,
            "status": self.status,
            "reason": self.reason,
            "parameters": self.parameters,
            "provenance": self.provenance,
            "details": self.details,
            "gap_layer": self.layer_name,
            "gap_feature_count": len(self.layer),
        }


def reason_parts(reason: str) -> tuple[str, str]:
    """The Chinese and English halves of a ``中文 | English`` reason.

    The whole text stands for both when it is in one language.

    >>> reason_parts("无法计算：无体育设施 | not computable: no sports facilities")
    ('无法计算：无体育设施', 'not computable: no sports facilities')
    >>> reason_parts("no data")
    ('no data', 'no data')
    """
    zh, sep, en = reason.partition(" | ")
    return (zh.strip(), en.strip()) if sep else (reason, reason)


def judged(value: float, target: float, comparison: str = ">=") -> bool:
    """Whether ``value`` meets ``target`` (tolerating float noise of 1e-9)."""
    if comparison == ">=":
        return value >= target - 1e-9
    return value <= target + 1e-9
