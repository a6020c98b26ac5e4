"""The web application and the ``baicheng`` console script.

``create_app(test_config=None)``, ``python app.py --host --port`` and :func:`cli`.

Configuration, in order: the defaults below, then environment variables prefixed ``GIS_``
(``GIS_WORKSPACES_DIR=/srv/workspaces``, ``GIS_BASEMAP=tianditu``, ``GIS_TIANDITU_KEY=...``;
values are parsed as JSON where they can be), then ``test_config``.  ``DATABASE_URL`` (env
``GIS_DATABASE_URL``, else plain ``DATABASE_URL``; read by :func:`gis.config.database_url`)
serves the counties from PostgreSQL + PostGIS instead of the workspace folders.  The
configuration is checked at start-up and a bad value stops the app with a message naming the
key and the fix.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from apiflask import APIFlask

from api import load_blueprints
from api.cache import CACHE_MAX_BYTES, COUNTY_ID_RE, CountyCache
from api.compress import register_compression
from api.errors import ERROR_SCHEMA, register_error_handlers
from api.ratelimit import DEFAULTS as RATE_LIMIT_DEFAULTS
from api.ratelimit import init_rate_limits
from api.security import register_security_headers
from gis.config import database_url as env_database_url
from gis.housekeeping import clean_abandoned_folders
from gis.resources import resource_dir
from gis.store import StoreBusyError, database_url_problem, recover

BASEMAPS = ("osm", "tianditu", "none")
VENDOR = "/static/vendor/swagger-ui-dist-5.32.0"


class ConfigError(RuntimeError):
    """The app's configuration is invalid; the message says which key and how to fix it."""


