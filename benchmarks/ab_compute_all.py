"""All indicators of one workspace by two checkouts, alternated: each pair's after/before ratio.

The project's 2-core machine drifts: within minutes the same computation takes up to a third
longer, CPU seconds too (docs/benchmarks.md, issue 11).  A before/after comparison is only
worth runs taken next to each other.  This runs ``time_compute_all.py`` once per run, each in
a fresh process, from a directory holding neither checkout (so that the checkout on
``PYTHONPATH`` is the one imported), in the order before, after, after, before, before, after,
... (a steady drift over two pairs cancels), and prints each pair's wall and CPU seconds, the
after/before ratios and their medians.  A run that imported another checkout's ``gis`` stops
it.

Make the "before" checkout with ``git worktree add /tmp/base <commit>``, then::

    .venv/bin/python -m benchmarks.ab_compute_all /tmp/base . WS [--pairs 6]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMER = Path(__file__).resolve().with_name("time_compute_all.py")
_LINE = re.compile(r"^(?P<gis>\S+) cpu (?P<cpu>[0-9.]+) wall (?P<wall>[0-9.]+)\b", re.MULTILINE)


@dataclass(frozen=True)
class Timing:
    """One computation: wall and CPU seconds."""

    wall_s: float
    cpu_s: float


def parse_timing(output: str, checkout: Path) -> Timing:
    """The timing printed by ``time_compute_all.py``, checked to come from ``checkout``'s ``gis``.

    >>> parse_timing("/b/gis/__init__.py cpu 9.10 wall 4.95 load 0.7\\n", Path("/b"))
    Timing(wall_s=4.95, cpu_s=9.1)
    """
    found = _LINE.findall(output)
    if not found:
        msg = f"no timing in the output:\n{output}"
        raise ValueError(msg)
    gis_init, cpu, wall = found[-1]
    expected = (checkout / "gis" / "__init__.py").resolve()
    if Path(gis_init).resolve() != expected:
        msg = f"the run imported {gis_init}, not {expected}"
        raise ValueError(msg)
    return Timing(wall_s=float(wall), cpu_s=float(cpu))


def run_order(pairs: int) -> list[str]:
    """``"before"``/``"after"`` for each run: before first in even pairs, after first in odd.

    >>> run_order(3)
    ['before', 'after', 'after', 'before', 'before', 'after']
    """
    order: list[str] = []
    for k in range(pairs):
        order += ["before", "after"] if k % 2 == 0 else ["after", "before"]
    return order


@dataclass(frozen=True)
class Summary:
    """Per pair ``(before, after)`` timings, and the medians of the after/before ratios."""

    pairs: list[tuple[Timing, Timing]]
    wall_ratio: float
    cpu_ratio: float


def summarise(pairs: list[tuple[Timing, Timing]]) -> Summary:
    """The median after/before ratio of the wall and of the CPU seconds over the pairs.

    >>> pairs = [(Timing(5.0, 10.0), Timing(4.0, 9.0)), (Timing(6.0, 12.0), Timing(6.0, 9.0))]
    >>> s = summarise(pairs)
    >>> round(s.wall_ratio, 3), round(s.cpu_ratio, 3)
    (0.9, 0.825)
    """
    if not pairs:
        msg = "no pairs to summarise"
        raise ValueError(msg)
    wall = statistics.median(a.wall_s / b.wall_s for b, a in pairs)
    cpu = statistics.median(a.cpu_s / b.cpu_s for b, a in pairs)
    return Summary(pairs=pairs, wall_ratio=wall, cpu_ratio=cpu)


def time_once(checkout: Path, workspace: Path) -> Timing:
    """One computation by ``checkout``'s code, in a fresh process run from the temp directory."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, str(TIMER), str(workspace)],
        cwd=tempfile.gettempdir(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        msg = f"{checkout}: exit {done.returncode}\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return parse_timing(done.stdout, checkout)


def _checkout(text: str) -> Path:
    path = Path(text).resolve()
    if not (path / "gis" / "__init__.py").is_file():
        msg = f"{text}: not a checkout of the project (no gis/__init__.py)"
        raise argparse.ArgumentTypeError(msg)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=_checkout, help="the checkout to compare against")
    parser.add_argument("after", type=_checkout, help="the checkout with the change")
    parser.add_argument("workspace", type=Path, help="a county workspace directory")
    parser.add_argument("--pairs", type=int, default=6)
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    if not args.workspace.is_dir():
        parser.error(f"{args.workspace}: no such workspace directory")
    runs: dict[str, list[Timing]] = {"before": [], "after": []}
    for which in run_order(args.pairs):
        runs[which].append(time_once(getattr(args, which), args.workspace))
    summary = summarise(list(zip(runs["before"], runs["after"], strict=True)))
    print(f"before: {args.before}\nafter:  {args.after}\nworkspace: {args.workspace}")
    print("| pair | before wall (CPU) s | after wall (CPU) s | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|")
    for k, (b, a) in enumerate(summary.pairs, start=1):
        print(
            f"| {k} | {b.wall_s:.2f} ({b.cpu_s:.2f}) | {a.wall_s:.2f} ({a.cpu_s:.2f}) "
            f"| {a.wall_s / b.wall_s:.3f} | {a.cpu_s / b.cpu_s:.3f} |"
        )
    print(f"median after/before: wall {summary.wall_ratio:.3f}, CPU {summary.cpu_ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
