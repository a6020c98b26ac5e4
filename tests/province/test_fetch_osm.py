"""fetch-osm: offline error in one line, unknown adcode, and the XML it writes reads back."""

from __future__ import annotations

import errno
import socket
import time
from pathlib import Path

import osmnx as ox
import pytest
from shapely.geometry import Point

from gis.cli import fetch_osm, main
from gis.province import find_unit, load_units


def _unreachable(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENETUNREACH, "Network is unreachable")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No route to any host: DNS and connect both fail, as on a machine without a network."""
    monkeypatch.setattr(socket, "getaddrinfo", _unreachable)
    monkeypatch.setattr(socket.socket, "connect", _unreachable)


def test_offline_gives_one_clear_line_fast(offline, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "gongyi.osm"
    start = time.perf_counter()
    code = main(["fetch-osm", "--county", "410181", "--out", str(out)])
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "cannot reach the Overpass API" in lines[0] and "offline" in lines[0]
    assert "overpass-api.de:443" in lines[0]
    assert "Traceback" not in err
    assert not out.exists()
    assert elapsed < 5  # no osmnx 60 s retry pause


def test_unknown_adcode_is_a_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["fetch-osm", "--county", "123456", "--out", str(tmp_path / "x.osm")])
    err = capsys.readouterr().err
    assert code == 2
    assert "adcode '123456' is not one of Henan's 157 county-level units" in err


def test_query_polygon_covers_the_county_within_the_margin() -> None:
    import geopandas as gpd

    unit = find_unit(load_units(), "410225")  # 兰考县
    poly = fetch_osm.query_polygon(unit.geometry, simplify_m=50)
    assert poly.contains(unit.geometry)
    both = gpd.GeoSeries([poly, unit.geometry], crs=4326).to_crs(4547)
    grown_m2, county_m2 = both.area
    perimeter_m = both.iloc[1].length
    # about a 50 m band around the county, no more
    assert 0.5 * 50 * perimeter_m < grown_m2 - county_m2 < 1.5 * 50 * perimeter_m


def _fake_overpass() -> list[dict]:
    """Two overlapping answers as osmnx returns them: a road, a park (way) and a pitch node."""
    nodes = [
        {"type": "node", "id": i, "lat": 34.76 + 0.001 * (i % 3), "lon": 113.02 + 0.001 * (i // 3)}
        for i in range(1, 10)
    ]
    road = {
        "type": "way",
        "id": 100,
        "nodes": [1, 4, 7],
        "tags": {"highway": "residential", "name": "建设路 & 1"},
    }
    park = {
        "type": "way",
        "id": 200,
        "nodes": [2, 5, 6, 3, 2],
        "tags": {"leisure": "park", "name": "人民公园"},
    }
    pitch = {"type": "node", "id": 9, "lat": 34.762, "lon": 113.022, "tags": {"leisure": "pitch"}}
    rel = {
        "type": "relation",
        "id": 300,
        "tags": {"type": "multipolygon", "landuse": "grass"},
        "members": [{"type": "way", "ref": 200, "role": "outer"}],
    }
    return [{"elements": [*nodes[:5], road, park]}, {"elements": [*nodes[3:8], pitch, road, rel]}]


def test_download_answer_written_as_osm_xml_that_reads_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from osmnx import _overpass

    seen: dict[str, object] = {}

    def fake_download(polygon, tags):  # type: ignore[no-untyped-def]
        seen["polygon"], seen["tags"] = polygon, tags
        return iter(_fake_overpass())

    monkeypatch.setattr(fetch_osm, "check_reachable", lambda url, **kw: None)
    monkeypatch.setattr(_overpass, "_download_overpass_features", fake_download)
    out = tmp_path / "gongyi.osm"
    assert main(["fetch-osm", "--county", "410181", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "410181 巩义市" in err
    boundary = tmp_path / "gongyi_boundary.geojson"
    assert f"--boundary {boundary}" in err and "--population-total 328149" in err
    import geopandas as gpd

    written = gpd.read_file(boundary)
    assert written["adcode"].tolist() == ["410181"] and written.crs.to_epsg() == 4326
    assert set(seen["tags"]) >= {"highway", "leisure", "landuse"}  # type: ignore[arg-type]
    gongyi = find_unit(load_units(), "410181").geometry
    assert seen["polygon"].contains(gongyi.representative_point())  # type: ignore[attr-defined]

    text = out.read_text(encoding="utf-8")
    assert text.count("<node ") == 9 and text.count("<way ") == 2 and text.count("<relation ") == 1
    assert 'v="建设路 &amp; 1"' in text and "<bounds " in text

    from gis.osm import inspect_osm_xml

    assert inspect_osm_xml(out) is not None
    G = ox.graph_from_xml(out, simplify=False, retain_all=True)
    assert {d.get("highway") for _, _, d in G.edges(data=True)} >= {"residential"}
    feats = ox.features_from_xml(out, tags={"leisure": True})
    assert set(feats["leisure"].dropna()) == {"park", "pitch"}
    assert feats.geometry.iloc[0].is_valid
    assert any(isinstance(g, Point) for g in feats.geometry)
