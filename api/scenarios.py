"""What-if scenarios (情景模拟): ``/api/v1/counties/<county_id>/scenarios``.

A planner's edits (facilities added, moved or deleted, parks and roads drawn, population
changed) are applied to a copy of the county (:mod:`gis.scenarios`) and every indicator, the
grade and the province rank are shown before → after; the stored layers never change.
Scenarios are saved per county with their author (:mod:`gis.store.scenarios`), listed,
compared side by side and exported as a GeoPackage.

Who: the county's staff and admins (the planners of the county); anonymous visitors get 401,
other accounts 403.  A scenario is changed or deleted by its author or an admin.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Integer, List, String
from flask import Response, current_app, request

from api.auth import ForbiddenError, User, csrf_token, current_user, ensure_can_write
from api.common import IndicatorQuery, get_store, settings_from
from gis.errors import ValidationError
from gis.scenario_exports import scenario_gpkg
from gis.scenarios import Edit, evaluate, parse_edits
from gis.settings import IndicatorSettings
from gis.store.scenarios import ScenarioFiles, ScenarioRecord
from gis.workspace import Workspace

bp = APIBlueprint("scenarios", __name__, url_prefix="/api/v1", tag="Scenarios")

BODY_FIELDS = frozenset({"name", "edits", "csrf_token", "life_circle"})
MAX_NAME = 100
MAX_COMPARE = 4
GPKG_MIME = "application/geopackage+sqlite3"
_WHO = (
    "Needs the county's staff or an admin (Bearer token, or the session cookie plus the "
    "`X-CSRF-Token` header on writes). The stored layers are never changed."
)
_EDITS_DOC = (
    "`edits`: a list of objects `{op, layer, ...}` with GeoJSON geometries in EPSG:4326: "
    "`add` a facility (`layer` sports|parking|any facility layer, `facility_type`, a Point or "
    "Polygon; parking needs `spaces`), `move` (`feature`: its 0-based row, new `geometry`, "
    "optional `original`) or `delete` (`feature`) one; `add` to `parks` (Polygon) or `roads` "
    "(LineString, `road_class`); `population` (Polygon with `persons` or `factor`). "
    "docs/scenarios.md. `life_circle` (optional, true/false): compare the 15-minute life circle "
    "before → after too (`results.life_circle`, not graded); by default it is compared when an "
    "edit is on the `facilities` layer (kindergartens, schools, clinics, ...)."
)


class ScenarioIn(Schema):
    name = String(metadata={"description": "the scenario's name (1-100 characters)"})
    edits = List(Dict(), metadata={"description": _EDITS_DOC})
    life_circle = Boolean(metadata={"description": "compare the life circle too"})


class EditsIn(Schema):
    edits = List(Dict(), required=True, metadata={"description": _EDITS_DOC})
    life_circle = Boolean(metadata={"description": "compare the life circle too"})


class ScenarioOut(Schema):
    scenario_id = String()
    county_id = String()
    name = String()
    author = String()
    created = String()
    updated = String()
    edits = List(Dict())
    results = Dict(allow_none=True)
    stale = Boolean(metadata={"description": "the county's layers changed since the results"})


class ScenarioListOut(Schema):
    county_id = String()
    scenarios = List(Dict())
    csrf_token = String(
        metadata={
            "description": "the session's CSRF token for the `X-CSRF-Token` header of the "
            "writes (the planner map page is cached for every planner, so its script asks here)"
        }
    )


class EvaluationOut(Schema):
    county_id = String()
    results = Dict()
    elapsed_ms = Integer()


class CompareQuery(IndicatorQuery):
    ids = String(
        required=True, metadata={"description": f"2-{MAX_COMPARE} scenario ids, comma-separated"}
    )


# --- helpers --------------------------------------------------------------------------------


def scenario_files() -> ScenarioFiles:
    """The app's scenario store (``SCENARIOS_DIR``, default ``<instance>/scenarios``)."""
    files = current_app.extensions.get("gis_scenarios")
    if files is None:
        root = current_app.config.get("SCENARIOS_DIR") or Path(current_app.instance_path) / (
            "scenarios"
        )
        files = current_app.extensions.setdefault("gis_scenarios", ScenarioFiles(root))
    assert isinstance(files, ScenarioFiles)
    return files


