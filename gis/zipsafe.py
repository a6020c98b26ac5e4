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
        problems.add(
            label,
            f"{label}: not a readable zip archive ({type(exc).__name__}); zip the files again "
            "(e.g. right-click → Send to → Compressed folder) and upload the .zip",
            f"{label}：不是可读取的 zip 压缩包；请重新压缩后上传 .zip 文件",
            "zip_corrupt",
        )
        return []
    if len(infos) > limits.max_members:
        problems.add(
            label,
            f"{label}: {len(infos)} entries in the archive, more than the limit of "
            f"{limits.max_members}; upload one layer per archive",
            f"{label}：压缩包含 {len(infos)} 个条目，超过上限 {limits.max_members}；"
            "每个压缩包只放一个图层",
            "zip_too_many_members",
        )
    _check_members(infos, label, problems)
    _check_sizes(infos, limits, label, problems)
    return [i for i in infos if not _is_dir(i)]


def _check_members(infos: list[zipfile.ZipInfo], label: str, problems: ProblemCollector) -> None:
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if not name.strip("/"):
            problems.add(
                label,
                f"{label}: a member has no name; the archive is damaged. Zip the files again",
                f"{label}：压缩包中有成员没有名称，压缩包已损坏；请重新压缩",
                "zip_corrupt",
            )
            continue
        reason = _unsafe_path_reason(name)
        if reason == "absolute":
            problems.add(
                f"{label}/{name}",
                f"{label}: member {name!r} has an absolute path; archives must hold relative "
                "paths only. Re-create the zip from inside the folder",
                f"{label}：成员 {name!r} 使用绝对路径；压缩包只能包含相对路径，"
                "请在文件夹内重新压缩",
                "zip_absolute_path",
            )
        elif reason == "traversal":
            problems.add(
                f"{label}/{name}",
                f"{label}: member {name!r} points outside the archive ('..'); "
                "remove it and re-create the zip",
                f"{label}：成员 {name!r} 指向压缩包之外（含“..”）；请删除后重新压缩",
                "zip_path_traversal",
            )
        if _is_link(info):
            problems.add(
                f"{label}/{name}",
                f"{label}: member {name!r} is a symbolic link; links are not accepted. "
                "Zip the real files instead",
                f"{label}：成员 {name!r} 是符号链接，不予接受；请压缩实际文件",
                "zip_link",
            )
        if info.flag_bits & 0x1:
            problems.add(
                f"{label}/{name}",
                f"{label}: member {name!r} is encrypted; upload an archive without a password",
                f"{label}：成员 {name!r} 已加密；请上传未设密码的压缩包",
                "zip_encrypted",
            )
        if not _is_dir(info) and name.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
            problems.add(
                f"{label}/{name}",
                f"{label}: member {name!r} is itself an archive; nested archives are not "
                "accepted. Unpack it and zip the layer's files directly",
                f"{label}：成员 {name!r} 本身是压缩包，不接受嵌套压缩；请解压后直接压缩图层文件",
                "zip_nested_archive",
            )
        key = name.replace("\\", "/").lower()
        if key in seen:
            problems.add(
                f"{label}/{name}",
                f"{label}: member {name!r} appears twice; keep one copy",
                f"{label}：成员 {name!r} 重复出现；只保留一份",
                "zip_duplicate_member",
            )
        seen.add(key)


def _check_sizes(
    infos: list[zipfile.ZipInfo], limits: ZipLimits, label: str, problems: ProblemCollector
) -> None:
    total_bytes = sum(i.file_size for i in infos)
    packed_bytes = sum(i.compress_size for i in infos)
    if total_bytes > limits.max_total_bytes:
        problems.add(
            label,
            f"{label}: unpacks to {total_bytes:,} bytes, more than the limit of "
            f"{limits.max_total_bytes:,}; split the layer or simplify it",
            f"{label}：解压后 {total_bytes:,} 字节，超过上限 {limits.max_total_bytes:,}；"
            "请拆分或简化图层",
            "zip_too_large",
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
        problems.add(
            label,
            f"{label}: {name} compresses {ratio:,.0f}:1, more than the limit of "
            f"{limits.max_ratio:,.0f}:1 (a zip bomb?); upload the real layer files",
            f"{label}：{name} 压缩比 {ratio:,.0f}:1，超过上限 "
            f"{limits.max_ratio:,.0f}:1（疑似压缩炸弹）；请上传真实的图层文件",
            "zip_ratio",
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
                problems.add(
                    f"{label}/{info.filename}",
                    f"{label}: member {info.filename!r} inflates beyond its declared size "
                    f"({info.file_size:,} bytes); the archive is corrupt or malicious. Zip the "
                    "files again",
                    f"{label}：成员 {info.filename!r} 解压后超过声明的大小；压缩包已损坏或被篡改，"
                    "请重新压缩",
                    "zip_size_mismatch",
                )
                problems.raise_if_any(f"{label}: unsafe archive")
            out.write(chunk)
