"""``python -m gis ingest``: raw county data to a workspace (docs/workspace.md), atomically.

The steps (each a module-level function taking the build state, so a test can
make one fail) read and check every input, derive the layers, and write the
GeoPackage, the population GeoTIFF and metadata.json into a temporary folder
next to ``--out``.  Only when everything succeeded is the folder renamed into
place; an existing workspace is moved aside first and deleted last, so a
failure at any point leaves no half workspace and the old one untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from gis import builtup, network, osm, osm_facilities, osmfile, population, samples
from gis.crs import STORAGE_EPSG, metric_crs_for
from gis.errors import CrsError, EmptyInputError, InputFileError, ValidationError
from gis.io import GPKG_NAME, METADATA_NAME, POPULATION_NAME
from gis.settings import NOT_HOUSING_LANDUSE, RESIDENTIAL_MIN_SHARE, URBAN_LANDUSE

DEMO_NAME = "成都北部示范区 (Chengdu north demonstration area)"
DEMO_COUNTY_ID = "demo-chengdu-north"
DEMO_PERSONS_PER_HA = population.DEFAULT_PERSONS_PER_HA
DEMO_BOUNDARY_LICENCE = osm.OSM_LICENCE
DEMO_BOUNDARY_ATTRIBUTION = (
    "© OpenStreetMap contributors (the bounding box of the OpenStreetMap export; "
    "not an administrative boundary)"
)
USER_LICENCE = "as supplied by the user"

_GEOMETRY_TYPES = {
    "boundary": "MultiPolygon",
    "built_up": "MultiPolygon",
    "roads": "LineString",
    "walk_nodes": "Point",
    "walk_edges": "LineString",
    "parks": "MultiPolygon",
    "green_space": "MultiPolygon",
    "sports": "Unknown",
    "residential": "MultiPolygon",
    "landuse": "MultiPolygon",
    "plans": "MultiPolygon",
    "key_areas": "MultiPolygon",
    "urban_designs": "MultiPolygon",
    "disclosures": "Point",
    "parking": "Unknown",
    "facilities": "Unknown",
}


@dataclass(frozen=True)
class IngestOptions:
    """Everything ``python -m gis ingest`` is told (paths, county identity, population).

    At most one of ``population_tif``, ``population_total`` and
    ``population_density_per_ha`` may be given; with none, the population is
    estimated at :data:`gis.population.DEFAULT_PERSONS_PER_HA` persons per
    hectare of residential land and labelled an estimate.
    """

    osm: Path
    boundary: Path
    out: Path
    built_up: Path | None = None
    population_tif: Path | None = None
    population_total: float | None = None
    population_density_per_ha: float | None = None
    plans: Path | None = None
    name: str | None = None
    county_id: str | None = None
    adcode: str | None = None
    is_demonstration: bool = False
    with_sample_layers: bool = False
    boundary_licence: str | None = None
    boundary_attribution: str | None = None

    def __post_init__(self) -> None:
        """Accept ``str`` paths too (stored as :class:`~pathlib.Path`)."""
        for name in ("osm", "boundary", "out", "built_up", "population_tif", "plans"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))

    @classmethod
    def demo(cls, osm: Path | str, boundary: Path | str, out: Path | str) -> IngestOptions:
        """The embedded demonstration settings (成都北部示范区), with sample planning layers.

        >>> opts = IngestOptions.demo("a.osm", "b.geojson", "out")
        >>> opts.county_id, opts.is_demonstration, opts.population_density_per_ha
        ('demo-chengdu-north', True, 250.0)
        """
        return cls(
            osm=Path(osm),
            boundary=Path(boundary),
            out=Path(out),
            population_density_per_ha=DEMO_PERSONS_PER_HA,
            name=DEMO_NAME,
            county_id=DEMO_COUNTY_ID,
            is_demonstration=True,
            with_sample_layers=True,
            boundary_licence=DEMO_BOUNDARY_LICENCE,
            boundary_attribution=DEMO_BOUNDARY_ATTRIBUTION,
        )

    def check(self) -> None:
        """Raise a :class:`gis.errors.GisError` naming each bad option or missing file."""
        given = [
            flag
            for flag, value in (
                ("--population", self.population_tif),
                ("--population-total", self.population_total),
                ("--population-density-per-ha", self.population_density_per_ha),
            )
            if value is not None
        ]
        if len(given) > 1:
            msg = f"give only one of {', '.join(given)}: they are alternative population sources"
            raise ValidationError(msg)
        for flag, value in (
            ("--population-total", self.population_total),
            ("--population-density-per-ha", self.population_density_per_ha),
        ):
            if value is not None and (not np.isfinite(value) or value < 0):
                msg = f"{flag} {value:g}: a population cannot be negative; give a number >= 0"
                raise ValidationError(msg)
        for flag, path in (
            ("--osm", self.osm),
            ("--boundary", self.boundary),
            ("--built-up", self.built_up),
            ("--population", self.population_tif),
            ("--plans", self.plans),
        ):
            if path is not None and not Path(path).is_file():
                msg = f"{path}: file not found (given as {flag}); check the path"
                raise InputFileError(msg)
        out = Path(self.out)
        if out.exists() and (not out.is_dir() or _is_foreign_dir(out)):
            msg = (
                f"{out}: exists and is not a workspace (no {METADATA_NAME}); "
                "choose another --out folder or remove it first"
            )
            raise InputFileError(msg)


def _is_foreign_dir(path: Path) -> bool:
    """A non-empty folder that is not a workspace (never replace it)."""
    return not (path / METADATA_NAME).is_file() and any(path.iterdir())


@dataclass
class _Build:
    """State passed from step to step."""

    options: IngestOptions
    tmp: Path
    extract: osm.OsmExtract | None = None
    generator: str = ""
    features: gpd.GeoDataFrame | None = None
    boundary: BaseGeometry = field(default_factory=shapely.Polygon)
    boundary_name: str = ""
    metric_crs: CRS = field(default_factory=lambda: CRS.from_epsg(STORAGE_EPSG))
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    layer_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    water: gpd.GeoDataFrame | None = None
    uploaded_built_up: BaseGeometry = field(default_factory=shapely.Polygon)
    uploaded_plans: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    built_up_derivation: dict[str, Any] = field(default_factory=dict)
    population: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, str]] = field(default_factory=list)

    def add_layer(self, name: str, gdf: gpd.GeoDataFrame, provenance: str, method: str) -> None:
        """Keep a layer (storage CRS) and its metadata entry."""
        self.layers[name] = gdf.to_crs(STORAGE_EPSG)
        self.layer_info[name] = {"count": len(gdf), "provenance": provenance, "method": method}

    def metric(self, name: str) -> gpd.GeoDataFrame:
        """A kept layer in the county's GK zone."""
        return self.layers[name].to_crs(self.metric_crs)


