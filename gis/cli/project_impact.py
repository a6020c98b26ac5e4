"""``python -m gis project-impact DIR --projects FILE``: the indicators when the projects are built.

Reads the workspace and a projects file (GeoJSON or GeoPackage with the ``projects`` layer
kind's columns plus ``review_status``; docs/indicators.md, "Projected indicators"), applies
the passed (已通过) projects to a copy in memory (nothing is written) and prints now →
projected for every indicator, the grade now and projected and what each project did; with
``--json`` exactly :meth:`gis.projection.ProjectedIndicators.to_dict`.  Bad input: one line on
stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from gis.cli.indicators import _number, _pad, _width, settings_from_args
from gis.errors import InputFileError, without_paths
from gis.io import list_layers, read_layer, read_workspace
from gis.projection import PARKING_LAYER, ROAD_SNAP_M, project_indicators
from gis.report import county_summary
from gis.settings import DEFAULT_SETTINGS
from gis.workspace import Workspace

SUFFIXES = (".geojson", ".json", ".gpkg")
OUTCOME_TEXT = {
    "applied": "计入 applied",
    "no_effect": "不影响指标 no indicator effect",
    "not_applied": "未计入 not applied",
    "not_passed": "未通过审核 not passed",
}


def register(subparsers: Any) -> None:
    """Add the ``project-impact`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "project-impact",
        help="the indicators and grade now and when the passed projects are finished",
        description=(
            "Apply the passed (已通过) projects of a projects file to a copy of the workspace "
            "and print every indicator now and projected (项目建成后), and the grade. "
            "Nothing is written."
        ),
    )
    p.add_argument("workspace", type=Path, help="workspace folder (made by `python -m gis ingest`)")
    p.add_argument(
        "--projects",
        type=Path,
        required=True,
        help="projects file (.geojson or .gpkg; the layer 'projects' or the only layer)",
    )
    p.add_argument("--year", default=str(DEFAULT_SETTINGS.year), help="2018 or 2020")
    p.add_argument(
        "--minutes", default=str(DEFAULT_SETTINGS.walk_minutes), help="fitness walk minutes"
    )
    p.add_argument(
        "--walk-speed", default=str(DEFAULT_SETTINGS.walk_speed_m_s), help="walking speed, m/s"
    )
    p.add_argument("--sites", default=str(DEFAULT_SETTINGS.sites_k), help="fitness sites")
    p.add_argument(
        "--snap-m",
        default=str(ROAD_SNAP_M),
        help=f"a road project's end joins a walk node within this many metres (default "
        f"{ROAD_SNAP_M:g})",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def read_projects(path: Path) -> gpd.GeoDataFrame:
    """The projects of a GeoJSON or GeoPackage file (storage CRS as written)."""
    if path.suffix.lower() not in SUFFIXES:
        msg = f"--projects must be a {', '.join(SUFFIXES)} file, got {path.name!r}"
        raise InputFileError(msg)
    if not path.is_file():
        msg = f"{path.name}: no such projects file"
        raise FileNotFoundError(msg)
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        layer = "projects" if "projects" in layers else layers[0] if len(layers) == 1 else None
        if layer is None:
            msg = f"{path.name}: several layers ({', '.join(layers)}) and none named 'projects'"
            raise InputFileError(msg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame: gpd.GeoDataFrame = pyogrio.read_dataframe(path, layer=layer)
    except pyogrio.errors.DataSourceError as exc:
        msg = f"{path.name}: cannot read the projects ({without_paths(str(exc))})"
        raise InputFileError(msg) from exc
    return frame


def _with_parking(ws: Workspace) -> Workspace:
    """The workspace with its ``parking`` layer when the GeoPackage has one not yet read."""
    if ws.layer(PARKING_LAYER) is None and ws.path and PARKING_LAYER in list_layers(ws.path):
        ws.layers[PARKING_LAYER] = read_layer(ws.path, PARKING_LAYER)
    return ws


def run(args: argparse.Namespace) -> int:
    """Compute and print; return the exit code."""
    try:
        settings = settings_from_args(args)
        snap_m = _number(args.snap_m, "--snap-m", float)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    projects = read_projects(args.projects)
    ws = _with_parking(read_workspace(args.workspace))
    result = project_indicators(ws.to_metric(), projects, settings, snap_m=snap_m).to_dict()
    result["county"] = county_summary(ws)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        print(format_table(result))
    return 0


def _value(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


VERDICT = {None: "—", True: "达标", False: "未达标"}


def _rows(result: dict[str, Any]) -> list[list[str]]:
    """One row per indicator: names, now, projected, change, target, verdicts."""
    rows = []
    for item in result["indicators"]:
        sign = "≥" if item["comparison"] == ">=" else "≤"
        delta = item["delta"]
        rows.append(
            [
                item["name_zh"],
                item["name_en"],
                _value(item["now"]),
                _value(item["projected"]),
                "—" if delta is None else f"{delta:+,.2f}",
                item["unit"],
                f"{sign} {item['target']:g}",
                f"{VERDICT[item['passed_now']]} → {VERDICT[item['passed_projected']]}",
            ]
        )
    return rows


def format_table(result: dict[str, Any]) -> str:
    """Now → projected as a plain-text table, the grades and the projects."""
    county = result["county"]
    head = ["指标", "indicator", "now", "projected", "change", "unit", "target", "达标 now → after"]
    rows = _rows(result)
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        f"{county['name']}  ({county['id']}, year {result['year']})",
        f"{result['label_zh']} | {result['label_en']}",
        "",
    ]
    for row in [head, *rows]:
        lines.append("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
    grade = result["grade"]
    lines += [
        "",
        f"grade now {grade['now']} ({grade['now_en']}, {grade['score_now']:g}/100) → projected "
        f"{grade['projected']} ({grade['projected_en']}, {grade['score_projected']:g}/100)",
        "",
        "projects:",
    ]
    for p in result["projects"]:
        note = p["note_zh"] + " | " + p["note_en"] if p["note_zh"] else p["note_en"]
        lines.append(
            f"  {p['project_id']}  {p['name']}  [{p['category']}]  "
            f"{OUTCOME_TEXT[p['outcome']]}: {note}"
        )
    if not result["projects"]:
        lines.append("  (none)")
    parking = result["totals"]["parking_spaces"]
    if parking["projected"] is not None:
        lines.append(
            f"parking spaces 停车泊位: {_value(parking['now'])} → {_value(parking['projected'])}"
        )
    return "\n".join(lines)
