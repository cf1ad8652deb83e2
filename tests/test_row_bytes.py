"""Plain rows are read and written as bytes (cyps_xl.workbook.rowbytes); any other row as elements. The two
ways must agree: the same edits give the same workbook, cell for cell, on files Excel saved and on the
team's scorecard, and a sheet the byte scanner cannot follow is read and written as elements, never guessed at."""
import zipfile
from pathlib import Path

import pytest
from lxml import etree

import cyps_xl
from cyps_xl.workbook import worksheet as worksheet_module
from cyps_xl.workbook.cells import read_grids
from cyps_xl.workbook.changes import CellChange, cell_changes
from cyps_xl.workbook.package import Package
from test_excel_saved import FILES, _scorecard_edit


def _as_elements(monkeypatch) -> None:
    """Every sheet read and written as elements, as a sheet that is not plain is."""
    monkeypatch.setattr(worksheet_module.Worksheet, "layout", property(lambda self: None))


def _canonical(path) -> dict:
    """Each part, XML in canonical form (attribute quoting, empty tags and namespace spelling aside)."""
    parts = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            data = z.read(name)
            if name.endswith((".xml", ".rels", ".vml")):
                data = etree.tostring(etree.fromstring(data), method="c14n")
            parts[name] = data
    return parts


def _plain_sheets(path) -> int:
    package = Package(path)
    return sum(1 for part in package.sheet_parts.values() if "/worksheets/" in part
               and package.worksheet(part).layout is not None)


def _text_sheet(path: Path, rows: int) -> Path:
    """A workbook of one sheet, S, whose row n reads n-1, 'text n-1', (n-1)/7, as xlsxwriter writes it."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    sheet = wb.add_worksheet("S")
    for r in range(rows):
        sheet.write_row(r, 0, [r, f"text {r}", r / 7])
    wb.close()
    return path


def _part_changed(path: Path, out: Path, part: str, change) -> Path:
    """A copy of the workbook at ``out`` with the bytes of ``part`` passed through ``change``."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == part else data)
    return out


def _with_prefix(data: bytes, **more) -> bytes:
    """A part whose root spells the main namespace x: instead of declaring it the default."""
    old = etree.fromstring(data)
    root = etree.Element(old.tag, nsmap={"x": etree.QName(old).namespace, **more}, attrib=dict(old.attrib))
    root.extend(list(old))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@pytest.mark.parametrize("values_only", [False, True], ids=["refresh-like", "issue-like"])
def test_bytes_and_elements_write_the_same_workbook(tmp_path, monkeypatch, values_only):
    plain = sum(_plain_sheets(path) for path in FILES)
    assert plain >= 100  # the byte path really runs on these files
    as_bytes, as_elements = tmp_path / "bytes", tmp_path / "elements"
    as_bytes.mkdir(), as_elements.mkdir()
    for path in FILES:
        _scorecard_edit(path, as_bytes / path.name, values_only)
    with monkeypatch.context() as patched:
        _as_elements(patched)
        for path in FILES:
            _scorecard_edit(path, as_elements / path.name, values_only)
    differ = {}
    for path in FILES:
        left, right = _canonical(as_bytes / path.name), _canonical(as_elements / path.name)
        names = [n for n in left.keys() | right.keys() if left.get(n) != right.get(n)]
        if names:
            differ[path.name] = sorted(names)
    assert differ == {}


def test_bytes_and_elements_read_the_same_cells(monkeypatch):
    def cells(path):
        book = read_grids(Package(path))
        return {sheet.title: [[(c.column, c.value, c.number_format) for c in row] for row in sheet.iter_rows()]
                for sheet in book.worksheets}

    read = {path.name: cells(path) for path in FILES}
    with monkeypatch.context() as patched:
        _as_elements(patched)
        differ = [path.name for path in FILES if cells(path) != read[path.name]]
    assert differ == []


def test_the_issued_scorecard_is_the_same_either_way(template, tmp_path, monkeypatch):
    cyps_xl.issue(template, tmp_path / "bytes.xlsx", today=__import__("datetime").date(2022, 5, 20))
    with monkeypatch.context() as patched:
        _as_elements(patched)
        cyps_xl.issue(template, tmp_path / "elements.xlsx", today=__import__("datetime").date(2022, 5, 20))
    assert _canonical(tmp_path / "bytes.xlsx") == _canonical(tmp_path / "elements.xlsx")