# --- reading inputs ------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_vector(path: Path, flag: str) -> gpd.GeoDataFrame:
    """Read a vector file geopandas can read, requiring features and a CRS."""
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found (given as {flag}); check the path"
        raise InputFileError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = (
            f"{path.name}: not a vector file GDAL can read ({exc}); "
            "give a GeoPackage, GeoJSON or zipped shapefile"
        )
        raise InputFileError(msg) from exc
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if gdf.empty:
        msg = f"{path.name}: has no features with a geometry; check the file and layer"
        raise EmptyInputError(msg)
    if gdf.crs is None:
        msg = (
            f"{path.name}: no CRS, so the coordinates cannot be placed; "
            "add a .prj (shapefile) or save it with its CRS (e.g. as GeoPackage in EPSG:4490)"
        )
        raise CrsError(msg)
    return gdf


def _polygon_union(gdf: gpd.GeoDataFrame, path: Path, flag: str) -> BaseGeometry:
    """The union of the polygonal features of ``gdf`` in the storage CRS."""
    gdf = gdf.to_crs(STORAGE_EPSG)
    kinds = set(gdf.geometry.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        msg = (
            f"{path.name}: {flag} needs polygons, found {sorted(kinds)}; "
            "give the area as a (Multi)Polygon layer"
        )
        raise ValidationError(msg)
    return _polygonal(shapely.union_all(shapely.make_valid(gdf.geometry.to_numpy())))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _source(path: Path, role: str, licence: str, attribution: str) -> dict[str, str]:
    return {
        "file": Path(path).name,
        "sha256": _sha256(Path(path)),
        "role": role,
        "licence": licence,
        "attribution": attribution,
    }


# --- the steps -----------------------------------------------------------------------------


def _step_check_inputs(b: _Build) -> None:
    """Check options and files, the OSM XML and the boundary; choose the GK zone."""
    opts = b.options
    opts.check()
    if osmfile.is_pbf(opts.osm):
        b.generator = osmfile.check_readable(opts.osm)  # header; the extent is known once read
    else:
        b.extract = osm.inspect_osm_xml(opts.osm)
    gdf = read_vector(opts.boundary, "--boundary")
    b.boundary = _polygon_union(gdf, opts.boundary, "--boundary")
    if b.boundary.is_empty:
        msg = f"{opts.boundary.name}: the boundary has no area; give the county outline polygon"
        raise ValidationError(msg)
    if b.extract is not None:
        extent: BaseGeometry = shapely.box(*b.extract.bounds)
        if b.extract.declared_bounds is not None:  # the area exported, even where no nodes
            extent = shapely.union(extent, shapely.box(*b.extract.declared_bounds))
        if shapely.intersection(b.boundary, extent).area <= 0:
            raise _no_overlap(b, extent.bounds)
    names = [str(v) for v in gdf.get("name", pd.Series(dtype=object)).dropna() if str(v)]
    b.boundary_name = opts.name or (names[0] if names else Path(opts.out).name)
    boundary_gdf = gpd.GeoDataFrame(
        {"name": [b.boundary_name]}, geometry=[b.boundary], crs=STORAGE_EPSG
    )
    b.metric_crs = metric_crs_for(boundary_gdf)
    b.add_layer("boundary", boundary_gdf, "uploaded", f"county boundary from {opts.boundary.name}")
    b.sources.append(_source(opts.osm, "osm", osm.OSM_LICENCE, osm.OSM_ATTRIBUTION))
    b.sources.append(
        _source(
            opts.boundary,
            "boundary",
            opts.boundary_licence or USER_LICENCE,
            opts.boundary_attribution or "",
        )
    )
    _check_optional_inputs(b)


def _no_overlap(b: _Build, extent: tuple[float, ...] | None) -> ValidationError:
    """The boundary and the OSM extract do not overlap (``extent``: the extract's lon/lat box)."""
    opts = b.options
    bb = ", ".join(f"{v:.4f}" for v in b.boundary.bounds)
    where = (
        f"(lon/lat {', '.join(f'{v:.4f}' for v in extent)})"
        if extent is not None
        else "(none of its features lies inside the boundary)"
    )
    msg = (
        f"{opts.boundary.name}: the boundary (lon/lat {bb}) does not overlap the OSM extract "
        f"{opts.osm.name} {where}; give the extract and boundary of the same county "
        "(and check the boundary's CRS)"
    )
    return ValidationError(msg)


def _check_optional_inputs(b: _Build) -> None:
    """Read and check the built-up area, population raster and plans before the slow work."""
    opts = b.options
    if opts.built_up is not None:
        gdf = read_vector(opts.built_up, "--built-up")
        union = _polygon_union(gdf, opts.built_up, "--built-up")
        b.uploaded_built_up = _polygonal(shapely.intersection(union, b.boundary))
        if b.uploaded_built_up.is_empty:
            msg = (
                f"{opts.built_up.name}: the built-up area does not overlap the boundary "
                f"{opts.boundary.name}; check that both are the same county and their CRS"
            )
            raise ValidationError(msg)
    if opts.population_tif is not None:
        population.check_population_tif(opts.population_tif)
    if opts.plans is not None:
        b.uploaded_plans = read_plans(opts.plans, b.boundary)


def _step_read_osm(b: _Build) -> None:
    """Stream the OSM elements the workspace needs, dropping those outside the boundary."""
    path = b.options.osm
    b.features, summary = osmfile.read_features(path, area=b.boundary)
    if b.extract is None and b.features.empty:  # .pbf: the overlap check, once read
        raise _no_overlap(b, None)
    if b.extract is None:
        b.extract = osm.OsmExtract(
            path=path,
            node_count=summary.nodes_used,
            way_count=summary.ways_seen,
            relation_count=summary.relations_seen,
            bounds=summary.bounds or b.boundary.bounds,
            declared_bounds=None,
            generator=b.generator,
        )


def _step_roads(b: _Build) -> None:
    """Roads (every highway way) and the walk network."""
    assert b.features is not None
    roads = osm.roads_from_features(b.features, b.boundary)
    if roads.empty:
        msg = (
            f"{b.options.osm.name}: no highway ways inside the boundary "
            f"{b.options.boundary.name}; the extract must contain the county's streets"
        )
        raise EmptyInputError(msg)
    b.add_layer(
        "roads",
        roads.drop(columns="walkable"),
        "osm",
        "every OpenStreetMap way with a highway tag (areas excluded), clipped to the boundary "
        "(a way cut by it gives one row per piece); road_class maps highway to the GB/T "
        "51328-2018 classes (others 'other'); oneway=-1 ways reversed",
    )
    walk_lines = roads[roads["walkable"]][["osm_id", "highway", "geometry"]].to_crs(b.metric_crs)
    nodes, edges = network.build_walk_network(walk_lines)
    crs_name = f"EPSG:{b.metric_crs.to_epsg()}"
    method = (
        "walkable highway ways (not motorway/construction/proposed/..., foot!=no, not "
        "access=private|no unless foot=yes|designated, not area=yes) clipped to the boundary, "
        f"split at vertices shared by two or more ways and at way ends; length_m in {crs_name}; "
        "all components kept"
    )
    b.add_layer("walk_nodes", nodes, "osm_derived", method)
    b.add_layer("walk_edges", edges, "osm_derived", method)


def _step_areas(b: _Build) -> None:
    """Parks, green space, sports, residential and land use."""
    f = b.features
    assert f is not None
    b.add_layer(
        "parks",
        osm.parks_from_features(f, b.boundary),
        "osm",
        "leisure=park|garden areas (ways and multipolygon relations) not access=private|no, "
        "clipped to the boundary",
    )
    b.add_layer(
        "green_space",
        osm.green_space_from_features(f, b.boundary),
        "osm",
        "leisure=park|garden, landuse=grass|forest|meadow|village_green|recreation_ground|"
        "greenery and natural=wood|scrub|grassland areas, clipped to the boundary",
    )
    b.add_layer(
        "sports",
        osm.sports_from_features(f, b.boundary),
        "osm",
        "leisure=sports_centre|stadium|pitch|fitness_centre|fitness_station|track|"
        "swimming_pool|sports_hall: nodes as points, areas as polygons, open ways as their "
        "mid-point; inside the boundary",
    )
    b.add_layer(
        "parking",
        osm.parking_from_features(f, b.boundary),
        "osm",
        "amenity=parking nodes, areas and open ways (as their mid-point) inside the boundary, "
        "not access=private|no|customers|permit|residents|employees|delivery|agricultural and "
        "not parking=garage_boxes|carports; capacity_spaces = the capacity tag when it is a "
        "whole number, else null (counted, no spaces)",
    )
    b.add_layer(
        "facilities",
        osm_facilities.facilities_from_features(f, b.boundary),
        "osm",
        "15-minute life-circle facilities, one row per facility and type (facility_type; "
        "docs/indicators.md): amenity=kindergarten|school|social_facility (senior)|"
        "nursing_home|marketplace|clinic|doctors|hospital|community_centre|arts_centre|"
        "library, shop=supermarket|greengrocer, healthcare=clinic|centre|doctor|hospital, "
        "place=square and highway=pedestrian areas; schools by isced:level, else name, else "
        "both primary and middle (level_source=unknown); inside the boundary",
    )
    b.add_layer(
        "residential",
        osm.residential_from_features(f, b.boundary),
        "osm",
        "landuse=residential areas, clipped to the boundary",
    )
    b.add_layer(
        "landuse", osm.landuse_from_features(f, b.boundary), "osm", "every landuse=* area, clipped"
    )
    b.buildings = osm.buildings_from_features(f, b.boundary)
    b.water = osm.water_from_features(f, b.boundary)


def _step_built_up(b: _Build) -> None:
    """The built-up area: uploaded polygon, else derived from OSM."""
    opts = b.options
    if opts.built_up is not None:
        geom = b.uploaded_built_up
        method, provenance = f"uploaded: {opts.built_up.name}, clipped to the boundary", "uploaded"
        b.sources.append(_source(opts.built_up, "built_up", USER_LICENCE, ""))
    else:
        landuse = b.metric("landuse")
        sports = b.metric("sports")
        buildings = (
            b.buildings.to_crs(b.metric_crs) if b.buildings is not None else landuse.iloc[:0]
        )
        areas = np.concatenate(
            [
                landuse.geometry[landuse["landuse"].isin(list(URBAN_LANDUSE))].to_numpy(),
                b.metric("parks").geometry.to_numpy(),
                sports.geometry[sports.geometry.geom_type != "Point"].to_numpy(),
                buildings.geometry.to_numpy(),
            ]
        )
        roads = b.metric("roads")
        urban_roads = roads.geometry[roads["road_class"] != "other"].to_numpy()
        boundary_m = gpd.GeoSeries([b.boundary], crs=STORAGE_EPSG).to_crs(b.metric_crs).iloc[0]
        estimate = builtup.derive_built_up(areas, urban_roads, boundary_m)
        method = estimate.method
        geom = _polygonal(
            shapely.intersection(
                gpd.GeoSeries([estimate.geometry], crs=b.metric_crs).to_crs(STORAGE_EPSG).iloc[0],
                b.boundary,
            )
        )
        provenance = "osm_derived"
        b.built_up_derivation = {
            "method_id": estimate.method_id,
            "evidence_share": round(estimate.evidence_share, 4),
            "road_blocks": estimate.block_count,
            "area_km2": round(estimate.geometry.area / 1e6, 4),
        }
    gdf_out = gpd.GeoDataFrame(
        {"source": [provenance], "method": [method]}, geometry=[geom], crs=STORAGE_EPSG
    )
    b.add_layer("built_up", gdf_out, provenance, method)
    if b.built_up_derivation:
        b.layer_info["built_up"]["derivation"] = b.built_up_derivation


def _step_population(b: _Build) -> None:
    """population.tif: the supplied raster, or the dasymetric estimate."""
    opts = b.options
    target = b.tmp / POPULATION_NAME
    if opts.population_tif is not None:
        summary = population.check_population_tif(opts.population_tif)  # checked before too
        shutil.copyfile(opts.population_tif, target)
        b.sources.append(_source(opts.population_tif, "population", USER_LICENCE, ""))
        b.population = {
            "total": summary.total,
            "urban_population": summary.total,
            "provenance": "uploaded",
            "is_estimate": False,
            "method": f"population GeoTIFF supplied: {opts.population_tif.name} ({summary.crs})",
            "crs": summary.crs,
        }
        return
    residential = b.metric("residential").geometry.to_numpy()
    hectares = population.residential_hectares(residential)
    built_up_m = b.metric("built_up").geometry.iloc[0]
    built_up_ha = built_up_m.area / 10_000.0
    boundary_m = gpd.GeoSeries([b.boundary], crs=STORAGE_EPSG).to_crs(b.metric_crs).iloc[0]
    cell = population.CELL_SIZE_M
    crs_name = f"EPSG:{b.metric_crs.to_epsg()}"
    enough = hectares > 0 and hectares >= RESIDENTIAL_MIN_SHARE * built_up_ha
    if enough:
        spread = (
            f"spread over OSM residential land (landuse=residential, {hectares:.1f} ha) in "
            f"{cell:g} m cells of {crs_name} in proportion to the residential area in each cell "
            "(dasymetric)"
        )
        method_id = "residential_dasymetric"
        land_ha, density_default = hectares, population.DEFAULT_PERSONS_PER_HA
        land_word = "residential land"
    else:
        layers = population.built_up_weights(built_up_m, _not_housing(b), _buildings_metric(b))
        footprint_ha = sum(float(shapely.area(g).sum()) for g, w in layers[1:]) / 10_000.0
        spread = (
            f"spread over the built-up area ({built_up_ha:.1f} ha) less parks, green space, "
            f"sports grounds, water and industrial/railway land, in {cell:g} m cells of "
            f"{crs_name}, one m² of mapped building footprint ({footprint_ha:.1f} ha) counting "
            f"{population.BUILDING_WEIGHT:g} more than one m² of open land (dasymetric; OSM "
            f"residential land, {hectares:.1f} ha, is under "
            f"{RESIDENTIAL_MIN_SHARE:.0%} of the built-up area: too thin to carry it)"
        )
        method_id = "built_up_buildings_dasymetric"
        land_ha, density_default = built_up_ha, population.DEFAULT_PERSONS_PER_HA_BUILT_UP
        land_word = "built-up area"
    if opts.population_total is not None:
        total = float(opts.population_total)
        method = f"total of {total:,.0f} persons given at ingest (census 城区人口), {spread}"
        extra: dict[str, Any] = {}
    else:
        density = (
            opts.population_density_per_ha
            if opts.population_density_per_ha is not None
            else density_default
        )
        total = density * land_ha
        method = (
            f"estimated: {density:g} persons per hectare of {land_word} x {land_ha:.1f} ha "
            f"= {total:,.0f} persons (no census figure for this area; density after GB "
            f"50137-2011 land per person), {spread}"
        )
        extra = {"persons_per_ha": density}
    if enough:
        grid = population.dasymetric_grid(residential, boundary_m, total, b.metric_crs)
    else:
        grid = population.weighted_grid(
            layers,
            boundary_m,
            total,
            b.metric_crs,
            empty_message=(
                "population: the built-up area is all parks, water or industrial land, so there "
                "is nowhere to put the residents; supply a population GeoTIFF with --population "
                "or the 建成区 with --built-up"
            ),
        )
    population.write_population_tif(grid, target)
    b.population = {
        "total": total,
        "urban_population": total,
        "provenance": "estimated",
        "is_estimate": True,
        "method": method,
        "method_id": method_id,
        "residential_ha": round(hectares, 3),
        "built_up_ha": round(built_up_ha, 3),
        "cell_size_m": cell,
        "crs": crs_name,
        **extra,
    }


def _not_housing(b: _Build) -> np.ndarray:
    """Polygons where nobody lives: parks, green space, sports areas, water, industrial land."""
    sports = b.metric("sports")
    landuse = b.metric("landuse")
    water = b.water.to_crs(b.metric_crs).geometry.to_numpy() if b.water is not None else []
    parts = [
        b.metric("parks").geometry.to_numpy(),
        b.metric("green_space").geometry.to_numpy(),
        sports.geometry[sports.geometry.geom_type != "Point"].to_numpy(),
        landuse.geometry[landuse["landuse"].isin(list(NOT_HOUSING_LANDUSE))].to_numpy(),
        np.asarray(water, dtype=object),
    ]
    return np.concatenate([np.asarray(p, dtype=object) for p in parts])


def _buildings_metric(b: _Build) -> np.ndarray:
    """Building footprints in the GK zone (none when the extract maps none)."""
    if b.buildings is None or b.buildings.empty:
        return np.array([], dtype=object)
    geoms = b.buildings.to_crs(b.metric_crs).geometry
    return np.asarray(geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])], dtype=object)


