"""The map pages at county size, in chromium: bytes and time to the first drawn features, a pan.

Builds mosaics of the demonstration workspace (benchmarks/mosaic_workspace.py) of 250 and 2,000
km², serves them on loopback twice (``MAP_LAYERS = "view"``, the pages as they are, and
``"embed"``, the former pages with their layers in the HTML, as the baseline of the same run)
and opens the planner and public pages in Debian's chromium driven by Playwright:

- bytes before the first draw: every response finished before the first feature is drawn
  (Playwright's ``requestfinished``: body as sent, gzip, plus headers);
- first draw: ms from navigation start to the first feature drawn (``gisView.firstDrawMs``);
- pan: at zoom 16 in the middle of the county, the map is moved by its width and the
  time until the new cells are drawn is taken (``gisView.lastDrawMs``; ``null`` when the pan
  drew nothing new), with the time until every answer is in and drawn (``settled_ms``), the
  requests it made, the bytes they transferred (Resource Timing), the page's main-thread CPU
  (Chrome's ``Performance.getMetrics`` TaskDuration) and the server's CPU seconds (this
  process: the server runs in its threads).  The pan is of the view the planner opens on (the
  map desk's default indicator, ``view`` names it and ``layers_on`` its layers); with
  ``--all-layers`` it is repeated with every layer of the page switched on, and with
  ``--views`` the planner page is opened on each indicator's view (``?indicator=<id>``, the
  views of the map desk) and panned the same way (one row per view, ``page`` ``map:<id>``).

    python -m benchmarks.bench_map [--areas 250 2000] [--no-baseline] [--all-layers] [--views]
        [--workspaces DIR] [--out rows.jsonl]

``--workspaces DIR`` keeps the demonstration copy and the mosaics in ``DIR`` and reuses them on
the next run (they are built in a temporary folder and removed otherwise).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pyogrio

from benchmarks.common import demo_workspace_dir
from benchmarks.mosaic_workspace import build_mosaic_workspace
from gis.io import GPKG_NAME

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DEMO_ID = "demo-chengdu-north"
IDLE_JS = "() => window.gisView && !gisViewBusy() && gisView.firstDrawMs !== null"
SHOW_ALL_JS = """() => { const map = gisMap();
  Object.keys(gisLayers).forEach(n => {
    if (!map.hasLayer(gisLayers[n])) { map.addLayer(gisLayers[n]); }
  });
}"""
DESK_JS = "() => JSON.parse(document.getElementById('map-desk-data').textContent)"
GO_JS = """async ([lat, lon, zoom]) => {
  const map = gisMap();
  map.setView([lat, lon], zoom, {animate: false});
  const idle = () => new Promise(r => { const t = () => gisViewBusy() ? setTimeout(t, 5) : r();
                                        setTimeout(t, 0); });
  await idle();
  return Object.keys(gisLayers).filter(n => map.hasLayer(gisLayers[n]));
}"""
PAN_JS = """async (dx) => {
  const map = gisMap();
  const idle = () => new Promise(r => { const t = () => gisViewBusy() ? setTimeout(t, 5) : r();
                                        setTimeout(t, 0); });
  performance.setResourceTimingBufferSize(100000);
  performance.clearResourceTimings();
  const before = gisView.requests;
  const t0 = performance.now();
  map.panBy([dx * map.getSize().x, 0], {animate: false});
  await idle();
  const settled = performance.now() - t0;
  const got = performance.getEntriesByType("resource").filter(e => e.startTime >= t0);
  const drew = gisView.lastDrawMs !== null && gisView.lastDrawMs >= t0;
  return {ms: drew ? gisView.lastDrawMs - t0 : null,
          settled_ms: settled, requests: gisView.requests - before,
          bytes: got.reduce((n, e) => n + e.encodedBodySize, 0),
          decoded_bytes: got.reduce((n, e) => n + e.decodedBodySize, 0)};
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


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _task_s(cdp: Any) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))


