"""Two parts of an indicator computation at once, on the machine's other cores.

GEOS (through shapely's array functions) releases the GIL, so the road density and the
other indicators, or the street blocks and the dual-carriageway pairing, can run at the same
time in threads of one process.  A part is handed to another thread only when one of the
process's spare slots is free (``BAICHENG_INDICATOR_THREADS``, default as many as the
cores, at most 3); otherwise it runs in the calling thread.  So nested or concurrent
computations never wait for one another's slots, and a machine with one core, or
``BAICHENG_INDICATOR_THREADS=0``, computes everything in order as before.  The other thread
runs in a copy of the caller's context (:func:`gis.indicators._state.disabled` holds there
too) and its exception, if any, is raised in the caller.

The province batch computes each county in one thread (:func:`sequential`): it already keeps
every core busy with a county each, and it measures each county's CPU time by its thread.

One computation at a time per process (:func:`one_at_a_time`, on every public computation:
indicators, life circle, what-if edits, projects).  Computations of one county share kept
geometries (:mod:`gis.indicators._state`: dissolved layers, their pieces, networks), and GEOS
builds a prepared geometry's indexes when it is first used, so two computations reading one
kept polygon at once corrupted memory (two threads computing a 50 km² county at once crashed
the process in 3 of 5 tries).  A computation's own threads (:func:`both`) pass, as do nested
calls.  A thread that holds the turn must never wait for a lock whose holder may wait for the
turn: the app's caches compute a missing value themselves instead (:func:`holds_turn`).

Python's cyclic garbage collector is paused while a computation holds the turn (and resumed
after, if it was on).  A computation allocates millions of objects, few of them in cycles,
and each full collection walks every tracked object of the process with the GIL held: at
2,000 km² eight full collections took 0.65 s of a 7 s computation, time the other thread
stood waiting.  Reference counting still frees the rest at once; cycles made meanwhile are
collected once the computation is over.
"""

from __future__ import annotations

import contextvars
import functools
import gc
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

A = TypeVar("A")
B = TypeVar("B")
P = ParamSpec("P")

ENV_THREADS = "BAICHENG_INDICATOR_THREADS"
MAX_SPARE = 3
MIN_ROWS = 2_000
"""Threads only for this many roads or more (a county of 50 km² of town has 2,600)."""


def spare_threads(environ: Mapping[str, str] = os.environ) -> int:
    """Threads an indicator computation may start besides its own (``BAICHENG_INDICATOR_THREADS``).

    >>> spare_threads({ENV_THREADS: "0"}), spare_threads({ENV_THREADS: "2"})
    (0, 2)
    >>> 0 <= spare_threads({}) <= MAX_SPARE
    True
    """
    text = environ.get(ENV_THREADS, "").strip()
    if text.isdigit():
        return int(text)
    return max(0, min(MAX_SPARE, (os.cpu_count() or 1)))


_SLOTS = threading.BoundedSemaphore(max(1, spare_threads()))
_SEQUENTIAL: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "indicators_sequential", default=False
)


@contextmanager
def sequential() -> Iterator[None]:
    """Compute in the calling thread only, within the block (the province batch's counties)."""
    token = _SEQUENTIAL.set(True)
    try:
        yield
    finally:
        _SEQUENTIAL.reset(token)


_TURN = threading.Lock()
_HOLDS_TURN: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "indicators_holds_turn", default=False
)


def holds_turn() -> bool:
    """Whether this thread is inside a computation (its own, or its caller's through :func:`both`).

    >>> holds_turn()
    False
    >>> with turn():
    ...     holds_turn()
    True
    """
    return _HOLDS_TURN.get()


@contextmanager
def turn() -> Iterator[None]:
    """The process's one computation turn, within the block (waits while another computes).

    Re-entered freely by the holder and by the threads it starts with :func:`both`.
    """
    if _HOLDS_TURN.get():
        yield
        return
    with _TURN:
        token = _HOLDS_TURN.set(True)
        collecting = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if collecting:
                gc.enable()
            _HOLDS_TURN.reset(token)


def one_at_a_time(func: Callable[P, A]) -> Callable[P, A]:
    """``func`` run in the process's computation :func:`turn`."""

    @functools.wraps(func)
    def in_turn(*args: P.args, **kwargs: P.kwargs) -> A:
        with turn():
            return func(*args, **kwargs)

    return in_turn


def _take_slot() -> bool:
    if _SEQUENTIAL.get() or spare_threads() == 0:
        return False
    return _SLOTS.acquire(blocking=False)


def both(first: Callable[[], A], second: Callable[[], B], *, rows: int) -> tuple[A, B]:
    """``(first(), second())``, ``first`` on another thread when a slot is free.

    ``second`` runs in the calling thread meanwhile.  ``rows`` is the size of the work (the
    county's roads): below :data:`MIN_ROWS` both run here, in order (on the embedded county,
    526 roads, two threads took 0.27-0.34 s against 0.22-0.25 s in one: the Python parts
    hold the GIL).  An exception of either is raised here once both have ended (``first``'s
    when both fail).

    >>> both(lambda: 1 + 1, lambda: "two", rows=MIN_ROWS)
    (2, 'two')
    """
    if rows < MIN_ROWS or not _take_slot():
        return first(), second()
    context = contextvars.copy_context()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = context.run(first)
        except BaseException as exc:  # noqa: BLE001 -- handed to the caller below
            box["error"] = exc
        finally:
            _SLOTS.release()

    worker = threading.Thread(target=run, name="indicators", daemon=True)
    worker.start()
    try:
        second_value = second()
    finally:
        worker.join()
    if "error" in box:
        raise box["error"]
    first_value: A = box["value"]
    return first_value, second_value
