"""Everything cyps-xl writes passes the Open XML SDK's schema and semantic checks (openxml-audit).

A file those checks flag may make Excel offer to repair it. Each output is
compared with its source: the run must add no error the source did not have.
"""
import datetime as dt
import importlib.util

import pytest

import cyps_xl
from conftest import DATA, ROOT, run_cli
from test_addin import audit

pytest.importorskip("openxml_audit")


def fidelity_workbook(path):
    spec = importlib.util.spec_from_file_location("fid", ROOT / "tests" / "fixtures" / "build_fidelity_workbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(path)


def test_the_bundled_template_and_the_demo_outputs_are_clean(tmp_path):
    assert audit(ROOT / "workbook_templates" / "cyps_scorecard_template.xlsx") == []
    result = run_cli("demo", "-o", tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("CYPS Scorecard March 2022.xlsx", "CYPS Scorecard March 2022 Issue 2.xlsx"):
        assert audit(tmp_path / name) == [], name


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_issue_and_refresh_add_no_error_to_a_teams_workbook(tmp_path, suffix):
    source = fidelity_workbook(tmp_path / f"fidelity{suffix}")
    before = set(audit(source))
    refreshed = cyps_xl.refresh(source, tmp_path / f"refreshed{suffix}", benchmarks=DATA / "sample_benchmarks.csv").output
    issued = cyps_xl.issue(source, tmp_path / "issued.xlsx", benchmarks=DATA / "sample_benchmarks.csv",
                           today=dt.date(2022, 5, 20)).output
    assert set(audit(refreshed)) - before == set()
    assert set(audit(issued)) - before == set()


def test_a_workbook_another_tool_wrote_gets_no_new_error(template, tmp_path):
    """openpyxl writes font children out of the schema's order (color before sz) and keeps no
    shared strings the same way Excel does: a team's file made that way must not gain errors."""
    import warnings

    import openpyxl
    from openpyxl.styles import Font

    source = tmp_path / "made by another tool.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(template)
    for ws in wb.worksheets:
        ws["B1"].font = Font(name="Arial", size=14, bold=True, color="FF1F4E79")
    wb.save(source)
    before = set(audit(source))
    assert any("font" in where for where, _ in before)  # the file really has the fault
    issued = cyps_xl.issue(source, tmp_path / "issued.xlsx", benchmarks=DATA / "sample_benchmarks.csv",
                           today=dt.date(2022, 5, 20)).output
    refreshed = cyps_xl.refresh(source, tmp_path / "refreshed.xlsx").output
    assert set(audit(issued)) - before == set()
    assert set(audit(refreshed)) - before == set()


@pytest.mark.parametrize("view", ["corporate_parenting", "members"])
def test_a_report_view_is_clean(template, tmp_path, view):
    """A view is the scorecard sheet cut down in the package model: nothing it drops or moves may leave a
    dangling part, name or merge."""
    assert audit(template) == []
    issued = cyps_xl.issue(template, tmp_path / f"{view}.xlsx", report=view,
                           benchmarks=ROOT / "tests" / "fixtures" / "dfe")
    assert audit(issued.output) == []
