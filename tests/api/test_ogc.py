"""OGC API – Features (api/ogc.py) against its conformance classes: Core, GeoJSON, OAS 3.0.

Requirement classes of OGC 17-069r4 (Features Part 1), one group of tests each: landing page,
conformance, API definition, collections, items (limit, offset, bbox, datetime, paging links),
single feature, errors; then what a visitor may see.  Expected answers come from the layer read
straight from the workspace GeoPackage, not from the code under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from openapi_spec_validator import validate
from shapely.geometry import box, shape

from tests.helpers import DEMO_ID, create_accounts

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
ROADS = f"{DEMO_ID}.roads"


@pytest.fixture(scope="module")
def ogc_app(make_app: Any, web_root: Path) -> Any:
    """An app of its own over the web workspaces, with accounts (alice: staff of the demo)."""
    app = make_app(WORKSPACES_DIR=str(web_root))
    app.accounts = create_accounts(app)
    return app


@pytest.fixture()
def ogc(ogc_app: Any) -> Any:
    return ogc_app.test_client()


def _gpkg(web_root: Path) -> Path:
    return web_root / DEMO_ID / "workspace.gpkg"


def _get(ogc: Any, url: str, **kwargs: Any) -> Any:
    response = ogc.get(url, **kwargs)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:500])
    return response


def _walk(ogc: Any, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every feature reached by following ``next`` links from ``url``."""
    found: list[dict[str, Any]] = []
    while url:
        page = _get(ogc, url, **kwargs).get_json()
        found.extend(page["features"])
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://localhost", "") if nxt else ""
    return found


# --- /req/core/root-success, /req/core/conformance-success, /req/oas30 -----------------------


