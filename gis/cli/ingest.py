"""``python -m gis ingest``: build a county workspace from raw data (see gis.ingest)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gis.ingest import IngestOptions, run_ingest
from gis.population import DEFAULT_PERSONS_PER_HA


def register(subparsers: Any) -> None:
    """Add the ``ingest`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "ingest",
        help="build a county workspace from an OSM extract and a boundary",
        description=(
            "Build a county workspace (docs/workspace.md) from an OpenStreetMap XML extract and "
            "the county boundary, plus optional built-up area, population and plans. Offline."
        ),
    )
    p.add_argument(
        "--osm", type=Path, required=True, help="OpenStreetMap XML (.osm, .osm.bz2, .osm.gz)"
    )
    p.add_argument(
        "--boundary", type=Path, required=True, help="county boundary (any vector format)"
    )
    p.add_argument(
        "--built-up", type=Path, help="built-up area polygon (建成区); else derived from OSM"
    )
    pop = p.add_mutually_exclusive_group()
    pop.add_argument("--population", type=Path, dest="population_tif", help="population GeoTIFF")
    pop.add_argument(
        "--population-total",
        type=float,
        help="census total (城区人口), spread over residential land",
    )
    pop.add_argument(
        "--population-density-per-ha",
        type=float,
        help=(
            "estimate: persons per hectare of residential land "
            f"(the default, at {DEFAULT_PERSONS_PER_HA:g}, when no population is given)"
        ),
    )
    p.add_argument(
        "--plans", type=Path, help="regulatory plan units (polygons with a status column)"
    )
    p.add_argument("--name", help="county name shown on maps")
    p.add_argument("--county-id", help="identifier used in URLs (default: from --out)")
    p.add_argument("--adcode", help="administrative division code (区划代码)")
    p.add_argument("--demonstration", action="store_true", help="mark as a demonstration area")
    p.add_argument(
        "--with-sample-layers",
        action="store_true",
        help="add SAMPLE (made-up, labelled 【样例】) plans, key areas, designs and disclosures",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="the embedded demonstration settings (成都北部示范区); other flags override them",
    )
    p.add_argument("--out", type=Path, required=True, help="workspace folder to create or replace")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> IngestOptions:
    """The :class:`IngestOptions` the command line asks for."""
    if args.demo:
        base = IngestOptions.demo(args.osm, args.boundary, args.out)
    else:
        base = IngestOptions(osm=args.osm, boundary=args.boundary, out=args.out)
    population_given = any(
        v is not None
        for v in (args.population_tif, args.population_total, args.population_density_per_ha)
    )
    return IngestOptions(
        osm=args.osm,
        boundary=args.boundary,
        out=args.out,
        built_up=args.built_up,
        population_tif=args.population_tif,
        population_total=args.population_total,
        population_density_per_ha=(
            args.population_density_per_ha if population_given else base.population_density_per_ha
        ),
        plans=args.plans,
        name=args.name or base.name,
        county_id=args.county_id or base.county_id,
        adcode=args.adcode or base.adcode,
        is_demonstration=args.demonstration or base.is_demonstration,
        with_sample_layers=args.with_sample_layers or base.with_sample_layers,
        boundary_licence=base.boundary_licence,
        boundary_attribution=base.boundary_attribution,
    )


def run(args: argparse.Namespace) -> int:
    """Run the ingest and print where the workspace is."""
    out = run_ingest(options_from_args(args), progress=not args.quiet)
    print(f"workspace written to {out}")
    prog = getattr(args, "prog", "python -m gis")
    print(f"inspect it with: {prog} info {out}", file=sys.stderr)
    return 0
