"""The library API: what the CLI, the ribbon and the tests call."""
from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

from cyps_xl.evaluation import RunReport, _collector_paused, evaluate  # noqa: F401 - RunReport, evaluate re-exported
from cyps_xl.workbook.changes import renumber
from cyps_xl.errors import CypsError, cell_place, listed
from cyps_xl.workbook.layout import load_layout
from cyps_xl.workbook.inplace import editing
from cyps_xl.workbook.outputs import may_replace, remember
from cyps_xl.workbook.staleness import stale_formulas
from cyps_xl.workbook.tabs import recalculate_on_open, refuse_protected
from cyps_xl.workbook.package import Package, split_ref
from cyps_xl.workbook.reader import read_scorecard
from cyps_xl.engine.rules import RuleBook, load_rules
from cyps_xl.workbook.writer import apply_changes


def replaced_formulas_note(package: Package) -> list[str]:
    """The team's formulas a run wrote its values over (a DOT worked out by a formula, say), named, never quietly."""
    found = package.replaced_formulas
    if not found:
        return []
    return [f"{len(found)} formula(s) of the team's were replaced by cyps-xl's values: {listed(found)}."]


def _check_output(source: Path, output: Path) -> None:
    if output.resolve() == Path(source).resolve():
        raise CypsError("the output would overwrite the source scorecard.", file=output,
                        hint="Choose another name with -o; the source is never changed by 'issue'.")


DATA_QUALITY_SHEET = "Data quality"


@_collector_paused
def issue(source, output=None, *, rules=None, benchmarks=None, today: dt.date | None = None,
          keep_data_quality: bool = False, output_dir=None, presentation: bool = True, report: str | None = None,
          pdf: bool = False, force: bool = False, allow_protected: bool = False) -> RunReport:
    """Produce the issued workbook: rated, values only, no macros, next issue number.

    ``output`` defaults to the source name with the new issue number
    (``Scorecard Issue 2.xlsx``) beside it (or in ``output_dir``), never
    overwriting an existing file.
    """
    source = Path(source)
    book = rules if isinstance(rules, RuleBook) else load_rules(rules)
    probe = Package(source)  # the workbook, parsed once: read, rated and written from this one model
    config = None
    if presentation or report is not None or pdf:
        from cyps_xl.report.summary import report_config

        presentation = True
        config = report_config(book, report)
    name, view = source, None
    if config and config.get("indicators"):  # a view of the library: its own rows, references and titles
        from cyps_xl.report.views import build_view, view_rules

        library = read_scorecard(source, load_layout(book.layout_file), probe,
                                 include_hidden=book.style.include_hidden_sheets)
        sheet = build_view(probe, library, config)  # in the same package model: nothing written and read back
        name = source.with_name(f"{sheet}.xlsx")  # 'Corporate Parenting March 2022 Issue N.xlsx' beside it
        book, view = view_rules(book, config), config
    return _issue(source, probe, name, output, book, benchmarks, today or dt.date.today(), keep_data_quality,
                  output_dir, presentation, config, pdf, view, force, allow_protected)


