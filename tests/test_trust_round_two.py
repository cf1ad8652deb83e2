"""Trust, round two: outputs that are not files, full disks, wrongly typed settings, damaged values: one message each."""
import os
import shutil
import zipfile

from lxml import etree

import pytest

import cyps_xl
from cyps_xl.errors import CypsError
from conftest import ROOT, run_cli


def test_an_output_that_is_a_folder_or_a_pipe_is_refused(template, tmp_path):
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    result = run_cli("issue", template, "-o", folder)
    assert result.returncode == 2 and "out.xlsx: is a folder." in result.stderr and "Traceback" not in result.stderr
    pipe = tmp_path / "pipe.xlsx"
    os.mkfifo(pipe)
    result = run_cli("issue", template, "-o", pipe)
    assert result.returncode == 2 and "pipe.xlsx: is not a regular file (a pipe, device or broken link)" in result.stderr
    assert not pipe.is_file() and pipe.exists()  # still the pipe it was


def test_a_full_disk_stops_an_in_place_refresh_before_anything_changes(template, tmp_path, monkeypatch):
    card = tmp_path / "card.xlsx"
    shutil.copyfile(template, card)
    before = card.read_bytes()
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10 << 20, 10 << 20, 1000))
    with pytest.raises(CypsError, match="there is not enough free space beside the workbook for a backup and the new file"):
        cyps_xl.refresh(card)
    assert card.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["card.xlsx"]


def test_a_backup_cut_short_is_removed_and_the_source_untouched(template, tmp_path, monkeypatch):
    card = tmp_path / "card.xlsx"
    shutil.copyfile(template, card)
    before = card.read_bytes()

    def half(source, target, *args, **kwargs):
        with open(target, "wb") as handle:
            handle.write(open(source, "rb").read()[:16384])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", half)
    with pytest.raises(CypsError, match=r"the backup copy could not be written \(No space left on device\); nothing was changed"):
        cyps_xl.refresh(card)
    assert card.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["card.xlsx"]


