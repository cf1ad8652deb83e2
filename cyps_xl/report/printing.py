"""Print settings of the issued scorecard: legible text (see ``legible``) on the paper and scale that
print it at 7 pt or more, header rows repeated, a footer, and page breaks that keep each section band
with its first rows."""
from __future__ import annotations

import datetime as dt

from cyps_xl.report.legible import (PAPERS, SIDE_MARGINS, TOP_BOTTOM_MARGINS, PageChoice, choose_page, column_breaks,
                                    fit_notes, fit_text)
from cyps_xl.workbook.package import Package

# Footer text in 10 pt, so a page scaled to fit still prints it at 7 pt or more. The font code after the size
# ends the size: "&10" + "27/11/2026" would read as a size of 1027.
FOOTER_POINTS = 10.0
FOOTER_SIZE = '&10&"-,Regular"'
KEEP_WITH_BAND = 3  # a section band is printed with at least this many of its rows
READABLE_TITLE = 45.0  # characters: about eight words a line


def footer(title: str, issue_number, today: dt.date | None) -> str:
    """The footer of every page: what it is (the report's title), which issue, "Page N of M", and the date as text
    in dd/mm/yyyy (Excel's &D follows the printer's locale, which printed 11/27/2026 for a UK council). A page
    torn from the pack still says where it belongs."""
    date = (today or dt.date.today()).strftime("%d/%m/%Y")
    issue = f"&C{FOOTER_SIZE}Issue {issue_number}" if issue_number is not None else ""
    # the middle short, so a long title on the left never runs into it
    return f"&L{FOOTER_SIZE}{footer_text(title)}{issue}&R{FOOTER_SIZE}Page &P of &N - {date}"


def print_settings(package: Package, tables: list, title: str, issue_number, today: dt.date | None = None,
                   grids=None) -> None:
    """``grids``: the reader's cells (cyps_xl.workbook.cells.GridBook), so the text is measured without reading
    the sheets again."""
    for table in tables:
        rows = list(range(table.header_rows[0], table.header_rows[1] + 1)) + [r.row for r in table.rows]
        grid = grids[table.sheet] if grids is not None and table.sheet in grids.sheetnames else None
        # a title column the sheet gives no width of its own prints at a reading width, not a word a line
        readable = {table.columns["indicator"]: READABLE_TITLE} if "indicator" in table.columns else None
        measured = fit_text(package, table.sheet, rows, note_rows=range(1, table.header_rows[0]), grid=grid,
                            readable=readable)
        smallest = min(measured.smallest, FOOTER_POINTS)
        width, _ = package.print_geometry(table.sheet)
        page = choose_page(width, smallest)
        last_column = max(table.columns.values())
        keys = [table.columns[k] for k in ("ref", "indicator") if k in table.columns]
        repeated = (min(keys), max(keys)) if keys and not page.fit_width else None
        # A title-block line runs on over the columns to its right. One page wide, it must end on the page;
        # with pages across, every page repeats the reference and indicator columns, and a line running on
        # past them would be cut on the pages after the first, so it wraps within them.
        fit_notes(package, table.sheet, measured.notes, last_column if repeated is None else repeated[1])
        package.set_print(table.sheet, table.header_rows, footer(title, issue_number, today), paper_size=page.paper_size,
                          scale=None if page.fit_width else page.percent, title_columns=repeated)
        package.set_row_breaks(table.sheet, section_breaks(package, table, page))
        package.set_column_breaks(table.sheet, [] if repeated is None else column_breaks(
            package, table.sheet, table.header_rows, page, repeated, last_column))


def print_sheet(package: Package, sheet: str, title_rows: tuple | None, footer_codes: str, rows,
                smallest: float | None = None) -> PageChoice:
    """A page of the report (summary, commentary): the text of ``rows`` fitted, on the paper that prints it at 7 pt
    or more (``smallest``: the sheet's smallest text, when its rows were measured before they were written).
    Returns the page chosen."""
    if smallest is None:
        smallest = fit_text(package, sheet, rows).smallest
    smallest = min(smallest, FOOTER_POINTS)
    width, _ = package.print_geometry(sheet)
    page = choose_page(width, smallest)
    package.set_print(sheet, title_rows, footer_codes, paper_size=page.paper_size,
                      scale=None if page.fit_width else page.percent)
    return page


def keep_together(package: Package, sheet: str, page: PageChoice, first: int, last: int) -> None:
    """Start a new page at row ``first`` when rows ``first``..``last`` (a chart's rows) would not fit on the page
    the rows above leave them: a chart is cut at a page's end, not carried over."""
    _, heights = package.print_geometry(sheet)
    capacity = _capacity(page)
    height = lambda r: heights.get(r, 15.0)  # noqa: E731
    used = 0.0
    for row in range(1, first):
        used = height(row) if used + height(row) > capacity else used + height(row)
    if used + sum(height(r) for r in range(first, last + 1)) > capacity:
        package.set_row_breaks(sheet, [first])


def section_breaks(package: Package, table, page: PageChoice | None = None) -> list[int]:
    """Rows before which to start a new page, so no section band is printed apart from its rows.

    The page holds (page height - margins) / scale points of rows, where the scale
    fits the visible columns to the page width (or is the one chosen); the repeated
    header rows take their share of every page after the first.
    """
    width, heights = package.print_geometry(table.sheet)
    if page is None:  # A4, one page wide
        _, _, page_width, page_height = PAPERS[0]
        page = PageChoice("A4", 9, page_width, page_height,
                          min(1.0, (page_width - SIDE_MARGINS) / width) if width else 1.0, True)
    capacity = _capacity(page)
    height = lambda r: heights.get(r, 15.0)  # noqa: E731
    header = sum(height(r) for r in range(table.header_rows[0], table.header_rows[1] + 1))
    bands = {}
    previous = None
    for row in table.rows:
        if row.section is not None and row.section != previous:
            bands[row.row - 1] = row.row
        previous = row.section
    rows = [r for r in range(table.header_rows[1] + 1, max(r.row for r in table.rows) + 1)]
    used = sum(height(r) for r in range(1, table.header_rows[1] + 1))  # the title block and header on page one
    breaks = []
    for index, r in enumerate(rows):
        if r in bands:
            section = [x for x in rows[index:index + 1 + KEEP_WITH_BAND]]
            if used + sum(height(x) for x in section) > capacity and used > header:
                breaks.append(r)
                used = header
        if used + height(r) > capacity:
            used = header  # a page break the viewer makes by itself
        used += height(r)
    return breaks


def _capacity(page: PageChoice) -> float:
    """Points of the sheet's rows one printed page holds, at the page's scale."""
    return (page.height - TOP_BOTTOM_MARGINS) / page.scale


def footer_text(text: str) -> str:
    return text.replace("&", "&&")


