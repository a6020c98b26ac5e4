"""The project register import: every sheet of the bad-sheet corpus (tests/data/bad_sheets,
made by tests/projects/make_bad_sheets.py from the real extract) is refused with every problem
named by row and column and nothing stored; good registers (.xlsx, GBK .csv, WKT, GCJ-02) merge
by project id; the blank template imports what it describes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.helpers import DEMO_ID, tree_hash
from tests.projects.make_bad_sheets import HEADER, _rows, csv_bytes, good_register, xlsx

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_sheets"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
URL = f"/api/v1/counties/{DEMO_ID}/projects"


def _import(client: Any, headers: dict[str, str], name: str, data: bytes, **form: str) -> Any:
    return client.post(
        URL + "/import", data={"file": (io.BytesIO(data), name), **form}, headers=headers
    )


def test_the_corpus_is_what_the_script_writes(tmp_path: Path) -> None:
    from tests.projects.make_bad_sheets import write

    write(tmp_path)
    for name in [*CASES, "cases.json"]:
        made, kept = (tmp_path / name).read_bytes(), (CORPUS / name).read_bytes()
        if made != kept and made[:2] == kept[:2] == b"PK":  # openpyxl: XML differs with lxml
            assert _cells(made) == _cells(kept), name
        else:
            assert made == kept, name


def _cells(data: bytes) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every sheet's title and cell values."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [(s.title, [tuple(r) for r in s.iter_rows(values_only=True)]) for s in book]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_sheet_is_refused_with_every_problem(shared_lib_app: Any, name: str) -> None:
    app, accounts, ws = shared_lib_app
    meta = CASES[name]
    before = tree_hash(ws)
    resp = _import(
        app.test_client(),
        accounts.header("staff"),
        name,
        (CORPUS / name).read_bytes(),
        **meta["form"],
    )
    assert resp.status_code == meta["status"], resp.get_json()
    body = resp.get_json()
    codes = {e["code"] for e in body["errors"]}
    assert codes >= set(meta["codes"]), (name, codes)
    text = json.dumps(body, ensure_ascii=False)
    for expected in meta["texts"]:
        assert expected in text, (name, expected)
    for error in body["errors"]:
        assert error["message"] and error["message_zh"] and error["message"] != error["message_zh"]
    assert tree_hash(ws) == before, name


def test_good_register_merges_by_id(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    staff = accounts.header("staff")
    first = _import(client, staff, "台账.xlsx", good_register(4))
    assert first.status_code == 201, first.get_json()
    assert "新增 4 个，修改 0 个" in first.get_json()["message_zh"]
    listed = {p["project_id"]: p for p in client.get(URL, headers=staff).get_json()["projects"]}
    assert sorted(listed) == [f"XM-2024-00{i}" for i in range(1, 5)]
    assert {p["review_status"] for p in listed.values()} == {"draft"}
    assert listed["XM-2024-002"]["investment_wan_yuan"] == 200.0
    assert listed["XM-2024-001"]["planned_finish"] == "2025-06-30"
    # pass one, then import again: unchanged rows keep their review, a changed row is a draft
    for pid in ("XM-2024-001", "XM-2024-002"):
        client.post(f"{URL}/{pid}/submit", headers=staff)
        client.post(
            f"{URL}/{pid}/review", json={"decision": "pass"}, headers=accounts.header("reviewer")
        )
    rows = _rows(4)
    rows[1][7] = 90  # XM-2024-002 progress 40 → 90
    rows.append(["", "新增项目", "环卫", 50, "", "", "", 0, "", "", rows[0][10], rows[0][11]])
    again = _import(client, staff, "台账-第二版.csv", csv_bytes(rows, encoding="gbk"))
    assert again.status_code == 201, again.get_json()
    assert "新增 1 个，修改 1 个" in again.get_json()["message_zh"]
    listed = {p["project_id"]: p for p in client.get(URL, headers=staff).get_json()["projects"]}
    assert listed["XM-2024-001"]["review_status"] == "passed"
    assert (listed["XM-2024-002"]["review_status"], listed["XM-2024-002"]["progress_pct"]) == (
        "draft",
        90.0,
    )
    assert listed["XM-0001"]["category"] == "环卫/公厕"
    history = client.get(f"{URL}/XM-2024-002/history", headers=staff).get_json()["history"]
    assert [h["action"] for h in history] == ["import", "submit", "pass", "import"]


XLS = Path(__file__).resolve().parents[1] / "data" / "sheets" / "register_excel97.xls"


def _listed(client: Any, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {p["project_id"]: p for p in client.get(URL, headers=headers).get_json()["projects"]}


def test_an_excel_97_register_imports_like_the_xlsx(lib_app: Any) -> None:
    """A real .xls (tests/projects/make_xls_register.py: a 说明 sheet first, dates as date
    cells, every number a float in the file) gives the projects the .xlsx of the same rows
    gives: the 项目台账 sheet, dates as dates, whole numbers as numbers."""
    app, accounts, _ws = lib_app
    client = app.test_client()
    staff = accounts.header("staff")
    resp = _import(client, staff, "县项目台账（2003格式）.xls", XLS.read_bytes())
    assert resp.status_code == 201, resp.get_json()
    assert "新增 4 个" in resp.get_json()["message_zh"]
    listed = _listed(client, staff)
    rows = _rows(4)
    assert sorted(listed) == [r[0] for r in rows]
    for r in rows:
        p = listed[r[0]]
        assert (p["name"], p["category"]) == (r[1], r[2])
        assert p["investment_wan_yuan"] == r[3]
        assert (p["planned_start"], p["planned_finish"]) == (r[4], r[5])
        assert (p["status"], p["progress_pct"]) == (r[6], r[7])
        x, y = p["geometry"]["coordinates"]
        assert abs(x - r[10]) < 1e-6 and abs(y - r[11]) < 1e-6
    # the same rows as .xlsx change nothing: the two formats read alike
    again = _import(client, staff, "台账.xlsx", good_register(4))
    assert again.status_code == 201, again.get_json()
    assert "新增 0 个，修改 0 个" in again.get_json()["message_zh"]


def test_a_workbook_is_read_as_what_it_is_whatever_its_name(lib_app: Any) -> None:
    """An .xlsx saved as 'register.xls' (some systems export so) is read as .xlsx."""
    app, accounts, _ws = lib_app
    client = app.test_client()
    resp = _import(client, accounts.header("staff"), "register.xls", good_register(2))
    assert resp.status_code == 201, resp.get_json()
    assert sorted(_listed(client, accounts.header("staff"))) == ["XM-2024-001", "XM-2024-002"]


def test_wkt_and_declared_gcj02(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    rows = _rows(2)
    lon, lat = rows[0][10], rows[0][11]
    wkt = f"LINESTRING ({lon} {lat}, {lon + 0.003} {lat + 0.001})"
    sheet = xlsx(
        [[*r[:10], None, None, w] for r, w in zip(rows, [wkt, ""], strict=True)], [*HEADER, "WKT"]
    )
    refused = _import(client, accounts.header("staff"), "wkt.xlsx", sheet)
    assert refused.status_code == 400  # row 3 has neither lon/lat nor WKT
    assert "row 3" in json.dumps(refused.get_json(), ensure_ascii=False)
    sheet = xlsx([[*r, w] for r, w in zip(rows, [wkt, ""], strict=True)], [*HEADER, "WKT"])
    ok = _import(client, accounts.header("staff"), "wkt.xlsx", sheet, coord_system="gcj02")
    assert ok.status_code == 201, ok.get_json()
    listed = {
        p["project_id"]: p
        for p in client.get(URL, headers=accounts.header("staff")).get_json()["projects"]
    }
    assert listed["XM-2024-001"]["geometry"]["type"] == "LineString"  # WKT wins over lon/lat
    x, y = listed["XM-2024-002"]["geometry"]["coordinates"]
    assert 0.001 < abs(x - rows[1][10]) + abs(y - rows[1][11]) < 0.01  # GCJ-02 → WGS84


def test_template_is_the_register_the_import_reads(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    resp = client.get("/api/v1/projects/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.data))
    sheet = book["项目台账"]
    header = [c.value for c in sheet[1]]
    assert (
        header[:3] == ["项目编号", "项目名称", "项目类别"] and "经度" in header and "WKT" in header
    )
    assert "说明" in book.sheetnames
    values = {
        "项目名称": "模板项目",
        "项目类别": "停车",
        "计划总投资（万元）": 80,
        "进度（%）": 10,
        "停车泊位（个）": 120,
        "经度": _rows(1)[0][10],
        "纬度": _rows(1)[0][11],
    }
    sheet.append([values.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    imported = _import(client, accounts.header("staff"), "模板.xlsx", out.getvalue())
    assert imported.status_code == 201, imported.get_json()
    project = client.get(f"{URL}/XM-0001", headers=accounts.header("staff")).get_json()["project"]
    assert (project["category"], project["parking_spaces"]) == ("停车", 120)


def test_import_needs_a_file_and_the_role(shared_lib_app: Any) -> None:
    app, accounts, ws = shared_lib_app
    client = app.test_client()
    before = tree_hash(ws)
    assert (
        client.post(URL + "/import", data={}, headers=accounts.header("staff")).status_code == 400
    )
    for who, status in (("", 401), ("public", 403), ("other_staff", 403), ("reviewer", 403)):
        resp = _import(client, accounts.header(who), "台账.xlsx", good_register(2))
        assert resp.status_code == status, who
    assert tree_hash(ws) == before


def test_a_register_over_the_row_limit_is_counted_not_kept(shared_lib_app: Any) -> None:
    """6,000 rows: refused with the sheet's real count (the reader keeps only the limit's worth
    and counts the rest, so a sheet unfolding into millions of rows stays in bounded memory)."""
    from gis.upload.sheets import MAX_SHEET_ROWS, _bounded

    app, accounts, ws = shared_lib_app
    before = tree_hash(ws)
    row = _rows(1)[0]
    sheet = xlsx([[f"XM-{i:05d}", *row[1:]] for i in range(6000)])
    resp = _import(app.test_client(), accounts.header("staff"), "大台账.xlsx", sheet)
    assert resp.status_code == 400
    text = json.dumps(resp.get_json(), ensure_ascii=False)
    assert "6,000 rows" in text and f"{MAX_SHEET_ROWS:,}" in text
    assert tree_hash(ws) == before
    kept = _bounded(([i] for i in range(1, 100_001)), 10)
    assert len(kept) == 12 and kept.filled == 100_000


def test_a_register_file_over_its_byte_limit_is_refused_before_it_is_read(
    make_app: Any, demo_workspace_dir: Path
) -> None:
    from tests.helpers import create_accounts

    app = make_app(WORKSPACES_DIR=str(demo_workspace_dir.parent), REGISTER_MAX_FILE_BYTES=4096)
    accounts = create_accounts(app)
    resp = _import(app.test_client(), accounts.header("staff"), "台账.xlsx", good_register(40))
    assert resp.status_code == 413, resp.get_json()
    assert "4,096 bytes" in json.dumps(resp.get_json(), ensure_ascii=False)
