"""A big workbook's sheets are read on two cores (cyps_xl.workbook.alongside): a forked helper reads some sheets
while the run reads the others. What is read must be what a read in turn gives, cell for cell and fact for fact,
on files Excel, LibreOffice, openpyxl and a minimal writer saved; a helper that fails costs only time; an error is
the serial read's, named the same; and no helper outlives its read."""
import datetime as dt
import os
import warnings
import zipfile
from pathlib import Path

import pytest

import cyps_xl
from conftest import ROOT
from cyps_xl.errors import CypsError
from cyps_xl.workbook import alongside, cells as cells_module
from cyps_xl.workbook.cells import read_grids
from cyps_xl.workbook.package import Package
from test_excel_saved import FILES

LIBREOFFICE = ROOT / "tests" / "fixtures" / "other_tools" / "scorecard_saved_by_libreoffice_7.4.xlsx"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not os.sys.platform.startswith("linux"),
                                reason="the helper is forked: Linux only (elsewhere every sheet is read in turn)")


@pytest.fixture
def helped(monkeypatch):
    """Every read with more than one sheet uses a helper, whatever the sizes, unless the switch says not to; counts
    the sheets it read."""
    monkeypatch.setattr(alongside, "wanted", lambda total: os.environ.get(alongside.SWITCH, "") in ("", "0"))
    monkeypatch.delenv(alongside.SWITCH, raising=False)
    read = []
    results = alongside.Helper.results

    def counted(self):
        got = results(self)
        read.extend(got)
        return got

    monkeypatch.setattr(alongside.Helper, "results", counted)
    return read


def _state(package) -> dict:
    """Everything the read leaves behind: each sheet's cells, and each worksheet's facts."""
    book = read_grids(package)
    found = {}
    for sheet in book.worksheets:
        worksheet = package.worksheet(package.sheet_parts[sheet.title])
        layout = worksheet.layout
        found[sheet.title] = (
            {r: dict(sheet.row(r)) for r in sheet.row_numbers()}, sheet.text_styles, sheet.styles_used,
            [(m.coord) for m in sheet.merged_ranges], sheet.state, sheet.max_row, sheet.max_column,
            worksheet._facts_done, worksheet.row_numbers, worksheet.heights, worksheet.last_column,
            worksheet.formulas, worksheet.has_formulas, layout.odd_rows if layout is not None else "elements")
    return {"sheets": found, "slow": dict(package.slow)}


