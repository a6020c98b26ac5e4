"""``python -m gis extract --pbf FILE --province henan --out DIR``: every county in one pass.

See :mod:`gis.extract`.  Writes ``DIR/<adcode>.osm.pbf`` for each county-level unit the file
reaches and ``DIR/extract_summary.json``; prints a summary and the ingest command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from gis.extract import PROVINCES, SUMMARY_NAME, extract_counties, province_units, summary_lines
from gis.osmfile import check_readable


def register(subparsers: Any) -> None:
    """Add the ``extract`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "extract",
        help="cut every county of a province out of an .osm.pbf (one pass, one file per county)",
        description=(
            "Cut every county-level unit of the province out of an OpenStreetMap .osm.pbf "
            "(e.g. Geofabrik's china-latest.osm.pbf): DIR/<adcode>.osm.pbf per county, with "
            f"complete ways and only the workspace's tags, and DIR/{SUMMARY_NAME}. Offline."
        ),
    )
    p.add_argument("--pbf", type=Path, help="the OpenStreetMap file (.osm.pbf)")
    p.add_argument("--province", default="henan", help=f"province ({', '.join(PROVINCES)}) [henan]")
    p.add_argument("--out", type=Path, help="folder for the county files")
    p.add_argument(
        "--list-counties",
        action="store_true",
        help="print the province's adcodes and names (for --county) and stop",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Extract, print the summary; return the exit code."""
    units = province_units(args.province)
    if args.list_counties:
        for code, name in zip(units["adcode"], units["name"], strict=True):
            print(f"{code}\t{name}")
        return 0
    if args.pbf is None or args.out is None:
        print("error: extract needs --pbf FILE and --out DIR (or --list-counties)", file=sys.stderr)
        return 2
    check_readable(args.pbf)  # a bad file is one line, before any progress bar
    with tqdm(desc="extract", unit=" el", disable=args.quiet, file=sys.stderr) as bar:

        def progress(stage: str, done: int) -> None:
            bar.set_postfix_str(stage, refresh=False)
            bar.update(done)

        summary = extract_counties(args.pbf, units, args.out, progress=progress)
    for line in summary_lines(summary):
        print(line, file=sys.stderr)
    prog = getattr(args, "prog", "python -m gis")
    if summary.counties:
        first = summary.counties[0].adcode
        print(
            f"Next: {prog} ingest --pbf {args.out / f'{first}.osm.pbf'} --county {first} "
            f"--out instance/workspaces/{first}",
            file=sys.stderr,
        )
    print(f"county files written to {args.out}")
    return 0
