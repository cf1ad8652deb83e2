"""What people see: the issued workbook rendered by LibreOffice shows fills, arrows and sparklines."""
import shutil
import subprocess

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
pytestmark = pytest.mark.skipif(not (SOFFICE and PDFTOPPM),
                                reason="LibreOffice (soffice) and poppler-utils (pdftoppm) are needed to render; "
                                       "apt-get install libreoffice-calc-nogui poppler-utils")

COLOURS = {"red fill": (0xFF, 0x00, 0x00), "amber fill": (0xFF, 0xC0, 0x00), "green fill/arrow": (0x00, 0xB0, 0x50),
           "sparkline": (0x2E, 0x75, 0xB6)}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The PDF that `cyps-xl demo` writes, as PNG pages and text."""
    import sys

    out = tmp_path_factory.mktemp("render")
    subprocess.run([sys.executable, "-m", "cyps_xl", "demo", "-o", str(out)], check=True, capture_output=True, timeout=600)
    pdf = out / "CYPS Scorecard March 2022 Issue 2.pdf"
    assert pdf.exists()
    subprocess.run([PDFTOPPM, "-r", "110", "-png", str(pdf), str(out / "page")], check=True, timeout=120)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout if shutil.which("pdftotext") else ""
    return sorted(out.glob("page*.png")), text


def colour_counts(images):
    from PIL import Image

    counts = dict.fromkeys(COLOURS, 0)
    for path in images:
        for count, rgb in Image.open(path).convert("RGB").getcolors(maxcolors=1 << 24):
            for name, want in COLOURS.items():
                if all(abs(a - b) <= 6 for a, b in zip(rgb, want)):
                    counts[name] += count
    return counts


def test_fills_arrows_and_sparklines_are_drawn(pages):
    images, text = pages
    assert images
    counts = colour_counts(images)
    for name, count in counts.items():
        assert count > 200, f"{name} hardly appears in the rendered pages: {counts}"
    if text:
        for word in ("Status: Issue 2", "Amber", "Green", "Red", "↑", "↓", "LAC as at period end",
                     "Looked after children, last 12 months", "DRAFT commentary for the service to edit",
                     "Care leavers in suitable accommodation rose to 96.6%"):
            assert word in text
    assert len(images) >= 4  # summary, two scorecard sheets, commentary
