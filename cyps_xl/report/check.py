"""``cyps-xl check``: the data-quality report.

It lists, with sheet and cell:

* values outside their plausible range: a percentage above 100% or below 0%,
  a negative count, a month that jumps more than ``jump_factor`` times the one
  before (settings.yaml, default 3);
* a RAG or DOT already in the sheet where the rules give none (for example a
  RAG word on an info measure);
* tolerance bands in the sheet that overlap, leave a gap, contradict the
  polarity or cannot be read, and rules that disagree with the sheet's bands;
* revisions: every month value that differs from the same month of the same
  indicator in the previous issue, as old -> new;
* blank months in a row that has figures, and benchmarks older than the
  configured age.

The findings are printed, and written to a "Data quality" sheet of the working
copy with a note on each revised cell (never into the issued workbook).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cyps_xl.engine.rating import measure_for, rate_row
from cyps_xl.errors import CypsError
from cyps_xl.workbook.layout import load_layout
from cyps_xl.cellref import column_letter
from cyps_xl.workbook.reader import ScoreRow, ScoreTable, read_scorecard
from cyps_xl.engine.rules import RuleBook, load_rules, normalise
from cyps_xl.engine.tolerances import Tolerances, ToleranceSyntaxError, parse_band
from cyps_xl.engine.values import as_displayed, format_precision

NOTE_PREFIX = "cyps-xl revision: "


@dataclass(frozen=True)
class Finding:
    check: str  # range, leftover rating, tolerances, revision, missing month, old benchmark
    sheet: str
    cell: str
    indicator: str
    message: str


@dataclass
class CheckReport:
    source: Path
    findings: list[Finding] = field(default_factory=list)
    revisions: list[tuple] = field(default_factory=list)  # (sheet, row, col, note text)
    sheet: str = "Data quality"  # where the report was written (a team's own 'Data quality' is left alone)

    def lines(self) -> list[str]:
        if not self.findings:
            return ["No data-quality findings."]
        out = [f"{len(self.findings)} finding(s):"]
        out += [f"  [{f.check}] {f.sheet}!{f.cell} {f.indicator}: {f.message}" for f in self.findings]
        return out


def _label(row: ScoreRow) -> str:
    bits = [row.ref or "", row.part or ""]
    return " ".join(b for b in bits if b) or (row.title or "")[:40]


def _shown(value: float, number_format: str) -> str:
    decimals, percent = format_precision(number_format)
    return f"{as_displayed(value, decimals, percent)}{'%' if percent else ''}"


def run_checks(source: Path, rules: RuleBook | None = None, previous: Path | None = None,
               benchmarks=None, jump_factor: float = 3.0, card=None) -> CheckReport:
    """The findings on ``source``, or on ``card``, a scorecard already read (xlwings Lite's, from the values
    Excel hands over); ``benchmarks`` are files, or sources already loaded."""
    rules = rules if isinstance(rules, RuleBook) else load_rules(rules)
    layout = load_layout(rules.layout_file)
    if card is None:
        card = read_scorecard(source, layout, include_hidden=rules.style.include_hidden_sheets)
    report = CheckReport(Path(source))
    old = _index(read_scorecard(previous, layout)) if previous else None
    for table in card.tables:
        for row in table.rows:
            try:
                measure = measure_for(row, table, rules, source)
            except CypsError as exc:
                report.findings.append(Finding("tolerances", table.sheet, exc.place.split("cell ")[-1] if exc.place else "",
                                               _label(row), exc.message))
                continue
            result = rate_row(row, measure)
            _range_checks(report, table, row, measure.number_format, jump_factor)
            _leftovers(report, table, row, result)
            _sheet_bands(report, table, row, measure)
            _missing_months(report, table, row)
            if old is not None:
                _revisions(report, table, row, old, measure.number_format)
    if benchmarks:
        from cyps_xl.benchmarks.filling import benchmark_changes, load_benchmarks, max_age_years

        when = next((t.latest.date for t in card.tables if t.latest and t.latest.date), None)
        sources = load_benchmarks(benchmarks, rules, when)
        for table in card.tables:
            _, notes = benchmark_changes(table, sources, {}, max_age_years(rules))
            for note in notes:
                if "older than" in note:
                    report.findings.append(Finding("old benchmark", table.sheet, "", "", note))
    return report


def _cell(table: ScoreTable, row: int, column: int) -> str:
    return f"{column_letter(column)}{row}"


def _range_checks(report, table, row: ScoreRow, number_format: str, jump_factor: float) -> None:
    _, percent = format_precision(number_format)
    count = (row.data_note or "").strip().lower() == "count"
    cells = [(m.column, m.label, v) for m, v in zip(table.months, row.months)]
    if "outturn" in table.columns:
        cells.append((table.columns["outturn"], "outturn", row.outturn))
    for column, label, reading in cells:
        if not reading.present:
            continue
        value = reading.number
        if percent and (value > 1 or value < 0):
            report.findings.append(Finding("range", table.sheet, _cell(table, row.row, column), _label(row),
                                           f"{label} is {_shown(value, number_format)}, outside 0%-100%"))
        elif count and value < 0:
            report.findings.append(Finding("range", table.sheet, _cell(table, row.row, column), _label(row),
                                           f"{label} is a negative count ({value:g})"))
    months = [(m, v) for m, v in zip(table.months, row.months)]
    for (before, a), (month, b) in zip(months, months[1:]):
        if a.present and b.present and a.number > 0 and b.number > 0:
            factor = max(a.number, b.number) / min(a.number, b.number)
            if factor > jump_factor:
                report.findings.append(Finding(
                    "range", table.sheet, _cell(table, row.row, month.column), _label(row),
                    f"{month.label} ({_shown(b.number, number_format)}) is {factor:.1f} times {before.label} "
                    f"({_shown(a.number, number_format)}); check the figure"))


def _leftovers(report, table, row: ScoreRow, result) -> None:
    for key, engine in (("rag_month", result.rag_month.band), ("rag_year", result.rag_year.band),
                        ("dot_month", result.dot_month.direction), ("dot_year", result.dot_year.direction)):
        text = row.existing.get(key)
        if text and engine is None:
            why = (result.rag_month if key.startswith("rag") and key.endswith("month") else
                   result.rag_year if key.startswith("rag") else
                   result.dot_month if key.endswith("month") else result.dot_year).reason
            report.findings.append(Finding("leftover rating", table.sheet, _cell(table, row.row, table.columns[key]),
                                           _label(row), f"'{text}' is in the sheet but the rules give none ({why})"))


def _sheet_bands(report, table, row: ScoreRow, measure) -> None:
    texts = row.tolerance_text
    if not texts or not any(texts.values()):
        return
    try:
        sheet_bands = Tolerances(*(parse_band(texts.get(b)) for b in ("red", "amber", "green")))
    except ToleranceSyntaxError as exc:
        report.findings.append(Finding("tolerances", table.sheet, _cell(table, row.row, table.columns["green"]),
                                       _label(row), str(exc)))
        return
    for problem in sheet_bands.problems(measure.polarity if measure.polarity != "info" else "high"):
        if measure.polarity == "info":
            problem = "the sheet gives tolerances to an info measure, which is not rated"
        report.findings.append(Finding("tolerances", table.sheet, _cell(table, row.row, table.columns["green"]),
                                       _label(row), f"the sheet's bands: {problem}"))
        break
    if measure.rule is not None:
        rule_texts = [getattr(measure.tolerances, b).text if getattr(measure.tolerances, b) else None
                      for b in ("red", "amber", "green")]
        sheet_texts = [b.text if b else None for b in (sheet_bands.red, sheet_bands.amber, sheet_bands.green)]
        if rule_texts != sheet_texts:
            report.findings.append(Finding(
                "tolerances", table.sheet, _cell(table, row.row, table.columns["red"]), _label(row),
                f"the sheet says {' / '.join(t or '-' for t in sheet_texts)} but the rules ({measure.rule.source}) say "
                f"{' / '.join(t or '-' for t in rule_texts)}; a refresh writes the rules' bands"))


def _missing_months(report, table, row: ScoreRow) -> None:
    if not any(v.present for v in row.months):
        return
    for month, reading in zip(table.months, row.months):
        if not reading.present and reading.reason is None:
            report.findings.append(Finding("missing month", table.sheet, _cell(table, row.row, month.column),
                                           _label(row), f"{month.label} is blank (type '-' if there is no figure)"))


def _index(card) -> dict:
    index = {}
    for table in card.tables:
        for row in table.rows:
            key = (normalise(table.sheet), row.ref, normalise(row.part or ""), normalise(row.title or ""))
            index[key] = {m.date or m.label: v for m, v in zip(table.months, row.months)}
    return index


def _revisions(report, table, row: ScoreRow, old: dict, number_format: str) -> None:
    key = (normalise(table.sheet), row.ref, normalise(row.part or ""), normalise(row.title or ""))
    before = old.get(key)
    if before is None:
        return
    decimals, percent = format_precision(number_format)
    for month, reading in zip(table.months, row.months):
        previous = before.get(month.date or month.label)
        if previous is None:
            continue
        same = (previous.present == reading.present and
                (not reading.present or as_displayed(previous.number, decimals, percent) ==
                 as_displayed(reading.number, decimals, percent)))
        if same:
            continue
        old_text = _shown(previous.number, number_format) if previous.present else (previous.reason or "blank")
        new_text = _shown(reading.number, number_format) if reading.present else (reading.reason or "blank")
        cell = _cell(table, row.row, month.column)
        report.findings.append(Finding("revision", table.sheet, cell, _label(row), f"{month.label}: {old_text} → {new_text}"))
        report.revisions.append((table.sheet, row.row, month.column,
                                 f"{NOTE_PREFIX}{month.label} was {old_text} in the previous issue, now {new_text}."))


def check(source, previous=None, *, rules=None, benchmarks=None, write: bool = True, backup: bool = True,
          today: dt.date | None = None, allow_protected: bool = False) -> CheckReport:
    """Run the checks; unless ``write`` is False, add the Data quality sheet and notes to the working copy."""
    source = Path(source)
    book = rules if isinstance(rules, RuleBook) else load_rules(rules)
    if not write:
        return run_checks(source, book, previous, benchmarks, jump_factor=book.style.jump_factor)
    from cyps_xl.workbook.inplace import editing

    with editing(source) as guard:  # the read, the checks and the write back, with no one else's save lost
        return _check_and_write(source, book, previous, benchmarks, backup, today, guard, allow_protected)


def _check_and_write(source: Path, book: RuleBook, previous, benchmarks, backup: bool, today, guard,
                     allow_protected: bool) -> CheckReport:
    report = run_checks(source, book, previous, benchmarks, jump_factor=book.style.jump_factor)
    from cyps_xl.workbook.package import Package

    package = Package(source)
    from cyps_xl.workbook.tabs import refuse_protected

    refuse_protected(package, adds_sheets=True, sheets={r[0] for r in report.revisions}, allow=allow_protected)
    rows = [["Check", "Sheet", "Cell", "Indicator", "Finding"]]
    rows += [[f.check, f.sheet, f.cell, f.indicator, f.message] for f in report.findings] or [["none", "", "", "", "No findings."]]
    stamp = (today or dt.date.today()).strftime("%d/%m/%Y")
    sheet_name = package.own_sheet_name("Data quality", "Data quality (cyps-xl)")  # a team's own is never replaced
    package.put_sheet(sheet_name, [[f"Data quality check of {source.name} on {stamp}"
                                    + (f" against {Path(previous).name}" if previous else "")], []] + rows)
    package.mark_own(sheet_name)
    from cyps_xl.report.printing import footer, print_sheet

    # printed like the report's other pages: its findings wrapped, its heading on every page, a footer
    print_sheet(package, sheet_name, (3, 3), footer(f"Data quality check of {source.name}", None, today),
                range(1, len(rows) + 3))
    report.sheet = sheet_name
    for sheet in {r[0] for r in report.revisions}:
        package.put_notes(sheet, [(r, c, text) for s, r, c, text in report.revisions if s == sheet], NOTE_PREFIX)
    package.settle_views()  # the Data quality sheet added: still one active, selected tab
    if backup:
        from cyps_xl.workbook.saving import keep_backup

        keep_backup(source)
    package.save(source, guard=guard)
    return report
