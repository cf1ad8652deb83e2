"""Bad input ends in one clear message naming the file and the place, exit 2, and no output."""
import shutil

import openpyxl
import pytest

from conftest import ROOT, run_cli

GOOD_INDICATOR = """\
sheets:
  Social Care:
    indicators:
      - ref: '3.14'
        title: Stable placements
        polarity: high
        tolerances: {red: '<61%', amber: '61%+', green: '69%+'}
"""

BAD_RULES = [
    ("malformed", "sheets:\n  Social Care:\n    indicators:\n      - ref: '1.1'\n     polarity: high\n",
     "rules.yaml, line 5: YAML syntax error"),
    ("unknown key", GOOD_INDICATOR.replace("polarity: high", "polarity: high\n        colour: red"),
     "rules.yaml, line 7: unknown key 'colour' in an indicator."),
    ("unknown polarity", GOOD_INDICATOR.replace("polarity: high", "polarity: up"),
     "rules.yaml, line 6: unknown polarity 'up'. Use high, low or info"),
    ("unparseable tolerance", GOOD_INDICATOR.replace("'69%+'", "'about 70'"),
     "rules.yaml, line 7: green tolerance: 'about 70' is not a tolerance cyps-xl can read"),
    ("gap", GOOD_INDICATOR.replace("'61%+'", "'62%+'").replace("'<61%'", "'<60%'"),
     "rules.yaml, line 7: tolerances of ref 3.14: the bands leave a gap"),
    ("contradiction", GOOD_INDICATOR.replace("polarity: high", "polarity: low"),
     "contradicts 'good performance is low'"),
    ("duplicate key", GOOD_INDICATOR.replace("polarity: high", "polarity: high\n        polarity: low"),
     "rules.yaml, line 7: YAML syntax error: the key 'polarity' appears twice."),
]


@pytest.fixture
def scorecard(template, tmp_path):
    path = tmp_path / "scorecard.xlsx"
    shutil.copyfile(template, path)
    return path


def assert_user_error(result, expected, folder, before):
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert expected in lines[0]
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written, no temp file left


@pytest.mark.parametrize("name, text, expected", BAD_RULES, ids=[b[0] for b in BAD_RULES])
def test_bad_rules_file(scorecard, tmp_path, name, text, expected):
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    data = scorecard.read_bytes()
    result = run_cli("issue", scorecard, "--rules", rules, "-o", tmp_path / "out.xlsx")
    assert_user_error(result, expected, tmp_path, before)
    assert scorecard.read_bytes() == data


def test_rules_check_reports_the_same(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(BAD_RULES[2][1], encoding="utf-8")
    result = run_cli("rules", "check", rules)
    assert result.returncode == 2 and "line 6: unknown polarity" in result.stderr


def edit(path, sheet, changes):
    wb = openpyxl.load_workbook(path)
    for cell, value in changes.items():
        wb[sheet][cell] = value
    wb.save(path)


@pytest.mark.parametrize("changes, expected", [
    ({"A11": "Number"}, "scorecard.xlsx, sheet 'Social Care', row 11: the header row has no REF NO. column."),
    ({"B11": "Title"}, "scorecard.xlsx, sheet 'Social Care', row 11: the header row has no INDICATOR column."),
])
def test_missing_header_column(scorecard, tmp_path, changes, expected):
    edit(scorecard, "Social Care", changes)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_user_error(run_cli("issue", scorecard, "-o", tmp_path / "o.xlsx"), expected, tmp_path, before)


def test_unreadable_tolerance_cell_without_rules_names_the_cell(scorecard, tmp_path):
    # With an empty rules library the sheet's own tolerance cells are used.
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(ROOT / "rules" / "settings.yaml", rules)
    edit(scorecard, "Social Care", {"Z23": "Lower than same qtr previous year"})
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("issue", scorecard, "--rules", rules, "-o", tmp_path / "o.xlsx")
    assert_user_error(
        result, "scorecard.xlsx, sheet 'Social Care', cell Z23: 'Lower than same qtr previous year' is not a tolerance",
        tmp_path, before)


def test_unknown_polarity_cell_without_rules(scorecard, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(ROOT / "rules" / "settings.yaml", rules)
    edit(scorecard, "Social Care", {"S14": "higher"})
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("issue", scorecard, "--rules", rules, "-o", tmp_path / "o.xlsx")
    assert_user_error(result, "cell S14: unknown 'Good perf is' value 'higher'.", tmp_path, before)


@pytest.mark.parametrize("name, content, expected", [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "old.xls: is an old Excel 97-2003 (.xls) workbook."),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "locked.xlsx: is password-protected"),
    ("notes.xlsx", b"just some text", "notes.xlsx: is not an Excel workbook"),
], ids=["xls", "encrypted", "not-a-zip"])
def test_files_that_are_not_workbooks(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_user_error(run_cli("issue", path, "-o", tmp_path / "o.xlsx"), expected, tmp_path, before)


def test_truncated_workbook(template, tmp_path):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(template.read_bytes()[:5000])
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_user_error(run_cli("issue", path, "-o", tmp_path / "o.xlsx"), "cut.xlsx:", tmp_path, before)
