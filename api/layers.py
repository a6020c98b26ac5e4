"""Map layers of a county: ``/api/v1/counties/<county_id>/layers``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from apiflask import APIBlueprint, HTTPError, Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Range
from flask import Response, request, url_for

from api.cache import settings_key
from api.common import (
    IndicatorQuery,
    cached_json,
    get_store,
    parse_bbox,
    settings_from,
    vary_by_viewer,
    viewer_key,
    viewer_sees_private,
    visible_catalog,
    visible_index,
    visible_layer,
)
from layers.catalog import BIG_LAYER_DEFAULT_ZOOM, BIG_LAYER_FEATURES
from layers.geojson import to_feature_collection
from layers.simplify import MAX_ZOOM, simplify_tolerance_deg
from layers.view import (
    LARGE_FEATURE_VERTICES,
    MAX_VIEW_FEATURES,
    MAX_VIEW_SPAN_DEG,
    view_collection,
    view_feature,
)

bp = APIBlueprint("layers", __name__, url_prefix="/api/v1", tag="Layers")

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000


class LayerOut(Schema):
    name = String()
    kind = String(
        metadata={
            "description": "stored, population, gap, result (counted by an indicator), suggestion"
        }
    )
    title_zh = String()
    title_en = String()
    feature_count = Integer()
    geometry_types = List(String())
    provenance = String()
    sample = Boolean(metadata={"description": "made up for a demonstration (样例数据)"})
    indicator_id = String(allow_none=True)
    big = Boolean(
        metadata={
            "description": f"more than {BIG_LAYER_FEATURES} features: served "
            f"simplified at zoom {BIG_LAYER_DEFAULT_ZOOM} unless "
            "a zoom is given"
        }
    )
    default_zoom = Integer(allow_none=True)
    shown_by_default = Boolean()
    style = Dict(metadata={"description": "Leaflet path options, variants and legend"})
    links = Dict()


class LayerListOut(Schema):
    county_id = String()
    layers = List(Nested(LayerOut))


class FeatureQuery(IndicatorQuery):
    limit = Integer(
        load_default=DEFAULT_LIMIT,
        validate=Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"features per page (1-{MAX_LIMIT})"},
    )
    offset = Integer(
        load_default=0,
        validate=Range(min=0, max=10_000_000),
        metadata={"description": "features to skip"},
    )
    zoom = Integer(
        load_default=None,
        validate=Range(min=0, max=MAX_ZOOM),
        metadata={
            "description": "web-map zoom: geometry simplified to half a pixel (exact from zoom 17)"
        },
    )
    bbox = String(
        load_default=None,
        metadata={
            "description": "min_lon,min_lat,max_lon,max_lat (EPSG:4326): only "
            "features intersecting it"
        },
    )


class FeatureCollectionOut(Schema):
    type = String()
    bbox = List(Float())
    numberMatched = Integer()  # noqa: N815 (GeoJSON / OGC API names)
    numberReturned = Integer()  # noqa: N815
    features = List(Dict())
    links = List(Dict())


def _layer_links(county_id: str, name: str) -> dict[str, str]:
    args = {"county_id": county_id, "layer": name, "_external": False}
    return {
        "features": url_for("layers.get_features", **args),
        "geopackage": url_for("exports.export_layer", **args),
    }


@bp.get("/counties/<county_id>/layers")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.output(LayerListOut)
@bp.doc(
    summary="Layers of a county",
    description="Stored layers, population cells and the "
    "indicators' gap layers (for the given indicator parameters), each with feature count, "
    "provenance, style and legend.",
    responses={304: "Not modified"},
)
def list_layers(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    settings = settings_from(query)
    private = viewer_sees_private(county_id)
    key = (
        "layers",
        county_id,
        store.version(county_id),
        settings_key(settings),
        viewer_key(private=private),
    )

    def compute() -> dict[str, Any]:
        infos = visible_catalog(county_id, settings, private=private)
        return {
            "county_id": county_id,
            "layers": [{**i.to_dict(), "links": _layer_links(county_id, i.name)} for i in infos],
        }

    return vary_by_viewer(cached_json(key, compute), private=private)


def _geojson_for_viewer(
    kind: str,
    county_id: str,
    layer: str,
    settings: Any,
    parts: tuple[Any, ...],
    compute: Callable[..., dict[str, Any]],
) -> Response:
    """A layer answer cached per county version, layer, settings, ``parts`` and viewer.

    ``compute(private=...)`` builds the JSON for this viewer (non-public records for the county's
    staff only); the answer varies by viewer and is served as ``application/geo+json``.
    """
    store = get_store()
    private = viewer_sees_private(county_id)
    key = (
        kind,
        county_id,
        store.version(county_id),
        layer,
        settings_key(settings),
        *parts,
        viewer_key(private=private),
    )
    response = vary_by_viewer(cached_json(key, lambda: compute(private=private)), private=private)
    if response.status_code == 200:
        response.mimetype = "application/geo+json"
    return response


@bp.get("/counties/<county_id>/layers/<layer>")
@bp.input(FeatureQuery, location="query", arg_name="query")
@bp.output(FeatureCollectionOut, content_type="application/geo+json")
@bp.doc(
    summary="Features of a layer",
    description="GeoJSON FeatureCollection in EPSG:4326 "
    "with `bbox`, `numberMatched`, `numberReturned` and a `next` link while more pages "
    "remain. Big layers are simplified at zoom 14 unless `zoom` is given. Records not marked "
    "public only for the county's staff. Carries an ETag; "
    "answers 304 to a matching If-None-Match.",
    responses={304: "Not modified"},
)
def get_features(county_id: str, layer: str, query: dict[str, Any]) -> Response:
    settings = settings_from(query)
    bbox = parse_bbox(query.get("bbox"))
    limit, offset, zoom = query["limit"], query["offset"], query.get("zoom")

    def compute(*, private: bool) -> dict[str, Any]:
        frame = visible_layer(county_id, layer, settings, private=private)
        effective_zoom = zoom
        if effective_zoom is None and len(frame) > BIG_LAYER_FEATURES:
            effective_zoom = BIG_LAYER_DEFAULT_ZOOM
        page = to_feature_collection(
            frame,
            limit=limit,
            offset=offset,
            bbox=bbox,
            tolerance_deg=simplify_tolerance_deg(effective_zoom),
        )
        collection = page.collection
        collection["zoom"] = effective_zoom
        links = []
        if offset + limit < page.matched:
            params = urlencode({**request.args.to_dict(), "limit": limit, "offset": offset + limit})
            links.append(
                {
                    "rel": "next",
                    "type": "application/geo+json",
                    "href": url_for(
                        "layers.get_features", county_id=county_id, layer=layer, _external=False
                    )
                    + f"?{params}",
                }
            )
        collection["links"] = links
        return collection

    parts = (limit, offset, zoom, bbox)
    return _geojson_for_viewer("features", county_id, layer, settings, parts, compute)


class ViewQuery(IndicatorQuery):
    bbox = String(
        required=True,
        metadata={
            "description": "min_lon,min_lat,max_lon,max_lat (EPSG:4326) of the view or cell, "
            f"at most {MAX_VIEW_SPAN_DEG:g} degrees each way"
        },
    )
    zoom = Integer(
        required=True,
        validate=Range(min=0, max=MAX_ZOOM),
        metadata={
            "description": "the map's zoom: geometry simplified to half a pixel (exact from "
            "17); below the layer's min_zoom nothing is sent"
        },
    )


class ViewOut(FeatureCollectionOut):
    status = String(
        metadata={
            "description": "ok; zoom_in: below min_zoom, no features; too_many: more than "
            "`cap` features in the bbox, none sent (zoom in)"
        }
    )
    zoom = Integer()
    min_zoom = Integer()
    cap = Integer()
    large = Integer(
        metadata={"description": "features of more vertices are listed in `references`"}
    )
    references = List(
        Dict(),
        metadata={
            "description": "features of more than `large` vertices (once simplified), not sent: "
            "`id`, `bbox` and `href`, the feature route giving the feature for this zoom (the "
            "page fetches each once per zoom, not again with every cell it crosses)"
        },
    )


def _view_bbox(text: str) -> tuple[float, float, float, float]:
    """The view's bbox, 400 when malformed or wider than :data:`MAX_VIEW_SPAN_DEG`."""
    bbox = parse_bbox(text)
    if bbox is None:  # required by the schema, but may be sent empty
        problem = "min_lon,min_lat,max_lon,max_lat is required"
        raise HTTPError(
            400, f"query parameter 'bbox': {problem}", detail={"query": {"bbox": [problem]}}
        )
    minx, miny, maxx, maxy = bbox
    if maxx - minx > MAX_VIEW_SPAN_DEG or maxy - miny > MAX_VIEW_SPAN_DEG:
        problem = f"at most {MAX_VIEW_SPAN_DEG:g} degrees of longitude and of latitude"
        raise HTTPError(
            400, f"query parameter 'bbox': {problem}", detail={"query": {"bbox": [problem]}}
        )
    return bbox


