"""The map pages open on the town when it is a small part of the county (a Henan county is a
town of a few dozen km² in 1,000-2,000 km² of farmland), and on the county otherwise."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from tests.helpers import DEMO_ID

FIT = re.compile(
    r"fitBounds\(\s*\[\[([-0-9.e]+),\s*([-0-9.e]+)\],\s*\[([-0-9.e]+),\s*([-0-9.e]+)\]\]"
)


def _fitted(html: str) -> list[float]:
    """``[min_lon, min_lat, max_lon, max_lat]`` of the page map's fitBounds call."""
    match = FIT.search(html)
    assert match, "no fitBounds in the page"
    south, west, north, east = (float(v) for v in match.groups())
    return [west, south, east, north]


@pytest.fixture(scope="module")
def wide_county(demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration workspace as if its county were 10 times wider and taller."""
    target = tmp_path_factory.mktemp("first-view") / "workspaces" / DEMO_ID
    shutil.copytree(demo_workspace_dir, target)
    meta_path = target / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    x0, y0, x1, y1 = meta["bounds"]
    dx, dy = (x1 - x0) * 4.5, (y1 - y0) * 4.5
    meta["bounds"] = [x0 - dx, y0 - dy, x1 + dx, y1 + dy]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return target


@pytest.mark.parametrize("page", ["map", "public"])
def test_a_small_town_in_a_wide_county_opens_on_the_town(
    make_app: Any, wide_county: Path, page: str
) -> None:
    app = make_app(WORKSPACES_DIR=str(wide_county.parent))
    html = app.test_client().get(f"/{page}/{DEMO_ID}").get_data(as_text=True)
    built = gpd.read_file(wide_county / "workspace.gpkg", layer="built_up").total_bounds
    fitted = _fitted(html)
    # the built-up box widened by 15 % on every side, inside the county's box
    pad_x, pad_y = (built[2] - built[0]) * 0.15, (built[3] - built[1]) * 0.15
    expected = [built[0] - pad_x, built[1] - pad_y, built[2] + pad_x, built[3] + pad_y]
    assert fitted == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("page", ["map", "public"])
def test_a_town_filling_its_county_opens_on_the_county(
    make_app: Any, demo_workspace_dir: Path, page: str
) -> None:
    app = make_app(WORKSPACES_DIR=str(demo_workspace_dir.parent))
    html = app.test_client().get(f"/{page}/{DEMO_ID}").get_data(as_text=True)
    meta = json.loads((demo_workspace_dir / "metadata.json").read_text(encoding="utf-8"))
    assert _fitted(html) == pytest.approx(meta["bounds"], abs=1e-6)
