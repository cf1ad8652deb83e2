"""A team's first month, the way a new user meets it: `cyps-xl init`, the real CLI, DfE's files as published."""
import json
import re
import subprocess
import sys

import openpyxl
import pytest
import yaml

from conftest import ROOT, run_cli

DFE = ROOT / "tests" / "fixtures" / "dfe"
GROUPINGS_2025 = DFE / "sn_model_2025_wide.csv"
GROUPINGS_2021 = DFE / "New_Statistical_Neighbour_Groupings_April_2021.csv"


def groupings_row(path, old_code):
    """The neighbours' old codes of one authority, read from DfE's file with the csv module."""
    import csv

    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    row = next(r for r in rows[1:] if r[0].strip() == old_code)
    return [row[i].strip() for i, h in enumerate(rows[0]) if re.fullmatch(r"SN_?\d+", h.strip(), re.I)]


def authorities():
    import csv

    with (ROOT / "rules" / "local_authorities.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


# -- init ---------------------------------------------------------------------------------------
def test_init_writes_an_editable_rules_folder_for_the_authority_and_its_neighbours(tmp_path):
    folder = tmp_path / "our rules"
    result = run_cli("init", folder, "--authority", "Hull", "--neighbours", GROUPINGS_2025, "--adopted", "2025-05-01")
    assert result.returncode == 0, result.stderr
    bundled = sorted(p.name for p in (ROOT / "rules").iterdir() if p.suffix in (".yaml", ".json"))
    indicators = {"early_help.yaml", "social_care.yaml"}  # one council's references and bands: for reference only
    assert sorted(p.name for p in folder.iterdir()) == sorted(set(bundled) - indicators | {"examples"})
    assert sorted(p.name for p in (folder / "examples").iterdir()) == sorted(indicators)
    for name in bundled:
        if name != "benchmarks.yaml":
            copied = folder / ("examples" if name in indicators else "") / name
            assert copied.read_bytes() == (ROOT / "rules" / name).read_bytes(), name
    text = (folder / "benchmarks.yaml").read_text(encoding="utf-8")
    # every top-level setting is written out with its default and a one-line comment
    for key, default in (("our_authority", "Kingston upon Hull, City of"), ("neighbour_set", "in force"),
                         ("average", "mean"), ("max_age_years", 2), ("top_quartile", "boundary")):
        line = next(line for line in text.splitlines() if line.startswith(f"{key}:"))
        assert "#" in line, line
        assert yaml.safe_load(line)[key] == default
    data = yaml.safe_load(text)
    hull = next(a for a in authorities() if a["la_name"] == "Kingston upon Hull, City of")
    members = [next(a["la_name"] for a in authorities() if a["old_la_code"] == code)
               for code in groupings_row(GROUPINGS_2025, hull["old_la_code"])]
    assert data["neighbour_sets"] == [{"name": "DfE statistical neighbours (sn_model_2025_wide)",
                                       "authority": "Kingston upon Hull, City of", "adopted": __import__("datetime").date(2025, 5, 1),
                                       "source": "sn_model_2025_wide.csv", "members": members}]
    assert data["measures"] == yaml.safe_load((ROOT / "rules" / "benchmarks.yaml").read_text())["measures"]
    check = run_cli("rules", "check", folder)
    assert check.returncode == 0 and check.stdout.strip() == "OK: 0 indicator rules in 0 file(s).", check.stderr
    assert "Use them with --rules" in result.stdout


def test_init_never_replaces_a_file_and_says_which_it_kept(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "settings.yaml").write_text("# ours\nlabels: {amber: Yellow}\n", encoding="utf-8")
    (folder / "benchmarks.yaml").write_text("our_authority: Leeds\n", encoding="utf-8")
    result = run_cli("init", folder, "--authority", "Bristol")
    assert result.returncode == 0, result.stderr
    assert (folder / "settings.yaml").read_text() == "# ours\nlabels: {amber: Yellow}\n"
    assert (folder / "benchmarks.yaml").read_text() == "our_authority: Leeds\n"
    assert "Already there, left as they were: benchmarks.yaml, settings.yaml." in result.stdout
    assert (folder / "examples" / "social_care.yaml").is_file() and (folder / "layout.yaml").is_file()


def test_init_without_neighbours_writes_no_set_and_says_how_to_add_one(tmp_path):
    result = run_cli("init", tmp_path / "r", "--authority", "E06000023")
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((tmp_path / "r" / "benchmarks.yaml").read_text(encoding="utf-8"))
    assert data["our_authority"] == "Bristol, City of" and data["neighbour_sets"] == []
    assert "No statistical neighbours yet: add them with 'cyps-xl benchmarks neighbours" in result.stdout


def test_neighbours_without_adopted_are_refused_and_nothing_is_written(tmp_path):
    for args in (("init", tmp_path / "r", "--authority", "Hull", "--neighbours", GROUPINGS_2025),
                 ("benchmarks", "neighbours", GROUPINGS_2025, "--authority", "Hull", "--write", tmp_path / "b.yaml")):
        result = run_cli(*args)
        assert result.returncode == 2
        assert result.stderr.startswith("cyps-xl: error: --adopted is needed: the date your team starts to use")
        assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("typed, official", [
    ("Bristol", "Bristol, City of"), ("Hull", "Kingston upon Hull, City of"), ("Telford", "Telford and Wrekin"),
    ("Southend", "Southend-on-Sea"), ("Herefordshire", "Herefordshire, County of"), ("Durham", "County Durham"),
    ("St Helens", "St. Helens"), ("st. helens", "St. Helens"), ("Poole", "Bournemouth, Christchurch and Poole"),
    ("Newcastle", "Newcastle upon Tyne"), ("Stoke", "Stoke-on-Trent"), ("E08000018", "Rotherham"), ("372", "Rotherham"),
])
def test_authorities_by_official_name_short_form_predecessor_or_code(tmp_path, typed, official):
    result = run_cli("init", tmp_path / "r", "--authority", typed)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((tmp_path / "r" / "benchmarks.yaml").read_text())["our_authority"] == official


@pytest.mark.parametrize("typed, message", [
    ("Rotheram", "unknown authority 'Rotheram'. Did you mean 'Rotherham'?"),
    ("Northamptonshire", "'Northamptonshire' is now 2 authorities: North Northamptonshire and West Northamptonshire."),
    ("Cumbria", "'Cumbria' is now 2 authorities: Cumberland and Westmorland and Furness."),
])
def test_a_miss_suggests_the_closest_names(tmp_path, typed, message):
    result = run_cli("init", tmp_path / "r", "--authority", typed)
    assert result.returncode == 2 and message in result.stderr and not (tmp_path / "r").exists()


def test_an_authority_named_in_the_groupings_file_is_never_unknown(tmp_path):
    """The 2021 file names its rows by DfE's names and codes: a name typed as the file has it is found there."""
    import csv

    with GROUPINGS_2021.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header = [h.strip().lower() for h in rows[0]]
    named = [r[header.index("la name")].strip() for r in rows[1:] if r and r[header.index("la name")].strip()]
    for name in named[:40]:
        result = run_cli("benchmarks", "neighbours", GROUPINGS_2021, "--authority", name, "--adopted", "2021-04-01")
        assert "unknown authority" not in result.stderr, (name, result.stderr)
        assert result.returncode == 0, (name, result.stderr)


def test_neighbours_write_creates_the_file_when_it_does_not_exist(tmp_path):
    target = tmp_path / "benchmarks.yaml"
    result = run_cli("benchmarks", "neighbours", GROUPINGS_2025, "--authority", "Telford", "--adopted", "2025-05-01",
                     "--write", target)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert data["our_authority"] == "Telford and Wrekin" and len(data["neighbour_sets"]) == 1
    assert data["neighbour_sets"][0]["members"][0] == next(
        a["la_name"] for a in authorities() if a["old_la_code"] == groupings_row(GROUPINGS_2025, "894")[0])
    assert data["measures"]  # the library, ready to use


# -- the CLI behaves -------------------------------------------------------------------------------
@pytest.mark.parametrize("reader", ["head -n 1", "true"])
def test_output_piped_into_head_ends_quietly(reader):
    """The reader goes away before cyps-xl has written (true) or after its first line (head): no BrokenPipeError."""
    for args in (f'benchmarks inspect "{DFE / "absence_la.csv"}"', "rules schema"):
        command = f'"{sys.executable}" -m cyps_xl {args} | {reader}'
        result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
        assert result.stdout.count("\n") == (1 if reader.startswith("head") else 0)
        assert result.stderr == "", result.stderr


def _command(code: str, *args, **kwargs):
    """``cyps-xl ARGS`` as its console script runs it (cli.run), after ``code`` has run in the same process."""
    script = f"import sys\n{code}\nfrom cyps_xl.cli import run\nsys.argv = ['cyps-xl'] + sys.argv[1:]\nrun()\n"
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, **kwargs)


