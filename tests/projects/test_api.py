"""The project library through the API: create, edit, delete, submit, pass, return; the review
matrix (every role × every transition); versions and a project's history; what a visitor sees
(API, layer API, public page, province); refusals store nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import DEMO_ID, Accounts, tree_hash

URL = f"/api/v1/counties/{DEMO_ID}/projects"
ROLES = ("", "public", "other_staff", "staff", "reviewer", "admin")


def _inside(app: Any) -> tuple[float, float]:
    """A point inside the county (any county: taken from its stored boundary)."""
    boundary = app.extensions["gis_store"].backend.read_layer(DEMO_ID, "boundary")
    point = boundary.to_crs(4326).union_all().representative_point()
    return point.x, point.y


def _body(app: Any, **extra: Any) -> dict[str, Any]:
    lon, lat = _inside(app)
    body = {
        "name": "城北体育公园",
        "category": "sports",
        "investment_wan_yuan": "1,200万元",
        "planned_start": "2024/3/5",
        "planned_finish": "2025年6月30日",
        "progress_pct": "30%",
        "responsible_unit": "县住建局",
        "contact": "张三 13800000000",
        "lon": lon,
        "lat": lat,
    }
    body.update(extra)
    return body


def _create(client: Any, accounts: Accounts, app: Any, **extra: Any) -> str:
    resp = client.post(URL, json=_body(app, **extra), headers=accounts.header("staff"))
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["project"]["project_id"])


def _to(client: Any, accounts: Accounts, pid: str, status: str) -> None:
    """Bring project ``pid`` (a draft) to ``status`` by the ordinary route."""
    if status == "draft":
        return
    assert client.post(f"{URL}/{pid}/submit", headers=accounts.header("staff")).status_code == 200
    if status in ("passed", "returned"):
        decision = "pass" if status == "passed" else "return"
        resp = client.post(
            f"{URL}/{pid}/review",
            json={"decision": decision, "comment": "请补充投资来源"},
            headers=accounts.header("reviewer"),
        )
        assert resp.status_code == 200, resp.get_json()


def test_create_parses_every_field_and_stores_a_version(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    pid = _create(client, accounts, app)
    project = client.get(f"{URL}/{pid}", headers=accounts.header("staff")).get_json()["project"]
    assert project["category"] == "体育"
    assert project["investment_wan_yuan"] == 1200.0
    assert (project["planned_start"], project["planned_finish"]) == ("2024-03-05", "2025-06-30")
    assert project["progress_pct"] == 30.0 and project["status"] == "在建"
    assert project["review_status"] == "draft" and project["updated_by"] == "alice"
    versions = app.extensions["gis_store"].backend.history(DEMO_ID, "projects")
    assert [v.user for v in versions] == ["alice"]
    assert versions[-1].report["project_change"]["message_zh"].startswith("新建项目 XM-0001")


def test_every_problem_at_once_and_nothing_stored(lib_app: Any) -> None:
    app, accounts, ws = lib_app
    client = app.test_client()
    before = tree_hash(ws)
    bad = _body(
        app,
        name="",
        category="机场",
        investment_wan_yuan="很多",
        progress_pct="150%",
        planned_start="2025-01-01",
        planned_finish="2024-01-01",
        parking_spaces="12.5",
    )
    resp = client.post(URL, json=bad, headers=accounts.header("staff"))
    assert resp.status_code == 400
    codes = {e["code"] for e in resp.get_json()["errors"]}
    assert codes >= {
        "missing_value",
        "bad_project_category",
        "bad_number",
        "bad_pct",
        "bad_int",
        "bad_dates",
    }
    assert all(e["message_zh"] and e["message"] for e in resp.get_json()["errors"])
    far = client.post(URL, json=_body(app, lon=87.6, lat=43.8), headers=accounts.header("staff"))
    assert far.status_code == 400
    assert {e["code"] for e in far.get_json()["errors"]} == {"outside_county"}
    nowhere = client.post(
        URL, json=_body(app, lon=None, lat=None), headers=accounts.header("staff")
    )
    assert {e["code"] for e in nowhere.get_json()["errors"]} == {"bad_location"}
    unknown = client.post(
        URL, json=_body(app, review_status="passed"), headers=accounts.header("staff")
    )
    assert unknown.status_code == 400 and "review_status" in unknown.get_json()["message"]
    assert tree_hash(ws) == before


def test_geometry_as_geojson_wkt_and_gcj02(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    lon, lat = _inside(app)
    line = {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.002, lat]]}
    pid = _create(client, accounts, app, geometry=line, lon=None, lat=None, category="道路")
    ring = f"POLYGON (({lon} {lat}, {lon + 0.001} {lat}, {lon + 0.001} {lat + 0.001}, {lon} {lat}))"
    pid2 = _create(client, accounts, app, wkt=ring, lon=None, lat=None, category="公园")
    gcj = _create(client, accounts, app, coord_system="gcj02")
    rows = {
        p["project_id"]: p
        for p in client.get(URL, headers=accounts.header("staff")).get_json()["projects"]
    }
    assert rows[pid]["geometry"]["type"] == "LineString"
    assert rows[pid2]["geometry"]["type"] == "Polygon" and rows[pid2]["category"] == "公园绿地"
    x, y = rows[gcj]["geometry"]["coordinates"]
    # GCJ-02 is 300-600 m off WGS84 in China: the stored point moved back by about that much
    assert 0.001 < abs(x - lon) + abs(y - lat) < 0.01


def test_edit_delete_and_history(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    pid = _create(client, accounts, app)
    _to(client, accounts, pid, "passed")
    resp = client.put(f"{URL}/{pid}", json={"progress_pct": 45}, headers=accounts.header("staff"))
    assert resp.status_code == 200
    assert (
        resp.get_json()["message_zh"] == f"编辑项目 {pid}：进度（%） 30→45（审查状态 已通过→草稿）"
    )
    assert resp.get_json()["project"]["review_status"] == "draft"
    history = client.get(f"{URL}/{pid}/history", headers=accounts.header("staff")).get_json()
    assert [h["action"] for h in history["history"]] == ["create", "submit", "pass", "edit"]
    assert [h["user"] for h in history["history"]] == ["alice", "alice", "rita", "alice"]
    other = _create(client, accounts, app, name="另一个项目")
    assert client.delete(f"{URL}/{other}", headers=accounts.header("staff")).status_code == 200
    assert client.get(f"{URL}/{other}", headers=accounts.header("staff")).status_code == 404
    history = client.get(f"{URL}/{pid}/history", headers=accounts.header("staff")).get_json()
    assert len(history["history"]) == 4  # other projects' changes are not in this one's history
    moved = client.put(
        f"{URL}/{pid}", json={"project_id": "XM-9999"}, headers=accounts.header("staff")
    )
    assert moved.status_code == 400


# --- the review matrix: every role × every transition, over the API -----------------------------

ALLOWED = {
    "submit": {"staff", "admin"},
    "pass": {"reviewer", "admin"},
    "return": {"reviewer", "admin"},
}
FROM = {"submit": "draft", "pass": "submitted", "return": "submitted"}


@pytest.mark.parametrize("action", list(ALLOWED))
def test_review_matrix(lib_app: Any, action: str) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    for who in ROLES:
        pid = _create(client, accounts, app, name=f"{action}-{who or 'anon'}")
        _to(client, accounts, pid, FROM[action])
        if action == "submit":
            resp = client.post(f"{URL}/{pid}/submit", headers=accounts.header(who))
        else:
            resp = client.post(
                f"{URL}/{pid}/review",
                json={"decision": action, "comment": "意见"},
                headers=accounts.header(who),
            )
        expected = 200 if who in ALLOWED[action] else (401 if not who else 403)
        assert resp.status_code == expected, (action, who, resp.get_json())
        status = client.get(f"{URL}/{pid}", headers=accounts.header("admin")).get_json()
        after = {"submit": "submitted", "pass": "passed", "return": "returned"}[action]
        assert status["project"]["review_status"] == (after if expected == 200 else FROM[action])


@pytest.mark.parametrize("who", ROLES)
def test_write_matrix(lib_app: Any, who: str) -> None:
    """Create, edit, delete and import: the county's staff and admins only."""
    app, accounts, ws = lib_app
    client = app.test_client()
    pid = _create(client, accounts, app)
    allowed = who in ("staff", "admin")
    expected_refusal = 401 if not who else 403
    before = tree_hash(ws)
    calls = [
        client.post(URL, json=_body(app), headers=accounts.header(who)),
        client.put(f"{URL}/{pid}", json={"progress_pct": 50}, headers=accounts.header(who)),
        client.delete(f"{URL}/{pid}", headers=accounts.header(who)),
    ]
    for resp in calls:
        assert resp.status_code in ((200, 201) if allowed else (expected_refusal,)), (who, resp)
    if not allowed:
        assert tree_hash(ws) == before


