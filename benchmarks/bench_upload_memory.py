"""Peak memory and time of a population upload plus indicator requests, each in a subprocess.

    .venv/bin/python -m benchmarks.bench_upload_memory [--sizes 1000,2000] [--vectors]

Every case runs in a fresh Python subprocess against its own copy of the demonstration workspace
and the real app (``create_app``, test client, an admin token): upload a population GeoTIFF
(``POST …/layers/population``, which recomputes the indicators before and after), then one
anonymous indicators request with new parameters, the planner map with those parameters and the
first page of the population layer, then a rollback to version 0 and another indicators request.
The subprocess reports its ``ru_maxrss`` (peak RSS) and the wall time of each step.  The
baseline is the same run with a small raster (the county's own 100 m grid, 43 × 31 cells), so the
ratios compare like with like in one run.  Rasters are generated: ``n × n`` cells of 0.05
persons over the county (deflate; the 2,000 × 2,000 one is ~90 KB), and one raster lying 300 km
away (refused).

``--vectors`` first refuses a 3 M-point zipped shapefile and ~150 MB of GeoJSON in a zip
(issue 10, point 3: refused from headers; time and RSS growth of ``prepare_upload``).

Targets (issue 10, point 2): every accepted upload within the documented limits peaks below
1.5 GB RSS and finishes below 60 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from benchmarks.common import ROOT, demo_workspace_dir, table

TARGET_RSS_MB = 1536.0
TARGET_S = 60.0
LEFT, TOP, BOTTOM = 409_300.0, 3_407_100.0, 3_404_000.0  # the demonstration county (EPSG:4544)

CHILD = textwrap.dedent(
    """
    import json, resource, shutil, sys, time, warnings
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import numpy as np, rasterio
    from rasterio.transform import from_origin

    src, work = Path(sys.argv[1]), Path(sys.argv[2])
    n, offset_m = int(sys.argv[3]), float(sys.argv[4])
    ws_root = work / "workspaces"
    shutil.copytree(src, ws_root / "demo-chengdu-north")
    tif = work / "population.tif"
    size = {span!r} / n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(tif, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                           crs="EPSG:4544",
                           transform=from_origin({left!r} + offset_m, {top!r}, size, size),
                           nodata=-1.0, compress="deflate") as dst:
            dst.write(np.full((n, n), 0.05, dtype="float32"), 1)
    from app import create_app
    app = create_app({{"WORKSPACES_DIR": str(ws_root), "TESTING": True, "BASEMAP": "none",
                      "USERS_DB": str(work / "users.sqlite"), "UPLOAD_TMP_DIR": str(work / "tmp"),
                      "RATELIMIT_ENABLED": False}})
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "root", "--role", "admin", "--password-stdin"],
                  input="correct horse battery staple\\n")
    token = runner.invoke(args=["users", "token", "root"]).output.strip()
    auth = {{"Authorization": "Bearer " + token}}
    client = app.test_client()
    base = "/api/v1/counties/demo-chengdu-north"
    out = {{"file_kb": round(tif.stat().st_size / 1024, 1)}}
    t = time.perf_counter()
    with tif.open("rb") as f:
        r = client.post(base + "/layers/population", data={{"file": (f, "population.tif")}},
                        headers=auth)
    out["upload_status"], out["upload_s"] = r.status_code, time.perf_counter() - t
    if r.status_code == 201:
        out["stored_cells"] = r.get_json()["record"]["feature_count"]
        t = time.perf_counter()
        r = client.get(base + "/indicators?minutes=12.5&walk_speed=1.2")
        out["indicators_status"], out["indicators_s"] = r.status_code, time.perf_counter() - t
        t = time.perf_counter()  # the planner map and the first page of the population layer
        r1 = client.get("/map/demo-chengdu-north?minutes=12.5&walk_speed=1.2")
        r2 = client.get(base + "/layers/population?limit=1000")
        out["map_s"], out["map_kb"] = time.perf_counter() - t, len(r1.data) / 1024
        assert r1.status_code == r2.status_code == 200
        t = time.perf_counter()
        r = client.post(base + "/layers/population/rollback", json={{"version": 0}}, headers=auth)
        out["rollback_status"], out["rollback_s"] = r.status_code, time.perf_counter() - t
        client.get(base + "/indicators?minutes=13&walk_speed=1.2")
        store = app.extensions["gis_store"]
        out["cache_mb_after_rollback"] = round(store.cached_bytes() / 2**20, 1)
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    """
)


VECTOR_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time, zipfile
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import numpy as np, geopandas as gpd, pyogrio, shapely
    from gis.errors import ValidationError
    from gis.upload import UploadOptions, prepare_upload

    kind, work, n, mode = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = np.random.default_rng(1)
    xy = np.column_stack([104.05 + rng.random(n) * 0.04, 30.75 + rng.random(n) * 0.03])
    path = work / "sports.zip"
    if mode == "refuse":
        pass  # made by the previous subprocess: this one's peak RSS is the refusal's alone
    elif kind == "shapefile":
        gdf = gpd.GeoDataFrame({{"name": rng.integers(0, 10**9, n).astype(str)}},
                               geometry=shapely.points(xy), crs="EPSG:4326")
        pyogrio.write_dataframe(gdf, work / "sports.shp", encoding="UTF-8")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for m in sorted(work.glob("sports.*")):
                if m.suffix != ".zip":
                    zf.write(m, m.name)
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            with zf.open("sports.geojson", "w", force_zip64=True) as f:
                f.write(b'{{"type": "FeatureCollection", "features": [')
                for i in range(n):
                    f.write(b'%s{{"type": "Feature", "properties": {{"name": "p%d"}}, '
                            b'"geometry": {{"type": "Point", "coordinates": [%.6f, %.6f]}}}}'
                            % (b"," if i else b"", i, xy[i, 0], xy[i, 1]))
                f.write(b"]}}")
    if mode == "make":
        sys.exit(0)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    try:
        prepare_upload(path, options=UploadOptions(kind="sports"), workdir=work / "w")
        code = "accepted"
    except ValidationError as exc:
        code = ",".join(sorted({{p.code for p in exc.problems}}))
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with zipfile.ZipFile(path) as zf:
        unzipped = sum(i.file_size for i in zf.infolist())
    print(json.dumps({{"zip_mb": path.stat().st_size / 2**20, "unzipped_mb": unzipped / 2**20,
                      "code": code, "seconds": took, "rss_before_mb": base, "peak_rss_mb": peak}}))
    """
)


