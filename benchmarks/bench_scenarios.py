"""What-if scenarios (情景模拟): time from one edit to the updated indicator table.

For each edit kind (a sports facility added, a 1 ha park drawn, a road drawn between two walk
nodes, a facility deleted, the population of an 800 m disc doubled) at ``--edits`` places
drawn reproducibly (seeded) inside the built-up area, times

* ``scenario``: :func:`gis.scenarios.evaluate` as the app calls it (current results cached,
  metric workspace cached): the edit applied to a copy, only the indicators whose inputs it
  touched recomputed, both grades and the rank;
* ``baseline``: the same edit applied and every indicator recomputed
  (:func:`gis.indicators.compute_all`, with the indicators' kept state switched off,
  :func:`gis.indicators._state.disabled`) and graded, measured in the same run;

and ``api``: ``POST /api/v1/counties/<c>/scenarios/evaluate`` through the Flask test client
(auth, JSON in and out included), what the page waits for, on every workspace timed.
Prints p50 / p95 (ms) per kind and over all edits, and baseline ÷ scenario.

    .venv/bin/python -m benchmarks.bench_scenarios [--edits 20] [--mosaic-km2 1000]

``--edits 0`` skips the demonstration workspace, ``--mosaic-km2 0`` the mosaic.  The mosaic
is the demonstration workspace tiled (:mod:`benchmarks.mosaic_workspace`), built in a
temporary folder in seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from benchmarks.common import demo_workspace_dir, table
from gis.assessment import assess
from gis.indicators import compute_all
from gis.indicators._state import disabled as kept_state_disabled
from gis.scenarios import apply_edits, evaluate, parse_edits
from gis.settings import IndicatorSettings
from gis.workspace import Workspace

KINDS = ("sports", "park", "road", "delete", "population")


def _lonlat(ws: Workspace, geom: Any) -> dict[str, Any]:
    return dict(mapping(gpd.GeoSeries([geom], crs=ws.metric_crs).to_crs(4326).iloc[0]))


def edit_sets(ws: Workspace, n: int, seed: int = 7) -> dict[str, list[list[dict[str, Any]]]]:
    """``n`` single-edit scenarios per kind, placed inside the built-up area (seeded)."""
    rng = np.random.default_rng(seed)
    area = shapely.union_all(ws.layers["built_up"].geometry.values)
    x0, y0, x1, y1 = area.bounds
    points: list[shapely.Point] = []
    while len(points) < n:
        p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if area.contains(p):
            points.append(p)
    nodes = ws.layers["walk_nodes"]
    xy = shapely.get_coordinates(np.asarray(nodes.geometry.values, dtype=object))
    sports = len(ws.layers["sports"])
    out: dict[str, list[list[dict[str, Any]]]] = {k: [] for k in KINDS}
    for i, p in enumerate(points):
        near = np.argsort(np.hypot(*(xy - [p.x, p.y]).T))[:40]
        a, b = xy[near[0]], xy[near[-1]]
        out["sports"].append(
            [{"op": "add", "layer": "sports", "facility_type": "pitch", "geometry": _lonlat(ws, p)}]
        )
        park = shapely.box(p.x, p.y, p.x + 100, p.y + 100)
        out["park"].append([{"op": "add", "layer": "parks", "geometry": _lonlat(ws, park)}])
        road = shapely.LineString([a, b])
        out["road"].append([{"op": "add", "layer": "roads", "geometry": _lonlat(ws, road)}])
        out["delete"].append([{"op": "delete", "layer": "sports", "feature": i % sports}])
        disc = p.buffer(800)
        out["population"].append(
            [{"op": "population", "factor": 2.0, "geometry": _lonlat(ws, disc)}]
        )
    return out


def _ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def run_workspace(
    ws: Workspace, n: int, label: str, api: Callable[[list[dict[str, Any]]], Any] | None = None
) -> list[list[str]]:
    """Rows of the timing table for one workspace."""
    settings = IndicatorSettings()
    now = compute_all(ws, settings)
    sets = edit_sets(ws, n)
    rows: list[list[str]] = []
    every: dict[str, list[float]] = {"scenario": [], "baseline": [], "api": []}
    for kind in KINDS:
        times: dict[str, list[float]] = {"scenario": [], "baseline": [], "api": []}
        for raw in sets[kind]:
            edits = parse_edits(raw)
            times["scenario"].append(_ms(lambda e=edits: evaluate(ws, e, settings, before=now)))

            def full(e: Any = edits) -> None:
                with kept_state_disabled():  # a full recomputation: no kept indicator state
                    after = compute_all(apply_edits(ws, e).workspace, settings)
                assess(now), assess(after)

            times["baseline"].append(_ms(full))
            if api is not None:
                times["api"].append(_ms(lambda r=raw: api(r)))
        for key in every:
            every[key] += times[key]
        rows.append(_row(label, kind, times))
    rows.append(_row(label, "all edits", every))
    return rows


def _row(label: str, kind: str, times: dict[str, list[float]]) -> list[str]:
    s, b, a = times["scenario"], times["baseline"], times["api"]
    ratio = statistics.median(b) / statistics.median(s) if s and b else float("nan")
    return [
        label,
        kind,
        str(len(s)),
        f"{_pct(s, 50):.0f}",
        f"{_pct(s, 95):.0f}",
        f"{_pct(a, 50):.0f}" if a else "-",
        f"{_pct(a, 95):.0f}" if a else "-",
        f"{_pct(b, 50):.0f}",
        f"{_pct(b, 95):.0f}",
        f"{ratio:.1f}x",
    ]


def county_api(folder: Path) -> Callable[[list[dict[str, Any]]], Any]:
    """A POST of the evaluate route for the workspace ``folder`` (Flask test client, staff)."""
    from app import create_app

    instance = Path(tempfile.mkdtemp(prefix="bench-scenarios-"))
    app = create_app(
        {
            "WORKSPACES_DIR": str(folder.parent),
            "TESTING": True,
            "USERS_DB": str(instance / "users.sqlite"),
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(instance),
    )
    runner = app.test_cli_runner()
    county = folder.name
    runner.invoke(
        args=[
            "users",
            "create",
            "bench",
            "--role",
            "staff",
            "--county",
            county,
            "--password-stdin",
        ],
        input="bench password 123456\n",
    )
    token = runner.invoke(args=["users", "token", "bench"]).output.strip()
    client = app.test_client()
    url = f"/api/v1/counties/{county}/scenarios/evaluate"
    headers = {"Authorization": f"Bearer {token}"}
    client.post(url, json={"edits": []}, headers=headers)  # the current results cached, as in use

    def post(raw: list[dict[str, Any]]) -> Any:
        resp = client.post(url, json={"edits": raw}, headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        return resp

    return post


def main(argv: list[str] | None = None) -> int:
    """Print the timing table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20, help="scenarios per edit kind [20]")
    parser.add_argument("--mosaic-km2", type=float, default=1000.0, help="mosaic area [1000]")
    parser.add_argument("--mosaic-edits", type=int, default=5, help="per kind on the mosaic [5]")
    parser.add_argument(
        "--workspace",
        type=Path,
        action="append",
        default=[],
        help="also time an ingested workspace (repeatable; --mosaic-edits edits per kind)",
    )
    args = parser.parse_args(argv)
    from gis.io import read_workspace

    head = [
        "workspace",
        "edit",
        "n",
        "scenario p50",
        "p95",
        "api p50",
        "p95",
        "baseline p50",
        "p95",
        "baseline/scenario",
    ]
    if args.edits > 0:
        demo = read_workspace(demo_workspace_dir()).to_metric()
        rows = run_workspace(demo, args.edits, "demo", county_api(demo_workspace_dir()))
        print(table(rows, head), flush=True)
    for folder in args.workspace:
        ws = read_workspace(folder).to_metric()
        label = str(ws.metadata.get("name") or folder.name)
        rows = run_workspace(ws, args.mosaic_edits, label, county_api(folder))
        print(table(rows, head), flush=True)
    if args.mosaic_km2 > 0:
        from benchmarks.mosaic_workspace import build_mosaic_workspace

        tmp = Path(tempfile.mkdtemp(prefix="bench-scenarios-mosaic-"))
        try:
            built = build_mosaic_workspace(args.mosaic_km2, tmp / "mosaic")
            big = read_workspace(built["path"]).to_metric()
            label = f"mosaic {args.mosaic_km2:g} km²"
            api = county_api(Path(built["path"]))
            print(table(run_workspace(big, args.mosaic_edits, label, api), head), flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        "milliseconds; scenario = gis.scenarios.evaluate with the current results cached; "
        "api = POST .../scenarios/evaluate (test client); baseline = apply + compute_all"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
