"""SAMPLE planning layers for a demonstration workspace, placed on the county's real features.

No county publishes its regulatory plans, key areas, urban designs and
阳光规划 disclosures as open data, so a demonstration workspace gets made-up
ones that exercise the planning indicators and the public map.  They are
deterministic (no randomness: the same input gives the same layers), every
feature has ``sample = True`` and a name or title starting with
:data:`SAMPLE_PREFIX` (【样例】, "sample"), and the workspace metadata gives
their provenance as ``sample``.  They are never generated unless asked for
(``--with-sample-layers``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

SAMPLE_PREFIX = "【样例】"
PLAN_UNIT_M = 500.0
"""Side of the square sample regulatory-plan units, metres."""
MIN_UNIT_M2 = 20_000.0
"""Sample plan units whose clipped area is under 2 ha are dropped."""
UNPLANNED_SHARE = 0.2
"""Share of the built-up area's width (its east end) left without a sample plan."""
CENTRE_RADIUS_M = 500.0
CORRIDOR_HALF_WIDTH_M = 60.0
WATERFRONT_HALF_WIDTH_M = 100.0
ENTRANCE_RADIUS_M = 300.0
DISCLOSURE_TYPES = ("编制", "修改", "审批", "规划许可", "违法建设查处")
RECORDS_PER_TYPE = 4
AUTHORITY = f"{SAMPLE_PREFIX}示范区自然资源和规划局"
_FIRST_APPROVAL = dt.date(2016, 3, 15)
_FIRST_RECORD = dt.date(2024, 1, 8)
_MAIN_ROAD_CLASSES = ("expressway", "arterial", "secondary")


@dataclass(frozen=True)
class SampleInputs:
    """The real layers the samples are placed on, all in the same metric CRS."""

    boundary: BaseGeometry
    built_up: BaseGeometry
    roads: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    residential: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    crs: Any


def make_sample_layers(inputs: SampleInputs) -> dict[str, gpd.GeoDataFrame]:
    """The four sample layers: ``plans``, ``key_areas``, ``urban_designs``, ``disclosures``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box, LineString
    >>> roads = gpd.GeoDataFrame({"name": ["大道"], "road_class": ["arterial"]},
    ...     geometry=[LineString([(0, 1000), (3000, 1000)])], crs=4547)
    >>> empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs=4547)
    >>> layers = make_sample_layers(SampleInputs(box(0, 0, 3000, 2000), box(0, 0, 3000, 2000),
    ...     roads, empty, empty, empty, 4547))
    >>> len(layers["plans"]), sorted(layers["plans"]["status"].unique())
    (20, ['approved', 'draft'])
    >>> bool(layers["disclosures"]["sample"].all()), len(layers["disclosures"])
    (True, 20)
    """
    plans = sample_plans(inputs.built_up, crs=inputs.crs)
    key_areas = sample_key_areas(inputs)
    designs = sample_urban_designs(key_areas)
    disclosures = sample_disclosures(plans, inputs)
    return {
        "plans": plans,
        "key_areas": key_areas,
        "urban_designs": designs,
        "disclosures": disclosures,
    }


def sample_plans(
    built_up: BaseGeometry, *, crs: Any, unit_m: float = PLAN_UNIT_M
) -> gpd.GeoDataFrame:
    """Square regulatory-plan units over the built-up area, its east end left unplanned.

    Units are ``unit_m`` squares aligned to multiples of ``unit_m`` and clipped
    to the built-up area; units whose centre lies in the easternmost
    :data:`UNPLANNED_SHARE` of the area's width are left out (a planning gap);
    every fourth remaining unit is a ``draft``, the rest are ``approved`` with
    an approval date between 2016 and 2019.
    """
    columns = ["plan_id", "name", "status", "approved_on", "sample"]
    if built_up.is_empty:
        return _empty(columns, crs)
    minx, miny, maxx, maxy = built_up.bounds
    x0, y0 = math.floor(minx / unit_m) * unit_m, math.floor(miny / unit_m) * unit_m
    cols = max(1, math.ceil((maxx - x0) / unit_m))
    rows = max(1, math.ceil((maxy - y0) / unit_m))
    col, row = np.meshgrid(np.arange(cols), np.arange(rows)[::-1])
    left, bottom = x0 + col.ravel() * unit_m, y0 + row.ravel() * unit_m
    cells = shapely.box(left, bottom, left + unit_m, bottom + unit_m)
    east_limit = maxx - UNPLANNED_SHARE * (maxx - minx)
    planned = (left + unit_m / 2) < east_limit
    units = shapely.intersection(cells[planned], built_up)
    units = np.asarray([_polygonal(u) for u in units], dtype=object)
    keep = shapely.area(units) >= MIN_UNIT_M2
    units, row_no, col_no = units[keep], row.ravel()[planned][keep], col.ravel()[planned][keep]
    records = []
    for i, (unit_row, unit_col) in enumerate(zip(row_no, col_no, strict=True)):
        label = f"{chr(ord('A') + int(rows - 1 - unit_row) % 26)}-{int(unit_col) + 1:02d}"
        draft = i % 4 == 3
        approved_on = (
            "" if draft else (_FIRST_APPROVAL + dt.timedelta(days=(97 * i) % 1400)).isoformat()
        )
        records.append(
            {
                "plan_id": f"SAMPLE-KG-{label}",
                "name": f"{SAMPLE_PREFIX}控制性详细规划 {label} 单元",
                "status": "draft" if draft else "approved",
                "approved_on": approved_on,
                "sample": True,
            }
        )
    return gpd.GeoDataFrame(pd.DataFrame(records, columns=columns), geometry=list(units), crs=crs)


