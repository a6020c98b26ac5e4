"""Scenarios on every workspace of the matrix (issue 13 item 4): a facility, a park, a road and a
population edit evaluated as the county's staff answer 200 with every indicator before → after,
or a 4xx naming the problem in Chinese and English (no population raster, an empty built-up
area), never a 5xx; anonymous visitors get 401 and other counties' staff 403 on every scenario
route; the stored workspace is unchanged."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box, mapping

from tests.helpers import create_token, tree_hash
from tests.matrix.test_matrix import BUILDABLE, TRACEBACK, check_bilingual
from tests.matrix.workspaces import Matrix


def _edits(folder: Any) -> list[dict[str, Any]]:
    """Edits around the county's boundary centre (built-up areas may be empty)."""
    boundary = gpd.read_file(folder / "workspace.gpkg", layer="boundary")
    metric = boundary.estimate_utm_crs()
    c = boundary.to_crs(metric).union_all().representative_point()

    def ll(geom: Any) -> dict[str, Any]:
        return dict(mapping(gpd.GeoSeries([geom], crs=metric).to_crs(4326).iloc[0]))

    return [
        {"op": "add", "layer": "sports", "facility_type": "pitch", "geometry": ll(c)},
        {"op": "add", "layer": "parks", "geometry": ll(box(c.x, c.y, c.x + 100, c.y + 100))},
        {"op": "add", "layer": "roads", "geometry": ll(LineString([(c.x, c.y), (c.x + 200, c.y)]))},
        {"op": "population", "factor": 2.0, "geometry": ll(c.buffer(500))},
    ]


@pytest.mark.parametrize("case_id", BUILDABLE)
def test_scenario_on_each_workspace(
    case_id: str, matrix: Matrix, matrix_app: tuple[Any, str]
) -> None:
    folder = matrix.path(case_id)
    app, token = matrix_app
    client = app.test_client()
    before = tree_hash(folder)
    url = f"/api/v1/counties/{case_id}/scenarios"
    staff = {"Authorization": f"Bearer {token}"}
    edits = _edits(folder)
    for chosen in ([edits[0]], edits):
        resp = client.post(f"{url}/evaluate", json={"edits": chosen}, headers=staff)
        body = resp.get_data(as_text=True)
        assert resp.status_code in (200, 400), (case_id, resp.status_code, body[:500])
        assert TRACEBACK not in body
        doc = resp.get_json()
        if resp.status_code == 400:
            check_bilingual(doc["message"], f"{case_id} scenario")
            continue
        rows = doc["results"]["indicators"]
        assert rows and all("before" in r and "after" in r for r in rows)
    assert client.get(url).status_code == 401
    assert client.post(f"{url}/evaluate", json={"edits": edits}).status_code == 401
    assert tree_hash(folder) == before


def test_other_county_staff_are_refused(matrix: Matrix, matrix_app: tuple[Any, str]) -> None:
    app, _token = matrix_app
    first, second = BUILDABLE[0], BUILDABLE[1]
    other = {"Authorization": f"Bearer {create_token(app, 'scenario-other', 'staff', [second])}"}
    client = app.test_client()
    url = f"/api/v1/counties/{first}/scenarios"
    assert client.get(url, headers=other).status_code == 403
    assert client.post(f"{url}/evaluate", json={"edits": []}, headers=other).status_code == 403
    assert client.post(url, json={"name": "x", "edits": []}, headers=other).status_code == 403
    assert client.get(f"/api/v1/counties/{second}/scenarios", headers=other).status_code == 200
