"""A saved scenario as a GeoPackage: the edits layer and the indicator table.

``edits`` (EPSG:4326, one feature per edit: op, layer, type, numbers, what it changed) opens in
QGIS and ArcGIS beside the county's layers; ``indicators`` is a non-spatial table (a GeoPackage
attribute table) with every indicator before → after; ``scenario`` one row naming the
scenario, its author, times, grade and province rank before → after.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from gis.scenarios import ROW_FIELDS, Edit, edits_frame

INDICATOR_COLUMNS = (
    *ROW_FIELDS,
    "before",
    "after",
    "delta",
    "passed_before",
    "passed_after",
    "status_before",
    "status_after",
)


def indicator_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """The indicator rows of a scenario's results as a table (empty when never evaluated).

    >>> indicator_table({"indicators": [{"id": "road_density", "before": 7.0, "after": 8.1,
    ...     "passed_before": False, "passed_after": True}]})[["id", "before", "after"]].values
    array([['road_density', 7.0, 8.1]], dtype=object)
    """
    rows = list((results or {}).get("indicators") or [])
    table = pd.DataFrame([{c: r.get(c) for c in INDICATOR_COLUMNS} for r in rows])
    table = table.reindex(columns=list(INDICATOR_COLUMNS))
    for column in ("passed_before", "passed_after"):  # True / False / unknown as text
        table[column] = table[column].map({True: "passed", False: "failed"}).fillna("no_data")
    return table


def scenario_gpkg(
    scenario: Mapping[str, Any], edits: Sequence[Edit], results: Mapping[str, Any] | None
) -> bytes:
    """The GeoPackage bytes of one scenario (``scenario`` is its stored document)."""
    applied = list((results or {}).get("edits") or [])
    grade = (results or {}).get("grade") or {}
    rank = (results or {}).get("rank") or {}
    head = pd.DataFrame(
        [
            {
                "scenario_id": scenario.get("scenario_id"),
                "county_id": scenario.get("county_id"),
                "name": scenario.get("name"),
                "author": scenario.get("author"),
                "created": scenario.get("created"),
                "updated": scenario.get("updated"),
                "year": (results or {}).get("year"),
                "grade_before": grade.get("before"),
                "grade_after": grade.get("after"),
                "score_before": grade.get("score_before"),
                "score_after": grade.get("score_after"),
                "rank_before": rank.get("before"),
                "rank_after": rank.get("after"),
                "rank_of": rank.get("of"),
                "label": "情景模拟（估算），存储图层未改变 | what-if scenario (estimate); "
                "the stored layers are unchanged",
            }
        ]
    )
    with tempfile.TemporaryDirectory(prefix="scenario-") as tmp:
        path = Path(tmp) / "scenario.gpkg"
        frame = edits_frame(edits, applied)
        pyogrio.write_dataframe(frame, path, layer="edits", driver="GPKG", geometry_type="Unknown")
        pyogrio.write_dataframe(indicator_table(results), path, layer="indicators", driver="GPKG")
        circle = (results or {}).get("life_circle")
        if circle:  # the 15-minute life circle, when the scenario compared it (not graded)
            pyogrio.write_dataframe(
                indicator_table(circle), path, layer="life_circle", driver="GPKG"
            )
        pyogrio.write_dataframe(head, path, layer="scenario", driver="GPKG")
        return path.read_bytes()
