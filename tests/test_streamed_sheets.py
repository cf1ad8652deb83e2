"""Worksheets are streamed a row at a time (cyps_xl.workbook.worksheet): the XML other tools write must come
out as it would from a whole-tree edit. The same scorecard saved three ways (as built, pretty-printed with
whitespace between rows, and with the main namespace under a prefix, as Open XML SDK programs write it) must
issue to the same cell values, read back by openpyxl, with nothing flagged by the Open XML checks."""
import datetime as dt
import zipfile

import openpyxl
import pytest
from lxml import etree

import cyps_xl

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _prefixed(element, nsmap):
    """A copy of ``element`` whose main-namespace elements carry the prefix x: (attributes kept as they are)."""
    copy = etree.Element(element.tag, nsmap=nsmap)
    for name, value in element.attrib.items():
        copy.set(name, value)
    copy.text, copy.tail = element.text, element.tail
    for child in element:
        if isinstance(child.tag, str):
            copy.append(_prefixed(child, nsmap))
    return copy


def _variant(template, tmp_path, how: str):
    out = tmp_path / f"{how}.xlsx"
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                root = etree.fromstring(data)
                if how == "pretty":
                    etree.indent(root, space="  ")
                else:
                    nsmap = {("x" if uri == NS_MAIN else prefix): uri for prefix, uri in root.nsmap.items()}
                    root = _prefixed(root, nsmap)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                assert (b"<x:row" in data) if how == "prefixed" else (b"</row>\n  " in data or b"/>\n  " in data)
            target.writestr(info, data)
    return out


def _values(path):
    book = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


@pytest.mark.parametrize("how", ["pretty", "prefixed"])
def test_xml_written_by_other_tools_issues_to_the_same_values(template, tmp_path, how):
    from test_addin import audit

    today = dt.date(2022, 5, 20)
    plain = cyps_xl.issue(template, tmp_path / "plain issued.xlsx", today=today).output
    variant = cyps_xl.issue(_variant(template, tmp_path, how), tmp_path / f"{how} issued.xlsx", today=today).output
    assert _values(variant) == _values(plain)
    assert audit(variant) == []
    with zipfile.ZipFile(variant) as z:
        sheet = z.read("xl/worksheets/sheet2.xml")
    if how == "prefixed":  # rows keep the prefix and no row repeats the root's namespace declarations
        assert b"<x:row" in sheet and b"<row" not in sheet and b"<x:row xmlns" not in sheet
    else:  # the whitespace between rows is kept
        assert b"</x:row>" not in sheet and sheet.count(b"</row>\n  ") > 10


def test_a_row_the_sheet_lacks_goes_in_order_and_an_untouched_sheet_is_copied_byte_for_byte(tmp_path):
    import xlsxwriter

    from cyps_xl.workbook.package import Package

    path = tmp_path / "gaps.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("A", "B"):
        ws = wb.add_worksheet(name)
        for r in (0, 4, 9):
            ws.write_row(r, 0, [r, f"row {r + 1}"])
    wb.close()
    package = Package(path)
    editor = package.sheet("A")
    for row in (1, 3, 7, 12):  # before, between and after the rows the sheet has
        editor.set_value(row, 4, row * 100)
    editor.row_height(3, 30)
    package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(path) as before, zipfile.ZipFile(tmp_path / "out.xlsx") as after:
        assert after.read("xl/worksheets/sheet2.xml") == before.read("xl/worksheets/sheet2.xml")
        rows = etree.fromstring(after.read("xl/worksheets/sheet1.xml")).iter(f"{{{NS_MAIN}}}row")
        assert [int(r.get("r")) for r in rows] == [1, 3, 5, 7, 10, 12]
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["A"]
    assert [sheet.cell(r, 4).value for r in (1, 3, 5, 7, 10, 12)] == [100, 300, None, 700, None, 1200]
    assert sheet.cell(5, 2).value == "row 5" and sheet.row_dimensions[3].height == 30


@pytest.mark.parametrize("damage", [(b'<dimension ref="', b'<dimension ref="XYZ'),
                                    (b'<c r="A2" s="2" t="s">', b'<c r="2A" s="2" t="str"><f>1+1</f>')])
def test_a_damaged_address_in_a_streamed_sheet_is_named_or_left_alone(template, tmp_path, damage):
    """A dimension that is no range is left as it was; a formula cell with no cell address is named, no traceback."""
    from test_trust_round_two import _edited

    card = _edited(template, tmp_path, "card.xlsx", {"xl/worksheets/sheet2.xml": [damage]})
    if damage[1].startswith(b"<dimension"):
        out = cyps_xl.refresh(card, tmp_path / "out.xlsx").output
        with zipfile.ZipFile(out) as z:
            assert b'<dimension ref="XYZ' in z.read("xl/worksheets/sheet2.xml")
    else:
        with pytest.raises(cyps_xl.CypsError, match="2A.*not a cell address"):
            cyps_xl.refresh(card, tmp_path / "out.xlsx")
        assert not (tmp_path / "out.xlsx").exists()