def test_landing_page_links_resolve(ogc: Any) -> None:
    body = _get(ogc, "/ogc").get_json()
    rels = {link["rel"]: link for link in body["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    for link in rels.values():
        assert link["href"].startswith("http://localhost/")
        assert ogc.get(link["href"].replace("http://localhost", "")).status_code == 200
    assert _get(ogc, "/ogc/").get_json() == body


def test_conformance_lists_core_geojson_oas30(ogc: Any) -> None:
    conforms = _get(ogc, "/ogc/conformance").get_json()["conformsTo"]
    assert {CORE, GEOJSON_CLASS, OAS30} <= set(conforms)
    assert not any(c.endswith("/conf/html") for c in conforms)  # no HTML is served


def test_api_definition_is_valid_openapi_30_with_the_ogc_paths(ogc: Any) -> None:
    response = _get(ogc, "/ogc/api")
    assert response.mimetype == "application/vnd.oai.openapi+json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.0.")
    validate(spec)
    items = spec["paths"]["/ogc/collections/{collection_id}/items"]["get"]
    names = {p["name"] for p in items["parameters"]}
    assert {"limit", "offset", "bbox", "datetime", "collection_id"} <= names
    assert all(path.startswith("/ogc") for path in spec["paths"])
    # and the app's own document (3.1) carries them too
    assert "/ogc/collections" in _get(ogc, "/api/v1/openapi.json").get_json()["paths"]


# --- /req/core/fc-md-*: collections -----------------------------------------------------------


def test_one_collection_per_county_and_layer(ogc: Any) -> None:
    body = _get(ogc, "/ogc/collections").get_json()
    ids = {c["id"] for c in body["collections"]}
    expected = set()
    for county in _get(ogc, "/api/v1/counties").get_json()["counties"]:
        layers = _get(ogc, f"/api/v1/counties/{county['county_id']}/layers").get_json()["layers"]
        expected |= {f"{county['county_id']}.{layer['name']}" for layer in layers}
    assert ids == expected
    assert any(i.endswith(".population") for i in ids) and any(".gap_" in i for i in ids)
    assert {link["rel"] for link in body["links"]} >= {"self"}


def test_collection_metadata(ogc: Any, web_root: Path) -> None:
    body = _get(ogc, f"/ogc/collections/{ROADS}").get_json()
    assert body["id"] == ROADS and body["itemType"] == "feature"
    assert "道路" in body["title"] and "oad" in body["title"]  # Chinese and English
    minx, miny, maxx, maxy = body["extent"]["spatial"]["bbox"][0]
    expected = pyogrio.read_info(_gpkg(web_root), layer="roads")["total_bounds"]
    assert np.allclose([minx, miny, maxx, maxy], expected, atol=1e-5)
    assert body["extent"]["spatial"]["crs"].endswith("/OGC/1.3/CRS84")
    rels = {link["rel"]: link for link in body["links"]}
    assert rels["items"]["type"] == "application/geo+json"
    listed = _get(ogc, "/ogc/collections").get_json()["collections"]
    assert next(c for c in listed if c["id"] == ROADS) == body


def test_sample_layers_are_labelled_and_dates_give_a_temporal_extent(ogc: Any) -> None:
    plans = _get(ogc, f"/ogc/collections/{DEMO_ID}.plans").get_json()
    assert plans["sample"] is True and "【样例】" in plans["title"]
    start, end = plans["extent"]["temporal"]["interval"][0]
    assert dt.datetime.fromisoformat(start) <= dt.datetime.fromisoformat(end)
    roads = _get(ogc, f"/ogc/collections/{ROADS}").get_json()
    assert roads["sample"] is False and "【样例】" not in roads["title"]
    assert "temporal" not in roads["extent"]


# --- /req/core/fc-*: items ---------------------------------------------------------------------


def test_items_default_page_matches_the_stored_layer(ogc: Any, web_root: Path) -> None:
    response = _get(ogc, f"/ogc/collections/{ROADS}/items")
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    stored = pyogrio.read_dataframe(_gpkg(web_root), layer="roads", fid_as_index=True)
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(stored)
    assert body["numberReturned"] == len(body["features"]) == 10  # the default limit
    stamp = dt.datetime.fromisoformat(body["timeStamp"].replace("Z", "+00:00"))
    assert stamp.tzinfo is not None
    first = body["features"][0]
    row = stored.loc[first["id"]]
    assert shape(first["geometry"]).equals_exact(row.geometry, 1e-6)
    assert first["properties"]["name"] == (None if row["name"] is None else row["name"])


def test_next_links_give_every_feature_exactly_once(ogc: Any, web_root: Path) -> None:
    stored = pyogrio.read_dataframe(_gpkg(web_root), layer="parks", fid_as_index=True)
    found = _walk(ogc, f"/ogc/collections/{DEMO_ID}.parks/items?limit=7")
    ids = [f["id"] for f in found]
    assert len(ids) == len(set(ids)) == len(stored)
    assert set(ids) == set(int(i) for i in stored.index)


def test_prev_link_and_offset(ogc: Any) -> None:
    whole = _get(ogc, f"/ogc/collections/{ROADS}/items?limit=30").get_json()["features"]
    page = _get(ogc, f"/ogc/collections/{ROADS}/items?limit=10&offset=20").get_json()
    assert [f["id"] for f in page["features"]] == [f["id"] for f in whole[20:30]]
    prev = next(link for link in page["links"] if link["rel"] == "prev")
    back = _get(ogc, prev["href"].replace("http://localhost", "")).get_json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in whole[10:20]]
    first = _get(ogc, f"/ogc/collections/{ROADS}/items?limit=10").get_json()
    assert "prev" not in {link["rel"] for link in first["links"]}


