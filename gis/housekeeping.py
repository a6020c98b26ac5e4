"""Housekeeping of the upload scratch folders: a lock per live upload, cleaning of abandoned ones.

Every upload unpacks into its own folder under ``UPLOAD_TMP_DIR`` and removes it when the request
ends.  A worker killed by SIGKILL or by gunicorn's timeout cannot remove it, so the app removes
folders that are older than a configured age *and* not locked by a live upload
(:func:`folder_in_use` holds an ``fcntl.flock`` on ``<folder>/.in-use`` for the whole upload; the
kernel releases it when the process dies, however it dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

IN_USE_NAME = ".in-use"


class FolderLock:
    """The in-use lock of an upload folder, held from creation until :meth:`release`."""

    def __init__(self, folder: str | Path) -> None:
        self._fd: int | None = os.open(Path(folder) / IN_USE_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        """Let the lock go (closing the file releases the flock); safe to call twice."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def _base_lock(base: Path) -> Iterator[None]:
    """Hold a flock on the scratch base folder itself (no file is left in it).

    Creating a folder (and locking it) and cleaning exclude each other, so a cleaner never sees a
    new folder before its in-use lock is held, whatever the clocks say.
    """
    fd = os.open(base, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def new_upload_folder(base: str | Path, *, prefix: str) -> tuple[Path, FolderLock]:
    """A new scratch folder under ``base`` whose in-use lock is held before any cleaner sees it."""
    base = Path(base)
    with _base_lock(base):
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
        return folder, FolderLock(folder)


@contextlib.contextmanager
def folder_in_use(folder: str | Path) -> Iterator[None]:
    """Hold the in-use lock of an upload folder while the block runs."""
    lock = FolderLock(folder)
    try:
        yield
    finally:
        lock.release()


def _is_locked(folder: Path) -> bool:
    """True when a live process holds the folder's in-use lock."""
    lock = folder / IN_USE_NAME
    if not lock.is_file():
        return False
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _newest_mtime(folder: Path) -> float:
    """The latest modification time of the folder or anything directly in it."""
    newest = folder.stat().st_mtime
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def clean_abandoned_folders(
    base: str | Path, *, max_age_s: float, now: float | None = None
) -> list[Path]:
    """Remove the sub-folders of ``base`` untouched for ``max_age_s`` and not in use.

    Returns the folders removed.  Files directly in ``base`` and folders locked by a live upload
    are left alone whatever their age.
    """
    base = Path(base)
    if not base.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    with _base_lock(base):  # no folder is being created (and not yet locked) meanwhile
        for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink()):
            try:
                old = now - _newest_mtime(folder) > max_age_s
            except OSError:
                continue  # removed meanwhile
            if old and not _is_locked(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed
