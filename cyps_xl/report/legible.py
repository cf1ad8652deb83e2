"""Legible pages: the issued scorecard measured the way a reader meets it on paper.

Text that does not fit its cell (and cannot spill into an empty neighbour) wraps
within it, and its row grows to hold the lines; a column too narrow for a
single word of its text widens to that word. So nothing printed is cut at a
cell edge or runs into the next row. Then the paper and scale are chosen so
that the smallest text prints at :data:`MIN_POINTS` or more: A4 landscape when
one page wide allows it, else A3 landscape (what such reports use), else A3 at
the scale that gives 7 pt, pages read left to right with the reference and
indicator columns repeated on each.

Text is measured in the widths of the cell's own face (``textwidth``). Print the PDF with the metric-compatible
faces installed (see README), or LibreOffice lays it out in other widths than Excel's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from cyps_xl.cellref import column_letter
from cyps_xl.report.textwidth import text_width, wrapped_lines
from cyps_xl.workbook.cells import merged_ranges
from cyps_xl.workbook.parts import M
from cyps_xl.workbook.sheet import KEEP, encoded
from cyps_xl.workbook.strings import cell_text
from cyps_xl.workbook.styles import CellStyle

MIN_POINTS = 7.0  # the smallest printed text a member of the panel should have to read
PAPERS = (("A4", 9, 842.0, 595.0), ("A3", 8, 1191.0, 842.0))  # name, paperSize code, landscape width and height
SIDE_MARGINS, TOP_BOTTOM_MARGINS = 57.6, 79.2  # the margins set_print gives (0.4" each side)
CHARACTER_POINTS = 5.25  # Excel: a width of one character is 7 pixels, 0.75 pt each
PADDING = 4.0  # points a cell keeps clear inside its borders
LINE = 1.22  # a wrapped line's height, in font sizes
DEFAULT_ROW_HEIGHT = 15.0  # points, when a sheet does not say
WRAPPED = CellStyle(wrap=True)
TOP = CellStyle(vertical="top")


@dataclass(frozen=True)
class PageChoice:
    paper: str
    paper_size: int  # the pageSetup code
    width: float  # the page's width in points (landscape)
    height: float  # the page's height in points (landscape)
    scale: float  # printed size / sheet size
    fit_width: bool  # one page wide (else ``scale`` is set and pages run across)

    @property
    def percent(self) -> int:
        return int(math.floor(self.scale * 100))


def choose_page(width: float, smallest: float) -> PageChoice:
    """The paper and scale that print a sheet ``width`` points wide with its ``smallest`` text at 7 pt or more."""
    for name, code, page_width, page_height in PAPERS:
        scale = min(1.0, (page_width - SIDE_MARGINS) / width) if width else 1.0
        if smallest * scale >= MIN_POINTS:
            return PageChoice(name, code, page_width, page_height, scale, True)
    name, code, page_width, page_height = PAPERS[-1]
    return PageChoice(name, code, page_width, page_height, min(1.0, math.ceil(MIN_POINTS / smallest * 100) / 100), False)


@dataclass
class Measured:
    """What one pass over a sheet's rows found: the smallest printed font, and the title block's lines."""

    smallest: float
    notes: list  # (row, column, text, points, bold): a title-block row's lone text


def fit_text(package, sheet: str, rows, note_rows=(), grid=None, readable=None) -> Measured:
    """Wrap what does not fit in ``rows`` of ``sheet`` and grow those rows; widen a column no word of its text
    fits. The title block's lines (``note_rows``) are kept for :func:`fit_notes`. The cells come from the
    reader's ``grid`` when given (nothing is read again), else from one pass over the rows.

    ``readable``: column -> a width in characters it may widen to, when the sheet gives it none (a title column
    left at the default 8.43 would print a long title a word a line). A heading merged over several columns wraps
    within them. Every row that grows has all its cells aligned to the top, so a reference, its title and its
    figures start on one line. The lines are counted once every column's width is settled."""
    worksheet = package.worksheet(package.sheet_parts[sheet])
    editor = package.sheet(sheet)
    looks: dict = {}  # style index -> (points, bold, wraps, face)
    look = lambda s: looks.get(s) or looks.setdefault(s, package.styles.look(s))  # noqa: E731
    widths, hidden, default_width = package.column_widths(sheet)
    merged, merge_widths = _merged_cells(worksheet.shell, widths, default_width)
    readable = readable or {}
    strings = package.shared_strings
    texts = strings.texts()  # every text is in the table by now (what the run writes goes there too)
    notes_wanted = set(note_rows)
    wanted = set(rows) | notes_wanted
    smallest = math.inf
    notes = []
    grown: dict = {}  # row -> height it needs
    widened: dict = {}  # column -> width in characters
    wrapping: list = []  # (row, column, text, points, bold, face, merged width or None): counted once widths settle
    filled_rows: dict = {}  # row -> the columns holding a value, for the rows with text that wraps
    if grid is not None and not worksheet.replace_rows:
        smallest = min((look(int(style or 0))[0] for style in grid.styles_used), default=math.inf)
        source = _grid_rows(grid, wanted)
    else:
        source = _stream_rows(worksheet, wanted, strings, look)
    chains = package.style_chains
    chain_sizes: dict = {}  # style chain -> the font sizes it sets
    edited_looks: dict = {}  # (style index, chain) -> (points, bold, wraps, face) once the run's styles are set

    def sizes(chain: int) -> tuple:
        found = chain_sizes.get(chain)
        if found is None:
            found = chain_sizes[chain] = tuple(style.size for style in chains.chain(chain) if style.size)
        return found

    def edited_look(style_index: int, chain: int) -> tuple:
        points, bold, wraps, face = look(style_index)
        for style in chains.chain(chain):  # what the run sets on the cell counts too
            points = style.size if style.size is not None else points
            bold = style.bold if style.bold is not None else bold
            wraps = style.wrap if style.wrap is not None else wraps
        found = edited_looks[(style_index, chain)] = (points, bold, wraps, face)
        return found

    for number, found, valued, tallest, least in source:
        smallest = min(smallest, least)
        values, styles = worksheet.values.get(number) or {}, worksheet.styles.get(number) or {}
        # what the run writes here (a text cell it restyles is found already)
        for column, chain in styles.items():
            if column not in found and column not in values:  # a number or an empty cell restyled: only a
                for size in sizes(chain):  # new font size matters
                    smallest, tallest = min(smallest, size), max(tallest, size)
        for column in values:
            if column not in found:
                found[column] = (0, None)
        filled = None  # the row's columns holding a value, worked out only when a text does not fit
        for column in sorted(found):
            if column in hidden or (number, column) in merged:
                continue
            spread, below = merge_widths.get((number, column), (None, ()))  # a merged cell: its width, rows under
            if below:
                editor.set_style(number, column, TOP)  # a title merged down starts level with its row's figures
            style_index, saved = found[column]
            chain = styles.get(column, 0)
            edit = (encoded(values[column]) if column in values else KEEP, chain) \
                if column in values or column in styles else None
            if edit is not None and edit[0] is None:
                continue  # emptied by the run
            points, bold, wraps, face = edited_looks.get((style_index, chain)) or edited_look(style_index, chain)
            smallest = min(smallest, points)
            tallest = max(tallest, points)  # a line of large text (a title, a tile's figure) needs its height
            text = _edited_text(edit, texts) if edit is not None and edit[0] is not KEEP else saved
            room = (spread or widths.get(column, default_width)) * CHARACTER_POINTS - PADDING
            if not text:
                shown = _shown_number(edit, chains)  # a figure the run writes with words in its format: "90.1% (19/20)"
                if shown and spread is None and text_width(shown, points, bold, face) > room:  # cannot wrap: widen
                    need = (text_width(shown, points, bold, face) + PADDING) / CHARACTER_POINTS
                    widened[column] = max(widened.get(column, 0), min(need, 2 * widths.get(column, default_width)))
                continue
            if number in notes_wanted and spread is None:
                if filled is None:
                    filled = _filled(valued, values)
                if len(filled) == 1 and not wraps:
                    notes.append((number, column, text, points, bold, face))
                continue  # a title-block line runs on to its right: fit_notes sees to it
            if not wraps and (len(text) * points * 1.1 <= room or text_width(text, points, bold, face) <= room):
                continue  # fits (the first test is quick: no character is wider than 1.1 em with the margin)
            if filled is None:  # worked out only for a row with text that does not fit
                filled = _filled(valued, values)
            if not wraps and spread is None and not below and column + 1 not in filled and "\n" not in text:
                continue  # Excel lets it run on into the empty cell beside it (never out of a merged cell)
            if not wraps:
                editor.set_style(number, column, WRAPPED)
            wrapping.append((number, column, text, points, bold, face, spread, below))
            filled_rows[number] = filled = filled if filled is not None else _filled(valued, values)
        if tallest:
            grown[number] = max(grown.get(number, 0), tallest * LINE + 3)
    # the columns' widths settled first (a title column with no width of its own, a word wider than its column),
    # then each wrapped text's lines counted at the width it will print in
    longest: dict = {}
    for _, column, text, points, bold, face, spread, _ in wrapping:
        if spread is None and column in readable and column not in widths:
            longest[column] = max(longest.get(column, 0), text_width(text, points, bold, face) + PADDING)
    for column, need in longest.items():
        widened[column] = max(widened.get(column, 0), min(need / CHARACTER_POINTS, readable[column]))
    settled = dict(widened)  # before any word widens a column: a word may take it to twice this, no further
    for _, column, text, points, bold, face, spread, _ in wrapping:
        if spread is None:
            width = max(widths.get(column, default_width), settled.get(column, 0))
            _, wider = _wrapped(text, points, bold, width, face)
            if wider is not None:
                widened[column] = max(widened.get(column, 0), wider)
    default = _default_height(worksheet)
    for number, column, text, points, bold, face, spread, below in wrapping:
        width = spread or max(widths.get(column, default_width), widened.get(column, 0))
        lines = wrapped_lines(text, points, bold, width * CHARACTER_POINTS - PADDING, face)[0]
        # a cell merged down has the rows under it too: its first row grows by what they cannot hold
        under = sum(_height(worksheet, r, default) for r in below)
        grown[number] = max(grown.get(number, 0), lines * points * LINE + 3 - under)
    for column, width in widened.items():
        package.set_column_width(sheet, column, math.ceil(width * 4) / 4)
    for number, height in grown.items():
        if height > _height(worksheet, number, default) + 1:  # a point's difference is line spacing, not a clash
            editor.row_height(number, math.ceil(height * 4) / 4)
            # a row of several lines: every cell starts at its top, so the reference, title and figures read across
            for column in filled_rows.get(number, ()):
                if column not in hidden and (number, column) not in merged:
                    editor.set_style(number, column, TOP)
    return Measured(smallest if smallest != math.inf else 11.0, notes)


