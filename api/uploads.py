"""GIS staff uploads: the page ``/upload/<county>`` and the API under ``/api/v1``.

- ``POST /api/v1/counties/<county>/layers/<layer>`` (multipart): a zipped shapefile, a
  GeoPackage or GeoJSON (a GeoTIFF for ``population``), with the optional form fields
  ``epsg``, ``coord_system`` (``gcj02`` / ``bd09``), ``layer`` (inside a GeoPackage) and the
  column mapping (``map.<column>=<source column>`` fields or ``mapping`` as JSON).
- ``GET …/layers/<layer>/versions``: the history; ``POST …/layers/<layer>/rollback``
  with ``{"version": n}``.

Every write checks the role (``api.auth``); a refused file answers 4xx with
``{"code", "message", "errors": [...]}`` listing every problem and nothing stored changes.
After a new version the indicators are recomputed and each one is returned before → after.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, File, Integer, List, String
from apiflask.validators import Range
from flask import current_app, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, pre_load

from api.auth import AuthError, User, current_user, ensure_can_write, require_writer
from api.cache import LRU
from api.common import get_store
from gis.errors import GisError, ProblemCollector, ValidationError
from gis.housekeeping import FolderLock, clean_abandoned_folders, new_upload_folder
from gis.indicators import compute_all
from gis.projects import LAYER as PROJECTS_LAYER
from gis.projects import ProjectError, merge_projects
from gis.settings import DEFAULT_SETTINGS
from gis.store import NewVersion
from gis.upload import (
    SCHEMAS,
    UploadLimits,
    UploadOptions,
    UploadTooLargeError,
    prepare_upload,
    schema_for,
)
from gis.upload.zipsafe import ZipLimits

bp = APIBlueprint("uploads", __name__, tag="Uploads")

ALLOWED_SUFFIXES = (".zip", ".gpkg", ".geojson", ".json", ".tif", ".tiff")
COORD_SYSTEMS = (
    ("", "WGS84 / CGCS2000 (默认)"),
    ("gcj02", "GCJ-02 高德/腾讯"),
    ("bd09", "BD-09 百度"),
)
MAX_VERSION = 2**31 - 1
LAYER_LABELS = {k: (s.label_zh, s.label_en) for k, s in SCHEMAS.items()}
_LIMIT_KEYS = {
    "UPLOAD_MAX_FILE_BYTES": 100 * 1024 * 1024,
    "UPLOAD_MAX_FEATURES": 200_000,
    "UPLOAD_MAX_RASTER_CELLS": 40_000_000,
    "UPLOAD_MAX_ZIP_MEMBERS": 200,
    "UPLOAD_MAX_UNZIPPED_BYTES": 500 * 1024 * 1024,
    "UPLOAD_MAX_ZIP_RATIO": 200.0,
    "UPLOAD_OUTSIDE_TOLERANCE_M": 500.0,
    "UPLOAD_MAX_GEOJSON_BYTES": 64 * 1024 * 1024,
    "UPLOAD_MAX_POPULATION_CELLS": 250_000,
}


class UploadForm(Schema):
    """The multipart form of an upload (documented; parsed by the view)."""

    file = File(
        required=True, metadata={"description": ".zip (shapefile), .gpkg, .geojson or .tif"}
    )
    epsg = String(metadata={"description": "EPSG code when the file has no CRS (e.g. 4544, 4523)"})
    coord_system = String(
        metadata={"description": "'gcj02' (Amap) or 'bd09' (Baidu) lon/lat; converted"}
    )
    layer = String(
        metadata={"description": "layer inside a GeoPackage (or shapefile name in a zip)"}
    )
    mapping = String(
        metadata={"description": 'JSON {"stored column": "your column"}; or map.<column> fields'}
    )


class RollbackIn(Schema):
    """``{"version": n}``: a whole number ≥ 0 (JSON ``true``, ``1.9``, ``"1"`` are refused)."""

    class Meta:
        unknown = EXCLUDE  # a form posted with the session cookie also carries csrf_token

    version = Integer(
        required=True,
        strict=True,
        validate=Range(min=0, max=MAX_VERSION),
        metadata={"description": "the version to make current again (0 = as ingested)"},
    )

    @pre_load
    def _form_text(self, data: Any, **_kwargs: Any) -> Any:
        """A form field is text: ``version=3`` in a form means 3 (JSON must send a number)."""
        if isinstance(data, Mapping) and not isinstance(data, dict):  # webargs' form proxy
            value = data.get("version")
            if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
                return {"version": int(value)}
            return {} if value is None else {"version": value}
        return data


class IndicatorChange(Schema):
    id = String()
    name_zh = String()
    name_en = String()
    unit = String()
    before = Dict()
    after = Dict()
    changed = String()


class VersionOut(Schema):
    county_id = String()
    layer = String()
    version = Integer()
    record = Dict()
    report = Dict()
    indicators = List(Dict())


class HistoryOut(Schema):
    county_id = String()
    layer = String()
    current = Integer(allow_none=True)
    versions = List(Dict())


@bp.record_once
def _configure(state: Any) -> None:
    app = state.app
    for key, value in _LIMIT_KEYS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("UPLOAD_RECOMPUTE", True)
    app.config.setdefault("SECURITY_SCHEMES", {"BearerAuth": {"type": "http", "scheme": "bearer"}})


def upload_limits() -> UploadLimits:
    """The configured limits (``GIS_UPLOAD_MAX_FILE_BYTES`` … in the environment)."""
    c = current_app.config
    return UploadLimits(
        max_file_bytes=int(c["UPLOAD_MAX_FILE_BYTES"]),
        max_features=int(c["UPLOAD_MAX_FEATURES"]),
        max_raster_cells=int(c["UPLOAD_MAX_RASTER_CELLS"]),
        outside_tolerance_m=float(c["UPLOAD_OUTSIDE_TOLERANCE_M"]),
        max_geojson_bytes=int(c["UPLOAD_MAX_GEOJSON_BYTES"]),
        max_population_cells=int(c["UPLOAD_MAX_POPULATION_CELLS"]),
        zip=ZipLimits(
            max_members=int(c["UPLOAD_MAX_ZIP_MEMBERS"]),
            max_total_bytes=int(c["UPLOAD_MAX_UNZIPPED_BYTES"]),
            max_ratio=float(c["UPLOAD_MAX_ZIP_RATIO"]),
        ),
    )


def _mapping_from(form: Mapping[str, str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    text = (form.get("mapping") or "").strip()
    if text:
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            msg = 'form field mapping: expected JSON like {"name": "MC"}'
            problems = ProblemCollector()
            problems.add(
                "mapping", msg, '表单字段 mapping 应为 JSON，如 {"name": "MC"}', "bad_mapping"
            )
            raise ValidationError(msg, problems.problems)
        mapping.update({str(k): v for k, v in loaded.items()})
    for key, value in form.items():
        if key.startswith("map.") and value.strip():
            mapping[key[4:]] = value.strip()
    return mapping


def _indicator_values(county_id: str) -> dict[str, dict[str, Any]]:
    """The county's indicators now (id → summary), from the workspace as stored at this moment."""
    if not current_app.config["UPLOAD_RECOMPUTE"]:
        return {}
    store = get_store()
    cache: LRU = current_app.extensions.setdefault("upload_indicators", LRU(32))

    def compute() -> dict[str, dict[str, Any]]:
        out = {}
        for result in compute_all(store.workspace(county_id).to_metric(), DEFAULT_SETTINGS):
            ind = result.to_dict()
            out[ind["id"]] = {
                k: ind.get(k)
                for k in ("name_zh", "name_en", "unit", "value", "passed", "status", "target")
            }
        return out

    return cache.get_or_compute((county_id, store.version(county_id)), compute)


