"""The JSON API under /api/v1: every endpoint, its happy path and each error, on the real county."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely
from shapely.geometry import box, shape

from api.cache import LRU
from app import ConfigError
from gis.io import read_workspace
from gis.workspace import REQUIRED_LAYERS
from layers.catalog import visible_rows
from tests.helpers import DEMO_ID

BASE = f"/api/v1/counties/{DEMO_ID}"


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"code", "message", "errors"}
    assert isinstance(body["errors"], list) and body["message"]
    return dict(body)


def _bad_param(client: Any, url: str, name: str) -> None:
    body = _error(client.get(url), 400)
    assert any(e["source"] == name for e in body["errors"]), body
    assert name in body["message"]


@pytest.fixture(scope="module")
def workspace(web_root: Path) -> Any:
    return read_workspace(web_root / DEMO_ID)


# --- counties -------------------------------------------------------------------------------
def test_counties_list(client: Any) -> None:
    body = client.get("/api/v1/counties").get_json()
    ids = [c["county_id"] for c in body["counties"]]
    assert DEMO_ID in ids
    demo = next(c for c in body["counties"] if c["county_id"] == DEMO_ID)
    assert demo["is_demonstration"] is True
    assert demo["population"]["is_estimate"] is True and demo["population"]["total"] > 0
    assert "示范区" in demo["name"]
    assert demo["links"]["planner_map"] == f"/map/{DEMO_ID}"


def test_county_detail_lists_layers_with_provenance(client: Any, web_root: Path) -> None:
    body = client.get(BASE).get_json()
    meta = json.loads((web_root / DEMO_ID / "metadata.json").read_text(encoding="utf-8"))
    got = {layer["name"]: layer for layer in body["layers"]}
    assert set(got) == set(meta["layers"])
    records = gpd.read_file(web_root / DEMO_ID / "workspace.gpkg", layer="disclosures")
    public = len(visible_rows(records, "disclosures", private=False))
    for name, info in meta["layers"].items():
        assert got[name]["provenance"] == info["provenance"]
        # the public answer counts only the records marked public (issue 10)
        assert got[name]["count"] == (public if name == "disclosures" else info["count"])
        assert got[name]["sample"] == (info["provenance"] == "sample")
    assert got["built_up"]["provenance"] == "osm_derived"
    assert body["adcode"] is None and body["bounds"] == meta["bounds"]


def test_unknown_county_is_404(client: Any) -> None:
    for url in (
        "/api/v1/counties/nowhere",
        "/api/v1/counties/nowhere/indicators",
        "/api/v1/counties/nowhere/layers",
        "/api/v1/counties/nowhere/layers/roads",
        "/api/v1/counties/nowhere/disclosures",
        "/api/v1/counties/..%2f..%2fetc",
        "/api/v1/counties/nowhere/exports/indicators.csv",
    ):
        body = _error(client.get(url), 404)
        assert body["code"] == "not_found"


def test_unknown_route_and_method(client: Any) -> None:
    _error(client.get("/api/v1/nothing-here"), 404)
    assert _error(client.post("/api/v1/counties"), 405)["code"] == "method_not_allowed"


# --- indicators -----------------------------------------------------------------------------
def test_indicators_are_the_county_report(client: Any, demo_report: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/indicators")
    assert response.status_code == 200
    assert response.get_json() == demo_report
    ids = [i["id"] for i in demo_report["indicators"]]
    assert "road_density" in ids and "fitness_15min_coverage" in ids
    assert {"score", "grade"} <= set(demo_report["assessment"])


def test_indicator_parameters_change_the_result(client: Any) -> None:
    r2018 = client.get(f"{BASE}/indicators?year=2018").get_json()
    r2020 = client.get(f"{BASE}/indicators?year=2020").get_json()
    road = {
        r["year"]: next(i for i in r["indicators"] if i["id"] == "road_density")
        for r in (r2018, r2020)
    }
    assert road[2018]["target"] == 7.0 and road[2020]["target"] == 8.0
    short = client.get(f"{BASE}/indicators?minutes=5").get_json()
    fit = {
        m: next(i for i in r["indicators"] if i["id"] == "fitness_15min_coverage")
        for m, r in ((5, short), (15, r2020))
    }
    assert fit[5]["value"] <= fit[15]["value"]
    assert fit[5]["parameters"]["walk_minutes"] == 5


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("year=abc", "year"),
        ("year=1990", "year"),
        ("minutes=0", "minutes"),
        ("minutes=-3", "minutes"),
        ("minutes=nan", "minutes"),
        ("walk_speed=9", "walk_speed"),
        ("walk_speed=fast", "walk_speed"),
    ],
)
def test_bad_indicator_parameters_are_400(client: Any, query: str, name: str) -> None:
    _bad_param(client, f"{BASE}/indicators?{query}", name)


def test_indicators_etag_and_304(client: Any) -> None:
    first = client.get(f"{BASE}/indicators")
    etag = first.headers["ETag"]
    assert (
        "max-age" in first.headers["Cache-Control"] and "public" in first.headers["Cache-Control"]
    )
    again = client.get(f"{BASE}/indicators", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get(f"{BASE}/indicators?year=2018", headers={"If-None-Match": etag})
    assert other.status_code == 200


# --- layers ---------------------------------------------------------------------------------
def test_layer_list_has_every_stored_and_gap_layer(
    client: Any, workspace: Any, demo_report: dict[str, Any]
) -> None:
    body = client.get(f"{BASE}/layers").get_json()
    layers = {layer["name"]: layer for layer in body["layers"]}
    for name, gdf in workspace.layers.items():
        # an anonymous visitor's count: only records marked public (issue 10)
        assert layers[name]["feature_count"] == len(visible_rows(gdf, name, private=False))
        assert layers[name]["kind"] == "stored"
    for name in REQUIRED_LAYERS:
        assert name in layers
    assert layers["population"]["feature_count"] == len(workspace.population.persons)
    for ind in demo_report["indicators"]:
        if ind["gap_layer"] and ind["status"] == "ok":
            assert layers[ind["gap_layer"]]["feature_count"] == ind["gap_feature_count"]
            assert layers[ind["gap_layer"]]["indicator_id"] == ind["id"]
    roads = layers["roads"]["style"]
    assert roads["by_property"] == "road_class"
    assert {e["label_zh"] for e in roads["legend"]} >= {"主干路", "次干路", "支路"}
    assert layers["plans"]["sample"] is True and layers["roads"]["sample"] is False
    assert all(layer["style"]["legend"] for layer in body["layers"])


def test_layer_features_match_the_workspace(client: Any, workspace: Any) -> None:
    roads = workspace.layers["roads"]
    body = client.get(f"{BASE}/layers/roads?limit=10000&zoom=18").get_json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == len(roads)
    minx, miny, maxx, maxy = roads.total_bounds
    assert body["bbox"] == pytest.approx([minx, miny, maxx, maxy], abs=1e-6)
    length = sum(shape(f["geometry"]).length for f in body["features"])
    assert length == pytest.approx(float(shapely.length(roads.geometry.values).sum()), rel=1e-5)
    names = [f["properties"]["name"] for f in body["features"]]
    assert names == [None if n is None or n != n else n for n in roads["name"]]


def test_layer_paging(client: Any, workspace: Any) -> None:
    total = len(workspace.layers["roads"])
    ids: list[int] = []
    url = f"{BASE}/layers/roads?limit=200"
    while url:
        page = client.get(url).get_json()
        assert page["numberMatched"] == total
        ids += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = nxt[0] if nxt else ""
    assert ids == list(range(total))
    empty = client.get(f"{BASE}/layers/roads?offset={total + 5}").get_json()
    assert empty["numberReturned"] == 0 and empty["features"] == []


def test_layer_simplification_by_zoom(client: Any) -> None:
    def vertices(zoom: int) -> int:
        body = client.get(f"{BASE}/layers/built_up?zoom={zoom}").get_json()
        return sum(len(shapely.get_coordinates(shape(f["geometry"]))) for f in body["features"])

    coarse, medium, exact = vertices(10), vertices(14), vertices(17)
    assert coarse < medium <= exact
    full = client.get(f"{BASE}/layers/built_up").get_json()
    assert (
        sum(len(shapely.get_coordinates(shape(f["geometry"]))) for f in full["features"]) == exact
    )


def test_layer_bbox_filter(client: Any, workspace: Any) -> None:
    roads = workspace.layers["roads"]
    minx, miny, maxx, maxy = roads.total_bounds
    window = (minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
    body = client.get(
        f"{BASE}/layers/roads?limit=10000&zoom=18&bbox=" + ",".join(map(str, window))
    ).get_json()
    expected = int(roads.intersects(box(*window)).sum())
    assert 0 < body["numberMatched"] == expected < len(roads)


def test_gap_layer_features(client: Any, demo_report: dict[str, Any]) -> None:
    fitness = next(i for i in demo_report["indicators"] if i["id"] == "fitness_15min_coverage")
    body = client.get(f"{BASE}/layers/{fitness['gap_layer']}?limit=10000").get_json()
    assert body["numberMatched"] == fitness["gap_feature_count"] > 0
    sites = client.get(f"{BASE}/layers/fitness_sites").get_json()
    assert sites["numberMatched"] == len(fitness["details"]["suggested_sites"])
    assert [f["properties"]["rank"] for f in sites["features"]] == list(
        range(1, sites["numberMatched"] + 1)
    )


def test_population_layer_sums_to_the_raster(client: Any, workspace: Any) -> None:
    body = client.get(f"{BASE}/layers/population?limit=10000").get_json()
    total = sum(f["properties"]["persons"] for f in body["features"])
    assert total == pytest.approx(workspace.population.total, rel=1e-3)
    assert all(f["properties"]["estimate"] is True for f in body["features"])


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("offset=-1", "offset"),
        ("zoom=23", "zoom"),
        ("zoom=x", "zoom"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=10,10,5,5", "bbox"),
        ("year=1900", "year"),
    ],
)
def test_bad_layer_parameters_are_400(client: Any, query: str, name: str) -> None:
    _bad_param(client, f"{BASE}/layers/roads?{query}", name)


def test_unknown_layer_is_404(client: Any) -> None:
    body = _error(client.get(f"{BASE}/layers/no_such_layer"), 404)
    assert "roads" in body["message"]
    _error(client.get(f"{BASE}/exports/layers/no_such_layer.gpkg"), 404)


def test_layer_etag_and_304(client: Any) -> None:
    first = client.get(f"{BASE}/layers/parks")
    assert first.mimetype == "application/geo+json"
    second = client.get(f"{BASE}/layers/parks", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 304
    listing = client.get(f"{BASE}/layers")
    assert (
        client.get(f"{BASE}/layers", headers={"If-None-Match": listing.headers["ETag"]}).status_code
        == 304
    )


# --- disclosures ----------------------------------------------------------------------------
def test_disclosures_only_public(client: Any, workspace: Any) -> None:
    layer = workspace.layers["disclosures"]
    public = layer[layer["public"].astype(bool)]
    hidden = layer[~layer["public"].astype(bool)]
    assert len(hidden) > 0, "the demonstration data should hold non-public records to hide"
    body = client.get(f"{BASE}/disclosures?limit=1000").get_json()
    assert body["available"] is True
    assert body["number_matched"] == len(public)
    assert {r["record_id"] for r in body["records"]} == set(public["record_id"].astype(str))
    dates = [r["date"] for r in body["records"]]
    assert dates == sorted(dates, reverse=True)
    for record_id in hidden["record_id"].astype(str):
        assert _error(client.get(f"{BASE}/disclosures/{record_id}"), 404)["code"] == "not_found"
    one = public.iloc[0]
    detail = client.get(f"{BASE}/disclosures/{one['record_id']}").get_json()
    assert detail["title"] == one["title"] and detail["type"] == one["type"]
    _error(client.get(f"{BASE}/disclosures/NO-SUCH-ID"), 404)


def test_disclosure_filters(client: Any, workspace: Any) -> None:
    layer = workspace.layers["disclosures"]
    public = layer[layer["public"].astype(bool)]
    for kind in public["type"].unique():
        body = client.get(f"{BASE}/disclosures?type={kind}").get_json()
        assert body["number_matched"] == int((public["type"] == kind).sum())
        assert all(r["type"] == kind for r in body["records"])
    dates = sorted(public["date"])
    start, end = dates[2], dates[-3]
    body = client.get(f"{BASE}/disclosures?date_from={start}&date_to={end}&limit=1000").get_json()
    assert body["number_matched"] == int(
        ((public["date"] >= start) & (public["date"] <= end)).sum()
    )
    word = public["title"].iloc[0][4:8]
    body = client.get(f"{BASE}/disclosures", query_string={"q": word}).get_json()
    expected = public[
        public["title"].str.contains(word, regex=False)
        | public["doc_number"].str.contains(word, regex=False)
        | public["authority"].str.contains(word, regex=False)
    ]
    assert body["number_matched"] == len(expected) > 0
    none = client.get(f"{BASE}/disclosures", query_string={"q": "绝无此词zzz"}).get_json()
    assert none["number_matched"] == 0 and none["records"] == []


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("type=批发", "type"),
        ("date_from=2024-13-40", "date_from"),
        ("date_to=yesterday", "date_to"),
        ("limit=0", "limit"),
    ],
)
def test_bad_disclosure_parameters_are_400(client: Any, query: str, name: str) -> None:
    _bad_param(client, f"{BASE}/disclosures?{query}", name)


# --- exports --------------------------------------------------------------------------------
def test_export_csv(client: Any, demo_report: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/exports/indicators.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].startswith("指标代码")
    by_id = {row[0]: row for row in rows[1:]}
    assert list(by_id) == [i["id"] for i in demo_report["indicators"]]
    for ind in demo_report["indicators"]:
        value = by_id[ind["id"]][3]
        assert (value == "") if ind["value"] is None else float(value) == ind["value"]


def test_export_xlsx(client: Any, demo_report: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/exports/indicators.xlsx?year=2020")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book["指标 Indicators"]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [i["id"] for i in demo_report["indicators"]]
    assert [r[3] for r in rows[1:]] == [i["value"] for i in demo_report["indicators"]]
    assessment = dict(r[:2] for r in book["评估 Assessment"].iter_rows(values_only=True))
    assert assessment["grade"] == demo_report["assessment"]["grade"]
    _bad_param(client, f"{BASE}/exports/indicators.xlsx?walk_speed=0", "walk_speed")


def test_export_geopackage(client: Any, workspace: Any, tmp_path: Path) -> None:
    response = client.get(f"{BASE}/exports/layers/roads.gpkg")
    assert response.status_code == 200
    path = tmp_path / "roads.gpkg"
    path.write_bytes(response.get_data())
    assert [str(r[0]) for r in pyogrio.list_layers(path)] == ["roads"]
    roads = gpd.read_file(path)
    assert len(roads) == len(workspace.layers["roads"]) and roads.crs.to_epsg() == 4326
    gap = client.get(f"{BASE}/exports/layers/gap_fitness_uncovered_cells.gpkg")
    assert gap.status_code == 200


# --- OpenAPI --------------------------------------------------------------------------------
def test_openapi_document_validates_and_lists_every_route(client: Any, web_app: Any) -> None:
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    documented = set(spec["paths"])
    for rule in web_app.url_map.iter_rules():
        path = str(rule.rule)
        if not path.startswith("/api/v1/") or path in ("/api/v1/openapi.json", "/api/v1/docs"):
            continue
        if rule.endpoint.startswith("openapi."):
            continue
        # <int:feature_id> is {feature_id} (an integer path parameter) in OpenAPI
        openapi_path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", path)
        assert openapi_path in documented, f"{path} is missing from the OpenAPI document"
    assert "/map/{county_id}" not in documented
    feature = spec["paths"][
        "/api/v1/counties/{county_id}/layers/{layer}/view/features/{feature_id}"
    ]
    (param,) = [p for p in feature["get"]["parameters"] if p["name"] == "feature_id"]
    assert param["in"] == "path" and param["schema"]["type"] == "integer"
    get_ind = spec["paths"]["/api/v1/counties/{county_id}/indicators"]["get"]
    assert {p["name"] for p in get_ind["parameters"]} >= {"year", "minutes", "walk_speed"}


def test_docs_ui_served_locally(client: Any) -> None:
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "cdn." not in html and "jsdelivr" not in html and "googleapis" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        url = f"/static/vendor/swagger-ui-dist-5.32.0/{asset}"
        assert url in html
        response = client.get(url)
        assert response.status_code == 200
        response.close()


# --- configuration and caching --------------------------------------------------------------
def test_config_is_checked_at_startup(make_app: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BASEMAP"):
        make_app(exact=True, BASEMAP="google")
    with pytest.raises(ConfigError, match="TIANDITU_KEY"):
        make_app(exact=True, BASEMAP="tianditu", TIANDITU_KEY="")
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ConfigError, match="WORKSPACES_DIR"):
        make_app(exact=True, WORKSPACES_DIR=str(file))
    with pytest.raises(ConfigError, match="DEFAULT_COUNTY"):
        make_app(exact=True, DEFAULT_COUNTY="../etc")


def test_config_from_environment(
    make_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GIS_WORKSPACES_DIR", str(tmp_path))
    monkeypatch.setenv("GIS_BASEMAP", "none")
    app = make_app(exact=True)
    assert app.config["WORKSPACES_DIR"] == str(tmp_path) and app.config["BASEMAP"] == "none"
    assert app.test_client().get("/api/v1/counties").get_json() == {"counties": []}


def test_new_workspace_version_is_picked_up(
    make_app: Any, demo_workspace_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(demo_workspace_dir, root / "c1")
    client = make_app(WORKSPACES_DIR=str(root)).test_client()
    first = client.get("/api/v1/counties/c1/layers/parks")
    assert client.get("/api/v1/counties/c1").get_json()["name"].startswith("成都")
    meta_path = root / "c1" / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["name"] = "新版本 new version"
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    later = time.time() + 5
    os.utime(meta_path, (later, later))
    assert client.get("/api/v1/counties/c1").get_json()["name"] == "新版本 new version"
    again = client.get(
        "/api/v1/counties/c1/layers/parks", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304  # same content after reload: same ETag


def test_lru_computes_once_under_concurrency() -> None:
    cache = LRU(4)
    calls: list[int] = []
    barrier = threading.Barrier(8)

    def compute() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    def worker(out: list[int]) -> None:
        barrier.wait()
        out.append(cache.get_or_compute("k", compute))

    results: list[int] = []
    threads = [threading.Thread(target=worker, args=(results,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8 and len(calls) == 1
    for i in range(10):
        cache.get_or_compute(i, lambda i=i: i)
    assert cache.get_or_compute(9, lambda: -1) == 9 and cache.get_or_compute(0, lambda: -1) == -1


def test_a_computation_never_waits_for_a_key_whose_holder_waits_for_it() -> None:
    """No deadlock between the cache's key locks and the one-computation-at-a-time turn.

    A what-if evaluation (in its turn) asks the cache for the county's life circle while
    another request holds that key and waits for the turn to compute it: the evaluation
    computes the value itself instead of waiting, then the other request computes and keeps it.
    """
    from gis.indicators._threads import turn

    cache = LRU(4)
    holder_in = threading.Event()
    kept: list[str] = []

    def holder() -> None:
        def compute() -> str:
            holder_in.set()
            with turn():  # waits until the evaluation below has ended
                return "holder's"

        kept.append(cache.get_or_compute("life circle", compute))

    evaluation_got: list[str] = []

    def evaluation() -> None:
        with turn():
            other = threading.Thread(target=holder, daemon=True)
            other.start()
            assert holder_in.wait(10)
            evaluation_got.append(cache.get_or_compute("life circle", lambda: "evaluation's"))
        other.join(10)

    runner = threading.Thread(target=evaluation, daemon=True)
    runner.start()
    runner.join(20)
    assert not runner.is_alive(), "deadlock: the turn's holder waited for a key"
    assert evaluation_got == ["evaluation's"] and kept == ["holder's"]
    assert cache.get_or_compute("life circle", lambda: "again") == "holder's"
