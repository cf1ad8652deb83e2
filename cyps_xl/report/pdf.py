"""The issued workbook as a PDF, through LibreOffice headless (Excel's own export is the ribbon's)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cyps_xl.errors import CypsError


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
        result = subprocess.run([program, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                                 "--outdir", tmp, str(workbook)], capture_output=True, text=True, timeout=300)
        produced = Path(tmp) / (workbook.stem + ".pdf")
        if result.returncode != 0 or not produced.exists():
            raise CypsError(f"LibreOffice could not convert the workbook to PDF ({result.stderr.strip()[:200]}).",
                            file=workbook, hint="Open it in Excel and use File > Export > PDF.")
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(produced, partial)
        os.replace(partial, target)
    return target
