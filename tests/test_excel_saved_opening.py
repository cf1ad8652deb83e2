"""Issue #25 on workbooks Microsoft Excel saved (``tests/fixtures/excel_saved``, see its SOURCE.md), not on files
cyps-xl or openpyxl made: each feature is in the XML as Excel wrote it, and a scorecard sheet is added beside it,
as the team adds theirs to a workbook they already keep. What Excel would show on opening each output is read
from the saved XML (``opening``), and every command is run through the real CLI.

- sheets saved grouped (XlsxWriter's simple03.xlsx: two tabs selected);
- the active tab just past a hidden sheet (POI's TwoSheetsOneHidden.xlsx);
- a custom view naming a sheet (POI's 61495-test.xlsm, macro-enabled);
- a locked structure (POI's workbookProtection_workbook_structure_protected.xlsx, from Excel for Mac);
- a protected sheet (POI's sheetProtection_allLocked.xlsx);
- 40 ActiveX check boxes in Excel 2007's layout (POI's 45540_form_Header.xlsx);
- a counting formula with its calculation chain (POI's 56822-Countifs.xlsx).
"""
import os
import re
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from conftest import ROOT, run_cli
from test_excel_opens import opening

EXCEL_SAVED = ROOT / "tests" / "fixtures" / "excel_saved"

# A scorecard as a team lays one out: its own references, so it is rated from its own columns.
SCORECARD = [
    ["Members' Performance Report"], [], [],
    ["REF", "Indicator title", "DATA NOTE", "Jan-22", "Feb-22", "Mar-22", "Good perf is", "Red", "Amber", "Green",
     "DOT", "RAG (month)"],
    ["M1", "Number of children subject to a child protection plan", "Number", 300, 310, 320, "low", "330+", "310+",
     "<310"],
    ["M2", "Number of care leavers in education, employment or training", "Number", 40, 42, 45, "high", "<40", "40+",
     "44+"],
    ["M3", "Number of children missing from care", "Number", 20, 18, 25, "low", "24+", "20+", "<20"],
]
RAGS = {"M1": "Amber", "M2": "Green", "M3": "Red"}  # 320 low against 330+/310+/<310; 45 high >= 44; 25 low >= 24


def with_a_scorecard(host: str, tmp_path, sheet: str = "Scorecard", rows=SCORECARD, name="card"):
    """A copy of the Excel-saved ``host`` with the scorecard written into ``sheet`` (added when the workbook has no
    sheet of that name). Only that sheet's cells are new; every other part is as Excel saved it."""
    from cyps_xl.workbook.package import Package

    source = EXCEL_SAVED / host
    card = tmp_path / f"{name}{source.suffix}"
    package = Package(source)
    package.put_sheet(sheet, rows)
    package.save(card)
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(card) as after:
        untouched = [n for n in before.namelist() if not n.startswith(("xl/worksheets/", "xl/workbook.xml", "xl/_rels",
                                                                        "[Content_Types]", "xl/sharedStrings"))]
        assert all(before.read(n) == after.read(n) for n in untouched)
    return card


def ratings(path, sheet="Scorecard"):
    ws = openpyxl.load_workbook(path)[sheet]
    return {row[0]: row[11] for row in ws.iter_rows(min_row=5, values_only=True) if row[0] in RAGS}


@pytest.mark.parametrize("command", ["issue", "refresh", "check"])
def test_sheets_excel_saved_grouped_open_on_one_tab(tmp_path, command):
    card = with_a_scorecard("xlsxwriter/simple03.xlsx", tmp_path)
    active, selected, _, _ = opening(card)
    assert (active, selected) == ("Sheet3", ["Data Sheet", "Sheet3"])  # as Excel saved it: grouped
    out = tmp_path / "out.xlsx"
    result = run_cli(command, card, *([] if command == "check" else ["-o", out]))
    assert result.returncode == 0, result.stderr
    active, selected, first, states = opening(card if command == "check" else out)
    assert selected == [active] and states[active] == states[first] == "visible"
    assert active == ("Summary" if command == "issue" else "Sheet3")  # the tab Excel opened on, kept
    if command != "check":
        assert ratings(out) == RAGS


@pytest.mark.parametrize("command", ["issue", "refresh"])
def test_an_active_tab_just_past_a_hidden_sheet_never_becomes_the_hidden_one(tmp_path, command):
    """Excel saved Sheet1 hidden at tab 0 and Sheet2 active at tab 1. An issue puts its Summary first: left as it
    was, activeTab 1 would open on the hidden Sheet1."""
    card = with_a_scorecard("poi/TwoSheetsOneHidden.xlsx", tmp_path)
    assert opening(card)[0] == "Sheet2" and opening(card)[3]["Sheet1"] == "hidden"
    out = tmp_path / "out.xlsx"
    assert run_cli(command, card, "-o", out).returncode == 0
    active, selected, first, states = opening(out)
    assert states["Sheet1"] == "hidden" and "Sheet1" not in selected and first != "Sheet1"
    assert selected == [active] and active == ("Summary" if command == "issue" else "Sheet2")


