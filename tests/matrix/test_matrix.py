"""The workspace matrix (issue 9 item 2): every workspace of tests/matrix/workspaces.py through
every CLI command, every GET route of the app (from the Flask URL map and the OpenAPI document,
path parameters filled from the workspace's real layers and records), every page signed in as
staff, and an upload of each of the 12 layer kinds: no 5xx, no traceback, no crash; every
indicator has a status and, without a number, a reason in Chinese and English.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
import shapely.affinity

from gis.cli import main
from gis.indicators import INDICATOR_IDS
from tests.helpers import MATRIX_STAFF, PASSWORD, write_grid_tif
from tests.matrix.workspaces import CASES, Matrix

TRACEBACK = "Traceback (most recent call last)"
STATUSES = {"ok", "no_data", "not_computable"}
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
UPLOAD_KINDS = (
    "built_up",
    "roads",
    "parks",
    "green_space",
    "sports",
    "residential",
    "population",
    "plans",
    "urban_designs",
    "key_areas",
    "disclosures",
    "projects",
)
PAGE_TEMPLATES = (
    "/",
    "/public/<county_id>",
    "/map/<county_id>",
    "/province",
    "/upload/<county_id>",
)
KNOWN_COUNTY_ROUTES = 13  # GET templates with <county_id> when this test was written (more is fine)
KNOWN_GLOBAL_ROUTES = 12
MISSING = "no-such-thing"


def _params() -> list[Any]:
    return [
        pytest.param(
            c.id, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        )
        for c in CASES
    ]


CASE_PARAMS = _params()
BUILDABLE = [c.id for c in CASES if not c.xfail]


# --- checks -----------------------------------------------------------------------------------


def check_bilingual(reason: str, where: str) -> None:
    """A reason is ``中文 | English``: Chinese first, then English with no Chinese in it."""
    zh, sep, en = reason.partition(" | ")
    assert sep and CJK.search(zh), f"{where}: reason has no Chinese part: {reason!r}"
    assert re.search(r"[A-Za-z]{3}", en) and not CJK.search(en), (
        f"{where}: reason has no English part: {reason!r}"
    )


def check_indicators(items: list[dict[str, Any]], where: str) -> None:
    """All seven indicators, each with a status; a number, or no number with a bilingual reason."""
    assert [i["id"] for i in items] == list(INDICATOR_IDS), where
    for item in items:
        label = f"{where} {item['id']}"
        assert item["status"] in STATUSES, label
        value = item["value"]
        if isinstance(value, (int, float)) and math.isfinite(value):
            assert item["status"] == "ok", label
        else:
            assert value is None and item["status"] != "ok", label
            assert item["passed"] is None, label
            check_bilingual(item["reason"], label)


def check_response(resp: Any, url: str) -> None:
    """No server error, no traceback; JSON bodies parse."""
    body = resp.get_data().decode("utf-8", errors="replace")
    resp.close()  # static files are streamed from an open file
    assert resp.status_code < 500, (url, resp.status_code, body[:500])
    assert TRACEBACK not in body, (url, body[:2000])
    if resp.status_code == 200 and resp.mimetype.endswith("json"):
        json.loads(body)


# --- routes -----------------------------------------------------------------------------------


def _flask_template(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule)


def get_templates(app: Any) -> tuple[set[str], set[str]]:
    """GET path templates of the Flask URL map and of the OpenAPI document (``<param>`` form)."""
    flask = {
        _flask_template(r.rule) for r in app.url_map.iter_rules() if "GET" in (r.methods or ())
    }
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    openapi = {
        re.sub(r"\{([^}]+)\}", r"<\1>", path) for path, ops in spec["paths"].items() if "get" in ops
    }
    return flask, openapi


def all_templates(app: Any) -> tuple[list[str], list[str]]:
    """(county templates, global templates), sorted: the union of both sources."""
    flask, openapi = get_templates(app)
    assert openapi <= flask, f"OpenAPI paths not served: {sorted(openapi - flask)}"
    union = flask | openapi
    county = sorted(t for t in union if "<county_id>" in t)
    return county, sorted(union - set(county))


def _layer_names(client: Any, county_id: str, folder: Path, headers: dict[str, str]) -> list[str]:
    listed = client.get(f"/api/v1/counties/{county_id}/layers", headers=headers)
    check_response(listed, "layers")
    assert listed.status_code == 200, listed.get_data(as_text=True)[:500]
    names = [layer["name"] for layer in listed.get_json()["layers"]]
    stored = [str(row[0]) for row in pyogrio.list_layers(folder / "workspace.gpkg")]
    return sorted({*names, *stored, "population", MISSING})


def _record_ids(folder: Path) -> list[str]:
    layers = {str(row[0]) for row in pyogrio.list_layers(folder / "workspace.gpkg")}
    ids = [MISSING]
    if "disclosures" in layers:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(folder / "workspace.gpkg", layer="disclosures")
        ids += [str(v) for v in frame.get("record_id", [])][:3]  # public and not public
    return ids


def fill(template: str, values: dict[str, list[str]]) -> list[str]:
    """Every URL of a template with its parameters taken from ``values`` (unknown ones: 'x')."""
    names = re.findall(r"<([^>]+)>", template)
    urls = []
    for combo in itertools.product(*(values.get(n, ["x"]) for n in names)):
        url = template
        for name, value in zip(names, combo, strict=True):
            url = url.replace(f"<{name}>", value, 1)
        urls.append(url)
    return urls


VIEW_QUERIES = {
    "/view": "?bbox=110,31,117,37&zoom=8",
    **{f"/view/features/{i}": "?zoom=16" for i in (0, 1)},
}
"""The map pages' routes once more with their required query (Henan, zoom 8; features 0 and 1)."""

