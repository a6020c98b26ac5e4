"""File helpers of the store: atomic writes (temporary file, fsync, ``os.replace``) and digests.

A temporary file is named ``.tmp-<pid>-<random>-<name>`` beside its target, so a killed writer's
leftovers are easy to find (:data:`TMP_PREFIX`) and never mistaken for data.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "TMP_PREFIX",
    "fsync_dir",
    "fsync_file",
    "sha256_file",
    "tmp_path",
    "write_bytes_atomic",
    "write_json_atomic",
]

TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename in it survives a power cut)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a written file's data to disk."""
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def tmp_path(folder: Path, name: str) -> Path:
    """A fresh temporary path in ``folder`` for a file that will become ``name``."""
    return folder / f"{TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}-{name}"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and ``os.replace``."""
    tmp = tmp_path(path.parent, path.name)
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON (UTF-8, indented) atomically."""
    write_bytes_atomic(
        path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    )


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
