"""rules import + issue on a scorecard laid out differently from anything else in the tests.

Other months (Jun-Aug 2022), other references (CP1...), columns in another
order, the header on row 6 in a single row, blank spacer columns, a regional
column named 'Yorkshire & Humb', and text month headers.  Expected ratings are
worked out by hand below from the values and tolerances.
"""
import datetime as dt

import openpyxl
import pytest

from conftest import run_cli

HEADER = ["INDICATOR", "REF NO.", None, "Good per is", dt.datetime(2022, 6, 1), dt.datetime(2022, 7, 1), "Aug-22 (Q2)",
          "YTD", "2021/22", "RAG (month)", "DOT* (month)", None, "DOT (Yr on Yr)", "RAG (Yr End)",
          "Green (target)", "Amber", "Red", "Nat av.", "Yorkshire & Humb", "DATA NOTE"]
ROWS = [
    # title, ref, polarity, Jun, Jul, Aug, YTD, last year, green, amber, red, note
    ("% of LAC with an up to date plan", "CP1", "high", 0.95, 0.93, 0.969, 0.951, 0.957, "95%+", "87%+", "<87%", "%"),
    ("% of LAC with 3 or more placements", "CP2", "low", 0.10, 0.094, 0.1049, 0.0999, 0.089, "<10%", "10%+", "18%+", "%"),
    ("No. of LAC", "CP3", "info", 560, 560, 562, 562, 597, None, None, None, "Count"),
    ("% of care leavers in EET", "CP4", "high", 0.70, 0.66, 0.6519, "-", 0.649, "(2022) 65.2%", None, None, "%"),
    ("% of LAC with a dental check", "CP5", "high", 0.44, 0.46, "Available in May", 0.45, 0.20, "95%+", "87%+", "<87%", "%"),
    ("Av. days to adoption placement (A10)", "CP6", "low", 431.4, 431.4, 490.0, 490.0, 446.6, "<487", "-", "-", "YTD Average"),
]
# (DOT month, RAG month, DOT yr on yr, RAG yr end), worked out by hand:
EXPECTED = {
    "CP1": ("↑", "Green", "↓", "Green"),   # 96.9 from 93.0; YTD 95.1 >= 95 but below 95.7 last year
    "CP2": ("↑", "Amber", "↑", "Amber"),   # 10.5% shown; YTD 0.0999 is shown as 10.0%, so it meets 10%+
    "CP3": ("↑", None, "↓", None),         # info: arrows only
    "CP4": ("↓", "Green", None, None),     # 65.19% shows as 65.2% and meets the 65.2% target; no YTD
    "CP5": (None, None, "↑", "Red"),       # latest month is 'Available in May'
    "CP6": ("↑", "Red", "↑", "Red"),       # green-only target <487 missed
}
COLOURS = {"CP1": ("FF007A33", "FFC00000"), "CP2": ("FFC00000", "FFC00000"), "CP3": ("FF000000", "FF000000")}


@pytest.fixture
def unseen(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Corporate Parenting"
    ws["B1"] = "Corporate Parenting Performance Report"
    ws["B2"] = "As at month end: July 2022"
    ws["B3"] = "Status: Issue 4"
    for col, title in enumerate(HEADER, start=1):
        cell = ws.cell(6, col, title)
        if isinstance(title, dt.datetime):
            cell.number_format = "mmm-yy"
    for r, row in enumerate(ROWS, start=7):
        title, ref, polarity, jun, jul, aug, ytd, prev, green, amber, red, note = row
        values = {1: title, 2: ref, 4: polarity, 5: jun, 6: jul, 7: aug, 8: ytd, 9: prev, 15: green, 16: amber,
                  17: red, 18: 0.97 if note == "%" else None, 20: note}
        for col, value in values.items():
            cell = ws.cell(r, col, value)
            if note == "%" and col in (5, 6, 7, 8, 9, 18):
                cell.number_format = "0.0%"
    path = tmp_path / "Corporate Parenting Aug 2022 Issue 4.xlsx"
    wb.save(path)
    return path


def test_rules_import_then_issue_rates_an_unseen_layout(unseen, tmp_path):
    rules = tmp_path / "cp_rules.yaml"
    imported = run_cli("rules", "import", unseen, "-o", rules)
    assert imported.returncode == 0, imported.stderr
    assert "Wrote 6 indicator rules" in imported.stdout
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", unseen, "--rules", rules, "-o", out)
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(out)["Corporate Parenting"]
    got = {ws.cell(r, 2).value: (ws.cell(r, 11).value, ws.cell(r, 10).value, ws.cell(r, 13).value, ws.cell(r, 14).value)
           for r in range(7, 7 + len(ROWS))}
    assert got == EXPECTED
    for r in range(7, 7 + len(ROWS)):
        ref = ws.cell(r, 2).value
        if ref in COLOURS:
            assert (ws.cell(r, 11).font.color.rgb, ws.cell(r, 13).font.color.rgb) == COLOURS[ref]
    assert ws["B2"].value == "As at month end: August 2022 (2022/23 year to date)"
    assert ws["B3"].value == "Status: Issue 5"


def test_rules_import_lists_what_it_cannot_read(unseen, tmp_path):
    wb = openpyxl.load_workbook(unseen)
    wb.active["O7"] = "Lower than same qtr previous year"
    wb.save(unseen)
    result = run_cli("rules", "import", unseen, "-o", tmp_path / "r.yaml")
    assert result.returncode == 0
    assert "sheet 'Corporate Parenting', cell O7: 'Lower than same qtr previous year' is not a tolerance band" in result.stdout
