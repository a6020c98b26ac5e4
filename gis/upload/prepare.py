""":func:`prepare_upload`: read, validate, and raise once or return the layer ready to store.

It runs :func:`gis.upload.readers.read_upload` (or the raster checks) and
:func:`gis.upload.layer.validate_layer` and raises one
:class:`gis.errors.ValidationError` listing every problem, or returns the
layer ready to store (EPSG:4326, workspace columns).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd

from gis.errors import ProblemCollector
from gis.upload.attributes import validate_attributes
from gis.upload.base import PreparedUpload, UploadLimits, UploadOptions, ValidationReport
from gis.upload.layer import validate_layer
from gis.upload.raster import validate_raster
from gis.upload.readers import read_upload
from gis.upload.schemas import schema_for


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def prepare_upload(
    path: str | Path,
    *,
    options: UploadOptions,
    workdir: str | Path,
    boundary: gpd.GeoDataFrame | None = None,
    limits: UploadLimits | None = None,
) -> PreparedUpload:
    """Read and validate an upload; raise once with every problem, or return it ready to store.

    Raises
    ------
    gis.errors.ValidationError
        Listing every problem (``.problems``), each in English and Chinese.
    UploadTooLargeError
        When the file is over :attr:`UploadLimits.max_file_bytes` (status 413).
    gis.errors.NotFoundError
        For an unknown layer kind.
    """
    path = Path(path)
    limits = limits or UploadLimits()
    schema = schema_for(options.kind)
    label = options.original_name or path.name
    problems = ProblemCollector()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    raw = read_upload(
        path, options=options, limits=limits, workdir=workdir / "unpacked", problems=problems
    )
    stored: gpd.GeoDataFrame | None = None
    raster: Path | None = None
    if schema.raster:
        report = ValidationReport()
        if raw.raster_path is not None:
            raster, report = validate_raster(
                raw.raster_path, options, limits, boundary, workdir, label, problems
            )
    elif raw.gdf is not None:
        stored, report = validate_layer(
            raw.gdf,
            schema,
            label=label,
            problems=problems,
            boundary=boundary,
            mapping=options.mapping,
            max_features=limits.max_features,
            outside_tolerance_m=limits.outside_tolerance_m,
            source_epsg=raw.crs.to_epsg() if raw.crs is not None and raw.crs.is_projected else None,
        )
    else:
        report = ValidationReport()
        if raw.attributes is not None:
            validate_attributes(
                raw.attributes,
                schema,
                label=label,
                problems=problems,
                mapping=options.mapping,
                report=report,
            )
    problems.raise_if_any(f"{label}: upload refused")
    report.warnings[:0] = raw.notes
    out = report.as_dict()
    out.update(
        {
            "files": raw.files,
            "crs": raw.crs.to_string() if raw.crs is not None else "",
            "crs_source": raw.crs_source,
            "encoding": raw.encoding,
        }
    )
    return PreparedUpload(
        kind=schema.kind,
        layer=schema.layer,
        original_name=label,
        sha256=file_sha256(path),
        size_bytes=path.stat().st_size,
        feature_count=report.feature_count,
        report=out,
        gdf=stored,
        raster_path=raster,
    )
