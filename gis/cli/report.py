"""``python -m gis report``: the yearly assessment report as PDF or DOCX.

Examples::

    python -m gis report instance/workspaces/410181 --year 2020 --format pdf
    python -m gis report DIR --format docx --lang en --out report-en.docx
    python -m gis report DIR --previous results-2018.json      # with "change since last year"
    python -m gis report --province --results instance/results --year 2020 --format pdf

A county report is built from :func:`gis.report.county_report` (the object the API serves) by
:mod:`layers.report_doc`; the province report from the batch's result documents
(``python -m gis batch``) by :mod:`layers.province_doc`.  ``--previous`` takes a previous
year's workspace folder or a saved report (``indicators --json`` output, or a batch result
document).  Bad input stops with ``error: ...`` and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from gis.errors import GisError
from gis.settings import DEFAULT_SETTINGS, IndicatorSettings

YEARS = (2018, 2020)
FORMATS = ("pdf", "docx")
LANGS = ("zh", "en")


def register(subparsers: Any) -> None:
    """Add the ``report`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="write the yearly assessment report of a county (or the province) as PDF or DOCX",
        description=(__doc__ or "").split("\n\n")[0],
    )
    p.add_argument("workspace", type=Path, nargs="?", help="county workspace folder")
    p.add_argument("--year", default=str(DEFAULT_SETTINGS.year), help="2018 or 2020 [2020]")
    p.add_argument("--format", default="pdf", help="pdf or docx [pdf]")
    p.add_argument("--lang", default="zh", help="zh (Chinese) or en (English) [zh]")
    p.add_argument("--out", type=Path, help="output file [<county>-<year>-report.<format>]")
    p.add_argument(
        "--previous",
        type=Path,
        help="previous year's workspace folder or saved report JSON (adds the changes section)",
    )
    p.add_argument(
        "--province", action="store_true", help="the province report from the batch results"
    )
    p.add_argument(
        "--results",
        type=Path,
        default=Path("instance") / "results",
        help="batch results folder for --province [instance/results]",
    )
    p.set_defaults(func=run)


def _options(args: argparse.Namespace) -> tuple[int, str, str]:
    try:
        year = int(str(args.year).strip())
    except ValueError:
        year = -1
    if year not in YEARS:
        msg = f"--year must be one of {', '.join(map(str, YEARS))}, got {args.year!r}"
        raise GisError(msg)
    if args.format not in FORMATS:
        msg = f"--format must be pdf or docx, got {args.format!r}"
        raise GisError(msg)
    if args.lang not in LANGS:
        msg = f"--lang must be zh or en, got {args.lang!r}"
        raise GisError(msg)
    if args.out is not None and args.out.suffix.lower() != f".{args.format}":
        msg = f"--out must end in .{args.format} for --format {args.format}, got {str(args.out)!r}"
        raise GisError(msg)
    return year, args.format, args.lang


def previous_report(path: Path, settings: IndicatorSettings) -> dict[str, Any]:
    """The previous year's county_report dict from a workspace folder or a saved JSON file."""
    from layers.report_doc import load_previous

    if path.is_dir():
        from gis.io import read_workspace
        from gis.report import county_report

        report, _results = county_report(read_workspace(path), settings)
        return report
    if not path.exists():
        msg = f"--previous: {path} does not exist (give a workspace folder or a report JSON)"
        raise GisError(msg)
    data = load_previous(path) if path.suffix.lower() == ".json" else None
    if data is None:
        msg = f"--previous: {path} is neither a workspace folder nor a .json report"
        raise GisError(msg)
    return data


def write_atomic(data: bytes, out: Path) -> None:
    """Write ``data`` to ``out`` through a temporary file in the same folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=out.suffix, dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)


def run(args: argparse.Namespace) -> int:
    """Write the report; return the exit code."""
    year, fmt, lang = _options(args)
    if args.province:
        return _run_province(args, year, fmt, lang)
    if args.workspace is None:
        msg = "give a workspace folder, or --province for the province report"
        raise GisError(msg)
    from gis.io import read_workspace
    from gis.report import county_report
    from layers.report_doc import build_content, render_report

    settings = DEFAULT_SETTINGS.with_overrides(year=year)
    previous = previous_report(args.previous, settings) if args.previous else None
    ws = read_workspace(args.workspace)
    report, results = county_report(ws, settings)
    content = build_content(report, results, ws, lang=lang, previous=previous)
    data = render_report(content, fmt)
    out = args.out or Path(f"{ws.county_id or args.workspace.name}-{year}-report-{lang}.{fmt}")
    write_atomic(data, out)
    print(f"report written to {out} ({len(data) / 1024:,.0f} kB)")
    return 0


def _run_province(args: argparse.Namespace, year: int, fmt: str, lang: str) -> int:
    from gis.batch import read_results
    from layers.province_doc import build_province_content, render_province

    docs = read_results(args.results, year).get(year, [])
    content = build_province_content(docs, year, lang=lang)
    data = render_province(content, fmt)
    out = args.out or Path(f"henan-{year}-province-report-{lang}.{fmt}")
    write_atomic(data, out)
    print(
        f"province report written to {out}: {len(docs)} counties with results, "
        f"{len(content.missing)} without",
        file=sys.stdout,
    )
    if not docs:
        print(
            f"note: no batch results for {year} under {args.results}; run "
            f"`{getattr(args, 'prog', 'python -m gis')} batch --year {year}` first",
            file=sys.stderr,
        )
    return 0
