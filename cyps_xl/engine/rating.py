"""The rating engine: direction of travel (DOT) and RAG, on plain data.

Nothing here knows about Excel.  The same functions serve the headless
issue, the ribbon button and the ``CYPS_*`` cell functions.

* DOT (month): the latest period against the one before it.
* DOT (Yr on Yr): the outturn / year to date against last year's figure.
* The arrow shows which way the *number* moved (up, down, same); its colour
  says whether that is an improvement for the indicator's polarity (green),
  a decline (red) or neither (info measures, no change).
* RAG (month) rates the latest value, RAG (Yr End) the outturn.
* Both compare values as the cell displays them (see :mod:`cyps_xl.engine.values`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cyps_xl.errors import CypsError
from cyps_xl.engine.table import ScoreRow, ScoreTable, place, place_of
from cyps_xl.engine.rules import IndicatorRule, RuleBook, Style
from cyps_xl.engine.tolerances import POLARITIES, Tolerances, ToleranceSyntaxError, parse_band
from cyps_xl.engine.values import Reading, as_displayed, clear_of, format_precision, steps_apart


@dataclass(frozen=True, slots=True)  # two a row, and two ratings, kept all run
class Dot:
    direction: str | None  # up, down, same; None when it cannot be worked out
    trend: str | None  # improving, declining, neutral
    reason: str | None = None  # why there is no arrow


@dataclass(frozen=True, slots=True)
class Rag:
    band: str | None  # red, amber, green
    reason: str | None = None


_RATED = {band: Rag(band) for band in ("red", "amber", "green")}  # a rating is immutable: one of each serves all


@dataclass(frozen=True)
class Measure:
    """How one row is to be judged: what rules say, or the sheet when rules are silent."""

    polarity: str
    tolerances: Tolerances
    number_format: str
    rule: IndicatorRule | None
    passed_over: IndicatorRule | None = None  # the rule of the row's reference, whose title is another indicator's

    @property
    def precision(self) -> tuple[int, bool]:
        return format_precision(self.number_format)


@dataclass(frozen=True)
class RowResult:
    row: ScoreRow
    measure: Measure
    dot_month: Dot
    rag_month: Rag
    dot_year: Dot
    rag_year: Rag


def direction_of_travel(current: Reading, previous: Reading, polarity: str, number_format: str) -> Dot:
    if not current.present or not previous.present:
        missing = current if not current.present else previous
        which = "latest" if not current.present else "earlier"
        why = f"'{missing.reason}'" if missing.reason else "blank"
        return Dot(None, None, f"no {which} value ({why})")
    decimals, percent = format_precision(number_format)
    if steps_apart(current.number, previous.number, decimals, percent):  # shown, they differ the same way
        direction = "up" if current.number > previous.number else "down"
    else:
        now = as_displayed(current.number, decimals, percent)
        before = as_displayed(previous.number, decimals, percent)
        if now == before:
            return Dot("same", "neutral")
        direction = "up" if now > before else "down"
    if polarity == "info" or polarity not in ("high", "low"):
        return Dot(direction, "neutral")
    improving = (direction == "up") == (polarity == "high")
    return Dot(direction, "improving" if improving else "declining")


def rag_rating(value: Reading, measure: Measure) -> Rag:
    if measure.polarity == "info":
        return Rag(None, "info measure: not rated")
    if measure.tolerances.empty:
        return Rag(None, "no tolerances")
    if not value.present:
        return Rag(None, f"no value ('{value.reason}')" if value.reason else "no value")
    decimals, percent = measure.precision
    tolerances = measure.tolerances
    if tolerances.percent and not percent:
        return Rag(None, f"tolerances are in % but the row is formatted '{measure.number_format}'")
    number = value.number * 100 if percent else value.number
    if clear_of(number, tolerances.edges, decimals):  # rated as it is: rounding it cannot carry it over an edge
        band = tolerances.rate(number, measure.polarity)
        if band is not None:
            return _RATED[band]
    shown = as_displayed(value.number, decimals, percent)
    band = tolerances.rate(shown, measure.polarity)
    if band is None:
        return Rag(None, f"{shown} falls in a gap between the tolerance bands")
    return _RATED[band]


def measure_for(row: ScoreRow, table: ScoreTable, book: RuleBook, scorecard_path) -> Measure:
    style = book.style
    rule = book.match(table.sheet, row.ref, row.part, row.title)
    passed_over = None
    if rule is not None and not _agrees(rule, row, book):
        # renumbered references, or a row with its own title under another's: never that indicator's bands
        passed_over, rule = rule, book.match(table.sheet, None, row.part, row.title)
    if rule is not None:
        polarity, tolerances = rule.polarity, rule.tolerances
        number_format = rule.number_format or _format_for(row, style)
    else:
        polarity = _sheet_polarity(row, table, scorecard_path)
        tolerances = _sheet_tolerances(row, table, polarity, scorecard_path)
        number_format = _format_for(row, style)
    return Measure(polarity, tolerances, number_format, rule, passed_over)


def _agrees(rule: IndicatorRule, row: ScoreRow, book: RuleBook) -> bool:
    """A rule is the row's when their titles agree (compared as titles are: abbreviations spelt out), or when it is
    the named part of the row's indicator; a rule or row without a title cannot disagree."""
    if not rule.title or not row.title or book.titles.key(rule.title) == book.titles.key(row.title):
        return True
    return bool(not row.first_in_block and rule.part and row.part and book.titles.key(rule.part) == book.titles.key(row.part))


