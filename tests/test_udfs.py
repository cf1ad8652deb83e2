"""The CYPS_* cell functions give the engine's answers, called as Excel calls them.

Every call goes through xlwings' own conversion stage (``conversion.read`` with
the options each function declares, on the remote engine), with the arguments
shaped as Excel hands them over: literals, or ranges as tuples of row tuples
with None for empty cells and error text for error values.
"""
import datetime as dt
import shutil
import zipfile

import openpyxl
import pytest
import xlsxwriter

from xlwings import conversion

import cyps_xl
from cyps_xl.excel import udfs
from cyps_xl.engine.rating import Measure, direction_of_travel, rag_rating
from cyps_xl.engine.rules import load_rules
from cyps_xl.engine.tolerances import Tolerances, parse_band
from cyps_xl.engine.values import read_cell
from conftest import ROOT


def excel_call(function, *given):
    """Call a CYPS_ function the way Excel does: each argument as Excel hands it over (a literal, or a
    range as a tuple of row tuples, None for empty cells, "#N/A" for an error), through xlwings' own
    conversion stage with the options the function declares."""
    declared = function.__xlfunc__["args"]
    args = [conversion.read(None, value, spec["options"], engine_name="remote") for spec, value in zip(declared, given)]
    return function(*args)


def cells(ws, ref):
    """A range as Excel hands it to a function: a tuple of row tuples of values."""
    block = ws[ref]
    if not isinstance(block, tuple):
        return block.value
    return tuple(tuple(c.value for c in row) for row in block)


def test_every_argument_is_declared_two_dimensional():
    for function in (udfs.CYPS_RAG, udfs.CYPS_DOT, udfs.CYPS_TOLERANCE, udfs.CYPS_BENCH):
        assert all(spec["options"].get("ndim") == 2 for spec in function.__xlfunc__["args"]), function.__name__


@pytest.fixture(scope="module")
def sheets(issued, template):
    """The published-layout scorecard (what the functions read) and its headless issue (the engine's answers)."""
    return openpyxl.load_workbook(template)["Social Care"], openpyxl.load_workbook(issued)["Social Care"]


def test_the_readme_column_calls_give_the_engines_answers_on_every_row(sheets):
    source, issued = sheets
    style = load_rules().style
    rag = excel_call(udfs.CYPS_RAG, cells(source, "Q14:Q93"), cells(source, "X14:Z93"), cells(source, "S14:S93"),
                     cells(source, "E14:E93"))
    dot = excel_call(udfs.CYPS_DOT, cells(source, "Q14:Q93"), cells(source, "P14:P93"), cells(source, "S14:S93"),
                     cells(source, "E14:E93"))
    assert len(rag) == len(dot) == 80 and all(len(row) == 1 for row in rag + dot)
    compared = 0
    for i, row in enumerate(range(14, 94)):
        value, polarity, note = source.cell(row, 17).value, source.cell(row, 19).value, source.cell(row, 5).value
        if polarity is None:  # a section band
            assert rag[i] == [""] or rag[i][0].startswith("#CYPS!"), row
            continue
        fmt = style.number_format_for(note)
        bands = [source.cell(row, c).value for c in (24, 25, 26)]
        measure = Measure(polarity, Tolerances(*(parse_band(b) for b in bands)), fmt, None)
        want = rag_rating(read_cell(value), measure).band
        assert rag[i] == [style.labels[want] if want else ""], row
        arrow = direction_of_travel(read_cell(value), read_cell(source.cell(row, 16).value), polarity, fmt).direction
        assert dot[i] == [style.dot_symbols[arrow] if arrow else ""], row
        # and the headless issue wrote the same, where the rules keep the sheet's own tolerances
        if [issued.cell(row, c).value for c in (24, 25, 26)] == bands:
            assert (issued.cell(row, 21).value or "") == rag[i][0], row
            assert (issued.cell(row, 20).value or "") == dot[i][0], row
            compared += 1
    assert compared >= 60


