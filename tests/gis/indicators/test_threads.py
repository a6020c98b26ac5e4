"""The indicators computed on two threads: the same results as in one, errors handed back."""

from __future__ import annotations

import gc
import threading

import pytest

from gis.indicators import _threads
from gis.indicators._state import disabled, is_disabled

BIG = _threads.MIN_ROWS


def test_both_runs_the_first_on_another_thread_when_a_slot_is_free(monkeypatch) -> None:
    monkeypatch.setenv(_threads.ENV_THREADS, "1")
    here = threading.get_ident()
    first, second = _threads.both(threading.get_ident, threading.get_ident, rows=BIG)
    assert second == here
    assert first != here


def test_without_spare_threads_or_in_the_batch_everything_runs_here(monkeypatch) -> None:
    here = threading.get_ident()
    monkeypatch.setenv(_threads.ENV_THREADS, "0")
    assert _threads.both(threading.get_ident, threading.get_ident, rows=BIG) == (here, here)
    monkeypatch.setenv(_threads.ENV_THREADS, "1")
    with _threads.sequential():
        assert _threads.both(threading.get_ident, threading.get_ident, rows=BIG) == (here, here)


def test_small_work_runs_in_order_here(monkeypatch) -> None:
    monkeypatch.setenv(_threads.ENV_THREADS, "1")
    here = threading.get_ident()
    small = _threads.MIN_ROWS - 1
    assert _threads.both(threading.get_ident, threading.get_ident, rows=small) == (here, here)


def test_nested_calls_never_wait_for_a_slot(monkeypatch) -> None:
    """With every slot taken, a nested call runs in its own thread instead of waiting."""
    monkeypatch.setenv(_threads.ENV_THREADS, "1")

    def inner() -> tuple[int, int]:
        return _threads.both(lambda: 1, lambda: 2, rows=BIG)

    assert _threads.both(inner, inner, rows=BIG) == ((1, 2), (1, 2))


def test_the_other_thread_sees_the_kept_state_switch(monkeypatch) -> None:
    monkeypatch.setenv(_threads.ENV_THREADS, "1")
    with disabled():
        assert _threads.both(is_disabled, is_disabled, rows=BIG) == (True, True)
    assert _threads.both(is_disabled, is_disabled, rows=BIG) == (False, False)


def test_an_error_of_either_part_is_raised_after_both_ended(monkeypatch) -> None:
    monkeypatch.setenv(_threads.ENV_THREADS, "1")
    ended: list[str] = []

    def fails() -> None:
        raise ValueError("first")

    def slow() -> str:
        ended.append("second")
        return "ok"

    with pytest.raises(ValueError, match="first"):
        _threads.both(fails, slow, rows=BIG)
    assert ended == ["second"]
    with pytest.raises(KeyError):
        _threads.both(lambda: 1, lambda: {}["x"], rows=BIG)
    # the slot was given back: the next call still gets another thread
    here = threading.get_ident()
    assert _threads.both(threading.get_ident, lambda: 0, rows=BIG)[0] != here


def test_the_indicators_are_the_same_on_one_thread_and_two(monkeypatch, demo_workspace) -> None:
    """Every value, detail and gap layer of the demo, computed in order and on two threads."""
    from gis.indicators import compute_all
    from gis.settings import IndicatorSettings

    monkeypatch.setattr(_threads, "MIN_ROWS", 0)  # the demo's 526 roads: threads anyway

    def dump(threads: str) -> list:
        monkeypatch.setenv(_threads.ENV_THREADS, threads)
        with disabled():
            results = compute_all(demo_workspace.to_metric(), IndicatorSettings())
        return [
            (r.id, r.value, repr(r.details), None if r.layer is None else r.layer.to_wkt().to_csv())
            for r in results
        ]

    assert dump("1") == dump("0")


