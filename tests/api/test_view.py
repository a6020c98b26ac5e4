"""The view route ``/layers/<layer>/view``: what the map pages fetch for the cells on screen.

Hand-made layers for the pure part (layers/view.py), the demonstration workspace for the
route: bbox and zoom validation (400 naming the parameter), the feature cap, the zoom below
which a dense layer sends nothing, ETag/304 and a new answer when the county's version changes,
and what visitors and staff see.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from layers.view import LayerIndex, cell_span_deg, min_view_zoom, view_collection
from tests.helpers import DEMO_ID, create_accounts

VIEW = f"/api/v1/counties/{DEMO_ID}/layers/{{layer}}/view"
WHOLE = "103.9,30.7,104.2,30.9"


def _grid(n: int) -> gpd.GeoDataFrame:
    """``n * n`` points at (i + 0.5, j + 0.5) degrees: one per whole-degree square."""
    points = [Point(i + 0.5, j + 0.5) for j in range(n) for i in range(n)]
    return gpd.GeoDataFrame({"k": range(n * n)}, geometry=points, crs=4326)


# --- the pure part ----------------------------------------------------------------------------
def test_view_keeps_what_intersects_with_the_layer_ids() -> None:
    index = LayerIndex.build(_grid(4))
    answer = view_collection(index, (0.0, 0.0, 2.0, 1.0), zoom=10)
    assert answer["status"] == "ok"
    assert [f["id"] for f in answer["features"]] == [0, 1]
    assert [f["properties"]["k"] for f in answer["features"]] == [0, 1]
    line = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (10, 10)])], crs=4326)
    crossing = view_collection(LayerIndex.build(line), (4.0, 4.0, 4.5, 4.5), zoom=10)
    assert crossing["numberReturned"] == 1  # drawn whole, not clipped


def test_cap_and_min_zoom_send_nothing() -> None:
    index = LayerIndex.build(_grid(4))
    too_many = view_collection(index, (0.0, 0.0, 4.0, 4.0), zoom=10, cap=15)
    assert (too_many["status"], too_many["numberMatched"], too_many["features"]) == (
        "too_many",
        16,
        [],
    )
    assert view_collection(index, (0.0, 0.0, 4.0, 4.0), zoom=10, cap=16)["numberReturned"] == 16
    dense = LayerIndex(index.frame, index.tree, min_zoom=12)
    below = view_collection(dense, (0.0, 0.0, 1.0, 1.0), zoom=11)
    assert below["status"] == "zoom_in" and below["features"] == []
    assert view_collection(dense, (0.0, 0.0, 1.0, 1.0), zoom=12)["numberReturned"] == 1


def test_min_zoom_by_hand() -> None:
    # 10,000 features on 1 x 1 degree at the equator: a cell of z has (360 / 2**(z-2))**2 deg²;
    # at z=9 a cell is 2.81° (all 10,000); z=12 0.35° (1,236 <= 2,500); z=11 0.70° (4,944).
    assert min_view_zoom(10_000, (0.0, -0.5, 1.0, 0.5)) == 12
    assert min_view_zoom(2_500, (0.0, -0.5, 1.0, 0.5)) == 0
    assert min_view_zoom(10_000, None) == 0
    assert cell_span_deg(12) == 360.0 / 1024


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=2_501, max_value=10**7),
    st.floats(min_value=1e-3, max_value=5.0),
    st.floats(min_value=-60.0, max_value=60.0),
)
def test_min_zoom_cells_hold_the_budget(count: int, side: float, lat: float) -> None:
    """At min_zoom a cell holds at most the budget on average; one level less it would not."""
    import math

    bounds = (100.0, lat, 100.0 + side, lat + side)
    zoom = min_view_zoom(count, bounds)
    cos = math.cos(math.radians(lat + side / 2))

    def per_cell(z: int) -> float:
        return count * min(cell_span_deg(z) ** 2 * cos / side**2, 1.0)

    if zoom < 17:
        assert per_cell(zoom) <= 2500
    if zoom > 0:
        assert per_cell(zoom - 1) > 2500


# --- the route --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"zoom": 14}, "bbox"),
        ({"bbox": "", "zoom": 14}, "bbox"),  # sent empty (schemathesis found a 500)
        ({"bbox": "1,2,3", "zoom": 14}, "bbox"),
        ({"bbox": "a,b,c,d", "zoom": 14}, "bbox"),
        ({"bbox": "104.1,30.7,104.0,30.8", "zoom": 14}, "bbox"),
        ({"bbox": "0,0,100,10", "zoom": 5}, "bbox"),
        ({"bbox": "nan,0,1,1", "zoom": 5}, "bbox"),
        ({"bbox": WHOLE}, "zoom"),
        ({"bbox": WHOLE, "zoom": 23}, "zoom"),
        ({"bbox": WHOLE, "zoom": "x"}, "zoom"),
    ],
)
def test_bad_view_requests_are_400(client: Any, query: dict[str, Any], name: str) -> None:
    answer = client.get(VIEW.format(layer="roads"), query_string=query)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["code"] == "invalid_parameter"
    assert [e["source"] for e in body["errors"]] == [name]
    assert all(e["message"] and e["message_zh"] for e in body["errors"])


def test_unknown_layer_is_404(client: Any) -> None:
    answer = client.get(VIEW.format(layer="nope"), query_string={"bbox": WHOLE, "zoom": 14})
    assert answer.status_code == 404 and "known layers" in answer.get_json()["message"]


def test_view_matches_the_features_route(client: Any) -> None:
    bbox = "104.06,30.76,104.075,30.77"
    view = client.get(VIEW.format(layer="roads"), query_string={"bbox": bbox, "zoom": 14})
    assert view.status_code == 200 and view.mimetype == "application/geo+json"
    body = view.get_json()
    features = client.get(
        f"/api/v1/counties/{DEMO_ID}/layers/roads",
        query_string={"bbox": bbox, "zoom": 14, "limit": 10000},
    ).get_json()
    assert body["status"] == "ok" and body["min_zoom"] == 0
    assert 0 < body["numberReturned"] < features["numberMatched"] + 1
    assert [f["id"] for f in body["features"]] == [f["id"] for f in features["features"]]
    assert body["features"] == features["features"]


def test_etag_and_304(client: Any) -> None:
    query = {"bbox": WHOLE, "zoom": 13}
    first = client.get(VIEW.format(layer="parks"), query_string=query)
    etag = first.headers["ETag"]
    again = client.get(
        VIEW.format(layer="parks"), query_string=query, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert "max-age" in first.headers["Cache-Control"]


def test_new_version_gives_a_new_answer(make_app: Any, demo_workspace_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "workspaces"
    shutil.copytree(demo_workspace_dir, root / DEMO_ID)
    app = make_app(WORKSPACES_DIR=str(root))
    client = app.test_client()
    query = {"bbox": WHOLE, "zoom": 15}
    before = client.get(VIEW.format(layer="parks"), query_string=query)
    count = before.get_json()["numberReturned"]
    assert count > 2
    gpkg = root / DEMO_ID / "workspace.gpkg"
    parks = gpd.read_file(gpkg, layer="parks")
    pyogrio.write_dataframe(parks.iloc[:2], gpkg, layer="parks")
    meta_path = root / DEMO_ID / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["layers"]["parks"]["count"] = 2
    meta["note"] = "edited by test_new_version_gives_a_new_answer"
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    after = client.get(
        VIEW.format(layer="parks"),
        query_string=query,
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200
    assert after.get_json()["numberReturned"] == 2
    assert after.headers["ETag"] != before.headers["ETag"]


def test_visitors_see_public_records_staff_all(make_app: Any, web_root: Path) -> None:
    app = make_app(WORKSPACES_DIR=str(web_root))
    accounts = create_accounts(app)
    client = app.test_client()
    records = gpd.read_file(web_root / DEMO_ID / "workspace.gpkg", layer="disclosures")
    public = int(records["public"].astype(bool).sum())
    assert 0 < public < len(records)
    query = {"bbox": WHOLE, "zoom": 14}
    seen = {}
    for who in ("", "public", "other_staff", "staff", "admin"):
        answer = client.get(
            VIEW.format(layer="disclosures"), query_string=query, headers=accounts.header(who)
        )
        assert answer.status_code == 200
        body = answer.get_json()
        seen[who] = body["numberReturned"]
        if who in ("staff", "admin"):
            assert "private" in answer.headers["Cache-Control"]
        else:
            assert all(f["properties"]["public"] for f in body["features"])
    assert seen == {
        "": public,
        "public": public,
        "other_staff": public,
        "staff": len(records),
        "admin": len(records),
    }


def test_a_dense_layer_answers_zoom_in(make_app: Any, tmp_path: Path) -> None:
    """A mosaic of 9 demonstration copies: walk edges (11k) are dense below their min_zoom."""
    from benchmarks.mosaic_workspace import build_mosaic_workspace

    root = tmp_path / "workspaces"
    info = build_mosaic_workspace(100, root / "mosaic-100")
    assert info["copies"] == 9 and info["features"]["walk_edges"] > 10_000
    client = make_app(WORKSPACES_DIR=str(root)).test_client()
    meta = json.loads((root / "mosaic-100" / "metadata.json").read_text(encoding="utf-8"))
    bbox = ",".join(str(v) for v in meta["bounds"])
    url = "/api/v1/counties/mosaic-100/layers/walk_edges/view"
    low = client.get(url, query_string={"bbox": bbox, "zoom": 10}).get_json()
    assert low["status"] == "zoom_in" and low["min_zoom"] > 10 and low["features"] == []
    high = client.get(url, query_string={"bbox": bbox, "zoom": low["min_zoom"]}).get_json()
    assert high["status"] == "too_many" and high["numberMatched"] == info["features"]["walk_edges"]
    small = box(*meta["bounds"]).centroid.buffer(0.002).bounds
    near = client.get(
        url, query_string={"bbox": ",".join(map(str, small)), "zoom": low["min_zoom"]}
    ).get_json()
    assert near["status"] == "ok" and 0 < near["numberReturned"] <= near["cap"]
