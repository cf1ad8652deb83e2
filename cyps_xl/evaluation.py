"""Reading and rating a scorecard: the changes a run would make, with nothing written.

Every front door rates through :func:`evaluate`: the CLI and the library API
(``api``) on a file, the ribbon on the backup of the open workbook, and xlwings
Lite (``excel.lite``) on the values Excel hands over, read into the same plain
grids (``scorecard``), with benchmark sources already loaded. Given those,
nothing here reads a file or needs lxml, openpyxl or pandas.
"""
from __future__ import annotations

import datetime as dt
import functools
import gc
from dataclasses import dataclass, field
from pathlib import Path

from cyps_xl.engine.rating import RowResult, rate_table
from cyps_xl.engine.rules import RuleBook
from cyps_xl.errors import CypsError, listed
from cyps_xl.workbook.changes import (NO_VALUE, CellChange, current_issue_number, rating_changes, sparkline_changes,
                                     title_block_changes)
from cyps_xl.workbook.layout import BENCHMARK_KEYS, load_layout
from cyps_xl.workbook.reader import Scorecard, read_scorecard


def _collector_paused(run):
    """``run`` with Python's cycle collector paused, as Mercurial builds its large containers. A run makes
    hundreds of thousands of small objects (cells, edits) that live until it ends and form no cycles, yet
    each time their number grows by a quarter the collector walks them all: a fifth of a 10,000-indicator
    issue's time. The model itself is the only cycle a run leaves (a test checks), freed once it resumes."""
    @functools.wraps(run)
    def paused(*args, **kwargs):
        if not gc.isenabled():  # already paused, by an outer run or by the caller
            return run(*args, **kwargs)
        gc.disable()
        try:
            return run(*args, **kwargs)
        finally:
            gc.enable()
    return paused


@dataclass
class RunReport:
    """What a run did, for the CLI to print and the tests to inspect."""

    source: Path
    output: Path | None
    results: dict = field(default_factory=dict)  # sheet -> list[RowResult]
    changes: list = field(default_factory=list)  # CellChange, RowStyle and SparklineChange (see workbook.changes)
    issue_number: int | None = None
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    udf_cells: int = 0  # CYPS_* formula cells evaluated headlessly
    bench_values: dict = field(default_factory=dict)  # sheet -> row -> {benchmark key: value}
    tables: list = field(default_factory=list)
    pdf: Path | None = None
    sparklines: dict = field(default_factory=dict)  # kept / updated / created -> count

    def summary(self) -> str:
        rated = sum(1 for rows in self.results.values() for r in rows if r.rag_month.band or r.rag_year.band)
        rows = sum(len(rows) for rows in self.results.values())
        lines = [f"{rows} indicator rows on {len(self.results)} sheet(s); {rated} rated."]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} row(s) have no rules and were rated from the sheet's own columns.")
        if self.sparklines:
            lines.append("Trend sparklines: " + ", ".join(f"{n} {what}" for what, n in sorted(self.sparklines.items())) + ".")
        lines += self.notes
        return "\n".join(lines)


