"""Load test of the production server on loopback: gunicorn with 2 workers, bounded runs.

    .venv/bin/python -m benchmarks.load_server [--workspaces DIR] [--seconds 5] [--write-docs]

Starts ``gunicorn --workers 2 --bind 127.0.0.1:<free port> 'app:create_app()'`` (the Makefile's
``serve-prod``), warms every endpoint in both workers, then measures requests/s and p50/p99
latency of the indicators endpoint, one cached layer endpoint and the public page with ``wrk``
(Debian package; ``--latency``, fixed duration) or, without wrk, a Python client sending a fixed
number of requests from a few threads.  It also reports the bytes the planner map page transfers
(page plus every local asset it loads, gzip as a browser asks for it).  Only 127.0.0.1 is ever
contacted; the server is stopped at the end.  ``--write-docs`` replaces the "Web" section of
docs/benchmarks.md with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
DEMO_ID = "demo-chengdu-north"
WORKERS = 2
TARGET_RPS = 200.0
TARGET_P99_MS = 200.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_workspace(folder: Path | None) -> Path:
    """A workspaces folder with the demonstration county (ingested into a temp dir if need be)."""
    if folder is not None and (folder / DEMO_ID / "metadata.json").is_file():
        return folder
    default = ROOT / "instance" / "workspaces"
    if (default / DEMO_ID / "metadata.json").is_file():
        return default
    from gis.ingest import IngestOptions, run_ingest

    tmp = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    run_ingest(
        IngestOptions.demo(
            osm=ROOT / "data/osm/chengdu_jinniu_xindu.osm.bz2",
            boundary=ROOT / "data/demo/boundary.geojson",
            out=tmp / DEMO_ID,
        )
    )
    return tmp


def _get(
    port: int, path: str, *, gzip_ok: bool = True, timeout: float = 120
) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body, {k.lower(): v for k, v in response.getheaders()}


def _start_server(workspaces: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, GIS_WORKSPACES_DIR=str(workspaces), GIS_BASEMAP="osm")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return wait_until_serving(proc, port, timeout_s=60.0)


def wait_until_serving(
    proc: subprocess.Popen[bytes], port: int, *, timeout_s: float
) -> subprocess.Popen[bytes]:
    """``proc`` once the server on ``port`` answers the county list; stopped and an error else."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if _get(port, "/api/v1/counties")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    msg = f"gunicorn did not start within {timeout_s:g} s"
    raise RuntimeError(msg)


def _warm(port: int, paths: list[str]) -> None:
    """Fill both workers' caches (each path several times so each worker gets it)."""
    for path in paths:
        for _ in range(2 * WORKERS + 2):
            status, _body, _h = _get(port, path)
            if status != 200:
                msg = f"{path}: HTTP {status} while warming up"
                raise RuntimeError(msg)


def _parse_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def _wrk(port: int, path: str, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            "8",
            "-d",
            f"{seconds}s",
            "--latency",
            "-H",
            "Accept-Encoding: gzip",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _parse_ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _parse_ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": total,
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _python_client(port: int, path: str, requests: int, threads: int = 8) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = requests // threads

    def run() -> None:
        for _ in range(per_thread):
            t0 = time.perf_counter()
            status, _b, _h = _get(port, path)
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)
                errors[0] += status != 200

    start = time.perf_counter()
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    qs = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": qs[49],
        "p99_ms": qs[98],
        "requests": len(latencies),
        "errors": float(errors[0]),
    }


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if tag == "script" and d.get("src"):
            self.urls.append(str(d["src"]))
        if tag == "link" and d.get("rel") == "stylesheet" and d.get("href"):
            self.urls.append(str(d["href"]))


def page_bytes(port: int, path: str) -> dict[str, int]:
    """Bytes on the wire for a page, its scripts and stylesheets and the files they reference."""
    status, body, headers = _get(port, path)
    if status != 200:
        msg = f"{path}: HTTP {status}"
        raise RuntimeError(msg)
    html = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    wire, raw, count = len(body), len(html), 1
    parser = _Assets()
    parser.feed(html.decode("utf-8"))
    seen: set[str] = set()
    queue = list(parser.urls)
    while queue:
        url = queue.pop(0)
        if url in seen or not url.startswith("/"):
            continue
        seen.add(url)
        status, data, h = _get(port, url)
        content = gzip.decompress(data) if h.get("content-encoding") == "gzip" else data
        wire, raw, count = wire + len(data), raw + len(content), count + 1
        if url.endswith(".css"):
            for inner in re.findall(
                r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", content.decode("utf-8", "replace")
            ):
                if not inner.startswith("data:") and ("woff2" in inner or inner.endswith(".png")):
                    queue.append(urljoin(url, inner.split("?")[0].split("#")[0]))
    return {
        "wire_bytes": wire,
        "uncompressed_bytes": raw,
        "requests": count,
        "html_wire": len(body),
        "html_bytes": len(html),
    }


