"""Workbooks Excel itself saved (``tests/fixtures/excel_saved``, see its SOURCE.md): the package model
gives each one back byte for byte, and a scorecard-style edit loses nothing and adds nothing Excel would
repair. These are files no Python library made: charts, tables, notes, form buttons, dynamic arrays,
pictures in cells, shared formulas, calc chains, rich text, macros, chartsheets, 1904 dates, and more.
"""
import json
import shutil
import subprocess
import sys
import warnings
import zipfile

import openpyxl
import pytest
from lxml import etree

import cyps_xl
from conftest import ROOT, run_cli
from cyps_xl.workbook.package import Package
from cyps_xl.workbook.styles import CellStyle

EXCEL_SAVED = ROOT / "tests" / "fixtures" / "excel_saved"
ENCRYPTED = EXCEL_SAVED / "excelize" / "encryptAES.xlsx"
FILES = sorted(p for p in EXCEL_SAVED.rglob("*.xls[xm]") if p != ENCRYPTED)
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
FAR = (40, 30)  # AD40: beyond every fixture's original extent, so the dimension and spans must grow


def test_the_fixtures_are_the_files_excel_saved():
    """Guards the guard: the checks below must run over the real files, all of them saved by Excel."""
    assert len(FILES) >= 110 and len({p.stem for p in FILES}) == len(FILES)
    for path in FILES:
        with zipfile.ZipFile(path) as z:
            assert b"Microsoft" in z.read("docProps/app.xml") and b"Excel" in z.read("docProps/app.xml"), path.name


def test_every_excel_saved_file_comes_back_byte_for_byte(tmp_path):
    changed = {}
    for path in FILES:
        out = tmp_path / path.name
        Package(path).save(out)
        with zipfile.ZipFile(path) as before, zipfile.ZipFile(out) as after:
            # in the order stored, but [Content_Types].xml first as Excel writes it (a file another tool re-zipped,
            # POI's 56822-Countifs.xlsx, has it second)
            stored = sorted(before.namelist(), key=lambda n: n != "[Content_Types].xml")
            if stored != after.namelist():
                changed[path.name] = "parts differ"
                continue
            differ = [n for n in before.namelist() if before.read(n) != after.read(n)]
            if differ:
                changed[path.name] = differ
    assert changed == {}


def _scorecard_edit(path, out, values_only: bool) -> dict:
    """What issue and refresh do to a team's sheet: RAG fills, a % value, a wrapped note in a new row and
    column, values over formulas (every shared formula's master among them). Returns the cells written."""
    package = Package(path)
    written = {}
    for name, part in package.sheet_parts.items():
        if "/worksheets/" not in part:
            continue  # a chartsheet has no cells
        editor = package.sheet(name)
        formulas = editor.worksheet.formulas
        masters = [cell for cell, f in formulas.items() if f.kind == "shared" and f.ref]
        over = masters + [cell for cell in formulas if cell not in masters][:2]
        for row, column in over:
            editor.set_value(row, column, 0.5)
        editor.set_value(1, 1, "Green")
        editor.set_style(1, 1, CellStyle(fill="007A33", font_color="FFFFFF", bold=True))
        editor.set_value(2, 2, 0.904)
        editor.set_style(2, 2, CellStyle(number_format="0.0%"))
        editor.set_value(*FAR, "Amber: below target for the second month running")
        editor.set_style(*FAR, CellStyle(fill="FFC000", font_color="000000", wrap=True))
        editor.row_height(FAR[0], 30)
        written[name] = set(over) | {(1, 1), (2, 2), FAR}
    if values_only:
        package.freeze_formulas()
        package.drop_macros()
    package.save(out)
    return written


def _values(path) -> dict:
    """Every cell that holds something, per sheet, as Excel last calculated it: read by openpyxl, or by
    cyps-xl's own reader for a file openpyxl cannot open (it looks for ``xl/sharedStrings.xml`` by its
    exact case, and Excel saved excelize's CalcChain.xlsx with ``xl/SharedStrings.xml``)."""
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except KeyError:
        from cyps_xl.workbook.cells import read_grids

        return {sheet.title: {(c.row, c.column): c.value for row in sheet.iter_rows() for c in row if c.value is not None}
                for sheet in read_grids(Package(path)).worksheets}
    return {ws.title: {cell: c.value for cell, c in ws._cells.items() if c.value is not None}
            for ws in workbook.worksheets}


def _audit_folder(folder) -> dict:
    """openxml-audit's errors for every workbook in a folder, in one run (file name -> set of errors)."""
    done = subprocess.run([sys.executable, "-m", "openxml_audit", "-f", "microsoft365", "-r", "-o", "json", "-m", "0",
                           str(folder)], capture_output=True, text=True, timeout=600)
    found = {}
    for report in json.loads(done.stdout):
        name = report["file"].replace("\\", "/").rsplit("/", 1)[-1]
        found[name] = {(e.get("part_uri") or "", e.get("path") or "", e.get("description", "")) for e in report["errors"]}
    return found


