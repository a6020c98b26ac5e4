"""Fuzzing the readers (hypothesis): random and mutated zips, shapefiles, GeoJSON, GeoPackages and
GeoTIFFs give a clean GisError (or, for a harmless mutation, an accepted layer) and nothing else;
zip member names are judged safe exactly when they stay inside the archive."""

from __future__ import annotations

import io
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

import geopandas as gpd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis.errors import GisError, ProblemCollector
from gis.upload import UploadLimits, UploadOptions, prepare_upload
from gis.upload.zipsafe import ZipLimits, _unsafe_path_reason, inspect_zip
from tests.upload.corpus import geojson_bytes, real_parks, shapefile_members, zip_bytes

BOUNDARY = Path(__file__).resolve().parents[2] / "data" / "demo" / "boundary.geojson"
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL_LIMITS = UploadLimits(zip=ZipLimits(max_members=50, max_total_bytes=20 * 1024 * 1024))


@lru_cache(maxsize=1)
def _boundary() -> gpd.GeoDataFrame:
    return gpd.read_file(BOUNDARY)


@lru_cache(maxsize=1)
def _members() -> dict[str, bytes]:
    return shapefile_members(real_parks().iloc[:4].to_crs(4544), "parks")


def _run(data: bytes, name: str, kind: str = "parks") -> None:
    """Upload ``data``: either accepted or a GisError with at least one problem (or 413)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload"
        path.write_bytes(data)
        try:
            prepared = prepare_upload(
                path,
                options=UploadOptions(kind=kind, original_name=name),
                workdir=Path(tmp) / "work",
                boundary=_boundary(),
                limits=SMALL_LIMITS,
            )
        except GisError as exc:
            assert exc.problems, exc.message
            assert all(p.message_en and p.message_zh for p in exc.problems)
            return
        assert prepared.gdf is not None and prepared.feature_count > 0
        assert prepared.gdf.crs.to_epsg() == 4326 and prepared.gdf.is_valid.all()


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    buf = bytearray(data)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    return bytes(buf)


EDITS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=1 << 20), st.integers(0, 255)),
    min_size=1,
    max_size=12,
)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_as_zip(data: bytes) -> None:
    _run(data, "random.zip")


@FUZZ
@given(EDITS)
def test_mutated_zip_archive(edits: list[tuple[int, int]]) -> None:
    _run(_mutate(zip_bytes(_members()), edits), "parks.zip")


@FUZZ
@given(st.sampled_from([".shp", ".shx", ".dbf", ".prj", ".cpg"]), EDITS)
def test_mutated_shapefile_member(member: str, edits: list[tuple[int, int]]) -> None:
    members = dict(_members())
    members[f"parks{member}"] = _mutate(members[f"parks{member}"], edits)
    _run(zip_bytes(members), "parks.zip")


@FUZZ
@given(st.sampled_from([".shp", ".shx", ".dbf"]), st.integers(min_value=0, max_value=4000))
def test_truncated_shapefile_member(member: str, keep: int) -> None:
    members = dict(_members())
    members[f"parks{member}"] = members[f"parks{member}"][:keep]
    _run(zip_bytes(members), "parks.zip")


@FUZZ
@given(EDITS)
def test_mutated_geojson(edits: list[tuple[int, int]]) -> None:
    _run(_mutate(geojson_bytes(real_parks().iloc[:4]), edits), "parks.geojson")


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_arbitrary_json_documents(doc: object) -> None:
    import json

    _run(json.dumps({"type": "FeatureCollection", "features": doc}).encode(), "x.geojson")
    _run(json.dumps(doc).encode(), "y.geojson")


@FUZZ
@given(EDITS)
def test_mutated_geotiff(edits: list[tuple[int, int]]) -> None:
    tif = (
        Path(__file__).resolve().parents[1] / "data" / "bad_uploads" / "population_negative.tif"
    ).read_bytes()
    _run(_mutate(tif, edits), "pop.tif", kind="population")


NAME_PART = st.sampled_from(["a", "parks.shp", "..", ".", "", "b c", "名称", "x..y", "C:", "\\"])


@FUZZ
@given(st.lists(NAME_PART, min_size=1, max_size=5), st.booleans())
def test_member_names_judged_by_where_they_land(parts: list[str], absolute: bool) -> None:
    name = ("/" if absolute else "") + "/".join(parts)
    if not name.strip("/"):
        return
    reason = _unsafe_path_reason(name)
    unified = name.replace("\\", "/")
    escapes = (
        unified.startswith("/")
        or (len(unified) > 1 and unified[1] == ":")
        or ".." in PurePosixPath(unified).parts
    )
    assert (reason is not None) == escapes, (name, reason)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name), b"x")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "a.zip"
        archive.write_bytes(buf.getvalue())
        problems = ProblemCollector()
        inspect_zip(archive, limits=ZipLimits(), label="a.zip", problems=problems)
        codes = {p.code for p in problems.problems}
    assert bool(codes & {"zip_path_traversal", "zip_absolute_path"}) == escapes, (name, codes)
