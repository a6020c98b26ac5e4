"""The project library on the PostGIS store: every change a version with who and what, the
per-project history, earlier versions readable, publication of passed projects only, and a
library emptied by deleting its last project."""

from __future__ import annotations

from tests.helpers import Writable, create_token


def test_project_versions_on_postgis(writable: Writable) -> None:
    w = writable
    client = w.app.test_client()
    reviewer = {"Authorization": f"Bearer {create_token(w.app, 'rita', 'reviewer', [])}"}
    point = (
        w.store.read_layer(w.county_id, "boundary").to_crs(4326).union_all().representative_point()
    )
    url = w.url("/projects")
    body = {
        "name": "停车场",
        "category": "parking",
        "investment_wan_yuan": "500",
        "progress_pct": "0",
        "parking_spaces": "120",
        "contact": "王工",
        "lon": point.x,
        "lat": point.y,
    }
    created = client.post(url, json=body, headers=w.staff)
    assert created.status_code == 201, created.get_json()
    pid = created.get_json()["project"]["project_id"]
    assert (
        client.put(f"{url}/{pid}", json={"progress_pct": "60"}, headers=w.staff).status_code == 200
    )
    assert client.post(f"{url}/{pid}/submit", headers=w.staff).status_code == 200
    assert (
        client.post(f"{url}/{pid}/review", json={"decision": "pass"}, headers=reviewer).status_code
        == 200
    )
    records = w.store.history(w.county_id, "projects")
    assert [r.user for r in records] == ["alice", "alice", "alice", "rita"]
    assert [r.report["project_change"]["action"] for r in records] == [
        "create",
        "edit",
        "submit",
        "pass",
    ]
    first = w.store.read_version(w.county_id, "projects", records[0].version)
    assert first.iloc[0]["progress_pct"] == 0 and first.iloc[0]["review_status"] == "draft"
    history = client.get(f"{url}/{pid}/history", headers=w.staff).get_json()["history"]
    assert history[1]["message_zh"] == f"编辑项目 {pid}：进度（%） 0→60"
    public = client.get(url).get_json()
    assert [p["project_id"] for p in public["projects"]] == [pid]
    assert public["projects"][0]["parking_spaces"] == 120 and "contact" not in public["projects"][0]
    assert public["summary"]["parking_spaces"] == 120
    assert client.delete(f"{url}/{pid}", headers=w.staff).status_code == 200
    assert client.get(url, headers=w.staff).get_json()["projects"] == []
    assert len(w.store.history(w.county_id, "projects")) == 5


def test_stale_change_is_refused_on_postgis(writable: Writable) -> None:
    """A commit between this change's read and its commit (another worker): 409, rolled back."""
    import pytest

    from api.auth import User
    from api.projects import LibraryChangedError, apply_change
    from gis.projects import update_project
    from gis.store import NewVersion

    w = writable
    client = w.app.test_client()
    point = (
        w.store.read_layer(w.county_id, "boundary").to_crs(4326).union_all().representative_point()
    )
    body = {
        "name": "道路",
        "category": "道路",
        "investment_wan_yuan": "5",
        "progress_pct": "0",
        "lon": point.x,
        "lat": point.y,
    }
    pid = client.post(w.url("/projects"), json=body, headers=w.staff).get_json()["project"][
        "project_id"
    ]

    def make(library: object) -> object:
        other = update_project(library, pid, {"name": "先到的修改"}, user="bob", now="t")  # type: ignore[arg-type]
        w.store.commit_version(
            w.county_id,
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
        return update_project(library, pid, {"progress_pct": 50.0}, user="alice", now="t")  # type: ignore[arg-type]

    with w.app.test_request_context(), pytest.raises(LibraryChangedError):
        apply_change(w.county_id, User("alice", "staff", (w.county_id,), 1, "token"), make)  # type: ignore[arg-type]
    assert [r.user for r in w.store.history(w.county_id, "projects")] == ["alice", "bob"]
    stored = client.get(w.url(f"/projects/{pid}"), headers=w.staff).get_json()["project"]
    assert (stored["name"], stored["progress_pct"]) == ("先到的修改", 0.0)