def test_the_command_ends_at_once_yet_flushes_runs_exit_handlers_and_keeps_its_status(template, tmp_path):
    """cli.run ends the process without freeing what the run built; all it printed still arrives through the
    pipe, in order, exit handlers (a caller's, the perf script's peak memory) still run, and the status is kept."""
    handler = "import atexit\natexit.register(lambda: print('handler ran', flush=True))"
    out = tmp_path / "issued.xlsx"
    # an object alive at the end: Python's own exit would take it apart (and print), cli.run's does not
    kept = "class Kept:\n    def __del__(self): print('taken apart')\nkept = Kept()"
    done = _command(handler + "\n" + kept, "issue", template, "-o", out)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "taken apart" not in lines
    assert lines[-2].startswith(f"Issued: {out} (Issue ") and lines[-1] == "handler ran"
    assert lines[0].endswith("rated.") and done.stderr == ""
    assert "Summary" in openpyxl.load_workbook(out).sheetnames  # written whole before the process ended
    refused = _command(handler, "issue", tmp_path / "missing.xlsx", "-o", tmp_path / "no.xlsx")
    assert refused.returncode == 2 and refused.stderr.startswith("cyps-xl: error:") and "missing.xlsx" in refused.stderr
    assert refused.stdout == "handler ran\n" and not (tmp_path / "no.xlsx").exists()
    usage = _command("", "issue")  # argparse's own exit, with its status
    assert usage.returncode == 2 and "required: scorecard" in usage.stderr


