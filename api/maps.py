"""Folium maps of a county, drawn from ``layers`` output, with local assets only.

The pages draw every layer from the view route (:class:`ViewGeoJson`, ``gisViewLayer`` in
static/js/gis-map.js): the page carries no features, and each layer fetches the features of the
cells on screen, so the page weighs the same whatever the county's size (README, "Why these
libraries").  With ``MAP_LAYERS = "embed"`` (the former pages, kept for comparison) a layer is
either embedded in the page (its GeoJSON in the map script) or, when it is hidden by
default and the page gives it a ``source_url``, listed in the layer control only and fetched
from the layer API the first time it is switched on (:class:`LazyGeoJson`,
``gisLazyLayer`` in static/js/gis-map.js), with the same style and popups.

Folium's defaults load Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from
jsdelivr, cdnjs and bootstrapcdn; :func:`local_assets` points every one of them at the copies
vendored in static/vendor/ (scripts/vendor_assets.sh).  The basemap is configurable and the data
layers draw without it; the data attribution is always on the map.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.map import Layer
from jinja2 import Template
from markupsafe import Markup, escape

from layers.catalog import BIG_LAYER_DEFAULT_ZOOM, BIG_LAYER_FEATURES, LayerInfo
from layers.geojson import to_feature_collection
from layers.simplify import simplify_tolerance_deg

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
TIANDITU_ATTRIBUTION = "© 天地图 (国家地理信息公共服务平台)"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TIANDITU_TILES = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)
BASEMAP_HOSTS = {
    "osm": ("tile.openstreetmap.org",),
    "tianditu": tuple(f"t{i}.tianditu.gov.cn" for i in range(8)),
    "none": (),
}

LEAFLET = "vendor/leaflet-1.9.4/dist"
VENDOR_JS = (
    ("leaflet", f"{LEAFLET}/leaflet.js"),
    ("jquery", "vendor/jquery-3.7.1/dist/jquery.min.js"),
    ("bootstrap", "vendor/bootstrap-5.2.2/dist/js/bootstrap.bundle.min.js"),
    ("awesome_markers", "vendor/leaflet.awesome-markers-2.0.5/dist/leaflet.awesome-markers.js"),
)
VENDOR_CSS = (
    ("leaflet_css", f"{LEAFLET}/leaflet.css"),
    ("bootstrap_css", "vendor/bootstrap-5.2.2/dist/css/bootstrap.min.css"),
    ("awesome_markers_font_css", "vendor/fontawesome-free-6.2.0/css/all.min.css"),
    (
        "awesome_markers_css",
        "vendor/leaflet.awesome-markers-2.0.5/dist/leaflet.awesome-markers.css",
    ),
)


@dataclass(frozen=True)
class MapLayer:
    """A layer to draw: its catalogue entry, its features (EPSG:4326) and its label.

    With a ``source_url`` (the layer API's features URL, same origin) and ``info.shown`` false
    the layer is not embedded: ``frame`` may be ``None`` and the page fetches every page of
    ``source_url`` when the layer is first switched on.
    """

    info: LayerInfo
    frame: gpd.GeoDataFrame | None
    label: str
    source_url: str | None = None
    view_url: str | None = None
    min_zoom: int = 0

    @property
    def lazy(self) -> bool:
        """Whether the page fetches this layer on demand instead of embedding it."""
        return self.source_url is not None and not self.info.shown


def local_assets(
    static_url: Callable[[str], str],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Folium's ``default_js`` / ``default_css`` rewritten to the vendored copies."""
    return ([(k, static_url(p)) for k, p in VENDOR_JS], [(k, static_url(p)) for k, p in VENDOR_CSS])


class _Script(MacroElement):
    """A call into static/js/gis-map.js run after the map is created (arguments as JSON)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "GisScript"
        self.code = code


def _js_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def _js_value(value: Any) -> str:
    """A JSON value as a JavaScript literal safe inside ``<script>`` (no ``<``, ``>``, ``&``).

    >>> _js_value({"t": "</script>&"})
    '{"t": "\\\\u003c/script\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def json_for_script(value: Any) -> Markup:
    """A JSON value to put in a ``<script type="application/json">`` data block of a page.

    The script reads it with ``JSON.parse(element.textContent)``; Chinese stays readable and
    ``<``, ``>``, ``&`` are escaped, so the data cannot close the block.

    >>> print(json_for_script({"t": "等级</script>"}))
    {"t": "等级\\u003c/script\\u003e"}
    """
    return Markup(_js_value(value))


def add_basemap(fmap: folium.Map, basemap: str, tianditu_key: str) -> None:
    """Add the configured basemap (none: data layers on a plain background)."""
    if basemap == "osm":
        folium.TileLayer(
            OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19, control=False
        ).add_to(fmap)
    elif basemap == "tianditu":
        for layer, name in (("vec", "天地图 矢量"), ("cva", "天地图 注记")):
            url = TIANDITU_TILES.replace("{layer}", layer).replace("{key}", tianditu_key)
            folium.TileLayer(
                url,
                attr=TIANDITU_ATTRIBUTION,
                name=name,
                subdomains="01234567",
                max_zoom=18,
                control=False,
            ).add_to(fmap)


def add_labels(fmap: folium.Map, lines: Sequence[str], *, position: str = "topright") -> None:
    """A fixed box on the map with plain-text lines (escaped), e.g. 示范区 and 样例数据 notes.

    ``gisMapNote`` in static/js/gis-map.js draws it; the map script only calls it.  Without
    lines there is no box (an empty one would sit on the map).
    """
    if not lines:
        return
    html = "".join(f"<div>{escape(line)}</div>" for line in lines)
    code = f"gisMapNote({fmap.get_name()}, {_js_string(position)}, {_js_string(html)});"
    _Script(code).add_to(fmap)


def add_attribution(fmap: folium.Map, attributions: Sequence[str]) -> None:
    """Always show the data attribution, basemap or not (``gisAttribution``, gis-map.js)."""
    texts = ", ".join(_js_string(str(escape(a))) for a in attributions)
    _Script(f"gisAttribution({fmap.get_name()}, [{texts}]);").add_to(fmap)


def layer_label(info: LayerInfo, *, estimate: bool = False, lang: str = "zh") -> str:
    """Layer-control label: title in both languages plus 样例数据 / 估算 / 推算 notes."""
    notes = []
    if info.sample:
        notes.append("样例数据 sample data")
    if estimate:
        notes.append("估算 estimate")
    if info.provenance == "osm_derived":
        notes.append("由OSM推算 derived from OSM")
    title = (
        f"{info.title_zh} / {info.title_en}"
        if lang == "zh"
        else f"{info.title_en} / {info.title_zh}"
    )
    suffix = f" ({'; '.join(notes)})" if notes else ""
    return f"{title} · {info.feature_count}{suffix}"


class LazyGeoJson(Layer):
    """A layer-control entry whose features are fetched from the layer API when switched on.

    Renders ``var <name> = gisLazyLayer({...});`` (static/js/gis-map.js): an empty Leaflet
    GeoJSON layer that, the first time it is added to the map, fetches ``url`` and every
    ``next`` page after it, shows a loading note meanwhile and draws the features with the
    layer's style (``LayerStyle.to_dict``) and the same escaped popups as embedded layers.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = gisLazyLayer({{ this.spec }});"
        "{% endmacro %}"
    )

    def __init__(self, layer: MapLayer) -> None:
        info = layer.info
        super().__init__(name=str(escape(layer.label)), overlay=True, control=True, show=False)
        self._name = "LazyGeoJson"
        self.spec = _js_value(
            {
                "name": info.name,
                "title": f"{info.title_zh} / {info.title_en}",
                "url": layer.source_url,
                "kind": info.kind,
                "featureCount": info.feature_count,
                "style": info.style.to_dict(),
            }
        )


class ViewGeoJson(Layer):
    """A layer-control entry drawn from the view route for what is on screen.

    Renders ``var <name> = gisViewLayer({...});`` (static/js/gis-map.js): an empty Leaflet
    GeoJSON layer that, while on the map, fetches the cells covering the view from
    ``view_url`` (debounced after each move, cells cached in the page), draws their features
    with the layer's style (``LayerStyle.to_dict``) and the same escaped popups as embedded
    layers, and below ``min_zoom`` shows a note asking to zoom in instead.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = gisViewLayer({{ this.spec }});"
        "{% endmacro %}"
    )

    def __init__(self, layer: MapLayer) -> None:
        info = layer.info
        super().__init__(name=str(escape(layer.label)), overlay=True, control=True, show=info.shown)
        self._name = "ViewGeoJson"
        self.spec = _js_value(
            {
                "name": info.name,
                "title": f"{info.title_zh} / {info.title_en}",
                "url": layer.view_url,
                "kind": info.kind,
                "featureCount": info.feature_count,
                "minZoom": layer.min_zoom,
                "style": info.style.to_dict(),
            }
        )