def test_a_separate_copy_has_its_own_pieces_cut_once(monkeypatch) -> None:
    """The road density's copy of the built-up area takes copies of the original's pieces."""
    import numpy as np
    import shapely

    from gis.indicators import _common

    calls: list[int] = []
    cut = _common.area_pieces

    def counted(area, **kw):  # type: ignore[no-untyped-def]
        calls.append(1)
        return cut(area, max_vertices=40)

    monkeypatch.setattr(_common, "area_pieces", counted)
    area = shapely.segmentize(shapely.box(0, 0, 1000, 1000).difference(shapely.box(1, 1, 9, 9)), 50)
    copy = _common.separate_copy(area)
    mine, theirs = _common.pieces_of(copy), _common.pieces_of(area)
    assert len(calls) == 1 and len(mine) > 1
    assert shapely.to_wkb(mine).tolist() == shapely.to_wkb(theirs).tolist()
    assert not any(a is b for a, b in zip(mine, theirs, strict=True))
    assert _common.pieces_of(copy) is mine and np.isclose(shapely.area(mine).sum(), area.area)


class Overlap:
    """Counts the threads inside a region at once; the first in waits a while for a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._came = threading.Event()
        self.inside = 0
        self.most = 0

    def enter(self) -> None:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            first = self.inside == 1
        if first:
            self._came.clear()
            self._came.wait(0.5)  # long enough for another thread to come in, if it can
        else:
            self._came.set()

    def leave(self) -> None:
        with self._lock:
            self.inside -= 1


def test_one_computation_at_a_time_and_its_own_threads_pass(monkeypatch) -> None:
    """Two threads' computations take turns; nested calls and the computation's threads pass."""
    monkeypatch.setenv(_threads.ENV_THREADS, "1")
    overlap = Overlap()

    @_threads.one_at_a_time
    def computation() -> tuple[bool, bool]:
        overlap.enter()
        try:
            nested = _threads.one_at_a_time(_threads.holds_turn)()  # re-entered, no wait
            return _threads.both(_threads.holds_turn, lambda: nested, rows=BIG)
        finally:
            overlap.leave()

    outcomes: list[tuple[bool, bool]] = []
    workers = [threading.Thread(target=lambda: outcomes.append(computation())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not any(w.is_alive() for w in workers), "a computation waited for its own turn"
    assert outcomes == [(True, True), (True, True)]
    assert overlap.most == 1
    assert not _threads.holds_turn()


def test_two_computations_of_one_county_take_turns(monkeypatch, demo_workspace) -> None:
    """Two threads computing the demo at once: never in the indicators together, same results.

    Both share the kept dissolves and pieces, whose prepared indexes GEOS builds on first use:
    at once, two threads crashed the process on a 50 km² county (3 of 5 tries).
    """
    import gis.indicators as indicators
    from gis.indicators import compute_all
    from gis.settings import IndicatorSettings

    overlap = Overlap()
    real = indicators._area_indicators

    def area_indicators(*args, **kwargs):  # type: ignore[no-untyped-def]
        overlap.enter()
        try:
            return real(*args, **kwargs)
        finally:
            overlap.leave()

    monkeypatch.setattr(indicators, "_area_indicators", area_indicators)
    ws = demo_workspace.to_metric()
    values: list[list[float | None]] = []

    def run() -> None:
        values.append([r.value for r in compute_all(ws, IndicatorSettings())])

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert len(values) == 2 and values[0] == values[1]
    assert overlap.most == 1


def test_the_garbage_collector_is_paused_while_a_computation_holds_the_turn() -> None:
    """Off within the turn, nested calls and errors included; back as it was after it."""

    @_threads.one_at_a_time
    def compute(fail: bool = False) -> tuple[bool, bool]:
        inner = _threads.one_at_a_time(gc.isenabled)()  # a nested computation
        if fail:
            raise RuntimeError("failed")
        return gc.isenabled(), inner

    assert gc.isenabled()
    assert compute() == (False, False)
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        compute(fail=True)
    assert gc.isenabled()
    gc.disable()
    try:
        assert compute() == (False, False)
        assert not gc.isenabled()  # left off by whoever turned it off
    finally:
        gc.enable()
