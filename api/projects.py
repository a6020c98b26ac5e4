"""The project library (项目库): county pages and API, the province's review, publication.

Storage: each county's projects are its ``projects`` layer in the workspace store; every
create, edit, delete, import, submit, pass and return commits a new version of that layer
(``action`` ``edit``, the user, the time, and ``report.project_change`` saying what happened),
so both backends keep the history and a project's history is read from the versions.

Who may do what (docs/projects.md): the county's staff and admins create, edit, delete,
import and submit; reviewers and admins pass or return; the county's staff, reviewers and
admins see the whole library; everyone else sees passed projects and their public fields.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, File, Integer, List, String
from apiflask.validators import Length, OneOf
from flask import Response, current_app, redirect, render_template, request, url_for
from marshmallow import EXCLUDE

from api.auth import (
    User,
    current_user,
    ensure_can_read_projects,
    ensure_can_review,
    ensure_can_write,
)
from api.common import get_store
from api.maps import json_for_script
from gis.errors import GisError, NotFoundError, ProblemCollector
from gis.project_exports import CountyProjects, projects_csv, projects_xlsx, province_summary
from gis.projects import (
    CATEGORIES,
    CONTENT_FIELDS,
    FIELD_LABELS,
    LAYER,
    PUBLIC_FIELDS,
    REVIEW_STATUSES,
    STATUSES,
    Change,
    ProjectError,
    create_project,
    delete_project,
    merge_projects,
    normalise_projects,
    project_index,
    project_record,
    public_projects,
    review_project,
    summarise,
    summarise_by_category,
    update_project,
)
from gis.store import NewVersion
from gis.upload.sheets import SHEET_SUFFIXES, prepare_record, prepare_sheet, template_xlsx

bp = APIBlueprint("projects", __name__, tag="Projects")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BODY_FIELDS = frozenset(
    {*CONTENT_FIELDS, "project_id", "geometry", "wkt", "lon", "lat", "coord_system", "csrf_token"}
)
_LOCKS_GUARD = threading.Lock()
_LOCKS: dict[tuple[int, str], threading.Lock] = {}


class ProjectIn(Schema):
    """A project's fields (documented; the view checks them all and reports every problem)."""

    class Meta:
        unknown = EXCLUDE

    project_id = String(metadata={"description": "new projects only; empty: XM-0001 …"})
    name = String(metadata={"description": "项目名称"})
    category = String(metadata={"description": "one of " + " ".join(CATEGORIES)})
    investment_wan_yuan = String(metadata={"description": "planned investment, 万元 (a number)"})
    planned_start = String(metadata={"description": "2024-03-05"})
    planned_finish = String(metadata={"description": "2025-06-30"})
    status = String(metadata={"description": "储备, 在建 or 完工"})
    progress_pct = String(metadata={"description": "0-100"})
    responsible_unit = String()
    contact = String(metadata={"description": "not public"})
    parking_spaces = String(metadata={"description": "whole number (停车 projects)"})
    geometry = Dict(metadata={"description": "GeoJSON geometry in lon/lat (or use wkt, lon+lat)"})
    wkt = String()
    lon = String()
    lat = String()
    coord_system = String(metadata={"description": "'gcj02' or 'bd09' when the location is"})


class ReviewIn(Schema):
    """A reviewer's decision."""

    class Meta:
        unknown = EXCLUDE

    decision = String(required=True, validate=OneOf(["pass", "return"]))
    comment = String(load_default="", validate=Length(max=2000))


class ImportForm(Schema):
    """The multipart form of a register import."""

    file = File(required=True, metadata={"description": "项目台账 .xlsx, .xls or .csv"})
    coord_system = String(metadata={"description": "'gcj02' or 'bd09' when the lon/lat are"})


class ChangeOut(Schema):
    county_id = String()
    version = Integer()
    message_zh = String()
    message_en = String()
    project = Dict(allow_none=True)
    project_ids = List(String())


class LibraryOut(Schema):
    county_id = String()
    scope = String()
    projects = List(Dict())
    summary = Dict()
    by_category = List(Dict())


class HistoryOut(Schema):
    county_id = String()
    project_id = String()
    history = List(Dict())


