"""The Excel path, driven through real xlwings objects with xlwings' remote engine (no Excel).

The remote engine records what Excel would do (``book.json()``); replaying those
actions on the workbook's previous state must give exactly the values, fills,
font colours, bold and number formats that the headless path writes.
"""
import datetime as dt

import pytest

from cyps_xl.workbook.changes import CellChange, cell_changes
from cyps_xl.workbook.reader import open_workbook
from cyps_xl.excel.xlwings_writer import current_style
from conftest import DATA

xw = pytest.importorskip("xlwings")
BENCH = DATA / "sample_benchmarks.csv"
# Write calls for one run on the bundled template (recorded in README.md, "Excel write calls").
DESKTOP_CALL_LIMIT = 42
REMOTE_ACTION_LIMIT = 190


def remote_book(path):
    from cyps_xl.excel.remote import payload_from_file

    return xw.Book(json=payload_from_file(path))


def replay(snapshot_path, book, actions, skip=()):
    """Apply recorded actions to the snapshot's state: (sheet, row, col) -> properties. Actions on sheets the run
    added, and those named in ``skip``, are passed over."""
    snapshot = open_workbook(snapshot_path)
    names = snapshot.sheetnames
    state = {}

    def cell(sheet, row, col):
        key = (sheet, row, col)
        if key not in state:
            c = snapshot[sheet].cell(row, col)
            state[key] = {"value": c.value, **{p: current_style(c, p) for p in ("fill", "font_color", "bold", "number_format")}}
        return state[key]

    for action in actions:
        if action["func"] in skip or action["sheet_position"] is None or action["sheet_position"] >= len(names):
            continue
        sheet = names[action["sheet_position"]]
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        cells = [(r0 + i, c0 + j) for i in range(action["row_count"]) for j in range(action["column_count"])]
        func, args = action["func"], action["args"]
        for (r, c) in cells:
            i, j = r - r0, c - c0
            target = cell(sheet, r, c)
            if func == "setValues":
                value = action["values"][i][j]
                if value == "":
                    value = None  # xlwings sends None as "", which Excel stores as an empty cell
                target["value"] = value[1:] if isinstance(value, str) and value.startswith("'") else value
            elif func == "setRangeColors":
                colour = args[0][i][j]
                if colour != "keep":
                    target["fill"] = "none" if colour is None else colour.lstrip("#").upper()
            elif func == "setFontProperty" and args[0] == "color":
                target["font_color"] = args[1].lstrip("#").upper()
            elif func == "setFontProperty" and args[0] in ("bold", "italic"):
                target[args[0]] = bool(args[1])
            elif func == "setNumberFormat":
                target["number_format"] = args[0]
            else:
                raise AssertionError(f"unexpected action {func}")
    return state


@pytest.fixture(scope="module")
def headless_refresh(template, tmp_path_factory):
    import cyps_xl

    out = tmp_path_factory.mktemp("headless") / "refreshed.xlsx"
    report = cyps_xl.refresh(template, out, benchmarks=BENCH)
    return report, open_workbook(out)


def test_excel_path_sets_what_the_headless_path_writes(template, headless_refresh):
    from cyps_xl.excel.ribbon import refresh_ratings

    book = remote_book(template)
    result = refresh_ratings(book, snapshot=template, benchmarks=BENCH)
    assert result is not None, "the run ended in an alert"
    state = replay(template, book, book.json()["actions"])
    report, headless = headless_refresh
    before = open_workbook(template)
    owned = {(c.sheet, c.row, c.column) for c in cell_changes(report.changes) if isinstance(c, CellChange)}
    assert len(owned) > 2000
    differences = []
    for sheet, row, col in owned:
        mine = state.get((sheet, row, col))
        theirs = headless[sheet].cell(row, col)
        expected = {"value": theirs.value, **{p: current_style(theirs, p) for p in ("fill", "font_color", "bold", "number_format")}}
        if mine is None:  # not written by Excel because the workbook already had it
            old = before[sheet].cell(row, col)
            mine = {"value": old.value, **{p: current_style(old, p) for p in expected if p != "value"}}
        if mine != expected:
            differences.append((sheet, row, col, mine, expected))
    assert differences == []


def test_excel_writes_in_blocks_and_restores_the_application(template):
    from cyps_xl.excel.ribbon import refresh_ratings

    book = remote_book(template)
    result = refresh_ratings(book, snapshot=template, benchmarks=BENCH)
    actions = book.json()["actions"]
    assert len(actions) <= REMOTE_ACTION_LIMIT
    assert [a["func"] for a in actions[:2]] == ["setScreenUpdating", "setCalculation"]
    assert [(a["func"], a["args"]) for a in actions[-3:-1]] == [("setCalculation", ["Automatic"]), ("setScreenUpdating", [True])]
    assert actions[-1]["func"] == "alert" and actions[-1]["args"][0].startswith("113 indicator rows on 2 sheet(s)")
    writes = [a for a in actions if a["func"] == "setValues"]
    assert max(a["row_count"] for a in writes) > 10  # whole blocks of rows, not cell by cell
    assert sum(result.calls.values()) == len(actions) - 5  # settings switched and restored, and the message


