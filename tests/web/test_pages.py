"""The pages as HTML: no outside host, labels, attribution, escaping, the dashboard's numbers."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest

from api.maps import BASEMAP_HOSTS
from tests.helpers import DEMO_ID, XSS_ID, XSS_ROAD, XSS_TITLE

PAGES = ("/", f"/public/{DEMO_ID}", f"/public/{DEMO_ID}?lang=en", f"/map/{DEMO_ID}", "/api/v1/docs")
URL_RE = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)\\]*""")
CSS_URL_RE = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


class _Refs(HTMLParser):
    """Every src/href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append(value)


def _refs(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    return parser.refs


def _outside_hosts(text: str) -> set[str]:
    """Hosts of absolute URLs in page text, ignoring XML namespaces and ``//`` comment lines."""
    hosts = set()
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    for url in URL_RE.findall(code):
        host = urlparse(url if url.startswith("http") else "http:" + url).hostname or ""
        if host in ("www.w3.org",):
            continue
        hosts.add(host)
    return hosts


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    response.close()
    return response


@pytest.mark.parametrize("basemap", ["none", "osm"])
def test_no_page_references_an_outside_host(make_app: Any, web_root: Path, basemap: str) -> None:
    app = make_app(WORKSPACES_DIR=str(web_root), BASEMAP=basemap)
    client = app.test_client()
    allowed = set(BASEMAP_HOSTS[basemap])
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert _outside_hosts(html) <= allowed, page
        for ref in _refs(html):
            if ref.startswith(("data:", "#", "?")):
                continue
            assert urlparse(ref).netloc == "", f"{page} links outside: {ref}"
            if ref.startswith("/static/"):
                asset = client.get(ref)
                assert asset.status_code == 200, ref
                if ref.endswith(".css"):
                    css = asset.get_data(as_text=True)
                    for inner in CSS_URL_RE.findall(css):
                        if inner.startswith("data:"):
                            continue
                        assert not inner.startswith(("http:", "https:", "//")), (ref, inner)
                        assert _get(client, urljoin(ref, inner)).status_code == 200, (ref, inner)
                asset.close()


def test_osm_basemap_is_configured(make_app: Any, web_root: Path) -> None:
    client = make_app(WORKSPACES_DIR=str(web_root), BASEMAP="osm").test_client()
    html = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in html


def test_tianditu_basemap_with_key(make_app: Any, web_root: Path) -> None:
    app = make_app(WORKSPACES_DIR=str(web_root), BASEMAP="tianditu", TIANDITU_KEY="testkey123")
    html = app.test_client().get(f"/public/{DEMO_ID}").get_data(as_text=True)
    assert "tianditu.gov.cn" in html and "tk=testkey123" in html
    assert "天地图" in html and "OpenStreetMap contributors" in html
    assert _outside_hosts(html) <= set(BASEMAP_HOSTS["tianditu"])


@pytest.mark.parametrize("page", [p for p in PAGES if not p.startswith("/api/")])
def test_map_pages_label_demo_sample_and_attribution(client: Any, page: str) -> None:
    html = client.get(page).get_data(as_text=True)
    assert "© OpenStreetMap contributors" in html
    assert "示范区 / demonstration area" in html
    assert "样例数据 / sample data" in html
    assert "不是河南省的县" in html


def test_population_is_labelled_an_estimate(client: Any) -> None:
    planner = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert "（估算）" in planner and "(estimate)" in planner
    public = client.get(f"/public/{DEMO_ID}").get_data(as_text=True)
    assert "（估算）" in public


def test_public_page_is_chinese_first_with_english_switch(client: Any) -> None:
    zh = client.get(f"/public/{DEMO_ID}").get_data(as_text=True)
    en = client.get(f"/public/{DEMO_ID}?lang=en").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "阳光规划" in zh and 'href="?lang=en"' in zh
    assert '<html lang="en">' in en and "Open planning" in en and 'href="?lang=zh"' in en
    assert "规划公开记录" in zh and "Disclosed planning records" in en


def test_public_page_lists_only_public_records(client: Any, web_app: Any) -> None:
    html = client.get(f"/public/{DEMO_ID}").get_data(as_text=True)
    layer = web_app.extensions["gis_store"].workspace(DEMO_ID).layers["disclosures"]
    shown = set(re.findall(r'data-record-id="([^"]+)"', html))
    public = layer[layer["public"].astype(bool)]
    assert shown == set(public["record_id"].astype(str))
    hidden = layer.loc[~layer["public"].astype(bool)]
    assert len(hidden) > 0
    planner = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)  # signed out
    for record_id, title in zip(hidden["record_id"], hidden["title"], strict=True):
        assert title not in html and record_id not in html
        assert record_id not in planner


