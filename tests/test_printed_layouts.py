"""The printed issue of a scorecard the project never saw reads right (#26): four layouts the world makes, each issued
with its PDF through the real CLI and read back from the PDF's word boxes (``pdftotext -bbox`` leaves out what a cell
edge clips, so a cut title loses its last words).

- openpyxl's defaults (Calibri 11, no column widths; this openpyxl writes its text as inline strings);
- XlsxWriter's defaults (shared strings, headings merged over their columns);
- inline strings written as rich text runs, on XlsxWriter's layout;
- saved by LibreOffice, with merged headings and an indicator two rows high (its reference and title merged down).

Each is printed with the metric-compatible fonts (Carlito for Calibri), so the pages measure as Excel's would. On
every layout: each title's words are printed in order as one block on the scorecard's pages; its first line is level
with its reference; no heading overlaps another; and every page says its page number, issue and date.
"""
import datetime as dt
import re
import shutil
import subprocess
import zipfile

import pytest

from conftest import run_cli
from test_legible_pdf import _overlaps, _words

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CARLITO = shutil.which("fc-list") and "carlito" in subprocess.run(["fc-list"], capture_output=True, text=True).stdout.lower()
pytestmark = pytest.mark.skipif(not (SOFFICE and shutil.which("pdftotext") and CARLITO),
                                reason="LibreOffice, poppler-utils and the Carlito font are needed: apt-get install "
                                       "libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito")

TITLE = "Corporate Parenting Performance Report"
NOTE = ("Data as at 31 March 2022. Benchmarking figures are the latest published by the Department for Education for "
        "the year shown in each heading; statistical neighbours are the ten authorities DfE groups with this council.")
HEADINGS = ["REF", "Indicator title", "DATA NOTE", "Jan-22", "Feb-22", "Mar-22", "Good perf is", "Red", "Amber",
            "Green", "DOT", "RAG", "Stat neigh av.", "Nat av.", "Trend"]
GROUPS = [("D4:F4", "YR ON YR PERFORMANCE"), ("H4:J4", "TARGET & TOLERANCES"), ("M4:N4", "LATEST BENCHMARKING")]
INDICATORS = [  # titles as long as the published report's
    ("4.1", "% of eligible looked after children with an up to date health assessment", "%", (0.91, 0.93, 0.95), "high",
     ("<87%", "87%+", "95%+")),
    ("4.2", "% of eligible looked after children with an up to date dental check", "%", (0.71, 0.75, 0.80), "high",
     ("<87%", "87%+", "95%+")),
    ("4.3", "Number of looked after children placed more than 20 miles from home (excluding those placed with family "
            "or in specialist provision)", "Number", (50, 48, 52), "low", ("55+", "50+", "<50")),
    ("4.16", "% of care leavers aged 19, 20 and 21 in suitable accommodation, as reported at or around their birthday",
     "%", (0.88, 0.90, 0.86), "high", ("<87%", "87%+", "95%+")),
    ("4.17", "% of care leavers aged 19, 20 and 21 in education, employment or training", "%", (0.52, 0.55, 0.61),
     "high", ("<50%", "50%+", "60%+")),
]
TWO_ROWS = "4.16"  # in the LibreOffice-saved layout its reference and title are merged down over a second row
TODAY = dt.date.today().strftime("%d/%m/%Y")


def openpyxl_defaults(path, two_rows=False):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Corporate Parenting"
    ws["A1"], ws["A2"] = TITLE, NOTE
    for ref, text in GROUPS:
        ws[ref.split(":")[0]] = text
        ws.merge_cells(ref)
    for c, heading in enumerate(HEADINGS, 1):
        ws.cell(5, c, heading)
    r = 6
    for ref, title, note, months, polarity, bands in INDICATORS:
        for c, value in enumerate([ref, title, note], 1):
            ws.cell(r, c, value)
        for c, value in enumerate(months, 4):
            ws.cell(r, c, value).number_format = "0.0%" if note == "%" else "General"
        for c, value in enumerate([polarity, *bands], 7):
            ws.cell(r, c, value)
        if two_rows and ref == TWO_ROWS:
            for c in (1, 2):
                ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
            r += 1
        r += 1
    wb.save(path)
    return path


