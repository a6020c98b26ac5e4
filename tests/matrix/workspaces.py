"""The workspace matrix (issue 9 item 2): county workspaces with each optional input missing or
empty, alone and in combination, built from the embedded real extracts.

A few workspaces are made by the real ingest (:func:`gis.ingest.run_ingest`); the others are
copies of one of them with layers deleted or emptied in the GeoPackage and metadata.json edited
(cheap: milliseconds each).  :data:`CASES` lists them; docs/workspace.md ("Tested workspaces")
describes the same list.

Extracts (© OpenStreetMap contributors, ODbL):

* ``data/osm/chengdu_jinniu_xindu.osm.bz2`` with ``data/demo/boundary.geojson`` (rich tagging);
* the same with every ``landuse`` tag stripped (``sparse``: what most Chinese counties look like);
* ``tests/data/osm_county_seats_small/*.osm`` (two real county seats, sparse), each with a
  boundary made from the file's ``<bounds>``.
"""

from __future__ import annotations

import bz2
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

from gis.ingest import IngestOptions, run_ingest
from tests.matrix.gpkg_edit import copy_workspace, drop_layers, empty_layers, read_meta, write_meta

ROOT = Path(__file__).resolve().parents[2]
CHENGDU_OSM = ROOT / "data" / "osm" / "chengdu_jinniu_xindu.osm.bz2"
CHENGDU_BOUNDARY = ROOT / "data" / "demo" / "boundary.geojson"
COUNTY_SEATS = ROOT / "tests" / "data" / "osm_county_seats_small"
NINGHUA_OSM = COUNTY_SEATS / "ninghua_fujian_centre.osm"
HAIMEN_OSM = COUNTY_SEATS / "haimen_jiangsu_dieshiqiao.osm"

CENSUS_TOTAL = 120_000.0
"""The census 城区人口 given with ``--population-total`` (a made-up figure of a plausible size)."""
SEAT_CENSUS_TOTAL = 30_000.0

PLANNING = ("plans", "key_areas", "urban_designs")
AREAS = ("parks", "sports", "residential", "green_space")
WALK = ("walk_nodes", "walk_edges")


@dataclass(frozen=True)
class Ingest:
    """How a base workspace is ingested."""

    extract: str  # "chengdu", "sparse" (landuse stripped), "ninghua", "haimen"
    population: str = "estimate"  # "estimate" (default density), "total", "raster"
    built_up: str = "derived"  # "derived" or "uploaded"
    samples: bool = False  # --with-sample-layers (SAMPLE plans, key areas, designs, disclosures)


@dataclass(frozen=True)
class Case:
    """One workspace of the matrix: ingested (``ingest``) or derived from another case."""

    id: str
    about: str
    ingest: Ingest | None = None
    base: str = ""
    drop: tuple[str, ...] = ()
    empty: tuple[str, ...] = ()
    no_population: bool = False
    xfail: str = ""