def test_writing_into_a_folder_that_refuses_is_one_message(template, tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(CypsError, match="out.xlsx: cannot be written: Permission denied. Check you can save in that folder"):
        cyps_xl.issue(template, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_a_folder_named_like_a_rules_file_is_passed_over(template, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "old.yaml").mkdir()
    result = run_cli("issue", template, "--rules", rules, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr


def test_a_stray_cell_at_the_grids_far_corner_costs_nothing_more(template, tmp_path):
    """Cost follows the cells that exist: a note in XFD1048576 (dimension A1:XFD1048576) changes nothing."""
    import resource
    import subprocess
    import sys
    import time

    from corpus.cases import hostile_zip

    with zipfile.ZipFile(template) as z:
        sheet = z.read("xl/worksheets/sheet2.xml")
    far = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>note</t></is></c></row>'
                        b"</sheetData>").replace(b'<dimension ref="A1:AG93"/>', b'<dimension ref="A1:XFD1048576"/>')
    card = tmp_path / hostile_zip(tmp_path, "far.xlsx", "xl/worksheets/sheet2.xml", far)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(card), "-o", str(tmp_path / "out.xlsx")],
                            capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert seconds < 10 and resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1 << 20  # KB: under 1 GB


def test_a_benchmark_value_that_is_no_number_is_refused_and_unmatched_rows_are_named(template, tmp_path):
    bad = tmp_path / "published.csv"
    bad.write_text("sheet,ref,national,year\nSocial Care,3.14,68%,2020/21\nSocial Care,3.15,abc%,2020/21\n", encoding="utf-8")
    result = run_cli("issue", template, "--benchmarks", bad, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2 and not (tmp_path / "out.xlsx").exists()
    assert result.stderr.strip() == ("cyps-xl: error: " + str(bad) + ", line 3: the value 'abc%' in column national is "
                                     "neither a number nor a placeholder ('-', 'n/a') or DfE code. Type the figure "
                                     "(68.0% or 0.68), or '-' when there is none.")
    good = tmp_path / "good.csv"
    good.write_text("sheet,ref,national,year\nSocial Care,3.14,68%,2020/21\nSocial Care,9.99,50%,2020/21\n"
                    "Social Care,3.15,-,2020/21\n", encoding="utf-8")
    result = run_cli("issue", template, "--benchmarks", good, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr
    assert "1 benchmark row(s) match no row of the scorecard: Social Care 9.99 (good.csv, line 3)." in result.stdout


def _edited(template, tmp_path, name, edits, extra=None):
    """The template with some parts edited (find -> replace) and some parts added."""
    out = tmp_path / name
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            for find, replace in edits.get(info.filename, []):
                assert find in data, (info.filename, find)
                data = data.replace(find, replace, 1)
            target.writestr(info.filename, data)
        for part, data in (extra or {}).items():
            target.writestr(part, data)
    return out


def test_a_part_named_outside_the_package_is_refused(template, tmp_path):
    for name in ("../../evil.xml", "/etc/evil.xml"):
        card = _edited(template, tmp_path, "card.xlsx", {}, {name: b"<x/>"})
        result = run_cli("issue", card, "-o", tmp_path / "out.xlsx")
        assert result.returncode == 2 and f"holds a part named '{name}', a path no workbook uses" in result.stderr
        assert not (tmp_path / "out.xlsx").exists()


MACROSHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<xm:macrosheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1"><c r="A1">'
              b'<f>EXEC("calc.exe")</f></c></row></sheetData></xm:macrosheet>')


def test_an_excel4_macro_sheet_and_auto_open_are_not_issued(template, tmp_path):
    wb, rels, ct = "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"
    card = _edited(template, tmp_path, "card.xlsx", {
        wb: [(b"</sheets>", b'<sheet name="Macro1" sheetId="9" r:id="rIdM"/></sheets>'),
             (b"</workbook>", b'<definedNames><definedName name="_xlnm.Auto_Open" localSheetId="2">Macro1!$A$1</definedName>'
                              b"</definedNames></workbook>") if b"<definedNames>" not in zipfile.ZipFile(template).read(wb)
             else (b"<definedNames>", b'<definedNames><definedName name="_xlnm.Auto_Open" localSheetId="2">Macro1!$A$1'
                                      b"</definedName>")],
        rels: [(b"</Relationships>", b'<Relationship Id="rIdM" Type="http://schemas.microsoft.com/office/2006/relationships/'
                                     b'xlMacrosheet" Target="macrosheets/sheet1.xml"/></Relationships>')],
        ct: [(b"</Types>", b'<Override PartName="/xl/macrosheets/sheet1.xml" ContentType="application/'
                           b'vnd.ms-excel.macrosheet+xml"/></Types>')],
    }, {"xl/macrosheets/sheet1.xml": MACROSHEET})
    issued = cyps_xl.issue(card, tmp_path / "issued.xlsx").output
    with zipfile.ZipFile(issued) as z:
        names = z.namelist()
        text = b"".join(z.read(n) for n in names if n.endswith((".xml", ".rels")))
    assert not any("macrosheet" in n for n in names)
    assert b"Auto_Open" not in text and b"Macro1" not in text and b"xlMacrosheet" not in text and b"macrosheet+xml" not in text
    import openpyxl

    assert openpyxl.load_workbook(issued).sheetnames == ["Summary", "Early Help", "Social Care", "Commentary"]


def test_written_cells_outside_the_old_dimension_are_inside_the_new_one(template, tmp_path):
    from cyps_xl.workbook.changes import CellChange
    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.writer import apply_changes

    package = Package(template)
    apply_changes(package, [CellChange("Social Care", 14, 40, "far right"), CellChange("Social Care", 120, 2, "far down")])
    out = tmp_path / "out.xlsx"
    package.save(out)
    import openpyxl

    ws = openpyxl.load_workbook(out, read_only=True)["Social Care"]  # trusts <dimension> and spans
    assert ws.calculate_dimension() == "A1:AN120"
    values = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}
    assert values[(14, 40)] == "far right" and values[(120, 2)] == "far down"
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
    import re

    assert re.search(r'<row r="14" spans="1:40"', xml)
    with pytest.raises(CypsError, match=r"cell XFE1 is beyond Excel's grid \(XFD1048576 at most\)"):
        package.sheet("Social Care").set_value(1, 16385, "x")
    with pytest.raises(CypsError, match="beyond Excel's grid"):
        package.sheet("Social Care").set_value(1048577, 1, "x")


def test_a_value_written_over_a_dynamic_array_cell_loses_its_metadata(template, tmp_path):
    from cyps_xl.workbook.package import Package

    card = _edited(template, tmp_path, "card.xlsx", {"xl/worksheets/sheet2.xml": [(b'<c r="A2" s="2" t="s">',
                                                                                  b'<c r="A2" s="2" t="s" cm="1" vm="1">')]})
    package = Package(card)
    package.sheet("Social Care").set_value(2, 1, "plain text now")
    package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        cell = next(c for c in etree.fromstring(z.read("xl/worksheets/sheet2.xml")).iter() if c.get("r") == "A2")
    assert "cm" not in cell.attrib and "vm" not in cell.attrib and cell.get("t") == "s"


def test_writing_over_a_shared_formulas_master_hands_it_on_and_drops_the_chain(template, tmp_path):
    import re

    from cyps_xl.workbook.package import Package
    from test_addin import audit

    with zipfile.ZipFile(template) as z:
        original = z.read("xl/worksheets/sheet2.xml")
    sheet = original.decode()
    cells = {14: '<c r="AH14"><f t="shared" ref="AH14:AH16" si="0">F14*2</f><v>2</v></c>',
             15: '<c r="AH15"><f t="shared" si="0"/><v>4</v></c>', 16: '<c r="AH16"><f t="shared" si="0"/><v>6</v></c>'}
    for row, cell in cells.items():
        sheet = re.sub(rf'(<row r="{row}"[^>]*>.*?)(</row>)', lambda m: m.group(1) + cell + m.group(2), sheet, count=1,
                       flags=re.S)
    chain = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><c r="AH14" i="2"/><c r="AH15"/><c r="AH16"/></calcChain>')
    card = _edited(template, tmp_path, "card.xlsx", {
        "xl/worksheets/sheet2.xml": [(original, sheet.encode())],
        "xl/_rels/workbook.xml.rels": [(b"</Relationships>", b'<Relationship Id="rIdC" Type="http://schemas.openxmlformats.'
                                        b'org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
                                        b"</Relationships>")],
        "[Content_Types].xml": [(b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.'
                                 b'openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')],
    }, {"xl/calcChain.xml": chain.encode()})
    before = set(audit(card))
    package = Package(card)
    package.sheet("Social Care").set_value(14, 34, "Green")  # AH14, the master
    out = tmp_path / "out.xlsx"
    package.save(out)
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
        assert "xl/calcChain.xml" not in z.namelist() and b"calcChain" not in z.read("[Content_Types].xml")
    assert re.search(r'<c r="AH15"><f t="shared" si="0" ref="AH15:AH16">F15\*2</f>', xml)
    assert '<c r="AH16"><f t="shared" si="0"/>' in xml
    assert set(audit(out)) - before == set()


def test_a_rating_written_under_a_merge_is_named_not_hidden(template, tmp_path):
    import openpyxl

    card = tmp_path / "card.xlsx"
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    row = next(r for r in range(14, 94) if ws.cell(r, 1).value == "3.14")
    ws.merge_cells(start_row=row, start_column=20, end_row=row, end_column=21)  # DOT (month) and RAG (month)
    wb.save(card)
    report = cyps_xl.issue(card, tmp_path / "issued.xlsx")
    assert (f"'Social Care'!U{row} is inside the merged cells T{row}:U{row}: what cyps-xl wrote there ('Green') is "
            f"hidden. Unmerge T{row}:U{row} (Home > Merge & Center > Unmerge Cells) and run again.") in report.notes


def test_a_table_header_cyps_xl_writes_renames_its_table_column(tmp_path):
    import xlsxwriter

    from cyps_xl.workbook.package import Package
    from test_addin import audit

    path = tmp_path / "table.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Social Care")
    ws.add_table("A1:C3", {"name": "Benchmarks", "columns": [{"header": "REF NO."}, {"header": "Nat av."},
                                                              {"header": "RIA"}], "data": [["3.14", 0.68, 0.7]] * 2})
    wb.close()
    before = set(audit(path))
    package = Package(path)
    package.sheet("Social Care").set_value(1, 2, "Nat av. 2020/21")  # the heading takes its data year
    out = tmp_path / "out.xlsx"
    package.save(out)
    with zipfile.ZipFile(out) as z:
        table = z.read(next(n for n in z.namelist() if n.startswith("xl/tables/"))).decode()
    assert 'name="Nat av. 2020/21"' in table and 'name="REF NO."' in table
    assert set(audit(out)) - before == set()


