"""Benchmarks from DfE's open-data files exactly as DfE publishes them (tests/fixtures/dfe, whole lines byte for byte).

Every expected figure is worked out here from the CSV rows with the csv module
(never through cyps_xl's reader), and checked again against the figures in
tests/fixtures/dfe/EXPECTED.md, which were worked out by someone else from the same rows.
"""
import csv
import datetime as dt
import math
import re
import shutil

import openpyxl
import pytest

from cyps_xl.benchmarks import measures
from cyps_xl.engine.rules import load_rules
from conftest import ROOT, run_cli

DFE = ROOT / "tests" / "fixtures" / "dfe"  # shipped: the tests need nothing beside the repository

C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
D3 = "d3_cpps_subsequent_plan_2013_to_2025.csv"
MISSING = "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv"
CLA = "cla_number_and_rate_per_10k_children.csv"
ABSENCE = "absence_la.csv"
SEN2 = "sen2_mi.csv"
ROTHERHAM_SN_2021 = ["371", "359", "332", "357", "370", "894", "813", "807", "812", "384"]
YORKSHIRE = "E12000003"
COLUMNS = {"sn_average": 29, "sn_best": 30, "national": 31, "top_quartile": 32, "regional": 33}

# One measure per file, each on a template row whose polarity is DfE's "better" for it.
MEASURES = {
    "1.9": dict(file=C1, filters={"category": "Referrals and Re-referrals"}, column="rereferral_percent", unit="percent",
                polarity="low", section="Re-referrals within 12 months (%)"),
    "2.17": dict(file=D3, filters={"category": "Child Protection Plans which are a second or subsequent plan"},
                 column="CPP_subsequent_percent", unit="percent", polarity="low", section="CP plans 2nd or subsequent time (%)"),
    "3.15": dict(file=MISSING, filters={"cla_group": "Percentage of children who had a missing incident during the year"},
                 column="number", unit="percent", polarity="low", section="CLA who went missing (%)"),
    "3.2": dict(file=CLA, filters={"population_count": "Children looked after at 31 March each year"},
                column="rate_per_10000", unit="number", polarity="low", section="CLA rate per 10,000"),
    "4.1": dict(file=ABSENCE, filters={"absence_terms": "six half terms", "social_care_group": "CLA 12 months at 31 March"},
                column="pt_pupils_pa_10_exact", unit="percent", polarity="low", section="Persistent absence of CLA (%)",
                implied={"phase_type_grouping": "Total"}),  # left out of the measure: its Total row is taken
    "3.25": dict(file=SEN2, filters={}, column="no_exc_20week_rate", unit="percent", polarity="high",
                 section="EHCP issued within 20 weeks, excl. exceptions (%)"),
}

CONFIG_HEAD = """our_authority: {authority}
neighbour_set: in force
average: mean
top_quartile: {top}
neighbour_sets:
  - name: DfE 2021
    authority: Rotherham
    adopted: 2021-04-01
    members: [Doncaster, Wigan, Dudley, Tameside, Barnsley, Telford and Wrekin, North Lincolnshire,
              Redcar and Cleveland, North East Lincolnshire, Wakefield]
  - name: Camden's own
    authority: Camden
    adopted: 2021-04-01
    members: [Islington, Hackney, Lambeth]
measures:
"""


def measure_yaml(ref, m, year=None, extra=""):
    lines = ["  - sheet: Social Care", f'    ref: "{ref}"', f"    file: {m['file']}"]
    if m["filters"]:
        lines.append("    filters:")
        lines += [f'      {k}: "{v}"' for k, v in m["filters"].items()]
    lines += [f"    column: {m['column']}", f"    unit: {m['unit']}"]
    if year:
        lines.append(f'    year: "{year}"')
    return "\n".join(lines) + "\n" + extra


def write_rules(tmp_path, measures_text, authority="Rotherham", top="boundary"):
    folder = tmp_path / "rules"
    if not folder.exists():
        shutil.copytree(ROOT / "rules", folder)
    (folder / "benchmarks.yaml").write_text(CONFIG_HEAD.format(authority=authority, top=top) + measures_text,
                                            encoding="utf-8")
    return folder


