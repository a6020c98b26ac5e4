"""``python -m gis info DIR``: what a workspace holds (layers, counts, CRS, bounds, provenance)."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

import pyogrio
import rasterio

from gis.io import GPKG_NAME, POPULATION_NAME, list_layers, read_metadata


def register(subparsers: Any) -> None:
    """Add the ``info`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "info", help="print a workspace's layers, counts, CRS, bounds and provenance"
    )
    p.add_argument("workspace", type=Path, help="workspace folder (made by `python -m gis ingest`)")
    p.set_defaults(func=run)


def describe(path: Path) -> str:
    """The report printed by ``info``, as text."""
    meta = read_metadata(path)
    names = list_layers(path)
    gpkg = path / GPKG_NAME
    lines = [
        f"workspace   {path}",
        f"name        {meta.get('name', '')}",
        f"county_id   {meta.get('county_id', '')}   adcode {meta.get('adcode') or '-'}",
    ]
    if meta.get("is_demonstration"):
        lines.append("            DEMONSTRATION area (not an administrative county)")
    lines += [
        f"created     {meta.get('created', '')}",
        f"storage CRS {meta.get('storage_crs', '')}   metric CRS {meta.get('metric_crs', '')}",
        "bounds      " + ", ".join(f"{v:.5f}" for v in meta.get("bounds", [])),
        "",
        f"{'layer':<14}{'features':>9}  {'geometry':<16}{'CRS':<11}{'provenance':<12}method",
    ]
    layer_meta = meta.get("layers", {})
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            info = pyogrio.read_info(gpkg, layer=name)
        entry = layer_meta.get(name, {})
        method = str(entry.get("method", ""))
        short = method if len(method) <= 70 else method[:67] + "..."
        lines.append(
            f"{name:<14}{info['features']:>9}  {str(info['geometry_type']):<16}"
            f"{str(info['crs']):<11}{entry.get('provenance', '?'):<12}{short}"
        )
    lines.append("")
    lines.append(_population_line(path, meta.get("population") or {}))
    lines.append("")
    lines.append("sources")
    for src in meta.get("sources", []):
        lines.append(
            f"  {src.get('role', ''):<11}{src.get('file', '')}"
            f"  sha256 {str(src.get('sha256', ''))[:12]}"
            f"  licence: {src.get('licence', '')}"
        )
    lines.append("attribution " + "; ".join(meta.get("attribution", [])))
    return "\n".join(lines)


def _population_line(path: Path, pop: dict[str, Any]) -> str:
    tif = path / POPULATION_NAME
    if not tif.is_file():
        return "population  none (no population.tif)"
    with rasterio.open(tif) as src:
        shape = f"{src.width}x{src.height} cells, {src.crs}"
    label = "ESTIMATE" if pop.get("is_estimate") else str(pop.get("provenance", ""))
    total = pop.get("total")
    total_text = f"{total:,.0f} persons" if isinstance(total, int | float) else "total unknown"
    return f"population  {total_text} ({label}; {shape})\n            {pop.get('method', '')}"


def run(args: argparse.Namespace) -> int:
    """Print the report."""
    print(describe(Path(args.workspace)))
    return 0
