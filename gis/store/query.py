"""Reading part of a stored layer: a bbox, a date range and a page, through the store's index.

:class:`FeatureQuery` says what to read and :class:`FeaturePage` holds what was read.  Both
backends answer it with their spatial index (GeoPackage: the layer's R-tree through pyogrio's
``bbox``; PostGIS: ``&&`` on the GiST index, then ``ST_Intersects``), so a page of ten features
of a county-size layer reads ten features, not the layer.  Feature ids are the store's own
(GeoPackage ``fid``, PostGIS ``fid``): stable while the layer's version does not change.

>>> q = FeatureQuery(bbox=(113.0, 34.0, 113.1, 34.1), date_range=("2020-01-01", None))
>>> print(q.date_where("date"))
substr(CAST("date" AS TEXT), 1, 10) >= '2020-01-01'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["TEMPORAL_FIELDS", "FeaturePage", "FeatureQuery", "flag_where", "temporal_field"]

TEMPORAL_FIELDS = ("date", "approved_on")
"""Attribute columns holding a feature's date (ISO text), in order of preference."""
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def temporal_field(columns: Sequence[str]) -> str | None:
    """The first of :data:`TEMPORAL_FIELDS` among ``columns``, or ``None``.

    >>> temporal_field(["name", "approved_on"]), temporal_field(["name"])
    ('approved_on', None)
    """
    present = set(columns)
    return next((f for f in TEMPORAL_FIELDS if f in present), None)


@dataclass(frozen=True)
class FeatureQuery:
    """Which features of a layer to read.

    Attributes
    ----------
    bbox : tuple, optional
        ``(min_lon, min_lat, max_lon, max_lat)`` in the storage CRS (EPSG:4490/4326, the same
        numbers as CRS84): features whose geometry intersects it.
    date_range : tuple, optional
        ``(first_day, last_day)`` as ISO dates, either ``None`` for open: features whose
        :func:`temporal_field` day lies in it (a layer without one is not filtered).
    flags : tuple of str
        Boolean columns that must be true (a layer without one of them matches nothing): what
        a viewer may see (:func:`layers.catalog.required_flags`).
    fid : int, optional
        Only the feature with this id (one feature, or none).
    offset, limit : int
        The page, over the matching features in id order (``limit=None``: all).
    """

    bbox: tuple[float, float, float, float] | None = None
    date_range: tuple[str | None, str | None] | None = None
    flags: tuple[str, ...] = ()
    fid: int | None = None
    offset: int = 0
    limit: int | None = None

    def date_where(self, field: str, *, quote: str = '"') -> str | None:
        """An SQL condition on column ``field`` for :attr:`date_range` (``None``: no filter).

        The days are checked to be ISO dates, so the text is safe to embed.
        """
        if self.date_range is None:
            return None
        column = f"substr(CAST({quote}{field}{quote} AS TEXT), 1, 10)"
        first, last = self.date_range
        # an open start is the first day there is, so a missing or empty date never matches
        parts = []
        for day, op in ((first or "0000-01-01", ">="), (last, "<=")):
            if day is None:
                continue
            if not _DAY_RE.match(day):
                msg = f"not an ISO date: {day!r}"
                raise ValueError(msg)
            parts.append(f"{column} {op} '{day}'")
        return " AND ".join(parts)


def flag_where(flags: Sequence[str], columns: Sequence[str]) -> str | None:
    """An SQL condition (OGR SQL / SQLite) for ``flags`` (``"0"`` when one is not a column).

    >>> flag_where(("public",), ["public", "title"]), flag_where(("public",), ["title"])
    ('"public" = 1', '0')
    """
    if not flags:
        return None
    if any(f not in columns or not _NAME_RE.match(f) for f in flags):
        return "0"
    return " AND ".join(f'"{f}" = 1' for f in flags)


@dataclass(frozen=True)
class FeaturePage:
    """One page of a stored layer.

    Attributes
    ----------
    frame : GeoDataFrame
        The page's features in the storage CRS, indexed by feature id, in id order.
    matched : int
        How many features match the query before paging.
    """

    frame: gpd.GeoDataFrame
    matched: int