def test_the_command_leaves_the_collector_paused_for_its_one_run_but_not_for_a_batch(template, tmp_path):
    """After one issue the process ends: the cycle collector, paused for the run, is not set going again only to
    walk everything the run made. A batch rates scorecard after scorecard in one process: there it runs between."""
    import shutil

    said = "import atexit, gc\natexit.register(lambda: print('collector', gc.isenabled(), flush=True))"
    issued = _command(said, "issue", template, "-o", tmp_path / "issued.xlsx")
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.splitlines()[-1] == "collector False"
    folder = tmp_path / "cards"
    folder.mkdir()
    shutil.copyfile(template, folder / "card.xlsx")
    batch = _command(said, "batch", folder, "--jobs", "1", "--output-dir", tmp_path / "out")
    assert batch.returncode == 0, batch.stderr
    assert batch.stdout.splitlines()[-1] == "collector True"
    assert list((tmp_path / "out").glob("card Issue *.xlsx"))


@pytest.mark.parametrize("columns", ["50", "100", "", "not a number"])
def test_help_is_laid_out_as_argparse_lays_it_out_without_importing_shutil(columns, monkeypatch):
    """The parser measures the terminal itself (argparse imported shutil, with bz2 and lzma, for every formatter
    made while the parser was built): its help is argparse's own, at the width COLUMNS or the terminal gives."""
    import argparse

    from cyps_xl import cli

    monkeypatch.setenv("COLUMNS", columns)

    def helps() -> list:
        parser = cli._parser()
        subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return [parser.format_help()] + [sub.format_help() for sub in subcommands.choices.values()]

    ours = helps()
    monkeypatch.setattr(cli._Parser, "_get_formatter", argparse.ArgumentParser._get_formatter)
    assert ours == helps()
    if columns == "50":
        assert max(len(line) for line in ours[1].splitlines()) <= 48
    code = "import sys\nfrom cyps_xl.cli import _parser\n_parser().parse_args(['issue', 'x.xlsx'])\nprint('shutil' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout == "False\n"


