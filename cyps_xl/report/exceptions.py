"""The exceptions list, the first table on the summary: the indicators a member should ask about first, those rated
Red this month or whose direction of travel is declining, each with its latest figure, its target and its benchmarks.

Words carry every meaning (the RAG word, "declining"), so the table reads in greyscale and to a screen reader; the
RAG colour is a second signal, with text in a colour that reads on it."""
from __future__ import annotations

from dataclasses import dataclass

from cyps_xl.engine.contrast import BLACK, readable_on
from cyps_xl.workbook.package import CellStyle, column_letter

# Where each field goes on the summary's grid (its columns are tile, tile, gap, ...): (first column, last column)
COLUMNS = {"ref": (1, 1), "indicator": (2, 6), "latest": (7, 7), "target": (8, 9), "sn_average": (10, 10),
           "national": (11, 12), "rating": (13, 13)}
# headings the scorecard reader does not take for a scorecard's (REF NO. / INDICATOR), so an issue can be re-read
HEADINGS = {"ref": "Scorecard ref", "indicator": "Indicator name", "latest": "Latest", "target": "Target (green)",
            "sn_average": "Stat neigh av.", "national": "Nat av.", "rating": "Rating and direction"}
HEADING_STYLE = CellStyle(bold=True, fill="D9E1F2", wrap=True)
CENTRED = CellStyle(horizontal="center")
FIGURES = {"latest", "target", "sn_average", "national"}  # centred under their headings, text and numbers alike


@dataclass
class Exception_:
    sheet: str
    ref: str
    title: str
    latest: object  # the number, or the text the cell shows ("Temporarily suspended")
    number_format: str
    target: str
    sn_average: object
    national: object
    band: str | None
    words: str  # "Red, declining"


LISTED = 40  # the summary is what a member reads first: two pages at most; the scorecard shows every row


def exceptions(tables: list, results: dict, bench: dict, labels: dict) -> list[Exception_]:
    """The rows rated Red this month or declining, Red first, each in the scorecard's order (information-only rows
    never are)."""
    found = []
    for table in tables:
        written = bench.get(table.sheet, {})
        for result in results.get(table.sheet, []):
            red = result.rag_month.band == "red"
            declining = result.measure.polarity != "info" and result.dot_month.trend == "declining"
            if not (red or declining):
                continue
            row = result.row
            latest = row.months[-1] if row.months else None
            figures = {**(row.benchmarks or {}), **written.get(row.row, {})}
            title = row.title or ""
            if row.part and not row.first_in_block:
                title = f"{title} ({row.part})"
            words = [labels[result.rag_month.band]] if result.rag_month.band else ["not rated"]
            if declining:
                words.append("declining")
            green = result.measure.tolerances.green
            found.append(Exception_(table.sheet, row.ref or "", title,
                                    (latest.number if latest.present else (latest.reason or "-")) if latest else "-",
                                    result.measure.number_format, green.canonical() if green else "-",
                                    _figure(figures.get("sn_average")), _figure(figures.get("national")),
                                    result.rag_month.band, ", ".join(words)))
    return sorted(found, key=lambda item: item.band != "red")  # stable: the scorecard's order within each


def _figure(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else (value or "-")


def put_exceptions(package, sheet: str, top: int, found: list, colours: dict) -> int:
    """Write the list from row ``top``; returns the first row after it."""
    editor = package.sheet(sheet)
    editor.set_value(top, 1, "Exceptions this month: indicators rated Red or declining")
    editor.set_style(top, 1, CellStyle(bold=True, size=12, font_color="1F3864"))
    header = top + 1
    for key, (first, last) in COLUMNS.items():
        editor.set_value(header, first, HEADINGS[key])
        for column in range(first, last + 1):
            editor.set_style(header, column, HEADING_STYLE)
            if key in FIGURES:
                editor.set_style(header, column, CENTRED)
        if last > first:
            package.merge(sheet, f"{column_letter(first)}{header}:{column_letter(last)}{header}")
    if not found:
        editor.set_value(header + 1, 1, "None: no indicator is rated Red or declining this month.")
        return header + 3
    more = len(found) - LISTED
    for r, item in enumerate(found[:LISTED], start=header + 1):
        shown = {"ref": item.ref, "indicator": item.title, "latest": item.latest, "target": item.target,
                 "sn_average": item.sn_average, "national": item.national, "rating": item.words}
        for key, (first, last) in COLUMNS.items():
            editor.set_value(r, first, shown[key])
            number = isinstance(shown[key], (int, float))
            look = CellStyle(number_format=item.number_format if number else None, wrap=True,
                             horizontal="center" if key in FIGURES else None)
            if key == "rating" and item.band:
                fill = colours[item.band]
                look = CellStyle(fill=fill, font_color=readable_on(fill, BLACK), bold=True, wrap=True)
            for column in range(first, last + 1):
                editor.set_style(r, column, look)
            if last > first:
                package.merge(sheet, f"{column_letter(first)}{r}:{column_letter(last)}{r}")
    if more > 0:
        reds = sum(1 for item in found[LISTED:] if item.band == "red")
        editor.set_value(header + LISTED + 1, 1, f"and {more} more ({reds} of them Red): the scorecard shows every "
                                                   f"indicator's rating and direction.")
        editor.set_style(header + LISTED + 1, 1, CellStyle(italic=True))
        return header + LISTED + 3
    return header + len(found) + 2
