"""What people see: the issued workbook rendered by LibreOffice shows fills, arrows and sparklines."""
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
pytestmark = pytest.mark.skipif(not (SOFFICE and PDFTOPPM),
                                reason="LibreOffice (soffice) and poppler-utils (pdftoppm) are needed to render; "
                                       "apt-get install libreoffice-calc-nogui poppler-utils")

COLOURS = {"red fill": (0xFF, 0x00, 0x00), "amber fill": (0xFF, 0xC0, 0x00), "green fill/arrow": (0x00, 0xB0, 0x50),
           "sparkline": (0x2E, 0x75, 0xB6)}


@pytest.fixture(scope="module")
def pages(issued, tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    profile = out / "profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), str(issued)], check=True, capture_output=True, timeout=240)
    pdf = out / (Path(issued).stem + ".pdf")
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
        for word in ("Status: Issue 2", "Amber", "Green", "Red", "↑", "↓"):
            assert word in text
