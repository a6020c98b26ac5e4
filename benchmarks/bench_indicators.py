"""Benchmark 3: all seven indicators of the embedded county, workspace already loaded.

Times ``gis.indicators.compute_all`` on the demonstration workspace in its metric CRS
(read and reprojected once, outside the timing), with the values it gives, and the
whole ``county_report`` (reprojection + indicators + assessment) from the storage-CRS
workspace.  Target: compute_all under 2 s.

    .venv/bin/python -m benchmarks.bench_indicators [--repeat 5]
"""

from __future__ import annotations

import argparse

from benchmarks.common import demo_workspace_dir, from_scratch, table, timed
from gis.indicators import compute_all
from gis.io import read_workspace
from gis.report import county_report
from gis.settings import IndicatorSettings

TARGET_S = 2.0


@from_scratch
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    settings = IndicatorSettings()
    load_s, ws = timed(lambda: read_workspace(demo_workspace_dir()))
    metric_s, metric = timed(ws.to_metric)
    compute_all(metric, settings)  # warm-up (imports, PROJ caches)
    all_s, results = timed(lambda: compute_all(metric, settings), args.repeat)
    report_s, _ = timed(lambda: county_report(ws, settings), args.repeat)
    rows = [
        ["read_workspace (not timed below)", f"{load_s:.3f}"],
        ["to_metric (not timed below)", f"{metric_s:.3f}"],
    ]
    for r in results:
        rows.append([f"  {r.id} = {r.value if r.value is None else round(r.value, 2)}", ""])
    rows += [
        ["compute_all (7 indicators)", f"{all_s:.3f}"],
        ["county_report (to_metric + all + assessment)", f"{report_s:.3f}"],
    ]
    print(f"embedded county, median of {args.repeat}")
    print(table(rows, ["step", "seconds"]))
    print(
        f"target: compute_all < {TARGET_S:g} s: {'yes' if all_s < TARGET_S else 'NO'} "
        f"({all_s:.3f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
