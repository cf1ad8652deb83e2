"""The Excel front door's less travelled paths, each with the answer a user would see."""
import sys

import pytest

from cyps_xl.excel import addin

from cyps_xl.excel import ribbon as live

from cyps_xl.excel import udfs
from cyps_xl.workbook.changes import SparklineChange
from cyps_xl.excel.xlwings_writer import XlwingsWriter, excel_value
from conftest import run_cli
from fakexl import desktop_book
from test_udfs import excel_call


# -- cell functions -----------------------------------------------------------------------
def test_indicators_by_title_part_and_whole_number():
    title = "% of looked after children with a up to date health assessments"
    assert udfs.CYPS_TOLERANCE(title, "green") == udfs.CYPS_TOLERANCE("Social Care!3.8", "green") == "95%+"
    assert udfs.CYPS_TOLERANCE("Social Care|1.2|%", "red") == ""  # an info row of a multi-row indicator: no bands
    assert udfs.CYPS_TOLERANCE(3.0, "red").startswith("#CYPS! no rule for indicator '3'")
    assert udfs.CYPS_RAG([0.97, 0.5], "Social Care!3.4") == [["Green", "Red"]]  # a flat list from Python is a row


def test_tolerance_and_polarity_mistakes_are_said_in_the_cell():
    assert excel_call(udfs.CYPS_RAG, 0.9, "<87% | 87%+") == [["#CYPS! give three tolerances: red | amber | green (use - for none)"]]
    assert excel_call(udfs.CYPS_RAG, 0.9, "<87% | 87%+ | 95%+", "up") == [["#CYPS! unknown polarity 'up'; use high, low or info"]]
    assert excel_call(udfs.CYPS_RAG, 0.9, "<87% | 87%+ | 95%+") == [["#CYPS! give the polarity (high, low or info) with literal tolerances"]]
    # one red/amber/green row for a whole column of values
    got = excel_call(udfs.CYPS_RAG, ((0.97,), (0.9,), (0.5,)), (("<87%", "87%+", "95%+"),), "high")
    assert got == [["Green"], ["Amber"], ["Red"]]


def test_dot_by_indicator_reference_and_mismatched_shapes():
    # the indicator gives polarity (low) and its format (0.0 for a rate per 10,000)
    assert excel_call(udfs.CYPS_DOT, 97.84, 97.81, "Social Care!3.2") == [["→"]]
    assert excel_call(udfs.CYPS_DOT, 97.8, 99.6, "Social Care!3.2") == [["↓"]]
    got = excel_call(udfs.CYPS_DOT, ((1.0,), (2.0,)), ((1.0,), (2.0,), (3.0,)), "high")
    assert got == [["#CYPS! previous has 3x1 cells for 2x1 values; give one, one per row, one per column or one per value"]] * 2
    got = excel_call(udfs.CYPS_TOLERANCE, (("Social Care!3.4",), ("Social Care!3.2",)), (("red",), ("amber",), ("green",)))
    assert got[0][0].startswith("#CYPS! indicator has 2x1 cells for 3x1 values")


def test_bench_without_a_file_or_a_row(monkeypatch, tmp_path):
    monkeypatch.delenv("CYPS_XL_BENCHMARKS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no settings file of the user's either
    got = excel_call(udfs.CYPS_BENCH, "Social Care!1.13", "national")
    assert got[0][0].startswith("#CYPS! no benchmark file: set CYPS_BENCHMARKS in your settings file")
    published = tmp_path / "published.csv"
    published.write_text("sheet,ref,national,year\nSocial Care,3.14,68%,2020/21\n", encoding="utf-8")
    monkeypatch.setenv("CYPS_XL_BENCHMARKS", str(published))
    assert excel_call(udfs.CYPS_BENCH, "Social Care!3.15", "national") == [[""]]  # no row for 3.15
    assert excel_call(udfs.CYPS_BENCH, "Social Care!3.14", "Nat av.") == [[0.68]]


# -- the writer ---------------------------------------------------------------------------
def test_text_that_looks_like_a_formula_stays_text():
    assert excel_value("=SUM(A1)") == "'=SUM(A1)" and excel_value("-") == "-" and excel_value(-3) == -3


def test_sparklines_for_consecutive_rows_are_one_call(template, tmp_path):
    book = desktop_book(template, tmp_path)
    writer = XlwingsWriter(book, multi_area=True)
    writer._sparklines([SparklineChange("Social Care", f"AB{r}", f"'Social Care'!F{r}:Q{r}") for r in (20, 21, 22, 30)])
    assert [(s, a, src) for s, a, _, src in book.sparklines] == [
        ("Social Care", "$AB$20:$AB$22", "'Social Care'!F20:Q22"), ("Social Care", "$AB$30", "'Social Care'!F30:Q30")]
    assert writer.calls["sparkline"] == 2


def test_a_fill_removed_and_italic_set_through_multi_area_ranges(template, tmp_path):
    from cyps_xl.workbook.changes import CellChange
    from cyps_xl.workbook.package import CellStyle
    from cyps_xl.excel.xlwings_writer import write_changes

    book = desktop_book(template, tmp_path)
    changes = [CellChange("Social Care", 20, 21, "Green", CellStyle(fill="none", italic=True)),
               CellChange("Social Care", 22, 21, "Red", CellStyle(fill="none", italic=True))]
    writer = write_changes(book, changes)
    ws = book.wb["Social Care"]
    assert ws.cell(20, 21).fill.patternType is None and ws.cell(22, 21).font.i and ws.cell(20, 21).value == "Green"
    assert writer.calls["italic"] == 1 and writer.calls["fill"] == 1  # one multi-area range each


# -- the live path's edges ----------------------------------------------------------------
def test_main_and_the_calling_workbook(template, tmp_path, monkeypatch):
    import xlwings

    book = desktop_book(template, tmp_path)
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: book))
    assert live.main() is not None  # RunPython's default entry point: Refresh ratings on the calling workbook
    assert book.app.alerts[-1]["title"] == "cyps-xl: Refresh ratings"


