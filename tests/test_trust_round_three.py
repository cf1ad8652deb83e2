"""Trust, round three: each class of failure found by the third hostile round, built the way a user or a colleague
would meet it (the real CLI, files as other tools write them). One message naming the file and the place; never a
silent wrong answer, never a traceback."""
import shutil
import subprocess
import sys
import time
import zipfile

import openpyxl
import pytest

from conftest import ROOT, run_cli

DFE = ROOT / "tests" / "fixtures" / "dfe"
C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"


def card_with(template, tmp_path, edits=None, formats=None, name="card.xlsx"):
    """The template as openpyxl saves it after a colleague typed into it (values and number formats by cell)."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    rows = {str(ws.cell(r, 1).value): r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    for (ref, column), value in (edits or {}).items():
        ws[f"{column}{rows[ref]}"] = value
    for (ref, column), number_format in (formats or {}).items():
        ws[f"{column}{rows[ref]}"].number_format = number_format
    path = tmp_path / name
    wb.save(path)
    return path, rows


def one_message(result, *parts):
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for part in parts:
        assert part in result.stderr, result.stderr


# -- 1. a value is what Excel shows ---------------------------------------------------------------------
@pytest.mark.parametrize("typed, number_format", [
    ("'62", None),                    # a number stored as text: Excel shows 62
    ("\u00a062\u00a0", None),         # padded with non-breaking spaces, as pasted from a web page
    (62, '0.0"%"'),                   # 62 under a format whose % is a literal: Excel shows 62.0%
])
def test_a_percentage_typed_as_a_number_in_a_percent_row_is_refused_naming_the_cell(template, tmp_path, typed,
                                                                                      number_format):
    edits = {("3.14", "Q"): typed[1:] if isinstance(typed, str) and typed.startswith("'") else typed}
    card, rows = card_with(template, tmp_path, edits, {("3.14", "Q"): number_format} if number_format else None)
    result = run_cli("issue", card, "-o", tmp_path / "out.xlsx")
    one_message(result, f"card.xlsx, sheet 'Social Care', cell Q{rows['3.14']}: holds 62 in a % row, which would be "
                        "6200%: a % row stores fractions (62% is 0.62). Type it as 62%")
    assert not (tmp_path / "out.xlsx").exists()


def test_huge_numbers_and_a_thirty_place_format_are_rated_not_a_traceback(template, tmp_path):
    card, rows = card_with(template, tmp_path, {("1.12", "Q"): 1e300, ("1.17", "Q"): 1e26},
                           {("1.17", "Q"): "0." + "0" * 30})
    result = run_cli("issue", card, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr


def test_a_reference_is_read_as_the_cell_shows_it(template, tmp_path):
    """REF 1.10 typed as a number is stored 1.1 and shown 1.10 under the format 0.00: two indicators, not one."""
    card, rows = card_with(template, tmp_path, {("1.1", "A"): 1.1, ("1.10", "A"): 1.1}, {("1.10", "A"): "0.00"})
    result = run_cli("issue", card, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr
    card, rows = card_with(template, tmp_path, {("1.10", "A"): 1.1, ("1.11", "A"): 1.1},
                           {("1.10", "A"): "0.00", ("1.11", "A"): "0.00"}, name="twice.xlsx")
    one_message(run_cli("issue", card, "-o", tmp_path / "out2.xlsx"), f"REF NO. 1.10 is used again (first on row {rows['1.10']})")


def test_a_dfe_file_with_a_quoted_line_break_is_read_and_its_lines_are_counted_as_lines(template, tmp_path):
    lines = (DFE / C1).read_text(encoding="utf-8").splitlines(keepends=True)
    edited = [line.replace(",Barnsley,", ',"Barns\nley",') for line in lines]  # a name DfE quoted, a break in it
    path = tmp_path / C1
    path.write_text("".join(edited), encoding="utf-8")
    result = run_cli("issue", template, "--benchmarks", path, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr
    # a bad figure after the quoted breaks is named at the line a text editor shows it on
    bad = "".join(edited).replace(",Rotherham,Referrals and Re-referrals,3269,580,17.7,",
                                  ",Rotherham,Referrals and Re-referrals,3269,580,17.7%,")
    path.write_text(bad, encoding="utf-8")
    line = next(i for i, text in enumerate(bad.splitlines(), start=1) if "17.7%" in text)
    one_message(run_cli("issue", template, "--benchmarks", path, "-o", tmp_path / "out2.xlsx"), f"{C1}, line {line}: the value '17.7%'")


# -- package tricks ------------------------------------------------------------------------------------
def _repacked(template, path, change):
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            change(target, info.filename, source.read(info))
    return path


def test_a_package_with_two_parts_of_one_name_is_refused(template, tmp_path):
    import warnings

    def twice(target, name, data):
        target.writestr(name, data)
        if name == "xl/worksheets/sheet2.xml":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is asked to write
                target.writestr(name, data.replace(b"<v>", b"<v>9"))
    card = _repacked(template, tmp_path / "twice.xlsx", twice)
    one_message(run_cli("issue", card, "-o", tmp_path / "out.xlsx"), "twice.xlsx: holds two parts named "
                                                                      "'xl/worksheets/sheet2.xml'")


def test_a_doctype_after_a_long_comment_is_refused(template, tmp_path):
    def doctype(target, name, data):
        if name == "xl/styles.xml":
            head, _, rest = data.partition(b"?>")
            data = head + b"?><!--" + b"x" * 5000 + b'--><!DOCTYPE s [<!ENTITY e "boom">]>' + rest
        target.writestr(name, data)
    card = _repacked(template, tmp_path / "dtd.xlsx", doctype)
    one_message(run_cli("issue", card, "-o", tmp_path / "out.xlsx"), "the part xl/styles.xml declares a DOCTYPE")


# -- batch names every file it passes over -------------------------------------------------------------
def test_batch_issues_every_scorecard_and_names_each_file_it_passes_over(template, tmp_path):
    folder = tmp_path / "cards"
    folder.mkdir()
    for name in ("Tissue 2 viability.xlsx", "draft Issue 1.xlsx", "Card.xlsx", "Card Issue 2.xlsx",
                 "Card.backup-20220101-101010.xlsx", "~$Card.xlsx"):
        shutil.copyfile(template, folder / name)
    result = run_cli("batch", folder, "-o", tmp_path / "out", "-j", "1")
    assert result.returncode == 0, result.stderr
    assert "Issued 3 scorecard(s)" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "Card Issue 2.xlsx", "Tissue 2 viability Issue 2.xlsx", "draft Issue 2.xlsx"]
    assert "Passed over: Card Issue 2.xlsx (an issue of Card.xlsx, written by cyps-xl)." in result.stdout
    assert "Passed over: Card.backup-20220101-101010.xlsx (a backup of Card.xlsx, written by cyps-xl)." in result.stdout
    assert "Passed over: ~$Card.xlsx (Excel's lock file: a workbook of that name is open in Excel)." in result.stdout


# -- 5. one message, bounded cost ------------------------------------------------------------------------
def _rules(tmp_path, name, text):
    folder = tmp_path / "rules"
    if not folder.exists():
        shutil.copytree(ROOT / "rules", folder)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_misspelt_placeholder_in_the_commentary_is_named_with_its_line(template, tmp_path):
    text = (ROOT / "rules" / "commentary.yaml").read_text(encoding="utf-8").replace("rose to {value}", "rose to {vallue}")
    rules = _rules(tmp_path, "commentary.yaml", text)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "{vallue}" in t)
    one_message(run_cli("issue", template, "--rules", rules, "-o", tmp_path / "out.xlsx"),
                f"commentary.yaml, line {line}: {{vallue}} in opening.up is not filled by cyps-xl. Use one of: {{subject}}")


@pytest.mark.parametrize("text, line", [("? [a, b]\n: x\n", 1), ("sheets:\n  {a: 1}: x\n", 2)])
def test_a_yaml_key_that_is_a_list_or_mapping_is_named(tmp_path, text, line):
    rules = _rules(tmp_path, "early_help.yaml", text)
    one_message(run_cli("rules", "check", rules), f"early_help.yaml, line {line}: YAML syntax error: a key is a list or mapping")


def test_a_published_figures_item_that_is_text_is_named(template, tmp_path):
    path = tmp_path / "published.yaml"
    path.write_text("benchmarks:\n  - {sheet: Social Care, ref: '3.14', national: 68%}\n  - just a line of text\n")
    one_message(run_cli("issue", template, "--benchmarks", path, "-o", tmp_path / "out.xlsx"),
                "published.yaml, line 3: this item is text, not a row of figures.")


def test_a_schema_into_a_missing_folder_and_batch_with_no_workers_are_one_message(tmp_path):
    one_message(run_cli("rules", "schema", "-o", tmp_path / "missing" / "s.json"), "the output folder does not exist")
    for jobs in ("0", "-1"):
        result = run_cli("batch", tmp_path, "-j", jobs)
        assert result.returncode == 2 and "is not a number of processes: give 1 or more" in result.stderr
        assert "Traceback" not in result.stderr


def test_aliases_that_multiply_within_the_limit_are_refused_quickly(tmp_path):
    lines = ["a0: &a0 [" + ",".join(["x"] * 1000) + "]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 11)]  # 20 aliases: 1,024 times the list
    rules = _rules(tmp_path, "early_help.yaml", "\n".join(lines) + "\n")
    start = time.perf_counter()
    one_message(run_cli("rules", "check", rules), "early_help.yaml: its aliases (*name) expand to more than")
    assert time.perf_counter() - start < 30  # bounded: a generous guard against the minutes it took, not a timing


def test_a_layout_pattern_that_repeats_a_repeat_is_refused_with_its_line(template, tmp_path):
    text = (ROOT / "rules" / "layout.yaml").read_text(encoding="utf-8").replace(
        "patterns: ['^stat neigh av']", "patterns: ['^(\\w+\\s?)+$']")
    rules = _rules(tmp_path, "layout.yaml", text)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "(\\w+\\s?)+$" in t)
    one_message(run_cli("issue", template, "--rules", rules, "-o", tmp_path / "out.xlsx"),
                f"layout.yaml, line {line}: the pattern '^(\\w+\\s?)+$' repeats a part that itself repeats")


# -- month headings as Excel users type them ------------------------------------------------------------
def _heading(template, tmp_path, value, number_format=None, name="months.xlsx"):
    """The template with its latest month heading (Q12, March 2022) typed another way."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    ws["Q12"] = value
    if number_format:
        ws["Q12"].number_format = number_format
    path = tmp_path / name
    wb.save(path)
    return path