# -- the reference: worked out from the rows with the csv module ------------------------------
def current_codes():
    with (ROOT / "rules" / "local_authorities.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return {r["new_la_code"]: r["old_la_code"] for r in rows}, {r["old_la_code"] for r in rows}


def reference_rows(name, filters, column, period):
    """(England, region by code, {old code: value}) for one period, straight from the file."""
    new_to_old, olds = current_codes()
    with (DFE / name).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        lower = {f.lower(): f for f in reader.fieldnames}
        england, regions, las = None, {}, {}
        for row in reader:
            if row["time_period"].strip() != period:
                continue
            if any(row[lower[k.lower()]].strip() != v for k, v in filters.items()):
                continue
            value = number(row[column])
            level = row["geographic_level"]
            if level == "National":
                england = value
            elif level == "Regional":
                regions[row["region_code"]] = value
            elif level == "Local authority":
                new, old = row["new_la_code"].strip(), row["old_la_code"].strip()
                code = new_to_old.get(new) or (old if old in olds else None)
                if code and value is not None:
                    las[code] = value
    return england, regions, las


def number(text):
    text = text.strip()
    return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else None


def percentile(values, p):
    s = sorted(values)
    h = (len(s) - 1) * p
    lo = math.floor(h)
    return s[lo] + (h - lo) * (s[min(lo + 1, len(s) - 1)] - s[lo])


def reference(ref, period, ours="372", neighbours=ROTHERHAM_SN_2021, region=YORKSHIRE):
    m = MEASURES[ref]
    england, regions, las = reference_rows(m["file"], dict(m["filters"], **m.get("implied", {})), m["column"], period)
    sn = [las[c] for c in neighbours if c in las]
    everyone = list(las.values())
    low = m["polarity"] == "low"
    q1, q2, q3 = (percentile(everyone, p) for p in (0.25, 0.5, 0.75))
    mine = las.get(ours)
    position = sum(1 for q in (q1, q2, q3) if mine > q)
    return {
        "sn_average": sum(sn) / len(sn), "sn_n": len(sn), "sn_best": min(sn) if low else max(sn), "national": england,
        "top_quartile": q1 if low else q3, "regional": regions[region], "ours": mine,
        "quartile_band": ("ABCD" if low else "DCBA")[position],
        "national_rank": 1 + sum(1 for v in everyone if (v < mine if low else v > mine)),
    }


def expected_md(section, period):
    """The row of EXPECTED.md for one measure and period."""
    text = (DFE / "EXPECTED.md").read_text(encoding="utf-8")
    block = text.split(f"## {section}")[1].split("\n## ")[0]
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] == period:
            sn = re.match(r"([\d.]+) \((\d+)\)", cells[4])
            low, high = (float(x) for x in cells[5].split("/"))
            return {"ours": float(cells[1].strip("'")), "national": float(cells[2].strip("'")),
                    "regional": float(cells[3].strip("'")), "sn_average": float(sn.group(1)), "sn_n": int(sn.group(2)),
                    "sn_min": low, "sn_max": high}
    raise AssertionError(f"{section} {period} is not in EXPECTED.md")