def _collection(layer: MapLayer, zoom: int) -> dict[str, Any]:
    assert layer.frame is not None
    tolerance = None
    if len(layer.frame) > BIG_LAYER_FEATURES:
        tolerance = simplify_tolerance_deg(min(zoom, BIG_LAYER_DEFAULT_ZOOM))
    page = to_feature_collection(layer.frame, tolerance_deg=tolerance)
    return page.collection


def add_layer(
    fmap: folium.Map, layer: MapLayer, *, zoom: int
) -> folium.GeoJson | LazyGeoJson | ViewGeoJson | None:
    """Draw one layer as a ``GeoJson`` with its style, escaped popups and point markers.

    A lazy layer (:attr:`MapLayer.lazy`) with features becomes a :class:`LazyGeoJson` instead;
    a layer without features is left out, embedded or not.
    A layer with a ``view_url`` becomes a :class:`ViewGeoJson`.
    """
    if layer.view_url is not None:
        if not layer.info.feature_count:
            return None
        view = ViewGeoJson(layer)
        view.add_to(fmap)
        return view
    if layer.lazy:
        if not layer.info.feature_count:
            return None
        lazy = LazyGeoJson(layer)
        lazy.add_to(fmap)
        return lazy
    if layer.frame is None:
        raise ValueError(f"layer {layer.info.name!r}: no features to embed and no source_url")
    collection = _collection(layer, zoom)
    style = layer.info.style
    features = collection["features"]
    if not features:
        return None
    has_points = any(f["geometry"]["type"] in ("Point", "MultiPoint") for f in features)
    marker: Any = None
    if layer.info.kind == "suggestion":
        marker = folium.Marker(
            icon=folium.Icon(color="darkblue", icon="person-running", prefix="fa")
        )
    elif has_points:
        marker = folium.CircleMarker(radius=float(style.base.get("radius", 5)))
    geojson = folium.GeoJson(
        collection,
        name=str(escape(layer.label)),
        style_function=lambda f, s=style: s.feature_style(f["properties"]),
        marker=marker,
        on_each_feature=folium.JsCode(
            f"function(feature, layer){{gisBindPopup(feature, layer, {_js_string(layer.info.name)},"
            f" {_js_string(layer.info.title_zh + ' / ' + layer.info.title_en)});}}"
        ),
        show=layer.info.shown,
        smooth_factor=1.0,
    )
    geojson.add_to(fmap)
    return geojson


