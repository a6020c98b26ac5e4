"""``python -m gis life-circle``: table, --json, --out, --threshold and bad arguments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from gis.cli import main
from gis.facility_types import LIFE_CIRCLE_TYPES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["life-circle", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_every_type_and_the_summary(demo_workspace_dir: Path, capsys: Any) -> None:
    code, out, _ = run(capsys, str(demo_workspace_dir))
    assert code == 0
    assert "15分钟生活圈 / 城市体检" in out and "不计入百城评分" in out
    for facility in LIFE_CIRCLE_TYPES:
        assert facility.name_zh in out
    assert "5 min / 300 m" in out and "10 min / 500 m" in out and "15 min / 1000 m" in out
    assert "residents reaching at least k of the types" in out
    assert "unweighted" in out  # the demonstration area has no census age structure
    assert "no facility of this type" in out  # elderly care: none mapped in the extract


def test_json_out_and_threshold(demo_workspace_dir: Path, capsys: Any, tmp_path: Path) -> None:
    gaps = tmp_path / "gaps.gpkg"
    code, out, _ = run(
        capsys,
        str(demo_workspace_dir),
        "--json",
        "--threshold",
        "kindergarten=1000",
        "--out",
        str(gaps),
    )
    assert code == 0
    report = json.loads(out)
    rows = {i["id"]: i for i in report["indicators"]}
    assert rows["life_circle_kindergarten"]["parameters"]["threshold_m"] == 1000.0
    code, out, _ = run(capsys, str(demo_workspace_dir), "--json")
    default = {i["id"]: i for i in json.loads(out)["indicators"]}
    assert rows["life_circle_kindergarten"]["value"] > default["life_circle_kindergarten"]["value"]
    names = set(pyogrio.list_layers(gaps)[:, 0])
    assert {"gap_life_circle_kindergarten", "life_circle_types_reached"} <= names


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--threshold", "kindergarten"], "--threshold must be TYPE=METRES"),
        (["--threshold", "pool=300"], "unknown facility type pool"),
        (["--threshold", "market=abc"], "--threshold market must be a number"),
        (["--threshold", "market=0"], "market=0 m"),
        (["--walk-speed", "9"], "--walk-speed"),
        (["--out", "x.shp"], "--out must be a .gpkg file"),
    ],
)
def test_bad_arguments_exit_2(
    demo_workspace_dir: Path, capsys: Any, argv: list[str], words: str
) -> None:
    code, _, err = run(capsys, str(demo_workspace_dir), *argv)
    assert code == 2 and err.startswith("error: ") and words in err