@bp.get("/counties/<county_id>/layers/<layer>/view")
@bp.input(ViewQuery, location="query", arg_name="query")
@bp.output(ViewOut, content_type="application/geo+json")
@bp.doc(
    summary="Features of a layer in a map view",
    description="The features intersecting `bbox`, simplified for `zoom`, for the map pages "
    "(they ask for the 1,024-pixel cells covering the screen). Feature ids are those of the "
    "features route. At most `cap` features "
    f"({MAX_VIEW_FEATURES}); a dense layer below its `min_zoom` answers `zoom_in` without "
    "features. Features of more than `large` "
    f"({LARGE_FEATURE_VERTICES}) vertices once simplified are listed in `references` (id, "
    "bbox, href of the view feature route) instead of being sent. Records not marked public "
    "only for the county's staff. Carries an ETag; answers 304 to a matching If-None-Match.",
    responses={304: "Not modified"},
)
def get_view(county_id: str, layer: str, query: dict[str, Any]) -> Response:
    settings = settings_from(query)
    bbox = _view_bbox(query["bbox"])
    zoom = int(query["zoom"])

    def compute(*, private: bool) -> dict[str, Any]:
        index = visible_index(county_id, layer, settings, private=private)
        answer = view_collection(index, bbox, zoom=zoom)
        params = {k: v for k, v in query.items() if k != "bbox" and v is not None}
        for ref in answer["references"]:
            href = url_for(
                "layers.get_view_feature",
                county_id=county_id,
                layer=layer,
                feature_id=ref["id"],
                _external=False,
            )
            ref["href"] = f"{href}?{urlencode(params)}"
        return answer

    return _geojson_for_viewer("view", county_id, layer, settings, (bbox, zoom), compute)