def test_the_command_waits_for_a_thread_still_running(template, tmp_path):
    """A caller's thread still at work when the command ends: the process ends when Python would, after it."""
    mark = tmp_path / "thread finished"
    late = (f"import threading, time, pathlib\n"
            f"threading.Thread(target=lambda: (time.sleep(1.0), pathlib.Path({str(mark)!r}).write_text('done'))).start()")
    done = _command(late, "issue", template, "-o", tmp_path / "issued.xlsx")
    assert done.returncode == 0, done.stderr
    assert mark.read_text() == "done"


def test_plain_with_pdf_or_report_says_it_is_ignored(template, tmp_path):
    result = run_cli("issue", template, "--plain", "--report", "corporate_parenting", "-o", tmp_path / "cp.xlsx")
    assert result.returncode == 0, result.stderr
    assert "cyps-xl: note: --plain is ignored with --report" in result.stderr
    quiet = run_cli("issue", template, "--plain", "-o", tmp_path / "plain.xlsx")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_rules_schema_o_says_what_it_wrote(tmp_path):
    for args, what in ((["rules", "schema"], "indicator rules files"), (["rules", "schema", "--benchmarks"], "benchmarks.yaml")):
        target = tmp_path / f"{len(args)}.json"
        result = run_cli(*args, "-o", target)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"Wrote the JSON Schema for {what} to {target}."
        assert json.loads(target.read_text(encoding="utf-8"))["$schema"]


# -- one library serves every report --------------------------------------------------------------
def corporate_parenting_card(path, titles):
    """A Corporate Parenting scorecard the project never made: its own references (CP1...), its own titles,
    one header row, openpyxl's defaults. The months are the bundled template's, so the same DfE year applies."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Corporate Parenting"
    ws["A1"] = "Corporate Parenting Performance Report"
    header = ["REF NO.", "INDICATOR", "DATA NOTE", dt.datetime(2022, 1, 1), dt.datetime(2022, 2, 1),
              dt.datetime(2022, 3, 1), "Good perf is", "Stat neigh av.", "Best stat neigh", "Nat av.", "Top qtile threshold"]
    for col, title in enumerate(header, start=1):
        cell = ws.cell(4, col, title)
        if isinstance(title, dt.datetime):
            cell.number_format = "mmm-yy"
    for r, (ref, title, note, months, polarity) in enumerate(titles, start=5):
        for col, value in enumerate([ref, title, note, *months, polarity], start=1):
            cell = ws.cell(r, col, value)
            if note == "%" and 4 <= col <= 6:
                cell.number_format = "0.0%"
    wb.save(path)
    return path


CP_ROWS = [
    ("CP1", "Rate of LAC per 10,000 population aged 0-17", "Rate per 10,000", (99.2, 99.6, 97.8), "low"),
    ("CP2", "Rate of CiC per 10,000 population aged 0-17", "Rate per 10,000", (99.2, 99.6, 97.8), "low"),
    ("CP3", "% of children becoming the subject of a child protection plan for a second or subsequent time "
            "within 2 years - rolling 12 months", "%", (0.05, 0.06, 0.07), "low"),
]


def dfe_national(name, filters, column, period="2021"):
    """England's figure, straight from DfE's file with the csv module."""
    import csv

    with (DFE / name).open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if (row["time_period"] == period and row["geographic_level"] == "National"
                    and all(row[k] == v for k, v in filters.items())):
                return float(row[column])
    raise AssertionError("no national row")


def test_one_library_fills_a_corporate_parenting_scorecard_by_its_titles(tmp_path):
    """The bundled measures name Social Care 3.2 and 2.17; this report calls them CP1 and CP3, one with the
    abbreviation LAC. The team's own abbreviation (CiC) joins the library through its abbreviations.yaml."""
    import openpyxl

    card = corporate_parenting_card(tmp_path / "Corporate Parenting March 2022.xlsx", CP_ROWS)
    rules = tmp_path / "rules"
    assert run_cli("init", rules, "--authority", "Rotherham", "--neighbours", GROUPINGS_2021,
                   "--adopted", "2021-04-01").returncode == 0
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", card, "--rules", rules, "--benchmarks", DFE, "-o", out)
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(out)["Corporate Parenting"]
    rate = dfe_national("cla_number_and_rate_per_10k_children.csv",
                        {"population_count": "Children looked after at 31 March each year"}, "rate_per_10000")
    plans = dfe_national("d3_cpps_subsequent_plan_2013_to_2025.csv",
                         {"category": "Child Protection Plans which are a second or subsequent plan"}, "CPP_subsequent_percent")
    assert ws["J5"].value == rate and ws["J7"].value == pytest.approx(plans / 100)
    assert ws["J6"].value is None  # CiC is no abbreviation the library knows: not filled, not guessed
    assert ws["H5"].value is not None and ws["I5"].value is not None and ws["K5"].value is not None
    # the team spells out its own abbreviation: the same library now fills CP2 too
    text = (rules / "abbreviations.yaml").read_text(encoding="utf-8") + "  CiC: looked after children\n"
    (rules / "abbreviations.yaml").write_text(text, encoding="utf-8")
    again = run_cli("issue", card, "--rules", rules, "--benchmarks", DFE, "-o", tmp_path / "again.xlsx")
    assert again.returncode == 0, again.stderr
    ws = openpyxl.load_workbook(tmp_path / "again.xlsx")["Corporate Parenting"]
    assert ws["J6"].value == rate == ws["J5"].value
    assert ws["H6"].value == ws["H5"].value  # the same neighbours' average, from the set init wrote


