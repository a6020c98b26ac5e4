"""County figures and the special-plan checklist, entered by the county's staff.

- ``GET /api/v1/counties/<county>/county-data``: the figures (registered cars, water-supply
  coverage, sewage treatment, each with source and year), the 11 special plans with status,
  approval date and document, the version and its history (staff of the county, or admin).
- ``PUT /api/v1/counties/<county>/county-data``: a JSON update ``{"figures": {...},
  "special_plans": {...}}``; the items given replace the stored ones (``null`` clears one).
  Every problem is reported at once (400, ``errors`` in Chinese and English) and nothing is
  stored on a refusal.  Answers the version record and the five indicators recomputed.
- ``/county-data/<county>``: the same as a page with a form, linked from the planner map.

Writes need the county's staff or an administrator: a Bearer token, or the session cookie with
the CSRF token (``api.auth``), as the uploads.  The data live in the workspace metadata, so both
stores keep them (:mod:`gis.county_data`, ``commit_county_data`` of :mod:`gis.store`).
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Integer, List, String
from flask import redirect, render_template, request, url_for

from api.auth import AuthError, User, current_user, ensure_can_write, require_writer
from api.common import get_store
from gis import county_data
from gis.errors import GisError
from gis.indicators import compute_reported_targets
from gis.settings import DEFAULT_SETTINGS

bp = APIBlueprint("county_data", __name__, tag="County data")
HISTORY_SHOWN = 20


class CountyDataIn(Schema):
    """The update (documented; checked by :func:`gis.county_data.validate_update`)."""

    figures = Dict(
        metadata={
            "description": "registered_cars / water_supply_pct / sewage_treatment_pct → "
            '{"value", "source", "year"} or null to clear; cars a whole number > 0, '
            "percentages 0-100, year 1949-2100, source required"
        }
    )
    special_plans = Dict(
        metadata={
            "description": "education, medical, culture, elderly_care, sports, markets, power, "
            "telecom, broadcasting, water_resources, fire_protection → "
            '{"status": 未编制|编制中|已批复 (not_started|in_progress|approved), '
            '"approved_on": "YYYY-MM-DD", "document": "文号或标题", "link": "https://…"} '
            "or null; an approved plan needs its date and document"
        }
    )


class CountyDataOut(Schema):
    county_id = String()
    version = Integer()
    user = String(allow_none=True)
    updated = String(allow_none=True)
    figures = Dict()
    special_plans = List(Dict())
    history = List(Dict())
    record = Dict()
    indicators = List(Dict())


def county_data_view(county_id: str) -> dict[str, Any]:
    """The county's figures, checklist, version and recent history."""
    meta = get_store().metadata(county_id)
    data = county_data.read(meta)
    return {
        "county_id": county_id,
        "version": int(data.get("version", 0)),
        "user": data.get("user"),
        "updated": data.get("updated"),
        "figures": data["figures"],
        "special_plans": county_data.checklist(meta),
        "history": list(reversed(data.get("history") or []))[:HISTORY_SHOWN],
    }


def reported_indicators(county_id: str) -> list[dict[str, Any]]:
    """The five indicators the county data feed, computed on the stored workspace."""
    ws = get_store().workspace(county_id).to_metric()
    results = compute_reported_targets(ws, ws.layers["built_up"], DEFAULT_SETTINGS)
    return [r.to_dict() for r in results]


def save_county_data(county_id: str, payload: Any, user: User) -> dict[str, Any]:
    """Validate ``payload`` (every problem at once), store it as a new version, recompute."""
    store = get_store()
    store.location(county_id)
    ensure_can_write(user, county_id)
    update = county_data.validate_update(payload)
    changed = county_data.changes(store.metadata(county_id).get(county_data.METADATA_KEY), update)
    record: dict[str, Any] = {}
    if changed["figures"] or changed["special_plans"]:
        record = store.backend.commit_county_data(county_id, changed, user=user.name)
    out = county_data_view(county_id)
    out["record"] = record  # empty when nothing differed from what is stored
    out["indicators"] = reported_indicators(county_id)
    return out


# --- API ----------------------------------------------------------------------------------------


