"""The report people read: commentary sentences, summary page, report views and the PDF."""
import datetime as dt
import os
import re
import subprocess
import sys

import openpyxl
import pytest

import cyps_xl
from conftest import ROOT


@pytest.fixture(scope="module")
def plain_issue(template, tmp_path_factory):
    """An issue without benchmarks: sentences then have no benchmark clause."""
    out = tmp_path_factory.mktemp("commentary") / "issued.xlsx"
    cyps_xl.issue(template, out)
    return openpyxl.load_workbook(out)


def sentences(book):
    ws = book["Commentary"]
    return {(row[0], row[1] or None, row[2]): row[3] for row in ws.iter_rows(min_row=4, values_only=True) if row[3]}


def by_ref(book, sheet, ref):
    return next(text for (s, r, _), text in sentences(book).items() if s == sheet and r == ref)


@pytest.mark.parametrize("sheet, ref, expected", [
    # rated, with a target, on target
    ("Social Care", "2.10", "Children with a CP plan per 10,000 population aged 0-17 fell to 82.7 in March from 85.8 in "
                            "February (110.4 last year), on target (Green, <85)."),
    # close to target; February was on target, so no run of months off target; the year's 94.3% is not March's
    ("Social Care", "3.6", "Looked after children care plans reviewed within timescales fell to 93.3% in March from 95.9% "
                           "in February (94.3% in the year, against 96.2% last year), close to target (Amber; target 95%+)."),
    # off target all year (a green-only target of under 121 days)
    ("Social Care", "3.22", "Days between a placement order and being matched with an adoptive family (A2) rose to 292.2 in "
                            "March from 239.7 in February (210.6 last year), off target (Red; target <121). It has been "
                            "off target for 12 months in a row."),
    # an info measure, and a count through the year
    # (an information-only row says nothing of a target: the same clause on 55 rows was noise)
    ("Social Care", "3.1", "Looked after children fell to 562 in March from 572 in February (597 last year)."),
    ("Social Care", "2.8", "Initial CP conferences (children) rose to 57 in March from 56 in February (625 in the year, "
                           "against 635 last year)."),
    ("Social Care", "3.3", "Admissions of looked after children was unchanged at 18 in March (175 in the year, against 186 "
                           "last year)."),
    # a multi-row indicator: each part named, figures as a report writes them
    ("Early Help", "1.7", "Open families/children at the end of the reporting period (families) rose to 1,321 in March "
                          "from 1,272 in February (1,359 last year)."),
    # a missing value
    ("Early Help", "3.1", "Families engaged in the supporting families project (formerly 'Families For Change'): no figure "
                          "for March (Temporarily suspended)."),
])
def test_commentary_sentences(plain_issue, sheet, ref, expected):
    assert by_ref(plain_issue, sheet, ref) == expected


def test_the_parts_of_a_multi_row_indicator_are_told_apart(plain_issue):
    ws = plain_issue["Commentary"]
    sentences = [row[3] for row in ws.iter_rows(values_only=True)
                 if row[0] == "Early Help" and row[3] and str(row[3]).startswith("Open families/children")]
    assert [s.split(" rose to ")[0].rsplit(" ", 1)[-1] for s in sentences] == ["(families)", "(children)"]
    assert "rose to 2,899 in March" in sentences[1]


def test_a_part_that_is_a_code_is_written_as_the_team_wrote_it():
    """'(families)' reads as prose; 'OLD' lower-cased reads as the word 'old', which it is not."""
    from types import SimpleNamespace

    from cyps_xl.report.commentary import part_of

    row = lambda part: SimpleNamespace(part=part, data_note="%", title="% of re-referrals")  # noqa: E731
    assert [part_of(row(p)) for p in ("Families", "OLD", "CiN", "duty", "%")] == \
        [" (families)", " (OLD)", " (CiN)", " (duty)", ""]