def test_the_readme_single_cell_and_heading_calls(sheets):
    source, issued = sheets
    row = next(r for r in range(14, 94) if source.cell(r, 1).value == "3.14")
    assert excel_call(udfs.CYPS_RAG, cells(source, f"Q{row}"), "Social Care!3.14") == [[issued.cell(row, 21).value]]
    # the Red / Amber / Green (target) headings name the bands
    assert cells(source, "X12:Z12") == (("Red", "Amber", "Green (target)"),)
    got = excel_call(udfs.CYPS_TOLERANCE, "Social Care!3.14", cells(source, "X12:Z12"))
    assert got == [[issued.cell(row, c).value for c in (24, 25, 26)]] == [["<61%", "61%+", "69%+"]]


def test_dot_of_0_886_against_0_888_is_down_as_the_council_prints_it():
    assert excel_call(udfs.CYPS_DOT, 0.886, 0.888, "high") == [["↓"]]
    assert excel_call(udfs.CYPS_DOT, ((0.886,),), ((0.888,),), (("high",),)) == [["↓"]]
    assert udfs.CYPS_DOT(0.886, 0.888, "high") == "↓"  # called from Python with plain values
    # Excel's General in a standard-width column shows 11 characters: 0.123456789 for both
    assert excel_call(udfs.CYPS_DOT, 0.12345678912, 0.12345678943, "high") == [["→"]]
    assert excel_call(udfs.CYPS_DOT, 0.886, 0.888, "high", "0.0%") == [["↓"]]
    assert excel_call(udfs.CYPS_DOT, 0.886, 0.888, "high", "0.0") == [["→"]]  # both show 0.9


FORMATS = ["General", "0", "0.0", "0.00", "0.000", "0.0%", "0%", "0.00%", "#,##0", "#,##0.0"]
PAIRS = [(0.886, 0.888), (0.76999999, 0.77), (12.345, 12.3449), (1234.5678, 1234.5679), (0.0996, 0.1004),
         (97.8, 99.6), (2.5, 3.5), (-0.04, 0.04)]  # LibreOffice's General is not width-limited: no 11+ digit pairs


