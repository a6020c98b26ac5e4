"""阳光规划 (sunshine planning) records: ``/api/v1/counties/<county_id>/disclosures``.

Only records with ``public = true`` are ever returned; a non-public record answers 404 exactly
like a missing one, so its existence does not leak.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Date, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import Response
from shapely.geometry import mapping

from api.common import cached_json, get_store, visible_layer
from gis.errors import NotFoundError
from gis.settings import DEFAULT_SETTINGS
from layers.catalog import visible_rows
from layers.geojson import json_value
from layers.style import DISCLOSURE_TYPES

bp = APIBlueprint("disclosures", __name__, url_prefix="/api/v1", tag="Disclosures 阳光规划")

LAYER = "disclosures"
RECORD_TYPES = tuple(DISCLOSURE_TYPES)
TEXT_FIELDS = ("title", "doc_number", "authority", "type", "record_id")
PUBLIC_FIELDS = ("record_id", "type", "title", "doc_number", "date", "authority", "sample")


class DisclosureQuery(Schema):
    type = String(
        load_default=None,
        validate=OneOf(RECORD_TYPES),
        metadata={"description": "one of " + ", ".join(RECORD_TYPES)},
    )
    date_from = Date(load_default=None, metadata={"description": "ISO date, inclusive"})
    date_to = Date(load_default=None, metadata={"description": "ISO date, inclusive"})
    q = String(
        load_default=None,
        validate=Length(max=200),
        metadata={"description": "text searched in title, document number, authority"},
    )
    limit = Integer(load_default=100, validate=Range(min=1, max=1000))
    offset = Integer(load_default=0, validate=Range(min=0, max=1_000_000))


class RecordOut(Schema):
    record_id = String()
    type = String()
    type_en = String()
    title = String(allow_none=True)
    doc_number = String(allow_none=True)
    date = String(allow_none=True)
    authority = String(allow_none=True)
    sample = Boolean()
    lon = Float()
    lat = Float()
    geometry = Dict()


class RecordDetailOut(RecordOut):
    """One record (the same fields as a list entry)."""


class RecordListOut(Schema):
    county_id = String()
    available = Boolean(metadata={"description": "false when the county has no records layer"})
    number_matched = Integer()
    records = List(Nested(RecordOut))


def _parse_date(value: Any) -> dt.date | None:
    text = json_value(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def public_records(frame: gpd.GeoDataFrame | None) -> list[dict[str, Any]]:
    """Every public record of a disclosures layer (EPSG:4326), as JSON-ready dicts by date."""
    if frame is None or not len(frame):
        return []
    public = visible_rows(frame, LAYER, private=False)
    records = []
    for row in public.itertuples(index=False):
        values = row._asdict()
        geom = values.get(frame.geometry.name)
        if geom is None or geom.is_empty:
            continue
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        record = {f: json_value(values.get(f)) for f in PUBLIC_FIELDS}
        record["record_id"] = str(record["record_id"])
        record["sample"] = bool(record["sample"])
        record["date"] = d.isoformat() if (d := _parse_date(values.get("date"))) else None
        record["type_en"] = DISCLOSURE_TYPES.get(str(record["type"]), ("", str(record["type"])))[1]
        record["lon"], record["lat"] = round(point.x, 6), round(point.y, 6)
        record["geometry"] = mapping(geom)
        records.append(record)
    records.sort(key=lambda r: (r["date"] or "", r["record_id"]), reverse=True)
    return records


def filter_records(records: list[dict[str, Any]], query: dict[str, Any]) -> list[dict[str, Any]]:
    """Records matching the type, the inclusive date range and the text (case-insensitive)."""
    kind, start, end = query.get("type"), query.get("date_from"), query.get("date_to")
    text = (query.get("q") or "").strip().casefold()
    out = []
    for r in records:
        date = dt.date.fromisoformat(r["date"]) if r["date"] else None
        if kind and r["type"] != kind:
            continue
        if start and (date is None or date < start):
            continue
        if end and (date is None or date > end):
            continue
        if text and not any(text in str(r.get(f) or "").casefold() for f in TEXT_FIELDS):
            continue
        out.append(r)
    return out


def county_public_records(county_id: str) -> tuple[bool, list[dict[str, Any]]]:
    """(whether the county has a records layer, its public records)."""
    ws = get_store().workspace(county_id)
    if LAYER not in ws.layers:
        return False, []
    return True, public_records(visible_layer(county_id, LAYER, DEFAULT_SETTINGS, private=False))


@bp.get("/counties/<county_id>/disclosures")
@bp.input(DisclosureQuery, location="query", arg_name="query")
@bp.output(RecordListOut)
@bp.doc(
    summary="Public planning records",
    description="Records disclosed under 阳光规划 "
    "(编制、修改、审批、规划许可、违法建设查处), newest first, filtered by type, date range and "
    "text. Only records marked public.",
    responses={304: "Not modified"},
)
def list_disclosures(county_id: str, query: dict[str, Any]) -> Response:
    store = get_store()
    key = (
        "disclosures",
        county_id,
        store.version(county_id),
        tuple(sorted((k, str(v)) for k, v in query.items())),
    )

    def compute() -> dict[str, Any]:
        available, records = county_public_records(county_id)
        matched = filter_records(records, query)
        page = matched[query["offset"] : query["offset"] + query["limit"]]
        return {
            "county_id": county_id,
            "available": available,
            "number_matched": len(matched),
            "records": page,
        }

    return cached_json(key, compute)


@bp.get("/counties/<county_id>/disclosures/<record_id>")
@bp.output(RecordDetailOut)
@bp.doc(
    summary="One public planning record",
    description="404 when the record does not exist or is not public.",
    responses={304: "Not modified"},
)
def get_disclosure(county_id: str, record_id: str) -> Response:
    store = get_store()
    key = ("disclosure", county_id, store.version(county_id), record_id)

    def compute() -> dict[str, Any]:
        _available, records = county_public_records(county_id)
        for record in records:
            if record["record_id"] == record_id:
                return record
        msg = f"county {county_id!r} has no public planning record {record_id!r}"
        raise NotFoundError(msg)

    return cached_json(key, compute)
