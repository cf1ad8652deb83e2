"""What Excel shows when it opens what cyps-xl wrote: one visible sheet active and selected, never two grouped.

Read from the saved XML the way Excel reads it: ``workbookView/@activeTab`` and ``@firstSheet``, and each sheet's
first sheet view's ``tabSelected``."""
import re
import zipfile

import openpyxl
import pytest

from conftest import run_cli

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def opening(path):
    """(the active sheet's name, [names of selected sheets], first tab shown's name, {name: state})."""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        workbook = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        sheets = list(workbook.iterfind(f"{MAIN}sheets/{MAIN}sheet"))
        view = workbook.find(f"{MAIN}bookViews/{MAIN}workbookView")
        active = int(view.get("activeTab") or 0) if view is not None else 0
        first = int(view.get("firstSheet") or 0) if view is not None else 0
        selected = []
        for sheet in sheets:
            target = targets[sheet.get(REL)]
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            root = etree.fromstring(z.read(part))
            sheet_view = root.find(f"{MAIN}sheetViews/{MAIN}sheetView")
            if sheet_view is not None and sheet_view.get("tabSelected") in ("1", "true"):
                selected.append(sheet.get("name"))
    names = [s.get("name") for s in sheets]
    return names[active], selected, names[first], {s.get("name"): s.get("state") or "visible" for s in sheets}