def _longest_named(lines: gpd.GeoDataFrame) -> tuple[str, BaseGeometry] | None:
    """The name and merged geometry of the named feature with the greatest total length."""
    named = lines[lines["name"].fillna("").astype(str) != ""]
    if named.empty:
        return None
    lengths = named.geometry.length.groupby(named["name"].to_numpy()).sum()
    best = sorted(lengths.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return str(best), shapely.union_all(named.geometry[named["name"] == best].to_numpy())


def sample_key_areas(inputs: SampleInputs) -> gpd.GeoDataFrame:
    """Key areas (重点地区) taken from real features: centre, main road, waterfront, entrance.

    - centre (中心区): a :data:`CENTRE_RADIUS_M` disc around the urban road
      closest to the built-up area's centroid;
    - main_road (主要道路沿线): the longest named expressway/arterial/secondary
      road, :data:`CORRIDOR_HALF_WIDTH_M` either side;
    - waterfront (滨水区): the longest named river or canal,
      :data:`WATERFRONT_HALF_WIDTH_M` either side;
    - entrance (城市出入口): a :data:`ENTRANCE_RADIUS_M` disc where the main road
      leaves the built-up area, farthest from the centre (clipped to the boundary).

    The others are clipped to the built-up area; kinds with no feature to stand
    on are left out.
    """
    columns = ["name", "kind", "sample"]
    built_up, records, geoms = inputs.built_up, [], []
    if built_up.is_empty:
        return _empty(columns, inputs.crs)
    roads = inputs.roads
    urban = roads[roads["road_class"] != "other"] if "road_class" in roads else roads
    centroid = built_up.centroid
    centre = centroid
    if len(urban):
        nearest = shapely.shortest_line(centroid, shapely.union_all(urban.geometry.to_numpy()))
        centre = shapely.Point(nearest.coords[-1])

    def add(name: str, kind: str, geom: BaseGeometry, *, clip: bool = True) -> None:
        clipped = _polygonal(shapely.intersection(geom, built_up) if clip else geom)
        if not clipped.is_empty:
            records.append(
                {"name": f"{SAMPLE_PREFIX}重点地区：{name}", "kind": kind, "sample": True}
            )
            geoms.append(clipped)

    add("中心区", "centre", centre.buffer(CENTRE_RADIUS_M))
    main = urban[urban["road_class"].isin(_MAIN_ROAD_CLASSES)] if "road_class" in urban else urban
    main_road = _longest_named(main)
    if main_road is not None:
        name, line = main_road
        add(f"{name}沿线", "main_road", line.buffer(CORRIDOR_HALF_WIDTH_M))
    water_lines = inputs.water[
        inputs.water.geometry.geom_type.isin(["LineString", "MultiLineString"])
    ]
    river = _longest_named(water_lines)
    if river is not None:
        name, line = river
        add(f"{name}滨水区", "waterfront", line.buffer(WATERFRONT_HALF_WIDTH_M))
    if main_road is not None:
        crossings = shapely.get_coordinates(shapely.intersection(main_road[1], built_up.boundary))
        if len(crossings):
            far = crossings[
                np.argmax(np.hypot(crossings[:, 0] - centre.x, crossings[:, 1] - centre.y))
            ]
            gate = shapely.intersection(
                shapely.Point(far).buffer(ENTRANCE_RADIUS_M), inputs.boundary
            )
            add(f"{main_road[0]}城市出入口", "entrance", gate, clip=False)
    return gpd.GeoDataFrame(pd.DataFrame(records, columns=columns), geometry=geoms, crs=inputs.crs)


def sample_urban_designs(key_areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Urban designs covering some key areas.

    The centre (approved), the west half of the main-road corridor (approved) and the
    waterfront (draft); the entrance has none.
    """
    columns = ["name", "status", "sample"]
    records, geoms = [], []
    for row in key_areas.itertuples():
        geom: BaseGeometry = row.geometry
        if row.kind == "centre":
            status = "approved"
        elif row.kind == "main_road":
            minx, miny, maxx, maxy = geom.bounds
            geom = _polygonal(
                shapely.intersection(geom, shapely.box(minx, miny, (minx + maxx) / 2, maxy))
            )
            status = "approved"
        elif row.kind == "waterfront":
            status = "draft"
        else:
            continue
        if geom.is_empty:
            continue
        area_name = str(row.name).removeprefix(f"{SAMPLE_PREFIX}重点地区：")
        records.append(
            {"name": f"{SAMPLE_PREFIX}城市设计：{area_name}", "status": status, "sample": True}
        )
        geoms.append(geom)
    return gpd.GeoDataFrame(
        pd.DataFrame(records, columns=columns), geometry=geoms, crs=key_areas.crs
    )


def _places(gdf: gpd.GeoDataFrame, fallback: str) -> list[tuple[str, BaseGeometry]]:
    """(name, point on the feature) for each feature, named ones first, in a stable order."""
    if gdf.empty:
        return []
    names = gdf["name"].fillna("").astype(str).to_numpy() if "name" in gdf else [""] * len(gdf)
    points = shapely.point_on_surface(gdf.geometry.to_numpy())
    order = sorted(range(len(gdf)), key=lambda i: (names[i] == "", i))
    return [(names[i] or fallback, points[i]) for i in order]


def sample_disclosures(plans: gpd.GeoDataFrame, inputs: SampleInputs) -> gpd.GeoDataFrame:
    """阳光规划 records: :data:`RECORDS_PER_TYPE` of each type in :data:`DISCLOSURE_TYPES`.

    Plan compilation, amendment and approval records sit on sample plan units
    (draft units for compilation); permits on real residential land; enforcement
    cases on real residential land and parks.  Half of the enforcement cases and
    one permit are not public (``public = False``), so the public map must hide them.
    """
    columns = ["record_id", "type", "title", "doc_number", "date", "authority", "public", "sample"]
    plan_places = _places(plans, "规划单元")
    draft = plans["status"].to_numpy() == "draft" if len(plans) else np.array([], dtype=bool)
    draft_places = [p for p, d in zip(plan_places, draft, strict=True) if d] or plan_places
    approved_places = [p for p, d in zip(plan_places, draft, strict=True) if not d] or plan_places
    housing = _places(inputs.residential, "住宅用地")
    parks = _places(inputs.parks, "公园")
    anywhere = (
        [("建成区", inputs.built_up.representative_point())]
        if not inputs.built_up.is_empty
        else [("示范区", inputs.boundary.representative_point())]
    )
    sites = {
        "编制": draft_places or anywhere,
        "修改": approved_places[::-1] or anywhere,
        "审批": approved_places or anywhere,
        "规划许可": housing or anywhere,
        "违法建设查处": (housing[4:6] or housing[:2]) + parks[:2] or anywhere,
    }
    titles = {
        "编制": "{}控制性详细规划编制草案公示",
        "修改": "{}控制性详细规划局部修改公示",
        "审批": "{}控制性详细规划批后公布",
        "规划许可": "{}建设工程规划许可证",
        "违法建设查处": "{}违法建设查处决定",
    }
    records, geoms = [], []
    for t, kind in enumerate(DISCLOSURE_TYPES):
        places = sites[kind]
        for k in range(RECORDS_PER_TYPE):
            number = t * RECORDS_PER_TYPE + k + 1
            name, point = places[k % len(places)]
            date = _FIRST_RECORD + dt.timedelta(days=17 * number)
            public = not (
                (kind == "违法建设查处" and k % 2 == 1) or (kind == "规划许可" and k == 3)
            )
            records.append(
                {
                    "record_id": f"SAMPLE-{date.year}-{number:03d}",
                    "type": kind,
                    "title": SAMPLE_PREFIX + titles[kind].format(_short(name)),
                    "doc_number": f"{SAMPLE_PREFIX}示规〔{date.year}〕{number}号",
                    "date": date.isoformat(),
                    "authority": AUTHORITY,
                    "public": public,
                    "sample": True,
                }
            )
            geoms.append(point)
    return gpd.GeoDataFrame(pd.DataFrame(records, columns=columns), geometry=geoms, crs=inputs.crs)


def _short(name: str) -> str:
    """A place name without the sample prefix, for use inside a title."""
    return name.replace(SAMPLE_PREFIX, "").replace("控制性详细规划 ", "")


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygonal parts of ``geom``."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _empty(columns: list[str], crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=[], crs=crs)
