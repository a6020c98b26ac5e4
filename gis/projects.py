"""The project library (项目库): vocabularies, review rules and pure edits of the projects layer.

A county's projects are the rows of its ``projects`` layer (EPSG:4326).  Every function here
takes a frame and returns a new one (the input is never changed); the caller commits the result
as a new version of the layer (:mod:`gis.store`), so each change has who, when and what.

Review (豫百城提质〔2017〕1号 (六)): ``draft`` (草稿) → ``submitted`` (已提交) by the county;
``submitted`` → ``passed`` (已通过) or ``returned`` (已退回, with a comment) by a province
reviewer.  Editing a project sends it back to ``draft`` whatever its state (a passed project
must be reviewed again before its new content is public); a returned project keeps the
reviewer's comment until it is reviewed again.  Only ``passed`` projects are public
(:func:`public_projects`), and of them only :data:`PUBLIC_FIELDS`.

>>> parse_category("Parking"), parse_category("公园"), parse_project_status("under construction")
('停车', '公园绿地', '在建')
>>> next_review_status("draft", "submit"), next_review_status("submitted", "return")
('submitted', 'returned')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely.geometry

from gis.errors import GisError, NotFoundError

STORAGE_EPSG = 4326
LAYER = "projects"

CATEGORIES: dict[str, str] = {
    "道路": "roads",
    "停车": "parking",
    "公园绿地": "parks and green space",
    "体育": "sports",
    "供水": "water supply",
    "污水": "sewage",
    "燃气": "gas",
    "供热": "heating",
    "环卫/公厕": "sanitation and public toilets",
    "棚户区改造": "shanty-town redevelopment",
    "老旧小区改造": "old neighbourhood renovation",
    "公共服务设施": "public service facilities",
    "其他": "other",
}
"""The thirteen categories (stored in Chinese) and their English names."""

_CATEGORY_ALIASES: dict[str, str] = {
    **{en: zh for zh, en in CATEGORIES.items()},
    "road": "道路",
    "street": "道路",
    "道路交通": "道路",
    "市政道路": "道路",
    "路网": "道路",
    "停车场": "停车",
    "停车设施": "停车",
    "car park": "停车",
    "公园": "公园绿地",
    "绿地": "公园绿地",
    "园林绿化": "公园绿地",
    "绿化": "公园绿地",
    "park": "公园绿地",
    "parks": "公园绿地",
    "green space": "公园绿地",
    "体育设施": "体育",
    "全民健身": "体育",
    "sport": "体育",
    "给水": "供水",
    "自来水": "供水",
    "water": "供水",
    "污水处理": "污水",
    "排水": "污水",
    "雨污分流": "污水",
    "sewer": "污水",
    "sewerage": "污水",
    "天然气": "燃气",
    "燃气管网": "燃气",
    "集中供热": "供热",
    "heat": "供热",
    "环卫": "环卫/公厕",
    "公厕": "环卫/公厕",
    "环卫公厕": "环卫/公厕",
    "垃圾处理": "环卫/公厕",
    "sanitation": "环卫/公厕",
    "public toilets": "环卫/公厕",
    "棚改": "棚户区改造",
    "棚户区": "棚户区改造",
    "shanty-town renovation": "棚户区改造",
    "老旧小区": "老旧小区改造",
    "old residential area renovation": "老旧小区改造",
    "公共服务": "公共服务设施",
    "公共设施": "公共服务设施",
    "学校": "公共服务设施",
    "教育": "公共服务设施",
    "医疗": "公共服务设施",
    "文化": "公共服务设施",
    "养老": "公共服务设施",
    "public services": "公共服务设施",
    "public facilities": "公共服务设施",
    "其它": "其他",
    "others": "其他",
}

STATUSES: dict[str, str] = {"储备": "planned", "在建": "under construction", "完工": "completed"}
"""Construction status 储备 → 在建 → 完工 (stored in Chinese) and the English words."""

_STATUS_ALIASES: dict[str, str] = {
    **{en: zh for zh, en in STATUSES.items()},
    "储备项目": "储备",
    "前期": "储备",
    "谋划": "储备",
    "未开工": "储备",
    "reserve": "储备",
    "pipeline": "储备",
    "在建项目": "在建",
    "施工": "在建",
    "施工中": "在建",
    "建设中": "在建",
    "已开工": "在建",
    "in progress": "在建",
    "construction": "在建",
    "完工项目": "完工",
    "已完工": "完工",
    "竣工": "完工",
    "已竣工": "完工",
    "finished": "完工",
    "done": "完工",
    "complete": "完工",
}

REVIEW_STATUSES: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"),
    "submitted": ("已提交", "submitted"),
    "passed": ("已通过", "passed"),
    "returned": ("已退回", "returned"),
}
"""Review status code → (Chinese, English) labels."""

_REVIEW_ALIASES = {
    **{code: code for code in REVIEW_STATUSES},
    **{zh: code for code, (zh, _en) in REVIEW_STATUSES.items()},
}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "staff": frozenset({"create", "edit", "delete", "submit"}),
    "reviewer": frozenset({"pass", "return"}),
    "admin": frozenset({"create", "edit", "delete", "submit", "pass", "return"}),
}
"""Which role may take which action (staff only in their own counties)."""

_TRANSITIONS: dict[str, dict[str, str]] = {
    "submit": {"draft": "submitted", "returned": "submitted"},
    "pass": {"submitted": "passed"},
    "return": {"submitted": "returned"},
}

CONTENT_FIELDS = (
    "name",
    "category",
    "investment_wan_yuan",
    "planned_start",
    "planned_finish",
    "status",
    "progress_pct",
    "responsible_unit",
    "contact",
    "parking_spaces",
)
"""The fields a county edits (plus the geometry); the review fields change only by review."""

FIELDS = (
    "project_id",
    *CONTENT_FIELDS,
    "review_status",
    "review_comment",
    "reviewed_by",
    "reviewed_at",
    "updated_by",
    "updated_at",
)
"""Every stored column of the projects layer, in order (the geometry besides)."""

PUBLIC_FIELDS = (
    "project_id",
    "name",
    "category",
    "investment_wan_yuan",
    "planned_start",
    "planned_finish",
    "status",
    "progress_pct",
    "responsible_unit",
    "parking_spaces",
    "reviewed_at",
)
"""What a visitor sees of a passed project: not the contact, the review comment or who did what."""

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "project_id": ("项目编号", "project id"),
    "name": ("项目名称", "name"),
    "category": ("项目类别", "category"),
    "investment_wan_yuan": ("计划总投资（万元）", "planned investment (10k yuan)"),
    "planned_start": ("计划开工日期", "planned start"),
    "planned_finish": ("计划完工日期", "planned finish"),
    "status": ("建设状态", "status"),
    "progress_pct": ("进度（%）", "progress (%)"),
    "responsible_unit": ("责任单位", "responsible unit"),
    "contact": ("联系人", "contact"),
    "parking_spaces": ("停车泊位（个）", "parking spaces"),
    "geometry": ("位置", "location"),
    "review_status": ("审查状态", "review status"),
    "review_comment": ("审查意见", "review comment"),
    "reviewed_by": ("审查人", "reviewed by"),
    "reviewed_at": ("审查时间", "reviewed at"),
    "updated_by": ("修改人", "updated by"),
    "updated_at": ("修改时间", "updated at"),
}
_NUMERIC = frozenset({"investment_wan_yuan", "progress_pct"})
_ID_RE = re.compile(r"^XM-(\d+)$")


class ReviewError(GisError):
    """An action the project's review status does not allow (409)."""

    status = 409
    code = "review_conflict"


