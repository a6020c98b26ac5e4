"""``python -m gis report``: county reports (with the previous year's changes) and the province
report, bad input as ``error: ...`` and exit code 2."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader

from gis.cli import main
from layers.charts import value_text


def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _tables(path: Path) -> list[list[list[str]]]:
    doc = Document(str(path))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


@pytest.fixture(scope="module")
def saved_2018(demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's indicator JSON with 2018 parameters and a 5-minute walk (a 'previous year')."""
    path = tmp_path_factory.mktemp("prev") / "previous.json"
    from gis.io import read_workspace
    from gis.report import county_report
    from gis.settings import DEFAULT_SETTINGS

    settings = DEFAULT_SETTINGS.with_overrides(year=2018, walk_minutes=5.0)
    report, _results = county_report(read_workspace(demo_workspace_dir), settings)
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return path


def test_county_docx_with_previous_year(
    demo_workspace_dir: Path, saved_2018: Path, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "r.docx"
    code = main(
        [
            "report",
            str(demo_workspace_dir),
            "--format",
            "docx",
            "--previous",
            str(saved_2018),
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "report written to" in capsys.readouterr().out
    previous = json.loads(saved_2018.read_text(encoding="utf-8"))
    main(["indicators", str(demo_workspace_dir), "--json"])
    current = json.loads(capsys.readouterr().out)
    text = _docx_text(out)
    for item in current["indicators"]:
        assert item["name_zh"] in text
        if item["value"] is not None:
            assert f"数值: {value_text(item['value'])} {item['unit']}" in text
    changes = next(t for t in _tables(out) if t[0] == ["指标", "上一年度", "本年度", "变化"])
    fitness_now = next(i for i in current["indicators"] if i["id"] == "fitness_15min_coverage")
    fitness_then = next(i for i in previous["indicators"] if i["id"] == "fitness_15min_coverage")
    row = next(r for r in changes if r[0] == fitness_now["name_zh"])
    change = fitness_now["value"] - fitness_then["value"]
    assert row[1:] == [
        value_text(fitness_then["value"]),
        value_text(fitness_now["value"]),
        f"{change:+.4g} 百分点（改善）",  # percentage points, improved towards the target
    ]
    assert change > 0  # a 15-minute walk covers more residents than a 5-minute one


def test_county_pdf_in_english(demo_workspace_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    assert main(["report", str(demo_workspace_dir), "--lang", "en", "--out", str(out)]) == 0
    pages = PdfReader(io.BytesIO(out.read_bytes())).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "yearly assessment report" in text and "Road-network density" in text
    assert "No previous year's results given" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2019"], "--year must be one of 2018, 2020"),
        (["--format", "odt"], "--format must be pdf or docx"),
        (["--lang", "fr"], "--lang must be zh or en"),
        (["--out", "x.pdf", "--format", "docx"], "--out must end in .docx"),
        (["--previous", "/nonexistent/prev.json"], "does not exist"),
    ],
)
def test_bad_options_exit_2(
    demo_workspace_dir: Path, args: list[str], message: str, capsys: Any
) -> None:
    assert main(["report", str(demo_workspace_dir), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_previous_that_is_not_a_report_exits_2(
    demo_workspace_dir: Path, tmp_path: Path, capsys: Any
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    assert main(["report", str(demo_workspace_dir), "--previous", str(bad)]) == 2
    assert "not a saved indicator report" in capsys.readouterr().err


def test_missing_workspace_argument_exits_2(capsys: Any) -> None:
    assert main(["report"]) == 2
    assert "give a workspace folder, or --province" in capsys.readouterr().err
