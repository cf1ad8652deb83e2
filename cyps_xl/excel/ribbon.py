"""The Excel front door: ribbon actions run on the open workbook through xlwings.

Each ribbon button's VBA callback calls ``RunPython`` on one function here
(see ``macros/CYPS.bas``); ``main`` is the default RunPython entry point.
They all do the same thing:

1. read the settings (the ``cyps_xl.conf`` sheet, then environment variables,
   then defaults) and find the workbook's file, OneDrive and SharePoint included;
2. keep a backup copy of the open workbook beside it (the undo for the run);
3. run the engine on that copy, exactly as the headless path does;
4. write the resulting changes into the open workbook in blocks
   (:mod:`cyps_xl.excel.xlwings_writer`), with progress on the status bar;
5. say what was done in a message box: the counts, and the issued file's path.

Whatever goes wrong ends in one alert in plain words; the traceback of an
unexpected error goes to a log file beside the workbook, never on screen.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.excel.settings import ENVIRONMENT
from cyps_xl.excel.workbook_file import _com, save_backup, workbook_path  # noqa: F401 - re-exported

DATA_QUALITY = "Data quality"
# The scorecard's settings sheet. A scorecard may come from anyone, so it may set only what is harmless: the CYPS_
# folders below, inside its own folder. The interpreter, the Python path and the OneDrive folders come from the
# user's own settings (the settings files of cyps_xl.excel.settings, xlwings' user config), never from the open
# workbook.
CONFIG_SHEET = "cyps_xl.conf"
# settings of the CYPS sheet -> the environment variable used when the sheet has none (the settings files' keys)
SETTINGS = ENVIRONMENT
TITLES = {"refresh": "Refresh ratings", "benchmarks": "Update benchmarks", "check": "Check data",
          "issue": "Produce issue", "setup": "Check set-up"}
LOG_NAME = "cyps-xl.log"


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
    """Ribbon: refresh, filling the benchmark columns from the configured benchmark files."""
    return _run("benchmarks", book, **options)


def check_data(book=None, **options):
    """Ribbon: the data-quality check, written to a 'Data quality' sheet (after a backup)."""
    return _run("check", book, **options)


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def check_setup(book=None, built_with=None):
    """Ribbon: Check set-up. The report 'cyps-xl doctor' prints, for the Python running the button, in a message box."""
    from cyps_xl.excel.doctor import FAIL, diagnose, here, report_text

    book = _caller(book)
    title = f"cyps-xl: {TITLES['setup']}"
    try:
        workbook = workbook_path(book, {})
    except CypsError:
        workbook = None  # not saved yet: nothing to check of its file
    try:
        findings = diagnose(workbook, built_with=built_with, probe=here())
    except Exception as exc:  # noqa: BLE001 - as every button: one alert, the traceback in a log
        log = write_log(workbook, "setup", exc)
        book.app.alert(f"cyps-xl could not finish {TITLES['setup']}: {type(exc).__name__}: {exc}\n\n"
                       f"The details for whoever supports cyps-xl are in {log}.", title=title, buttons="ok",
                       mode="critical")
        return None
    failed = any(f.status == FAIL for f in findings)
    book.app.alert(report_text(findings), title=title, buttons="ok", mode="critical" if failed else "info")
    return findings


def _run(action, book=None, *, snapshot=None, rules=None, benchmarks=None, output_dir=None, today=None, previous=None,
         built_with=None):
    book = _caller(book)
    app = book.app
    status = StatusBar(app)
    title = f"cyps-xl: {TITLES[action]}"
    source = None
    try:
        from cyps_xl.excel.doctor import refuse_other_xlwings

        refuse_other_xlwings(built_with)  # an add-in built against another xlwings: stop before anything is written
        config = read_config(book)
        # a snapshot is the workbook's state handed over as a file (xlwings' remote engine, the tests)
        source = Path(snapshot) if snapshot else workbook_path(book, config)
        rules = rules or setting("CYPS_RULES", config, source)
        benchmarks = benchmarks or setting("CYPS_BENCHMARKS", config, source)
        if action == "benchmarks" and not benchmarks:
            raise CypsError("no benchmark files are configured.", place=f"sheet '{CONFIG_SHEET}'",
                            hint="Add a row CYPS_BENCHMARKS with the folder of DfE's CSV files (or a file), or set "
                                 "it for all your scorecards: cyps-xl addin install --benchmarks FOLDER.")
        status.show("cyps-xl: keeping a backup copy…")
        backup = Path(snapshot) if snapshot else save_backup(book, source)
        previous = previous or setting("CYPS_PREVIOUS_ISSUE", config, source)
        result = fill(book, backup, action, rules=rules, benchmarks=benchmarks, output_dir=output_dir,
                      today=today, status=status, previous=previous, source=source)
        result.backup = None if snapshot else backup
        if result.backup:
            result.message += f"\n\nA backup of the workbook as it was: {result.backup}"
        status.show(f"cyps-xl: {result.message.splitlines()[0]}")
        app.alert(result.message, title=title, buttons="ok", mode="info")  # the result stays until OK
        return result
    except CypsError as exc:
        status.show("cyps-xl: stopped, see the message")
        app.alert(str(exc), title=title, buttons="ok", mode="critical")
        return None
    except Exception as exc:  # noqa: BLE001 - a bug or Excel's own failure: one alert, the traceback in a log
        log = write_log(source, action, exc)
        status.show("cyps-xl: stopped, see the message")
        app.alert(f"cyps-xl could not finish {TITLES[action]}: {type(exc).__name__}: {exc}\n\n"
                  f"The details for whoever supports cyps-xl are in {log}.", title=title, buttons="ok", mode="critical")
        return None
    finally:
        status.clear()


def setting(key: str, config: dict, workbook: Path | None = None) -> str | None:
    """One setting: the cyps_xl.conf sheet first, then its environment variable, then the user's and the machine's
    settings files (cyps_xl.excel.settings), else none. The sheet's value is a
    path inside the workbook's own folder (relative to it, or absolute there): a scorecard from elsewhere cannot
    point the run at a folder of its choosing."""
    value = config.get(key)
    if value and workbook is not None:
        folder = Path(workbook).resolve().parent
        target = (folder / value).resolve()
        if target != folder and folder not in target.parents:
            raise CypsError(f"{key} is '{value}', outside the workbook's own folder ({folder}); a workbook may only "
                            "name folders beside it.", place=f"sheet '{CONFIG_SHEET}'",
                            hint=f"Give a folder inside {folder}, or set {SETTINGS[key]} in your own environment.")
        return str(target)
    from cyps_xl.excel.settings import value as configured

    return value or configured(key)


def write_log(source: Path | None, action: str, exc: BaseException) -> Path:
    """The traceback, appended to 'cyps-xl.log' beside the workbook (or in the temp folder)."""
    text = (f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} {TITLES[action]} on {source or 'an unsaved workbook'}\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) + "\n")
    for folder in ([source.parent] if source else []) + [Path(tempfile.gettempdir())]:
        log = folder / LOG_NAME
        try:
            with log.open("a", encoding="utf-8") as handle:
                handle.write(text)
            return log
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / LOG_NAME  # pragma: no cover - not even the temp folder is writable


def fill(book, snapshot: Path, action: str, *, rules=None, benchmarks=None, output_dir=None, today=None, status=None,
         previous=None, source: Path | None = None):
    """Run the engine on ``snapshot`` (the open book's state) and write the changes into ``book``."""
    from cyps_xl.api import evaluate, issue, next_issue_path
    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.reader import open_workbook
    from cyps_xl.engine.rules import RuleBook, load_rules
    from cyps_xl.excel.xlwings_writer import write_changes

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
    notes = report.notes + writer.notes
    result = LiveResult(calls=dict(writer.calls), notes=notes, message="\n".join([report.summary()] + writer.notes))
    if action == "issue":
        status.show("cyps-xl: producing the issue…")
        source = source or Path(book.fullname)
        folder = Path(output_dir) if output_dir else source.parent
        target = next_issue_path(folder / (source.stem + ".xlsx"), report.issue_number or _next_number(snapshot))
        issued = issue(snapshot, target, rules=book_rules, benchmarks=benchmarks, today=today)
        result.issued = issued.output
        result.pdf = _pdf(book, issued.output, result.notes)
        result.message += f"\n\nIssued: {issued.output}" + (f"\nPDF: {result.pdf}" if result.pdf else "")
    return result


def write_check(book, snapshot: Path, rules, benchmarks, previous) -> LiveResult:
    """Check data in Excel: the report in a 'Data quality' sheet (one block) and a note on each revised cell."""
    from cyps_xl.report.check import run_checks

    return write_check_report(book, run_checks(snapshot, rules, previous, benchmarks, jump_factor=rules.style.jump_factor))


def write_check_report(book, report) -> LiveResult:
    """A check's findings in the 'Data quality' sheet (one block), and a note on each revised cell."""
    from cyps_xl.report.check import NOTE_PREFIX
    from cyps_xl.excel.xlwings_writer import quiet

    rows = [["Check", "Sheet", "Cell", "Indicator", "Finding"]]
    rows += [[f.check, f.sheet, f.cell, f.indicator, f.message] for f in report.findings] or [["none", "", "", "", "No findings."]]
    calls = {"values": 0, "notes": 0, "sheet": 0}
    with quiet(book.app):
        sheet = _own_sheet(book, DATA_QUALITY, calls)
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
    message = f"{len(report.findings)} finding(s) written to the '{sheet.name}' sheet."
    if report.revisions:
        message += f" {len(report.revisions)} revised cell(s) have a note."
    return LiveResult(calls=calls, notes=report.lines(), message=message)


def _own_sheet(book, wanted: str, calls: dict):
    """cyps-xl's sheet ``wanted``, emptied for a new report: its own earlier one (known by the marker it
    carries, a hidden sheet-level name, as the headless path writes it), else a new sheet under the first
    free name of ``wanted``, ``wanted (cyps-xl)``, ``wanted (cyps-xl) 2``... A team's sheet of that name,
    in any case, is never touched (Excel compares sheet names without regard to case)."""
    sheets = list(book.sheets)
    instead = f"{wanted} (cyps-xl)"
    for candidate in [wanted, instead] + [f"{instead} {n}" for n in range(2, 100)]:
        existing = sheet_named(book, candidate)
        if existing is None:
            sheet = book.sheets.add(name=candidate, after=sheets[-1])
            calls["sheet"] += 1
            _mark_own(sheet)
            return sheet
        if _is_own(existing):
            existing.clear_contents()
            return existing
    raise CypsError(f"has no free name for cyps-xl's '{wanted}' sheet.", file=Path(book.fullname),
                    hint=f"Rename or remove the sheets called '{instead} ...'.")


def _is_own(sheet) -> bool:
    from cyps_xl.workbook.marks import OWN_MARK

    try:  # a sheet-level name reads back as 'Sheet name'!cyps_xl_sheet
        return any(n.name.rpartition("!")[2].casefold() == OWN_MARK.casefold() for n in sheet.names)
    except (AttributeError, NotImplementedError):  # an engine without names: nothing is proven ours
        return False


def _mark_own(sheet) -> None:
    from cyps_xl.workbook.marks import OWN_MARK

    try:
        name = sheet.names.add(OWN_MARK, "=TRUE")
    except (AttributeError, NotImplementedError):
        return
    try:  # hidden from Name Manager, as the headless path writes it (desktop Excel only)
        name.api.Visible = False
    except Exception:  # noqa: BLE001 - other engines have no COM object; a visible marker still works
        pass


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
    from cyps_xl.report.pdf import to_pdf

    try:
        return to_pdf(issued)
    except CypsError as exc:
        notes.append(f"No PDF: {exc}")
        return None


def _next_number(snapshot) -> int:
    from cyps_xl.workbook.changes import current_issue_number
    from cyps_xl.workbook.layout import load_layout
    from cyps_xl.workbook.reader import read_scorecard

    return current_issue_number(read_scorecard(snapshot, load_layout()).tables) + 1


def _existing_sparklines(package) -> set:
    """(sheet, cell) of every sparkline the workbook already has (the live path only adds missing ones)."""
    return {(sheet, target) for sheet in package.sheet_parts for target in package.sheet(sheet).sparklines()}


def sheet_named(book, wanted: str):
    """The sheet called ``wanted``, as Excel compares sheet names (without regard to case), or None."""
    return next((s for s in book.sheets if s.name.casefold() == wanted.casefold()), None)


def read_config(book, keys=SETTINGS) -> dict:
    """The CYPS_ settings of the 'cyps_xl.conf' sheet (keys in column A, values in column B, keys in any case).
    Any other key there (INTERPRETER_WIN, PYTHONPATH, ONEDRIVE_...) is the user's to set, not the workbook's, and
    is not read: only ``keys``."""
    sheet = sheet_named(book, CONFIG_SHEET)
    if sheet is None:
        return {}
    rows = sheet.range("A1").expand().options(ndim=2).value or []
    found = {str(row[0]).strip().upper(): str(row[1]).strip() for row in rows
             if len(row) > 1 and row[0] not in (None, "") and row[1] not in (None, "")}
    return {key: value for key, value in found.items() if key in keys}


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
