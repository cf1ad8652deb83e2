"""Reading the team's scorecard workbook into plain data.

The reader finds each sheet's table by its column titles (see
``rules/layout.yaml``), wherever the header row is and in any column order,
and returns :class:`ScoreTable` objects the engine can rate without knowing
anything about Excel.  It never writes.
"""
from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

from cyps_xl.cellref import column_letter
from cyps_xl.engine.table import MonthColumn, Scorecard, ScoreRow, ScoreTable, place, place_of  # noqa: F401 - re-exported
from cyps_xl.errors import CypsError
from cyps_xl.workbook.layout import BENCHMARK_KEYS, Layout
from cyps_xl.workbook.months import check_between, check_order, label_of, month_of
from cyps_xl.engine.values import (DECIMAL_COMMA_RE, GENERAL, Reading, format_precision, is_placeholder,
                                   number_reading, read_cell)

PLAN_CODE_RE = re.compile(r"^(TB|CH)\s*\d", re.IGNORECASE)
REF_RE = re.compile(r"^\d+(\.\d+)*[a-z]?$", re.IGNORECASE)


def open_workbook(path: Path, *, data_only: bool = True):
    """Load with openpyxl, turning every way a file can be unreadable into one message."""
    import openpyxl

    from cyps_xl.workbook.package import ensure_workbook_file

    path = Path(path)
    ensure_workbook_file(path)
    try:
        with warnings.catch_warnings():
            # openpyxl warns that it cannot keep sparklines; the reader only reads, and the
            # writer (cyps_xl.workbook.package) keeps them, so the warning would only alarm users.
            warnings.simplefilter("ignore", UserWarning)
            return openpyxl.load_workbook(path, data_only=data_only, keep_links=False)
    except (zipfile.BadZipFile, EOFError, KeyError, OSError) as exc:
        raise CypsError(f"cannot be read as a workbook ({exc}).", file=path,
                        hint="The file may be truncated or damaged; save it again from Excel.") from None


def read_scorecard(path: Path, layout: Layout, package=None, *, include_hidden: bool = False) -> Scorecard:
    """The scorecard tables of a workbook, read from the package model (parsed once, shared with the writer).

    Hidden and very hidden sheets (last year's copy, a helper sheet) are left out unless ``include_hidden``;
    they are named in ``Scorecard.hidden`` for the run report.
    """
    from cyps_xl.workbook.cells import read_grids
    from cyps_xl.workbook.package import Package

    path = Path(path)
    package = package if package is not None else Package(path)
    scorecard = scorecard_from_grids(path, read_grids(package), layout, include_hidden=include_hidden)
    scorecard.uncalculated = [cell for table in scorecard.tables for cell in _unsaved_formulas(package, table, path)]
    return scorecard


def scorecard_from_grids(path: Path, grids, layout: Layout, *, include_hidden: bool = False) -> Scorecard:
    """The scorecard tables of sheets already read as grids (:class:`~cyps_xl.workbook.cells.GridBook`): from a
    file's package, or from the values Excel hands xlwings Lite."""
    shown = [s for s in grids.worksheets if include_hidden or s.state == "visible"]
    scorecard = _read_tables(Path(path), shown, layout)
    scorecard.grids = grids
    scorecard.hidden = [s.title for s in grids.worksheets if s not in shown]
    return scorecard


def _read_tables(path: Path, sheets, layout: Layout) -> Scorecard:
    tables, looked_at = [], []
    for sheet in sheets:
        table = read_sheet(sheet, layout, path)
        if table is not None:
            tables.append(table)
        else:
            empty = (sheet.max_row or 0) <= 1 and (sheet.max_column or 0) <= 1 and sheet.cell(1, 1).value is None
            looked_at.append(f"'{sheet.title}'" + (" is empty" if empty else " has no such header"))
    if not tables:
        raise CypsError(
            "no scorecard table found: no sheet has a header row with REF NO. and INDICATOR columns "
            f"(sheet {'; sheet '.join(looked_at)}).",
            file=path, hint=f"Check you chose the scorecard, and its column titles (or add yours to {layout.source.name}).",
        )
    return Scorecard(path=path, tables=tables, macro_enabled=path.suffix.lower() == ".xlsm")


