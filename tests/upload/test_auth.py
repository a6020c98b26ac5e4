"""Authorisation matrix over every route of the Flask URL map and the OpenAPI document;
sign-in, CSRF, tokens hashed at rest, the ``flask users`` commands; the public site shows no
write control."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEMO_ID, OTHER_ID, PASSWORD, tree_hash
from tests.upload.corpus import geojson_bytes, real_parks

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SIGN_IN_ROUTES = {"auth.login", "auth.logout"}  # sign-in itself; CSRF-checked, writes no data
PARAMS = {"county_id": DEMO_ID, "layer": "parks", "record_id": "x", "filename": "x"}


def _fill(rule: str) -> str:
    """A URL for a Flask (``<county_id>``) or OpenAPI (``{county_id}``) path template."""

    def value(match: re.Match[str]) -> str:
        return PARAMS.get(match.group(1).split(":")[-1], "x")

    return re.sub(r"\{([^}]+)\}", value, re.sub(r"<([^>]+)>", value, rule))


def _good_form() -> dict[str, Any]:
    return {
        "file": (io.BytesIO(geojson_bytes(real_parks().iloc[:3])), "parks.geojson"),
        "version": "0",
    }


def _call(client: Any, method: str, url: str, headers: dict[str, str]) -> Any:
    return client.open(url, method=method, data=_good_form(), headers=headers)


def _write_routes(app: Any) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE):
            if rule.endpoint not in SIGN_IN_ROUTES:
                routes.append((rule.endpoint, method, _fill(rule.rule)))
    return routes


def _openapi_writes(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    return [
        (method.upper(), _fill(path), op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method.upper() in UNSAFE
    ]


def test_every_write_route_refuses_the_wrong_people(shared_app: Any) -> None:
    app, accounts, ws = shared_app
    routes = _write_routes(app)
    assert {e for e, _, _ in routes} >= {
        "uploads.upload_layer",
        "uploads.rollback_layer",
        "uploads.upload_page",
    }
    client = app.test_client()
    before = tree_hash(ws)
    for endpoint, method, url in routes:
        refused: list[tuple[str, tuple[int, ...]]] = [
            ("", (401, 302)),
            ("public", (403,)),
            ("other_staff", (403,)),
        ]
        if endpoint != "projects.review":  # a province reviewer changes no county's data
            refused.append(("reviewer", (403,)))
        for who, allowed in refused:
            resp = _call(client, method, url, accounts.header(who))
            if resp.status_code == 302:  # a page sends the anonymous visitor to the sign-in page
                assert "/login" in resp.headers["Location"], (endpoint, who)
            assert resp.status_code in allowed, (
                endpoint,
                method,
                who,
                resp.status_code,
                resp.get_data()[:300],
            )
        assert tree_hash(ws) == before, endpoint


def test_openapi_writes_need_a_token_and_the_county(shared_app: Any) -> None:
    app, accounts, ws = shared_app
    writes = _openapi_writes(app)
    projects = f"/api/v1/counties/{DEMO_ID}/projects"
    scenarios = f"/api/v1/counties/{DEMO_ID}/scenarios"
    assert {(m, u) for m, u, _ in writes} == {
        ("POST", f"/api/v1/counties/{DEMO_ID}/layers/parks"),
        ("POST", f"/api/v1/counties/{DEMO_ID}/layers/parks/rollback"),
        ("POST", projects),
        ("POST", f"{projects}/import"),
        ("PUT", f"{projects}/x"),
        ("DELETE", f"{projects}/x"),
        ("POST", f"{projects}/x/submit"),
        ("POST", f"{projects}/x/review"),
        ("PUT", f"/api/v1/counties/{DEMO_ID}/county-data"),
        ("POST", f"/api/v1/counties/{DEMO_ID}/fitness-sites"),  # computes, stores nothing
        ("POST", scenarios),
        ("POST", f"{scenarios}/evaluate"),
        ("PUT", f"{scenarios}/x"),
        ("DELETE", f"{scenarios}/x"),
    }
    client = app.test_client()
    before = tree_hash(ws)
    for method, url, op in writes:
        assert op.get("security") == [{"BearerAuth": []}], url
        assert _call(client, method, url, {}).status_code == 401
        assert _call(client, method, url, accounts.header("public")).status_code == 403
        assert _call(client, method, url, accounts.header("other_staff")).status_code == 403
        if not url.endswith("/review"):
            assert _call(client, method, url, accounts.header("reviewer")).status_code == 403
        assert (
            _call(client, method, url, {"Authorization": "Bearer not-a-token"}).status_code == 401
        )
        assert (
            _call(client, method, url, {"Authorization": "Basic YWxpY2U6eA=="}).status_code == 401
        )
    assert tree_hash(ws) == before
    # the same routes work for the county's own staff and for an admin
    upload = next(u for m, u, _ in writes if u.endswith("layers/parks"))
    assert _call(client, "POST", upload, accounts.header("staff")).status_code == 201
    assert _call(client, "POST", upload + "/rollback", accounts.header("admin")).status_code == 201
    other = upload.replace(DEMO_ID, OTHER_ID)
    assert (
        _call(client, "POST", other, accounts.header("other_staff")).status_code == 404
    )  # no such workspace


def test_history_is_staff_only(shared_app: Any) -> None:
    app, accounts, _ws = shared_app
    client = app.test_client()
    url = f"/api/v1/counties/{DEMO_ID}/layers/parks/versions"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=accounts.header("public")).status_code == 403
    assert client.get(url, headers=accounts.header("other_staff")).status_code == 403
    assert client.get(url, headers=accounts.header("staff")).status_code == 200
    assert (
        client.get(f"/upload/{DEMO_ID}", headers=accounts.header("other_staff")).status_code == 403
    )
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["paths"]["/api/v1/counties/{county_id}/layers/{layer}/versions"]["get"]["security"]


def _sign_in(
    client: Any, name: str = "alice", password: str = PASSWORD, next_url: str = "/"
) -> Any:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": next_url}
    )


def test_session_writes_need_the_csrf_token(shared_app: Any) -> None:
    app, _accounts, ws = shared_app
    client = app.test_client()
    assert _sign_in(client).status_code == 302
    url = f"/api/v1/counties/{DEMO_ID}/layers/parks"
    before = tree_hash(ws)
    refused = client.post(url, data=_good_form())
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_failed"
    wrong = client.post(url, data=_good_form(), headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    assert tree_hash(ws) == before
    page = client.get(f"/upload/{DEMO_ID}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post(url, data=_good_form(), headers={"X-CSRF-Token": token}).status_code == 201
    logout = client.post("/logout", data={"csrf_token": token})
    assert logout.status_code == 302
    assert client.post(url, data=_good_form(), headers={"X-CSRF-Token": token}).status_code == 401


def test_sign_in_failures_and_redirects(shared_app: Any) -> None:
    app, _accounts, _ws = shared_app
    client = app.test_client()
    wrong = _sign_in(client, password="wrong password!")
    assert wrong.status_code == 401 and "错误" in wrong.get_data(as_text=True)
    assert _sign_in(client, name="nobody").status_code == 401
    assert (
        client.post("/login", data={"name": "alice", "password": PASSWORD}).status_code == 403
    )  # no CSRF
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        resp = _sign_in(app.test_client(), next_url=target)
        assert resp.status_code == 302 and resp.headers["Location"] in ("/", "http://localhost/")
    ok = _sign_in(app.test_client(), next_url=f"/upload/{DEMO_ID}")
    assert ok.headers["Location"].endswith(f"/upload/{DEMO_ID}")


def test_secrets_are_hashed_at_rest(shared_app: Any) -> None:
    app, accounts, _ws = shared_app
    db = Path(app.config["USERS_DB"])
    raw = db.read_bytes()
    assert PASSWORD.encode() not in raw
    for token in (accounts.staff, accounts.admin):
        assert token.encode() not in raw
    con = sqlite3.connect(db)
    hashes = [r[0] for r in con.execute("SELECT password_hash FROM users")]
    con.close()
    assert all(h.startswith(("scrypt:", "pbkdf2:")) for h in hashes) and len(set(hashes)) == len(
        hashes
    )


def test_users_commands(upload_app: Any) -> None:
    app, accounts, _ws = upload_app
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=[
            "users",
            "create",
            "carol",
            "--role",
            "staff",
            "--county",
            DEMO_ID,
            "--password-stdin",
        ],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least" in short.output
    no_county = runner.invoke(
        args=["users", "create", "dave", "--role", "staff", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert no_county.exit_code != 0 and "--county" in no_county.output
    dup = runner.invoke(
        args=["users", "create", "alice", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert dup.exit_code != 0 and "exists" in dup.output
    prompted = runner.invoke(
        args=["users", "create", "erin", "--role", "staff", "--county", DEMO_ID],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert prompted.exit_code == 0 and "erin (staff" in prompted.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "alice\tstaff\tdemo-chengdu-north\t1 token(s)" in listing and "erin" in listing
    assert runner.invoke(args=["users", "token", "nobody"]).exit_code != 0
    client = app.test_client()
    url = f"/api/v1/counties/{DEMO_ID}/layers/parks/versions"
    assert client.get(url, headers=accounts.header("staff")).status_code == 200
    assert runner.invoke(args=["users", "revoke-tokens", "alice"]).exit_code == 0
    assert client.get(url, headers=accounts.header("staff")).status_code == 401
    assert runner.invoke(args=["users", "delete", "erin"]).exit_code == 0
    assert "erin" not in runner.invoke(args=["users", "list"]).output


@pytest.mark.parametrize("path", ["/", f"/map/{DEMO_ID}", f"/public/{DEMO_ID}", "/province"])
def test_public_pages_show_no_write_control(shared_app: Any, path: str) -> None:
    app, _accounts, _ws = shared_app
    resp = app.test_client().get(path)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True).lower()
    assert 'type="file"' not in html and 'method="post"' not in html and "/upload/" not in html


def test_changes_since_a_version_is_staff_only(shared_app: Any) -> None:
    """Year over year from batch results is public; since a workspace version, staff only."""
    app, accounts, _ws = shared_app
    client = app.test_client()
    url = f"/api/v1/counties/{DEMO_ID}/indicators/changes"
    assert client.get(url).status_code == 404  # public: no batch result in this app
    since = f"{url}?since=parks:0"
    assert client.get(since).status_code == 401
    for who in ("public", "other_staff", "reviewer"):
        assert client.get(since, headers=accounts.header(who)).status_code == 403, who
    for who in ("staff", "admin"):  # allowed: a comparison, or nothing to compare when no
        # earlier test of the module has uploaded parks to this shared app yet
        resp = client.get(since, headers=accounts.header(who))
        assert resp.status_code in (200, 404), (who, resp.get_json())
        if resp.status_code == 404:
            assert resp.get_json()["code"] == "nothing_to_compare"
        else:
            assert resp.get_json()["comparison"]["indicators"], who
