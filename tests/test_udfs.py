"""The CYPS_* cell functions give the engine's answers, for single cells and whole columns."""
import datetime as dt
import shutil
import zipfile

import openpyxl
import pytest
import xlsxwriter

import cyps_xl
from cyps_xl import udfs
from cyps_xl.engine import rate_table
from cyps_xl.layout import load_layout
from cyps_xl.reader import read_scorecard
from cyps_xl.rules import load_rules
from conftest import ROOT


@pytest.fixture(scope="module")
def rated(template):
    book = load_rules()
    card = read_scorecard(template, load_layout())
    return [(table, rate_table(table, book, template)) for table in card.tables]


def bands(measure):
    t = measure.tolerances
    return [b.text if b else "-" for b in (t.red, t.amber, t.green)]


def test_cyps_rag_matches_the_engine_cell_by_cell_and_by_column(rated):
    labels = load_rules().style.labels
    checked = 0
    for table, results in rated:
        values, tolerances, polarities, formats, expected = [], [], [], [], []
        for result in results:
            m = result.measure
            if m.tolerances.empty or m.polarity == "info":
                continue
            latest = result.row.months[-1]
            raw = latest.number if latest.present else latest.reason
            want = labels[result.rag_month.band] if result.rag_month.band else ""
            assert udfs.CYPS_RAG(raw, " | ".join(bands(m)), m.polarity, m.number_format) == want  # one cell
            values.append([raw])
            tolerances.append(bands(m))
            polarities.append([m.polarity])
            formats.append([m.number_format])
            expected.append([want])
            checked += 1
        if len(expected) > 1:  # the whole column in one call, a red/amber/green row beside each value
            assert udfs.CYPS_RAG(values, tolerances, polarities, formats) == expected
    assert checked >= 30


def test_cyps_rag_by_indicator_reference():
    assert udfs.CYPS_RAG(0.969, "Social Care!3.4") == "Green"
    assert udfs.CYPS_RAG([[0.969], [0.80], [0.90]], "Social Care!3.4") == [["Green"], ["Red"], ["Amber"]]
    assert udfs.CYPS_RAG(97.8, "Social Care!3.2") == "Green"  # low is good, rate per 10,000
    assert udfs.CYPS_RAG(0.5, "Social Care!1.1") == ""  # info measure: not rated
    assert udfs.CYPS_RAG(1, "Social Care!9.99").startswith("#CYPS! no rule")
    assert "several sheets" in udfs.CYPS_RAG(1, "1.1")


def test_cyps_dot_matches_the_engine(rated):
    symbols = load_rules().style.dot_symbols
    for table, results in rated:
        current = [[r.row.months[-1].number if r.row.months[-1].present else r.row.months[-1].reason] for r in results]
        previous = [[r.row.months[-2].number if r.row.months[-2].present else r.row.months[-2].reason] for r in results]
        polarity = [[r.measure.polarity] for r in results]
        for r, cur, prev, pol in zip(results, current, previous, polarity):
            want = symbols[r.dot_month.direction] if r.dot_month.direction else ""
            assert udfs.CYPS_DOT(cur[0], prev[0], pol[0], r.measure.number_format) == want


def test_cyps_tolerance_and_bench(monkeypatch):
    assert udfs.CYPS_TOLERANCE("Social Care!3.2", "amber") == "98.7+"
    assert udfs.CYPS_TOLERANCE([["Social Care!3.4"], ["Social Care!2.10"]], "green") == [["95%+"], ["<85"]]
    monkeypatch.setenv("CYPS_XL_BENCHMARKS", str(ROOT / "workbook_templates" / "data" / "sample_benchmarks.csv"))
    assert udfs.CYPS_BENCH("Social Care!1.13", "national") == pytest.approx(0.838)
    assert udfs.CYPS_BENCH("Social Care!2.3", "top_quartile") == "-"


def test_rules_are_loaded_once_and_reloaded_when_a_file_changes(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    monkeypatch.setenv("CYPS_XL_RULES", str(rules))
    monkeypatch.setattr(udfs, "RECHECK_SECONDS", 3600.0)  # a recalculation burst looks at the files once
    loads = []
    real = cyps_xl.rules.load_rules
    monkeypatch.setattr(cyps_xl.rules, "load_rules", lambda p=None: loads.append(p) or real(p))
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
