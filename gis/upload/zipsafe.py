"""Zip archives checked before anything is extracted.

The central directory of an uploaded archive is inspected first: path
traversal and absolute paths, links, member count, total uncompressed size,
compression ratio (zip bombs), nested archives and encrypted members.  Every
problem is collected; nothing is written unless there are none.  Extraction
then streams each member and stops if a member inflates beyond the size its
header declared (a lying header cannot fill the disk).
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gis.errors import ProblemCollector
from gis.upload.messages import add_problem

NESTED_ARCHIVE_SUFFIXES = (
    ".zip",
    ".7z",
    ".rar",
    ".gz",
    ".tgz",
    ".tar",
    ".bz2",
    ".xz",
    ".zst",
    ".kmz",
)
_CHUNK_BYTES = 1 << 16


@dataclass(frozen=True)
class ZipLimits:
    """What an uploaded archive may hold.

    Attributes
    ----------
    max_members : int
        Number of entries (files and folders).
    max_total_bytes : int
        Sum of the uncompressed sizes, in bytes.
    max_ratio : float
        Largest uncompressed ÷ compressed ratio of a member and of the whole archive.
    """

    max_members: int = 200
    max_total_bytes: int = 500 * 1024 * 1024
    max_ratio: float = 200.0


def _unsafe_path_reason(name: str) -> str | None:
    """Why a member name is unsafe to extract, or ``None``.

    >>> _unsafe_path_reason("roads/roads.shp") is None
    True
    >>> _unsafe_path_reason("../evil.shp"), _unsafe_path_reason("/etc/passwd")
    ('traversal', 'absolute')
    >>> _unsafe_path_reason("C:\\\\x.shp"), _unsafe_path_reason("a\\\\..\\\\..\\\\b")
    ('absolute', 'traversal')
    """
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return "absolute"
    if "\x00" in unified:
        return "traversal"
    if any(part == ".." for part in PurePosixPath(unified).parts):
        return "traversal"
    return None


def _is_dir(info: zipfile.ZipInfo) -> bool:
    """Whether a member is a folder (``ZipInfo.is_dir`` fails on an empty name)."""
    return info.filename.endswith("/")


def _is_link(info: zipfile.ZipInfo) -> bool:
    """Whether a member is a symbolic link (Unix mode bits in the external attributes)."""
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


def inspect_zip(
    path: str | Path, *, limits: ZipLimits, label: str, problems: ProblemCollector
) -> list[zipfile.ZipInfo]:
    """Check an archive's directory; record every problem, return the file members.

    Parameters
    ----------
    path : path of the archive on disk.
    limits : the allowed member count, sizes and ratio.
    label : the name to use in messages (the uploader's file name).
    problems : where problems are recorded.

    Returns
    -------
    list of zipfile.ZipInfo
        The file (not folder) members, in archive order.  Empty when the
        archive cannot be read.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        add_problem(problems, label, "zip_corrupt.not_zip", label=label, error=type(exc).__name__)
        return []
    if len(infos) > limits.max_members:
        add_problem(
            problems,
            label,
            "zip_too_many_members",
            label=label,
            count=len(infos),
            limit=limits.max_members,
        )
    _check_members(infos, label, problems)
    _check_sizes(infos, limits, label, problems)
    return [i for i in infos if not _is_dir(i)]


def _check_members(infos: list[zipfile.ZipInfo], label: str, problems: ProblemCollector) -> None:
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if not name.strip("/"):
            add_problem(problems, label, "zip_corrupt.no_name", label=label)
            continue
        reason = _unsafe_path_reason(name)
        if reason == "absolute":
            add_problem(problems, f"{label}/{name}", "zip_absolute_path", label=label, name=name)
        elif reason == "traversal":
            add_problem(problems, f"{label}/{name}", "zip_path_traversal", label=label, name=name)
        if _is_link(info):
            add_problem(problems, f"{label}/{name}", "zip_link", label=label, name=name)
        if info.flag_bits & 0x1:
            add_problem(problems, f"{label}/{name}", "zip_encrypted", label=label, name=name)
        if not _is_dir(info) and name.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
            add_problem(problems, f"{label}/{name}", "zip_nested_archive", label=label, name=name)
        key = name.replace("\\", "/").lower()
        if key in seen:
            add_problem(problems, f"{label}/{name}", "zip_duplicate_member", label=label, name=name)
        seen.add(key)


def _check_sizes(
    infos: list[zipfile.ZipInfo], limits: ZipLimits, label: str, problems: ProblemCollector
) -> None:
    total_bytes = sum(i.file_size for i in infos)
    packed_bytes = sum(i.compress_size for i in infos)
    if total_bytes > limits.max_total_bytes:
        add_problem(
            problems,
            label,
            "zip_too_large",
            label=label,
            total_bytes=total_bytes,
            limit=limits.max_total_bytes,
        )
    worst = max(
        (
            (i.file_size / max(i.compress_size, 1), i.filename)
            for i in infos
            if i.file_size > 1 << 20
        ),
        default=None,
    )
    overall = total_bytes / max(packed_bytes, 1)
    if (worst and worst[0] > limits.max_ratio) or (
        total_bytes > 1 << 20 and overall > limits.max_ratio
    ):
        ratio, name = worst if worst and worst[0] > overall else (overall, "the archive")
        add_problem(
            problems,
            label,
            "zip_ratio",
            label=label,
            name=name,
            ratio=ratio,
            limit=limits.max_ratio,
        )


def extract_zip(
    path: str | Path, dest: str | Path, members: list[zipfile.ZipInfo], *, label: str
) -> list[Path]:
    """Extract already-inspected ``members`` flat into ``dest``, enforcing declared sizes.

    Only the base name of each member is used, so the written files cannot
    leave ``dest`` whatever the archive says.  A member that inflates past its
    declared size raises :class:`gis.errors.ValidationError`.
    """
    dest = Path(dest)
    written: list[Path] = []
    with zipfile.ZipFile(path) as zf:
        for info in members:
            base = os.path.basename(info.filename.replace("\\", "/"))
            if not base or base.startswith("."):
                continue
            target = dest / base
            _copy_limited(zf, info, target, label)
            written.append(target)
    return written


def _copy_limited(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, label: str) -> None:
    budget = info.file_size
    with zf.open(info) as src, target.open("wb") as out:
        while chunk := src.read(_CHUNK_BYTES):
            budget -= len(chunk)
            if budget < 0:
                problems = ProblemCollector()
                add_problem(
                    problems,
                    f"{label}/{info.filename}",
                    "zip_size_mismatch",
                    label=label,
                    name=info.filename,
                    declared_size=info.file_size,
                )
                problems.raise_if_any(f"{label}: unsafe archive")
            out.write(chunk)