def _step_planning(b: _Build) -> None:
    """Regulatory plans from --plans; SAMPLE planning layers when asked."""
    opts = b.options
    if opts.plans is not None and b.uploaded_plans is not None:
        b.add_layer(
            "plans", b.uploaded_plans, "uploaded", f"regulatory plan units from {opts.plans.name}"
        )
        b.sources.append(_source(opts.plans, "plans", USER_LICENCE, ""))
    if not opts.with_sample_layers:
        return
    built_up_m = b.metric("built_up").geometry.iloc[0]
    boundary_m = b.metric("boundary").geometry.iloc[0]
    water = b.water if b.water is not None else b.layers["parks"].iloc[:0]
    inputs = samples.SampleInputs(
        boundary=boundary_m,
        built_up=built_up_m,
        roads=b.metric("roads"),
        water=water.to_crs(b.metric_crs),
        residential=b.metric("residential"),
        parks=b.metric("parks"),
        crs=b.metric_crs,
    )
    methods = {
        "plans": f"SAMPLE (made up for the demonstration): {samples.PLAN_UNIT_M:g} m units over "
        "the built-up area, its east end left unplanned; most approved, every fourth a draft",
        "key_areas": "SAMPLE: centre, main-road corridor, waterfront and entrance placed on real "
        "OSM roads and waterways",
        "urban_designs": "SAMPLE: urban designs covering some key areas",
        "disclosures": "SAMPLE: 阳光规划 records (编制 修改 审批 规划许可 违法建设查处) placed on "
        "sample plan units and real residential land and parks; some not public",
    }
    for name, gdf in samples.make_sample_layers(inputs).items():
        if name == "plans" and opts.plans is not None:
            continue
        stored = gdf.to_crs(STORAGE_EPSG)
        if name != "disclosures":  # made in metres: clip again so no edge leaves the boundary
            stored = osm.clip_polygons(stored, b.boundary)
        b.add_layer(name, stored, "sample", methods[name])


