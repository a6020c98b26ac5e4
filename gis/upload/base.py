"""Shared types of the upload package: limits, options, the raw read, the prepared layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from gis.errors import (
    GisError,
    without_paths,
)
from gis.upload.messages import notice
from gis.upload.zipsafe import ZipLimits

MAX_EXAMPLES = 5
# A hostile file can make GDAL or pyogrio fail in any way (pyogrio raises UnboundLocalError on an
# undecodable .prj, for one); every failure of the third-party reader is a refusal of the file.
READ_ERRORS: tuple[type[BaseException], ...] = (Exception,)


class UploadTooLargeError(GisError):
    """The uploaded file is over the configured size limit."""

    status = 413
    code = "file_too_large"


@dataclass(frozen=True)
class UploadLimits:
    """Configured limits of one upload (all sizes in bytes)."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_features: int = 200_000
    max_raster_cells: int = 40_000_000
    outside_tolerance_m: float = 500.0
    max_geojson_bytes: int = 64 * 1024 * 1024
    max_population_cells: int = 250_000
    zip: ZipLimits = field(default_factory=ZipLimits)


@dataclass(frozen=True)
class UploadOptions:
    """What the uploader told us besides the file.

    Attributes
    ----------
    kind : layer kind, a key of :data:`gis.upload.schemas.SCHEMAS`.
    original_name : the file name on the uploader's computer (for messages and history).
    declared_crs : EPSG code or name typed by the uploader ('' = use the file's).
    coord_system : '' / 'wgs84', 'gcj02' (Amap) or 'bd09' (Baidu); only then converted.
    source_layer : the layer to take from a GeoPackage (or shapefile stem in a zip).
    mapping : stored column → source column.
    """

    kind: str
    original_name: str = ""
    declared_crs: str = ""
    coord_system: str = ""
    source_layer: str = ""
    mapping: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RawUpload:
    """What :func:`read_upload` found."""

    gdf: gpd.GeoDataFrame | None = None
    attributes: pd.DataFrame | None = None
    raster_path: Path | None = None
    crs: CRS | None = None
    crs_source: str = ""
    encoding: str = ""
    files: list[str] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)

    def note(self, source: str, key: str, /, **values: Any) -> None:
        """Record a warning that does not refuse the upload (texts: catalogue ``key``)."""
        self.notes.append(notice(source, key, **values))


@dataclass
class PreparedUpload:
    """A validated upload, ready for :func:`gis.store.commit_layer`."""

    kind: str
    layer: str
    original_name: str
    sha256: str
    size_bytes: int
    feature_count: int
    report: dict[str, Any]
    gdf: gpd.GeoDataFrame | None = None
    raster_path: Path | None = None


@dataclass
class ValidationReport:
    """What validation found that did not stop the upload (warnings) and what it did."""

    feature_count: int = 0
    repaired_geometries: int = 0
    warnings: list[dict[str, str]] = field(default_factory=list)
    column_mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def warn(self, source: str, key: str, /, **values: Any) -> None:
        """Record one warning (texts: catalogue ``key``)."""
        self.warnings.append(notice(source, key, **values))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "feature_count": self.feature_count,
            "repaired_geometries": self.repaired_geometries,
            "warnings": list(self.warnings),
            "column_mapping": dict(self.column_mapping),
            "ignored_columns": list(self.ignored_columns),
            **self.extra,
        }


def brief(exc: BaseException) -> str:
    """The first line of a reader's error, with the server's folders cut from any path."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return without_paths(text)[:160]
