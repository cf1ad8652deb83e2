"""xlwings Lite: the CYPS cell functions and buttons in Excel with no local Python, on the same engine.

xlwings Lite (https://lite.xlwings.org) runs Python inside Excel (Windows, Mac, the web) through Pyodide.
Its documented limits shape this module (lite.xlwings.org/limitations, /dependencies, /custom_scripts):
no threads or processes, no files of the user's, web requests only where the server allows CORS, and
packages that are pure Python or built by Pyodide. So here:

* the four ``CYPS_*`` functions are the desktop ones (``udfs``), registered by Lite from ``main.py``;
* three ``@script``s, "Refresh ratings", "Update benchmarks" and "Check data", take the ``book`` Lite hands
  them, read its values into the same plain grids the file reader makes, rate them with the same engine
  (``cyps_xl.evaluation``) and write the same plan of block writes as the desktop ribbon
  (``xlwings_writer``); each run's counts go to a ``cyps-xl`` sheet, as Lite has no message box;
* the rules are the YAML files a team keeps in a ``cyps_xl.rules`` sheet (a file's name in column A, its text
  in column B), else those bundled with cyps-xl; benchmarks are published figures in a
  ``cyps_xl.benchmarks`` sheet (the layout of ``sample_benchmarks.csv``), or a CSV at the address
  ``CYPS_BENCHMARKS_URL`` of the ``cyps_xl.conf`` sheet.

Nothing imported here needs lxml, openpyxl or pandas, starts a thread or a process, or opens a file of the
user's (``tests/test_lite.py`` runs it with all of those forbidden). ``main_py()`` and ``requirements()``
are what ``cyps-xl lite`` prints for a team to paste into Lite's editor.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import xlwings as xw

from cyps_xl.errors import CypsError
from cyps_xl.excel.udfs import CYPS_BENCH, CYPS_DOT, CYPS_RAG, CYPS_TOLERANCE  # noqa: F401 - what Lite registers

RULES_SHEET = "cyps_xl.rules"
BENCHMARKS_SHEET = "cyps_xl.benchmarks"
STATUS_SHEET = "cyps-xl"
LITE_SETTINGS = {"CYPS_BENCHMARKS_URL"}  # what the cyps_xl.conf sheet may set for Lite
CELL_LIMIT = 32767  # characters a cell holds (Excel's specifications and limits)
TITLES = {"refresh": "Refresh ratings", "benchmarks": "Update benchmarks", "check": "Check data"}


@dataclass
class LiteResult:
    action: str
    lines: list = field(default_factory=list)  # what the run reports, as written to the cyps-xl sheet
    calls: dict = field(default_factory=dict)
    stopped: str | None = None  # the user error that stopped it


# -- the scripts -------------------------------------------------------------------
@xw.script(name="Refresh ratings")
async def cyps_refresh_ratings(book: xw.Book):
    """DOT, RAG, tolerance texts and formats, filled in from the rules (and benchmarks, where the workbook has them)."""
    await run(book, "refresh")


@xw.script(name="Update benchmarks")
async def cyps_update_benchmarks(book: xw.Book):
    """As Refresh ratings, with the benchmark columns filled from the cyps_xl.benchmarks sheet or address."""
    await run(book, "benchmarks")


@xw.script(name="Check data")
async def cyps_check_data(book: xw.Book):
    """The data-quality check, written to a 'Data quality' sheet."""
    await run(book, "check")


async def run(book, action: str, *, number_formats: dict | None = None, fetch=None,
              today: dt.date | None = None) -> LiteResult:
    """One script's work on ``book``. ``number_formats`` (sheet -> rows of format codes over its used range)
    and ``fetch`` (an async function of an address giving its text) are read from Excel and the web when not given."""
    from cyps_xl.excel import udfs
    from cyps_xl.excel.ribbon import read_config, sheet_named

    result = LiteResult(action)
    try:
        config = read_config(book, LITE_SETTINGS)
        rules_sheet = sheet_named(book, RULES_SHEET)
        rules = rules_from_book(book, rules_sheet)
        sources = await benchmarks_from_book(book, config, fetch)
        if action == "benchmarks" and not sources:
            raise CypsError("no benchmarks to fill from.", file=book.name,
                            hint=f"Paste published figures into a sheet named '{BENCHMARKS_SHEET}' (the columns of "
                                 "sample_benchmarks.csv: sheet, ref, part, title, sn_average, sn_best, national, "
                                 "top_quartile, regional, year), or give their address as CYPS_BENCHMARKS_URL in "
                                 "the cyps_xl.conf sheet.")
        udfs.adopt(rules if rules_sheet is not None else None, sources or None)
        if number_formats is None:
            number_formats, note = await read_number_formats(book)
            result.lines += [note] if note else []
        scorecard = read_book_scorecard(book, rules, number_formats)
        if action == "check":
            _check(book, scorecard, rules, sources, result)
        else:
            _rate(book, scorecard, rules, sources, result, today)
        if rules_sheet is not None:
            book.app.calculate()  # the CYPS_ functions answer again, with the workbook's own rules
            result.lines.append(f"Rules: the '{RULES_SHEET}' sheet ({len(rules.rules)} indicators).")
        else:
            result.lines.append(f"Rules: cyps-xl's own ({len(rules.rules)} indicators); a '{RULES_SHEET}' sheet "
                                "would hold the team's.")
    except CypsError as exc:
        result.stopped = str(exc)
        result.lines = [f"Stopped: {exc}"]
    _report(book, result)
    return result


def _rate(book, scorecard, rules, sources, result: LiteResult, today) -> None:
    from cyps_xl.evaluation import evaluate
    from cyps_xl.excel.xlwings_writer import write_changes

    _, report = evaluate(Path(book.name), rules, benchmarks=sources or None, scorecard=scorecard, today=today)
    writer = write_changes(book, report.changes)
    result.calls = dict(writer.calls)
    result.lines = [*report.summary().splitlines(), *writer.notes, *result.lines]


def _check(book, scorecard, rules, sources, result: LiteResult) -> None:
    from cyps_xl.excel.ribbon import write_check_report
    from cyps_xl.report.check import run_checks

    report = run_checks(Path(book.name), rules, None, sources or None, jump_factor=rules.style.jump_factor,
                        card=scorecard)
    written = write_check_report(book, report)
    result.calls = dict(written.calls)
    result.lines = [written.message, *result.lines]


def _report(book, result: LiteResult) -> None:
    """The run's lines in cyps-xl's own sheet (Lite has no message box), and in Lite's output pane."""
    from cyps_xl.excel.ribbon import _own_sheet

    title = f"{TITLES[result.action]}, {dt.datetime.now():%d/%m/%Y %H:%M}"
    rows = [[title]] + [[line] for line in result.lines]
    sheet = _own_sheet(book, STATUS_SHEET, {"sheet": 0})
    sheet.range((1, 1), (len(rows), 1)).value = rows
    print("\n".join(row[0] for row in rows))