CASES: tuple[Case, ...] = (
    # --- ingested -------------------------------------------------------------------------------
    Case(
        "cd-census",
        "Chengdu extract, derived built-up, census total (--population-total), no planning layers "
        "(a county's first day)",
        Ingest("chengdu", population="total"),
    ),
    Case(
        "cd-full",
        "Chengdu extract, uploaded built-up (--built-up), population GeoTIFF (--population), "
        "SAMPLE plans, key areas, urban designs and disclosures: every input present",
        Ingest("chengdu", population="raster", built_up="uploaded", samples=True),
    ),
    Case(
        "sparse-estimate",
        "Chengdu extract with every landuse tag stripped, default density estimate",
        Ingest("sparse"),
    ),
    Case(
        "sparse-census",
        "Chengdu extract with every landuse tag stripped, census total",
        Ingest("sparse", population="total"),
    ),
    Case(
        "sparse-raster",
        "Chengdu extract with every landuse tag stripped, population GeoTIFF",
        Ingest("sparse", population="raster"),
    ),
    Case(
        "ninghua-estimate", "宁化 county seat (sparse), default density estimate", Ingest("ninghua")
    ),
    Case(
        "ninghua-census",
        "宁化 county seat (sparse, no residential land), census total",
        Ingest("ninghua", population="total"),
    ),
    Case("haimen-estimate", "海门叠石桥 (sparse), default density estimate", Ingest("haimen")),
    Case(
        "haimen-census",
        "海门叠石桥 (sparse, 2 residential areas), census total",
        Ingest("haimen", population="total"),
    ),
    # --- derived from cd-full (everything present) by deleting or emptying layers ---------------
    Case("no-plans", "cd-full without the plans layer", base="cd-full", drop=("plans",)),
    Case("no-key-areas", "cd-full without key_areas", base="cd-full", drop=("key_areas",)),
    Case(
        "no-urban-designs", "cd-full without urban_designs", base="cd-full", drop=("urban_designs",)
    ),
    Case(
        "no-planning",
        "cd-full without plans, key_areas and urban_designs",
        base="cd-full",
        drop=PLANNING,
    ),
    Case(
        "empty-planning",
        "cd-full with plans, key_areas and urban_designs present but empty",
        base="cd-full",
        empty=PLANNING,
    ),
    Case(
        "no-population",
        "cd-full without population.tif and without a population record",
        base="cd-full",
        no_population=True,
    ),
    Case("empty-parks", "cd-full with no parks", base="cd-full", empty=("parks",)),
    Case("empty-sports", "cd-full with no sports facilities", base="cd-full", empty=("sports",)),
    Case(
        "empty-residential",
        "cd-full with no residential land",
        base="cd-full",
        empty=("residential",),
    ),
    Case(
        "empty-green-space", "cd-full with no green space", base="cd-full", empty=("green_space",)
    ),
    Case("no-walkable", "cd-full with no walkable ways", base="cd-full", empty=WALK),
    Case(
        "empty-areas",
        "cd-full with no parks, sports, residential, green space or land use",
        base="cd-full",
        empty=(*AREAS, "landuse"),
    ),
    Case(
        "empty-built-up", "cd-full with an empty built-up area", base="cd-full", empty=("built_up",)
    ),
    Case(
        "bare",
        "cd-census with every optional input missing or empty: no population, no walkable ways, "
        "no parks, sports, residential, green space, land use",
        base="cd-census",
        empty=(*AREAS, "landuse", *WALK),
        no_population=True,
    ),
)
BY_ID = {c.id: c for c in CASES}


def strip_landuse(src_bz2: Path, out: Path) -> Path:
    """The OSM extract with every ``landuse`` tag removed (the sparse variant)."""
    text = bz2.decompress(src_bz2.read_bytes()).decode("utf-8")
    stripped = re.sub(r'[ \t]*<tag k="landuse" v="[^"]*"/>\r?\n', "", text)
    assert 'k="landuse"' not in stripped
    out.write_text(stripped, encoding="utf-8")
    return out


def bounds_boundary(osm: Path, out: Path) -> Path:
    """A boundary GeoJSON made from an OSM file's ``<bounds>`` element."""
    head = osm.read_text(encoding="utf-8")[:4000]
    match = re.search(r"<bounds ([^>]*)/>", head)
    assert match, f"{osm.name}: no <bounds>"
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
    box = shapely.box(
        float(attrs["minlon"]),
        float(attrs["minlat"]),
        float(attrs["maxlon"]),
        float(attrs["maxlat"]),
    )
    gpd.GeoDataFrame({"name": [osm.stem]}, geometry=[box], crs=4326).to_file(out, driver="GeoJSON")
    return out


def inset_built_up(boundary: Path, out: Path) -> Path:
    """An uploaded built-up polygon: the boundary's central part (10 % inset on every side)."""
    minx, miny, maxx, maxy = gpd.read_file(boundary).total_bounds
    dx, dy = (maxx - minx) / 10, (maxy - miny) / 10
    poly = shapely.box(minx + dx, miny + dy, maxx - dx, maxy - dy)
    gpd.GeoDataFrame({"name": ["建成区"]}, geometry=[poly], crs=4326).to_file(out, driver="GeoJSON")
    return out


