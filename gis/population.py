"""Population: checking a supplied GeoTIFF, or spreading a total over residential land.

Without a population raster the county's total (the census 城区人口, or an
estimate from :data:`DEFAULT_PERSONS_PER_HA`) is spread over residential land
(dasymetric mapping): each 100 m cell of the county's Gauss-Krüger zone gets a
share of the total proportional to the residential area inside it, computed
exactly by polygon intersection.  The grid is written as a float32 GeoTIFF
with nodata ``-1`` and labelled an estimate in the workspace metadata.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from shapely.geometry.base import BaseGeometry

from gis.errors import CrsError, EmptyInputError, InputFileError, ValidationError

DEFAULT_PERSONS_PER_HA = 250.0
"""Persons per hectare of OSM residential land when no census figure is given (an estimate).

GB 50137-2011 (城市用地分类与规划建设用地标准, table 4.3.1) plans 23-36 m² of
residential land per person in climate zones III-V (Chengdu and Henan),
i.e. 280-435 persons/ha (unconfirmed).  OSM ``landuse=residential`` polygons
are drawn around whole compounds, with their internal roads, green space and
unoccupied new blocks, so we take the conservative 40 m² per person:
250 persons/ha.  Change it with ``--population-density-per-ha``.
"""
DEFAULT_PERSONS_PER_HA_BUILT_UP = 100.0
"""Persons per hectare of built-up area when residential land is thin and no census figure is given.

GB 50137-2011 plans 85-115 m² of urban construction land per person for most
existing cities (table 3.0.2); about 100 m² per person is 100 persons per
hectare of built-up area.  An estimate, labelled as one.
"""
BUILDING_WEIGHT = 4.0
"""Extra weight of one m² of mapped building footprint over one m² of open built-up land
(a county-seat housing block of 4-6 floors holds several times the people of its yard):
where OSM has buildings, people go to the buildings; where it has none, evenly."""
CELL_SIZE_M = 100.0
"""Side of the dasymetric grid's cells, metres."""
NODATA = -1.0
"""Nodata value of the population GeoTIFF (cells outside the boundary)."""


@dataclass(frozen=True)
class PopulationGrid:
    """Persons per cell on a north-up grid.

    Attributes
    ----------
    persons : ndarray of float32, shape (rows, cols)
        Persons per cell; :data:`NODATA` outside the boundary.
    transform : Affine
        Pixel-to-CRS transform (upper-left corner origin).
    crs : CRS
        The grid's projected CRS (the county's GK zone).
    """

    persons: npt.NDArray[np.float32]
    transform: Affine
    crs: CRS

    @property
    def total(self) -> float:
        """Sum of persons over valid cells (float64 accumulation)."""
        valid = self.persons[self.persons != NODATA]
        return float(valid.astype(np.float64).sum())


@dataclass(frozen=True)
class RasterSummary:
    """What :func:`check_population_tif` found in a supplied GeoTIFF."""

    total: float
    crs: str
    width: int
    height: int


def residential_hectares(residential_metric: npt.NDArray[np.object_]) -> float:
    """Area of the union of residential polygons (metric CRS), hectares.

    >>> from shapely import box
    >>> import numpy as np
    >>> residential_hectares(np.array([box(0, 0, 100, 100), box(50, 0, 150, 100)], dtype=object))
    1.5
    """
    polys = np.asarray(residential_metric, dtype=object)
    if len(polys) == 0:
        return 0.0
    return float(shapely.union_all(polys).area) / 10_000.0