# --- store access --------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _county_lock(county_id: str) -> threading.Lock:
    """One lock per app and county: this worker's changes of a library never interleave."""
    key = (id(current_app._get_current_object()), county_id)  # type: ignore[attr-defined]
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def read_library(county_id: str) -> gpd.GeoDataFrame:
    """The county's projects as stored now (every column; empty when it has none)."""
    backend = get_store().backend
    if LAYER not in backend.list_layers(county_id):
        return normalise_projects(None)
    return normalise_projects(backend.read_layer(county_id, LAYER))


class LibraryChangedError(GisError):
    """Another change of the county's library was committed after this one read it (409)."""

    status = 409
    code = "library_changed"


def apply_change(
    county_id: str, user: User, make: Callable[[gpd.GeoDataFrame], Change]
) -> dict[str, Any]:
    """Read the library, make the change, commit it unless the library changed meanwhile.

    Within a worker a lock per county serialises changes; across workers the commit checks,
    with the store's write lock held (the ``version_written`` hook: GeoPackage lock file,
    PostgreSQL row lock), that the current version is still the one read, else 409
    ``library_changed`` and nothing is stored (the store drops the unfinished version).
    """
    backend = get_store().backend
    with _county_lock(county_id):
        base = backend.current_version(county_id, LAYER)  # first: a later commit is then seen
        change = make(read_library(county_id))

        def guard(stage: str) -> None:
            if stage == "version_written" and backend.current_version(county_id, LAYER) != base:
                msg = (
                    "项目库已被他人修改，请刷新后重试 | the county's project library changed while "
                    "this change was made; reload and try again"
                )
                raise LibraryChangedError(msg)

        return _commit(county_id, change, user, guard=guard)


def _commit(
    county_id: str, change: Change, user: User, *, guard: Callable[[str], None] | None = None
) -> dict[str, Any]:
    frame = change.frame
    digest = hashlib.sha256(frame.to_json(drop_id=True).encode("utf-8")).hexdigest()
    record = get_store().backend.commit_version(
        county_id,
        NewVersion(
            layer=LAYER,
            user=user.name,
            original_name=change.message_zh[:200],
            sha256=digest,
            feature_count=len(frame),
            report=change.report(),
            gdf=frame,
            action="edit",
        ),
        hook=guard,
    )
    project = None
    if len(change.project_ids) == 1 and change.action != "delete":
        project = project_record(frame, project_index(frame, change.project_ids[0]))
    return {
        "county_id": county_id,
        "version": record.version,
        "message_zh": change.message_zh,
        "message_en": change.message_en,
        "project": project,
        "project_ids": list(change.project_ids),
    }


def _boundary(county_id: str) -> gpd.GeoDataFrame | None:
    backend = get_store().backend
    return (
        backend.read_layer(county_id, "boundary")
        if "boundary" in backend.list_layers(county_id)
        else None
    )


def _tolerance_m() -> float:
    return float(current_app.config.get("UPLOAD_OUTSIDE_TOLERANCE_M", 500.0))


def _body() -> dict[str, Any]:
    """The JSON body or the form of a create or edit; unknown fields are refused by name."""
    data = request.get_json(silent=True) if request.is_json else None
    if data is None:
        data = {k: v for k, v in request.form.items()}
    if not isinstance(data, dict):
        msg = "请求体应为 JSON 对象 | the body must be a JSON object of project fields"
        raise ProjectError(msg)
    unknown = sorted(set(data) - BODY_FIELDS)
    if unknown:
        msg = (
            f"未知字段 {', '.join(unknown)} | unknown field(s) {', '.join(unknown)}; "
            f"expected {', '.join(sorted(BODY_FIELDS - {'csrf_token'}))}"
        )
        raise ProjectError(msg)
    return {k: v for k, v in data.items() if k != "csrf_token"}


def _checked(county_id: str, values: dict[str, Any], label: str) -> dict[str, Any]:
    return prepare_record(
        values,
        label=label,
        coord_system=str(values.get("coord_system") or ""),
        boundary=_boundary(county_id),
        outside_tolerance_m=_tolerance_m(),
    )


def _county(county_id: str) -> None:
    get_store().location(county_id)


# --- actions ---------------------------------------------------------------------------------


def do_create(county_id: str, user: User, values: dict[str, Any]) -> dict[str, Any]:
    """Check and add one project (a draft)."""
    _county(county_id)
    ensure_can_write(user, county_id)
    checked = _checked(county_id, values, "project")
    return apply_change(
        county_id, user, lambda lib: create_project(lib, checked, user=user.name, now=_now())
    )


