"""Cell values and number formats, read from the package model's own XML trees.

The workbook is parsed once, into :class:`cyps_xl.workbook.package.Package` (which is
also the writer); this module reads what the scorecard reader needs from
those same trees: each cell's saved value (a formula's last result, as Excel
saved it) and its number format, shared strings, dates, merged ranges.
Values come out as openpyxl would give them in ``data_only`` mode (numbers as
int or float, dates in date formats as datetimes, errors as "#N/A"...), so
nothing downstream can tell, and openpyxl is never loaded on the issue path.

Cost follows the cells that exist: rows and cells are kept sparse.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from cyps_xl.cellref import address, column_letter, split_ref
from cyps_xl.errors import CypsError, cell_place

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
M = f"{{{NS_MAIN}}}"
# Excel's built-in number formats, by id (ECMA-376 Part 1, 18.8.30), as openpyxl names them.
BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)', 7: '"$"#,##0.00_);("$"#,##0.00)', 8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)", 38: "#,##0_);[Red](#,##0)", 39: "#,##0.00_);(#,##0.00)", 40: "#,##0.00_);[Red](#,##0.00)",
    41: r'_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)', 42: r'_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)', 45: "mm:ss", 46: "[h]:mm:ss",
    47: "mmss.0", 48: "##0.0E+0", 49: "@",
}
_LITERALS = re.compile(r'"[^"]*"|\\.|\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]')
_DATE_PARTS = re.compile(r"[dmyhs]", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def is_date_format(code: str | None) -> bool:
    """A number format that shows a date or time (colours, literals and locales aside)."""
    if not code or code == "General":
        return False
    return bool(_DATE_PARTS.search(_LITERALS.sub("", code.split(";")[0])))


def from_excel(serial: float, epoch1904: bool = False) -> dt.datetime:
    """An Excel date serial as a datetime (the 1900 system's phantom 29 Feb 1900 accounted for)."""
    if epoch1904:
        base = dt.datetime(1904, 1, 1)
    else:
        base = dt.datetime(1899, 12, 30)
        if 0 < serial < 60:
            serial += 1
    days = int(serial)
    seconds = round((serial - days) * 86400)
    return base + dt.timedelta(days=days, seconds=seconds)


@dataclass(frozen=True)
class GridCell:
    row: int
    column: int
    value: object
    number_format: str

    @property
    def coordinate(self) -> str:
        return f"{column_letter(self.column)}{self.row}"


@dataclass(frozen=True)
class MergedRange:
    min_row: int
    min_col: int
    max_row: int
    max_col: int
    coord: str


_NO_CELLS: dict = {}


def _extent(cells: dict) -> tuple[int, int]:
    """(last row, last column) holding a value. A row's rightmost cell most often holds one: then it is the
    row's last, found without looking at the others (a value a cell, twice over, took 1% of an issue)."""
    max_row = next((r for r in sorted(cells, reverse=True)
                    if any(cell[0] is not None for cell in cells[r].values())), 0)
    max_column = 0
    for row in cells.values():
        if not row:
            continue
        top = max(row)
        if top <= max_column:
            continue  # no cell of it can reach further
        if row[top][0] is None:
            top = max((c for c, cell in row.items() if cell[0] is not None), default=0)
        if top > max_column:
            max_column = top
    return max_row, max_column


class GridSheet:
    """A worksheet's saved values and number formats, sparse: cost follows the cells that exist."""

    def __init__(self, title: str, cells: dict, merged: list, state: str = "visible", text_styles: dict | None = None,
                 styles_used: set | None = None):
        self.title = title
        self.state = state  # visible, hidden or veryHidden (workbook.xml's sheet state)
        self._cells = cells  # row -> {column: (value, number format, style index as saved)}
        # for measuring printed text without reading the rows again: row -> {column: style} of text cells,
        # and every style a cell with a value uses
        self.text_styles = text_styles if text_styles is not None else {}
        self.styles_used = styles_used if styles_used is not None else set()
        self.max_row, self.max_column = _extent(cells)
        self.merged_ranges = merged

    def cell(self, row: int, column: int) -> GridCell:
        found = self._values().get(row, {}).get(column)
        if found is None:
            return GridCell(row, column, None, "General")
        return GridCell(row, column, found[0], found[1])

    def row(self, row: int) -> dict:
        """column -> (value, number format, style index as saved) of a row's cells that exist (read only)."""
        return self._values().get(row) or _NO_CELLS

    def _values(self) -> dict:
        if self._cells is None:
            raise RuntimeError(f"the values of sheet '{self.title}' were let go (see GridBook.for_measuring)")
        return self._cells

    def measuring_row(self, row: int) -> tuple[dict, tuple]:
        """({column: (style, text)} of a row's text cells, (columns holding a value)): what measuring its
        printed text needs, whether or not the values were let go. The dict is the caller's own."""
        if self._cells is None:
            texts, valued = self._measured.get(row, (_NO_CELLS, ()))
            return dict(texts), valued
        return self._measuring(row, self._cells.get(row) or _NO_CELLS)

    def _measuring(self, row: int, cells: dict) -> tuple[dict, tuple]:
        styles = self.text_styles.get(row)
        return ({column: (style, cells[column][0]) for column, style in styles.items()} if styles else {},
                tuple([c for c, cell in cells.items() if cell[0] is not None]))

    def for_measuring(self) -> None:
        """Keep only what measuring printed text needs (each row's text cells and the columns holding a
        value): the values themselves go, most of the grid's memory on a big scorecard."""
        if self._cells is None:
            return
        measured = {}
        for number, cells in self._cells.items():
            texts, valued = self._measuring(number, cells)
            if texts or valued:
                measured[number] = (texts or _NO_CELLS, valued)  # kept: one empty dict for every row without text
        self._measured, self._cells, self.text_styles = measured, None, {}

    def row_numbers(self, min_row: int = 1) -> list:
        """The rows at or below ``min_row`` that hold any cell, in order."""
        return sorted(r for r in self._values() if min_row <= r <= self.max_row)

    def iter_rows(self, min_row: int = 1, max_row: int | None = None):
        """Each row's cells that exist, in column order (rows without cells are skipped)."""
        last = self.max_row if max_row is None else min(max_row, self.max_row)
        for r in self.row_numbers(min_row):
            if r > last:
                break
            row = self._values()[r]
            yield [GridCell(r, c, row[c][0], row[c][1]) for c in sorted(row)]


class GridBook:
    """Sheets by name, as :class:`GridSheet` (what the reader and the CYPS_ formula evaluation read)."""

    def __init__(self, sheets: list):
        self.worksheets = sheets
        self.sheetnames = [s.title for s in sheets]
        self._by_name = {s.title: s for s in sheets}

    def __getitem__(self, name: str) -> GridSheet:
        return self._by_name[name]

    def for_measuring(self) -> None:
        """Every sheet keeps only what measuring printed text needs (see GridSheet.for_measuring)."""
        for sheet in self.worksheets:
            sheet.for_measuring()


def read_grids(package) -> GridBook:
    """Every worksheet of the package's workbook, from its XML trees (parsed once, shared with the writer)."""
    strings = package.shared_strings.texts()  # the table's own list: read once, shared with the writer
    formats = _cell_formats(package)
    epoch1904 = _date1904(package)
    states = {e.get("name"): e.get("state") or "visible"
              for e in package.tree(package.workbook_part).iterfind(f"{M}sheets/{M}sheet")}
    sheets = []
    for name, part in package.sheet_parts.items():
        worksheet = package.worksheet(part)
        found = None
        if worksheet.layout is not None:
            from cyps_xl.workbook.rowbytes import Unusual

            try:
                from cyps_xl.workbook.cellbytes import plain_cells

                found = plain_cells(package, worksheet, name, strings, formats, epoch1904)
            except Unusual:
                found = None  # a row that is not plain after all: the elements are read instead
        if found is None:
            found = _element_cells(package, worksheet, name, strings, formats, epoch1904)
        cells, text_styles, styles_used = found
        merged = merged_ranges(worksheet.shell)
        package.let_go(part)  # read: its bytes are not needed again until it is written
        sheets.append(GridSheet(name, cells, merged, states.get(name, "visible"), text_styles, styles_used))
    return GridBook(sheets)


def _element_cells(package, worksheet, name: str, strings: list, formats: list, epoch1904: bool) -> tuple:
    cells: dict = {}
    text_styles: dict = {}
    styles_used: set = set()
    for number, row in worksheet.source_rows():  # streamed: a row at a time, never the whole sheet
        position = 0
        for cell in row.iterfind(f"{M}c"):
            ref = cell.get("r")
            if ref:
                place = address(ref)
                if place is None:
                    raise CypsError(f"a cell has the reference '{ref}', which is not a cell address.",
                                    file=package.path, place=f"sheet '{name}', row {number}",
                                    hint="The file is damaged; open it in Excel and save it again.")
                column = place[1]
            else:
                column = position + 1
            position = column
            style = cell.get("s")
            code = _format(package, name, style, formats, ref or f"{column_letter(column)}{number}")
            try:
                value = _value(cell, strings, code, epoch1904)
            except ValueError as exc:
                raise _damaged(package, name, exc, ref or f"{column_letter(column)}{number}") from None
            _keep(cells, text_styles, styles_used, number, column, value, code, style)
    return cells, text_styles, styles_used


def _unescaped(text: str) -> str:
    """A cell's raw text with its XML character references read (only text holding an '&' has any)."""
    from cyps_xl.workbook.xmltext import unescaped

    return unescaped(text)


def _format(package, sheet: str, style: str | None, formats: list, where: str) -> str:
    if style is not None and not style.isdigit():
        raise CypsError(f"has the style '{style}', which is no style number; the file is damaged.",
                        file=package.path, place=cell_place(sheet, where),
                        hint="Open it in Excel and save it again, or restore the last good copy.")
    return formats[int(style)] if style is not None and int(style) < len(formats) else "General"


def _damaged(package, sheet: str, exc: ValueError, where: str) -> CypsError:
    return CypsError(f"{exc}; the file is damaged.", file=package.path, place=cell_place(sheet, where),
                     hint="Open it in Excel and save it again, or restore the last good copy.")


def _keep(cells: dict, text_styles: dict, styles_used: set, number: int, column: int, value, code: str, style) -> None:
    row = cells.get(number)
    if row is None:
        row = cells[number] = {}
    row[column] = (value, code, int(style or 0))
    if value is not None:
        styles_used.add(style)
        if value.__class__ is str:
            text_styles.setdefault(number, {})[column] = int(style or 0)


V = f"{M}v"


def _value(cell, strings: list, code: str, epoch1904: bool):
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        from cyps_xl.workbook.strings import item_text  # lxml's: the grids xlwings Lite builds never come here

        inline = cell.find(f"{M}is")
        return item_text(inline) if inline is not None else None
    for found in cell:  # its children are f, is, v, extLst: a loop beats find() on the hot path
        if found.tag == V:
            break
    else:
        return None
    return _typed(kind, found.text or "", strings, code, epoch1904)


def _typed(kind: str, raw: str, strings: list, code: str, epoch1904: bool):
    """A cell's saved text as its value, by its type (t) and number format."""
    if kind == "s":
        index = int(raw) if raw.strip().isdigit() else -1
        if not 0 <= index < len(strings):
            raise ValueError(f"refers to text number {raw.strip()} of the shared strings, which the workbook does not have")
        return strings[index]
    if kind in ("str", "e"):
        return raw
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(raw.strip().rstrip("Z"))
        except ValueError:
            return raw
    text = raw.strip()
    try:
        if "." in text or "e" in text or "E" in text or "n" in text or "N" in text:
            number = float(text)
            if not -1e308 < number < 1e308:  # inf, nan, and what Excel cannot hold
                raise OverflowError
        else:
            number = int(text)
            if not -1e308 < number < 1e308:
                raise OverflowError
    except ValueError:
        return text  # not a number: kept as the text it is, for the reader to name
    except OverflowError:
        raise ValueError(f"holds {text[:20]!r}{'...' if len(text) > 20 else ''}, which is not a finite number") from None
    if code != "General" and is_date_format(code) and 0 <= number < 2958466:
        return from_excel(number, epoch1904)
    return number


def _related(package, rel_type: str) -> str | None:
    _, rels = package.relationships(package.workbook_part)
    for rel in (rels if rels is not None else ()):
        if rel.get("Type", "").endswith(rel_type):
            return package.resolve(package.workbook_part, rel.get("Target"))
    return None


def _cell_formats(package) -> list:
    """Each cell style (cellXfs index) as its number format code."""
    part = _related(package, "/styles")
    if not part or part not in package.parts:
        return []
    root = package.tree(part)
    custom = {int(n.get("numFmtId")): n.get("formatCode") for n in root.iterfind(f"{M}numFmts/{M}numFmt")
              if (n.get("numFmtId") or "").isdigit()}
    codes = []
    for xf in root.iterfind(f"{M}cellXfs/{M}xf"):
        ident = int(xf.get("numFmtId", "0")) if (xf.get("numFmtId") or "0").isdigit() else 0
        codes.append(custom.get(ident) or BUILTIN_FORMATS.get(ident, "General"))
    return codes


def _date1904(package) -> bool:
    pr = package.tree(package.workbook_part).find(f"{M}workbookPr")
    return pr is not None and pr.get("date1904") in ("1", "true")


def merged_ranges(shell) -> list[MergedRange]:
    """A worksheet's merged ranges (from its shell: every element but the rows)."""
    return [_merged(m.get("ref")) for m in shell.iterfind(f"{M}mergeCells/{M}mergeCell") if m.get("ref")]


def _merged(ref: str) -> MergedRange:
    first, _, last = ref.partition(":")
    (r1, c1), (r2, c2) = split_ref(first), split_ref(last or first)
    return MergedRange(r1, c1, r2, c2, ref)