@pytest.mark.parametrize("command", ["issue", "refresh"])
def test_a_custom_view_excel_saved_names_a_sheet_it_can_show(tmp_path, command):
    """61495-test.xlsm: a personal view (View > Custom Views) whose active sheet id names no sheet any more."""
    card = with_a_scorecard("poi/61495-test.xlsm", tmp_path)
    out = tmp_path / ("out.xlsx" if command == "issue" else "out.xlsm")
    result = run_cli(command, card, "-o", out)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as z:
        workbook = z.read("xl/workbook.xml").decode()
    shown = dict(re.findall(r'<sheet name="([^"]+)" sheetId="(\d+)"(?![^>]*state=)', workbook))
    views = re.findall(r'<customWorkbookView [^>]*activeSheetId="(\d+)"', workbook)
    assert views and all(v in shown.values() for v in views)
    assert opening(out)[1] == [opening(out)[0]]


def test_a_structure_excel_locked_gets_no_new_sheet_unless_allowed(tmp_path):
    card = with_a_scorecard("poi/workbookProtection_workbook_structure_protected.xlsx", tmp_path)
    before = card.read_bytes()
    for args in (["issue", card, "-o", tmp_path / "out.xlsx"], ["check", card]):
        result = run_cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert ("card.xlsx: its structure is protected (Review > Protect Workbook), and this run adds sheets to it. "
                "Unprotect the workbook, or add --allow-protected to write it anyway.") in result.stderr
    assert card.read_bytes() == before and not (tmp_path / "out.xlsx").exists()
    refreshed = tmp_path / "refreshed.xlsx"  # refresh adds no sheet: nothing to refuse
    assert run_cli("refresh", card, "-o", refreshed).returncode == 0 and ratings(refreshed) == RAGS
    allowed = tmp_path / "allowed.xlsx"
    assert run_cli("issue", card, "-o", allowed, "--allow-protected").returncode == 0
    with zipfile.ZipFile(allowed) as z:
        assert '<workbookProtection lockStructure="1"/>' in z.read("xl/workbook.xml").decode()  # the lock kept
    assert opening(allowed)[0] == "Summary"


