"""Cell values as the scorecard shows them.

A scorecard cell holds a number, a text placeholder ("-", "n/a",
"Temporarily suspended"), an Excel error, or nothing.  :class:`Reading`
keeps the number *and* the reason it is missing, because a placeholder is
"no value, for this reason" - never an error and never zero.

Comparisons are made at the precision the cell displays (Excel rounds the
stored double to 15 significant digits, then half away from zero to the
format's decimals), so 0.76999999 shown as 77.0% counts as 77.0%.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

EXCEL_ERRORS = frozenset(
    {"#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA",
     "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"}  # Excel 365's newer errors too
)

# Text the team types instead of a figure.  Matched case-insensitively after
# trimming; anything starting with one of the prefixes counts too
# ("Available in May", "New measure 2022/23").
PLACEHOLDERS = frozenset({"", "-", "–", "—", "n/a", "na", "n.a.", "tbc", "nil return", "not available"})
PLACEHOLDER_PREFIXES = ("temporarily suspended", "available in", "new measure", "not yet available", "awaiting", "data not")


@dataclass(frozen=True, slots=True)  # a dozen a row, kept all run: slots halve them
class Reading:
    """One value cell: the number if there is one, else why not."""

    number: float | None
    reason: str | None = None  # the placeholder text, verbatim, when number is None
    error: str | None = None  # an Excel error value such as "#N/A"

    @property
    def present(self) -> bool:
        return self.number is not None


_new, _numbered = object.__new__, Reading.number.__set__
_no_reason, _no_error = Reading.reason.__set__, Reading.error.__set__


def number_reading(number: float) -> Reading:
    """Reading(number): a dozen a row are made from the cells' numbers, and a frozen dataclass's __init__ sets each
    field through object.__setattr__ (370 ns); the slots set directly take 250."""
    reading = _new(Reading)
    _numbered(reading, number)
    _no_reason(reading, None)
    _no_error(reading, None)
    return reading


# A number typed as text: thousands separators only in whole groups of three (1,234 or 12,345.6), so a
# decimal comma ("60,5%") is never read as 605%: it is no number, and the reader says why.
NUMBER_RE = re.compile(r"^\s*([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)\s*(%?)\s*$")
DECIMAL_COMMA_RE = re.compile(r"^\s*[-+]?\d+,\d+\s*%?\s*$")


def number_text(text: str) -> str | None:
    """A number typed as text, without its thousands separators ("1,234.5" -> "1234.5"), or None when its commas
    are not whole groups of three ("15,4" and "1,54" are decimal commas or typing slips, never 154). Every
    input's text numbers (cells, published figures, DfE's files, cell-function arguments) go through here."""
    text = text.strip()
    if "," not in text:
        return text
    return text.replace(",", "") if THOUSANDS_RE.match(text) else None


THOUSANDS_RE = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][-+]?\d+)?%?$")


def read_cell(raw) -> Reading:
    """Classify a raw cell value (as openpyxl or xlwings returns it)."""
    if raw is None:
        return Reading(None, None)
    if isinstance(raw, bool):
        return Reading(None, str(raw))
    if isinstance(raw, (int, float)):
        return Reading(float(raw))
    text = str(raw).strip()
    if text.upper() in EXCEL_ERRORS:
        return Reading(None, text, error=text.upper())
    match = NUMBER_RE.match(text)
    if match:  # a number typed as text, e.g. "87.0%" or "1,234"
        number = float(number_text(match.group(1)))
        return Reading(number / 100 if match.group(2) else number)
    return Reading(None, text)


def is_placeholder(text: str) -> bool:
    lowered = text.strip().lower()
    return lowered in PLACEHOLDERS or lowered.startswith(PLACEHOLDER_PREFIXES)


GENERAL = None  # format_precision's "decimals" for Excel's General format: see as_general
GENERAL_WIDTH = 11  # characters General fills in a standard-width column (sign, digits and point)


def rounded(exact: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``exact`` to ``decimals`` places, however large it is: decimal's default 28 digits would refuse 1E+26 to
    two places, or 0.5 to thirty (a format such as 0.000000000000000000000000000000%)."""
    digits = exact.adjusted() + decimals + 3 if exact.is_finite() else 0
    if digits <= 28:  # every figure a scorecard shows: the default context, no new one a value
        return exact.quantize(_STEPS.get(decimals) or Decimal(1).scaleb(-decimals), rounding=rounding)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=rounding, context=Context(prec=digits))


