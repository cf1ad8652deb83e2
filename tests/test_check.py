"""cyps-xl check: the data-quality report, its sheet and notes, and Check data in Excel."""
import datetime as dt
import shutil

import openpyxl
import pytest

import cyps_xl
from cyps_xl.report.check import check, run_checks
from conftest import run_cli


def edited(template, folder, name, edits):
    path = folder / name
    wb = openpyxl.load_workbook(template)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    wb.save(path)
    return path


@pytest.fixture
def two_issues(template, tmp_path):
    """Issue 2 of the template, and an issue of the next run where two months were rerun and changed."""
    first = cyps_xl.issue(template, tmp_path / "March Issue 2.xlsx", today=dt.date(2022, 5, 18)).output
    # Social Care row 23 is 1.5 (count); row 66 is 3.2 (rate): January and February were rerun.
    rerun = edited(template, tmp_path, "rerun.xlsx", {("Social Care", "O23"): 630, ("Social Care", "P23"): 530,
                                                       ("Social Care", "P66"): 99.9})
    second = cyps_xl.issue(rerun, tmp_path / "March Issue 3.xlsx", today=dt.date(2022, 5, 25)).output
    return first, second


def test_check_lists_exactly_the_revised_months(two_issues, tmp_path):
    first, second = two_issues
    result = run_cli("check", second, "--previous", first)
    assert result.returncode == 0, result.stderr
    revisions = [line.strip() for line in result.stdout.splitlines() if "[revision]" in line]
    assert revisions == [
        "[revision] Social Care!O23 1.5: Jan-22: 619 → 630",
        "[revision] Social Care!P23 1.5: Feb-22: 522 → 530",
        "[revision] Social Care!P66 3.2: Feb-22: 99.6 → 99.9",
    ]


def test_the_report_goes_to_a_sheet_with_notes_and_stays_out_of_the_issue(two_issues, tmp_path):
    first, second = two_issues
    work = tmp_path / "work.xlsx"
    shutil.copyfile(second, work)
    report = check(work, first)
    wb = openpyxl.load_workbook(work)
    assert wb.sheetnames[-1] == "Data quality"
    rows = list(wb["Data quality"].iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("Check", "Sheet", "Cell", "Indicator", "Finding")
    assert len(rows) - 1 == len(report.findings)
    # printed like the report's other pages: landscape, its heading on every page, a footer saying where it is
    quality = wb["Data quality"]
    assert quality.page_setup.orientation == "landscape" and quality.print_title_rows == "$3:$3"
    assert quality.oddFooter.left.text == "Data quality check of work.xlsx"
    assert quality.oddFooter.right.text.startswith("Page &P of &N - ")
    assert all(quality.cell(r, 5).alignment.wrap_text for r in range(4, quality.max_row + 1)
               if len(str(quality.cell(r, 5).value or "")) > 110)  # a finding longer than its column wraps
    assert wb["Social Care"]["O23"].comment.text == "cyps-xl revision: Jan-22 was 619 in the previous issue, now 630."
    assert list(tmp_path.glob("work.backup-*.xlsx"))
    # a second check replaces its own notes instead of piling them up
    check(work, first, backup=False)
    assert openpyxl.load_workbook(work)["Social Care"]["O23"].comment.text.count("cyps-xl revision") == 1
    issued = cyps_xl.issue(work, tmp_path / "issued.xlsx").output
    assert "Data quality" not in openpyxl.load_workbook(issued).sheetnames
    kept = cyps_xl.issue(work, tmp_path / "kept.xlsx", keep_data_quality=True).output
    assert "Data quality" in openpyxl.load_workbook(kept).sheetnames


def test_range_leftover_and_missing_month_findings(template, tmp_path):
    path = edited(template, tmp_path, "odd.xlsx", {
        ("Social Care", "Q24"): 1.04,      # 1.5 % row: 104%
        ("Social Care", "P25"): -3,        # 1.6 count: negative
        ("Social Care", "U14"): "Green",   # RAG word on an info measure (1.1)
        ("Social Care", "O27"): None,      # a blank month in 1.7
    })
    findings = {(f.check, f.cell) for f in run_checks(path).findings}
    assert {("range", "Q24"), ("range", "P25"), ("leftover rating", "U14"), ("missing month", "O27")} <= findings
    messages = [f.message for f in run_checks(path).findings]
    assert "Mar-22 is 104.0%, outside 0%-100%" in messages
    assert "Feb-22 is a negative count (-3)" in messages
    assert "'Green' is in the sheet but the rules give none (info measure: not rated)" in messages


def test_sheet_bands_that_disagree_with_the_rules_or_leave_a_gap_are_listed(template):
    findings = [f for f in run_checks(template).findings if f.check == "tolerances"]
    assert any("98.7 is in no band" in f.message and f.cell == "Z66" for f in findings)
    assert any("the sheet says 103.6+ / 98.8+ / <98.7 but the rules" in f.message for f in findings)


def test_check_data_in_excel_writes_the_sheet_and_notes(two_issues):
    import xlwings as xw

    from cyps_xl.excel.ribbon import check_data
    from cyps_xl.excel.remote import payload_from_file

    first, second = two_issues
    book = xw.Book(json=payload_from_file(second))
    result = check_data(book, snapshot=second, previous=first)
    actions = book.json()["actions"]
    funcs = [a["func"] for a in actions]
    assert "addSheet" in funcs and funcs.count("addNote") == 3
    values = next(a for a in actions if a["func"] == "setValues")
    assert values["values"][0] == ["Check", "Sheet", "Cell", "Indicator", "Finding"]
    assert result.calls == {"values": 1, "notes": 3, "sheet": 1}
    assert funcs[-1] == "alert"  # the summary is shown to the user
