"""Map pictures drawn on the server: PNG with title, legend, scale bar, north arrow, attribution.

One renderer for the PNG export of the planner map (``/api/v1/counties/<c>/map.png``) and for
the gap maps of the yearly assessment report.  It draws with matplotlib's Agg canvas (no
pyplot, no display, thread-safe per figure) in the county's metric CRS (the CGCS2000
Gauss-Krüger zone), so the scale bar measures metres; every layer takes the colours, widths and
legend of :mod:`layers.style`, the same the web map uses.  No basemap tiles: the pictures are
made offline from the county's own layers.

Chinese text needs a CJK font of the system (Debian ``fonts-noto-cjk``, see
scripts/sysdeps.sh); :func:`cjk_font_family` names it, or raises :class:`FontMissingError`.
"""

from __future__ import annotations

import io
import math
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import CRS, Transformer

from gis.errors import GisError
from layers.style import LayerStyle

MIN_SIZE_PX = 200
MAX_SIZE_PX = 4000
"""Bounds of a picture's width and height in pixels (larger requests are refused)."""
DPI = 100.0
LINE_SPACING = 1.35
LEGEND_PX_PER_PT = 2.5  # height of one legend line (text, swatch, spacing) per point of font
MIN_LEGEND_PT = 6.0
MAX_SPAN_M = 1_500_000.0
"""The widest area a picture may show (a Gauss-Krüger zone is not meant for more)."""
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
"""System fonts with Simplified Chinese glyphs, in order of preference."""
OSM_CREDIT = "© OpenStreetMap contributors (ODbL)"
TIANDITU_CREDIT = "天地图 © 国家地理信息公共服务平台"
_PX_TO_PT = 0.75  # Leaflet sizes are CSS pixels; matplotlib draws in points (1 px = 0.75 pt)


class FontMissingError(GisError):
    """No system font with Chinese glyphs: the pictures cannot show Chinese text."""

    status = 503
    code = "font_missing"


class PictureSizeError(GisError):
    """A picture size outside :data:`MIN_SIZE_PX` … :data:`MAX_SIZE_PX`."""


@dataclass(frozen=True)
class PictureLayer:
    """One layer to draw: its features (any CRS) and its style."""

    name: str
    frame: gpd.GeoDataFrame
    style: LayerStyle