def read_plans(path: Path, boundary: BaseGeometry) -> gpd.GeoDataFrame:
    """Regulatory-plan units from any vector file: a ``status`` column is required.

    Optional columns ``plan_id`` (else ``P001``...), ``name`` and ``approved_on``
    (written as an ISO date) are kept; units are clipped to ``boundary``.
    """
    gdf = read_vector(path, "--plans")
    lower = {str(c).lower(): c for c in gdf.columns}
    if "status" not in lower:
        msg = (
            f"{path.name}: no 'status' column; add one saying for each plan unit whether it is "
            "approved (批准) or a draft"
        )
        raise ValidationError(msg)
    kinds = set(gdf.geometry.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        msg = f"{path.name}: plan units must be polygons, found {sorted(kinds)}"
        raise ValidationError(msg)

    def column(name: str, default: Any) -> pd.Series:
        if name in lower:
            given: pd.Series = gdf[lower[name]]
            return given
        return pd.Series([default(i) for i in range(len(gdf))], index=gdf.index)

    approved = column("approved_on", lambda i: "")
    out = gpd.GeoDataFrame(
        {
            "plan_id": column("plan_id", lambda i: f"P{i + 1:03d}").astype(str).to_numpy(),
            "name": column("name", lambda i: "").fillna("").astype(str).to_numpy(),
            "status": gdf[lower["status"]].fillna("").astype(str).to_numpy(),
            "approved_on": [_iso_date(v) for v in approved],
            "sample": np.zeros(len(gdf), dtype=bool),
        },
        geometry=shapely.make_valid(gdf.to_crs(STORAGE_EPSG).geometry.to_numpy()),
        crs=STORAGE_EPSG,
    )
    return osm.clip_polygons(out, boundary)


def _iso_date(value: Any) -> str:
    """An ISO date string, or ``""`` when missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _step_write(b: _Build) -> None:
    """Write the GeoPackage and metadata.json into the temporary folder."""
    gpkg = b.tmp / GPKG_NAME
    for name, gdf in b.layers.items():
        pyogrio.write_dataframe(
            _writable(gdf), gpkg, layer=name, driver="GPKG", geometry_type=_GEOMETRY_TYPES[name]
        )
    metadata = build_metadata(b)
    with (b.tmp / METADATA_NAME).open("w", encoding="utf-8") as f:
        json.dump(metadata, f, ensure_ascii=False, indent=2)
        f.write("\n")


def _writable(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Text columns as plain object strings (GDAL writes them as TEXT)."""
    out = gdf.copy()
    for column in out.columns:
        if column != out.geometry.name and pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object)
    return out