SETTINGS_QUERY = {"year": "2018", "minutes": "5", "walk_speed": "0.8"}
"""Indicator parameters (other than the defaults) for routes whose OpenAPI operation takes them."""


def settings_variants(app: Any) -> list[str]:
    """Templates (without ``<layer>``) whose GET takes the indicator parameters, with a query."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    out = []
    for path, ops in spec["paths"].items():
        params = {p["name"] for p in ops.get("get", {}).get("parameters", []) if p["in"] == "query"}
        wanted = {k: v for k, v in SETTINGS_QUERY.items() if k in params}
        if wanted and "{layer}" not in path:
            query = "&".join(f"{k}={v}" for k, v in wanted.items())
            out.append(re.sub(r"\{([^}]+)\}", r"<\1>", path) + "?" + query)
    return sorted(out)


def county_urls(app: Any, token: str, county_id: str, folder: Path) -> list[str]:
    """Every GET URL of one county: templates × its layer names × its record ids, and the
    routes taking indicator parameters once more with other parameters."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    values = {
        "county_id": [county_id],
        "layer": _layer_names(client, county_id, folder, headers),
        "record_id": _record_ids(folder),
        "feature_id": ["0", "1", "999999"],
    }
    county, _global = all_templates(app)
    variants = [t for t in settings_variants(app) if "<county_id>" in t]
    urls = [url for t in [*county, *variants] for url in fill(t, values)]
    return urls + [u + VIEW_QUERIES[k] for u in urls for k in VIEW_QUERIES if u.endswith(k)]


