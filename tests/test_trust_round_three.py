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


# -- one number parser, DfE's periods, published figures in their units ------------------------------------
@pytest.mark.parametrize("typed", ["15,4", "1,54"])
def test_a_decimal_comma_is_never_read_as_a_thousands_separator(template, tmp_path, typed):
    published = tmp_path / "published.csv"
    published.write_text(f'sheet,ref,national,year\nSocial Care,3.2,"{typed}",2020/21\n', encoding="utf-8")
    one_message(run_cli("issue", template, "--benchmarks", published, "-o", tmp_path / "out.xlsx"),
                f"published.csv, line 2: the value '{typed}' in column national is neither a number")
    lines = (DFE / C1).read_text(encoding="utf-8").splitlines(keepends=True)
    bad = "".join(lines).replace(",Rotherham,Referrals and Re-referrals,3269,580,17.7,",
                                 f',Rotherham,Referrals and Re-referrals,3269,580,"{typed}",')
    (tmp_path / C1).write_text(bad, encoding="utf-8")
    one_message(run_cli("issue", template, "--benchmarks", tmp_path / C1, "-o", tmp_path / "out2.xlsx"),
                f"the value '{typed}' in column rereferral_percent is neither a number")
    thousands = tmp_path / "thousands.csv"  # whole groups of three are thousands, as in the workbook
    thousands.write_text('sheet,ref,national,year\nSocial Care,1.12,"1,321",2020/21\n', encoding="utf-8")
    result = run_cli("issue", template, "--benchmarks", thousands, "-o", tmp_path / "out3.xlsx")
    assert result.returncode == 0, result.stderr