def _wrapped(text: str, points: float, bold: bool, width: float, face: str | None = None) -> tuple[int, float | None]:
    """(lines, the column's width widened for its longest word, or None) of ``text`` wrapped in a column
    ``width`` characters wide. A word wider than its column would be broken mid-word: the column widens,
    up to twice its width (a web address in a note breaks rather than push the page wider)."""
    room = width * CHARACTER_POINTS - PADDING
    if len(text) * points * 1.1 <= room and "\n" not in text:
        return 1, None  # surely one line: no character is wider than 1.1 em with the margin
    lines, widest = wrapped_lines(text, points, bold, room, face)
    if widest <= room:
        return lines, None
    wider = min((widest + PADDING) / CHARACTER_POINTS, 2 * width)
    return wrapped_lines(text, points, bold, wider * CHARACTER_POINTS - PADDING, face)[0], wider


def fit_rows(rows: list, widths: list, fonts: dict, default_height: float = DEFAULT_ROW_HEIGHT) -> tuple[dict, dict]:
    """What :func:`fit_text` does, for the rows of a sheet the run writes whole (Package.put_rows) before they
    are written: their text wraps (``fonts``: row -> (points, bold, wraps, face) of its cells, or None for a row
    whose text runs on unwrapped), a column too narrow for a word of its text widens to it (up to twice
    its ``widths``, in characters), and a row grows to its lines. Returns ({row: height in points} of the
    rows that must grow, {column: width} of the columns that must widen)."""
    grown: dict = {}
    widened: dict = {}
    for number, values in enumerate(rows, start=1):
        font = fonts.get(number)
        if font is None:
            continue
        points, bold, wraps, face = font
        need = points * LINE + 3 if any(value not in (None, "") for value in values) else 0.0
        for column, value in enumerate(values, start=1):
            if value is None or value == "" or not wraps:
                continue
            lines, wider = _wrapped(str(value), points, bold, widths[column - 1] if column <= len(widths) else 8.43,
                                    face)
            if wider is not None:
                widened[column] = max(widened.get(column, 0), wider)
            need = max(need, lines * points * LINE + 3)
        if need > default_height + 1:  # a point's difference is line spacing, not a clash
            grown[number] = math.ceil(need * 4) / 4
    return grown, {column: math.ceil(width * 4) / 4 for column, width in widened.items()}