@dataclass(frozen=True)
class MapPicture:
    """A rendered map: the PNG bytes, its size and the legend lines drawn on it."""

    png: bytes
    width_px: int
    height_px: int
    legend: tuple[tuple[str, str], ...]  # (colour, label)


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """The family name of a system font with Chinese glyphs.

    Raises
    ------
    FontMissingError
        When none of :data:`CJK_FAMILIES` is installed.
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    msg = (
        "no font with Chinese glyphs is installed, so map pictures and reports cannot show "
        "Chinese text; install Debian's fonts-noto-cjk (scripts/sysdeps.sh) and retry "
        "(没有中文字体：请安装 fonts-noto-cjk)"
    )
    raise FontMissingError(msg)


def check_size(width_px: int, height_px: int) -> None:
    """Raise :class:`PictureSizeError` unless both sizes are within the bounds.

    >>> check_size(800, 600)
    >>> check_size(5000, 600)
    Traceback (most recent call last):
    ...
    layers.mapimage.PictureSizeError: width 5000 px is out of range: 200-4000 px
    """
    for label, value in (("width", width_px), ("height", height_px)):
        if not MIN_SIZE_PX <= value <= MAX_SIZE_PX:
            msg = f"{label} {value} px is out of range: {MIN_SIZE_PX}-{MAX_SIZE_PX} px"
            raise PictureSizeError(msg)


def data_date(meta: dict[str, Any]) -> str:
    """The date of the workspace's data (``YYYY-MM-DD``), from its metadata, never today.

    ``data_date`` when the metadata names one, else the newest upload of a layer, else the date
    the workspace was built from its sources (``created``); ``""`` when none is recorded.

    >>> data_date({"created": "2026-12-02T21:09:19+00:00"})
    '2026-12-02'
    >>> data_date({"created": "2025-01-01T00:00:00+00:00",
    ...            "layers": {"parks": {"upload": {"uploaded_at": "2025-03-04T10:00:00Z"}}}})
    '2025-03-04'
    >>> data_date({"data_date": "2020-12-31", "created": "2026-01-01"})
    '2020-12-31'
    """
    if meta.get("data_date"):
        return str(meta["data_date"])[:10]
    uploads = []
    for info in (meta.get("layers") or {}).values():
        upload = info.get("upload") if isinstance(info, dict) else None
        if isinstance(upload, dict):
            stamp = upload.get("uploaded_at") or upload.get("at") or upload.get("time")
            if stamp:
                uploads.append(str(stamp)[:10])
    if uploads:
        return max(uploads)
    return str(meta.get("created") or "")[:10]


def attribution_lines(meta: dict[str, Any], *, tianditu: bool = False) -> list[str]:
    """The data credits of a county: OpenStreetMap's once, then its other sources' credits.

    >>> attribution_lines({"attribution": ["© OpenStreetMap contributors (ODbL 1.0)", "县局"]})
    ['© OpenStreetMap contributors (ODbL)', '县局']
    """
    lines = [OSM_CREDIT]
    for text in meta.get("attribution") or []:
        if "OpenStreetMap" not in str(text) and str(text) not in lines:
            lines.append(str(text))
    if tianditu and TIANDITU_CREDIT not in lines:
        lines.append(TIANDITU_CREDIT)
    return lines


def nice_scale_length_m(span_m: float) -> float:
    """A round length (1, 2 or 5 × 10ⁿ m) of about a quarter of ``span_m``.

    >>> nice_scale_length_m(4000.0), nice_scale_length_m(850.0), nice_scale_length_m(120_000.0)
    (1000.0, 200.0, 20000.0)
    """
    target = max(span_m / 4.0, 1.0)
    power = 10.0 ** math.floor(math.log10(target))
    best = power
    for step in (1.0, 2.0, 5.0):
        if step * power <= target:
            best = step * power
    return best


def format_length(length_m: float) -> str:
    """``500 m``, ``2 km``.

    >>> format_length(500.0), format_length(2000.0), format_length(2500.0)
    ('500 m', '2 km', '2.5 km')
    """
    if length_m >= 1000.0:
        return f"{length_m / 1000.0:g} km"
    return f"{length_m:g} m"


def grid_convergence_deg(lon: float, lat: float, metric_crs: CRS) -> float:
    """Angle (degrees, counter-clockwise) from the map's grid north to true north at a point.

    Zero on the zone's central meridian; the north arrow is turned by it.

    >>> abs(grid_convergence_deg(105.0, 30.0, CRS.from_epsg(4544))) < 1e-9
    True
    >>> grid_convergence_deg(106.0, 30.0, CRS.from_epsg(4544)) > 0
    True
    """
    to_metric = Transformer.from_crs(4326, metric_crs, always_xy=True)
    x0, y0 = to_metric.transform(lon, lat)
    x1, y1 = to_metric.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(-(x1 - x0), y1 - y0))


def _plain(text: str) -> str:
    """Text shown as it is (matplotlib would read ``$…$`` as mathematics)."""
    return text.replace("$", r"\$")


def _dashes(style: dict[str, Any]) -> Any:
    dash = str(style.get("dashArray") or "").replace(",", " ").split()
    try:
        values = tuple(float(v) * _PX_TO_PT for v in dash)
    except ValueError:
        return "solid"
    return (0, values) if values else "solid"


def _polygon_path(geom: Any) -> MplPath | None:
    """A matplotlib path of a polygon or multipolygon (holes as separate closed rings)."""
    verts: list[Any] = []
    codes: list[int] = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            verts.append(xy)
            ring_codes = [MplPath.MOVETO, *[MplPath.LINETO] * (len(xy) - 2), MplPath.CLOSEPOLY]
            codes += [int(c) for c in ring_codes]
    if not verts:
        return None
    return MplPath(np.concatenate(verts), codes)


def _style_of(style: LayerStyle, frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The Leaflet style of every feature (one call per distinct property value)."""
    prop = style.by_property
    if not prop or prop not in frame.columns:
        return [style.feature_style({})] * len(frame)
    memo: dict[Any, dict[str, Any]] = {}
    out = []
    for value in frame[prop].tolist():
        key = value if isinstance(value, str | int | float) else str(value)
        if key not in memo:
            memo[key] = style.feature_style({prop: value})
        out.append(memo[key])
    return out


