"""``python -m gis indicators DIR``: the seven indicators of a workspace, its score and grade.

Prints a table (Chinese and English names, value, unit, target, result) or, with
``--json``, exactly :func:`gis.report.county_report`'s dict.  ``--out FILE.gpkg``
also writes every gap layer (and the suggested fitness sites) in EPSG:4326.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import unicodedata
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from gis.crs import STORAGE_EPSG
from gis.io import read_workspace
from gis.report import county_report
from gis.result import IndicatorResult
from gis.settings import DEFAULT_SETTINGS, IndicatorSettings

YEARS = (2018, 2020)
SITES_LAYER = "fitness_suggested_sites"
STATUS_TEXT = {
    "no_data": "无数据 no data",
    "not_computable": "无法计算 not computable",
}


def register(subparsers: Any) -> None:
    """Add the ``indicators`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "indicators",
        help="compute the seven planning indicators of a workspace, with its score and grade",
        description="Compute the 百城提质 planning indicators of a county workspace.",
    )
    p.add_argument("workspace", type=Path, help="workspace folder (made by `python -m gis ingest`)")
    p.add_argument(
        "--year",
        default=str(DEFAULT_SETTINGS.year),
        help="assessment year: 2018 or 2020 (default 2020)",
    )
    p.add_argument(
        "--minutes",
        default=str(DEFAULT_SETTINGS.walk_minutes),
        help="walking time of the fitness circle in minutes (default 15)",
    )
    p.add_argument(
        "--walk-speed",
        default=str(DEFAULT_SETTINGS.walk_speed_m_s),
        help="walking speed in m/s (default 1.1)",
    )
    p.add_argument(
        "--sites",
        default=str(DEFAULT_SETTINGS.sites_k),
        help="number of fitness sites to suggest (default 5)",
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--out", type=Path, help="also write the gap layers to this GeoPackage")
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> IndicatorSettings:
    """Validated settings from the command line; ``ValueError`` names the bad option."""
    year = _number(args.year, "--year", int)
    if year not in YEARS:
        msg = f"--year must be one of {', '.join(map(str, YEARS))}, got {args.year!r}"
        raise ValueError(msg)
    minutes = _number(args.minutes, "--minutes", float)
    speed = _number(args.walk_speed, "--walk-speed", float)
    sites = _number(args.sites, "--sites", int)
    try:
        return DEFAULT_SETTINGS.with_overrides(
            year=year, walk_minutes=minutes, walk_speed_m_s=speed, sites_k=sites
        )
    except ValueError as exc:
        names = {
            "walk_minutes": "--minutes",
            "walk_speed_m_s": "--walk-speed",
            "sites_k": "--sites",
        }
        text = str(exc)
        for field_name, option in names.items():
            text = text.replace(field_name, option)
        raise ValueError(text) from None


def _number(text: str, option: str, kind: type) -> Any:
    """``text`` as an int or a finite float, else ``ValueError`` naming ``option``."""
    try:
        value = kind(str(text).strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        msg = f"{option} must be {what}, got {text!r}"
        raise ValueError(msg) from None
    if kind is float and value != value:  # NaN
        msg = f"{option} must be a number, got {text!r}"
        raise ValueError(msg)
    return value


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
    report, results = county_report(ws, settings)
    written = write_gap_layers(results, args.out) if args.out is not None else None
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        print(format_table(report))
        if written is not None:
            print(f"\ngap layers written to {args.out}: {', '.join(written) or 'none (no gaps)'}")
    return 0


def gap_frames(results: Sequence[IndicatorResult]) -> dict[str, gpd.GeoDataFrame]:
    """Every non-empty gap layer (and the suggested fitness sites) in EPSG:4326, by layer name."""
    frames: dict[str, gpd.GeoDataFrame] = {}
    for result in results:
        if len(result.layer) and result.layer_name:
            frames[result.layer_name] = result.layer.to_crs(STORAGE_EPSG)
        sites = result.details.get("suggested_sites")
        if sites:
            points = [shapely.Point(s["lon"], s["lat"]) for s in sites]
            keep = (
                "rank",
                "node_id",
                "persons_added",
                "coverage_added_pct",
                "cumulative_added_pct",
            )
            frames[SITES_LAYER] = gpd.GeoDataFrame(
                {k: [s[k] for s in sites] for k in keep},
                geometry=gpd.GeoSeries(points, crs=STORAGE_EPSG),
                crs=STORAGE_EPSG,
            )
    return frames


def write_gap_layers(results: Sequence[IndicatorResult], out: Path) -> list[str]:
    """Write the gap layers to a new GeoPackage at ``out`` (replaced atomically); return names."""
    frames = gap_frames(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".gpkg", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, frame in frames.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        if frames:
            os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return list(frames)


def _width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _row_texts(item: dict[str, Any]) -> list[str]:
    """Cells of one indicator row."""
    value = "—" if item["value"] is None else f"{item['value']:,.2f}"
    sign = "≥" if item["comparison"] == ">=" else "≤"
    target = f"{sign} {item['target']:g} ({item['target_year']})"
    if item["status"] != "ok":
        result = STATUS_TEXT.get(item["status"], item["status"])
    else:
        result = "达标 passed" if item["passed"] else "未达标 failed"
        if item.get("basis") == "estimate":
            result += " (估算 estimate)"
    return [item["name_zh"], item["name_en"], value, item["unit"], target, result]


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table with notes and the assessment."""
    county = report["county"]
    head = ["指标", "indicator", "value", "unit", "target", "result"]
    rows = [_row_texts(item) for item in report["indicators"]]
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [f"{county['name']}  ({county['id']}, year {report['year']})"]
    if county["is_demonstration"]:
        lines.append("示范区，非行政县 / demonstration area, not an administrative county")
    params = report["parameters"]
    lines.append(
        f"walk {params['walk_minutes']:g} min x {params['walk_speed_m_s']:g} m/s = "
        f"{params['max_walk_m']:g} m along the pedestrian network"
    )
    lines.append("")
    for row in [head, *rows]:
        lines.append("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
    notes = _notes(report)
    if notes:
        lines += ["", *notes]
    assessment = report["assessment"]
    lines += [
        "",
        f"score {assessment['score']:g}/100  "
        f"grade {assessment['grade']} ({assessment['grade_en']})",
        *(f"  {line}" for line in assessment["reasoning"]),
    ]
    return "\n".join(lines)


def _notes(report: dict[str, Any]) -> list[str]:
    """Reasons for missing values, estimates and sample data."""
    notes = []
    for item in report["indicators"]:
        if item["status"] != "ok":
            notes.append(f"- {item['name_en']}: {item['reason']}")
        if item.get("basis") == "estimate" and item["status"] == "ok":  # names samples too
            notes.append(f"- {item['name_en']}: {item['basis_note_zh']} | {item['basis_note_en']}")
        elif "sample" in item["provenance"].values():
            notes.append(f"- {item['name_en']}: uses SAMPLE layers made up for the demonstration")
    if report["county"]["population_is_estimate"]:
        notes.append("- population is an estimate (人口为估算值)")
    return notes
