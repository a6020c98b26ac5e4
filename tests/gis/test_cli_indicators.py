"""``python -m gis indicators``: table, --json, --out and bad arguments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from gis.cli import main
from gis.io import read_workspace
from gis.report import county_report
from gis.settings import IndicatorSettings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["indicators", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_names_values_and_grade(demo_workspace_dir: Path, capsys: Any) -> None:
    code, out, _ = run(capsys, str(demo_workspace_dir))
    assert code == 0
    for text in (
        "道路网密度",
        "Road-network density",
        "城市15分钟健身圈覆盖率",
        "km/km²",
        "≥ 8 (2020)",
        "控制性详细规划覆盖率",
        "score",
        "grade",
    ):
        assert text in out
    assert "SAMPLE" in out and "estimate" in out


def test_json_is_exactly_the_county_report(demo_workspace_dir: Path, capsys: Any) -> None:
    code, out, _ = run(
        capsys,
        str(demo_workspace_dir),
        "--json",
        "--year",
        "2018",
        "--minutes",
        "10",
        "--walk-speed",
        "1.2",
        "--sites",
        "2",
    )
    assert code == 0
    data = json.loads(out)
    settings = IndicatorSettings(year=2018, walk_minutes=10, walk_speed_m_s=1.2, sites_k=2)
    expected, _ = county_report(read_workspace(demo_workspace_dir), settings)
    assert data == json.loads(json.dumps(expected, ensure_ascii=False))
    assert data["year"] == 2018 and data["indicators"][0]["target"] == 7.0
    fitness = data["indicators"][1]
    assert fitness["parameters"]["max_walk_m"] == pytest.approx(720.0)
    assert len(fitness["details"]["suggested_sites"]) == 2


def test_out_writes_every_gap_layer_in_wgs84(
    demo_workspace_dir: Path, tmp_path: Path, capsys: Any
) -> None:
    out_file = tmp_path / "gaps.gpkg"
    code, out, _ = run(capsys, str(demo_workspace_dir), "--out", str(out_file))
    assert code == 0 and "gap layers written" in out
    names = {row[0] for row in pyogrio.list_layers(out_file)}
    assert {
        "gap_fitness_uncovered_cells",
        "gap_plan_uncovered_built_up",
        "gap_park_unserved_residential",
        "fitness_suggested_sites",
    } <= names
    cells = pyogrio.read_dataframe(out_file, layer="gap_fitness_uncovered_cells")
    assert cells.crs.to_epsg() == 4326 and cells["persons"].gt(0).all()
    minx, miny, maxx, maxy = cells.total_bounds
    assert 104.0 < minx < maxx < 104.2 and 30.7 < miny < maxy < 30.8


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--minutes", "abc"], "--minutes must be a number"),
        (["--minutes", "0"], "--minutes"),
        (["--walk-speed", "9"], "--walk-speed"),
        (["--year", "2019"], "--year must be one of 2018, 2020"),
        (["--sites", "2.5"], "--sites must be a whole number"),
        (["--out", "gaps.shp"], "--out must be a .gpkg file"),
    ],
)
def test_bad_values_give_one_line_and_exit_2(
    demo_workspace_dir: Path, capsys: Any, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, str(demo_workspace_dir), *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and err.startswith("error: ")


def test_missing_workspace_is_a_clear_error(tmp_path: Path, capsys: Any) -> None:
    code, _, err = run(capsys, str(tmp_path / "nowhere"))
    assert code == 2 and "not a workspace" in err and err.count("\n") == 1
