"""The bad-input corpus: each case builds its input files in a folder and gives the command to run.

Used by tests/test_bad_input_corpus.py, which checks the exact message of each.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "workbook_templates" / "cyps_scorecard_template.xlsx"

RULE = """sheets:
  Social Care:
    indicators:
      - ref: '3.14'
        title: Stable placements
        polarity: high
        tolerances: {red: '<61%', amber: '61%+', green: '69%+'}
"""


def card(folder: Path, edits: dict | None = None, sheet: str = "Social Care", merge: str | None = None) -> str:
    path = folder / "card.xlsx"
    if edits is None and merge is None:
        shutil.copyfile(TEMPLATE, path)
        return path.name
    wb = openpyxl.load_workbook(TEMPLATE)
    for cell, value in (edits or {}).items():
        wb[sheet][cell] = value
    if merge:
        wb[sheet].merge_cells(merge)
    wb.save(path)
    return path.name


def rules_file(folder: Path, text: str) -> str:
    (folder / "rules.yaml").write_text(text, encoding="utf-8")
    return "rules.yaml"


def rules_dir(folder: Path, settings: str | None = None) -> str:
    target = folder / "myrules"
    target.mkdir()
    shutil.copy(ROOT / "rules" / "settings.yaml", target)
    if settings is not None:
        (target / "settings.yaml").write_text(settings, encoding="utf-8")
    return "myrules"


def small(folder: Path, rows, name: str = "small.xlsx", sheet: str = "Social Care") -> str:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    wb.save(folder / name)
    return name


C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
MEASURE = """  - sheet: Social Care
    ref: "1.9"
    file: c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv
    filters: {category: Referrals and Re-referrals}
    column: rereferral_percent
    unit: percent
"""


def _dfe_file(folder: Path, find: bytes = b"", replace: bytes = b"", extra: bool = False) -> str:
    """The bundled (real, trimmed) DfE file, with one edit; ``extra`` adds a second category of rows."""
    data = (ROOT / "workbook_templates" / "data" / "dfe" / C1).read_bytes()
    if find:
        assert find in data
        data = data.replace(find, replace, 1)
    if extra:
        data += b"".join(line.replace(b"Referrals and Re-referrals", b"Referrals from schools") + b"\n"
                         for line in data.splitlines()[1:3])
    (folder / C1).write_bytes(data)
    return C1


def _bench_rules(folder: Path, measures: str) -> str:
    target = folder / "myrules"
    shutil.copytree(ROOT / "rules", target)
    text = (target / "benchmarks.yaml").read_text(encoding="utf-8")
    (target / "benchmarks.yaml").write_text(text[:text.index("measures:")] + "measures:\n" + measures, encoding="utf-8")
    return "myrules"


def edited_part(folder: Path, name: str, part: str, find: bytes, replace: bytes) -> str:
    """The template with one edit to one part (a damaged value, index or reference)."""
    with zipfile.ZipFile(TEMPLATE) as source:
        data = source.read(part)
    assert find in data, find
    return hostile_zip(folder, name, part, data.replace(find, replace, 1))


def rules_with(folder: Path, name: str, text: str) -> str:
    """A copy of the bundled rules folder with one file replaced."""
    target = folder / "myrules"
    if not target.exists():
        shutil.copytree(ROOT / "rules", target)
    (target / name).write_text(text, encoding="utf-8")
    return "myrules"


def _settings(text_from: str, text_to: str):
    def make(folder: Path) -> list:
        settings = (ROOT / "rules" / "settings.yaml").read_text(encoding="utf-8").replace(text_from, text_to)
        return issue(card(folder), "--rules", rules_with(folder, "settings.yaml", settings))
    return make


def edited_nan(folder: Path) -> str:
    """The template with a number cell's saved value replaced by NaN."""
    import re

    with zipfile.ZipFile(TEMPLATE) as source:
        data = source.read("xl/worksheets/sheet2.xml")
    damaged = re.sub(rb'(<c r="Q20"[^>]*><v>)[^<]+(</v>)', rb"\1NaN\2", data, count=1)
    assert damaged != data
    return hostile_zip(folder, "card.xlsx", "xl/worksheets/sheet2.xml", damaged)


ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