@pytest.mark.parametrize("damage, plain", [
    (b"<!-- a note a tool left -->", False),  # a comment among the rows
    (b"<?cyps something?>", False),  # a processing instruction
    (b"  \n  ", True),  # whitespace is as good as nothing
])
def test_rows_the_scanner_cannot_follow_are_read_as_elements(tmp_path, damage, plain):
    damaged = _part_changed(_text_sheet(tmp_path / "s.xlsx", 30), tmp_path / "damaged.xlsx", "xl/worksheets/sheet1.xml",
                            lambda data: data.replace(b'<row r="10"', damage + b'<row r="10"', 1))
    package = Package(damaged)
    worksheet = package.worksheet(package.sheet_parts["S"])
    grid = read_grids(package)["S"]
    assert (worksheet.layout is not None) == plain
    assert [grid.cell(r, 2).value for r in (1, 10, 30)] == ["text 0", "text 9", "text 29"]
    package.sheet("S").set_value(10, 2, "changed")
    package.save(tmp_path / "out.xlsx")
    again = read_grids(Package(tmp_path / "out.xlsx"))["S"]
    assert [again.cell(r, 2).value for r in (9, 10, 11)] == ["text 8", "changed", "text 10"]


def test_a_question_or_exclamation_mark_in_a_cell_leaves_its_rows_plain():
    """Comments and processing instructions among the rows are looked for only where a "!" or "?" is (#27): text
    holding them is no comment, and a comment after such text is still found."""
    from cyps_xl.workbook.rowbytes import Rows, Unusual

    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>Why? Now! a&lt;b</t></is></c></row>'
    rows = row % (1, 1) + row % (2, 2)
    assert Rows(head + rows + b"</sheetData></worksheet>").end > 0
    for among in (b"<!-- a note -->", b"<?cyps pi?>"):
        with pytest.raises(Unusual):
            Rows(head + row % (1, 1) + among + row % (2, 2) + b"</sheetData></worksheet>")


def test_a_sheet_that_spells_its_namespace_with_a_prefix(tmp_path):
    """Tools built on the Open XML SDK write <x:row><x:c ...>: read and edited as bytes all the same."""

    def prefixed_rows(data: bytes) -> bytes:
        data = _with_prefix(data, r="http://schemas.openxmlformats.org/officeDocument/2006/relationships")
        assert b"<x:row" in data and b"<x:c " in data
        return data

    prefixed = _part_changed(_text_sheet(tmp_path / "s.xlsx", 20), tmp_path / "prefixed.xlsx",
                             "xl/worksheets/sheet1.xml", prefixed_rows)
    package = Package(prefixed)
    assert package.worksheet(package.sheet_parts["S"]).layout is not None
    assert read_grids(package)["S"].cell(5, 2).value == "text 4"
    editor = package.sheet("S")
    editor.set_value(5, 2, "changed")
    editor.set_value(5, 6, 12.5)  # a new cell
    editor.set_value(25, 1, "a new row")
    package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        written = z.read("xl/worksheets/sheet1.xml")
    assert b"<c " not in written and b"<row" not in written  # the sheet's own spelling throughout
    again = read_grids(Package(tmp_path / "out.xlsx"))["S"]
    assert [again.cell(5, 2).value, again.cell(5, 6).value, again.cell(25, 1).value, again.cell(6, 2).value] == \
        ["changed", 12.5, "a new row", "text 5"]


