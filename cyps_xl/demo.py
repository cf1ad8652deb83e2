"""``cyps-xl demo``: the whole job on the bundled template, rules and sample benchmarks."""
from __future__ import annotations

import shutil
from pathlib import Path

from .api import RunReport, issue
from .rules import PACKAGE_ROOT

TEMPLATE = PACKAGE_ROOT / "workbook_templates" / "cyps_scorecard_template.xlsx"
SAMPLE_BENCHMARKS = PACKAGE_ROOT / "workbook_templates" / "data" / "sample_benchmarks.csv"
# SYNTHETIC local-authority figures in DfE's layout: the computed comparators replace the
# published ones for the rows rules/benchmarks.yaml maps.
SAMPLE_LA_DATA = PACKAGE_ROOT / "workbook_templates" / "data" / "synthetic_la_benchmarks.csv"


def run_demo(output_dir: Path) -> RunReport:
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    working = output_dir / "CYPS Scorecard March 2022.xlsx"
    shutil.copyfile(TEMPLATE, working)  # the demo works on a copy; the bundled template stays pristine
    target = output_dir / "CYPS Scorecard March 2022 Issue 2.xlsx"
    from .report import find_soffice

    try:
        find_soffice()
        pdf = True
    except Exception:  # noqa: BLE001 - without LibreOffice the demo still issues the workbook
        pdf = False
    report = issue(working, target, benchmarks=[SAMPLE_BENCHMARKS, SAMPLE_LA_DATA], pdf=pdf)
    if not pdf:
        report.notes.append("No PDF: LibreOffice (soffice) was not found; apt-get install libreoffice-calc-nogui.")
    return report