def cells(path, sheet="Social Care"):
    ws = openpyxl.load_workbook(path)[sheet]
    rows = {ws.cell(r, 1).value: r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    return ws, rows


# -- the six files at once -----------------------------------------------------------------
def test_issue_with_the_six_real_files_fills_every_measure_as_worked_out_from_the_rows(template, tmp_path):
    rules = write_rules(tmp_path, "".join(measure_yaml(ref, m) for ref, m in MEASURES.items()))
    out = tmp_path / "issued.xlsx"
    files = [DFE / m["file"] for m in MEASURES.values()]
    result = run_cli("issue", template, "--rules", rules, *sum((["--benchmarks", f] for f in files), []), "-o", out)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(out)
    # a March 2022 scorecard takes the latest period that ended before March 2022
    periods = {"1.9": "2021", "2.17": "2021", "3.15": "2021", "3.2": "2021", "4.1": "202021", "3.25": "2021"}
    for ref, period in periods.items():
        m = MEASURES[ref]
        want = reference(ref, period)
        scale = 100 if m["unit"] == "percent" else 1
        for key, column in COLUMNS.items():
            if key == "regional":  # the template's 'RIA 2019/20' is another body's figures: the region's is not put there
                assert ws.cell(rows[ref], column).value is None and ws.cell(12, column).value == "RIA 2019/20"
                continue
            assert ws.cell(rows[ref], column).value * scale == pytest.approx(want[key]), (ref, key)
        md = expected_md(m["section"], period)
        assert want["sn_n"] == md["sn_n"] and round(want["sn_average"], 2) == pytest.approx(md["sn_average"])
        assert want["national"] == md["national"] and want["regional"] == md["regional"] and want["ours"] == md["ours"]
        assert want["sn_best"] == (md["sn_min"] if m["polarity"] == "low" else md["sn_max"])
    # band and rank have no column in the template: the same run's figures, through the library
    config = measures.load_config(rules / "benchmarks.yaml")
    computed = measures.compute_files(files, config, load_rules(rules), dt.date(2022, 3, 1))
    results = {r.ref: r for items in computed.by_file.values() for r in items}
    assert {f.name for f in computed.by_file} == {m["file"] for m in MEASURES.values()}
    for ref, period in periods.items():
        want, got = reference(ref, period), results[ref]
        assert (got.comparators.quartile_band, got.comparators.national_rank) == (want["quartile_band"], want["national_rank"])
    assert ws.cell(12, 31).value.startswith("Nat av. ")
    notes = ws["A10"].value
    assert "DfE 2021" in notes and all(m["file"] in notes for m in MEASURES.values())
    assert "are not used: they reach the scorecard's month (March 2022)" in result.stdout


def test_band_and_rank_and_a_pinned_year_against_the_rows(template, tmp_path):
    text = measure_yaml("3.15", MEASURES["3.15"], year="2023") + measure_yaml("3.25", MEASURES["3.25"], year="2022")
    rules = write_rules(tmp_path, text)
    config = measures.load_config(rules / "benchmarks.yaml")
    computed = measures.compute_files([DFE / MISSING, DFE / SEN2], config, load_rules(rules), dt.date(2022, 3, 1))
    results = {r.ref: r for items in computed.by_file.values() for r in items}
    for ref, period in (("3.15", "2023"), ("3.25", "2022")):
        want, got = reference(ref, period), results[ref]
        assert got.year == period
        c = got.comparators
        assert (c.sn_average, c.sn_best, c.national, c.top_quartile, c.regional) == pytest.approx(
            (want["sn_average"], want["sn_best"], want["national"], want["top_quartile"], want["regional"]))
        assert (c.quartile_band, c.national_rank, got.our_value) == (want["quartile_band"], want["national_rank"], want["ours"])
        md = expected_md(MEASURES[ref]["section"], period)
        assert round(c.sn_average, 2) == pytest.approx(md["sn_average"]) and want["sn_n"] == md["sn_n"]
    assert results["3.15"].comparators.sn_average == pytest.approx(89 / 9)  # one neighbour suppressed in 2023: mean of 9


def test_top_quartile_beyond_is_the_first_displayed_value_past_the_boundary(tmp_path):
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"], year="2023")
                        + measure_yaml("3.25", MEASURES["3.25"], year="2021"), top="beyond")
    config = measures.load_config(rules / "benchmarks.yaml")
    computed = measures.compute_files([DFE / C1, DFE / SEN2], config, load_rules(rules))
    results = {r.ref: r.comparators.top_quartile for items in computed.by_file.values() for r in items}
    low_boundary = reference("1.9", "2023")["top_quartile"]  # low is good: the first 1-dp value below it
    assert results["1.9"] == pytest.approx(math.ceil(low_boundary * 10 - 1e-9) / 10 - 0.1)
    high_boundary = reference("3.25", "2021")["top_quartile"]  # 2021 figures show 1 dp (62.200000000000)
    assert results["3.25"] == pytest.approx(math.floor(high_boundary * 10 + 1e-9) / 10 + 0.1)
    assert results["3.25"] > high_boundary and results["1.9"] < low_boundary


# -- geography and time as published ---------------------------------------------------------
def test_defunct_authorities_are_skipped_never_matched_by_name(tmp_path):
    # 2019: Dorset is the old county (835/E10000009); 2023: Cumbria (909/E10000006) before its split
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"], year="2019"))
    config = measures.load_config(rules / "benchmarks.yaml")
    computed = measures.compute_files([DFE / C1], config, load_rules(rules))
    assert computed.by_file[DFE / C1][0].year == "2019"
    from cyps_xl.benchmarks import dfe_files
    dfe = dfe_files.open_file(DFE / C1)
    rows = dfe_files.read_columns(dfe, dfe.filters + ["rereferral_percent"])
    selection, _ = measures.selection_for(dfe, rows, config.measures[0], measures.AuthorityIndex(measures.load_authorities()),
                                      config.path)
    names = {p: {la.name for la in cell["las"]} for p, cell in selection.periods.items()}
    assert "Dorset" not in names["2019"] and "Dorset" in names["2020"]
    new_to_old, olds = current_codes()
    with (DFE / C1).open(newline="", encoding="utf-8") as handle:
        # North Yorkshire and Somerset kept their DfE numbers (815, 933) when their ONS codes changed in 2023
        current_2023 = [r for r in csv.DictReader(handle) if r["time_period"] == "2023"
                        and r["geographic_level"] == "Local authority"
                        and (r["new_la_code"] in new_to_old or r["old_la_code"] in olds)]
    assert any(r["la_name"] == "Cumbria" for r in csv.DictReader((DFE / C1).open(encoding="utf-8")))
    # Cumbria's 2023 row is not given to a successor: exactly the current authorities' rows are there
    assert "Cumberland" not in names["2023"] and len(names["2023"]) == len(current_2023) == 151


def test_old_and_new_dorset_side_by_side_are_no_collision(template, tmp_path):
    lines = (DFE / C1).read_text(encoding="utf-8").splitlines(keepends=True)
    dorset = next(line for line in lines if line.startswith("2021,") and ",838,E06000059,Dorset," in line)
    old = dorset.replace(",838,E06000059,", ",835,E10000009,")
    old = ",".join(old.split(",")[:11] + ["z"] * (len(old.split(",")) - 11)) + "\n"
    path = tmp_path / C1
    path.write_text("".join(lines) + old, encoding="utf-8")
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"]))
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", path, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr


def test_an_inner_london_sub_region_is_never_the_region(tmp_path):
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"], year="2023"), authority="Camden")
    config = measures.load_config(rules / "benchmarks.yaml")
    computed = measures.compute_files([DFE / C1], config, load_rules(rules))
    got = computed.by_file[DFE / C1][0].comparators
    _, regions, las = reference_rows(C1, MEASURES["1.9"]["filters"], "rereferral_percent", "2023")
    assert got.regional == regions["E12000007"] != regions["E13000001"]  # London, not Inner London
    assert got.sn_average == pytest.approx((las["206"] + las["204"] + las["208"]) / 3)


def test_an_academic_year_is_shown_2022_23_in_the_headings(template, tmp_path):
    rules = write_rules(tmp_path, measure_yaml("4.1", MEASURES["4.1"], year="2022/23"))
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", DFE / ABSENCE, "-o", out)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(out)
    assert ws.cell(12, 31).value == "Nat av. 2022/23"
    md = expected_md(MEASURES["4.1"]["section"], "202223")
    assert ws.cell(rows["4.1"], 31).value == pytest.approx(md["national"] / 100)
    assert ws.cell(rows["4.1"], 29).value * 100 == pytest.approx(md["sn_average"], abs=0.005)


def test_a_filter_left_out_takes_its_total_row(tmp_path):
    m = dict(MEASURES["4.1"])  # phase_type_grouping is left out: its 'Total' rows are the ones
    rules = write_rules(tmp_path, measure_yaml("4.1", m, year="202122"))
    config = measures.load_config(rules / "benchmarks.yaml")
    got = measures.compute_files([DFE / ABSENCE], config, load_rules(rules)).by_file[DFE / ABSENCE][0]
    with_total = dict(m["filters"], phase_type_grouping="Total")
    england, regions, las = reference_rows(ABSENCE, with_total, m["column"], "202122")
    assert got.comparators.national == england == expected_md(m["section"], "202122")["national"]
    assert got.our_value == las["372"]


def test_a_suppressed_neighbour_is_left_out_of_the_average(tmp_path):
    rules = write_rules(tmp_path, measure_yaml("2.17", MEASURES["2.17"], year="2022"))
    config = measures.load_config(rules / "benchmarks.yaml")
    got = measures.compute_files([DFE / D3], config, load_rules(rules)).by_file[DFE / D3][0].comparators
    md = expected_md(MEASURES["2.17"]["section"], "2022")
    assert md["sn_n"] == 9 and round(got.sn_average, 2) == pytest.approx(md["sn_average"])


def test_a_renamed_filter_column_is_found_through_an_alias(tmp_path):
    m = dict(MEASURES["3.15"], filters={"looked_after_group": MEASURES["3.15"]["filters"]["cla_group"]})
    rules = write_rules(tmp_path, measure_yaml("3.15", m, extra="    aliases: {looked_after_group: [cla_group]}\n"))
    config = measures.load_config(rules / "benchmarks.yaml")
    got = measures.compute_files([DFE / MISSING], config, load_rules(rules), dt.date(2022, 3, 1)).by_file[DFE / MISSING][0]
    assert got.comparators.national == reference("3.15", "2021")["national"]


def test_a_folder_and_a_file_given_together(template, tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name in (C1, D3):
        shutil.copyfile(DFE / name, folder / name)
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"]) + measure_yaml("2.17", MEASURES["2.17"])
                        + measure_yaml("3.2", MEASURES["3.2"]))
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", folder, "--benchmarks", DFE / CLA, "-o", out)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(out)
    for ref in ("1.9", "2.17", "3.2"):
        scale = 100 if MEASURES[ref]["unit"] == "percent" else 1
        assert ws.cell(rows[ref], 31).value * scale == pytest.approx(reference(ref, "2021")["national"])
    assert (folder / C1).read_bytes() == (DFE / C1).read_bytes()  # inputs are read, never changed