def global_urls(app: Any) -> list[str]:
    """Every GET URL not about one county; static files are every file under static/."""
    static = Path(app.static_folder or "static")
    files = sorted(p.relative_to(static).as_posix() for p in static.rglob("*") if p.is_file())
    _county, templates = all_templates(app)
    templates += [t for t in settings_variants(app) if "<county_id>" not in t]
    return [url for t in templates for url in fill(t, {"filename": [*files, MISSING]})]


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", CASE_PARAMS)
def test_cli_commands(case_id: str, matrix: Matrix, tmp_path: Path, capsys: Any) -> None:
    """info, indicators (table, --json, --out), sites, life-circle --json: 0, no traceback."""
    folder = str(matrix.path(case_id))
    gaps = tmp_path / "gaps.gpkg"
    for argv in (
        ["info", folder],
        ["indicators", folder, "--out", str(gaps)],  # the table, and the gap layers written
        ["indicators", folder, "--json"],
        ["sites", folder, "--json", "--fix", "113.6,34.7"],
        ["life-circle", folder, "--json"],  # the 15-minute life circle, thin data included
    ):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 0, (argv, err)
        assert TRACEBACK not in out + err, argv
        if argv[0] == "sites":
            assert "search" in json.loads(out), argv
        elif argv[0] == "life-circle":
            for item in json.loads(out)["indicators"]:
                assert item["status"] in ("ok", "no_data", "not_computable"), item["id"]
                if item["status"] != "ok":
                    check_bilingual(item["reason"], f"{case_id} life-circle {item['id']}")
        elif "--json" in argv:
            report = json.loads(out)
            check_indicators(report["indicators"], f"{case_id} cli --json")
        if "--out" in argv:
            assert gaps.is_file() or "none (no gaps)" in out
            if gaps.is_file():
                assert pyogrio.list_layers(gaps).shape[0] >= 1