def _rgba(color: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    r, g, b, _a = to_rgba(color)
    return (r, g, b, max(0.0, min(float(alpha), 1.0)))


def _draw_polygons(ax: Axes, geoms: list[Any], styles: list[dict[str, Any]], z: int) -> None:
    patches, faces, edges, widths = [], [], [], []
    for geom, st in zip(geoms, styles, strict=True):
        path = _polygon_path(geom)
        if path is None:
            continue
        patches.append(PathPatch(path))
        fill = st.get("fill", True) is not False
        face = str(st.get("fillColor") or st.get("color") or "#495057")
        faces.append(_rgba(face, float(st.get("fillOpacity", 0.2)) if fill else 0.0))
        edges.append(_rgba(str(st.get("color", face)), float(st.get("opacity", 1.0))))
        widths.append(float(st.get("weight", 1.0)) * _PX_TO_PT)
    if patches:
        linestyle = _dashes(styles[0]) if styles else "solid"
        ax.add_collection(
            PatchCollection(
                patches,
                facecolors=faces,
                edgecolors=edges,
                linewidths=widths,
                linestyles=linestyle,
                zorder=z,
            )
        )


def _draw_lines(ax: Axes, geoms: list[Any], styles: list[dict[str, Any]], z: int) -> None:
    segments, colors, widths = [], [], []
    for geom, st in zip(geoms, styles, strict=True):
        for line in getattr(geom, "geoms", [geom]):
            if line.is_empty:
                continue
            segments.append(np.asarray(line.coords)[:, :2])
            colors.append(_rgba(str(st.get("color", "#495057")), float(st.get("opacity", 1.0))))
            widths.append(float(st.get("weight", 1.0)) * _PX_TO_PT)
    if segments:
        linestyle = _dashes(styles[0]) if styles else "solid"
        ax.add_collection(
            LineCollection(
                segments, colors=colors, linewidths=widths, linestyles=linestyle, zorder=z
            )
        )


def _draw_points(ax: Axes, geoms: list[Any], styles: list[dict[str, Any]], z: int) -> None:
    xs, ys, faces, edges, sizes = [], [], [], [], []
    for geom, st in zip(geoms, styles, strict=True):
        for point in getattr(geom, "geoms", [geom]):
            if point.is_empty:
                continue
            xs.append(point.x)
            ys.append(point.y)
            color = str(st.get("color", "#495057"))
            faces.append(
                _rgba(str(st.get("fillColor") or color), float(st.get("fillOpacity", 0.8)))
            )
            edges.append(_rgba(color, float(st.get("opacity", 1.0))))
            sizes.append((2.0 * float(st.get("radius", 5)) * _PX_TO_PT) ** 2)
    if xs:
        ax.scatter(xs, ys, s=sizes, c=faces, edgecolors=edges, linewidths=1.0, zorder=z)


def draw_layer(ax: Axes, layer: PictureLayer, metric_crs: CRS, z: int) -> bool:
    """Draw one layer (reprojected to ``metric_crs``); whether it had anything to draw."""
    frame = layer.frame
    if frame.crs is None:
        frame = frame.set_crs(4326)
    frame = frame.to_crs(metric_crs)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if frame.empty:
        return False
    styles = _style_of(layer.style, frame)
    kinds = shapely.get_type_id(frame.geometry.to_numpy())
    geoms = list(frame.geometry)
    groups = {
        "poly": (3, 6),
        "line": (1, 2, 5),
        "point": (0, 4),
    }
    drew = False
    for kind, ids in groups.items():
        pick = [i for i, k in enumerate(kinds) if int(k) in ids]
        if not pick:
            continue
        g = [geoms[i] for i in pick]
        s = [styles[i] for i in pick]
        if kind == "poly":
            _draw_polygons(ax, g, s, z)
        elif kind == "line":
            _draw_lines(
                ax, [shapely.line_merge(x) if x.geom_type == "LinearRing" else x for x in g], s, z
            )
        else:
            _draw_points(ax, g, s, z + 100)
        drew = True
    return drew


def _legend_handle(entry_color: str, base: dict[str, Any], geom_types: set[str]) -> Any:
    if geom_types and geom_types <= {"LineString", "MultiLineString"}:
        return Line2D(
            [0, 1],
            [0, 0],
            color=entry_color,
            linewidth=max(float(base.get("weight", 1.0)) * _PX_TO_PT, 2.5),
            linestyle=_dashes(base),
        )
    if geom_types and geom_types <= {"Point", "MultiPoint"}:
        return Line2D(
            [0],
            [0],
            marker="o",
            linestyle="",
            markerfacecolor=entry_color,
            markeredgecolor=entry_color,
            markersize=7,
        )
    fill = base.get("fill", True) is not False
    return Patch(
        facecolor=_rgba(
            entry_color, max(float(base.get("fillOpacity", 0.3)), 0.25) if fill else 0.0
        ),
        edgecolor=entry_color,
        linestyle=_dashes(base),
    )


def legend_lines(
    layers: Sequence[PictureLayer], drawn: Sequence[str], lang: str
) -> list[tuple[str, str, Any]]:
    """``(colour, label, handle)`` of every legend entry of the drawn layers, in drawing order."""
    out = []
    for layer in layers:
        if layer.name not in drawn:
            continue
        types = {str(t) for t in layer.frame.geometry.geom_type.dropna().unique()}
        for entry in layer.style.legend:
            label = entry.label_en if lang == "en" else entry.label_zh
            out.append((entry.color, label, _legend_handle(entry.color, layer.style.base, types)))
    return out


def _extent(
    layers: Sequence[PictureLayer],
    metric_crs: CRS,
    bbox_lonlat: tuple[float, float, float, float] | None,
) -> tuple[float, float, float, float]:
    """The area to show in metric coordinates: ``bbox_lonlat`` or the layers' bounds."""
    if bbox_lonlat is not None:
        box = gpd.GeoSeries([shapely.box(*bbox_lonlat)], crs=4326).to_crs(metric_crs)
        minx, miny, maxx, maxy = (float(v) for v in box.total_bounds)
    else:
        bounds = [
            layer.frame.to_crs(metric_crs).total_bounds
            for layer in layers
            if layer.frame.crs is not None and len(layer.frame)
        ]
        finite = [b for b in bounds if np.all(np.isfinite(b))]
        if not finite:
            msg = "nothing to draw: the chosen layers have no features (所选图层没有要素)"
            raise GisError(msg)
        stack = np.array(finite)
        minx, miny = float(stack[:, 0].min()), float(stack[:, 1].min())
        maxx, maxy = float(stack[:, 2].max()), float(stack[:, 3].max())
    spans = (maxx - minx, maxy - miny)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) or max(spans) > MAX_SPAN_M:
        msg = (
            f"the map area is too large for the county's metric zone (at most "
            f"{MAX_SPAN_M / 1000:g} km across); choose a smaller bbox (范围过大)"
        )
        raise GisError(msg)
    pad = max(*spans, 100.0) * 0.03
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def footer_lines(lines: Sequence[str], per_line: int) -> list[str]:
    """``lines`` wrapped at ``per_line`` characters (the footer of a picture).

    >>> footer_lines(["a b c d", "e"], 3)
    ['a b', 'c d', 'e']
    """
    return [part for line in lines for part in textwrap.wrap(line, per_line) or [""]]


