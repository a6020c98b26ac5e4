"""Hostile parameter load on loopback: 20 clients asking for new indicator parameters for 60 s.

    .venv/bin/python -m benchmarks.bench_param_load [--seconds 60] [--clients 20] [--threads 4]

Starts gunicorn with 2 workers (``--threads`` threads each; ``--threads 1`` = sync workers) on
127.0.0.1 serving the demonstration county, warms the public page and the default indicators in
both workers, then for ``--seconds``:

- ``--clients`` clients, each from its own loopback address (127.0.0.10, .11, …, so each has its
  own rate-limit budget), request ``/api/v1/counties/<id>/indicators`` with a new
  ``minutes``/``walk_speed`` pair every time (20 ms pause between requests, at most 3,000 each);
- 2 readers fetch the public page ``/public/<id>`` (gzip) and record its latency;
- a sampler adds up the RSS of the gunicorn master and workers every 0.25 s (psutil).

It prints the answers by status (200 computed or cached, 429 rate-limited, 503 busy), the
server's peak RSS (target < 1 GB) and the public page's p50/p99 (target p99 < 500 ms).  Only
127.0.0.x is contacted; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from benchmarks.load_server import (
    DEMO_ID,
    ROOT,
    _ensure_workspace,
    _free_port,
    wait_until_serving,
)

TARGET_RSS_MB = 1024.0
TARGET_P99_MS = 500.0
MAX_REQUESTS_PER_CLIENT = 3_000


def _start(workspaces: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, GIS_WORKSPACES_DIR=str(workspaces), GIS_BASEMAP="osm")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "2",
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(Path(tempfile.gettempdir()) / "bench_param_load.log").open("wb"),
    )
    return wait_until_serving(proc, port, timeout_s=90.0)


def _request(port: int, path: str, source: str, timeout: float = 120.0) -> tuple[int, float]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    finally:
        conn.close()


def _server_rss_mb(proc: subprocess.Popen[bytes]) -> float:
    try:
        master = psutil.Process(proc.pid)
        procs = [master, *master.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except psutil.Error:
        return 0.0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server (terminate, then kill after 30 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank), NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")


def run(seconds: float, clients: int, threads: int) -> dict[str, object]:
    workspaces = _ensure_workspace(None)
    port = _free_port()
    proc = _start(workspaces, port, threads)
    stop = threading.Event()
    statuses: collections.Counter[int] = collections.Counter()
    page_ms: list[float] = []
    page_status: collections.Counter[int] = collections.Counter()
    rss: list[float] = []
    lock = threading.Lock()
    params = itertools.count()
    public = f"/public/{DEMO_ID}"
    try:
        for _ in range(6):  # both workers: the default report and the public page
            _request(port, f"/api/v1/counties/{DEMO_ID}/indicators", "127.0.0.1")
            _request(port, public, "127.0.0.1")
        idle_rss = _server_rss_mb(proc)

        def attacker(i: int) -> None:
            source = f"127.0.0.{10 + i}"
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if stop.is_set():
                    return
                with lock:
                    k = next(params)
                minutes = 1.0 + 0.5 * (k % 200)  # 1 … 100.5 min
                speed = 0.5 + 0.05 * ((k // 200) % 40)  # 0.5 … 2.45 m/s
                path = (
                    f"/api/v1/counties/{DEMO_ID}/indicators?minutes={minutes:g}"
                    f"&walk_speed={speed:.2f}"
                )
                try:
                    status, _s = _request(port, path, source)
                except OSError:
                    status = 0
                with lock:
                    statuses[status] += 1
                time.sleep(0.02)

        def reader(i: int) -> None:
            source = f"127.0.0.{200 + i}"
            while not stop.is_set() and len(page_ms) < 20_000:
                try:
                    status, took = _request(port, public, source)
                except OSError:
                    status, took = 0, 0.0
                with lock:
                    page_status[status] += 1
                    page_ms.append(took * 1000.0)
                time.sleep(0.05)

        def sampler() -> None:
            while not stop.is_set():
                rss.append(_server_rss_mb(proc))
                time.sleep(0.25)

        workers = [threading.Thread(target=attacker, args=(i,)) for i in range(clients)]
        workers += [threading.Thread(target=reader, args=(i,)) for i in range(2)]
        workers.append(threading.Thread(target=sampler))
        for t in workers:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in workers:
            t.join(timeout=150)
    finally:
        _stop(proc)
    p99 = _p99(page_ms)
    return {
        "statuses": dict(sorted(statuses.items())),
        "page_status": dict(page_status),
        "page_requests": len(page_ms),
        "page_p50_ms": statistics.median(page_ms) if page_ms else float("nan"),
        "page_p99_ms": p99,
        "page_max_ms": max(page_ms) if page_ms else float("nan"),
        "idle_rss_mb": idle_rss,
        "peak_rss_mb": max(rss) if rss else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    r = run(args.seconds, args.clients, args.threads)
    for key, value in r.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
    peak, p99 = float(r["peak_rss_mb"]), float(r["page_p99_ms"])  # type: ignore[arg-type]
    ok = peak < TARGET_RSS_MB and p99 < TARGET_P99_MS
    print(
        f"targets: server RSS < {TARGET_RSS_MB:.0f} MB and public page p99 < "
        f"{TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
