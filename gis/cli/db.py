"""``python -m gis db import`` (``baicheng db import``): folder workspaces into PostGIS.

Examples::

    baicheng db import --database-url postgresql://gis@127.0.0.1:5432/gis
    DATABASE_URL=postgresql://gis@db/gis baicheng db import --counties gongyi,dengfeng

Needs the ``postgis`` extra (``pip install 'baicheng-gis[postgis]'``: psycopg).  Each county
becomes version 0 of the PostGIS store (docs/province.md).
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
    import_workspaces(args.database_url, args.workspaces, args.counties)
    return 0


def import_workspaces(database_url: str, workspaces: Path, counties: str = "all") -> list[str]:
    """Load the folder workspaces under ``workspaces`` into PostGIS as version 0.

    ``counties`` is ``all`` or ``ID,ID,...``.  Creates the schema when missing and prints
    ``imported ID`` after each county; returns the ids imported.
    """
    from gis.store import GeoPackageStore
    from gis.store.postgis import PostgisStore

    store = PostgisStore(database_url)
    try:
        store.init_schema()
        folders = GeoPackageStore(workspaces).county_ids()
        wanted = folders if counties == "all" else [c for c in counties.split(",") if c]
        for cid in wanted:
            store.import_workspace(workspaces / cid, cid)
            print(f"imported {cid}")
    finally:
        store.close()
    return wanted