# -- reading the workbook Lite hands over ---------------------------------------------
def _block(sheet):
    """(first row, first column, rows of values) of a sheet's used range."""
    used = sheet.used_range
    values = used.options(ndim=2).value or []
    return used.row, used.column, values


async def read_number_formats(book) -> tuple[dict, str | None]:
    """Each sheet's number formats over its used range, fetched from Excel (Lite's async API); where the engine
    cannot, none and a note: values are then compared as Excel's General shows them."""
    found = {}
    for sheet in book.sheets:
        try:
            formats = await sheet.used_range.get_number_format()
        except (NotImplementedError, AttributeError):
            return {}, "Number formats could not be read from Excel here; values were compared as General shows them."
        found[sheet.name] = formats
    return found, None


def read_book_scorecard(book, rules, number_formats: dict | None = None):
    """The scorecard tables of ``book``'s values, read as the file reader reads a saved workbook's."""
    from cyps_xl.workbook.layout import load_layout
    from cyps_xl.workbook.reader import scorecard_from_grids

    grids = read_grids(book, number_formats or {})
    return scorecard_from_grids(Path(book.name), grids, load_layout(rules.layout_file),
                                include_hidden=rules.style.include_hidden_sheets)


def read_grids(book, number_formats: dict):
    """Every sheet's values (and number formats, where known) as :class:`~cyps_xl.workbook.cells.GridBook`."""
    from cyps_xl.workbook.cells import GridBook, GridSheet

    sheets = []
    for sheet in book.sheets:
        top, left, values = _block(sheet)
        formats = number_formats.get(sheet.name)
        cells: dict = {}
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if value is None or value == "":
                    continue
                code = _format_at(formats, i, j)
                cells.setdefault(top + i, {})[left + j] = (_as_saved(value), code, None)
        sheets.append(GridSheet(sheet.name, cells, [], "visible" if _visible(sheet) else "hidden"))
    return GridBook(sheets)


