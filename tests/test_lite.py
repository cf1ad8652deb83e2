"""Issue #28: the xlwings Lite front door (``cyps_xl.excel.lite``), run the way Lite runs it, with no Excel.

Lite hands a script a book built from the workbook's JSON; xlwings' remote engine builds the same book
(``xw.Book(json=payload)``) and records what the script asks Excel to do (``book.json()["actions"]``). Each
script is called through xlwings' own dispatcher for Lite and xlwings Server (``custom_scripts_call``), the
actions are applied to a copy of the workbook's state, and the cells are compared with what the headless
``refresh`` writes into the same file. The functions go through ``custom_functions_call``, which turns each
argument as Office.js hands it over into what the function receives.

One thing Lite reads that this engine cannot: the number formats (``await range.get_number_format()`` asks
Excel). Those are given from the file, as Excel would report them; everything else is the real path.
"""
import asyncio
import csv
import json
import os
import subprocess
import sys

import pytest

from conftest import DATA, ROOT
from test_excel_saved_opening import with_a_scorecard
from test_live_excel import replay

xw = pytest.importorskip("xlwings")
udfs_officejs = pytest.importorskip("xlwings.pro.udfs_officejs")

from cyps_xl.excel import lite  # noqa: E402
from cyps_xl.excel.remote import number_formats_from_file, payload_from_file  # noqa: E402
from cyps_xl.excel.xlwings_writer import current_style  # noqa: E402
from cyps_xl.workbook.changes import CellChange, cell_changes  # noqa: E402
from cyps_xl.workbook.reader import open_workbook  # noqa: E402

LIBREOFFICE_SAVED = ROOT / "tests" / "fixtures" / "other_tools" / "scorecard_saved_by_libreoffice_7.4.xlsx"
BENCH = DATA / "sample_benchmarks.csv"
PROPS = ("fill", "font_color", "bold", "number_format")
NOT_CELLS = {"addSheet", "namesAdd", "calculate", "setScreenUpdating", "setCalculation"}  # no cell of the scorecard


