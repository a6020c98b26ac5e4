"""Uploads: reading, checking and preparing the files GIS staff upload.

=================  ==========================================================
``schemas``        layer kinds, :class:`LayerSchema`, :data:`SCHEMAS`, aliases
``readers``        zip / shapefile / GeoPackage / GeoJSON reading, header limits, DBF text
``zipsafe``        zip checks before extraction, bounded extraction
``columns``        column mapping, cut-name prefix matching
``attributes``     value parsers and attribute checks
``geometry``       CRS and geometry checks and repair
``layer``          :func:`validate_layer`: one layer against its schema
``raster``         population GeoTIFF checks, windowed reading
``prepare``        :func:`prepare_upload`: read, validate, raise once
``base``           limits, options and the shared result types
``messages``       the catalogue: every problem text by key, one module per language
=================  ==========================================================
"""

from gis.upload.attributes import (
    DISCLOSURE_TYPES,
    parse_bool,
    parse_date,
    parse_disclosure_type,
    parse_number,
    parse_pct,
    parse_road_class,
    validate_attributes,
)
from gis.upload.base import (
    PreparedUpload,
    RawUpload,
    UploadLimits,
    UploadOptions,
    UploadTooLargeError,
    ValidationReport,
)
from gis.upload.columns import prefix_alias, resolve_columns
from gis.upload.layer import validate_layer
from gis.upload.prepare import file_sha256, prepare_upload
from gis.upload.raster import MAX_PERSONS_PER_CELL
from gis.upload.readers import (
    RASTER_SUFFIXES,
    SHAPEFILE_REQUIRED,
    VECTOR_SUFFIXES,
    geojson_feature_count,
    read_upload,
    shapefile_record_count,
)
from gis.upload.schemas import (
    LINES,
    POINTS,
    POLYGONS,
    SCHEMAS,
    STORAGE_EPSG,
    Column,
    LayerSchema,
    schema_for,
)

__all__ = [
    "DISCLOSURE_TYPES",
    "LINES",
    "MAX_PERSONS_PER_CELL",
    "POINTS",
    "POLYGONS",
    "RASTER_SUFFIXES",
    "SCHEMAS",
    "SHAPEFILE_REQUIRED",
    "STORAGE_EPSG",
    "VECTOR_SUFFIXES",
    "Column",
    "LayerSchema",
    "PreparedUpload",
    "RawUpload",
    "UploadLimits",
    "UploadOptions",
    "UploadTooLargeError",
    "ValidationReport",
    "file_sha256",
    "prepare_upload",
    "geojson_feature_count",
    "parse_bool",
    "parse_date",
    "parse_disclosure_type",
    "parse_number",
    "parse_pct",
    "parse_road_class",
    "prefix_alias",
    "read_upload",
    "resolve_columns",
    "schema_for",
    "shapefile_record_count",
    "validate_attributes",
    "validate_layer",
]
