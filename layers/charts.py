"""Dashboard charts as pictures: one indicator's value against its target, PNG or SVG.

Drawn from the indicator object of the API (:meth:`gis.result.IndicatorResult.to_dict`), with
the same colours as the dashboard's bars (passed green, failed red, estimate amber, no data
grey) and the value written as the API gives it.
"""

from __future__ import annotations

import io
import warnings
from typing import Any, Literal

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gis.result import reason_parts
from layers.mapimage import cjk_font_family

ChartFormat = Literal["png", "svg"]
CHART_FORMATS = ("png", "svg")
STATE_COLORS = {"pass": "#2f9e44", "fail": "#e03131", "estimate": "#f08c00", "none": "#adb5bd"}
_MIME = {"png": "image/png", "svg": "image/svg+xml"}


def chart_mimetype(fmt: str) -> str:
    """The media type of a chart format.

    >>> chart_mimetype("svg")
    'image/svg+xml'
    """
    return _MIME[fmt]


def value_text(value: Any) -> str:
    """An indicator value exactly as the API's JSON gives it (``—`` for no value).

    >>> value_text(7.2345), value_text(100.0), value_text(None)
    ('7.2345', '100.0', '—')
    """
    return "—" if value is None else repr(float(value))


def chart_state(ind: dict[str, Any]) -> str:
    """``pass``, ``fail``, ``estimate`` (passed on estimated inputs) or ``none`` (no value).

    >>> chart_state({"value": 1.0, "passed": True, "basis": "estimate"})
    'estimate'
    >>> chart_state({"value": None, "passed": None})
    'none'
    """
    if ind.get("value") is None:
        return "none"
    if ind.get("passed"):
        return "estimate" if ind.get("basis") == "estimate" else "pass"
    return "fail"


def chart_scale(ind: dict[str, Any]) -> float:
    """The axis length: 100 for percentages, else 1.15 × the larger of value and target.

    >>> chart_scale({"unit": "%", "value": 40.0, "target": 100.0})
    100.0
    >>> chart_scale({"unit": "km/km²", "value": 10.0, "target": 8.0})
    11.5
    """
    value, target = ind.get("value") or 0.0, ind.get("target") or 0.0
    if ind.get("unit") == "%":
        return 100.0
    return max(float(target), float(value), 1e-9) * 1.15


def render_chart(ind: dict[str, Any], fmt: ChartFormat = "png", *, lang: str = "zh") -> bytes:
    """One indicator as a horizontal bar (value) with a target mark, as PNG or SVG bytes."""
    if fmt not in CHART_FORMATS:
        msg = f"chart format must be one of {', '.join(CHART_FORMATS)}, got {fmt!r}"
        raise ValueError(msg)
    font = cjk_font_family()
    rc: dict[Any, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": "baicheng-chart",
        "font.family": font,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(6.0, 1.9), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.04, 0.30, 0.92, 0.30))
        scale = chart_scale(ind)
        state = chart_state(ind)
        value = ind.get("value")
        ax.barh([0], [min(float(value or 0.0), scale)], height=0.6, color=STATE_COLORS[state])
        target = float(ind.get("target") or 0.0)
        ax.axvline(min(target, scale), color="#212529", linewidth=2.0, linestyle="--")
        ax.set_xlim(0, scale)
        ax.set_ylim(-0.5, 0.5)
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=8)
        name = ind.get("name_en") if lang == "en" else ind.get("name_zh")
        sign = "≥" if ind.get("comparison", ">=") == ">=" else "≤"
        unit = str(ind.get("unit") or "")
        fig.text(0.04, 0.93, str(name), fontsize=11, weight="bold", va="top", parse_math=False)
        verdict = _verdict(ind, state, lang)
        line = (
            f"{'Value' if lang == 'en' else '数值'} {value_text(value)} {unit}   "
            f"{'Target' if lang == 'en' else '目标'} {sign} {target:g} {unit}"
            f" ({ind.get('target_year')})   {verdict}"
        )
        fig.text(0.04, 0.76, line, fontsize=9, va="top", parse_math=False)
        fig.text(0.04, 0.05, _note(ind, lang), fontsize=7, color="#495057", parse_math=False)
        buffer = io.BytesIO()
        with warnings.catch_warnings():  # a character the CJK font lacks is left blank
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            fig.savefig(buffer, format=fmt, dpi=100, metadata=_metadata(fmt))
    return buffer.getvalue()


def _metadata(fmt: str) -> dict[str, Any]:
    # no creation date in the file: the same chart gives the same bytes (ETags, tests)
    return {"Date": None} if fmt == "svg" else {}


def _verdict(ind: dict[str, Any], state: str, lang: str) -> str:
    if state == "none":
        zh, en = reason_parts(str(ind.get("reason") or "无数据 | no data"))
        return en if lang == "en" else zh
    words = {
        "pass": ("达标", "passed"),
        "estimate": ("达标（估算）", "passed (estimate)"),
        "fail": ("未达标", "failed"),
    }[state]
    return words[1] if lang == "en" else words[0]


def _note(ind: dict[str, Any], lang: str) -> str:
    note = ind.get("basis_note_en") if lang == "en" else ind.get("basis_note_zh")
    return str(note or "")
