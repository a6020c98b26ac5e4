"""Column mapping: the uploader's mapping, aliases, and cut-name prefix matching (dBase limits)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gis.errors import ProblemCollector
from gis.upload.base import ValidationReport
from gis.upload.schemas import Column, LayerSchema


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", str(name)).lower()


def resolve_columns(
    columns: list[str],
    schema: LayerSchema,
    mapping: Mapping[str, str],
    *,
    label: str,
    problems: ProblemCollector,
) -> dict[str, str]:
    """Stored column → source column, from the uploader's mapping, else the known aliases.

    >>> from gis.upload.schemas import SCHEMAS
    >>> p = ProblemCollector()
    >>> resolve_columns(["MC", "DLDJ"], SCHEMAS["roads"], {}, label="r.zip", problems=p)
    {'road_class': 'DLDJ', 'name': 'MC'}
    >>> resolve_columns(["x"], SCHEMAS["roads"], {}, label="r.zip", problems=p)
    {}
    >>> [q.code for q in p.problems]
    ['missing_column']
    """
    by_norm = {_norm(c): c for c in columns}
    known = {c.name for c in schema.columns}
    for target, source in mapping.items():
        if target not in known:
            problems.add(
                f"{label}: mapping {target}",
                f"{label}: the column mapping names {target!r}, which is not a column of "
                f"{schema.label_en}; expected one of {sorted(known)}",
                f"{label}：字段映射中的 {target!r} 不是{schema.label_zh}的字段；应为 "
                f"{sorted(known)} 之一",
                "bad_mapping",
            )
        elif source not in columns:
            problems.add(
                f"{label}: mapping {target}",
                f"{label}: the column mapping says {target} comes from {source!r}, but the file "
                f"has no such column; its columns are {columns}",
                f"{label}：字段映射指定 {target} 来自 {source!r}，但文件中没有该字段；现有字段："
                f"{columns}",
                "bad_mapping",
            )
    found: dict[str, str] = {}
    used: set[str] = set()
    for col in schema.columns:
        source = mapping.get(col.name)
        if source is None or source not in columns:
            source = next(
                (
                    by_norm[_norm(a)]
                    for a in col.aliases
                    if _norm(a) in by_norm and by_norm[_norm(a)] not in used
                ),
                None,
            )
        if source is not None:
            found[col.name] = source
            used.add(source)
    found.update(_prefix_matches([c for c in columns if c not in used], schema, found))
    resolved: dict[str, str] = {}
    for col in schema.columns:
        source = found.get(col.name)
        if source is None:
            if col.required:
                problems.add(
                    f"{label}: column {col.name}",
                    f"{label}: no column for {col.name} ({col.label_zh}); the file has {columns}. "
                    f"Name a column {col.aliases[1] if len(col.aliases) > 1 else col.name!r} "
                    f"or map it in the upload form ({col.name}=YOUR_COLUMN)",
                    f"{label}：缺少字段 {col.label_zh}（{col.name}）；文件中的字段为 {columns}。"
                    f"请将字段命名为 {col.aliases[1] if len(col.aliases) > 1 else col.name}，"
                    "或在上传表单中设置映射",
                    "missing_column",
                )
            continue
        resolved[col.name] = source
    return resolved


def _may_be_cut(name: str) -> bool:
    """A column name long enough to have been cut by the dBase limit of 10 bytes per name."""
    return len(name.encode("utf-8")) >= (10 if name.isascii() else 8)


def prefix_alias(source: str, col: Column) -> str | None:
    """The alias of ``col`` that ``source`` (a cut column name) is the beginning of, if any.

    >>> from gis.upload.schemas import SCHEMAS
    >>> prefix_alias("批复日", SCHEMAS["plans"].columns[3])
    '批复日期'
    >>> prefix_alias("批复日期", SCHEMAS["plans"].columns[3]) is None  # whole, not cut
    True
    """
    key = _norm(source)
    if not key or not _may_be_cut(source):
        return None
    return next(
        (a for a in col.aliases if _norm(a) != key and _norm(a).startswith(key)),
        None,
    )


def _prefix_matches(
    unused: list[str], schema: LayerSchema, found: Mapping[str, str]
) -> dict[str, str]:
    """Stored column → source column for cut names that begin exactly one column's aliases.

    A shapefile cuts 批复日期 to 批复日 (10 bytes, the broken byte dropped); it still maps to
    approved_on.  Only unique matches count: a cut name beginning the aliases of two columns,
    or two cut names beginning the aliases of one column, map nothing.
    """
    open_columns = [c for c in schema.columns if c.name not in found]
    candidates = {
        source: [c.name for c in open_columns if prefix_alias(source, c) is not None]
        for source in unused
    }
    unique = {s: names[0] for s, names in candidates.items() if len(names) == 1}
    targets = list(unique.values())
    return {name: s for s, name in unique.items() if targets.count(name) == 1}


def warn_prefix_matches(
    resolved: Mapping[str, str],
    schema: LayerSchema,
    mapping: Mapping[str, str],
    *,
    label: str,
    report: ValidationReport,
) -> None:
    """One warning per column mapped by the beginning of an alias (a name cut by the DBF)."""
    for col in schema.columns:
        source = resolved.get(col.name)
        if source is None or mapping.get(col.name) == source:
            continue
        if any(_norm(a) == _norm(source) for a in col.aliases):
            continue
        alias = prefix_alias(source, col) or col.name
        report.warn(
            f"{label}: column {source}",
            "column_name_prefix",
            f"{label}: column {source!r} was taken as {col.name} ({alias}): its name looks cut "
            f"by the dBase limit of 10 bytes per column name and is the beginning of {alias!r}. "
            f"If that is wrong, map the column in the upload form ({col.name}=YOUR_COLUMN)",
            f"{label}：字段 {source!r} 已作为{col.label_zh}（{col.name}）读取：其名称似被 dBase "
            f"字段名 10 字节上限截断，是 {alias!r} 的开头。如不正确，请在上传表单中设置映射",
        )