def test_a_figure_and_its_percent_sign_are_never_apart_in_a_sentence(tmp_path):
    """A team's bands typed with a space ('95 %+') are written '95%+': a line may break at a space, and '95' at one
    line's end with '%+' at the next's misreads."""
    import xlsxwriter

    card = tmp_path / "spaced.xlsx"
    wb = xlsxwriter.Workbook(str(card))
    ws = wb.add_worksheet("Members")
    percent = wb.add_format({"num_format": "0.0%"})
    ws.write_row(0, 0, ["REF", "Indicator title", "DATA NOTE", "Jan-22", "Feb-22", "Mar-22", "Good perf is", "Red",
                        "Amber", "Green"])
    ws.write_row(1, 0, ["M1", "% of looked after children visited in time", "%"])
    for c, value in enumerate((0.90, 0.93, 0.96), 3):
        ws.write_number(1, c, value, percent)
    ws.write_row(1, 6, ["high", "<87 %", "87 %+", "95 %+"])
    wb.close()
    rules = tmp_path / "rules"
    rules.mkdir()  # no rules of their own: rated from the sheet's bands
    out = cyps_xl.issue(card, tmp_path / "out.xlsx", rules=rules).output
    text = by_ref(openpyxl.load_workbook(out), "Members", "M1")
    assert "on target (Green, 95%+)" in text and not re.search(r"\d\s%", text), text


def test_commentary_with_benchmarks_matches_the_published_style(issued):
    book = openpyxl.load_workbook(issued)
    assert by_ref(book, "Social Care", "3.25") == (
        "Care leavers in suitable accommodation rose to 96.6% in March from 94.6% in February (98.4% last year), on "
        "target (Green, 94%+) and above the statistical neighbour average of 88.4%.")
    assert book["Commentary"]["A1"].value.startswith("DRAFT commentary for the service to edit")


