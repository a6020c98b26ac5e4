"""Projected indicators (项目建成后) of the embedded county: four made-up passed projects.

The projects are drawn from the workspace itself, so the run is reproducible: a 100 m x 100 m
park at the built-up area's representative point, a road joining the closest two dead-end
walk nodes 100-300 m apart, a sports facility at the first suggested fitness site and 200
parking spaces.  Prints now → projected per indicator and the grade, and times
``apply_projects`` and ``project_indicators`` (with the current results given, as the app
passes its cached ones, and without).

    .venv/bin/python -m benchmarks.bench_projection [--repeat 5]
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from benchmarks.common import from_scratch, load_demo_metric, table, timed
from gis.indicators import compute_all
from gis.projection import apply_projects, project_indicators
from gis.settings import IndicatorSettings
from gis.workspace import Workspace


def demo_projects(ws: Workspace, settings: IndicatorSettings) -> gpd.GeoDataFrame:
    """Four passed projects drawn from ``ws`` (metric CRS), returned in EPSG:4326."""
    centre = ws.layers["built_up"].geometry.union_all().representative_point()
    park = shapely.box(centre.x, centre.y, centre.x + 100, centre.y + 100)
    nodes = ws.layers["walk_nodes"]
    ends = nodes[nodes["degree"] == 1]
    xy = shapely.get_coordinates(np.asarray(ends.geometry.values, dtype=object))
    pairs = np.array(sorted(cKDTree(xy).query_pairs(300.0)))
    gaps = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    a, b = pairs[gaps >= 100.0][np.argmin(gaps[gaps >= 100.0])]
    road = shapely.LineString([xy[a], xy[b]])
    fitness = next(r for r in compute_all(ws, settings) if r.id == "fitness_15min_coverage")
    site = fitness.details["suggested_sites"][0]
    gym = shapely.Point(site["x_m"], site["y_m"])
    return gpd.GeoDataFrame(
        {
            "project_id": ["B-P1", "B-R1", "B-S1", "B-K1"],
            "name": ["样例公园", "样例道路", "样例体育场", "样例停车场"],
            "category": ["公园绿地", "道路", "体育", "停车"],
            "investment_wan_yuan": [500.0, 800.0, 1200.0, 300.0],
            "progress_pct": [0.0, 0.0, 0.0, 0.0],
            "status": ["储备", "在建", "储备", "储备"],
            "review_status": ["已通过"] * 4,
            "parking_spaces": [None, None, None, 200],
        },
        geometry=gpd.GeoSeries([park, road, gym, centre], crs=ws.metric_crs),
    ).to_crs(4326)


@from_scratch
def main(argv: list[str] | None = None) -> int:
    """Print the projected figures and the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    settings = IndicatorSettings()
    ws = load_demo_metric()
    projects = demo_projects(ws, settings)
    now = compute_all(ws, settings)
    apply_s, _ = timed(lambda: apply_projects(ws, projects), args.repeat)
    now_s, _ = timed(lambda: compute_all(ws, settings), args.repeat)
    cached_s, result = timed(
        lambda: project_indicators(ws, projects, settings, now=now), args.repeat
    )
    cold_s, _ = timed(lambda: project_indicators(ws, projects, settings), args.repeat)
    out = result.to_dict()
    rows = [
        [i["id"], f"{i['now']}", f"{i['projected']}", f"{i['delta']}"] for i in out["indicators"]
    ]
    print(table(rows, ["indicator", "now", "projected", "delta"]))
    grade = out["grade"]
    print(
        f"grade {grade['now']} {grade['score_now']} → {grade['projected']} "
        f"{grade['score_projected']}"
    )
    for p in out["projects"]:
        print(f"  {p['project_id']} {p['outcome']} {p['note_en']}")
    print(f"median of {args.repeat}")
    print(
        table(
            [
                ["apply_projects (4 projects)", f"{apply_s:.3f}"],
                ["compute_all (now)", f"{now_s:.3f}"],
                ["project_indicators, now given", f"{cached_s:.3f}"],
                ["project_indicators, now computed too", f"{cold_s:.3f}"],
            ],
            ["step", "seconds"],
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
