"""The one result type every indicator returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd

Status = Literal["ok", "no_data", "not_computable"]


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the gap layer is served separately)."""
        value = None if self.value is None or math.isnan(self.value) else round(self.value, 4)
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
            "status": self.status,
            "reason": self.reason,
            "parameters": self.parameters,
            "provenance": self.provenance,
            "details": self.details,
            "gap_layer": self.layer_name,
            "gap_feature_count": len(self.layer),
        }


def reason_parts(reason: str) -> tuple[str, str]:
    """The Chinese and English halves of a ``中文 | English`` reason (the whole text for both when
    it is in one language).

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
