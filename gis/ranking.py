"""Ranking counties by their yearly assessment (观摩评比), with year-over-year change.

Input: the result documents the batch writes (:func:`gis.batch.read_results`), each holding
``report`` = :func:`gis.report.county_report`'s dict with its ``assessment`` (score 0-100 and
grade 优良 / 合格 / 不合格, :mod:`gis.assessment`).

Order and ties (documented in docs/province.md):

1. higher assessment score first;
2. then the better grade (优良, 合格, 不合格), which only matters if a grade rule other than
   the score decides (e.g. a veto indicator);
3. then more indicators passed;
4. then fewer indicators without data (a county that measured more comes first).

Counties equal on all four share a rank and the next rank is skipped (standard competition
ranking, "1, 2, 2, 4"); among them the county id only orders the table.  Counties without a
score (nothing computable) are listed last with no rank.

Year-over-year change compares a county with its own result in the latest earlier year that
has one: ``score_change`` = score − previous score; ``rank_change`` = previous rank − rank
(positive = moved up).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

GRADES = ("优良", "合格", "不合格")
GRADE_EN = {"优良": "excellent", "合格": "pass", "不合格": "fail"}


@dataclass(frozen=True)
class RankRow:
    """One county's place in one year's ranking."""

    county_id: str
    name: str
    adcode: str | None
    year: int
    score: float | None
    grade: str | None
    passed: int
    failed: int
    no_data: int
    rank: int | None
    is_demonstration: bool = False
    copy_label: str = ""
    provisional: bool = False
    previous_year: int | None = None
    previous_score: float | None = None
    previous_rank: int | None = None
    previous_grade: str | None = None
    score_change: float | None = None
    rank_change: int | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    no_data_excluded: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (with the English grade)."""
        out = asdict(self)
        out["grade_en"] = GRADE_EN.get(self.grade or "")
        return out


