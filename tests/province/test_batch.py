"""The batch: identical results sequential / processes / Dask, failures reported, resume."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from gis.batch import (
    discover_workspaces,
    plan_tasks,
    read_failures,
    read_results,
    result_path,
    run_batch,
    select_counties,
)
from gis.cli import main
from gis.errors import GisError, NotFoundError

YEAR = 2020
SPEC = "demo-chengdu-north,410181,411525"  # two good counties and a corrupt one


def _tasks(root: Path, results: Path, spec: str = "all"):  # type: ignore[no-untyped-def]
    ws = discover_workspaces(root)
    return plan_tasks(ws, select_counties(ws, spec), year=YEAR, results_dir=results)


def _documents(results: Path) -> dict[str, str]:
    """Every result file's exact text, by county."""
    return {
        p.stem: p.read_text(encoding="utf-8")
        for p in sorted((results / str(YEAR)).glob("*.json"))
        if not p.name.endswith(".error.json")
    }


@pytest.fixture(scope="module")
def three_runs(workspaces_with_corrupt: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The same 3 counties (one corrupt) run sequentially, on 2 processes and on Dask.

    Dask twice: threads in this process, and 2 worker processes of one thread each (the
    configuration of the benchmark, where the warm-up plugin runs in real worker processes).
    """
    from distributed import LocalCluster

    out = {}
    seq = tmp_path_factory.mktemp("res_seq")
    out["sequential"] = (
        seq,
        run_batch(_tasks(workspaces_with_corrupt, seq, SPEC), workers=1, progress=False),
    )
    proc = tmp_path_factory.mktemp("res_proc")
    out["processes"] = (
        proc,
        run_batch(_tasks(workspaces_with_corrupt, proc, SPEC), workers=2, progress=False),
    )
    dsk = tmp_path_factory.mktemp("res_dask")
    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        summary = run_batch(
            _tasks(workspaces_with_corrupt, dsk, SPEC),
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    out["dask"] = (dsk, summary)
    dskp = tmp_path_factory.mktemp("res_dask_proc")
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=0,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        summary = run_batch(
            _tasks(workspaces_with_corrupt, dskp, SPEC),
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    out["dask processes"] = (dskp, summary)
    return out


@pytest.mark.slow
def test_modes_give_identical_results_to_the_last_digit(three_runs) -> None:  # type: ignore[no-untyped-def]
    texts = {mode: _documents(res) for mode, (res, _s) in three_runs.items()}
    assert set(texts["sequential"]) == {"demo-chengdu-north", "410181"}
    assert texts["processes"] == texts["sequential"]
    assert texts["dask"] == texts["sequential"]
    assert texts["dask processes"] == texts["sequential"]
    doc = json.loads(texts["sequential"]["410181"])
    assert doc["exact_values"] and all(
        v is None or float(v) == float(v) for v in doc["exact_values"].values()
    )
    # the copies carry the same numbers as the demo they were copied from
    demo = json.loads(texts["sequential"]["demo-chengdu-north"])
    assert doc["exact_values"] == demo["exact_values"]
    assert doc["metadata"]["copy_label"].startswith("test copy of")
    assert [s.mode for _r, s in three_runs.values()] == [
        "sequential",
        "processes",
        "dask",
        "dask",
    ]


PHASES = ("import_s", "read_s", "compute_s", "write_s")


@pytest.mark.slow
def test_phase_timings_sum_to_at_most_the_county_wall(three_runs) -> None:  # type: ignore[no-untyped-def]
    for mode, (_res, summary) in three_runs.items():
        for o in summary.by_status("computed"):
            phases = [getattr(o, p) for p in PHASES]
            assert all(p >= 0 for p in phases), (mode, o)
            assert o.read_s > 0 and o.compute_s > 0 and o.write_s > 0, (mode, o)
            assert sum(phases) <= o.seconds, (mode, o)
            # the county's thread got the CPU at most for its wall time (plus clock granularity)
            assert 0 < o.cpu_s <= o.seconds + 0.05, (mode, o)
            assert o.started_at > 0 and o.worker.startswith("pid ")
            # only this small outcome travels back; the worker wrote the result document
            assert len(pickle.dumps(o)) < 2_000 < Path(o.result_path).stat().st_size


@pytest.mark.slow
def test_workers_are_warmed_before_their_first_county(three_runs) -> None:  # type: ignore[no-untyped-def]
    """Pool and Dask worker processes report their warm-up once; the sequential run none."""
    assert all(o.warmup_s == 0 for o in three_runs["sequential"][1].outcomes)
    for mode in ("processes", "dask processes"):
        ran = [o for o in three_runs[mode][1].outcomes if o.status != "skipped"]
        by_worker: dict[str, list[float]] = {}
        for o in ran:
            by_worker.setdefault(o.worker, []).append(o.warmup_s)
        assert by_worker, mode
        for worker, warmups in by_worker.items():
            assert sum(w > 0 for w in warmups) == 1, (mode, worker, warmups)
        # warmed: the county imports nothing itself
        assert all(o.import_s < 0.1 for o in ran if o.status == "computed"), mode


@pytest.mark.slow
def test_a_failing_county_is_reported_and_the_others_finish(three_runs) -> None:  # type: ignore[no-untyped-def]
    for mode, (res, summary) in three_runs.items():
        counts = summary.to_dict()["counts"]
        assert counts == {"computed": 2, "skipped": 0, "failed": 1}, mode
        (failed,) = summary.failed
        assert failed.county_id == "411525" and failed.error, mode
        assert (
            "workspace.gpkg" in failed.error
            or "411525" in failed.error
            or "GeoPackage" in failed.error
        )
        assert read_failures(res, YEAR) == [{"county_id": "411525", "error": failed.error}]
        assert not result_path(res, YEAR, "411525").exists()


@pytest.mark.slow
def test_resume_skips_finished_counties_and_retries_failed(
    workspaces_with_corrupt: Path, tmp_path: Path
) -> None:
    tasks = _tasks(workspaces_with_corrupt, tmp_path, "410181,411525")
    first = run_batch(tasks, progress=False)
    assert [o.status for o in first.outcomes] == ["computed", "failed"]
    path = result_path(tmp_path, YEAR, "410181")
    stamp = path.stat().st_mtime_ns
    second = run_batch(tasks, progress=False)
    assert [o.status for o in second.outcomes] == ["skipped", "failed"]
    assert path.stat().st_mtime_ns == stamp
    forced = run_batch(tasks[:1], force=True, progress=False)
    assert [o.status for o in forced.outcomes] == ["computed"]
    assert path.stat().st_mtime_ns != stamp
    # a truncated result file (crash while writing elsewhere) is recomputed, not trusted
    path.write_text('{"schema": "baicheng', encoding="utf-8")
    assert [o.status for o in run_batch(tasks[:1], progress=False).outcomes] == ["computed"]
    assert set(read_results(tmp_path)[YEAR][0]) >= {"report", "exact_values", "county_id", "year"}


def test_cli_batch_progress_summary_and_exit_codes(
    workspaces_with_corrupt: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    args = [
        "batch",
        "--workspaces",
        str(workspaces_with_corrupt),
        "--results",
        str(tmp_path),
        "--workers",
        "1",
        "--counties",
        "410225,411525",
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "failed: 411525 (2020):" in captured.err
    assert "1 computed, 0 skipped" in captured.out and "1 failed" in captured.out
    assert "counties" in captured.err  # tqdm progress bar
    assert "time in counties: read " in captured.out and "workers busy" in captured.out
    assert main([*args[:-1], "410225"]) == 0
    assert "0 computed, 1 skipped" in capsys.readouterr().out


def test_cli_usage_errors(county_workspaces: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert (
        main(
            [
                "batch",
                "--workspaces",
                str(county_workspaces),
                "--counties",
                "419999",
                "--results",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "no workspace for ['419999']" in capsys.readouterr().err
    assert main(["batch", "--workspaces", str(tmp_path / "nowhere")]) == 2
    assert "no workspaces folder" in capsys.readouterr().err
    with pytest.raises(NotFoundError):
        select_counties(["a"], "")
    with pytest.raises(GisError, match="expected 1 or more"):
        run_batch([], workers=0)


def test_unreachable_scheduler_is_a_clear_error(county_workspaces: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a free loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tasks = _tasks(county_workspaces, tmp_path, "410181")
    with pytest.raises(GisError, match="cannot reach the Dask scheduler"):
        run_batch(tasks, scheduler=f"tcp://127.0.0.1:{port}", progress=False, connect_timeout_s=2)


def _run_in_fresh_process(task, *, warm: bool):  # type: ignore[no-untyped-def]
    """``run_county(task)`` in a new spawned process, warmed first or not."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from gis.batch import run_county, warm_worker

    with ProcessPoolExecutor(
        1, mp_context=get_context("spawn"), initializer=warm_worker if warm else None
    ) as pool:
        return pool.submit(run_county, task).result()


@pytest.mark.slow
def test_warm_up_changes_timings_not_results(county_workspaces: Path, tmp_path: Path) -> None:
    cold_dir, warm_dir = tmp_path / "cold", tmp_path / "warm"
    (cold_task,) = _tasks(county_workspaces, cold_dir, "410181")
    (warm_task,) = _tasks(county_workspaces, warm_dir, "410181")
    cold = _run_in_fresh_process(cold_task, warm=False)
    warm = _run_in_fresh_process(warm_task, warm=True)
    assert cold.status == warm.status == "computed"
    assert _documents(cold_dir) == _documents(warm_dir)
    assert set(_documents(cold_dir)) == {"410181"}
    # the cold process imported geopandas and the indicators inside the county, the warm one before
    assert cold.warmup_s == 0 and cold.import_s > 0
    assert warm.warmup_s > 0 and warm.import_s < cold.import_s


def test_warm_worker_is_reported_once_by_the_next_county(
    county_workspaces: Path, tmp_path: Path
) -> None:
    from gis.batch import run_county, warm_worker

    assert warm_worker() >= 0
    tasks = _tasks(county_workspaces, tmp_path, "410181,410225")
    first, second = (run_county(t) for t in tasks)
    assert first.status == second.status == "computed"
    assert first.warmup_s > 0 and second.warmup_s == 0
    assert first.import_s < 0.1 and second.import_s < 0.1  # idempotent: nothing left to import


def test_largest_counties_start_first(tmp_path: Path) -> None:
    from gis.batch import CountyTask, largest_first, workspace_bytes

    sizes = {"a": 10, "b": 300, "c": 0, "d": 300, "e": 20}
    tasks = []
    for cid, size in sizes.items():
        folder = tmp_path / cid
        folder.mkdir()
        (folder / "workspace.gpkg").write_bytes(b"x" * size)
        (folder / "population.tif").write_bytes(b"y" * 5)
        tasks.append(CountyTask(cid, str(folder), YEAR, str(tmp_path / "res")))
    assert [workspace_bytes(t) for t in tasks] == [15, 305, 5, 305, 25]
    assert [t.county_id for t in largest_first(tasks)] == ["b", "d", "e", "a", "c"]
    # a missing folder or a PostGIS county has no size and goes last, in its place
    gone = CountyTask("z", str(tmp_path / "nowhere"), YEAR, "")
    pg = CountyTask("p", "p", YEAR, "", database_url="postgresql://x")
    assert workspace_bytes(gone) == workspace_bytes(pg) == 0
    ordered = largest_first([gone, *tasks, pg])
    assert [t.county_id for t in ordered] == ["b", "d", "e", "a", "c", "z", "p"]
