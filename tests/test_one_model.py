"""The workbook is parsed once, into the package model that is also the writer; nothing heavy loads that is not used."""
import subprocess
import sys

import pytest

import cyps_xl
from cyps_xl.workbook import package as package_module
from conftest import DATA, ROOT

PROBE = """
import sys, datetime as dt
import cyps_xl
{call}
print("LOADED:" + ",".join(m for m in ("openpyxl", "numpy", "pandas", "xlwings", "PIL") if m in sys.modules))
"""


def loaded(call: str) -> set:
    done = subprocess.run([sys.executable, "-c", PROBE.format(call=call)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED:"))
    return set(filter(None, line[len("LOADED:"):].split(",")))


def test_issue_and_refresh_load_neither_openpyxl_nor_pandas(template, tmp_path):
    card = str(template)
    issued = loaded(f"cyps_xl.issue({card!r}, {str(tmp_path / 'i.xlsx')!r}, today=dt.date(2022, 5, 20))")
    refreshed = loaded(f"cyps_xl.refresh({card!r}, {str(tmp_path / 'r.xlsx')!r})")
    # a report view is cut from the scorecard sheet in the same model: no openpyxl workbook is made and read back
    view = loaded(f"cyps_xl.issue({card!r}, {str(tmp_path / 'v.xlsx')!r}, report='corporate_parenting')")
    assert issued == set() and refreshed == set() and view == set()
    # with published figures: still nothing; with DfE's files, pandas (and numpy for the quartiles) and only then
    published = loaded(f"cyps_xl.issue({card!r}, {str(tmp_path / 'p.xlsx')!r}, benchmarks={str(DATA / 'sample_benchmarks.csv')!r})")
    dfe = loaded(f"cyps_xl.issue({card!r}, {str(tmp_path / 'd.xlsx')!r}, benchmarks={str(DATA / 'dfe')!r})")
    assert published == set() and dfe == {"pandas", "numpy"}


def _count_passes(monkeypatch) -> list:
    """Every pass over a worksheet's rows, as bytes (rowbytes.Rows.rows) or as elements (source_rows), by part."""
    from cyps_xl.workbook import rowbytes
    from cyps_xl.workbook import worksheet as worksheet_module

    passes = []
    real_rows, real_bytes = worksheet_module.Worksheet.source_rows, rowbytes.Rows.rows
    real_layout = worksheet_module.Worksheet.layout.fget
    owners = {}  # id of a Rows -> its part

    def layout(self):
        found = real_layout(self)
        owners[id(found)] = self.part
        return found

    def streamed(self):
        passes.append(self.part)
        return real_rows(self)

    def scanned(self):
        passes.append(owners.get(id(self), "?"))
        return real_bytes(self)

    monkeypatch.setattr(worksheet_module.Worksheet, "layout", property(layout))
    monkeypatch.setattr(worksheet_module.Worksheet, "source_rows", streamed)
    monkeypatch.setattr(rowbytes.Rows, "rows", scanned)
    return passes


def test_every_part_is_parsed_once_and_no_worksheet_is_held_whole(template, tmp_path, monkeypatch):
    """Parts other than worksheets are parsed once; a worksheet's rows are streamed, once to read and once to
    write. Measuring the printed text (what wraps, which paper) works from what the reader kept."""
    parsed = []
    real_parse = package_module.parse_xml

    def counting(data, name, source):
        parsed.append(name)
        return real_parse(data, name, source)

    monkeypatch.setattr(package_module, "parse_xml", counting)
    passes = _count_passes(monkeypatch)
    cyps_xl.issue(template, tmp_path / "issued.xlsx", benchmarks=DATA / "sample_benchmarks.csv")
    assert parsed and len(parsed) == len(set(parsed)), sorted(n for n in parsed if parsed.count(n) > 1)
    assert not [n for n in parsed if n.startswith("xl/worksheets/")]  # never parsed whole
    assert "?" not in passes
    # each sheet read once; the edited ones (the two scorecard sheets) streamed once more to be written, the
    # summary and commentary (written whole) looked over once, for their extent
    assert sorted(passes.count(part) for part in set(passes)) == [1, 1, 2, 2], passes
    passes.clear()
    cyps_xl.issue(template, tmp_path / "plain.xlsx", presentation=False)  # no report: read once, written once
    assert sorted(passes.count(part) for part in set(passes)) == [2, 2], passes
    parsed.clear()
    passes.clear()
    cyps_xl.refresh(template, tmp_path / "refreshed.xlsx")
    assert len(parsed) == len(set(parsed)) and all(passes.count(part) <= 2 for part in set(passes))


@pytest.mark.parametrize("rows", [40, 400])
def test_editing_a_row_costs_the_same_whatever_the_sheets_size(tmp_path, rows, monkeypatch):
    """Edits are recorded against their cells, without walking the sheet; when it is saved, each edited row's
    cells are indexed once, as the row streams past."""
    import xlsxwriter

    from cyps_xl.workbook.package import Package

    path = tmp_path / f"{rows}.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r in range(rows):
        ws.write_row(r, 0, [r, r * 2, r * 3])
    wb.close()
    package = Package(path)
    editor = package.sheet("S")
    from cyps_xl.workbook import rowbytes

    passes = _count_passes(monkeypatch)
    indexed, real_cells, real_scanned = [], rowbytes.Rows.cells, rowbytes.Rows.scanned
    monkeypatch.setattr(rowbytes.Rows, "cells", lambda self, body: indexed.append(1) or real_cells(self, body))
    monkeypatch.setattr(rowbytes.Rows, "scanned", lambda self, body: indexed.append(1) or real_scanned(self, body))
    for r in range(1, rows + 1):
        editor.set_value(r, 2, r * 10)
        editor.set_value(r, 5, "new")  # a cell the row does not have yet
    # recording an edit reads nothing but, once, the sheet's rows to learn where its formulas are
    assert len(passes) <= 1 and indexed == []
    package.save(tmp_path / "out.xlsx")
    # then one pass to write it, going through each row's cells once, whatever the sheet's size
    assert len(passes) == 2 and len(indexed) == rows
    import openpyxl

    out = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["S"]  # read-only: trusts dimension and spans
    got = [row for row in out.iter_rows(values_only=True)]
    assert got == [(r - 1, r * 10, (r - 1) * 3, None, "new") for r in range(1, rows + 1)]


def test_a_big_sheet_is_never_held_whole(tmp_path, monkeypatch):
    """Reading and writing hold the rows the XML parser has buffered, a few dozen, whatever the sheet's size."""
    import xlsxwriter

    from cyps_xl.workbook.cells import read_grids
    from cyps_xl.workbook.package import Package

    path = tmp_path / "big.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r in range(20000):
        ws.write_row(r, 0, [r, "text", r / 7])
    wb.close()
    package = Package(path)
    held = []
    worksheet = package.worksheet(package.sheet_parts["S"])
    for _, row in worksheet.source_rows():
        held.append(len(row.getparent()))
    assert len(held) == 20000 and max(held) <= 500
    grid = read_grids(package)["S"]
    assert grid.max_row == 20000 and grid.cell(20000, 3).value == 19999 / 7
    from cyps_xl.workbook import rowwriter

    real_write, written = rowwriter.RowWriter.write, []

    def writing(self, number, row):
        written.append(len(row.getparent()))
        return real_write(self, number, row)

    monkeypatch.setattr(rowwriter.RowWriter, "write", writing)
    package.sheet("S").set_value(20000, 2, "last")
    package.save(tmp_path / "out.xlsx")
    assert written == []  # plain rows: copied or edited as bytes, never parsed into elements
    assert openpyxl_value(tmp_path / "out.xlsx", "S", "B20000") == "last"
    # a sheet whose rows are not plain (a comment among them) goes through elements, a row at a time
    from test_row_bytes import _part_changed

    package = Package(_part_changed(path, tmp_path / "commented.xlsx", "xl/worksheets/sheet1.xml", lambda data: data.replace(
        b"<sheetData>", b"<sheetData><!-- a note a tool left -->", 1)))
    assert package.worksheet(package.sheet_parts["S"]).layout is None
    package.sheet("S").set_value(20000, 2, "last")
    package.save(tmp_path / "out2.xlsx")
    assert len(written) == 20000 and max(written) <= 500
    assert openpyxl_value(tmp_path / "out2.xlsx", "S", "B20000") == "last"


def openpyxl_value(path, sheet: str, cell: str):
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True)[sheet][cell].value


def test_the_last_save_lets_each_sheet_go_once_written(template, tmp_path):
    """issue and refresh save once, at the end: each worksheet, its source bytes and its edits are let go as
    soon as it is written, and the file is the same as a save that keeps them."""
    import zipfile

    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.styles import CellStyle

    files = []
    for last in (False, True):
        package = Package(template)
        for name in list(package.sheet_parts)[:2]:
            editor = package.sheet(name)
            editor.set_value(40, 3, "written")
            editor.set_style(40, 3, CellStyle(fill="FFC000"))
        package.save(tmp_path / f"{last}.xlsx", last=last)
        files.append(tmp_path / f"{last}.xlsx")
        edited = [package.sheet_parts[name] for name in list(package.sheet_parts)[:2]]
        assert all((part in package._sheets) != last for part in edited)
    with zipfile.ZipFile(files[0]) as kept, zipfile.ZipFile(files[1]) as let_go:
        assert kept.namelist() == let_go.namelist()
        assert all(kept.read(n) == let_go.read(n) for n in kept.namelist())


def test_a_read_sheet_lets_its_bytes_go_until_it_is_written(template, tmp_path):
    """Between reading and writing, a worksheet's bytes (most of a big workbook) are not held: they are
    unpacked again, from the file as it was when read, when the sheet is written; even if the file on disk
    has changed meanwhile (the team saved it again in Excel)."""
    import shutil
    import zipfile

    from cyps_xl.workbook.cells import read_grids
    from cyps_xl.workbook.package import Package

    source = tmp_path / "card.xlsx"
    shutil.copyfile(template, source)
    package = Package(source)
    grid = read_grids(package)
    sheets = [part for part in package.sheet_parts.values() if "/worksheets/" in part]
    assert sheets and all(dict.__getitem__(package.parts, part) is None for part in sheets)
    assert all(isinstance(data, bytes) for data in package.parts.values())  # asked for, they are back
    assert all(dict.__getitem__(package.parts, part) is not None for part in sheets)
    for part in sheets:
        package.let_go(part)
    first = grid.sheetnames[0]
    package.sheet(first).set_value(40, 3, "written")
    source.write_bytes(b"not a workbook any more")  # the file changes under the run
    package.save(tmp_path / "out.xlsx", last=True)
    with zipfile.ZipFile(template) as before, zipfile.ZipFile(tmp_path / "out.xlsx") as after:
        untouched = [part for part in sheets if part != package.sheet_parts[first]]
        assert all(before.read(part) == after.read(part) for part in untouched)
    again = read_grids(Package(tmp_path / "out.xlsx"))[first]
    assert again.cell(40, 3).value == "written"
    assert again.cell(1, 1).value == grid[first].cell(1, 1).value


def test_the_save_makes_each_part_as_it_writes_it(template, tmp_path):
    """A worksheet's output is made when its turn comes and, on the last save, let go once written, so one
    sheet's output is held at a time; the parts writing a sheet can change (styles, shared strings) are
    written after every sheet."""
    import zipfile

    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.styles import CellStyle

    package = Package(template)
    names = list(package.sheet_parts)
    for name in names:
        editor = package.sheet(name)
        editor.set_value(60, 2, f"new text on {name}")
        editor.set_style(60, 2, CellStyle(fill="C00000"))
    members = package.members(last=True)
    order = [name for name, _ in members]
    sheets = [package.sheet_parts[name] for name in names]
    styles = next(n for n in order if n.endswith("styles.xml"))
    strings = next(n for n in order if n.lower().endswith("sharedstrings.xml"))
    assert max(order.index(p) for p in sheets) < min(order.index(styles), order.index(strings))
    made = dict(members)
    pieces = made[sheets[0]]()  # made piece by piece as the zip takes them ...
    assert sheets[0] in package._sheets
    first = b"".join(pieces)
    assert sheets[0] not in package._sheets  # ... and, on the last save, let go once made
    with pytest.raises(RuntimeError, match="last save"):
        package.parts[sheets[0]]
    assert b"<sheetData>" in first
    package2 = Package(template)
    for name in names:
        editor = package2.sheet(name)
        editor.set_value(60, 2, f"new text on {name}")
        editor.set_style(60, 2, CellStyle(fill="C00000"))
    package2.save(tmp_path / "out.xlsx", last=True)
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        assert z.namelist()[0] == "[Content_Types].xml"
    again = Package(tmp_path / "out.xlsx")
    from cyps_xl.workbook.cells import read_grids

    grid = read_grids(again)
    assert [grid[name].cell(60, 2).value for name in names] == [f"new text on {name}" for name in names]


def test_after_rating_the_grid_keeps_only_what_measuring_needs(template):
    """Once read, rated and evaluated, the reader's values go (most of its memory on a big scorecard): what
    measuring the printed text needs stays, the same as before."""
    from cyps_xl.workbook.cells import read_grids
    from cyps_xl.workbook.package import Package

    book = read_grids(Package(template))
    sheet = book[book.sheetnames[0]]
    rows = sheet.row_numbers()
    before = {r: sheet.measuring_row(r) for r in rows}
    assert any(texts for texts, _ in before.values()) and any(valued for _, valued in before.values())
    book.for_measuring()
    assert {r: sheet.measuring_row(r) for r in rows} == before
    with pytest.raises(RuntimeError, match="let go"):
        sheet.cell(1, 1)


def test_a_run_leaves_no_cycle_but_its_model(template, tmp_path):
    """A run pauses Python's cycle collector (cyps_xl.evaluation._collector_paused). That loses nothing only while what
    a run throws away is freed as it goes: the one cycle it may leave is its own model, the package, freed
    when the collector resumes. Anything else the collector finds was garbage it could have freed during the run."""
    from collections import Counter

    import gc

    gc.collect()
    gc.disable()
    try:
        cyps_xl.issue(template, tmp_path / "issued.xlsx")
        cyps_xl.refresh(template, tmp_path / "refreshed.xlsx")
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    models = [o for o in garbage if isinstance(o, package_module.Package)]
    assert len(models) == 2  # one a run: each run's model is let go when it ends
    inside = {id(o) for o in garbage}
    reached, stack = set(), list(models)
    while stack:
        found = stack.pop()
        if id(found) not in reached:
            reached.add(id(found))
            stack.extend(o for o in gc.get_referents(found) if id(o) in inside and id(o) not in reached)
    left = Counter(type(o).__name__ for o in garbage if id(o) not in reached)
    assert not left, f"cycles a run left outside its model: {left.most_common(8)}"


def test_the_collector_is_paused_for_a_run_and_resumes_after_it_even_on_error(template, tmp_path, monkeypatch):
    import gc

    from cyps_xl import evaluation
    from cyps_xl.errors import CypsError

    during = []
    real = evaluation.read_scorecard
    monkeypatch.setattr(evaluation, "read_scorecard", lambda *a, **k: during.append(gc.isenabled()) or real(*a, **k))
    assert gc.isenabled()
    cyps_xl.issue(template, tmp_path / "issued.xlsx")
    cyps_xl.refresh(template, tmp_path / "refreshed.xlsx")
    assert during == [False, False] and gc.isenabled()
    with pytest.raises(CypsError):
        cyps_xl.issue(template, template)  # the output would overwrite the source: a user error
    assert gc.isenabled()
    gc.disable()  # a caller that paused it itself keeps it paused
    try:
        cyps_xl.refresh(template, tmp_path / "again.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()
