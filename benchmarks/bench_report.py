"""Map pictures and the assessment report of the embedded county, against its indicator run.

Times, on the demonstration workspace: the twelve indicators (the baseline, measured in the
same run), one map picture of the planner's default layers at 1600 × 1200 px, the report's
content (a gap map and a chart per indicator), the PDF and the DOCX; prints each as seconds
and as a ratio to the indicator run.

    .venv/bin/python -m benchmarks.bench_report [--repeat 3]
"""

from __future__ import annotations

import argparse

from benchmarks.common import demo_workspace_dir, from_scratch, table, timed
from gis.io import read_workspace
from gis.report import county_report
from gis.settings import DEFAULT_SETTINGS
from layers.catalog import build_catalog, layer_frame
from layers.mapimage import PictureLayer, attribution_lines, data_date, render_map
from layers.report_doc import build_content, render_report


@from_scratch
def main(argv: list[str] | None = None) -> int:
    """Print the timings and their ratios to the indicator run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    ws = read_workspace(demo_workspace_dir())
    base_s, (report, results) = timed(lambda: county_report(ws, DEFAULT_SETTINGS), args.repeat)
    infos = [i for i in build_catalog(ws, results) if i.shown]
    layers = [PictureLayer(i.name, layer_frame(ws, results, i.name), i.style) for i in infos]

    def picture() -> bytes:
        return render_map(
            layers,
            metric_crs=ws.metric_crs,
            title="benchmark",
            attribution=attribution_lines(ws.metadata),
            date=data_date(ws.metadata),
            width_px=1600,
            height_px=1200,
        ).png

    map_s, png = timed(picture, args.repeat)
    content_s, content = timed(lambda: build_content(report, results, ws), args.repeat)
    pdf_s, pdf = timed(lambda: render_report(content, "pdf"), args.repeat)
    docx_s, docx = timed(lambda: render_report(content, "docx"), args.repeat)
    rows = [
        ["indicators (baseline)", f"{base_s:.2f}", "1.00", ""],
        ["map.png 1600x1200", f"{map_s:.2f}", f"{map_s / base_s:.2f}", f"{len(png) // 1024} kB"],
        ["report content", f"{content_s:.2f}", f"{content_s / base_s:.2f}", ""],
        ["report PDF", f"{pdf_s:.2f}", f"{pdf_s / base_s:.2f}", f"{len(pdf) // 1024} kB"],
        ["report DOCX", f"{docx_s:.2f}", f"{docx_s / base_s:.2f}", f"{len(docx) // 1024} kB"],
    ]
    print(f"median of {args.repeat} runs, demonstration county ({len(layers)} layers drawn)")
    print(table(rows, ["step", "seconds", "x indicators", "size"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