def test_bbox_returns_exactly_the_intersecting_features(ogc: Any, web_root: Path) -> None:
    stored = pyogrio.read_dataframe(_gpkg(web_root), layer="roads", fid_as_index=True)
    minx, miny, maxx, maxy = stored.total_bounds
    bbox = (minx, miny, minx + (maxx - minx) / 3, miny + (maxy - miny) / 3)
    expected = {
        int(i) for i in stored.index[shapely.intersects(stored.geometry.values, box(*bbox))]
    }
    assert 0 < len(expected) < len(stored)
    text = ",".join(f"{v:.6f}" for v in bbox)
    found = _walk(ogc, f"/ogc/collections/{ROADS}/items?bbox={text}&limit=50")
    # the box was rounded to 1e-6 degree: compare with the same box
    rounded = box(*(float(f"{v:.6f}") for v in bbox))
    expected = {int(i) for i in stored.index[shapely.intersects(stored.geometry.values, rounded)]}
    assert sorted(f["id"] for f in found) == sorted(expected)
    assert all(shape(f["geometry"]).intersects(rounded.buffer(1e-6)) for f in found)


def test_bbox_on_a_computed_gap_layer(ogc: Any) -> None:
    layers = _get(ogc, f"/api/v1/counties/{DEMO_ID}/layers").get_json()["layers"]
    gap = next(layer for layer in layers if layer["kind"] == "gap" and layer["feature_count"] > 3)
    cid = f"{DEMO_ID}.{gap['name']}"
    everything = _walk(ogc, f"/ogc/collections/{cid}/items?limit=1000")
    assert len(everything) == gap["feature_count"]
    geoms = [shape(f["geometry"]) for f in everything]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    half = (minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
    expected = {f["id"] for f, g in zip(everything, geoms, strict=True) if g.intersects(box(*half))}
    text = ",".join(repr(float(v)) for v in half)
    found = _walk(ogc, f"/ogc/collections/{cid}/items?bbox={text}&limit=1000")
    assert {f["id"] for f in found} == expected


def test_datetime_filters_on_the_date_column(ogc: Any, web_root: Path) -> None:
    plans = pyogrio.read_dataframe(_gpkg(web_root), layer="plans", fid_as_index=True)
    days = plans["approved_on"].fillna("").astype(str).str[:10]
    dated = sorted(d for d in days if d)
    cut = dated[len(dated) // 2]
    expected = {int(i) for i, d in days.items() if d and d <= cut}
    found = _walk(ogc, f"/ogc/collections/{DEMO_ID}.plans/items?datetime=../{cut}T12:00:00Z")
    assert {f["id"] for f in found} == expected
    one_day = _walk(ogc, f"/ogc/collections/{DEMO_ID}.plans/items?datetime={cut}")
    assert {f["id"] for f in one_day} == {int(i) for i, d in days.items() if d == cut}


def test_limit_above_the_maximum_is_served_as_the_maximum(ogc: Any) -> None:
    body = _get(ogc, f"/ogc/collections/{ROADS}/items?limit=50000").get_json()
    assert body["numberReturned"] == min(10_000, body["numberMatched"])
    nxt = [link for link in body["links"] if link["rel"] == "next"]
    assert all("limit=10000" in link["href"] for link in nxt)


# --- /req/core/f-success: one feature ---------------------------------------------------------


def test_single_feature_equals_the_page_entry(ogc: Any) -> None:
    page = _get(ogc, f"/ogc/collections/{ROADS}/items?limit=3&offset=5").get_json()
    for feature in page["features"]:
        one = _get(ogc, f"/ogc/collections/{ROADS}/items/{feature['id']}")
        assert one.mimetype == "application/geo+json"
        body = one.get_json()
        assert {k: body[k] for k in ("type", "id", "geometry", "properties")} == feature
        assert {link["rel"] for link in body["links"]} >= {"self", "collection"}


# --- errors: 404 and 400 in the OGC exception shape ------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/no-such-county.roads",
        f"/ogc/collections/{DEMO_ID}.no_such_layer",
        f"/ogc/collections/{DEMO_ID}.no_such_layer/items",
        f"/ogc/collections/{ROADS}/items/99999999",
        f"/ogc/collections/{ROADS}/items/abc",
        "/ogc/collections/nodot/items",
    ],
)
def test_unknown_collection_or_feature_is_404(ogc: Any, url: str) -> None:
    response = ogc.get(url)
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == "not_found" and body["description"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=104,31,105,30", "bbox"),
        ("bbox=104,30,105,91", "bbox"),
        ("bbox=105,30,104,31", "bbox"),
        ("limit=0", "limit"),
        ("limit=-3", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2020-05-01/2020-01-01", "datetime"),
        ("f=xml", "f"),
        ("bbox-crs=EPSG:3857", "bbox-crs"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_400_naming_them(ogc: Any, query: str, name: str) -> None:
    response = ogc.get(f"/ogc/collections/{ROADS}/items?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "invalid_parameter"
    assert name in body["description"]
    assert body["errors"][0]["source"] == name and body["errors"][0]["message_zh"]


def test_content_negotiation(ogc: Any) -> None:
    url = f"/ogc/collections/{ROADS}/items?limit=1"
    assert _get(ogc, url).mimetype == "application/geo+json"
    assert _get(ogc, url, headers={"Accept": "application/json"}).mimetype == "application/json"
    geo = _get(ogc, url, headers={"Accept": "application/geo+json"})
    assert geo.mimetype == "application/geo+json"
    assert _get(ogc, url + "&f=json").mimetype == "application/geo+json"
    refused = ogc.get(url, headers={"Accept": "text/html"})
    assert refused.status_code == 406 and refused.get_json()["code"] == "not_acceptable"
    assert _get(ogc, "/ogc/collections?f=json").mimetype == "application/json"


def test_answers_are_cached_with_etags_and_security_headers(ogc: Any) -> None:
    url = f"/ogc/collections/{ROADS}/items?limit=5"
    first = _get(ogc, url)
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    again = ogc.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- what a visitor may see -------------------------------------------------------------------


def test_anonymous_visitors_see_public_records_only(ogc: Any, ogc_app: Any, web_root: Path) -> None:
    records = pyogrio.read_dataframe(_gpkg(web_root), layer="disclosures", fid_as_index=True)
    public = records["public"].fillna(False).astype(bool)
    assert public.any() and not public.all()
    hidden = int(records.index[~public][0])
    url = f"/ogc/collections/{DEMO_ID}.disclosures/items?limit=1000"

    anonymous = _get(ogc, url).get_json()
    assert anonymous["numberMatched"] == int(public.sum())
    assert {f["id"] for f in anonymous["features"]} == {int(i) for i in records.index[public]}
    assert all(f["properties"]["public"] for f in anonymous["features"])
    assert ogc.get(f"/ogc/collections/{DEMO_ID}.disclosures/items/{hidden}").status_code == 404
    public_api = _get(ogc, f"/api/v1/counties/{DEMO_ID}/layers/disclosures").get_json()
    assert anonymous["numberMatched"] == public_api["numberMatched"]

    accounts = ogc_app.accounts
    for who in ("public", "other_staff"):  # a public account, staff of another county
        seen = _get(ogc, url, headers=accounts.header(who)).get_json()
        assert seen["numberMatched"] == int(public.sum())

    staff = _get(ogc, url, headers=accounts.header("staff"))
    assert staff.get_json()["numberMatched"] == len(records)
    assert "private" in staff.headers["Cache-Control"]
    assert "Authorization" in staff.headers["Vary"]
    one = ogc.get(
        f"/ogc/collections/{DEMO_ID}.disclosures/items/{hidden}", headers=accounts.header("staff")
    )
    assert one.status_code == 200 and one.get_json()["properties"]["public"] in (False, 0)
    # the collection's extent follows the viewer too: computed from what they may see
    anon_meta = _get(ogc, f"/ogc/collections/{DEMO_ID}.disclosures").get_json()
    bounds = records[public].total_bounds
    assert np.allclose(anon_meta["extent"]["spatial"]["bbox"][0], bounds, atol=1e-5)
