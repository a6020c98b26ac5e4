"""``python -m gis report --province``: the province report from the batch's result documents
(ranking, counts by grade, choropleths, the counties without results)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from docx import Document
from pypdf import PdfReader

from gis.cli import main
from layers.charts import value_text
from tests.helpers import COPY_CODES
from tests.report.test_report_cli import _docx_text, _tables


def test_province_report_ranks_maps_and_lists_the_missing(
    county_workspaces: Path, tmp_path: Path, capsys: Any
) -> None:
    from gis.batch import compute_county

    results = tmp_path / "results" / "2020"
    results.mkdir(parents=True)
    docs = {}
    for code in COPY_CODES:
        doc = compute_county(county_workspaces / code, 2020)
        (results / f"{code}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
        docs[code] = doc
    out = tmp_path / "province.docx"
    code = main(
        [
            "report",
            "--province",
            "--results",
            str(tmp_path / "results"),
            "--format",
            "docx",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "2 counties with results, 155 without" in capsys.readouterr().out
    tables = _tables(out)
    counts = next(t for t in tables if t[0] == ["等级", "n"])
    grade = docs[COPY_CODES[0]]["report"]["assessment"]["grade"]
    assert [grade, "2"] in counts  # two copies of the same workspace: the same grade
    ranking = next(t for t in tables if t[0][:2] == ["名次", "县（市、区）"])
    assert len(ranking) == 3 and ranking[1][0] == ranking[2][0] == "1"  # tied
    values = next(t for t in tables if t[0][0] == "县（市、区）" and len(t[0]) > 5)
    first = docs[COPY_CODES[0]]["report"]["indicators"]
    for item in first:
        assert value_text(item["value"]) in values[1]
    text = _docx_text(out)
    assert "无考核结果的县级单位" in text and "中原区 (410102)" in text
    assert f"({COPY_CODES[0]})" not in text.split("无考核结果的县级单位")[1]
    assert len(Document(str(out)).inline_shapes) >= 2  # the grade map and indicator maps
    pdf = tmp_path / "province.pdf"
    assert (
        main(["report", "--province", "--results", str(tmp_path / "results"), "--out", str(pdf)])
        == 0
    )
    pages = PdfReader(io.BytesIO(pdf.read_bytes())).pages
    assert len(pages) >= 3 and "全省考核汇总" in pages[0].extract_text()


def test_province_report_from_the_province_page(
    county_workspaces: Path, tmp_path: Path, make_app: Any
) -> None:
    """The /province page links the report; the API serves the CLI's document, PDF and DOCX."""
    from gis.batch import compute_county

    results = tmp_path / "results" / "2020"
    results.mkdir(parents=True)
    for code in COPY_CODES:
        doc = compute_county(county_workspaces / code, 2020)
        (results / f"{code}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    app = make_app(WORKSPACES_DIR=str(county_workspaces), RESULTS_DIR=str(tmp_path / "results"))
    client = app.test_client()
    page = client.get("/province").get_data(as_text=True)
    assert "/api/v1/province/report.pdf?year=2020" in page
    assert "/api/v1/province/report.docx?year=2020" in page
    resp = client.get("/api/v1/province/report.docx?year=2020")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "province-report-zh.docx" in resp.headers["Content-Disposition"]
    served = tmp_path / "served.docx"
    served.write_bytes(resp.data)
    cli = tmp_path / "cli.docx"
    argv = ["report", "--province", "--results", str(tmp_path / "results")]
    assert main([*argv, "--format", "docx", "--out", str(cli)]) == 0
    assert _tables(served) == _tables(cli)  # the same document as the command line's
    pdf = client.get("/api/v1/province/report.pdf?year=2020&lang=en")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "155" in text  # the units without results are counted in the English report too
    assert client.get("/api/v1/province/report.pdf?lang=fr").status_code in (400, 422)