@pytest.fixture
def main_module(tmp_path, monkeypatch):
    """The main.py ``cyps-xl lite`` prints, loaded as Lite loads it (a module whose members it registers)."""
    import importlib.util

    path = tmp_path / "main.py"
    path.write_text(lite.main_py(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("lite_main", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _functions_forget_the_workbook():
    from cyps_xl.excel import udfs

    yield
    udfs.adopt(None, None)  # a script's rules last for its session; each test is a session of its own


def add_sheet(payload, name, values):
    """A sheet added to a workbook's payload, as Excel would send it (visible, nothing but values)."""
    payload["sheets"].append({"name": name, "values": values, "visibility": "Visible", "pictures": [], "tables": [],
                              "charts": [], "shapes": [], "notes": []})


def lite_script(module, name, book, path=None, monkeypatch=None):
    """Run the script ``name`` of ``module`` as xlwings Lite does, on ``book``."""
    if monkeypatch is not None and path is not None:
        async def formats(_book):  # what Excel reports through the Lite-only async API (see the module docstring)
            return number_formats_from_file(path), None
        monkeypatch.setattr(lite, "read_number_formats", formats)
    return asyncio.run(udfs_officejs.custom_scripts_call(module, name, typehint_to_value={xw.Book: book}))


def state_of(book, path, actions):
    return replay(path, book, actions, skip=NOT_CELLS)


def headless(path, tmp_path, **options):
    import cyps_xl

    out = tmp_path / "headless.xlsx"
    report = cyps_xl.refresh(path, out, **options)
    return report, open_workbook(out)


def differences(path, state, report, refreshed):
    before = open_workbook(path)
    owned = {(c.sheet, c.row, c.column) for c in cell_changes(report.changes) if isinstance(c, CellChange)}
    found = []
    for sheet, row, col in sorted(owned):
        theirs = refreshed[sheet].cell(row, col)
        expected = {"value": theirs.value, **{p: current_style(theirs, p) for p in PROPS}}
        mine = state.get((sheet, row, col))
        mine = {k: v for k, v in mine.items() if k in expected} if mine is not None else None
        if mine is None:  # Lite wrote nothing there: the cell as it was
            old = before[sheet].cell(row, col)
            mine = {"value": old.value, **{p: current_style(old, p) for p in PROPS}}
        if mine != expected:
            found.append((sheet, row, col, mine, expected))
    return owned, found


def scorecards(tmp_path):
    """Three writers' scorecards: XlsxWriter's (the bundled template), LibreOffice's, and Excel's (a workbook
    Excel saved, with a hidden sheet, and a team's own scorecard sheet beside it)."""
    from conftest import load_builder

    template = load_builder().build(tmp_path / "CYPS Scorecard March 2022.xlsx")
    excel = with_a_scorecard("poi/TwoSheetsOneHidden.xlsx", tmp_path)
    return {"xlsxwriter": template, "libreoffice": LIBREOFFICE_SAVED, "excel": excel}


@pytest.mark.parametrize("writer", ["xlsxwriter", "libreoffice", "excel"])
def test_refresh_ratings_in_lite_sets_the_cells_the_headless_refresh_writes(tmp_path, writer, main_module, monkeypatch):
    path = scorecards(tmp_path)[writer]
    book = xw.Book(json=payload_from_file(path))
    returned = lite_script(main_module, "cyps_refresh_ratings", book, path, monkeypatch)
    assert returned is book
    actions = book.json()["actions"]
    report, refreshed = headless(path, tmp_path)
    owned, found = differences(path, state_of(book, path, actions), report, refreshed)
    assert len(owned) >= 15 and found == []  # 15: the Excel-saved workbook's three rows of a team's own
    assert {a["func"] for a in actions} - NOT_CELLS <= {"setValues", "setRangeColors", "setFontProperty", "setNumberFormat"}
    # the run's counts are written in the workbook: Lite has no message box
    status = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] >= len(open_workbook(path).sheetnames)]
    assert status and status[-1]["values"][1][0] == report.summary().splitlines()[0]


def test_the_hidden_sheet_of_an_excel_saved_workbook_is_not_rated_in_lite_either(tmp_path):
    path = with_a_scorecard("poi/TwoSheetsOneHidden.xlsx", tmp_path, sheet="Sheet1")  # the hidden one
    assert open_workbook(path)["Sheet1"].sheet_state == "hidden"
    book = xw.Book(json=payload_from_file(path))
    result = asyncio.run(lite.run(book, "refresh", number_formats=number_formats_from_file(path)))
    assert result.stopped is not None and "no scorecard table found" in result.stopped  # as headless says


def test_update_benchmarks_fills_what_the_headless_refresh_fills_from_the_same_figures(tmp_path, main_module, monkeypatch):
    path = scorecards(tmp_path)["xlsxwriter"]
    payload = payload_from_file(path)
    with BENCH.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle)]
    add_sheet(payload, lite.BENCHMARKS_SHEET, rows)
    book = xw.Book(json=payload)
    lite_script(main_module, "cyps_update_benchmarks", book, path, monkeypatch)
    report, refreshed = headless(path, tmp_path, benchmarks=BENCH)
    assert report.bench_values  # the figures were filled
    owned, found = differences(path, state_of(book, path, book.json()["actions"]), report, refreshed)
    # one cell differs, and only in naming where the figures came from: a sheet here, the CSV file there
    assert [(f[3]["value"], f[4]["value"]) for f in found] == [
        (v, v.replace(lite.BENCHMARKS_SHEET, BENCH.name)) for v in [f[3]["value"] for f in found]]
    assert len(found) <= 1 and all(lite.BENCHMARKS_SHEET in f[3]["value"] for f in found)


def test_update_benchmarks_without_figures_says_where_to_put_them(tmp_path, main_module, monkeypatch):
    path = scorecards(tmp_path)["xlsxwriter"]
    book = xw.Book(json=payload_from_file(path))
    lite_script(main_module, "cyps_update_benchmarks", book, path, monkeypatch)
    written = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    assert len(written) == 1  # only the cyps-xl sheet: nothing of the scorecard was touched
    assert "Stopped:" in written[0]["values"][1][0] and lite.BENCHMARKS_SHEET in written[0]["values"][1][0]


