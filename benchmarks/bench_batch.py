"""Province batch benchmark: counties per minute with 1 and 2 workers, scaling, peak memory.

Builds a set of county workspaces from the embedded demonstration workspace (the real north
Chengdu extract, ingested here unless ``--source`` names one) plus copies of it under Henan
codes, each labelled in its metadata as a benchmark copy, then runs the whole batch:

- ``sequential``: in this process (``--workers 1``);
- ``processes x1`` and ``processes x2``: a spawn process pool with 1 and 2 workers;
- ``dask x2``: a ``distributed.LocalCluster`` with 2 single-threaded worker processes.

Each run starts from an empty results folder.  Scaling efficiency = (rate with 2 processes /
rate with 1 process) / 2, both measured in the same run, so start-up costs are alike.  Peak
memory per worker is the largest ``ru_maxrss`` reported by the processes that ran counties.

    .venv/bin/python -m benchmarks.bench_batch [--counties 8] [--skip-dask]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from gis.batch import (
    BatchSummary,
    _run_processes,
    copy_workspace,
    discover_workspaces,
    plan_tasks,
    run_batch,
)

ROOT = Path(__file__).resolve().parent.parent
# Real Henan codes the copies are filed under (labelled "benchmark copy … not that county's data").
COPY_CODES = (
    "410181",
    "410182",
    "410183",
    "410184",
    "410185",
    "410225",
    "411525",
    "411381",
    "411481",
    "410526",
    "410728",
    "411627",
    "411722",
    "410923",
    "411424",
)


def build_workspaces(dest: Path, source: Path | None, counties: int) -> Path:
    """``dest`` holding the demo workspace and ``counties - 1`` labelled benchmark copies."""
    if source is None:
        from gis.ingest import IngestOptions, run_ingest

        source = dest / "_source" / "demo-chengdu-north"
        run_ingest(
            IngestOptions.demo(
                osm=ROOT / "data" / "osm" / "chengdu_jinniu_xindu.osm.bz2",
                boundary=ROOT / "data" / "demo" / "boundary.geojson",
                out=source,
            )
        )
    root = dest / "workspaces"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, root / source.name)
    for code in COPY_CODES[: max(0, counties - 1)]:
        copy_workspace(source, root, county_id=code, adcode=code, purpose="benchmark")
    return root


def _tasks(root: Path, results: Path) -> list[Any]:
    if results.exists():
        shutil.rmtree(results)
    ws = discover_workspaces(root)
    return plan_tasks(ws, sorted(ws), year=2020, results_dir=results)


def run_mode(root: Path, results: Path, mode: str, workers: int) -> BatchSummary:
    """One batch over every workspace under ``root`` into a fresh ``results`` folder.

    ``processes`` uses the batch's own process pool (:func:`gis.batch._run_processes`) so that
    1 worker is a pool of one process too, not the in-process sequential path.
    """
    tasks = _tasks(root, results)
    start = time.perf_counter()
    if mode == "dask":
        from distributed import LocalCluster

        with LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster:
            start = time.perf_counter()
            summary = run_batch(tasks, scheduler=cluster.scheduler_address, progress=False)
        summary.elapsed_s = time.perf_counter() - start
        return summary
    if mode == "processes":
        outcomes = sorted(_run_processes(tasks, workers, lambda o: o), key=lambda o: o.county_id)
        return BatchSummary(outcomes, mode, workers, time.perf_counter() - start, 2020, "")
    return run_batch(tasks, workers=1, progress=False)


def figures(summary: BatchSummary) -> dict[str, Any]:
    """Counties per minute, seconds per county and peak memory per worker of one run."""
    done = [o for o in summary.outcomes if o.status == "computed"]
    peak_by_worker: dict[str, float] = defaultdict(float)
    for o in done:
        peak_by_worker[o.worker] = max(peak_by_worker[o.worker], o.peak_rss_mb)
    return {
        "counties": len(done),
        "failed": len(summary.failed),
        "elapsed_s": summary.elapsed_s,
        "counties_per_min": 60.0 * len(done) / summary.elapsed_s if summary.elapsed_s else 0.0,
        "mean_county_s": sum(o.seconds for o in done) / len(done) if done else 0.0,
        "workers_seen": len(peak_by_worker),
        "peak_rss_mb_per_worker": max(peak_by_worker.values()) if peak_by_worker else 0.0,
    }


def bench_store(source: Path, tmp: Path, repeats: int = 5) -> list[tuple[str, int, float, float]]:
    """Median seconds to read and to write (commit a new version of) layers on both backends."""
    import statistics

    from gis.io import read_layer
    from gis.store import GeoPackageStore, NewVersion
    from gis.store.postgis import PostgisStore
    from tests.pg_server import temporary_postgres

    rows = []
    folder = tmp / "store_ws"
    shutil.copytree(source, folder / "c1")
    with temporary_postgres() as url:
        pg = PostgisStore(url)
        pg.init_schema()
        pg.import_workspace(folder / "c1", "c1")
        stores = {"GeoPackage": GeoPackageStore(folder), "PostGIS": pg}
        for layer in ("walk_edges", "roads", "parks"):
            gdf = read_layer(source, layer)
            for name, store in stores.items():
                reads, writes = [], []
                for _ in range(repeats):
                    start = time.perf_counter()
                    store.read_layer("c1", layer)
                    reads.append(time.perf_counter() - start)
                    new = NewVersion(
                        layer=layer,
                        user="bench",
                        original_name=f"{layer}.gpkg",
                        sha256="",
                        feature_count=len(gdf),
                        report={},
                        gdf=gdf,
                    )
                    start = time.perf_counter()
                    store.commit_version("c1", new)
                    writes.append(time.perf_counter() - start)
                rows.append(
                    (
                        f"{layer} ({name})",
                        len(gdf),
                        statistics.median(reads),
                        statistics.median(writes),
                    )
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run every mode and print a Markdown table with the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=8, help="workspaces in the set [8]")
    parser.add_argument("--source", type=Path, default=None, help="workspace to copy [ingest demo]")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-store", action="store_true", help="no PostGIS vs GeoPackage part")
    args = parser.parse_args(argv)
    if not 1 <= args.counties <= len(COPY_CODES) + 1:
        parser.error(f"--counties must be 1-{len(COPY_CODES) + 1}")
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        root = build_workspaces(Path(tmp), args.source, args.counties)
        results = Path(tmp) / "results"
        rows = {}
        rows["sequential (in process)"] = figures(run_mode(root, results, "sequential", 1))
        rows["processes x1"] = figures(run_mode(root, results, "processes", 1))
        rows["processes x2"] = figures(run_mode(root, results, "processes", 2))
        if not args.skip_dask:
            rows["dask LocalCluster x2"] = figures(run_mode(root, results, "dask", 2))
        store_rows = [] if args.skip_store else bench_store(root / "demo-chengdu-north", Path(tmp))
    base = rows["processes x1"]["counties_per_min"]
    print(
        f"Province batch: {args.counties} county workspaces (1 real demo + "
        f"{args.counties - 1} labelled benchmark copies), year 2020\n"
    )
    print(
        "| mode | counties | wall s | counties/min | vs 1 process | mean s/county | "
        "peak MB per worker |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, f in rows.items():
        ratio = f["counties_per_min"] / base if base else 0.0
        print(
            f"| {name} | {f['counties']} | {f['elapsed_s']:.1f} | {f['counties_per_min']:.1f} | "
            f"{ratio:.2f}x | {f['mean_county_s']:.2f} | {f['peak_rss_mb_per_worker']:.0f} |"
        )
    two = rows["processes x2"]["counties_per_min"]
    print(f"\nscaling efficiency 2 processes vs 1: {two / base / 2:.0%}" if base else "")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores")
    if store_rows:
        print("\n| layer (backend) | features | read s (median) | write s (median, new version) |")
        print("|---|---|---|---|")
        for name, n, read_s, write_s in store_rows:
            print(f"| {name} | {n} | {read_s:.3f} | {write_s:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
