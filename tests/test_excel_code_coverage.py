"""Every desktop-only line of the Excel front door runs in CI: coverage of the tests that assert its results."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

MODULES = ("excel/ribbon.py", "excel/xlwings_writer.py", "excel/addin.py", "excel/udfs.py", "excel/udf_args.py",
           "excel/lite.py", "excel/doctor.py", "excel/settings.py", "excel/workbook_file.py")
TESTS = ("test_live_excel.py", "test_desktop_excel.py", "test_excel_edges.py", "test_udfs.py", "test_addin.py",
         "test_lite.py", "test_setup.py")


def test_the_excel_modules_are_at_least_90_percent_covered(tmp_path):
    pytest.importorskip("coverage")
    env = dict(os.environ, COVERAGE_FILE=str(tmp_path / ".coverage"))
    include = ",".join(f"*/cyps_xl/{m}" for m in MODULES)
    run = subprocess.run([sys.executable, "-m", "coverage", "run", f"--include={include}", "-m", "pytest", "-q",
                          "-p", "no:cacheprovider", *[str(ROOT / "tests" / t) for t in TESTS]],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:]
    subprocess.run([sys.executable, "-m", "coverage", "json", "-o", str(tmp_path / "cov.json")], check=True,
                   capture_output=True, cwd=ROOT, env=env)
    files = json.loads((tmp_path / "cov.json").read_text())["files"]
    covered = {name.split("cyps_xl/", 1)[-1]: data["summary"]["percent_covered"] for name, data in files.items()}
    assert set(covered) == set(MODULES)
    assert {m: round(p, 1) for m, p in covered.items() if p < 90} == {}