def test_desktop_excel_call_count_stays_small_whatever_the_number_of_rows(template):
    """On desktop Excel each style is one multi-area range; values one 2D array per block."""
    from cyps_xl.api import evaluate
    from cyps_xl.excel.blocks import address_chunks
    from cyps_xl.engine.rules import load_rules
    from cyps_xl.excel.xlwings_writer import XlwingsWriter

    _, report = evaluate(template, load_rules(), benchmarks=BENCH)
    writer = XlwingsWriter(remote_book(template), current=open_workbook(template), multi_area=True)
    blocks, groups, _ = writer.plan(report.changes)
    calls = len(blocks) + sum(len(address_chunks(g.areas)) for g in groups) + 4  # + screen updating / calculation
    assert calls <= DESKTOP_CALL_LIMIT
    # Twice the rows in each block: values stay one call per block, styles one call per colour.
    doubled = [CellChange(c.sheet, c.row + 1000, c.column, c.value, c.style) for c in cell_changes(report.changes) if isinstance(c, CellChange)]
    blocks2, groups2, _ = XlwingsWriter(remote_book(template), multi_area=True).plan(report.changes + doubled)
    assert len(blocks2) == 2 * len(blocks)


def test_a_user_error_is_an_excel_alert_not_a_traceback(template, tmp_path):
    from cyps_xl.excel.ribbon import refresh_ratings

    rules = tmp_path / "rules.yaml"
    rules.write_text("sheets:\n  Social Care:\n    indicators:\n      - ref: '1.1'\n        polarity: sideways\n", encoding="utf-8")
    book = remote_book(template)
    assert refresh_ratings(book, snapshot=template, rules=rules) is None
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]
    assert "rules.yaml, line 5: unknown polarity 'sideways'" in actions[0]["args"][0]


def test_screen_updating_is_restored_when_the_write_fails(template, monkeypatch):
    from cyps_xl.excel import xlwings_writer
    from cyps_xl.excel.ribbon import refresh_ratings

    def boom(*args, **kwargs):
        raise RuntimeError("Excel went away")

    monkeypatch.setattr(xlwings_writer, "fill_matrices", boom)
    book = remote_book(template)
    log = template.parent / "cyps-xl.log"
    log.unlink(missing_ok=True)
    assert refresh_ratings(book, snapshot=template) is None  # no traceback reaches Excel
    funcs = [(a["func"], a["args"]) for a in book.json()["actions"]]
    assert funcs[-3:-1] == [("setCalculation", ["Automatic"]), ("setScreenUpdating", [True])]
    alert = funcs[-1][1][0]
    assert funcs[-1][0] == "alert" and alert.startswith("cyps-xl could not finish Refresh ratings: RuntimeError: Excel went away")
    assert str(log) in alert and "Traceback" not in alert
    assert "RuntimeError: Excel went away" in log.read_text(encoding="utf-8")


def test_produce_issue_writes_the_next_issue_beside_the_source(template, tmp_path):
    import openpyxl

    from cyps_xl.excel.ribbon import produce_issue

    (tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx").write_bytes(b"kept")
    book = remote_book(template)
    result = produce_issue(book, snapshot=template, output_dir=tmp_path, today=dt.date(2022, 5, 20))
    assert result.issued.name == "CYPS Scorecard March 2022 Issue 3.xlsx"
    assert (tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx").read_bytes() == b"kept"
    assert openpyxl.load_workbook(result.issued)["Social Care"]["A4"].value == "Status: Issue 2"


def test_full_size_scorecard_stays_under_sixty_desktop_write_calls(tmp_path):
    """The deterministic count behind perf/run.py: 320 indicators over 5 sheets."""
    import shutil
    import sys

    from cyps_xl.api import evaluate
    from cyps_xl.excel.blocks import address_chunks
    from cyps_xl.engine.rules import load_rules
    from cyps_xl.workbook.rules_import import import_rules
    from cyps_xl.excel.xlwings_writer import XlwingsWriter
    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "perf"))
    from scorecard_generator import generate

    full = generate(tmp_path / "full.xlsx", indicators=320)
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(ROOT / "rules" / "settings.yaml", rules)
    import_rules(full, rules / "indicators.yaml")
    _, report = evaluate(full, load_rules(rules))
    writer = XlwingsWriter(remote_book(full), current=open_workbook(full), multi_area=True)
    blocks, groups, _ = writer.plan(report.changes)
    calls = len(blocks) + sum(len(address_chunks(g.areas)) for g in groups) + 4
    assert len(report.results) == 5 and sum(len(r) for r in report.results.values()) == 320
    assert calls < 60