def _unsaved_formulas(package, table: ScoreTable, path: Path) -> list[str]:
    """Formulas Excel never calculated (a file saved by a tool that does not calculate) read as empty. In a
    heading that would skip its column without a word: refused. In a figure it is no value: named ('Sheet'!Q20)
    for the run report."""
    worksheet = package.worksheet(package.sheet_parts[table.sheet])
    if not worksheet.has_formulas:
        return []
    first, last = table.header_rows
    rows = {row.row for row in table.rows}
    figures = {m.column for m in table.months} | {table.columns[k] for k in ("outturn", "previous_year") if k in table.columns}
    found = []
    for (row, column), formula in worksheet.formulas.items():
        if formula.saved:
            continue
        if first <= row <= last:
            raise CypsError(f"this heading is a formula with no saved result (={formula.text or ''}), so what it "
                            "names cannot be read.", file=path, place=place_of(table.sheet, row, column),
                            hint="Open the workbook in Excel, let it calculate, and save it; or type the heading.")
        if row in rows and column in figures:
            found.append(f"'{table.sheet}'!{column_letter(column)}{row}")
    return found


def _find_header(sheet, layout: Layout, path: Path):
    limit = min(sheet.max_row or 0, layout.header_search_rows)
    for row in sheet.iter_rows(min_row=1, max_row=limit):
        found = {}
        for cell in row:
            key = layout.classify(cell.value) if isinstance(cell.value, str) else None
            if key and key not in found:
                found[key] = cell
        if "indicator" in found or "ref" in found:
            missing = [k for k in layout.required if k not in found]
            if not missing:
                return row[0].row
            if len(found) >= 3:  # clearly a header row, but incomplete
                title = {"ref": "REF NO.", "indicator": "INDICATOR"}.get(missing[0], missing[0])
                raise CypsError(
                    f"the header row has no {title} column.", file=path,
                    place=f"sheet '{sheet.title}', row {row[0].row}",
                    hint=f"Add a column titled '{title}', or add your title to {layout.source.name}.",
                )
    return None


def read_sheet(sheet, layout: Layout, path: Path) -> ScoreTable | None:
    header = _find_header(sheet, layout, path)
    if header is None:
        return None
    width = sheet.max_column
    top = [sheet.cell(header, c).value for c in range(1, width + 1)]
    below = [sheet.cell(header + 1, c).value for c in range(1, width + 1)]
    two_rows = _is_second_header_row(below, layout)
    columns: dict = {}
    titles: dict = {}
    months: list[MonthColumn] = []
    headings: dict = {}  # column -> (row, heading)
    for index in range(width):
        lower = two_rows and below[index] not in (None, "")
        title = below[index] if lower else top[index]
        column = index + 1
        headings[column] = (header + 1 if lower else header, title)
        date = month_of(title)
        if date is not None or layout.is_month_title(title):
            months.append(MonthColumn(column, label_of(title, date), date))
            continue
        key = layout.classify(title)
        if key and key not in columns:
            columns[key] = column
            titles[key] = (header + 1 if lower else header, str(title))
    check_between(months, headings, lambda title: layout.classify(title) is not None, sheet.title, path)
    months = check_order(months, {c: row for c, (row, _) in headings.items()}, sheet.title, path)
    table = ScoreTable(sheet.title, (header, header + 1 if two_rows else header), columns, months, titles=titles)
    table.title_block = _title_block(sheet, header, layout)
    _read_rows(sheet, table, layout, path)
    if not table.rows:
        raise CypsError(f"the header is on row {header} but there are no indicator rows under it.", file=path,
                        place=f"sheet '{sheet.title}'", hint="Check the sheet holds the scorecard's rows.")
    _check_merged_values(sheet, table, path)
    return table