def _issue(source: Path, package: Package, name: Path, output, book: RuleBook, benchmarks, today: dt.date,
           keep_data_quality: bool, output_dir, presentation: bool, config, pdf: bool, view=None,
           force: bool = False, allow_protected: bool = False) -> RunReport:
    scorecard, report = evaluate(source, book, benchmarks=benchmarks, issuing=True, today=today, package=package,
                                 view=view)
    number = report.issue_number
    when = next((t.latest.date for t in scorecard.tables if t.latest and t.latest.date), None)
    if view is not None and when is not None:  # next month's view is not taken for Issue 3 of this one
        name = name.with_name(f"{name.stem} {when:%B %Y}{name.suffix}")
    if output is None:
        output = next_issue_path(Path(output_dir) / name.name if output_dir is not None else name, number)
        taken = int(re.search(r"Issue (\d+)\.xlsx$", output.name).group(1))
        if taken != number:  # that issue exists already: this one is the next, in its name and on its sheets
            report.changes = renumber(report.changes, report.tables, taken)
            number = report.issue_number = taken
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise CypsError("the issued workbook must be an .xlsx file (it carries no macros).", file=output,
                        hint="Give -o a name ending in .xlsx.")
    _check_output(source, output)
    may_replace(output, force)
    if pdf:
        may_replace(output.with_suffix(".pdf"), force, "A PDF of that name is the team's own: choose another -o, or "
                                                       "add --force to replace it.")
    refuse_protected(package, adds_sheets=presentation, sheets={c.sheet for c in report.changes}, allow=allow_protected)
    report.sparklines = dict(apply_changes(package, report.changes, scorecard.grids))
    report.notes += replaced_formulas_note(package)
    report.udf_cells = evaluate_udf_cells(package, scorecard.grids, book)
    stale = stale_formulas(package, report.changes, scorecard.grids)
    if stale:  # frozen at its saved result, it would contradict the figures this issue writes: recalculated first
        report.notes += _recalculate(source, package, stale)
    if scorecard.grids is not None:
        scorecard.grids.for_measuring()  # the values are read, rated and evaluated: their memory serves the rest
    if presentation:
        from cyps_xl.workbook.changes import as_at_text
        from cyps_xl.report.printing import print_settings
        from cyps_xl.report.summary import add_commentary, add_summary

        report.notes += add_summary(package, config, report.tables, report.results, book.style, number,
                                    next((as_at_text(t) for t in report.tables if as_at_text(t)), None), today,
                                    report.bench_values, scorecard.grids)
        add_commentary(package, report.tables, report.results, report.bench_values, book.style, book, number, today)
        print_settings(package, report.tables, config.get("title", ""), number, today, scorecard.grids)
    controls = package.drop_macros()  # with the macro sheets, whose formulas are code, not values to freeze
    unsaved = package.freeze_formulas()
    if unsaved:
        more = f" (and {len(unsaved) - 1} more cell(s) like it)" if len(unsaved) > 1 else ""
        raise CypsError(
            f"this formula has no saved result, so its value cannot be issued{more}.", file=source, place=unsaved[0],
            hint="Open the workbook in Excel, let it calculate, save it, and run again.",
        )
    own_checks = [n for n in package.own_sheets() if n.casefold().startswith(DATA_QUALITY_SHEET.casefold())]
    if not keep_data_quality and own_checks:
        for name in own_checks:  # only cyps-xl's own: a team's sheet of that name is the team's
            package.remove_sheet(name)
        report.notes.append("The 'Data quality' sheet stays in the working copy; it is not in the issue.")
    package.drop_external_links()
    dropped = controls + package.drop_unreachable()  # and what they left pointing at nothing
    if dropped:
        report.notes.append(f"Left out of the issue with what used them: {listed(sorted(dropped))}.")
    package.scrub_properties(book.style.created_by, title=(config or {}).get("title"))
    package.settle_views(first=presentation)  # opens on its Summary, one tab selected: never two sheets grouped
    scorecard.grids = None  # the cells as read are done with: their memory serves the save
    package.save(output, last=True)
    report.notes += slow_way(package)
    remember(output)
    report.output = output
    if pdf:  # optional: a PDF that cannot be made is a warning, the issued workbook stands
        from cyps_xl.report.pdf import faces_without_twins, to_pdf

        try:
            report.pdf = to_pdf(output)
            remember(report.pdf)
            report.notes += faces_without_twins(output)
        except CypsError as exc:
            report.notes.append(f"No PDF: {exc}")
    return report


def _recalculate(source: Path, package: Package, stale: list) -> list[str]:
    """The stale formulas' results as LibreOffice recalculates them, written in their place; one that cannot be
    recalculated (no LibreOffice, or an error back) stops the issue, named."""
    from cyps_xl.report.recalc import recalculated

    values, why_not = recalculated(package, [(sheet, cell) for sheet, cell, _ in stale])
    for sheet, cell, read in stale:
        value = values.get((sheet, cell))
        if why_not or value is None or (isinstance(value, str) and value.startswith("#")):
            reads = (f"reads {read}, which the issue writes a new value into" if read else
                     "works out what it reads as it runs (INDIRECT, OFFSET), so it may read what the issue writes")
            cannot = why_not or (f"LibreOffice gives {value}" if value else "LibreOffice gives no result")
            raise CypsError(f"this formula {reads}, so the result saved with it would be out of date in the issue, "
                            f"and it cannot be recalculated here ({cannot}).", file=source, place=cell_place(sheet, cell),
                            hint="Refresh the working copy (cyps-xl refresh), open it in Excel so it recalculates, "
                                 "save it, and issue again.")
    replaced = len(package.replaced_formulas)
    for sheet, cell, _ in stale:
        row, column = split_ref(cell)
        package.sheet(sheet).set_value(row, column, values[(sheet, cell)])
    del package.replaced_formulas[replaced:]  # recalculated, not replaced: said below
    return [f"{len(stale)} formula(s) read what the issue wrote and were recalculated (LibreOffice) before being "
            f"frozen: {_formula_cells(stale)}."]