def test_a_library_measure_fills_no_row_whose_title_says_it_is_another_indicator(tmp_path):
    """Another council's Social Care sheet: its 3.2 is not the library's 3.2 (looked-after children per 10,000),
    which is its 3.40 under an abbreviated title. The figure goes to 3.40, never to 3.2."""
    import openpyxl

    card = corporate_parenting_card(tmp_path / "Scorecard March 2022.xlsx", [
        ("3.2", "No. of children subject to care proceedings", "Count", (40, 42, 41), "info"),
        ("3.40", "Rate of LAC per 10,000 population aged 0-17", "Rate per 10,000", (99.2, 99.6, 97.8), "low"),
    ])
    wb = openpyxl.load_workbook(card)
    wb["Corporate Parenting"].title = "Social Care"
    wb.save(card)
    rules = tmp_path / "rules"
    assert run_cli("init", rules, "--authority", "Rotherham", "--neighbours", GROUPINGS_2021,
                   "--adopted", "2021-04-01").returncode == 0
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", card, "--rules", rules, "--benchmarks", DFE / "cla_number_and_rate_per_10k_children.csv",
                     "-o", out)
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(out)["Social Care"]
    rate = dfe_national("cla_number_and_rate_per_10k_children.csv",
                        {"population_count": "Children looked after at 31 March each year"}, "rate_per_10000")
    assert [ws.cell(5, c).value for c in range(8, 12)] == [None] * 4
    assert ws["J6"].value == rate


