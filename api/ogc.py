"""OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) under ``/ogc``: layers QGIS can open.

One collection per county and layer, ``<county_id>.<layer>``: every stored layer, the population
cells, every gap layer, what an indicator counted and the fitness-site suggestions (indicators
at the default parameters of gis/settings.py).  What a visitor sees is what the layer API shows
them (:func:`api.common.visible_catalog`, :func:`layers.catalog.visible_rows`): anonymous
visitors get the rows marked public of ``disclosures``; the county's staff (signed in or with a
token) get every row.  Stored layers are paged by the store through its spatial index
(:meth:`gis.store.WorkspaceStore.read_layer_page`); computed layers from the county cache
through the frame's spatial index.  Answers are cached in the county cache's body cache, keyed
by the county's version token.  Errors carry the OGC exception fields (``code``,
``description``) with the app's own (``message``, ``errors``).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
from apiflask import APIBlueprint, HTTPError, Schema
from apiflask.fields import String
from flask import Response, current_app, request, url_for
from pyproj import CRS
from pyproj.transformer import Transformer
from werkzeug.exceptions import HTTPException

from api.common import (
    cached_json,
    get_store,
    vary_by_viewer,
    viewer_key,
    viewer_sees_private,
    visible_catalog,
    visible_layer,
)
from api.errors import error_body
from gis.errors import GisError, NotFoundError
from gis.settings import DEFAULT_SETTINGS
from gis.store.query import FeaturePage, FeatureQuery
from layers.catalog import (
    POPULATION_LAYER,
    LayerInfo,
    needs_frame_rule,
    required_flags,
    visible_rows,
)
from layers.ogc import (
    CONFORMANCE,
    DEFAULT_LIMIT,
    ITEM_PARAMETERS,
    MAX_LIMIT,
    collection_doc,
    collection_id,
    collection_title,
    features,
    invalid,
    page_of_frame,
    paging_links,
    parse_bbox,
    parse_datetime,
    parse_limit,
    parse_offset,
    split_collection_id,
    temporal_interval,
    to_crs84,
)

bp = APIBlueprint("ogc", __name__, url_prefix="/ogc", tag="OGC API – Features")

JSON = "application/json"
GEOJSON = "application/geo+json"
OAS30 = "application/vnd.oai.openapi+json;version=3.0"
CRS84_NAMES = frozenset({"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84", "OGC:CRS84"})
_GEOGRAPHIC_EPSG = frozenset({4326, 4490})


class NotAcceptableError(GisError):
    """The client accepts none of the media types this resource is served in (406)."""

    status = 406
    code = "not_acceptable"


class FormatQuery(Schema):
    f = String(
        load_default=None,
        metadata={"description": "json (the only format; or use the Accept header)"},
    )


class ItemsQuery(FormatQuery):
    limit = String(
        load_default=None,
        metadata={
            "description": f"features per page: default {DEFAULT_LIMIT}, at least 1; a larger "
            f"value than {MAX_LIMIT} is served as {MAX_LIMIT}",
            "example": "100",
        },
    )
    offset = String(load_default=None, metadata={"description": "features to skip (default 0)"})
    bbox = String(
        load_default=None,
        metadata={
            "description": "minLon,minLat,maxLon,maxLat in CRS84 (or 6 numbers with heights): "
            "features whose geometry intersects it"
        },
    )
    bbox_crs = String(
        data_key="bbox-crs",
        load_default=None,
        metadata={"description": "only CRS84 (http://www.opengis.net/def/crs/OGC/1.3/CRS84)"},
    )
    datetime = String(
        load_default=None,
        metadata={
            "description": "an RFC 3339 date/date-time or interval (start/end, '..' open): "
            "features whose date (`date`, `approved_on`) falls in it; ignored by layers "
            "without dates"
        },
    )


# --- errors in the OGC exception shape --------------------------------------------------------


def _exception(
    status: int, message: str, code: str = "", errors: list[Any] | None = None
) -> Response:
    body = error_body(status, message, code, errors)
    body["description"] = message  # the OGC exception schema: code (required), description
    response = Response(current_app.json.dumps(body), status=status, mimetype=JSON)
    return response


@bp.errorhandler(GisError)
def _gis_error(error: GisError) -> Response:
    return _exception(
        error.status, error.message, error.code, [p.as_dict() for p in error.problems]
    )


@bp.errorhandler(HTTPError)
def _http_error(error: HTTPError) -> Response:
    return _exception(error.status_code, error.message or "error")


@bp.errorhandler(HTTPException)
def _werkzeug_error(error: HTTPException) -> Response:
    status = error.code or 500
    return _exception(
        status, f"{error.name}: {error.description}" if error.description else error.name
    )


# --- negotiation, links -----------------------------------------------------------------------


def _media_type(*, geo: bool) -> str:
    """The media type to answer in: ``f=json`` or the Accept header (406 when none fits)."""
    fmt = request.args.get("f")
    if fmt is not None:
        if fmt not in ("json", "geojson"):
            raise invalid("f", f"{fmt!r}: only 'json' is served", f"{fmt!r}：只提供 json")
        return GEOJSON if geo else JSON
    offered = [GEOJSON, JSON] if geo else [JSON, GEOJSON]
    if not request.headers.get("Accept", "").strip():
        return offered[0]
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        msg = (
            f"只提供 {' 或 '.join(offered)} | this resource is served as {' or '.join(offered)} "
            f"only; the request accepts {request.headers.get('Accept', '')!r}"
        )
        raise NotAcceptableError(msg)
    return best


def _url(endpoint: str, **values: Any) -> str:
    """An absolute link (clients such as QGIS follow ``next`` links as given)."""
    return url_for(endpoint, _external=True, **values)


def _check_parameters(allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        names = ", ".join(unknown)
        known = ", ".join(sorted(allowed))
        raise invalid(
            unknown[0],
            f"unknown parameter(s) {names}; known: {known}",
            f"未知参数 {names}；可用参数：{known}",
        )


def _respond(key: tuple[Any, ...], compute: Any, media_type: str, *, private: bool) -> Response:
    response = vary_by_viewer(cached_json((*key, request.host_url), compute), private=private)
    response.vary.add("Accept")
    if response.status_code == 200:
        response.mimetype = media_type
    return response


# --- landing page, conformance, API definition ------------------------------------------------


@bp.get("/", strict_slashes=False)
@bp.input(FormatQuery, location="query", arg_name="query")
@bp.doc(summary="Landing page", description="Links to the API definition, conformance and data.")
def landing(query: dict[str, Any]) -> Response:
    _check_parameters(frozenset({"f"}))
    media_type = _media_type(geo=False)
    body = {
        "title": "百城提质 县级图层 OGC API – Features | county layers of the 百城建设提质工程",
        "description": "Every stored layer and gap layer of every county workspace, in CRS84; "
        "open it in QGIS with Layer → Add Layer → Add WFS / OGC API – Features Layer.",
        "links": [
            {"rel": "self", "type": JSON, "title": "this document", "href": _url("ogc.landing")},
            {
                "rel": "service-desc",
                "type": OAS30,
                "title": "API definition (OpenAPI 3.0)",
                "href": _url("ogc.api_definition"),
            },
            {
                "rel": "service-doc",
                "type": "text/html",
                "title": "API documentation",
                "href": url_for("openapi.docs", _external=True),
            },
            {
                "rel": "conformance",
                "type": JSON,
                "title": "conformance classes",
                "href": _url("ogc.conformance"),
            },
            {"rel": "data", "type": JSON, "title": "collections", "href": _url("ogc.collections")},
        ],
    }
    response = Response(current_app.json.dumps(body), mimetype=media_type)
    response.vary.add("Accept")
    return response


@bp.get("/conformance")
@bp.input(FormatQuery, location="query", arg_name="query")
@bp.doc(summary="Conformance classes", description="Core, GeoJSON and OpenAPI 3.0.")
def conformance(query: dict[str, Any]) -> Response:
    _check_parameters(frozenset({"f"}))
    body = {"conformsTo": list(CONFORMANCE)}
    return Response(current_app.json.dumps(body), mimetype=_media_type(geo=False))


@bp.get("/api")
@bp.doc(
    summary="API definition (OpenAPI 3.0)",
    description="The /ogc part of the app's OpenAPI document (/api/v1/openapi.json), as "
    "OpenAPI 3.0.",
)
def api_definition() -> Response:
    spec = openapi30(current_app.spec)  # type: ignore[attr-defined]
    return Response(current_app.json.dumps(spec), mimetype=OAS30.replace(";", "; "))


def openapi30(spec: dict[str, Any]) -> dict[str, Any]:
    """The ``/ogc`` paths of an OpenAPI 3.1 document (APIFlask's), written as OpenAPI 3.0.

    ``type: [t, "null"]`` becomes ``type: t, nullable: true``; every component is kept.
    """
    out = copy.deepcopy({k: v for k, v in spec.items() if k != "paths"})
    out["openapi"] = "3.0.3"
    out["paths"] = {
        p: copy.deepcopy(v) for p, v in spec.get("paths", {}).items() if p.startswith("/ogc")
    }
    out["info"] = {**out.get("info", {}), "title": "百城提质 OGC API – Features"}
    out.pop("webhooks", None)
    out.pop("jsonSchemaDialect", None)
    return _nullable(out)


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        types = node.get("type")
        if isinstance(types, list):
            kept = [t for t in types if t != "null"]
            node["type"] = kept[0] if len(kept) == 1 else kept
            if "null" in types:
                node["nullable"] = True
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


# --- collections ------------------------------------------------------------------------------


def _bounds84(frame: gpd.GeoDataFrame) -> list[float] | None:
    """Bounds of ``frame`` in CRS84 (``None`` when it has no geometry)."""
    if not len(frame) or frame.geometry.isna().all():
        return None
    bounds = [float(v) for v in frame.total_bounds]
    crs = frame.crs
    if crs is None or CRS(crs).to_epsg() in _GEOGRAPHIC_EPSG:
        return bounds
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    return list(transformer.transform_bounds(*bounds))


def _county_collections(county_id: str, *, private: bool) -> list[dict[str, Any]]:
    store = get_store()
    meta = store.metadata(county_id)
    name = str(meta.get("name") or county_id)
    county_bounds = [float(v) for v in meta.get("bounds") or []] or [-180.0, -90.0, 180.0, 90.0]
    attribution = "; ".join(str(a) for a in meta.get("attribution") or [])
    estimate = bool((meta.get("population") or {}).get("is_estimate", False))
    ws = store.workspace(county_id)
    docs = []
    for info in visible_catalog(county_id, DEFAULT_SETTINGS, private=private):
        stored = (
            info.name in ws.layers
            and not required_flags(info.name, private=private)
            and not needs_frame_rule(info.name, private=private)
        )
        frame = ws.layers[info.name] if stored else _visible(county_id, info, private=private)
        cid = collection_id(county_id, info.name)
        docs.append(
            collection_doc(
                cid,
                county_id=county_id,
                title=collection_title(name, info, estimate=estimate and info.kind == "population"),
                info=info,
                bbox=_bounds84(frame) or county_bounds,
                interval=temporal_interval(frame),
                attribution=attribution,
                links=_collection_links(cid),
            )
        )
    return docs


def _visible(county_id: str, info: LayerInfo, *, private: bool) -> gpd.GeoDataFrame:
    return visible_layer(county_id, info.name, DEFAULT_SETTINGS, private=private)


def _collection_links(cid: str) -> list[dict[str, str]]:
    return [
        {
            "rel": "self",
            "type": JSON,
            "title": "this collection",
            "href": _url("ogc.collection", collection_id=cid),
        },
        {
            "rel": "items",
            "type": GEOJSON,
            "title": "features 要素",
            "href": _url("ogc.items", collection_id=cid),
        },
    ]


@bp.get("/collections")
@bp.input(FormatQuery, location="query", arg_name="query")
@bp.doc(
    summary="Collections",
    description="One collection per county and layer, id `<county_id>.<layer>`, with title "
    "(Chinese and English; 【样例】 sample data, 估算 estimates), CRS84 extent and, where the "
    "layer has dates, the temporal extent.",
)
def collections(query: dict[str, Any]) -> Response:
    _check_parameters(frozenset({"f"}))
    media_type = _media_type(geo=False)
    store = get_store()
    counties = store.county_ids()
    seen = tuple(
        (c, store.version(c), viewer_key(private=viewer_sees_private(c))) for c in counties
    )
    private = any(v == viewer_key(private=True) for _c, _t, v in seen)

    def compute() -> dict[str, Any]:
        docs = []
        for county_id, _token, viewer in seen:
            docs.extend(_county_collections(county_id, private=viewer == viewer_key(private=True)))
        return {
            "links": [
                {
                    "rel": "self",
                    "type": JSON,
                    "title": "collections",
                    "href": _url("ogc.collections"),
                },
            ],
            "collections": docs,
        }

    return _respond(("ogc-collections", seen), compute, media_type, private=private)


def _resolve(cid: str) -> tuple[str, str, bool]:
    """``(county_id, layer, private)`` of a collection id (404 for an unknown one)."""
    county_id, layer = split_collection_id(cid, get_store().county_ids())
    return county_id, layer, viewer_sees_private(county_id)


@bp.get("/collections/<collection_id>")
@bp.input(FormatQuery, location="query", arg_name="query")
@bp.doc(summary="One collection", description="Its metadata and links (see /collections).")
def collection(collection_id: str, query: dict[str, Any]) -> Response:
    _check_parameters(frozenset({"f"}))
    media_type = _media_type(geo=False)
    county_id, layer, private = _resolve(collection_id)
    key = (
        "ogc-collection",
        county_id,
        get_store().version(county_id),
        layer,
        viewer_key(private=private),
    )

    def compute() -> dict[str, Any]:
        for doc in _county_collections(county_id, private=private):
            if doc["layer"] == layer:
                return doc
        raise _no_layer(county_id, layer)

    return _respond(key, compute, media_type, private=private)


def _no_layer(county_id: str, layer: str) -> NotFoundError:
    msg = (
        f"县 {county_id} 没有图层 {layer!r}（见 /ogc/collections） | "
        f"county {county_id!r} has no layer {layer!r}; see /ogc/collections"
    )
    return NotFoundError(msg)


# --- features ---------------------------------------------------------------------------------


def _stored_layers(county_id: str) -> set[str]:
    layers = get_store().metadata(county_id).get("layers") or {}
    return {str(name) for name in layers} - {POPULATION_LAYER}


def read_page(
    county_id: str,
    layer: str,
    *,
    private: bool,
    bbox: tuple[float, float, float, float] | None = None,
    date_range: tuple[str | None, str | None] | None = None,
    fid: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> FeaturePage:
    """A page of a collection as this viewer may see it, in CRS84, indexed by feature id.

    Stored layers are read by the store (spatial index, store ids, the viewer's rule as
    ``flags``); computed layers from the county cache (row positions as ids).
    """
    if layer in _stored_layers(county_id) and not needs_frame_rule(layer, private=private):
        query = FeatureQuery(
            bbox=bbox,
            date_range=date_range,
            flags=required_flags(layer, private=private),
            fid=fid,
            offset=offset,
            limit=limit,
        )
        page = get_store().backend.read_layer_page(county_id, layer, query)
        # identity by construction (the store applied the same rule); kept so a rule on
        # columns or rows added to visible_rows applies here too
        return FeaturePage(visible_rows(to_crs84(page.frame), layer, private=private), page.matched)
    try:
        frame = visible_layer(county_id, layer, DEFAULT_SETTINGS, private=private)
    except NotFoundError:
        raise _no_layer(county_id, layer) from None
    return page_of_frame(
        frame, bbox=bbox, date_range=date_range, fid=fid, offset=offset, limit=limit
    )


def _bbox_crs() -> None:
    value = request.args.get("bbox-crs")
    if value is not None and value not in CRS84_NAMES:
        raise invalid("bbox-crs", f"{value!r}: only CRS84 is supported", f"{value!r}：只支持 CRS84")


@bp.get("/collections/<collection_id>/items")
@bp.input(ItemsQuery, location="query", arg_name="query")
@bp.doc(
    summary="Features of a collection",
    description="GeoJSON FeatureCollection in CRS84 with `numberMatched`, `numberReturned`, "
    "`timeStamp` and `next`/`prev` links; `bbox`, `datetime`, `limit` and `offset` as in "
    "OGC API – Features Part 1.",
    responses={200: {"description": "features", "content": {GEOJSON: {}}}},
)
def items(collection_id: str, query: dict[str, Any]) -> Response:
    _check_parameters(ITEM_PARAMETERS)
    media_type = _media_type(geo=True)
    args = request.args
    bbox = parse_bbox(args.get("bbox"))
    _bbox_crs()
    date_range = parse_datetime(args.get("datetime"))
    limit, offset = parse_limit(args.get("limit")), parse_offset(args.get("offset"))
    county_id, layer, private = _resolve(collection_id)
    version = get_store().version(county_id)
    key = (
        "ogc-items",
        county_id,
        version,
        layer,
        bbox,
        date_range,
        limit,
        offset,
        viewer_key(private=private),
        media_type,
    )

    def compute() -> dict[str, Any]:
        page = read_page(
            county_id,
            layer,
            private=private,
            bbox=bbox,
            date_range=date_range,
            offset=offset,
            limit=limit,
        )
        href = _url("ogc.items", collection_id=collection_id)
        kept = {k: v for k, v in args.items() if k in ("bbox", "datetime", "bbox-crs", "f")}
        self_query = urlencode({**kept, "limit": limit, "offset": offset})
        links = [
            {
                "rel": "self",
                "type": media_type,
                "title": "this page",
                "href": f"{href}?{self_query}",
            },
            {
                "rel": "collection",
                "type": JSON,
                "title": "the collection",
                "href": _url("ogc.collection", collection_id=collection_id),
            },
            *paging_links(
                href, kept, offset=offset, limit=limit, matched=page.matched, media_type=media_type
            ),
        ]
        found = features(page.frame)
        return {
            "type": "FeatureCollection",
            "features": found,
            "numberMatched": page.matched,
            "numberReturned": len(found),
            "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links,
        }

    return _respond(key, compute, media_type, private=private)


@bp.get("/collections/<collection_id>/items/<feature_id>")
@bp.input(FormatQuery, location="query", arg_name="query")
@bp.doc(
    summary="One feature",
    description="A GeoJSON Feature in CRS84; 404 when the collection has no such feature (or "
    "the visitor may not see it).",
    responses={200: {"description": "the feature", "content": {GEOJSON: {}}}},
)
def item(collection_id: str, feature_id: str, query: dict[str, Any]) -> Response:
    _check_parameters(frozenset({"f"}))
    media_type = _media_type(geo=True)
    county_id, layer, private = _resolve(collection_id)
    missing = NotFoundError(
        f"要素集合 {collection_id} 中没有要素 {feature_id!r} | "
        f"collection {collection_id!r} has no feature {feature_id!r}"
    )
    if not feature_id.isdigit() or len(feature_id) > 12:
        raise missing
    fid = int(feature_id)
    key = (
        "ogc-item",
        county_id,
        get_store().version(county_id),
        layer,
        fid,
        viewer_key(private=private),
        media_type,
    )

    def compute() -> dict[str, Any]:
        page = read_page(county_id, layer, private=private, fid=fid, limit=1)
        found = features(page.frame)
        if not found:
            raise missing
        return {
            **found[0],
            "links": [
                {
                    "rel": "self",
                    "type": media_type,
                    "title": "this feature",
                    "href": _url("ogc.item", collection_id=collection_id, feature_id=fid),
                },
                {
                    "rel": "collection",
                    "type": JSON,
                    "title": "the collection",
                    "href": _url("ogc.collection", collection_id=collection_id),
                },
            ],
        }

    return _respond(key, compute, media_type, private=private)