def test_the_demo_issues_real_dfe_figures(tmp_path):
    result = run_cli("demo", "-o", tmp_path)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(tmp_path / "CYPS Scorecard March 2022 Issue 2.xlsx")
    dfe_columns = [k for k in COLUMNS if k != "regional"]  # the region's figure is not put under 'RIA 2019/20'
    for ref in ("1.9", "2.17"):
        scale = 100 if MEASURES[ref]["unit"] == "percent" else 1
        want = reference(ref, "2021")
        got = [ws.cell(rows[ref], COLUMNS[k]).value * scale for k in dfe_columns]
        assert got == pytest.approx([want[k] for k in dfe_columns]), ref
        assert ws.cell(rows[ref], COLUMNS["regional"]).value is None
    # 3.2: DfE's figures, but for the '-' and the RIA figure the council printed (workbook_templates/data)
    want = reference("3.2", "2021")
    assert [ws.cell(rows["3.2"], COLUMNS[k]).value for k in ("sn_average", "sn_best", "national")] == \
        pytest.approx([want[k] for k in ("sn_average", "sn_best", "national")])
    published = next(r for r in csv.DictReader((ROOT / "workbook_templates" / "data" / "sample_benchmarks.csv").open())
                     if r["ref"] == "3.2")
    assert ws.cell(rows["3.2"], COLUMNS["top_quartile"]).value == published["top_quartile"] == "-"
    assert ws.cell(rows["3.2"], COLUMNS["regional"]).value == float(published["regional"])
    assert ws.cell(12, COLUMNS["national"]).value == "Nat av. 2020/21"  # DfE's reporting year 2021, as headings write it
    assert ws.cell(rows["1.9"], 29).value == 0.2258  # stored as the figure, no float noise from the /100
    shipped = ROOT / "workbook_templates" / "data" / "dfe"
    for path in shipped.glob("*.csv"):  # trimmed, every line as DfE published it
        published = set((DFE / path.name).read_bytes().splitlines(keepends=True))
        assert set(path.read_bytes().splitlines(keepends=True)) <= published


# -- bad files and measures: one message, file and line, exit 2, nothing written ---------------
def corrupt(tmp_path, name, find, replace):
    data = (DFE / name).read_bytes()
    assert find in data
    path = tmp_path / name
    path.write_bytes(data.replace(find, replace, 1))
    return path


def line_of(path, needle):
    return next(i for i, line in enumerate(path.read_bytes().splitlines(), start=1) if needle in line)


BAD = {
    "left-out filter without Total": (
        lambda t: (write_rules(t, measure_yaml("3.15", dict(MEASURES["3.15"], filters={}))), [DFE / MISSING]),
        r"benchmarks\.yaml, line 16: the measure for Social Care 3\.15: leaves out the filter column 'CLA_group', "
        r"which has no Total row; choose one of: 'Children looked after during the year'"),
    "unknown column": (
        lambda t: (write_rules(t, measure_yaml("1.9", dict(MEASURES["1.9"], column="rereferral_pct"))), [DFE / C1]),
        r"benchmarks\.yaml, line 21: .*the column 'rereferral_pct' is not in c1_.* \(its indicator columns: referral_count"),
    "text in another column of a selected row": (
        lambda t: (write_rules(t, measure_yaml("1.9", MEASURES["1.9"])),
                   [corrupt(t, C1, b",Rotherham,Referrals and Re-referrals,3269,580,", b",Rotherham,Referrals and Re-referrals,n/a,580,")]),
        None),  # referral_count is not the measure's column: never parsed, never an error
    "text in a row no measure selects": (
        lambda t: (write_rules(t, measure_yaml("3.2", MEASURES["3.2"])),
                   [corrupt(t, CLA, b",Rotherham,E08000018,Children ceasing to be looked after each year,56555,186,33",
                            b",Rotherham,E08000018,Children ceasing to be looked after each year,56555,186,thirty")]),
        None),
    "text in the measure's column": (
        lambda t: (write_rules(t, measure_yaml("1.9", MEASURES["1.9"])),
                   [corrupt(t, C1, b",Rotherham,Referrals and Re-referrals,3269,580,17.7,", b",Rotherham,Referrals and Re-referrals,3269,580,17.7%,")]),
        r"c1_children_in_need_referrals_and_rereferrals_2013_to_2025\.csv, line \d+: the value '17\.7%' in column rereferral_percent is neither a number"),
    "two rows collide": (
        lambda t: (write_rules(t, measure_yaml("1.9", MEASURES["1.9"])), [duplicated(t)]),
        r"c1_.*\.csv, line \d+: repeats the row of line \d+ \(same period, geography and selection, both with figures\)"),
    "a column in two files and no file: named": (
        lambda t: (write_rules(t, "  - {sheet: Social Care, ref: \"3.2\", column: number}\n"), [DFE / CLA, DFE / MISSING]),
        r"benchmarks\.yaml, line 16: the measure for Social Care 3\.2 has no file, and its column 'number' is in 2 files: "
        r"cla_number_and_rate_per_10k_children\.csv, la_children_who"),
    "a pinned year with no figures": (
        lambda t: (write_rules(t, measure_yaml("4.1", MEASURES["4.1"], year="2019/20")), [DFE / ABSENCE]),
        r"benchmarks\.yaml, line 24: .*absence_la\.csv has no figures for 2019/20 in this selection \(years with data: "
        r"2018/19, 2020/21, 2021/22, 2022/23\)"),
}