def test_a_teams_first_month_with_init_and_issue_alone(tmp_path):
    """The walkthrough of README's "Your first month": a Members' scorecard XlsxWriter wrote (a two-row header
    with group headings, references of its own, the sector's abbreviations), DfE's download folder as it is
    (the groupings file in it too), `init` and `issue` alone. Every figure is worked out again here from DfE's
    rows with the csv module, for Rotherham and the ten neighbours DfE's 2021 groupings file gives it."""
    import datetime as dt
    import shutil

    import openpyxl
    import xlsxwriter

    from test_dfe_open_data import reference

    card = tmp_path / "Members Scorecard March 2022.xlsx"
    wb = xlsxwriter.Workbook(str(card))
    ws = wb.add_worksheet("Members")
    pct, month = wb.add_format({"num_format": "0.0%"}), wb.add_format({"num_format": "mmm-yy", "bold": True})
    ws.write("A1", "Members' Performance Report")
    ws.merge_range("K5:N5", "LATEST BENCHMARKING")
    for col, title in enumerate(["REF", "Indicator title", "DATA NOTE"]):
        ws.write(5, col, title)
    for col, when in enumerate((dt.datetime(2022, 1, 1), dt.datetime(2022, 2, 1), dt.datetime(2022, 3, 1)), start=3):
        ws.write_datetime(5, col, when, month)
    for col, title in enumerate(["Good perf is", "Red", "Amber", "Green", "Stat neigh av.", "Best stat neigh", "Nat av.",
                                 "Top qtile threshold", "RAG (month)"], start=6):
        ws.write(5, col, title)
    rows = [("M1", "% of re-referral in 12 months - in current month", "%", (0.127, 0.138, 0.16), "low",
             ("30%+", "22%+", "<22%"), "Green"),
            ("M2", "% of children becoming the subject of a CP plan for a second or subsequent time within 2 years "
                   "- rolling 12 months", "%", (0.05, 0.06, 0.091), "low", ("12%+", "8%+", "<8%"), "Amber"),
            ("M3", "Rate of CLA per 10,000 population aged 0-17", "Rate per 10,000", (99.2, 99.6, 97.8), "low",
             ("", "", ""), None)]
    for r, (ref, title, note, months, polarity, bands, _) in enumerate(rows, start=6):
        ws.write_row(r, 0, [ref, title, note])
        for c, value in enumerate(months, start=3):
            ws.write_number(r, c, value, pct if note == "%" else None)
        ws.write_row(r, 6, [polarity, *bands])
    wb.close()
    downloads = tmp_path / "downloads"
    shutil.copytree(DFE, downloads, ignore=shutil.ignore_patterns("*.md", "schemas"))

    rules = tmp_path / "our-rules"
    init = run_cli("init", rules, "--authority", "Rotherham", "--neighbours", downloads / GROUPINGS_2021.name,
                   "--adopted", "2021-04-01")
    assert init.returncode == 0, init.stderr
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", card, "--rules", rules, "--benchmarks", downloads, "-o", out)
    assert result.returncode == 0, result.stderr
    report = result.stdout
    assert "Not benchmark data, passed over: New_Statistical_Neighbour_Groupings_April_2021.csv" in report
    assert "Not filled, no file given: la_cla_at_31_march_placement_stability_indicator.csv" in report
    assert "No measure in benchmarks.yaml reads absence_la.csv" in report

    neighbours = groupings_row(GROUPINGS_2021, "372")
    sheet = openpyxl.load_workbook(out)["Members"]
    # rated from the sheet's own bands (init copies no other council's): 16.0% Green, 9.1% Amber, no bands none
    assert [sheet.cell(r, 15).value for r in (7, 8, 9)] == [row[-1] for row in rows]
    for r, library_ref, scale in ((7, "1.9", 100), (8, "2.17", 100), (9, "3.2", 1)):
        want = reference(library_ref, "2021", neighbours=neighbours)  # low is good on every row, as the sheet says
        got = [sheet.cell(r, c).value for c in range(11, 15)]
        assert [g * scale for g in got] == pytest.approx([want[k] for k in ("sn_average", "sn_best", "national",
                                                                            "top_quartile")]), library_ref
    assert sheet["M6"].value == "Nat av. 2020/21"  # DfE's reporting year 2021, as a scorecard writes it


def test_a_write_that_would_break_the_file_names_the_file_and_leaves_it(tmp_path):
    """neighbour_sets written as an empty flow list on its own line: the set cannot be added under it. The message
    names the user's file (never the temporary one, which is gone) and the file is as it was."""
    import re as _re

    rules = tmp_path / "r"
    assert run_cli("init", rules, "--authority", "Hull").returncode == 0
    target = rules / "benchmarks.yaml"
    target.write_text(_re.sub(r"neighbour_sets: \[\].*\n", "neighbour_sets:\n  []\n", target.read_text()), encoding="utf-8")
    before = target.read_bytes()
    result = run_cli("benchmarks", "neighbours", GROUPINGS_2025, "--authority", "Hull", "--adopted", "2025-05-01",
                     "--write", target)
    assert result.returncode == 2 and result.stderr.startswith(f"cyps-xl: error: {target}, line ")
    assert "(as it would be after adding the set; it was left as it was)" in result.stderr and ".tmp" not in result.stderr
    assert target.read_bytes() == before and sorted(p.name for p in rules.iterdir() if p.name.endswith(".tmp")) == []
