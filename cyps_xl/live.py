"""The Excel front door: ribbon actions run on the open workbook through xlwings.

Each ribbon button's VBA callback calls ``RunPython`` on one function here
(see ``macros/CYPS.bas``); ``main`` is the default RunPython entry point.
They all do the same thing first:

1. keep a backup copy of the open workbook beside it (the undo for the run);
2. run the engine on that copy, exactly as the headless path does;
3. write the resulting changes into the open workbook in blocks
   (:mod:`cyps_xl.xlwings_writer`), with progress on the status bar.

A user error is shown in an Excel alert with its sheet and cell.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import CypsError

DATA_QUALITY = "Data quality"
CONFIG_SHEET = "cyps_xl.conf"  # the add-in's xlwings settings sheet; "xlwings.conf" is read too
CONFIG_SHEETS = (CONFIG_SHEET, "xlwings.conf")


@dataclass
class LiveResult:
    calls: dict
    notes: list
    issued: Path | None = None
    backup: Path | None = None
    pdf: Path | None = None
    message: str = ""


def main(book=None):
    """RunPython entry point (``RunPython "import cyps_xl; cyps_xl.main()"``): Refresh ratings."""
    return refresh_ratings(book)


def refresh_ratings(book=None, **options):
    """Ribbon: fill DOT, RAG, tolerance text, formats and sparklines in the open workbook."""
    return _run("refresh", book, **options)


def produce_issue(book=None, **options):
    """Ribbon: refresh, then write '<name> Issue N.xlsx' next to the workbook."""
    return _run("issue", book, **options)


def update_benchmarks(book=None, **options):
    """Ribbon: refresh, filling the benchmark columns from the configured benchmark file."""
    return _run("benchmarks", book, **options)


def check_data(book=None, **options):
    """Ribbon: validate the rules and the workbook without changing it; report in an alert."""
    return _run("check", book, **options)


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _run(action, book=None, *, snapshot=None, rules=None, benchmarks=None, output_dir=None, today=None, previous=None):
    book = _caller(book)
    app = book.app
    status = StatusBar(app)
    try:
        config = read_config(book)
        rules = rules or config.get("CYPS_RULES") or os.environ.get("CYPS_XL_RULES")
        benchmarks = benchmarks or config.get("CYPS_BENCHMARKS") or os.environ.get("CYPS_XL_BENCHMARKS")
        if action == "benchmarks" and not benchmarks:
            raise CypsError("no benchmark file is configured.", place=f"sheet '{CONFIG_SHEET}'",
                            hint="Add a row CYPS_BENCHMARKS with the path of the benchmark CSV.")
        status.show("cyps-xl: keeping a backup copy…")
        backup = Path(snapshot) if snapshot else save_backup(book)
        previous = previous or config.get("CYPS_PREVIOUS_ISSUE")
        result = fill(book, backup, action, rules=rules, benchmarks=benchmarks, output_dir=output_dir,
                      today=today, status=status, previous=previous)
        result.backup = None if snapshot else backup
        if action == "check":
            app.alert(result.message, title="cyps-xl: Check data", buttons="ok", mode="info")
        else:
            status.show(f"cyps-xl: {result.message}")
        return result
    except CypsError as exc:
        status.clear()
        app.alert(str(exc), title="cyps-xl", buttons="ok", mode="critical")
        return None
    finally:
        status.clear()


def fill(book, snapshot: Path, action: str, *, rules=None, benchmarks=None, output_dir=None, today=None, status=None,
         previous=None):
    """Run the engine on ``snapshot`` (the open book's state) and write the changes into ``book``."""
    from .api import evaluate, issue, next_issue_path
    from .package import Package
    from .reader import open_workbook
    from .rules import RuleBook, load_rules
    from .xlwings_writer import write_changes

    status = status or StatusBar(book.app)
    book_rules = rules if isinstance(rules, RuleBook) else load_rules(rules)
    if action == "check":
        status.show("cyps-xl: checking the data…")
        return write_check(book, snapshot, book_rules, benchmarks, previous)
    status.show("cyps-xl: rating indicators…")
    _, report = evaluate(snapshot, book_rules, benchmarks=benchmarks)
    existing = _existing_sparklines(Package(snapshot))
    changes = [c for c in report.changes if not (hasattr(c, "target") and (c.sheet, c.target) in existing)]
    current = open_workbook(snapshot)
    status.show(f"cyps-xl: writing {len(changes)} changes…")
    writer = write_changes(book, changes, current=current)
    result = LiveResult(calls=dict(writer.calls), notes=report.notes + writer.notes,
                        message=report.summary().replace("\n", " "))
    if action == "issue":
        status.show("cyps-xl: producing the issue…")
        source = Path(book.fullname)
        folder = Path(output_dir) if output_dir else (source.parent if source.parent != Path("") else Path.cwd())
        target = next_issue_path(folder / (source.stem + ".xlsx"), report.issue_number or _next_number(snapshot))
        issued = issue(snapshot, target, rules=book_rules, benchmarks=benchmarks, today=today)
        result.issued = issued.output
        result.message += f" Issued {issued.output.name}."
        result.pdf = _pdf(book, issued.output, result.notes)
    return result


def write_check(book, snapshot: Path, rules, benchmarks, previous) -> LiveResult:
    """Check data in Excel: the report in a 'Data quality' sheet (one block) and a note on each revised cell."""
    from .check import NOTE_PREFIX, run_checks
    from .xlwings_writer import quiet

    report = run_checks(snapshot, rules, previous, benchmarks, jump_factor=rules.style.jump_factor)
    rows = [["Check", "Sheet", "Cell", "Indicator", "Finding"]]
    rows += [[f.check, f.sheet, f.cell, f.indicator, f.message] for f in report.findings] or [["none", "", "", "", "No findings."]]
    calls = {"values": 0, "notes": 0, "sheet": 0}
    with quiet(book.app):
        names = [s.name for s in book.sheets]
        if DATA_QUALITY in names:
            sheet = book.sheets[DATA_QUALITY]
            sheet.clear_contents()
        else:
            sheet = book.sheets.add(name=DATA_QUALITY, after=book.sheets[len(names) - 1])
            calls["sheet"] += 1
        sheet.range((1, 1), (len(rows), 5)).value = rows
        calls["values"] += 1
        for sheet_name, row, column, text in report.revisions:
            cell = book.sheets[sheet_name].range((row, column))
            note = cell.note
            if note is None:
                cell.add_note(text)
            else:
                try:
                    ours = note.text.startswith(NOTE_PREFIX)
                except NotImplementedError:  # the engine cannot read it: treat it as a person's
                    ours = False
                if not ours:
                    continue  # a person's note: left alone
                note.text = text
            calls["notes"] += 1
    message = f"{len(report.findings)} finding(s) written to the '{DATA_QUALITY}' sheet."
    return LiveResult(calls=calls, notes=report.lines(), message=message)


def _pdf(book, issued: Path, notes: list) -> Path | None:
    """The PDF of the issue: Excel's own export where Excel runs it, else LibreOffice, else a note."""
    engine = getattr(getattr(book.app, "engine", None), "name", "")
    if engine == "excel":
        opened = book.app.books.open(str(issued))
        try:
            target = issued.with_suffix(".pdf")
            opened.to_pdf(str(target))
            return target
        finally:
            opened.close()
    from .report import to_pdf

    try:
        return to_pdf(issued)
    except CypsError as exc:
        notes.append(f"No PDF: {exc}")
        return None


def _next_number(snapshot) -> int:
    from .changes import current_issue_number
    from .layout import load_layout
    from .reader import read_scorecard

    return current_issue_number(read_scorecard(snapshot, load_layout()).tables) + 1


def _existing_sparklines(package) -> set:
    """(sheet, cell) of every sparkline the workbook already has (the live path only adds missing ones)."""
    return {(sheet, target) for sheet in package.sheet_parts for target in package.sheet(sheet).sparklines()}


def save_backup(book) -> Path:
    """A copy of the open workbook as it is now, beside it; also what the engine reads."""
    source = Path(book.fullname)
    if not source.parent.exists() or source.parent == Path(""):
        raise CypsError("the workbook has not been saved yet.", file=book.name,
                        hint="Save it once (File > Save As), then press the button again.")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = source.with_name(f"{source.stem}.backup-{stamp}{source.suffix}")
    if sys.platform == "win32":
        book.api.SaveCopyAs(str(backup))  # the open state, unsaved edits included
    else:
        book.save()  # Excel for Mac has no SaveCopyAs: save, then copy the file
        shutil.copy2(source, backup)
    return backup


def read_config(book) -> dict:
    """CYPS_RULES / CYPS_BENCHMARKS from a 'cyps_xl.conf' or 'xlwings.conf' sheet (key, value columns)."""
    found = {}
    try:
        names = [sheet.name for sheet in book.sheets]
        for name in CONFIG_SHEETS:
            if name in names:
                rows = book.sheets[name].range("A1").expand().options(ndim=2).value
                found.update({str(k).strip(): str(v).strip() for k, v, *_ in rows if k and v})
    except Exception:  # noqa: BLE001 - an odd config sheet just means defaults
        return found
    return found


class StatusBar:
    """Excel's status bar, where the platform has one (xlwings' remote engine has none)."""

    def __init__(self, app):
        self.app = app
        self.available = True

    def show(self, text: str) -> None:
        if not self.available:
            return
        try:
            self.app.status_bar = text
        except (NotImplementedError, AttributeError):
            self.available = False

    def clear(self) -> None:
        if self.available:
            try:
                self.app.status_bar = False
            except (NotImplementedError, AttributeError):
                self.available = False
