"""``python -m gis ingest`` and ``python -m gis info``: the commands, and every bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gis.cli import build_parser, main
from gis.cli.ingest import options_from_args
from gis.ingest import IngestOptions
from gis.io import read_layer, read_metadata

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "ingest"
CHENGDU_OSM = ROOT / "data" / "osm" / "chengdu_jinniu_xindu.osm.bz2"
DEMO_BOUNDARY = ROOT / "data" / "demo" / "boundary.geojson"
TINY = BAD / "tiny.osm"
TINY_BOUNDARY = BAD / "tiny_boundary.geojson"


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_and_info_on_the_hand_made_extract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tiny"
    code, stdout, _ = run_cli(
        capsys,
        "ingest",
        "--osm",
        TINY,
        "--boundary",
        TINY_BOUNDARY,
        "--population-total",
        "5000",
        "--name",
        "测试区",
        "--county-id",
        "tiny-test",
        "--adcode",
        "410000",
        "--out",
        out,
    )
    assert code == 0 and f"workspace written to {out}" in stdout
    meta = read_metadata(out)
    counts = {name: entry["count"] for name, entry in meta["layers"].items()}
    assert counts == {
        "boundary": 1,
        "roads": 7,
        "walk_nodes": 8,
        "walk_edges": 6,
        "parks": 1,
        "green_space": 3,
        "sports": 2,
        "residential": 1,
        "landuse": 2,
        "parking": 0,  # no amenity=parking in the hand-made extract: an empty layer, no data
        "facilities": 1,  # the pedestrian area 广场 (highway=pedestrian, area=yes): a square
        "built_up": 1,
    }
    assert (meta["name"], meta["county_id"], meta["adcode"]) == ("测试区", "tiny-test", "410000")
    assert meta["metric_crs"] == "EPSG:4544" and meta["population"]["total"] == 5000
    edges = read_layer(out, "walk_edges")
    assert sorted(edges["osm_id"]) == [101, 101, 102, 102, 103, 108]
    nodes = read_layer(out, "walk_nodes")
    assert sorted(nodes["degree"]) == [1, 1, 1, 1, 1, 1, 2, 4]

    code, stdout, _ = run_cli(capsys, "info", out)
    assert code == 0
    lines = {line.split()[0]: line.split() for line in stdout.splitlines() if line.strip()}
    assert lines["roads"][1:3] == ["7", "LineString"] and lines["roads"][3:5] == [
        "EPSG:4326",
        "osm",
    ]
    assert lines["walk_edges"][1] == "6" and lines["walk_edges"][4] == "osm_derived"
    assert lines["built_up"][4] == "osm_derived"
    assert "metric CRS EPSG:4544" in stdout and "5,000 persons (ESTIMATE" in stdout
    assert "104.06000, 30.76000, 104.07000, 30.77000" in stdout
    assert "tiny.osm" in stdout and "© OpenStreetMap contributors (ODbL 1.0)" in stdout


def test_demo_flag_gives_the_demonstration_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    args = build_parser().parse_args(
        [
            "ingest",
            "--osm",
            str(CHENGDU_OSM),
            "--boundary",
            str(DEMO_BOUNDARY),
            "--demo",
            "--out",
            str(tmp_path / "d"),
        ]
    )
    assert options_from_args(args) == IngestOptions.demo(CHENGDU_OSM, DEMO_BOUNDARY, tmp_path / "d")
    args = build_parser().parse_args(
        [
            "ingest",
            "--osm",
            str(CHENGDU_OSM),
            "--boundary",
            str(DEMO_BOUNDARY),
            "--demo",
            "--population-total",
            "9",
            "--name",
            "x",
            "--out",
            str(tmp_path / "d"),
        ]
    )
    opts = options_from_args(args)
    assert (
        opts.population_total == 9 and opts.population_density_per_ha is None and opts.name == "x"
    )
    assert opts.with_sample_layers and opts.is_demonstration


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--osm", BAD / "nope.osm.bz2", "--boundary", TINY_BOUNDARY],
            r"nope.osm.bz2: file not found \(given as --osm\)",
        ),
        (
            ["--osm", TINY, "--boundary", BAD / "nope.geojson"],
            r"nope.geojson: file not found \(given as --boundary\)",
        ),
        (["--osm", BAD / "not_osm.osm", "--boundary", TINY_BOUNDARY], r"not_osm.osm: not OSM XML"),
        (
            ["--osm", BAD / "gpx_root.osm", "--boundary", TINY_BOUNDARY],
            r"gpx_root.osm: not OSM XML: the root element is <gpx>, expected <osm>",
        ),
        (
            ["--osm", BAD / "empty.osm", "--boundary", TINY_BOUNDARY],
            r"empty.osm: the OSM extract is empty: 2 nodes and no ways",
        ),
        (
            ["--osm", TINY, "--boundary", BAD / "far_boundary.geojson"],
            r"far_boundary.geojson: the boundary .* does not overlap the OSM extract tiny.osm",
        ),
        (
            ["--osm", TINY, "--boundary", TINY_BOUNDARY, "--population", BAD / "no_crs.tif"],
            r"no_crs.tif: the raster has no CRS",
        ),
        (
            [
                "--osm",
                TINY,
                "--boundary",
                TINY_BOUNDARY,
                "--population",
                BAD / "negative_population.tif",
            ],
            r"negative_population.tif: 1 cell\(s\) have a negative population",
        ),
        (
            ["--osm", TINY, "--boundary", TINY_BOUNDARY, "--population-total", "-5"],
            r"--population-total -5: a population cannot be negative",
        ),
        (
            ["--osm", TINY, "--boundary", TINY_BOUNDARY, "--population-density-per-ha", "-1"],
            r"--population-density-per-ha -1: a population cannot be negative",
        ),
        (
            ["--osm", TINY, "--boundary", BAD / "not_osm.osm"],
            r"not_osm.osm: not a vector file GDAL can read",
        ),
        (
            [
                "--osm",
                TINY,
                "--boundary",
                TINY_BOUNDARY,
                "--built-up",
                BAD / "far_boundary.geojson",
            ],
            r"far_boundary.geojson: the built-up area does not overlap the boundary",
        ),
    ],
)
def test_bad_input_gives_one_clear_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[object], message: str
) -> None:
    out = tmp_path / "ws"
    code, stdout, stderr = run_cli(capsys, "ingest", *args, "--out", out)
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip() and "ingest:" not in line]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left behind


def test_bad_input_through_the_real_command_line(tmp_path: Path) -> None:
    out = tmp_path / "ws"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gis",
            "ingest",
            "--osm",
            str(BAD / "not_osm.osm"),
            "--boundary",
            str(TINY_BOUNDARY),
            "--out",
            str(out),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: not_osm.osm: not OSM XML")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_population_options_are_mutually_exclusive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "ingest",
                "--osm",
                str(TINY),
                "--boundary",
                str(TINY_BOUNDARY),
                "--population-total",
                "1",
                "--population-density-per-ha",
                "2",
                "--out",
                str(tmp_path / "ws"),
            ]
        )
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_info_on_a_folder_that_is_not_a_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run_cli(capsys, "info", tmp_path)
    assert code == 2
    assert "not a workspace (no metadata.json)" in stderr


def test_info_on_the_demo_workspace(
    demo_workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run_cli(capsys, "info", demo_workspace_dir)
    assert code == 0
    meta = json.loads((demo_workspace_dir / "metadata.json").read_text(encoding="utf-8"))
    for name, entry in meta["layers"].items():
        row = next(line for line in stdout.splitlines() if line.startswith(f"{name} "))
        assert row.split()[1] == str(entry["count"])
        assert entry["provenance"] in row
    assert "DEMONSTRATION" in stdout and "成都北部示范区" in stdout
    assert "ESTIMATE" in stdout
