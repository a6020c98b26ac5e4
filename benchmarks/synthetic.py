"""Synthetic street-grid workspaces for the benchmarks (not used by the product).

A square grid of walk nodes ``spacing_m`` apart in the Henan GK zone (EPSG:4547),
joined to their four neighbours, with a fixed share of street segments removed at
random (so routes detour as in a real city), population in 100 m cells (centred on
nodes: the 50 m grid puts a node at every cell centre) and sports facilities at
random points, both proportional to the number of nodes.  Everything
is seeded, so every run builds the same grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from gis.workspace import PopulationCells

CRS_GK = CRS.from_epsg(4547)
X0, Y0 = 500_000.0, 3_850_000.0


@dataclass(frozen=True)
class GridArrays:
    """The grid as plain arrays (what the kernel benchmarks need)."""

    node_xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    facility_xy: np.ndarray
    cell_xy: np.ndarray
    persons: np.ndarray
    cell_m: float

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)


def grid_arrays(
    n_nodes: int,
    *,
    spacing_m: float = 50.0,
    drop_share: float = 0.1,
    nodes_per_facility: int = 1000,
    cell_m: float = 100.0,
    mean_persons: float = 60.0,
    seed: int = 2017,
) -> GridArrays:
    """A grid of about ``n_nodes`` nodes (``side = round(sqrt(n_nodes))``)."""
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(n_nodes)))
    ii, jj = np.meshgrid(np.arange(side), np.arange(side))
    node_xy = np.column_stack([X0 + ii.ravel() * spacing_m, Y0 + jj.ravel() * spacing_m])
    ids = (jj * side + ii).astype(np.int64)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(u)) >= drop_share
    u, v = u[keep], v[keep]
    # Streets are not straight: each segment is 1.0-1.3 times the node spacing.
    length_m = spacing_m * rng.uniform(1.0, 1.3, len(u))
    extent = (side - 1) * spacing_m
    n_fac = max(1, len(node_xy) // nodes_per_facility)
    facility_xy = np.column_stack(
        [X0 + rng.random(n_fac) * extent, Y0 + rng.random(n_fac) * extent]
    )
    n_cells = max(1, int(np.ceil(extent / cell_m)))
    ci, cj = np.meshgrid(np.arange(n_cells), np.arange(n_cells))
    cell_xy = np.column_stack([X0 + (ci.ravel() + 0.5) * cell_m, Y0 + (cj.ravel() + 0.5) * cell_m])
    persons = rng.poisson(mean_persons, len(cell_xy)).astype(np.float64)
    return GridArrays(node_xy, u, v, length_m, facility_xy, cell_xy, persons, cell_m)


def grid_layers(
    grid: GridArrays,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, PopulationCells]:
    """walk_nodes, walk_edges, sports and population as a loaded workspace holds them."""
    n = grid.n_nodes
    nodes = gpd.GeoDataFrame(
        {"node_id": np.arange(n, dtype=np.int64)},
        geometry=gpd.GeoSeries(shapely.points(grid.node_xy), crs=CRS_GK),
        crs=CRS_GK,
    )
    segments = np.stack([grid.node_xy[grid.u], grid.node_xy[grid.v]], axis=1)
    edges = gpd.GeoDataFrame(
        {"u": grid.u, "v": grid.v, "length_m": grid.length_m},
        geometry=gpd.GeoSeries(shapely.linestrings(segments), crs=CRS_GK),
        crs=CRS_GK,
    )
    sports = gpd.GeoDataFrame(
        {"leisure": ["pitch"] * len(grid.facility_xy)},
        geometry=gpd.GeoSeries(shapely.points(grid.facility_xy), crs=CRS_GK),
        crs=CRS_GK,
    )
    population = PopulationCells(
        grid.cell_xy[:, 0].copy(), grid.cell_xy[:, 1].copy(), grid.persons, grid.cell_m, CRS_GK
    )
    return nodes, edges, sports, population
