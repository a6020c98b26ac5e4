"""The province's published-project exports: the .xlsx province template (汇总 + one sheet per
county, sums checked cell by cell with openpyxl) and the .csv, from hand-made libraries; through
the routes, only passed projects appear."""

from __future__ import annotations

import csv
import io
from typing import Any

import geopandas as gpd
from openpyxl import load_workbook
from shapely.geometry import Point

from gis.project_exports import CountyProjects, projects_csv, projects_xlsx, province_summary
from gis.projects import public_projects
from tests.helpers import DEMO_ID


def _library(rows: list[tuple[str, str, float, float, str]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "project_id": [r[0] for r in rows],
            "name": [f"项目{r[0]}" for r in rows],
            "category": [r[1] for r in rows],
            "investment_wan_yuan": [r[2] for r in rows],
            "progress_pct": [r[3] for r in rows],
            "review_status": [r[4] for r in rows],
            "contact": ["不公开 139"] * len(rows),
        },
        geometry=[Point(113.6, 34.7)] * len(rows),
        crs=4326,
    )


def _counties() -> list[CountyProjects]:
    a = _library(
        [
            ("A1", "道路", 300.0, 100.0, "passed"),
            ("A2", "停车", 100.0, 20.0, "passed"),
            ("A3", "道路", 9999.0, 0.0, "draft"),  # not published: in no figure
        ]
    )
    b = _library([("B1", "道路", 600.0, 50.0, "passed"), ("B2", "体育", 1.0, 1.0, "returned")])
    empty = _library([("C1", "其他", 5.0, 5.0, "submitted")])
    return [
        CountyProjects("a", "甲县", public_projects(a)),
        CountyProjects("b", "乙市/区", public_projects(b)),  # '/' is not allowed in a sheet title
        CountyProjects("c", "丙县", public_projects(empty)),
    ]


def test_summary_by_hand() -> None:
    s = province_summary(_counties())
    assert [(c["county_id"], c["count"], c["investment_wan_yuan"]) for c in s["counties"]] == [
        ("a", 2, 400.0),
        ("b", 1, 600.0),
        ("c", 0, 0.0),
    ]
    # (300 × 100 + 100 × 20 + 600 × 50) / 1000 = 62 %
    assert (s["total"]["count"], s["total"]["investment_wan_yuan"], s["total"]["progress_pct"]) == (
        3,
        1000.0,
        62.0,
    )
    roads = next(c for c in s["by_category"] if c["category"] == "道路")
    assert (roads["count"], roads["investment_wan_yuan"], roads["progress_pct"]) == (2, 900.0, 66.7)


def test_xlsx_province_template_sums() -> None:
    book = load_workbook(io.BytesIO(projects_xlsx(_counties(), title="测试")))
    assert book.sheetnames == ["汇总", "按县和类别", "甲县", "乙市_区", "丙县"]
    cross = list(book["按县和类别"].iter_rows(values_only=True))[2:]
    assert [(r[1], r[2], r[4], r[5]) for r in cross] == [
        ("a", "道路", 1, 300),
        ("a", "停车", 1, 100),
        ("b", "道路", 1, 600),
    ]
    totals = list(book["汇总"].iter_rows(values_only=True))
    assert totals[1][:5] == (
        "县（市）",
        "county_id",
        "项目数",
        "计划总投资（万元）",
        "进度（%，按投资加权）",
    )
    county_rows = totals[2:5]
    assert [(r[1], r[2], r[3]) for r in county_rows] == [("a", 2, 400), ("b", 1, 600), ("c", 0, 0)]
    province = totals[5]
    assert province[0] == "全省合计"
    assert province[2] == sum(r[2] for r in county_rows) == 3
    assert province[3] == sum(r[3] for r in county_rows) == 1000
    assert province[4] == 62
    by_category = {r[0]: r for r in totals[8:] if r[0]}
    assert by_category["道路"][2:4] == (2, 900) and by_category["停车"][2:4] == (1, 100)
    sheet = list(book["甲县"].iter_rows(values_only=True))
    assert sheet[1][0] == "项目编号" and "联系人" not in sheet[1]
    projects = [r for r in sheet[2:] if r[0] not in ("合计",)]
    assert [r[0] for r in projects] == ["A1", "A2"]
    total = next(r for r in sheet if r[0] == "合计")
    investment_col = sheet[1].index("计划总投资（万元）")
    assert total[investment_col] == sum(r[investment_col] for r in projects) == 400
    assert all("不公开" not in str(v) for row in sheet for v in row)


def test_csv_lists_every_published_project() -> None:
    text = projects_csv(_counties()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["county_id"], r["项目编号 project_id"]) for r in rows] == [
        ("a", "A1"),
        ("a", "A2"),
        ("b", "B1"),
    ]
    assert sum(float(r["计划总投资（万元） investment_wan_yuan"]) for r in rows) == 1000.0
    assert "不公开" not in text and rows[0]["WKT"].startswith("POINT")


def test_routes_publish_only_passed_projects(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    boundary = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "boundary")
    point = boundary.to_crs(4326).union_all().representative_point()
    url = f"/api/v1/counties/{DEMO_ID}/projects"
    made = []
    for name, investment in (("甲", "700"), ("乙", "300")):
        body = {
            "name": name,
            "category": "道路",
            "investment_wan_yuan": investment,
            "progress_pct": "50",
            "lon": point.x,
            "lat": point.y,
        }
        made.append(
            client.post(url, json=body, headers=accounts.header("staff")).get_json()["project"][
                "project_id"
            ]
        )
    client.post(f"{url}/{made[0]}/submit", headers=accounts.header("staff"))
    client.post(
        f"{url}/{made[0]}/review", json={"decision": "pass"}, headers=accounts.header("admin")
    )
    xlsx = client.get("/api/v1/province/projects.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    totals = list(load_workbook(io.BytesIO(xlsx.data))["汇总"].iter_rows(values_only=True))
    demo = next(r for r in totals if r[1] == DEMO_ID)
    assert (demo[2], demo[3]) == (1, 700)
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/api/v1/province/projects.csv").data.decode("utf-8-sig"))
        )
    )
    assert [r["项目名称 name"] for r in rows] == ["甲"]
