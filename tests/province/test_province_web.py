"""The /province page and the province API on hand-made batch results (known answers)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gis.batch import RESULT_SCHEMA, result_path
from gis.province import load_units
from tests.helpers import COPY_CODES

INDICATORS = (
    ("road_density", "道路网密度", "road-network density", "km/km²", 8.0),
    ("park_per_capita", "人均公园绿地面积", "park green area per capita", "m²/person", 8.5),
)


def _doc(
    county_id: str,
    year: int,
    adcode: str | None,
    score: float,
    grade: str,
    values: tuple[float, float],
    copy_label: str = "",
) -> dict[str, Any]:
    indicators = [
        {
            "id": i,
            "name_zh": zh,
            "name_en": en,
            "unit": unit,
            "target": target,
            "comparison": ">=",
            "value": v,
            "passed": v >= target,
            "status": "ok",
        }
        for (i, zh, en, unit, target), v in zip(INDICATORS, values, strict=True)
    ]
    return {
        "schema": RESULT_SCHEMA,
        "county_id": county_id,
        "year": year,
        "metadata": {
            "name": f"name {county_id}",
            "adcode": adcode,
            "copy_label": copy_label,
            "is_demonstration": adcode is None,
        },
        "exact_values": {ind["id"]: repr(ind["value"]) for ind in indicators},
        "report": {"indicators": indicators, "assessment": {"score": score, "grade": grade}},
    }


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    docs = [
        _doc(COPY_CODES[0], 2018, COPY_CODES[0], 50.0, "不合格", (5.0, 4.0), "test copy <b>x</b>"),
        _doc(COPY_CODES[1], 2018, COPY_CODES[1], 70.0, "合格", (7.5, 9.0)),
        _doc(COPY_CODES[0], 2020, COPY_CODES[0], 90.0, "优良", (9.0, 10.0), "test copy <b>x</b>"),
        _doc(COPY_CODES[1], 2020, COPY_CODES[1], 75.0, "合格", (8.1, 6.0)),
        _doc("demo-chengdu-north", 2020, None, 75.0, "合格", (8.1, 6.0)),
    ]
    for d in docs:
        path = result_path(root, d["year"], d["county_id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    err = result_path(root, 2020, "411525").with_name("411525.error.json")
    err.write_text(
        json.dumps({"county_id": "411525", "error": "workspace.gpkg: not a GeoPackage"}),
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def client(make_app, county_workspaces: Path, results_dir: Path):  # type: ignore[no-untyped-def]
    app = make_app(WORKSPACES_DIR=str(county_workspaces), RESULTS_DIR=str(results_dir))
    return app.test_client()


def test_page_shows_all_157_units_and_the_ranking(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/province")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    codes = set(load_units()["adcode"])
    table_codes = set(
        re.findall(r'<tr class="(?:ranked|unit[^"]*)"[^>]*data-adcode="(\d{6})"', html)
    )
    assert table_codes == codes  # every unit is in one of the two tables
    for code in codes:  # and on the map (GeoJSON feature properties)
        assert f'"adcode": "{code}"' in html
    ranked = re.findall(r'<tr class="ranked" data-county-id="([^"]+)"[^>]*data-rank="(\d*)"', html)
    assert ranked == [("410181", "1"), ("410225", "2"), ("demo-chengdu-north", "2")]
    assert 'href="/map/410181"' in html and 'href="/map/demo-chengdu-north"' in html
    assert "+1 名" in html  # 410181 rose from 2nd (2018) to 1st
    # units without a workspace are greyed and show their census population
    gongyi_row = re.search(
        r'<tr class="unit no-workspace" data-adcode="410182".*?</tr>', html, re.S
    )
    assert gongyi_row and "730,135" in gongyi_row.group(0)  # 荥阳市, 2020 census
    yanshi = re.search(
        r'data-adcode="410307" data-census-status="no_2020_census_row".*?</tr>', html, re.S
    )
    assert yanshi and "no 2020 census row" in yanshi.group(0)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html  # labels escaped
    assert 'data-failed="411525"' in html
    # choropleths: grade, each indicator, population
    for title in ("等级 / grade 2020", "道路网密度 / road-network density", "population 2020"):
        assert title in html


def test_page_references_no_outside_host(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/province").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html)
    assert urls and not [u for u in urls if re.match(r"(https?:)?//", u)]
    assert not re.search(r"https?://", html)  # with BASEMAP=none nothing leaves the server
    for host in ("cdn.jsdelivr", "cdnjs", "bootstrapcdn", "unpkg", "googleapis", "d3js"):
        assert host not in html


def test_page_year_choice_and_bad_year(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/province?year=2018").get_data(as_text=True)
    ranked = re.findall(r'<tr class="ranked" data-county-id="([^"]+)"', html)
    assert ranked == ["410225", "410181"]
    assert client.get("/province?year=abc").status_code == 400


def test_counties_api_shape(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/province/counties").get_json()
    assert body["count"] == 157 and len(body["counties"]) == 157
    assert body["year"] == 2020 and body["with_workspace"] == 2
    assert body["without_2020_census"] == ["410307", "410308"]
    assert body["census_totals"]["province_total_2020"] == 99_365_519
    assert body["census_totals"]["county_rows_consistent"] is True
    by_code = {c["adcode"]: c for c in body["counties"]}
    gongyi = by_code["410181"]
    assert gongyi["population_2020"] == 785_242 and gongyi["has_workspace"] is True
    assert gongyi["assessment"] == {
        "rank": 1,
        "score": 90.0,
        "grade": "优良",
        "passed": 2,
        "failed": 0,
        "no_data": 0,
    }
    assert by_code["410182"]["assessment"] is None and by_code["410182"]["county_id"] is None
    assert set(gongyi) >= {"name", "city_name", "level", "census_status", "note", "copy_label"}


def test_ranking_api_and_exports(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/province/ranking?year=2020").get_json()
    assert body["years"] == [2018, 2020] and body["count"] == 3
    rows = body["rows"]
    assert [(r["county_id"], r["rank"]) for r in rows] == [
        ("410181", 1),
        ("410225", 2),
        ("demo-chengdu-north", 2),
    ]
    assert rows[0]["rank_change"] == 1 and rows[0]["score_change"] == 40.0
    assert rows[0]["map_url"] == "/map/410181" and rows[0]["grade_en"] == "excellent"
    assert body["grade_counts"] == {"优良": 1, "合格": 2, "不合格": 0, "none": 0}
    assert body["failures"] == [
        {"county_id": "411525", "error": "workspace.gpkg: not a GeoPackage"}
    ]

    resp = client.get("/api/v1/province/ranking.csv?year=2020")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "名次 rank" and [r[1] for r in table[1:]] == [
        r["county_id"] for r in rows
    ]

    resp = client.get("/api/v1/province/ranking.xlsx?year=2018")
    wb = load_workbook(io.BytesIO(resp.get_data()))
    sheet = wb.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:3] == (1, "410225", "name 410225") and values[2][0] == 2
    assert client.get("/api/v1/province/ranking?year=1999").status_code == 400


def test_openapi_lists_the_province_endpoints(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {
        "/api/v1/province/counties",
        "/api/v1/province/ranking",
        "/api/v1/province/ranking.csv",
        "/api/v1/province/ranking.xlsx",
    } <= set(spec["paths"])