class ProjectError(GisError):
    """A bad project request: unknown field, duplicate id, missing comment (400)."""

    status = 400
    code = "invalid_project"


# --- vocabularies ------------------------------------------------------------------------------


def _key(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value).strip()).lower()


def parse_category(value: Any) -> str:
    """One of :data:`CATEGORIES` from its Chinese or English name or a common alias.

    >>> parse_category("Roads"), parse_category("环卫"), parse_category("其它")
    ('道路', '环卫/公厕', '其他')
    >>> parse_category("飞机场")
    Traceback (most recent call last):
    ValueError: unknown project category '飞机场'
    """
    return _lookup(value, CATEGORIES, _CATEGORY_ALIASES, "category")


def parse_project_status(value: Any) -> str:
    """储备, 在建 or 完工 from the Chinese or English word or a common alias.

    >>> parse_project_status("已竣工"), parse_project_status("Planned")
    ('完工', '储备')
    """
    return _lookup(value, STATUSES, _STATUS_ALIASES, "status")


def _lookup(value: Any, names: dict[str, str], aliases: dict[str, str], what: str) -> str:
    """``value`` as one of ``names`` (itself, or through ``aliases`` by :func:`_key`)."""
    text = str(value).strip()
    found = text if text in names else aliases.get(_key(text))
    if found is None:
        msg = f"unknown project {what} {text!r}"
        raise ValueError(msg)
    return found


