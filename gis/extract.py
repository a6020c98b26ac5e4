"""Cut every county of a province out of one .osm.pbf (``python -m gis extract``).

Three streaming passes over the file with pyosmium (libosmium does the decoding, the node
locations and the writing; Python sees only the elements the workspace needs):

1. relations: multipolygon/boundary relations carrying a workspace key and their member ways;
2. nodes and ways: each way with a workspace key (or a member of such a relation) is built
   from the stored node locations, and every chunk of them is matched to the county polygons
   at once (an STR-tree, ``intersects``); tagged nodes likewise;
3. writing: an id tracker lets through only the elements some county needs; each goes to the
   .osm.pbf of every county it meets.

Each county's file holds its ways complete (every node, also outside the county, as osmium's
``complete_ways`` strategy), its tagged nodes, and its multipolygon relations with all their
member ways, keeping only the workspace's tags (:data:`gis.osmfile.KEPT_KEYS`).  The files are
named by adcode (``410181.osm.pbf``) and ``python -m gis ingest --pbf DIR/410181.osm.pbf
--county 410181`` builds the workspace.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from gis.errors import EmptyInputError, NotFoundError
from gis.osmfile import (
    CHUNK_WAYS,
    RELATION_TYPES,
    WANTED_KEYS,
    _kept,
    _osmium,
    _read_error,
    _wanted,
    check_readable,
)

PROVINCES = ("henan",)
SUMMARY_NAME = "extract_summary.json"

Progress = Callable[[str, int], None]


@dataclass
class CountyCounts:
    """Elements written for one county."""

    adcode: str
    name: str
    nodes: int = 0
    ways: int = 0
    relations: int = 0


@dataclass
class ExtractSummary:
    """What :func:`extract_counties` wrote.

    Attributes
    ----------
    counties : list of CountyCounts
        Counties with at least one way or tagged node, by adcode.
    missing : list of str
        Adcodes of the province with nothing in the file.
    seconds : float
        Wall time of the three passes.
    """

    source: str
    counties: list[CountyCounts] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (written as ``extract_summary.json``)."""
        return {
            "source": self.source,
            "seconds": round(self.seconds, 2),
            "counties": [vars(c) for c in self.counties],
            "missing": self.missing,
        }


def province_units(province: str) -> gpd.GeoDataFrame:
    """The county-level units of ``province`` (``adcode``, ``name``, geometry in EPSG:4326)."""
    key = province.strip().lower()
    if key not in PROVINCES:
        msg = (
            f"--province {province}: unknown province / 未知省份; the embedded boundaries cover "
            f"{', '.join(PROVINCES)} (河南)"
        )
        raise NotFoundError(msg)
    from gis.province import load_units

    units = load_units()
    return units[["adcode", "name", "geometry"]].reset_index(drop=True)


# --- passes 1 and 2: what each county needs -------------------------------------------------