def rendered_by_libreoffice(tmp_path):
    """Each pair in each format, as LibreOffice shows the cells ('save cell contents as shown')."""
    import subprocess

    from cyps_xl.report.pdf import find_soffice

    soffice = find_soffice()
    path = tmp_path / "shown.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for c, fmt in enumerate(FORMATS):
        style = None if fmt == "General" else wb.add_format({"num_format": fmt})
        for r, (now, before) in enumerate(PAIRS):
            ws.write_number(2 * r, c, now, style)
            ws.write_number(2 * r + 1, c, before, style)
    wb.close()
    subprocess.run([soffice, "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=120)
    import csv as csvmodule
    return list(csvmodule.reader((tmp_path / "shown.csv").open(encoding="utf-8")))


def test_dot_follows_what_the_cells_display_in_every_supported_format(tmp_path):
    try:
        shown = rendered_by_libreoffice(tmp_path)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"LibreOffice could not render the formats: {exc}")
    for c, fmt in enumerate(FORMATS):
        currents = tuple((now,) for now, _ in PAIRS)
        befores = tuple((before,) for _, before in PAIRS)
        got = excel_call(udfs.CYPS_DOT, currents, befores, "high", fmt)  # a whole column, one format
        per_row = excel_call(udfs.CYPS_DOT, currents, befores, "high", tuple((fmt,) for _ in PAIRS))  # a format column
        assert got == per_row
        for r in range(len(PAIRS)):
            now_text, before_text = shown[2 * r][c], shown[2 * r + 1][c]
            as_number = lambda text: float(text.replace(",", "").rstrip("%"))  # noqa: E731
            want = "→" if now_text == before_text else ("↑" if as_number(now_text) > as_number(before_text) else "↓")
            assert got[r] == [want], (fmt, PAIRS[r], now_text, before_text)


def test_values_and_answers_in_every_shape():
    # a row of values, one polarity
    assert excel_call(udfs.CYPS_RAG, ((0.97, 0.9, 0.5),), "Social Care!3.4") == [["Green", "Amber", "Red"]]
    # a block of values, a format per cell, a polarity per row
    block = ((0.969, 0.8), (0.12, 0.0996))
    bands = (("<87%", "87%+", "95%+"), ("18%+", "10%+", "<10%"))
    got = excel_call(udfs.CYPS_RAG, block, bands, (("high",), ("low",)), (("0.0%", "0%"), ("0.0%", "0%")))
    assert got == [["Green", "Red"], ["Amber", "Amber"]]  # 9.96% shows as 10% in 0%: it meets 10%+
    # one red/amber/green row beside each value, a column of polarities, one format for all
    got = excel_call(udfs.CYPS_RAG, ((0.9,), (0.9,)), (("<87%", "87%+", "95%+"), ("95%+", "87%+", "<87%")),
                     (("high",), ("low",)), "0.0%")
    assert got == [["Amber"], ["Amber"]]
    # a DOT row against a row, a polarity per column
    assert excel_call(udfs.CYPS_DOT, ((1.0, 2.0, 3.0),), ((2.0, 2.0, 1.0),), (("high", "low", "info"),)) == [["↓", "→", "↑"]]
    # tolerance text of a column of indicators for a row of bands: a block
    got = excel_call(udfs.CYPS_TOLERANCE, (("Social Care!3.4",), ("Social Care!2.10",)), (("Red", "Amber", "Green"),))
    assert got == [["<87%", "87%+", "95%+"], ["", "", "<85"]]  # 2.10 has a green target only
    # a shape that cannot be lined up is said in every cell, not a traceback
    got = excel_call(udfs.CYPS_RAG, ((0.9,), (0.8,), (0.7,)), "Social Care!3.4", (("high",), ("low",)))
    assert len(got) == 3 and all(row[0].startswith("#CYPS! polarity has 2x1 cells for 3x1 values") for row in got)


def test_empty_cells_placeholders_and_error_values_as_excel_hands_them():
    column = ((0.97,), (None,), ("-",), ("Temporarily suspended",), ("#N/A",), ("#DIV/0!",))
    got = excel_call(udfs.CYPS_RAG, column, "Social Care!3.4")
    assert got[:4] == [["Green"], [""], [""], [""]]
    assert got[4] == ["#CYPS! the value is the Excel error #N/A"] and got[5] == ["#CYPS! the value is the Excel error #DIV/0!"]
    got = excel_call(udfs.CYPS_DOT, column, ((0.9,),) * 6, "high", "0.0%")
    assert got[:4] == [["↑"], [""], [""], [""]] and got[4][0].startswith("#CYPS! the value is the Excel error")
    assert excel_call(udfs.CYPS_DOT, 0.9, 0.8, None) == [["#CYPS! give the polarity: high, low or info, or an indicator such as \"Social Care!3.14\""]]


def test_rag_by_indicator_reference_through_conversion():
    assert excel_call(udfs.CYPS_RAG, 0.969, "Social Care!3.4") == [["Green"]]
    assert excel_call(udfs.CYPS_RAG, ((0.969,), (0.80,), (0.90,)), "Social Care!3.4") == [["Green"], ["Red"], ["Amber"]]
    assert excel_call(udfs.CYPS_RAG, 97.8, "Social Care!3.2") == [["Green"]]  # low is good, rate per 10,000
    assert excel_call(udfs.CYPS_RAG, 0.5, "Social Care!1.1") == [[""]]  # info measure: not rated
    assert excel_call(udfs.CYPS_RAG, 1, "Social Care!9.99")[0][0].startswith("#CYPS! no rule")
    assert "several sheets" in excel_call(udfs.CYPS_RAG, 1, "1.1")[0][0]
    # a column of indicators beside a column of values
    got = excel_call(udfs.CYPS_RAG, ((0.969,), (97.8,)), (("Social Care!3.4",), ("Social Care!3.2",)))
    assert got == [["Green"], ["Green"]]


def test_number_formats_as_data_notes_and_cell_codes():
    assert udfs.excel_format("%") == "0.0%" and udfs.excel_format("Count") == "0"
    assert udfs.excel_format("P1") == "0.0%" and udfs.excel_format("F0") == "0" and udfs.excel_format(",1") == "#,##0.0"
    assert udfs.excel_format("G") == "General" and udfs.excel_format("0.00") == "0.00" and udfs.excel_format(None) is None
    # the format of =CELL("format", Q14) filled down beside the values
    got = excel_call(udfs.CYPS_DOT, ((0.886,), (0.886,)), ((0.888,), (0.888,)), "high", (("P0",), ("P1",)))
    assert got == [["→"], ["↓"]]


def test_tolerance_and_bench_through_conversion(monkeypatch):
    assert excel_call(udfs.CYPS_TOLERANCE, "Social Care!3.2", "amber") == [["98.7+"]]
    assert excel_call(udfs.CYPS_TOLERANCE, (("Social Care!3.4",), ("Social Care!2.10",)), "green") == [["95%+"], ["<85"]]
    assert excel_call(udfs.CYPS_TOLERANCE, "Social Care!3.4", "blue") == [["#CYPS! band should be red, amber or green"]]
    monkeypatch.setenv("CYPS_XL_BENCHMARKS", str(ROOT / "workbook_templates" / "data" / "sample_benchmarks.csv"))
    assert excel_call(udfs.CYPS_BENCH, "Social Care!1.13", "national") == [[pytest.approx(0.838)]]
    assert excel_call(udfs.CYPS_BENCH, "Social Care!2.3", "top_quartile") == [["-"]]
    got = excel_call(udfs.CYPS_BENCH, (("Social Care!1.13",),), (("Stat neigh av.", "Nat av.", "RIA"),))
    assert got == [[pytest.approx(0.818), pytest.approx(0.838), ""]] or got[0][:2] == [pytest.approx(0.818), pytest.approx(0.838)]
    assert excel_call(udfs.CYPS_BENCH, "Social Care!1.13", "median")[0][0].startswith("#CYPS! unknown measure")


def test_bench_from_a_dfe_file_gives_the_figures_of_the_indicators_polarity(monkeypatch):
    """1.9 (re-referrals) is low-is-good in the rules: its best neighbour is the lowest and its top quartile the
    25th percentile, worked out from DfE's rows with the csv module, as the issue fills them."""
    from test_dfe_open_data import C1, DFE, reference
    from test_first_month import groupings_row

    monkeypatch.setenv("CYPS_XL_BENCHMARKS", str(DFE / C1))
    udfs._cache["bench_key"] = None
    # a cell function has no scorecard month: the latest year with figures, and the set in force today (the
    # bundled library's May 2025 set, DfE's 2025 model)
    want = reference("1.9", "2023", neighbours=groupings_row(DFE / "sn_model_2025_wide.csv", "372"))
    got = excel_call(udfs.CYPS_BENCH, "Social Care!1.9", (("Best stat neigh", "Top qtile threshold", "Nat av."),))
    assert [v * 100 for v in got[0]] == pytest.approx([want["sn_best"], want["top_quartile"], want["national"]])


def test_rules_are_loaded_once_and_reloaded_when_a_file_changes(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    monkeypatch.setenv("CYPS_XL_RULES", str(rules))
    monkeypatch.setattr(udfs, "RECHECK_SECONDS", 3600.0)  # a recalculation burst looks at the files once
    loads = []
    real = cyps_xl.engine.rules.load_rules
    monkeypatch.setattr(cyps_xl.engine.rules, "load_rules", lambda p=None: loads.append(p) or real(p))
    for _ in range(50):
        assert udfs.CYPS_RAG(0.9, "Social Care!3.4") == "Amber"
    assert len(loads) == 1
    text = (rules / "social_care.yaml").read_text(encoding="utf-8")
    import os
    (rules / "social_care.yaml").write_text(text.replace("green: 95%+\n    - ref: '3.5'", "green: 90%+\n    - ref: '3.5'", 1), encoding="utf-8")
    os.utime(rules / "social_care.yaml", ns=(1, 1))  # a different modification time, whatever the clock
    assert udfs.CYPS_RAG(0.9, "Social Care!3.4") == "Amber"  # not looked at again within the burst
    monkeypatch.setattr(udfs, "RECHECK_SECONDS", 0.0)
    assert udfs.CYPS_RAG(0.9, "Social Care!3.4") == "Green"
    assert len(loads) == 2


def make_udf_workbook(path):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Social Care")
    ws.write_row(0, 0, ["Status: Issue 1"])
    ws.write_row(2, 0, ["REF NO.", "INDICATOR", "DATA NOTE", "Feb-22", "Mar-22", "Good perf is", "DOT", "RAG"])
    for i, (ref, feb, mar) in enumerate([("3.4", 0.911, 0.966), ("3.5", 0.975, 0.968), ("3.8", 0.769, 0.71)]):
        r = 3 + i
        ws.write_row(r, 0, [ref, f"indicator {ref}", "%", feb, mar, "high"])
        # Stale saved results ("Red", "?") that the headless issue must recompute.
        ws.write_formula(r, 8, f'=CYPS_RAG(E{r + 1},"Social Care!{ref}")', None, "Red")
        ws.write_formula(r, 9, f"=CYPS_DOT(E{r + 1},D{r + 1},\"high\",\"0.0%\")", None, "?")
    ws.write_array_formula("K4:K6", '{=CYPS_RAG(E4:E6,"<87% | 87%+ | 95%+","high")}', None, "stale")
    ws.write_formula("L4", '=CYPS_TOLERANCE("Social Care!3.2","amber")', None, "")
    wb.close()


def test_a_workbook_with_cyps_formulas_issues_headlessly(tmp_path):
    src = tmp_path / "with udfs.xlsx"
    make_udf_workbook(src)
    report = cyps_xl.issue(src, tmp_path / "issued.xlsx", today=dt.date(2022, 5, 1))
    assert report.udf_cells == 8
    ws = openpyxl.load_workbook(report.output)["Social Care"]
    assert [ws.cell(r, 9).value for r in (4, 5, 6)] == ["Green", "Green", "Red"]
    assert [ws.cell(r, 10).value for r in (4, 5, 6)] == ["↑", "↓", "↓"]
    assert [ws.cell(r, 11).value for r in (4, 5, 6)] == ["Green", "Green", "Red"]
    assert ws["L4"].value == "98.7+"
    with zipfile.ZipFile(report.output) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f" in s and "CYPS_" in s for s in sheets)
    assert all("<f>" not in s and "<f " not in s for s in sheets)


def test_a_cyps_formula_mixed_with_other_calculation_is_reported(tmp_path):
    src = tmp_path / "mixed.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Social Care")
    ws.write_row(2, 0, ["REF NO.", "INDICATOR", "Mar-22"])
    ws.write_row(3, 0, ["3.4", "x", 0.9])
    ws.write_formula("E4", '=IF(C4>0,CYPS_RAG(C4,"Social Care!3.4"),"")', None, "Amber")
    wb.close()
    from conftest import run_cli

    result = run_cli("issue", src, "-o", tmp_path / "o.xlsx")
    assert result.returncode == 2
    assert "mixed.xlsx, sheet 'Social Care', cell E4: a formula mixes a CYPS_ function" in result.stderr
    assert not (tmp_path / "o.xlsx").exists()


# -- #30: an Excel error in any argument, and whole columns ----------------------------------------------
ERRORS = ("#N/A", "#REF!", "#DIV/0!")


@pytest.mark.parametrize("error", ERRORS)
def test_an_excel_error_in_any_argument_is_an_answer_naming_that_argument(error):
    """Through xlwings' conversion an error cell would otherwise arrive as a blank: #N/A in polarity would quietly
    take the rule's polarity, and #N/A as the indicator would ask for three tolerances."""
    bands = (("<87%", "87%+", "95%+"),)
    cases = [
        (udfs.CYPS_RAG, (0.9, error), "indicator_or_tolerances"),
        (udfs.CYPS_RAG, (0.9, (("<87%", error, "95%+"),), "high"), "indicator_or_tolerances"),
        (udfs.CYPS_RAG, (0.9, "Social Care!3.4", error), "polarity"),
        (udfs.CYPS_RAG, (0.9, bands, "high", error), "number_format"),
        (udfs.CYPS_DOT, (0.9, error, "high"), "previous"),
        (udfs.CYPS_DOT, (0.9, 0.8, error), "polarity"),
        (udfs.CYPS_DOT, (0.9, 0.8, "high", error), "number_format"),
        (udfs.CYPS_TOLERANCE, (error, "green"), "indicator"),
        (udfs.CYPS_TOLERANCE, ("Social Care!3.4", error), "band"),
        (udfs.CYPS_BENCH, (error, "national"), "indicator"),
        (udfs.CYPS_BENCH, ("Social Care!3.4", error), "measure"),
    ]
    for function, args, name in cases:
        assert excel_call(function, *args) == [[f"#CYPS! {name} is the Excel error {error}"]], (function.__name__, name)
    assert excel_call(udfs.CYPS_RAG, error, "Social Care!3.4") == [[f"#CYPS! the value is the Excel error {error}"]]
    # in a column of polarities, only the row with the error says so
    got = excel_call(udfs.CYPS_RAG, ((0.97,), (0.97,)), bands, (("high",), (error,)))
    assert got == [["Green"], [f"#CYPS! polarity is the Excel error {error}"]]


def test_every_argument_hands_over_errors_as_text():
    for function in (udfs.CYPS_RAG, udfs.CYPS_DOT, udfs.CYPS_TOLERANCE, udfs.CYPS_BENCH):
        for spec in function.__xlfunc__["args"]:
            assert spec["options"].get("err_to_str") is True and spec["options"].get("ndim") == 2, spec["name"]


def test_a_whole_column_answers_for_the_rows_it_uses():
    """=CYPS_RAG(Q:Q, ...): Excel hands over 1,048,576 rows; the answer spills only as far as the last value, as
    Excel's trim references (Q:.Q) would cut it, and a column of polarities as long is cut with it."""
    rows = 1048576
    values = ((0.97,), (None,), (0.5,), ("-",), (0.9,)) + ((None,),) * (rows - 5)
    polarity = (("high",),) * 5 + ((None,),) * (rows - 5)
    got = excel_call(udfs.CYPS_RAG, values, (("<87%", "87%+", "95%+"),), polarity)
    assert got == [["Green"], [""], ["Red"], [""], ["Amber"]]
    got = excel_call(udfs.CYPS_DOT, values, values, "high")
    assert got == [["→"], [""], ["→"], [""], ["→"]]
    column = (("Social Care!3.4",), ("Social Care!2.10",)) + ((None,),) * (rows - 2)
    assert excel_call(udfs.CYPS_TOLERANCE, column, "green") == [["95%+"], ["<85"]]
    # a whole column with nothing in it is one blank answer, not a million
    assert excel_call(udfs.CYPS_RAG, ((None,),) * rows, "Social Care!3.4") == [[""]]


def test_a_whole_sheet_reference_in_a_saved_workbook_is_evaluated_from_the_cells_it_uses(tmp_path):
    """The headless issue evaluates =CYPS_RAG(E:E, ...) and even A1:XFD1048576 from the used cells only: the cells
    past the sheet's last row and column are empty, and the function cuts them off anyway."""
    src = tmp_path / "columns.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Social Care")
    ws.write_row(0, 0, ["Status: Issue 1"])
    ws.write_row(2, 0, ["REF NO.", "INDICATOR", "DATA NOTE", "Feb-22", "Mar-22", "Good perf is"])
    for i, (ref, feb, mar) in enumerate([("3.4", 0.911, 0.966), ("3.5", 0.975, 0.868)]):
        ws.write_row(3 + i, 0, [ref, f"indicator {ref}", "%", feb, mar, "high"])
    ws.write_array_formula("K1:K6", '{=CYPS_RAG(E:E,"<87% | 87%+ | 95%+","high")}', None, "stale")
    data = wb.add_worksheet("Data")
    data.write_column(0, 1, [0.97, 0.5])
    other = wb.add_worksheet("Other")
    other.write_array_formula("A1:B3", '{=CYPS_RAG(Data!A1:XFD1048576,"<87% | 87%+ | 95%+","high")}', None, "stale")
    wb.close()
    report = cyps_xl.issue(src, tmp_path / "issued.xlsx", today=dt.date(2022, 5, 1))
    assert report.udf_cells == 2
    issued = openpyxl.load_workbook(report.output)
    assert [issued["Social Care"].cell(r, 11).value for r in range(1, 7)] == [None, None, None, "Green", "Red", "#N/A"]
    got = [[issued["Other"].cell(r, c).value for c in (1, 2)] for r in (1, 2, 3)]
    assert got == [[None, "Green"], [None, "Red"], ["#N/A", "#N/A"]]  # Data!A1:B2 is all that is used
