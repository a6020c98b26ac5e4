"""Sessions end on the server (logout, password change, revocation), sign-in redirects stay on
the site, rollback bodies are validated by the schema, and the users database is private."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEMO_ID, PASSWORD

VERSIONS = f"/api/v1/counties/{DEMO_ID}/layers/parks/versions"
ROLLBACK = f"/api/v1/counties/{DEMO_ID}/layers/parks/rollback"
UPLOAD_PAGE = f"/upload/{DEMO_ID}"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def _sign_in(client: Any, next_url: str | None = None, name: str = "alice") -> Any:
    token = _csrf(client.get("/login").get_data(as_text=True))
    data = {"name": name, "password": PASSWORD, "csrf_token": token}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def _cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return str(cookie.value)


def _replay(app: Any, cookie: str) -> Any:
    """A fresh client (another browser, or an attacker) presenting ``cookie``."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _assert_signed_out(app: Any, cookie: str) -> None:
    client = _replay(app, cookie)
    page = client.get(UPLOAD_PAGE)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert client.get(VERSIONS).status_code == 401


def test_logout_ends_the_session_on_the_server(upload_app: Any) -> None:
    app, _accounts, _ws = upload_app
    client = app.test_client()
    assert _sign_in(client).status_code == 302
    cookie = _cookie(client)
    assert _replay(app, cookie).get(VERSIONS).status_code == 200  # the cookie works elsewhere
    token = _csrf(client.get(UPLOAD_PAGE).get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    _assert_signed_out(app, cookie)
    assert client.get(VERSIONS).status_code == 401


def test_logout_ends_only_that_session(upload_app: Any) -> None:
    app, _accounts, _ws = upload_app
    laptop, phone = app.test_client(), app.test_client()
    _sign_in(laptop), _sign_in(phone)
    token = _csrf(laptop.get(UPLOAD_PAGE).get_data(as_text=True))
    laptop.post("/logout", data={"csrf_token": token})
    assert phone.get(VERSIONS).status_code == 200


@pytest.mark.parametrize(
    "command",
    [
        ["users", "revoke-tokens", "alice"],
        ["users", "delete", "alice"],
        ["users", "password", "alice", "--password-stdin"],
    ],
)
def test_revoking_or_a_new_password_ends_every_session(upload_app: Any, command: list[str]) -> None:
    app, accounts, _ws = upload_app
    clients = [app.test_client() for _ in range(2)]
    cookies = []
    for client in clients:
        assert _sign_in(client).status_code == 302
        cookies.append(_cookie(client))
    bob = app.test_client()
    _sign_in(bob, name="bob")
    result = app.test_cli_runner().invoke(args=command, input="another good password\n")
    assert result.exit_code == 0, result.output
    for cookie in cookies:
        _assert_signed_out(app, cookie)
    bobs = bob.get(f"/api/v1/counties/{DEMO_ID}/layers/parks/versions")
    assert bobs.status_code == 403  # bob still signed in (staff of another county), not 401


def test_new_password_works_and_the_old_one_not(upload_app: Any) -> None:
    app, _accounts, _ws = upload_app
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "password", "alice", "--password-stdin"], input="x\n")
    assert short.exit_code != 0 and "at least" in short.output
    nobody = runner.invoke(
        args=["users", "password", "nobody", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert nobody.exit_code != 0
    new = "a brand new passphrase"
    done = runner.invoke(args=["users", "password", "alice", "--password-stdin"], input=new + "\n")
    assert done.exit_code == 0, done.output
    assert _sign_in(app.test_client()).status_code == 401
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    signed = client.post("/login", data={"name": "alice", "password": new, "csrf_token": token})
    assert signed.status_code == 302


def test_a_cookie_of_the_old_scheme_is_not_accepted(upload_app: Any) -> None:
    """A signed cookie carrying only a user id (no server-side session) signs nobody in."""
    app, _accounts, _ws = upload_app
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = 1
        session["pwh"] = "0" * 16
    assert client.get(VERSIONS).status_code == 401


HOSTILE_NEXT = [
    "/%0D%0ASet-Cookie:x=1",
    "/\r\nSet-Cookie: x=1",
    "/\nLocation: https://evil.example/",
    "/\r",
    "//evil.example",
    "//evil.example/x",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example%0A",
    "/\t/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\x00x",
    "/\x7fx",
    "https://evil.example/",
    "http:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "mailto:x@evil.example",
    "／／evil.example",
    "/\u2028evil",
    "/\u3000/evil.example",
    "/\u00a0/evil.example",
    "/\ufeff/evil.example",
    "/é",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=range(len(HOSTILE_NEXT)))
def test_hostile_next_goes_to_the_default_page(shared_app: Any, target: str) -> None:
    app, _accounts, _ws = shared_app
    resp = _sign_in(app.test_client(), next_url=target)
    assert resp.status_code == 302, resp.get_data()[:300]
    assert resp.headers["Location"] in ("/", "http://localhost/")
    assert "x=1" not in resp.headers.get("Set-Cookie", "")
    page = app.test_client().get("/login", query_string={"next": target})
    assert page.status_code == 200
    assert 'name="next" value="/"' in page.get_data(as_text=True)


def test_raw_crlf_in_the_query_string(shared_app: Any) -> None:
    app, _accounts, _ws = shared_app
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login?next=/%0D%0ASet-Cookie:x=1",
        data={"name": "alice", "password": PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 302 and resp.headers["Location"] in ("/", "http://localhost/")
    assert client.get("/login?next=/%0D%0ASet-Cookie:x=1").status_code == 200


@pytest.mark.parametrize(
    "target", [f"/upload/{DEMO_ID}", f"/upload/{DEMO_ID}?layer=parks&lang=en", "/map/x#top"]
)
def test_good_next_is_followed(shared_app: Any, target: str) -> None:
    app, _accounts, _ws = shared_app
    resp = _sign_in(app.test_client(), next_url=target)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(target)


BAD_BODIES: list[Any] = [
    [1],
    "x",
    "1e400",  # raw JSON text: a float too large for a double
    {"version": 1e400},
    {"version": True},
    {"version": False},
    {"version": 1.9},
    {"version": 1.0},
    {"version": "1"},
    {"version": None},
    {"version": -1},
    {"version": 10**30},
    {"version": [1]},
    {"version": {"n": 1}},
    {},
    None,
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=[repr(b)[:30] for b in BAD_BODIES])
def test_rollback_body_is_validated(shared_app: Any, body: Any) -> None:
    app, accounts, ws = shared_app
    before = (ws / "metadata.json").read_bytes()
    client = app.test_client()
    headers = {**accounts.header("staff"), "Content-Type": "application/json"}
    if body == "1e400":
        resp = client.post(ROLLBACK, data='{"version": 1e400}', headers=headers)
    elif body is None:
        resp = client.post(ROLLBACK, data="", headers=headers)
    else:
        resp = client.post(ROLLBACK, json=body, headers=accounts.header("staff"))
    payload = resp.get_json()
    assert resp.status_code == 400, (resp.status_code, payload)
    assert set(payload) == {"code", "message", "errors"}
    assert payload["message"] and isinstance(payload["errors"], list)
    assert (ws / "metadata.json").read_bytes() == before


def test_rollback_body_errors_name_the_field(shared_app: Any) -> None:
    app, accounts, _ws = shared_app
    resp = app.test_client().post(
        ROLLBACK, json={"version": True}, headers=accounts.header("staff")
    )
    body = resp.get_json()
    assert resp.status_code == 400 and body["code"] == "invalid_parameter"
    assert [e["source"] for e in body["errors"]] == ["version"]


def test_users_database_is_private(make_app: Any, tmp_path: Path) -> None:
    db = tmp_path / "instance" / "users.sqlite"
    app = make_app(WORKSPACES_DIR=str(tmp_path / "ws"), USERS_DB=str(db))
    result = app.test_cli_runner().invoke(
        args=["users", "create", "carol", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    # a database made by an older version with the umask's mode is tightened on first use
    db.chmod(0o644)
    app.test_cli_runner().invoke(args=["users", "list"])
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_upload_page_script_is_allowed_by_the_policy(upload_app: Any) -> None:
    """The staff page's inline script runs under the CSP (its hash is listed)."""
    from api.security import inline_script_hashes

    app, accounts, _ws = upload_app
    resp = app.test_client().get(UPLOAD_PAGE, headers=accounts.header("staff"))
    assert resp.status_code == 200
    hashes = inline_script_hashes(resp.get_data())
    assert hashes
    policy = resp.headers["Content-Security-Policy"]
    assert all(h in policy for h in hashes) and "'unsafe-inline'" not in policy.split("style")[0]
