"""``python -m gis sites`` on the demonstration workspace: exact vs greedy, fixed sites, excluded
areas, bad arguments."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
import shapely

from gis.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sites", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def answer(capsys: Any, folder: Path, *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, str(folder), "--json", *argv)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


@pytest.fixture(scope="module")
def both(demo_workspace_dir: Path) -> dict[str, dict[str, Any]]:
    """The default search (k = 5) of the demonstration area, exact and greedy."""
    out = {}
    for method in ("exact", "greedy"):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main(["sites", str(demo_workspace_dir), "--json", "--method", method]) == 0
        out[method] = json.loads(buffer.getvalue())
    return out


def test_exact_covers_at_least_the_greedy_answer_and_says_how(both: dict[str, Any]) -> None:
    exact, greedy = both["exact"]["search"], both["greedy"]["search"]
    assert exact["method"] == "exact" and exact["optimal"] is True and exact["gap_pct"] == 0.0
    assert greedy["method"] == "greedy" and greedy["gap_pct"] is None
    assert exact["greedy_persons_added"] == greedy["persons_added"]
    assert exact["persons_added"] >= greedy["persons_added"]
    assert greedy["persons_added"] >= (1 - 1 / math.e) * exact["persons_added"]
    assert exact["upper_bound_persons"] == pytest.approx(exact["persons_added"], abs=0.01)
    sites = both["exact"]["suggested_sites"]
    assert len(sites) == 5 and {s["method"] for s in sites} == {"exact"}
    gains = [s["persons_added"] for s in sites]
    assert gains == sorted(gains, reverse=True)  # listed in greedy order among themselves
    assert sum(gains) == pytest.approx(exact["persons_added"], abs=0.05)


def test_a_fixed_site_is_counted_and_not_suggested_again(
    demo_workspace_dir: Path, both: dict[str, Any], capsys: Any
) -> None:
    first = both["exact"]["suggested_sites"][0]
    data = answer(capsys, demo_workspace_dir, "--k", "4", "--fix", f"{first['lon']},{first['lat']}")
    assert data["fixed_sites"] == [{"lon": first["lon"], "lat": first["lat"]}]
    effect = data["fixed_sites_effect"]
    assert effect["count"] == 1 and effect["persons_added"] >= first["persons_added"] - 0.05
    assert first["node_id"] not in {s["node_id"] for s in data["suggested_sites"]}
    # the fixed site reaches at least what its node reaches, so with 4 more sites the total is
    # at least the optimum of 5 free sites
    total = effect["persons_added"] + data["search"]["persons_added"]
    assert total >= both["exact"]["search"]["persons_added"] - 0.05


def test_an_excluded_polygon_keeps_sites_out(
    demo_workspace_dir: Path, both: dict[str, Any], capsys: Any, tmp_path: Path
) -> None:
    first = both["exact"]["suggested_sites"][0]
    lon, lat, d = first["lon"], first["lat"], 0.002  # about 200 m around the best site
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    water = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"natural": "water"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    path = tmp_path / "water.geojson"
    path.write_text(json.dumps(water), "utf-8")
    data = answer(capsys, demo_workspace_dir, "--exclude", str(path))
    assert data["excluded"] == {"layers": [], "polygons": 1}
    for site in data["suggested_sites"]:
        assert not (abs(site["lon"] - lon) <= d and abs(site["lat"] - lat) <= d)
    assert data["search"]["persons_added"] <= both["exact"]["search"]["persons_added"]


def test_a_workspace_layer_can_be_excluded(
    demo_workspace_dir: Path, capsys: Any, demo_workspace: Any
) -> None:
    data = answer(capsys, demo_workspace_dir, "--exclude-layer", "landuse:landuse=residential")
    homes = demo_workspace.layers["landuse"]
    n_homes = int((homes["landuse"] == "residential").sum())
    assert data["excluded"]["polygons"] == n_homes
    area = shapely.union_all(homes[homes["landuse"] == "residential"].geometry.to_numpy())
    for site in data["suggested_sites"]:
        assert not area.contains(shapely.Point(site["lon"], site["lat"]))


def test_the_table_names_the_method(demo_workspace_dir: Path, capsys: Any) -> None:
    code, out, _ = run(capsys, str(demo_workspace_dir), "--k", "2", "--method", "greedy")
    assert code == 0
    assert "贪心近似 greedy" in out and "persons added" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "lp"], "--method must be one of exact, greedy"),
        (["--k", "101"], "--k=101"),
        (["--k", "two"], "--k must be a whole number"),
        (["--time-limit", "0"], "--time-limit=0"),
        (["--fix", "104.0"], "--fix: expected longitude,latitude"),
        (["--fix", "500000,3850000"], "--fix: expected longitude,latitude"),
        (["--exclude-layer", "lakes"], "exclude layer 'lakes': no such layer"),
        (["--exclude-layer", "roads"], "needs polygons, it holds LineString"),
        (["--exclude-layer", "landuse:natural=water"], "expected NAME:COLUMN=VALUE"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    demo_workspace_dir: Path, capsys: Any, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, str(demo_workspace_dir), *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_a_bad_exclude_file_exits_2(demo_workspace_dir: Path, capsys: Any, tmp_path: Path) -> None:
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "Point", "coordinates": [104.0, 30.7]}), "utf-8")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", "utf-8")
    for path, message in ((points, "is a Point; only polygons"), (broken, "cannot read it")):
        code, _, err = run(capsys, str(demo_workspace_dir), "--exclude", str(path))
        assert code == 2 and message in err, err