@_collector_paused
def evaluate(source: Path, rules: RuleBook, *, benchmarks: Path | None = None,
             issuing: bool = False, today: dt.date | None = None, package=None,
             view: dict | None = None, scorecard: Scorecard | None = None) -> tuple[Scorecard, RunReport]:
    """Read and rate a scorecard; returns the changes to write, writes nothing.

    When ``issuing``, the title block also gets the next issue number and ``today``. For a report
    ``view``, the library's benchmark rows are read under the view's sheet and references. A
    ``scorecard`` already read (xlwings Lite's, from the values Excel hands over) is rated as it is,
    and ``benchmarks`` may be sources already loaded (:class:`~cyps_xl.benchmarks.published.BenchmarkSource`).
    """
    if scorecard is None:
        layout = load_layout(rules.layout_file)
        scorecard = read_scorecard(source, layout, package, include_hidden=rules.style.include_hidden_sheets)
    _refuse_future_months(scorecard, today or dt.date.today())
    issue_number = current_issue_number(scorecard.tables) + 1 if issuing else None
    report = RunReport(source=Path(source), output=None, issue_number=issue_number)
    if scorecard.uncalculated and not issuing:  # an issue refuses them when it freezes the formulas
        report.notes.append(f"{len(scorecard.uncalculated)} figure(s) are formulas with no saved result, read as no "
                            f"value: {listed(scorecard.uncalculated)}. Open the workbook in Excel, let it calculate, "
                            "and save it.")
    if scorecard.hidden:
        report.notes.append(f"Hidden sheet(s) not rated: {', '.join(repr(n) for n in scorecard.hidden)} "
                            "(include_hidden_sheets: true in settings.yaml rates them).")
    when = next((t.latest.date for t in scorecard.tables if t.latest and t.latest.date), None)
    sources = []
    if benchmarks:
        # only a run with benchmarks pays for them
        from cyps_xl.benchmarks.filling import benchmark_changes, load_benchmarks, max_age_years

        sources = load_benchmarks(benchmarks, rules, when)
        if view is not None:
            from cyps_xl.benchmarks.filling import for_view
            from cyps_xl.report.views import view_aliases

            sources = [for_view(found, view_aliases(view)) for found in sources]
    report.notes += [note for source in sources for note in source.notes]
    max_age = max_age_years(rules) if sources else None
    used: set = set()  # benchmark rows that filled a scorecard row
    for table in scorecard.tables:
        results: list[RowResult] = rate_table(table, rules, source)
        report.results[table.sheet] = results
        report.unmatched += [f"{table.sheet}!{r.row.row}" for r in results if r.measure.rule is None]
        report.notes += [f"'{table.sheet}' row {r.row.row} ({r.row.ref or ''} '{r.row.title}') is not rated by the rule "
                         f"of its reference, '{r.measure.passed_over.title}' ({r.measure.passed_over.source}): the "
                         f"titles are of two indicators. " + (f"It is rated by '{r.measure.rule.title}' "
                         f"({r.measure.rule.source}), whose title is its own." if r.measure.rule else
                         "It is rated from the sheet's own columns; correct the reference or the title if they "
                         "are one indicator.") for r in results if r.measure.passed_over is not None]
        report.changes += rating_changes(table, results, rules.style)
        report.tables.append(table)
        if sources:
            formats = {r.row.row: r.measure.number_format for r in results}
            polarities = {r.row.row: r.measure.polarity for r in results}
            changes, notes = benchmark_changes(table, sources, formats, max_age, used, polarities, rules.titles)
            report.changes += changes
            report.notes += notes
            keys = {column: key for key, column in table.columns.items() if key in BENCHMARK_KEYS}
            for change in changes:
                if change.column in keys and change.row > table.header_rows[1]:
                    report.bench_values.setdefault(table.sheet, {}).setdefault(change.row, {})[keys[change.column]] = change.value
        report.changes += title_block_changes(table, issue_number=issue_number, today=today)
        trend, why = sparkline_changes(table, issuing)
        report.changes += trend
        if why:
            report.notes.append(why)
    report.notes += hidden_by_merges(scorecard, report.changes)
    if sources:
        from cyps_xl.benchmarks.filling import unmatched_notes

        report.notes += unmatched_notes(sources, used)
    return scorecard, report


def hidden_by_merges(scorecard: Scorecard, changes: list) -> list[str]:
    """A value written into a merged cell other than its first is hidden by Excel: say where, never silently."""
    from cyps_xl.cellref import column_letter

    merged: dict = {}  # sheet -> (row -> the merges over it, merges over more than 1,000 rows)
    for sheet in scorecard.grids.worksheets if scorecard.grids is not None else []:
        merges = [m for m in sheet.merged_ranges if (m.min_row, m.min_col) != (m.max_row, m.max_col)]
        if merges:
            by_row: dict = {}
            tall = [m for m in merges if m.max_row - m.min_row > 1000]
            for m in merges:
                if m.max_row - m.min_row <= 1000:
                    for r in range(m.min_row, m.max_row + 1):
                        by_row.setdefault(r, []).append(m)
            merged[sheet.title] = (by_row, tall)
    notes = []
    for change in changes if merged else ():
        found = merged.get(change.sheet)
        if found is None or not isinstance(change, CellChange) or change.value is NO_VALUE:
            continue
        by_row, tall = found
        for m in by_row.get(change.row, []) + tall:
            if m.min_row <= change.row <= m.max_row and m.min_col <= change.column <= m.max_col \
                    and (change.row, change.column) != (m.min_row, m.min_col):
                cell = f"{column_letter(change.column)}{change.row}"
                notes.append(f"'{change.sheet}'!{cell} is inside the merged cells {m.coord}: what cyps-xl wrote "
                             f"there ('{change.value}') is hidden. Unmerge {m.coord} (Home > Merge & Center > "
                             "Unmerge Cells) and run again.")
    return notes


def _refuse_future_months(scorecard: Scorecard, today: dt.date) -> None:
    from cyps_xl.cellref import column_letter

    this_month = today.replace(day=1)
    for table in scorecard.tables:
        for month in table.months:
            if month.date and month.date > this_month:
                raise CypsError(
                    f"the month column '{month.label}' is after this month ({today:%B %Y}).", file=scorecard.path,
                    place=f"sheet '{table.sheet}', cell {column_letter(month.column)}{table.header_rows[1]}",
                    hint="Check the column heading's date; the scorecard can only report months that have happened.")
