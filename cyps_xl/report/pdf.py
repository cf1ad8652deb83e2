"""The issued workbook as a PDF, through LibreOffice headless (Excel's own export is the ribbon's)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cyps_xl.errors import CypsError


# A tagged PDF (headings, tables and reading order for a screen reader): committee papers are published, and a public
# body's documents must be accessible. Its title and language come from the workbook's properties (an issue sets them).
TAGGED_PDF = 'pdf:calc_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'

# The PDF's language (/Lang) is the profile's document language: British English, as the council writes, so a screen
# reader reads it in the right voice. The locale also prints dates as dd/mm/yyyy.
BRITISH = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Linguistic/General"><prop oor:name="DefaultLocale" oor:op="fuse"><value>en-GB\
</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>en-GB</value>\
</prop></item>
</oor:items>
"""


def find_soffice(configured: str | None = None) -> str:
    for candidate in (configured, os.environ.get("CYPS_XL_SOFFICE"), shutil.which("soffice"), shutil.which("libreoffice")):
        if candidate and Path(candidate).exists():
            return candidate
    raise CypsError("LibreOffice (soffice) is needed to write the PDF headlessly and was not found.",
                    hint="Install it (apt-get install libreoffice-calc-nogui) or set CYPS_XL_SOFFICE to soffice's path; "
                         "in Excel, Produce issue writes the PDF itself.")


def to_pdf(workbook: Path, soffice: str | None = None) -> Path:
    """The issued workbook as a PDF beside it (LibreOffice headless), written atomically."""
    program = find_soffice(soffice)
    workbook = Path(workbook)
    target = workbook.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(BRITISH, encoding="utf-8")
        result = subprocess.run([program, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                                 TAGGED_PDF, "--outdir", tmp, str(workbook)], capture_output=True, text=True, timeout=300)
        produced = Path(tmp) / (workbook.stem + ".pdf")
        if result.returncode != 0 or not produced.exists():
            raise CypsError(f"LibreOffice could not convert the workbook to PDF ({result.stderr.strip()[:200]}).",
                            file=workbook, hint="Open it in Excel and use File > Export > PDF.")
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(produced, partial)
        os.replace(partial, target)
    return target


def faces_without_twins(workbook: Path) -> list[str]:
    """A warning for each face the workbook uses that prints in other widths than Excel's here: neither it nor its
    metric-compatible twin is installed, so LibreOffice substitutes a face of other widths (Calibri as the wider
    DejaVu) and the PDF's lines break where Excel's do not. Empty when fontconfig cannot be asked."""
    import re
    import zipfile

    from cyps_xl.report.textwidth import METRIC_TWINS

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        with zipfile.ZipFile(workbook) as z:
            styles = next((n for n in z.namelist() if n.lower().endswith("styles.xml")), None)
            used = set(re.findall(r'<(?:\w+:)?name val="([^"]+)"', z.read(styles).decode("utf-8", "replace"))) \
                if styles else set()
        installed = subprocess.run([fc_list, "--format", "%{family}\n"], capture_output=True, text=True,
                                   timeout=60).stdout
    except (OSError, zipfile.BadZipFile, subprocess.SubprocessError):
        return []
    families = {name.strip().lower() for line in installed.splitlines() for name in line.split(",")}
    warnings = []
    for face in sorted(used, key=str.lower):
        twin = METRIC_TWINS.get(face.lower())
        if face.lower() in families or twin is None or twin[0].lower() in families:
            continue
        warnings.append(f"The PDF does not match Excel's layout: {face} is not installed, nor {twin[0]} (the same "
                        f"widths), so LibreOffice printed it in another face. Install {twin[1]} "
                        f"(apt-get install {twin[1]}) and make the PDF again.")
    return warnings
