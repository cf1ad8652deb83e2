"""A workbook file as xlwings' remote-engine payload, for tests and benchmarks.

``xw.Book(json=payload_from_file(path))`` gives a real xlwings Book without
Excel; the actions the live path takes are then in ``book.json()``.  (The
remote engine needs ``XLWINGS_LICENSE_KEY=noncommercial``; only tests and
benchmarks set it.)
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path


def payload_from_file(path: Path) -> dict:
    import xlwings as xw

    from cyps_xl.workbook.reader import open_workbook

    book = open_workbook(Path(path))
    sheets = []
    for ws in book.worksheets:
        values = []
        for row in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1), max_col=max(ws.max_column, 1)):
            values.append([_json_value(cell.value) for cell in row])
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": [], "charts": [], "shapes": [],
                       "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden",
                       "notes": [{"address": cell.coordinate} for row in ws.iter_rows() for cell in row if cell.comment]})
    return {
        "client": "Office.js",  # the client whose payload carries notes
        "version": xw.__version__,
        "book": {"name": Path(path).name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


def number_formats_from_file(path: Path) -> dict:
    """Each sheet's number format codes over the payload's block (from A1), as xlwings Lite's
    ``await sheet.used_range.get_number_format()`` gives them from Excel (which this engine cannot ask)."""
    from cyps_xl.workbook.reader import open_workbook

    book = open_workbook(Path(path))
    return {ws.title: [[cell.number_format or "General" for cell in row]
                       for row in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1), max_col=max(ws.max_column, 1))]
            for ws in book.worksheets}


def _json_value(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return value
