"""The in-memory county workspace: layers, population cells and metadata.

:func:`gis.io.read_workspace` builds it from a folder (docs/workspace.md);
:meth:`Workspace.to_metric` gives every layer in the county's GK zone, which is
what the indicators take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
from pyproj import CRS

REQUIRED_LAYERS = (
    "boundary",
    "built_up",
    "roads",
    "walk_nodes",
    "walk_edges",
    "parks",
    "green_space",
    "sports",
    "residential",
    "landuse",
)
OPTIONAL_LAYERS = (
    "plans",
    "key_areas",
    "urban_designs",
    "disclosures",
    "parking",
    "sewer_pipes",
    "projects",
    "facilities",
)


@dataclass(frozen=True)
class PopulationCells:
    """Population per raster cell, as cell centres in the workspace's metric CRS.

    Only cells with a positive population are kept.
    """

    x_m: npt.NDArray[np.float64]
    y_m: npt.NDArray[np.float64]
    persons: npt.NDArray[np.float64]
    cell_size_m: float
    crs: CRS

    @property
    def total(self) -> float:
        """Sum of persons."""
        return float(self.persons.sum())

    def translated(self, dx_m: float, dy_m: float) -> PopulationCells:
        """The same cells shifted by ``(dx_m, dy_m)`` (for invariance tests)."""
        return PopulationCells(
            self.x_m + dx_m, self.y_m + dy_m, self.persons, self.cell_size_m, self.crs
        )


@dataclass
class Workspace:
    """One county's layers (any CRS, all the same), population and metadata."""

    layers: dict[str, gpd.GeoDataFrame]
    metadata: dict[str, Any]
    population: PopulationCells | None = None
    path: str = ""
    metric_crs: CRS = field(default_factory=lambda: CRS.from_epsg(4326))

    @property
    def county_id(self) -> str:
        """Identifier used in URLs (metadata ``county_id``)."""
        return str(self.metadata.get("county_id", ""))

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        """The layer ``name`` or ``None`` when the workspace has none."""
        return self.layers.get(name)

    def to_metric(self) -> Workspace:
        """A copy with every layer reprojected to :attr:`metric_crs`."""
        layers = {k: v.to_crs(self.metric_crs) for k, v in self.layers.items()}
        return Workspace(layers, self.metadata, self.population, self.path, self.metric_crs)

    def provenance(self, name: str) -> str:
        """Provenance of a layer (osm, osm_derived, uploaded, estimated or sample)."""
        return str(self.metadata.get("layers", {}).get(name, {}).get("provenance", "unknown"))