def test_commentary_wording_comes_from_yaml(template, tmp_path):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    text = (rules / "commentary.yaml").read_text(encoding="utf-8").replace('"{subject} fell to', '"{subject} went down to')
    (rules / "commentary.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "o.xlsx"
    cyps_xl.issue(template, out, rules=rules)
    assert by_ref(openpyxl.load_workbook(out), "Social Care", "3.1").startswith("Looked after children went down to 562")


def test_summary_page_tiles_and_counts(issued):
    book = openpyxl.load_workbook(issued)
    assert book.sheetnames[0] == "Summary"
    ws = book["Summary"]
    assert [ws.cell(5, c).value for c in (1, 4, 7)] == [562, 175, pytest.approx(0.968)]
    assert [ws.cell(6, c).value for c in (1, 4, 7)] == ["LAC as at period end", "admissions (ytd)", "of LAC visits up to date"]
    assert ws.cell(5, 7).fill.fgColor.rgb == "FF00B050"  # 96.8% against 95%+: Green
    # on a green tile the RAG word, and a declining arrow saying so in words, in a colour that reads on green
    assert ws.cell(7, 7).value == "Green: ↓ declining since last month" and ws.cell(7, 7).font.color.rgb == "FF000000"
    # the counts follow the exceptions list; "Direction of travel (month)" is wider than its column: it wraps, in a
    # row tall enough for two lines
    direction = next(r for r in range(9, ws.max_row + 1) if str(ws.cell(r, 1).value).startswith("Direction of travel"))
    assert ws.cell(direction, 1).alignment.wrap_text and ws.row_dimensions[direction].height >= 2 * 12.75
    reds = sum(1 for s in ("Early Help", "Social Care") for row in book[s].iter_rows(min_row=13) if row[20].value == "Red")
    assert ws.cell(direction - 3, 1).value == "RAG (month)"
    assert ws.cell(direction - 2, 2).value == reds  # the count of Red (month) equals the Red cells of the scorecard
    # the exceptions list, the first table: every row the scorecard shows Red this month is in it, with its figure
    assert ws.cell(9, 1).value.startswith("Exceptions this month") and ws.cell(10, 1).value == "Scorecard ref"
    listed = {(ws.cell(r, 1).value, ws.cell(r, 7).value) for r in range(11, direction - 3)}
    for sheet in ("Early Help", "Social Care"):
        for row in book[sheet].iter_rows(min_row=13):
            if row[20].value == "Red" and row[0].value:
                assert (row[0].value, row[16].value) in listed, (sheet, row[0].value)  # Q: Mar-22
    assert all(ws.cell(r, 13).value.split(",")[0] in ("Red", "Amber", "Green", "not rated")
               for r in range(11, direction - 4))
    import zipfile

    lac = next(r for r in range(13, book["Social Care"].max_row + 1) if book["Social Care"].cell(r, 1).value == "3.1")
    with zipfile.ZipFile(issued) as z:
        chart = z.read("xl/charts/chart1.xml").decode()  # openpyxl does not read charts back
    assert "<c:f>'Social Care'!$F$12:$Q$12</c:f>" in chart  # the twelve months, hidden ones included
    assert f"<c:f>'Social Care'!$F${lac}:$Q${lac}</c:f>" in chart and '<c:plotVisOnly val="0"/>' in chart
    assert '<c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/><c:min val="0"/>' in chart
    notes = [ws.cell(r, 1).value for r in range(direction, ws.max_row + 1) if ws.cell(r, 1).value]
    assert any("ILLUSTRATIVE" in str(n) for n in notes)  # the template's months Apr-Dec are not presented as real


def test_two_report_views_give_the_same_dot_and_rag(template, tmp_path):
    def view(name):
        report = cyps_xl.issue(template, tmp_path / f"{name}.xlsx", report=name)
        book = openpyxl.load_workbook(report.output)
        sheet = next(s for s in book.sheetnames if s not in ("Summary", "Commentary"))
        ws = book[sheet]
        header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "REF NO.")
        col = {c.value: c.column for r in (header, header + 1) for c in ws[r] if isinstance(c.value, str)}
        return {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, col["DOT* (month)"]).value,
                                      ws.cell(r, col["RAG (month)"]).value, ws.cell(r, col["RAG (Yr End)"]).value)
                for r in range(header + 2, ws.max_row + 1) if re.fullmatch(r"[A-Z]+\d+", str(ws.cell(r, 1).value))}

    corporate, members = view("corporate_parenting"), view("members")
    assert corporate["CP5"][0] == "LAC visits up to date and within timescale"
    assert members["M5"][0] == "Looked after children seen on time"
    assert corporate["CP5"][1:] == members["M5"][1:] == ("↓", "Green", "Green")  # 3.5 in both, rated alike
    assert corporate["CP10"][1:] == members["M6"][1:] == ("↑", "Green", "Green")  # 3.25
    monthly = openpyxl.load_workbook(cyps_xl.issue(template, tmp_path / "monthly.xlsx").output)["Social Care"]
    row = next(r for r in range(13, monthly.max_row + 1) if monthly.cell(r, 1).value == "3.5")
    assert (monthly.cell(row, 20).value, monthly.cell(row, 21).value, monthly.cell(row, 23).value) == corporate["CP5"][1:]


def test_pdf_needs_libreoffice_and_says_so_without_failing_the_issue(template, tmp_path):
    env = {**os.environ, "PATH": "/nonexistent", "CYPS_XL_SOFFICE": "/nonexistent/soffice"}
    result = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(template), "-o", str(tmp_path / "o.xlsx"),
                             "--pdf"], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stderr == ""
    assert ("No PDF: LibreOffice (soffice) is needed to write the PDF headlessly and was not found. Install it "
            "(apt-get install libreoffice-calc-nogui) or set CYPS_XL_SOFFICE to soffice's path; in Excel, Produce issue "
            "writes the PDF itself.") in result.stdout
    assert f"Issued: {tmp_path / 'o.xlsx'}" in result.stdout and (tmp_path / "o.xlsx").exists()


