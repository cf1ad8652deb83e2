"""Print settings of the issued scorecard: landscape, one page wide, header rows repeated, a footer,
and page breaks that keep each section band with its first rows."""
from __future__ import annotations

import datetime as dt

from cyps_xl.workbook.package import Package


# A4 landscape in points, and the margins set_print gives a sheet that has none.
PAGE_WIDTH, PAGE_HEIGHT, SIDE_MARGINS, TOP_BOTTOM_MARGINS = 842.0, 595.0, 57.6, 79.2
KEEP_WITH_BAND = 3  # a section band is printed with at least this many of its rows


def footer(title: str, issue_number, today: dt.date | None) -> str:
    """The footer: report title, issue number, and the date as text in dd/mm/yyyy (Excel's &D follows the
    printer's locale, which printed 11/27/2026 for a UK council)."""
    date = (today or dt.date.today()).strftime("%d/%m/%Y")
    return f"&L{footer_text(title)}&CIssue {issue_number}&R{date}"


def print_settings(package: Package, tables: list, title: str, issue_number, today: dt.date | None = None) -> None:
    for table in tables:
        package.set_print(table.sheet, table.header_rows, footer(title, issue_number, today))
        package.set_row_breaks(table.sheet, section_breaks(package, table))


def section_breaks(package: Package, table) -> list[int]:
    """Rows before which to start a new page, so no section band is printed apart from its rows.

    The page holds (page height - margins) / scale points of rows, where the scale
    fits the visible columns to the page width; the repeated header rows take their
    share of every page after the first.
    """
    width, heights = package.print_geometry(table.sheet)
    scale = min(1.0, (PAGE_WIDTH - SIDE_MARGINS) / width) if width else 1.0
    capacity = (PAGE_HEIGHT - TOP_BOTTOM_MARGINS) / scale
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


def footer_text(text: str) -> str:
    return text.replace("&", "&&")


