"""Reading uploaded vector files: the only reader of what GIS staff upload.

:func:`read_upload` opens a zipped shapefile, a GeoPackage (one chosen
layer) or a GeoJSON file; it records every problem it finds (missing
shapefile members, no or unreadable CRS, undecodable text, unsafe archives,
files over the header limits) instead of stopping at the first.  The
shapefile's text is read as raw bytes and decoded column by column
(:class:`_DbfText`, :mod:`gis.encoding`).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from gis.chinacrs import parse_prj
from gis.encoding import (
    DBF_NAME_BYTES,
    EncodingChoice,
    choose_dbf_encoding,
    dbf_fields,
    decode_dbf_text,
)
from gis.errors import (
    ProblemCollector,
    ValidationError,
)
from gis.upload.base import (
    READ_ERRORS,
    RawUpload,
    UploadLimits,
    UploadOptions,
    UploadTooLargeError,
    brief,
)
from gis.upload.geometry import apply_crs, crs_from_file
from gis.upload.messages import add_problem, listing
from gis.upload.schemas import LayerSchema, schema_for
from gis.upload.zipsafe import extract_zip, inspect_zip

VECTOR_SUFFIXES = (".zip", ".gpkg", ".geojson", ".json")
RASTER_SUFFIXES = (".tif", ".tiff")
SHAPEFILE_REQUIRED = (".shp", ".shx", ".dbf")
_GDAL_CONFIG_LOCK = threading.Lock()
# Read shapefile text as Latin-1: one character per byte, decoded per column by _DbfText.
_RAW_TEXT = "ISO-8859-1"
_CODEC_NAMES = {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GBK (GB18030)", "big5": "Big5"}
_MAGIC = {
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".gpkg": (b"SQLite format 3\x00",),
    ".tif": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
}


def _suffix(name: str) -> str:
    lower = name.lower()
    for suffix in (
        *VECTOR_SUFFIXES,
        *RASTER_SUFFIXES,
        ".shp",
        ".dbf",
        ".shx",
        ".kml",
        ".csv",
        ".rar",
        ".7z",
    ):
        if lower.endswith(suffix):
            return ".tif" if suffix == ".tiff" else suffix
    return Path(lower).suffix


def _quiet_read(path: Path, **kwargs: Any) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(path, **kwargs)


def read_upload(
    path: str | Path,
    *,
    options: UploadOptions,
    limits: UploadLimits,
    workdir: str | Path,
    problems: ProblemCollector,
) -> RawUpload:
    """Read an uploaded file into a GeoDataFrame (or a raster path), recording every problem.

    Parameters
    ----------
    path : the saved upload.
    options : kind, original name, declared CRS, coordinate system, layer, column mapping.
    limits : size and count limits.
    workdir : an empty private folder where archives are unpacked.
    problems : where problems are recorded; nothing is raised for a bad file.

    Returns
    -------
    RawUpload
        ``gdf`` in its source CRS (GCJ-02/BD-09 already converted to WGS84
        when declared) or ``None`` when the file could not be read.
    """
    path = Path(path)
    label = options.original_name or path.name
    raw = RawUpload()
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        add_problem(
            problems, label, "file_too_large", label=label, size=size, limit=limits.max_file_bytes
        )
        raise UploadTooLargeError(problems.problems[-1].message_en, problems.problems)
    suffix = _suffix(label)
    schema = schema_for(options.kind)
    if not _format_allowed(suffix, schema, label, problems) or not _magic_ok(
        path, suffix, label, problems
    ):
        return raw
    if suffix == ".tif":
        raw.raster_path = path
        raw.files = [label]
        return raw
    if suffix == ".zip":
        _read_zip(path, options, limits, Path(workdir), label, raw, problems)
    elif suffix == ".gpkg":
        _read_gpkg(path, options, label, raw, problems, limits)
    else:
        _read_geojson(path, label, raw, problems, limits)
    if raw.gdf is not None:
        apply_crs(raw, options, label, problems)
    return raw


# --- limits read from headers, before any reader runs ------------------------------------------
_FEATURE_RE = re.compile(rb'"type"\s*:\s*"Feature"')
_JSON_LOAD_MAX_BYTES = 16 * 1024 * 1024  # above this, GeoJSON syntax is left to the reader


def _too_many_features(
    label: str, count: int, limits: UploadLimits, problems: ProblemCollector
) -> bool:
    """Record ``too_many_features`` when ``count`` is over the limit; True when it is."""
    if count <= limits.max_features:
        return False
    add_problem(
        problems, label, "too_many_features", label=label, count=count, limit=limits.max_features
    )
    return True


def shapefile_record_count(present: Mapping[str, Path]) -> int | None:
    """Records of a shapefile from its headers, without reading a record.

    The larger of ``(size - 100) / 8`` of the .shx and the .dbf header's record count;
    ``None`` without either.
    """
    counts = []
    if ".shx" in present:
        counts.append(max(0, (present[".shx"].stat().st_size - 100) // 8))
    if ".dbf" in present:
        with present[".dbf"].open("rb") as f:
            head = f.read(8)
        if len(head) == 8:
            counts.append(int.from_bytes(head[4:8], "little"))
    return max(counts) if counts else None


def geojson_feature_count(path: Path, *, stop_after: int | None = None) -> int:
    """Features of a GeoJSON file counted by streaming its bytes (``"type": "Feature"``).

    An upper bound read in 1 MB blocks with constant memory; counting stops past ``stop_after``.
    """
    count = 0
    tail = b""
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            data = tail + block
            matches = list(_FEATURE_RE.finditer(data))
            # a match ending in the kept tail was counted with the previous block
            count += sum(1 for m in matches if m.end() > len(tail))
            tail = data[-64:]
            if stop_after is not None and count > stop_after:
                break
    return count


def _format_allowed(
    suffix: str, schema: LayerSchema, label: str, problems: ProblemCollector
) -> bool:
    allowed = RASTER_SUFFIXES if schema.raster else VECTOR_SUFFIXES
    if suffix in allowed or (schema.raster and suffix == ".tif"):
        return True
    if suffix in (".shp", ".dbf", ".shx"):
        add_problem(problems, label, "unsupported_format.shapefile_member", label=label)
    elif schema.raster:
        add_problem(problems, label, "unsupported_format.raster", label=label)
    elif suffix:
        add_problem(
            problems,
            label,
            "unsupported_format.vector",
            label=label,
            suffix=suffix,
            layer=schema.label,
        )
    else:
        add_problem(
            problems, label, "unsupported_format.no_extension", label=label, layer=schema.label
        )
    return False


def _magic_ok(path: Path, suffix: str, label: str, problems: ProblemCollector) -> bool:
    with path.open("rb") as f:
        head = f.read(64)
    expected = _MAGIC.get(suffix)
    if expected is not None:
        ok = any(head.startswith(m) for m in expected)
    else:  # GeoJSON: text starting with '{'
        ok = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    if not ok:
        add_problem(problems, label, "bad_file", label=label, suffix=suffix)
    return ok


def _read_zip(
    path: Path,
    options: UploadOptions,
    limits: UploadLimits,
    workdir: Path,
    label: str,
    raw: RawUpload,
    problems: ProblemCollector,
) -> None:
    members = inspect_zip(path, limits=limits.zip, label=label, problems=problems)
    for member in members:  # declared sizes, from the central directory
        name = member.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if _suffix(name) in (".geojson", ".json") and member.file_size > limits.max_geojson_bytes:
            add_problem(
                problems,
                f"{label}/{name}",
                "geojson_too_large.member",
                label=label,
                name=name,
                size=member.file_size,
                limit=limits.max_geojson_bytes,
            )
    if problems.problems:
        return  # never extract an archive with a problem
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        files = extract_zip(path, workdir, members, label=label)
    except ValidationError as exc:
        problems.problems.extend(exc.problems)
        return
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        RuntimeError,
        ValueError,
        NotImplementedError,
        zlib.error,
    ) as exc:
        add_problem(problems, label, "zip_corrupt.damaged", label=label, error=type(exc).__name__)
        return
    raw.files = sorted(f.name for f in files)
    by_suffix: dict[str, list[Path]] = {}
    for f in files:
        by_suffix.setdefault(_suffix(f.name), []).append(f)
    shps = sorted(
        {f.stem for f in files if _suffix(f.name) in SHAPEFILE_REQUIRED + (".prj", ".cpg")}
    )
    if (
        by_suffix.get(".shp")
        or len(shps) >= 1
        and not (by_suffix.get(".gpkg") or by_suffix.get(".geojson") or by_suffix.get(".json"))
    ):
        _read_zipped_shapefile(workdir, shps, options, label, raw, problems, limits)
        return
    inner = by_suffix.get(".gpkg", []) + by_suffix.get(".geojson", []) + by_suffix.get(".json", [])
    if len(inner) != 1:
        add_problem(problems, label, "no_layer_in_zip", label=label, files=raw.files)
        return
    inner_label = f"{label}/{inner[0].name}"
    if _suffix(inner[0].name) == ".gpkg":
        if _magic_ok(inner[0], ".gpkg", inner_label, problems):
            _read_gpkg(inner[0], options, inner_label, raw, problems, limits)
    elif _magic_ok(inner[0], ".geojson", inner_label, problems):
        _read_geojson(inner[0], inner_label, raw, problems, limits)


def _read_zipped_shapefile(
    folder: Path,
    stems: list[str],
    options: UploadOptions,
    label: str,
    raw: RawUpload,
    problems: ProblemCollector,
    limits: UploadLimits,
) -> None:
    if len(stems) > 1:
        if options.source_layer in stems:
            stems = [options.source_layer]
        else:
            add_problem(problems, label, "several_layers", label=label, stems=listing(stems))
            return
    stem = stems[0]
    present = {_suffix(p.name): p for p in folder.iterdir() if p.stem == stem}
    missing = [s for s in SHAPEFILE_REQUIRED if s not in present]
    for s in missing:
        add_problem(problems, f"{label}/{stem}{s}", "missing_member", label=label, stem=stem, s=s)
    _shapefile_crs(present, stem, options, label, raw, problems)
    if _too_many_features(label, shapefile_record_count(present) or 0, limits, problems):
        return  # refused from the headers: neither the attributes nor the shapes are read
    text = _DbfText(EncodingChoice("utf-8", "ascii"), b"", label, stem)
    if ".dbf" in present:
        dbf = present[".dbf"].read_bytes()
        text = _DbfText(
            _shapefile_encoding(present, dbf, stem, label, raw, problems), dbf, label, stem
        )
    if ".shp" in missing or ".dbf" in missing:
        if ".dbf" in present:  # still check the attributes, so every problem is reported at once
            _read_attributes_only(present[".dbf"], text, raw)
        return
    if ".prj" in present:  # parsed above; GDAL need not read it again (it stumbles on bad bytes)
        present[".prj"].rename(present[".prj"].with_suffix(".prj-parsed"))
    try:
        raw.gdf = _read_shapefile(present[".shp"], restore_shx=".shx" in missing)
    except READ_ERRORS as exc:
        add_problem(
            problems, label, "unreadable.shapefile", label=label, stem=stem, detail=brief(exc)
        )
        return
    raw.gdf = text.decode(raw.gdf, raw)
    if raw.gdf is not None and raw.crs is not None:
        raw.gdf = raw.gdf.set_crs(raw.crs, allow_override=True)


def _read_shapefile(shp: Path, *, restore_shx: bool) -> gpd.GeoDataFrame:
    """Read a shapefile, its text as raw bytes.

    :class:`_DbfText` decodes the text column by column; a missing .shx is rebuilt (in the
    private unpack folder) to check the rest.
    """
    if not restore_shx:
        return _quiet_read(shp, encoding=_RAW_TEXT)
    with _GDAL_CONFIG_LOCK:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": True})
        try:
            return _quiet_read(shp, encoding=_RAW_TEXT)
        finally:
            pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})


def _read_attributes_only(dbf: Path, text: _DbfText, raw: RawUpload) -> None:
    alone = dbf.parent / "dbf-only"
    alone.mkdir(exist_ok=True)
    shutil.copyfile(dbf, alone / dbf.name)
    try:
        table = pd.DataFrame(_quiet_read(alone / dbf.name, encoding=_RAW_TEXT, read_geometry=False))
    except READ_ERRORS:
        raw.attributes = None
        return
    raw.attributes = text.decode(table, raw)


class _DbfText:
    """Decodes a shapefile read with :data:`_RAW_TEXT`: names and values column by column.

    GDAL hands over every byte as one Latin-1 character, so ``str.encode("latin-1")`` gives
    the .dbf's bytes back.  Each column is decoded with the file's codec (or its own, when
    :func:`gis.encoding.choose_dbf_encoding` found it in another encoding); a character cut by
    the 10-byte name limit or the field width is dropped, and each such column is named in a
    warning.
    """

    def __init__(self, choice: EncodingChoice, dbf: bytes, label: str, stem: str) -> None:
        self.codec = choice.codec or "latin-1"
        self.own = dict(choice.column_codecs)
        self.cpg_text = choice.cpg_text
        self.fields = {f.name: f for f in dbf_fields(dbf)}
        self.label, self.stem = label, stem

    def _decode(self, value: bytes, codec: str, *, full: bool) -> tuple[str, bool]:
        try:
            return decode_dbf_text(value, codec, full=full)
        except (UnicodeDecodeError, LookupError):
            return value.decode(codec, errors="replace"), False  # a refused file: read on

    def _decode_name(self, name_bytes: bytes, codec: str) -> tuple[str, int]:
        """A field name and the number of broken bytes dropped from its end.

        Decoded in the file's codec, else in its column's (a name may be in either).
        """
        full = len(name_bytes) >= DBF_NAME_BYTES
        for candidate in dict.fromkeys((self.codec, codec)):
            try:
                name, cut = decode_dbf_text(name_bytes, candidate, full=full)
            except (UnicodeDecodeError, LookupError):
                continue
            return name, len(name_bytes) - len(name.encode(candidate)) if cut else 0
        return self._decode(name_bytes, codec, full=full)[0], 0

    def decode(self, table: Any, raw: RawUpload) -> Any:
        """``table`` with decoded column names and text values; warnings recorded in ``raw``."""
        renamed: dict[str, str] = {}
        for column in list(table.columns):
            if column == getattr(table, "_geometry_column_name", None):
                continue
            name_bytes = str(column).encode("latin-1", errors="replace")
            field = self.fields.get(name_bytes)
            codec = self.own.get(name_bytes, self.codec)
            name, dropped = self._decode_name(name_bytes, codec)
            while name in renamed.values() or (name != column and name in table.columns):
                name += "_"
            renamed[column] = name
            if dropped:
                self._warn_name_cut(name, dropped, raw)
            if field is None or field.type == "C":
                width = field.width if field is not None else 1 << 20  # unknown: no cut
                table[column] = self._decode_values(table[column], name, width, codec, raw)
            if name_bytes in self.own:
                self._warn_column_codec(name, codec, raw)
        return table.rename(columns=renamed)

    def _decode_values(
        self, values: pd.Series, name: str, width: int, codec: str, raw: RawUpload
    ) -> pd.Series:
        out: list[Any] = []
        cut_rows: list[int] = []
        for row, value in enumerate(values.tolist()):
            if not isinstance(value, str):
                out.append(value)
                continue
            data = value.encode("latin-1", errors="replace")
            text, cut = self._decode(data, codec, full=len(data) >= width)
            out.append(text)
            if cut:
                cut_rows.append(row + 1)
        if cut_rows:
            self._warn_values_cut(name, width, cut_rows, raw)
        return pd.Series(out, index=values.index, dtype=values.dtype)

    def _warn_name_cut(self, name: str, dropped: int, raw: RawUpload) -> None:
        raw.note(
            f"{self.label}: column {name}",
            "dbf_name_cut",
            label=self.label,
            name=name,
            stem=self.stem,
            limit=DBF_NAME_BYTES,
            dropped=dropped,
        )

    def _warn_values_cut(self, name: str, width: int, rows: list[int], raw: RawUpload) -> None:
        shown = ", ".join(str(r) for r in rows[:5])
        raw.note(
            f"{self.label}: column {name}",
            "dbf_value_cut",
            label=self.label,
            count=len(rows),
            name=name,
            width=width,
            shown=shown,
        )

    def _warn_column_codec(self, name: str, codec: str, raw: RawUpload) -> None:
        found = _CODEC_NAMES.get(codec, codec)
        said = self.cpg_text or _CODEC_NAMES.get(self.codec, self.codec)
        key = "column_encoding.cpg" if self.cpg_text else "column_encoding.other_columns"
        values = {
            "label": self.label,
            "name": name,
            "stem": self.stem,
            "found": found,
            "said": said,
        }
        raw.note(f"{self.label}: column {name}", key, **values)


def _shapefile_crs(
    present: dict[str, Path],
    stem: str,
    options: UploadOptions,
    label: str,
    raw: RawUpload,
    problems: ProblemCollector,
) -> None:
    prj_crs = None
    if ".prj" in present:
        text = present[".prj"].read_bytes()[:20_000].decode("utf-8", errors="replace")
        prj_crs = parse_prj(text)
        if prj_crs is None and not options.declared_crs:
            add_problem(problems, f"{label}/{stem}.prj", "unknown_crs.prj", label=label, stem=stem)
    elif not options.declared_crs:
        add_problem(problems, f"{label}/{stem}.prj", "no_crs.shapefile", label=label, stem=stem)
    raw.crs, raw.crs_source = prj_crs, "prj" if prj_crs is not None else ""


def _shapefile_encoding(
    present: dict[str, Path],
    dbf: bytes,
    stem: str,
    label: str,
    raw: RawUpload,
    problems: ProblemCollector,
) -> EncodingChoice:
    cpg_text = (
        present[".cpg"].read_bytes()[:200].decode("ascii", errors="replace")
        if ".cpg" in present
        else None
    )
    choice = choose_dbf_encoding(dbf, cpg_text)
    if choice.problem == "cpg_mismatch":
        found = {"gb18030": "GBK", "gbk": "GBK", "utf-8": "UTF-8"}.get(
            choice.codec or "", "neither UTF-8 nor GBK"
        )
        add_problem(
            problems,
            f"{label}/{stem}.cpg",
            "encoding_mismatch",
            label=label,
            stem=stem,
            cpg_text=choice.cpg_text,
            found=found,
        )
    elif choice.problem == "cpg_unknown":
        add_problem(
            problems,
            f"{label}/{stem}.cpg",
            "encoding_unknown",
            label=label,
            stem=stem,
            cpg_text=choice.cpg_text,
        )
    elif choice.problem == "undecodable":
        add_problem(problems, f"{label}/{stem}.dbf", "encoding_undetected", label=label, stem=stem)
    if not choice.problem:  # else read on to find the other problems; the upload is refused
        raw.encoding = f"{choice.codec} ({choice.how})"
    return choice


def _read_gpkg(
    path: Path,
    options: UploadOptions,
    label: str,
    raw: RawUpload,
    problems: ProblemCollector,
    limits: UploadLimits,
) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
    except READ_ERRORS as exc:
        add_problem(problems, label, "unreadable.gpkg", label=label, detail=brief(exc))
        return
    spatial = [n for n, t in layers if t not in ("None", "")]
    names = [n for n, _ in layers]
    if options.source_layer:
        if options.source_layer not in names:
            add_problem(
                problems,
                label,
                "layer_not_found",
                label=label,
                source_layer=options.source_layer,
                spatial=spatial,
            )
            return
        chosen = options.source_layer
    elif len(spatial) == 1:
        chosen = spatial[0]
    else:
        add_problem(
            problems, label, "choose_layer", label=label, count=len(spatial), spatial=spatial
        )
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            count = int(pyogrio.read_info(path, layer=chosen)["features"])
    except READ_ERRORS:
        count = -1  # unknown: the reader reports the problem
    if _too_many_features(label, count, limits, problems):
        return
    try:
        raw.gdf = _quiet_read(path, layer=chosen)
    except READ_ERRORS as exc:
        add_problem(
            problems, label, "unreadable.gpkg_layer", label=label, chosen=chosen, detail=brief(exc)
        )
        return
    raw.files = [f"{label}:{chosen}"]
    crs_from_file(raw, options, label, problems)


def _read_geojson(
    path: Path, label: str, raw: RawUpload, problems: ProblemCollector, limits: UploadLimits
) -> None:
    size = path.stat().st_size
    if size > limits.max_geojson_bytes:
        add_problem(
            problems,
            label,
            "geojson_too_large.file",
            label=label,
            size=size,
            limit=limits.max_geojson_bytes,
        )
        return
    count = geojson_feature_count(path, stop_after=limits.max_features)
    if _too_many_features(label, count, limits, problems):
        return
    try:
        if size <= _JSON_LOAD_MAX_BYTES:
            with path.open("rb") as f:
                json.load(f)
        else:  # parsing it twice would double the memory: catch a cut-off file cheaply
            _check_json_end(path)
    except (ValueError, UnicodeError, RecursionError) as exc:
        add_problem(problems, label, "bad_json", label=label, detail=brief(exc))
        return
    try:
        raw.gdf = _quiet_read(path)
    except READ_ERRORS as exc:
        add_problem(problems, label, "unreadable.geojson", label=label, detail=brief(exc))
        return
    raw.files = [label]
    raw.crs, raw.crs_source = (
        raw.gdf.crs,
        "file",
    )  # RFC 7946: WGS84 unless a crs member says otherwise


def _check_json_end(path: Path) -> None:
    """Raise ``ValueError`` when the file does not end with ``}`` (a cut-off download)."""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 256))
        end = f.read().rstrip(b" \t\r\n\x00")
    if not end.endswith(b"}"):
        msg = "the text ends before the closing brace (the file is cut off)"
        raise ValueError(msg)
