"""Project library benchmark: a register import and one edit on a county with many projects.

Every change of the library commits the whole ``projects`` layer as a new version (that is what
gives both store backends the history for free), so the cost of one edit grows with the
library.  This measures, on the GeoPackage store of a small hand-made county:

- ``import``: checking a register of ``--rows`` projects (.xlsx, lon/lat) with
  :func:`gis.upload.sheets.prepare_sheet` (read, map columns, parse, locate, validate);
- ``merge + commit``: merging it into an empty library and committing version 1;
- ``edit``: one project's progress changed and committed, with ``--rows`` projects stored;
- ``history``: the per-project history read from every version.

    .venv/bin/python -m benchmarks.bench_projects [--rows 2000] [--edits 5]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import geopandas as gpd
from openpyxl import Workbook
from shapely.geometry import box

from gis.projects import merge_projects, update_project
from gis.store import GeoPackageStore, NewVersion
from gis.upload.sheets import prepare_sheet

NOW = "2030-01-01T00:00:00+00:00"


def _county(root: Path) -> Path:
    folder = root / "bench-county"
    folder.mkdir(parents=True)
    area = gpd.GeoDataFrame(
        {"name": ["测试县"]}, geometry=[box(113.5, 34.6, 113.8, 34.9)], crs=4326
    )
    area.to_file(folder / "workspace.gpkg", layer="boundary", driver="GPKG")
    (folder / "metadata.json").write_text(
        json.dumps({"county_id": "bench-county", "name": "测试县", "layers": {}}), "utf-8"
    )
    return folder


def _register(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["项目名称", "项目类别", "计划总投资（万元）", "进度（%）", "计划开工日期", "经度", "纬度"]
    )
    for i in range(rows):
        sheet.append(
            [
                f"项目{i}",
                ["道路", "停车", "公园绿地"][i % 3],
                100 + i,
                i % 101,
                "2024-03-01",
                113.55 + (i % 100) * 0.002,
                34.65 + (i // 100) * 0.002,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _commit(store: GeoPackageStore, frame: gpd.GeoDataFrame, report: dict) -> int:
    record = store.commit_version(
        "bench-county",
        NewVersion(
            layer="projects",
            user="bench",
            original_name="bench",
            sha256="",
            feature_count=len(frame),
            report=report,
            gdf=frame,
            action="edit",
        ),
    )
    return record.version


def main() -> None:
    """Run the benchmark and print one line per step."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _county(root)
        store = GeoPackageStore(root)
        sheet = root / "register.xlsx"
        sheet.write_bytes(_register(args.rows))
        boundary = store.read_layer("bench-county", "boundary")
        t0 = time.perf_counter()
        incoming, _report = prepare_sheet(
            sheet, label="register.xlsx", boundary=boundary, max_rows=args.rows
        )
        t1 = time.perf_counter()
        change = merge_projects(None, incoming, user="bench", now=NOW, label="register.xlsx")
        _commit(store, change.frame, change.report())
        t2 = time.perf_counter()
        edit_s = []
        for k in range(args.edits):
            start = time.perf_counter()
            library = store.read_layer("bench-county", "projects")
            change = update_project(
                library, "XM-0001", {"progress_pct": float(k)}, user="bench", now=NOW
            )
            _commit(store, change.frame, change.report())
            edit_s.append(time.perf_counter() - start)
        t3 = time.perf_counter()
        versions = [
            r
            for r in store.history("bench-county", "projects")
            if "XM-0001" in r.report.get("project_change", {}).get("project_ids", [])
        ]
        t4 = time.perf_counter()
    print(f"rows: {args.rows}")
    print(f"import (prepare_sheet): {t1 - t0:.2f} s ({args.rows / (t1 - t0):,.0f} rows/s)")
    print(f"merge + commit: {t2 - t1:.2f} s")
    median = sorted(edit_s)[len(edit_s) // 2]
    print(f"edit (read, change one, commit), median of {args.edits}: {median:.3f} s")
    print(f"history of one project ({len(versions)} versions): {t4 - t3:.3f} s")


if __name__ == "__main__":
    main()
