"""Nothing the team built is lost: refresh keeps every part and element; issue drops only macros and ribbon.

The fidelity workbook (tests/fixtures/build_fidelity_workbook.py) carries a logo,
a chart, sparklines, an x14 data bar and 3-stars icon set, a data-validation list,
a legacy note and a threaded comment, a text box, defined names, a table, hidden
columns, freeze panes, print titles, and in the .xlsm a VBA project and a ribbon.
"""
import importlib.util
import zipfile

import openpyxl
import pytest
from lxml import etree

import cyps_xl
from cyps_xl.workbook.changes import cell_changes
from conftest import DATA, ROOT

X14 = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}"
XM = "{http://schemas.microsoft.com/office/excel/2006/main}"
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SCORECARD_SHEETS = {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}
MACRO_PARTS = {"xl/vbaProject.bin", "customUI/customUI14.xml"}


def build(path):
    spec = importlib.util.spec_from_file_location("fid", ROOT / "tests" / "fixtures" / "build_fidelity_workbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(path)


@pytest.fixture(scope="module", params=[".xlsx", ".xlsm"])
def fidelity(request, tmp_path_factory):
    return build(tmp_path_factory.mktemp("fid") / f"Fidelity{request.param}")


def parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def c14n(element):
    return etree.tostring(element, method="c14n")


def without_cells_and_new_sparklines(xml: bytes, keep_sqrefs=None):
    root = etree.fromstring(xml)
    root.remove(root.find(f"{M}sheetData"))
    dimension = root.find(f"{M}dimension")
    if dimension is not None:
        root.remove(dimension)
    if keep_sqrefs is not None:
        for line in list(root.iter(f"{X14}sparkline")):
            if line.findtext(f"{XM}sqref") not in keep_sqrefs:
                line.getparent().remove(line)
            else:
                line.find(f"{XM}f").text = "-"  # ranges may be updated; compared separately
        for group in list(root.iter(f"{X14}sparklineGroup")):  # a new sparkline comes in a group of its own
            if group.find(f"{X14}sparklines/{X14}sparkline") is None:
                group.getparent().remove(group)
    return c14n(root)


def sparklines(xml: bytes):
    root = etree.fromstring(xml)
    return {line.findtext(f"{XM}sqref"): line.findtext(f"{XM}f") for line in root.iter(f"{X14}sparkline")}


def check_kept(source, output, report, dropped=frozenset(), issued=False):
    before, after = parts(source), parts(output)
    assert set(after) == set(before) - dropped
    for name, data in before.items():
        if name in dropped:
            continue
        if name in SCORECARD_SHEETS:
            old, new = sparklines(data), sparklines(after[name])
            assert all(new[sq] == f for sq, f in old.items())  # every sparkline kept with its range
            assert without_cells_and_new_sparklines(data, set(old)) == without_cells_and_new_sparklines(after[name], set(old))
        elif name == "xl/styles.xml":
            old, new = etree.fromstring(data), etree.fromstring(after[name])
            for section in ("numFmts", "fonts", "fills", "borders", "cellXfs", "cellStyleXfs", "cellStyles", "dxfs"):
                o, n = old.find(f"{M}{section}"), new.find(f"{M}{section}")
                if o is not None:
                    assert [c14n(e) for e in o] == [c14n(e) for e in n][: len(o)], section  # only appended
        elif name == "xl/sharedStrings.xml":  # text cyps-xl writes is appended; no item changes or moves
            old, new = etree.fromstring(data), etree.fromstring(after[name])
            assert [c14n(e) for e in old.findall(f"{M}si")] == [c14n(e) for e in new.findall(f"{M}si")][: len(old)]
        elif name in ("_rels/.rels", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/workbook.xml") and issued:
            continue  # checked by the caller: they lose exactly the macro entries
        elif name in ("docProps/core.xml", "docProps/app.xml") and issued:
            old, new = etree.fromstring(data), etree.fromstring(after[name])
            people = {"creator", "lastModifiedBy", "Manager"}
            keep = lambda root: [c14n(e) for e in root if etree.QName(e).localname not in people]  # noqa: E731
            assert keep(old) == keep(new), name  # only the names of people change
        else:
            assert after[name] == data, name
    # Cells: the only differences are cells cyps-xl means to write.
    owned = {(c.sheet, c.row, c.column) for c in cell_changes(report.changes) if hasattr(c, "row")}
    a, b = openpyxl.load_workbook(source), openpyxl.load_workbook(output)
    for ws in a.worksheets:
        other = b[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if (ws.title, cell.row, cell.column) not in owned:
                    assert other.cell(cell.row, cell.column).value == cell.value, f"{ws.title}!{cell.coordinate}"
    assert a.defined_names.keys() == b.defined_names.keys()


def test_refresh_keeps_every_part_and_element(fidelity, tmp_path):
    out = tmp_path / f"refreshed{fidelity.suffix}"
    report = cyps_xl.refresh(fidelity, out, benchmarks=DATA / "sample_benchmarks.csv")
    check_kept(fidelity, out, report)
    if fidelity.suffix == ".xlsm":
        assert parts(out)["xl/vbaProject.bin"] == parts(fidelity)["xl/vbaProject.bin"]
        assert b"ui/extensibility" in parts(out)["_rels/.rels"]


def test_issue_drops_only_macros_and_ribbon(fidelity, tmp_path):
    out = tmp_path / "issued.xlsx"
    report = cyps_xl.issue(fidelity, out, benchmarks=DATA / "sample_benchmarks.csv", presentation=False)
    dropped = MACRO_PARTS if fidelity.suffix == ".xlsm" else frozenset()
    check_kept(fidelity, out, report, dropped=frozenset(dropped), issued=True)
    core = etree.fromstring(parts(out)["docProps/core.xml"])
    names = {etree.QName(e).localname: e.text for e in core}
    source = {etree.QName(e).localname: e.text for e in etree.fromstring(parts(fidelity)["docProps/core.xml"])}
    assert names.get("creator") == source.get("creator")  # the workbook's author stays its author
    assert names.get("lastModifiedBy") == "Performance & Quality Team"  # the team issued it
    after = parts(out)
    assert b"vbaProject" not in after["xl/_rels/workbook.xml.rels"]
    assert b"ui/extensibility" not in after["_rels/.rels"]
    assert b"macroEnabled" not in after["[Content_Types].xml"]
    for name in ("xl/threadedComments/threadedComment1.xml", "xl/persons/person.xml", "xl/media/image1.png"):
        assert after[name] == parts(fidelity)[name]


def test_refresh_in_place_keeps_a_backup(fidelity, tmp_path):
    work = tmp_path / f"work{fidelity.suffix}"
    work.write_bytes(fidelity.read_bytes())
    cyps_xl.refresh(work)
    backups = list(tmp_path.glob(f"work.backup-*{fidelity.suffix}"))
    assert len(backups) == 1 and backups[0].read_bytes() == fidelity.read_bytes()
    assert work.read_bytes() != fidelity.read_bytes()


def test_every_indicator_row_has_a_sparkline_over_its_own_history(issued):
    from cyps_xl.workbook.layout import load_layout
    from cyps_xl.workbook.reader import read_scorecard

    card = read_scorecard(issued, load_layout())
    xml = parts(issued)
    for table, name in zip(card.tables, sorted(SCORECARD_SHEETS)):
        lines = sparklines(xml[name])
        quoted = f"'{table.sheet}'"
        assert len(table.rows) > 30
        for row in table.rows:
            assert lines.get(f"AB{row.row}") == f"{quoted}!F{row.row}:Q{row.row}", (table.sheet, row.row)


def test_moved_history_updates_the_sparkline_range(tmp_path, template):
    """A sparkline pointing at the wrong (old) range is re-pointed; one missing is created."""
    src = parts(template)
    sheet = src["xl/worksheets/sheet2.xml"].decode()
    assert "'Social Care'!F14:Q14" in sheet
    sheet = sheet.replace("'Social Care'!F14:Q14", "'Social Care'!G14:R14")  # stale range
    start = sheet.index("<x14:sparkline><xm:f>'Social Care'!F15:Q15")
    end = sheet.index("</x14:sparkline>", start) + len("</x14:sparkline>")
    sheet = sheet[:start] + sheet[end:]  # a lost one
    src["xl/worksheets/sheet2.xml"] = sheet.encode()
    edited = tmp_path / "edited.xlsx"
    with zipfile.ZipFile(edited, "w") as z:
        for name, data in src.items():
            z.writestr(name, data)
    report = cyps_xl.refresh(edited, tmp_path / "out.xlsx")
    lines = sparklines(parts(tmp_path / "out.xlsx")["xl/worksheets/sheet2.xml"])
    assert lines["AB14"] == "'Social Care'!F14:Q14" and lines["AB15"] == "'Social Care'!F15:Q15"
    assert report.sparklines["updated"] == 1 and report.sparklines["created"] >= 1
