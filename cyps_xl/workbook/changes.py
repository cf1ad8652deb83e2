"""From ratings to cell changes: the one list both writers apply.

The headless writer (:mod:`cyps_xl.workbook.writer`) and the Excel writer apply the
same list of :class:`CellChange`, :class:`RowStyle` and :class:`SparklineChange`, so
both produce identical values and formats.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from cyps_xl.engine.rating import Dot, Rag, RowResult
from cyps_xl.workbook.layout import BENCHMARK_KEYS
from cyps_xl.workbook.cellstyle import CellStyle
from cyps_xl.workbook.reader import ScoreTable
from cyps_xl.engine.rules import Style

NO_VALUE = object()  # leave the value alone, change only the style


class CellChange(NamedTuple):  # one per written cell, hundreds of thousands on a big scorecard: a tuple is cheapest
    sheet: str
    row: int
    column: int
    value: object = NO_VALUE
    style: CellStyle | None = None


class RowStyle(NamedTuple):
    """One style set on several cells of a row: a row's figures (its months, outturn, last year and benchmarks)
    share their number format, so they are one change rather than one a cell (and every row of a table shares
    one ``columns`` tuple). :func:`cell_changes` gives them a cell at a time."""

    sheet: str
    row: int
    columns: tuple
    style: CellStyle


def cell_changes(changes):
    """The changes, a :class:`RowStyle` as one style-only :class:`CellChange` a column, in its place (for what
    works a cell at a time: the Excel writer's plan, checks of the cells a run wrote)."""
    for change in changes:
        if change.__class__ is RowStyle:
            for column in change.columns:
                yield CellChange(change.sheet, change.row, column, NO_VALUE, change.style)
        else:
            yield change


@dataclass(frozen=True)
class SparklineChange:
    """A trend sparkline in ``sheet``!``target`` over ``source`` (an A1 range with its sheet)."""

    sheet: str
    target: str
    source: str
    axis: tuple | None = None  # (min, max) a sparkline the run adds is drawn on; None: Excel's automatic axis


def sparkline_axis(months) -> tuple | None:
    """The axis an issued sparkline is drawn on: from zero (never from the row's lowest month, which makes a change
    of 2 in 50 look like a collapse), to a quarter above its highest month, so its tallest bar stops short of the
    cell's top and the rows' sparklines print apart (LibreOffice draws a bar to the cell's edge, and full bars in
    rows one above another read as one bar running down the page). None when there is nothing to draw."""
    numbers = [m.number for m in months if m.number is not None]
    if not numbers:
        return None
    low, high = min(0.0, min(numbers)), max(0.0, max(numbers))
    if low == high:
        return None
    span = high - low
    return (low - span / 4 if low < 0 else 0.0), (high + span / 4 if high > 0 else 0.0)


def quote_sheet(name: str) -> str:
    if name.replace("_", "").isalnum():
        return name
    return "'" + name.replace("'", "''") + "'"


def sparkline_changes(table: ScoreTable, issuing: bool = False) -> tuple[list[SparklineChange], str | None]:
    """One column sparkline per indicator row over its monthly history; in an issue (values fixed), each drawn on
    its own axis from zero (see :func:`sparkline_axis`).

    Returns the changes and, when none can be made, why (no trend column,
    or month columns that are not side by side in date order).
    """
    from cyps_xl.cellref import column_letter

    if "trend" not in table.columns:
        return [], None
    columns = [m.column for m in table.months]
    if len(columns) < 2:
        return [], f"sheet '{table.sheet}' has fewer than two month columns, so there is no trend to draw"
    if columns != list(range(columns[0], columns[0] + len(columns))):
        return [], f"the month columns of sheet '{table.sheet}' are not side by side in date order; trend sparklines left as they are"
    first, last = column_letter(columns[0]), column_letter(columns[-1])
    trend = column_letter(table.columns["trend"])
    quoted = quote_sheet(table.sheet)
    return [
        SparklineChange(table.sheet, f"{trend}{row.row}", f"{quoted}!{first}{row.row}:{last}{row.row}",
                        sparkline_axis(row.months) if issuing else None)
        for row in table.rows
    ], None


def dot_cell(dot: Dot, style: Style) -> tuple[str | None, CellStyle]:
    if dot.direction is None:
        return None, _style(fill="none", bold=True)  # the whole DOT column is bold, so it is one block
    colour = {"improving": style.colours["improving"], "declining": style.colours["declining"]}.get(
        dot.trend, style.colours["neutral"]
    )
    return style.dot_symbols[dot.direction], _style(font_color=colour, fill="none", bold=True)


def rag_cell(rag: Rag, style: Style) -> tuple[str | None, CellStyle]:
    if rag.band is None:
        return None, _style(fill="none")
    return style.labels[rag.band], _style(fill=style.colours[rag.band])


_STYLES: dict = {}


def _style(**properties) -> CellStyle:
    """One CellStyle object per distinct look: a scorecard's hundreds of thousands of changes share a few
    dozen, which the writers then tell apart by identity, cheaply."""
    key = tuple(sorted(properties.items()))
    found = _STYLES.get(key)
    if found is None:
        found = _STYLES[key] = CellStyle(**properties)
    return found


def rating_changes(table: ScoreTable, results: list[RowResult], style: Style) -> list:
    cols = table.columns
    sheet = table.sheet
    changes: list = []  # CellChange and RowStyle
    add = changes.append
    figures = tuple([m.column for m in table.months] + [cols[k] for k in ("outturn", "previous_year", *BENCHMARK_KEYS)
                                                         if k in cols])
    for result in results:
        r = result.row.row
        measure = result.measure
        for key, dot in (("dot_month", result.dot_month), ("dot_year", result.dot_year)):
            if key in cols:
                add(CellChange(sheet, r, cols[key], *dot_cell(dot, style)))
        for key, rag in (("rag_month", result.rag_month), ("rag_year", result.rag_year)):
            if key in cols:
                add(CellChange(sheet, r, cols[key], *rag_cell(rag, style)))
        if measure.rule is not None:
            # The workbook never disagrees with the rules: polarity and bands come from YAML.
            if "polarity" in cols:
                add(CellChange(sheet, r, cols["polarity"], measure.polarity))
            for band in ("red", "amber", "green"):
                if band in cols:
                    text = getattr(measure.tolerances, band)
                    add(CellChange(sheet, r, cols[band], text.canonical() if text else None))
        if figures:  # the months, then outturn, last year and the benchmarks
            add(RowStyle(sheet, r, figures, _style(number_format=measure.number_format)))
    return changes


def as_at_text(table: ScoreTable) -> str | None:
    latest = table.latest
    if latest is None or latest.date is None:
        return None
    date = latest.date
    start = date.year if date.month >= 4 else date.year - 1
    year = f"{start}/{str(start + 1)[2:]}"
    label = f"Outturn {year}" if date.month == 3 else f"{year} year to date"
    return f"As at month end: {date.strftime('%B %Y')} ({label})"


def title_block_changes(table: ScoreTable, *, issue_number: int | None, today: dt.date | None) -> list[CellChange]:
    from cyps_xl.cellref import split_ref

    changes = []
    block = table.title_block
    updates = {}
    text = as_at_text(table)
    if text and "as_at" in block:
        updates["as_at"] = text
    if issue_number is not None and "status" in block:
        updates["status"] = f"Status: Issue {issue_number}"
    if today is not None and "date_created" in block:
        updates["date_created"] = f"Date created: {today.strftime('%d/%m/%Y')}"
    for key, value in updates.items():
        row, column = split_ref(block[key][0])
        changes.append(CellChange(table.sheet, row, column, value, None))
    return changes


def renumber(changes: list, tables, number: int) -> list:
    """The changes with the status line saying ``number`` (the issue number the file is named with)."""
    from cyps_xl.cellref import split_ref

    status = {(t.sheet, *split_ref(t.title_block["status"][0])) for t in tables if "status" in t.title_block}
    return [CellChange(c.sheet, c.row, c.column, f"Status: Issue {number}", c.style)
            if isinstance(c, CellChange) and (c.sheet, c.row, c.column) in status else c for c in changes]


def current_issue_number(tables) -> int:
    import re

    for table in tables:
        if "status" in table.title_block:
            found = re.search(r"issue\s*(\d+)", table.title_block["status"][1], re.IGNORECASE)
            if found:
                return int(found.group(1))
    return 0