def _is_second_header_row(values, layout: Layout) -> bool:
    recognised = sum(
        1 for v in values
        if month_of(v) is not None or layout.classify(v) or layout.is_month_title(v)
    )
    return recognised >= 2


def _title_block(sheet, header: int, layout: Layout) -> dict:
    found = {}
    for row in sheet.iter_rows(min_row=1, max_row=max(header - 1, 0)):
        for cell in row:
            if isinstance(cell.value, str):
                text = cell.value.strip()
                for key, prefix in layout.title_block.items():
                    if key not in found and text.lower().startswith(prefix.lower()):
                        found[key] = (cell.coordinate, text)
    return found


def _text(value) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _ref_text(cell: tuple) -> str | None:
    """A reference as the cell shows it: 1.1 under the format 0.00 is REF 1.10, not 1.1."""
    value, number_format = cell[0], cell[1]
    if isinstance(value, float) and not isinstance(value, bool):
        decimals, percent = format_precision(number_format)
        if decimals is not GENERAL and not percent:
            return f"{value:.{decimals}f}"
    return _text(value)


def _tolerance_value(cell: tuple):
    """Tolerance cells are text; a number formatted as % is read as '87%'. ``cell``: (value, number format)."""
    value, number_format = cell[0], cell[1]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (number_format or ""):
        return f"{format(value * 100, '.10g')}%"
    return value


def _read_rows(sheet, table: ScoreTable, layout: Layout, path: Path) -> None:
    cols = table.columns
    section = None
    block_ref = block_title = None
    seen_refs: dict = {}
    nothing = (None, "General")  # a cell the row does not have
    # each key's column (0: the sheet has none), looked up once for every row
    ref_column, title_column, note_column, part_column, polarity_column, outturn_column = (
        cols.get(key, 0) for key in ("ref", "indicator", "data_note", "part", "polarity", "outturn"))
    month_columns = [m.column for m in table.months]
    value_columns = month_columns + [cols[k] for k in ("outturn", "previous_year") if k in cols]
    previous_year_column = cols.get("previous_year")
    latest_column = table.latest.column if table.latest else None
    bands = [(band, cols[band]) for band in ("red", "amber", "green") if band in cols]
    existing_columns = [(k, cols[k]) for k in ("dot_month", "rag_month", "dot_year", "rag_year") if k in cols]
    benchmark_columns = [(k, cols[k]) for k in BENCHMARK_KEYS if k in cols]
    no_reading = Reading(None)
    for r in sheet.row_numbers(table.header_rows[1] + 1):
        cells = sheet.row(r)  # column -> (value, number format)
        get = cells.get
        ref_text = _ref_text(get(ref_column, nothing)) if ref_column else None
        title = _text(get(title_column, nothing)[0]) if title_column else None
        if ref_text and title and layout.is_title(ref_text, "ref") and layout.is_title(title, "indicator"):
            raise CypsError(f"a second header row (the first is row {table.header_rows[0]}).", file=path,
                            place=f"sheet '{sheet.title}', row {r}",
                            hint="Keep one header row per sheet; put another table on its own sheet.")
        note = _text(get(note_column, nothing)[0]) if note_column else None
        month_values = [get(column, nothing)[0] for column in month_columns]
        has_data = any(v is not None and v != "" for v in month_values) or \
            (outturn_column and get(outturn_column, nothing)[0] not in (None, ""))
        if ref_text and not REF_RE.match(ref_text) and not title and not note:
            section, block_ref, block_title = ref_text, None, None  # a section band such as FIRST RESPONSE
            continue
        if not (ref_text or title or note or has_data):
            continue
        first = bool(ref_text)
        if ref_text:
            if ref_text in seen_refs:
                raise CypsError(f"REF NO. {ref_text} is used again (first on row {seen_refs[ref_text]}).", file=path,
                                place=place_of(sheet.title, r, cols["ref"]),
                                hint="Give each indicator its own reference; rows of one indicator leave REF NO. blank.")
            seen_refs[ref_text] = r
            block_ref, block_title = ref_text, title
        part = _text(get(part_column, nothing)[0]) if part_column else None
        if part and PLAN_CODE_RE.match(part):
            part = None  # a council-plan code such as TB3, not a sub-row label
        if not first and not part:
            part = note  # a sub-row such as the % row under a count: told apart by its DATA NOTE
        # a number (the usual cell) is read without the trip through _value
        readings = {column: number_reading(float(raw)) if raw.__class__ is float or raw.__class__ is int
                    else _value(raw, sheet.title, r, column, path)
                    for column, raw in zip(value_columns, month_values + [get(c, nothing)[0] for c in
                                                                          value_columns[len(month_columns):]])}
        table.rows.append(ScoreRow(
            row=r, section=section, ref=block_ref, title=title or block_title, part=part, data_note=note,
            months=[readings[column] for column in month_columns],
            outturn=readings[outturn_column] if outturn_column else no_reading,
            previous_year=readings[previous_year_column] if previous_year_column else no_reading,
            polarity_text=_text(get(polarity_column, nothing)[0]) if polarity_column else None,
            tolerance_text={band: _tolerance_value(get(column, nothing)) for band, column in bands},
            number_format=get(latest_column, nothing)[1] if latest_column is not None else None,
            first_in_block=first,
            existing={k: _text(get(column, nothing)[0]) for k, column in existing_columns},
            benchmarks={k: v for k, column in benchmark_columns if (v := get(column, nothing)[0]) not in (None, "")}
            or None,
        ))