@bp.get("/api/v1/counties/<county_id>/county-data")
@require_writer()
@bp.output(CountyDataOut)
@bp.doc(
    summary="County figures and special-plan checklist (staff)",
    description="Registered cars, public water-supply coverage and sewage treatment rate "
    "(value, source, year), the 11 special plans with status, approval date and document, "
    "and the version history (who, when, what).",
    responses={401: "Not signed in", 403: "Not allowed for this county", 404: "Unknown county"},
    security="BearerAuth",
)
def get_county_data(county_id: str) -> Any:
    get_store().location(county_id)
    return county_data_view(county_id)


@bp.put("/api/v1/counties/<county_id>/county-data")
@require_writer()
@bp.input(CountyDataIn, location="json", validation=False, arg_name="body")
@bp.output(CountyDataOut)
@bp.doc(
    summary="Enter county figures or the special-plan checklist (staff)",
    description="The items given replace the stored ones (null clears one); the others stay. "
    "Every problem is reported at once (400 with `errors`, Chinese and English) and nothing is "
    "stored then. A stored update is a new version (who, when, what). Answers the data, the "
    "version record and the five indicators they feed. Needs a staff account for the county "
    "(Bearer token, or the session cookie plus the `X-CSRF-Token` header).",
    responses={
        400: "Validation failed",
        401: "Not signed in",
        403: "Not allowed for this county",
        404: "Unknown county",
    },
    security="BearerAuth",
)
def put_county_data(county_id: str, body: Any = None) -> Any:
    payload = request.get_json(silent=True)
    return save_county_data(county_id, payload, current_user())


# --- page ---------------------------------------------------------------------------------------


def _form_payload(form: Any, stored: dict[str, Any]) -> dict[str, Any]:
    """The update a submitted page form describes.

    Empty figures are skipped (ticking "clear" removes one); a plan set back to "not reported"
    is cleared when it was stored.
    """
    figures: dict[str, Any] = {}
    for key in county_data.FIGURES:
        value = form.get(f"{key}.value", "").strip()
        source = form.get(f"{key}.source", "").strip()
        year = form.get(f"{key}.year", "").strip()
        if form.get(f"{key}.clear"):
            figures[key] = None
        elif value or source or year:
            figures[key] = {"value": value, "source": source, "year": year}
    plans: dict[str, Any] = {}
    for key in county_data.PLAN_KEYS:
        status = form.get(f"plan.{key}.status", "").strip()
        if not status:
            if key in stored["special_plans"]:
                plans[key] = None
            continue
        plans[key] = {
            "status": status,
            "approved_on": form.get(f"plan.{key}.approved_on", ""),
            "document": form.get(f"plan.{key}.document", ""),
            "link": form.get(f"plan.{key}.link", ""),
        }
    return {"figures": figures, "special_plans": plans}


def _page(
    county_id: str,
    *,
    status: int = 200,
    result: dict[str, Any] | None = None,
    error: GisError | None = None,
    submitted: dict[str, Any] | None = None,
) -> Any:
    meta = get_store().metadata(county_id)
    html = render_template(
        "county_data.html",
        county_id=county_id,
        county_name=meta.get("name", county_id),
        data=county_data_view(county_id),
        figures_meta=county_data.FIGURES,
        statuses=county_data.PLAN_STATUSES,
        result=result,
        error=error,
        problems=[p.as_dict() for p in error.problems] if error else [],
        submitted=submitted or {},
        user=current_user(),
    )
    return html, status


@bp.route("/county-data/<county_id>", methods=["GET", "POST"])
@bp.doc(hide=True)
def county_data_page(county_id: str) -> Any:
    """The form: figures with source and year, the 11-plan checklist, the history."""
    get_store().location(county_id)
    user = current_user()
    if not user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    ensure_can_write(user, county_id)
    if request.method == "GET":
        return _page(county_id)
    stored = county_data.read(get_store().metadata(county_id))
    payload = _form_payload(request.form, stored)
    try:
        result = save_county_data(county_id, payload, user)
    except (AuthError, GisError) as exc:
        if exc.status in (401, 403):
            raise
        return _page(county_id, status=exc.status, error=exc, submitted=dict(request.form))
    return _page(county_id, status=201, result=result)
