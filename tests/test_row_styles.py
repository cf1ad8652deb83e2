"""A row's figures share one number-format change (RowStyle), and a cell that has that format already, as
saved, is left alone: nothing recorded, measured or rewritten for it. Leaving it must give the workbook
that restyling it gives, byte for byte, and judging that must add nothing to styles.xml."""
import pytest
from lxml import etree

import cyps_xl
from conftest import ROOT
from cyps_xl.api import evaluate
from cyps_xl.engine.rules import load_rules
from cyps_xl.workbook.changes import RowStyle
from cyps_xl.workbook.package import Package
from cyps_xl.workbook.styles import CellStyle
from cyps_xl.workbook.writer import apply_changes

EXCEL_SAVED = sorted(p for p in (ROOT / "tests" / "fixtures" / "excel_saved").rglob("*.xls[xm]") if "encrypt" not in p.name)
LIBREOFFICE = ROOT / "tests" / "fixtures" / "other_tools" / "scorecard_saved_by_libreoffice_7.4.xlsx"


def _styles_xml(package) -> bytes:
    return etree.tostring(package.styles.root, method="c14n")


def test_keeps_answers_as_derive_does_on_every_format_of_real_workbooks():
    """Styles.keeps(base, style) is True exactly when derive(base, style) gives base, on the cell formats of
    files Excel, LibreOffice and cyps-xl saved, for the formats a scorecard uses and the file's own."""
    judged = kept = 0
    for path in EXCEL_SAVED + [LIBREOFFICE, ROOT / "workbook_templates" / "cyps_scorecard_template.xlsx"]:
        package = Package(path)
        styles = package.styles
        before = _styles_xml(package)
        codes = {"0.0%", "0%", "0", "#,##0", "General", "0.00"}
        codes |= {f.get("formatCode") for f in (styles.num_fmts if styles.num_fmts is not None else ())}
        answers = {(base, code): styles.keeps(base, CellStyle(number_format=code))
                   for base in range(len(styles.xfs)) for code in codes}
        assert not any(styles.keeps(base, CellStyle(number_format="0.0%", bold=True)) for base in range(len(styles.xfs)))
        assert _styles_xml(package) == before, path.name  # judged without adding anything
        fresh = Package(path).styles
        truth = {(base, code): fresh.derive(base, CellStyle(number_format=code)) == base for base, code in answers}
        assert answers == truth, path.name
        judged += len(answers)
        kept += sum(answers.values())
    assert judged > 1000 and 0 < kept < judged  # both answers were met


@pytest.mark.parametrize("source", ["template", "libreoffice", "refreshed template", "refreshed libreoffice"])
def test_leaving_cells_that_have_their_format_gives_the_same_workbook(template, tmp_path, source):
    """A refreshed scorecard's figures have their formats already (last month's run set them): none of them
    is recorded again, and the workbook saved is the one restyling them all gives."""
    path = template if source.endswith("template") else LIBREOFFICE
    if source.startswith("refreshed"):
        path = cyps_xl.refresh(path, tmp_path / "refreshed.xlsx").output
    rules = load_rules(None)
    outputs, recorded = [], []
    for with_grids in (False, True):
        package = Package(path)
        scorecard, report = evaluate(path, rules, package=package)
        apply_changes(package, report.changes, scorecard.grids if with_grids else None)
        figures = {(c.sheet, c.row, column) for c in report.changes if isinstance(c, RowStyle) for column in c.columns}
        recorded.append({(sheet, r, c) for sheet, part in package.sheet_parts.items()
                         for r, columns in package.worksheet(part).styles.items() for c in columns} & figures)
        package.save(tmp_path / f"out{with_grids}.xlsx")
        outputs.append((tmp_path / f"out{with_grids}.xlsx").read_bytes())
    assert outputs[0] == outputs[1]
    assert recorded[1] <= recorded[0]
    if source.startswith("refreshed"):
        assert recorded[0] and not recorded[1]  # every figure has its format after a run
