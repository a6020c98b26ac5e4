"""benchmarks/bench_shortcuts.py runs on the demonstration county and finds the same results."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_the_shortcuts_benchmark_runs(
    demo_workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.bench_shortcuts import main

    assert main([str(demo_workspace_dir), "--repeat", "1"]) == 0  # exits on a difference
    out = capsys.readouterr().out
    assert "rectangle clips" in out and "taken as they are" in out
    assert "pairs running alike left out" in out
    assert "as coordinates" in out and "the largest only" in out
    assert "reached edges only" in out and "in chunks" in out
