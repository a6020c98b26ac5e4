"""Compare indicator results to floating-point tolerance: values, details and gap layers.

The indicators' kept state (gis/indicators/_state.py, _grow.py) gives the results of a full
computation, with two freedoms: a sum may differ in its last bits (so a figure rounded to two
decimals may flip by 0.01 on a large area) and a gap layer's polygons may come in another order
or start their rings elsewhere.  :func:`differences` allows exactly these and nothing more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from gis.result import IndicatorResult

REL = 1e-9
ABS = 1e-6


def _close(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    if math.isclose(a, b, rel_tol=REL, abs_tol=ABS):
        return True
    # a figure rounded to 2 decimals (areas in m²) whose last bits differ: one step of 0.01
    return max(abs(a), abs(b)) >= 1e3 and abs(a - b) <= 0.0100001


def _same(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        if a != b:
            out.append(f"{where}: {a!r} != {b!r}")
    elif isinstance(a, int | float) and isinstance(b, int | float):
        if not _close(float(a), float(b)):
            out.append(f"{where}: {a!r} != {b!r}")
    elif isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            out.append(f"{where}: keys {sorted(set(a) ^ set(b))}")
        for k in set(a) & set(b):
            _same(a[k], b[k], f"{where}.{k}", out)
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} != {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _same(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(f"{where}: {a!r} != {b!r}")


def _layer_differences(got: Any, want: Any, where: str) -> list[str]:
    """Same rows as a set: matched by centroid, each pair the same polygon and attributes."""
    if len(got) != len(want):
        return [f"{where}: {len(got)} != {len(want)} rows"]
    if list(got.columns) != list(want.columns):
        return [f"{where}: columns {list(got.columns)} != {list(want.columns)}"]
    if len(got) == 0:
        return []

    def order(frame: Any) -> np.ndarray:
        geoms = np.asarray(frame.geometry.values, dtype=object)
        c = shapely.get_coordinates(shapely.centroid(geoms))
        return np.lexsort((np.round(c[:, 1], 2), np.round(c[:, 0], 2)))

    g = got.iloc[order(got)].reset_index(drop=True)
    w = want.iloc[order(want)].reset_index(drop=True)
    ga = np.asarray(g.geometry.values, dtype=object)
    wa = np.asarray(w.geometry.values, dtype=object)
    xor = shapely.area(shapely.symmetric_difference(ga, wa))
    size = np.maximum(shapely.area(wa), shapely.length(wa))
    bad = np.flatnonzero(xor > REL * 1e3 * size + ABS)
    out = [f"{where}: row {i} geometry differs by {xor[i]:.3g} m²" for i in bad[:3]]
    for column in g.columns:
        if column == g.geometry.name:
            continue
        for i, (a, b) in enumerate(zip(g[column].tolist(), w[column].tolist(), strict=True)):
            _same(a, b, f"{where}.{column}[{i}]", out)
    return out


def differences(got: Sequence[IndicatorResult], want: Sequence[IndicatorResult]) -> list[str]:
    """What differs between two result lists beyond floating-point tolerance (empty: equal)."""
    out: list[str] = []
    if [r.id for r in got] != [r.id for r in want]:
        return [f"ids {[r.id for r in got]} != {[r.id for r in want]}"]
    for a, b in zip(got, want, strict=True):
        for name in ("status", "passed", "reason", "layer_name", "unit", "target"):
            if getattr(a, name) != getattr(b, name):
                out.append(f"{a.id}.{name}: {getattr(a, name)!r} != {getattr(b, name)!r}")
        _same(a.value, b.value, f"{a.id}.value", out)
        _same(a.details, b.details, f"{a.id}.details", out)
        _same(a.parameters, b.parameters, f"{a.id}.parameters", out)
        out += _layer_differences(a.layer, b.layer, f"{a.id}.layer")
    return out