def test_dfe_open_data_pasted_into_the_benchmarks_sheet_is_refused_with_the_way_round(tmp_path):
    path = scorecards(tmp_path)["xlsxwriter"]
    payload = payload_from_file(path)
    with (ROOT / "tests" / "fixtures" / "dfe" / "cla_number_and_rate_per_10k_children.csv").open(encoding="utf-8") as f:
        rows = [row for _, row in zip(range(30), csv.reader(f))]
    add_sheet(payload, lite.BENCHMARKS_SHEET, rows)
    result = asyncio.run(lite.run(xw.Book(json=payload), "benchmarks", number_formats={}))
    assert "DfE's open data" in result.stopped and "--benchmarks" in result.stopped


def test_benchmarks_fetched_from_an_address_are_read_as_published_figures(tmp_path):
    path = scorecards(tmp_path)["xlsxwriter"]
    payload = payload_from_file(path)
    add_sheet(payload, "cyps_xl.conf", [["CYPS_BENCHMARKS_URL", "https://example.org/b.csv"]])
    asked = []

    async def fetch(url):  # the browser's fetch, which needs Pyodide: the text a server would send
        asked.append(url)
        return BENCH.read_text(encoding="utf-8")

    result = asyncio.run(lite.run(xw.Book(json=payload), "benchmarks", number_formats=number_formats_from_file(path),
                                  fetch=fetch))
    assert asked == ["https://example.org/b.csv"] and result.stopped is None
    report, _ = headless(path, tmp_path, benchmarks=BENCH)
    assert result.lines[0] == report.summary().splitlines()[0]


def test_check_data_in_lite_reports_the_headless_findings(tmp_path, main_module, monkeypatch):
    from cyps_xl.report.check import run_checks

    path = scorecards(tmp_path)["libreoffice"]
    book = xw.Book(json=payload_from_file(path))
    lite_script(main_module, "cyps_check_data", book, path, monkeypatch)
    written = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    expected = run_checks(path).findings
    table = written[0]["values"]
    assert table[0] == ["Check", "Sheet", "Cell", "Indicator", "Finding"]
    assert [tuple(r) for r in table[1:]] == [(f.check, f.sheet, f.cell, f.indicator, f.message) for f in expected]


def _with_rules_sheet(path, folder):
    payload = payload_from_file(path)
    add_sheet(payload, lite.RULES_SHEET, lite.rules_sheet_rows(folder))
    return payload


def test_rules_kept_in_the_workbook_rate_as_the_same_rules_folder_does_headlessly(tmp_path, monkeypatch, main_module):
    import shutil

    path = scorecards(tmp_path)["xlsxwriter"]
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder)
    text = (folder / "settings.yaml").read_text(encoding="utf-8")
    (folder / "settings.yaml").write_text(text.replace("  amber: Amber", "  amber: Yellow", 1), encoding="utf-8")
    book = xw.Book(json=_with_rules_sheet(path, folder))
    lite_script(main_module, "cyps_refresh_ratings", book, path, monkeypatch)
    report, refreshed = headless(path, tmp_path, rules=folder)
    _, bundled = headless(path, tmp_path / "b" if (tmp_path / "b").mkdir() is None else None)
    owned, found = differences(path, state_of(book, path, book.json()["actions"]), report, refreshed)
    assert found == []
    changed = [c for c in owned if refreshed[c[0]].cell(c[1], c[2]).value != bundled[c[0]].cell(c[1], c[2]).value]
    assert changed  # the team's rules were used, not cyps-xl's own
    # and the cell functions answer with them for the rest of the session, after Excel recalculates
    assert any(a["func"] == "calculate" for a in book.json()["actions"])
    from cyps_xl.excel import udfs

    assert udfs.rulebook().files and all(lite.RULES_SHEET in str(f) for f in udfs.rulebook().files)


