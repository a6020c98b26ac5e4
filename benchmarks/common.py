"""Helpers shared by the benchmarks: the demonstration workspace, timing, printing."""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from gis.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
DEMO_WS = ROOT / "instance" / "workspaces" / "demo-chengdu-north"
T = TypeVar("T")


def from_scratch(main: Callable[..., T]) -> Callable[..., T]:
    """Run a benchmark's ``main`` with the indicators' kept state off.

    The indicators keep what they build per input content (:mod:`gis.indicators._state`, for
    the what-if scenarios), so a repeated run of the same computation would time the cache; a
    benchmark of the computation itself runs every repetition from the layers.
    """

    @functools.wraps(main)
    def run(*args: Any, **kwargs: Any) -> T:
        from gis.indicators._state import disabled

        with disabled():
            return main(*args, **kwargs)

    return run


def demo_workspace_dir() -> Path:
    """The embedded demonstration workspace (`make workspace`), ingested to a temp dir if absent."""
    if (DEMO_WS / "metadata.json").is_file():
        return DEMO_WS
    from gis.ingest import IngestOptions, run_ingest

    out = Path(tempfile.mkdtemp(prefix="bench-ws-")) / "demo-chengdu-north"
    run_ingest(
        IngestOptions.demo(
            osm=ROOT / "data" / "osm" / "chengdu_jinniu_xindu.osm.bz2",
            boundary=ROOT / "data" / "demo" / "boundary.geojson",
            out=out,
        )
    )
    return out


def load_demo_metric() -> Workspace:
    """The demonstration workspace read and reprojected to its GK zone."""
    from gis.io import read_workspace

    return read_workspace(demo_workspace_dir()).to_metric()


def workspace_and_repeat(doc: str, argv: list[str] | None) -> tuple[Workspace, int]:
    """The metric workspace named on the command line and ``--repeat`` (default 3).

    Without a workspace, the demonstration county's (as ``make bench`` runs every benchmark).
    """
    from gis.io import read_workspace

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("workspace", type=Path, nargs="?", help="default: the demo county")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    ws_dir = args.workspace if args.workspace is not None else demo_workspace_dir()
    return read_workspace(ws_dir).to_metric(), max(1, args.repeat)


def least_cpu_s(repeat: int, *runs: Callable[[], Any]) -> tuple[list[float], list[Any]]:
    """The least CPU seconds of each run over ``repeat`` rounds, and its last result.

    The runs take turns within each round (a before and an after alternated), so a drift in
    the machine's speed falls on both.
    """
    best: list[float] = [float("inf")] * len(runs)
    results: list[Any] = [None] * len(runs)
    for _ in range(max(1, repeat)):
        for n, run in enumerate(runs):
            cpu = time.process_time()
            results[n] = run()
            best[n] = min(best[n], time.process_time() - cpu)
    return best, results


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Median wall time (s) of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result  # type: ignore[return-value]


def table(rows: list[list[Any]], head: list[str]) -> str:
    """A plain aligned text table."""
    cells = [[str(c) for c in row] for row in [head, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