def summarize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Score, grade, indicator counts and values of one result document.

    ``values`` maps each indicator id to its value (``None`` without data);
    ``no_data_excluded`` lists the reported targets left out of the score for want of data
    (docs/assessment.md).

    >>> doc = {"county_id": "a", "year": 2020, "metadata": {"name": "A", "adcode": "410181"},
    ...        "report": {"assessment": {"score": 75.0, "grade": "合格"},
    ...                   "indicators": [{"passed": True}, {"passed": False}, {"passed": None}]}}
    >>> s = summarize(doc)
    >>> s["score"], s["grade"], s["passed"], s["failed"], s["no_data"], s["adcode"]
    (75.0, '合格', 1, 1, 1, '410181')
    """
    report = doc.get("report") or {}
    assessment = report.get("assessment") or {}
    meta = doc.get("metadata") or {}
    flags = [i.get("passed") for i in _indicators(report)]
    score = assessment.get("score")
    adcode = meta.get("adcode")
    return {
        "county_id": str(doc.get("county_id", "")),
        "name": str(meta.get("name") or report.get("name") or doc.get("county_id", "")),
        "adcode": str(adcode) if adcode not in (None, "") else None,
        "year": int(doc.get("year", 0)),
        "score": None if score is None or _isnan(score) else float(score),
        "grade": assessment.get("grade"),
        "passed": sum(1 for f in flags if f is True),
        "failed": sum(1 for f in flags if f is False),
        "no_data": sum(1 for f in flags if f is None),
        "is_demonstration": bool(meta.get("is_demonstration", False)),
        "copy_label": str(meta.get("copy_label") or ""),
        "provisional": bool(assessment.get("provisional", False)),
        "values": {str(i["id"]): i.get("value") for i in _indicators(report) if i.get("id")},
        "no_data_excluded": tuple(assessment.get("no_data_excluded") or ()),
    }


def _indicators(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = report.get("indicators") or []
    if isinstance(items, Mapping):
        return list(items.values())
    return list(items)


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _grade_index(grade: str | None) -> int:
    return GRADES.index(grade) if grade in GRADES else len(GRADES)


def _tie_key(s: Mapping[str, Any]) -> tuple[float, int, int, int]:
    return (-float(s["score"]), _grade_index(s["grade"]), -int(s["passed"]), int(s["no_data"]))


def rank_year(docs: Iterable[Mapping[str, Any]]) -> list[RankRow]:
    """Rank one year's result documents (see the module docstring for the rules).

    >>> def d(cid, score, passed):
    ...     flags = [{"passed": True}] * passed
    ...     return {"county_id": cid, "year": 2020, "report": {
    ...         "assessment": {"score": score, "grade": "合格"}, "indicators": flags}}
    >>> [(r.county_id, r.rank) for r in rank_year([d("b", 80, 3), d("a", 80, 3), d("c", 90, 1),
    ...                                            d("e", 80, 2), d("f", None, 0)])]
    [('c', 1), ('a', 2), ('b', 2), ('e', 4), ('f', None)]
    """
    summaries = [summarize(d) for d in docs]
    ids = [s["county_id"] for s in summaries]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        msg = f"ranking: county ids {dup} appear more than once in one year"
        raise ValueError(msg)
    scored = sorted(
        (s for s in summaries if s["score"] is not None),
        key=lambda s: (_tie_key(s), s["county_id"]),
    )
    unscored = sorted((s for s in summaries if s["score"] is None), key=lambda s: s["county_id"])
    rows: list[RankRow] = []
    previous_key: tuple[float, int, int, int] | None = None
    rank = 0
    for position, s in enumerate(scored, start=1):
        key = _tie_key(s)
        if key != previous_key:
            rank, previous_key = position, key
        rows.append(RankRow(**s, rank=rank))
    rows.extend(RankRow(**s, rank=None) for s in unscored)
    return rows


def rank_with_change(
    docs_by_year: Mapping[int, Sequence[Mapping[str, Any]]], year: int
) -> list[RankRow]:
    """:func:`rank_year` of ``year`` with each county's change since its latest earlier result.

    >>> def d(cid, year, score):
    ...     return {"county_id": cid, "year": year,
    ...             "report": {"assessment": {"score": score, "grade": "合格"}, "indicators": []}}
    >>> rows = rank_with_change({2019: [d("a", 2019, 70), d("b", 2019, 80)],
    ...                          2020: [d("a", 2020, 85), d("b", 2020, 80)]}, 2020)
    >>> [(r.county_id, r.rank, r.previous_rank, r.rank_change, r.score_change) for r in rows]
    [('a', 1, 2, 1, 15.0), ('b', 2, 1, -1, 0.0)]
    """
    if year not in docs_by_year:
        return []
    current = rank_year(docs_by_year[year])
    earlier = {
        y: {r.county_id: r for r in rank_year(docs_by_year[y])} for y in docs_by_year if y < year
    }
    out = []
    for row in current:
        prev = _latest_before(earlier, row.county_id)
        out.append(row if prev is None else _with_previous(row, prev))
    return out


def _latest_before(earlier: Mapping[int, Mapping[str, RankRow]], county_id: str) -> RankRow | None:
    for y in sorted(earlier, reverse=True):
        if county_id in earlier[y]:
            return earlier[y][county_id]
    return None


def _with_previous(row: RankRow, prev: RankRow) -> RankRow:
    score_change = None
    if row.score is not None and prev.score is not None:
        score_change = round(row.score - prev.score, 6)
    rank_change = None
    if row.rank is not None and prev.rank is not None:
        rank_change = prev.rank - row.rank
    values = asdict(row) | {
        "previous_year": prev.year,
        "previous_score": prev.score,
        "previous_rank": prev.rank,
        "previous_grade": prev.grade,
        "score_change": score_change,
        "rank_change": rank_change,
    }
    return RankRow(**values)


def grade_counts(rows: Iterable[RankRow]) -> dict[str, int]:
    """How many counties got each grade (and ``none`` for no grade).

    >>> grade_counts([RankRow("a", "A", None, 2020, 90.0, "优良", 3, 0, 0, 1)])
    {'优良': 1, '合格': 0, '不合格': 0, 'none': 0}
    """
    counts = dict.fromkeys(GRADES, 0) | {"none": 0}
    for r in rows:
        counts[r.grade if r.grade in GRADES else "none"] += 1
    return counts