def _format_for(row: ScoreRow, style: Style) -> str:
    fmt = style.number_format_for(row.data_note)
    if fmt == style.default_number_format and row.number_format and row.number_format != "General":
        return row.number_format  # an unknown DATA NOTE: keep what the team chose
    return fmt


def _sheet_polarity(row: ScoreRow, table: ScoreTable, path) -> str:
    text = (row.polarity_text or "").strip().lower()
    if not text:
        return "info"
    if text not in POLARITIES:
        raise CypsError(
            f"unknown 'Good perf is' value '{row.polarity_text}'.", file=path, place=place(table, row.row, "polarity"),
            hint="Use high, low or info, or give this indicator a polarity in the rules.",
        )
    return text


def _sheet_tolerances(row: ScoreRow, table: ScoreTable, polarity: str, path) -> Tolerances:
    found = _checked_tolerances(tuple(row.tolerance_text.items()), polarity)
    if found[0] == "syntax":
        raise CypsError(
            f"{found[2]}.", file=path, place=place(table, row.row, found[1]),
            hint="Fix the cell, or give this indicator tolerances in the rules (cyps-xl rules import lists such cells).",
        )
    if found[0] == "problem":
        raise CypsError(f"{found[1]}.", file=path, place=place(table, row.row, "green"),
                        hint="Correct the Red/Amber/Green cells of this row or set its tolerances in the rules.")
    return found[1]


@lru_cache(maxsize=4096)  # most rows of a scorecard share their Red/Amber/Green texts
def _checked_tolerances(texts: tuple, polarity: str) -> tuple:
    """("ok", Tolerances), ("syntax", band, message) or ("problem", message) for a row's band texts."""
    parsed = {}
    for band, raw in texts:
        try:
            parsed[band] = parse_band(raw)
        except ToleranceSyntaxError as exc:
            return ("syntax", band, str(exc))
    tolerances = Tolerances(**parsed)
    if polarity == "info":
        return ("ok", Tolerances())  # info measures are never rated
    for problem in tolerances.problems(polarity):
        return ("problem", problem)
    return ("ok", tolerances)


def rate_row(row: ScoreRow, measure: Measure) -> RowResult:
    months = row.months
    latest = months[-1] if months else Reading(None)
    previous = months[-2] if len(months) > 1 else Reading(None)
    return RowResult(
        row=row, measure=measure,
        dot_month=direction_of_travel(latest, previous, measure.polarity, measure.number_format),
        rag_month=rag_rating(latest, measure),
        dot_year=direction_of_travel(row.outturn, row.previous_year, measure.polarity, measure.number_format),
        rag_year=rag_rating(row.outturn, measure),
    )


