"""All indicators with Python's garbage collector paused in the computation, against it running.

A computation holding the turn (:func:`gis.indicators._threads.turn`) pauses the cyclic
collector; the way before is the same computation with that pause made a no-op, so the
collector runs as it did (its own time is measured through ``gc.callbacks``).  Rounds
alternate the two, the kept state off; the least wall and CPU seconds of ``--repeat`` rounds
each, and every indicator's value must be the same.  Run::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_gc_pause WS --repeat 3
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from benchmarks.common import workspace_and_repeat
from gis.indicators import _threads, compute_all
from gis.indicators._state import disabled
from gis.settings import IndicatorSettings


@contextmanager
def _collector_running() -> Iterator[list[float]]:
    """The turn's pause made a no-op; yields a list filled with each collection's seconds."""
    spent: list[float] = []
    started: list[float] = []

    def clock(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            spent.append(time.perf_counter() - started.pop())

    gc.callbacks.append(clock)
    try:
        with mock.patch.object(_threads.gc, "disable", lambda: None):
            yield spent
    finally:
        gc.callbacks.remove(clock)


def main(argv: list[str] | None = None) -> int:
    ws, repeat = workspace_and_repeat(__doc__, argv)
    settings = IndicatorSettings()
    best: dict[str, tuple[float, float]] = {}
    values: dict[str, list[Any]] = {}
    collections: list[float] = []

    def run(name: str, compute: Callable[[], list[Any]]) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        results = compute()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        old = best.get(name, (float("inf"), float("inf")))
        best[name] = (min(old[0], wall), min(old[1], cpu))
        values[name] = [r.value for r in results]

    def running() -> list[Any]:
        with _collector_running() as spent:
            out = compute_all(ws, settings)
        collections.append(sum(spent))
        return out

    with disabled():
        for _ in range(repeat):
            run("running", running)
            run("paused", lambda: compute_all(ws, settings))
    if values["running"] != values["paused"]:
        raise SystemExit("the indicators differ")
    (wall_0, cpu_0), (wall_1, cpu_1) = best["running"], best["paused"]
    print(
        f"all indicators, collector running: wall {wall_0:.2f} s, CPU {cpu_0:.2f} s "
        f"(collections {min(collections):.2f} s); paused: wall {wall_1:.2f} s, "
        f"CPU {cpu_1:.2f} s (ratio wall {wall_1 / wall_0:.2f}, CPU {cpu_1 / cpu_0:.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
