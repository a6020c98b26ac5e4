"""County figures and the special-plan checklist entered by the county's staff.

Some targets of 豫百城提质〔2017〕1号 are not measured on a map but reported by the county:
registered cars (for 百辆汽车公共停车泊位数), the public water-supply coverage (公共供水普及率),
the domestic sewage treatment rate (生活污水集中处理率) and the 11 special plans of (一) with
their approval.  They live in the workspace metadata under ``county_data`` (both stores keep
the metadata: ``metadata.json`` or ``gis.counties.metadata``)::

    {"figures": {"registered_cars": {"value": 15000, "source": "县公安局交警大队", "year": 2020},
                 "water_supply_pct": {...}, "sewage_treatment_pct": {...}},
     "special_plans": {"education": {"status": "已批复", "approved_on": "2018-03-01",
                                     "document": "X政文〔2018〕12号", "link": ""}, ...},
     "version": 3, "user": "alice", "updated": "2026-01-01T00:00:00+00:00",
     "history": [{"version": 1, "user", "created", "changed": ["figures.registered_cars"]}, ...]}

:func:`validate_update` checks an update and reports every problem at once (Chinese and
English); :func:`merged` applies a valid update with a version record (who, when, what).
Nothing here reads files or knows Flask.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gis.errors import ProblemCollector

METADATA_KEY = "county_data"
MIN_YEAR, MAX_YEAR = 1949, 2100
MAX_TEXT = 300
MAX_CARS = 100_000_000
HISTORY_KEPT = 200


@dataclass(frozen=True)
class Figure:
    """One county figure: its key, kind (``count`` or ``pct``) and labels."""

    key: str
    kind: str
    label_zh: str
    label_en: str
    unit: str


FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure("registered_cars", "count", "城区汽车保有量", "registered cars (urban area)", "辆"),
        Figure("water_supply_pct", "pct", "公共供水普及率", "public water-supply coverage", "%"),
        Figure(
            "sewage_treatment_pct", "pct", "生活污水集中处理率", "domestic sewage treatment", "%"
        ),
    )
}

SPECIAL_PLANS: tuple[tuple[str, str, str], ...] = (
    ("education", "教育", "education"),
    ("medical", "医疗", "medical care"),
    ("culture", "文化", "culture"),
    ("elderly_care", "养老", "elderly care"),
    ("sports", "体育", "sports"),
    ("markets", "市场", "markets"),
    ("power", "电力", "electric power"),
    ("telecom", "通信", "telecommunications"),
    ("broadcasting", "广播电视", "radio and television"),
    ("water_resources", "水利", "water resources"),
    ("fire_protection", "消防", "fire protection"),
)
"""The 11 special plans of 豫百城提质〔2017〕1号 (一): key, Chinese, English."""
PLAN_KEYS = tuple(k for k, _zh, _en in SPECIAL_PLANS)

PLAN_STATUSES: tuple[str, str, str] = ("未编制", "编制中", "已批复")
APPROVED = "已批复"
STATUS_ALIASES: dict[str, str] = {
    "未编制": "未编制",
    "not_started": "未编制",
    "none": "未编制",
    "编制中": "编制中",
    "in_progress": "编制中",
    "drafting": "编制中",
    "已批复": "已批复",
    "approved": "已批复",
}
STATUS_EN: dict[str, str] = {"未编制": "not started", "编制中": "in progress", "已批复": "approved"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The county data of a workspace's metadata (empty sections when none was entered).

    >>> read({})["figures"], read({})["special_plans"], read({})["version"]
    ({}, {}, 0)
    """
    data = dict(metadata.get(METADATA_KEY) or {})
    data["figures"] = dict(data.get("figures") or {})
    data["special_plans"] = dict(data.get("special_plans") or {})
    data.setdefault("version", 0)
    data.setdefault("history", [])
    return data


