"""``python -m gis life-circle DIR``: the 15-minute life circle (15分钟生活圈 / 城市体检) set.

Prints one row per facility type (threshold, coverage, facilities) and the share of
residents reaching every type / at least ``k`` types, or with ``--json`` exactly
:func:`gis.life_circle_report.life_circle_report`'s dict.  ``--threshold TYPE=METRES``
(repeatable) changes a type's walking threshold; ``--out FILE.gpkg`` writes the gap layers
and the types-reached layer.  Not graded: the 百城 grade is ``python -m gis indicators``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gis.cli.indicators import STATUS_TEXT, _number, _pad, _width, write_gap_layers
from gis.io import read_workspace
from gis.life_circle_report import life_circle_report
from gis.settings import DEFAULT_SETTINGS, IndicatorSettings


def register(subparsers: Any) -> None:
    """Add the ``life-circle`` sub-command."""
    types = ", ".join(t.type_id for t in DEFAULT_SETTINGS.life_circle)
    p: argparse.ArgumentParser = subparsers.add_parser(
        "life-circle",
        help="compute the 15-minute life circle (15分钟生活圈 / 城市体检) set of a workspace",
        description="Walking coverage of each life-circle facility type (GB 50180-2018, "
        "TD/T 1063-2021) and the residents reaching all of them. Not part of the 百城 grade.",
    )
    p.add_argument("workspace", type=Path, help="workspace folder (made by `python -m gis ingest`)")
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="TYPE=METRES",
        help=f"walking threshold of one type in metres (repeatable); types: {types}",
    )
    p.add_argument(
        "--walk-speed",
        default=str(DEFAULT_SETTINGS.walk_speed_m_s),
        help="walking speed in m/s for the community-sports (fitness circle) type (default 1.1)",
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--out", type=Path, help="also write the gap layers to this GeoPackage")
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> IndicatorSettings:
    """Validated settings; ``ValueError`` names the bad option."""
    speed = _number(args.walk_speed, "--walk-speed", float)
    thresholds: dict[str, float] = {}
    for text in args.threshold:
        name, sep, value = str(text).partition("=")
        if not sep or not name.strip():
            msg = f"--threshold must be TYPE=METRES (e.g. kindergarten=300), got {text!r}"
            raise ValueError(msg)
        thresholds[name.strip()] = _number(value, f"--threshold {name.strip()}", float)
    try:
        settings = DEFAULT_SETTINGS.with_overrides(walk_speed_m_s=speed)
        return settings.with_life_circle_thresholds(thresholds)
    except ValueError as exc:
        raise ValueError(str(exc).replace("walk_speed_m_s", "--walk-speed")) from None


def run(args: argparse.Namespace) -> int:
    """Compute, print, optionally write the gap layers; return the exit code."""
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out is not None and args.out.suffix.lower() != ".gpkg":
        print(f"error: --out must be a .gpkg file, got {str(args.out)!r}", file=sys.stderr)
        return 2
    ws = read_workspace(args.workspace)
    report, circle = life_circle_report(ws, settings)
    written = write_gap_layers(circle.results, args.out) if args.out is not None else None
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        print(format_table(report))
        if written is not None:
            print(f"\ngap layers written to {args.out}: {', '.join(written) or 'none (no gaps)'}")
    return 0


def _row(item: dict[str, Any]) -> list[str]:
    params = item["parameters"]
    if item["id"].endswith("all_types"):
        threshold, count = "", ""
    else:
        threshold = f"{params['tier_min']} min / {params['threshold_m']:g} m"
        count = str(item["details"].get("facilities", "—"))
    value = "—" if item["value"] is None else f"{item['value']:.2f} %"
    status = "" if item["status"] == "ok" else STATUS_TEXT.get(item["status"], item["status"])
    return [item["name_zh"], threshold, count, value, status]


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table with the summary and notes."""
    county = report["county"]
    head = ["设施类型 facility type", "threshold", "facilities", "coverage", "note"]
    rows = [_row(item) for item in report["indicators"]]
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        f"{county['name']}  ({county['id']})",
        f"{report['set_name_zh']} / {report['set_name_en']} — 不计入百城评分 (not graded)",
    ]
    if county["is_demonstration"]:
        lines.append("示范区，非行政县 / demonstration area, not an administrative county")
    lines.append("")
    for row in [head, *rows]:
        lines.append("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
    reach = report["indicators"][-1]
    at_least = reach["details"].get("at_least_pct") or {}
    if at_least:
        shares = ", ".join(f"≥{k}: {v:.1f} %" for k, v in at_least.items() if k != "0")
        lines += ["", f"residents reaching at least k of the types: {shares}"]
    lines += ["", *(f"- {note}" for note in report["notes"])]
    for item in report["indicators"]:
        if item["status"] != "ok":
            lines.append(f"- {item['name_en']}: {item['reason']}")
        elif item["details"].get("note"):
            lines.append(f"- {item['name_en']}: {item['details']['note']}")
    return "\n".join(lines)
