"""The map pages at county size, in chromium: bytes and time to the first drawn features, a pan.

Builds mosaics of the demonstration workspace (benchmarks/mosaic_workspace.py) of 250 and 2,000
km², serves them on loopback twice (``MAP_LAYERS = "view"``, the pages as they are, and
``"embed"``, the former pages with their layers in the HTML, as the baseline of the same run)
and opens the planner and public pages in Debian's chromium driven by Playwright:

- bytes before the first draw: every response finished before the first feature is drawn
  (Playwright's ``requestfinished``: body as sent, gzip, plus headers);
- first draw: ms from navigation start to the first feature drawn (``gisView.firstDrawMs``);
- pan: at zoom 16 in the middle of the county, the map is moved by its width and the
  time until the new cells are drawn is taken (``gisView.lastDrawMs``), and the requests it made.

    python -m benchmarks.bench_map [--areas 250 2000] [--no-baseline]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.common import demo_workspace_dir
from benchmarks.mosaic_workspace import build_mosaic_workspace

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DEMO_ID = "demo-chengdu-north"
IDLE_JS = "() => window.gisView && !gisViewBusy() && gisView.firstDrawMs !== null"
PAN_JS = """async ([lat, lon, zoom]) => {
  const map = gisMap();
  map.setView([lat, lon], zoom, {animate: false});
  const idle = () => new Promise(r => { const t = () => gisViewBusy() ? setTimeout(t, 5) : r();
                                        setTimeout(t, 0); });
  await idle();
  const before = gisView.requests;
  const t0 = performance.now();
  map.panBy([map.getSize().x, 0], {animate: false});
  await idle();
  return {ms: gisView.lastDrawMs - t0, settled_ms: performance.now() - t0,
          requests: gisView.requests - before};
}"""


def _serve(app: Any) -> tuple[str, Any]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _app(root: Path, instance: Path, mode: str) -> Any:
    from app import create_app

    instance.mkdir(parents=True, exist_ok=True)
    config = {"BASEMAP": "none", "DATABASE_URL": "", "WORKSPACES_DIR": str(root)}
    config["MAP_LAYERS"] = mode
    config["CACHE_MAX_BYTES"] = {"workspaces": 2**31, "reports": 2**30, "frames": 2**31}
    config["RATE_LIMIT_RECOMPUTE_PER_MIN"] = 10_000
    return create_app(config, instance_path=str(instance))


def _open(browser: Any, url: str, *, view: bool) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    finished: list[tuple[float, int]] = []

    def record(request: Any) -> None:
        sizes = request.sizes()
        timing = request.timing
        end = timing["startTime"] + timing["responseEnd"]
        finished.append((end, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", record)
    start = time.perf_counter()
    page.goto(url, wait_until="load", timeout=600_000)
    out: dict[str, Any] = {}
    if view:
        page.wait_for_function(IDLE_JS, timeout=120_000, polling=20)
        first = page.evaluate("performance.timeOrigin + gisView.firstDrawMs")
        out["first_draw_ms"] = page.evaluate("gisView.firstDrawMs")
        out["bytes_before_first_draw"] = sum(size for end, size in finished if end <= first)
        out["requests_to_idle"] = page.evaluate("gisView.requests")
    else:
        out["load_ms"] = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    out["wall_s"] = time.perf_counter() - start
    out["bytes_total"] = sum(size for _end, size in finished)
    out["drawn"] = page.evaluate(
        """() => { let n = 0; gisMap().eachLayer(l => { if (l.feature) n++; }); return n; }"""
    )
    out["page"] = page
    out["context"] = context
    return out


def _pan(page: Any, bounds: list[float]) -> dict[str, Any]:
    lat, lon = (bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2
    result: dict[str, Any] = page.evaluate(PAN_JS, [lat, lon, 16])
    return result


def run(
    areas: list[float], *, baseline: bool = True, out: Path | None = None
) -> list[dict[str, Any]]:
    """Measure the planner and public pages of the demo and of each mosaic; print a table."""
    import json

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-map-"))
    root = work / "workspaces"
    root.mkdir()
    shutil.copytree(demo_workspace_dir(), root / DEMO_ID)
    counties = [(DEMO_ID, 12.0)]
    for area in areas:
        county = f"mosaic-{int(area)}"
        info = build_mosaic_workspace(area, root / county, source=root / DEMO_ID)
        counties.append((county, info["area_km2"]))
    modes = ["view", "embed"] if baseline else ["view"]
    rows: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for mode in modes:
            base, server = _serve(_app(root, work / f"instance-{mode}", mode))
            for county, area in counties:
                meta = json.loads((root / county / "metadata.json").read_text(encoding="utf-8"))
                for page_kind in ("map", "public"):
                    url = f"{base}/{page_kind}/{county}"
                    start = time.perf_counter()
                    import urllib.request

                    with urllib.request.urlopen(url, timeout=900) as answer:  # noqa: S310
                        html_bytes = len(answer.read())
                    build_s = time.perf_counter() - start
                    result = _open(browser, url, view=mode == "view")
                    row = {
                        "mode": mode,
                        "county": county,
                        "area_km2": round(area),
                        "page": page_kind,
                        "build_s": round(build_s, 2),
                        "html_bytes": html_bytes,
                    }
                    page, context = result.pop("page"), result.pop("context")
                    if mode == "view" and page_kind == "map":
                        row.update({f"pan_{k}": v for k, v in _pan(page, meta["bounds"]).items()})
                    context.close()
                    row.update(result)
                    rows.append(row)
                    print(json.dumps(row, ensure_ascii=False), flush=True)
                    if out is not None:
                        with out.open("a", encoding="utf-8") as f:
                            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            server.shutdown()
        browser.close()
    shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> None:
    """``python -m benchmarks.bench_map``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--areas", type=float, nargs="*", default=[250.0, 2000.0])
    parser.add_argument("--no-baseline", action="store_true", help="skip the embed pages")
    parser.add_argument("--out", type=Path, help="also append the rows (JSON lines) here")
    args = parser.parse_args()
    run(args.areas, baseline=not args.no_baseline, out=args.out)


if __name__ == "__main__":
    main()
