"""benchmarks/bench_gc_pause.py runs on the demonstration county and finds the same values."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest


def test_the_collector_benchmark_runs_and_leaves_the_collector_on(
    demo_workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.bench_gc_pause import main

    callbacks = list(gc.callbacks)
    assert main([str(demo_workspace_dir), "--repeat", "1"]) == 0  # exits on a difference
    out = capsys.readouterr().out
    assert "collector running" in out and "paused" in out
    assert gc.isenabled() and gc.callbacks == callbacks


def test_the_benchmarks_take_the_demo_county_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    """``make bench`` runs each benchmark's ``main([])``: no workspace means the demo county's."""
    from benchmarks.bench_shortcuts import main

    assert main(["--repeat", "1"]) == 0
    assert "taken as they are" in capsys.readouterr().out