def _pan(page: Any, bounds: list[float], *, all_layers: bool = False) -> dict[str, Any]:
    """Zoom 16 in the middle of ``bounds``, wait, then pan by the map's width and measure.

    East for the planner's view; west with every layer on (cells no pan has fetched before).
    """
    lat, lon = (bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2
    if all_layers:
        page.evaluate(SHOW_ALL_JS)
    layers_on = page.evaluate(GO_JS, [lat, lon, 16])
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    task0, cpu0 = _task_s(cdp), _cpu_s()
    result: dict[str, Any] = page.evaluate(PAN_JS, -1 if all_layers else 1)
    result["page_cpu_s"] = round(_task_s(cdp) - task0, 3)
    result["server_cpu_s"] = round(_cpu_s() - cpu0, 3)
    result["view"] = page.evaluate("new URL(location.href).searchParams.get('indicator')")
    result["layers_on"] = layers_on
    for key in ("ms", "settled_ms"):
        if result[key] is not None:
            result[key] = round(result[key])
    return result


def _workspaces(root: Path, areas: list[float]) -> list[tuple[str, float]]:
    """The demo and one mosaic per area under ``root`` (built unless already there)."""
    if not (root / DEMO_ID / "metadata.json").exists():
        shutil.copytree(demo_workspace_dir(), root / DEMO_ID, dirs_exist_ok=True)
    counties = [(DEMO_ID, 12.0)]
    for area in areas:
        county = f"mosaic-{int(area)}"
        if not (root / county / "metadata.json").exists():
            build_mosaic_workspace(area, root / county, source=root / DEMO_ID)
        meta = json.loads((root / county / "metadata.json").read_text(encoding="utf-8"))
        boundary = pyogrio.read_dataframe(root / county / GPKG_NAME, layer="boundary")
        area_km2 = float(boundary.to_crs(meta["metric_crs"]).area.sum()) / 1e6
        counties.append((county, area_km2))
    return counties


def _emit(row: dict[str, Any], out: Path | None) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)
    if out is not None:
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def run(
    areas: list[float],
    *,
    baseline: bool = True,
    out: Path | None = None,
    workspaces: Path | None = None,
    all_layers: bool = False,
    views: bool = False,
) -> list[dict[str, Any]]:
    """Measure the planner and public pages of the demo and of each mosaic; print a table."""
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-map-"))
    root = workspaces if workspaces is not None else work / "workspaces"
    root.mkdir(parents=True, exist_ok=True)
    counties = _workspaces(root, areas)
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
                        if all_layers:
                            pan = _pan(page, meta["bounds"], all_layers=True)
                            row.update({f"pan_all_{k}": v for k, v in pan.items()})
                    view_ids = []
                    if views and mode == "view" and page_kind == "map":
                        desk = page.evaluate(DESK_JS)
                        view_ids = [v["id"] for v in desk["views"] if v["id"] != desk["selected"]]
                    context.close()
                    row.update(result)
                    rows.append(row)
                    _emit(row, out)
                    for view_id in view_ids:
                        result = _open(browser, f"{url}?indicator={view_id}", view=True)
                        page, context = result.pop("page"), result.pop("context")
                        row = {"mode": mode, "county": county, "area_km2": round(area)}
                        row["page"] = f"map:{view_id}"
                        row.update({f"pan_{k}": v for k, v in _pan(page, meta["bounds"]).items()})
                        context.close()
                        rows.append({**row, **result})
                        _emit(rows[-1], out)
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
    parser.add_argument("--workspaces", type=Path, help="keep and reuse the workspaces here")
    parser.add_argument(
        "--all-layers", action="store_true", help="also pan with every layer switched on"
    )
    parser.add_argument("--views", action="store_true", help="also pan each indicator's view")
    args = parser.parse_args()
    run(
        args.areas,
        baseline=not args.no_baseline,
        out=args.out,
        workspaces=args.workspaces,
        all_layers=args.all_layers,
        views=args.views,
    )


if __name__ == "__main__":
    main()
