"""Labels that are true: the issue number a file is named with is the one its pages print; footers carry a UK date;
a PDF that cannot be made does not fail the issue."""
import datetime as dt
import html
import re
import zipfile

import openpyxl
import pytest

from conftest import run_cli


def footers(path):
    """Each worksheet's printed footer, as Excel reads it."""
    with zipfile.ZipFile(path) as z:
        return [html.unescape(m.group(1)) for name in z.namelist() if name.startswith("xl/worksheets/sheet")
                for m in re.finditer(r"<(?:\w+:)?oddFooter>(.*?)</(?:\w+:)?oddFooter>", z.read(name).decode())]


def test_issuing_twice_names_and_prints_the_same_next_number(template, tmp_path):
    card = tmp_path / "CYPS Scorecard March 2022.xlsx"
    card.write_bytes(template.read_bytes())
    first = run_cli("issue", card)
    second = run_cli("issue", card)
    assert first.returncode == second.returncode == 0, second.stderr
    issue2, issue3 = tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx", tmp_path / "CYPS Scorecard March 2022 Issue 3.xlsx"
    assert f"Issued: {issue3} (Issue 3)" in second.stdout
    for path, number in ((issue2, 2), (issue3, 3)):
        wb = openpyxl.load_workbook(path)
        statuses = {ws.title: ws["A4"].value for ws in wb.worksheets if ws["A4"].value and "Status" in str(ws["A4"].value)}
        assert set(statuses.values()) == {f"Status: Issue {number}"}, statuses
        printed = [f for f in footers(path) if "Issue" in f and "&C" in f]
        assert printed and all(f'&C&10&"-,Regular"Issue {number}&R' in f for f in printed)


def test_footers_carry_the_date_as_text_in_uk_order(template, tmp_path):
    import cyps_xl

    out = cyps_xl.issue(template, tmp_path / "issued.xlsx", today=dt.date(2026, 11, 27)).output
    printed = [f for f in footers(out) if "Issue" in f and "&C" in f]
    assert printed and all(f.endswith('&R&10&"-,Regular"Page &P of &N - 27/11/2026') and "&D" not in f
                           for f in printed)