def test_the_log_goes_to_the_temp_folder_when_the_workbook_folder_is_not_writable(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    log = live.write_log(tmp_path / "no such folder" / "card.xlsx", "issue", ValueError("x"))
    assert log == tmp_path / "cyps-xl.log" and "ValueError: x" in log.read_text(encoding="utf-8")


def test_a_person_s_note_is_left_alone_by_check_data(template, tmp_path):
    import openpyxl
    from openpyxl.comments import Comment

    previous = tmp_path / "previous.xlsx"
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    row = next(r for r in range(14, 94) if ws.cell(r, 1).value == "3.1")
    ws.cell(row, 16).value = ws.cell(row, 16).value + 7
    wb.save(previous)
    book = desktop_book(template, tmp_path, name="card.xlsx")
    book.wb["Social Care"].cell(row, 16).comment = Comment("Checked with the service - Ann", "Ann")
    result = live.check_data(book, previous=previous)
    assert result.calls["notes"] == 0
    assert book.wb["Social Care"].cell(row, 16).comment.text == "Checked with the service - Ann"


def test_no_pdf_is_a_note_not_a_failure(template, tmp_path, monkeypatch):
    import cyps_xl.report.pdf
    from cyps_xl.errors import CypsError

    def no_soffice(path):
        raise CypsError("LibreOffice (soffice) was not found.", hint="apt-get install libreoffice-calc-nogui")

    monkeypatch.setattr(cyps_xl.report.pdf, "to_pdf", no_soffice)
    notes = []
    book = desktop_book(template, tmp_path)
    book.app.engine.name = "remote"
    assert live._pdf(book, tmp_path / "x.xlsx", notes) is None
    assert notes == ["No PDF: LibreOffice (soffice) was not found. apt-get install libreoffice-calc-nogui"]


# -- the add-in build and install ---------------------------------------------------------
def test_install_copies_the_addin_into_excels_folder(tmp_path, monkeypatch):
    built = addin.build_addin(tmp_path / "cyps_xl.xlam")
    folder = tmp_path / "AppData" / "Microsoft" / "AddIns"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "Users" / "ann"))
    assert addin.addin_folder() == folder
    message = addin.install_addin(built)
    assert (folder / "cyps_xl.xlam").read_bytes() == built.read_bytes()
    assert message.startswith(f"Installed {folder / 'cyps_xl.xlam'} (built with xlwings ") and "tick 'cyps-xl'" in message
    assert (tmp_path / "Users" / "ann" / ".cyps_xl" / "cyps_xl.conf").is_file()


def test_addin_mistakes_are_one_message(tmp_path):
    result = run_cli("addin", "build", "-o", tmp_path / "cyps_xl.xlsm")
    assert result.returncode == 2 and "cyps_xl.xlsm: the add-in must be an .xlam file. For example: -o cyps_xl.xlam" in result.stderr
    result = run_cli("addin", "install", tmp_path / "missing.xlam")
    assert result.returncode == 2 and "missing.xlam: add-in not found. Build it first" in result.stderr


def test_building_the_addin_without_ms_ovba_says_what_to_install(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def without(name, *args, **kwargs):
        if name == "ms_ovba" or name.startswith("ms_ovba."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)
    from cyps_xl.errors import CypsError

    with pytest.raises(CypsError, match="building the add-in needs the ms-ovba package"):
        addin.build_vba_project({"CYPS": "Attribute VB_Name = \"CYPS\"\n"})
