"""``/api/v1/counties/<c>/life-circle`` and the life circle's layers through the layer routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gis.facility_types import LIFE_CIRCLE_TYPE_IDS
from gis.io import read_workspace
from gis.life_circle_report import life_circle_report
from gis.settings import DEFAULT_SETTINGS
from tests.helpers import DEMO_ID
from tests.matrix.gpkg_edit import copy_workspace, drop_layers

BASE = f"/api/v1/counties/{DEMO_ID}"
URL = f"{BASE}/life-circle"


def test_life_circle_is_the_cli_report(client: Any, web_root: Path) -> None:
    response = client.get(URL)  # anonymous: public inputs only
    assert response.status_code == 200
    body = response.get_json()
    expected, _ = life_circle_report(read_workspace(web_root / DEMO_ID), DEFAULT_SETTINGS)
    assert body["indicators"] == json.loads(json.dumps(expected["indicators"]))
    assert body["graded"] is False and body["set"] == "life_circle"
    ids = [i["id"] for i in body["indicators"]]
    assert ids == [f"life_circle_{t}" for t in LIFE_CIRCLE_TYPE_IDS] + ["life_circle_all_types"]
    assert body["thresholds_m"]["kindergarten"] == 300.0
    assert body["age_structure"] is None and "unweighted" in body["notes"][0]
    # the 百城 report and grade do not change
    report = client.get(f"{BASE}/indicators").get_json()
    assert not any(i["id"].startswith("life_circle") for i in report["indicators"])
    assert client.get(BASE).get_json()["links"]["life_circle"] == URL


def test_thresholds_change_the_result_and_the_cache_key(client: Any) -> None:
    default = client.get(URL)
    wider = client.get(f"{URL}?threshold=kindergarten:1000", headers={"If-None-Match": "x"})
    assert wider.status_code == 200 and wider.headers["ETag"] != default.headers["ETag"]
    kid = {
        r: next(i for i in b.get_json()["indicators"] if i["id"] == "life_circle_kindergarten")
        for r, b in (("300", default), ("1000", wider))
    }
    assert kid["1000"]["value"] > kid["300"]["value"]
    assert kid["1000"]["parameters"]["threshold_m"] == 1000.0
    assert "kindergarten:1000" in wider.headers["X-Parameters-Used"]
    again = client.get(URL, headers={"If-None-Match": default.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("threshold=swimming:300", "unknown facility type swimming"),
        ("threshold=kindergarten", "TYPE:METRES"),
        ("threshold=kindergarten:abc", "TYPE:METRES"),
        ("threshold=kindergarten:-5", "kindergarten=-5 m"),
        ("threshold=kindergarten:90000", "0 < metres <= 5000"),
        ("walk_speed=9", "walk_speed"),
    ],
)
def test_bad_parameters_are_400_with_a_message(client: Any, query: str, words: str) -> None:
    response = client.get(f"{URL}?{query}")
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert words in response.get_data(as_text=True)


def test_unknown_county_is_404(client: Any) -> None:
    assert client.get("/api/v1/counties/no-such-county/life-circle").status_code == 404


def test_gap_layers_through_the_layer_routes(client: Any) -> None:
    layers = {i["name"]: i for i in client.get(f"{BASE}/layers").get_json()["layers"]}
    gap = layers["gap_life_circle_kindergarten"]
    assert gap["kind"] == "gap" and gap["shown_by_default"] is False
    assert gap["indicator_id"] == "life_circle_kindergarten"
    reach = layers["life_circle_types_reached"]
    assert reach["indicator_id"] == "life_circle_all_types"
    features = client.get(f"{BASE}/layers/gap_life_circle_kindergarten").get_json()
    assert len(features["features"]) == gap["feature_count"] > 0
    assert {"persons", "walk_m"} <= set(features["features"][0]["properties"])
    cells = client.get(f"{BASE}/layers/life_circle_types_reached").get_json()["features"]
    assert {c["properties"]["types_reached"] for c in cells} <= set(range(10))


def test_a_workspace_without_facilities_answers_no_data(
    make_app: Any, demo_workspace_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "workspaces"
    folder = copy_workspace(demo_workspace_dir, root / "old-county", "old-county")
    drop_layers(folder, ["facilities"])
    client = make_app(WORKSPACES_DIR=str(root)).test_client()
    response = client.get("/api/v1/counties/old-county/life-circle")
    assert response.status_code == 200
    rows = {i["id"]: i for i in response.get_json()["indicators"]}
    assert rows["life_circle_kindergarten"]["status"] == "no_data"
    assert "facilities" in rows["life_circle_kindergarten"]["reason"]
    assert rows["life_circle_community_sports"]["status"] == "ok"
    assert client.get("/api/v1/counties/old-county/layers").status_code == 200