def test_a_pdf_that_cannot_be_made_is_a_warning_not_a_failure(template, tmp_path, monkeypatch):
    broken = tmp_path / "soffice"
    broken.write_text("#!/bin/sh\necho 'no display' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("CYPS_XL_SOFFICE", str(broken))
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", template, "--pdf", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "No PDF: " in result.stdout and "LibreOffice could not convert the workbook to PDF" in result.stdout
    assert f"Issued: {out}" in result.stdout and out.exists() and not out.with_suffix(".pdf").exists()


def sheet_names(path):
    return openpyxl.load_workbook(path).sheetnames


def test_reissuing_an_issue_replaces_its_own_sheets(template, tmp_path):
    import cyps_xl

    first = cyps_xl.issue(template, tmp_path / "Issue 2.xlsx", today=dt.date(2022, 5, 20)).output
    again = cyps_xl.issue(first, tmp_path / "Issue 3.xlsx", today=dt.date(2022, 6, 20)).output
    assert sheet_names(first) == sheet_names(again) == ["Summary", "Early Help", "Social Care", "Commentary"]
    assert openpyxl.load_workbook(again)["Social Care"]["A4"].value == "Status: Issue 3"


def test_a_teams_own_sheets_of_those_names_are_never_replaced(template, tmp_path):
    import cyps_xl

    card = tmp_path / "card.xlsx"
    wb = openpyxl.load_workbook(template)
    for name in ("summary", "DATA QUALITY"):  # Excel treats these as the same names as Summary, Data quality
        wb.create_sheet(name)["A1"] = f"the team's {name}"
    wb.save(card)
    result = run_cli("check", card)
    assert result.returncode == 0, result.stderr
    assert "Written to the 'Data quality (cyps-xl)' sheet" in result.stdout
    after = openpyxl.load_workbook(card)
    assert after["DATA QUALITY"]["A1"].value == "the team's DATA QUALITY"
    assert after["Data quality (cyps-xl)"]["A3"].value == "Check"
    issued = cyps_xl.issue(card, tmp_path / "issued.xlsx", today=dt.date(2022, 5, 20)).output
    names = sheet_names(issued)
    assert names[0] == "Issue summary" and "summary" in names and "DATA QUALITY" in names
    assert "Data quality (cyps-xl)" not in names  # cyps-xl's own report stays in the working copy
    assert openpyxl.load_workbook(issued)["summary"]["A1"].value == "the team's summary"


def test_the_demo_never_replaces_a_teams_files(tmp_path):
    team = tmp_path / "CYPS Scorecard March 2022.xlsx"
    team.write_bytes(b"the team's own scorecard")
    result = run_cli("demo", "-o", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "CYPS Scorecard March 2022.xlsx: already exists and is not the demo's copy of the template" in result.stderr
    assert team.read_bytes() == b"the team's own scorecard" and sorted(p.name for p in tmp_path.iterdir()) == [team.name]
    # in a folder of its own, a second run keeps the first run's issue and writes the next
    folder = tmp_path / "demo"
    assert run_cli("demo", "-o", folder).returncode == 0
    first = (folder / "CYPS Scorecard March 2022 Issue 2.xlsx").read_bytes()
    again = run_cli("demo", "-o", folder)
    assert again.returncode == 0, again.stderr
    assert (folder / "CYPS Scorecard March 2022 Issue 2.xlsx").read_bytes() == first
    assert (folder / "CYPS Scorecard March 2022 Issue 3.xlsx").exists()
    assert run_cli("demo", "-o", team).returncode == 2


def test_a_hidden_copy_of_last_year_is_neither_rated_nor_counted(template, tmp_path):
    import shutil

    import cyps_xl

    card = tmp_path / "card.xlsx"
    wb = openpyxl.load_workbook(template)
    copy = wb.copy_worksheet(wb["Social Care"])
    copy.title = "Social Care 2021"
    copy.sheet_state = "hidden"
    wb.save(card)
    plain = cyps_xl.issue(template, tmp_path / "plain.xlsx", today=dt.date(2022, 5, 20))
    report = cyps_xl.issue(card, tmp_path / "issued.xlsx", today=dt.date(2022, 5, 20))
    assert set(report.results) == {"Early Help", "Social Care"}
    assert "Hidden sheet(s) not rated: 'Social Care 2021' (include_hidden_sheets: true in settings.yaml rates them)." \
        in report.notes
    summary = lambda path: [[c.value for c in row] for row in openpyxl.load_workbook(path)["Summary"].iter_rows()]  # noqa: E731
    assert summary(report.output) == summary(plain.output)
    rules = tmp_path / "rules"
    shutil.copytree(__import__("conftest").ROOT / "rules", rules)
    (rules / "settings.yaml").write_text((rules / "settings.yaml").read_text().replace(
        "include_hidden_sheets: false", "include_hidden_sheets: true"), encoding="utf-8")
    counted = cyps_xl.issue(card, tmp_path / "counted.xlsx", rules=rules, today=dt.date(2022, 5, 20))
    assert set(counted.results) == {"Early Help", "Social Care", "Social Care 2021"}


@pytest.mark.parametrize("view", [None, "corporate_parenting", "members"])
def test_every_font_colour_the_tool_writes_reads_on_its_fill(template, tmp_path, view):
    """WCAG AA, 4.5:1, for every coloured text cyps-xl writes: arrows on the scorecard, each report view and the
    tiles."""
    import cyps_xl
    from cyps_xl.engine.contrast import AA, contrast
    from cyps_xl.workbook.changes import CellChange

    report = cyps_xl.issue(template, tmp_path / "issued.xlsx", today=dt.date(2022, 5, 20), report=view)
    wb = openpyxl.load_workbook(report.output)
    written = {(c.sheet, c.row, c.column) for c in report.changes
               if isinstance(c, CellChange) and c.style is not None and c.style.font_color}
    written |= {("Summary", cell.row, cell.column) for row in wb["Summary"].iter_rows() for cell in row
                if cell.value is not None}
    checked = 0
    for sheet, row, column in written:
        cell = wb[sheet].cell(row, column)
        font = cell.font.color.rgb if cell.font.color is not None and cell.font.color.type == "rgb" else "FF000000"
        fill = cell.fill.fgColor.rgb if cell.fill.patternType == "solid" else "FFFFFFFF"
        assert contrast(font[-6:], fill[-6:]) >= AA, (sheet, cell.coordinate, font, fill, cell.value)
        checked += 1
    assert checked > (100 if view is None else 30)
    tiles = [wb["Summary"].cell(7, c).value for c in (1, 4, 7) if wb["Summary"].cell(7, c).value]
    assert all(t == "no change measured" or any(w in t for w in ("improving", "declining", "since")) for t in tiles)


def test_an_arrow_colour_that_does_not_read_is_refused(tmp_path):
    import shutil

    from cyps_xl.engine.rules import load_rules
    from cyps_xl.errors import CypsError
    from conftest import ROOT

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    text = (rules / "settings.yaml").read_text(encoding="utf-8").replace('improving: "007A33"', 'improving: "00B050"')
    (rules / "settings.yaml").write_text(text, encoding="utf-8")
    import pytest

    with pytest.raises(CypsError, match=r"settings.yaml, line 18: the improving arrow colour '00B050' has a contrast of "
                                        r"2.9:1 on white; readers need 4.5:1 \(WCAG AA\)"):
        load_rules(rules)


def test_every_colour_the_bundled_template_chose_reads_at_wcag_aa(template):
    """The template's own section bands, group headings and heading rows: its text reads on its fill at 4.5:1 or
    more (white on the old #8EA9DB bands was 2.4:1)."""
    from cyps_xl.engine.contrast import AA, contrast

    wb = openpyxl.load_workbook(template)
    checked = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None or cell.fill.patternType != "solid":
                    continue
                font = cell.font.color.rgb if cell.font.color is not None and cell.font.color.type == "rgb" else "FF000000"
                fill = cell.fill.fgColor.rgb
                assert isinstance(fill, str), (ws.title, cell.coordinate)
                assert contrast(font[-6:], fill[-6:]) >= AA, (ws.title, cell.coordinate, font, fill, cell.value)
                checked += 1
    assert checked > 50
