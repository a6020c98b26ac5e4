"""OGC API – Features with a real client: OWSLib's ``owslib.ogcapi.features.Features`` over HTTP.

The app runs on a loopback server (``live_server``); OWSLib reads the landing page, the
conformance, the collections and the items as QGIS would, and the answers are compared with the
layer read straight from the workspace GeoPackage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import owslib.ogcapi
import pyogrio
import pytest
import requests
import shapely
from owslib.ogcapi.features import Features
from shapely.geometry import box, shape

from tests.helpers import DEMO_ID

ROADS = f"{DEMO_ID}.roads"


@pytest.fixture()
def features(live_server: str) -> Iterator[Features]:
    """An OWSLib client on the live server's /ogc (OWSLib keeps request headers in a module
    global, restored afterwards)."""
    saved = dict(owslib.ogcapi.REQUEST_HEADERS)
    yield Features(f"{live_server}/ogc")
    owslib.ogcapi.REQUEST_HEADERS.clear()
    owslib.ogcapi.REQUEST_HEADERS.update(saved)


def _stored(web_root: Path, layer: str) -> Any:
    return pyogrio.read_dataframe(
        web_root / DEMO_ID / "workspace.gpkg", layer=layer, fid_as_index=True
    )


def test_owslib_reads_the_landing_page_and_conformance(features: Features) -> None:
    assert {link["rel"] for link in features.links} >= {"service-desc", "conformance", "data"}
    conforms = features.conformance()["conformsTo"]
    assert any(c.endswith("ogcapi-features-1/1.0/conf/core") for c in conforms)
    assert features.api()["openapi"].startswith("3.0.")


def test_owslib_lists_collections(features: Features, web_root: Path) -> None:
    listed = features.collections()["collections"]
    ids = {c["id"] for c in listed}
    assert ROADS in ids and f"{DEMO_ID}.disclosures" in ids
    assert features.feature_collections() == [c["id"] for c in listed]
    roads = features.collection(ROADS)
    assert roads["extent"]["spatial"]["bbox"][0][0] == pytest.approx(
        float(_stored(web_root, "roads").total_bounds[0]), abs=1e-5
    )


def test_owslib_pages_through_a_layer_as_stored(features: Features, web_root: Path) -> None:
    stored = _stored(web_root, "parks")
    seen: dict[int, Any] = {}
    offset = 0
    while True:
        page = features.collection_items(f"{DEMO_ID}.parks", limit=25, offset=offset)
        assert page["numberMatched"] == len(stored)
        for feature in page["features"]:
            assert feature["id"] not in seen
            seen[feature["id"]] = feature
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 25
    assert set(seen) == {int(i) for i in stored.index}
    for fid, feature in seen.items():
        assert shape(feature["geometry"]).equals_exact(stored.loc[fid].geometry, 1e-6)


def test_owslib_bbox_and_single_item(features: Features, web_root: Path) -> None:
    stored = _stored(web_root, "roads")
    minx, miny, maxx, maxy = (round(float(v), 6) for v in stored.total_bounds)
    bbox = [minx, miny, round((minx + maxx) / 2, 6), round((miny + maxy) / 2, 6)]
    expected = stored.index[shapely.intersects(stored.geometry.values, box(*bbox))]
    page = features.collection_items(ROADS, bbox=bbox, limit=10000)
    assert sorted(f["id"] for f in page["features"]) == sorted(int(i) for i in expected)
    first = page["features"][0]
    one = features.collection_item(ROADS, str(first["id"]))
    assert one["geometry"] == first["geometry"] and one["properties"] == first["properties"]


def test_owslib_errors_are_ogc_exceptions(features: Features, live_server: str) -> None:
    with pytest.raises(RuntimeError):  # OWSLib raises on any non-2xx answer
        features.collection_items(ROADS, bbox=[1, 2, 3])
    answer = requests.get(f"{live_server}/ogc/collections/{ROADS}/items?limit=0", timeout=30)
    assert answer.status_code == 400 and answer.json()["description"]
    answer = requests.get(f"{live_server}/ogc/collections/{DEMO_ID}.nothing", timeout=30)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
