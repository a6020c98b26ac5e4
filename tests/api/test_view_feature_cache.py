"""The per-zoom feature cache of the view route (layers/view.py ``FeatureCache``).

A cell's answer must not depend on which cells were asked before: the answer built from cached
features equals the one built from scratch (``layers.geojson.to_feature_collection``), and
the cache stays within its vertex budget.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from layers.geojson import to_feature_collection
from layers.simplify import simplify_tolerance_deg
from layers.view import FeatureCache, LayerIndex, view_collection, view_feature


def _layer() -> gpd.GeoDataFrame:
    """A big wiggly polygon across every cell, a few lines, one line that collapses."""
    t = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    ring = np.column_stack(
        [104.0 + 0.1 * np.cos(t), 30.7 + 0.1 * np.sin(t) + 1e-5 * np.sin(50 * t)]
    )
    geoms = [Polygon(ring)]
    geoms += [LineString([(104.0 + i * 0.01, 30.65), (104.0 + i * 0.01, 30.75)]) for i in range(5)]
    geoms.append(LineString([(104.0, 30.7), (104.0 + 1e-9, 30.7)]))
    return gpd.GeoDataFrame(
        {"name": [f"f{i}" for i in range(len(geoms))]}, geometry=geoms, crs=4326
    )


def _from_scratch(frame: gpd.GeoDataFrame, bbox: tuple[float, ...], zoom: int) -> dict:
    index = LayerIndex.build(frame)
    hits = np.sort(index.tree.query(shapely.box(*bbox), predicate="intersects"))
    page = to_feature_collection(frame.iloc[hits], tolerance_deg=simplify_tolerance_deg(zoom))
    out = page.collection
    for feature in out["features"]:
        feature["id"] = int(hits[feature["id"]])
    out["numberMatched"] = len(hits)
    return out


def test_cached_answers_equal_fresh_ones_in_any_order() -> None:
    frame = _layer()
    index = LayerIndex.build(frame)
    cells = [
        (104.0, 30.6, 104.05, 30.7),
        (103.9, 30.7, 104.0, 30.8),
        (103.85, 30.55, 104.15, 30.85),
    ]
    for zoom in (12, 16, 17):
        for bbox in cells + cells[::-1]:
            got = view_collection(index, bbox, zoom=zoom, large=10**9)  # nothing by reference
            want = _from_scratch(frame, bbox, zoom)
            assert got["status"] == "ok" and got["references"] == []
            for key in ("features", "numberMatched", "numberReturned", "bbox"):
                assert json.dumps(got.get(key)) == json.dumps(want.get(key)), (zoom, bbox, key)


def test_features_and_fetched_references_equal_fresh_answers() -> None:
    """With the wiggly polygon sent by reference, the cell plus the referenced feature (fetched
    with ``view_feature``) is the answer built from scratch, whichever cells came first."""
    frame = _layer()
    index = LayerIndex.build(frame)
    cells = [(104.0, 30.6, 104.05, 30.7), (103.85, 30.55, 104.15, 30.85)]
    for zoom in (12, 16, 17):
        for bbox in cells + cells[::-1]:
            got = view_collection(index, bbox, zoom=zoom, large=20)
            want = _from_scratch(frame, bbox, zoom)
            assert [r["id"] for r in got["references"]] == [0]
            assert 0 not in [f["id"] for f in got["features"]]
            whole = [view_feature(index, r["id"], zoom=zoom) for r in got["references"]]
            merged = sorted(got["features"] + whole, key=lambda f: f["id"])
            assert json.dumps(merged) == json.dumps(want["features"]), (zoom, bbox)
            assert got["numberReturned"] == len(want["features"]) - 1
            assert got["bbox"] == want["bbox"]
            ref_bbox = [round(v, 6) for v in shapely.bounds(frame.geometry.iloc[0]).tolist()]
            assert got["references"][0]["bbox"] == ref_bbox


def test_the_cache_keeps_to_its_vertex_budget_and_the_newest_feature() -> None:
    cache = FeatureCache(max_vertices=10)
    feature = ({"type": "Feature"}, (0.0, 0.0, 1.0, 1.0), 4)
    for row in range(5):
        cache.put(None, row, feature, 4)
    assert sorted(cache.get(None, np.arange(5))) == [3, 4]  # 8 vertices kept of 20
    cache.put(0.5, 9, feature, 50)  # larger than the budget: kept alone
    assert list(cache.get(0.5, np.array([9]))) == [9]
    assert cache.get(None, np.arange(5)) == {}
