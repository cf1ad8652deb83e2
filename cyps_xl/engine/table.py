"""The scorecard as plain data: tables, rows and month columns, as the reader finds them.

The engine rates these without knowing anything about workbooks; the
workbook reader (:mod:`cyps_xl.workbook.reader`) builds them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cyps_xl.cellref import column_letter
from cyps_xl.engine.values import Reading
from cyps_xl.errors import cell_place


@dataclass(frozen=True)
class MonthColumn:
    column: int
    label: str
    date: dt.date | None


@dataclass
class ScoreRow:
    row: int
    section: str | None
    ref: str | None  # the reference of the indicator block this row belongs to
    title: str | None  # the row's own title, else its block's
    part: str | None  # Families / Children / Duty..., else the DATA NOTE for sub-rows
    data_note: str | None
    months: list[Reading]
    outturn: Reading
    previous_year: Reading
    polarity_text: str | None
    tolerance_text: dict  # red/amber/green -> raw cell value
    number_format: str | None  # of the latest month cell, as the team left it
    first_in_block: bool = True
    existing: dict = field(default_factory=dict)  # dot_month/rag_month/dot_year/rag_year -> text already there
    benchmarks: dict | None = None  # benchmark column key -> what the cell holds, where it holds anything


@dataclass
class ScoreTable:
    sheet: str
    header_rows: tuple  # (first, last) 1-based
    columns: dict  # key -> 1-based column
    months: list[MonthColumn]
    rows: list[ScoreRow] = field(default_factory=list)
    title_block: dict = field(default_factory=dict)  # key -> (cell, text)
    titles: dict = field(default_factory=dict)  # key -> (row, text) of each column's title cell

    @property
    def latest(self) -> MonthColumn | None:
        return self.months[-1] if self.months else None


@dataclass
class Scorecard:
    path: Path
    tables: list[ScoreTable]
    macro_enabled: bool
    grids: object = None  # cyps_xl.workbook.cells.GridBook: every sheet's saved values, as read
    uncalculated: list = field(default_factory=list)  # 'Sheet'!Q20 of each figure that is a formula with no result


def place_of(sheet: str, row: int, column: int) -> str:
    return cell_place(sheet, f"{column_letter(column)}{row}")


def place(table: ScoreTable, row: int, key: str) -> str:
    return place_of(table.sheet, row, table.columns[key])