def do_update(
    county_id: str, project_id: str, user: User, values: dict[str, Any]
) -> dict[str, Any]:
    """Check the project with ``values`` applied, then store it (it becomes a draft)."""
    _county(county_id)
    ensure_can_write(user, county_id)
    if values.get("project_id") not in (None, "", project_id):
        msg = "项目编号不能修改 | the project_id of a project cannot change"
        raise ProjectError(msg)
    located = any(values.get(k) not in (None, "") for k in ("geometry", "wkt", "lon", "lat"))

    def make(library: gpd.GeoDataFrame) -> Change:
        current = project_record(library, project_index(library, project_id))
        merged = {f: current.get(f) for f in CONTENT_FIELDS}
        merged.update({k: v for k, v in values.items() if k in CONTENT_FIELDS})
        merged.update(
            {k: values.get(k) for k in ("geometry", "wkt", "lon", "lat", "coord_system")}
            if located
            else {"wkt": current["geometry_wkt"]}
        )
        checked = _checked(county_id, merged, f"project {project_id}")
        return update_project(library, project_id, checked, user=user.name, now=_now())

    return apply_change(county_id, user, make)


def do_delete(county_id: str, project_id: str, user: User) -> dict[str, Any]:
    """Remove one project."""
    _county(county_id)
    ensure_can_write(user, county_id)
    return apply_change(county_id, user, lambda lib: delete_project(lib, project_id))


def do_review(
    county_id: str, project_id: str, user: User, action: str, comment: str = ""
) -> dict[str, Any]:
    """Submit (the county) or pass / return (a reviewer) one project."""
    _county(county_id)
    if action == "submit":
        ensure_can_write(user, county_id)
    else:
        ensure_can_review(user)
    return apply_change(
        county_id,
        user,
        lambda lib: review_project(
            lib, project_id, action, user=user.name, now=_now(), comment=comment
        ),
    )


REGISTER_MAX_FILE_BYTES = 16 * 1024 * 1024
"""A register of 5,000 projects is well under 2 MB in any format; a larger file is refused
before it is opened (an old .xls is read whole into memory, about ten times its size)."""


