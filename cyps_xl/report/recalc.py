"""Formulas an issue would leave stale, recalculated before they are frozen.

Which engine: LibreOffice's own, headless. It is already how cyps-xl makes PDFs, it is maintained, and it computes
what a scorecard's own formulas use (COUNTIF, SUMIFS, IF, VLOOKUP, INDEX/MATCH, text and date functions) over the
workbook exactly as it stands, defined names and tables included. The Python engines weighed were ``formulas``
(a large dependency tree, and slow to compile a whole workbook) and ``pycel`` (fewer functions, no structured
references). What LibreOffice cannot compute (LAMBDA, some of Excel's newest dynamic-array functions, cube
functions, user-defined VBA functions, links to other files) comes back as an error or nothing; such a formula is
never frozen with a guess: the issue refuses and names it. Without LibreOffice the issue refuses likewise.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

# LibreOffice keeps the results saved in an Excel file unless told to recalculate on loading
ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculated(package, cells: list) -> tuple[dict, str | None]:
    """{(sheet, 'A1'): value} for ``cells`` ((sheet, 'A1') of formulas), recalculated by LibreOffice from the
    package as it stands; and why not, when it cannot be had (then the dict holds what could)."""
    from cyps_xl.errors import CypsError
    from cyps_xl.report.pdf import find_soffice

    try:
        program = find_soffice()
    except CypsError:
        return {}, "LibreOffice, which cyps-xl recalculates formulas with, is not installed"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "profile" / "user").mkdir(parents=True)
        (folder / "profile" / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE, encoding="utf-8")
        source = folder / "as written.xlsx"
        package.save(source)  # not the last save: the package goes on to be issued
        try:
            subprocess.run([program, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--convert-to",
                            "xlsx", "--outdir", str(folder / "out"), str(source)], capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            return {}, f"LibreOffice could not recalculate the workbook ({exc})"
        produced = folder / "out" / source.name
        if not produced.exists():
            return {}, "LibreOffice could not recalculate the workbook"
        import openpyxl

        book = openpyxl.load_workbook(produced, data_only=True, read_only=True)
        values = {}
        for sheet, cell in cells:
            if sheet in book.sheetnames:
                values[(sheet, cell)] = book[sheet][cell].value
        book.close()
    return values, None
