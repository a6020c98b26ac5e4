"""The reviewer role: ``users create --role reviewer``, and a users database made before the
role existed (its CHECK lists public, staff, admin) migrated in place, keeping every account,
token and session."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.helpers import DEMO_ID, PASSWORD

OLD_SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('public', 'staff', 'admin')),
    counties TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL
);
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    last_used TEXT
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sid_sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);
"""


def test_old_database_is_migrated_and_keeps_accounts(
    make_app: Any, lib_ws: Path, tmp_path: Path
) -> None:
    db = tmp_path / "old-users.sqlite"
    con = sqlite3.connect(db)
    con.executescript(OLD_SCHEMA)
    con.commit()
    con.close()
    app = make_app(WORKSPACES_DIR=str(lib_ws.parent), USERS_DB=str(db), UPLOAD_RECOMPUTE=False)
    runner = app.test_cli_runner()
    # an account made under the old schema (the old CHECK), with a token
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA foreign_keys = ON")
        try:
            raw.execute(
                "INSERT INTO users (name, password_hash, role, counties, created) VALUES "
                "('rev', 'x', 'reviewer', '[]', 'then')"
            )
            raise AssertionError("the old CHECK should refuse the reviewer role")
        except sqlite3.IntegrityError:
            pass
    made = runner.invoke(
        args=[
            "users",
            "create",
            "old-staff",
            "--role",
            "staff",
            "--county",
            DEMO_ID,
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    token = runner.invoke(args=["users", "token", "old-staff"]).output.strip()
    created = runner.invoke(
        args=["users", "create", "rita", "--role", "reviewer", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    assert "rita (reviewer" in created.output
    schema = (
        sqlite3.connect(db)
        .execute("SELECT sql FROM sqlite_master WHERE name='users'")
        .fetchone()[0]
    )
    assert "'reviewer'" in schema
    listing = runner.invoke(args=["users", "list"]).output
    assert "old-staff\tstaff\tdemo-chengdu-north\t1 token(s)" in listing
    assert "rita\treviewer" in listing
    client = app.test_client()
    url = f"/api/v1/counties/{DEMO_ID}/layers/parks/versions"
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    fk = sqlite3.connect(db).execute("PRAGMA foreign_key_check").fetchall()
    assert fk == []


def test_reviewer_reviews_but_writes_no_layer(lib_app: Any) -> None:
    app, accounts, _ws = lib_app
    client = app.test_client()
    reviewer = accounts.header("reviewer")
    assert (
        client.get(
            f"/api/v1/counties/{DEMO_ID}/layers/parks/versions", headers=reviewer
        ).status_code
        == 403
    )
    assert client.get(f"/upload/{DEMO_ID}", headers=reviewer).status_code == 403
    assert client.get("/api/v1/review/queue", headers=reviewer).status_code == 200
    assert (
        client.get(f"/api/v1/counties/{DEMO_ID}/projects", headers=reviewer).get_json()["scope"]
        == "full"
    )