def default_config(instance_path: str) -> dict[str, Any]:
    """The defaults (see docs/api.md, "Configuration")."""
    return {
        "WORKSPACES_DIR": os.path.join(instance_path, "workspaces"),
        "DATABASE_URL": env_database_url(),  # GIS_DATABASE_URL, else DATABASE_URL
        "DEFAULT_COUNTY": "demo-chengdu-north",
        "BASEMAP": "osm",
        "TIANDITU_KEY": "",
        "MAX_CONTENT_LENGTH": 200 * 1024 * 1024,
        "SECRET_KEY": "",
        "JSON_AS_ASCII": False,
        "GZIP": True,
        # how the map pages get their layers: "view" (fetched for the cells on screen) or
        # "embed" (in the page, the former pages; kept to measure against, docs/benchmarks.md)
        "MAP_LAYERS": "view",
        # upload scratch folders untouched this long and not locked by a live upload are removed
        # at start and before each upload (a SIGKILLed or timed-out worker cannot remove its own)
        "UPLOAD_TMP_MAX_AGE_S": 3600,
        "STARTUP_RECOVER": True,  # repair each county folder after a crash (gis.store.recover)
        # approximate bytes per LRU of the county cache (api/cache.py, CACHE_MAX_BYTES)
        "CACHE_MAX_BYTES": dict(CACHE_MAX_BYTES),
        **RATE_LIMIT_DEFAULTS,  # failed sign-ins, bad tokens, recomputation (api/ratelimit.py)
        # OpenAPI document and docs UI (APIFlask), served from vendored files only
        "VALIDATION_ERROR_STATUS_CODE": 400,
        "VALIDATION_ERROR_DESCRIPTION": "Bad parameter: the errors name it and say why",
        "VALIDATION_ERROR_SCHEMA": ERROR_SCHEMA,
        "HTTP_ERROR_SCHEMA": ERROR_SCHEMA,
        "INFO": {
            "description": "Planning indicators of the 百城建设提质工程 (Henan's hundred-cities "
            "quality improvement project) from county geodata: counties, indicators against "
            "their targets, map layers with styles, 阳光规划 public planning records and "
            "exports. See docs/api.md.",
            "license": {"name": "MIT"},
        },
        "SWAGGER_UI_CSS": f"{VENDOR}/swagger-ui.css",
        "SWAGGER_UI_BUNDLE_JS": f"{VENDOR}/swagger-ui-bundle.js",
        "SWAGGER_UI_STANDALONE_PRESET_JS": f"{VENDOR}/swagger-ui-standalone-preset.js",
        "DOCS_FAVICON": f"{VENDOR}/favicon-32x32.png",
        "SWAGGER_UI_CONFIG": {"validatorUrl": None},  # no call to validator.swagger.io
        "AUTO_SERVERS": False,
    }


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` listing every bad configuration value."""
    problems = []
    basemap = config.get("BASEMAP")
    if basemap not in BASEMAPS:
        problems.append(
            f"BASEMAP={basemap!r}: expected one of {', '.join(BASEMAPS)} (set GIS_BASEMAP)"
        )
    if basemap == "tianditu" and not config.get("TIANDITU_KEY"):
        problems.append(
            "BASEMAP='tianditu' needs TIANDITU_KEY (a 天地图 key; set GIS_TIANDITU_KEY)"
            " or use BASEMAP='osm'"
        )
    if config.get("MAP_LAYERS", "view") not in ("view", "embed"):
        problems.append(
            f"MAP_LAYERS={config.get('MAP_LAYERS')!r}: expected 'view' or 'embed' "
            "(set GIS_MAP_LAYERS)"
        )
    default = str(config.get("DEFAULT_COUNTY", ""))
    if not COUNTY_ID_RE.match(default):
        problems.append(
            f"DEFAULT_COUNTY={default!r}: a county id is a folder name of letters, "
            "digits, '_', '-' and '.'"
        )
    root = Path(str(config.get("WORKSPACES_DIR", "")))
    if root.exists() and not root.is_dir():
        problems.append(
            f"WORKSPACES_DIR={str(root)!r} is a file; point it at a folder holding "
            "one workspace folder per county"
        )
    database_url = config.get("DATABASE_URL") or ""
    if not isinstance(database_url, str) or (database_url and database_url_problem(database_url)):
        problems.append(
            f"DATABASE_URL={database_url!r}: expected postgresql://user[:password]@host[:port]/db"
            " (set GIS_DATABASE_URL), or leave it empty to use the workspace folders"
        )
    max_len = config.get("MAX_CONTENT_LENGTH")
    if not isinstance(max_len, int) or isinstance(max_len, bool) or max_len <= 0:
        problems.append(f"MAX_CONTENT_LENGTH={max_len!r}: expected a positive number of bytes")
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))


def instance_secret_key(instance_path: Path) -> str:
    """The key kept in ``instance/secret_key``, made on first use (mode 0600).

    Every worker and restart then signs sessions with the same key; set ``GIS_SECRET_KEY`` to
    manage it yourself.  Created with ``O_EXCL`` so two workers starting at once agree.
    """
    key_file = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            key = key_file.read_text(encoding="ascii").strip()
            if len(key) >= 32:
                return key
            time.sleep(0.02)
        msg = f"{key_file} is too short to be a secret key; delete it to make a new one"
        raise ConfigError(msg) from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key


def upload_tmp_dir(app: APIFlask) -> Path:
    """Where uploads are unpacked (``UPLOAD_TMP_DIR``, default ``instance/uploads``)."""
    return Path(app.config.get("UPLOAD_TMP_DIR") or Path(app.instance_path) / "uploads")


def startup_housekeeping(app: APIFlask) -> None:
    """Remove abandoned upload folders and repair each county folder left by a killed writer.

    A version committed just before a crash (``workspace.gpkg`` replaced, ``metadata.json`` not
    yet rewritten) becomes visible here rather than at the next write.  A workspace whose lock
    is held by a live writer is skipped: that writer repairs it.
    """
    removed = clean_abandoned_folders(
        upload_tmp_dir(app), max_age_s=float(app.config["UPLOAD_TMP_MAX_AGE_S"])
    )
    if removed:
        app.logger.warning("removed %d abandoned upload folder(s)", len(removed))
    store = app.extensions["gis_store"]
    if not app.config["STARTUP_RECOVER"] or store.backend.kind != "gpkg":
        return  # PostGIS commits are transactions: nothing to repair
    for county_id in store.county_ids():
        try:
            recover(store.location(county_id), timeout_s=0.5)
        except StoreBusyError:
            app.logger.info("%s: a writer holds the lock; it repairs the workspace", county_id)
        except (OSError, ValueError) as exc:
            app.logger.error("%s: recovery failed: %s", county_id, exc)


def create_app(
    test_config: Mapping[str, Any] | None = None, *, instance_path: str | None = None
) -> APIFlask:
    """Build the app: configuration, the county store, blueprints and error handlers.

    ``instance_path`` holds the workspaces, accounts and secret key; by default Flask's
    ``instance/`` beside app.py (``<venv>/var/app-instance`` when installed from a wheel).
    ``baicheng serve`` and ``baicheng users`` pass ``./instance`` of the current folder.
    """
    app = APIFlask(
        __name__,
        instance_path=instance_path,
        title="百城提质 planning indicators API",
        version="1.0.0",
        spec_path="/api/v1/openapi.json",
        docs_path="/api/v1/docs",
        docs_ui="swagger-ui",
        instance_relative_config=True,
        static_folder=str(resource_dir("static")),
        template_folder=str(resource_dir("templates")),
    )
    app.config.from_mapping(default_config(app.instance_path))
    app.config.from_prefixed_env("GIS")
    if test_config is not None:
        app.config.from_mapping(test_config)
    check_config(app.config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["gis_store"] = CountyCache(
        app.config["WORKSPACES_DIR"],
        database_url=app.config["DATABASE_URL"],
        max_bytes=app.config.get("CACHE_MAX_BYTES"),
    )
    for blueprint in load_blueprints():
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    init_rate_limits(app)
    register_compression(app)
    register_security_headers(app)  # after compression: its hook runs first, on the plain body
    startup_housekeeping(app)
    return app


def add_serve_arguments(
    parser: argparse.ArgumentParser, instance: str | None = None
) -> argparse.ArgumentParser:
    """The options of ``python app.py`` and ``baicheng serve`` (``instance="instance"``)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on [127.0.0.1]")
    parser.add_argument("--port", type=int, default=5000, help="port [5000]")
    parser.add_argument(
        "--debug", action="store_true", help="Flask debug mode: reloader, debugger (never public)"
    )
    parser.add_argument(
        "--instance",
        metavar="DIR",
        default=instance,
        help="folder of the workspaces, accounts and secret key "
        f"[{instance or 'instance/ beside app.py'}]",
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    """Serve with the development server (use gunicorn or waitress in production)."""
    instance = str(Path(args.instance).resolve()) if args.instance else None
    app = create_app(instance_path=instance)
    app.run(host=args.host, port=args.port, debug=args.debug, threaded=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python app.py``: the same as ``baicheng serve``."""
    parser = argparse.ArgumentParser(description="Serve the planning indicators web app")
    return serve(add_serve_arguments(parser).parse_args(argv))


def users(argv: Sequence[str]) -> int:
    """``baicheng users ...``: ``flask --app app users ...`` on ``./instance``."""
    from flask.cli import FlaskGroup

    instance = str(Path("instance").resolve())
    group = FlaskGroup(
        create_app=lambda: create_app(instance_path=instance),
        add_default_commands=False,
        load_dotenv=False,
    )
    try:
        group.main(["users", *argv], prog_name="baicheng")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return 0


def _register_serve(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the web app (development server; see README)")
    add_serve_arguments(p, instance="instance").set_defaults(func=serve)


def _register_users(sub: Any) -> None:
    p = sub.add_parser(
        "users",
        help="accounts and API tokens: create, token, list, delete, revoke-tokens",
        add_help=False,
    )
    p.add_argument("args", nargs=argparse.REMAINDER, help="see `baicheng users --help`")
    p.set_defaults(func=lambda args: users(args.args))


def cli(argv: Sequence[str] | None = None) -> int:
    """The ``baicheng`` console script: the sub-commands of ``python -m gis``, serve, users.

    ``serve`` is ``python app.py``; ``users`` is ``flask --app app users`` and goes straight
    to those click commands, so their options and ``--help`` are theirs.
    """
    from gis.cli import main as gis_main

    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[1:] if argv[:1] == ["--debug"] else argv
    if command[:1] == ["users"]:
        return users(command[1:])
    return gis_main(argv, prog="baicheng", extra=(_register_serve, _register_users))


if __name__ == "__main__":
    raise SystemExit(main())