def _value(raw, sheet: str, row: int, column: int, path: Path) -> Reading:
    """A value cell: a number, a known placeholder, or blank; anything else is a mistake to fix."""
    if raw.__class__ is float:  # the usual cells: read_cell's number case, without the trip
        return Reading(raw)
    if raw.__class__ is int:  # (a bool is no int here: its class is bool)
        return Reading(float(raw))
    reading = read_cell(raw)
    if reading.error:
        raise CypsError(f"holds the Excel error {reading.error}.", file=path, place=place_of(sheet, row, column),
                        hint="Fix the formula or the source data, or type '-' if there is no figure this month.")
    if reading.reason and not is_placeholder(reading.reason):
        if DECIMAL_COMMA_RE.match(reading.reason):
            shown = reading.reason.strip().replace(",", ".")
            raise CypsError(f"'{reading.reason}' has a decimal comma, which could be read two ways.", file=path,
                            place=place_of(sheet, row, column), hint=f"Type it with a decimal point: {shown}.")
        raise CypsError(f"'{reading.reason}' is not a number.", file=path, place=place_of(sheet, row, column),
                        hint="Type the figure, or '-' / 'n/a' when there is none.")
    return reading


def _check_merged_values(sheet, table: ScoreTable, path: Path) -> None:
    """Merged cells across value columns would hide months; section bands may be merged."""
    value_columns = {m.column for m in table.months} | {table.columns[k] for k in ("outturn", "previous_year") if k in table.columns}
    indicator_rows = {row.row for row in table.rows}
    for merged in sheet.merged_ranges:
        rows = set(range(merged.min_row, merged.max_row + 1))
        columns = set(range(merged.min_col, merged.max_col + 1))
        if rows & indicator_rows and columns & value_columns and (len(columns) > 1 or len(rows) > 1):
            raise CypsError(f"the cells {merged.coord} are merged across value columns.", file=path,
                            place=f"sheet '{sheet.title}'",
                            hint="Unmerge them so each month has its own cell (Home > Merge & Center > Unmerge Cells).")