_STEPS = {places: Decimal(1).scaleb(-places) for places in range(0, 16)}


def as_displayed(number: float, decimals: int | None, percent: bool) -> Decimal:
    """The number as the cell shows it, in display units (percent points for % cells)."""
    exact = Decimal(format(number, ".15g"))
    if decimals is GENERAL:
        return as_general(exact)
    if percent:
        exact = exact.scaleb(2)
    step = _STEPS.get(decimals)
    if step is not None and -1e9 < number < 1e9:  # rounded()'s usual case (at most 28 digits), without the checks
        return exact.quantize(step, rounding=ROUND_HALF_UP)
    return rounded(exact, decimals)


# Half a displayed step at each number of places: the most rounding for display moves a value. Past 15 places a
# double has no digits left to compare this way, and General is not a fixed number of places: both are rounded.
_HALF_STEPS = {places: 0.5 * 10.0 ** -places for places in range(0, 16)}
_ROOM = 1e-12  # relative: the 15 digits Excel keeps, and the float arithmetic here, with room to spare


def clear_of(shown: float, edges: tuple, decimals: int | None) -> bool:
    """Is ``shown`` (a cell value in display units: x 100 for a % cell) farther from every one of ``edges`` than
    rounding it for display can move it? Then it compares with each edge as its displayed value does, and need not
    be rounded (:func:`as_displayed`) to be rated."""
    half = _HALF_STEPS.get(decimals)
    if half is None:
        return False
    reach = half + abs(shown) * _ROOM
    for edge in edges:
        if -reach <= shown - edge <= reach:
            return False
    return True


def steps_apart(number: float, other: float, decimals: int | None, percent: bool) -> bool:
    """Are two cell values more than one displayed step apart? Then shown they differ, the same way (each is moved
    at most half a step when rounded for display), and need not be rounded to be compared."""
    half = _HALF_STEPS.get(decimals)
    if half is None:
        return False
    step = (half + half) / 100 if percent else half + half
    return abs(number - other) > step + (abs(number) + abs(other)) * _ROOM


def as_general(exact: Decimal) -> Decimal:
    """Excel's General format in a standard-width column: as many decimals as fit in 11 characters
    (0.886 stays 0.886; 0.123456789012 shows 0.123456789), and 6 significant digits in scientific
    notation outside 1E-9..1E+11 (1.23457E+11)."""
    if exact == 0:
        return Decimal(0)
    magnitude = abs(exact)
    if magnitude >= Decimal("1E11") or magnitude < Decimal("1E-9"):
        return Decimal(format(float(exact), ".6g"))
    whole = len(str(int(magnitude)))
    decimals = max(0, GENERAL_WIDTH - whole - 1 - (1 if exact < 0 else 0))
    text = format(rounded(exact, decimals), "f")
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)  # 100, not 1E+2


_DECIMALS_RE = re.compile(r"0\.(0+)")


@functools.lru_cache(maxsize=1024)
def format_precision(number_format: str | None) -> tuple[int | None, bool]:
    """Decimals and percent-ness of an Excel number format such as '0.0%'."""
    if not number_format or number_format.strip().lower() == "general":
        return GENERAL, False  # up to 11 characters: see as_general
    section = number_format.split(";")[0]
    section = re.sub(r'"[^"]*"|\[[^\]]*\]', "", section)  # drop literals and colours
    percent = "%" in section
    match = _DECIMALS_RE.search(section)
    return (len(match.group(1)) if match else 0), percent