class ViewFeatureQuery(IndicatorQuery):
    zoom = Integer(
        required=True,
        validate=Range(min=0, max=MAX_ZOOM),
        metadata={
            "description": "the map's zoom: geometry simplified to half a pixel (exact "
            "from 17), as in the view route's cells"
        },
    )


class FeatureOut(Schema):
    type = String()
    id = Integer()
    properties = Dict()
    geometry = Dict()


@bp.get("/counties/<county_id>/layers/<layer>/view/features/<int:feature_id>")
@bp.input(ViewFeatureQuery, location="query", arg_name="query")
@bp.output(FeatureOut, content_type="application/geo+json")
@bp.doc(
    summary="One feature of a layer for a map view",
    description="The feature `feature_id` (the ids of the features and view routes) simplified "
    "for `zoom` exactly as a cell of the view route would carry it: a GeoJSON Feature. The "
    "view route lists large features by reference to this route, so the page fetches each "
    "once per zoom. 404 when the layer has no such feature for this visitor or it vanishes "
    "at this zoom. Records not marked public only for the county's staff. Carries an ETag; "
    "answers 304 to a matching If-None-Match.",
    responses={304: "Not modified", 404: "No such feature"},
)
def get_view_feature(
    county_id: str, layer: str, feature_id: int, query: dict[str, Any]
) -> Response:
    settings = settings_from(query)
    zoom = int(query["zoom"])

    def compute(*, private: bool) -> dict[str, Any]:
        index = visible_index(county_id, layer, settings, private=private)
        feature = view_feature(index, feature_id, zoom=zoom)
        if feature is None:
            raise HTTPError(
                404,
                f"layer {layer!r} has no feature {feature_id} at zoom {zoom}: its ids run "
                f"from 0 to {len(index.frame) - 1} for this visitor (a feature too small "
                "for the zoom is not drawn)",
            )
        return feature

    parts = (feature_id, zoom)
    return _geojson_for_viewer("view-feature", county_id, layer, settings, parts, compute)