def _grid_rows(grid, wanted: set):
    """(row, {column: (style, text)} of its text cells, columns holding a value, tallest, smallest font) of
    each wanted row, from the reader's grid: the fonts of numbers were taken from the styles the sheet uses."""
    for number in sorted(wanted):
        found, valued = grid.measuring_row(number)
        yield number, found, valued, 0.0, math.inf


def _stream_rows(worksheet, wanted: set, strings, look):
    """The same, from one pass over the rows as saved (unless the run replaces them all), then the rows only
    the run's edits make."""
    present = set()
    if not worksheet.replace_rows:
        for number, row in worksheet.source_rows():
            if number not in wanted:
                continue
            present.add(number)
            found, valued, tallest, least = {}, [], 0.0, math.inf
            for cell in row.iterfind(f"{M}c"):
                if not len(cell):
                    continue  # no value: a style only
                column = _column(cell.get("r"))
                if column is None:
                    continue
                valued.append(column)
                style = int(cell.get("s", "0"))
                points = look(style)[0]
                least, tallest = min(least, points), max(tallest, points)
                if cell.get("t") in ("s", "str", "inlineStr"):
                    found[column] = (style, cell_text(cell, strings))
            yield number, found, valued, tallest, least
    for number in sorted(wanted - present):
        if number in worksheet.values or number in worksheet.styles:
            yield number, {}, [], 0.0, math.inf