def _latin_csv(folder: Path) -> str:
    """Published figures whose 401st row has a Latin-1 byte: past the first 8 KB any sniffing reads."""
    rows = "sheet,ref,national,year\n" + "".join(f"Social Care,{i}.{i},50%,2020/21\n" for i in range(400))
    (folder / "bench.csv").write_bytes(rows.encode() + "Social Care,3.14,caf\xe9,2020/21\n".encode("latin-1"))
    return "bench.csv"


def issue(*args) -> list:
    return ["issue", *args, "-o", "out.xlsx"]


def _rules_case(text):
    return lambda f: issue(card(f), "--rules", rules_file(f, text))


CASES = {
    # -- rules files ------------------------------------------------------------------
    "malformed yaml": _rules_case("sheets:\n  Social Care:\n    indicators:\n      - ref: '1.1'\n     polarity: high\n"),
    "unknown key": _rules_case(RULE.replace("polarity: high", "polarity: high\n        colour: red")),
    "unknown polarity": _rules_case(RULE.replace("polarity: high", "polarity: up")),
    "unparseable tolerance": _rules_case(RULE.replace("'69%+'", "'about 70'")),
    "gapped bands": _rules_case(RULE.replace("'61%+'", "'62%+'").replace("'<61%'", "'<60%'")),
    "overlapping bands": _rules_case(RULE.replace("'<61%'", "'<75%'")),
    "number_format that is no format": _rules_case(RULE.replace("        polarity: high\n", "        polarity: high\n        number_format: 1\n")),
    "amber range overlapping": _rules_case(RULE.replace("amber: '61%+'", "amber: '50-70%'")),
    "green contradicts low": _rules_case(RULE.replace("polarity: high", "polarity: low")),
    "duplicate key": _rules_case(RULE.replace("polarity: high", "polarity: high\n        polarity: low")),
    "not an indicators file": _rules_case(RULE.replace("sheets:", "sheet:")),
    "info with tolerances": _rules_case(RULE.replace("polarity: high", "polarity: info")),
    "duplicate rule": _rules_case(RULE + RULE.split("indicators:\n")[1]),
    "bad colour in settings": lambda f: issue(card(f), "--rules", rules_dir(f, "colours:\n  amber: orange\n")),
    # -- the scorecard ------------------------------------------------------------------
    "missing REF NO. header": lambda f: issue(card(f, {"A11": "Number"})),
    "missing INDICATOR header": lambda f: issue(card(f, {"B11": "Title"})),
    "header row twice": lambda f: issue(card(f, {"A40": "REF NO.", "B40": "INDICATOR"})),
    "merged value cells": lambda f: issue(card(f, merge="O20:Q20")),
    "text in a value cell": lambda f: issue(card(f, {"Q20": "about 80"})),
    "decimal comma in a value cell": lambda f: issue(card(f, {"Q20": "60,5%"})),
    "#N/A in a value cell": lambda f: issue(card(f, {"Q20": "#N/A"})),
    "#DIV/0! in a value cell": lambda f: issue(card(f, {"P21": "#DIV/0!"})),
    "#REF! in the outturn": lambda f: issue(card(f, {"R22": "#REF!"})),
    "duplicate reference": lambda f: issue(card(f, {"A21": "1.2"})),
    "empty sheet": lambda f: issue(small(f, [])),
    "sheet with no indicators": lambda f: issue(small(f, [["REF NO.", "INDICATOR", "DATA NOTE", "Good perf is"]])),
    "period in the future": lambda f: issue(small(f, [["REF NO.", "INDICATOR", "Nov-30", "Dec-30"], ["1.1", "x", 1, 2]])),
    "tolerance cell unreadable": lambda f: issue(card(f, {"Z23": "Lower than same qtr previous year"}), "--rules", rules_dir(f)),
    "polarity cell unknown": lambda f: issue(card(f, {"S14": "higher"}), "--rules", rules_dir(f)),
    # -- files that are not scorecards ----------------------------------------------------
    "an .xls file": lambda f: issue(_bytes(f, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)),
    "an encrypted workbook": lambda f: issue(_bytes(f, "locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)),
    "not a zip": lambda f: issue(_bytes(f, "notes.xlsx", b"just some text")),
    "a truncated zip": lambda f: issue(_bytes(f, "cut.xlsx", TEMPLATE.read_bytes()[:5000])),
    "missing file": lambda f: issue("nowhere.xlsx"),
    # -- benchmarks ----------------------------------------------------------------------------
    "benchmark CSV with wrong columns": lambda f: issue(card(f), "--benchmarks", _text(f, "bench.csv", "indicator,value\n3.14,68%\n")),
    "benchmark text value": lambda f: issue(card(f), "--benchmarks", _dfe_file(
        f, b",Rotherham,Referrals and Re-referrals,3269,580,17.7,", b",Rotherham,Referrals and Re-referrals,3269,580,seventy,")),
    "benchmark filter without Total": lambda f: issue(card(f), "--rules", _bench_rules(f, MEASURE.replace(
        "    filters: {category: Referrals and Re-referrals}\n", "")), "--benchmarks", _dfe_file(f, extra=True)),
    # -- round two: wrongly typed settings, YAML bombs, damaged values ---------------
    "jump_factor as a word": _settings("jump_factor: 3", "jump_factor: three"),
    "created_by as a list": _settings("created_by: Performance & Quality Team", "created_by: [a, b]"),
    "header_search_rows as a word": lambda f: issue(card(f), "--rules", rules_with(
        f, "layout.yaml", (ROOT / "rules" / "layout.yaml").read_text(encoding="utf-8").replace(
            "header_search_rows: 40", "header_search_rows: forty"))),
    "reports as a list": lambda f: issue(card(f), "--rules", rules_with(f, "reports.yaml", "reports:\n  - monthly\n")),
    "YAML alias bomb": lambda f: issue(card(f), "--rules", rules_with(f, "bomb.yaml", ALIAS_BOMB)),
    "NaN in a value cell": lambda f: issue(edited_nan(f)),
    "shared string index out of range": lambda f: issue(edited_part(f, "card.xlsx", "xl/worksheets/sheet2.xml",
                                                                    b'<c r="A2" s="2" t="s"><v>119</v>',
                                                                    b'<c r="A2" s="2" t="s"><v>99999</v>')),
    "title as a list": _rules_case(RULE.replace("title: Stable placements", "title: [Stable, placements]")),
    "indicator as plain text": _rules_case("sheets:\n  Social Care:\n    indicators:\n      - just text\n"),
    "published CSV not UTF-8 past its start": lambda f: issue(card(f), "--benchmarks", _latin_csv(f)),
    "binary workbook (.xlsb)": lambda f: issue(_text(f, "card.xlsb", "PK not really")),
    "Strict Open XML": lambda f: issue(edited_part(f, "card.xlsx", "xl/workbook.xml",
                                                   b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                                   b"http://purl.oclc.org/ooxml/spreadsheetml/main")),
    # -- outputs -----------------------------------------------------------------------------------
    "output over the source": lambda f: ["issue", card(f), "-o", "card.xlsx"],
    "output not .xlsx": lambda f: ["issue", card(f), "-o", "out.xlsm"],
    "output folder missing": lambda f: ["issue", card(f), "-o", "no/such/folder/out.xlsx"],
}


def _bytes(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return name


def _text(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def hostile_zip(folder: Path, name: str, part: str, xml: bytes) -> str:
    """The template with one part replaced by ``xml``."""
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, xml if info.filename == part else source.read(info.filename))
    return name