def rate_table(table: ScoreTable, book: RuleBook, scorecard_path) -> list[RowResult]:
    results = []
    for row in table.rows:
        measure = measure_for(row, table, book, scorecard_path)
        if measure.precision[1]:
            _check_percent_row(row, table, scorecard_path)
        if measure.polarity != "info" and not measure.tolerances.empty:
            _check_band_units(row, table, measure, scorecard_path)
        results.append(rate_row(row, measure))
    return results


@lru_cache(maxsize=4096)  # rows share their bands: each set is probed once a run, not once a row
def _gaps(tolerances: Tolerances, polarity: str, decimals: int) -> tuple:
    return tuple(p for p in tolerances.problems(polarity, decimals) if "gap" in p)


def _check_band_units(row: ScoreRow, table: ScoreTable, measure: Measure, path) -> None:
    """Bands must be in the row's units and leave no value the cell can show unrated: % bands on a count row
    would rate nothing, fractions (<0.61) on a % row would be read as 0.61 points, and <=60% with 61%+ leaves
    60.5% in no band on a 0.0% row. Each is refused where the bands are written (rules line, or the row's cells)."""
    decimals, percent = measure.precision
    bands = [band for _, band in measure.tolerances.bands() if band.kind != "target" or band.low is not None]
    problem = None
    if measure.tolerances.percent and not percent:
        problem = f"the bands are in % but the row is formatted '{measure.number_format}', so none would apply"
        hint = "Write the bands in the row's units (<87, not <87%), or give the row a % DATA NOTE."
    elif percent and not measure.tolerances.percent and bands and all(
            abs(edge) <= 1 for band in bands for edge in (band.low, band.high) if edge is not None):
        problem = "the bands are written as fractions, but a % row is rated in percentage points"
        hint = "Write them as percentages: <61% rather than <0.61."
    else:
        gaps = _gaps(measure.tolerances, measure.polarity, decimals) if decimals is not None else ()
        if gaps:
            problem = f"{gaps[0]} (as the cell shows it, to {decimals} place{'s' if decimals != 1 else ''})"
            hint = "Make each band start where the next one ends at the places the cell shows (<60.5% then 60.5%+)."
    if problem is None:
        return
    rule = measure.rule
    if rule is not None:
        raise CypsError(f"{problem}: {rule.sheet} {rule.ref or rule.title}.", file=rule.file, place=f"line {rule.line}",
                        hint=hint)
    raise CypsError(f"{problem}.", file=path, place=place(table, row.row, "red" if "red" in table.columns else "green"),
                    hint=hint)


def _check_percent_row(row: ScoreRow, table: ScoreTable, path) -> None:
    """A % row holds fractions (87% is 0.87). A figure over 100% there is a percentage typed as a number (62, or
    '62 as text, or 62 under a format with a literal "%"), which would rate as 6200%: refused, never rated."""
    if all(reading.number is None or -1 <= reading.number <= 1
           for reading in (*row.months, row.outturn, row.previous_year)):
        return  # the usual % row: nothing to name (a row's every figure looked at once, as a fraction)
    figures = [(m.column, reading) for m, reading in zip(table.months, row.months)]
    figures += [(table.columns[key], getattr(row, key)) for key in ("outturn", "previous_year") if key in table.columns]
    for column, reading in figures:
        if reading.present and abs(reading.number) > 1:
            raise CypsError(
                f"holds {reading.number:g} in a % row, which would be {reading.number * 100:g}%: a % row stores "
                "fractions (62% is 0.62).", file=path, place=place_of(table.sheet, row.row, column),
                hint=f"Type it as {reading.number:g}% (or {reading.number / 100:g}); if the figure really is over "
                     "100%, give the row a DATA NOTE and number format that are not %.")
