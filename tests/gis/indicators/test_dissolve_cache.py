"""dissolve keeps recent results by content: same geometries once, any change anew."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import box

from gis.indicators import _common
from gis.indicators._common import DISSOLVE_CACHE_SIZE, dissolve


def _layer(*boxes: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[box(*b) for b in boxes], crs=4547)


def test_the_same_geometries_in_another_frame_are_unioned_once() -> None:
    first = dissolve(_layer((0, 0, 2, 1), (1, 0, 3, 1)))
    again = dissolve(_layer((0, 0, 2, 1), (1, 0, 3, 1)))
    assert again is first and first.area == pytest.approx(3.0)


def test_a_layer_changed_in_place_is_dissolved_anew() -> None:
    layer = _layer((0, 0, 2, 1), (1, 0, 3, 1))
    assert dissolve(layer).area == pytest.approx(3.0)
    layer.loc[1, "geometry"] = box(1, 0, 3, 2)  # one rectangle grown north
    assert dissolve(layer).area == pytest.approx(5.0)
    layer.loc[1, "geometry"] = None  # a missing geometry is content too
    assert dissolve(layer).area == pytest.approx(2.0)


def test_the_cache_stays_small() -> None:
    for k in range(DISSOLVE_CACHE_SIZE + 3):
        assert dissolve(_layer((k, 0, k + 1, 1))).area == pytest.approx(1.0)
    assert len(_common._DISSOLVED) <= DISSOLVE_CACHE_SIZE


def test_threads_dissolving_different_layers_each_get_their_own() -> None:
    from concurrent.futures import ThreadPoolExecutor

    def area(k: int) -> float:
        return float(dissolve(_layer((0, 0, k + 1, 1), (0, 0, 1, 2))).area)

    with ThreadPoolExecutor(max_workers=8) as pool:
        areas = list(pool.map(area, range(64)))
    assert areas == [pytest.approx(k + 2.0) for k in range(64)]
