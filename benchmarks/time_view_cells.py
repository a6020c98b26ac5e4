"""Server time of cold view cells at zoom 16: what a pan east asks of the view route.

Opens the app on a folder of workspaces (Flask test client, no browser), asks one cell per layer
at the county's centre (warm-up: builds each layer's index and, after this branch, its zoom-16
features), then the next three cells east for each layer, and prints each answer's seconds
and bytes and the total of the cold cells.  For two checkouts::

    cd /tmp && <repo>/.venv/bin/python <repo>/benchmarks/time_view_cells.py ROOT COUNTY \
        roads,walk_edges,parks,green_space,residential,plans,built_up CHECKOUT

ROOT holds COUNTY (e.g. ``benchmarks.mosaic_workspace.build_mosaic_workspace(2000, ROOT /
"mosaic-2000")``); CHECKOUT is the tree whose ``app``, ``api``, ``layers`` and ``gis`` are used.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path


def _cell(lon: float, lat: float, zoom: int) -> tuple[float, float, float, float]:
    """The bbox of the view cell (a tile of level ``zoom - 2``) holding the point."""
    n = 2 ** (zoom - 2)
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    def lat_of(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return (x / n * 360 - 180, lat_of(y + 1), (x + 1) / n * 360 - 180, lat_of(y))


def main(root: Path, county: str, layers: list[str], checkout: str, zoom: int = 16) -> None:
    """Print the warm-up and cold cells' times; see the module docstring."""
    sys.path.insert(0, checkout)
    from benchmarks.bench_map import _app

    client = _app(root, Path(tempfile.mkdtemp()), "view").test_client()
    bounds = json.loads((root / county / "metadata.json").read_text(encoding="utf-8"))["bounds"]
    bbox = _cell((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, zoom)
    span = bbox[2] - bbox[0]

    def ask(layer: str, box: tuple[float, ...]) -> tuple[float, int]:
        url = f"/api/v1/counties/{county}/layers/{layer}/view?zoom={zoom}&bbox="
        start = time.perf_counter()
        answer = client.get(url + ",".join(str(v) for v in box))
        assert answer.status_code == 200, answer.data[:200]
        return time.perf_counter() - start, len(answer.data)

    for layer in layers:
        print("warm", layer, *ask(layer, bbox))
    total = 0.0
    for k in (1, 2, 3):
        east = (bbox[0] + k * span, bbox[1], bbox[2] + k * span, bbox[3])
        for layer in layers:
            seconds, size = ask(layer, east)
            total += seconds
            print("cold", k, layer, round(seconds, 3), size)
    print("total cold s", round(total, 2))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), sys.argv[4])
