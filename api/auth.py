"""Sign-in, roles, CSRF and API tokens; the ``flask users`` command group.

Roles: ``public`` (read only; also every visitor who is not signed in), ``staff`` (may
upload to the counties listed on their account), ``reviewer`` (a province reviewer: passes or
returns the projects counties submit, in every county; changes no layer) and ``admin`` (every
county, accounts, and the reviewer's rights).  A users database made before the reviewer role
existed is migrated on first use (its ``users`` table is rebuilt with the new CHECK).

- Accounts live in a small SQLite file (``USERS_DB``, default ``instance/users.sqlite``);
  passwords are hashed with ``werkzeug.security`` (scrypt); API tokens are random 256-bit
  strings stored only as their SHA-256.
- Browsers sign in at ``/login`` and get Flask's signed session cookie (``Secure``,
  ``HttpOnly``, ``SameSite=Lax``; set ``GIS_AUTH_COOKIE_SECURE=false`` only for plain-http
  development on another host than localhost).  The cookie carries a random session id whose
  SHA-256 is kept in the ``sessions`` table and checked on every request: signing out deletes
  that session, and a new password (``flask users password``), ``revoke-tokens`` or ``delete``
  deletes every session of the account, so an old cookie opens nothing.
- The database file is created mode 0600 (it holds password hashes).
- CSRF: Flask-WTF's ``CSRFProtect`` (a random token kept in the session, sent signed in the
  pages, no time limit within the session; on HTTPS the Referer must be this site).  Every
  unsafe request (POST/PUT/PATCH/DELETE) made with the session cookie, and the sign-in form,
  must carry it in the form field ``csrf_token`` or the ``X-CSRF-Token`` header; a refusal is
  our 403 ``csrf_failed``.  Scripts send ``Authorization: Bearer <token>`` instead and use no
  cookie, so CSRF cannot apply to them: the check is called here, not on every request.
- ``flask --app app users create NAME --role staff --county demo-chengdu-north`` makes an
  account (asks for the password); ``flask --app app users token NAME`` prints a new token.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

import click
from apiflask import APIBlueprint
from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.security import check_password_hash, generate_password_hash

from gis.errors import GisError

ROLES = ("public", "staff", "reviewer", "admin")
MIN_PASSWORD_CHARS = 10
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

bp = APIBlueprint("auth", __name__, cli_group="users", tag="Auth")
_CSRF = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('public', 'staff', 'reviewer', 'admin')),
    counties TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    last_used TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sid_sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);
"""


class AuthError(GisError):
    """Not signed in, or a bad token (401)."""

    status = 401
    code = "unauthorized"


class ForbiddenError(GisError):
    """Signed in without the right role or county (403)."""

    status = 403
    code = "forbidden"


class CsrfError(GisError):
    """A cookie-authenticated write without the session's CSRF token (403)."""

    status = 403
    code = "csrf_failed"


@dataclass(frozen=True)
class User:
    """A signed-in account (or the anonymous public visitor)."""

    name: str
    role: str = "public"
    counties: tuple[str, ...] = ()
    id: int | None = None
    via: str = "anonymous"  # anonymous | session | token
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        """Whether this is an account (not the anonymous visitor)."""
        return self.id is not None

    def can_write(self, county_id: str) -> bool:
        """Admins write everywhere, staff their own counties, nobody else anywhere.

        >>> alice = User("a", "staff", ("x",), 1)
        >>> alice.can_write("x"), alice.can_write("y")
        (True, False)
        >>> User("b", "admin", (), 2).can_write("y"), User("c", "public", ("x",), 3).can_write("x")
        (True, False)
        """
        if self.id is None:
            return False
        if self.role == "admin":
            return True
        return self.role == "staff" and county_id in self.counties

    @property
    def can_review(self) -> bool:
        """Province reviewers and admins pass or return submitted projects of every county.

        >>> User("r", "reviewer", (), 1).can_review, User("s", "staff", ("x",), 2).can_review
        (True, False)
        """
        return self.id is not None and self.role in ("reviewer", "admin")

    def can_read_projects(self, county_id: str) -> bool:
        """Who sees a county's whole project library (drafts, contacts): its writers, reviewers."""
        return self.can_write(county_id) or self.can_review


