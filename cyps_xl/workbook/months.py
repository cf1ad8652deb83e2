"""Month headings as Excel users type them, and the order they must stand in.

A month column's heading may be a date (any number format), a date serial left in General format (44621),
or text: "Mar-22", "Mar 22", "March 2022", "Sept-22", "Mar-23 (Q4)". The latest month is the one rated, so a
heading that is read wrongly, skipped, or out of order would rate another month without a word: a heading
among the months that is not one, or that breaks their date order, is refused naming its cell.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

from cyps_xl.cellref import column_letter
from cyps_xl.errors import CypsError, cell_place

MONTH_TEXT = re.compile(r"^([a-z]+)\.?[\s\-/'.]*(\d{4}|\d{2})(?:\s*\(q\d\))?$", re.IGNORECASE)
MONTH_NAMES = [name.lower() for name in calendar.month_name]  # "", "january", ...
MONTH_LIKE = re.compile(r"^[a-z]{3,9}\.?[\s\-/'.]*(\d{4}|\d{2})\b", re.IGNORECASE)
SERIALS = (36526, 73051)  # 1 January 2000 to 1 January 2100 as Excel's day numbers: a date left in General format


def month_of(title) -> dt.date | None:
    """The month a heading names, or None when it names none."""
    if isinstance(title, dt.datetime):
        return title.date().replace(day=1)
    if isinstance(title, dt.date):
        return title.replace(day=1)
    if isinstance(title, (int, float)) and not isinstance(title, bool) and SERIALS[0] <= title < SERIALS[1] \
            and float(title).is_integer():
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(title))).replace(day=1)
    if not isinstance(title, str):
        return None
    found = MONTH_TEXT.match(title.strip())
    if not found:
        return None
    word = found.group(1).lower()
    month = next((i for i, name in enumerate(MONTH_NAMES) if name and len(word) >= 3 and name.startswith(word)), None)
    if month is None:
        return None
    year = int(found.group(2))
    return dt.date(year + 2000 if year < 100 else year, month, 1)


def label_of(title, date: dt.date | None) -> str:
    return date.strftime("%b-%y") if date and not isinstance(title, str) else str(title).strip()


def check_order(months: list, heading_row: dict, sheet: str, path) -> list:
    """The month columns in date order. Left to right (or right to left) they must rise month by month; a heading
    that repeats a month or goes back (Mar-21 typed after Feb-22) is refused, naming its cell."""
    dated = [m for m in months if m.date is not None]
    if len(dated) != len(months) or len(months) < 2:
        return months  # terms or quarters ("Term 1", "Q2"): kept in the sheet's order
    steps = [after.date > before.date for before, after in zip(dated, dated[1:])]
    rising = steps.count(True) >= steps.count(False)  # the way most of the months run
    wrong = [i for i, (before, after) in enumerate(zip(dated, dated[1:]))
             if (after.date > before.date) != rising or after.date == before.date]
    if wrong:
        # the odd one out: the later of the first pair that breaks the order, or the first month when only it does
        i = wrong[0]
        odd, other = (dated[0], dated[1]) if wrong == [0] and len(dated) > 2 else (dated[i + 1], dated[i])
        where = "before" if odd is dated[0] and wrong == [0] and len(dated) > 2 else "after"
        place = cell_place(sheet, f"{column_letter(odd.column)}{heading_row[odd.column]}")
        raise CypsError(f"the month heading '{odd.label}' breaks the months' date order: it comes {where} "
                        f"'{other.label}'.", file=path, place=place,
                        hint="Correct its month or year (or move the column), so each month follows the one before.")
    return months if rising else list(reversed(months))


def check_between(months: list, titles: dict, recognised, sheet: str, path) -> None:
    """A heading that stands among the month columns, or beside them and looks like one more month, must be a
    month (or a column cyps-xl knows): "Marhc-22" is refused, never skipped. ``titles``: column -> (row, heading)."""
    if len(months) < 2:
        return
    columns = {m.column for m in months}
    first, last = min(columns), max(columns)
    for column in range(first - 1, last + 2):
        row, title = titles.get(column, (None, None))
        if column in columns or title in (None, "") or recognised(title):
            continue
        if column in (first - 1, last + 1) and not MONTH_LIKE.match(str(title).strip()):
            continue  # beside the months, only what looks like one more month ("Marhc-22") is one
        raise CypsError(f"the heading '{title}' stands among the month columns but is not a month cyps-xl can read.",
                        file=path, place=cell_place(sheet, f"{column_letter(column)}{row}"),
                        hint="Type the month as a date, or as Mar-22 or March 2022.")
