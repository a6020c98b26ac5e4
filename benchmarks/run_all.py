"""Run every benchmark (``benchmarks/bench_*.py``) in turn: ``make bench``.

Each prints its own table with ratios measured in the same run; see docs/benchmarks.md.

    .venv/bin/python -m benchmarks.run_all [--only coverage kernel]
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names without 'bench_' (default all)")
    args = parser.parse_args(argv)
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only]
    failures = 0
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        code = importlib.import_module(f"benchmarks.{name}").main([])
        failures += int(bool(code))
        print(f"({name}: {time.perf_counter() - start:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
