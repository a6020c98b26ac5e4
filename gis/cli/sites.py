"""``python -m gis sites DIR``: new fitness sites, exact or greedy, fixed sites, excluded areas.

    python -m gis sites WORKSPACE [--k 5] [--method exact|greedy] [--time-limit 5]
        [--fix LON,LAT ...] [--exclude FILE.geojson ...] [--exclude-layer NAME ...] [--json]

Prints a table of the sites (persons each adds, coverage points), how they were found (exact
and proven optimal, or greedy, with the gap to the solver's bound) or, with ``--json``, the
whole answer of :func:`gis.fitness_sites.suggest_fitness_sites`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gis.cli.indicators import _number
from gis.errors import ValidationError
from gis.fitness_sites import (
    SiteRequest,
    parse_lonlat,
    polygons_from_geojson,
    suggest_fitness_sites,
)
from gis.io import read_workspace
from gis.settings import DEFAULT_SETTINGS, SITE_METHODS, IndicatorSettings

METHOD_TEXT = {"exact": "精确解 exact", "greedy": "贪心近似 greedy"}


def register(subparsers: Any) -> None:
    """Add the ``sites`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sites",
        help="suggest new fitness sites (exact maximal covering or greedy)",
        description="Suggest k new sports-facility sites covering the most residents outside "
        "the 15-minute fitness circle: the exact maximal covering (HiGHS, within a time limit, "
        "else the greedy answer) or greedy.",
    )
    p.add_argument("workspace", type=Path, help="workspace folder (made by `python -m gis ingest`)")
    p.add_argument("--k", default=str(DEFAULT_SETTINGS.sites_k), help="number of new sites (0-100)")
    p.add_argument(
        "--method",
        default=DEFAULT_SETTINGS.sites_method,
        help="exact (default: the optimum within the time limit, else greedy) or greedy",
    )
    p.add_argument(
        "--time-limit",
        default=str(DEFAULT_SETTINGS.sites_time_limit_s),
        help="seconds the exact solver may take (default 5, at most 600)",
    )
    p.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="LON,LAT",
        help="a site already fixed (existing or decided), in degrees; repeatable",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="GeoJSON polygons (EPSG:4326) where no site may go (water, protected land)",
    )
    p.add_argument(
        "--exclude-layer",
        action="append",
        default=[],
        metavar="NAME[:COLUMN=VALUE]",
        help="a polygon layer of the workspace where no site may go, e.g. parks or "
        "landuse:landuse=industrial (only the rows with that value); repeatable",
    )
    p.add_argument("--minutes", default=str(DEFAULT_SETTINGS.walk_minutes), help="walking minutes")
    p.add_argument(
        "--walk-speed", default=str(DEFAULT_SETTINGS.walk_speed_m_s), help="walking speed, m/s"
    )
    p.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> IndicatorSettings:
    """Validated settings; ``ValueError`` names the bad option."""
    if args.method not in SITE_METHODS:
        msg = f"--method must be one of {', '.join(SITE_METHODS)}, got {args.method!r}"
        raise ValueError(msg)
    values = {
        "sites_k": _number(args.k, "--k", int),
        "sites_time_limit_s": _number(args.time_limit, "--time-limit", float),
        "walk_minutes": _number(args.minutes, "--minutes", float),
        "walk_speed_m_s": _number(args.walk_speed, "--walk-speed", float),
    }
    options = {
        "sites_k": "--k",
        "sites_time_limit_s": "--time-limit",
        "walk_minutes": "--minutes",
        "walk_speed_m_s": "--walk-speed",
    }
    try:
        return DEFAULT_SETTINGS.with_overrides(sites_method=args.method, **values)
    except ValueError as exc:
        text = str(exc)
        for name, option in options.items():
            text = text.replace(name, option)
        raise ValueError(text) from None


def request_from_args(args: argparse.Namespace) -> SiteRequest:
    """Fixed sites and excluded areas from the options (ValidationError names the bad one)."""
    fixed = tuple(parse_lonlat(text, "--fix") for text in args.fix)
    polygons: list[Any] = []
    for path in args.exclude:
        try:
            document = json.loads(Path(path).read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            msg = f"--exclude {path}: cannot read it as GeoJSON ({exc})"
            raise ValidationError(msg) from None
        polygons.extend(polygons_from_geojson(document, f"--exclude {path}"))
    return SiteRequest(fixed, tuple(polygons), tuple(args.exclude_layer))


def run(args: argparse.Namespace) -> int:
    """Search, print; return the exit code."""
    try:
        settings = settings_from_args(args)
        request = request_from_args(args)
    except ValueError as exc:  # ValidationError is a ValueError too
        print(f"error: {exc}", file=sys.stderr)
        return 2
    answer = suggest_fitness_sites(read_workspace(args.workspace), settings, request)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer: dict[str, Any]) -> str:
    """The answer as plain text: the search, then one line per site."""
    search = answer["search"]
    lines = [f"{answer['county_id']}: fitness coverage now {_pct(answer['coverage_pct'])}"]
    effect = answer.get("fixed_sites_effect")
    if effect:
        lines.append(
            f"fixed sites 已定选址: {effect['count']}, adding {effect['persons_added']:,.0f} "
            f"persons ({effect['coverage_added_pct']:.2f} pp)"
        )
    excluded = answer["excluded"]
    if excluded["polygons"]:
        lines.append(
            f"excluded areas 排除区域: {excluded['polygons']} polygons"
            + (f" (layers {', '.join(excluded['layers'])})" if excluded["layers"] else "")
        )
    if not answer["suggested_sites"]:
        lines.append("no site to suggest 无建议: every resident is covered or no candidate is left")
        return "\n".join(lines)
    lines.append(_search_line(search, answer["elapsed_s"]))
    lines.append("rank  node_id        lon        lat  persons added  coverage pp  cumulative pp")
    for s in answer["suggested_sites"]:
        lines.append(
            f"{s['rank']:>4}  {s['node_id']:>7}  {s['lon']:>9.5f}  {s['lat']:>9.5f}  "
            f"{s['persons_added']:>13,.0f}  {s['coverage_added_pct']:>11.2f}  "
            f"{s['cumulative_added_pct']:>13.2f}"
        )
    return "\n".join(lines)


def _search_line(search: dict[str, Any], elapsed_s: float) -> str:
    method = METHOD_TEXT.get(str(search.get("method")), str(search.get("method")))
    if search.get("optimal"):
        quality = "proven optimal 已证最优"
    elif search.get("gap_pct") is not None:
        quality = f"within {search['gap_pct']:.2f} % of the optimum 距最优上界"
    else:
        quality = "no optimality bound 无最优界"
    greedy = search.get("greedy_persons_added")
    return (
        f"method 方法: {method}, {quality}; {search['persons_added']:,.0f} persons "
        f"(greedy {greedy:,.0f}); {search['candidates']} candidates; {elapsed_s:.2f} s"
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} %"