def build_map(
    layers: Sequence[MapLayer],
    *,
    bounds: Sequence[float],
    static_url: Callable[[str], str],
    basemap: str,
    tianditu_key: str,
    notes: Sequence[str],
    attributions: Sequence[str],
    collapsed_control: bool,
    zoom: int = 14,
    layer_control: bool = True,
) -> folium.Map:
    """A Folium map with every layer in a layer control, notes and attribution.

    Parameters
    ----------
    layers : sequence of MapLayer
        Drawn in order (first at the bottom).
    bounds : [min_lon, min_lat, max_lon, max_lat]
        The map opens on them.
    layer_control : bool
        Add Leaflet's layer control (false: the page brings its own, static/js/map-desk.js).
    static_url : callable
        Maps a path under static/ to its URL (``url_for("static", filename=...)``).
    """
    minx, miny, maxx, maxy = bounds
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
        width="100%",
        height="100%",
    )
    fmap.default_js, fmap.default_css = local_assets(static_url)
    add_basemap(fmap, basemap, tianditu_key)
    for layer in layers:
        add_layer(fmap, layer, zoom=zoom)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    if layer_control:
        folium.LayerControl(collapsed=collapsed_control, position="topright").add_to(fmap)
    add_labels(fmap, notes, position="bottomleft")
    add_attribution(fmap, attributions)
    return fmap


def map_parts(fmap: folium.Map) -> dict[str, Markup]:
    """The rendered map split for embedding in a page: ``header``, ``html``, ``script``."""
    root = fmap.get_root()
    root.render()
    return {
        "header": Markup(root.header.render()),
        "html": Markup(root.html.render()),
        "script": Markup(root.script.render()),
        "name": Markup(fmap.get_name()),
    }