def test_a_mistake_in_the_rules_sheet_is_named_by_cell_and_line_and_nothing_is_written(tmp_path):
    import shutil

    path = scorecards(tmp_path)["xlsxwriter"]
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder)
    text = (folder / "social_care.yaml").read_text(encoding="utf-8")
    (folder / "social_care.yaml").write_text(text.replace("polarity: high", "polarity: sideways", 1), encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "polarity: high" in t)
    payload = _with_rules_sheet(path, folder)
    row = next(i for i, r in enumerate(payload["sheets"][-1]["values"], 1) if r[0] == "social_care.yaml")
    book = xw.Book(json=payload)
    result = asyncio.run(lite.run(book, "refresh", number_formats={}))
    assert result.stopped.startswith(f"{path.name}, sheet '{lite.RULES_SHEET}', cell B{row} (social_care.yaml), "
                                     f"line {line}: unknown polarity 'sideways'")
    written = [a for a in book.json()["actions"] if a["func"] != "addSheet" and a["func"] not in NOT_CELLS]
    assert len(written) == 1 and written[0]["values"][1][0].startswith("Stopped:")


def test_a_rules_file_longer_than_a_cell_goes_on_below_and_reads_back_whole(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    text = "sheets:\n" + "".join(f"  # note {i:05d} {'x' * 60}\n" for i in range(1200))  # ~ 90,000 characters
    (folder / "long.yaml").write_text(text, encoding="utf-8")
    rows = lite.rules_sheet_rows(folder)
    assert len(rows) > 3 and all(len(r[1]) <= lite.CELL_LIMIT for r in rows[1:])
    assert "\n".join(r[1] for r in rows[1:]) == text


def test_the_scripts_and_functions_are_what_lite_registers(main_module):
    scripts = {s["function_name"]: s["name"] for s in udfs_officejs.custom_scripts_meta(main_module)}
    assert scripts == {"cyps_refresh_ratings": "Refresh ratings", "cyps_update_benchmarks": "Update benchmarks",
                       "cyps_check_data": "Check data"}
    meta = udfs_officejs.custom_functions_meta(main_module)
    names = sorted(f.get("name", f.get("id")) for f in (meta.get("functions", meta) if isinstance(meta, dict) else meta))
    assert [n.upper() for n in names] == ["CYPS_BENCH", "CYPS_DOT", "CYPS_RAG", "CYPS_TOLERANCE"]


def lite_function(module, name, *args):
    """A custom function called as xlwings Lite calls it: Office.js's arguments (scalars, or lists of rows for a
    range; None for an empty cell) through xlwings' own conversion for Lite."""
    data = {"func_name": name, "args": list(args), "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-GB", "date_format": "dd/mm/yyyy"}
    return asyncio.run(udfs_officejs.custom_functions_call(data, module))


def test_the_functions_in_lite_answer_as_the_desktop_functions(main_module, monkeypatch):
    import types

    from test_udfs import excel_call

    # xlwings asks each cell whether it is Pyodide's JsNull, importing pyodide.ffi each time; outside Pyodide the
    # failed import costs ~50 us a cell (a minute for a whole column). Inside Pyodide the module is there, as here.
    ffi = types.ModuleType("pyodide.ffi")
    ffi.JsNull = type("JsNull", (), {})
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)

    from cyps_xl.excel import udfs

    single = lite_function(main_module, "CYPS_RAG", [[0.969]], [["<87%", "87%+", "95%+"]], [["high"]], [[None]])
    assert single == [["Green"]] == excel_call(udfs.CYPS_RAG, 0.969, (("<87%", "87%+", "95%+"),), "high", None)
    column = [[0.969], [0.9], [0.5], [None], ["-"]]
    got = lite_function(main_module, "CYPS_RAG", column, [["<87%", "87%+", "95%+"]], [["high"]], [[None]])
    desktop = excel_call(udfs.CYPS_RAG, tuple(tuple(r) for r in column), (("<87%", "87%+", "95%+"),), "high", None)
    assert got == desktop == [["Green"], ["Amber"], ["Red"], [""], [""]]
    dots = lite_function(main_module, "CYPS_DOT", [[0.886], [0.5]], [[0.888], [0.5]], [["high"]], [["0.0%"]])
    assert dots == [["↓"], ["→"]]
    assert lite_function(main_module, "CYPS_TOLERANCE", [["Social Care!1.13"]], [["green"]])[0][0].endswith("%+")
    # errors as text (as err_to_str gives them; how Office.js hands an error cell over is not verified here)
    got = lite_function(main_module, "CYPS_RAG", [[0.97], ["#N/A"]], [["<87%", "87%+", "95%+"]], [["high"], ["#REF!"]],
                        None)
    assert got == [["Green"], ["#CYPS! polarity is the Excel error #REF!"]]
    # a whole column: 1,048,576 rows, answered for the rows used
    whole = [[0.97], [None], [0.5]] + [[None]] * (1048576 - 3)
    assert lite_function(main_module, "CYPS_RAG", whole, "Social Care!3.4", None, None) == [["Green"], [""], ["Red"]]


