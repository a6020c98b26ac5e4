"""The province map's "按变化着色 / colour by change" views (static/js/province.js shows them).

For each county ranked in the year with a result in an earlier year (``RankRow.previous_year``,
the latest earlier one), :func:`gis.year_over_year.compare` gives the change of the score and of
every indicator.  Each view colours the counties on a diverging, colour-blind-safe palette
(ColorBrewer RdBu, 5 classes): blue = improved, red = worse, white = unchanged, classes split
at half the largest change shown (:func:`gis.year_over_year.diverging_class`).  An indicator's
change is signed toward its target (a fall is an improvement for a ``<=`` target).  Counties
without two years of results (or without a value in one of them) are grey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gis.ranking import RankRow
from gis.year_over_year import compare, diverging_class, improvement

DIVERGING = ("#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0")  # RdBu: worse → improved
GREY = "#d9d9d9"
GROUP = "按变化着色 / colour by change"
TOWARD_TARGET = "向目标方向的变化为改善 a change toward the target is an improvement"
NO_PAIR = "无两年结果或无数据 / not two years, or no data"


def county_comparisons(
    rows: list[RankRow], by_year: Mapping[int, list[dict[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """County id → :func:`compare` of its previous result → this year's, for ranked counties."""
    out = {}
    for row in rows:
        if row.previous_year is None:
            continue
        docs = {str(d.get("county_id")): d for d in by_year.get(row.previous_year, [])}
        now = {str(d.get("county_id")): d for d in by_year.get(row.year, [])}
        prev_doc, cur_doc = docs.get(row.county_id), now.get(row.county_id)
        if prev_doc is None or cur_doc is None:
            continue
        comp = compare(
            prev_doc.get("report") or {},
            cur_doc.get("report") or {},
            previous_rank=row.previous_rank,
            current_rank=row.rank,
        )
        comp["previous"]["year"] = comp["previous"]["year"] or row.previous_year  # batch year
        comp["current"]["year"] = comp["current"]["year"] or row.year
        out[row.county_id] = comp
    return out


def _fmt(value: float) -> str:
    return f"{value:+.2f}".rstrip("0").rstrip(".")


def change_legend(title: str, max_abs: float, unit: str) -> list[list[str]]:
    """Legend rows ``[colour, label]`` of a change view (first row: the title).

    >>> change_legend("t", 4.0, "分")[1:3]
    [['#ca0020', '变差 worse < -2 分'], ['#f4a582', '变差 worse -2 – 0 分']]
    """
    half = max_abs / 2.0
    rows = [[title, ""]]
    if max_abs > 0:
        rows += [
            [DIVERGING[0], f"变差 worse < {_fmt(-half)} {unit}".rstrip()],
            [DIVERGING[1], f"变差 worse {_fmt(-half)} – 0 {unit}".rstrip()],
        ]
    rows.append([DIVERGING[2], "不变 unchanged"])
    if max_abs > 0:
        rows += [
            [DIVERGING[3], f"改善 improved 0 – {_fmt(half)} {unit}".rstrip()],
            [DIVERGING[4], f"改善 improved > {_fmt(half)} {unit}".rstrip()],
        ]
    rows.append([GREY, NO_PAIR])
    return rows


def colour_of_change(value: float | None, max_abs: float) -> str:
    """The palette colour of a change (signed toward the target); grey without one.

    >>> colour_of_change(3.0, 4.0), colour_of_change(-1.0, 4.0), colour_of_change(None, 4.0)
    ('#0571b0', '#f4a582', '#d9d9d9')
    """
    cls = diverging_class(value, max_abs)
    return GREY if cls is None else DIVERGING[cls + 2]


def change_views(
    rows: list[RankRow],
    by_year: Mapping[int, list[dict[str, Any]]],
    catalogue: list[dict[str, Any]],
    ranked_by_adcode: Mapping[str, RankRow],
    adcodes: list[str],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """The change views, and colour and tooltip text per adcode and view key.

    Empty when no county has two years of results.
    """
    comparisons = county_comparisons(rows, by_year)
    if not comparisons:
        return [], {}, {}
    specs: list[tuple[str, str, str, dict[str, tuple[float | None, str]]]] = []
    score: dict[str, tuple[float | None, str]] = {}
    for cid, comp in comparisons.items():
        prev, cur = comp["previous"], comp["current"]
        text = (
            f"{prev['year']} → {cur['year']}: {prev['score']} → {cur['score']} 分"
            f" ({'—' if comp['score_change'] is None else _fmt(comp['score_change'])})"
        )
        score[cid] = (comp["score_change"], text)
    specs.append(("change:score", "得分变化 / score change", "分", score))
    for ind in catalogue:
        values: dict[str, tuple[float | None, str]] = {}
        for cid, comp in comparisons.items():
            row = next((r for r in comp["indicators"] if r["id"] == ind["id"]), None)
            if row is None:
                continue
            gain = improvement(row["change"], row["comparison"])
            change = "—" if row["change"] is None else _fmt(row["change"])
            values[cid] = (
                gain,
                f"{comp['previous']['year']} → {comp['current']['year']}: "
                f"{row['previous_value']} → {row['current_value']} {row['unit']} "
                f"({change} {row['change_unit']})",
            )
        unit = "百分点 pp" if ind.get("unit") == "%" else str(ind.get("unit") or "")
        name = f"{ind.get('name_zh') or ind['id']} / {ind.get('name_en') or ''}"
        specs.append((f"change:ind:{ind['id']}", f"{name} 变化 change", unit, values))
    views, colours, texts = [], {c: {} for c in adcodes}, {c: {} for c in adcodes}
    for key, title, unit, values in specs:
        numbers = [abs(v) for v, _t in values.values() if v is not None]
        max_abs = max(numbers, default=0.0)
        full = f"{GROUP}: {title}"
        legend = change_legend(full, max_abs, unit)
        if key != "change:score":
            legend.append(["", TOWARD_TARGET])
        views.append({"key": key, "title": full, "group": GROUP, "legend": legend})
        for code in adcodes:
            row = ranked_by_adcode.get(code)
            value, text = values.get(row.county_id, (None, "—")) if row else (None, "—")
            colours[code][key] = colour_of_change(value, max_abs)
            texts[code][key] = text if row and row.county_id in values else "无两年结果 / —"
    return views, colours, texts