def do_import(county_id: str, user: User) -> dict[str, Any]:
    """Check a whole register and merge it; nothing is stored when any row has a problem."""
    _county(county_id)
    ensure_can_write(user, county_id)
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        problems = ProblemCollector()
        problems.add(
            "file",
            "no file: send the register (.xlsx, .xls or .csv) in the multipart field 'file'",
            "没有文件：请在 multipart 字段 file 中上传项目台账（.xlsx、.xls 或 .csv）",
            "no_file",
        )
        problems.raise_if_any("import refused")
    original = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    suffix = next((s for s in SHEET_SUFFIXES if original.lower().endswith(s)), ".bin")
    limit = min(
        int(current_app.config.get("UPLOAD_MAX_FILE_BYTES", 100 * 1024 * 1024)),
        int(current_app.config.get("REGISTER_MAX_FILE_BYTES", REGISTER_MAX_FILE_BYTES)),
    )
    base = Path(
        current_app.config.get("UPLOAD_TMP_DIR") or Path(current_app.instance_path) / "uploads"
    )
    folder = base / f"sheet-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    try:
        target = folder / f"register{suffix}"
        data = storage.stream.read(limit + 1)
        if len(data) > limit:
            from gis.upload import UploadTooLargeError

            msg = f"{original}: more than the limit of {limit:,} bytes"
            raise UploadTooLargeError(msg)
        target.write_bytes(data)
        incoming, report = prepare_sheet(
            target,
            label=original,
            coord_system=request.form.get("coord_system", ""),
            boundary=_boundary(county_id),
            outside_tolerance_m=_tolerance_m(),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        storage.close()
    result = apply_change(
        county_id,
        user,
        lambda lib: merge_projects(lib, incoming, user=user.name, now=_now(), label=original),
    )
    result["report"] = report.as_dict()
    return result


def library_payload(county_id: str, user: User) -> dict[str, Any]:
    """The library as ``user`` may see it: whole for its staff and reviewers, else public."""
    _county(county_id)
    library = read_library(county_id)
    if user.can_read_projects(county_id):
        rows = [project_record(library, i) for i in range(len(library))]
        scope = "full"
    else:
        library = public_projects(library)
        rows = [project_record(library, i, fields=PUBLIC_FIELDS) for i in range(len(library))]
        scope = "public"
    shown = public_projects(library) if scope == "full" else library
    return {
        "county_id": county_id,
        "scope": scope,
        "projects": rows,
        "summary": summarise(shown),
        "by_category": summarise_by_category(shown),
    }


def public_payload(county_id: str) -> dict[str, Any]:
    """What the public page shows: the passed projects (public fields) and their figures."""
    shown = public_projects(read_library(county_id))
    return {
        "projects": [project_record(shown, i, fields=PUBLIC_FIELDS) for i in range(len(shown))],
        "summary": summarise(shown),
        "by_category": summarise_by_category(shown),
    }


def project_history(county_id: str, project_id: str) -> list[dict[str, Any]]:
    """The versions of the library that touched ``project_id``, oldest first."""
    out = []
    for record in get_store().backend.history(county_id, LAYER):
        change = record.report.get("project_change") or {}
        if project_id in change.get("project_ids", []):
            out.append(
                {
                    "version": record.version,
                    "user": record.user,
                    "created": record.created,
                    "action": change.get("action"),
                    "message_zh": change.get("message_zh"),
                    "message_en": change.get("message_en"),
                }
            )
    return out


def county_names() -> dict[str, str]:
    """Each county id of the store → its name."""
    store = get_store()
    return {c: str(store.metadata(c).get("name") or c) for c in store.county_ids()}


def province_projects() -> list[CountyProjects]:
    """Every county's public projects (passed, public fields)."""
    return [
        CountyProjects(c, name, public_projects(read_library(c)))
        for c, name in county_names().items()
    ]


def review_queue() -> list[dict[str, Any]]:
    """The submitted projects of every county, oldest change first."""
    rows = []
    for county_id, name in county_names().items():
        library = read_library(county_id)
        for i in range(len(library)):
            if library.iloc[i]["review_status"] == "submitted":
                rows.append(
                    {"county_id": county_id, "county_name": name, **project_record(library, i)}
                )
    return sorted(rows, key=lambda r: (str(r.get("updated_at") or ""), r["county_id"]))


# --- API -----------------------------------------------------------------------------------------

_WRITE_DOC = (
    "Needs the county's staff or an admin (Bearer token, or the session cookie plus the "
    "`X-CSRF-Token` header). Every problem is reported at once (400 with `errors`, zh + en); "
    "nothing is stored on a refusal. The change is a new version of the `projects` layer."
)


@bp.get("/api/v1/counties/<county_id>/projects")
@bp.output(LibraryOut)
@bp.doc(
    summary="A county's projects",
    description="Visitors: the passed projects with their public fields only (no contact, no "
    "review details). The county's staff, reviewers and admins: every project with its review "
    "status and comment. `summary` counts the passed projects.",
    responses={404: "Unknown county"},
)
def list_projects(county_id: str) -> Any:
    return library_payload(county_id, current_user())


@bp.post("/api/v1/counties/<county_id>/projects")
@bp.input(ProjectIn, location="json_or_form", validation=False)
@bp.output(ChangeOut, status_code=201)
@bp.doc(
    summary="Create a project (staff)",
    description="A new draft. " + _WRITE_DOC,
    responses={400: "Bad fields", 401: "Not signed in", 403: "Not allowed", 404: "Unknown county"},
    security="BearerAuth",
)
def create(county_id: str, **_ignored: Any) -> Any:
    user = current_user()
    _county(county_id)
    ensure_can_write(user, county_id)
    return do_create(county_id, user, _body()), 201


@bp.get("/api/v1/counties/<county_id>/projects/<project_id>")
@bp.doc(summary="One project", description="Public when passed (public fields); else staff only.")
def get_project(county_id: str, project_id: str) -> Any:
    payload = library_payload(county_id, current_user())
    found = [p for p in payload["projects"] if p["project_id"] == project_id]
    if not found:
        msg = f"本县没有该项目（或尚未公开） | no project {project_id!r} here (or not published)"
        raise NotFoundError(msg)
    return {"county_id": county_id, "scope": payload["scope"], "project": found[0]}


@bp.put("/api/v1/counties/<county_id>/projects/<project_id>")
@bp.input(ProjectIn, location="json_or_form", validation=False)
@bp.output(ChangeOut)
@bp.doc(
    summary="Edit a project (staff)",
    description="Changes the fields given (the others stay); the project goes back to draft "
    "(草稿) and must be submitted and reviewed again. " + _WRITE_DOC,
    responses={400: "Bad fields", 401: "Not signed in", 403: "Not allowed", 404: "No such project"},
    security="BearerAuth",
)
def update(county_id: str, project_id: str, **_ignored: Any) -> Any:
    user = current_user()
    _county(county_id)
    ensure_can_write(user, county_id)
    return do_update(county_id, project_id, user, _body())


@bp.delete("/api/v1/counties/<county_id>/projects/<project_id>")
@bp.output(ChangeOut)
@bp.doc(
    summary="Delete a project (staff)",
    description="Its earlier versions stay in the history. " + _WRITE_DOC,
    responses={401: "Not signed in", 403: "Not allowed", 404: "No such project"},
    security="BearerAuth",
)
def delete(county_id: str, project_id: str) -> Any:
    return do_delete(county_id, project_id, current_user())


@bp.post("/api/v1/counties/<county_id>/projects/<project_id>/submit")
@bp.output(ChangeOut)
@bp.doc(
    summary="Submit a project for review (staff)",
    description="草稿 or 已退回 → 已提交 (409 from any other status). " + _WRITE_DOC,
    responses={
        401: "Not signed in",
        403: "Not allowed",
        404: "No such project",
        409: "Wrong status",
    },
    security="BearerAuth",
)
def submit(county_id: str, project_id: str) -> Any:
    return do_review(county_id, project_id, current_user(), "submit")


@bp.post("/api/v1/counties/<county_id>/projects/<project_id>/review")
@bp.input(ReviewIn, location="json_or_form", arg_name="body", validation=False)
@bp.output(ChangeOut)
@bp.doc(
    summary="Pass or return a submitted project (reviewer)",
    description="`decision` `pass` (已通过: published) or `return` (已退回, `comment` required: "
    "the county sees it). Needs the reviewer or admin role. 409 unless the project is submitted.",
    responses={
        400: "Bad body",
        401: "Not signed in",
        403: "Not a reviewer",
        404: "No such project",
        409: "Wrong status",
    },
    security="BearerAuth",
)
def review(county_id: str, project_id: str, **_ignored: Any) -> Any:
    user = current_user()
    _county(county_id)
    ensure_can_review(user)
    data = request.get_json(silent=True) if request.is_json else dict(request.form)
    data = data if isinstance(data, dict) else {}
    decision = str(data.get("decision") or "")
    if decision not in ("pass", "return"):
        msg = (
            f"decision 应为 pass 或 return | decision must be 'pass' or 'return', got {decision!r}"
        )
        raise ProjectError(msg)
    return do_review(county_id, project_id, user, decision, str(data.get("comment") or ""))


@bp.get("/api/v1/counties/<county_id>/projects/<project_id>/history")
@bp.output(HistoryOut)
@bp.doc(
    summary="A project's history (staff, reviewers)",
    description="Every version of the library that touched the project: who, when, what.",
    responses={401: "Not signed in", 403: "Not allowed", 404: "Unknown county"},
    security="BearerAuth",
)
def history(county_id: str, project_id: str) -> Any:
    _county(county_id)
    ensure_can_read_projects(current_user(), county_id)
    return {
        "county_id": county_id,
        "project_id": project_id,
        "history": project_history(county_id, project_id),
    }


@bp.post("/api/v1/counties/<county_id>/projects/import")
@bp.input(ImportForm, location="form_and_files", validation=False)
@bp.output(ChangeOut, status_code=201)
@bp.doc(
    summary="Import the project register (staff)",
    description="An .xlsx or Excel 97-2003 .xls (first sheet, or the one named 项目台账) or "
    ".csv, one project per row, columns by Chinese or English names (see the template), "
    "location from 经度/纬度 or a "
    "WKT column (`coord_system` gcj02/bd09 only when declared). Rows whose 项目编号 exists "
    "update that project (it becomes a draft if anything changed); others are added. Every "
    "problem of the sheet is reported at once (row and column); nothing is stored on a "
    "refusal. " + _WRITE_DOC,
    responses={
        400: "Problems in the sheet",
        401: "Not signed in",
        403: "Not allowed",
        413: "Too large",
    },
    security="BearerAuth",
)
def import_register(county_id: str, **_ignored: Any) -> Any:
    return do_import(county_id, current_user()), 201


@bp.get("/api/v1/projects/template.xlsx")
@bp.doc(
    summary="The blank project register (.xlsx)",
    description="Headers the import recognises, choice lists and notes.",
)
def template() -> Response:
    return _download(template_xlsx(), "项目台账模板.xlsx", XLSX_MIME)


@bp.get("/api/v1/review/queue")
@bp.doc(
    summary="Projects waiting for review (reviewer)",
    description="The submitted projects of every county, oldest first.",
    responses={401: "Not signed in", 403: "Not a reviewer"},
    security="BearerAuth",
)
def queue() -> Any:
    ensure_can_review(current_user())
    return {"projects": review_queue()}


@bp.get("/api/v1/province/projects")
@bp.doc(
    summary="Published projects of the province",
    description="Counts, planned investment and progress (investment-weighted) of the passed "
    "projects, by county and category (统一发布).",
)
def province_figures() -> Any:
    return province_summary(province_projects())


@bp.get("/api/v1/province/projects.xlsx")
@bp.doc(
    summary="Published projects (.xlsx, province template)",
    description="汇总 + one sheet per county.",
)
def province_xlsx() -> Response:
    body = projects_xlsx(province_projects(), title="百城建设提质工程 项目库（已通过审查的项目）")
    return _download(body, "百城提质项目库.xlsx", XLSX_MIME)


@bp.get("/api/v1/province/projects.csv")
@bp.doc(summary="Published projects (.csv)", description="Every passed project of every county.")
def province_csv() -> Response:
    return _download(
        projects_csv(province_projects()), "百城提质项目库.csv", "text/csv; charset=utf-8"
    )


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    from urllib.parse import quote

    response = Response(body, mimetype=mimetype)
    ascii_name = "projects" + Path(filename).suffix
    response.headers["Content-Disposition"] = (
        f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(filename)}"
    )
    response.cache_control.no_store = True
    return response