def test_attribute_text_is_escaped(client: Any) -> None:
    for page in (f"/public/{XSS_ID}", f"/map/{XSS_ID}"):
        html = client.get(page).get_data(as_text=True)
        assert XSS_TITLE not in html and "<img src=x" not in html
        assert XSS_ROAD not in html and "<script>window.__xss" not in html
        assert "<b>test</b>" not in html and "&lt;b&gt;test&lt;/b&gt;" in html
    public = client.get(f"/public/{XSS_ID}").get_data(as_text=True)
    assert "&lt;img src=x onerror=" in public  # the record list shows the title as text


def test_dashboard_shows_the_report(client: Any, demo_report: dict[str, Any]) -> None:
    html = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    for ind in demo_report["indicators"]:
        block = html.split(f'data-indicator-id="{ind["id"]}"', 1)[1].split("</article>", 1)[0]
        value = re.search(r'data-value="([^"]*)"', block)
        assert value is not None
        assert (
            (value.group(1) == "")
            if ind["value"] is None
            else float(value.group(1)) == ind["value"]
        )
        assert ind["name_zh"] in block
        assert "<svg" in block
    assert demo_report["assessment"]["grade"] in html


def test_unknown_county_page_is_404_html(client: Any) -> None:
    response = client.get("/map/nowhere", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "nowhere" in response.get_data(as_text=True)
    api_style = client.get("/public/nowhere", headers={"Accept": "application/json"})
    assert api_style.status_code == 404 and api_style.get_json()["code"] == "not_found"


def test_bad_page_parameter_is_400(client: Any) -> None:
    response = client.get(f"/map/{DEMO_ID}?minutes=abc", headers={"Accept": "application/json"})
    assert response.status_code == 400 and "minutes" in response.get_json()["message"]
    response = client.get(f"/map/{DEMO_ID}?walk_speed=99", headers={"Accept": "application/json"})
    assert response.status_code == 400 and "walk_speed" in response.get_json()["message"]


def test_pages_and_layers_are_gzipped_and_cached(client: Any) -> None:
    import gzip

    plain = client.get(f"/map/{DEMO_ID}")
    zipped = client.get(f"/map/{DEMO_ID}", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert len(zipped.get_data()) < len(plain.get_data()) / 3
    again = client.get(
        f"/map/{DEMO_ID}",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert again.status_code == 304
    layer = client.get(
        f"/api/v1/counties/{DEMO_ID}/layers/roads", headers={"Accept-Encoding": "gzip"}
    )
    assert layer.headers["Content-Encoding"] == "gzip" and layer.headers["ETag"].startswith('W/"')
    css = client.get(
        "/static/vendor/bootstrap-5.2.2/dist/css/bootstrap.min.css",
        headers={"Accept-Encoding": "gzip"},
    )
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.get_data()).startswith(b"@charset")
    css.close()


LAZY_RE = re.compile(r"gisLazyLayer\((\{.*?\})\);")


def _as_embedded(feature: dict[str, Any]) -> str:
    """A feature as Folium writes it into the page (sorted keys, default separators)."""
    import json

    return json.dumps(feature, sort_keys=True)


def _all_pages(client: Any, url: str) -> tuple[list[dict[str, Any]], int]:
    features: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        body = client.get(next_url).get_json()
        pages += 1
        features += body["features"]
        links = [link["href"] for link in body["links"] if link["rel"] == "next"]
        next_url = links[0] if links else None
    return features, pages


VIEW_RE = re.compile(r"gisViewLayer\((\{.*?\})\);")


@pytest.fixture(scope="module")
def embed_client(make_app: Any, web_root: Path) -> Any:
    """The former pages (``MAP_LAYERS = "embed"``: layers in the HTML), kept for comparison."""
    return make_app(WORKSPACES_DIR=str(web_root), MAP_LAYERS="embed").test_client()


@pytest.mark.parametrize("query", ["", "?year=2018&minutes=10&walk_speed=1.3"])
def test_pages_embed_no_features_and_fetch_every_layer_for_the_view(
    client: Any, query: str
) -> None:
    import json

    html = client.get(f"/map/{DEMO_ID}{query}").get_data(as_text=True)
    listing = client.get(f"/api/v1/counties/{DEMO_ID}/layers{query}").get_json()["layers"]
    public = client.get(f"/api/v1/counties/{DEMO_ID}/disclosures?limit=1000").get_json()
    specs = {spec["name"]: spec for spec in map(json.loads, VIEW_RE.findall(html))}
    assert set(specs) == {x["name"] for x in listing if x["feature_count"]}
    assert "gisLazyLayer(" not in html and '"type": "Feature"' not in html
    params = dict(p.split("=") for p in (query.lstrip("?").split("&") if query else []))
    for layer in listing:
        if not layer["feature_count"]:
            continue
        spec = specs[layer["name"]]
        count = public["number_matched"] if layer["name"] == "disclosures" else None
        assert spec["featureCount"] == (count or layer["feature_count"])
        assert spec["style"] == layer["style"] and spec["minZoom"] == 0
        url = urlparse(spec["url"])
        assert url.path == f"/api/v1/counties/{DEMO_ID}/layers/{layer['name']}/view"
        sent = dict(p.split("=") for p in url.query.split("&"))
        assert all(float(sent[k]) == float(v) for k, v in params.items())
    public_html = client.get(f"/public/{DEMO_ID}").get_data(as_text=True)
    public_specs = [json.loads(s)["name"] for s in VIEW_RE.findall(public_html)]
    assert public_specs == ["boundary", "built_up", "disclosures"]


@pytest.mark.parametrize("query", ["", "?year=2018&minutes=10&walk_speed=1.3"])
def test_hidden_layers_are_not_embedded_but_fetched(embed_client: Any, query: str) -> None:
    import json

    client = embed_client

    html = client.get(f"/map/{DEMO_ID}{query}").get_data(as_text=True)
    listing = client.get(f"/api/v1/counties/{DEMO_ID}/layers{query}").get_json()["layers"]
    hidden = {x["name"]: x for x in listing if not x["shown_by_default"] and x["feature_count"]}
    assert {"walk_edges", "walk_nodes", "landuse"} <= set(hidden)
    specs = {spec["name"]: spec for spec in map(json.loads, LAZY_RE.findall(html))}
    assert set(specs) == set(hidden)
    params = dict(p.split("=") for p in (query.lstrip("?").split("&") if query else []))
    for name, layer in hidden.items():
        spec = specs[name]
        assert spec["featureCount"] == layer["feature_count"]
        assert spec["style"] == layer["style"]
        url = urlparse(spec["url"])
        assert url.netloc == "" and url.path == f"/api/v1/counties/{DEMO_ID}/layers/{name}"
        sent = dict(p.split("=") for p in url.query.split("&"))
        assert set(sent) == {"year", "minutes", "walk_speed"}
        assert all(float(sent[k]) == float(v) for k, v in params.items())
        features, pages = _all_pages(client, spec["url"])
        assert len(features) == layer["feature_count"]
        if name == "walk_edges":
            assert pages >= 2  # the page has to follow `next` links
        # none of the hidden layer's features is in the page, while a shown layer's are
        assert not any(_as_embedded(feature) in html for feature in features)
    roads, _ = _all_pages(client, f"/api/v1/counties/{DEMO_ID}/layers/roads")
    assert all(_as_embedded(feature) in html for feature in roads)


def test_hidden_layers_make_the_page_smaller(embed_client: Any) -> None:
    client = embed_client
    html = client.get(f"/map/{DEMO_ID}").get_data()
    assert b"gisLazyLayer(" in html
    edges = client.get(f"/api/v1/counties/{DEMO_ID}/layers/walk_edges?limit=10000").get_data()
    assert len(html) < 1_000_000 and len(edges) > 100_000


def test_home_opens_the_first_county_when_the_default_is_absent(
    make_app: Any, demo_workspace_dir: Path, tmp_path: Path
) -> None:
    """A deployment without the demonstration area opens on its own county, not on a 404."""
    root = tmp_path / "workspaces"
    root.mkdir()
    client = make_app(WORKSPACES_DIR=str(root)).test_client()
    empty = client.get("/")
    assert empty.status_code == 404
    assert "baicheng ingest" in empty.get_data(as_text=True)
    shutil.copytree(demo_workspace_dir, root / "gongyi")
    meta = json.loads((root / "gongyi" / "metadata.json").read_text(encoding="utf-8"))
    meta["county_id"] = "gongyi"
    (root / "gongyi" / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/public/gongyi")
    assert client.get("/", follow_redirects=True).status_code == 200


def test_a_map_without_notes_has_no_note_box() -> None:
    """A real county with no sample layer and no demonstration label: no empty box on the map."""
    import folium

    from api.maps import add_labels

    bare, noted = folium.Map(), folium.Map()
    add_labels(bare, [], position="bottomleft")
    add_labels(noted, ["样例数据 / sample data"], position="bottomleft")
    assert "gisMapNote(" not in bare.get_root().render()
    assert "gisMapNote(" in noted.get_root().render()
