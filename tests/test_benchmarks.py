"""Benchmarks computed from DfE-layout local-authority data, checked against figures worked out by hand."""
import datetime as dt
import shutil

import openpyxl
import pytest

import cyps_xl
from cyps_xl.benchmarks import measures
from cyps_xl.engine.rules import load_rules
from conftest import ROOT, run_cli

HEADER = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
          "old_la_code,new_la_code,la_name,cla_three_placements_pct,care_leavers_eet_pct\n")
# 3.15 three placements (low is good), 3.26 care leavers EET (high is good), in percent.
ROWS = [
    ("National", "", "", "", "9.7", ""),            # no published national figure for EET: computed, labelled
    ("Regional", "Yorkshire and The Humber", "", "", "10.5", "58.0"),
    ("Local authority", "Yorkshire and The Humber", "372", "Rotherham", "9.0", "60"),
    ("Local authority", "Yorkshire and The Humber", "370", "Barnsley", "8.0", "55"),
    ("Local authority", "Yorkshire and The Humber", "371", "Doncaster", "c", "70"),
    ("Local authority", "Yorkshire and The Humber", "384", "Wakefield", "12.0", "low"),
    ("Local authority", "North West", "359", "Wigan", "8.0", ""),
    ("Local authority", "Yorkshire and The Humber", "383", "Leeds", "10.0", "50"),
    ("Local authority", "Yorkshire and The Humber", "373", "Sheffield", "11.0", "65"),
    ("Local authority", "London", "202", "Camden", "x", "70"),
    ("Local authority", "South East", "886", "Kent", "14.0", "45"),
]
CONFIG = """our_authority: Rotherham
neighbour_set: in force
average: {average}
max_age_years: 2
neighbour_sets:
  - name: Test set
    authority: Rotherham
    adopted: 2021-04-01
    members: [Barnsley, Doncaster, Wakefield, {fourth}]
measures:
  - {{column: cla_three_placements_pct, sheet: Social Care, ref: "3.15", unit: percent}}
  - {{column: care_leavers_eet_pct, sheet: Social Care, ref: "3.26", unit: percent}}
"""