def _planner(county_id: str) -> User:
    """The signed-in planner of the county (401 / 403 otherwise), once the county exists."""
    user = current_user()
    ensure_can_write(user, county_id)
    get_store().location(county_id)
    return user


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        msg = (
            '请求体应为 JSON 对象，如 {"name": ..., "edits": [...]} | the body must be a JSON '
            'object such as {"name": ..., "edits": [...]}'
        )
        raise ValidationError(msg)
    unknown = sorted(set(data) - BODY_FIELDS)
    if unknown:
        msg = (
            f"未知字段 {', '.join(unknown)} | unknown field(s) {', '.join(unknown)}; expected "
            "name, edits, life_circle"
        )
        raise ValidationError(msg)
    if data.get("life_circle") is not None and not isinstance(data["life_circle"], bool):
        msg = (
            "life_circle 应为 true 或 false | life_circle: true (compare the 15-minute life "
            "circle too) or false"
        )
        raise ValidationError(msg)
    return data


def _name(value: Any) -> str:
    name = str(value or "").strip() if isinstance(value, str | int | float) else ""
    if not 1 <= len(name) <= MAX_NAME:
        msg = (
            f"情景名称须为 1–{MAX_NAME} 个字符 | name: give the scenario a name of 1-{MAX_NAME} "
            "characters"
        )
        raise ValidationError(msg)
    return name


def metric_workspace(county_id: str) -> Workspace:
    """The county in its metric CRS, kept per workspace version (not reprojected per edit)."""
    store = get_store()
    key = ("scenario-metric", county_id, store.version(county_id))
    return store.derived(key, lambda: store.workspace(county_id).to_metric())


def _province_docs(year: int) -> list[dict[str, Any]]:
    from api.province import all_results

    return list(all_results().get(year, []))


def run(
    county_id: str,
    edits: list[Edit],
    settings: IndicatorSettings,
    *,
    life_circle: bool | None = None,
) -> dict[str, Any]:
    """The scenario's results now (the current results and life circle from the app's cache).

    ``life_circle``: compare the life circle too; ``None``: when an edit is on the
    ``facilities`` layer (:func:`gis.scenarios.evaluate`).
    """
    store = get_store()
    _report, before = store.report(county_id, settings)
    result = evaluate(
        metric_workspace(county_id),
        edits,
        settings,
        before=before,
        province_docs=_province_docs(settings.year),
        life_circle=life_circle,
        life_circle_before=lambda: store.life_circle(county_id, settings)[1],
    ).to_dict()
    result["workspace_version"] = store.version(county_id)
    result["parameters"] = {
        "year": settings.year,
        "minutes": settings.walk_minutes,
        "walk_speed": settings.walk_speed_m_s,
    }
    return result


def _own(record: ScenarioRecord, user: User) -> None:
    if record.author != user.name and user.role != "admin":
        msg = (
            f"情景“{record.name}”由 {record.author} 创建，只有作者或管理员可修改或删除 | "
            f"scenario {record.scenario_id} belongs to {record.author}: only its author or an "
            "admin may change or delete it"
        )
        raise ForbiddenError(msg)


def _record_out(record: ScenarioRecord) -> dict[str, Any]:
    out = record.to_dict()
    results = record.results or {}
    out["stale"] = bool(
        results and results.get("workspace_version") != get_store().version(record.county_id)
    )
    return out


# --- routes ---------------------------------------------------------------------------------


