"""Dissolved polygons of layers that grew by a few rows (a park drawn in a what-if scenario).

A what-if park (:mod:`gis.scenarios`) is appended to ``parks`` and ``green_space``.  The park
indicators dissolve those layers and clip the result with the built-up area: for a county
that is a union of thousands of polygons and an overlay with the whole built-up area, every
time.  Here the layers as stored (the *base*) are dissolved once and kept (by the digest of
their content, :mod:`gis.indicators._state`); a layer that is a base layer with rows appended
is then the base's dissolve with the new polygons merged *locally*: the base parts the new
polygons touch (an STRtree query) are unioned with them and replace those parts.  The same
holds for anything distributive over the parts (a clip with the built-up area, a service
buffer): only the merged parts are clipped or buffered.

The result equals the full union as a point set (to floating-point tolerance); its parts are
the same polygons, possibly in another order.

Base layers are recognised by content: every layer dissolved in full through
:func:`grown_union` is remembered (its digest and row count, a bounded list), and
:func:`remember` adds layers before they are needed (the scenario module remembers the
stored county's layers, so the first edit already finds them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.indicators._common import _polygonal, clip_polygons, multipolygon
from gis.indicators._state import KnownBases, digest_of, geometries, register

T = TypeVar("T")

KNOWN_LAYERS = 16
"""How many layer contents (digest → row count) are remembered as possible bases."""
_KNOWN = KnownBases(KNOWN_LAYERS)
_UNIONS = register("dissolved layers", 8)
_DERIVED = register("overlays of dissolved layers", 16)


def remember(*frames: gpd.GeoDataFrame | None) -> None:
    """Remember layers as possible bases of later, grown layers (content digest, rows)."""
    for frame in frames:
        if frame is not None:
            geoms = geometries(frame)
            _KNOWN.note(digest_of(geoms), len(geoms))


def _base_rows(geoms: np.ndarray) -> tuple[int, bytes] | None:
    """The longest remembered layer that ``geoms`` starts with: its rows and digest."""
    known = dict(_KNOWN.snapshot())
    lengths = sorted({n for n in known.values() if n <= len(geoms)}, reverse=True)
    for n in lengths:
        key = digest_of(geoms[:n])
        if known.get(key) == n:
            return n, key
    return None


@dataclass(frozen=True)
class Dissolved:
    """A dissolve and its polygon parts (with an STRtree on them)."""

    geom: BaseGeometry

    @cached_property
    def parts(self) -> np.ndarray:
        """Polygon parts of the dissolve."""
        return np.asarray(shapely.get_parts(_polygonal(self.geom)), dtype=object)

    @cached_property
    def tree(self) -> shapely.STRtree:
        """STRtree of the parts."""
        return shapely.STRtree(self.parts)


@dataclass(frozen=True)
class Growth:
    """How a grown layer's dissolve differs from its base's.

    ``touched`` are the base parts the new polygons meet; ``merged`` the polygon parts of
    their union with the new polygons (they replace the touched parts).
    """

    base: Dissolved
    base_key: bytes
    touched: np.ndarray
    merged: np.ndarray

    @cached_property
    def merged_union(self) -> BaseGeometry:
        """The merged parts as one geometry."""
        return shapely.union_all(self.merged)


def grown_union(
    label: str,
    frames: Sequence[gpd.GeoDataFrame | None],
    build: Callable[[Sequence[gpd.GeoDataFrame | None]], BaseGeometry],
) -> tuple[Dissolved, bytes, Growth | None]:
    """``build(frames)`` (a dissolve of the frames' polygons), reusing a base's dissolve.

    ``build`` must be the union of the frames' (made valid) polygonal geometries, computed
    the way the caller's full computation does it.  When every frame is a remembered layer
    with rows appended (at least one row in all), the result is the base's ``build`` (kept)
    with the appended polygons merged locally, and a :class:`Growth` says which parts
    changed; otherwise ``build(frames)`` itself (kept too), and the frames are remembered.
    Returns the dissolve, its key (for overlays kept by :func:`derived`) and the growth.
    """
    arrays = [geometries(f) for f in frames]
    full_keys = [digest_of(g) for g in arrays]
    full_key = digest_of(label, *full_keys)
    if _UNIONS.peek(full_key) is None:
        bases = [_base_rows(g) for g in arrays]
        added = sum(len(g) - b[0] for g, b in zip(arrays, bases, strict=True) if b is not None)
        if all(b is not None for b in bases) and added > 0:
            return _grow(label, frames, arrays, bases, build)  # type: ignore[arg-type]
    for key, g in zip(full_keys, arrays, strict=True):
        _KNOWN.note(key, len(g))
    return _UNIONS.get(full_key, lambda: Dissolved(build(frames))), full_key, None


def _grow(
    label: str,
    frames: Sequence[gpd.GeoDataFrame | None],
    arrays: list[np.ndarray],
    bases: list[tuple[int, bytes]],
    build: Callable[[Sequence[gpd.GeoDataFrame | None]], BaseGeometry],
) -> tuple[Dissolved, bytes, Growth]:
    base_frames = [
        None if f is None else f.iloc[:n] for f, (n, _) in zip(frames, bases, strict=True)
    ]
    base_key = digest_of(label, *(k for _, k in bases))
    base = _UNIONS.get(base_key, lambda: Dissolved(build(base_frames)))
    new = np.concatenate([g[n:] for g, (n, _) in zip(arrays, bases, strict=True)])
    new = shapely.make_valid(new[~(shapely.is_missing(new) | shapely.is_empty(new))])
    polys = [p for p in (_polygonal(g) for g in new) if not p.is_empty]
    if not polys:
        return base, base_key, Growth(base, base_key, np.zeros(0, np.int64), np.zeros(0, object))
    touched = (
        np.unique(base.tree.query(np.asarray(polys, dtype=object), predicate="intersects")[1])
        if len(base.parts)
        else np.zeros(0, np.int64)
    )
    merged_geom = shapely.union_all([*base.parts[touched], *polys])
    merged = np.asarray(shapely.get_parts(_polygonal(merged_geom)), dtype=object)
    keep = np.ones(len(base.parts), dtype=bool)
    keep[touched] = False
    out = Dissolved(multipolygon([*base.parts[keep], *merged]))
    return out, base_key, Growth(base, base_key, touched, merged)


def derived(key: bytes, label: str, compute: Callable[[], T]) -> T:
    """An overlay of a dissolve (its key from :func:`grown_union`), kept by content."""
    return _DERIVED.get(digest_of(label, key), compute)


def grown_clip(base_clip: BaseGeometry, growth: Growth, area: BaseGeometry) -> BaseGeometry:
    """The grown dissolve clipped with ``area``, from the base's clip ``base_clip``.

    The base clip's parts inside the merged parts are replaced by the merged parts' clip;
    every other part of it lies in a base part the new polygons did not touch.
    """
    if len(growth.merged) == 0:
        return base_clip
    clip_parts = np.asarray(
        [p for p in shapely.get_parts(_polygonal(base_clip)) if not p.is_empty], dtype=object
    )
    merged = growth.merged_union
    shapely.prepare(merged)
    inside = (
        shapely.intersects(merged, shapely.point_on_surface(clip_parts))
        if len(clip_parts)
        else np.zeros(0, dtype=bool)
    )
    added = clip_polygons(merged, area)  # cut by the area's kept pieces, not the whole area
    return multipolygon([*clip_parts[~inside], *shapely.get_parts(added)])
