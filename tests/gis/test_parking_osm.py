"""Public car parks read from a hand-made OSM file (tests/data/ingest/parking.osm).

Counted: node 1 (capacity 50), way 10 (area, access=yes, capacity 120), node 2 (no capacity),
node 5 (capacity "50-60": not a number, kept without spaces).  Left out: node 3 access=private,
node 4 access=customers, way 11 parking=garage_boxes, node 6 amenity=parking_space, node 7
outside the box.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gis import osm
from gis.indicators.infrastructure import compute_parking_per_100_cars
from gis.settings import IndicatorSettings

PARKING_OSM = Path(__file__).resolve().parents[1] / "data" / "ingest" / "parking.osm"
BOX = shapely.box(104.060, 30.760, 104.070, 30.770)


@pytest.fixture(scope="module")
def parking() -> gpd.GeoDataFrame:
    return osm.parking_from_features(osm.read_osm_features(PARKING_OSM), BOX)


def test_public_car_parks_and_their_capacities(parking: gpd.GeoDataFrame) -> None:
    rows = parking.sort_values("osm_id")
    assert rows["osm_id"].tolist() == [1, 2, 5, 10]
    capacity = [None if pd.isna(v) else int(v) for v in rows["capacity_spaces"]]
    assert capacity == [50, None, None, 120]
    assert str(parking["capacity_spaces"].dtype) == "Int64"
    assert rows.geometry.geom_type.tolist() == ["Point", "Point", "Point", "Polygon"]
    assert rows.loc[rows["osm_id"] == 1, "name"].item() == "东门停车场"


def test_osm_car_parks_give_the_indicator_by_hand(parking: gpd.GeoDataFrame) -> None:
    metric = parking.to_crs(4544)  # CGCS2000 GK zone 102°E holds 104.06°E
    built_up = gpd.GeoDataFrame(geometry=[BOX], crs=4326).to_crs(4544)
    cars = {"value": 1700, "source": "hand", "year": 2020}
    r = compute_parking_per_100_cars(
        metric, built_up, cars, settings=IndicatorSettings(), provenance={"parking": "osm"}
    )
    # (50 + 120) spaces / 1,700 cars x 100 = 10.0: met, a lower bound (2 car parks unknown)
    assert r.value == pytest.approx(10.0) and r.passed is True
    assert r.details["car_parks_without_capacity"] == 2 and len(r.layer) == 2
    assert r.basis == "estimate"
