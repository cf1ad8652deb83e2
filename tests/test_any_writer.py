"""Fast on any writer's file (#27): the same scorecard as four writers leave it (perf/writers.py: XlsxWriter's,
LibreOffice's, openpyxl's defaults, and a minimal writer's inline strings, rich-text runs, rows without spans and cells
without addresses) reads to the same ratings, with no cell or row taken the slow way (an lxml parse)."""
import shutil
import sys

import openpyxl
import pytest

from conftest import ROOT, run_cli

sys.path.insert(0, str(ROOT / "perf"))
from scorecard_generator import generate  # noqa: E402
from writers import WRITERS, make  # noqa: E402

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _ratings(path):
    """(sheet, reference) -> the DOT and RAG cells the issue wrote, read back with openpyxl."""
    book = openpyxl.load_workbook(path)
    found = {}
    for ws in book.worksheets:
        header = next((r for r in range(1, 20) if ws.cell(r, 1).value == "REF NO."), None)
        if header is None:
            continue
        heads = {str(ws.cell(header + 1, c).value or ws.cell(header, c).value): c for c in range(1, ws.max_column + 1)}
        for r in range(header + 2, ws.max_row + 1):
            if ws.cell(r, 1).value and not str(ws.cell(r, 1).value).startswith("SECTION"):  # not a band
                found[(ws.title, ws.cell(r, 1).value)] = tuple(ws.cell(r, heads[h]).value for h in
                                                                ("DOT* (month)", "RAG (month)", "RAG (Yr End)"))
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("writers") / "generated.xlsx", indicators=60)


@pytest.mark.parametrize("writer", [w for w in WRITERS if w != "xlsxwriter"])
def test_every_writers_file_issues_to_the_same_ratings_without_the_slow_way(generated, tmp_path, writer):
    if writer == "libreoffice" and not SOFFICE:
        pytest.skip("LibreOffice is needed: apt-get install libreoffice-calc-nogui")
    card = make(writer, generated, tmp_path / f"{writer}.xlsx")
    reference, out = tmp_path / "reference.xlsx", tmp_path / "issued.xlsx"
    assert run_cli("issue", generated, "-o", reference).returncode == 0
    result = run_cli("issue", card, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "slow way" not in result.stdout, result.stdout
    expected, got = _ratings(reference), _ratings(out)
    assert len(expected) == 60 and got == expected
    refreshed = run_cli("refresh", card, "-o", tmp_path / "refreshed.xlsx")
    assert refreshed.returncode == 0 and "slow way" not in refreshed.stdout


def test_inline_strings_rich_runs_and_formula_results_are_read_as_bytes_as_openpyxl_reads_them(tmp_path):
    """Every cell's value as the reader takes it from the bytes equals openpyxl's reading of the saved values, and
    no cell is parsed but one with phonetic runs: inline strings (plain and as runs), formulas with saved numbers,
    texts and booleans."""
    import zipfile

    from cyps_xl.workbook.cells import read_grids
    from cyps_xl.workbook.package import Package

    path = tmp_path / "mixed.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["B1"], ws["C1"] = "plain text", 3, "A & B <c>"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    extra = ('<row r="2"><c r="A2" t="inlineStr"><is><r><rPr><b/></rPr><t xml:space="preserve">bold </t></r>'
             '<r><t>and plain</t></r></is></c><c r="B2"><f>B1*2</f><v>6</v></c>'
             '<c r="C2" t="str"><f>A1&amp;"!"</f><v>plain text!</v></c><c r="D2" t="b"><f>B1&gt;2</f><v>1</v></c>'
             '<c r="E2" t="str"><f>""</f><v></v></c>'
             # phonetic guide runs (Japanese): the one form here read as an element, and counted
             '<c r="F2" t="inlineStr"><is><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></is></c></row>')
    sheet = sheet.replace("</row></sheetData>", "</row>" + extra + "</sheetData>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    package = Package(path)
    grid = read_grids(package)["Data"]
    saved = openpyxl.load_workbook(path, data_only=True)["Data"]
    for row in saved.iter_rows():
        for cell in row:
            if cell.value is not None:
                assert grid.cell(cell.row, cell.column).value == cell.value, cell.coordinate
    assert grid.cell(2, 1).value == "bold and plain" and grid.cell(2, 3).value == "plain text!"
    assert grid.cell(2, 6).value == "東京" and package.slow["cells"] == 1  # only the phonetic one took the slow way


def test_sparklines_made_as_bytes_are_the_elements_the_writer_would_make(generated, tmp_path, monkeypatch):
    """openpyxl drops sparklines, so an issue of its file makes one a row: written as bytes (a 10,000-row scorecard's
    elements cost more memory than the rest of the run), they are the groups the element code writes."""
    import zipfile

    from lxml import etree

    import cyps_xl
    from cyps_xl.workbook.sheet import SheetEditor

    card = make("openpyxl", generated, tmp_path / "openpyxl.xlsx")
    with zipfile.ZipFile(card) as z:
        assert not any(b"sparkline" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    as_bytes = cyps_xl.issue(card, tmp_path / "bytes.xlsx").output
    with monkeypatch.context() as patched:
        patched.setattr(SheetEditor, "_group_bytes", lambda *args: False)
        as_elements = cyps_xl.issue(card, tmp_path / "elements.xlsx").output

    def sheets(path):
        with zipfile.ZipFile(path) as z:
            return {n: etree.tostring(etree.fromstring(z.read(n)), method="c14n") for n in z.namelist()
                    if n.startswith("xl/worksheets/sheet")}

    made, expected = sheets(as_bytes), sheets(as_elements)
    assert made == expected and sum(m.count(b"<x14:sparklineGroup ") for m in made.values()) == 60