def column_breaks(package, sheet: str, header_rows: tuple, page: PageChoice, repeated: tuple,
                  last_column: int) -> list[int]:
    """Columns before which a new page across starts: never inside a heading merged over several columns
    ("TARGET & TOLERANCES"), and each page (with the ``repeated`` columns) no wider than the paper holds."""
    from cyps_xl.workbook.additions import POINTS_PER_CHARACTER

    widths, hidden, default_width = package.column_widths(sheet)
    width = lambda c: 0.0 if c in hidden else widths.get(c, default_width) * POINTS_PER_CHARACTER  # noqa: E731
    capacity = (page.width - SIDE_MARGINS) / page.scale
    groups = {c: c for c in range(1, last_column + 1)}  # column -> last column of the heading it sits under
    for m in merged_ranges(package.worksheet(package.sheet_parts[sheet]).shell):
        if header_rows[0] <= m.min_row <= header_rows[1]:
            for c in range(m.min_col, min(m.max_col, last_column) + 1):
                groups[c] = max(groups.get(c, c), min(m.max_col, last_column))
    again = sum(width(c) for c in range(repeated[0], repeated[1] + 1))
    breaks, used, column = [], 0.0, 1
    while column <= last_column:
        end = groups[column]
        group = sum(width(c) for c in range(column, end + 1))
        if used > again and used + group > capacity:
            breaks.append(column)
            used = again
        used += group
        column = end + 1
    return breaks


