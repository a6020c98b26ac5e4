"""Write tests/data/sheets/register_excel97.xls: a good 项目台账 in Excel 97-2003 format.

The rows are the good register of the bad-sheet corpus
(:func:`tests.projects.make_bad_sheets._rows`: four real places of the embedded extract),
written as a county office's old workbook would hold them: a 说明 (notes) sheet first, then
the sheet 项目台账; planned dates as Excel date cells, numbers as numbers.  The project does
not depend on a .xls writer: run this with a Python that has xlwt 1.3 for the writing
(``python -m venv /tmp/xlwt && /tmp/xlwt/bin/pip install xlwt``)::

    .venv/bin/python -m tests.projects.make_xls_register --xlwt-python /tmp/xlwt/bin/python

The rows are computed here and handed to that Python as JSON on its standard input.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from tests.projects.make_bad_sheets import HEADER, _rows

OUT = Path(__file__).resolve().parents[1] / "data" / "sheets" / "register_excel97.xls"
DATE_COLUMNS = (4, 5)

WRITER = r"""
import datetime, json, sys
import xlwt
spec = json.load(sys.stdin)
book = xlwt.Workbook(encoding="utf-8")
notes = book.add_sheet("说明")
notes.write(0, 0, "本工作簿由县住建局维护；项目台账见下一工作表。")
sheet = book.add_sheet("项目台账")
dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
for j, name in enumerate(spec["header"]):
    sheet.write(0, j, name)
for i, row in enumerate(spec["rows"], start=1):
    for j, value in enumerate(row):
        if j in spec["date_columns"] and value:
            sheet.write(i, j, datetime.datetime.strptime(value, "%Y-%m-%d"), dates)
        else:
            sheet.write(i, j, value)
book.save(spec["out"])
"""


def write(out: Path, xlwt_python: str) -> None:
    """Write the workbook to ``out`` with the Python ``xlwt_python``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = {"header": HEADER, "rows": _rows(4), "date_columns": DATE_COLUMNS, "out": str(out)}
    subprocess.run(
        [xlwt_python, "-c", WRITER], input=json.dumps(spec), text=True, check=True, timeout=60
    )


def main() -> None:
    """Write the workbook (``--out FILE``, default tests/data/sheets/register_excel97.xls)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--xlwt-python", required=True, help="a Python with xlwt installed")
    args = parser.parse_args()
    write(args.out, args.xlwt_python)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
