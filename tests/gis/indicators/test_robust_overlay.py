"""robust_overlay: GEOS's exact overlay, and snap rounding on a 1 mm grid when GEOS throws.

A full suite run (CI, 2026-12-03) met "AssertionFailedException: Unable to determine overlay
result geometry dimension" in the park service coverage's ``homes ∩ service zone`` of a matrix
county after an upload: a data-dependent GEOS robustness failure.  The overlay now falls back
instead of answering 500."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import box

from gis.indicators._common import SNAP_GRID_M, robust_overlay


def test_exact_when_geos_can() -> None:
    a, b = box(0, 0, 2, 2), box(1, 1, 3, 3)
    assert robust_overlay(shapely.intersection, a, b).equals(box(1, 1, 2, 2))
    assert robust_overlay(shapely.difference, a, b).area == pytest.approx(3.0)


def test_snap_rounded_when_geos_throws() -> None:
    calls: list[dict[str, Any]] = []

    def failing_once(a: Any, b: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        if "grid_size" not in kwargs:
            raise shapely.errors.GEOSException(
                "AssertionFailedException: Should never reach here: Unable to determine "
                "overlay result geometry dimension"
            )
        return shapely.intersection(a, b, **kwargs)

    # a hair of 0.2 mm next to the square's edge: the 1 mm grid rounds it onto the edge
    a, b = box(0, 0, 10, 10), box(5.0002, 0, 20, 10)
    out = robust_overlay(failing_once, a, b)
    assert calls == [{}, {"grid_size": SNAP_GRID_M}]
    assert out.area == pytest.approx(50.0, abs=0.01)