def build_metadata(b: _Build) -> dict[str, Any]:
    """The metadata.json record (docs/workspace.md)."""
    opts = b.options
    attribution = [f"{osm.OSM_ATTRIBUTION} ({osm.OSM_LICENCE})"]
    for src in b.sources[1:]:
        credit = src["attribution"]
        if credit and not credit.startswith(osm.OSM_ATTRIBUTION) and credit not in attribution:
            attribution.append(credit)
    minx, miny, maxx, maxy = (float(v) for v in b.boundary.bounds)
    return {
        "name": b.boundary_name,
        "county_id": opts.county_id or _slug(Path(opts.out).name),
        "adcode": opts.adcode,
        "is_demonstration": bool(opts.is_demonstration),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "storage_crs": f"EPSG:{STORAGE_EPSG}",
        "metric_crs": f"EPSG:{b.metric_crs.to_epsg()}",
        "bounds": [minx, miny, maxx, maxy],
        "sources": b.sources,
        "layers": b.layer_info,
        "population": b.population,
        "attribution": attribution,
        "osm_extract": {
            "nodes": b.extract.node_count if b.extract else 0,
            "ways": b.extract.way_count if b.extract else 0,
            "relations": b.extract.relation_count if b.extract else 0,
            "bounds": list(b.extract.bounds) if b.extract else None,
            "generator": b.extract.generator if b.extract else "",
        },
    }


