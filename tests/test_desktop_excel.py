"""The ribbon buttons on desktop Excel, driven through a stand-in with xlwings' API surface (tests/fakexl.py).

xlwings' remote engine covers the shared path; this covers what only desktop
Excel has: multi-area style writes, sparklines through ``.api``, the backup
through ``SaveCopyAs``, PDF export, the status bar, the config sheet, OneDrive
paths, read-only files, and Excel's settings restored whatever fails.  Every
write lands in a real openpyxl workbook, so the tests check results.
"""
import datetime as dt
import re
import shutil

import pytest

import cyps_xl
from cyps_xl.excel import ribbon as live
from cyps_xl.workbook.changes import CellChange, SparklineChange, cell_changes
from cyps_xl.workbook.reader import open_workbook
from cyps_xl.excel.xlwings_writer import current_style
from conftest import DATA, ROOT
from fakexl import FakeApp, desktop_book

BENCH = DATA / "sample_benchmarks.csv"
PROPS = ("fill", "font_color", "bold", "italic", "number_format")


@pytest.fixture
def book(template, tmp_path):
    return desktop_book(template, tmp_path)


def state(ws, row, col):
    cell = ws.cell(row, col)
    return {"value": cell.value, **{p: current_style(cell, p) for p in PROPS}}


def test_refresh_on_desktop_excel_gives_the_headless_cells_and_says_so(book, template, tmp_path):
    headless = cyps_xl.refresh(template, tmp_path / "headless.xlsx", benchmarks=BENCH)
    result = live.refresh_ratings(book, benchmarks=BENCH)
    assert result is not None, book.app.alerts
    expected = open_workbook(headless.output)
    owned = {(c.sheet, c.row, c.column) for c in cell_changes(headless.changes) if isinstance(c, CellChange)}
    assert len(owned) > 2000
    different = [(s, r, c) for s, r, c in owned if state(book.wb[s], r, c) != state(expected[s], r, c)]
    assert different == []
    # styles went out as multi-area ranges, one call per value, values as blocks
    styled = [call for call in book.app.calls if call[0] in ("color", "font.color", "font.bold", "number_format")]
    assert any("," in call[2] for call in styled)
    assert sum(result.calls.values()) == len([c for c in book.app.calls if c[0] in
                                              ("value", "color", "font.color", "font.bold", "font.italic",
                                               "number_format", "SparklineGroups.Add")])
    # the missing trend sparkline was created through Excel's API, over the row's own history
    created = [c for c in headless.changes if isinstance(c, SparklineChange)]
    missing = [c for c in created if c.target not in _sparkline_cells(template, c.sheet)]
    assert len(missing) == 1 and len(book.sparklines) == 1
    sheet, address, kind, source = book.sparklines[0]
    assert (sheet, address.replace("$", ""), kind, source) == (missing[0].sheet, missing[0].target, 2, missing[0].source)
    # the backup is the workbook as it was, beside it
    assert result.backup.parent == book.path.parent and result.backup.name.startswith("CYPS Scorecard March 2022.backup-")
    assert open_workbook(result.backup)["Social Care"]["U20"].value == open_workbook(template)["Social Care"]["U20"].value
    # progress on the status bar, then the result in a message box, then Excel's settings as they were
    assert book.app.status_history[0] == "cyps-xl: keeping a backup copy…" and book.app.status_history[-1] is False
    assert any(str(text).startswith("cyps-xl: writing") for text in book.app.status_history)
    alert = book.app.alerts[-1]
    assert alert["mode"] == "info" and alert["title"] == "cyps-xl: Refresh ratings"
    assert alert["prompt"].startswith("113 indicator rows on 2 sheet(s)") and str(result.backup) in alert["prompt"]
    assert (book.app.screen_updating, book.app.enable_events, book.app.calculation) == (True, True, "automatic")


def _sparkline_cells(path, sheet):
    from cyps_xl.workbook.package import Package

    return set(Package(path).sheet(sheet).sparklines())