# --- pages -----------------------------------------------------------------------------------


def _page_user() -> User | Any:
    user = current_user()
    if not user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return user


def _vocabulary() -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "statuses": STATUSES,
        "review_statuses": REVIEW_STATUSES,
        "labels": FIELD_LABELS,
    }


PICKABLE_LAYERS = (
    ("roads", "道路", "roads"),
    ("parks", "公园", "parks"),
    ("green_space", "绿地", "green space"),
    ("residential", "居住用地", "residential land"),
    ("sports", "体育设施", "sports facilities"),
    ("parking", "停车场", "car parks"),
    ("facilities", "生活圈设施", "life-circle facilities"),
    ("landuse", "用地", "land use"),
    ("sewer_pipes", "污水管网", "sewer pipes"),
)
"""Layers whose features a project may take its shape from on the page (a road to widen, a park
to renovate, a 老旧小区 to rebuild); those the county has are offered."""


@bp.get("/projects/<county_id>")
@bp.doc(hide=True)
def projects_page(county_id: str) -> Any:
    """The county's library: list, map, form, history (its staff, reviewers, admins)."""
    _county(county_id)
    user = _page_user()
    if not isinstance(user, User):
        return user
    ensure_can_read_projects(user, county_id)
    meta = get_store().metadata(county_id)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    page = {
        "county_id": county_id,
        "api": url_for("projects.list_projects", county_id=county_id),
        "boundary": url_for("layers.get_features", county_id=county_id, layer="boundary"),
        "layers": url_for("layers.list_layers", county_id=county_id),
        "pickable": [list(p) for p in PICKABLE_LAYERS],
        "can_write": user.can_write(county_id),
        "can_review": user.can_review,
        "lang": lang,
        **_vocabulary(),
    }
    return render_template(
        "projects.html",
        lang=lang,
        county_id=county_id,
        county_name=meta.get("name", county_id),
        user=user,
        page_data=json_for_script(page),
        categories=CATEGORIES,
        statuses=STATUSES,
    )


@bp.get("/review")
@bp.doc(hide=True)
def review_page() -> Any:
    """The province's review queue (reviewers, admins)."""
    user = _page_user()
    if not isinstance(user, User):
        return user
    ensure_can_review(user)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    rows = review_queue()
    return render_template(
        "review.html",
        lang=lang,
        user=user,
        rows=rows,
        page_data=json_for_script({"lang": lang}),
    )


def problems_of(exc: GisError) -> list[dict[str, str]]:
    """The problems of an error as the API renders them."""
    return [p.as_dict() for p in exc.problems]