@pytest.mark.parametrize("values_only", [False, True], ids=["refresh-like", "issue-like"])
def test_a_scorecard_edit_to_an_excel_saved_file_loses_nothing_and_needs_no_repair(tmp_path, values_only):
    pytest.importorskip("openxml_audit")
    sources, outputs = tmp_path / "sources", tmp_path / "outputs"
    sources.mkdir(), outputs.mkdir()
    lost, broken = {}, {}
    warnings.simplefilter("ignore")  # openpyxl warns about features it does not read
    for path in FILES:
        shutil.copy(path, sources / path.name)
        out = outputs / (path.stem + ".xlsx" if values_only else path.name)  # an issue is always .xlsx
        written = _scorecard_edit(path, out, values_only)
        before, after = _values(path), _values(out)
        for sheet, cells in written.items():
            assert after[sheet][(1, 1)] == "Green", path.name
            assert after[sheet].get((2, 2)) == 0.904 or _merged(out, sheet, "B2"), path.name  # a merge hides it
            for cell in cells:
                before[sheet].pop(cell, None), after[sheet].pop(cell, None)
        if before != after:
            lost[path.name] = {sheet: set(before[sheet].items()) ^ set(after.get(sheet, {}).items()) for sheet in before}
        broken.update({f"{path.name} {fault}": 1 for fault in _repair_faults(out, values_only)})
    assert lost == {} and broken == {}
    before, after = _audit_folder(sources), _audit_folder(outputs)
    before = {name.rsplit(".", 1)[0]: errors for name, errors in before.items()}
    after = {name.rsplit(".", 1)[0]: errors for name, errors in after.items()}
    assert set(after) == {p.stem for p in FILES}
    added = {name: errors - before[name] for name, errors in after.items() if errors - before[name]}
    assert added == {}


def _repair_faults(path, values_only: bool) -> list:
    """What Excel repairs: a shared formula's child with no master, a calc chain naming a cell with no
    formula; and for an issued file, any formula or calc chain at all."""
    faults = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        sheets = {}
        for name in names:
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                sheets[name] = etree.fromstring(z.read(name))
        if values_only and "xl/calcChain.xml" in names:
            faults.append("keeps its calc chain")
        for name, root in sheets.items():
            # the dimension and the spans grew to the new cells (openpyxl's read-only mode trusts them)
            dimension = root.find(f"{M}dimension")
            if dimension is not None and not _covers(dimension.get("ref"), *FAR):
                faults.append(f"{name} dimension {dimension.get('ref')} leaves out AD40")
            far_row = root.find(f"{M}sheetData/{M}row[@r='{FAR[0]}']")
            spans = far_row.get("spans") if far_row is not None else None
            if spans and int(spans.split(":")[1]) < FAR[1]:
                faults.append(f"{name} row {FAR[0]} spans {spans} leave out column {FAR[1]}")
            masters, children = set(), set()
            for f in root.iter(f"{M}f"):
                if values_only:
                    faults.append(f"{name} keeps a formula")
                    break
                if f.get("t") == "shared":
                    (masters if f.get("ref") else children).add(f.get("si"))
            if children - masters:
                faults.append(f"{name} shared formulas {sorted(children - masters)} have no master")
        if "xl/calcChain.xml" in names:
            formula_cells = {sheet_id: {c.get("r") for c in sheets[part].iter(f"{M}c") if c.find(f"{M}f") is not None}
                             for sheet_id, part in _sheet_ids(z).items() if part in sheets}
            current = None
            for entry in etree.fromstring(z.read("xl/calcChain.xml")):
                current = entry.get("i", current)  # an entry without i is on the sheet of the one before
                if entry.get("r") not in formula_cells.get(current, set()):
                    faults.append(f"calc chain names {entry.get('r')} on sheet {current}, which holds no formula")
    return faults


def _merged(path, sheet: str, cell: str) -> bool:
    """Whether the cell lies inside a merged range other than as its top-left cell."""
    return any(cell in merge and cell != merge.coord.split(":")[0]
               for merge in openpyxl.load_workbook(path)[sheet].merged_cells.ranges)


def _covers(ref: str, row: int, column: int) -> bool:
    from openpyxl.utils.cell import range_boundaries

    low_col, low_row, high_col, high_row = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
    return low_row <= row <= high_row and low_col <= column <= high_col


def _sheet_ids(z) -> dict:
    """sheetId (what a calc chain's i names) -> worksheet part."""
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    targets = {r.get("Id"): "xl/" + r.get("Target").lstrip("/").removeprefix("xl/")
               for r in etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    return {s.get("sheetId"): targets.get(s.get(rel)) for s in etree.fromstring(z.read("xl/workbook.xml")).iter(f"{M}sheet")}


def test_an_encrypted_workbook_excel_saved_is_refused_with_what_to_do(tmp_path):
    source = tmp_path / ENCRYPTED.name
    shutil.copy(ENCRYPTED, source)
    done = run_cli("issue", str(source), "-o", str(tmp_path / "out.xlsx"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "password" in done.stderr and ENCRYPTED.name in done.stderr
    assert not (tmp_path / "out.xlsx").exists() and source.read_bytes() == ENCRYPTED.read_bytes()
    with pytest.raises(cyps_xl.CypsError, match="password"):
        Package(source)


def test_a_part_stored_in_another_case_is_the_one_its_relationship_names(tmp_path):
    """Part names compare without case (ECMA-376 Part 2). This file keeps ``xl/SharedStrings.xml`` behind a
    relationship to ``sharedStrings.xml``: text written to it joins that table (a second table would
    renumber every text cell), stored under the name the relationship spells, so readers that match
    names exactly (openpyxl, the Open XML SDK) find it too."""
    source = EXCEL_SAVED / "excelize" / "CalcChain.xlsx"
    with zipfile.ZipFile(source) as z:
        assert "xl/SharedStrings.xml" in z.namelist()
    out = tmp_path / "out.xlsx"
    _scorecard_edit(source, out, values_only=False)
    with zipfile.ZipFile(out) as z:
        tables = [n for n in z.namelist() if n.lower() == "xl/sharedstrings.xml"]
        rels = z.read("xl/_rels/workbook.xml.rels").count(b"relationships/sharedStrings")
    assert tables == ["xl/sharedStrings.xml"] and rels == 1
    assert openpyxl.load_workbook(out)["Sheet1"]["A1"].value == "Green"