def test_a_dfe_period_written_2021_22_is_a_year_ending_then_never_a_year_long_ago(template, tmp_path):
    """A March 2022 scorecard cannot quote the year to 31 March 2022, however the file writes it."""
    lines = (DFE / C1).read_text(encoding="utf-8").splitlines(keepends=True)
    written = [lines[0]] + [("2020-21" + line[4:]) if line.startswith("2021,") else
                            ("2021-22" + line[4:]) if line.startswith("2022,") else line for line in lines[1:]
                            if line.startswith(("2021,", "2022,"))]
    path = tmp_path / C1
    path.write_text("".join(written).replace("Reporting year", "Financial year"), encoding="utf-8")
    result = run_cli("issue", template, "--benchmarks", path, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr
    assert "figures for 2021/22 are not used: they reach the scorecard's month (March 2022)" in result.stdout
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Social Care"]
    assert ws.cell(12, 31).value == "Nat av. 2020/21"


def test_a_published_percentage_typed_without_its_sign_is_refused_for_a_percent_row(template, tmp_path):
    published = tmp_path / "published.csv"
    published.write_text("sheet,ref,national,year\nSocial Care,3.14,81.8,2020/21\n", encoding="utf-8")
    one_message(run_cli("issue", template, "--benchmarks", published, "-o", tmp_path / "out.xlsx"),
                "published.csv, line 2: national 81.8 for 'Social Care' 3.14", "would print as 8180%. Write it as 81.8%")


# -- a row is rated by the rule whose title is its own --------------------------------------------------------
def test_renumbered_references_are_rated_by_the_rule_of_their_title_and_said(template, tmp_path):
    """3.14 and 3.15 swapped their titles (the references were renumbered): each row is rated by the rule of its
    own title, never by the bands of the indicator its reference once was."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    rows = {str(ws.cell(r, 1).value): r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    stable, placements = ws.cell(rows["3.14"], 2).value, ws.cell(rows["3.15"], 2).value
    ws.cell(rows["3.14"], 2).value, ws.cell(rows["3.15"], 2).value = placements, stable
    card = tmp_path / "renumbered.xlsx"
    wb.save(card)
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    assert (f"'Social Care' row {rows['3.14']} (3.14 '{placements}') is not rated by the rule of its reference, "
            f"'{stable}' (social_care.yaml line") in result.stdout
    rated = openpyxl.load_workbook(out)["Social Care"]
    # 3.14's figures (70.2% in March) under 3.15's rule: low is good, red at 18%+
    assert rated.cell(rows["3.14"], 21).value == "Red" and rated.cell(rows["3.14"], 24).value == "18%+"
    # 3.15's figures (9.3%) under 3.14's rule: high is good, red below 61%
    assert rated.cell(rows["3.15"], 21).value == "Red" and rated.cell(rows["3.15"], 24).value == "<61%"


def test_a_row_without_a_reference_under_another_indicator_is_not_rated_by_its_bands(template, tmp_path):
    """A new measure typed under 3.14 with no REF of its own (or with 3.14's REF cell merged down over it)."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    rows = {str(ws.cell(r, 1).value): r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    new = rows["3.15"]  # the row under 3.14 becomes the new measure: no REF, its own title and bands
    for column, value in {1: None, 2: "% of children seen alone at their visit", 15: 0.5, 16: 0.55, 17: 0.5,
                          18: 0.5, 19: "high", 24: "<40%", 25: "40%+", 26: "45%+"}.items():
        ws.cell(new, column).value = value
    card = tmp_path / "new row.xlsx"
    wb.save(card)
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"'Social Care' row {new} (3.14 '% of children seen alone at their visit') is not rated by the rule" in result.stdout
    # rated from its own bands (45%+ is Green), never 3.14's (<61% would be Red)
    assert openpyxl.load_workbook(out)["Social Care"].cell(new, 21).value == "Green"


# -- tolerances in the row's units, whole at the places the cell shows ---------------------------------------
def _without(tmp_path, ref):
    """The bundled rules less the rule of one Social Care reference."""
    folder = tmp_path / "rules"
    if not folder.exists():
        shutil.copytree(ROOT / "rules", folder)
    text = (folder / "social_care.yaml").read_text(encoding="utf-8")
    start = text.index(f"    - ref: '{ref}'\n")
    end = text.index("    - ref:", start + 10)
    (folder / "social_care.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    return folder


def _rule(tmp_path, ref, bands, polarity="high", title=None):
    folder = _without(tmp_path, ref)
    red, amber, green = bands
    (folder / "ours.yaml").write_text(
        "sheets:\n  Social Care:\n    indicators:\n"
        f"      - ref: '{ref}'\n" + (f"        title: '{title}'\n" if title else "") +
        f"        polarity: {polarity}\n        tolerances: {{red: '{red}', amber: '{amber}', green: '{green}'}}\n",
        encoding="utf-8")
    return folder


@pytest.mark.parametrize("ref, bands, message", [
    ("3.14", ("<0.61", "0.61+", "0.69+"), "the bands are written as fractions, but a % row is rated in percentage points"),
    ("1.12", ("<87%", "87%+", "95%+"), "the bands are in % but the row is formatted '0', so none would apply"),
])
def test_bands_in_other_units_than_the_row_are_refused_with_their_line(template, tmp_path, ref, bands, message):
    rules = _rule(tmp_path, ref, bands)
    one_message(run_cli("issue", template, "--rules", rules, "-o", tmp_path / "out.xlsx"),
                f"ours.yaml, line 4: {message}: Social Care {ref}.")


def test_bands_with_a_gap_at_the_places_the_cell_shows_fail_rules_check(tmp_path):
    rules = _rule(tmp_path, "3.14", ("<=60%", "61%+", "69%+"))
    one_message(run_cli("rules", "check", rules), "ours.yaml, line 4: tolerances of ref 3.14: the bands leave a gap: "
                                                  "60.1% is in no band", "as a '0.0%' cell shows it")


def test_sheet_bands_as_fractions_on_a_percent_row_are_refused_naming_the_cell(template, tmp_path):
    card, rows = card_with(template, tmp_path, {("3.14", "X"): "<0.61", ("3.14", "Y"): "0.61+", ("3.14", "Z"): "0.69+"})
    rules = _without(tmp_path, "3.14")  # rated from the sheet's own bands
    one_message(run_cli("issue", card, "--rules", rules, "-o", tmp_path / "out.xlsx"),
                f"card.xlsx, sheet 'Social Care', cell X{rows['3.14']}: the bands are written as fractions")


# -- 4. never run a stranger's code -------------------------------------------------------------------------
def test_the_addin_takes_no_setting_from_the_open_workbook_and_never_its_folder_as_python_path(tmp_path):
    """xlwings' module reads the interpreter and Python path from the open workbook's cyps_xl.conf sheet or a
    file beside it, and puts the workbook's folder first on sys.path: the built add-in does neither."""
    from test_addin import vba_modules

    from cyps_xl.excel.addin import build_addin
    from xlwings.utils import prepare_sys_path

    vba = vba_modules(build_addin(tmp_path / "cyps_xl.xlam"))["xlwings"]
    assert 'If SheetExists(ActiveWorkbook, PROJECT_NAME & ".conf") = True Then' not in vba
    assert "If FileExists(GetDirectoryConfigFilePath()) = True Then" not in vba
    assert 'GetConfig("ADD_WORKBOOK_TO_PYTHONPATH"' not in vba and 'AddExcelDir = "false"' in vba
    # #30: no settings sheet in the add-in either: the user's file, then the machine's (tests/test_setup.py)
    assert 'If SheetExists(ThisWorkbook, PROJECT_NAME & ".conf") = True Then' not in vba
    assert "GetConfigFromFile(GetMachineConfigFilePath()" in vba
    # the RunPython command's path argument as that VBA builds it, for a scorecard in a folder holding a cyps_xl.py
    planted = tmp_path / "from elsewhere"
    planted.mkdir()
    (planted / "cyps_xl.py").write_text("raise SystemExit('a stranger ran')\n", encoding="utf-8")
    before = list(sys.path)
    try:
        prepare_sys_path(f"false;{planted / 'card.xlsx'};{tmp_path / 'cyps_xl.xlam'};;;")
        assert str(planted) not in sys.path and sys.path == before
    finally:
        sys.path[:] = before


def test_a_yaml_cache_others_could_write_to_is_no_cache_and_entries_are_private(tmp_path, monkeypatch):
    """A planted entry with a rules file's exact bytes but another parse is never trusted: a cache folder that is
    not the user's own, or that others may write to, is not used (as SSH treats ~/.ssh), and entries are 0600."""
    import marshal
    import os
    import stat

    from cyps_xl.engine import yamlcache
    from cyps_xl.engine.yamlfile import load_yaml

    rules = tmp_path / "rules.yaml"
    rules.write_text("sheets:\n  Social Care:\n    indicators:\n      - {ref: '3.14', polarity: high}\n", encoding="utf-8")
    data = rules.read_bytes()
    shared = tmp_path / "shared cache"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("CYPS_XL_CACHE", str(tmp_path / "private"))
    honest = load_yaml(rules)
    entry = next((tmp_path / "private").glob("yaml-*.marshal"))
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600 and stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o700

    def flipped(value):  # the stored parse with polarity high made low: the file's bytes, another meaning
        if isinstance(value, tuple):
            return tuple(flipped(v) for v in value)
        return "low" if value == "high" else value

    form, stored_bytes, encoded = marshal.loads(entry.read_bytes())
    planted = marshal.dumps((form, stored_bytes, flipped(encoded)))
    (shared / entry.name).write_bytes(planted)
    monkeypatch.setenv("CYPS_XL_CACHE", str(shared))
    assert yamlcache.folder() is None
    read = load_yaml(rules)
    assert read["sheets"]["Social Care"]["indicators"][0]["polarity"] == "high" == \
        honest["sheets"]["Social Care"]["indicators"][0]["polarity"]
    assert data == rules.read_bytes()


# -- 3. in place, safe with colleagues and with Excel ---------------------------------------------------------
def _copy(template, tmp_path, name="card.xlsx"):
    path = tmp_path / name
    shutil.copyfile(template, path)
    return path


def test_concurrent_runs_on_one_workbook_lose_no_work(template, tmp_path):
    """Six runs at once, as colleagues would press them: each one either does its work on the file as the one
    before left it, or refuses naming who holds it. No run's work is lost."""
    card = _copy(template, tmp_path)
    commands = [["refresh", card, "--no-backup"], ["check", card]] * 3
    runs = [subprocess.Popen([sys.executable, "-m", "cyps_xl", *map(str, c)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for c in commands]
    results = [(c[0], run.wait(timeout=300), run.stderr.read()) for c, run in zip(commands, runs)]
    for command, code, err in results:
        assert code == 0 or (code == 2 and ("is being updated by cyps-xl for" in err
                                            or "was saved by someone else while cyps-xl worked on it" in err)), err
    assert any(code == 0 for _, code, _ in results)
    book = openpyxl.load_workbook(card)
    if any(command == "check" and code == 0 for command, code, _ in results):
        assert "Data quality" in book.sheetnames  # a check that said it wrote, wrote, and no later run undid it
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


def test_a_workbook_open_in_excel_is_not_written_in_place(template, tmp_path):
    card = _copy(template, tmp_path)
    owner = b"\x09Ann Smith" + b" " * 45  # Excel's owner file: the user's name, length first
    (tmp_path / "~$card.xlsx").write_bytes(owner)
    before = card.read_bytes()
    one_message(run_cli("refresh", card), "card.xlsx: is open in Excel by Ann Smith; cyps-xl will not write it")
    assert card.read_bytes() == before
    assert run_cli("refresh", card, "-o", tmp_path / "elsewhere.xlsx").returncode == 0  # a copy elsewhere is fine


def test_a_save_that_lands_while_the_run_works_is_kept(template, tmp_path, monkeypatch):
    import cyps_xl
    from cyps_xl.errors import CypsError
    from cyps_xl.workbook import saving

    card = _copy(template, tmp_path)
    theirs = (tmp_path / "theirs.xlsx")
    shutil.copyfile(card, theirs)
    openpyxl_book = openpyxl.load_workbook(theirs)
    openpyxl_book["Social Care"]["B2"] = "saved in Excel meanwhile"
    openpyxl_book.save(theirs)
    original = saving._write_archive

    def slow_save(raw, members, infos):  # while cyps-xl writes its copy, a colleague saves the workbook
        shutil.copyfile(theirs, card)
        return original(raw, members, infos)

    monkeypatch.setattr(saving, "_write_archive", slow_save)
    with pytest.raises(CypsError, match="was saved by someone else while cyps-xl worked on it; their save is kept"):
        cyps_xl.refresh(card, backup=False)
    assert card.read_bytes() == theirs.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.xlsx", "theirs.xlsx"]


def test_backups_are_unique_within_a_second_and_killed_runs_temporaries_go(template, tmp_path):
    from cyps_xl.workbook import saving

    card = _copy(template, tmp_path)
    first, second = saving.keep_backup(card), saving.keep_backup(card)
    assert first != second and first.read_bytes() == second.read_bytes() == card.read_bytes()
    dead = tmp_path / f".card.backup-20220101-101010.xlsx.{saving._HOST}.999999999.tmp"  # this computer, pid gone
    theirs = tmp_path / ".card.xlsx.other-computer.4242.abc123.tmp"  # another computer's run, in a shared folder
    stale = tmp_path / ".card.xlsx.other-computer.4243.def456.tmp"
    for temp in (dead, theirs, stale):
        temp.write_bytes(b"half a file")
    old = time.time() - 2 * 24 * 3600
    __import__("os").utime(stale, (old, old))
    assert run_cli("refresh", card).returncode == 0
    assert not dead.exists() and not stale.exists()
    assert theirs.exists()  # its PID means nothing here: kept until it is a day old


def test_the_file_as_the_user_had_it_permissions_read_only_and_links(template, tmp_path):
    import os
    import stat

    private = _copy(template, tmp_path, "private.xlsx")
    os.chmod(private, 0o600)
    assert run_cli("refresh", private, "--no-backup").returncode == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    locked = _copy(template, tmp_path, "locked.xlsx")
    os.chmod(locked, 0o444)
    before = locked.read_bytes()
    one_message(run_cli("refresh", locked, "--no-backup"), "locked.xlsx: is read-only, so it is not replaced.")
    assert locked.read_bytes() == before
    real = _copy(template, tmp_path, "real.xlsx")
    link = tmp_path / "shortcut.xlsx"
    link.symlink_to(real)
    before = real.read_bytes()
    assert run_cli("refresh", link, "--no-backup").returncode == 0
    assert link.is_symlink() and link.resolve() == real and real.read_bytes() != before


# -- 2. never write over what cyps-xl did not make -----------------------------------------------------------
def test_no_output_replaces_a_file_cyps_xl_did_not_write(template, tmp_path):
    card = _copy(template, tmp_path)
    budget = tmp_path / "Budget.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "the council's budget"
    wb.save(budget)
    rules = tmp_path / "rules.yaml"
    rules.write_text("# kept by hand\nsheets: {}\n", encoding="utf-8")
    dfe = tmp_path / C1
    dfe.write_bytes((DFE / C1).read_bytes())
    team_pdf = tmp_path / "card Issue 2.pdf"
    team_pdf.write_bytes(b"%PDF-1.4 the team's own")
    kept = {p: p.read_bytes() for p in (budget, rules, dfe, team_pdf, card)}
    refused = "is there already and was not written by cyps-xl (or was changed since), so it is not replaced."
    one_message(run_cli("issue", card, "-o", budget), f"Budget.xlsx: {refused}")
    one_message(run_cli("refresh", card, "-o", rules), f"rules.yaml: {refused}")
    one_message(run_cli("refresh", card, "-o", dfe), f"{C1}: {refused}")
    one_message(run_cli("rules", "import", card, "-o", rules), f"rules.yaml: {refused} It may hold rules kept by hand: "
                f"import to a new file (-o {tmp_path / 'rules.imported.yaml'})")
    one_message(run_cli("rules", "schema", "-o", card), f"card.xlsx: {refused}")
    one_message(run_cli("issue", card, "--pdf", "-o", tmp_path / "card Issue 2.xlsx"), f"card Issue 2.pdf: {refused}")
    assert {p: p.read_bytes() for p in kept} == kept
    assert not (tmp_path / "card Issue 2.xlsx").exists()
    # what cyps-xl wrote it may write again; --force replaces the rest
    assert run_cli("issue", card, "-o", tmp_path / "issued.xlsx").returncode == 0
    assert run_cli("issue", card, "-o", tmp_path / "issued.xlsx").returncode == 0
    assert run_cli("rules", "import", card, "-o", rules, "--force").returncode == 0
    assert rules.read_bytes() != kept[rules]
    edited = tmp_path / "issued.xlsx"  # an output the team has since changed is the team's again
    with zipfile.ZipFile(edited, "a") as z:
        z.writestr("customXml/note.xml", "<note/>")
    one_message(run_cli("issue", card, "-o", edited), f"issued.xlsx: {refused}")


def test_refresh_of_a_macro_workbook_is_not_written_under_an_xlsx_name(tmp_path):
    from test_openxml_audit import fidelity_workbook

    source = fidelity_workbook(tmp_path / "card.xlsm")  # VBA and a ribbon, as the team's working copy has
    one_message(run_cli("refresh", source, "-o", tmp_path / "out.xlsx"),
                "out.xlsx: the scorecard keeps macros (.xlsm), and a refresh keeps everything")
    assert run_cli("refresh", source, "-o", tmp_path / "out.xlsm").returncode == 0


def test_a_ref_cell_merged_down_over_the_next_indicator_does_not_give_it_its_rule(template, tmp_path):
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    rows = {str(ws.cell(r, 1).value): r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    ws.merge_cells(f"A{rows['3.14']}:A{rows['3.15']}")  # 3.15's REF now reads blank: a row of 3.14, by the sheet
    card = tmp_path / "merged.xlsx"
    wb.save(card)
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    title = ws.cell(rows["3.15"], 2).value
    assert f"'Social Care' row {rows['3.15']} (3.14 '{title}') is not rated by the rule of its reference" in result.stdout
    assert "It is rated by '% of LAC who have had 3 or more placements" in result.stdout  # its own title's rule
    rated = openpyxl.load_workbook(out)["Social Care"]
    assert rated.cell(rows["3.15"], 24).value == "18%+" and rated.cell(rows["3.15"], 21).value == "Green"