ANONYMOUS = User("anonymous")


# --- the users database --------------------------------------------------------------------


def _db_path() -> Path:
    configured = current_app.config.get("USERS_DB")
    return Path(configured) if configured else Path(current_app.instance_path) / "users.sqlite"


def _make_private(path: Path) -> None:
    """Create ``path`` mode 0600 if absent; take group and other access away if present."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


@contextmanager
def _connect(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    path = path or _db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    _make_private(path)
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.executescript(_SCHEMA)
        _migrate_roles(con)
        yield con
        con.commit()
    finally:
        con.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _migrate_roles(con: sqlite3.Connection) -> None:
    """Rebuild a ``users`` table whose CHECK predates a role of :data:`ROLES` (keeps every row).

    SQLite cannot change a CHECK constraint in place: the table is copied into one made by
    :data:`_SCHEMA` inside one transaction with foreign keys off (SQLite's documented way), so
    tokens and sessions keep pointing at the same user ids.
    """
    row = con.execute(
        "SELECT sql FROM sqlite_master WHERE type='table' AND name='users'"
    ).fetchone()
    if row is None or all(f"'{role}'" in row[0] for role in ROLES):
        return
    con.commit()
    con.execute("PRAGMA foreign_keys = OFF")
    try:
        with con:
            create = _SCHEMA.split("CREATE TABLE IF NOT EXISTS users", 1)[1].split(";", 1)[0]
            con.execute("CREATE TABLE users_migrated" + create)
            con.execute(
                "INSERT INTO users_migrated (id, name, password_hash, role, counties, created) "
                "SELECT id, name, password_hash, role, counties, created FROM users"
            )
            con.execute("DROP TABLE users")
            con.execute("ALTER TABLE users_migrated RENAME TO users")
    finally:
        con.execute("PRAGMA foreign_keys = ON")


def _row_user(row: tuple[Any, ...], via: str) -> User:
    return User(name=row[1], role=row[2], counties=tuple(json.loads(row[3])), id=row[0], via=via)


def create_user(name: str, password: str, role: str, counties: list[str]) -> User:
    """Create an account; ``ValueError`` naming the problem when the input is not acceptable."""
    problems = []
    if (
        not name
        or len(name) > 64
        or not name.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        problems.append("the name must be 1-64 letters, digits, '-', '_' or '.'")
    if role not in ROLES:
        problems.append(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_CHARS:
        problems.append(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if role == "staff" and not counties:
        problems.append("a staff account needs at least one --county")
    if problems:
        raise ValueError("; ".join(problems))
    with _connect() as con:
        try:
            cur = con.execute(
                "INSERT INTO users (name, password_hash, role, counties, created) VALUES (?, ?, "
                "?, ?, ?)",
                (
                    name,
                    generate_password_hash(password),
                    role,
                    json.dumps(sorted(set(counties))),
                    _now(),
                ),
            )
        except sqlite3.IntegrityError as exc:
            msg = f"a user named {name!r} exists already"
            raise ValueError(msg) from exc
        return User(name, role, tuple(sorted(set(counties))), cur.lastrowid, "cli")


def find_user(name: str) -> User | None:
    """The account called ``name``."""
    with _connect() as con:
        row = con.execute(
            "SELECT id, name, role, counties FROM users WHERE name = ?", (name,)
        ).fetchone()
    return _row_user(row, "cli") if row else None


def check_password(name: str, password: str) -> User | None:
    """The account when ``password`` is right, else ``None`` (same work either way)."""
    with _connect() as con:
        row = con.execute(
            "SELECT id, name, role, counties, password_hash FROM users WHERE name = ?", (name,)
        ).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)  # keep the timing of an unknown name alike
        return None
    if not check_password_hash(row[4], password):
        return None
    return _row_user(row[:4], "session")


_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(8))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(name: str, label: str = "") -> str:
    """A new API token for ``name`` (shown once; only its SHA-256 is kept)."""
    user = find_user(name)
    if user is None:
        msg = f"no user named {name!r}"
        raise ValueError(msg)
    token = "gis_" + secrets.token_urlsafe(32)
    with _connect() as con:
        con.execute(
            "INSERT INTO tokens (user_id, token_sha256, label, created) VALUES (?, ?, ?, ?)",
            (user.id, _token_digest(token), label, _now()),
        )
    return token


def user_for_token(token: str) -> User | None:
    """The account owning ``token``."""
    digest = _token_digest(token)
    with _connect() as con:
        row = con.execute(
            "SELECT u.id, u.name, u.role, u.counties, t.id FROM tokens t JOIN users u ON u.id = "
            "t.user_id "
            "WHERE t.token_sha256 = ?",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        con.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (_now(), row[4]))
    return _row_user(row[:4], "token")


def start_session(user: User, lifetime: timedelta) -> str:
    """A new server-side session of ``user``: the random id for the cookie (only its hash kept).

    Expired sessions of every account are deleted on the way.
    """
    sid = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with _connect() as con:
        con.execute("DELETE FROM sessions WHERE expires < ?", (now.isoformat(timespec="seconds"),))
        con.execute(
            "INSERT INTO sessions (user_id, sid_sha256, created, expires) VALUES (?, ?, ?, ?)",
            (
                user.id,
                _token_digest(sid),
                now.isoformat(timespec="seconds"),
                (now + lifetime).isoformat(timespec="seconds"),
            ),
        )
    return sid


def user_for_session(sid: str) -> User | None:
    """The account of a live (not ended, not expired) session id."""
    with _connect() as con:
        row = con.execute(
            "SELECT u.id, u.name, u.role, u.counties FROM sessions s JOIN users u ON u.id = "
            "s.user_id WHERE s.sid_sha256 = ? AND s.expires >= ?",
            (_token_digest(sid), _now()),
        ).fetchone()
    return _row_user(row, "session") if row else None


def end_session(sid: str) -> None:
    """Delete one session (sign-out)."""
    with _connect() as con:
        con.execute("DELETE FROM sessions WHERE sid_sha256 = ?", (_token_digest(sid),))


def end_sessions(user_id: int | None) -> int:
    """Delete every session of an account; the number deleted."""
    with _connect() as con:
        return con.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount


def set_password(name: str, password: str) -> User:
    """Give ``name`` a new password and end all its sessions (``ValueError`` when refused)."""
    if len(password) < MIN_PASSWORD_CHARS:
        msg = f"the password must have at least {MIN_PASSWORD_CHARS} characters"
        raise ValueError(msg)
    user = find_user(name)
    if user is None:
        msg = f"no user named {name!r}"
        raise ValueError(msg)
    with _connect() as con:
        con.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            (generate_password_hash(password), user.id),
        )
        con.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
    return user


# --- per request ------------------------------------------------------------------------------


def current_user() -> User:
    """The account of this request: a Bearer token, else the session, else anonymous.

    A malformed or unknown Bearer token is refused (401) rather than treated as anonymous.
    """
    if "gis_user" in g:
        return cast(User, g.gis_user)
    user = ANONYMOUS
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            msg = (
                "Authorization header: expected 'Bearer <token>'; "
                "create a token with `flask users token NAME`"
            )
            raise AuthError(msg)
        found = user_for_token(token.strip())
        if found is None:
            msg = (
                "the API token is not valid (revoked or mistyped); "
                "create a new one with `flask users token NAME`"
            )
            raise AuthError(msg)
        user = found
    elif "sid" in session or "uid" in session:
        sid = session.get("sid")
        found = user_for_session(sid) if isinstance(sid, str) else None
        if found is not None:
            user = found
        else:  # signed out, revoked, expired, or a cookie of the older id-only scheme
            session.clear()
    g.gis_user = user
    return user


def csrf_token() -> str:
    """The CSRF token for a form of this page (Flask-WTF; the session's token, signed)."""
    return str(generate_csrf())


def check_csrf() -> None:
    """Refuse a cookie-authenticated unsafe request without the session's token."""
    try:
        _CSRF.protect()
    except CSRFError as exc:
        msg = (
            "the form's security token is missing or out of date; reload the page and submit again "
            "(scripts: use an API token in the Authorization header)"
        )
        raise CsrfError(msg) from exc


@bp.before_app_request
def _protect_writes() -> None:
    """CSRF for every unsafe request that relies on the session cookie."""
    if request.method not in UNSAFE_METHODS or request.headers.get("Authorization"):
        return
    if request.endpoint == "auth.login" or "sid" in session or "uid" in session:
        check_csrf()


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "current_user": current_user}


@bp.record_once
def _configure(state: Any) -> None:
    app = state.app
    app.config.setdefault("AUTH_COOKIE_SECURE", True)
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["AUTH_COOKIE_SECURE"])
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("AUTH_SESSION_HOURS", 8)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=float(app.config["AUTH_SESSION_HOURS"])
    )
    # CSRF: checked by _protect_writes (cookie-authenticated writes and sign-in), not on every
    # POST; the token lives as long as the session (signing out or in makes a new one)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    app.config["WTF_CSRF_FIELD_NAME"] = CSRF_FIELD
    app.config["WTF_CSRF_HEADERS"] = [CSRF_HEADER, "X-CSRFToken"]
    _CSRF.init_app(app)