@pytest.mark.parametrize("value, number_format", [("March 2022", None), ("Sept-22", None), ("Mar 22", None),
                                                   ("Mar-22", None), (44621, "General")])
def test_every_way_a_month_heading_is_typed_is_read_as_that_month(template, tmp_path, value, number_format):
    import datetime as dt

    card, month = _heading(template, tmp_path, value, number_format), "March 2022"
    if value == "Sept-22":  # September: the eleven months before it run October 2021 to August 2022
        wb = openpyxl.load_workbook(card)
        for column in range(6, 17):
            wb["Social Care"].cell(12, column).value = dt.datetime(2021 + (column + 3) // 12, (column + 3) % 12 + 1, 1)
        wb.save(card)
        month = "September 2022"
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(out)["Social Care"]
    as_at = next(ws.cell(r, 1).value for r in range(1, 12) if str(ws.cell(r, 1).value or "").startswith("As at"))
    assert month in as_at, as_at  # the latest column is the one rated, named as the month it is


@pytest.mark.parametrize("value, number_format, message", [
    (__import__("datetime").datetime(2021, 3, 1), "mmm-yy",
     "cell Q12: the month heading 'Mar-21' breaks the months' date order: it comes after 'Feb-22'."),
    ("Marhc-22", None, "cell Q12: the heading 'Marhc-22' stands among the month columns but is not a month"),
    ("=EDATE(P12,1)", None, "cell Q12: this heading is a formula with no saved result (=EDATE(P12,1))"),
])
def test_a_month_heading_that_is_not_read_as_a_month_is_named_never_skipped(template, tmp_path, value, number_format,
                                                                           message):
    card = _heading(template, tmp_path, value, number_format)
    for command in ("issue", "refresh"):
        one_message(run_cli(command, card, "-o", tmp_path / f"{command}.xlsx"), f"months.xlsx, sheet 'Social Care', {message}")


def test_a_figure_that_is_a_formula_with_no_result_is_named_by_refresh(template, tmp_path):
    card, rows = card_with(template, tmp_path)
    wb = openpyxl.load_workbook(card)
    wb["Social Care"][f"Q{rows['3.14']}"] = f"=P{rows['3.14']}"  # openpyxl saves it with an empty result
    wb.save(card)
    result = run_cli("refresh", card, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr
    assert (f"1 figure(s) are formulas with no saved result, read as no value: 'Social Care'!Q{rows['3.14']}. "
            "Open the workbook in Excel") in result.stdout
