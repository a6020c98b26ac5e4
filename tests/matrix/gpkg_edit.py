"""Edit copies of real workspaces for tests: drop or empty GeoPackage layers, keep metadata.json
in step (docs/workspace.md: ``layers`` has one entry per layer, its count the feature count)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyogrio

GPKG = "workspace.gpkg"
METADATA = "metadata.json"


def read_meta(folder: Path) -> dict[str, Any]:
    """metadata.json of a workspace folder."""
    data: dict[str, Any] = json.loads((folder / METADATA).read_text(encoding="utf-8"))
    return data


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Replace metadata.json."""
    text = json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
    (folder / METADATA).write_text(text, encoding="utf-8")


def copy_workspace(src: Path, dst: Path, county_id: str, name: str | None = None) -> Path:
    """A copy of the workspace at ``src`` named ``county_id`` (folder and metadata)."""
    shutil.copytree(src, dst)
    meta = read_meta(dst)
    meta["county_id"] = county_id
    if name is not None:
        meta["name"] = name
    write_meta(dst, meta)
    return dst


def drop_layers(folder: Path, names: Iterable[str]) -> None:
    """Delete layers from the GeoPackage (table, R-tree, GeoPackage registry) and the metadata."""
    gpkg = folder / GPKG
    meta = read_meta(folder)
    con = sqlite3.connect(gpkg)
    try:
        for name in names:
            geom = con.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)
            ).fetchone()
            if geom is not None:
                con.execute(f'DROP TABLE IF EXISTS "rtree_{name}_{geom[0]}"')
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            for table in ("gpkg_extensions", "gpkg_geometry_columns", "gpkg_ogr_contents"):
                con.execute(f"DELETE FROM {table} WHERE table_name = ?", (name,))
            con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (name,))
            meta.get("layers", {}).pop(name, None)
        con.commit()
    finally:
        con.close()
    write_meta(folder, meta)


def empty_layers(folder: Path, names: Iterable[str]) -> None:
    """Keep the layers (columns, geometry type) but with no feature; metadata counts 0."""
    gpkg = folder / GPKG
    meta = read_meta(folder)
    types = {str(row[0]): str(row[1]) for row in pyogrio.list_layers(gpkg)}
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(gpkg, layer=name)
            pyogrio.write_dataframe(
                gdf.iloc[:0], gpkg, layer=name, driver="GPKG", geometry_type=types[name]
            )
        meta.setdefault("layers", {}).setdefault(name, {})["count"] = 0
    write_meta(folder, meta)