def run_vector_case(kind: str, n: int) -> dict[str, float]:
    """Refusal of an oversized vector upload (``prepare_upload``) in a subprocess."""
    script = VECTOR_CHILD.format(root=str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as work:
        for mode in ("make", "refuse"):
            done = subprocess.run(
                [sys.executable, "-W", "ignore", "-c", script, kind, work, str(n), mode],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if done.returncode != 0:
                break
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def run_case(src: Path, n: int, offset_m: float = 0.0) -> dict[str, float]:
    """Run one case in a subprocess; its JSON report."""
    script = CHILD.format(root=str(ROOT), span=TOP - BOTTOM, left=LEFT, top=TOP)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as work:
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", script, str(src), work, str(n), str(offset_m)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000", help="n of the n × n rasters, comma list")
    parser.add_argument(
        "--vectors",
        action="store_true",
        help="also refuse a 3 M-point zipped shapefile and ~150 MB of zipped GeoJSON",
    )
    args = parser.parse_args(argv)
    if args.vectors:
        rows = []
        for kind, n in (("shapefile", 3_000_000), ("geojson", 1_300_000)):
            r = run_vector_case(kind, n)
            rows.append(
                [
                    f"{kind}, {n:,} points",
                    f"{r['zip_mb']:.1f}",
                    f"{r['unzipped_mb']:.0f}",
                    r["code"],
                    f"{r['seconds']:.2f}",
                    f"{r['peak_rss_mb'] - r['rss_before_mb']:+.0f}",
                ]
            )
        head = ["upload", "zip MB", "unzipped MB", "answer", "refusal s", "RSS growth MB"]
        # RSS growth: the refusing process's peak minus its RSS after the imports
        print(table(rows, head))
    src = demo_workspace_dir()
    cases = [("baseline 43 × 31 (100 m)", 31, 0.0)]
    cases += [(f"{n} × {n} over the county", n, 0.0) for n in map(int, args.sizes.split(","))]
    cases.append(("1000 × 1000, 300 km away", 1000, 300_000.0))
    rows, base_rss = [], None
    ok = True
    for name, n, offset in cases:
        r = run_case(src, n, offset)
        base_rss = base_rss or r["max_rss_mb"]
        accepted = r["upload_status"] == 201
        total_s = r["upload_s"] + r.get("indicators_s", 0.0)
        if accepted and n > 31:
            ok &= r["max_rss_mb"] < TARGET_RSS_MB and total_s < TARGET_S
        rows.append(
            [
                name,
                r["file_kb"],
                r["upload_status"],
                f"{r['upload_s']:.1f}",
                f"{r.get('indicators_s', 0.0):.1f}",
                f"{r.get('map_s', 0.0):.1f}",
                f"{r.get('map_kb', 0.0):,.0f}",
                f"{r.get('rollback_s', 0.0):.1f}",
                f"{r.get('stored_cells', 0):,}",
                f"{r['max_rss_mb']:,.0f}",
                f"{r['max_rss_mb'] / base_rss:.2f}",
                r.get("cache_mb_after_rollback", ""),
            ]
        )
    head = [
        "raster",
        "file KB",
        "status",
        "upload s",
        "indicators s",
        "map + layer s",
        "map KB",
        "rollback s",
        "stored cells",
        "peak RSS MB",
        "RSS / baseline",
        "cache MB after rollback",
    ]
    print(table(rows, head))
    print(
        f"targets: accepted uploads peak < {TARGET_RSS_MB:,.0f} MB RSS and upload + indicators "
        f"< {TARGET_S:.0f} s: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
