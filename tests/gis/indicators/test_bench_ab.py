"""benchmarks/ab_compute_all.py: alternated runs of two checkouts, and their ratios."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.ab_compute_all import (
    Timing,
    main,
    parse_timing,
    run_order,
    summarise,
)

ROOT = Path(__file__).resolve().parents[3]


def test_a_timing_is_read_only_from_the_checkout_it_should_come_from(tmp_path: Path) -> None:
    line = f"{ROOT}/gis/__init__.py cpu 9.10 wall 4.95 load 0.7\n"
    assert parse_timing("reading...\n" + line, ROOT) == Timing(wall_s=4.95, cpu_s=9.10)
    with pytest.raises(ValueError, match="imported"):  # the current directory's gis, say
        parse_timing(line, tmp_path)
    with pytest.raises(ValueError, match="no timing"):
        parse_timing("Traceback (most recent call last):\n", ROOT)


@pytest.mark.parametrize("pairs", [1, 2, 5])
def test_each_pair_runs_both_and_the_first_run_alternates(pairs: int) -> None:
    order = run_order(pairs)
    assert len(order) == 2 * pairs
    runs = [order[2 * k : 2 * k + 2] for k in range(pairs)]
    assert all(sorted(run) == ["after", "before"] for run in runs)
    assert [run[0] for run in runs] == ["before", "after"] * (pairs // 2) + ["before"] * (pairs % 2)


def test_the_ratios_are_each_pairs_and_their_median() -> None:
    pairs = [
        (Timing(5.0, 10.0), Timing(4.5, 9.0)),  # 0.9, 0.9
        (Timing(6.0, 12.0), Timing(6.6, 9.0)),  # 1.1, 0.75
        (Timing(4.0, 8.0), Timing(3.0, 8.0)),  # 0.75, 1.0
    ]
    summary = summarise(pairs)
    assert summary.wall_ratio == pytest.approx(0.9)
    assert summary.cpu_ratio == pytest.approx(0.9)
    with pytest.raises(ValueError):
        summarise([])


def test_two_runs_of_the_demo_county_by_this_checkout(
    demo_workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole tool, once: both runs import this checkout, and a table is printed."""
    assert main([str(ROOT), str(ROOT), str(demo_workspace_dir), "--pairs", "1"]) == 0
    out = capsys.readouterr().out
    assert "| 1 |" in out and "median after/before: wall" in out


def test_a_directory_that_is_no_checkout_is_refused(
    tmp_path: Path, demo_workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([str(tmp_path), str(ROOT), str(demo_workspace_dir)])
    assert "not a checkout" in capsys.readouterr().err