def test_notes_added_beside_a_form_button_define_their_shape_type(template, tmp_path):
    """A sheet whose drawing holds only a form button (shape type 201) gets the note shape type (202) defined."""
    from cyps_xl.workbook.package import Package

    button = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
              'xmlns:x="urn:schemas-microsoft-com:office:excel"><v:shapetype id="_x0000_t201" coordsize="21600,21600" '
              'o:spt="201" path="m,l,21600r21600,l21600,xe"/><v:shape id="_x0000_s1025" type="#_x0000_t201">'
              '<x:ClientData ObjectType="Button"/></v:shape></xml>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rIdV" Type="http://schemas.openxmlformats.'
            'org/officeDocument/2006/relationships/vmlDrawing" Target="../drawings/vmlDrawing9.vml"/></Relationships>')
    with zipfile.ZipFile(template) as z:
        assert "xl/worksheets/_rels/sheet2.xml.rels" not in z.namelist()
    card = _edited(template, tmp_path, "card.xlsx", {}, {"xl/drawings/vmlDrawing9.vml": button.encode(),
                                                         "xl/worksheets/_rels/sheet2.xml.rels": rels.encode()})
    package = Package(card)
    package.put_notes("Social Care", [(20, 17, "cyps-xl: revised")], "cyps-xl:")
    vml = package.parts["xl/drawings/vmlDrawing9.vml"].decode()
    assert vml.count('id="_x0000_t202"') == 1 and 'type="#_x0000_t202"' in vml and 'id="_x0000_t201"' in vml