def test_the_whole_lite_path_runs_with_threads_processes_files_and_compiled_packages_forbidden(tmp_path):
    """In a fresh interpreter: threads and processes cannot start, no file outside Python's own and cyps-xl's
    package can be opened, none can be written and no folder made, and lxml, openpyxl, pandas and numpy cannot be imported (Pyodide
    builds them, but here they stand for what a Lite workbook need not load). The three scripts and a function
    then run on a payload, and write what they write in-process."""
    path = scorecards(tmp_path)["libreoffice"]
    payload_file = tmp_path / "payload.json"
    payload_file.write_text(json.dumps({"payload": payload_from_file(path), "formats": number_formats_from_file(path)},
                                       default=str), encoding="utf-8")
    program = f'''
import builtins, io, os, sys, threading, subprocess, asyncio, json
payload = json.loads(open({str(payload_file)!r}, encoding="utf-8").read())
for name in ("lxml", "lxml.etree", "openpyxl", "pandas", "numpy"):
    sys.modules[name] = None
allowed = tuple(os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, {str(ROOT / "cyps_xl")!r}, {str(ROOT / "rules")!r}))
real_open = io.open
def guarded(file, mode="r", *a, **k):
    target = os.path.realpath(os.fspath(file)) if not isinstance(file, int) else ""
    if any(m in mode for m in "wax+") or not target.startswith(allowed):
        raise PermissionError(13, "no file system here", str(file))
    return real_open(file, mode, *a, **k)
builtins.open = io.open = guarded
def no_file_system(*a, **k):
    raise PermissionError(13, "no file system here")
os.mkdir = os.makedirs = os.replace = os.rename = os.remove = os.unlink = no_file_system
def refuse(*a, **k):
    raise RuntimeError("can't start new thread")
threading.Thread.start = refuse
subprocess.Popen = refuse
os.fork = refuse
import xlwings as xw
from xlwings.pro import udfs_officejs
from cyps_xl.excel import lite
async def formats(book):
    return payload["formats"], None
lite.read_number_formats = formats
out = {{}}
for script in ("cyps_refresh_ratings", "cyps_check_data", "cyps_update_benchmarks"):
    book = xw.Book(json=payload["payload"])
    asyncio.run(udfs_officejs.custom_scripts_call(lite, script, typehint_to_value={{xw.Book: book}}))
    out[script] = book.json()["actions"]
data = {{"func_name": "CYPS_RAG", "args": [[[0.969]], [["Social Care!1.13"]], None, None], "version": xw.__version__,
        "client": "Office.js", "runtime": "1.4"}}
out["function"] = asyncio.run(udfs_officejs.custom_functions_call(data, lite))
out["loaded"] = sorted(m for m in ("lxml", "openpyxl", "pandas", "numpy") if sys.modules.get(m) is not None)
print(json.dumps(out, default=str))
'''
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CYPS_XL_CACHE": str(tmp_path / "never-written")}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["loaded"] == []
    assert not (tmp_path / "never-written").exists()
    book = xw.Book(json=payload_from_file(path))
    asyncio.run(lite.run(book, "refresh", number_formats=number_formats_from_file(path)))
    assert [a for a in out["cyps_refresh_ratings"] if a["func"] == "setValues"][:-1] == \
        [a for a in book.json()["actions"] if a["func"] == "setValues"][:-1]  # the last is the dated status
    assert any(a["func"] == "setValues" and a["values"][0][0] == "Check" for a in out["cyps_check_data"])
    benchmarks_status = [a for a in out["cyps_update_benchmarks"] if a["func"] == "setValues"][-1]["values"]
    assert benchmarks_status[1][0].startswith("Stopped:")  # no benchmarks in this workbook: said, not a crash
    assert out["function"] not in (None, [], [[None]])


