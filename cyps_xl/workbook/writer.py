"""The headless writer: applies the computed changes to a package."""
from __future__ import annotations

from collections import Counter

from cyps_xl.workbook.changes import NO_VALUE, RowStyle, SparklineChange
from cyps_xl.workbook.package import Package


def apply_changes(package: Package, changes: list, grids=None) -> Counter:
    """Apply cell, row-style and sparkline changes; returns how many sparklines were kept/updated/created.
    ``grids``: the cells as read (cyps_xl.workbook.cells.GridBook), so a row style is not recorded for the
    cells that have it already (see SheetEditor.set_styles)."""
    editors = {}
    sparklines: Counter = Counter()
    for change in changes:
        editor = editors.get(change.sheet)
        if editor is None:
            editor = editors[change.sheet] = package.sheet(change.sheet)
        if change.__class__ is RowStyle:
            saved = grids[change.sheet].row(change.row) if grids is not None and change.sheet in grids.sheetnames \
                else None
            editor.set_styles(change.row, change.columns, change.style, saved)
            continue
        if isinstance(change, SparklineChange):
            sparklines[editor.ensure_sparkline(change.target, change.source, change.axis)] += 1
            continue
        if change.value is not NO_VALUE:
            editor.set_value(change.row, change.column, change.value)
        if change.style is not None:
            editor.set_style(change.row, change.column, change.style)
    return sparklines