def legend_layout(entries: int, height_px: float, size_pt: float) -> tuple[float, int]:
    """Font size (pt) and columns so that ``entries`` legend lines fit in ``height_px``.

    One column at ``size_pt`` when it fits; else a smaller font down to
    :data:`MIN_LEGEND_PT`; else two columns.

    >>> legend_layout(10, 600.0, 9.0)
    (9.0, 1)
    >>> legend_layout(40, 300.0, 9.0)
    (6.0, 2)
    """
    fit = height_px / (max(entries, 1) * LEGEND_PX_PER_PT)
    if fit >= MIN_LEGEND_PT:
        return min(size_pt, round(fit, 1)), 1
    rows = math.ceil(entries / 2)
    return max(MIN_LEGEND_PT, min(size_pt, round(height_px / (rows * LEGEND_PX_PER_PT), 1))), 2


def label_em(text: str) -> float:
    """Width of a label in ems: a Chinese character one, other characters about half.

    >>> label_em("边界"), label_em("Roads")
    (2.0, 3.0)
    """
    return sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text)


def label_fit_pt(column_px: float, longest_em: float) -> float:
    """The font size (pt) at which a label of ``longest_em`` fits a legend column.

    The swatch and padding take about 45 px.

    >>> label_fit_pt(245.0, 10.0)
    14.4
    """
    return round((column_px - 45.0) / (longest_em * DPI / 72.0), 1)


