"""``/api/v1/counties/<id>/indicators/changes`` on the real demonstration county.

Two batch years are computed for real: 2018 on the workspace as ingested, then the county's
staff upload a parks layer holding only the first 5 of the 19 OSM parks (through the upload
API), then 2020.  So the park indicators fall between the two years, the road density stays
the same while its target rises from 7 to 8 km/km², and ``since=parks:0`` (the workspace before
the upload, recomputed now) must give the same park figures as the 2018 batch.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from gis.batch import copy_workspace, discover_workspaces, plan_tasks, run_batch
from tests.helpers import DEMO_ID, create_token
from tests.upload.corpus import geojson_bytes, real_parks

CREATED = "2020-01-01T00:00:00+00:00"  # the copy's creation time, so dates below are fixed
URL = f"/api/v1/counties/{DEMO_ID}/indicators/changes"
PARKS = ("park_green_per_capita", "park_service_coverage")


def _batch(workspaces: Path, results: Path, year: int) -> None:
    tasks = plan_tasks(discover_workspaces(workspaces), [DEMO_ID], year=year, results_dir=results)
    summary = run_batch(tasks, workers=1, progress=False)
    assert not summary.failed, summary.failed


@pytest.fixture(scope="module")
def setup(
    demo_workspace_dir: Path, make_app: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("yoy_ws")
    results = tmp_path_factory.mktemp("yoy_results")
    copy_workspace(demo_workspace_dir, root, county_id=DEMO_ID, adcode=None, purpose="test")
    meta = json.loads((demo_workspace_dir / "metadata.json").read_text(encoding="utf-8"))
    meta["created"] = CREATED
    (root / DEMO_ID / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    _batch(root, results, 2018)
    app = make_app(WORKSPACES_DIR=str(root), RESULTS_DIR=str(results))
    staff = {"Authorization": f"Bearer {create_token(app, 'yoy-staff', 'staff', [DEMO_ID])}"}
    other = {"Authorization": f"Bearer {create_token(app, 'yoy-other', 'staff', ['elsewhere'])}"}
    few = geojson_bytes(real_parks().iloc[:5])
    resp = app.test_client().post(
        f"/api/v1/counties/{DEMO_ID}/layers/parks",
        data={"file": (io.BytesIO(few), "parks.geojson")},
        headers=staff,
    )
    assert resp.status_code == 201, resp.get_json()
    _batch(root, results, 2020)
    docs = {
        y: json.loads((results / str(y) / f"{DEMO_ID}.json").read_text(encoding="utf-8"))
        for y in (2018, 2020)
    }
    return {"app": app, "client": app.test_client(), "staff": staff, "other": other, "docs": docs}


def _values(doc: dict[str, Any]) -> dict[str, Any]:
    return {i["id"]: i for i in doc["report"]["indicators"]}


def test_two_batch_years_compared(setup: dict[str, Any]) -> None:
    body = setup["client"].get(URL).get_json()  # defaults: latest year and the one before
    assert (body["mode"], body["from"], body["to"]) == ("years", 2018, 2020)
    assert body["years_available"] == [2018, 2020]
    assert setup["client"].get(f"{URL}?from=2018&to=2020").get_json() == body
    comparison = body["comparison"]
    rows = {r["id"]: r for r in comparison["indicators"]}
    before, after = _values(setup["docs"][2018]), _values(setup["docs"][2020])
    assert set(rows) == set(after) | set(before)
    for ind_id in PARKS:  # 19 parks → 5: less park area in 2020
        prev, cur = before[ind_id]["value"], after[ind_id]["value"]
        assert cur < prev, ind_id
        row = rows[ind_id]
        assert (row["previous_value"], row["current_value"]) == (prev, cur)
        assert row["change"] == round(cur - prev, 6)
        assert row["direction"] == "worse"
        assert row["previous_passed"] == before[ind_id]["passed"]
        assert row["current_passed"] == after[ind_id]["passed"]
    assert rows["park_service_coverage"]["change_unit"] == "百分点 pp"
    assert rows["green_space_ratio"]["direction"] == "unchanged"  # parks are in 绿地 too
    road = rows["road_density"]  # same roads; the target rose with the year
    assert road["change"] == 0.0 and road["direction"] == "unchanged"
    assert (road["previous_target"], road["current_target"]) == (7.0, 8.0)
    score_before = setup["docs"][2018]["report"]["assessment"]["score"]
    score_after = setup["docs"][2020]["report"]["assessment"]["score"]
    assert comparison["previous"]["score"] == score_before
    assert comparison["score_change"] == round(score_after - score_before, 6)
    # the only county of the results is first in both years
    assert (comparison["previous"]["rank"], comparison["current"]["rank"]) == (1, 1)
    assert comparison["rank_change"] == 0


def test_since_a_layer_version_recomputes_the_earlier_workspace(setup: dict[str, Any]) -> None:
    client, staff = setup["client"], setup["staff"]
    body = client.get(f"{URL}?since=parks:0", headers=staff).get_json()
    assert body["mode"] == "since"
    assert body["since"]["when"] == CREATED
    assert body["since"]["layers_changed"] == [
        {"layer": "parks", "version_then": 0, "version_now": 1}
    ]
    rows = {r["id"]: r for r in body["comparison"]["indicators"]}
    before, after = _values(setup["docs"][2018]), _values(setup["docs"][2020])
    for ind_id in PARKS:  # then = as ingested (the 2018 batch), now = after the upload (2020)
        assert rows[ind_id]["previous_value"] == before[ind_id]["value"]
        assert rows[ind_id]["current_value"] == after[ind_id]["value"]
        assert rows[ind_id]["direction"] == "worse"
    assert rows["road_density"]["direction"] == "unchanged"
    # a date between the creation and the upload names the same state
    by_date = client.get(f"{URL}?since=2021-06-30", headers=staff).get_json()
    assert by_date["comparison"] == body["comparison"]


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("from=2020&to=2018", 422, "must be earlier"),
        ("to=2019", 404, "no batch result for to=2019"),
        ("to=2018", 404, "no batch result before 2018"),
        ("from=2019&to=2020", 404, "no batch result for from=2019"),
        ("from=1999", 400, "from"),
    ],
)
def test_year_errors(setup: dict[str, Any], query: str, status: int, words: str) -> None:
    resp = setup["client"].get(f"{URL}?{query}")
    assert resp.status_code == status, resp.get_json()
    assert words in json.dumps(resp.get_json(), ensure_ascii=False)


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("since=parks:1", 404, "no layer version was committed after"),
        ("since=2019-06-01", 422, "was created at 2020-01-01"),
        ("since=last%20week", 422, "expected a date"),
        ("since=parks:7", 422, "has no version 7"),
        ("since=parks:0&from=2018", 422, "not both"),
    ],
)
def test_since_errors(setup: dict[str, Any], query: str, status: int, words: str) -> None:
    resp = setup["client"].get(f"{URL}?{query}", headers=setup["staff"])
    assert resp.status_code == status, resp.get_json()
    assert words in resp.get_json()["message"]


def test_visibility(setup: dict[str, Any]) -> None:
    client = setup["client"]
    assert client.get(URL).status_code == 200  # batch results are public (province page)
    assert client.get(f"{URL}?since=parks:0").status_code == 401  # versions: staff only
    assert client.get(f"{URL}?since=parks:0", headers=setup["other"]).status_code == 403
    missing = client.get("/api/v1/counties/nowhere/indicators/changes")
    assert missing.status_code == 404
    assert "no batch result" in missing.get_json()["message"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/counties/{county_id}/indicators/changes" in spec["paths"]


def test_planner_dashboard_since_last_year(setup: dict[str, Any], make_app: Any) -> None:
    import re

    client = setup["client"]
    page = client.get(f"/map/{DEMO_ID}?year=2020").get_data(as_text=True)
    section = page[page.index('id="changes"') : page.index('id="sites"')]
    assert 'data-previous-year="2018"' in section
    assert "与上一年比较" in section and "2018 batch result → now (2020 targets)" in section
    before = _values(setup["docs"][2018])["park_green_per_capita"]["value"]
    row = re.search(r'<tr data-indicator-id="park_green_per_capita"[^>]*>.*?</tr>', section)
    assert row is not None
    assert 'data-direction="worse"' in row.group(0)
    assert f'data-previous="{before}"' in row.group(0)
    # 2018 has no earlier batch result: no section, no error
    page_2018 = client.get(f"/map/{DEMO_ID}?year=2018")
    assert page_2018.status_code == 200
    assert 'id="changes"' not in page_2018.get_data(as_text=True)


def test_report_button_compares_with_the_previous_batch_year(setup: dict[str, Any]) -> None:
    """The planner's report (DOCX) has the 2018 → now section from the same comparison."""
    from docx import Document

    from layers.charts import value_text

    client = setup["client"]
    resp = client.get(f"/api/v1/counties/{DEMO_ID}/report.docx?year=2020")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    changes = next(t for t in tables if t[0] == ["指标", "上一年度", "本年度", "变化"])
    before = _values(setup["docs"][2018])["park_green_per_capita"]
    now = client.get(f"/api/v1/counties/{DEMO_ID}/indicators?year=2020").get_json()
    after = next(i for i in now["indicators"] if i["id"] == "park_green_per_capita")
    row = next(r for r in changes if r[0] == before["name_zh"])
    assert row[1:3] == [value_text(before["value"]), value_text(after["value"])]
    assert row[3].endswith("（变差）")  # 19 parks → 5
    # 2018 has no earlier batch year: the section says there is nothing to compare
    old = Document(io.BytesIO(client.get(f"/api/v1/counties/{DEMO_ID}/report.docx?year=2018").data))
    assert any("未提供上一年度结果" in p.text for p in old.paragraphs)