def test_a_section_band_is_never_printed_apart_from_its_rows():
    from types import SimpleNamespace

    from cyps_xl.report.printing import section_breaks

    class Geometry:  # a sheet 700 points wide (no scaling), every row 15 points high
        def print_geometry(self, sheet):
            return 700.0, {}

    # Page: (595 - 79.2) / 1.0 = 515.8 points = 34 rows of 15. Title block and header: rows 1-12.
    # Bands at rows 30 and 33: the band at 33 would sit at the foot of page one with only one of its rows.
    rows = [SimpleNamespace(row=r, section="A" if r < 33 else "B") for r in range(14, 33)]
    rows += [SimpleNamespace(row=r, section="B") for r in range(34, 60)]
    table = SimpleNamespace(sheet="S", header_rows=(11, 12), rows=rows)
    assert section_breaks(Geometry(), table) == [33]


def test_a_view_is_issued_beside_the_scorecard_under_its_own_name(template, tmp_path):
    src = tmp_path / "card.xlsx"
    src.write_bytes(template.read_bytes())
    report = cyps_xl.issue(src, report="members")
    # the view's month in its name: next month's Members view is not taken for Issue 3 of this one
    assert report.output == tmp_path / "Members March 2022 Issue 2.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Members March 2022 Issue 2.xlsx", "card.xlsx"]  # nothing left behind
    summary = openpyxl.load_workbook(report.output)["Summary"]
    assert [summary.cell(6, c).value for c in (1, 4, 7)] == [
        "of assessments within 45 working days", "of LAC seen on time", "of care leavers in suitable accommodation"]
    assert summary.cell(5, 1).value == pytest.approx(0.945)  # 1.13 in March, found under the view's M1


def test_a_percent_indicators_chart_has_a_percent_axis(template, tmp_path):
    """Members charts 2.9 (a %): its value axis reads 90%, not 0.9; the monthly report's count keeps its own format."""
    import re
    import zipfile

    def axis(report):
        issued = cyps_xl.issue(template, tmp_path / f"{report}.xlsx", report=report, today=dt.date(2022, 5, 20)).output
        with zipfile.ZipFile(issued) as z:
            chart = z.read("xl/charts/chart1.xml").decode()
        return re.search(r"<c:valAx>.*?<c:numFmt formatCode=\"([^\"]*)\" sourceLinked=\"(\d)\"/>", chart).groups()

    members_format, linked = axis("members")
    assert "%" in members_format and linked == "0"
    monthly_format, _ = axis("monthly")
    assert "%" not in monthly_format


def test_every_members_tile_shows_the_arrow_its_scorecard_row_shows(template, tmp_path):
    """Tiles 1 and 3 of the Members report once showed no arrow: each tile's arrow is its row's DOT (month)."""
    monthly = cyps_xl.issue(template, tmp_path / "monthly.xlsx", today=dt.date(2022, 5, 20))
    dots = {r.row.ref: r.dot_month for r in monthly.results["Social Care"] if r.row.first_in_block}
    members = cyps_xl.issue(template, tmp_path / "members.xlsx", report="members", today=dt.date(2022, 5, 20)).output
    ws = openpyxl.load_workbook(members)["Summary"]
    symbols = {"up": "↑", "down": "↓", "same": "→"}
    for column, ref in zip((1, 4, 7), ("1.13", "3.5", "3.25")):
        assert dots[ref].direction is not None
        arrow = ws.cell(7, column).value.split(": ", 1)[-1]  # after the tile's RAG word
        assert arrow.startswith(symbols[dots[ref].direction] + " "), (ref, ws.cell(7, column).value)