def xlsxwriter_defaults(path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Corporate Parenting")
    percent = wb.add_format({"num_format": "0.0%"})
    ws.write("A1", TITLE)
    ws.write("A2", NOTE)
    for ref, text in GROUPS:
        ws.merge_range(ref, text)
    ws.write_row(4, 0, HEADINGS)
    for r, (ref, title, note, months, polarity, bands) in enumerate(INDICATORS, start=5):
        ws.write_row(r, 0, [ref, title, note])
        for c, value in enumerate(months, 3):
            ws.write_number(r, c, value, percent if note == "%" else None)
        ws.write_row(r, 6, [polarity, *bands])
    wb.close()
    return path


def inline_rich_strings(path):
    """XlsxWriter's workbook with every text an inline string, a text of several words as two rich-text runs."""
    shared = xlsxwriter_defaults(path.with_name("shared.xlsx"))
    with zipfile.ZipFile(shared) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    texts = re.findall(r"<si><t[^>]*>(.*?)</t></si>", parts["xl/sharedStrings.xml"].decode(), flags=re.S)

    def inline(found):
        text = texts[int(found.group(3))]
        first, _, rest = text.partition(" ")
        runs = f'<r><t xml:space="preserve">{first} </t></r><r><t>{rest}</t></r>' if rest else f"<t>{text}</t>"
        return f'<c r="{found.group(1)}"{found.group(2) or ""} t="inlineStr"><is>{runs}</is></c>'

    sheet = re.sub(r'<c r="([A-Z]+\d+)"( s="\d+")? t="s"><v>(\d+)</v></c>', inline,
                   parts["xl/worksheets/sheet1.xml"].decode())
    assert 't="s"' not in sheet and sheet.count("inlineStr") > 40
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def libreoffice_saved(path):
    made = openpyxl_defaults(path.with_name("before LibreOffice.xlsx"), two_rows=True)
    out = path.parent / "saved by LibreOffice"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{path.parent}/profile", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(made)], check=True, capture_output=True,
                   timeout=300)
    shutil.move(out / made.name, path)
    with zipfile.ZipFile(path) as z:
        assert b"LibreOffice" in z.read("docProps/app.xml")
    return path