def parse_review_status(value: Any) -> str:
    """A review status code (``draft`` …) from the code or its Chinese label.

    >>> parse_review_status("已通过"), parse_review_status("returned")
    ('passed', 'returned')
    """
    found = _REVIEW_ALIASES.get(str(value).strip().lower()) or _REVIEW_ALIASES.get(
        str(value).strip()
    )
    if found is None:
        msg = f"unknown review status {value!r}; expected one of {', '.join(REVIEW_STATUSES)}"
        raise ValueError(msg)
    return found


def status_from_progress(progress_pct: float | None) -> str:
    """The status a project without one gets: 0 % → 储备, 100 % → 完工, else 在建.

    >>> [status_from_progress(p) for p in (0, 45, 100, None)]
    ['储备', '在建', '完工', '储备']
    """
    if progress_pct is None or _blank(progress_pct) or progress_pct <= 0:
        return "储备"
    return "完工" if progress_pct >= 100 else "在建"


# --- frames ------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _clean(value: Any) -> Any:
    """A stored value as plain Python: ``None`` for blanks, floats and ints unboxed."""
    if _blank(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def next_project_id(existing: Iterable[Any], count: int = 1) -> list[str]:
    """``count`` new ids ``XM-0001`` … after the highest ``XM-`` number among ``existing``.

    >>> next_project_id(["XM-0007", "A-1", None], 2)
    ['XM-0008', 'XM-0009']
    """
    numbers = [int(m.group(1)) for v in existing if (m := _ID_RE.match(str(v or "")))]
    start = max(numbers, default=0) + 1
    return [f"XM-{n:04d}" for n in range(start, start + count)]


def empty_projects() -> gpd.GeoDataFrame:
    """A projects layer without rows (every column present)."""
    return gpd.GeoDataFrame({f: [] for f in FIELDS}, geometry=[], crs=STORAGE_EPSG)


def normalise_projects(
    frame: gpd.GeoDataFrame | None, *, fill_ids: bool = True
) -> gpd.GeoDataFrame:
    """Every column of :data:`FIELDS`, blanks as ``None``, defaults filled (a new frame).

    An older projects layer (only project_id, name, category, investment, progress) reads as
    drafts: ids ``XM-…`` where missing, the status from the progress, review status ``draft``.

    >>> from shapely.geometry import Point
    >>> old = gpd.GeoDataFrame({"name": ["a"], "category": ["道路"], "investment_wan_yuan": [1.0],
    ...     "progress_pct": [100.0]}, geometry=[Point(0, 0)], crs=4326)
    >>> row = normalise_projects(old).iloc[0]
    >>> row["project_id"], row["status"], row["review_status"]
    ('XM-0001', '完工', 'draft')
    """
    if frame is None or len(frame) == 0:
        return empty_projects()
    frame = frame.to_crs(STORAGE_EPSG) if frame.crs is not None else frame.set_crs(STORAGE_EPSG)
    data: dict[str, list[Any]] = {}
    for name in FIELDS:
        values = frame[name].tolist() if name in frame.columns else [None] * len(frame)
        data[name] = [_clean(v) for v in values]
    if fill_ids:
        missing = [i for i, v in enumerate(data["project_id"]) if v is None]
        new_ids = next_project_id(data["project_id"], len(missing))
        for i, new_id in zip(missing, new_ids, strict=True):
            data["project_id"][i] = new_id
    data["project_id"] = [None if v is None else str(v) for v in data["project_id"]]
    for name in _NUMERIC:
        data[name] = [None if v is None else float(v) for v in data[name]]
    data["parking_spaces"] = [None if v is None else int(v) for v in data["parking_spaces"]]
    data["status"] = [
        s if s in STATUSES else status_from_progress(p)
        for s, p in zip(data["status"], data["progress_pct"], strict=True)
    ]
    data["review_status"] = [s if s in REVIEW_STATUSES else "draft" for s in data["review_status"]]
    return gpd.GeoDataFrame(
        data, geometry=frame.geometry.reset_index(drop=True).values, crs=STORAGE_EPSG
    )


def project_index(frame: gpd.GeoDataFrame, project_id: str) -> int:
    """The row position of ``project_id``; :class:`NotFoundError` when there is none."""
    hits = [i for i, v in enumerate(frame["project_id"].tolist()) if v == project_id]
    if not hits:
        msg = f"本县项目库中没有项目 {project_id} | no project {project_id!r} in this county"
        raise NotFoundError(msg)
    return hits[0]


def project_record(
    frame: gpd.GeoDataFrame, i: int, *, fields: Iterable[str] = FIELDS
) -> dict[str, Any]:
    """Row ``i`` as a plain dict of ``fields`` plus ``geometry`` (WKT) and the review labels."""
    row = frame.iloc[i]
    out = {f: _clean(row[f]) for f in fields if f in frame.columns}
    geom = row.geometry
    empty = geom is None or geom.is_empty
    out["geometry_wkt"] = None if empty else geom.wkt
    out["geometry"] = None if empty else shapely.geometry.mapping(geom)
    if "review_status" in out:
        zh, en = REVIEW_STATUSES.get(out["review_status"], ("", ""))
        out["review_status_zh"], out["review_status_en"] = zh, en
    if out.get("category") in CATEGORIES:
        out["category_en"] = CATEGORIES[out["category"]]
    if out.get("status") in STATUSES:
        out["status_en"] = STATUSES[out["status"]]
    return out


# --- changes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The outcome of one action: the new layer and what to write in the version's record."""

    frame: gpd.GeoDataFrame
    project_ids: tuple[str, ...]
    action: str
    message_zh: str
    message_en: str

    def report(self) -> dict[str, Any]:
        """The ``report`` of the committed version (the per-project history reads it)."""
        return {
            "project_change": {
                "action": self.action,
                "project_ids": list(self.project_ids),
                "message_zh": self.message_zh,
                "message_en": self.message_en,
            }
        }


def allowed_actions(role: str) -> frozenset[str]:
    """The actions a role may take (staff only in their own counties).

    >>> sorted(allowed_actions("reviewer")), sorted(allowed_actions("public"))
    (['pass', 'return'], [])
    """
    return ROLE_ACTIONS.get(role, frozenset())


def next_review_status(current: str, action: str) -> str:
    """The review status after ``action`` (submit, pass, return); :class:`ReviewError` if barred.

    >>> next_review_status("returned", "submit")
    'submitted'
    >>> try:
    ...     next_review_status("passed", "pass")
    ... except ReviewError as exc:
    ...     print(exc.status, exc.code)
    409 review_conflict
    """
    table = _TRANSITIONS[action]
    if current not in table:
        zh = REVIEW_STATUSES.get(current, (current, current))[0]
        ok_zh = "、".join(REVIEW_STATUSES[s][0] for s in table)
        ok_en = " or ".join(table)
        msg = (
            f"项目当前为{zh}，不能{_ACTION_VERB_ZH[action]}（只有{ok_zh}的项目可以） | "
            f"cannot {action} a project that is {current}; only {ok_en} projects can be"
        )
        raise ReviewError(msg)
    return table[current]


_ACTION_VERB_ZH = {"submit": "提交", "pass": "审查通过", "return": "退回"}
_ACTION_ZH = {
    "create": "新建项目",
    "edit": "编辑项目",
    "delete": "删除项目",
    "submit": "提交项目",
    "pass": "审查通过项目",
    "return": "退回项目",
    "import": "导入项目台账",
}
_ACTION_EN = {
    "create": "created project",
    "edit": "edited project",
    "delete": "deleted project",
    "submit": "submitted project",
    "pass": "passed project",
    "return": "returned project",
    "import": "imported the project register",
}


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, str]:
    """What an edit changed, in Chinese and English ("进度 30→45%").

    >>> describe_changes({"progress_pct": 30.0, "name": "a"}, {"progress_pct": 45.0, "name": "a"})
    ('进度（%） 30→45', 'progress (%) 30→45')
    """
    zh, en = [], []
    for field in (*CONTENT_FIELDS, "geometry"):
        old, new = before.get(field), after.get(field)
        if field == "geometry":
            same = (old is None and new is None) or (
                old is not None and new is not None and old.equals_exact(new, 1e-9)
            )
            if not same:
                zh.append("位置已修改")
                en.append("location changed")
            continue
        if old != new:
            zh.append(f"{FIELD_LABELS[field][0]} {_fmt(old)}→{_fmt(new)}")
            en.append(f"{FIELD_LABELS[field][1]} {_fmt(old)}→{_fmt(new)}")
    return "；".join(zh) or "无变化", "; ".join(en) or "no change"


