"""The issued report on paper, checked on the rendered PDF as a member of the panel would read it (#15):
text at 7 pt or more, nothing cut at a cell or page edge, no two rows' words on top of each other, the
scorecard on A3 landscape, and the date in the footer as a UK council writes it.

Word boxes come from poppler's ``pdftotext -bbox`` and font sizes from ``pdftohtml -xml``. A text cut at a
cell edge is still drawn in full under its neighbour (the PDF clips it), so a cut shows as two words'
boxes overlapping; a wrapped title that runs into the next row overlaps that row's words the same way.
"""
import datetime as dt
import html
import re
import shutil
import subprocess
from collections import defaultdict

import openpyxl
import pytest

import cyps_xl
from conftest import ROOT

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(not (SOFFICE and shutil.which("pdftotext") and shutil.which("pdftohtml")),
                                reason="LibreOffice and poppler-utils are needed: "
                                       "apt-get install libreoffice-calc-nogui poppler-utils")
DFE = ROOT / "tests" / "fixtures" / "dfe"
TODAY = dt.date(2026, 11, 27)
A3 = (1190.55, 841.89)


def _words(pdf) -> dict:
    """page -> [(x0, y0, x1, y1, word)], with each page's size."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages, sizes, page = defaultdict(list), {}, 0
    for line in out.splitlines():
        found = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', line)
        if found:
            page += 1
            sizes[page] = (float(found.group(1)), float(found.group(2)))
            continue
        found = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if found:
            pages[page].append((*map(float, found.groups()[:4]), html.unescape(found.group(5))))
    return pages, sizes


def _font_sizes(pdf) -> dict:
    """Printed font size (points) -> texts in that size."""
    out = subprocess.run(["pdftohtml", "-xml", "-i", "-zoom", "1", "-stdout", str(pdf)], capture_output=True,
                         text=True, check=True).stdout
    specs = dict(re.findall(r'<fontspec id="(\d+)" size="(-?\d+)"', out))
    found = defaultdict(list)
    for font, text in re.findall(r'<text [^>]*font="(\d+)">(.*?)</text>', out):
        if re.sub(r"<[^>]+>", "", text).strip():
            found[int(specs[font])].append(re.sub(r"<[^>]+>", "", text))
    return found


def _overlaps(words: list) -> list:
    """Pairs of words whose boxes overlap by more than a hair (sorted sweep over x). A box is taken at its
    core, the middle half of its height: the ascenders and descenders of one wrapped line reach into the
    next line's box by design, while text printed over text shares its core."""
    clashes, hair = [], 0.6
    ordered = sorted((x0, y0 + (y1 - y0) / 4, x1, y1 - (y1 - y0) / 4, word) for x0, y0, x1, y1, word in words)
    for i, (x0, y0, x1, y1, word) in enumerate(ordered):
        for (a0, b0, a1, b1, other) in ordered[i + 1:]:
            if a0 >= x1 - hair:
                break
            if min(x1, a1) - max(x0, a0) > hair and min(y1, b1) - max(y0, b0) > hair:
                clashes.append((word, other, round(x0), round(y0)))
    return clashes


@pytest.fixture(scope="module")
def issued(template, tmp_path_factory):
    """The monthly issue and both views, with DfE's benchmarks, and their PDFs."""
    folder = tmp_path_factory.mktemp("pdf")
    benchmarks = DFE
    made = {}
    for report in ("monthly", "corporate_parenting", "members"):
        run = cyps_xl.issue(template, folder / f"{report}.xlsx", report=report, benchmarks=benchmarks, today=TODAY,
                            pdf=True)
        assert run.pdf is not None, run.notes
        made[report] = run
    return made


@pytest.mark.parametrize("report", ["monthly", "corporate_parenting", "members"])
def test_every_printed_text_is_7_points_or_more(issued, report):
    sizes = _font_sizes(issued[report].pdf)
    small = {size: texts[:3] for size, texts in sizes.items() if size < 7}
    assert sizes and small == {}


@pytest.mark.parametrize("report", ["monthly", "corporate_parenting", "members"])
def test_no_word_is_cut_or_printed_over_another(issued, report):
    pages, sizes = _words(issued[report].pdf)
    clashes = {page: _overlaps(words)[:5] for page, words in pages.items() if _overlaps(words)}
    assert clashes == {}
    outside = [(page, w[4]) for page, words in pages.items() for w in words
               if w[0] < 0 or w[1] < 0 or w[2] > sizes[page][0] + 0.5 or w[3] > sizes[page][1] + 0.5]
    assert outside == []


@pytest.mark.parametrize("report", ["monthly", "corporate_parenting", "members"])
def test_the_scorecard_prints_on_a3_landscape_and_the_footer_date_is_uk(issued, report):
    run = issued[report]
    pages, sizes = _words(run.pdf)
    book = openpyxl.load_workbook(run.output)
    scorecards = [n for n in book.sheetnames if n not in ("Summary", "Commentary")]
    a3 = [p for p, size in sizes.items() if abs(size[0] - A3[0]) < 2 and abs(size[1] - A3[1]) < 2]
    assert a3, sizes  # the scorecard pages
    text = " ".join(w[4] for words in pages.values() for w in words)
    assert "27/11/2026" in text and "11/27/2026" not in text
    # every word of every visible scorecard cell is printed whole somewhere
    printed = {w[4] for words in pages.values() for w in words}
    for name in scorecards:
        ws = book[name]
        hidden = {letter for letter, d in ws.column_dimensions.items() if d.hidden}
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.column_letter not in hidden:
                    for word in cell.value.split():
                        assert word in printed, (name, cell.coordinate, word)