def test_every_dependency_cyps_xl_installs_in_lite_is_pure_python_or_built_by_pyodide():
    """xlwings Lite installs a package from Pyodide's own list, else a pure-Python wheel (py3-none-any) from
    PyPI (lite.xlwings.org/dependencies). Walk cyps-xl's requirements as Pyodide would resolve them."""
    from importlib import metadata

    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    lock = json.loads((ROOT / "tests" / "fixtures" / "pyodide" / "pyodide-lock-314.0.7.json").read_text(encoding="utf-8"))
    pyodide = {name.lower().replace("_", "-") for name in lock["packages"]}
    env = {**default_environment(), "sys_platform": "emscripten", "platform_system": "Emscripten",
           "python_version": "3.14", "python_full_version": lock["info"]["python"], "extra": ""}
    declared = [line.strip().strip('",') for line in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
                .split("dependencies = [", 1)[1].split("]", 1)[0].splitlines() if line.strip().startswith('"')]
    queue, seen, verdicts = [Requirement(d) for d in declared], set(), {}
    while queue:
        req = queue.pop()
        name = req.name.lower().replace("_", "-")
        if name in seen or (req.marker is not None and not req.marker.evaluate(env)):
            continue
        seen.add(name)
        if name in pyodide:
            verdicts[name] = "built by Pyodide"
            continue
        if name == "xlwings":
            verdicts[name] = "xlwings Lite's own"  # Lite installs xlwings itself (its dependencies page)
            continue
        dist = metadata.distribution(name)
        tags = [line.split(":", 1)[1].strip() for line in (dist.read_text("WHEEL") or "").splitlines()
                if line.startswith("Tag:")]
        verdicts[name] = "pure Python" if any(t.endswith("-none-any") for t in tags) else f"compiled: {tags}"
        queue += [Requirement(r) for r in dist.requires or []]
    assert {"lxml", "pyyaml", "pandas", "openpyxl"} <= set(verdicts)
    assert verdicts["lxml"] == verdicts["pyyaml"] == verdicts["pandas"] == "built by Pyodide"
    assert [(n, v) for n, v in verdicts.items() if v.startswith("compiled")] == []


def test_cyps_xl_lite_prints_main_py_and_requirements(tmp_path):
    from conftest import run_cli

    done = run_cli("lite")
    assert done.returncode == 0, done.stderr
    assert lite.main_py() in done.stdout and "requirements.txt" in done.stdout and "cyps-xl" in done.stdout
    out = tmp_path / "lite"
    done = run_cli("lite", "--rules", ROOT / "rules", "-o", out)
    assert done.returncode == 0, done.stderr
    assert (out / "main.py").read_text(encoding="utf-8") == lite.main_py()
    assert "cyps-xl" in (out / "requirements.txt").read_text(encoding="utf-8")
    import openpyxl

    sheet = openpyxl.load_workbook(out / "cyps_xl.rules.xlsx")[lite.RULES_SHEET]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert "social_care.yaml" in names and "settings.yaml" in names
    text = next(row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "social_care.yaml")
    assert text == (ROOT / "rules" / "social_care.yaml").read_text(encoding="utf-8")
    if __import__("importlib").util.find_spec("openxml_audit"):
        from test_addin import audit

        assert audit(out / "cyps_xl.rules.xlsx") == []  # opens in Excel without a repair


class _Used:
    """Lite's range of a sheet's used cells, for its async number-format read only (which only Lite can answer)."""

    def __init__(self, formats):
        self.formats = formats

    async def get_number_format(self):
        return self.formats


class _Sheet:
    def __init__(self, name, formats):
        self.name, self.used_range = name, _Used(formats)


