"""The issued workbook's contract: opens anywhere, values only, source untouched, nothing lost."""
import datetime as dt
import hashlib
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter

import cyps_xl
from conftest import DATA, run_cli


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sheet_xml(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def test_source_is_never_modified(template, tmp_path):
    before = digest(template)
    cyps_xl.issue(template, tmp_path / "out.xlsx", benchmarks=DATA / "sample_benchmarks.csv")
    assert digest(template) == before


def test_title_block_is_advanced(issued):
    ws = openpyxl.load_workbook(issued)["Social Care"]
    assert ws["A3"].value == "As at month end: March 2022 (Outturn 2021/22)"
    assert ws["A4"].value == "Status: Issue 2"
    assert ws["A5"].value == "Date created: 20/05/2022"


def test_issued_copy_has_no_formulas_or_macros(issued):
    for name, xml in sheet_xml(issued).items():
        assert "<f>" not in xml and "<f " not in xml, name
    with zipfile.ZipFile(issued) as z:
        names = z.namelist()
        content_types = z.read("[Content_Types].xml").decode()
    assert not any("vba" in n.lower() or "customui" in n.lower() for n in names)
    assert "macroEnabled" not in content_types


def test_sparklines_and_untouched_parts_survive(template, issued):
    src, out = sheet_xml(template), sheet_xml(issued)
    for name in src:
        # every sparkline kept; rows that had none (all months suspended) gain one
        assert 0 < src[name].count("<x14:sparkline>") <= out[name].count("<x14:sparkline>")
    with zipfile.ZipFile(template) as a, zipfile.ZipFile(issued) as b:
        added = set(b.namelist()) - set(a.namelist())
        assert set(a.namelist()) <= set(b.namelist())
        # the summary page (with its chart) and the commentary are the only new parts
        assert all(re.match(r"xl/(worksheets|charts|drawings)/(_rels/)?(sheet|chart|drawing)\d+\.xml(\.rels)?$", n) for n in added)
        owned = ("xl/styles.xml", "xl/sharedStrings.xml", "docProps/core.xml", "docProps/app.xml", "xl/workbook.xml", "[Content_Types].xml",
                 "xl/_rels/workbook.xml.rels")
        for name in a.namelist():
            # owned: the written sheets, styles and shared strings (both append-only), the new sheets' entries,
            # docProps whose names are replaced
            if not (name.startswith("xl/worksheets/sheet") or name in owned):
                assert a.read(name) == b.read(name), name


def test_benchmarks_are_filled_from_the_published_figures(issued):
    ws = openpyxl.load_workbook(issued)["Social Care"]
    row = next(r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value == "1.13")
    assert [ws.cell(row, c).value for c in range(29, 34)] == pytest.approx([0.818, 0.997, 0.838, 0.917, 0.799])
    assert ws.cell(row, 29).number_format == "0.0%"
    row = next(r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value == "2.3")
    assert ws.cell(row, 32).value == "-"  # a placeholder stays text, never 0


def test_tolerance_text_comes_from_the_rules(issued):
    ws = openpyxl.load_workbook(issued)["Social Care"]
    row = next(r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value == "3.2")
    assert [ws.cell(row, c).value for c in (24, 25, 26)] == ["103.6+", "98.7+", "<98.7"]


def make_with_formulas(path, cached=True):
    """A small scorecard saved with formulas (as Excel saves them: with their results)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Social Care")
    ws.write_row(0, 0, ["Status: Issue 3"])
    ws.write_row(2, 0, ["REF NO.", "INDICATOR", "DATA NOTE", "Feb-22", "Mar-22", "Good perf is", "DOT", "RAG", "Red", "Amber", "Green"])
    ws.write_row(3, 0, ["9.1", "Visits in time", "%", 0.9, 0.96, "high", None, None, "<87%", "87%+", "95%+"])
    ws.write_formula(3, 11, '=_xludf.CYPS_RAG(E4,"3.5")', None, "Green" if cached else "")
    ws.write_formula(3, 12, "=D4+E4", None, 1.86 if cached else 0)
    wb.close()
    if not cached:  # strip the saved results, as a file written by a tool that cannot calculate
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        name = "xl/worksheets/sheet1.xml"
        parts[name] = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1", parts[name])
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)


def test_formulas_are_frozen_to_their_saved_values(tmp_path):
    src = tmp_path / "with formulas.xlsx"
    make_with_formulas(src)
    report = cyps_xl.issue(src, tmp_path / "issued.xlsx", today=dt.date(2022, 5, 1))
    ws = openpyxl.load_workbook(report.output)["Social Care"]
    assert ws["L4"].value == "Green" and ws["M4"].value == pytest.approx(1.86)
    assert ws["A1"].value == "Status: Issue 4"
    assert (ws["G4"].value, ws["H4"].value) == ("↑", "Green")


def test_a_formula_without_a_saved_value_stops_the_issue_and_writes_nothing(tmp_path):
    src = tmp_path / "uncalculated.xlsx"
    make_with_formulas(src, cached=False)
    before = digest(src)
    result = run_cli("issue", src, "-o", tmp_path / "issued.xlsx")
    assert result.returncode == 2
    assert "uncalculated.xlsx, sheet 'Social Care', cell M4: this formula has no saved result" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uncalculated.xlsx"]  # no output, no temp file
    assert digest(src) == before


def test_default_output_is_the_next_issue_beside_the_source(tmp_path, template):
    src = tmp_path / "CYPS Scorecard March 2022.xlsx"
    src.write_bytes(template.read_bytes())
    (tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx").write_bytes(b"an earlier issue, kept")
    report = cyps_xl.issue(src)
    assert report.output.name == "CYPS Scorecard March 2022 Issue 3.xlsx"
    assert (tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx").read_bytes() == b"an earlier issue, kept"


def test_issue_refuses_to_overwrite_its_source(template, tmp_path):
    src = tmp_path / "s.xlsx"
    src.write_bytes(template.read_bytes())
    result = run_cli("issue", src, "-o", src)
    assert result.returncode == 2 and "would overwrite the source" in result.stderr