def dasymetric_grid(
    residential_metric: npt.NDArray[np.object_],
    boundary_metric: BaseGeometry,
    total: float,
    crs: CRS,
    *,
    cell_size_m: float = CELL_SIZE_M,
) -> PopulationGrid:
    """Spread ``total`` persons over residential land in square cells of ``cell_size_m``.

    Each cell gets ``total * a_cell / a_all``, where ``a_cell`` is the area of
    the (dissolved) residential land inside the cell and ``a_all`` the area of
    all residential land; the grid covers the boundary's bounds, aligned to
    multiples of ``cell_size_m``; cells outside the boundary are nodata.

    Raises
    ------
    ValidationError
        ``total`` is negative or not finite.
    EmptyInputError
        ``total`` is positive but there is no residential land to put it on.

    Examples
    --------
    One hectare of housing straddling two cells, 300 persons: 2/3 and 1/3.

    >>> from shapely import box
    >>> from pyproj import CRS
    >>> import numpy as np
    >>> grid = dasymetric_grid(np.array([box(0, 0, 150, 66.6666)], dtype=object),
    ...                        box(0, 0, 200, 100), 300.0, CRS.from_epsg(4547))
    >>> grid.persons.round(1).tolist(), grid.total
    ([[200.0, 100.0]], 300.0)
    """
    no_land = (
        "population: there is no residential land (landuse=residential) inside the boundary "
        "to spread the total over; supply a population GeoTIFF with --population"
    )
    return weighted_grid(
        [(residential_metric, 1.0)],
        boundary_metric,
        total,
        crs,
        cell_size_m=cell_size_m,
        empty_message=no_land,
    )


def weighted_grid(
    weighted_areas: list[tuple[npt.NDArray[np.object_], float]],
    boundary_metric: BaseGeometry,
    total: float,
    crs: CRS,
    *,
    cell_size_m: float = CELL_SIZE_M,
    empty_message: str = "population: no land to spread the total over",
) -> PopulationGrid:
    """Spread ``total`` over cells in proportion to the weighted area of polygon layers.

    ``weighted_areas`` is a list of ``(polygons, weight)``: each layer is
    dissolved, and a cell's share is the sum over layers of ``weight`` x the
    layer's area inside the cell.

    Examples
    --------
    A 1 ha built-up square over two cells and a 50 m x 100 m building in the
    east cell counting 4 more per m²: 0.5 ha vs 0.5 ha + 4 x 0.5 ha, so 1/6 and 5/6.

    >>> from shapely import box
    >>> from pyproj import CRS
    >>> import numpy as np
    >>> land = np.array([box(0, 0, 200, 50)], dtype=object)
    >>> house = np.array([box(100, 0, 200, 50)], dtype=object)
    >>> grid = weighted_grid([(land, 1.0), (house, 4.0)], box(0, 0, 200, 100), 600.0,
    ...                      CRS.from_epsg(4547))
    >>> grid.persons.round(1).tolist()
    [[100.0, 500.0]]
    """
    if not math.isfinite(total) or total < 0:
        msg = f"population total {total} is negative or not a number; give a count of persons >= 0"
        raise ValidationError(msg)
    transform, rows, cols = _grid_for(boundary_metric, cell_size_m)
    cells = _cell_boxes(transform, rows, cols, cell_size_m)
    tree = shapely.STRtree(cells)
    weight = np.zeros(len(cells), dtype=np.float64)
    for polygons, factor in weighted_areas:
        polys = np.asarray(polygons, dtype=object)
        land = shapely.get_parts(shapely.union_all(polys)) if len(polys) else polys
        land = land[shapely.area(land) > 0] if len(land) else land
        if len(land) == 0 or factor <= 0:
            continue
        land_idx, cell_idx = tree.query(land, predicate="intersects")
        areas = shapely.area(shapely.intersection(land[land_idx], cells[cell_idx]))
        weight += factor * np.bincount(cell_idx, weights=areas, minlength=len(cells))
    if weight.sum() <= 0 and total > 0:
        raise EmptyInputError(empty_message)
    persons = total * weight / weight.sum() if weight.sum() > 0 else weight
    shapely.prepare(boundary_metric)
    outside = ~shapely.intersects(boundary_metric, cells)
    persons[outside] = NODATA
    grid = persons.reshape(rows, cols).astype(np.float32)
    return PopulationGrid(grid, transform, crs)