def fit_aspect(
    extent: tuple[float, float, float, float], ratio: float
) -> tuple[float, float, float, float]:
    """``extent`` grown about its centre to width ÷ height = ``ratio`` (equal scale on x and y).

    >>> fit_aspect((0.0, 0.0, 100.0, 100.0), 2.0)
    (-50.0, 0.0, 150.0, 100.0)
    >>> fit_aspect((0.0, 0.0, 100.0, 10.0), 2.0)
    (0.0, -20.0, 100.0, 30.0)
    """
    minx, miny, maxx, maxy = extent
    w, h = maxx - minx, maxy - miny
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    if w / h < ratio:
        w = h * ratio
    else:
        h = w / ratio
    return cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0


def _scale_bar(ax: Axes, font: str, size_pt: float) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_scale_length_m(x1 - x0)
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    height = (y1 - y0) * 0.012
    half = length / 2.0
    for i, color in enumerate(("#212529", "#ffffff")):
        ax.add_patch(
            Rectangle(
                (bx + i * half, by),
                half,
                height,
                facecolor=color,
                edgecolor="#212529",
                linewidth=0.8,
                zorder=1000,
            )
        )
    for x, text in ((bx, "0"), (bx + length, format_length(length))):
        ax.text(
            x,
            by + height * 1.8,
            text,
            ha="center",
            va="bottom",
            fontsize=size_pt,
            family=font,
            zorder=1001,
            parse_math=False,
        )


def _north_arrow(ax: Axes, angle_deg: float, font: str, size_pt: float) -> None:
    cx, cy, length = 0.94, 0.86, 0.08
    rad = math.radians(angle_deg)
    dx, dy = -math.sin(rad) * length, math.cos(rad) * length
    ax.annotate(
        "",
        xy=(cx + dx / 2, cy + dy / 2),
        xytext=(cx - dx / 2, cy - dy / 2),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "#212529", "lw": 2.0, "mutation_scale": 18},
        zorder=1000,
    )
    ax.text(
        cx + dx * 0.75,
        cy + dy * 0.75,
        "北 N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=size_pt,
        family=font,
        weight="bold",
        zorder=1001,
        parse_math=False,
    )


