"""The bad-input corpus: each case ends with exactly this one message, exit 2, no output, inputs unchanged."""
import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from cases import CASES  # noqa: E402
from conftest import ROOT, run_cli  # noqa: E402

EXPECTED = {
    "malformed yaml": "rules.yaml, line 5: YAML syntax error: did not find expected key. Check indentation and quoting on that line (quote texts such as '<87%').",
    "unknown key": "rules.yaml, line 7: unknown key 'colour' in an indicator. Allowed keys are: note, number_format, part, polarity, ref, title, tolerances.",
    "unknown polarity": "rules.yaml, line 6: unknown polarity 'up'. Use high, low or info (what good performance is).",
    "unparseable tolerance": "rules.yaml, line 7: green tolerance: 'about 70' is not a tolerance cyps-xl can read; write it like '<87%', '87%+', '95.2+', '50-70%' or '-'.",
    "gapped bands": "rules.yaml, line 7: tolerances of ref 3.14: the bands leave a gap: 60% is in no band; make each band start where the next one ends.",
    "overlapping bands": "rules.yaml, line 7: tolerances of ref 3.14: the Red band '<75%' and the Green band '69%+' overlap (both include 69%).",
    "number_format that is no format": "rules.yaml, line 7: number_format '1' is not an Excel number format. Quote it as Excel writes it, e.g. number_format: '0.0%' or '#,##0'.",
    "amber range overlapping": "rules.yaml, line 7: tolerances of ref 3.14: the Amber band '50-70%' and the Red band '<61%' overlap (both include 50%).",
    "green contradicts low": "rules.yaml, line 7: tolerances of ref 3.14: the Red band '<61%' contradicts 'good performance is low': red should be the higher values.",
    "duplicate key": "rules.yaml, line 7: YAML syntax error: the key 'polarity' appears twice. Check indentation and quoting on that line (quote texts such as '<87%').",
    "not an indicators file": "rules.yaml, line 1: an indicators file should start with 'sheets:'. See rules/social_care.yaml for the layout.",
    "info with tolerances": "rules.yaml, line 7: tolerances of ref 3.14: an 'info' measure is not rated, so it cannot have tolerances; remove them or set polarity to high or low.",
    "duplicate rule": "rules.yaml, line 8: ref 3.14 on sheet 'Social Care' is defined twice (also at rules.yaml line 4). Keep one; give each row of a multi-row indicator its own 'part'.",
    "bad colour in settings": "myrules/settings.yaml, line 2: colour 'amber' is 'orange', not a hex colour. Write it as six hex digits, for example 'FFC000'.",
    "missing REF NO. header": "card.xlsx, sheet 'Social Care', row 11: the header row has no REF NO. column. Add a column titled 'REF NO.', or add your title to layout.yaml.",
    "missing INDICATOR header": "card.xlsx, sheet 'Social Care', row 11: the header row has no INDICATOR column. Add a column titled 'INDICATOR', or add your title to layout.yaml.",
    "header row twice": "card.xlsx, sheet 'Social Care', row 40: a second header row (the first is row 11). Keep one header row per sheet; put another table on its own sheet.",
    "merged value cells": "card.xlsx, sheet 'Social Care': the cells O20:Q20 are merged across value columns. Unmerge them so each month has its own cell (Home > Merge & Center > Unmerge Cells).",
    "text in a value cell": "card.xlsx, sheet 'Social Care', cell Q20: 'about 80' is not a number. Type the figure, or '-' / 'n/a' when there is none.",
    "decimal comma in a value cell": "card.xlsx, sheet 'Social Care', cell Q20: '60,5%' has a decimal comma, which could be read two ways. Type it with a decimal point: 60.5%.",
    "#N/A in a value cell": "card.xlsx, sheet 'Social Care', cell Q20: holds the Excel error #N/A. Fix the formula or the source data, or type '-' if there is no figure this month.",
    "#DIV/0! in a value cell": "card.xlsx, sheet 'Social Care', cell P21: holds the Excel error #DIV/0!. Fix the formula or the source data, or type '-' if there is no figure this month.",
    "#REF! in the outturn": "card.xlsx, sheet 'Social Care', cell R22: holds the Excel error #REF!. Fix the formula or the source data, or type '-' if there is no figure this month.",
    "duplicate reference": "card.xlsx, sheet 'Social Care', cell A21: REF NO. 1.2 is used again (first on row 16). Give each indicator its own reference; rows of one indicator leave REF NO. blank.",
    "empty sheet": "small.xlsx: no scorecard table found: no sheet has a header row with REF NO. and INDICATOR columns (sheet 'Social Care' is empty). Check you chose the scorecard, and its column titles (or add yours to layout.yaml).",
    "sheet with no indicators": "small.xlsx, sheet 'Social Care': the header is on row 1 but there are no indicator rows under it. Check the sheet holds the scorecard's rows.",
    "period in the future": "small.xlsx, sheet 'Social Care', cell C1: the month column 'Nov-30' is after this month ({month}). Check the column heading's date; the scorecard can only report months that have happened.",
    "tolerance cell unreadable": "card.xlsx, sheet 'Social Care', cell Z23: 'Lower than same qtr previous year' is not a tolerance cyps-xl can read; write it like '<87%', '87%+', '95.2+', '50-70%' or '-'. Fix the cell, or give this indicator tolerances in the rules (cyps-xl rules import lists such cells).",
    "polarity cell unknown": "card.xlsx, sheet 'Social Care', cell S14: unknown 'Good perf is' value 'higher'. Use high, low or info, or give this indicator a polarity in the rules.",
    "an .xls file": "old.xls: is an old Excel 97-2003 (.xls) workbook. Open it in Excel and Save As 'Excel Workbook (.xlsx)', then run again.",
    "an encrypted workbook": "locked.xlsx: is password-protected (encrypted) or an old binary workbook. Remove the password in Excel (File > Info > Protect Workbook) and save as .xlsx.",
    "not a zip": "notes.xlsx: is not an Excel workbook (.xlsx/.xlsm). Check you chose the right file.",
    "a truncated zip": "cut.xlsx: cannot be read as a workbook (File is not a zip file). The file may be truncated or damaged; save it again from Excel.",
    "missing file": "nowhere.xlsx: file not found. Check the path and the file name.",
    "benchmark CSV with wrong columns": "bench.csv, line 1: the columns are indicator, value; expected sheet, ref and at least one of sn_average, sn_best, national, top_quartile, regional (or a DfE open-data file with geographic_level). Use the layout of workbook_templates/data/sample_benchmarks.csv.",
    "benchmark text value": "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv, line 224: the value 'seventy' in column rereferral_percent is neither a number nor a DfE missing-value code. Missing or suppressed values are written x, z, c, low, k, u, ~, :, . or ..; download the file again if it was edited.",
    "benchmark filter without Total": "myrules/benchmarks.yaml, line {measure_line}: the measure for Social Care 1.9: leaves out the filter column 'category', which has no Total row; choose one of: 'Referrals and Re-referrals'; 'Referrals from schools'. Run: cyps-xl benchmarks inspect c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
    "jump_factor as a word": "myrules/settings.yaml, line 38: jump_factor is 'three'; give a number above 1, such as 3.",
    "created_by as a list": "myrules/settings.yaml, line 34: created_by should be text, not a list. Write it on one line, e.g. created_by: \"...\"",
    "header_search_rows as a word": "myrules/layout.yaml, line 13: header_search_rows is 'forty'; give a whole number such as 40.",
    "reports as a list": "myrules/reports.yaml, line 1: reports should be a mapping of report name to its settings (monthly:, corporate_parenting:). See the bundled rules/reports.yaml.",
    "YAML alias bomb": "myrules/bomb.yaml, line 4: uses more than 20 YAML aliases (*name); refusing to expand them. Write the values out instead of repeating them through anchors and aliases.",
    "NaN in a value cell": "card.xlsx, sheet 'Social Care', cell Q20: holds 'NaN', which is not a finite number; the file is damaged. Open it in Excel and save it again, or restore the last good copy.",
    "shared string index out of range": "card.xlsx, sheet 'Social Care', cell A2: refers to text number 99999 of the shared strings, which the workbook does not have; the file is damaged. Open it in Excel and save it again, or restore the last good copy.",
    "title as a list": "rules.yaml, line 5: title should be one text, not a list or mapping. Write it on one line: title: ...",
    "indicator as plain text": "rules.yaml, line 4: each indicator should be a mapping with ref, title, polarity. Write each indicator as '- ref: ...' with its keys indented beneath.",
    "published CSV not UTF-8 past its start": "bench.csv: is not UTF-8 text (byte 4433 cannot be read). Save the CSV as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8).",
    "binary workbook (.xlsb)": "card.xlsb: is an Excel binary workbook (.xlsb), which cyps-xl cannot read. Open it in Excel and Save As 'Excel Workbook (.xlsx)', then run again.",
    "Strict Open XML": "card.xlsx: is saved as Strict Open XML, which cyps-xl does not read. Open it in Excel and Save As 'Excel Workbook (.xlsx)' (not Strict Open XML).",
    "output over the source": "card.xlsx: the output would overwrite the source scorecard. Choose another name with -o; the source is never changed by 'issue'.",
    "output not .xlsx": "out.xlsm: the issued workbook must be an .xlsx file (it carries no macros). Give -o a name ending in .xlsx.",
    "output folder missing": "no/such/folder/out.xlsx: the output folder does not exist. Create the folder or choose another -o.",
}


def test_the_corpus_is_complete():
    assert set(EXPECTED) == set(CASES) and len(CASES) >= 30


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_one_exact_message(name, tmp_path):
    import datetime as dt

    args = CASES[name](tmp_path)
    before = snapshot(tmp_path)
    result = run_cli(*args, cwd=tmp_path)
    # the corpus's measures follow the bundled benchmarks.yaml's settings and comments: its first item's line
    measure_line = (ROOT / "rules" / "benchmarks.yaml").read_text(encoding="utf-8").split("\nmeasures:")[0].count("\n") + 3
    expected = "cyps-xl: error: " + EXPECTED[name].format(month=dt.date.today().strftime("%B %Y"), measure_line=measure_line)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [expected]
    assert result.stdout == ""
    assert snapshot(tmp_path) == before  # no output, no temporary file, inputs byte-for-byte unchanged


def test_rules_check_reports_the_same_message(tmp_path):
    CASES["unknown polarity"](tmp_path)
    result = run_cli("rules", "check", "rules.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "cyps-xl: error: " + EXPECTED["unknown polarity"]
