"""Loaded by every Python process of ``make test-future`` (PYTHONPATH=scripts/faketime).

Debian's libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 (needed: with a faked monotonic
clock every timed lock or event wait blocks for the whole offset) rejects the absolute
CLOCK_MONOTONIC deadline that ``time.sleep`` passes to clock_nanosleep: it shifts the deadline
by the fake offset and the kernel answers EINVAL. ``select`` takes a relative timeout and is
not shifted, so a sleep that fails that way sleeps through ``select`` instead. Nothing changes
outside faked time.
"""

from __future__ import annotations

import errno
import os
import select
import time

if os.environ.get("FAKETIME") and "faketime" in os.environ.get("LD_PRELOAD", ""):
    _clock_sleep = time.sleep

    def _sleep(seconds: float) -> None:
        try:
            _clock_sleep(seconds)
        except OSError as exc:
            if exc.errno != errno.EINVAL or seconds < 0:
                raise
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                select.select([], [], [], left)

    time.sleep = _sleep