@bp.post("/counties/<county_id>/scenarios/evaluate")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.input(EditsIn, location="json", arg_name="body", validation=False)
@bp.output(EvaluationOut)
@bp.doc(
    summary="Evaluate edits without saving (planner)",
    description="Every indicator, the grade and the province rank before → after the edits, on "
    "a copy; only the indicators whose inputs the edits touch are computed again. Nothing is "
    "stored. " + _WHO,
    responses={400: "Bad edits", 401: "Not signed in", 403: "Not allowed", 404: "No county"},
    security="BearerAuth",
)
def evaluate_edits(county_id: str, query: dict[str, Any], **_ignored: Any) -> Any:
    _planner(county_id)
    start = time.perf_counter()
    settings = settings_from(query)
    data = _body()
    results = run(
        county_id, parse_edits(data.get("edits")), settings, life_circle=data.get("life_circle")
    )
    elapsed_ms = round((time.perf_counter() - start) * 1000)
    return {"county_id": county_id, "results": results, "elapsed_ms": elapsed_ms}


@bp.get("/counties/<county_id>/scenarios")
@bp.output(ScenarioListOut)
@bp.doc(
    summary="A county's saved scenarios (planner)",
    description="Newest change first; each with its author, times, edit count and grade "
    "before → after. `?mine=1` lists the caller's own. " + _WHO,
    responses={401: "Not signed in", 403: "Not allowed", 404: "No county"},
    security="BearerAuth",
)
def list_scenarios(county_id: str) -> Any:
    user = _planner(county_id)
    records = scenario_files().records(county_id)
    if request.args.get("mine") in ("1", "true"):
        records = [r for r in records if r.author == user.name]
    return {
        "county_id": county_id,
        "scenarios": [r.summary() for r in records],
        "csrf_token": csrf_token() if user.via == "session" else "",
    }


@bp.post("/counties/<county_id>/scenarios")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.input(ScenarioIn, location="json", arg_name="body", validation=False)
@bp.output(ScenarioOut, status_code=201)
@bp.doc(
    summary="Save a scenario (planner)",
    description="`name` and `edits`; the edits are evaluated and the results saved with them. "
    + _WHO,
    responses={400: "Bad name or edits", 401: "Not signed in", 403: "Not allowed"},
    security="BearerAuth",
)
def create_scenario(county_id: str, query: dict[str, Any], **_ignored: Any) -> Any:
    user = _planner(county_id)
    settings = settings_from(query)
    data = _body()
    name = _name(data.get("name"))
    edits = parse_edits(data.get("edits", []))
    results = run(county_id, edits, settings, life_circle=data.get("life_circle"))
    record = scenario_files().create(
        county_id,
        name=name,
        author=user.name,
        edits=[e.to_dict() for e in edits],
        results=results,
    )
    return _record_out(record), 201


@bp.get("/counties/<county_id>/scenarios/compare")
@bp.input(CompareQuery, location="query", arg_name="query")
@bp.doc(
    summary="Compare saved scenarios side by side (planner)",
    description=f"`ids`: 2-{MAX_COMPARE} scenario ids. Per indicator: the current value and "
    "each scenario's value and pass; the grade, score and province rank of each. " + _WHO,
    responses={400: "Bad ids", 401: "Not signed in", 403: "Not allowed", 404: "No scenario"},
    security="BearerAuth",
)
def compare_scenarios(county_id: str, query: dict[str, Any]) -> Any:
    _planner(county_id)
    ids = [i.strip() for i in str(query.get("ids") or "").split(",") if i.strip()]
    if not 2 <= len(set(ids)) <= MAX_COMPARE:
        msg = (
            f"请给出 2–{MAX_COMPARE} 个不同的情景编号 | ids: give 2-{MAX_COMPARE} different "
            "scenario ids, comma-separated"
        )
        raise ValidationError(msg)
    files = scenario_files()
    records = [files.get(county_id, i) for i in dict.fromkeys(ids)]
    return compare_payload(county_id, records)


