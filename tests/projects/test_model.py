"""The project library's pure rules (gis/projects.py): vocabularies, the review state machine
for every role and status, edits, merges, what the public sees, and the figures, worked by hand."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from gis.errors import NotFoundError
from gis.projects import (
    CATEGORIES,
    PUBLIC_FIELDS,
    REVIEW_STATUSES,
    ProjectError,
    ReviewError,
    allowed_actions,
    create_project,
    delete_project,
    merge_projects,
    next_review_status,
    normalise_projects,
    parse_category,
    parse_project_status,
    public_projects,
    review_project,
    summarise,
    summarise_by_category,
    update_project,
)

NOW = "2030-01-01T00:00:00+00:00"  # any fixed instant: nothing here reads the clock


def _project(pid: str, review: str, **extra: object) -> dict[str, object]:
    base = {
        "project_id": pid,
        "name": f"项目{pid}",
        "category": "道路",
        "investment_wan_yuan": 100.0,
        "progress_pct": 50.0,
        "contact": "张三 13800000000",
        "review_status": review,
    }
    base.update(extra)
    return base


def _frame(*rows: dict[str, object]) -> gpd.GeoDataFrame:
    geoms = [Point(113.6 + i * 0.01, 34.7) for i in range(len(rows))]
    keys = sorted({k for r in rows for k in r})
    return gpd.GeoDataFrame({k: [r.get(k) for r in rows] for k in keys}, geometry=geoms, crs=4326)


def test_all_thirteen_categories_and_english_aliases() -> None:
    assert len(CATEGORIES) == 13
    for zh, en in CATEGORIES.items():
        assert parse_category(zh) == zh
        assert parse_category(en.upper()) == zh
    assert parse_category("public toilets") == "环卫/公厕"
    with pytest.raises(ValueError, match="unknown project category"):
        parse_category("airport")


def test_statuses() -> None:
    assert [parse_project_status(v) for v in ("储备", "在建", "完工")] == ["储备", "在建", "完工"]
    assert parse_project_status("Completed") == "完工"
    with pytest.raises(ValueError):
        parse_project_status("paused")


# --- the review matrix: every action from every status ------------------------------------------

EXPECTED = {
    ("submit", "draft"): "submitted",
    ("submit", "returned"): "submitted",
    ("pass", "submitted"): "passed",
    ("return", "submitted"): "returned",
}


@pytest.mark.parametrize("action", ["submit", "pass", "return"])
@pytest.mark.parametrize("status", list(REVIEW_STATUSES))
def test_review_transitions(action: str, status: str) -> None:
    frame = _frame(_project("XM-0001", status))
    expected = EXPECTED.get((action, status))
    if expected is None:
        with pytest.raises(ReviewError) as info:
            review_project(frame, "XM-0001", action, user="u", now=NOW, comment="改")
        assert info.value.status == 409
        assert " | " in info.value.message  # Chinese | English
        return
    change = review_project(frame, "XM-0001", action, user="u", now=NOW, comment="请补充位置")
    row = change.frame.iloc[0]
    assert row["review_status"] == expected
    assert change.project_ids == ("XM-0001",)
    if action in ("pass", "return"):
        assert (row["reviewed_by"], row["reviewed_at"]) == ("u", NOW)
        assert row["review_comment"] == "请补充位置"
    assert frame.iloc[0]["review_status"] == status  # the input is not changed


@pytest.mark.parametrize(
    ("role", "actions"),
    [
        ("public", set()),
        ("staff", {"create", "edit", "delete", "submit"}),
        ("reviewer", {"pass", "return"}),
        ("admin", {"create", "edit", "delete", "submit", "pass", "return"}),
    ],
)
def test_who_may_do_what(role: str, actions: set[str]) -> None:
    assert allowed_actions(role) == actions


def test_return_needs_a_comment() -> None:
    frame = _frame(_project("XM-0001", "submitted"))
    with pytest.raises(ProjectError, match="comment"):
        review_project(frame, "XM-0001", "return", user="r", now=NOW, comment="  ")


def test_next_review_status_names_the_rule() -> None:
    assert next_review_status("draft", "submit") == "submitted"
    with pytest.raises(ReviewError, match="只有已提交"):
        next_review_status("draft", "pass")


# --- edits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(REVIEW_STATUSES))
def test_an_edit_sends_any_project_back_to_draft(status: str) -> None:
    frame = _frame(_project("XM-0001", status, review_comment="位置不准"))
    change = update_project(frame, "XM-0001", {"progress_pct": 75.0}, user="alice", now=NOW)
    row = change.frame.iloc[0]
    assert row["review_status"] == "draft"
    assert row["progress_pct"] == 75.0
    assert row["review_comment"] == "位置不准"  # the reviewer's reason stays visible
    assert "进度（%） 50→75" in change.message_zh
    assert "progress (%) 50→75" in change.message_en
    if status != "draft":
        assert "→草稿" in change.message_zh


def test_create_numbers_ids_and_refuses_a_duplicate() -> None:
    frame = _frame(_project("XM-0007", "passed"))
    values = {"name": "新路", "category": "道路", "investment_wan_yuan": 1.0, "progress_pct": 0.0}
    change = create_project(frame, {**values, "geometry": Point(113.7, 34.7)}, user="a", now=NOW)
    assert change.project_ids == ("XM-0008",)
    new = change.frame[change.frame["project_id"] == "XM-0008"].iloc[0]
    assert (new["review_status"], new["status"], new["updated_by"]) == ("draft", "储备", "a")
    with pytest.raises(ProjectError):
        create_project(frame, {**values, "project_id": "XM-0007"}, user="a", now=NOW)


def test_delete_and_unknown_ids() -> None:
    frame = _frame(_project("A", "draft"), _project("B", "passed"))
    assert delete_project(frame, "A").frame["project_id"].tolist() == ["B"]
    assert len(delete_project(delete_project(frame, "A").frame, "B").frame) == 0
    with pytest.raises(NotFoundError):
        delete_project(frame, "C")


def test_merge_updates_by_id_adds_new_and_keeps_unchanged_passed() -> None:
    frame = _frame(_project("A", "passed"), _project("B", "passed"))
    same_b = (
        frame.iloc[[1]]
        .drop(columns=["review_status", "contact"])
        .assign(contact="张三 13800000000")
    )
    changed_a = frame.iloc[[0]].drop(columns="review_status").assign(progress_pct=80.0)
    new = gpd.GeoDataFrame(
        {
            "name": ["新项目"],
            "category": ["停车"],
            "investment_wan_yuan": [5.0],
            "progress_pct": [0.0],
        },
        geometry=[Polygon([(113.6, 34.7), (113.61, 34.7), (113.61, 34.71)])],
        crs=4326,
    )
    incoming = gpd.GeoDataFrame(
        __import__("pandas").concat([changed_a, same_b, new], ignore_index=True), crs=4326
    )
    change = merge_projects(frame, incoming, user="alice", now=NOW, label="台账.xlsx")
    out = change.frame.set_index("project_id")
    assert out.loc["A", "review_status"] == "draft" and out.loc["A", "progress_pct"] == 80.0
    assert out.loc["B", "review_status"] == "passed"  # unchanged: stays published
    assert out.loc["XM-0001", "review_status"] == "draft"
    assert "新增 1 个，修改 1 个" in change.message_zh
    assert set(change.project_ids) == {"A", "XM-0001"}


def test_old_layers_read_as_drafts() -> None:
    old = gpd.GeoDataFrame(
        {
            "project_id": ["P-1", None],
            "name": ["a", "b"],
            "category": ["道路", "公园绿地"],
            "investment_wan_yuan": [1.0, 2.0],
            "progress_pct": [0.0, 100.0],
        },
        geometry=[Point(113.6, 34.7), LineString([(113.6, 34.7), (113.7, 34.7)])],
        crs=4326,
    )
    out = normalise_projects(old)
    assert out["project_id"].tolist() == ["P-1", "XM-0001"]
    assert out["status"].tolist() == ["储备", "完工"]
    assert set(out["review_status"]) == {"draft"}


# --- the public and the figures -----------------------------------------------------------------


def test_public_sees_passed_projects_and_public_fields_only() -> None:
    frame = _frame(*(_project(s, s, review_comment="x") for s in REVIEW_STATUSES))
    shown = public_projects(frame)
    assert shown["project_id"].tolist() == ["passed"]
    assert set(shown.columns) == {*PUBLIC_FIELDS, "geometry"}
    assert "contact" not in shown.columns and "review_comment" not in shown.columns


def test_figures_by_hand() -> None:
    frame = _frame(
        _project("A", "passed", investment_wan_yuan=300.0, progress_pct=100.0, status="完工"),
        _project(
            "B",
            "passed",
            investment_wan_yuan=100.0,
            progress_pct=20.0,
            category="停车",
            parking_spaces=120,
        ),
        _project("C", "passed", investment_wan_yuan=600.0, progress_pct=0.0, status="储备"),
    )
    s = summarise(frame)
    # (300 × 100 + 100 × 20 + 600 × 0) / 1000 = 32 %
    assert s == {
        "count": 3,
        "investment_wan_yuan": 1000.0,
        "progress_pct": 32.0,
        "by_status": {"储备": 1, "在建": 1, "完工": 1},
        "parking_spaces": 120,
    }
    cats = {c["category"]: c for c in summarise_by_category(frame)}
    assert cats["道路"]["count"] == 2 and cats["道路"]["investment_wan_yuan"] == 900.0
    assert cats["停车"]["progress_pct"] == 20.0
    assert summarise(frame.iloc[0:0])["progress_pct"] is None


@example([(5e-324, 1.5, "passed")])  # 5e-324 * 1.5 / 5e-324 was 2.0 (underflow)
@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 1e6, allow_nan=False),
            st.floats(0, 100, allow_nan=False),
            st.sampled_from(list(REVIEW_STATUSES)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_published_figures_count_passed_and_progress_stays_in_range(rows: list) -> None:
    frame = _frame(
        *(
            _project(f"P{i}", r, investment_wan_yuan=inv, progress_pct=pct)
            for i, (inv, pct, r) in enumerate(rows)
        )
    )
    shown = public_projects(frame)
    s = summarise(shown)
    passed = [(inv, pct) for inv, pct, r in rows if r == "passed"]
    assert s["count"] == len(passed)
    assert s["investment_wan_yuan"] == pytest.approx(sum(i for i, _ in passed), abs=0.01)
    if passed:
        lo, hi = min(p for _, p in passed), max(p for _, p in passed)
        assert lo - 0.05 <= s["progress_pct"] <= hi + 0.05
    assert sum(c["count"] for c in summarise_by_category(shown)) == len(passed)
