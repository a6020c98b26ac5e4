"""Issue 10, point 9: failed sign-ins are throttled by account and by address, failed API tokens
by address, with a 429 in Chinese and English (small limits from the config keep this fast)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import DEMO_ID, PASSWORD, create_accounts
from tests.upload.test_auth import _sign_in

SMALL = {
    "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "5 per 15 minutes",
    "TOKEN_FAILURE_LIMIT": "4 per 15 minutes",
}


def _app(make_app: Any, ws: Path, tmp_path: Path, **config: Any) -> tuple[Any, Any]:
    app = make_app(
        WORKSPACES_DIR=str(ws.parent),
        USERS_DB=str(tmp_path / "users.sqlite"),
        UPLOAD_TMP_DIR=str(tmp_path / "upload-tmp"),
        **{**SMALL, **config},
    )
    return app, create_accounts(app)


def test_wrong_passwords_then_the_right_one_is_refused(
    make_app: Any, ws: Path, tmp_path: Path
) -> None:
    app, _accounts = _app(make_app, ws, tmp_path)
    client = app.test_client()
    for _ in range(3):
        assert _sign_in(client, password="wrong password!").status_code == 401
    refused = _sign_in(client)  # the right password, but the account's budget is spent
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "登录失败次数过多" in page and "too many failed sign-ins" in page
    assert int(refused.headers["Retry-After"]) > 0
    # another account from the same address still signs in (address budget: 5 failures)
    assert _sign_in(app.test_client(), name="root").status_code == 302


def test_failures_from_one_address_over_many_accounts(
    make_app: Any, ws: Path, tmp_path: Path
) -> None:
    app, _accounts = _app(make_app, ws, tmp_path)
    for i in range(5):
        assert _sign_in(app.test_client(), name=f"guess{i}", password="x" * 12).status_code == 401
    refused = _sign_in(app.test_client(), name="root")
    assert refused.status_code == 429 and "您的地址" in refused.get_data(as_text=True)
    other = app.test_client()  # another address is not affected
    page = other.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.7"}).get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    ok = other.post(
        "/login",
        data={"name": "root", "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert ok.status_code == 302


def test_a_success_does_not_count(make_app: Any, ws: Path, tmp_path: Path) -> None:
    app, _accounts = _app(make_app, ws, tmp_path)
    for _ in range(6):
        assert _sign_in(app.test_client()).status_code == 302


def test_bad_tokens_throttled_by_address(make_app: Any, ws: Path, tmp_path: Path) -> None:
    app, accounts = _app(make_app, ws, tmp_path)
    client = app.test_client()
    url = f"/api/v1/counties/{DEMO_ID}/layers/parks/versions"
    for i in range(4):
        bad = client.get(url, headers={"Authorization": f"Bearer guess-{i}"})
        assert bad.status_code == 401
    refused = client.get(url, headers=accounts.header("staff"))
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "too_many_requests"
    assert "invalid API token" in body["message"] and "无效 API 令牌" in body["message"]
    assert body["errors"][0]["message_zh"] and refused.headers["Retry-After"]
    assert client.get(f"/api/v1/counties/{DEMO_ID}").status_code == 200  # reading needs no token


def test_limits_can_be_switched_off(make_app: Any, ws: Path, tmp_path: Path) -> None:
    app, _accounts = _app(make_app, ws, tmp_path, RATELIMIT_ENABLED=False)
    client = app.test_client()
    for _ in range(5):
        assert _sign_in(client, password="wrong password!").status_code == 401
    assert _sign_in(client).status_code == 302