def test_an_unquoted_reference_stays_as_typed(template, tmp_path):
    """YAML reads ref: 3.10 as the number 3.1; the measure must fill 3.10, never indicator 3.1."""
    m = MEASURES["3.2"]
    text = measure_yaml("3.2", m).replace('ref: "3.2"', "ref: 3.10")
    rules = write_rules(tmp_path, text)
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", DFE / CLA, "-o", out)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(out)
    assert ws.cell(rows["3.10"], 31).value == reference("3.2", "2021")["national"]
    assert ws.cell(rows["3.1"], 31).value is None


def header_only(tmp_path):
    path = tmp_path / C1
    path.write_bytes((DFE / C1).read_bytes().splitlines(keepends=True)[0])
    return path


def duplicated(tmp_path):
    lines = (DFE / C1).read_bytes().splitlines(keepends=True)
    rotherham = next(line for line in lines if line.startswith(b"2021,") and b",E08000018,Rotherham," in line)
    path = tmp_path / C1
    path.write_bytes(b"".join(lines) + rotherham)
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_and_measures(template, tmp_path, case):
    make, expected = BAD[case]
    rules, files = make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, *sum((["--benchmarks", f] for f in files), []), "-o", out)
    if expected is None:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert re.search(expected, result.stderr), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_bad_value_is_named_at_its_line(template, tmp_path):
    path = corrupt(tmp_path, C1, b",Rotherham,Referrals and Re-referrals,3269,580,17.7,", b",Rotherham,Referrals and Re-referrals,3269,580,17.7%,")
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"]))
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", path, "-o", tmp_path / "out.xlsx")
    assert f"line {line_of(path, b'17.7%')}:" in result.stderr


# -- setting up: neighbours and inspect --------------------------------------------------------
@pytest.mark.parametrize("groupings, first", [("New_Statistical_Neighbour_Groupings_April_2021.csv", "Doncaster"),
                                              ("sn_model_2025_wide.csv", "Barnsley")])
def test_neighbours_from_dfe_groupings_match_the_rows(groupings, first, tmp_path):
    result = run_cli("benchmarks", "neighbours", DFE / groupings, "--authority", "Rotherham", "--adopted", "2025-05-01")
    assert result.returncode == 0, result.stderr
    with (DFE / groupings).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    row = next(r for r in rows if r[0] == "372")
    codes = [row[i] for i, h in enumerate(rows[0]) if re.fullmatch(r"SN_?\d+", h)]
    names = {r["old_la_code"]: r["la_name"] for r in csv.DictReader(
        line for line in (ROOT / "rules" / "local_authorities.csv").open(encoding="utf-8") if not line.startswith("#"))}
    listed = re.findall(r"^\s+- (.+?)\s+# (\d+)", result.stdout, re.M)
    assert [code for _, code in listed] == codes and [n for n, _ in listed] == [names[c] for c in codes]
    assert listed[0][0] == first
    # written into a benchmarks.yaml, it loads and is the set in force from its date
    rules = write_rules(tmp_path, "")
    result = run_cli("benchmarks", "neighbours", DFE / groupings, "--authority", "E08000018", "--adopted", "2030-01-01",
                     "--write", rules / "benchmarks.yaml")
    assert result.returncode == 0, result.stderr
    config = measures.load_config(rules / "benchmarks.yaml")
    chosen, _ = config.set_for(dt.date(2030, 2, 1))
    assert [la.old_code for la in chosen.members] == codes
    again = run_cli("benchmarks", "neighbours", DFE / groupings, "--authority", "Rotherham", "--adopted", "2031-01-01",
                    "--write", rules / "benchmarks.yaml")
    assert again.returncode == 2 and "already has a neighbour set named" in again.stderr


