"""The map picture renderer and the charts (layers/mapimage.py, layers/charts.py).

Hand-made geometry in the CGCS2000 GK zone of 114°E (EPSG:4547), answers known by hand.
"""

from __future__ import annotations

import io
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image
from pyproj import CRS

from layers.charts import render_chart, value_text
from layers.mapimage import (
    MAX_SIZE_PX,
    PictureLayer,
    PictureSizeError,
    data_date,
    grid_convergence_deg,
    render_map,
)
from layers.style import GAP_COLOR, gap_style, style_for

GK114 = CRS.from_epsg(4547)
X0, Y0 = 500_000.0, 3_800_000.0  # on the central meridian, about 34.3°N (Zhengzhou's latitude)


def _frame(geoms: list[shapely.Geometry], **columns: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=GK114)


def _layers() -> list[PictureLayer]:
    square = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)  # the 1 km square "county"
    roads = [
        shapely.LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)]),
        shapely.LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 1000)]),
    ]
    gap = shapely.box(X0 + 600, Y0 + 600, X0 + 900, Y0 + 900)
    return [
        PictureLayer("boundary", _frame([square]), style_for("boundary")),
        PictureLayer("roads", _frame(roads, road_class=["arterial", "branch"]), style_for("roads")),
        PictureLayer("gap", _frame([gap]), gap_style("缺口：测试", "Gap: test")),
    ]


def _picture(**kwargs: object):  # type: ignore[no-untyped-def]
    args = {
        "metric_crs": GK114,
        "title": "测试县 · 规划地图",
        "attribution": ["© OpenStreetMap contributors (ODbL)"],
        "date": "2020-12-31",
        "width_px": 800,
        "height_px": 600,
    }
    args.update(kwargs)
    return render_map(_layers(), **args)  # type: ignore[arg-type]


def test_picture_has_the_asked_size_and_a_legend_of_the_drawn_layers() -> None:
    picture = _picture()
    image = Image.open(io.BytesIO(picture.png))
    assert image.format == "PNG"
    assert image.size == (800, 600)
    labels = [label for _color, label in picture.legend]
    # boundary, the five road classes of the roads legend, the gap layer
    assert labels[0] == "边界" and "主干路" in labels and labels[-1] == "缺口：测试"
    gap_colour = gap_style("缺口：测试", "Gap: test").base["color"]  # the web map's gap colour
    assert (gap_colour, "缺口：测试") in picture.legend


def test_legend_panel_is_drawn_with_the_layer_colours() -> None:
    picture = _picture()
    pixels = np.asarray(Image.open(io.BytesIO(picture.png)).convert("RGB")).astype(int)
    panel = pixels[:, int(800 * 0.74) :]  # the legend column, right of the map
    gap_rgb = np.array([int(GAP_COLOR[i : i + 2], 16) for i in (1, 3, 5)])
    arterial_rgb = np.array([0xE8, 0x59, 0x0C])
    # the arterial's line swatch is drawn in its exact colour; the gap swatch blended on white
    assert (np.abs(panel - arterial_rgb).sum(axis=2) < 60).sum() > 20
    reddish = (panel[:, :, 0] > 200) & (panel[:, :, 1] < 190) & (panel[:, :, 2] < 190)
    assert reddish.sum() > 20, gap_rgb


def test_the_map_draws_the_layers_where_they_are() -> None:
    """A bbox of exactly the square: the vertical road is at the picture's map centre."""
    lon_lat = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=GK114).to_crs(4326)
    bbox = tuple(float(v) for v in lon_lat.total_bounds)
    only_roads = [layer for layer in _layers() if layer.name == "roads"]
    picture = render_map(
        only_roads,
        metric_crs=GK114,
        title="t",
        attribution=[],
        date="",
        bbox_lonlat=bbox,  # type: ignore[arg-type]
        width_px=800,
        height_px=600,
    )
    pixels = np.asarray(Image.open(io.BytesIO(picture.png)).convert("RGB")).astype(int)
    # the branch road (the roads style's colour for its class), drawn north-south at x = X0 + 500
    colour = style_for("roads").categories["branch"]["color"]
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    cols = np.where((np.abs(pixels - rgb).sum(axis=2) < 40).sum(axis=0) > 100)[0]
    assert len(cols)
    # the map axes span 1 % … 73 % of the width; the road is in its middle
    centre = (0.01 + (0.98 - 0.26) / 2) * 800
    assert abs(cols.mean() - centre) < 8


@pytest.mark.parametrize("size", [(MAX_SIZE_PX + 1, 600), (800, 199)])
def test_sizes_out_of_range_are_refused(size: tuple[int, int]) -> None:
    with pytest.raises(PictureSizeError, match="out of range: 200-4000 px"):
        _picture(width_px=size[0], height_px=size[1])


def test_a_bbox_far_too_large_is_refused() -> None:
    with pytest.raises(Exception, match="too large"):
        _picture(bbox_lonlat=(-180.0, -80.0, 180.0, 80.0))


def test_data_date_comes_from_the_metadata_not_the_clock() -> None:
    assert data_date({"created": "2019-05-06T01:02:03+00:00"}) == "2019-05-06"
    assert data_date({}) == ""


def test_north_arrow_turns_with_the_grid_convergence() -> None:
    """East of the central meridian grid north points east of true north: convergence ≈
    Δλ·sin φ = 1° · sin 34.3° ≈ 0.56°."""
    angle = grid_convergence_deg(115.0, 34.3, GK114)
    assert angle == pytest.approx(np.degrees(np.radians(1.0) * np.sin(np.radians(34.3))), abs=0.01)


def test_chart_svg_and_png_show_the_value_as_the_api_gives_it() -> None:
    item = {
        "id": "road_density",
        "name_zh": "道路网密度",
        "name_en": "Road-network density",
        "value": 7.9141,
        "unit": "km/km²",
        "target": 8.0,
        "target_year": 2020,
        "comparison": ">=",
        "passed": False,
        "basis": "measured",
        "status": "ok",
        "reason": "",
    }
    svg = render_chart(item, "svg").decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert value_text(7.9141) in svg and "道路网密度" in svg and "未达标" in svg
    assert render_chart(item, "svg") == render_chart(item, "svg")  # no timestamp inside
    png = Image.open(io.BytesIO(render_chart(item, "png")))
    assert png.size == (600, 190)
    english = render_chart(item, "svg", lang="en").decode("utf-8")
    assert "Road-network density" in english and "failed" in english
    none = render_chart(
        {**item, "value": None, "passed": None, "reason": "无数据 | no data"}, "svg"
    )
    assert re.search("无数据", none.decode("utf-8"))


@pytest.mark.parametrize("title", ["💥 emoji", "\x00\x01 control", "$x^2$ {} \\ _", "\u202e rtl"])
def test_any_title_text_is_drawn_as_text(title: str) -> None:
    """Characters the font lacks, control characters and TeX markup never fail the picture
    (warnings are errors in the tests, as a server must not depend on them)."""
    assert Image.open(io.BytesIO(_picture(title=title).png)).size == (800, 600)


def test_chart_with_a_character_the_font_lacks() -> None:
    item = {"name_zh": "💥", "value": 1.0, "unit": "%", "target": 2.0, "target_year": 2020}
    assert render_chart(item, "png")[:8] == b"\x89PNG\r\n\x1a\n"