def indicator_changes(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each indicator before → after, with ``changed`` true when its value or verdict moved.

    >>> indicator_changes({"a": {"value": 1.0, "passed": False, "unit": "%"}},
    ...                   {"a": {"value": 2.0, "passed": True, "unit": "%"}})[0]["changed"]
    True
    """
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        b, a = before.get(key, {}), after.get(key, {})
        rows.append(
            {
                "id": key,
                "name_zh": a.get("name_zh") or b.get("name_zh"),
                "name_en": a.get("name_en") or b.get("name_en"),
                "unit": a.get("unit") or b.get("unit"),
                "before": b.get("value"),
                "after": a.get("value"),
                "passed_before": b.get("passed"),
                "passed_after": a.get("passed"),
                "changed": b.get("value") != a.get("value") or b.get("passed") != a.get("passed"),
            }
        )
    return rows


def _save_upload(storage: Any, limits: UploadLimits) -> tuple[Path, FolderLock, str]:
    """Save the uploaded file under the instance folder; return (folder, its lock, file name).

    The folder is created with its in-use lock held, so no other worker's cleaning removes it.
    """
    original = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    suffix = next((s for s in ALLOWED_SUFFIXES if original.lower().endswith(s)), "")
    base = Path(
        current_app.config.get("UPLOAD_TMP_DIR") or Path(current_app.instance_path) / "uploads"
    )
    base.mkdir(parents=True, exist_ok=True)
    clean_abandoned_folders(base, max_age_s=float(current_app.config["UPLOAD_TMP_MAX_AGE_S"]))
    folder, in_use = new_upload_folder(base, prefix=f"{uuid.uuid4().hex[:8]}-")
    try:
        target = folder / f"upload{suffix or '.bin'}"
        with target.open("wb") as out:
            copied = 0
            while chunk := storage.stream.read(1 << 20):
                copied += len(chunk)
                if copied > limits.max_file_bytes:
                    break
                out.write(chunk)
        if copied > limits.max_file_bytes:  # let the reader report it (413) with the file name
            with target.open("ab") as out:
                out.truncate(limits.max_file_bytes + 1)
    except BaseException:  # a broken request: no folder or lock left behind
        in_use.release()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, in_use, original


def perform_upload(county_id: str, kind: str, user: User) -> dict[str, Any]:
    """Validate, store and recompute one upload; return the response document."""
    try:
        return _perform_upload(county_id, kind, user)
    finally:
        for storage in request.files.values():  # werkzeug spools big files to temporary files
            storage.close()


def _perform_upload(county_id: str, kind: str, user: User) -> dict[str, Any]:
    store = get_store()
    store.location(county_id)
    schema_for(kind)
    ensure_can_write(user, county_id)
    limits = upload_limits()
    if request.content_length and request.content_length > limits.max_file_bytes + (1 << 20):
        msg = (
            f"the upload is {request.content_length:,} bytes, "
            f"more than the limit of {limits.max_file_bytes:,}"
        )
        raise UploadTooLargeError(msg)
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        problems = ProblemCollector()
        problems.add(
            "file",
            "no file: send the layer in the multipart field 'file'",
            "没有文件：请在 multipart 字段 file 中上传图层",
            "no_file",
        )
        problems.raise_if_any("upload refused")
    mapping = _mapping_from(request.form)
    folder, in_use, original = _save_upload(storage, limits)  # locked: never cleaned meanwhile
    try:
        options = UploadOptions(
            kind=kind,
            original_name=original,
            declared_crs=request.form.get("epsg", "").strip(),
            coord_system=request.form.get("coord_system", "").strip(),
            source_layer=request.form.get("layer", "").strip(),
            mapping=mapping,
        )
        upload_file = next(p for p in folder.iterdir() if p.name.startswith("upload"))
        prepared = prepare_upload(
            upload_file,
            options=options,
            workdir=folder / "work",
            boundary=store.backend.read_layer(county_id, "boundary"),
            limits=limits,
        )
        before = _indicator_values(county_id)
        gdf, report = prepared.gdf, prepared.report
        if prepared.layer == PROJECTS_LAYER and gdf is not None:  # merged by project id, as drafts
            gdf, report = _merged_projects(county_id, gdf, report, user, prepared.original_name)
        record = store.backend.commit_version(
            county_id,
            NewVersion(
                layer=prepared.layer,
                user=user.name,
                original_name=prepared.original_name,
                sha256=prepared.sha256,
                feature_count=len(gdf) if gdf is not None else prepared.feature_count,
                report=report,
                gdf=gdf,
                raster_path=prepared.raster_path,
            ),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        in_use.release()
    after = _indicator_values(county_id)
    return {
        "county_id": county_id,
        "layer": prepared.layer,
        "version": record.version,
        "record": record.to_dict(),
        "report": prepared.report,
        "indicators": indicator_changes(before, after),
    }


def _merged_projects(
    county_id: str, incoming: Any, report: dict[str, Any], user: User, original_name: str
) -> tuple[Any, dict[str, Any]]:
    """An upload of the projects kind merges into the library like a register import.

    Projects keep their review status unless the upload changes them (then they are drafts),
    so no upload publishes a project or withdraws one silently.
    """
    from api.projects import read_library

    change = merge_projects(
        read_library(county_id),
        incoming,
        user=user.name,
        now=datetime.now(UTC).isoformat(timespec="seconds"),
        label=original_name,
    )
    return change.frame, {**report, **change.report()}


def perform_rollback(county_id: str, kind: str, version: Any, user: User) -> dict[str, Any]:
    """Roll ``kind`` back to ``version`` (a new version copying it); recompute."""
    store = get_store()
    store.location(county_id)
    schema = schema_for(kind)
    ensure_can_write(user, county_id)
    number = -1
    if isinstance(version, int) and not isinstance(version, bool):
        number = version
    elif isinstance(version, str) and version.isascii() and version.strip().isdigit():
        number = int(version)  # the page's form field
    if not 0 <= number <= MAX_VERSION:
        problems = ProblemCollector()
        problems.add(
            "version",
            f"version: expected a version number ≥ 0, got {version!r}",
            f"version 应为不小于 0 的版本号，收到 {version!r}",
            "bad_version",
        )
        problems.raise_if_any("rollback refused")
    if schema.layer == PROJECTS_LAYER:
        msg = (
            "项目库不能整体回退：请在项目库页面编辑或删除项目 | the project library "
            "is not rolled back as a layer (it would restore review decisions); edit or delete "
            "projects on the project library page instead"
        )
        raise ProjectError(msg)
    before = _indicator_values(county_id)
    record = store.backend.rollback(county_id, schema.layer, number, user=user.name)
    after = _indicator_values(county_id)
    return {
        "county_id": county_id,
        "layer": schema.layer,
        "version": record.version,
        "record": record.to_dict(),
        "report": record.report,
        "indicators": indicator_changes(before, after),
    }


def layer_history(county_id: str, kind: str) -> dict[str, Any]:
    """The versions of one layer."""
    store = get_store()
    store.location(county_id)
    schema = schema_for(kind)
    return {
        "county_id": county_id,
        "layer": schema.layer,
        "current": store.backend.current_version(county_id, schema.layer),
        "versions": [r.to_dict() for r in store.backend.history(county_id, schema.layer)],
    }


# --- API ----------------------------------------------------------------------------------------


@bp.post("/api/v1/counties/<county_id>/layers/<layer>")
@require_writer()
@bp.input(UploadForm, location="form_and_files", validation=False)
@bp.output(VersionOut, status_code=201)
@bp.doc(
    summary="Upload a new version of a layer (staff)",
    description="Multipart upload of a zipped shapefile, GeoPackage or GeoJSON (GeoTIFF for "
    "`population`). Every problem is reported at once (400 with `errors`, each naming the file, "
    "the problem and the fix in English and Chinese); 413 over the size limit; nothing stored "
    "changes unless the upload is accepted. Answers the new version, the validation report and "
    "each indicator before → after. Needs a staff account for the county (Bearer token, or the "
    "session cookie plus the `X-CSRF-Token` header).",
    responses={
        400: "Validation failed",
        401: "Not signed in",
        403: "Not allowed for this county",
        404: "Unknown county or layer kind",
        413: "File too large",
    },
    security="BearerAuth",
)
def upload_layer(county_id: str, layer: str, **_ignored: Any) -> Any:
    return perform_upload(county_id, layer, current_user()), 201


@bp.get("/api/v1/counties/<county_id>/layers/<layer>/versions")
@require_writer()
@bp.output(HistoryOut)
@bp.doc(
    summary="Versions of a layer (staff)",
    description="Who uploaded what and when, with "
    "each version's validation report; `current` marks the version in use.",
    responses={
        401: "Not signed in",
        403: "Not allowed for this county",
        404: "Unknown county or layer",
    },
    security="BearerAuth",
)
def layer_versions(county_id: str, layer: str) -> Any:
    return layer_history(county_id, layer)


@bp.post("/api/v1/counties/<county_id>/layers/<layer>/rollback")
@require_writer()
@bp.input(RollbackIn, location="json_or_form", arg_name="body")
@bp.output(VersionOut, status_code=201)
@bp.doc(
    summary="Roll a layer back (staff)",
    description="Makes a copy of an earlier version the new "
    "current version (the history stays linear) and recomputes the indicators.",
    responses={
        400: "Bad body: `version` must be a whole number ≥ 0",
        401: "Not signed in",
        403: "Not allowed",
        404: "No such version",
    },
    security="BearerAuth",
)
def rollback_layer(county_id: str, layer: str, body: dict[str, Any]) -> Any:
    return perform_rollback(county_id, layer, body["version"], current_user()), 201


# --- page ---------------------------------------------------------------------------------------


def _page(
    county_id: str,
    *,
    status: int = 200,
    result: dict[str, Any] | None = None,
    error: GisError | None = None,
    kind: str = "",
) -> Any:
    store = get_store()
    meta = store.metadata(county_id)
    histories = {k: store.backend.history(county_id, s.layer) for k, s in SCHEMAS.items()}
    html = render_template(
        "upload.html",
        county_id=county_id,
        county_name=meta.get("name", county_id),
        schemas=SCHEMAS,
        coord_systems=COORD_SYSTEMS,
        histories=histories,
        result=result,
        error=error,
        problems=[p.as_dict() for p in error.problems] if error else [],
        kind=kind or "parks",
        limits=upload_limits(),
        user=current_user(),
        lang=request.args.get("lang", "zh"),
    )
    return html, status


def _page_user(county_id: str) -> User | Any:
    user = current_user()
    if not user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    ensure_can_write(user, county_id)
    return user


@bp.route("/upload/<county_id>", methods=["GET", "POST"])
@bp.doc(hide=True)
def upload_page(county_id: str) -> Any:
    """The upload page: form, problems of a refused file, indicators before → after, history."""
    get_store().location(county_id)
    user = _page_user(county_id)
    if not isinstance(user, User):
        return user
    if request.method == "GET":
        return _page(county_id, kind=request.args.get("layer", ""))
    kind = request.form.get("kind", "")
    action = request.form.get("action", "upload")
    try:
        if action == "rollback":
            result = perform_rollback(county_id, kind, request.form.get("version"), user)
        else:
            result = perform_upload(county_id, kind, user)
    except (AuthError, GisError) as exc:
        if exc.status in (401, 403):
            raise
        return _page(county_id, status=exc.status, error=exc, kind=kind)
    return _page(county_id, status=201, result=result, kind=kind)
