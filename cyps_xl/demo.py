"""``cyps-xl demo``: the whole job on the bundled template, rules and benchmarks.

Benchmarks come from two real sources: DfE's own open-data files (trimmed, in
``workbook_templates/data/dfe/``), computed for the rows ``rules/benchmarks.yaml``
maps, and the comparators the council printed in its March 2022 report for the
other rows (``sample_benchmarks.csv``).  The DfE figures are given last, so they win.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from cyps_xl.api import RunReport, issue
from cyps_xl.resources import TEMPLATES

TEMPLATE = TEMPLATES / "cyps_scorecard_template.xlsx"
PUBLISHED_BENCHMARKS = TEMPLATES / "data" / "sample_benchmarks.csv"
DFE_FILES = TEMPLATES / "data" / "dfe"


def run_demo(output_dir: Path) -> RunReport:
    """Copy the template into ``output_dir`` and issue it; never replaces a file the demo did not write."""
    from cyps_xl.errors import CypsError

    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise CypsError("is a file, not a folder.", file=output_dir, hint="Give -o a folder for the demo's files.")
    output_dir.mkdir(parents=True, exist_ok=True)
    working = output_dir / "CYPS Scorecard March 2022.xlsx"
    if working.exists() and working.read_bytes() != TEMPLATE.read_bytes():
        raise CypsError("already exists and is not the demo's copy of the template; the demo will not replace it.",
                        file=working, hint="Run the demo in another folder: cyps-xl demo -o cyps-xl-demo")
    shutil.copyfile(TEMPLATE, working)  # the demo works on a copy; the bundled template stays pristine
    from cyps_xl.report.pdf import find_soffice

    try:
        find_soffice()
        pdf = True
    except Exception:  # noqa: BLE001 - without LibreOffice the demo still issues the workbook
        pdf = False
    # the next free 'Issue N' beside the copy: an earlier issue in the folder is never replaced
    report = issue(working, benchmarks=[PUBLISHED_BENCHMARKS, DFE_FILES], pdf=pdf)
    if not pdf:
        report.notes.append("No PDF: LibreOffice (soffice) was not found; apt-get install libreoffice-calc-nogui.")
    return report
