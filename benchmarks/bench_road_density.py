"""Road density alone on an ingested workspace: CPU seconds and the value, for before/after runs.

Times ``compute_road_density`` on a workspace directory (read and reprojected to its metric
CRS once, outside the timing): the least CPU time of ``--repeat`` runs, and the value with
the dual-carriageway and centre-line details, printed as JSON so two checkouts can be
compared (``--json OUT`` writes it)::

    python -m benchmarks.mosaic --area 250 --out /tmp/m250
    .venv/bin/python -m gis ingest --pbf /tmp/m250/mosaic_250km2.osm.pbf \\
        --boundary /tmp/m250/mosaic_250km2_boundary.geojson --out /tmp/ws250 --quiet
    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_road_density /tmp/ws250 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import from_scratch
from gis.indicators.road_density import compute_road_density
from gis.io import read_workspace
from gis.settings import IndicatorSettings


@from_scratch
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    args = parser.parse_args(argv)
    ws = read_workspace(args.workspace).to_metric()
    settings = IndicatorSettings()
    best_cpu_s, best_wall_s = float("inf"), float("inf")
    for _ in range(max(1, args.repeat)):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = compute_road_density(
            ws.layers["roads"], ws.layers["built_up"], settings=settings, provenance={}
        )
        best_cpu_s = min(best_cpu_s, time.process_time() - cpu0)
        best_wall_s = min(best_wall_s, time.perf_counter() - wall0)
    out = {
        "value": result.value,
        "details": result.details,
        "dead_end_roads": len(result.layer),
        "cpu_s": round(best_cpu_s, 3),
        "wall_s": round(best_wall_s, 3),
    }
    text = json.dumps(out, ensure_ascii=False)
    if args.json is not None:
        args.json.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
