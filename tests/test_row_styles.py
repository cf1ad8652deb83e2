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


def _styles(xf_attributes: str):
    from cyps_xl.workbook.styles import Styles

    root = etree.fromstring(
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="166" formatCode="0.0%"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill/></fills>'
        f'<cellXfs count="2"><xf numFmtId="0" fontId="0"/><xf {xf_attributes} fontId="0" fillId="0"/></cellXfs>'
        '</styleSheet>')
    return Styles(root)


@pytest.mark.parametrize("attributes, kept", [
    ('numFmtId="166"', True),  # as LibreOffice and openpyxl save a format: no applyNumberFormat, and it shows
    ('numFmtId="166" applyNumberFormat="1"', True),  # as Excel saves it
    ('numFmtId="166" applyNumberFormat="true"', True),
    ('numFmtId="166" applyNumberFormat="0"', False),  # said not to apply: some readers honour that
    ('numFmtId="166" applyNumberFormat="false"', False),
    ('numFmtId="9"', False),  # another number format
    ('borderId="0"', False),  # no number format: General
])
def test_a_format_that_names_the_number_format_keeps_it_whatever_its_flag_is_unless_said_not_to(attributes, kept):
    styles = _styles(attributes)
    percent = CellStyle(number_format="0.0%")
    assert styles.keeps(1, percent) is kept
    derived = styles.derive(1, percent)
    assert (derived == 1) is kept
    if not kept:
        xf = styles.xfs[derived]
        assert (xf.get("numFmtId"), xf.get("applyNumberFormat")) == ("166", "1")


def test_a_libreoffice_saved_scorecards_figures_keep_their_cell_formats(tmp_path):
    """LibreOffice saves a cell format without applyNumberFormat. A refresh leaves every figure that shows its
    rule's format as it was saved (no twin format differing only in that flag, and no cell rewritten for it)."""
    import zipfile

    out = cyps_xl.refresh(LIBREOFFICE, tmp_path / "refreshed.xlsx").output
    scorecard, report = evaluate(LIBREOFFICE, load_rules(None), package=Package(LIBREOFFICE))
    figures = [(c.sheet, c.row, column) for c in report.changes if isinstance(c, RowStyle) for column in c.columns]
    before, after = Package(LIBREOFFICE), Package(out)
    same = [place for place in figures
            if before.styles.xfs[_style_of(before, *place)].get("numFmtId")
            == str(before.styles._existing_format_id(_format_of(report, place)))]
    assert same  # the fixture has figures in their rule's format already
    for sheet, row, column in same:
        assert _style_of(after, sheet, row, column) == _style_of(before, sheet, row, column), (sheet, row, column)
    with zipfile.ZipFile(LIBREOFFICE) as source, zipfile.ZipFile(out) as issued:
        xfs = [etree.fromstring(z.read("xl/styles.xml")).find(f"{{{NS}}}cellXfs") for z in (source, issued)]
    twins = [xf for xf in xfs[1][len(xfs[0]):] if xf.get("applyNumberFormat") == "1" and any(
        {**old.attrib, "applyNumberFormat": "1"} == dict(xf.attrib) for old in xfs[0])]
    assert not twins


NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _style_of(package, sheet: str, row: int, column: int) -> int:
    from cyps_xl.workbook.cells import read_grids

    grids = getattr(package, "_test_grids", None) or read_grids(package)
    package._test_grids = grids
    found = grids[sheet].row(row).get(column)
    return found[2] if found else 0


def _format_of(report, place) -> str:
    sheet, row, column = place
    return next(c.style.number_format for c in report.changes
                if isinstance(c, RowStyle) and (c.sheet, c.row) == (sheet, row) and column in c.columns)


def test_a_cell_in_a_twin_of_an_earlier_format_keeps_its_own():
    """openpyxl's files repeat a format (a cell format identical to an earlier one): a cell in the repeat that
    already shows the number format keeps its own, rather than moving to the earlier twin, which looks the same."""
    from cyps_xl.workbook.styles import Styles

    root = etree.fromstring(
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="166" formatCode="0.0%"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill/></fills>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0"/><xf numFmtId="166" fontId="0" borderId="1"/>'
        '<xf numFmtId="166" fontId="0" borderId="1"/></cellXfs></styleSheet>')
    styles = Styles(root)
    percent = CellStyle(number_format="0.0%")
    assert styles.keeps(2, percent) and styles.derive(2, percent) == 2
    assert styles.keeps(1, percent) and styles.derive(1, percent) == 1
    bold = styles.derive(2, CellStyle(number_format="0.0%", bold=True))
    assert bold == 3 and len(styles.xfs) == 4  # a real change still makes (or finds) its format
    assert styles.derive(1, CellStyle(number_format="0.0%", bold=True)) == 3


def test_an_openpyxl_saved_scorecards_figures_keep_their_cell_formats(tmp_path, template):
    """The figures of a scorecard openpyxl saved (its formats repeated, none with applyNumberFormat) are not
    rewritten by a refresh: each keeps the format it was saved in."""
    import warnings

    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        openpyxl.load_workbook(template).save(tmp_path / "saved.xlsx")
    source = tmp_path / "saved.xlsx"
    scorecard, report = evaluate(source, load_rules(None), package=Package(source))
    figures = [(c.sheet, c.row, column) for c in report.changes if isinstance(c, RowStyle) for column in c.columns]
    out = cyps_xl.refresh(source, tmp_path / "refreshed.xlsx").output
    before, after = Package(source), Package(out)
    same = [place for place in figures
            if before.styles.xfs[_style_of(before, *place)].get("numFmtId")
            == str(before.styles._existing_format_id(_format_of(report, place)))]
    assert same
    assert [p for p in same if _style_of(after, *p) != _style_of(before, *p)] == []