def _written(tmp_path: Path, source: Path, name: str, sheets: int = 4, rows: int = 60) -> Path:
    """A workbook of several sheets of figures and text, as openpyxl writes it (inline strings in none, spans in no
    row), then the same again with inline strings, rows without spans and cells without addresses."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for s in range(sheets):
        sheet = book.create_sheet(f"Sheet {s + 1}")
        for r in range(1, rows + 1):
            sheet.append([f"{s}.{r}", f"Indicator {r} & co", r * 1.5, r / 7, None, "=1+1" if r % 9 == 0 else r])
    out = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book.save(out)
    return out


def _inline(path: Path, out: Path) -> Path:
    """The same file as a minimal writer leaves it: shared text as inline strings, no spans, no cell addresses."""
    import re

    from lxml import etree

    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        parts = {n: z.read(n) for n in names}
    strings = []
    if "xl/sharedStrings.xml" in parts:
        root = etree.fromstring(parts["xl/sharedStrings.xml"])
        strings = ["".join(si.itertext()) for si in root]
    for name in [n for n in names if n.startswith("xl/worksheets/sheet")]:
        data = parts[name]
        data = re.sub(rb'<c r="[A-Z]+\d+"( s="\d+")? t="s"><v>(\d+)</v></c>',
                      lambda m: b'<c' + (m.group(1) or b"") + b' t="inlineStr"><is><t>' +
                      strings[int(m.group(2))].replace("&", "&amp;").encode() + b"</t></is></c>", data)
        data = re.sub(rb' spans="[^"]*"', b"", data)
        # and a cell with phonetic runs, which is read the slow way (as an element), counted for the run report
        data = data.replace(b"</row>", '<c r="H1" t="inlineStr"><is><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t>'
                                       "</rPh></is></c></row>".encode(), 1)
        parts[name] = data
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            z.writestr(name, parts[name])
    return out


def _files(tmp_path) -> list:
    written = _written(tmp_path, ROOT, "openpyxl.xlsx")
    return [*FILES, LIBREOFFICE, ROOT / "workbook_templates" / "cyps_scorecard_template.xlsx", written,
            _inline(written, tmp_path / "inline.xlsx")]


def test_the_helper_reads_what_a_read_in_turn_reads(tmp_path, monkeypatch, helped):
    files = _files(tmp_path)
    with monkeypatch.context() as serial:
        serial.setenv(alongside.SWITCH, "1")
        expected = {path: _state(Package(path)) for path in files}
    assert helped == []  # the serial read used no helper
    differ = [path.name for path in files if _state(Package(path)) != expected[path]]
    assert differ == []
    assert len(helped) >= 25  # the helper really read sheets (of the multi-sheet files among them)


def test_an_issue_and_a_refresh_are_the_same_bytes_with_a_helper(tmp_path, monkeypatch, helped, template):
    today = dt.date(2022, 5, 20)
    outputs = {}
    for way in ("serial", "helped"):
        with monkeypatch.context() as patched:
            if way == "serial":
                patched.setenv(alongside.SWITCH, "1")
            for source in (template, LIBREOFFICE):
                issued = cyps_xl.issue(source, tmp_path / f"{way} {source.stem} issued.xlsx", today=today).output
                refreshed = cyps_xl.refresh(source, tmp_path / f"{way} {source.stem} refreshed.xlsx").output
                outputs[(way, source.stem)] = (issued.read_bytes(), refreshed.read_bytes())
    assert helped  # the helper read sheets of both
    for source in (template, LIBREOFFICE):
        assert outputs[("serial", source.stem)] == outputs[("helped", source.stem)], source.name


def _damaged(tmp_path: Path, sheet_number: int) -> Path:
    """Four sheets; a cell of one refers to a shared text the workbook does not have."""
    import xlsxwriter

    path = tmp_path / "four.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for s in range(4):
        sheet = book.add_worksheet(f"S{s + 1}")
        for r in range(40):
            sheet.write_row(r, 0, [f"text {r}", r, r / 3])
    book.close()
    out = tmp_path / f"damaged {sheet_number}.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{sheet_number}.xml":
                data = data.replace(b'<c r="A7" t="s"><v>6</v></c>', b'<c r="A7" t="s"><v>999</v></c>', 1)
            target.writestr(item, data)
    return out


def _children() -> list:
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found += (task / "children").read_text().split()
    return found


@pytest.mark.parametrize("sheet_number", [1, 2, 3, 4])
def test_a_damaged_cell_is_named_as_a_read_in_turn_names_it_whoever_reads_it(tmp_path, monkeypatch, helped,
                                                                             sheet_number):
    path = _damaged(tmp_path, sheet_number)
    with monkeypatch.context() as serial:
        serial.setenv(alongside.SWITCH, "1")
        with pytest.raises(CypsError) as alone:
            read_grids(Package(path))
    before = _children()
    with pytest.raises(CypsError) as with_helper:
        read_grids(Package(path))
    assert str(with_helper.value) == str(alone.value)
    assert f"S{sheet_number}" in str(alone.value) and "A7" in str(alone.value)
    assert _children() == before  # the helper is gone, whichever side met the damage


@pytest.mark.parametrize("failure", ["raises", "dies", "garbles"])
def test_a_helper_that_fails_costs_only_time(tmp_path, monkeypatch, helped, failure):
    path = _written(tmp_path, ROOT, "book.xlsx")
    with monkeypatch.context() as serial:
        serial.setenv(alongside.SWITCH, "1")
        expected = _state(Package(path))

    def broken(*args):
        if failure == "raises":
            raise MemoryError("no room")
        if failure == "dies":
            os._exit(3)
        return "not what was asked for"

    monkeypatch.setattr(cells_module, "_plain_read", broken)
    if failure == "garbles":  # what comes back cannot be taken in: read here instead
        monkeypatch.setattr(cells_module, "_installed", lambda package, name, read: None)
    before = _children()
    assert _state(Package(path)) == expected
    assert _children() == before


def test_the_helper_is_used_only_where_it_is_safe_and_pays(monkeypatch):
    import sys
    import threading

    monkeypatch.delenv(alongside.SWITCH, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    big = 8 << 20
    assert alongside.wanted(big)
    assert not alongside.wanted(alongside.MIN_BYTES - 1)  # too little to pay for a process
    with monkeypatch.context() as other:
        other.setattr(sys, "platform", "win32")  # Excel's own machines: no fork
        assert not alongside.wanted(big)
    with monkeypatch.context() as threads:
        threads.setattr(threading, "active_count", lambda: 2)  # a lock another thread holds would stay held
        assert not alongside.wanted(big)
    with monkeypatch.context() as one:
        one.setattr(os, "sched_getaffinity", lambda pid: {0})
        assert not alongside.wanted(big)
    monkeypatch.setenv(alongside.SWITCH, "1")
    assert not alongside.wanted(big)


def test_batch_workers_read_their_sheets_themselves(monkeypatch):
    """A batch's workers share the cores already: each reads its sheets in turn."""
    import signal

    from cyps_xl import batch

    monkeypatch.delenv(alongside.SWITCH, raising=False)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    batch._worker_start()
    assert os.environ[alongside.SWITCH] == "1" and not alongside.wanted(64 << 20)
    monkeypatch.delenv(alongside.SWITCH)


def test_the_shares_balance_the_bytes_with_the_helpers_extra_cost():
    sizes = {"A": 100, "B": 100, "C": 100, "D": 100, "E": 100}
    mine, theirs = alongside.shares(sizes)
    assert sorted(mine + theirs) == sorted(sizes) and not set(mine) & set(theirs)
    assert (len(mine), len(theirs)) == (3, 2)
    assert mine == sorted(mine, key=list(sizes).index)  # in the workbook's order
    assert alongside.shares({"big": 900, "a": 100, "b": 100}) == (["big"], ["a", "b"])
