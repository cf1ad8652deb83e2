"""Report views (Corporate Parenting, Members) as the council prints them: made from the scorecard sheet
itself, so a view is never poorer than the monthly scorecard it comes from (#15)."""
import shutil
import warnings
import zipfile

import openpyxl
import pytest
import yaml

import cyps_xl
from conftest import ROOT, run_cli
from test_addin import audit

DFE = ROOT / "tests" / "fixtures" / "dfe"


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sparklines: openpyxl does not read them
        return openpyxl.load_workbook(path)


def _look(cell) -> tuple:
    """How a cell looks: fill, font, borders and number format."""
    fill, font, border = cell.fill, cell.font, cell.border
    return (fill.patternType, fill.fgColor.rgb if fill.patternType else None, font.b, font.i, font.sz, font.name,
            font.color.rgb if font.color is not None else None,
            tuple(getattr(border, side).style for side in ("left", "right", "top", "bottom")),
            cell.number_format, cell.alignment.wrap_text, cell.alignment.horizontal)


def _row_of(ws, ref, first=13):
    return next(r for r in range(first, ws.max_row + 1) if ws.cell(r, 1).value == ref)


@pytest.fixture(scope="module")
def corporate(template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("view")
    benchmarks = DFE
    report = cyps_xl.issue(template, folder / "Corporate Parenting Issue 2.xlsx", report="corporate_parenting",
                           benchmarks=benchmarks)
    return report


@pytest.fixture(scope="module")
def monthly(template, corporate):
    issued = cyps_xl.issue(template, corporate.output.with_name("monthly.xlsx"), benchmarks=DFE)
    return _load(issued.output)["Social Care"]


def test_a_view_keeps_the_scorecards_header_band_columns_and_styles(template, corporate, monthly):
    source, view = _load(template)["Social Care"], _load(corporate.output)["Corporate Parenting"]
    assert _load(corporate.output).sheetnames == ["Summary", "Corporate Parenting", "Commentary"]
    # every heading the scorecard has, in its place: timeline, targets, last year, benchmarks
    for r in (11, 12):
        for c in range(1, source.max_column + 1):
            assert view.cell(r, c).value == monthly.cell(r, c).value, (r, c)  # benchmark headings carry their year
            assert _look(view.cell(r, c)) == _look(monthly.cell(r, c)), (r, c)  # fitted for print alike
    assert view["A1"].value == "Corporate Parenting Performance Report"
    assert view["A2"].value == "Corporate Parenting Performance Summary"  # was "Social Care Performance Summary"
    for letter, dimension in monthly.column_dimensions.items():  # widths (made legible alike) and the hidden months
        assert (view.column_dimensions[letter].width, view.column_dimensions[letter].hidden) == \
               (dimension.width, dimension.hidden), letter
    assert {str(m) for m in view.merged_cells.ranges} >= {str(m) for m in source.merged_cells.ranges
                                                         if m.max_row <= 12}
    # the section band above the first looked-after-children row, styled and merged as on the scorecard
    band_source, band_view = _row_of(source, "LOOKED AFTER CHILDREN"), _row_of(view, "LOOKED AFTER CHILDREN")
    assert band_view == 13 and _look(view.cell(band_view, 1)) == _look(source.cell(band_source, 1))
    assert f"A{band_view}:{openpyxl.utils.get_column_letter(source.max_column)}{band_view}" in \
           {str(m) for m in view.merged_cells.ranges}


def test_a_view_row_is_the_scorecard_row_under_the_views_reference_and_title(template, corporate, monthly):
    source, view = _load(template)["Social Care"], _load(corporate.output)["Corporate Parenting"]
    config = yaml.safe_load((ROOT / "rules" / "reports.yaml").read_text())["reports"]["corporate_parenting"]
    for entry in config["indicators"]:
        r_source, r_view, r_monthly = _row_of(source, entry["ref"]), _row_of(view, entry["as"]), _row_of(monthly, entry["ref"])
        assert view.cell(r_view, 2).value == entry.get("title", source.cell(r_source, 2).value)
        for c in range(3, source.max_column + 1):
            if c == 28:
                continue  # the trend column holds a sparkline, no value
            # the same timeline, data note, months, outturn, ratings, tolerances, last year and benchmarks
            assert view.cell(r_view, c).value == monthly.cell(r_monthly, c).value, (entry["as"], c)
            assert _look(view.cell(r_view, c)) == _look(monthly.cell(r_monthly, c)), (entry["as"], c)
        if "title" not in entry:  # the same text wraps alike (a view's own, shorter title may need fewer lines)
            assert view.row_dimensions[r_view].height == monthly.row_dimensions[r_monthly].height, entry["as"]
    # DfE's figures for 3.2 land in CP2's benchmark columns, and are not called unmatched
    cp2 = _row_of(view, "CP2")
    assert all(isinstance(view.cell(cp2, c).value, float) for c in range(29, 33))
    assert view.cell(cp2, 33).value is None  # the region's figure is not put under 'RIA 2019/20'
    assert not any("match no row" in note and "3.2" in note for note in corporate.notes)


def test_a_view_carries_every_part_of_a_multi_row_indicator_and_no_formula(template, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    reports = yaml.safe_load((rules / "reports.yaml").read_text())
    reports["reports"]["corporate_parenting"]["indicators"] = [
        {"sheet": "Social Care", "ref": "3.1", "as": "A"}, {"sheet": "Social Care", "ref": "1.1", "as": "B"}]
    (rules / "reports.yaml").write_text(yaml.safe_dump(reports))
    result = run_cli("issue", template, "--report", "corporate_parenting", "--rules", rules, "-o", tmp_path / "v.xlsx")
    assert result.returncode == 0, result.stderr
    view, source = _load(tmp_path / "v.xlsx")["Corporate Parenting"], _load(template)["Social Care"]
    a, b = _row_of(view, "A"), _row_of(view, "B")
    first = _row_of(source, "1.1")
    assert view.cell(b - 1, 1).value == "FIRST RESPONSE" and view.cell(a - 1, 1).value == "LOOKED AFTER CHILDREN"
    assert [view.cell(b + 1, c).value for c in (2, 5)] == [source.cell(first + 1, c).value for c in (2, 5)]  # families
    assert view.max_row == b + 1  # nothing else of the scorecard came along
    with zipfile.ZipFile(tmp_path / "v.xlsx") as z:
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert audit(tmp_path / "v.xlsx") == []


def test_a_view_of_a_teams_workbook_carries_nothing_of_the_sheets_it_left_out(tmp_path):
    """The team's workbook has a chart, a picture, notes, threaded comments, a table and macros: a view keeps
    none of the parts they used once their sheets are gone, and every part it keeps is reached."""
    import posixpath

    from lxml import etree
    from test_openxml_audit import fidelity_workbook

    built = fidelity_workbook(tmp_path / "built.xlsm")
    source = tmp_path / "team.xlsm"
    with zipfile.ZipFile(built) as z, zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():  # a workbook-wide name on a sheet the view leaves out
            data = z.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"</definedNames>", b"<definedName name=\"EH_Total\">'Early Help'!$A$1</definedName>"
                                                         b"</definedNames>")
            out.writestr(info, data)
    out = cyps_xl.issue(source, tmp_path / "cp.xlsx", report="corporate_parenting").output
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        reached, todo = {"[Content_Types].xml"}, [""]
        while todo:
            part = todo.pop()
            folder, base = posixpath.split(part)
            rels = posixpath.join(folder, "_rels", base + ".rels") if part else "_rels/.rels"
            if rels not in names:
                continue
            reached.add(rels)
            for rel in etree.fromstring(z.read(rels)):
                if rel.get("TargetMode") != "External":
                    target = rel.get("Target")
                    target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                    if target in names and target not in reached:
                        reached.add(target)
                        todo.append(target)
        defined = [d.text for d in etree.fromstring(z.read("xl/workbook.xml")).iter(
            "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}definedName")]
    assert names - reached == set()
    # no name left pointing at a sheet that went, or at the scorecard's rows; the header rows still repeat
    assert sorted(t for t in defined if t != "TRUE") == ["'Commentary'!$3:$3",
                                                          "'Corporate Parenting'!$A:$B,'Corporate Parenting'!$11:$12"]
    assert not any(n.startswith(("xl/tables/", "xl/media/", "xl/comments", "xl/threadedComments")) for n in names)
    assert audit(out) == []