def fit_notes(package, sheet: str, notes: list, last: int) -> None:
    """A line of the title block that would run on past column ``last`` (the page's edge, or the columns
    repeated on every page across) would be cut there: it is merged over the columns up to ``last`` and
    wraps within them. ``notes`` are the lines :func:`fit_text` found."""
    worksheet = package.worksheet(package.sheet_parts[sheet])
    widths, hidden, default_width = package.column_widths(sheet)
    editor = package.sheet(sheet)
    for number, column, text, points, bold, face in notes:
        if column >= last:
            continue
        room = sum(widths.get(c, default_width) for c in range(column, last + 1) if c not in hidden) * CHARACTER_POINTS
        room -= PADDING
        if text_width(text, points, bold, face) <= room:
            continue
        lines, _ = wrapped_lines(text, points, bold, room, face)
        package.merge(sheet, f"{column_letter(column)}{number}:{column_letter(last)}{number}")
        editor.set_style(number, column, WRAPPED)
        editor.row_height(number, max(_height(worksheet, number), math.ceil((lines * points * LINE + 3) * 4) / 4))


def _height(worksheet, number: int, default: float | None = None) -> float:
    """A row's height as it stands: set by this run, saved with the sheet, or the sheet's default."""
    return worksheet.row_heights.get(number) or worksheet.heights.get(number) or \
        (default if default is not None else _default_height(worksheet))


def _default_height(worksheet) -> float:
    fmt = worksheet.shell.find(f"{M}sheetFormatPr")
    return float(fmt.get("defaultRowHeight", DEFAULT_ROW_HEIGHT)) if fmt is not None else DEFAULT_ROW_HEIGHT


_COLUMNS: dict = {}  # column letters -> number, filled as met


def _column(ref: str | None) -> int | None:
    letters = (ref or "").rstrip("0123456789")
    found = _COLUMNS.get(letters)
    if found is None:
        from cyps_xl.cellref import address

        place = address(ref or "")
        if place is None:
            return None
        found = _COLUMNS[letters] = place[1]
    return found


def _filled(valued, values: dict) -> set:
    """A row's columns holding a value once the run's edits are made."""
    return (set(valued) | {c for c, value in values.items() if value is not None}) - \
        {c for c, value in values.items() if value is None}


def _merged_cells(shell, widths: dict, default_width: float) -> tuple[set, dict]:
    """(every cell inside a merged range but its first, {first cell: (the range's width in characters, None for one
    column, and the rows under its first)}): a merged cell's text is laid out over its columns and rows."""
    inside, spread = set(), {}
    for m in merged_ranges(shell):
        if (m.max_row - m.min_row + 1) * (m.max_col - m.min_col + 1) > 10000:
            continue
        inside |= {(r, c) for r in range(m.min_row, m.max_row + 1) for c in range(m.min_col, m.max_col + 1)}
        inside.discard((m.min_row, m.min_col))
        across = sum(widths.get(c, default_width) for c in range(m.min_col, m.max_col + 1)) \
            if m.max_col > m.min_col else None  # one column wide: its column's width, which may widen
        spread[(m.min_row, m.min_col)] = (across, tuple(range(m.min_row + 1, m.max_row + 1)))
    return inside, spread


def _shown_number(edit, chains) -> str | None:
    """Roughly how Excel shows a number the run writes with text in its format (0.0%" (2019/20)"), else None."""
    if edit is None or edit[0] is KEEP or edit[0] is None or edit[0][0] != "n":
        return None
    code = next((style.number_format for style in reversed(chains.chain(edit[1])) if style.number_format), None)
    if not code or '"' not in code:
        return None
    words = "".join(code.split('"')[1::2])
    digits = "".join(code.split('"')[0::2])
    decimals = len(digits.split(".")[1].rstrip("%")) if "." in digits else 0
    value = float(edit[0][1])
    if "general" in digits.lower():
        return f"{value:.10g}{words}"  # Excel's General: up to about 10 significant digits
    if "%" in digits:
        return f"{value * 100:.{decimals}f}%{words}"
    return f"{value:,.{decimals}f}{words}" if "," in digits else f"{value:.{decimals}f}{words}"


def _edited_text(edit, texts: list) -> str | None:
    kind, value = edit[0]
    if kind != "s":
        return None
    index = int(value)
    return texts[index] if 0 <= index < len(texts) else None