def figure(metadata: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """The entered figure ``key`` (``{"value", "source", "year"}``) or ``None``."""
    entry = read(metadata)["figures"].get(key)
    return dict(entry) if isinstance(entry, Mapping) else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _check_figure(key: str, entry: Any, problems: ProblemCollector) -> dict[str, Any] | None:
    """A clean figure entry, or ``None`` after adding its problems."""
    fig = FIGURES[key]
    where = f"figures.{key}"
    if not isinstance(entry, Mapping):
        problems.add(
            where,
            f"{where}: expected an object {{value, source, year}} or null",
            f"{where}（{fig.label_zh}）应为含 value、source、year 的对象，或 null（清除）",
            "bad_figure",
        )
        return None
    before = len(problems.problems)
    value_in = entry.get("value")
    value: float | None
    if fig.kind == "count":
        value = float(str(value_in)) if _is_int(value_in) else None
        if value is None or not 0 < value <= MAX_CARS:
            problems.add(
                f"{where}.value",
                f"{where}.value: expected a whole number of cars > 0, got {value_in!r}",
                f"{fig.label_zh}应为大于 0 的整数（辆），收到 {value_in!r}",
                "bad_count",
            )
    else:
        value = _number(value_in)
        if value is None or not 0 <= value <= 100:
            problems.add(
                f"{where}.value",
                f"{where}.value: expected a percentage from 0 to 100, got {value_in!r}",
                f"{fig.label_zh}应为 0 至 100 之间的百分数，收到 {value_in!r}",
                "bad_percent",
            )
    source = _text(entry.get("source"))
    if not source or len(source) > MAX_TEXT:
        problems.add(
            f"{where}.source",
            f"{where}.source: name the source of the figure (1-{MAX_TEXT} characters), "
            "e.g. the statistical yearbook or the bureau that reported it",
            f"{fig.label_zh}须注明数据来源（1-{MAX_TEXT} 字），如统计年鉴或报送部门",
            "bad_source",
        )
    year_in = entry.get("year")
    year = int(float(str(year_in))) if _is_int(year_in) else None
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        problems.add(
            f"{where}.year",
            f"{where}.year: expected the year of the figure, {MIN_YEAR}-{MAX_YEAR}, "
            f"got {year_in!r}",
            f"{fig.label_zh}的年份应为 {MIN_YEAR}-{MAX_YEAR} 之间的年份，收到 {year_in!r}",
            "bad_year",
        )
    if len(problems.problems) > before:
        return None
    assert value is not None and year is not None
    clean_value: float | int = int(value) if fig.kind == "count" else round(value, 4)
    return {"value": clean_value, "source": source, "year": year}


def _check_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return False
    return MIN_YEAR <= day.year <= MAX_YEAR


def _check_plan(key: str, entry: Any, problems: ProblemCollector) -> dict[str, Any] | None:
    """A clean checklist entry, or ``None`` after adding its problems."""
    label = dict((k, zh) for k, zh, _en in SPECIAL_PLANS)[key]
    where = f"special_plans.{key}"
    if not isinstance(entry, Mapping):
        problems.add(
            where,
            f"{where}: expected an object {{status, approved_on, document, link}} or null",
            f"{label}专项规划应为含 status、approved_on、document、link 的对象，或 null（清除）",
            "bad_plan",
        )
        return None
    before = len(problems.problems)
    status = STATUS_ALIASES.get(_text(entry.get("status")).lower())
    if status is None:
        problems.add(
            f"{where}.status",
            f"{where}.status: expected one of 未编制/编制中/已批复 "
            f"(not_started/in_progress/approved), got {entry.get('status')!r}",
            f"{label}专项规划的状态应为 未编制、编制中 或 已批复，收到 {entry.get('status')!r}",
            "bad_status",
        )
    approved_on = _text(entry.get("approved_on"))
    document = _text(entry.get("document"))
    link = _text(entry.get("link"))
    if approved_on and not _check_date(approved_on):
        problems.add(
            f"{where}.approved_on",
            f"{where}.approved_on: expected a date YYYY-MM-DD ({MIN_YEAR}-{MAX_YEAR}), "
            f"got {approved_on!r}",
            f"{label}专项规划的批复日期应为 YYYY-MM-DD 格式（{MIN_YEAR}-{MAX_YEAR} 年），"
            f"收到 {approved_on!r}",
            "bad_date",
        )
    if status == APPROVED and not approved_on:
        problems.add(
            f"{where}.approved_on",
            f"{where}.approved_on: an approved plan needs its approval date (YYYY-MM-DD)",
            f"{label}专项规划已批复，须填写批复日期（YYYY-MM-DD）",
            "missing_date",
        )
    if status == APPROVED and not document:
        problems.add(
            f"{where}.document",
            f"{where}.document: an approved plan needs its approval document "
            "(document number or title)",
            f"{label}专项规划已批复，须填写批复文件（文号或标题）",
            "missing_document",
        )
    if len(document) > MAX_TEXT:
        problems.add(
            f"{where}.document",
            f"{where}.document: at most {MAX_TEXT} characters",
            f"{label}专项规划的批复文件不超过 {MAX_TEXT} 字",
            "too_long",
        )
    if link and (not link.startswith(("https://", "http://")) or len(link) > 1000):
        problems.add(
            f"{where}.link",
            f"{where}.link: expected an http(s) address of the document, got {link[:80]!r}",
            f"{label}专项规划的文件链接应为 http(s) 网址，收到 {link[:80]!r}",
            "bad_link",
        )
    if len(problems.problems) > before:
        return None
    return {"status": status, "approved_on": approved_on, "document": document, "link": link}


def _section(
    payload: Mapping[str, Any], name: str, known: tuple[str, ...], problems: ProblemCollector
) -> dict[str, Any]:
    section = payload.get(name)
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        problems.add(
            name, f"{name}: expected an object", f"{name} 应为对象（键值对）", "bad_section"
        )
        return {}
    for key in section:
        if key not in known:
            problems.add(
                f"{name}.{key}",
                f"{name}.{key}: unknown item; expected one of {', '.join(known)}",
                f"{name}.{key}：未知项目；应为 {', '.join(known)} 之一",
                "unknown_item",
            )
    return {k: v for k, v in section.items() if k in known}


def validate_update(payload: Any) -> dict[str, dict[str, Any | None]]:
    """The clean update of ``payload`` (``{"figures": {...}, "special_plans": {...}}``).

    An item set to ``null`` is cleared.  Every problem is reported at once
    (:class:`gis.errors.ValidationError` with one :class:`gis.errors.Problem` each).

    >>> validate_update({"figures": {"water_supply_pct": {"value": "95.5", "source": "年鉴",
    ...                                                   "year": 2020}}})["figures"]
    {'water_supply_pct': {'value': 95.5, 'source': '年鉴', 'year': 2020}}
    >>> try:
    ...     validate_update({"figures": {"registered_cars": {"value": -3, "source": "",
    ...                                                      "year": 1900}}})
    ... except Exception as exc:
    ...     print([p.code for p in exc.problems])
    ['bad_count', 'bad_source', 'bad_year']
    """
    problems = ProblemCollector()
    if not isinstance(payload, Mapping):
        problems.add(
            "body",
            "expected a JSON object with figures and/or special_plans",
            "应为含 figures 和/或 special_plans 的 JSON 对象",
            "bad_body",
        )
        problems.raise_if_any("county data refused")
    for key in payload:
        if key not in ("figures", "special_plans"):
            problems.add(
                key,
                f"{key}: unknown section; expected figures or special_plans",
                f"{key}：未知部分；应为 figures 或 special_plans",
                "unknown_section",
            )
    clean: dict[str, dict[str, Any | None]] = {"figures": {}, "special_plans": {}}
    for key, entry in _section(payload, "figures", tuple(FIGURES), problems).items():
        clean["figures"][key] = None if entry is None else _check_figure(key, entry, problems)
    for key, entry in _section(payload, "special_plans", PLAN_KEYS, problems).items():
        clean["special_plans"][key] = None if entry is None else _check_plan(key, entry, problems)
    if not problems.problems and not clean["figures"] and not clean["special_plans"]:
        problems.add(
            "body",
            "nothing to store: give at least one item of figures or special_plans",
            "没有要保存的内容：请至少填写一项数据或一项专项规划",
            "empty_update",
        )
    problems.raise_if_any("county data refused")
    return clean


def changes(
    current: Mapping[str, Any] | None, update: Mapping[str, Mapping[str, Any | None]]
) -> dict[str, dict[str, Any | None]]:
    """The items of a validated ``update`` that differ from ``current`` (a form re-sends all).

    >>> fig = {"value": 91.0, "source": "s", "year": 2020}
    >>> changes({"figures": {"water_supply_pct": fig}},
    ...         {"figures": {"water_supply_pct": dict(fig), "registered_cars": None},
    ...          "special_plans": {}})
    {'figures': {}, 'special_plans': {}}
    """
    stored = read({METADATA_KEY: current or {}})
    out: dict[str, dict[str, Any | None]] = {"figures": {}, "special_plans": {}}
    for section in out:
        for key, entry in (update.get(section) or {}).items():
            if stored[section].get(key) != entry:
                out[section][key] = entry
    return out


def merged(
    current: Mapping[str, Any] | None,
    update: Mapping[str, Mapping[str, Any | None]],
    *,
    user: str,
    now: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``current`` county data with a validated ``update`` applied, and the version record.

    Items of the update replace the stored ones (``None`` clears one); the version grows by one
    and the record (version, user, created, changed items, their new values) is appended to the
    history (the latest :data:`HISTORY_KEPT`).

    >>> data, rec = merged({}, {"figures": {"water_supply_pct": {"value": 91.0, "source": "s",
    ...                     "year": 2020}}, "special_plans": {}}, user="a", now="2020-01-01")
    >>> data["version"], rec["changed"], data["figures"]["water_supply_pct"]["value"]
    (1, ['figures.water_supply_pct'], 91.0)
    """
    data = read({METADATA_KEY: current or {}})
    changed: list[str] = []
    values: dict[str, Any] = {}
    for section in ("figures", "special_plans"):
        items = dict(data[section])
        for key, entry in (update.get(section) or {}).items():
            changed.append(f"{section}.{key}")
            values[f"{section}.{key}"] = entry
            if entry is None:
                items.pop(key, None)
            else:
                items[key] = dict(entry)
        data[section] = items
    version = int(data.get("version", 0)) + 1
    record = {
        "version": version,
        "user": user,
        "created": now,
        "changed": changed,
        "values": values,
    }
    data.update({"version": version, "user": user, "updated": now})
    data["history"] = [*list(data.get("history") or []), record][-HISTORY_KEPT:]
    return data, record


def now_iso() -> str:
    """The current UTC time as the store writes it (ISO 8601, seconds)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def checklist(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The 11 special plans with their entered status (``未填报`` when none was entered)."""
    entered = read(metadata)["special_plans"]
    rows = []
    for key, zh, en in SPECIAL_PLANS:
        entry = entered.get(key) or {}
        status = str(entry.get("status") or "未填报")
        rows.append(
            {
                "key": key,
                "name_zh": zh,
                "name_en": en,
                "status": status,
                "status_en": STATUS_EN.get(status, "not reported"),
                "approved_on": entry.get("approved_on", ""),
                "document": entry.get("document", ""),
                "link": entry.get("link", ""),
            }
        )
    return rows
