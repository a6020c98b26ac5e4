"""Large features sent by reference: the view route lists them, the view feature route sends them.

The demonstration workspace with its built-up area replaced by a hand-made polygon of 4,000
vertices (more than ``LARGE_FEATURE_VERTICES`` at every zoom from 15 on): a cell lists it by id
and bbox with the ``href`` of ``/layers/<layer>/view/features/<id>``, which gives the same
feature (properties and geometry) the features route gives; bad ids, zooms and layers are 4xx in
the app's JSON error format; the records a visitor may not see are not reachable by id.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import Polygon

from layers.view import LARGE_FEATURE_VERTICES
from tests.helpers import DEMO_ID, create_accounts

BASE = f"/api/v1/counties/{DEMO_ID}/layers"
CENTRE = (104.06, 30.76)
RADIUS_DEG = 0.01
VERTICES = 4000


def _wiggly_circle() -> Polygon:
    """A circle of ``RADIUS_DEG`` around ``CENTRE`` with a 1 m wiggle, so no vertex is dropped."""
    t = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    r = RADIUS_DEG + 1e-5 * np.sin(400 * t)
    return Polygon(np.column_stack([CENTRE[0] + r * np.cos(t), CENTRE[1] + r * np.sin(t)]))


@pytest.fixture(scope="module")
def big_app(
    make_app: Any, demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    root = tmp_path_factory.mktemp("references") / "workspaces"
    shutil.copytree(demo_workspace_dir, root / DEMO_ID)
    gpkg = root / DEMO_ID / "workspace.gpkg"
    built_up = gpd.read_file(gpkg, layer="built_up")
    built_up = built_up.to_crs(4326)
    built_up.geometry = [_wiggly_circle()]
    pyogrio.write_dataframe(
        built_up.to_crs(gpd.read_file(gpkg, layer="boundary").crs), gpkg, layer="built_up"
    )
    return make_app(WORKSPACES_DIR=str(root), RECOMPUTE_LIMIT="10000 per 5 minutes")


def _cell(client: Any, layer: str, bbox: tuple[float, ...], zoom: int, **headers: str) -> Any:
    return client.get(
        f"{BASE}/{layer}/view",
        query_string={"bbox": ",".join(map(str, bbox)), "zoom": zoom},
        headers=headers,
    )


def test_a_cell_lists_the_large_feature_by_reference(big_app: Any) -> None:
    client = big_app.test_client()
    x, y = CENTRE
    east_edge = (x + RADIUS_DEG - 0.001, y - 0.001, x + RADIUS_DEG + 0.001, y + 0.001)
    answer = _cell(client, "built_up", east_edge, 17)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "ok" and body["large"] == LARGE_FEATURE_VERTICES
    assert body["features"] == [] and body["numberMatched"] == 1 and body["numberReturned"] == 0
    (ref,) = body["references"]
    assert ref["id"] == 0
    # the bbox of the circle, by hand: centre ± (radius + wiggle), within the wiggle's sampling
    west, south, east, north = ref["bbox"]
    assert abs(west - (x - RADIUS_DEG)) < 2e-5 and abs(east - (x + RADIUS_DEG)) < 2e-5
    assert abs(south - (y - RADIUS_DEG)) < 2e-5 and abs(north - (y + RADIUS_DEG)) < 2e-5
    assert body["bbox"] == ref["bbox"]
    assert ref["href"].startswith(f"{BASE}/built_up/view/features/0?")
    assert "zoom=17" in ref["href"] and "bbox" not in ref["href"]
    feature = client.get(ref["href"])
    assert feature.status_code == 200 and feature.mimetype == "application/geo+json"
    got = feature.get_json()
    # exact at zoom 17: the features route's feature, all 4,000 vertices (and the closing one)
    whole = client.get(f"{BASE}/built_up", query_string={"zoom": 17}).get_json()["features"][0]
    assert got == whole
    assert len(got["geometry"]["coordinates"][0]) == VERTICES + 1
    # a cell far from the circle neither lists nor sends it
    far = _cell(client, "built_up", (x + 0.05, y, x + 0.06, y + 0.01), 17).get_json()
    assert far["features"] == [] and far["references"] == [] and far["numberMatched"] == 0


def test_small_features_are_sent_whole_and_low_zooms_too(big_app: Any) -> None:
    client = big_app.test_client()
    x, y = CENTRE
    cell = (x - 0.02, y - 0.02, x + 0.02, y + 0.02)
    roads = _cell(client, "roads", cell, 16).get_json()
    assert roads["references"] == [] and roads["numberReturned"] == roads["numberMatched"] > 0
    # at zoom 8 half a pixel is ~270 m: the 1 m wiggle goes, the circle has few vertices left
    low = _cell(client, "built_up", cell, 8).get_json()
    assert low["references"] == [] and [f["id"] for f in low["features"]] == [0]
    assert len(low["features"][0]["geometry"]["coordinates"][0]) < LARGE_FEATURE_VERTICES
    again = client.get(f"{BASE}/built_up/view/features/0", query_string={"zoom": 8}).get_json()
    assert again == low["features"][0]  # the same simplification as the cell's


def test_etag_and_304(big_app: Any) -> None:
    client = big_app.test_client()
    url = f"{BASE}/built_up/view/features/0"
    first = client.get(url, query_string={"zoom": 16})
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get(
        url, query_string={"zoom": 16}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("path", "query", "status", "code", "words"),
    [
        ("built_up/view/features/1", {"zoom": 16}, 404, "not_found", "no feature 1"),
        ("built_up/view/features/99999", {"zoom": 16}, 404, "not_found", "0 to 0"),
        ("nope/view/features/0", {"zoom": 16}, 404, "not_found", "known layers"),
        ("built_up/view/features/0", {}, 400, "invalid_parameter", "zoom"),
        ("built_up/view/features/0", {"zoom": 23}, 400, "invalid_parameter", "zoom"),
        ("built_up/view/features/0", {"zoom": "x"}, 400, "invalid_parameter", "zoom"),
        ("built_up/view/features/-1", {"zoom": 16}, 404, "not_found", ""),
        ("built_up/view/features/x", {"zoom": 16}, 404, "not_found", ""),
    ],
)
def test_bad_feature_requests(
    big_app: Any, path: str, query: dict[str, Any], status: int, code: str, words: str
) -> None:
    answer = big_app.test_client().get(f"{BASE}/{path}", query_string=query)
    assert answer.status_code == status
    body = answer.get_json()
    assert body["code"] == code, body
    assert words in answer.get_data(as_text=True)


def test_visitors_reach_public_records_only(big_app: Any, demo_workspace_dir: Path) -> None:
    accounts = create_accounts(big_app)
    client = big_app.test_client()
    records = gpd.read_file(demo_workspace_dir / "workspace.gpkg", layer="disclosures")
    public = records["public"].astype(bool)
    assert 0 < public.sum() < len(records)
    for who in ("", "public", "other_staff", "staff"):
        sees_all = who == "staff"
        count = len(records) if sees_all else int(public.sum())
        url = f"{BASE}/disclosures/view/features/{{}}"
        got = [
            client.get(url.format(i), query_string={"zoom": 17}, headers=accounts.header(who))
            for i in range(len(records))
        ]
        ok = [r for r in got if r.status_code == 200]
        assert len(ok) == count, who
        assert all(r.status_code == 404 for r in got[count:])
        titles = sorted(r.get_json()["properties"]["title"] for r in ok)
        expected = records if sees_all else records[public]
        assert titles == sorted(expected["title"]), who
        if sees_all:
            assert ok[0].cache_control.private and not ok[0].cache_control.public
        assert all("Authorization" in r.headers.get("Vary", "") for r in ok)