def _message(
    action: str, project_id: str, detail_zh: str = "", detail_en: str = ""
) -> tuple[str, str]:
    zh = f"{_ACTION_ZH[action]} {project_id}" + (f"：{detail_zh}" if detail_zh else "")
    en = f"{_ACTION_EN[action]} {project_id}" + (f": {detail_en}" if detail_en else "")
    return zh, en


def _row_values(frame: gpd.GeoDataFrame, i: int) -> dict[str, Any]:
    row = frame.iloc[i]
    values = {f: _clean(row[f]) for f in FIELDS}
    values["geometry"] = row.geometry
    return values


def _rows_of(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Every row of a normalised frame as a dict of plain values plus ``geometry``."""
    records: list[dict[str, Any]] = frame[list(FIELDS)].to_dict("records")
    for record, geom in zip(records, frame.geometry.tolist(), strict=True):
        for key, value in record.items():
            record[key] = _clean(value)
        record["geometry"] = geom
    return records


def _with_row(
    frame: gpd.GeoDataFrame, i: int | None, values: Mapping[str, Any]
) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with row ``i`` replaced by ``values`` (appended when ``i`` is None)."""
    rows = _rows_of(frame)
    if i is None:
        rows.append(dict(values))
    else:
        rows[i] = dict(values)
    return _frame_of(rows)


def _frame_of(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    if not rows:
        return empty_projects()
    data = {f: [r.get(f) for r in rows] for f in FIELDS}
    return normalise_projects(
        gpd.GeoDataFrame(data, geometry=[r.get("geometry") for r in rows], crs=STORAGE_EPSG)
    )


def create_project(
    frame: gpd.GeoDataFrame, values: Mapping[str, Any], *, user: str, now: str
) -> Change:
    """Add a project (a draft); its id is ``values["project_id"]`` or the next ``XM-`` number."""
    frame = normalise_projects(frame)
    project_id = values.get("project_id") or next_project_id(frame["project_id"].tolist())[0]
    if project_id in frame["project_id"].tolist():
        msg = (
            f"项目编号 {project_id} 已存在，请换一个编号或编辑该项目 | "
            f"a project {project_id!r} exists already; choose another project_id or edit it"
        )
        raise ProjectError(msg)
    row = {f: values.get(f) for f in CONTENT_FIELDS}
    row.update(
        project_id=project_id,
        geometry=values.get("geometry"),
        review_status="draft",
        updated_by=user,
        updated_at=now,
    )
    new = _with_row(frame, None, row)
    detail = str(values.get("name") or "")
    return Change(new, (project_id,), "create", *_message("create", project_id, detail, detail))


def update_project(
    frame: gpd.GeoDataFrame,
    project_id: str,
    values: Mapping[str, Any],
    *,
    user: str,
    now: str,
) -> Change:
    """Change the content fields (and geometry) given in ``values``; the project becomes a draft.

    The reviewer's comment stays (a returned project shows why it was returned).
    """
    frame = normalise_projects(frame)
    i = project_index(frame, project_id)
    before = _row_values(frame, i)
    after = dict(before)
    for field in (*CONTENT_FIELDS, "geometry"):
        if field in values:
            after[field] = values[field]
    zh, en = describe_changes(before, after)
    after.update(review_status="draft", updated_by=user, updated_at=now)
    if before["review_status"] != "draft":
        zh += f"（审查状态 {REVIEW_STATUSES[before['review_status']][0]}→草稿）"
        en += f" (review status {before['review_status']}→draft)"
    return Change(
        _with_row(frame, i, after), (project_id,), "edit", *_message("edit", project_id, zh, en)
    )


def delete_project(frame: gpd.GeoDataFrame, project_id: str) -> Change:
    """Remove a project (its earlier versions stay in the history)."""
    frame = normalise_projects(frame)
    i = project_index(frame, project_id)
    name = str(frame.iloc[i]["name"] or "")
    rows = [r for j, r in enumerate(_rows_of(frame)) if j != i]
    return Change(
        _frame_of(rows), (project_id,), "delete", *_message("delete", project_id, name, name)
    )


def review_project(
    frame: gpd.GeoDataFrame,
    project_id: str,
    action: str,
    *,
    user: str,
    now: str,
    comment: str = "",
) -> Change:
    """Submit (county), pass or return (reviewer) one project; a return needs a comment."""
    if action not in _TRANSITIONS:
        msg = (
            f"未知的审查操作 {action!r} | unknown review action {action!r}; expected pass or return"
        )
        raise ProjectError(msg)
    comment = (comment or "").strip()
    if action == "return" and not comment:
        msg = "退回项目须填写审查意见 | returning a project needs a comment saying what to change"
        raise ProjectError(msg)
    if len(comment) > 2000:
        msg = f"审查意见超过 2000 字 | the comment has {len(comment)} characters (max 2000)"
        raise ProjectError(msg)
    frame = normalise_projects(frame)
    i = project_index(frame, project_id)
    row = _row_values(frame, i)
    row["review_status"] = next_review_status(row["review_status"], action)
    if action == "submit":
        row.update(updated_by=user, updated_at=now)
    else:
        row.update(review_comment=comment or None, reviewed_by=user, reviewed_at=now)
    return Change(
        _with_row(frame, i, row),
        (project_id,),
        action,
        *_message(action, project_id, comment, comment),
    )


def merge_projects(
    frame: gpd.GeoDataFrame, incoming: gpd.GeoDataFrame, *, user: str, now: str, label: str
) -> Change:
    """Merge a sheet or an upload into the library by ``project_id``.

    Rows whose id exists replace that project's content (it becomes a draft when anything
    changed; an unchanged row leaves the project as it was, passed ones included); columns
    ``incoming`` lacks keep their stored values.  Rows with a new or no id are added as
    drafts.  Projects not in ``incoming`` stay.
    """
    frame = normalise_projects(frame)
    rows = _rows_of(frame)
    position = {r["project_id"]: j for j, r in enumerate(rows)}
    given = [
        None if _blank(v) else str(v) for v in incoming.get("project_id", [None] * len(incoming))
    ]
    fresh = iter(next_project_id([*position, *given], sum(v is None for v in given)))
    added, changed = [], []
    present = [f for f in CONTENT_FIELDS if f in incoming.columns]
    incoming = normalise_projects(incoming, fill_ids=False)
    for k in range(len(incoming)):
        src = incoming.iloc[k]
        values = {f: _clean(src[f]) for f in present}
        values["geometry"] = src.geometry
        project_id = given[k] or next(fresh)
        if project_id in position:
            old = rows[position[project_id]]
            zh, _en = describe_changes(old, {**old, **values})
            if zh != "无变化":
                rows[position[project_id]] = {
                    **old,
                    **values,
                    "review_status": "draft",
                    "updated_by": user,
                    "updated_at": now,
                }
                changed.append(project_id)
        else:
            rows.append(
                {
                    **values,
                    "project_id": project_id,
                    "review_status": "draft",
                    "updated_by": user,
                    "updated_at": now,
                }
            )
            position[project_id] = len(rows) - 1
            added.append(project_id)
    zh = f"导入项目台账 {label}：新增 {len(added)} 个，修改 {len(changed)} 个"
    en = f"imported the project register {label}: {len(added)} added, {len(changed)} changed"
    return Change(_frame_of(rows), tuple(added + changed), "import", zh, en)


# --- what the public sees and the province's figures -------------------------------------------


def public_projects(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The passed projects with :data:`PUBLIC_FIELDS` only: all a visitor may see.

    >>> from shapely.geometry import Point
    >>> f = gpd.GeoDataFrame({"name": ["a", "b"], "category": ["道路"] * 2,
    ...     "investment_wan_yuan": [1.0, 2.0], "progress_pct": [0.0, 0.0], "contact": ["x", "y"],
    ...     "review_status": ["passed", "submitted"]}, geometry=[Point(0, 0)] * 2, crs=4326)
    >>> p = public_projects(f)
    >>> list(p["name"]), "contact" in p.columns
    (['a'], False)
    """
    frame = normalise_projects(frame)
    passed = frame[frame["review_status"] == "passed"]
    return gpd.GeoDataFrame(
        passed[list(PUBLIC_FIELDS)].reset_index(drop=True),
        geometry=passed.geometry.reset_index(drop=True).values,
        crs=STORAGE_EPSG,
    )


def _round(value: float, digits: int = 2) -> float:
    return round(float(value), digits)


def summarise(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """Counts, investment and progress of the projects in ``frame`` (pass :func:`public_projects`).

    Progress is weighted by planned investment (a 1-million project at 50 % and a 9-million one
    at 100 % are 95 % done); a library whose projects have no investment uses the plain mean.

    >>> from shapely.geometry import Point
    >>> f = gpd.GeoDataFrame({"name": ["a", "b"], "category": ["道路", "停车"],
    ...     "investment_wan_yuan": [100.0, 900.0], "progress_pct": [50.0, 100.0],
    ...     "status": ["在建", "完工"]}, geometry=[Point(0, 0)] * 2, crs=4326)
    >>> s = summarise(f)
    >>> s["count"], s["investment_wan_yuan"], s["progress_pct"], s["by_status"]["完工"]
    (2, 1000.0, 95.0, 1)
    """
    frame = normalise_projects(frame)
    invest = [_clean(v) or 0.0 for v in frame["investment_wan_yuan"].tolist()]
    progress = [_clean(v) or 0.0 for v in frame["progress_pct"].tolist()]
    total = sum(invest)
    if total > 0:  # shares of the total first: i * p / total underflowed for tiny sums
        weighted = sum(i / total * p for i, p in zip(invest, progress, strict=True))
    else:
        weighted = sum(progress) / len(progress) if progress else 0.0
    return {
        "count": len(frame),
        "investment_wan_yuan": _round(total),
        "progress_pct": _round(weighted, 1) if len(frame) else None,
        "by_status": {s: int((frame["status"] == s).sum()) for s in STATUSES},
        "parking_spaces": int(sum(_clean(v) or 0 for v in frame["parking_spaces"].tolist())),
    }


def summarise_by_category(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """:func:`summarise` per category present, in the order of :data:`CATEGORIES`."""
    frame = normalise_projects(frame)
    out = []
    for category, english in CATEGORIES.items():
        part = frame[frame["category"] == category]
        if len(part):
            out.append({"category": category, "category_en": english, **summarise(part)})
    return out
