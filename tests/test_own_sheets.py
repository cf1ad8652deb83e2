"""A sheet cyps-xl writes whole in one pass (Package.put_rows, the commentary): measured before it is written
(legible.fit_rows) as fit_text measures a sheet written through edits, replaced whole on the next issue,
and closed to edits afterwards."""
import datetime as dt

import openpyxl
import pytest

import cyps_xl
from cyps_xl.report.legible import WRAPPED, fit_rows, fit_text
from cyps_xl.workbook.package import Package
from cyps_xl.workbook.styles import CellStyle

TITLE = CellStyle(bold=True, font_color="C00000", size=12)
HEADINGS = CellStyle(bold=True, fill="D9E1F2", wrap=True)
LONG_WORD = "https://www.gov.uk/government/statistics/children-looked-after-in-england-including-adoptions-2025"
ROWS = [["DRAFT commentary"], [], ["Sheet", "Scorecard ref", "Indicator name", "Draft commentary"],
        ["Social Care", "SC1", "Re-referrals within 12 months", "Re-referrals fell to 18.2% in March. " * 6],
        ["Social Care", "", "A short one", "Steady."],
        ["Early Help", "EH2", "Families " * 12, f"See {LONG_WORD} for the national figures."],
        ["Early Help", "EH3", "Two lines\nby hand", 90.5],
        ["Early Help", "EH4", "", ""]]
WIDTHS = [14, 16, 45, 80]
LOOKS = {1: (TITLE, 1), 3: (HEADINGS, 4), **{r: (WRAPPED, 4) for r in range(4, len(ROWS) + 1)}}


def _cells(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    return ({r: ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)},
            {c: ws.column_dimensions[c].width for c in "ABCD"},
            [[cell.value for cell in row] for row in ws.iter_rows()],
            {cell.coordinate: (cell.font.b, cell.font.sz, cell.alignment.wrap_text, cell.alignment.vertical)
             for row in ws.iter_rows() for cell in row})


def test_rows_written_whole_are_measured_and_styled_as_rows_written_through_edits(template, tmp_path):
    through_edits = Package(template)
    through_edits.put_sheet("Notes", ROWS, widths=WIDTHS)
    editor = through_edits.sheet("Notes")
    for r, (style, columns) in LOOKS.items():
        editor.set_styles(r, tuple(range(1, columns + 1)), style)
    fit_text(through_edits, "Notes", range(1, len(ROWS) + 1))
    through_edits.save(tmp_path / "edits.xlsx")

    whole = Package(template)
    fonts = {r: whole.styles.look(whole.styles.derive(0, style)) for r, (style, _) in LOOKS.items()}
    heights, widened = fit_rows(ROWS, WIDTHS, fonts, default_height=15.0)
    assert widened and any(h > 40 for h in heights.values())  # the long word widens; long text grows its row
    whole.put_rows("Notes", ROWS, widths=WIDTHS, looks=LOOKS, heights=heights)
    for column, width in widened.items():
        whole.set_column_width("Notes", column, width)
    whole.save(tmp_path / "whole.xlsx")

    assert _cells(tmp_path / "whole.xlsx", "Notes") == _cells(tmp_path / "edits.xlsx", "Notes")


def test_the_next_issue_replaces_the_commentary_whole(template, tmp_path):
    day = dt.date(2022, 5, 20)
    first = cyps_xl.issue(template, tmp_path / "Issue 2.xlsx", today=day).output
    again = cyps_xl.issue(first, tmp_path / "Issue 3.xlsx", today=day).output
    before, after = openpyxl.load_workbook(first), openpyxl.load_workbook(again)
    assert after.sheetnames.count("Commentary") == 1 and "Draft commentary" not in after.sheetnames
    old, new = before["Commentary"], after["Commentary"]
    assert new.max_row == old.max_row > 10
    assert [[c.value for c in row] for row in new.iter_rows()] == [[c.value for c in row] for row in old.iter_rows()]
    assert {r: new.row_dimensions[r].height for r in range(1, new.max_row + 1)} == \
        {r: old.row_dimensions[r].height for r in range(1, old.max_row + 1)}


def test_a_sheet_written_whole_takes_no_edits(template):
    package = Package(template)
    package.put_rows("Notes", ROWS, widths=WIDTHS, looks=LOOKS, heights={})
    editor = package.sheet("Notes")
    for edit in (lambda: editor.set_value(4, 1, "x"), lambda: editor.set_style(4, 1, WRAPPED),
                 lambda: editor.row_height(4, 30)):
        with pytest.raises(RuntimeError, match="written whole"):
            edit()