def test_produce_issue_names_the_file_and_exports_the_pdf_through_excel(book, tmp_path):
    (tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx").write_bytes(b"an earlier issue")
    result = live.produce_issue(book, today=dt.date(2022, 5, 20))
    assert result.issued == tmp_path / "CYPS Scorecard March 2022 Issue 3.xlsx"
    assert (tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx").read_bytes() == b"an earlier issue"
    assert result.pdf == result.issued.with_suffix(".pdf") and result.pdf.exists()
    opened = book.app.books.opened
    assert len(opened) == 1 and opened[0].path == result.issued and opened[0].closed
    prompt = book.app.alerts[-1]["prompt"]
    assert f"Issued: {result.issued}" in prompt and f"PDF: {result.pdf}" in prompt
    assert open_workbook(result.issued)["Social Care"]["A4"].value == "Status: Issue 2"


def test_check_data_writes_its_sheet_and_rewrites_it_next_time(book):
    first = live.check_data(book)
    assert first is not None, book.app.alerts
    sheet = book.wb[live.DATA_QUALITY]
    assert [c.value for c in sheet[1]] == ["Check", "Sheet", "Cell", "Indicator", "Finding"]
    assert book.app.alerts[-1]["prompt"].startswith(f"{sheet.max_row - 1} finding(s) written to the 'Data quality' sheet.")
    live.check_data(book)
    assert ("clear_contents", live.DATA_QUALITY) in book.app.calls
    assert len([c for c in book.app.calls if c[0] == "add_sheet"]) == 1


def test_check_data_knows_its_sheet_by_the_marker_the_headless_path_reads(book, tmp_path):
    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.parts import OWN_MARK

    live.check_data(book)
    added = [c for c in book.app.calls if c[0] == "names.add"]
    assert added == [("names.add", "Data quality", OWN_MARK, "=TRUE")]
    book.save(tmp_path / "saved.xlsx")  # as Excel saves it: the marker is a hidden sheet-level name
    assert Package(tmp_path / "saved.xlsx").own_sheets() == {"Data quality"}
    assert book.wb["Data quality"].defined_names[OWN_MARK].hidden


def test_check_data_leaves_a_teams_own_data_quality_sheet_alone(template, tmp_path):
    import openpyxl

    card = tmp_path / "team.xlsx"
    wb = openpyxl.load_workbook(template)
    wb.create_sheet("DATA QUALITY")["A1"] = "the team's own log"  # another case: the same name to Excel
    wb.save(card)
    (tmp_path / "open").mkdir()
    team = desktop_book(card, tmp_path / "open")
    live.check_data(team)
    assert team.wb["DATA QUALITY"]["A1"].value == "the team's own log"
    assert ("clear_contents", "DATA QUALITY") not in team.app.calls
    assert team.wb["Data quality (cyps-xl)"]["A1"].value == "Check"
    assert "written to the 'Data quality (cyps-xl)' sheet" in team.app.alerts[-1]["prompt"]
    live.check_data(team)  # the next run rewrites its own sheet, and adds none
    assert team.wb.sheetnames.count("Data quality (cyps-xl)") == 1 and "Data quality (cyps-xl) 2" not in team.wb.sheetnames
    assert ("clear_contents", "Data quality (cyps-xl)") in team.app.calls


def test_check_data_puts_a_note_on_each_revised_cell(book, template, tmp_path):
    import openpyxl

    previous = tmp_path / "previous issue.xlsx"
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    row = next(r for r in range(14, 94) if ws.cell(r, 1).value == "3.1")
    old = ws.cell(row, 16).value
    ws.cell(row, 16).value = old + 7  # February as the previous issue had it
    wb.save(previous)
    result = live.check_data(book, previous=previous)
    assert result.calls["notes"] == 1
    note = book.wb["Social Care"].cell(row, 16).comment.text
    assert str(old + 7) in note and str(old) in note


# -- settings: one sheet, then the environment, then defaults ---------------------------------
def with_config(book, rows, name=live.CONFIG_SHEET):
    ws = book.wb.create_sheet(name)
    for r, (key, value) in enumerate(rows, start=1):
        ws.cell(r, 1, key)
        ws.cell(r, 2, value)
    return book


def test_settings_come_from_the_config_sheet_then_the_environment(book, tmp_path, monkeypatch):
    sheet_rules = tmp_path / "sheet rules"
    shutil.copytree(ROOT / "rules", sheet_rules)
    text = (sheet_rules / "settings.yaml").read_text(encoding="utf-8")
    (sheet_rules / "settings.yaml").write_text(text.replace("  green: Green", "  green: On target"), encoding="utf-8")
    monkeypatch.setenv("CYPS_XL_RULES", str(tmp_path / "no such folder"))
    with_config(book, [("cyps_rules", str(sheet_rules)), ("INTERPRETER_WIN", r"C:\Python\pythonw.exe")])
    # the interpreter (like the Python path and OneDrive folders) is the user's to set, never a workbook's
    assert live.read_config(book) == {"CYPS_RULES": str(sheet_rules)}
    assert live.refresh_ratings(book) is not None, book.app.alerts
    values = {c.value for row in book.wb["Social Care"].iter_rows(min_row=14) for c in row}
    assert "On target" in values and "Green" not in values  # the sheet's rules, not the environment's
    # without the sheet's row, the environment's setting is used: here a folder that does not exist
    book.wb[live.CONFIG_SHEET].delete_rows(1)
    assert live.refresh_ratings(book) is None
    assert "no such folder: rules not found" in book.app.alerts[-1]["prompt"]


def test_an_xlwings_conf_sheet_is_not_the_cyps_settings(book, tmp_path, monkeypatch):
    monkeypatch.delenv("CYPS_XL_BENCHMARKS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # and no settings file of the user's
    with_config(book, [("CYPS_BENCHMARKS", str(BENCH))], name="xlwings.conf")
    assert live.read_config(book) == {}
    assert live.update_benchmarks(book) is None
    assert book.app.alerts[-1]["prompt"] == (
        "sheet 'cyps_xl.conf': no benchmark files are configured. Add a row CYPS_BENCHMARKS with the folder of DfE's "
        "CSV files (or a file), or set it for all your scorecards: cyps-xl addin install --benchmarks FOLDER.")


def test_the_vba_python_and_readme_name_the_same_settings_sheet(tmp_path):
    from test_addin import vba_modules

    from cyps_xl.excel.addin import build_addin

    addin = build_addin(tmp_path / "cyps_xl.xlam")
    vba = vba_modules(addin)["xlwings"]
    project = re.search(r'PROJECT_NAME As String = "([^"]+)"', vba).group(1)
    assert 'Sheets(PROJECT_NAME & ".conf")' in vba and f"{project}.conf" == live.CONFIG_SHEET
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`cyps_xl.conf`" in readme and "(or `xlwings.conf`)" not in readme
    for key, variable in live.SETTINGS.items():
        assert f"`{key}`" in readme and f"`{variable}`" in readme
    assert ("the `cyps_xl.conf` sheet first, then the environment variable, then\nyour settings file, then the "
            "machine's, then the default") in readme


def test_update_benchmarks_reads_the_configured_dfe_folder(book, tmp_path):
    shutil.copytree(ROOT / "workbook_templates" / "data" / "dfe", tmp_path / "dfe")
    with_config(book, [("CYPS_BENCHMARKS", "dfe")])  # a folder beside the workbook, named from it
    result = live.update_benchmarks(book)
    assert result is not None, book.app.alerts
    ws = book.wb["Social Care"]
    row = next(r for r in range(14, 94) if ws.cell(r, 1).value == "3.2")
    assert ws.cell(row, 31).value == 69.0  # DfE's England figure for 2021


def test_a_workbook_cannot_point_the_run_outside_its_own_folder(book, tmp_path):
    """A scorecard received from elsewhere names folders beside it, never another place of its choosing."""
    with_config(book, [("CYPS_BENCHMARKS", str(ROOT / "workbook_templates" / "data" / "dfe"))])
    assert live.update_benchmarks(book) is None
    prompt = book.app.alerts[-1]["prompt"]
    assert prompt.startswith("sheet 'cyps_xl.conf': CYPS_BENCHMARKS is ") and "outside the workbook's own folder" in prompt
    assert "set CYPS_XL_BENCHMARKS in your own environment" in prompt


def user_xlwings_config(monkeypatch, tmp_path, rows):
    """The user's own xlwings settings file, where the OneDrive folders are set (never in a workbook)."""
    import xlwings
    from xlwings.utils import fullname_url_to_local_path

    conf = tmp_path / "user xlwings.conf"
    conf.write_text("".join(f'"{key}","{value}"\n' for key, value in rows), encoding="utf-8")
    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(conf))
    fullname_url_to_local_path.cache_clear()


# -- the workbook's file: OneDrive, SharePoint, unsaved, read-only ------------------------------
def test_a_workbook_open_from_onedrive_is_found_in_its_synced_folder(template, tmp_path, monkeypatch):
    synced = tmp_path / "OneDrive"
    (synced / "Performance").mkdir(parents=True)
    url = "https://d.docs.live.net/4f2a9c/Performance/CYPS Scorecard March 2022.xlsx"
    book = desktop_book(template, synced / "Performance", full_name=url)
    key = "ONEDRIVE_CONSUMER_" + ("WIN" if __import__("sys").platform.startswith("win") else "MAC")
    elsewhere = tmp_path / "planted"
    (elsewhere / "Performance").mkdir(parents=True)
    with_config(book, [(key, str(elsewhere))])  # the workbook's own word for it is not taken
    user_xlwings_config(monkeypatch, tmp_path, [(key, str(synced))])
    result = live.refresh_ratings(book)
    assert result is not None, book.app.alerts
    assert result.backup.parent == synced / "Performance"


@pytest.mark.parametrize("url, key", [
    ("https://d.docs.live.net/4f2a9c/Performance/Scorecard.xlsx", "ONEDRIVE_CONSUMER"),
    ("https://rotherham-my.sharepoint.com/personal/ann_council/Documents/Scorecard.xlsx", "SHAREPOINT"),
])
def test_an_unmapped_cloud_workbook_is_one_alert_naming_the_setting(template, tmp_path, url, key, monkeypatch):
    book = desktop_book(template, tmp_path, full_name=url)
    user_xlwings_config(monkeypatch, tmp_path, [])
    assert live.refresh_ratings(book) is None
    prompt = book.app.alerts[-1]["prompt"]
    assert prompt.startswith(f"your xlwings settings: the workbook is open from OneDrive or SharePoint ({url})")
    assert f"Add {key}_" in prompt and "xlwings.conf" in prompt and "Traceback" not in prompt


def test_an_unsaved_and_a_read_only_workbook_each_get_a_clear_message(template, tmp_path):
    unsaved = desktop_book(template, tmp_path, full_name="Book1")
    unsaved.api.FullName = "Book1"
    assert live.refresh_ratings(unsaved) is None
    assert unsaved.app.alerts[-1]["prompt"].endswith("the workbook has not been saved yet. Save it once (File > Save As), "
                                                     "then press the button again.")
    locked = desktop_book(template, tmp_path, name="locked.xlsx", read_only=True)
    assert live.refresh_ratings(locked) is None
    assert "locked.xlsx: the workbook is open read-only (another user may have it open" in locked.app.alerts[-1]["prompt"]
    assert not list(tmp_path.glob("*.backup-*"))  # nothing was written


def test_a_backup_that_cannot_be_written_stops_before_any_change(book, monkeypatch):
    def refuse(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(book.api, "SaveCopyAs", refuse)
    before = state(book.wb["Social Care"], 20, 21)
    assert live.refresh_ratings(book) is None
    assert "the backup copy cannot be written beside the workbook (Permission denied)" in book.app.alerts[-1]["prompt"]
    assert state(book.wb["Social Care"], 20, 21) == before


def test_without_savecopyas_the_workbook_is_saved_then_copied(template, tmp_path):
    book = desktop_book(template, tmp_path, with_api=False)
    result = live.refresh_ratings(book)
    assert result is not None and result.backup.exists()
    assert ("save", None) in book.app.calls


# -- errors: one alert, the traceback in a log, Excel's settings restored ---------------------
def test_an_unexpected_error_is_one_alert_with_the_traceback_in_a_log(book, monkeypatch):
    import cyps_xl.api

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cyps_xl.api, "evaluate", broken)
    assert live.refresh_ratings(book) is None
    prompt = book.app.alerts[-1]["prompt"]
    log = book.path.parent / "cyps-xl.log"
    assert prompt.startswith("cyps-xl could not finish Refresh ratings: ZeroDivisionError: division by zero")
    assert str(log) in prompt and "Traceback" not in prompt
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text and book.name in text
    assert book.app.status_history[-1] is False


@pytest.mark.parametrize("setting, original", [("screen_updating", True), ("enable_events", True), ("calculation", "automatic")])
def test_every_setting_is_restored_even_when_another_refuses(book, setting, original):
    book.app.fail_on[(setting, original)] = RuntimeError("Excel is busy")
    assert live.refresh_ratings(book) is None
    prompt = book.app.alerts[-1]["prompt"]
    assert f"Excel did not take back its settings: {setting} (Excel is busy)" in prompt
    restored = {"screen_updating": True, "enable_events": True, "calculation": "automatic"}
    for name, value in restored.items():
        if name != setting:
            assert getattr(book.app, name) == value, name


def test_settings_are_restored_when_the_write_fails_and_the_write_error_is_shown(book, monkeypatch):
    from cyps_xl.excel import xlwings_writer

    def boom(self, group):
        raise RuntimeError("Excel went away")

    monkeypatch.setattr(xlwings_writer.XlwingsWriter, "_write_group", boom)
    book.app.fail_on[("calculation", "automatic")] = RuntimeError("Excel is busy")
    assert live.refresh_ratings(book) is None
    assert "RuntimeError: Excel went away" in book.app.alerts[-1]["prompt"]
    assert book.app.screen_updating is True and book.app.enable_events is True


def test_the_check_data_tooltip_says_what_it_writes():
    ribbon = (ROOT / "macros" / "ribbon.xml").read_text(encoding="utf-8")
    tip = re.search(r'id="cypsCheck".*?supertip="([^"]+)"', ribbon, re.S).group(1)
    assert "without changing anything" not in tip and "Data quality" in tip and "backup" in tip


def test_a_sparkline_api_the_platform_lacks_is_a_note(book, template):
    from cyps_xl.excel.xlwings_writer import XlwingsWriter

    class NoApi:
        def __getattr__(self, name):
            raise AttributeError(name)

    writer = XlwingsWriter(book, multi_area=True)
    original = type(book.sheets["Social Care"].range("A1")).api
    type(book.sheets["Social Care"].range("A1")).api = property(lambda self: NoApi())
    try:
        writer._sparklines([SparklineChange("Social Care", "AB20", "'Social Care'!F20:Q20")])
    finally:
        type(book.sheets["Social Care"].range("A1")).api = original
    assert writer.notes == ["Trend sparklines were not changed: Excel offers no sparkline API on this platform."]


def test_a_fake_app_can_be_used_without_a_workbook():
    app = FakeApp()
    app.status_bar = "x"
    assert app.status_history == ["x"]