def test_inspect_lists_the_file_and_prints_a_measure_that_works(template, tmp_path):
    result = run_cli("benchmarks", "inspect", DFE / ABSENCE, "--filter", "social_care_group=CLA 12 months at 31 March",
                     "--filter", "absence_terms=six half terms", "--column", "pt_pupils_pa_10_exact", "--ref", "4.1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Years: 2018/19, 2019/20, 2020/21, 2021/22, 2022/23 (Academic year)" in out
    assert "phase_type_grouping (has Total): 'Total'" in out and "social_care_group: 'CLA 12 months at 31 March'" in out
    assert "Indicator columns: t_pupils, " in out and "Local authority (" in out
    entry = out.split("(under measures:):\n")[1]
    rules = write_rules(tmp_path, entry.replace("    ref: \"4.1\"", "    ref: \"4.1\"\n    year: 2022/23") + "\n")
    issued = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", DFE / ABSENCE, "-o", issued)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(issued)
    assert ws.cell(rows["4.1"], 31).value == pytest.approx(expected_md("Persistent absence of CLA (%)", "202223")["national"] / 100)
    bad = run_cli("benchmarks", "inspect", DFE / ABSENCE, "--filter", "phase=Total")
    assert bad.returncode == 2 and "'phase' is not a filter column of the file" in bad.stderr


def test_inspect_warns_of_a_filter_without_total(tmp_path):
    result = run_cli("benchmarks", "inspect", DFE / MISSING, "--column", "number")
    assert "# choose CLA_group: it has no Total row" in result.stdout


def test_dfes_whole_download_folder_as_it_is(template, tmp_path):
    """The folder as a team keeps it, neighbour groupings and all: the groupings are passed over, with a note."""
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", template, "--benchmarks", DFE, "-o", out)
    assert result.returncode == 0, result.stderr
    assert ("Not benchmark data, passed over: New_Statistical_Neighbour_Groupings_April_2021.csv, sn_model_2025_wide.csv"
            in result.stdout)
    ws, rows = cells(out)
    assert ws.cell(rows["3.2"], 31).value == reference("3.2", "2021")["national"]
    bad = run_cli("issue", template, "--benchmarks", DFE / "sn_model_2025_wide.csv", "-o", tmp_path / "o.xlsx")
    assert bad.returncode == 2 and "sn_model_2025_wide.csv, line 1: the columns are" in bad.stderr  # named: an error


# -- no silent wrong answers in benchmarking ------------------------------------------------------
def test_no_neighbour_set_in_force_fills_no_neighbour_figures_and_says_so(template, tmp_path):
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"]))
    text = (rules / "benchmarks.yaml").read_text(encoding="utf-8").replace("adopted: 2021-04-01", "adopted: 2025-05-01")
    (rules / "benchmarks.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", DFE / C1, "-o", out)
    assert result.returncode == 0, result.stderr
    assert ("No statistical neighbour set was in force in March 2022 (the first, 'DfE 2021', was adopted 01/05/2025): "
            "the statistical neighbour columns are left as they were") in result.stdout
    ws, rows = cells(out)
    before, _ = cells(template)
    for column in (COLUMNS["sn_average"], COLUMNS["sn_best"]):  # as the team had them: no other set's figures
        assert ws.cell(rows["1.9"], column).value == before.cell(rows["1.9"], column).value
    assert ws.cell(rows["1.9"], COLUMNS["national"]).value * 100 == pytest.approx(reference("1.9", "2021")["national"])
    assert "statistical neighbours:" not in ws["A10"].value


def test_a_row_the_rules_do_not_know_is_benchmarked_by_its_own_good_perf_is(template, tmp_path):
    rules = write_rules(tmp_path, measure_yaml("1.9", MEASURES["1.9"]))
    indicators = (rules / "social_care.yaml").read_text(encoding="utf-8")
    start = indicators.index("    - ref: '1.9'")
    (rules / "social_care.yaml").write_text(indicators[:start] + indicators[indicators.index("    - ref: '1.10'"):],
                                            encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", DFE / C1, "-o", out)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(out)
    assert ws.cell(rows["1.9"], 19).value == "low"  # the sheet's own Good perf is
    want = reference("1.9", "2021")  # low is good: the lowest neighbour, the 25th percentile
    assert ws.cell(rows["1.9"], COLUMNS["sn_best"]).value * 100 == pytest.approx(want["sn_best"])
    assert ws.cell(rows["1.9"], COLUMNS["top_quartile"]).value * 100 == pytest.approx(want["top_quartile"])


@pytest.mark.parametrize("decimals", [None, 0])
def test_top_quartile_beyond_steps_at_the_precision_the_cell_displays(template, tmp_path, decimals):
    """3.15 is a 0.0% row; DfE gives the missing figures in whole numbers. `beyond` steps at 0.1 points as the
    cell shows them, unless `decimals` says otherwise."""
    extra = f"    decimals: {decimals}\n" if decimals is not None else ""
    rules = write_rules(tmp_path, measure_yaml("3.15", MEASURES["3.15"], extra=extra), top="beyond")
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", DFE / MISSING, "-o", out)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(out)
    assert ws.cell(rows["3.15"], COLUMNS["top_quartile"]).number_format == "0.0%"
    boundary = reference("3.15", "2021")["top_quartile"]  # low is good: the first displayed value below it
    step = 10 ** -(1 if decimals is None else decimals)
    want = (math.ceil(boundary / step - 1e-9) - 1) * step
    assert ws.cell(rows["3.15"], COLUMNS["top_quartile"]).value * 100 == pytest.approx(want)
    assert want < boundary and boundary - want <= step + 1e-9


def test_every_run_says_what_it_did_not_do(template, tmp_path):
    """A filter value the file does not have, a file not given, a pinned year past the scorecard's month:
    the run goes on and its report names each, with what the file does have."""
    text = (measure_yaml("1.9", dict(MEASURES["1.9"], filters={"category": "Referals and Re-referrals"}))
            + measure_yaml("2.17", MEASURES["2.17"], year="2022") + measure_yaml("3.2", MEASURES["3.2"]))
    rules = write_rules(tmp_path, text)
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", template, "--rules", rules, "--benchmarks", DFE / C1, "--benchmarks", DFE / D3, "-o", out)
    assert result.returncode == 0, result.stderr
    report = result.stdout
    assert re.search(r"benchmarks\.yaml, line 20: the measure for Social Care 1\.9: not filled: no row of c1_\S+\.csv has "
                     r"category = 'Referals and Re-referrals'\. Did you mean 'Referrals and Re-referrals'\? Its values are: "
                     r"'Referrals and Re-referrals'", report), report
    assert f"Not filled, no file given: {CLA} (Social Care 3.2)." in report
    assert ("the measure for Social Care 2.17 uses 2022, pinned with year: in benchmarks.yaml, though that period "
            "reaches the scorecard's month (March 2022) or later.") in report
    ws, rows = cells(out)
    before, _ = cells(template)
    assert ws.cell(rows["1.9"], COLUMNS["national"]).value == before.cell(rows["1.9"], COLUMNS["national"]).value
    assert ws.cell(rows["2.17"], COLUMNS["national"]).value * 100 == pytest.approx(reference("2.17", "2022")["national"])


# -- the team's own figures are the team's -------------------------------------------------------
def typed_card(template, tmp_path):
    """The template as a team keeps it: last year's national figures typed under 'Nat av. 2019/20' on rows
    DfE's files do not feed, a '-' where 3.2 has no top quartile, and the RIA's own figure for 3.2."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Social Care"]
    rows = {ws.cell(r, 1).value: r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    ws.cell(12, COLUMNS["national"]).value = "Nat av. 2019/20"
    for ref, value in (("1.13", 0.838), ("3.14", 0.68)):
        ws.cell(rows[ref], COLUMNS["national"]).value = value
    ws.cell(rows["3.2"], COLUMNS["top_quartile"]).value = "-"
    ws.cell(rows["3.2"], COLUMNS["regional"]).value = 77.0
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    return path


def test_what_the_team_typed_is_kept_and_no_heading_is_restamped_over_it(template, tmp_path):
    card = typed_card(template, tmp_path)
    rules = write_rules(tmp_path, "".join(measure_yaml(ref, MEASURES[ref]) for ref in ("1.9", "2.17", "3.2")))
    out = tmp_path / "out.xlsx"
    result = run_cli("issue", card, "--rules", rules, *sum((["--benchmarks", DFE / f] for f in (C1, D3, CLA)), []), "-o", out)
    assert result.returncode == 0, result.stderr
    ws, rows = cells(out)
    assert ws.cell(12, COLUMNS["national"]).value == "Nat av. 2019/20"  # 1.13 and 3.14 are still 2019/20 figures
    assert (ws.cell(rows["1.13"], COLUMNS["national"]).value, ws.cell(rows["3.14"], COLUMNS["national"]).value) == (0.838, 0.68)
    # DfE's figure says its year beside it, in the headings' notation (reporting year 2021 is 2020/21)
    assert ws.cell(rows["1.9"], COLUMNS["national"]).value * 100 == pytest.approx(reference("1.9", "2021")["national"])
    assert ws.cell(rows["1.9"], COLUMNS["national"]).number_format == '0.0%" (20/21)"'
    assert ws.cell(12, COLUMNS["sn_average"]).value == "Stat neigh av. 2020/21"  # every figure under it is DfE's
    assert ws.cell(rows["3.2"], COLUMNS["top_quartile"]).value == "-"
    assert ws.cell(rows["3.2"], COLUMNS["regional"]).value == 77.0 and ws.cell(12, COLUMNS["regional"]).value == "RIA 2019/20"
    assert (f"'Social Care': 2 benchmark cell(s) kept as the team has them (row {rows['3.2']} regional (77), "
            f"row {rows['3.2']} top_quartile ('-')). To fill them, list top_quartile and regional under the measure's "
            "columns: in benchmarks.yaml.") in result.stdout
    assert (f"'Social Care': the region's figure is not written under 'RIA 2019/20', a heading that names another body "
            f"(rows {rows['1.9']}, {rows['2.17']}).") in result.stdout
    assert "(2021)" not in result.stdout and "(2021)" not in ws["A10"].value
    # a measure that targets the columns fills them
    rules = write_rules(tmp_path, measure_yaml("3.2", MEASURES["3.2"], extra="    columns: [top_quartile, regional]\n"))
    result = run_cli("issue", card, "--rules", rules, "--benchmarks", DFE / CLA, "-o", tmp_path / "targeted.xlsx")
    assert result.returncode == 0, result.stderr
    ws, rows = cells(tmp_path / "targeted.xlsx")
    want = reference("3.2", "2021")
    assert ws.cell(rows["3.2"], COLUMNS["top_quartile"]).value == want["top_quartile"]
    assert ws.cell(rows["3.2"], COLUMNS["regional"]).value == want["regional"]
    assert ws.cell(12, COLUMNS["regional"]).value == "RIA 2020/21"  # now every figure under it is the run's
