"""Issue 9, a county's first day: a workspace without plans, key areas and urban designs (what
``python -m gis ingest`` makes without ``--plans`` and sample layers) gives no_data indicators,
its pages and data routes answer, and an upload to it answers 201 with indicators before → after.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gis.cli import main
from gis.indicators import INDICATOR_IDS
from tests.helpers import DEMO_ID
from tests.matrix.gpkg_edit import drop_layers
from tests.upload.corpus import geojson_bytes, real_parks

PLANNING = ("plans", "key_areas", "urban_designs")


@pytest.fixture()
def ws(demo_workspace_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demonstration workspace without any planning layer."""
    target = tmp_path / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    drop_layers(target, PLANNING)
    return target


def test_indicators_cli_gives_no_data_with_a_reason(ws: Path, capsys: Any) -> None:
    assert main(["indicators", str(ws), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_id = {item["id"]: item for item in report["indicators"]}
    for ind_id in ("regulatory_plan_coverage", "urban_design_coverage"):
        item = by_id[ind_id]
        assert item["status"] == "no_data" and item["value"] is None and item["reason"]
    assert by_id["road_density"]["status"] == "ok"


def test_pages_and_data_routes_answer(upload_app: Any) -> None:
    app, _accounts, _ws = upload_app
    client = app.test_client()
    for url in (
        f"/map/{DEMO_ID}",
        f"/public/{DEMO_ID}",
        f"/api/v1/counties/{DEMO_ID}/indicators",
        f"/api/v1/counties/{DEMO_ID}/layers",
    ):
        assert client.get(url).status_code == 200, url


def test_upload_answers_201_with_indicators_before_and_after(upload_app: Any) -> None:
    app, accounts, _ws = upload_app
    resp = app.test_client().post(
        f"/api/v1/counties/{DEMO_ID}/layers/parks",
        data={"file": (io.BytesIO(geojson_bytes(real_parks().iloc[:5])), "parks.geojson")},
        headers=accounts.header("staff"),
    )
    body = resp.get_json()
    assert resp.status_code == 201, body
    by_id = {item["id"]: item for item in body["indicators"]}
    assert tuple(by_id) == INDICATOR_IDS
    assert by_id["park_green_per_capita"]["changed"] is True
    assert by_id["urban_design_coverage"]["before"] is None
    assert by_id["urban_design_coverage"]["after"] is None
