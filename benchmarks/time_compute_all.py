"""CPU and wall seconds of ``compute_all`` on one workspace (reading and reprojection not timed).

For before/after comparisons of two checkouts on the same workspace, run from a directory
holding neither (``python -c`` and ``-m`` would import the current directory first)::

    cd /tmp && PYTHONPATH=<checkout> .../.venv/bin/python .../benchmarks/time_compute_all.py WS

It prints which ``gis`` was imported, so a run of the wrong checkout shows.
"""

from __future__ import annotations

import os
import sys
import time

import gis
from gis.indicators import compute_all
from gis.indicators._state import disabled
from gis.io import read_workspace
from gis.settings import IndicatorSettings


def main(ws_dir: str) -> None:
    """Print ``<gis path> cpu <s> wall <s> load <1-min load average>``."""
    ws = read_workspace(ws_dir).to_metric()
    load = os.getloadavg()[0]
    cpu, wall = time.process_time(), time.perf_counter()
    with disabled():  # no kept indicator state: the computation itself, every run
        compute_all(ws, IndicatorSettings())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(gis.__file__, f"cpu {cpu:.2f} wall {wall:.2f} load {load:.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