@pytest.mark.parametrize("command", ["issue", "refresh", "check"])
def test_a_sheet_excel_protected_gets_no_written_cell_unless_allowed(tmp_path, command):
    """check writes in the team's sheet only to note a figure revised since last month's issue (--previous)."""
    card = with_a_scorecard("poi/sheetProtection_allLocked.xlsx", tmp_path, sheet="Foglio1")
    before = card.read_bytes()
    out = tmp_path / "out.xlsx"
    args = ["-o", out]
    if command == "check":
        revised = [list(row) for row in SCORECARD]
        revised[4][3] = 290  # M1's January, as last month's issue had it
        args = ["--previous", with_a_scorecard("poi/sheetProtection_allLocked.xlsx", tmp_path, sheet="Foglio1",
                                                rows=revised, name="last month")]
    result = run_cli(command, card, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("card.xlsx, sheet 'Foglio1': is protected (Review > Protect Sheet), and this run writes cells in it. "
            "Unprotect the sheet, or add --allow-protected to write it anyway.") in result.stderr
    assert card.read_bytes() == before and not out.exists()
    result = run_cli(command, card, *args, "--allow-protected")
    assert result.returncode == 0, result.stderr
    written = card if command == "check" else out
    with zipfile.ZipFile(written) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<sheetProtection [^>]*sheet="1"', sheet)  # the protection is the team's: kept
    if command != "check":
        assert ratings(out, "Foglio1") == RAGS


def _parts_and_links(path):
    """(parts, [(source, target) of every internal relationship whose target is missing], content-type overrides)."""
    from posixpath import dirname, join, normpath

    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        dangling = []
        for rels in (n for n in names if n.endswith(".rels")):
            folder = dirname(dirname(rels))
            for target, mode in re.findall(r'Target="([^"]+)"(?: TargetMode="(\w+)")?', z.read(rels).decode()):
                if mode != "External":
                    part = target.lstrip("/") if target.startswith("/") else normpath(join(folder, target))
                    if part not in names:
                        dangling.append((rels, part))
        overrides = re.findall(r'PartName="/([^"]+)"', z.read("[Content_Types].xml").decode())
    return names, dangling, overrides


def test_an_issue_drops_activex_controls_excel_saved_whole_and_the_working_copy_keeps_them(tmp_path):
    """45540_form_Header.xlsx: 40 ActiveX check boxes, each an activeX*.xml part, a <control> and a VML shape
    numbered in o:spid (id is the control's name), showing two EMF pictures; and a JPEG in a DrawingML drawing."""
    card = with_a_scorecard("poi/45540_form_Header.xlsx", tmp_path)
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    names, dangling, overrides = _parts_and_links(out)
    assert not [n for n in names if "activeX" in n or n.endswith((".emf", ".vml"))]
    assert dangling == [] and all(o in names for o in overrides)
    assert "xl/media/image1.jpeg" in names and "xl/drawings/drawing1.xml" in names  # the picture is not a control
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<controls" not in sheet and "<legacyDrawing" not in sheet
    assert re.search(r"Left out of the issue with what used them: xl/activeX/activeX1\.xml, .* and \d+ more\.",
                     result.stdout)
    assert ratings(out) == RAGS
    refreshed = tmp_path / "refreshed.xlsx"  # the working copy is the team's: every control stays as Excel wrote it
    assert run_cli("refresh", card, "-o", refreshed).returncode == 0
    with zipfile.ZipFile(card) as a, zipfile.ZipFile(refreshed) as b:
        kept = [n for n in a.namelist() if "activeX" in n or n.endswith((".emf", ".vml", ".vml.rels"))]
        assert len(kept) > 40 and all(a.read(n) == b.read(n) for n in kept)
        assert a.read("xl/worksheets/_rels/sheet1.xml.rels") == b.read("xl/worksheets/_rels/sheet1.xml.rels")


def _counting_the_reds(tmp_path, saved: int):
    """Excel's COUNTIFS cell (with its style, its saved result and its place in the calculation chain) made to count
    the scorecard's Reds, with the result saved before the ratings were written."""
    card = with_a_scorecard("poi/56822-Countifs.xlsx", tmp_path)
    counted = tmp_path / "counted.xlsx"
    with zipfile.ZipFile(card) as z, zipfile.ZipFile(counted, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                excel = '<f>COUNTIFS(A3:A8,"a",B3:B8,1)</f><v>2</v>'
                assert excel in text and "xl/calcChain.xml" in z.namelist()
                data = text.replace(excel, f'<f>COUNTIF(Scorecard!L5:L7,"Red")</f><v>{saved}</v>').encode()
            out.writestr(info, data)
    return counted


def test_refresh_asks_excel_to_recalculate_a_count_excel_saved_over_the_ratings(tmp_path):
    counted = _counting_the_reds(tmp_path, saved=0)
    out = tmp_path / "refreshed.xlsx"
    result = run_cli("refresh", counted, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "'Sheet1'!D1" in result.stdout
    with zipfile.ZipFile(out) as z:
        assert re.search(r'<calcPr [^>]*fullCalcOnLoad="1"', z.read("xl/workbook.xml").decode())


def test_an_issue_freezes_a_count_excel_saved_at_its_true_result_or_refuses(tmp_path):
    counted = _counting_the_reds(tmp_path, saved=0)
    no_libreoffice = {k: v for k, v in os.environ.items() if k != "CYPS_XL_SOFFICE"}
    no_libreoffice["PATH"] = str(tmp_path)
    refused = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(counted), "-o", str(tmp_path / "no.xlsx")],
                             capture_output=True, text=True, env=no_libreoffice)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert ("counted.xlsx, sheet 'Sheet1', cell D1: this formula reads 'Scorecard'!L5" in refused.stderr
            and not (tmp_path / "no.xlsx").exists())
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is needed: apt-get install libreoffice-calc-nogui")
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", counted, "-o", out)
    assert result.returncode == 0, result.stderr
    issued = openpyxl.load_workbook(out)
    reds = list(ratings(out).values()).count("Red")
    assert issued["Sheet1"]["D1"].value == reds == 1  # not the 0 saved before the ratings were written
    with zipfile.ZipFile(out) as z:
        assert "xl/calcChain.xml" not in z.namelist() and "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("host", ["poi/45540_form_Header.xlsx", "poi/56822-Countifs.xlsx", "xlsxwriter/simple03.xlsx"])
def test_a_second_refresh_of_an_excel_saved_workbook_is_byte_identical(tmp_path, host):
    """Excel's styles.xml (x14ac declarations, Excel's own fonts and fills) read back and compared by meaning: the
    month after, the same ratings add nothing."""
    card = with_a_scorecard(host, tmp_path)
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    assert run_cli("refresh", card, "-o", once).returncode == 0
    assert run_cli("refresh", once, "-o", twice).returncode == 0
    with zipfile.ZipFile(once) as a, zipfile.ZipFile(twice) as b:
        assert a.namelist() == b.namelist() and [n for n in a.namelist() if a.read(n) != b.read(n)] == []