@dataclass
class _Needs:
    """Element ids each county needs, as (id, county index) pairs."""

    node_pairs: list[npt.NDArray[np.int64]] = field(default_factory=list)
    way_pairs: list[npt.NDArray[np.int64]] = field(default_factory=list)
    relation_pairs: list[npt.NDArray[np.int64]] = field(default_factory=list)

    @staticmethod
    def stack(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
        """Unique pairs sorted by id (a ``(n, 2)`` array)."""
        if not parts:
            return np.empty((0, 2), dtype=np.int64)
        pairs = np.unique(np.concatenate(parts), axis=0)
        return pairs[np.argsort(pairs[:, 0], kind="stable")]


@dataclass
class _Ways:
    """A chunk of ways: ids, node refs (flat, with offsets) and WKB lines."""

    ids: list[int] = field(default_factory=list)
    refs: list[npt.NDArray[np.int64]] = field(default_factory=list)
    wkb: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def _relations(osmium: Any, path: Path) -> tuple[dict[int, list[int]], set[int]]:
    members: dict[int, list[int]] = {}
    for r in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        if r.tags.get("type") in RELATION_TYPES and _wanted(r.tags):
            members[r.id] = [m.ref for m in r.members if m.type == "w"]
    return members, {w for ways in members.values() for w in ways}


def _match_ways(
    chunk: _Ways, tree: shapely.STRtree, needs: _Needs, way_counties: dict[int, set[int]]
) -> None:
    """Pair each way of ``chunk`` with the counties it meets; its nodes with them too."""
    if not len(chunk):
        return
    lines = shapely.from_wkb(chunk.wkb)
    way_idx, county = tree.query(lines, predicate="intersects")
    if not len(way_idx):
        return
    ids = np.asarray(chunk.ids, dtype=np.int64)
    needs.way_pairs.append(np.column_stack([ids[way_idx], county]))
    lengths = np.asarray([len(r) for r in chunk.refs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = np.concatenate(chunk.refs)
    take = lengths[way_idx]
    offsets = np.arange(int(take.sum())) - np.repeat(np.cumsum(take) - take, take)
    refs = flat[np.repeat(starts[way_idx], take) + offsets]
    needs.node_pairs.append(np.column_stack([refs, np.repeat(county, take)]))
    for w, c in zip(way_idx.tolist(), county.tolist(), strict=True):
        way_counties.setdefault(chunk.ids[w], set()).add(c)


def _scan(
    osmium: Any,
    path: Path,
    tree: shapely.STRtree,
    member_ways: set[int],
    progress: Progress,
) -> tuple[_Needs, dict[int, set[int]], dict[int, npt.NDArray[np.int64]]]:
    """Pass 2: the (id, county) pairs of tagged nodes, ways and their nodes."""
    needs = _Needs()
    way_counties: dict[int, set[int]] = {}
    member_refs: dict[int, npt.NDArray[np.int64]] = {}
    factory = osmium.geom.WKBFactory()
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
    processor.with_locations().with_filter(
        osmium.filter.KeyFilter(*WANTED_KEYS).enable_for(osmium.osm.NODE)
    )
    node_ids: list[int] = []
    node_xy: list[tuple[float, float]] = []
    chunk = _Ways()
    seen = 0
    for obj in processor:
        seen += 1
        if seen % 100_000 == 0:
            progress("scan", 100_000)
        if obj.is_node():
            node_ids.append(obj.id)
            node_xy.append((obj.location.lon, obj.location.lat))
            continue
        member = obj.id in member_ways
        if not (member or _wanted(obj.tags)):
            continue
        refs = np.fromiter((n.ref for n in obj.nodes), dtype=np.int64)
        if member:
            member_refs[obj.id] = refs
        try:
            wkb = factory.create_linestring(obj, use_nodes=osmium.geom.ALL)
        except (osmium.InvalidLocationError, RuntimeError):
            continue
        chunk.ids.append(obj.id)
        chunk.refs.append(refs)
        chunk.wkb.append(wkb)
        if len(chunk) >= CHUNK_WAYS:
            _match_ways(chunk, tree, needs, way_counties)
            chunk = _Ways()
    _match_ways(chunk, tree, needs, way_counties)
    if node_ids:
        points = shapely.points(np.asarray(node_xy, dtype=float))
        idx, county = tree.query(points, predicate="intersects")
        ids = np.asarray(node_ids, dtype=np.int64)
        needs.node_pairs.append(np.column_stack([ids[idx], county]))
    return needs, way_counties, member_refs


def _complete_relations(
    members: dict[int, list[int]],
    way_counties: dict[int, set[int]],
    member_refs: dict[int, npt.NDArray[np.int64]],
    needs: _Needs,
) -> None:
    """Each relation goes to the counties its ways meet, with all its member ways and nodes."""
    for rel_id, ways in members.items():
        counties = set().union(*(way_counties.get(w, set()) for w in ways))
        if not counties:
            continue
        cs = np.asarray(sorted(counties), dtype=np.int64)
        needs.relation_pairs.append(np.column_stack([np.full(len(cs), rel_id), cs]))
        for w in ways:
            if w not in member_refs:
                continue
            needs.way_pairs.append(np.column_stack([np.full(len(cs), w), cs]))
            refs = member_refs[w]
            needs.node_pairs.append(
                np.column_stack([np.repeat(refs, len(cs)), np.tile(cs, len(refs))])
            )


# --- pass 3: writing ------------------------------------------------------------------------


def _counties_of(pairs: npt.NDArray[np.int64], osm_id: int) -> npt.NDArray[np.int64]:
    lo = np.searchsorted(pairs[:, 0], osm_id, side="left")
    hi = np.searchsorted(pairs[:, 0], osm_id, side="right")
    return pairs[lo:hi, 1]


def _write(
    osmium: Any,
    path: Path,
    out_dir: Path,
    units: gpd.GeoDataFrame,
    pairs: dict[str, npt.NDArray[np.int64]],
    progress: Progress,
) -> list[CountyCounts]:
    tracker = osmium.IdTracker()
    for n in np.unique(pairs["n"][:, 0]).tolist():
        tracker.add_node(n)
    for w in np.unique(pairs["w"][:, 0]).tolist():
        tracker.add_way(w)
    for r in np.unique(pairs["r"][:, 0]).tolist():
        tracker.add_relation(r)
    counts: dict[int, CountyCounts] = {}
    writers: dict[int, Any] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    kind_key = {"n": "nodes", "w": "ways", "r": "relations"}
    try:
        for obj in osmium.FileProcessor(str(path)).with_filter(tracker.id_filter()):
            kind = obj.type_str()
            counties = _counties_of(pairs[kind], obj.id)
            if not len(counties):
                continue
            copy = obj.replace(tags=_kept(obj.tags)) if len(obj.tags) else obj
            for c in counties.tolist():
                if c not in writers:
                    target = out_dir / f"{units.at[c, 'adcode']}.osm.pbf"
                    writers[c] = osmium.SimpleWriter(str(target), overwrite=True)
                    counts[c] = CountyCounts(str(units.at[c, "adcode"]), str(units.at[c, "name"]))
                writers[c].add(copy)
                entry = counts[c]
                setattr(entry, kind_key[kind], getattr(entry, kind_key[kind]) + 1)
            progress("write", 1)
    finally:
        for writer in writers.values():
            writer.close()
    return [counts[c] for c in sorted(counts, key=lambda c: str(units.at[c, "adcode"]))]


def extract_counties(
    pbf: str | Path,
    units: gpd.GeoDataFrame,
    out_dir: str | Path,
    *,
    progress: Progress | None = None,
) -> ExtractSummary:
    """Write ``out_dir/<adcode>.osm.pbf`` for every unit of ``units`` that ``pbf`` reaches.

    Parameters
    ----------
    pbf
        An OSM file (.osm.pbf; XML works too), sorted by type then id as exported.
    units
        ``adcode``, ``name`` and polygon geometry in EPSG:4326.
    out_dir
        Created if needed; existing files of the same names are replaced.
    progress
        Called with ``(pass name, elements done)`` as the passes go.

    Raises
    ------
    InputFileError
        Not an OSM file, or truncated.
    EmptyInputError
        No feature of the file meets any unit.
    """
    started = time.perf_counter()
    path = Path(pbf)
    check_readable(path)
    osmium = _osmium()
    report: Progress = progress or (lambda _stage, _n: None)
    units = units.reset_index(drop=True)
    tree = shapely.STRtree(np.asarray(units.geometry.array, dtype=object))
    try:
        members, member_ways = _relations(osmium, path)
        needs, way_counties, member_refs = _scan(osmium, path, tree, member_ways, report)
        _complete_relations(members, way_counties, member_refs, needs)
        pairs = {
            "n": _Needs.stack(needs.node_pairs),
            "w": _Needs.stack(needs.way_pairs),
            "r": _Needs.stack(needs.relation_pairs),
        }
        if not len(pairs["w"]) and not len(pairs["n"]):
            bounds = ", ".join(f"{v:.2f}" for v in units.total_bounds)
            msg = (
                f"{path.name}: nothing in it lies inside any of the {len(units)} county-level "
                f"units (lon/lat {bounds}) / 文件与各县范围不重叠; give an extract that covers "
                "the province (e.g. Geofabrik's china-latest.osm.pbf)"
            )
            raise EmptyInputError(msg)
        counties = _write(osmium, path, Path(out_dir), units, pairs, report)
    except RuntimeError as exc:
        raise _read_error(path, exc) from exc
    written = {c.adcode for c in counties}
    summary = ExtractSummary(
        source=path.name,
        counties=counties,
        missing=[str(a) for a in units["adcode"] if str(a) not in written],
        seconds=time.perf_counter() - started,
    )
    (Path(out_dir) / SUMMARY_NAME).write_text(
        json.dumps(summary.as_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return summary


def summary_lines(summary: ExtractSummary, *, limit: int = 10) -> Iterable[str]:
    """Human-readable lines: the counties written (largest first, up to ``limit``), totals."""
    ranked = sorted(summary.counties, key=lambda c: -c.ways)
    for c in ranked[:limit]:
        yield f"  {c.adcode} {c.name}: {c.ways:,} ways, {c.nodes:,} nodes, {c.relations} relations"
    if len(ranked) > limit:
        yield f"  ... and {len(ranked) - limit} more (see {SUMMARY_NAME})"
    yield (
        f"{len(summary.counties)} counties written, {len(summary.missing)} with nothing in the "
        f"file, in {summary.seconds:.1f} s"
    )