def _format_at(formats, i: int, j: int) -> str:
    if isinstance(formats, str):  # one format over the whole range
        return formats
    try:
        return formats[i][j] or "General"
    except (IndexError, TypeError):
        return "General"


def _as_saved(value):
    """A value as the file reader has it: whole numbers Excel hands over as ints are the floats it saves."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _visible(sheet) -> bool:
    try:
        return bool(sheet.visible)
    except (KeyError, NotImplementedError, AttributeError):
        return True


def rules_from_book(book, sheet):
    """The rules in the workbook's ``cyps_xl.rules`` sheet (``sheet``), else cyps-xl's own (None)."""
    from cyps_xl.cellref import column_letter
    from cyps_xl.engine.rules import load_rules
    from cyps_xl.engine.textfiles import TextFolder

    if sheet is None:
        return load_rules()
    top, left, values = _block(sheet)
    files, cells, current = {}, {}, None
    for i, row in enumerate(values):
        name = str(row[0]).strip() if row and row[0] not in (None, "") else None
        text = row[1] if len(row) > 1 else None
        if name and name.lower().endswith((".yaml", ".yml")):
            current = name
            files[name] = "" if text in (None, "") else str(text)
            cells[name] = f"{column_letter(left + 1)}{top + i}"
        elif name is None and current and text not in (None, ""):
            files[current] += "\n" + str(text)  # a file longer than a cell holds goes on below
    if not files:
        raise CypsError("has no rules files.", file=book.name, place=f"sheet '{sheet.name}'",
                        hint="Put each file's name (social_care.yaml) in column A and its text in column B, as "
                             "'cyps-xl lite -o FOLDER --rules RULES_FOLDER' lays them out; or delete the sheet to use "
                             "cyps-xl's rules.")
    return load_rules(TextFolder(f"{book.name}, sheet '{sheet.name}'", files, cells))


async def benchmarks_from_book(book, config: dict, fetch=None) -> list:
    """Published figures from the ``cyps_xl.benchmarks`` sheet, or from the CSV at CYPS_BENCHMARKS_URL."""
    from cyps_xl.benchmarks.published import published_from_rows
    from cyps_xl.excel.ribbon import sheet_named

    sheet = sheet_named(book, BENCHMARKS_SHEET)
    if sheet is not None:
        top, _, values = _block(sheet)
        _refuse_open_data(values, f"{book.name}, sheet '{sheet.name}'")
        # rows counted from the used range's first row, which Excel's need not be row 1
        return [published_from_rows(values, PurePosixPath(sheet.name), place=lambda line: f"row {top + line - 1}")]
    url = config.get("CYPS_BENCHMARKS_URL")
    if not url:
        return []
    text = await (fetch or _fetch)(url)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    _refuse_open_data(rows, url)
    name = PurePosixPath(url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or url)
    return [published_from_rows(rows, name)]


def _refuse_open_data(rows, where: str) -> None:
    header = {str(v).strip().lower() for v in (rows[0] if rows else []) if v not in (None, "")}
    if "geographic_level" in header:
        raise CypsError("holds DfE's open data as published; in Excel without Python cyps-xl reads published "
                        "figures only (working out comparators from DfE's files needs pandas).", file=where,
                        hint="Fill the benchmarks with 'cyps-xl refresh --benchmarks' on the desktop or headless "
                             "path, or paste published figures (sheet, ref, sn_average, national, ... year).")


async def _fetch(url: str) -> str:
    """The text at ``url``, fetched by the browser (Pyodide's pyfetch): the server must allow CORS."""
    try:
        from pyodide.http import pyfetch
    except ImportError:
        raise CypsError("cannot be fetched outside xlwings Lite.", file=url,
                        hint="Give the benchmarks file with --benchmarks on the desktop or headless path.") from None
    try:
        response = await pyfetch(url)
    except Exception as exc:  # noqa: BLE001 - the browser's refusal (CORS, offline) in words
        raise CypsError(f"could not be fetched ({exc}).", file=url,
                        hint="The server must allow CORS; or paste the figures into a 'cyps_xl.benchmarks' sheet.") from None
    if not response.ok:
        raise CypsError(f"could not be fetched (HTTP {response.status}).", file=url, hint="Check the address.")
    return await response.string()


# -- what a team pastes into Lite ------------------------------------------------------
def requirements(wheel_url: str | None = None) -> str:
    """requirements.txt for Lite: cyps-xl from the index Lite uses (PyPI, or a self-hosted Lite's own index), or
    from the address of its wheel; PyYAML and the rest come with it (Pyodide builds PyYAML, lxml and pandas)."""
    return f"xlwings\n{'cyps-xl @ ' + wheel_url if wheel_url else 'cyps-xl'}\n"


def main_py() -> str:
    """The main.py of Lite's editor: the functions and scripts, imported from cyps-xl."""
    return '''"""cyps-xl in xlwings Lite: CYPS_RAG, CYPS_DOT, CYPS_TOLERANCE and CYPS_BENCH, and three scripts.

Run "Refresh ratings", "Update benchmarks" or "Check data" from the xlwings Lite task pane. Each writes what
it did to the 'cyps-xl' sheet. The rules are those of the 'cyps_xl.rules' sheet (cyps-xl's own without
one); benchmarks come from the 'cyps_xl.benchmarks' sheet. Made by `cyps-xl lite`.
"""
from cyps_xl.excel.lite import (  # noqa: F401 - xlwings Lite registers what main.py holds
    CYPS_BENCH,
    CYPS_DOT,
    CYPS_RAG,
    CYPS_TOLERANCE,
    cyps_check_data,
    cyps_refresh_ratings,
    cyps_update_benchmarks,
)
'''


def rules_sheet_rows(folder) -> list:
    """A rules folder as the ``cyps_xl.rules`` sheet holds it: a header, then each YAML file's name and text, a
    file longer than a cell holds going on in the cells below (split at line ends)."""
    folder = Path(folder)
    rows = [["file", "YAML (cyps-xl reads this sheet in xlwings Lite)"]]
    for path in sorted(folder.glob("*.y*ml")):
        text = path.read_text(encoding="utf-8")
        chunks, current, size = [], [], 0
        for line in text.split("\n"):
            if len(line) >= CELL_LIMIT:
                raise CypsError(f"has a line of {len(line)} characters, more than a cell holds.", file=path,
                                hint="Break the line; YAML allows long texts over several lines.")
            if current and size + len(line) + 1 > CELL_LIMIT:
                chunks.append("\n".join(current))
                current, size = [], 0
            current.append(line)
            size += len(line) + 1
        chunks.append("\n".join(current))
        rows.append([path.name, chunks[0]])
        rows += [[None, chunk] for chunk in chunks[1:]]
    return rows