def built_up_weights(
    built_up_metric: BaseGeometry,
    not_housing_metric: npt.NDArray[np.object_],
    buildings_metric: npt.NDArray[np.object_],
    *,
    building_weight: float = BUILDING_WEIGHT,
) -> list[tuple[npt.NDArray[np.object_], float]]:
    """Weighted layers for spreading a total over the built-up area (thin residential land).

    The built-up area less land where nobody lives (parks, green space, sports
    grounds, water, industrial and railway land) counts 1 per m²; mapped
    building footprints inside it count ``building_weight`` more per m².

    >>> from shapely import box
    >>> import numpy as np
    >>> layers = built_up_weights(box(0, 0, 100, 100), np.array([box(0, 0, 50, 100)], dtype=object),
    ...                           np.array([box(60, 0, 70, 10)], dtype=object))
    >>> [(round(float(shapely.area(g).sum())), w) for g, w in layers]
    [(5000, 1.0), (100, 4.0)]
    """
    excluded = np.asarray(not_housing_metric, dtype=object)
    habitable = (
        shapely.difference(built_up_metric, shapely.union_all(excluded))
        if len(excluded)
        else built_up_metric
    )
    layers: list[tuple[npt.NDArray[np.object_], float]] = [
        (np.array([habitable], dtype=object), 1.0)
    ]
    houses = np.asarray(buildings_metric, dtype=object)
    if len(houses):
        inside = shapely.intersection(houses, habitable)
        inside = inside[~shapely.is_empty(inside)]
        if len(inside):
            layers.append((inside, building_weight))
    return layers


def _grid_for(boundary: BaseGeometry, cell_size_m: float) -> tuple[Affine, int, int]:
    """North-up grid covering ``boundary``'s bounds, corners on multiples of the cell size."""
    minx, miny, maxx, maxy = boundary.bounds
    x0 = math.floor(minx / cell_size_m) * cell_size_m
    y0 = math.floor(miny / cell_size_m) * cell_size_m
    x1 = max(math.ceil(maxx / cell_size_m) * cell_size_m, x0 + cell_size_m)
    y1 = max(math.ceil(maxy / cell_size_m) * cell_size_m, y0 + cell_size_m)
    cols = round((x1 - x0) / cell_size_m)
    rows = round((y1 - y0) / cell_size_m)
    return Affine(cell_size_m, 0.0, x0, 0.0, -cell_size_m, y1), rows, cols


def _cell_boxes(
    transform: Affine, rows: int, cols: int, cell_size_m: float
) -> npt.NDArray[np.object_]:
    """Cell polygons in row-major order."""
    col, row = np.meshgrid(np.arange(cols), np.arange(rows))
    left = transform.c + col.ravel() * cell_size_m
    top = transform.f - row.ravel() * cell_size_m
    return np.asarray(shapely.box(left, top - cell_size_m, left + cell_size_m, top), dtype=object)


def write_population_tif(grid: PopulationGrid, path: str | Path) -> None:
    """Write ``grid`` as a single-band float32 GeoTIFF (nodata :data:`NODATA`, deflate)."""
    rows, cols = grid.persons.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs=grid.crs.to_wkt(),
        transform=grid.transform,
        nodata=NODATA,
        compress="deflate",
    ) as dst:
        dst.write(grid.persons, 1)
        dst.update_tags(units="persons per cell")


def check_population_tif(path: str | Path) -> RasterSummary:
    """Check a supplied population GeoTIFF: readable, has a CRS, no negative persons.

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    CrsError
        The raster has no CRS.
    ValidationError
        A valid (non-nodata) cell is negative.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found; check the --population path"
        raise InputFileError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(path)
    except RasterioIOError as exc:
        msg = f"{path.name}: not a readable raster ({exc}); supply a GeoTIFF of persons per cell"
        raise InputFileError(msg) from exc
    with src:
        if src.crs is None:
            msg = (
                f"{path.name}: the raster has no CRS; add one "
                "(e.g. `gdal_edit.py -a_srs EPSG:4547 FILE.tif`) or export it with its CRS"
            )
            raise CrsError(msg)
        band = src.read(1, masked=True).astype(np.float64)
        crs = src.crs.to_string()
        width, height = src.width, src.height
    values = np.ma.masked_invalid(band).compressed()
    if values.size and values.min() < 0:
        msg = (
            f"{path.name}: {int((values < 0).sum())} cell(s) have a negative population "
            f"(minimum {values.min():g}); persons per cell must be >= 0 (mark no-data cells "
            "with the raster's nodata value)"
        )
        raise ValidationError(msg)
    return RasterSummary(float(values.sum()), crs, width, height)