def compare_payload(county_id: str, records: list[ScenarioRecord]) -> dict[str, Any]:
    """Indicator rows with the value of each scenario, and each scenario's grade and rank."""
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        for ind in (r.results or {}).get("indicators", []):
            row = rows.setdefault(
                ind["id"],
                {
                    **{k: ind.get(k) for k in ("id", "name_zh", "name_en", "unit", "target")},
                    "before": ind.get("before"),
                    "passed_before": ind.get("passed_before"),
                    "scenarios": {},
                },
            )
            row["scenarios"][r.scenario_id] = {
                "after": ind.get("after"),
                "delta": ind.get("delta"),
                "passed_after": ind.get("passed_after"),
            }
    version = get_store().version(county_id)
    return {
        "county_id": county_id,
        "scenarios": [
            {
                **r.summary(),
                "rank": (r.results or {}).get("rank"),
                "stale": (r.results or {}).get("workspace_version") != version,
            }
            for r in records
        ],
        "indicators": list(rows.values()),
    }


@bp.get("/counties/<county_id>/scenarios/<scenario_id>")
@bp.output(ScenarioOut)
@bp.doc(
    summary="One saved scenario (planner)",
    description="Its edits and last results; `stale` is true when the county's layers changed "
    "since (save its edits again to recompute). " + _WHO,
    responses={401: "Not signed in", 403: "Not allowed", 404: "No scenario"},
    security="BearerAuth",
)
def get_scenario(county_id: str, scenario_id: str) -> Any:
    _planner(county_id)
    return _record_out(scenario_files().get(county_id, scenario_id))


@bp.put("/counties/<county_id>/scenarios/<scenario_id>")
@bp.input(IndicatorQuery, location="query", arg_name="query")
@bp.input(ScenarioIn, location="json", arg_name="body", validation=False)
@bp.output(ScenarioOut)
@bp.doc(
    summary="Rename a scenario or replace its edits (its author or an admin)",
    description="`name` and/or `edits` (the whole list); the results are computed again. " + _WHO,
    responses={400: "Bad name or edits", 401: "Not signed in", 403: "Not allowed"},
    security="BearerAuth",
)
def update_scenario(county_id: str, scenario_id: str, query: dict[str, Any], **_: Any) -> Any:
    user = _planner(county_id)
    files = scenario_files()
    record = files.get(county_id, scenario_id)
    _own(record, user)
    settings = settings_from(query)
    data = _body()
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = _name(data["name"])
    edits = parse_edits(data["edits"]) if "edits" in data else parse_edits(record.edits)
    changes["edits"] = [e.to_dict() for e in edits]
    changes["results"] = run(county_id, edits, settings, life_circle=data.get("life_circle"))
    return _record_out(files.update(record, **changes))


@bp.delete("/counties/<county_id>/scenarios/<scenario_id>")
@bp.doc(
    summary="Delete a scenario (its author or an admin)",
    description=_WHO,
    responses={401: "Not signed in", 403: "Not allowed", 404: "No scenario"},
    security="BearerAuth",
)
def delete_scenario(county_id: str, scenario_id: str) -> Any:
    user = _planner(county_id)
    files = scenario_files()
    record = files.get(county_id, scenario_id)
    _own(record, user)
    files.delete(county_id, scenario_id)
    return {"county_id": county_id, "scenario_id": scenario_id, "deleted": True}


@bp.get("/counties/<county_id>/scenarios/<scenario_id>/export.gpkg")
@bp.doc(
    summary="A scenario as a GeoPackage (planner)",
    description="Layers `edits` (EPSG:4326), `indicators` (attribute table, before → after) "
    "and `scenario` (name, author, grade and rank). " + _WHO,
    responses={401: "Not signed in", 403: "Not allowed", 404: "No scenario"},
    security="BearerAuth",
)
def export_scenario(county_id: str, scenario_id: str) -> Response:
    _planner(county_id)
    record = scenario_files().get(county_id, scenario_id)
    edits = parse_edits(record.edits)
    body = scenario_gpkg(record.to_dict(), edits, record.results)
    response = Response(body, mimetype=GPKG_MIME)
    filename = f"{county_id}-{record.name}.gpkg"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=scenario-{scenario_id}.gpkg; filename*=UTF-8''{quote(filename)}"
    )
    response.cache_control.no_store = True
    return response