def render_map(
    layers: Sequence[PictureLayer],
    *,
    metric_crs: CRS,
    title: str,
    attribution: Sequence[str],
    date: str,
    bbox_lonlat: tuple[float, float, float, float] | None = None,
    width_px: int = 1200,
    height_px: int = 900,
    lang: str = "zh",
    notes: Sequence[str] = (),
) -> MapPicture:
    """Draw ``layers`` (first at the bottom) as a PNG of ``width_px`` × ``height_px``.

    The map shows ``bbox_lonlat`` (EPSG:4326; default: all layers) in ``metric_crs`` with equal
    axes, a title, a legend of the layers drawn, a scale bar in metres, a north arrow turned by
    the zone's grid convergence, the attribution lines, the data date and ``notes`` (e.g.
    样例数据 / sample data).
    """
    check_size(width_px, height_px)
    font = cjk_font_family()
    fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    scale = min(width_px, height_px) / 800.0
    small, normal = max(7.5, 9.0 * scale), max(9.0, 11.0 * scale)
    legend_w = 0.26 if width_px >= height_px else 0.34
    crs_name = f"EPSG:{metric_crs.to_epsg()}" if metric_crs.to_epsg() else metric_crs.name
    footer = footer_lines(
        [
            f"数据日期 Data date: {date or '—'}   "
            f"坐标系 CRS: {crs_name} (CGCS2000 3° Gauss-Krüger)",
            "数据来源 Sources: " + "; ".join(attribution),
            *notes,
        ],
        max(40, int(width_px / (small * 1.05))),
    )
    line_px = small * LINE_SPACING * DPI / 72.0
    bottom = min(0.4, (len(footer) * line_px + 10.0) / height_px)
    top = 1.0 - (normal * 1.45 * DPI / 72.0 * 1.8 + 6.0) / height_px
    planned = legend_lines(layers, [layer.name for layer in layers if len(layer.frame)], lang)
    size, ncol = legend_layout(len(planned), (top - bottom) * height_px - normal * 3, small)
    if ncol == 2:
        legend_w = 0.44 if width_px >= height_px else 0.5
    longest = max((label_em(label) for _c, label, _h in planned), default=1.0)
    size = max(MIN_LEGEND_PT - 1.0, min(size, label_fit_pt(legend_w * width_px / ncol, longest)))
    ax = fig.add_axes((0.01, bottom, 0.98 - legend_w, top - bottom))
    ax.set_facecolor("#f8f9fa")
    ax.set_xticks([])
    ax.set_yticks([])
    box = ax.get_position()
    minx, miny, maxx, maxy = fit_aspect(
        _extent(layers, metric_crs, bbox_lonlat), (box.width * width_px) / (box.height * height_px)
    )
    clip = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=metric_crs).to_crs(4326)
    drawn = []
    for z, layer in enumerate(layers):
        frame = layer.frame
        if frame.crs is not None and len(frame):
            frame = (
                frame.cx[
                    clip.total_bounds[0] : clip.total_bounds[2],
                    clip.total_bounds[1] : clip.total_bounds[3],
                ]
                if frame.crs.is_geographic
                else frame
            )
        if draw_layer(ax, PictureLayer(layer.name, frame, layer.style), metric_crs, 10 + z):
            drawn.append(layer.name)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    centre = clip.union_all().centroid
    _scale_bar(ax, font, small)
    _north_arrow(ax, grid_convergence_deg(centre.x, centre.y, metric_crs), font, normal)
    fig.text(
        0.01,
        0.985,
        _plain(title),
        ha="left",
        va="top",
        fontsize=normal * 1.45,
        family=font,
        weight="bold",
    )
    lines = legend_lines(layers, drawn, lang)
    if lines:
        fig.legend(
            ncol=ncol,
            handles=[h for _c, _l, h in lines],
            labels=[_plain(label) for _c, label, _h in lines],
            loc="upper left",
            bbox_to_anchor=(1.0 - legend_w + 0.005, top),
            prop={"family": font, "size": size},
            title="图例 Legend",
            title_fontproperties={"family": font, "size": normal, "weight": "bold"},
            frameon=True,
        )
    fig.text(
        0.01,
        bottom - 0.005,
        _plain("\n".join(footer)),
        ha="left",
        va="top",
        fontsize=small,
        family=font,
        color="#343a40",
        linespacing=LINE_SPACING,
    )
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # a character the CJK font lacks is left blank
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buffer, format="png", dpi=DPI)
    legend = tuple((color, label) for color, label, _h in lines)
    return MapPicture(buffer.getvalue(), width_px, height_px, legend)