@pytest.fixture(scope="module")
def batch_results(matrix: Matrix, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m gis batch`` over the whole matrix (sequential: the CI machine has 2 cores)."""
    results = tmp_path_factory.mktemp("matrix-batch")
    argv = ["batch", "--workspaces", str(matrix.root), "--results", str(results)]
    code = main([*argv, "--workers", "1", "--no-progress", "--year", "2020"])
    assert code == 0, sorted(p.name for p in (results / "2020").glob("*.error.json"))
    return results


@pytest.mark.parametrize("case_id", CASE_PARAMS)
def test_batch(case_id: str, matrix: Matrix, batch_results: Path) -> None:
    """The province batch computes the county (no .error.json), every indicator with a status."""
    matrix.path(case_id)
    assert not (batch_results / "2020" / f"{case_id}.error.json").exists()
    document = json.loads((batch_results / "2020" / f"{case_id}.json").read_text("utf-8"))
    items = document.get("indicators") or document.get("report", {}).get("indicators")
    check_indicators(items, f"{case_id} batch")


@pytest.mark.parametrize("case_id", CASE_PARAMS)
def test_every_get_route(case_id: str, matrix: Matrix, matrix_app: tuple[Any, str]) -> None:
    """Every GET route with <county_id> (URL map ∪ OpenAPI), as the county's staff."""
    folder = matrix.path(case_id)
    app, token = matrix_app
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    urls = county_urls(app, token, case_id, folder)
    for url in urls:
        check_response(client.get(url, headers=headers), url)
    report = client.get(f"/api/v1/counties/{case_id}/indicators", headers=headers)
    assert report.status_code == 200
    check_indicators(report.get_json()["indicators"], f"{case_id} api")


def sign_in(client: Any) -> None:
    """Sign in as the matrix's staff member with the login form (session cookie, CSRF)."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    resp = client.post(
        "/login",
        data={
            "name": MATRIX_STAFF,
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "/",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("case_id", CASE_PARAMS)
def test_pages_as_staff(case_id: str, matrix: Matrix, matrix_app: tuple[Any, str]) -> None:
    """The home, public, planner-map, province and upload pages answer 200 to signed-in staff."""
    matrix.path(case_id)
    app, _token = matrix_app
    client = app.test_client()
    sign_in(client)
    for template in PAGE_TEMPLATES:
        url = template.replace("<county_id>", case_id)
        resp = client.get(url)
        check_response(resp, url)
        assert resp.status_code == 200, (url, resp.status_code)


def test_global_routes(matrix: Matrix, matrix_app: tuple[Any, str]) -> None:
    """Routes about no single county (index, province, OpenAPI, docs, static files) over the
    whole matrix."""
    app, token = matrix_app
    client = app.test_client()
    for url in global_urls(app):
        check_response(client.get(url, headers={"Authorization": f"Bearer {token}"}), url)


# --- uploads ----------------------------------------------------------------------------------


def _metric(folder: Path) -> str:
    return str(json.loads((folder / "metadata.json").read_text("utf-8"))["metric_crs"])


def _layer(folder: Path, name: str) -> gpd.GeoDataFrame | None:
    gpkg = folder / "workspace.gpkg"
    if name not in {str(row[0]) for row in pyogrio.list_layers(gpkg)}:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return pyogrio.read_dataframe(gpkg, layer=name)


def _area(folder: Path, crs: str) -> shapely.Geometry:
    """The county's built-up area in metres (the boundary when it is empty)."""
    for name in ("built_up", "boundary"):
        frame = _layer(folder, name)
        if frame is not None and len(frame):
            geom = shapely.make_valid(frame.to_crs(crs).union_all())
            if geom.area > 0:
                return geom
    raise AssertionError(f"{folder.name}: no built-up area and no boundary")


def _boxes(area: shapely.Geometry, n: int, size_m: float) -> list[shapely.Geometry]:
    """``n`` squares inside ``area`` around its representative point."""
    p = area.representative_point()
    out = []
    for i in range(n):
        box = shapely.box(p.x - size_m / 2, p.y - size_m / 2, p.x + size_m / 2, p.y + size_m / 2)
        box = shapely.affinity.translate(box, (i - n // 2) * size_m * 1.5, 0)
        clipped = box.intersection(area)
        if clipped.area <= 0:  # a narrow area: the square at the point itself
            clipped = shapely.box(p.x - size_m / 2, p.y - size_m / 2, p.x, p.y).intersection(area)
        out.append(clipped)
    return out


def _own_or_boxes(folder: Path, layer: str, crs: str, area: shapely.Geometry) -> list[Any]:
    """The layer's own first polygons, or squares in the built-up area when it has none."""
    frame = _layer(folder, layer)
    if frame is not None and len(frame):
        geoms = frame.to_crs(crs).geometry
        geoms = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(geoms):
            return list(geoms.iloc[:3])
    return _boxes(area, 3, 150.0)


def _geojson(columns: dict[str, list[Any]], geoms: list[Any], crs: str) -> bytes:
    """GeoJSON of ``geoms`` with the columns (cut to as many rows as there are geometries)."""
    columns = {k: v[: len(geoms)] for k, v in columns.items()}
    gdf = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    return gdf.to_crs(4326).to_json(ensure_ascii=False, drop_id=True).encode("utf-8")


def _population_tif(area: shapely.Geometry, crs: str, path: Path) -> bytes:
    minx, miny, maxx, maxy = area.bounds
    cols, rows = int((maxx - minx) // 100) + 1, int((maxy - miny) // 100) + 1
    values = np.full((rows, cols), 12.5, dtype="float32")
    write_grid_tif(path, values, left=minx, top=maxy, cell_m=100, crs=crs)
    return path.read_bytes()


def upload_files(folder: Path, tmp: Path) -> dict[str, tuple[bytes, str]]:
    """One small valid file per layer kind (docs/uploads.md), from the workspace's own geometry."""
    crs = _metric(folder)
    area = _area(folder, crs)
    p = area.representative_point()
    points = [shapely.Point(p.x + dx, p.y) for dx in (-60.0, 0.0, 60.0)]
    n = len(points)
    lines = [
        shapely.LineString([(p.x - 300, p.y), (p.x + 300, p.y)]),
        shapely.LineString([(p.x, p.y - 300), (p.x, p.y + 300)]),
    ]
    boxes = _boxes(area, 2, 200.0)
    names = [f"测试{i + 1}" for i in range(n)]
    return {
        "built_up": (_geojson({"名称": ["建成区"]}, [area], crs), "建成区.geojson"),
        "roads": (
            _geojson({"名称": ["测试大道", "测试路"], "道路等级": ["主干路", "支路"]}, lines, crs),
            "道路.geojson",
        ),
        "parks": (
            _geojson({"名称": names}, _own_or_boxes(folder, "parks", crs, area)[:n], crs),
            "公园.geojson",
        ),
        "green_space": (
            _geojson(
                {"名称": names, "类型": ["grass"] * n},
                _own_or_boxes(folder, "green_space", crs, area)[:n],
                crs,
            ),
            "绿地.geojson",
        ),
        "sports": (
            _geojson({"名称": names, "设施类型": ["pitch"] * n}, points, crs),
            "体育设施.geojson",
        ),
        "residential": (
            _geojson({"名称": names}, _own_or_boxes(folder, "residential", crs, area)[:n], crs),
            "居住用地.geojson",
        ),
        "population": (_population_tif(area, crs, tmp / "人口.tif"), "人口.tif"),
        "plans": (
            _geojson(
                {
                    "规划编号": ["U-01"],
                    "规划名称": ["测试控规"],
                    "审批状态": ["已批复"],
                    "批复日期": ["2019年3月5日"],
                },
                [area],
                crs,
            ),
            "控规.geojson",
        ),
        "urban_designs": (
            _geojson({"名称": ["中心区城市设计"], "status": ["completed"]}, boxes[:1], crs),
            "城市设计.geojson",
        ),
        "key_areas": (
            _geojson({"名称": ["中心区", "入口"], "kind": ["centre", "entrance"]}, boxes, crs),
            "重点地区.geojson",
        ),
        "disclosures": (
            _geojson(
                {
                    "record_id": [f"R-{i}" for i in range(n)],
                    "type": ["编制", "审批", "规划许可"],
                    "title": [f"测试公示{i}" for i in range(n)],
                    "doc_number": [f"测〔2024〕{i}号" for i in range(n)],
                    "date": ["2024-01-0" + str(i + 1) for i in range(n)],
                    "authority": ["测试县自然资源局"] * n,
                    "public": ["是", "是", "否"],
                },
                points,
                crs,
            ),
            "公示.geojson",
        ),
        "projects": (
            _geojson(
                {
                    "project_id": [f"P-{i}" for i in range(n)],
                    "名称": [f"测试项目{i}" for i in range(n)],
                    "类别": ["道路", "公园", "学校"],
                    "总投资": [1200.0, 300.5, 80.0],
                    "进度": ["45%", "100", "0"],
                },
                points,
                crs,
            ),
            "项目.geojson",
        ),
    }


@pytest.fixture(scope="module")
def upload_app(
    matrix: Matrix, make_matrix_app: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, str, Path]:
    """One app over private copies of every built case (uploads write), a staff token for all."""
    base = tmp_path_factory.mktemp("matrix-upload")
    root = base / "workspaces"
    for case_id, folder in matrix.built.items():
        shutil.copytree(folder, root / case_id)
    app, token = make_matrix_app(root, sorted(matrix.built))
    return app, token, root


@pytest.mark.parametrize("case_id", CASE_PARAMS)
def test_upload_each_kind(
    case_id: str, matrix: Matrix, upload_app: tuple[Any, str, Path], tmp_path: Path
) -> None:
    """Each of the 12 layer kinds uploaded to a private copy: 201 with the seven indicators before
    → after; the county's pages and indicators still answer afterwards."""
    matrix.path(case_id)
    app, token, root = upload_app
    folder = root / case_id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    files = upload_files(folder, tmp_path)
    assert sorted(files) == sorted(UPLOAD_KINDS)
    for kind in UPLOAD_KINDS:
        data, name = files[kind]
        url = f"/api/v1/counties/{case_id}/layers/{kind}"
        resp = client.post(url, data={"file": (io.BytesIO(data), name)}, headers=headers)
        check_response(resp, url)
        body = resp.get_json()
        assert resp.status_code == 201, (kind, body)
        rows = body["indicators"]
        assert [r["id"] for r in rows] == list(INDICATOR_IDS), kind
        assert all({"before", "after", "changed"} <= set(r) for r in rows), kind
    for url in (f"/api/v1/counties/{case_id}/indicators", f"/map/{case_id}"):
        resp = client.get(url, headers=headers)
        check_response(resp, url)
        assert resp.status_code == 200, url
    check_changes_since_creation(client, case_id, folder, headers)


def check_changes_since_creation(
    client: Any, case_id: str, folder: Path, headers: dict[str, str]
) -> None:
    """Year over year on the workspace as ingested (before the uploads) → now: every indicator."""
    from urllib.parse import quote

    created = json.loads((folder / "metadata.json").read_text(encoding="utf-8")).get("created")
    if not created:
        return
    url = f"/api/v1/counties/{case_id}/indicators/changes?since={quote(created)}"
    resp = client.get(url, headers=headers)
    check_response(resp, url)
    body = resp.get_json()
    if resp.status_code == 404:  # uploaded within the second the workspace was made
        assert body["code"] == "nothing_to_compare", body
        return
    assert resp.status_code == 200, (url, body)
    rows = body["comparison"]["indicators"]
    assert [r["id"] for r in rows] == list(INDICATOR_IDS)
    assert {r["direction"] for r in rows} <= {"improved", "worse", "unchanged", "no_data"}
    assert body["since"]["layers_changed"], body["since"]


# --- the size of the matrix -------------------------------------------------------------------


def test_matrix_size(matrix: Matrix, matrix_app: tuple[Any, str]) -> None:
    """Print (and check) workspaces × routes; tests/matrix/workspaces.py lists the cases."""
    app, token = matrix_app
    county, global_ = all_templates(app)
    assert len(county) >= KNOWN_COUNTY_ROUTES and len(global_) >= KNOWN_GLOBAL_ROUTES
    built = sorted(matrix.built)
    assert set(BUILDABLE) <= set(built), matrix.errors  # the xfail cases flip on their own
    per_case = {c: len(county_urls(app, token, c, matrix.built[c])) for c in built}
    total = sum(per_case.values())
    glob = len(global_urls(app))
    print(
        f"\nworkspace matrix: {len(CASES)} workspaces ({len(built)} built, "
        f"{len(CASES) - len(built)} xfail: ingest refuses them today)"
        f"\nroute templates: {len(county)} per county + {len(global_)} global "
        f"(Flask URL map ∪ OpenAPI, GET)"
        f"\nworkspaces × county route templates = {len(built)} × {len(county)} = "
        f"{len(built) * len(county)}; concrete county URLs = {total} "
        f"(min {min(per_case.values())}, max {max(per_case.values())} per workspace); "
        f"global URLs = {glob}"
        f"\nCLI per workspace: info, indicators --out (table + gap layers), indicators --json; "
        f"batch: all at once; pages: {len(PAGE_TEMPLATES)}, "
        f"upload kinds: {len(UPLOAD_KINDS)}"
    )
    assert len(UPLOAD_KINDS) == 12


SPARSE_CASES = [c.id for c in CASES if c.id.split("-")[0] in ("sparse", "ninghua", "haimen")]
OSM_SUPPORTED = ("road_density", "park_green_per_capita", "green_space_ratio")


@pytest.mark.parametrize("case_id", SPARSE_CASES)
def test_sparse_osm_gives_labelled_numbers(case_id: str, matrix: Matrix, capsys: Any) -> None:
    """Issue 9 item 3: on thin OpenStreetMap what OSM supports is a number, labelled an estimate.

    Road density, park per capita and green-space ratio always (roads, a derived built-up area
    and a population exist); the fitness circle wherever OSM maps a sports facility; the park
    service coverage wherever it maps a park.  A pass never stands without its label.
    """
    assert main(["indicators", str(matrix.path(case_id)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_id = {i["id"]: i for i in report["indicators"]}
    expected = list(OSM_SUPPORTED)
    if by_id["fitness_15min_coverage"]["details"].get("facilities", 0):
        expected.append("fitness_15min_coverage")
    if by_id["park_service_coverage"]["details"].get("big_parks", 0) + by_id[
        "park_service_coverage"
    ]["details"].get("small_parks", 0):
        expected.append("park_service_coverage")
    for ident in expected:
        item = by_id[ident]
        assert item["status"] == "ok" and item["value"] is not None, (case_id, ident, item)
        assert "built_up" in item["estimated_inputs"], (case_id, ident)
    for item in report["indicators"]:
        if item["passed"]:
            assert item["basis"] == "estimate", (case_id, item["id"])