LAYOUTS = {"openpyxl": openpyxl_defaults, "xlsxwriter": xlsxwriter_defaults, "inline": inline_rich_strings,
           "libreoffice": libreoffice_saved}


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def printed(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    card = LAYOUTS[request.param](folder / "scorecard.xlsx")
    out = folder / "issued.xlsx"
    result = run_cli("issue", card, "-o", out, "--pdf")
    assert result.returncode == 0 and out.with_suffix(".pdf").exists(), result.stderr + result.stdout
    assert "does not match Excel's layout" not in result.stdout  # printed in Calibri's widths
    pages, sizes = _words(out.with_suffix(".pdf"))
    scorecard = [p for p, words in pages.items() if "NOTE" in {w[4] for w in words}]  # the DATA NOTE heading
    assert scorecard
    return pages, scorecard, out


def _find(words, sequence):
    """Where ``sequence`` is printed as consecutive words, else None."""
    texts = [w[4] for w in words]
    for i in range(len(texts) - len(sequence) + 1):
        if texts[i:i + len(sequence)] == sequence:
            return i
    return None


def _read(words, left, right, top, bottom) -> list:
    """The words printed in a box, as a reader reads them: line by line, left to right. (The PDF draws a row's
    cells line by line across, so the order it stores them in mixes cells.)"""
    inside = [w for w in words if left - 1 <= w[0] < right - 1 and top - 1 <= w[1] < bottom - 1]
    return [w[4] for w in sorted(inside, key=lambda w: (round(w[1]), w[0]))]


def _columns(words):
    """(the headings' line, {heading: its left edge}, [left edges in order]) from the line the REF heading is on:
    each heading's first word, found in HEADINGS' order along that line."""
    ref = min((w for w in words if w[4] == "REF"), key=lambda w: w[0])
    line = sorted((w for w in words if abs(w[1] - ref[1]) < 2), key=lambda w: w[0])
    edges, at = {}, 0
    for heading in HEADINGS:
        while at < len(line) and line[at][4] != heading.split()[0]:
            at += 1  # a heading's next words on its first line
        assert at < len(line), f"the heading '{heading}' does not start on the line REF starts on: the row does not read across"
        edges[heading] = line[at][0]
        at += 1
    return ref[1], edges


def test_every_title_is_printed_whole_in_order_and_level_with_its_reference(printed):
    pages, scorecard, _ = printed
    seen = set()
    for page in scorecard:
        words = pages[page]
        _, edges = _columns(words)
        refs = sorted((w for w in words if abs(w[0] - edges["REF"]) < 1 and w[4] in {i[0] for i in INDICATORS}),
                      key=lambda w: w[1])
        for ref, below in zip(refs, [r[1] for r in refs[1:]] + [10_000]):
            title = next(i[1] for i in INDICATORS if i[0] == ref[4])
            # the title column's box from the reference's line down to the next reference: exactly the title
            printed_title = _read(words, edges["Indicator title"], edges["DATA NOTE"], ref[1], below)
            assert printed_title[:len(title.split())] == title.split(), (ref[4], printed_title)
            first = min((w for w in words if edges["Indicator title"] - 1 <= w[0] < edges["DATA NOTE"] - 1
                         and ref[1] - 1 <= w[1] < below - 1), key=lambda w: (round(w[1]), w[0]))
            assert abs(first[1] - ref[1]) <= 1.5, f"{ref[4]}'s title starts {first[1] - ref[1]:.0f} pt below its reference"
            figures = [w for w in words if edges["Jan-22"] - 1 <= w[0] < edges["DOT"] - 1 and ref[1] - 1 <= w[1] < below - 1]
            assert figures and abs(min(w[1] for w in figures) - ref[1]) <= 1.5, ref[4]  # its figures on that line too
            seen.add(ref[4])
    assert seen == {i[0] for i in INDICATORS}


def test_no_heading_overlaps_another_and_each_is_printed_whole(printed):
    pages, scorecard, _ = printed
    for page in scorecard:
        words = pages[page]
        assert _overlaps(words) == []
        line, edges = _columns(words)
        first_row = min(w[1] for w in words if w[4] == INDICATORS[0][0] and abs(w[0] - edges["REF"]) < 1)
        lefts = list(edges.values()) + [10_000]
        for heading, left, right in zip(HEADINGS, lefts, lefts[1:]):
            assert _read(words, left, right, line, first_row) == heading.split(), heading
        top = min(w[1] for w in words if w[4] == GROUPS[0][1].split()[0] and w[1] < line - 2)
        starts, at = [], 0
        group_line = sorted((w for w in words if abs(w[1] - top) < 2), key=lambda w: w[0])
        for _, text in GROUPS:  # each group heading's first word, in order along its line
            while at < len(group_line) and group_line[at][4] != text.split()[0]:
                at += 1
            assert at < len(group_line), f"'{text}' does not start on the line its neighbours start on"
            starts.append(group_line[at][0])
            at += 1
        for (_, text), left, right in zip(GROUPS, starts, starts[1:] + [10_000]):
            assert _read(words, left, right, top, line) == text.split(), text
        # the title block: the report's title and its benchmarking note, whole, within the page
        assert _read(words, 0, 10_000, 0, top) == TITLE.split() + NOTE.split()


def test_every_page_says_its_number_issue_and_date(printed):
    pages, _, _ = printed
    total = len(pages)
    for page, words in pages.items():
        assert _find(words, ["Page", str(page), "of", str(total)]) is not None, page
        assert _find(words, ["Issue", "1"]) is not None and TODAY in {w[4] for w in words}, page


def test_each_trend_sparkline_is_drawn_from_zero_with_room_above_its_tallest_bar(printed):
    """LibreOffice draws a bar to its cell's edge, so full bars in rows one above another read as one bar running
    down the page; an issue draws each row's sparkline from zero to a quarter above its highest month."""
    import openpyxl
    from lxml import etree

    with zipfile.ZipFile(printed[2]) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/") and b"sparkline" in z.read(n))
        root = etree.fromstring(z.read(sheet))
    x14, xm = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}", \
        "{http://schemas.microsoft.com/office/excel/2006/main}"
    groups = list(root.iter(f"{x14}sparklineGroup"))
    sheet = openpyxl.load_workbook(printed[2])["Corporate Parenting"]
    highest = {ref: max(months) for ref, _, _, months, *_ in INDICATORS}
    drawn = {}
    for group in groups:
        lines = group.findall(f"{x14}sparklines/{x14}sparkline")
        assert len(lines) == 1  # each on its own axis
        row = int(re.sub(r"\D", "", lines[0].find(f"{xm}sqref").text))
        drawn[sheet.cell(row, 1).value] = (group.get("minAxisType"), group.get("maxAxisType"),
                                           float(group.get("manualMin")), float(group.get("manualMax")))
    assert drawn == {ref: ("custom", "custom", 0.0, pytest.approx(top * 1.25)) for ref, top in highest.items()}


def test_the_pdf_is_tagged_titled_by_its_report_and_in_british_english(printed):
    """Committee papers are published, and a public body's documents must be accessible: a tagged PDF (structure for
    a screen reader), its title the report's, its language en-GB."""
    pdf = printed[2].with_suffix(".pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Children's and Young People Services Monthly Performance Report$", info, re.M)
    assert b"/Lang(en-GB)" in pdf.read_bytes()


def test_a_pdf_printed_without_a_face_of_excels_widths_says_so(tmp_path):
    """fontconfig reports no Carlito (nor Calibri): LibreOffice would print Calibri in another face, so the PDF's
    lines break where Excel's do not, and the run says which package to install."""
    import os
    import sys

    card = xlsxwriter_defaults(tmp_path / "scorecard.xlsx")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "fc-list").write_text("#!/bin/sh\necho 'DejaVu Sans'\n")
    (tools / "fc-list").chmod(0o755)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(card), "-o", str(tmp_path / "out.xlsx"),
                             "--pdf"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert ("The PDF does not match Excel's layout: Calibri is not installed, nor Carlito (the same widths), so "
            "LibreOffice printed it in another face. Install fonts-crosextra-carlito") in result.stdout
    assert run_cli("issue", card, "-o", tmp_path / "fine.xlsx", "--pdf").stdout.count("does not match") == 0


def test_a_summary_with_no_tile_or_chart_of_this_scorecard_keeps_to_its_first_page(printed):
    """The bundled report's tiles and chart name rows this scorecard does not have: no tall empty band where tiles
    would be, and the counts follow the exceptions list on page one rather than start a page for a chart not drawn."""
    import openpyxl

    summary = openpyxl.load_workbook(printed[2])["Summary"]
    assert summary.row_dimensions[5].height is None and not summary.row_breaks.brk
    pages, _, _ = printed
    assert _find(pages[1], ["RAG", "(month)"]) is not None and _find(pages[1], ["Exceptions", "this", "month:"]) is not None
