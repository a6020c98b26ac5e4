"""Where a pan of the planner map goes, request by request (issue 11 item 3).

Serves the workspaces of ``ROOT`` (``benchmarks.bench_map --workspaces ROOT`` builds them) with
the code on ``sys.path`` (run it from a checkout to measure that checkout), opens
``/map/<county>`` in Debian's chromium, zooms to 16 in the middle and pans by the map's width,
``--repeats`` times (the first pan meets a cold server; later ones its cached answers).  For each
layer: requests, bytes as the page received them (decoded), the longest wait for the response
headers (server time plus queueing behind the browser's 6 connections) and for the body, and
the milliseconds of ``JSON.parse``; for the pan: time to the last draw and to idle, the time in
Leaflet's ``addData`` and the server's CPU seconds.

    cd <checkout> && python -m benchmarks.pan_requests ROOT [--county mosaic-2000]
        [--repeats 2] [--view default|all|<indicator id> ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.bench_map import ARGS, CHROMIUM, GO_JS, IDLE_JS, SHOW_ALL_JS, _app, _serve

FETCH_TIMING_JS = """
window.gisRequestTimes = [];
const plainFetch = window.fetch;
window.fetch = function (url, options) {
  const t0 = performance.now();
  return plainFetch(url, options).then(response => {
    const t1 = performance.now();
    const text = response.text.bind(response);
    response.json = () => text().then(body => {
      const t2 = performance.now();
      const value = JSON.parse(body);
      const t3 = performance.now();
      window.gisRequestTimes.push({url: String(url), head: t1 - t0, body: t2 - t1,
                                   parse: t3 - t2, chars: body.length, end: t3});
      return value;
    });
    return response;
  });
};
"""
DRAW_TIMING_JS = """() => {
  window.gisDrawTime = {ms: 0};
  const addData = L.GeoJSON.prototype.addData;
  L.GeoJSON.prototype.addData = function (data) {
    const t = performance.now();
    const out = addData.call(this, data);
    window.gisDrawTime.ms += performance.now() - t;
    return out;
  };
}"""
PAN_JS = """async () => {
  const map = gisMap();
  const idle = () => new Promise(r => { const t = () => gisViewBusy() ? setTimeout(t, 5) : r();
                                        setTimeout(t, 0); });
  window.gisRequestTimes = [];
  window.gisDrawTime.ms = 0;
  const before = gisView.requests;
  const t0 = performance.now();
  map.panBy([map.getSize().x, 0], {animate: false});
  await idle();
  const drew = gisView.lastDrawMs !== null && gisView.lastDrawMs >= t0;
  return {ms: drew ? gisView.lastDrawMs - t0 : null, settled_ms: performance.now() - t0,
          requests: gisView.requests - before, add_data_ms: window.gisDrawTime.ms,
          times: window.gisRequestTimes.map(q => ({...q, end: q.end - t0}))};
}"""


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _layer(url: str) -> str:
    if "/view/features/" in url:
        return url.split("/layers/")[1].split("/")[0] + " (by reference)"
    return url.split("/layers/")[1].split("/")[0] if "/layers/" in url else url


def _by_layer(times: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for q in times:
        d = out.setdefault(
            _layer(q["url"]), {"n": 0, "chars": 0, "head_ms": 0, "body_ms": 0, "parse_ms": 0.0}
        )
        d["n"] += 1
        d["chars"] += q["chars"]
        d["head_ms"] = max(d["head_ms"], round(q["head"]))
        d["body_ms"] = max(d["body_ms"], round(q["body"]))
        d["parse_ms"] = round(d["parse_ms"] + q["parse"], 1)
    return dict(sorted(out.items(), key=lambda kv: -int(kv[1]["chars"])))


def run(root: Path, county: str, *, views: list[str], repeats: int) -> None:
    """Print one JSON line per pan and the per-layer lines of the first pan of each view."""
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    base, server = _serve(_app(root, root.parent / f"instance-pan-requests-{county}", "view"))
    start, cpu0 = time.perf_counter(), _cpu_s()
    with urllib.request.urlopen(f"{base}/map/{county}", timeout=3000) as answer:  # noqa: S310
        answer.read()
    build = {"build_s": round(time.perf_counter() - start, 1), "build_cpu_s": _cpu_s() - cpu0}
    print(json.dumps(build), flush=True)
    meta = json.loads((root / county / "metadata.json").read_text(encoding="utf-8"))
    minx, miny, maxx, maxy = meta["bounds"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for view in views:
            for rep in range(repeats):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                page.add_init_script(FETCH_TIMING_JS)
                query = f"?indicator={view}" if view not in ("default", "all") else ""
                page.goto(f"{base}/map/{county}{query}", wait_until="load", timeout=600_000)
                page.wait_for_function(IDLE_JS, timeout=120_000, polling=20)
                page.evaluate(DRAW_TIMING_JS)
                if view == "all":
                    page.evaluate(SHOW_ALL_JS)
                layers_on = page.evaluate(GO_JS, [(miny + maxy) / 2, (minx + maxx) / 2, 16])
                cpu0 = _cpu_s()
                result = page.evaluate(PAN_JS)
                times = result.pop("times")
                row = {"view": view, "rep": rep, "layers_on": len(layers_on)}
                row.update({k: round(v) if isinstance(v, float) else v for k, v in result.items()})
                row["chars"] = sum(q["chars"] for q in times)
                row["parse_ms"] = round(sum(q["parse"] for q in times), 1)
                row["server_cpu_s"] = round(_cpu_s() - cpu0, 3)
                print(json.dumps(row), flush=True)
                if rep == 0:
                    for name, figures in _by_layer(times).items():
                        print("   ", name, json.dumps(figures), flush=True)
                context.close()
        browser.close()
    server.shutdown()


def main() -> None:
    """``python -m benchmarks.pan_requests``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="workspaces folder (bench_map --workspaces)")
    parser.add_argument("--county", default="mosaic-2000")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--view", nargs="*", default=["default", "all"])
    args = parser.parse_args()
    run(args.root, args.county, views=args.view, repeats=args.repeats)


if __name__ == "__main__":
    main()