def require_writer(county_arg: str = "county_id") -> Callable[[F], F]:
    """Decorator: the request's user must be allowed to write the county in ``county_arg``.

    Anonymous → 401 (a browser on a page is sent to /login), wrong role or county → 403.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            county = str(kwargs.get(county_arg, ""))
            ensure_can_write(current_user(), county)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def ensure_can_write(user: User, county: str) -> None:
    """Raise :class:`AuthError` / :class:`ForbiddenError` unless ``user`` may write ``county``."""
    if not user.is_authenticated:
        msg = "sign in as GIS staff (or send an API token) to change a county's layers"
        raise AuthError(msg)
    if not user.can_write(county):
        if user.role == "staff":
            msg = (
                f"{user.name} may upload to {', '.join(user.counties) or 'no county'} only, "
                f"not to {county!r}; ask an administrator"
            )
        else:
            msg = (
                f"{user.name} has the role {user.role!r}: changing a county's data needs the "
                "staff or admin role"
            )
        raise ForbiddenError(msg)


def ensure_can_review(user: User) -> None:
    """Raise :class:`AuthError` / :class:`ForbiddenError` unless ``user`` is a reviewer or admin."""
    if not user.is_authenticated:
        msg = "sign in as a province reviewer (or send an API token) to review projects"
        raise AuthError(msg)
    if not user.can_review:
        msg = f"{user.name} has the role {user.role!r}: reviewing projects needs reviewer or admin"
        raise ForbiddenError(msg)


def ensure_can_read_projects(user: User, county: str) -> None:
    """Raise unless ``user`` may see the county's whole library (its staff, reviewers, admins)."""
    if not user.is_authenticated:
        msg = "sign in as the county's staff or a reviewer to see its project library"
        raise AuthError(msg)
    if not user.can_read_projects(county):
        msg = f"{user.name} may not see the project library of {county!r}"
        raise ForbiddenError(msg)