def la_file(path, rows=ROWS, header=HEADER, period="202021"):
    lines = [header.strip()]
    for level, region, old, name, a, b in rows:
        lines.append(f"{period},Financial year,{level},E92000001,England,,{region},{old},,{name},{a},{b}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def rules_dir(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder)
    (folder / "benchmarks.yaml").write_text(CONFIG.format(average="mean", fourth="Wigan"), encoding="utf-8")
    return folder


def computed(tmp_path, rules_dir):
    """The older layout: one value column per measure, no filter columns, measures without file:."""
    path = la_file(tmp_path / "la.csv")
    config = measures.load_config(rules_dir / "benchmarks.yaml")
    result = measures.compute_files([path], config, load_rules(rules_dir), dt.date(2022, 3, 31))
    return result.chosen, {r.ref: r for r in result.by_file[path]}


def test_low_is_good_figures_by_hand(tmp_path, rules_dir):
    _, results = computed(tmp_path, rules_dir)
    c = results["3.15"].comparators
    # neighbours with data: Barnsley 8, Wakefield 12, Wigan 8 (Doncaster suppressed 'c')
    assert c.sn_average == pytest.approx(28 / 3)
    assert c.sn_best == 8.0  # lowest, as low is good
    assert c.national == 9.7 and not c.national_computed  # the published England row
    assert c.regional == 10.5  # the published Yorkshire and The Humber row
    # all authorities with data, sorted: 8 8 9 10 11 12 14 -> Q1 at h=1.5: 8.5; Q2 10; Q3 11.5
    assert c.top_quartile == pytest.approx(8.5)
    assert c.quartile_band == "B"  # 9 is above Q1 8.5, not above Q2 10
    assert c.national_rank == 3  # two authorities (tied at 8) are better


def test_high_is_good_figures_by_hand(tmp_path, rules_dir):
    _, results = computed(tmp_path, rules_dir)
    c = results["3.26"].comparators
    # neighbours: Barnsley 55, Doncaster 70; Wakefield 'low' and Wigan blank have no data
    assert c.sn_average == pytest.approx(62.5)
    assert c.sn_best == 70.0  # highest, as high is good
    # no England figure: the mean of the 7 authorities with data, flagged as computed
    assert c.national == pytest.approx(415 / 7) and c.national_computed
    # sorted 45 50 55 60 65 70 70 -> Q1 52.5, Q2 60, Q3 67.5
    assert c.top_quartile == pytest.approx(67.5)
    assert c.quartile_band == "C"  # exactly on Q2: the band of lower values
    assert c.national_rank == 4  # 70, 70 and 65 are better; the two 70s share rank 1


def test_median_of_neighbours_can_be_chosen(tmp_path, rules_dir):
    (rules_dir / "benchmarks.yaml").write_text(CONFIG.format(average="median", fourth="Wigan"), encoding="utf-8")
    _, results = computed(tmp_path, rules_dir)
    assert results["3.15"].comparators.sn_average == pytest.approx(8.0)  # median of 8, 12, 8


def test_the_neighbour_set_in_force_at_the_scorecard_date_is_used():
    config = measures.load_config(ROOT / "rules" / "benchmarks.yaml")
    assert config.set_for(dt.date(2022, 3, 31))[0].name == "DfE statistical neighbours (2021)"
    assert config.set_for(dt.date(2025, 6, 30))[0].name == "DfE statistical neighbours (May 2025)"
    members = {la.name for la in config.set_for(dt.date(2025, 6, 30))[0].members}
    assert {"Sunderland", "Gateshead", "County Durham"} <= members and len(members) == 10
    assert len(measures.load_authorities()) == 153


def test_issue_fills_columns_in_the_row_format_with_the_year_in_the_heading(template, tmp_path, rules_dir):
    out = tmp_path / "out.xlsx"
    report = cyps_xl.issue(template, out, rules=rules_dir, benchmarks=[la_file(tmp_path / "la.csv")])
    ws = openpyxl.load_workbook(out)["Social Care"]
    row = next(r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value == "3.15")
    values = [ws.cell(row, c).value for c in range(29, 33)]
    assert values == pytest.approx([28 / 300, 0.08, 0.097, 0.085])
    # the region's figure is not written under 'RIA 2019/20', a heading that names another body's figures
    assert ws.cell(12, 33).value == "RIA 2019/20" and ws.cell(row, 33).value is None
    assert ws.cell(row, 29).number_format == "0.0%"
    assert ws.cell(12, 31).value == "Nat av. 2020/21"  # the run wrote every figure of the column
    assert ws.cell(12, 29).value == "Stat neigh av. 2020/21"
    eet = next(r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value == "3.26")
    assert ws.cell(eet, 31).value == pytest.approx(415 / 700)
    assert ws.cell(eet, 31).number_format == '0.0%"*"'  # computed, not published: shown with an asterisk
    assert f"'Social Care': the region's figure is not written under 'RIA 2019/20', a heading that names another body " \
           f"(rows {row}, {eet})." in "\n".join(report.notes)
    assert ws.cell(row, 31).number_format == "0.0%"
    assert "* = computed from the authorities' figures" in ws["A10"].value
    assert ws["A10"].value.startswith("Benchmarking: statistical neighbours: Test set; data 2020/21")
    assert any("computed from authorities" in n for n in report.notes)


def test_old_benchmarks_are_flagged(template, tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("sheet,ref,national,year\nSocial Care,3.14,68.0%,2017/18\nSocial Care,3.15,11.0%,2020/21\n", encoding="utf-8")
    out = tmp_path / "out.xlsx"
    report = cyps_xl.issue(template, out, benchmarks=[old])
    ws = openpyxl.load_workbook(out)["Social Care"]
    rows = {ws.cell(r, 1).value: r for r in range(13, ws.max_row + 1)}
    assert ws.cell(rows["3.14"], 31).font.i and not ws.cell(rows["3.15"], 31).font.i
    assert any("older than 2 years" in n for n in report.notes)


def test_a_figure_from_another_year_than_its_heading_says_its_own_year(template, tmp_path):
    published = tmp_path / "published.csv"
    published.write_text("sheet,ref,national,year\nSocial Care,3.14,68.0%,2020/21\nSocial Care,3.15,11.0%,2020/21\n"
                         "Social Care,3.4,90.1%,2019/20\n", encoding="utf-8")
    out = cyps_xl.issue(template, tmp_path / "out.xlsx", benchmarks=[published]).output
    ws = openpyxl.load_workbook(out)["Social Care"]
    rows = {ws.cell(r, 1).value: r for r in range(13, ws.max_row + 1)}
    assert ws.cell(12, 31).value == "Nat av. 2020/21"  # the heading: the year most of the column's figures are from
    assert ws.cell(rows["3.4"], 31).value == pytest.approx(0.901)  # still a number
    # shown as 90.1% (19/20), as the council's report prints "2.0% (19/20)"
    assert ws.cell(rows["3.4"], 31).number_format == '0.0%" (19/20)"'
    assert ws.cell(rows["3.14"], 31).number_format == "0.0%"
    assert "(year) = a figure from another year than its column's heading" in ws["A10"].value


def test_demo_fills_benchmarks_and_says_which_set_and_year(tmp_path):
    result = run_cli("demo", "-o", tmp_path)
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx")["Social Care"]
    assert ws["A10"].value.startswith("Benchmarking: statistical neighbours: DfE statistical neighbours (2021)")
    # the council's printed comparators (2020/21) and DfE's own files (reporting year 2021, the same 2020/21)
    assert "; data 2020/21;" in ws["A10"].value
    assert "sample_benchmarks.csv" in ws["A10"].value and "cla_number_and_rate_per_10k_children.csv" in ws["A10"].value
    rows = {ws.cell(r, 1).value: r for r in range(13, ws.max_row + 1)}
    for ref in ("1.13", "2.3", "2.9", "3.2", "3.14", "3.15", "3.25", "3.26"):
        assert all(ws.cell(rows[ref], c).value is not None for c in range(29, 33)), ref


@pytest.mark.parametrize("case, expected", [
    ("wrong columns", "la.csv, line 1: has no time_period column."),
    ("text value", "la.csv, line 4: the value 'n.a.' in column cla_three_placements_pct is neither a number"),
    ("duplicate", "la.csv, line 5: repeats the row of line 4"),
    ("unknown neighbour", "benchmarks.yaml, line 9 (the neighbour set 'Test set'): unknown authority 'Gotham'. Did you mean 'Rotherham'"),
    ("published duplicate", "pub.csv, line 3: ref 3.14 of sheet 'Social Care' is given twice"),
    ("published columns", "pub.csv, line 1: the columns are"),
])
def test_bad_benchmark_files(template, tmp_path, rules_dir, case, expected):
    path = tmp_path / "la.csv"
    if case == "wrong columns":  # DfE-like (geographic_level) but missing required columns
        path.write_text("year,geographic_level,region_name,old_la_code,new_la_code,la_name,x\n"
                        "202122,National,,,,,1\n", encoding="utf-8")
    elif case == "text value":
        la_file(path, rows=ROWS[:2] + [("Local authority", "Yorkshire and The Humber", "372", "Rotherham", "n.a.", "60")])
    elif case == "duplicate":
        la_file(path, rows=ROWS[:3] + [ROWS[2]])
    elif case == "unknown neighbour":
        la_file(path)
        (rules_dir / "benchmarks.yaml").write_text(CONFIG.format(average="mean", fourth="Gotham"), encoding="utf-8")
    else:
        path = tmp_path / "pub.csv"
        path.write_text("sheet,ref,national,year\nSocial Care,3.14,68%,2021/22\nSocial Care,3.14,69%,2021/22\n"
                        if case == "published duplicate" else "indicator,value\n3.14,68%\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("issue", template, "--rules", rules_dir, "--benchmarks", path, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2, result.stdout
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
