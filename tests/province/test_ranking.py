"""Ranking: order, ties sharing a rank, unscored counties last, year-over-year change."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gis.ranking import grade_counts, rank_with_change, rank_year, summarize


def doc(
    cid: str,
    score: float | None,
    flags: list[bool | None],
    *,
    year: int = 2020,
    grade: str | None = "合格",
    adcode: str | None = None,
) -> dict[str, Any]:
    return {
        "county_id": cid,
        "year": year,
        "metadata": {"name": f"county {cid}", "adcode": adcode},
        "report": {
            "assessment": {"score": score, "grade": grade},
            "indicators": [{"id": f"i{k}", "passed": f} for k, f in enumerate(flags)],
        },
    }


def test_ties_broken_by_grade_then_passed_then_missing_data_then_shared() -> None:
    docs = [
        doc("z", 80.0, [True, True, False], grade="合格"),
        doc("y", 80.0, [True, True, False], grade="优良"),  # better grade wins the tie
        doc("x", 80.0, [True, False, False], grade="合格"),  # fewer passed
        doc("w", 80.0, [True, True, None], grade="合格"),  # same passed, one without data
        doc("v", 80.0, [True, True, False], grade="合格"),  # exact tie with z: shared rank
        doc("u", 92.5, [True, True, True], grade="优良"),
        doc("t", None, [None, None, None], grade=None),
    ]
    rows = rank_year(docs)
    assert [(r.county_id, r.rank) for r in rows] == [
        ("u", 1),
        ("y", 2),
        ("v", 3),
        ("z", 3),
        ("w", 5),
        ("x", 6),
        ("t", None),
    ]
    assert rows[-1].score is None
    assert grade_counts(rows) == {"优良": 2, "合格": 4, "不合格": 0, "none": 1}


def test_summary_reads_counts_and_metadata() -> None:
    s = summarize(doc("410181", 61.25, [True, False, None, None], adcode="410181"))
    assert (s["score"], s["passed"], s["failed"], s["no_data"], s["adcode"]) == (
        61.25,
        1,
        1,
        2,
        "410181",
    )


def test_duplicate_county_in_a_year_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        rank_year([doc("a", 1.0, []), doc("a", 2.0, [])])


def test_year_over_year_uses_latest_earlier_year_of_each_county() -> None:
    by_year = {
        2018: [
            doc("a", 50.0, [], year=2018),
            doc("b", 70.0, [], year=2018),
            doc("c", 60.0, [], year=2018),
        ],
        2019: [doc("a", 65.0, [], year=2019), doc("b", 60.0, [], year=2019)],
        2020: [
            doc("a", 90.0, [], year=2020),
            doc("b", 60.0, [], year=2020),
            doc("c", 75.0, [], year=2020),
            doc("d", 10.0, [], year=2020),
        ],
    }
    rows = {r.county_id: r for r in rank_with_change(by_year, 2020)}
    assert (rows["a"].rank, rows["a"].previous_year, rows["a"].previous_rank) == (1, 2019, 1)
    assert rows["a"].score_change == 25.0 and rows["a"].rank_change == 0
    assert (rows["b"].rank, rows["b"].previous_rank, rows["b"].rank_change) == (3, 2, -1)
    # c has no 2019 result: compared with 2018, where it ranked 2nd of 3
    assert (rows["c"].previous_year, rows["c"].previous_rank, rows["c"].rank_change) == (2018, 2, 0)
    assert rows["c"].score_change == 15.0
    assert rows["d"].previous_year is None and rows["d"].rank_change is None
    assert rank_with_change(by_year, 2017) == []
    assert rows["a"].to_dict()["grade_en"] == "pass"


@given(st.lists(st.one_of(st.none(), st.integers(0, 4).map(lambda k: k * 25.0)), max_size=12))
def test_ranks_are_competition_ranks(scores: list[float | None]) -> None:
    rows = rank_year([doc(f"c{i:02d}", s, []) for i, s in enumerate(scores)])
    ranked = [r for r in rows if r.rank is not None]
    assert len(ranked) == sum(s is not None for s in scores)
    for r in ranked:  # rank = 1 + number of counties with a strictly higher score
        assert r.rank == 1 + sum(1 for o in ranked if o.score > r.score)  # type: ignore[operator]
    assert all(r.rank is None for r in rows[len(ranked) :])
