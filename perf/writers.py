"""The same scorecard as four writers leave it, for perf/run.py: users bring files cyps-xl did not make.

* ``xlsxwriter``: perf/scorecard_generator.py's own file (shared strings, spans, every cell addressed);
* ``libreoffice``: that file saved by LibreOffice Calc (shared strings, as Excel saves them);
* ``openpyxl``: that file loaded and saved by openpyxl with its defaults (inline strings, rows without spans, and
  no sparklines: openpyxl drops them, so the run makes them all);
* ``inline``: as minimal writers leave a sheet: every text an inline string (a multi-word one as two rich-text
  runs), rows without spans, and cells that follow their left neighbour without an ``r`` address.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

WRITERS = ("xlsxwriter", "libreoffice", "openpyxl", "inline")
SPANS = re.compile(r' spans="[^"]*"')


def make(writer: str, generated: Path, out: Path) -> Path:
    """``generated`` (the generator's file) as ``writer`` leaves it, at ``out``."""
    if writer == "xlsxwriter":
        shutil.copyfile(generated, out)
    elif writer == "libreoffice":
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice is None:
            raise RuntimeError("LibreOffice is needed for the LibreOffice-saved file: apt-get install libreoffice-calc-nogui")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                            "xlsx:Calc MS Excel 2007 XML", "--outdir", tmp, str(generated)], check=True,
                           capture_output=True, timeout=900)
            shutil.copyfile(Path(tmp) / generated.name, out)
    elif writer == "openpyxl":
        import warnings

        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Sparkline Group extension is not supported and will be removed"
            openpyxl.load_workbook(generated).save(out)
    elif writer == "inline":
        _inline(generated, out)
    else:
        raise ValueError(writer)
    return out


def _inline(source: Path, out: Path) -> None:
    with zipfile.ZipFile(source) as z:
        parts = {info: z.read(info) for info in z.infolist()}
    by_name = {info.filename: data for info, data in parts.items()}
    texts = [re.sub(r"<[^>]+>", "", m) for m in
             re.findall(r"<si>(.*?)</si>", by_name["xl/sharedStrings.xml"].decode("utf-8"), flags=re.S)]

    def inline(found) -> str:
        attributes, index = found.group(1), int(found.group(2))
        text = texts[index]
        first, _, rest = text.partition(" ")
        runs = (f'<r><rPr><b/></rPr><t xml:space="preserve">{first} </t></r><r><t>{rest}</t></r>' if rest and index % 3 == 0
                else f"<t>{text}</t>")
        return f'<c{attributes} t="inlineStr"><is>{runs}</is></c>'

    def unaddressed(row) -> str:
        """Cells right after their left neighbour lose their r, as a minimal writer leaves them."""
        body, last = [], None
        for cell in re.finditer(r'<c r="([A-Z]+)(\d+)"(.*?)(/>|>.*?</c>)', row.group(2), flags=re.S):
            column = _index(cell.group(1))
            adjacent = last is not None and column == last + 1
            body.append(f"<c{cell.group(3)}{cell.group(4)}" if adjacent else cell.group(0))
            last = column
        attributes = SPANS.sub("", row.group(1))
        return f"<row{attributes}>{''.join(body)}</row>"

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts.items():
            if info.filename.startswith("xl/worksheets/sheet"):
                sheet = data.decode("utf-8")
                sheet = re.sub(r'<c([^>]*?) t="s"><v>(\d+)</v></c>', inline, sheet)
                sheet = re.sub(r"<row([^>]*)>(.*?)</row>", unaddressed, sheet, flags=re.S)
                data = sheet.encode("utf-8")
            z.writestr(info, data)


def _index(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number