def browser_bytes(port: int, path: str) -> dict[str, int]:
    """What headless chromium transfers to show the page (bodies as sent, gzip, plus headers).

    Requests outside 127.0.0.1 (basemap tiles) are blocked and not counted.
    """
    from playwright.sync_api import sync_playwright

    totals = {"wire_bytes": 0, "uncompressed_bytes": 0, "requests": 0}

    finished_requests: list[Any] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(f"http://127.0.0.1:{port}/")
                else route.abort()
            ),
        )
        page.on("requestfinished", lambda request: finished_requests.append(request))
        page.goto(f"http://127.0.0.1:{port}{path}", wait_until="networkidle")
        for request in finished_requests:
            sizes = request.sizes()
            response = request.response()
            totals["wire_bytes"] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            totals["uncompressed_bytes"] += len(response.body()) if response else 0
            totals["requests"] += 1
        browser.close()
    status, body, headers = _get(port, path)
    html = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    return {**totals, "html_wire": len(body), "html_bytes": len(html)}


def run(workspaces: Path, seconds: int, requests: int) -> dict[str, Any]:
    port = _free_port()
    proc = _start_server(workspaces, port)
    base = f"/api/v1/counties/{DEMO_ID}"
    endpoints = {
        "indicators": f"{base}/indicators",
        "layer (roads, cached)": f"{base}/layers/roads",
        "public page": f"/public/{DEMO_ID}",
    }
    results: dict[str, Any] = {
        "endpoints": {},
        "tool": "wrk" if shutil.which("wrk") else "python",
        "load_before": os.getloadavg()[0],
    }
    try:
        _warm(port, [*endpoints.values(), f"/map/{DEMO_ID}"])
        for name, path in endpoints.items():
            if shutil.which("wrk"):
                results["endpoints"][name] = _wrk(port, path, seconds)
            else:
                results["endpoints"][name] = _python_client(port, path, requests)
        measure = browser_bytes if Path("/usr/bin/chromium").exists() else page_bytes
        results["bytes_tool"] = "chromium" if measure is browser_bytes else "parser"
        results["map_page"] = measure(port, f"/map/{DEMO_ID}")
        results["public_page"] = measure(port, f"/public/{DEMO_ID}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return results


def report(results: dict[str, Any], seconds: int) -> str:
    tool = (
        f"wrk, 1 thread, 8 connections, {seconds} s per endpoint, Accept-Encoding: gzip"
        if results["tool"] == "wrk"
        else "Python client, 8 threads, fixed request count"
    )
    lines = [
        "## Web",
        "",
        "`python -m benchmarks.load_server --write-docs` (gunicorn, "
        f"{WORKERS} sync workers, 127.0.0.1, caches warmed; {tool}; on this 2-core machine, "
        "client and server sharing the cores; 1-minute load average "
        f"{results['load_before']:.1f} before the run — other work on the machine lowers the "
        "figures).",
        "",
        "| endpoint | requests | requests/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results["endpoints"].items():
        lines.append(
            f"| {name} | {int(r['requests'])} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {int(r['errors'])} |"
        )
    layer = results["endpoints"]["layer (roads, cached)"]
    ok = layer["rps"] >= TARGET_RPS and layer["p99_ms"] < TARGET_P99_MS
    lines += [
        "",
        f"Target on a cached layer: ≥ {TARGET_RPS:.0f} requests/s with p99 < {TARGET_P99_MS:.0f} ms"
        f" — {'met' if ok else 'NOT met'} ({layer['rps']:.0f} requests/s, p99 "
        f"{layer['p99_ms']:.1f} ms; {layer['rps'] / TARGET_RPS:.1f}× the target rate).",
        "",
        "| page | requests | transferred (gzip) | uncompressed | of which the HTML |",
        "|---|---|---|---|---|",
    ]
    for name, key in (
        ("planner map /map/demo-chengdu-north", "map_page"),
        ("public map /public/demo-chengdu-north", "public_page"),
    ):
        b = results[key]
        lines.append(
            f"| {name} | {b['requests']} | {b['wire_bytes'] / 1024:.0f} KiB | "
            f"{b['uncompressed_bytes'] / 1024:.0f} KiB | {b['html_wire'] / 1024:.0f} KiB "
            f"gzip ({b['html_bytes'] / 1024:.0f} KiB) |"
        )
    how = (
        "as measured in headless chromium (body bytes as sent plus headers, every request "
        "the page makes; basemap tiles blocked)"
        if results.get("bytes_tool") == "chromium"
        else "the HTML plus every script, stylesheet, image and font it references"
    )
    lines += ["", f"Transferred bytes: {how}.", ""]
    return "\n".join(lines)


def write_docs(section: str) -> Path:
    """Replace (or append) the "## Web" section of docs/benchmarks.md, leaving the others."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Web\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(section.rstrip() + "\n\n", text)
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=Path, default=None)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    workspaces = _ensure_workspace(args.workspaces)
    results = run(workspaces, args.seconds, args.requests)
    section = report(results, args.seconds)
    print(section)
    if args.write_docs:
        print(f"written to {write_docs(section)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
