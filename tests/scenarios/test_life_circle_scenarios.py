"""What-if scenarios and the 15-minute life circle: a facility of any life-circle type added,
moved or deleted moves that type's coverage before → after (hand-made street, answers by hand),
the 百城 indicators are not recomputed for it, and the API returns the set beside the grade.

The hand-made county: a street of 100 m edges from x = 0 to 1,100 m; homes (100 m cells on the
street) at 250, 450, 950 and 1,050 m with 10, 20, 30 and 40 persons; one kindergarten at x = 0.
A kindergarten reaches 300 m along the street, so before the edit only the home at 250 m is
covered: 10 %.  A second kindergarten at x = 1,000 m reaches 950 and 1,050 m: 10 + 30 + 40 = 80 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from pyproj import CRS
from shapely.geometry import LineString, Point, box, mapping

from gis.indicators import compute_all
from gis.life_circle_report import life_circle_of
from gis.scenarios import LIFE_CIRCLE_INPUTS, apply_edits, evaluate, parse_edits
from gis.settings import IndicatorSettings
from gis.workspace import PopulationCells, Workspace
from tests.helpers import DEMO_ID

GK = CRS.from_epsg(4547)
X0, Y0 = 500_000.0, 3_800_000.0
S = IndicatorSettings()
KINDERGARTEN = "life_circle_kindergarten"


def _lonlat(geom: Any) -> dict[str, Any]:
    return dict(mapping(gpd.GeoSeries([geom], crs=GK).to_crs(4326).iloc[0]))


def _street_county() -> Workspace:
    y = Y0 + 500.0
    xs = np.arange(12) * 100.0
    nodes = gpd.GeoDataFrame(
        {"node_id": np.arange(12), "degree": [1] + [2] * 10 + [1]},
        geometry=[Point(X0 + x, y) for x in xs],
        crs=GK,
    )
    edges = gpd.GeoDataFrame(
        {"u": np.arange(11), "v": np.arange(1, 12), "length_m": [100.0] * 11},
        geometry=[LineString([(X0 + a, y), (X0 + a + 100, y)]) for a in xs[:-1]],
        crs=GK,
    )
    square = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1100, Y0 + 1000)], crs=GK)
    empty = gpd.GeoDataFrame(geometry=[], crs=GK)
    roads = gpd.GeoDataFrame(
        {"highway": ["residential"], "osm_id": [1]},
        geometry=[LineString([(X0, y), (X0 + 1100, y)])],
        crs=GK,
    )
    facilities = gpd.GeoDataFrame(
        {"facility_type": ["kindergarten"], "name": ["一幼"]}, geometry=[Point(X0, y)], crs=GK
    )
    cells = PopulationCells(
        np.array([X0 + 250.0, X0 + 450.0, X0 + 950.0, X0 + 1050.0]),
        np.full(4, y),
        np.array([10.0, 20.0, 30.0, 40.0]),
        100.0,
        GK,
    )
    layers = {
        "boundary": square,
        "built_up": square,
        "roads": roads,
        "walk_nodes": nodes,
        "walk_edges": edges,
        "parks": empty,
        "green_space": empty,
        "sports": empty,
        "facilities": facilities,
    }
    meta = {"county_id": "street", "population": {"urban_population": 100.0}}
    return Workspace(layers, meta, cells, "", GK)


def _add_at(layer: str, facility_type: str, x_m: float) -> list[Any]:
    """One facility added on the street, ``x_m`` along it."""
    point = _lonlat(Point(X0 + x_m, Y0 + 500))
    return parse_edits(
        [{"op": "add", "layer": layer, "facility_type": facility_type, "geometry": point}]
    )


def _rows(result: Any) -> dict[str, dict[str, Any]]:
    circle = result.to_dict()["life_circle"]
    return {r["id"]: r for r in circle["indicators"]}


def test_a_new_kindergarten_covers_the_far_homes() -> None:
    ws = _street_county()
    now = compute_all(ws, S)
    edits = _add_at("facilities", "kindergarten", 1000.0)
    result = evaluate(ws, edits, S, before=now)
    rows = _rows(result)
    assert rows[KINDERGARTEN]["before"] == pytest.approx(10.0)
    assert rows[KINDERGARTEN]["after"] == pytest.approx(80.0)
    assert rows[KINDERGARTEN]["delta"] == pytest.approx(70.0)
    # a primary school is still nowhere: 0 % before and after
    assert rows["life_circle_primary_school"]["before"] == 0.0
    assert rows["life_circle_primary_school"]["after"] == 0.0
    # the 百城 indicators read no facilities layer: none recomputed, no full recomputation
    out = result.to_dict()
    assert out["recomputed"] == [] and not out["full_recompute"]
    assert out["life_circle"]["graded"] is False
    assert out["grade"]["score_before"] == out["grade"]["score_after"]
    assert len(ws.layers["facilities"]) == 1  # the workspace itself is unchanged


def test_moving_and_deleting_the_kindergarten() -> None:
    ws = _street_county()
    now = compute_all(ws, S)
    original = _lonlat(Point(X0, Y0 + 500))
    moved = evaluate(
        ws,
        parse_edits(
            [
                {
                    "op": "move",
                    "layer": "facilities",
                    "feature": 0,
                    "original": original,
                    "geometry": _lonlat(Point(X0 + 400, Y0 + 500)),
                }
            ]
        ),
        S,
        before=now,
    )
    # at 400 m it reaches 250 and 450 m (150 and 50 m away), not 950 m (550 m): 30 %
    assert _rows(moved)[KINDERGARTEN]["after"] == pytest.approx(30.0)
    gone = evaluate(
        ws, parse_edits([{"op": "delete", "layer": "facilities", "feature": 0}]), S, before=now
    )
    assert _rows(gone)[KINDERGARTEN]["after"] == 0.0


def test_the_life_circle_is_compared_on_request_or_for_facility_edits_only() -> None:
    ws = _street_county()
    now = compute_all(ws, S)
    pitch = _add_at("sports", "pitch", 1000.0)
    assert evaluate(ws, pitch, S, before=now).to_dict()["life_circle"] is None
    asked = _rows(evaluate(ws, pitch, S, before=now, life_circle=True))
    # community sports (990 m along the street) now reaches every home: 100 %
    assert asked["life_circle_community_sports"]["before"] == 0.0
    assert asked["life_circle_community_sports"]["after"] == pytest.approx(100.0)
    assert "sports" in LIFE_CIRCLE_INPUTS
    kindergarten = _add_at("facilities", "kindergarten", 1000.0)
    assert (
        evaluate(ws, kindergarten, S, before=now, life_circle=False).to_dict()["life_circle"]
        is None
    )


def test_the_scenario_life_circle_is_the_life_circle_of_the_edited_copy(
    demo_workspace: Any,
) -> None:
    ws = demo_workspace.to_metric()
    now = compute_all(ws, S)
    centre = ws.layers["built_up"].geometry.union_all().representative_point()
    point = gpd.GeoSeries([centre], crs=ws.metric_crs).to_crs(4326).iloc[0]
    edits = parse_edits(
        [
            {
                "op": "add",
                "layer": "facilities",
                "facility_type": "elderly_care",
                "geometry": dict(mapping(point)),
            }
        ]
    )
    rows = _rows(evaluate(ws, edits, S, before=now))
    expected = life_circle_of(apply_edits(ws, edits).workspace, S, None)
    for r in expected.results:
        assert rows[r.id]["after"] == r.to_dict()["value"], r.id
    assert rows["life_circle_elderly_care"]["after"] > rows["life_circle_elderly_care"]["before"]


def test_the_api_returns_the_life_circle_beside_the_grade(sc_app: Any, tmp_path: Path) -> None:
    app, accounts, _ws = sc_app
    client = app.test_client()
    staff = accounts.header("staff")
    built = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "built_up")
    centre = built.to_crs(built.estimate_utm_crs()).union_all().representative_point()
    point = gpd.GeoSeries([centre], crs=built.estimate_utm_crs()).to_crs(4326).iloc[0]
    edit = {
        "op": "add",
        "layer": "facilities",
        "facility_type": "kindergarten",
        "geometry": dict(mapping(point)),
    }
    url = f"/api/v1/counties/{DEMO_ID}/scenarios/evaluate"
    resp = client.post(url, json={"edits": [edit]}, headers=staff)
    assert resp.status_code == 200, resp.get_json()
    circle = resp.get_json()["results"]["life_circle"]
    current = client.get(f"/api/v1/counties/{DEMO_ID}/life-circle").get_json()
    now = {i["id"]: i["value"] for i in current["indicators"]}
    rows = {r["id"]: r for r in circle["indicators"]}
    assert set(rows) == set(now)
    assert all(rows[i]["before"] == now[i] for i in now)
    assert rows[KINDERGARTEN]["after"] >= rows[KINDERGARTEN]["before"]
    assert "不计入" in circle["label_zh"]
    saved = client.post(
        f"/api/v1/counties/{DEMO_ID}/scenarios",
        json={"name": "新幼儿园", "edits": [edit]},
        headers=staff,
    ).get_json()
    gpkg = client.get(
        f"/api/v1/counties/{DEMO_ID}/scenarios/{saved['scenario_id']}/export.gpkg", headers=staff
    )
    assert gpkg.status_code == 200
    path = tmp_path / "scenario.gpkg"
    path.write_bytes(gpkg.data)
    assert "life_circle" in {name for name, _ in pyogrio.list_layers(path)}
    table = pyogrio.read_dataframe(path, layer="life_circle")
    exported = dict(zip(table["id"], table["after"], strict=True))
    assert exported[KINDERGARTEN] == rows[KINDERGARTEN]["after"]
    off = client.post(url, json={"edits": [edit], "life_circle": False}, headers=staff)
    assert off.get_json()["results"]["life_circle"] is None
    bad = client.post(url, json={"edits": [edit], "life_circle": "yes"}, headers=staff)
    assert bad.status_code == 400
    assert "life_circle" in bad.get_json()["message"]


def test_concurrent_requests_of_a_cold_county_all_finish(sc_app: Any) -> None:
    """What-if edits, the life circle and the indicators asked at once of a cold cache.

    The computations take turns in the process (two at once crashed it), and an edit that
    asks the cache for the life circle while another request computes it must not deadlock.
    """
    import threading

    app, accounts, _ws = sc_app
    app.extensions["gis_store"].clear()
    staff = accounts.header("staff")
    built = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "built_up")
    utm = built.estimate_utm_crs()
    centre = built.to_crs(utm).union_all().representative_point()
    point = gpd.GeoSeries([centre], crs=utm).to_crs(4326).iloc[0]
    edit = {"op": "add", "layer": "facilities", "facility_type": "kindergarten"}
    edit["geometry"] = dict(mapping(point))
    base = f"/api/v1/counties/{DEMO_ID}"
    asks = [
        ("post", f"{base}/scenarios/evaluate", {"edits": [edit]}),
        ("get", f"{base}/life-circle", None),
        ("post", f"{base}/scenarios/evaluate", {"edits": [edit]}),
        ("get", f"{base}/indicators", None),
    ]
    start = threading.Barrier(len(asks))
    statuses: dict[int, int] = {}

    def ask(i: int) -> None:
        method, url, body = asks[i]
        client = app.test_client()
        start.wait()
        resp = client.post(url, json=body, headers=staff) if method == "post" else client.get(url)
        statuses[i] = resp.status_code

    workers = [threading.Thread(target=ask, args=(i,), daemon=True) for i in range(len(asks))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not any(w.is_alive() for w in workers), "requests still waiting: deadlock"
    assert statuses == dict.fromkeys(range(len(asks)), 200)