# --- pages ------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    r"""Only same-site relative paths are followed after sign-in (no open redirect).

    Refused (the default page instead): anything with a scheme or host, a start other than one
    ``/``, a backslash (browsers read it as ``/``), control characters, CR/LF (header
    injection), tabs and spaces (browsers drop or trim them, so ``/\t/evil`` becomes ``//evil``),
    any non-ASCII character, and more than 2,000 characters; each both as sent and with its
    percent-escapes decoded (``/%0D%0A…``, ``/%2F%2Fevil``).

    >>> _safe_next("/upload/x?lang=en"), _safe_next("//evil.example/"), _safe_next("https://e/")
    ('/upload/x?lang=en', '/', '/')
    >>> _safe_next("/\\evil"), _safe_next("/\r\nSet-Cookie: x"), _safe_next("/\t/evil")
    ('/', '/', '/')
    """
    if not target or len(target) > 2000:
        return "/"
    for text in (target, unquote(target)):  # percent-escapes are checked decoded too
        if not text.startswith("/") or text.startswith("//") or "\\" in text:
            return "/"
        if any(not ("!" <= ch <= "~") for ch in text):
            return "/"  # only printable ASCII without space: no control, CR/LF, tab, unicode
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
@bp.doc(hide=True)
def login() -> Any:
    """Sign-in page (staff and admins)."""
    error = ""
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        user = check_password(name, password)
        if user is not None:
            session.clear()  # no session fixation
            session.permanent = True
            session["sid"] = start_session(user, current_app.permanent_session_lifetime)
            g.pop(CSRF_FIELD, None)  # Flask-WTF caches the token per request: a new one
            csrf_token()
            return redirect(next_url)
        error = "用户名或密码错误 / wrong name or password"
    status = 401 if error else 200
    return render_template(
        "login.html", error=error, next_url=next_url, lang=request.args.get("lang", "zh")
    ), status


@bp.route("/logout", methods=["POST"])
@bp.doc(hide=True)
def logout() -> Any:
    """End the session, here and on the server (POST with the CSRF token)."""
    sid = session.get("sid")
    if isinstance(sid, str):
        end_session(sid)
    session.clear()
    return redirect(url_for("auth.login"))


# --- the `flask users` commands ----------------------------------------------------------------


@bp.cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option(
    "--county", "counties", multiple=True, help="county id the account may upload to (repeat)"
)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_command(
    name: str, role: str, counties: tuple[str, ...], *, password_stdin: bool
) -> None:
    """Create an account NAME (asks for the password)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(name, password, role, list(counties))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    where = (
        ", ".join(user.counties)
        if user.role == "staff"
        else {"admin": "every county", "reviewer": "none (reviews every county's projects)"}.get(
            role, "none"
        )
    )
    click.echo(f"created {user.name} ({user.role}; uploads: {where})")


@bp.cli.command("token")
@click.argument("name")
@click.option("--label", default="", help="what the token is for")
def token_command(name: str, label: str) -> None:
    """Print a new API token for NAME (shown once; send it as 'Authorization: Bearer …')."""
    try:
        token = issue_token(name, label)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(token)


@bp.cli.command("list")
def list_command() -> None:
    """List the accounts."""
    with _connect() as con:
        rows = con.execute(
            "SELECT u.name, u.role, u.counties, COUNT(t.id) FROM users u LEFT JOIN tokens t ON "
            "t.user_id = u.id "
            "GROUP BY u.id ORDER BY u.name"
        ).fetchall()
    for name, role, counties, n_tokens in rows:
        click.echo(f"{name}\t{role}\t{','.join(json.loads(counties))}\t{n_tokens} token(s)")


@bp.cli.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def password_command(name: str, *, password_stdin: bool) -> None:
    """Give NAME a new password (asks for it); ends every sign-in session of NAME."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(name, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"new password set for {name}; its sessions are ended")


@bp.cli.command("delete")
@click.argument("name")
def delete_command(name: str) -> None:
    """Delete an account, its tokens and its sessions."""
    with _connect() as con:
        deleted = con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount
    if not deleted:
        raise click.ClickException(f"no user named {name!r}")
    click.echo(f"deleted {name}")


@bp.cli.command("revoke-tokens")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Revoke every API token and end every sign-in session of NAME."""
    user = find_user(name)
    if user is None:
        raise click.ClickException(f"no user named {name!r}")
    with _connect() as con:
        n = con.execute("DELETE FROM tokens WHERE user_id = ?", (user.id,)).rowcount
    sessions = end_sessions(user.id)
    click.echo(f"revoked {n} token(s) and {sessions} session(s) of {name}")