def test_the_demos_issue_opens_on_its_summary_with_one_tab_selected(tmp_path):
    result = run_cli("demo", "-o", tmp_path)
    assert result.returncode == 0, result.stderr
    active, selected, first, _ = opening(tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx")
    assert (active, selected, first) == ("Summary", ["Summary"], "Summary")


def _grouped_with_a_hidden_sheet(template, tmp_path):
    """A team's workbook saved with two sheets selected (grouped) and the active tab on a sheet it then hid."""
    wb = openpyxl.load_workbook(template)
    hidden = wb.create_sheet("Last year", 0)
    hidden["A1"] = "last year's copy"
    hidden.sheet_state = "hidden"
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title in ("Last year", "Early Help", "Social Care")
    saved = tmp_path / "saved.xlsx"
    wb.save(saved)
    path = tmp_path / "grouped.xlsx"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":  # the active tab on the hidden sheet, as Excel keeps it
                text = re.sub(r' activeTab="\d+"', "", data.decode("utf-8"))
                text = text.replace("<workbookView", '<workbookView activeTab="0"', 1)
                hidden_id = re.search(r'<sheet [^>]*name="Last year"[^>]*sheetId="(\d+)"', text).group(1)
                view = (f'<customWorkbookViews><customWorkbookView name="Panel" guid="{{5B2D1C1E-0000-4000-8000-0000'
                        f'00000001}}" windowWidth="16095" windowHeight="9660" activeSheetId="{hidden_id}"/>'
                        f'</customWorkbookViews>')
                at = text.index("</workbook>")
                at = text.index("<extLst>") if "<extLst>" in text else at
                data = (text[:at] + view + text[at:]).encode("utf-8")
            target.writestr(info, data)
    active, selected, _, states = opening(path)
    assert states[active] == "hidden" and len(selected) == 3  # as saved: what Excel would open grouped
    return path


@pytest.mark.parametrize("command", ["issue", "refresh", "check"])
def test_every_run_leaves_one_visible_sheet_active_and_selected(template, tmp_path, command):
    card = _grouped_with_a_hidden_sheet(template, tmp_path)
    out = tmp_path / "out.xlsx"
    args = {"issue": ["-o", out], "refresh": ["-o", out], "check": []}[command]
    result = run_cli(command, card, *args)
    assert result.returncode == 0, result.stderr
    active, selected, first, states = opening(out if args else card)
    assert states[active] == "visible" and selected == [active] and states[first] == "visible"
    with zipfile.ZipFile(out if args else card) as z:  # the custom view opens on a sheet it can show, too
        text = z.read("xl/workbook.xml").decode()
    custom = re.search(r'<customWorkbookView [^>]*activeSheetId="(\d+)"', text).group(1)
    assert re.search(rf'<sheet [^>]*name="{re.escape(active)}"[^>]*sheetId="{custom}"', text)
    if command == "issue":
        assert active == "Summary"


def _protected(template, tmp_path, structure=False, sheet=None):
    from openpyxl.workbook.protection import WorkbookProtection

    wb = openpyxl.load_workbook(template)
    if structure:
        wb.security = WorkbookProtection(lockStructure=True)
    if sheet:
        wb[sheet].protection.sheet = True
    path = tmp_path / "protected.xlsx"
    wb.save(path)
    return path


def test_a_locked_structure_gets_no_new_sheet_and_a_protected_sheet_no_cell_unless_allowed(template, tmp_path):
    locked = _protected(template, tmp_path, structure=True)
    before = locked.read_bytes()
    for args in (["issue", locked, "-o", tmp_path / "out.xlsx"], ["check", locked]):
        result = run_cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "protected.xlsx: its structure is protected (Review > Protect Workbook), and this run adds sheets" \
            in result.stderr
    assert locked.read_bytes() == before and not (tmp_path / "out.xlsx").exists()
    assert run_cli("issue", locked, "--plain", "-o", tmp_path / "plain.xlsx").returncode == 0  # adds no sheet
    assert run_cli("issue", locked, "-o", tmp_path / "allowed.xlsx", "--allow-protected").returncode == 0
    sheet = _protected(template, tmp_path, sheet="Social Care")
    result = run_cli("refresh", sheet, "-o", tmp_path / "refreshed.xlsx")
    assert result.returncode == 2 and ("protected.xlsx, sheet 'Social Care': is protected (Review > Protect Sheet), and "
                                       "this run writes cells in it.") in result.stderr
    assert run_cli("refresh", sheet, "-o", tmp_path / "refreshed.xlsx", "--allow-protected").returncode == 0


def test_a_team_formula_a_run_writes_over_is_named(template, tmp_path):
    """The team worked out 3.14's month arrow with a formula; refresh writes its own arrow there and says so."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    row = next(r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value == "3.14")
    ws.cell(row, 20).value = f'=IF(Q{row}>P{row},"↑","↓")'
    card = tmp_path / "formulas.xlsx"
    wb.save(card)
    result = run_cli("refresh", card, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr
    assert (f"1 formula(s) of the team's were replaced by cyps-xl's values: 'Social Care'!T{row} "
            f'(=IF(Q{row}>P{row},"↑","↓")).') in result.stdout


def test_refresh_asks_excel_to_recalculate_formulas_that_may_read_what_it_wrote(template, tmp_path):
    """A team's count of Reds (=COUNTIF over the RAG column) keeps its saved 0 after refresh writes the Reds; the
    refreshed workbook asks Excel to recalculate on opening (calcPr/@fullCalcOnLoad), so it shows the count."""
    from lxml import etree

    wb = openpyxl.load_workbook(template)
    wb.create_sheet("Counts")["A1"] = "=COUNTIF('Social Care'!U13:U200,\"Red\")"
    card = tmp_path / "counts.xlsx"
    wb.save(card)
    out = tmp_path / "out.xlsx"
    result = run_cli("refresh", card, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "1 formula(s) read what this run wrote ('Counts'!A1): Excel recalculates them when it next opens" \
        in result.stdout
    with zipfile.ZipFile(out) as z:
        calc = etree.fromstring(z.read("xl/workbook.xml")).find(f"{MAIN}calcPr")
    assert calc is not None and calc.get("fullCalcOnLoad") == "1"
    plain = run_cli("refresh", template, "-o", tmp_path / "plain.xlsx")  # no formula anywhere: nothing to ask
    assert plain.returncode == 0 and "recalculates" not in plain.stdout
    wb = openpyxl.load_workbook(template)  # a formula that reads nothing the run writes: nothing to ask either
    wb.create_sheet("Counts")["A1"] = "=1+1"
    wb.save(tmp_path / "unrelated.xlsx")
    unrelated = run_cli("refresh", tmp_path / "unrelated.xlsx", "-o", tmp_path / "unrelated out.xlsx")
    assert unrelated.returncode == 0 and "recalculates" not in unrelated.stdout


def test_notes_cyps_xl_adds_take_a_shape_id_block_of_their_own(tmp_path):
    """Excel's own note (an Excel-saved file: its drawing holds block 1, shape _x0000_s1025): the drawing cyps-xl
    adds for its notes on another sheet takes block 2 and ids from 2049, as Excel numbers them."""
    import shutil

    from conftest import ROOT
    from cyps_xl.workbook.package import Package

    source = tmp_path / "comment01.xlsx"
    shutil.copyfile(ROOT / "tests" / "fixtures" / "excel_saved" / "xlsxwriter" / "comment01.xlsx", source)
    package = Package(source)
    package.put_sheet("Data quality", [["Check", "Finding"], ["revised", "Q14 was 10, now 12"]])
    assert package.put_notes("Data quality", [(2, 1, "cyps-xl: revised"), (2, 2, "cyps-xl: revised")], "cyps-xl") == []
    package.put_notes("Sheet1", [(5, 5, "cyps-xl: another")], "cyps-xl")  # beside Excel's own note, in its block
    out = tmp_path / "out.xlsx"
    package.save(out)
    with zipfile.ZipFile(out) as z:
        drawings = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".vml")}
    blocks = {n: re.findall(r'idmap v:ext="edit" data="(\d+)"', t) for n, t in drawings.items()}
    ids = {n: [int(i) for i in re.findall(r"_x0000_s(\d+)", t)] for n, t in drawings.items()}
    assert blocks["xl/drawings/vmlDrawing1.vml"] == ["1"] and ids["xl/drawings/vmlDrawing1.vml"] == [1025, 1026]
    new = next(n for n in drawings if n != "xl/drawings/vmlDrawing1.vml")
    assert blocks[new] == ["2"] and ids[new] == [2049, 2050]


def test_a_second_refresh_leaves_the_package_byte_identical(tmp_path):
    """A working copy refreshed every month must not grow: formats are compared by meaning (a font read back from
    Excel's styles.xml, with its x14ac declarations, is the font cyps-xl would build), and the shared strings'
    optional count is not kept growing. Checked on the LibreOffice-saved scorecard through the CLI."""
    from conftest import ROOT

    source = ROOT / "tests" / "fixtures" / "other_tools" / "scorecard_saved_by_libreoffice_7.4.xlsx"
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    assert run_cli("refresh", source, "-o", once).returncode == 0
    assert run_cli("refresh", once, "-o", twice).returncode == 0
    with zipfile.ZipFile(once) as a, zipfile.ZipFile(twice) as b:
        assert a.namelist() == b.namelist()
        assert [n for n in a.namelist() if a.read(n) != b.read(n)] == []


def test_formats_set_twice_on_an_excel_saved_file_are_added_once(tmp_path):
    """Excel's own styles.xml (excelize's Book1.xlsx, saved by Excel with x14ac): a fill and font set in one run and
    again in the next add nothing the second time."""
    import shutil

    from conftest import ROOT
    from cyps_xl.workbook.package import CellStyle, Package

    book = tmp_path / "Book1.xlsx"
    shutil.copyfile(ROOT / "tests" / "fixtures" / "excel_saved" / "excelize" / "Book1.xlsx", book)
    style = CellStyle(fill="00B050", font_color="FFFFFF", bold=True, number_format="0.0%")
    outputs = []
    for run in range(2):
        package = Package(book if run == 0 else outputs[-1])
        sheet = next(iter(package.sheet_parts))
        package.sheet(sheet).set_style(3, 3, style)
        package.sheet(sheet).set_style(4, 3, CellStyle(fill="FF0000"))
        outputs.append(tmp_path / f"run{run}.xlsx")
        package.save(outputs[-1])
    with zipfile.ZipFile(outputs[0]) as a, zipfile.ZipFile(outputs[1]) as b:
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")


def _with_an_activex_button(template, path):
    """The template with an ActiveX command button on Social Care, laid out as Excel writes one: the control part
    and its binary, the picture Excel shows for it, its VML shape, and <controls> in Excel 2010's
    mc:AlternateContent wrapper."""
    sheet = "xl/worksheets/sheet2.xml"
    extra = {
        "xl/activeX/activeX1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="no"?><ax:ocx xmlns:ax="http://sch'
        'emas.microsoft.com/office/2006/activeX" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relati'
        'onships" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}" ax:persistence="persistStreamInit" r:id="rId1"/>',
        "xl/activeX/_rels/activeX1.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://sc'
        'hemas.microsoft.com/office/2006/relationships/activeXControlBinary" Target="activeX1.bin"/></Relationships>',
        "xl/activeX/activeX1.bin": b"\x00" * 64,
        "xl/media/image1.emf": b"\x01\x00\x00\x00" + b"\x00" * 60,
        "xl/drawings/vmlDrawing1.vml": '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:'
        'office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="e'
        'dit" data="1"/></o:shapelayout><v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,216'
        '00r21600,l21600,xe"><v:stroke joinstyle="miter"/></v:shapetype><v:shape id="_x0000_s1025" type="#_x0000_t201" '
        'style="position:absolute;width:80pt;height:24pt" o:button="t" stroked="f"><v:imagedata o:relid="rId1" o:title'
        '=""/><x:ClientData ObjectType="Pict"><x:CF>Pict</x:CF><x:AutoPict/></x:ClientData></v:shape></xml>',
        "xl/drawings/_rels/vmlDrawing1.vml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships'
        ' xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://sch'
        'emas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/image1.emf"/></Relationships>',
        "xl/worksheets/_rels/sheet2.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId90" Type="http://sc'
        'hemas.openxmlformats.org/officeDocument/2006/relationships/control" Target="../activeX/activeX1.xml"/><Relati'
        'onship Id="rId91" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../'
        'media/image1.emf"/><Relationship Id="rId92" Type="http://schemas.openxmlformats.org/officeDocument/2006/relati'
        'onships/vmlDrawing" Target="../drawings/vmlDrawing1.vml"/></Relationships>',
    }
    controls = ('<legacyDrawing r:id="rId92"/><controls><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.'
                'org/markup-compatibility/2006"><mc:Choice Requires="x14"><control shapeId="1025" r:id="rId90" name="'
                'CommandButton1"><controlPr defaultSize="0" autoLine="0" r:id="rId91"><anchor moveWithCells="1"><from>'
                '<xdr:col xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">1</xdr:col>'
                '<xdr:colOff xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">0</xdr:colOff>'
                '<xdr:row xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">1</xdr:row>'
                '<xdr:rowOff xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">0</xdr:rowOff>'
                '</from><to><xdr:col xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">2</xdr:col>'
                '<xdr:colOff xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">0</xdr:colOff>'
                '<xdr:row xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">2</xdr:row>'
                '<xdr:rowOff xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">0</xdr:rowOff>'
                '</to></anchor></controlPr></control></mc:Choice><mc:Fallback><control shapeId="1025" r:id="rId90" name="'
                'CommandButton1"/></mc:Fallback></mc:AlternateContent></controls>')
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == sheet:
                text = data.decode("utf-8")
                at = text.index("<extLst>") if "<extLst>" in text else text.index("</worksheet>")
                if 'xmlns:r=' not in text[:500]:
                    text = text.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDoc'
                                                      'ument/2006/relationships" ', 1)
                    at = text.index("<extLst>") if "<extLst>" in text else text.index("</worksheet>")
                data = (text[:at] + controls + text[at:]).encode("utf-8")
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.acti'
                                    b'veX"/><Default Extension="emf" ContentType="image/x-emf"/><Default Extension="vml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/><Override '
                                    b'PartName="/xl/activeX/activeX1.xml" ContentType="application/vnd.ms-office.activeX'
                                    b'+xml"/></Types>')
            target.writestr(info, data)
        for name, data in extra.items():
            target.writestr(name, data)
    return path


def test_an_issue_drops_an_activex_control_whole(template, tmp_path):
    card = _with_an_activex_button(template, tmp_path / "button.xlsx")
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        rels = z.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    # the control, its binary and picture, and the VML drawing that held only its shape
    assert not [n for n in names if "activeX" in n or n.endswith((".emf", ".vml"))]
    assert "<controls" not in sheet and "<legacyDrawing" not in sheet and not re.search(r'Id="rId9[012]"', rels)
    assert "activeX1.xml" not in types
    assert "Left out of the issue with what used them: xl/activeX/activeX1.bin" in result.stdout


def test_an_escaped_table_column_name_is_left_as_excel_wrote_it(tmp_path):
    """Excel writes a line break in a table column's name as _x000a_. Writing the header cell with the same text
    leaves the name as Excel wrote it; a new text renames it, escaped the same way."""
    import xlsxwriter

    from cyps_xl.workbook.package import Package

    path = tmp_path / "table.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Social Care")
    ws.add_table("A1:B3", {"name": "Bars", "columns": [{"header": "REF"}, {"header": "Handle\nBars"}],
                           "data": [["3.14", 1]] * 2})
    wb.close()
    with zipfile.ZipFile(path) as z:
        names = {n: z.read(n) for n in z.namelist()}
    table_part = next(n for n in names if n.startswith("xl/tables/"))
    excel_style = names[table_part].replace(b'name="Handle&#xA;Bars"', b'name="Handle_x000a_Bars"')
    assert excel_style != names[table_part]
    with zipfile.ZipFile(path, "w") as z:
        for n, data in names.items():
            z.writestr(n, excel_style if n == table_part else data)
    package = Package(path)
    package.sheet("Social Care").set_value(1, 2, "Handle\nBars")  # the same text: the name is Excel's still
    package.sheet("Social Care").set_value(1, 1, "REF\nNO.")  # a new text: renamed, escaped as Excel would
    out = tmp_path / "out.xlsx"
    package.save(out)
    with zipfile.ZipFile(out) as z:
        table = z.read(table_part).decode()
    assert 'name="Handle_x000a_Bars"' in table and 'name="REF_x000A_NO."' in table and "&#10;" not in table


def _saved_result(source, target, saved):
    """``source`` with the result saved beside its COUNTIF (as Excel saves it after calculating; openpyxl writes
    none, and a refresh keeps the one it found)."""
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename.startswith("xl/worksheets/") and b"COUNTIF" in data:
                data = re.sub(rb"(<f>COUNTIF\(CardRAG,&quot;Red&quot;\)</f>|<f>COUNTIF\(CardRAG,\"Red\"\)</f>)"
                              rb"(<v\s*/>|<v>[^<]*</v>)?", lambda m: m.group(1) + f"<v>{saved}</v>".encode(), data)
            out.writestr(info, data)
    return target


def _counts_card(template, tmp_path):
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.load_workbook(template)
    wb.create_sheet("Counts")["A1"] = '=COUNTIF(CardRAG,"Red")'
    wb.defined_names["CardRAG"] = DefinedName("CardRAG", attr_text="'Social Care'!$U$14:$U$200")
    wb.save(tmp_path / "plain.xlsx")
    return _saved_result(tmp_path / "plain.xlsx", tmp_path / "counts.xlsx", 0)


def test_an_issue_never_freezes_a_formula_the_issue_made_stale(template, tmp_path):
    """A team's count of Reds over the RAG column (a defined name), saved as 0 before the ratings were written.
    With no LibreOffice to recalculate it, the issue refuses, naming the formula and what it reads; once
    refreshed and recalculated by Excel (the count saved with the ratings in place), the issue goes."""
    import os
    import subprocess
    import sys

    card = _counts_card(template, tmp_path)
    no_libreoffice = {k: v for k, v in os.environ.items() if k != "CYPS_XL_SOFFICE"}
    no_libreoffice["PATH"] = str(tmp_path)  # nothing to run there
    result = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(card), "-o", str(tmp_path / "out.xlsx")],
                            capture_output=True, text=True, env=no_libreoffice)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert re.search(r"counts\.xlsx, sheet 'Counts', cell A1: this formula reads 'Social Care'!U\d+, which the issue "
                     r"writes a new value into, so the result saved with it would be out of date in the issue, and it "
                     r"cannot be recalculated here \(LibreOffice, which cyps-xl recalculates formulas with, is not "
                     r"installed\)", result.stderr), result.stderr
    assert "Refresh the working copy (cyps-xl refresh), open it in Excel" in result.stderr
    assert not (tmp_path / "out.xlsx").exists()
    refreshed = tmp_path / "refreshed.xlsx"
    assert run_cli("refresh", card, "-o", refreshed).returncode == 0
    reds = sum(1 for (value,) in openpyxl.load_workbook(refreshed)["Social Care"].iter_rows(
        min_row=14, min_col=21, max_col=21, values_only=True) if value == "Red")
    recalculated = _saved_result(refreshed, tmp_path / "recalculated.xlsx", reds)
    out = tmp_path / "issued.xlsx"
    result = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(recalculated), "-o", str(out)],
                            capture_output=True, text=True, env=no_libreoffice)
    assert result.returncode == 0, result.stderr
    assert openpyxl.load_workbook(out)["Counts"]["A1"].value == reds > 0  # frozen at the count the issue shows


def test_a_formula_the_issue_made_stale_is_recalculated_by_libreoffice_before_it_is_frozen(template, tmp_path):
    import shutil

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is needed: apt-get install libreoffice-calc-nogui")
    card = _counts_card(template, tmp_path)
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    assert ("1 formula(s) read what the issue wrote and were recalculated (LibreOffice) before being frozen: "
            "'Counts'!A1.") in result.stdout
    issued = openpyxl.load_workbook(out)
    reds = sum(1 for (value,) in issued["Social Care"].iter_rows(min_row=14, min_col=21, max_col=21, values_only=True)
               if value == "Red")
    assert issued["Counts"]["A1"].value == reds > 0  # not the 0 saved before the ratings were written
    assert "formula(s) of the team's were replaced" not in result.stdout