@dataclass
class Matrix:
    """The built workspaces (folder per case under ``root``) and the cases that failed to build."""

    root: Path
    built: dict[str, Path]
    errors: dict[str, BaseException]

    def path(self, case_id: str) -> Path:
        """The case's workspace folder; re-raises the error that stopped it from being built."""
        if case_id in self.errors:
            raise self.errors[case_id]
        return self.built[case_id]


def _inputs(work: Path) -> dict[str, tuple[Path, Path]]:
    """(osm, boundary) per extract."""
    return {
        "chengdu": (CHENGDU_OSM, CHENGDU_BOUNDARY),
        "sparse": (strip_landuse(CHENGDU_OSM, work / "sparse.osm"), CHENGDU_BOUNDARY),
        "ninghua": (NINGHUA_OSM, bounds_boundary(NINGHUA_OSM, work / "ninghua.geojson")),
        "haimen": (HAIMEN_OSM, bounds_boundary(HAIMEN_OSM, work / "haimen.geojson")),
    }


def _ingest(case: Case, out: Path, inputs: dict[str, tuple[Path, Path]], raster: Path) -> None:
    spec = case.ingest
    assert spec is not None
    osm, boundary = inputs[spec.extract]
    built_up = None
    if spec.built_up == "uploaded":
        built_up = inset_built_up(boundary, out.parent.parent / f"{case.id}-built-up.geojson")
    total = SEAT_CENSUS_TOTAL if spec.extract in ("ninghua", "haimen") else CENSUS_TOTAL
    run_ingest(
        IngestOptions(
            osm=osm,
            boundary=boundary,
            out=out,
            built_up=built_up,
            population_tif=raster if spec.population == "raster" else None,
            population_total=total if spec.population == "total" else None,
            name=f"矩阵测试 {case.id} (matrix test workspace)",
            county_id=case.id,
            with_sample_layers=spec.samples,
        )
    )


def _derive(case: Case, base: Path, out: Path) -> None:
    copy_workspace(base, out, case.id, f"矩阵测试 {case.id} (matrix test workspace)")
    if case.drop:
        drop_layers(out, case.drop)
    if case.empty:
        empty_layers(out, case.empty)
    if case.no_population:
        (out / "population.tif").unlink(missing_ok=True)
        meta = read_meta(out)
        meta.pop("population", None)
        meta["sources"] = [s for s in meta.get("sources", []) if s.get("role") != "population"]
        write_meta(out, meta)


def build_matrix(root: Path, work: Path) -> Matrix:
    """Build every case under ``root`` (one folder per case id); scratch files go to ``work``."""
    root.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    inputs = _inputs(work)
    built: dict[str, Path] = {}
    errors: dict[str, BaseException] = {}
    for case in CASES:  # ingested cases first (in CASES order), then derived ones
        out = root / case.id
        try:
            if case.ingest is not None:
                raster = built.get("cd-census", out) / "population.tif"
                _ingest(case, out, inputs, raster)
            else:
                if case.base in errors:
                    raise errors[case.base]
                _derive(case, built[case.base], out)
        except Exception as exc:  # recorded: the case's tests re-raise it (xfail or fail)
            errors[case.id] = exc
            if out.exists():
                shutil.rmtree(out)
            continue
        built[case.id] = out
    return Matrix(root, built, errors)


def describe(matrix: Matrix) -> str:
    """One line per case: id, built or the error, what it lacks (for the test log)."""
    lines = []
    for case in CASES:
        state = "built" if case.id in matrix.built else f"NOT BUILT ({matrix.errors[case.id]})"
        lines.append(f"{case.id:18s} {state[:90]:s} — {case.about}")
    return "\n".join(lines)
