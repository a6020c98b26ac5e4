"""``python -m gis batch``: every indicator for every county workspace, resumable.

Examples::

    python -m gis batch                                  # all workspaces, 2020, local processes
    python -m gis batch --counties 410181,410225 --year 2018 --workers 1
    python -m gis batch --scheduler tcp://10.0.0.5:8786  # on a Dask distributed cluster

Results go to ``<results>/<year>/<county_id>.json``; a second run skips finished counties
unless ``--force``.  The exit code is 0 when every county succeeded, 1 when some failed (the
others are still written), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gis.config import database_url

DEFAULT_WORKSPACES = Path("instance") / "workspaces"
DEFAULT_RESULTS = Path("instance") / "results"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``batch`` sub-command."""
    p = sub.add_parser(
        "batch",
        help="compute every indicator for every county workspace (resumable)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument(
        "--workspaces",
        type=Path,
        default=DEFAULT_WORKSPACES,
        help=f"folder of county workspaces [{DEFAULT_WORKSPACES}]",
    )
    p.add_argument("--counties", default="all", help="all, or county ids ID,ID,... [all]")
    p.add_argument("--year", type=int, default=2020, help="assessment year [2020]")
    p.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="local processes; 1 = sequential in this process [2]",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address tcp://HOST:PORT (overrides --workers)",
    )
    p.add_argument("--force", action="store_true", help="recompute finished counties")
    p.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help=f"results folder [{DEFAULT_RESULTS}]"
    )
    p.add_argument(
        "--database-url",
        default=database_url(),
        help="read workspaces from the PostGIS store, not --workspaces"
        " [env GIS_DATABASE_URL or DATABASE_URL]",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the batch and print one line per failed county and a summary."""
    from gis.batch import (
        discover_database,
        discover_workspaces,
        plan_tasks,
        run_batch,
        select_counties,
    )
    from gis.settings import IndicatorSettings

    IndicatorSettings(year=args.year).validate()
    if args.database_url:
        workspaces = discover_database(args.database_url)
    else:
        workspaces = discover_workspaces(args.workspaces)
    ids = select_counties(workspaces, args.counties)
    tasks = plan_tasks(
        workspaces, ids, year=args.year, results_dir=args.results, database_url=args.database_url
    )
    summary = run_batch(
        tasks,
        workers=args.workers,
        scheduler=args.scheduler,
        force=args.force,
        progress=not args.no_progress,
    )
    for o in summary.failed:
        print(f"failed: {o.county_id} ({args.year}): {o.error}", file=sys.stderr)
    counts = summary.to_dict()["counts"]
    print(
        f"batch {args.year}: {counts['computed']} computed, {counts['skipped']} skipped "
        f"(already done; --force recomputes), {counts['failed']} failed in "
        f"{summary.elapsed_s:.1f} s ({summary.mode}); results in {args.results}/{args.year}/"
    )
    if counts["computed"]:
        t = summary.time_spent()
        print(
            f"time in counties: read {t['read_s']:.1f} s, compute {t['compute_s']:.1f} s, "
            f"write {t['write_s']:.1f} s, imports {t['import_s']:.1f} s (CPU {t['cpu_s']:.1f} s); "
            f"worker warm-up {t['warmup_s']:.1f} s; workers busy {t['occupancy']:.0%} of the run"
        )
    return 1 if summary.failed else 0
