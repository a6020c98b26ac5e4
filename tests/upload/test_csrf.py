"""CSRF with Flask-WTF's CSRFProtect (api/auth.py): what the library adds to the rules of
tests/upload/test_auth.py: a new token at sign-in, no expiry within the session, and on HTTPS
a Referer from this site."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from itsdangerous import TimestampSigner

from tests.upload.conftest import DEMO_ID, PASSWORD

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLLBACK = f"/api/v1/counties/{DEMO_ID}/layers/parks/rollback"
NO_VERSION = {"version": "999"}  # past the CSRF check the rollback refuses it: nothing changes


def _token(client: Any, url: str, **kwargs: Any) -> str:
    page = client.get(url, **kwargs).get_data(as_text=True)
    return TOKEN_RE.search(page).group(1)  # type: ignore[union-attr]


def _sign_in(client: Any, **kwargs: Any) -> str:
    """Sign alice in; the token of the sign-in page."""
    token = _token(client, "/login", **kwargs)
    data = {"name": "alice", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data, **kwargs).status_code == 302
    return token


def test_signing_in_makes_a_new_token(shared_app: Any) -> None:
    """The token of the sign-in page (an anonymous session) opens nothing after sign-in."""
    app, _accounts, _ws = shared_app
    client = app.test_client()
    before = _sign_in(client)
    refused = client.post(ROLLBACK, data=NO_VERSION, headers={"X-CSRF-Token": before})
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_failed"
    after = _token(client, f"/upload/{DEMO_ID}")
    checked = client.post(ROLLBACK, data=NO_VERSION, headers={"X-CSRF-Token": after})
    assert checked.status_code == 404, checked.get_json()  # past the CSRF check


def test_the_token_lasts_as_long_as_the_session(
    shared_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask-WTF's default one-hour limit is off: a page left open still submits."""
    app, _accounts, _ws = shared_app
    client = app.test_client()
    _sign_in(client)
    token = _token(client, f"/upload/{DEMO_ID}")
    later = int(time.time()) + 3 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    checked = client.post(ROLLBACK, data=NO_VERSION, headers={"X-CSRF-Token": token})
    assert checked.status_code == 404, checked.get_json()


def test_https_writes_need_a_referer_from_this_site(shared_app: Any) -> None:
    app, _accounts, _ws = shared_app
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    _sign_in(client, headers={"Referer": "https://localhost/login"}, **https)
    token = _token(client, f"/upload/{DEMO_ID}", **https)
    for referer in (None, "https://evil.example/"):
        headers = {"X-CSRF-Token": token} | ({"Referer": referer} if referer else {})
        refused = client.post(ROLLBACK, data=NO_VERSION, headers=headers, **https)
        assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_failed"
    headers = {"X-CSRF-Token": token, "Referer": f"https://localhost/upload/{DEMO_ID}"}
    checked = client.post(ROLLBACK, data=NO_VERSION, headers=headers, **https)
    assert checked.status_code == 404, checked.get_json()