def test_number_formats_come_from_lites_async_read_and_are_laid_over_the_values():
    class Book:
        sheets = [_Sheet("Social Care", [["General", "0.0%"]]), _Sheet("Other", "0.00")]

    found, note = asyncio.run(lite.read_number_formats(Book()))
    assert found == {"Social Care": [["General", "0.0%"]], "Other": "0.00"} and note is None
    assert lite._format_at(found["Social Care"], 0, 1) == "0.0%" and lite._format_at(found["Other"], 5, 5) == "0.00"
    assert lite._format_at(found["Social Care"], 3, 3) == "General"  # past what Excel reported
    # this engine has no such read: said in the run's lines, values compared as General shows them
    book = xw.Book(json=payload_from_file(LIBREOFFICE_SAVED))
    assert asyncio.run(lite.read_number_formats(book)) == ({}, "Number formats could not be read from Excel here; "
                                                               "values were compared as General shows them.")


def test_a_benchmarks_address_that_cannot_be_fetched_is_one_message(monkeypatch):
    import types

    with pytest.raises(lite.CypsError, match="cannot be fetched outside xlwings Lite"):
        asyncio.run(lite._fetch("https://example.org/b.csv"))

    class Response:
        def __init__(self, ok, status=200, text=""):
            self.ok, self.status, self.text = ok, status, text

        async def string(self):
            return self.text

    answers = {"https://ok/b.csv": Response(True, text="sheet,ref,national\n"), "https://gone/b.csv": Response(False, 404)}

    async def pyfetch(url):  # Pyodide's pyfetch: the browser's fetch, which refuses a server without CORS
        if url not in answers:
            raise OSError("TypeError: Failed to fetch")
        return answers[url]

    http = types.ModuleType("pyodide.http")
    http.pyfetch = pyfetch
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.http", http)
    assert asyncio.run(lite._fetch("https://ok/b.csv")) == "sheet,ref,national\n"
    with pytest.raises(lite.CypsError, match=r"HTTP 404"):
        asyncio.run(lite._fetch("https://gone/b.csv"))
    with pytest.raises(lite.CypsError, match=r"could not be fetched \(TypeError: Failed to fetch\).*CORS"):
        asyncio.run(lite._fetch("https://no-cors/b.csv"))


def test_a_rules_sheet_with_no_files_says_how_to_lay_it_out(tmp_path):
    path = scorecards(tmp_path)["xlsxwriter"]
    payload = payload_from_file(path)
    add_sheet(payload, lite.RULES_SHEET, [["file", "YAML"], ["notes", "x"]])
    result = asyncio.run(lite.run(xw.Book(json=payload), "refresh", number_formats={}))
    assert f"sheet '{lite.RULES_SHEET}': has no rules files" in result.stopped and "column A" in result.stopped


def test_a_rules_line_longer_than_a_cell_is_refused(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "long.yaml").write_text("title: " + "x" * lite.CELL_LIMIT + "\n", encoding="utf-8")
    with pytest.raises(lite.CypsError, match="more than a cell holds"):
        lite.rules_sheet_rows(folder)


def test_a_second_run_writes_into_its_own_sheet_again_and_a_teams_sheet_of_that_name_is_left_alone(tmp_path):
    path = scorecards(tmp_path)["xlsxwriter"]
    payload = payload_from_file(path)
    add_sheet(payload, "CYPS-XL", [["the team's own notes"]])
    book = xw.Book(json=payload)
    for _ in range(2):
        asyncio.run(lite.run(book, "refresh", number_formats=number_formats_from_file(path)))
    added = [a["args"] for a in book.json()["actions"] if a["func"] == "addSheet"]
    assert len(added) == 1 and "cyps-xl (cyps-xl)" in json.dumps(added)  # Excel compares names without case
    assert book.sheets["CYPS-XL"]["A1"].value == "the team's own notes"


def test_without_benchmarks_the_bench_function_says_so_rather_than_answer_blank(tmp_path, monkeypatch):
    from cyps_xl.excel import udfs

    path = scorecards(tmp_path)["xlsxwriter"]
    asyncio.run(lite.run(xw.Book(json=payload_from_file(path)), "refresh", number_formats={}))
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.delenv("CYPS_XL_BENCHMARKS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    got = udfs.CYPS_BENCH("Social Care!3.4", "national")
    assert got.startswith("#CYPS! no benchmarks: paste published figures into a 'cyps_xl.benchmarks' sheet")