def _slug(text: str) -> str:
    """A URL-safe identifier.

    >>> _slug("My County 1")
    'my-county-1'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "county"


STEPS: tuple[tuple[str, str], ...] = (
    ("check inputs", "_step_check_inputs"),
    ("read OSM", "_step_read_osm"),
    ("roads + walk network", "_step_roads"),
    ("parks, green space, sports, land use", "_step_areas"),
    ("built-up area", "_step_built_up"),
    ("population", "_step_population"),
    ("planning layers", "_step_planning"),
    ("write workspace", "_step_write"),
)


def run_ingest(options: IngestOptions, *, progress: bool = False) -> Path:
    """Build the workspace described by ``options`` at ``options.out``; return its path.

    The build happens in a temporary folder next to ``options.out`` which is
    renamed into place at the end (an existing workspace is replaced only then).
    """
    out = Path(options.out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.ingest-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    state = _Build(options=options, tmp=tmp)
    try:
        with tqdm(
            total=len(STEPS) + 1, desc="ingest", unit="step", disable=not progress, file=sys.stderr
        ) as bar:
            for label, func_name in STEPS:
                bar.set_postfix_str(label)
                step: Callable[[_Build], None] = globals()[func_name]
                step(state)
                bar.update()
            bar.set_postfix_str("replace")
            _replace(tmp, out)
            bar.update()
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _replace(new: Path, out: Path) -> None:
    """Rename ``new`` to ``out``; an existing ``out`` is moved aside first and deleted last."""
    old: Path | None = None
    if out.exists():
        if _is_foreign_dir(out):
            msg = f"{out}: exists and is not a workspace; not replacing it"
            raise InputFileError(msg)
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:12]}"
        os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