def _formula_cells(stale: list) -> str:
    return listed(f"'{sheet}'!{cell}" for sheet, cell, _ in stale)


def evaluate_udf_cells(package: Package, grids, book: RuleBook) -> int:
    """Compute CYPS_* formula cells with the engine (see cyps_xl.excel.udf_eval), from the values as read."""
    if not any(worksheet.has_formulas and any("CYPS_" in (f.text or "").upper() for f in worksheet.formulas.values())
               for worksheet in map(package.worksheet, package.sheet_parts.values())):
        return 0  # from the formulas the reader found: no sheet's bytes are read again
    from cyps_xl.excel.udf_eval import UdfEvaluator

    return UdfEvaluator(package, grids, book).run()


@_collector_paused
def refresh(source, output=None, *, rules=None, benchmarks=None, backup: bool = True, force: bool = False,
            allow_protected: bool = False) -> RunReport:
    """Fill ratings, tolerances, benchmarks and formats in the working copy, keeping everything else."""
    source = Path(source)
    book = rules if isinstance(rules, RuleBook) else load_rules(rules)
    target = Path(output) if output else source
    in_place = target.resolve() == source.resolve()
    if not in_place:
        if source.suffix.lower() == ".xlsm" and target.suffix.lower() != ".xlsm":
            raise CypsError("the scorecard keeps macros (.xlsm), and a refresh keeps everything: under an .xlsx name "
                            "Excel would refuse to open it.", file=target, hint="Give -o a name ending in .xlsm.")
        may_replace(target, force)
    # in place, the whole read-modify-write holds the workbook (a colleague's run or Excel's save is never lost)
    with (editing(source) if in_place else contextlib.nullcontext()) as guard:
        package = Package(source)
        scorecard, report = evaluate(source, book, benchmarks=benchmarks, package=package)
        refuse_protected(package, adds_sheets=False, sheets={c.sheet for c in report.changes}, allow=allow_protected)
        report.sparklines = dict(apply_changes(package, report.changes, scorecard.grids))
        report.notes += replaced_formulas_note(package)
        stale = stale_formulas(package, report.changes, scorecard.grids)
        del scorecard  # the cells as read go before the save
        package.settle_views()  # one active, selected, visible sheet, whatever the file came with
        if stale:  # formulas that read what was written: Excel is asked to recalculate them on opening
            recalculate_on_open(package)
            report.notes.append(f"{len(stale)} formula(s) read what this run wrote ({_formula_cells(stale)}): Excel "
                                "recalculates them when it next opens the workbook.")
        if in_place and backup:
            from cyps_xl.workbook.saving import keep_backup

            keep_backup(source)
        package.save(target, last=True, guard=guard)
        report.notes += slow_way(package)
    if not in_place:
        remember(target)
    report.output = target
    return report


def slow_way(package: Package) -> list[str]:
    """A note of the cells read and rows written the slow way (as XML elements, not as the bytes they were saved as):
    a formula row in an issue, a cell in an unusual form. Most files need none; many make a big scorecard slower."""
    cells, rows = package.slow["cells"], package.slow["rows"]
    if not (cells or rows):
        return []
    return [f"Taken the slow way (as XML elements): {cells} cell(s) read, {rows} row(s) written."]


def next_issue_path(source: Path, number: int) -> Path:
    import re

    stem = re.sub(r"\s*issue\s*\d+\s*$", "", source.stem, flags=re.IGNORECASE)
    while True:
        candidate = source.with_name(f"{stem} Issue {number}.xlsx")
        if not candidate.exists():
            return candidate
        number += 1