@pytest.mark.parametrize("prefixed", [False, True], ids=["plain", "x: prefix"])
def test_a_cell_given_a_value_like_others_before_it_is_written_as_they_were(tmp_path, monkeypatch, prefixed):
    """A rewritten cell's bytes after its address are made once for its style, value and restyling and reused
    (#27): the sheet is byte for byte the one each cell made on its own gives, with the namespace spelt either way,
    cells old and new, with and without addresses, text, numbers, a value emptied and a style on top."""
    import re

    from cyps_xl.workbook.rowwriter import RowWriter
    from cyps_xl.workbook.styles import CellStyle

    import xlsxwriter

    source = tmp_path / "s.xlsx"
    wb = xlsxwriter.Workbook(str(source))
    sheet, bold = wb.add_worksheet("S"), wb.add_format({"bold": True})
    for r in range(40):  # B's cells in two looks: s="1" or none
        sheet.write_row(r, 0, [r, f"text {r}", r / 7], bold if r % 2 else None)
    wb.close()
    source = _part_changed(source, tmp_path / "unaddressed.xlsx", "xl/worksheets/sheet1.xml",  # as a minimal
                           lambda data: re.sub(rb' r="B\d+"', b"", data))  # writer leaves B's cells
    if prefixed:
        source = _part_changed(source, tmp_path / "prefixed.xlsx", "xl/worksheets/sheet1.xml", lambda data: _with_prefix(
            data, r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"))

    def written(name: str) -> bytes:
        package = Package(source)
        read_grids(package)
        editor = package.sheet("S")
        for r in range(1, 41):
            editor.set_value(r, 2, "Green" if r % 3 else "Red")  # a cell the row has
            editor.set_value(r, 4, ["▲", "▼", 7.5][r % 3])  # one it lacks
            editor.set_style(r, 4, CellStyle(fill="FFC000" if r % 2 else "00B050"))
            if r % 5 == 0:
                editor.set_value(r, 1, None)
        package.save(tmp_path / name)
        with zipfile.ZipFile(tmp_path / name) as z:
            return z.read("xl/worksheets/sheet1.xml")

    reused = written("reused.xlsx")
    monkeypatch.setattr(RowWriter, "_cell_bytes", RowWriter._made_cell)
    assert reused == written("each made.xlsx")
    assert reused.count(b"Green") == 0 and len(reused) > 2000  # the texts are shared strings: written as indexes


def _sparkline_sheet(tmp_path, swap: bool = False):
    """A sheet with Excel-style sparklines (one group each, as Excel saves sparklines made one at a time)."""
    import xlsxwriter

    path = tmp_path / "spark.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r in range(1, 11):
        ws.write_row(r - 1, 0, [r, r * 2, r * 3, r * 4])
        ws.add_sparkline(f"E{r}", {"range": f"S!A{r}:D{r}", "type": "column"})
    wb.close()
    if swap:  # the formula after its cell: valid, but not the usual order
        import re

        path = _part_changed(path, tmp_path / "swapped.xlsx", "xl/worksheets/sheet1.xml", lambda data: re.sub(
            rb"(<xm:f>[^<]*</xm:f>)(<xm:sqref>[^<]*</xm:sqref>)", rb"\2\1", data))
    return path


def test_sparklines_kept_as_saved_are_never_parsed(tmp_path):
    """A big scorecard's extension list is a sparkline a row: checked as bytes, copied as saved when kept."""
    path = _sparkline_sheet(tmp_path)
    package = Package(path)
    editor = package.sheet("S")
    worksheet = editor.worksheet
    assert worksheet.saved_sparklines() == {f"E{r}": f"S!A{r}:D{r}" for r in range(1, 11)}
    assert [editor.ensure_sparkline(f"E{r}", f"S!$A${r}:$D${r}") for r in range(1, 11)] == ["kept"] * 10
    assert worksheet._extensions is not None  # nothing parsed
    editor.set_value(1, 1, 99)
    package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(path) as before, zipfile.ZipFile(tmp_path / "out.xlsx") as after:
        old, new = before.read("xl/worksheets/sheet1.xml"), after.read("xl/worksheets/sheet1.xml")
    assert old[old.index(b"<extLst"):] == new[new.index(b"<extLst"):]  # byte for byte


@pytest.mark.parametrize("swap", [False, True], ids=["usual", "formula after its cell"])
def test_a_sparkline_that_must_change_is_changed_in_the_parsed_list(tmp_path, swap):
    path = _sparkline_sheet(tmp_path, swap)
    package = Package(path)
    editor = package.sheet("S")
    assert (editor.worksheet.saved_sparklines() is None) == swap
    assert editor.ensure_sparkline("E1", "S!A1:D1") == "kept"
    assert editor.ensure_sparkline("E2", "S!A2:C2") == "updated"
    assert editor.ensure_sparkline("E20", "S!A20:D20") == "created"
    assert editor.ensure_sparkline("E3", "S!A3:D3") == "kept"
    package.save(tmp_path / "out.xlsx")
    again = Package(tmp_path / "out.xlsx").sheet("S").sparklines()
    assert again["E2"] == "S!A2:C2" and again["E20"] == "S!A20:D20" and again["E3"] == "S!A3:D3"
    assert len(again) == 11
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        text = z.read("xl/worksheets/sheet1.xml")
    assert text.count(b"<extLst>") == 1 and text.rstrip().endswith(b"</extLst></worksheet>")


def test_sparklines_made_one_after_another_go_where_the_sheet_holds_its_groups_then(tmp_path):
    """The sparkline groups found for one sparkline made serve the next (#27: found again each time, 3,000 times),
    only while they are still in the sheet: once gone from it, they are found (or made) again."""
    from cyps_xl.workbook.parts import M

    path = _sparkline_sheet(tmp_path)
    package = Package(path)
    editor = package.sheet("S")
    assert editor.ensure_sparkline("E20", "S!A20:D20") == "created"
    first = editor._sparkline_groups()
    assert editor.ensure_sparkline("E21", "S!A21:D21") == "created" and editor._sparkline_groups() is first
    package.save(tmp_path / "out.xlsx")
    again = Package(tmp_path / "out.xlsx").sheet("S").sparklines()
    assert again["E20"] == "S!A20:D20" and again["E21"] == "S!A21:D21" and len(again) == 12
    shell = editor.worksheet.with_extensions()
    shell.remove(shell.find(f"{M}extLst"))
    found = editor._sparkline_groups()
    assert found is not first and found.getroottree().getroot() is shell


def test_the_extension_list_kept_as_saved_is_the_sheets_own():
    """A data bar's rule carries its own extLst, and an ext may nest one: only the worksheet's last child
    is kept as bytes."""
    from cyps_xl.workbook.extensionbytes import without_extensions

    tail = (b'</sheetData><conditionalFormatting sqref="A1:A9"><cfRule type="dataBar" priority="1"><dataBar>'
            b'<cfvo type="min"/><cfvo type="max"/><color rgb="FF638EC6"/></dataBar><extLst><ext uri="{B025F937}">'
            b'<x14:id>{1}</x14:id></ext></extLst></cfRule></conditionalFormatting><pageMargins/>'
            b'<extLst><ext uri="{78C0D931}"><extLst><ext uri="x"/></extLst></ext></extLst>\n</worksheet>')
    rest, (start, end) = without_extensions(tail, b"")
    assert tail[start:end] == b'<extLst><ext uri="{78C0D931}"><extLst><ext uri="x"/></extLst></ext></extLst>'
    assert rest.endswith(b"<pageMargins/>\n</worksheet>") and b"<x14:id>{1}</x14:id>" in rest
    assert without_extensions(b"</sheetData><pageMargins/></worksheet>", b"") == (
        b"</sheetData><pageMargins/></worksheet>", None)
    assert without_extensions(b"</x:sheetData><x:extLst><x:ext/></x:extLst></x:worksheet>", b"x:")[1] == (14, 43)


LIBREOFFICE = Path(__file__).parent / "fixtures" / "other_tools" / "scorecard_saved_by_libreoffice_7.4.xlsx"


def _words(path) -> dict:
    """Every cell's value on the scorecard sheets, as the reader gives them."""
    book = read_grids(Package(path))
    return {sheet.title: {(c.row, c.column): c.value for row in sheet.iter_rows() for c in row}
            for sheet in book.worksheets}


def test_a_scorecard_libreoffice_saved_is_issued_as_the_original(tmp_path, monkeypatch):
    """LibreOffice spells rows and cells its own way: read as bytes all the same, rated the same as the
    scorecard it was saved from, and written the same either way."""
    import datetime as dt

    from conftest import ROOT

    package = Package(LIBREOFFICE)
    assert all(package.worksheet(part).layout is not None for part in package.sheet_parts.values())
    original = ROOT / "workbook_templates" / "cyps_scorecard_template.xlsx"
    day = dt.date(2026, 11, 27)
    ours = cyps_xl.issue(LIBREOFFICE, tmp_path / "lo.xlsx", today=day, presentation=False)
    theirs = cyps_xl.issue(original, tmp_path / "original.xlsx", today=day, presentation=False)
    assert [(r.row.ref, r.rag_month.band, r.dot_month.direction) for rows in ours.results.values() for r in rows] == \
        [(r.row.ref, r.rag_month.band, r.dot_month.direction) for rows in theirs.results.values() for r in rows]
    issued, from_original = _words(tmp_path / "lo.xlsx"), _words(tmp_path / "original.xlsx")
    for sheet, cells in from_original.items():
        written = {(change.row, change.column) for change in cell_changes(theirs.changes)
                   if isinstance(change, CellChange) and change.sheet == sheet}
        assert written
        # LibreOffice saves a figure to 15 significant digits (0.9129999999999999 as 0.913): compared as shown
        shown = lambda v: float(f"{v:.12g}") if isinstance(v, float) else v  # noqa: E731
        assert {k: shown(issued[sheet].get(k)) for k in written} == {k: shown(cells.get(k)) for k in written}, sheet
    with monkeypatch.context() as patched:
        _as_elements(patched)
        cyps_xl.issue(LIBREOFFICE, tmp_path / "elements.xlsx", today=day, presentation=False)
    assert _canonical(tmp_path / "lo.xlsx") == _canonical(tmp_path / "elements.xlsx")
    # and it needs no more repair than the file LibreOffice wrote (which has no theme part)
    pytest.importorskip("openxml_audit")
    from test_excel_saved import _audit_folder

    folder = tmp_path / "audit"
    folder.mkdir()
    import shutil

    shutil.copyfile(LIBREOFFICE, folder / "source.xlsx")
    cyps_xl.issue(LIBREOFFICE, folder / "issued.xlsx", today=day)  # with its summary and commentary
    cyps_xl.refresh(LIBREOFFICE, folder / "refreshed.xlsx")
    found = _audit_folder(folder)
    assert found["issued.xlsx"] <= found["source.xlsx"] and found["refreshed.xlsx"] <= found["source.xlsx"]


@pytest.mark.parametrize("prefixed", [False, True], ids=["default namespace", "x: prefix"])
def test_texts_added_to_the_shared_strings_are_written_as_lxml_would_write_them(tmp_path, prefixed):
    """Added texts are kept as text until the table is written, then appended as the element code wrote
    them: the same bytes, escapes and spaces included, in a table that spells its namespace either way."""
    import xlsxwriter

    path = tmp_path / "s.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write("A1", "already there")
    wb.close()
    if prefixed:
        def prefixed_table(data: bytes) -> bytes:
            data = _with_prefix(data)
            assert b"<x:si>" in data
            return data

        path = _part_changed(path, tmp_path / "prefixed.xlsx", "xl/sharedStrings.xml", prefixed_table)
    texts = ["Amber & <red>", "  spaced  ", "two\nlines", "carriage\r\nreturn", "café – 90.1% (19/20)", "already there"]
    package = Package(path)
    editor = package.sheet("S")
    for row, text in enumerate(texts, start=2):
        editor.set_value(row, 1, text)
    with pytest.raises(ValueError, match="XML compatible"):
        editor.set_value(20, 1, "a bell\x07")
    package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        written = z.read("xl/sharedStrings.xml")
    # what the element code made of the same texts
    expected = etree.fromstring(zipfile.ZipFile(path).read("xl/sharedStrings.xml"))
    m = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    for text in texts[:-1]:
        node = etree.SubElement(etree.SubElement(expected, f"{m}si"), f"{m}t")
        node.text = text
        if text != text.strip() or "\n" in text:
            node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    expected.set("uniqueCount", "6")
    del expected.attrib["count"]  # optional, and a run cannot keep it true: it goes (see SharedStrings.settle)
    assert written == etree.tostring(expected, xml_declaration=True, encoding="UTF-8", standalone=True)
    grid = read_grids(Package(tmp_path / "out.xlsx"))["S"]
    assert [grid.cell(row, 1).value for row in range(2, 8)] == texts


def test_a_workbook_without_shared_strings_gets_a_table_of_what_is_added(tmp_path):
    import xlsxwriter

    path = tmp_path / "numbers.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write_row(0, 0, [1, 2, 3])
    wb.close()
    with zipfile.ZipFile(path) as z:
        assert "xl/sharedStrings.xml" not in z.namelist()
    package = Package(path)
    package.sheet("S").set_value(2, 1, "Green")
    package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        table = z.read("xl/sharedStrings.xml")
    assert table.endswith(b' uniqueCount="1"><si><t>Green</t></si></sst>') and b' count=' not in table
    assert read_grids(Package(tmp_path / "out.xlsx"))["S"].cell(2, 1).value == "Green"


def test_a_frozen_workbook_that_had_no_shared_strings_gets_a_whole_table(tmp_path):
    """Issuing freezes formulas, and a frozen text formula's value goes to the shared strings, so the table is
    made before the sheets are written: written as a whole table even when nothing is added to it."""
    import xlsxwriter

    path = tmp_path / "numbers.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    sheet = wb.add_worksheet("S")
    sheet.write_row(0, 0, [1, 2])
    sheet.write_formula("C1", "=A1+B1", None, 3)
    wb.close()
    package = Package(path)
    package.sheet("S").set_value(2, 1, 5)
    package.freeze_formulas()
    package.save(tmp_path / "out.xlsx", last=True)
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        table = etree.fromstring(z.read("xl/sharedStrings.xml"))
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    assert etree.QName(table).localname == "sst" and len(table) == 0
    grid = read_grids(Package(tmp_path / "out.xlsx"))["S"]
    assert [grid.cell(1, 3).value, grid.cell(2, 1).value] == [3, 5]


def _edit_plan(path) -> dict:
    """sheet -> row -> columns to edit, over the first rows of every sheet: a cell the row has, cells it lacks
    just left of one it has (the new cell goes right before it, which is not edited), a column past its
    last, and A."""
    plan = {}
    for sheet in read_grids(Package(path)).worksheets:
        rows = {}
        for number in sheet.row_numbers()[:40]:
            have = sorted(sheet.row(number))
            lack = [c - 1 for c in have if c > 1 and c - 1 not in have]
            middle = [have[len(have) // 2]] if len(have) > 2 else []
            rows[number] = sorted({1, *middle, *lack[-3:], (have[-1] if have else 1) + 1})
        plan[sheet.title] = rows
    return plan


def _edit_every_kind_of_cell(package, plan: dict) -> None:
    from cyps_xl.workbook.styles import CellStyle

    for name, rows in plan.items():
        editor = package.sheet(name)
        for number, columns in rows.items():
            for column in columns:
                editor.set_style(number, column, CellStyle(fill="FFC000"))
            editor.set_value(number, columns[len(columns) // 2], "Amber")
            editor.set_value(number, columns[-1], number / 7)


def test_cells_found_by_their_addresses_are_the_cells_a_scan_finds(tmp_path, monkeypatch):
    """Once the reader has been through a sheet's cells, the writer finds the cells an edit touches by their
    addresses (Rows.addressed_cells) instead of scanning each row: the workbook written is the same, byte
    for byte, on files Excel and LibreOffice saved."""
    from cyps_xl.workbook.rowbytes import Rows

    used = []
    real = Rows.addressed_cells
    monkeypatch.setattr(Rows, "addressed_cells", lambda self, *a: used.append(1) or real(self, *a))
    differ = []
    for path in FILES + [LIBREOFFICE]:
        plan = _edit_plan(path)
        written = []
        for read_first in (True, False):
            package = Package(path)
            if read_first:
                read_grids(package)  # names the rows whose cells can be found by their addresses
            _edit_every_kind_of_cell(package, plan)
            package.save(tmp_path / "out.xlsx")
            written.append((tmp_path / "out.xlsx").read_bytes())
        if written[0] != written[1]:
            differ.append(path.name)
    assert differ == []
    assert len(used) > 300  # the addresses were really used


def test_bytes_and_elements_find_the_same_formulas(monkeypatch):
    """A row with formulas is read as bytes too (#27): the formulas found, their text, kind, shared index, range and
    whether a result was saved, are the element code's, on every Excel-saved fixture."""
    def formulas(path):
        package = Package(path)
        return {name: (dict(package.worksheet(part).formulas), package.worksheet(part).has_formulas)
                for name, part in package.sheet_parts.items() if "/worksheets/" in part}

    read = {path.name: formulas(path) for path in FILES}
    assert sum(len(found) for sheets in read.values() for found, _ in sheets.values()) >= 30
    with monkeypatch.context() as patched:
        _as_elements(patched)
        differ = [path.name for path in FILES if formulas(path) != read[path.name]]
    assert differ == []


def test_a_rows_last_column_counts_cells_without_addresses_and_reads_addresses_in_any_place():
    """A minimal writer leaves addresses out (each cell one right of the one before); another writes r after s.
    The last column is the last cell's, however its address is written."""
    from cyps_xl.workbook.rowbytes import Rows

    layout = Rows(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  b'</sheetData></worksheet>')
    assert layout.last_column(b'<c r="B1" s="1"/><c s="1"/><c><v>2</v></c>') == 4
    assert layout.last_column(b'<c r="A1"/><c s="1" r="E1"/>') == 5
    assert layout.last_column(b'<c s="2"/><c/>') == 2
    assert layout.last_column(b'<c s="1" r="C1"><v>1</v></c>') == 3
    assert layout.last_column(b"") == 0


@pytest.mark.parametrize("row", [
    b'<c r="A5"><v></v></c><c r="B5"></c><c r="C5" t="s"><v>0</v></c><c r="D5" t="n"><v>1.5</v></c>',
    b'<c r="A5" t="n"><v>2</v></c>\n  <c r="B5" s="0" t="s"><v>1</v></c>\n  ',  # whitespace between and after
    b'<c t="s"><v>0</v></c><c><v>7</v></c><c s="0"/><c r="F5"><v>8</v></c><c><v>9</v></c>',  # no addresses
    b'<c r="A5" t="inlineStr"><is><t>inline</t></is></c><c r="B5" t="str"><f>1+1</f><v>2</v></c>',
    b'<c r="C5"><v>1</v></c><c r="A5"><v>2</v></c>',  # out of order
    b'<c r="A5" t="s"><v>1</v></c><c r="B5" t="e"><v>#N/A</v></c><c r="C5" t="b"><v>1</v></c>',
])
def test_every_form_of_cell_is_read_as_the_elements_read_it(tmp_path, monkeypatch, row):
    """The byte reader's pass over a row (cyps_xl.workbook.cellbytes.plain_cells) gives the values the element
    reader gives, for the forms writers leave: an empty <v/>, no value, types spelt out, whitespace, no addresses."""
    import re

    path = _part_changed(_text_sheet(tmp_path / "s.xlsx", 8), tmp_path / "forms.xlsx", "xl/worksheets/sheet1.xml",
                         lambda data: re.sub(rb'(<row r="5"[^>]*>).*?(</row>)', lambda m: m.group(1) + row + m.group(2),
                                             data, count=1, flags=re.S))

    def cells(plain=None):
        package = Package(path)
        grid = read_grids(package)["S"]
        if plain is not None:  # read as bytes to the end: no row sent the sheet to the elements
            assert (package.worksheet(package.sheet_parts["S"]).layout is not None) is plain
        return [[(c.column, c.value, c.number_format) for c in r] for r in grid.iter_rows()]

    as_bytes = cells(plain=True)
    with monkeypatch.context() as patched:
        _as_elements(patched)
        assert as_bytes == cells()


@pytest.mark.parametrize("saved", [
    "plain", "Tom &amp; Jerry", "&lt;b&gt; &quot;quoted&quot; &apos;Early Help&apos;!F20:Q20", "line&#10;break&#xD;",
    "&#x80;&#128; (a control character in XML, not HTML's euro sign)", "&#x1F600; &#233;t&#xE9;", "&amp;amp;",
])
def test_text_is_read_with_its_references_as_lxml_reads_them(saved):
    """The bytes paths read a cell's text, a formula and a sparkline's range with xmltext.unescaped: XML's own
    references, as the element code reads them (html.unescape read &#x80; as the euro sign)."""
    from cyps_xl.workbook.xmltext import unescaped

    assert unescaped(saved) == etree.fromstring(f"<t>{saved}</t>".encode()).text


def test_the_cell_right_of_a_missing_one_is_found_however_far_on():
    """A cell the row lacks goes before the first cell right of it: found a few columns on (the next, as most
    often), far on, or as the cell after the one found before it, as scanning every cell finds it; none when it
    would go last. Every one, two and three wanted columns of a row with gaps."""
    import itertools

    from cyps_xl.cellref import column_letter
    from cyps_xl.workbook.rowbytes import Rows

    layout = Rows(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  b'</sheetData></worksheet>')
    present = [1, 2, 4, 12, 13, 30, 31]  # gaps of 1, 7, 16 columns
    body = b"".join(b'<c r="%s7" s="1"><v>%d</v></c>' % (column_letter(c).encode(), c) for c in present)
    scanned = list(layout.cells(body))
    for wanted in itertools.chain(*(itertools.combinations(range(1, 34), n) for n in (1, 2, 3))):
        expected = {}
        for column in wanted:
            at = next((item for item in scanned if item[0] >= column), None)
            if at is not None:
                expected[at[0]] = at[1].span()
        found = layout.addressed_cells(body, 7, list(wanted))
        assert [(c, m.span()) for c, m in found] == sorted(expected.items()), wanted


def test_a_row_tag_is_read_as_the_lazy_pattern_read_it():
    """Rows and cell tags are found with a pattern that runs through their attributes in one go (#27): the same
    attributes, self-closing slash and span as the lazy pattern it replaced, "/" inside a value included."""
    import re

    from cyps_xl.workbook.rowbytes import Rows

    layout = Rows(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  b'</sheetData></worksheet>')
    lazy_row, lazy_cell = re.compile(rb"<row\b([^>]*?)(/?)>"), re.compile(rb"<c\b([^>]*?)(/?)>")
    for tag in (b'<row r="1">', b'<row r="1"/>', b'<row r="1" a="x/y">', b"<row/>", b"<row>", b'<row a="/"/>',
                b'<row a="/" >', b'<rows r="1">', b'<row r="2" spans="1:3" ht="15" customHeight="1"/>'):
        for lazy, found in ((lazy_row, layout._row), (lazy_cell, layout._cell)):
            tag = tag if lazy is lazy_row else tag.replace(b"<row", b"<c")
            expected, got = lazy.search(tag), found.search(tag)
            assert (expected and (expected.groups(), expected.span())) == (got and (got.groups(), got.span())), tag


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_the_writers_scan_places_every_cell_as_the_full_pattern_does(prefix):
    """The writer's scan of a row it cannot address (#27) matches only what places a cell (the whole, a plain
    address's letters, other attributes): the same columns, starts, order and refusals as the full pattern."""
    from cyps_xl.workbook.rowbytes import Rows, Unusual

    ns = b' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"' if prefix else \
        b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    head = b"<" + prefix + b"worksheet" + ns + b"><" + prefix + b"sheetData>"
    layout = Rows(head + b"</" + prefix + b"sheetData></" + prefix + b"worksheet>")
    c, v, t, f, i = (b"<" + prefix + name for name in (b"c", b"v", b"t", b"f", b"is"))
    end = lambda name: b"</" + prefix + name + b">"  # noqa: E731
    cells = [
        c + b' r="A3" s="1" t="s">' + v + b">4" + end(b"v") + end(b"c"),
        c + b' t="inlineStr">' + i + b">" + t + b">Why? a&lt;b" + end(b"t") + end(b"is") + end(b"c"),
        c + b' s="2"/>',
        c + b' r="F3" s="6">' + v + b">741" + end(b"v") + end(b"c"),
        c + b' s="4">' + f + b">SUM(A1:A2)" + end(b"f") + v + b">3" + end(b"v") + end(b"c"),
        b"\n  " + c + b' s="3" r="K3" cm="1">' + v + b">1" + end(b"v") + end(b"c"),
        c + b" r='M3'/>",
        c + b">" + v + b">2" + end(b"v") + end(b"c"),
    ]
    bodies = [b"".join(cells), b"".join(cells[:3]) + b"  ", b"".join(reversed(cells[3:6])), cells[0] + b"<x/>", b""]
    for body in bodies:
        try:
            expected = [(column, match.start()) for column, match in layout.cells(body)]
            in_order = layout.in_order
        except Unusual:
            with pytest.raises(Unusual):
                layout.scanned(body)
            continue
        assert layout.scanned(body) == expected and layout.in_order == in_order, body
    assert [column for column, _ in layout.scanned(bodies[0])] == [1, 2, 3, 6, 7, 11, 13, 14]


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_a_cell_is_read_as_the_lazy_pattern_read_it(prefix):
    """A cell's attributes and content are matched in one go (#27), not by the lazy [^>]*? and .*? that tried for
    the end at every character: the same cells, spans and groups, the attributes but for whitespace before '>'."""
    import itertools
    import random
    import re

    from cyps_xl.workbook.rowbytes import _cell_form

    p = re.escape(prefix)
    lazy = re.compile(rb"\s*<" + p + rb"c\b"
                      rb'(?: r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?(?=\s*/?>)|([^>]*?))'
                      rb"\s*(?:(/)>|>(?:<" + p + rb"v>([^<]*)</" + p + rb"v>|(.*?))</" + p + rb"c>)", re.S)
    ours = re.compile(_cell_form(p, range(1, 9)), re.S)
    c, v, t, f, i, r = (b"<" + prefix + name for name in (b"c", b"v", b"t", b"f", b"is", b"r"))
    end = lambda name: b"</" + prefix + name + b">"  # noqa: E731
    attributes = [b"", b' r="B7"', b' r="B7" s="3"', b' t="inlineStr"', b' s="4" t="s"', b" r='C7'", b' a="x/y"',
                  b' cm="1" r="D7"', b" ", b' s="2" ', b'\n r="E7"', b' a="/"', b' a="x>y"']
    contents = [b"/>", b" />", b"></" + prefix + b"c>", b">" + v + b">5" + end(b"v") + end(b"c"),
                b">" + v + b"/>" + end(b"c"), b">" + i + b">" + t + b">a/b &lt; c" + end(b"t") + end(b"is") + end(b"c"),
                b">" + i + b">" + r + b">" + t + b">x" + end(b"t") + end(b"r") + end(b"is") + end(b"c"),
                b">" + f + b">A1&lt;2" + end(b"f") + v + b">1" + end(b"v") + end(b"c"),
                b">" + i + b">" + t + b">" + end(b"t") + end(b"is") + b"</" + prefix + b"c >" + end(b"c"),
                b">text only", b""]
    cells = [b"<" + prefix + b"c" + a + b for a, b in itertools.product(attributes, contents)]
    chosen = random.Random(27)
    rows = cells + [b"".join(chosen.choice(cells) for _ in range(chosen.randint(1, 6))) for _ in range(3000)]
    for row in rows:
        at = 0
        while True:
            expected, got = lazy.match(row, at), ours.match(row, at)
            assert (expected is None) == (got is None), row
            if expected is None:
                break
            assert expected.span() == got.span(), row
            groups = list(got.groups())
            groups[4] = groups[4].rstrip() if groups[4] is not None else None
            assert list(expected.groups()) == groups, row
            at = got.end()


def test_a_grids_extent_is_its_last_row_and_column_holding_a_value():
    """The last row and column with a value, worked out from each row's rightmost cell where it holds one (#27),
    are those of every cell holding a value, rows and cells in any order, empty cells and rows among them."""
    import random

    from cyps_xl.workbook.cells import GridSheet

    chosen = random.Random(27)
    for _ in range(5000):
        cells = {}
        for r in chosen.sample(range(1, 30), chosen.randint(0, 10)):
            cells[r] = {c: (chosen.choice([None, 1.0, "x", ""]), "General", 0)
                        for c in chosen.sample(range(1, 20), chosen.randint(0, 8))}
        holding = [(r, c) for r, row in cells.items() for c, cell in row.items() if cell[0] is not None]
        sheet = GridSheet("S", cells, [])
        assert (sheet.max_row, sheet.max_column) == (max((r for r, _ in holding), default=0),
                                                     max((c for _, c in holding), default=0)), cells
