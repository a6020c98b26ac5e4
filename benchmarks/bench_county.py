"""Benchmark: a whole county from real data: ingest and all indicators at 250, 1,000, 2,000 km².

Mosaics of the embedded north-Chengdu extract (``benchmarks.mosaic.build_mosaic``: real OSM
tiles shifted, ids offset, written as .osm.pbf, with a boundary polygon) are ingested by
``python -m gis ingest --pbf ... --boundary ...`` in a child process, one size at a time:

- ``ingest s``: the child's wall time; ``peak MB``: its ``ru_maxrss`` (resource.getrusage of
  the waited-for child, everything included: Python, libraries, the data);
- ``indicators s``: ``gis.indicators.compute_all`` on the workspace read and reprojected to its
  GK zone (reading not included), median of ``--repeat`` runs in this process;
- CPU seconds beside the wall times (the child's user + system time; ``time.process_time``
  for the indicators), because the machine is shared: the load average is printed per size;
- the smallest size is the baseline: ratios and log-log growth exponents of the CPU times
  (``log(t / t0) / log(A / A0)``; 1 is linear in the area) are measured in the same run.

Targets at 2,000 km² (issue #11): ingest ≤ 60 s and ≤ 2 GB peak; all indicators ≤ 5 s.

    .venv/bin/python -m benchmarks.bench_county [--sizes 250 1000 2000] [--repeat 1]
        [--mosaics /tmp/baicheng-mosaics] [--xml]

``--xml`` also ingests the smallest mosaic written as .osm.bz2 (the XML path through the same
reader) for a format ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, from_scratch, table, timed
from benchmarks.mosaic import build_mosaic

TARGET_INGEST_S = 60.0
TARGET_PEAK_MB = 2048.0
TARGET_INDICATORS_S = 5.0
DEFAULT_MOSAICS = Path(tempfile.gettempdir()) / "baicheng-mosaics"


def _child_ingest(osm: Path, boundary: Path, out: Path) -> tuple[float, float, float]:
    """Ingest in a child process; (wall s, CPU s, peak RSS MB of that child)."""
    cmd = [sys.executable, "-m", "gis", "ingest", "--osm", str(osm)]
    cmd += ["--boundary", str(boundary), "--out", str(out), "--quiet"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        msg = f"ingest of {osm.name} failed: {stderr.strip()}"
        raise RuntimeError(msg)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0  # Linux: KiB


def _indicators(ws_dir: Path, repeat: int) -> tuple[float, float, dict[str, int]]:
    from gis.indicators import compute_all
    from gis.io import read_workspace
    from gis.settings import IndicatorSettings

    ws = read_workspace(ws_dir).to_metric()
    settings = IndicatorSettings()
    cpu_start = time.process_time()
    seconds, _ = timed(lambda: compute_all(ws, settings), repeat=repeat)
    cpu = (time.process_time() - cpu_start) / max(1, repeat)
    sizes = {
        "roads": len(ws.layers["roads"]),
        "walk_edges": len(ws.layers["walk_edges"]),
        "population_cells": len(ws.population.persons) if ws.population else 0,
    }
    return seconds, cpu, sizes


def _xml_copy(pbf: Path) -> Path:
    import osmium

    out = pbf.with_name(pbf.name.replace(".osm.pbf", ".osm.bz2"))
    if not out.is_file():
        with osmium.SimpleWriter(str(out), overwrite=True) as writer:
            for obj in osmium.FileProcessor(str(pbf)):
                writer.add(obj)
    return out


def _exponent(value: float, base: float, area: float, base_area: float) -> str:
    if area == base_area or value <= 0 or base <= 0:
        return "-"
    return f"{math.log(value / base) / math.log(area / base_area):.2f}"


@from_scratch
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="*", default=[250.0, 1000.0, 2000.0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--mosaics", type=Path, default=DEFAULT_MOSAICS)
    parser.add_argument("--xml", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-county-"))
    rows: list[dict[str, float]] = []
    try:
        for area in sorted(args.sizes):
            start = time.perf_counter()
            pbf, boundary = build_mosaic(area, args.mosaics)
            built = time.perf_counter() - start
            ingest_s, ingest_cpu, peak_mb = _child_ingest(pbf, boundary, work / f"ws{area:g}")
            ind_s, ind_cpu, sizes = _indicators(work / f"ws{area:g}", args.repeat)
            meta = json.loads((work / f"ws{area:g}" / "metadata.json").read_text("utf-8"))
            row = {
                "area_km2": area,
                "pbf_mb": pbf.stat().st_size / 1e6,
                "nodes": meta["osm_extract"]["nodes"],
                "ways": meta["osm_extract"]["ways"],
                "ingest_s": ingest_s,
                "ingest_cpu_s": ingest_cpu,
                "peak_mb": peak_mb,
                "indicators_s": ind_s,
                "indicators_cpu_s": ind_cpu,
                "load": os.getloadavg()[0],
                **sizes,
            }
            rows.append(row)
            print(
                f"{area:g} km²: mosaic {built:.1f} s, ingest {ingest_s:.1f} s "
                f"({ingest_cpu:.1f} s CPU), peak {peak_mb:.0f} MB, indicators {ind_s:.2f} s "
                f"({ind_cpu:.2f} s CPU), load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            shutil.rmtree(work / f"ws{area:g}", ignore_errors=True)
        if args.xml and rows:
            pbf, boundary = build_mosaic(rows[0]["area_km2"], args.mosaics)
            xml_s, xml_cpu, xml_mb = _child_ingest(_xml_copy(pbf), boundary, work / "xml")
            print(
                f"XML path ({rows[0]['area_km2']:g} km², .osm.bz2): ingest {xml_s:.1f} s "
                f"({xml_cpu:.1f} s CPU), peak {xml_mb:.0f} MB; .pbf/.osm.bz2 CPU ratio "
                f"{rows[0]['ingest_cpu_s'] / xml_cpu:.2f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = rows[0]

    def growth(key: str, r: dict[str, float]) -> str:
        return _exponent(r[key], base[key], r["area_km2"], base["area_km2"])

    out = [
        [
            f"{r['area_km2']:g}",
            f"{r['pbf_mb']:.1f}",
            f"{r['nodes']:,}",
            f"{r['walk_edges']:,}",
            f"{r['ingest_s']:.1f}",
            f"{r['ingest_cpu_s']:.1f}",
            f"{r['ingest_cpu_s'] / base['ingest_cpu_s']:.2f}",
            growth("ingest_cpu_s", r),
            f"{r['peak_mb']:.0f}",
            growth("peak_mb", r),
            f"{r['indicators_s']:.2f}",
            f"{r['indicators_cpu_s']:.2f}",
            f"{r['indicators_cpu_s'] / base['indicators_cpu_s']:.2f}",
            growth("indicators_cpu_s", r),
            f"{r['load']:.1f}",
        ]
        for r in rows
    ]
    head = ["km²", "pbf MB", "nodes used", "walk edges", "ingest s", "CPU s", "×", "exp"]
    head += ["peak MB", "exp", "indicators s", "CPU s", "×", "exp", "load"]
    print(table(out, head))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    largest = rows[-1]
    misses = []
    if largest["ingest_s"] > TARGET_INGEST_S:
        misses.append(f"ingest {largest['ingest_s']:.1f} s > {TARGET_INGEST_S:g} s")
    if largest["peak_mb"] > TARGET_PEAK_MB:
        misses.append(f"peak {largest['peak_mb']:.0f} MB > {TARGET_PEAK_MB:g} MB")
    if largest["indicators_s"] > TARGET_INDICATORS_S:
        misses.append(f"indicators {largest['indicators_s']:.2f} s > {TARGET_INDICATORS_S:g} s")
    verdict = "; ".join(misses) if misses else "all targets met"
    print(f"at {largest['area_km2']:g} km²: {verdict}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