def test_printed_text_is_measured_alike_from_the_readers_cells_and_from_the_rows(template, tmp_path, monkeypatch):
    """The issue measures its scorecard sheets from what the reader kept; a pass over the saved rows (what the
    summary and commentary get) must come to the same wraps, heights, widths and paper."""
    import zipfile

    from cyps_xl.report import printing

    today = dt.date(2022, 5, 20)
    kept = cyps_xl.issue(template, tmp_path / "kept.xlsx", today=today).output
    real = printing.print_settings
    monkeypatch.setattr(printing, "print_settings", lambda *args, **kw: real(*args[:5], grids=None))
    streamed = cyps_xl.issue(template, tmp_path / "streamed.xlsx", today=today).output
    with zipfile.ZipFile(kept) as a, zipfile.ZipFile(streamed) as b:
        assert a.namelist() == b.namelist()
        assert [n for n in a.namelist() if a.read(n) != b.read(n)] == []


def test_a_long_word_widens_its_column_at_most_twice_and_its_row_holds_every_line(tmp_path):
    """'Temporarily' in a month column widens it; a web address in a note would push the page wider and wider,
    so its column stops at twice its width and the address breaks over lines its row is tall enough for."""
    import xlsxwriter

    from cyps_xl.report.legible import fit_text
    from cyps_xl.workbook.package import Package

    path = tmp_path / "notes.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Notes")
    ws.set_column(0, 1, 8.43)
    ws.write_row(0, 0, ["Temporarily suspended", "x"])
    ws.write_row(1, 0, ["https://www.gov.uk/government/statistics/children-looked-after-in-england-including-adoptions", "x"])
    wb.close()
    package = Package(path)
    fit_text(package, "Notes", [1, 2])
    package.save(tmp_path / "out.xlsx")
    saved = openpyxl.load_workbook(path)["Notes"].column_dimensions["A"].width  # 8.43 as xlsxwriter stores it
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Notes"]
    # 'Temporarily' fits; the address does not push on (twice the width, to the next quarter character)
    assert saved + 1 < sheet.column_dimensions["A"].width <= 2 * saved + 0.25
    assert sheet["A1"].alignment.wrap_text and sheet["A2"].alignment.wrap_text
    assert sheet.row_dimensions[1].height >= 2 * 11 * 1.2  # two lines of 11 pt
    # the address, 435 pt in Carlito 11 (Calibri's widths; 448 with the margin), in 92 pt of text: 5 lines
    assert sheet.row_dimensions[2].height >= 5 * 11 * 1.2


def test_a_figure_in_a_sentence_is_written_as_its_cell_shows_it_ties_and_all():
    """The commentary writes a float with its own rounding away from a tie (#27: the Decimal trip took 1.5 us a
    figure), and at a tie as Excel does, its 15 digits rounded half up (0.125 at two places is 0.13, not 0.12):
    the same text as the cell's displayed value, for values drawn at random and at ties."""
    import random

    from cyps_xl.engine.values import as_displayed
    from cyps_xl.report.commentary import shown

    chosen = random.Random(27)
    values = [0.125, -0.125, 2.5, 0.005, 1.005, 0.955, 999.95, 999.96, -0.04, 0.0, -0.0, 123456.785, 7844.0]
    for _ in range(20_000):
        places = chosen.randint(0, 4)
        tie = chosen.choice([0.5, 0.05, 0.005, 0.0005]) * chosen.choice([1, -1])
        values += [chosen.uniform(-2, 2), chosen.uniform(-1e5, 1e5), round(chosen.uniform(-100, 100), places) + tie]
    for value in values:
        for decimals in range(7):
            for percent in (False, True):
                figure = as_displayed(value, decimals, percent)
                expected = (f"{figure:,}" if abs(figure) >= 1000 else f"{figure}") + ("%" if percent else "")
                assert shown(value, (decimals, percent)) == expected, (value, decimals, percent)
    assert shown(0.125, (2, False)) == "0.13" and shown(0.00125, (2, True)) == "0.13%"  # ties: half up
    assert shown(1320.6, (0, False)) == "1,321" and shown(0.9655, (1, True)) == "96.6%"
