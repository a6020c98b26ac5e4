"""Built-up area: the land-use method against the road method on the land-use-rich demo.

``python -m benchmarks.compare_built_up`` prints the areas, their IoU and the road
density each gives (issue 9: IoU >= 0.6, densities within 15 %).  The evidence is the
workspace's urban land use, parks and sports areas (buildings are not stored in the
workspace; the Chengdu extract maps few).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from benchmarks.common import load_demo_metric
from gis.builtup import compare_methods
from gis.indicators.road_density import compute_road_density
from gis.settings import DEFAULT_SETTINGS, URBAN_LANDUSE
from gis.workspace import Workspace


def evidence_and_roads(ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """Urban evidence polygons and urban-class roads of a workspace in its GK zone."""
    landuse, sports = ws.layers["landuse"], ws.layers["sports"]
    areas = np.concatenate(
        [
            landuse.geometry[landuse["landuse"].isin(list(URBAN_LANDUSE))].to_numpy(),
            ws.layers["parks"].geometry.to_numpy(),
            sports.geometry[sports.geometry.geom_type != "Point"].to_numpy(),
        ]
    )
    roads = ws.layers["roads"]
    return areas, roads.geometry[roads["road_class"] != "other"].to_numpy()


def density_km_per_km2(ws: Workspace, area: object) -> float:
    """Road density (the indicator's own code) on ``area``."""
    built_up = gpd.GeoDataFrame(geometry=[area], crs=ws.layers["roads"].crs)
    result = compute_road_density(
        ws.layers["roads"], built_up, settings=DEFAULT_SETTINGS, provenance={}
    )
    return float(result.value or 0.0)


def main() -> int:
    ws = load_demo_metric()
    areas, roads = evidence_and_roads(ws)
    boundary = ws.layers["boundary"].geometry.iloc[0]
    cmp = compare_methods(areas, roads, boundary)
    d_land, d_road = density_km_per_km2(ws, cmp.landuse), density_km_per_km2(ws, cmp.roads)
    diff = abs(d_road - d_land) / d_land
    print("built-up area on the demo (成都北部示范区), land-use method vs road method")
    print(
        f"  land-use method  {cmp.landuse.area / 1e6:7.3f} km²  road density {d_land:5.2f} km/km²"
    )
    print(f"  road method      {cmp.roads.area / 1e6:7.3f} km²  road density {d_road:5.2f} km/km²")
    print(f"  IoU {cmp.iou:.3f} (target >= 0.6); density difference {diff:.1%} (target <= 15 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
