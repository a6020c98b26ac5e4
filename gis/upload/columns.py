"""Column mapping: the uploader's mapping, aliases, and cut-name prefix matching (dBase limits)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gis.errors import ProblemCollector
from gis.upload.base import ValidationReport
from gis.upload.messages import add_problem
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
            add_problem(
                problems,
                f"{label}: mapping {target}",
                "bad_mapping.unknown_target",
                label=label,
                target=target,
                layer=schema.label,
                known=sorted(known),
            )
        elif source not in columns:
            add_problem(
                problems,
                f"{label}: mapping {target}",
                "bad_mapping.no_such_column",
                label=label,
                target=target,
                source=source,
                columns=columns,
            )
    found: dict[str, str] = {}
    used: set[str] = set()
    for col in schema.columns:
        chosen = mapping.get(col.name)
        if chosen is None or chosen not in columns:
            chosen = next(
                (
                    by_norm[_norm(a)]
                    for a in col.aliases
                    if _norm(a) in by_norm and by_norm[_norm(a)] not in used
                ),
                None,
            )
        if chosen is not None:
            found[col.name] = chosen
            used.add(chosen)
    found.update(_prefix_matches([c for c in columns if c not in used], schema, found))
    resolved: dict[str, str] = {}
    for col in schema.columns:
        picked = found.get(col.name)
        if picked is None:
            if col.required:
                add_problem(
                    problems,
                    f"{label}: column {col.name}",
                    "missing_column",
                    label=label,
                    column=col.name,
                    column_zh=col.label_zh,
                    columns=columns,
                    suggested=col.aliases[1] if len(col.aliases) > 1 else col.name,
                )
            continue
        resolved[col.name] = picked
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
            label=label,
            source=source,
            column=col.name,
            alias=alias,
            column_zh=col.label_zh,
        )
