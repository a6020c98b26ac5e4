"""``python -m gis db import`` (``baicheng db import``): folder workspaces into PostGIS.

Examples::

    baicheng db import --database-url postgresql://gis@127.0.0.1:5432/gis
    DATABASE_URL=postgresql://gis@db/gis baicheng db import --counties gongyi,dengfeng

Needs the ``postgis`` extra (``pip install 'baicheng-gis[postgis]'``: psycopg).  Each county
becomes version 0 of the PostGIS store (docs/province.md); ``python -m gis.store_postgis
import`` is the same command under its old name.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from gis.config import database_url

DEFAULT_WORKSPACES = Path("instance") / "workspaces"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``db`` sub-command and its ``import``."""
    db = sub.add_parser("db", help="the PostGIS store: import folder workspaces")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser(
        "import",
        help="import folder workspaces as version 0",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument(
        "--database-url",
        default=database_url(),
        help="postgresql://… [env GIS_DATABASE_URL or DATABASE_URL]",
    )
    p.add_argument(
        "--workspaces",
        type=Path,
        default=DEFAULT_WORKSPACES,
        help=f"folder of county workspaces [{DEFAULT_WORKSPACES}]",
    )
    p.add_argument("--counties", default="all", help="all, or county ids ID,ID,... [all]")
    p.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Run ``db import``; a bad database or workspace raises and becomes one error line."""
    if not args.database_url:
        print("error: set DATABASE_URL or --database-url", file=sys.stderr)
        return 2
    if importlib.util.find_spec("psycopg") is None:
        msg = "error: the PostGIS store needs psycopg: pip install 'baicheng-gis[postgis]'"
        print(msg, file=sys.stderr)
        return 2
    from gis.store_postgis import import_workspaces

    import_workspaces(args.database_url, args.workspaces, args.counties)
    return 0