def test_return_needs_a_comment_and_wrong_status_is_409(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    pid = _create(client, accounts, app)
    review = f"{URL}/{pid}/review"
    assert (
        client.post(
            review, json={"decision": "pass"}, headers=accounts.header("reviewer")
        ).status_code
        == 409
    )
    _to(client, accounts, pid, "submitted")
    no_comment = client.post(
        review, json={"decision": "return"}, headers=accounts.header("reviewer")
    )
    assert no_comment.status_code == 400 and "审查意见" in no_comment.get_json()["message"]
    odd = client.post(review, json={"decision": "maybe"}, headers=accounts.header("reviewer"))
    assert odd.status_code == 400
    back = client.post(
        review,
        json={"decision": "return", "comment": "位置不对"},
        headers=accounts.header("reviewer"),
    )
    assert back.status_code == 200
    shown = client.get(f"{URL}/{pid}", headers=accounts.header("staff")).get_json()["project"]
    assert (shown["review_status"], shown["review_comment"]) == ("returned", "位置不对")
    assert client.post(f"{URL}/{pid}/submit", headers=accounts.header("staff")).status_code == 200
    queue = client.get("/api/v1/review/queue", headers=accounts.header("reviewer")).get_json()
    assert [p["project_id"] for p in queue["projects"]] == [pid]
    assert client.get("/api/v1/review/queue", headers=accounts.header("staff")).status_code == 403
    assert client.get("/api/v1/review/queue").status_code == 401


# --- what a visitor sees ------------------------------------------------------------------------


def test_visitors_see_passed_projects_without_contacts(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    made = {}
    for status in ("draft", "submitted", "passed", "returned"):
        pid = _create(client, accounts, app, name=f"项目-{status}", contact=f"联系人-{status}")
        _to(client, accounts, pid, status)
        made[status] = pid
    for who in ("", "public", "other_staff"):
        listed = client.get(URL, headers=accounts.header(who)).get_json()
        assert listed["scope"] == "public"
        assert [p["project_id"] for p in listed["projects"]] == [made["passed"]]
        assert (
            "contact" not in listed["projects"][0] and "review_comment" not in listed["projects"][0]
        )
        assert client.get(f"{URL}/{made['draft']}", headers=accounts.header(who)).status_code == 404
        assert client.get(
            f"{URL}/{made['passed']}/history", headers=accounts.header(who)
        ).status_code in (401, 403)
        features = client.get(
            f"/api/v1/counties/{DEMO_ID}/layers/projects", headers=accounts.header(who)
        )
        assert features.status_code == 200
        props = [f["properties"] for f in features.get_json()["features"]]
        assert [p["project_id"] for p in props] == [made["passed"]]
        assert all("contact" not in p for p in props)
    for who in ("staff", "reviewer", "admin"):
        listed = client.get(URL, headers=accounts.header(who)).get_json()
        assert listed["scope"] == "full" and len(listed["projects"]) == 4
    page = client.get(f"/public/{DEMO_ID}").get_data(as_text=True)
    assert "项目-passed" in page
    for hidden in ("项目-draft", "项目-submitted", "项目-returned", "联系人-passed"):
        assert hidden not in page
    province = client.get("/api/v1/province/projects").get_json()
    demo = next(c for c in province["counties"] if c["county_id"] == DEMO_ID)
    assert demo["count"] == 1 and demo["investment_wan_yuan"] == 1200.0
    html = client.get("/province").get_data(as_text=True)
    assert 'id="project-counties"' in html and "联系人" not in html.split('id="projects"')[1][:4000]


def test_an_upload_of_the_projects_kind_merges_as_drafts(lib_app: Any) -> None:
    """The layer upload of kind projects keeps the library's review state (merged by id)."""
    import io

    from tests.upload.corpus import geojson_bytes

    app, accounts, _ws = lib_app
    client = app.test_client()
    pid = _create(client, accounts, app)
    _to(client, accounts, pid, "passed")
    import geopandas as gpd
    from shapely.geometry import Point

    lon, lat = _inside(app)
    upload = gpd.GeoDataFrame(
        {"项目名称": ["新建道路"], "类别": ["道路"], "总投资": ["300"], "进度": ["0"]},
        geometry=[Point(lon, lat)],
        crs=4326,
    )
    resp = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/projects",
        data={"file": (io.BytesIO(geojson_bytes(upload)), "项目.geojson")},
        headers=accounts.header("staff"),
    )
    assert resp.status_code == 201, resp.get_json()
    rows = {
        p["project_id"]: p
        for p in client.get(URL, headers=accounts.header("staff")).get_json()["projects"]
    }
    assert rows[pid]["review_status"] == "passed"
    assert {p["review_status"] for k, p in rows.items() if k != pid} == {"draft"}
    rollback = client.post(
        f"/api/v1/counties/{DEMO_ID}/layers/projects/rollback",
        json={"version": 1},
        headers=accounts.header("staff"),
    )
    assert rollback.status_code == 400 and "项目库" in rollback.get_json()["message"]


def test_pages_need_the_right_role(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    page = f"/projects/{DEMO_ID}"
    assert client.get(page).status_code == 302
    assert client.get(page, headers=accounts.header("public")).status_code == 403
    assert client.get(page, headers=accounts.header("other_staff")).status_code == 403
    for who in ("staff", "reviewer", "admin"):
        assert client.get(page, headers=accounts.header(who)).status_code == 200
    staff_page = client.get(page, headers=accounts.header("staff")).get_data(as_text=True)
    assert 'id="project-form"' in staff_page and 'id="import-form"' in staff_page
    reviewer_page = client.get(page, headers=accounts.header("reviewer")).get_data(as_text=True)
    assert 'id="project-form"' not in reviewer_page  # reviewers read and review, not edit
    assert client.get("/review").status_code == 302
    assert client.get("/review", headers=accounts.header("staff")).status_code == 403
    assert client.get("/review", headers=accounts.header("reviewer")).status_code == 200


def test_a_change_made_on_a_stale_library_is_refused(lib_app: Any) -> None:
    """Another worker commits between this change's read and its commit: 409, nothing stored."""
    from api.auth import User
    from api.projects import LibraryChangedError, apply_change
    from gis.projects import update_project
    from gis.store import NewVersion

    app, accounts, _ws = lib_app
    client = app.test_client()
    pid = _create(client, accounts, app)
    backend = app.extensions["gis_store"].backend
    alice = User("alice", "staff", (DEMO_ID,), 1, "token")

    def make(library: Any) -> Any:
        other = update_project(library, pid, {"name": "另一进程的修改"}, user="bob", now="t")
        backend.commit_version(
            DEMO_ID,
            NewVersion(
                layer="projects",
                user="bob",
                original_name="",
                sha256="",
                feature_count=1,
                report=other.report(),
                gdf=other.frame,
                action="edit",
            ),
        )
        return update_project(library, pid, {"progress_pct": 99.0}, user="alice", now="t")

    with app.test_request_context(), pytest.raises(LibraryChangedError) as info:
        apply_change(DEMO_ID, alice, make)
    assert info.value.status == 409
    assert [r.user for r in backend.history(DEMO_ID, "projects")] == ["alice", "bob"]
    stored = client.get(f"{URL}/{pid}", headers=accounts.header("staff")).get_json()["project"]
    assert (stored["name"], stored["progress_pct"]) == ("另一进程的修改", 30.0)


def test_markup_in_a_project_is_shown_as_text(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    evil = '<img src=x onerror="window.__xss=1">'
    pid = _create(client, accounts, app, name=evil, responsible_unit="</script><b>单位</b>")
    _to(client, accounts, pid, "submitted")
    queue = client.get("/review", headers=accounts.header("reviewer")).get_data(as_text=True)
    assert evil not in queue and "&lt;img src=x" in queue
    _to_pass = client.post(
        f"{URL}/{pid}/review", json={"decision": "pass"}, headers=accounts.header("reviewer")
    )
    assert _to_pass.status_code == 200
    public = client.get(f"/public/{DEMO_ID}").get_data(as_text=True)
    assert evil not in public and "</script><b>" not in public
    page = client.get(f"/projects/{DEMO_ID}", headers=accounts.header("staff")).get_data(
        as_text=True
    )
    assert evil not in page  # the list is filled by static/js/projects.js with textContent
