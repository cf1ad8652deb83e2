"""cyps-xl performance, measured in one run:  python perf/run.py [--quick] [--no-write]

Builds its own inputs in a temporary folder and prints one table, which it
also writes to docs/performance.md with the machine, date and commit (so the
page is always the output of a run, never a claim):

* headless ``cyps-xl issue`` (full: summary page and commentary) and
  ``cyps-xl refresh``, each as a whole process (start, imports, read, rate,
  write), alternated with a bare ``openpyxl.load_workbook(...).save(...)`` of
  the same file, at 320, 3,000 and 10,000 indicators: median time and peak
  memory (VmHWM), and their ratios (targets: <= 0.6 x the time, <= 1.0 x the memory);
* Excel write calls of the live path on the 320-indicator scorecard (< 60);
* UDF cost per call after the first (<= 20 us);
* batch: 20 scorecards on all cores against one process, medians of three (>= 1.7 x on 2 cores);
* a 30 MB DfE file read by 10 measures, as a whole process (< 3 s).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "perf"))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' remote engine, for counting calls only
warnings.simplefilter("ignore")

from scorecard_generator import generate  # noqa: E402


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


PEAK_AT_EXIT = """
import atexit, sys
def _peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK %d\\n" % (int(line.split()[1]) * 1024))
atexit.register(_peak)
"""
CLI = PEAK_AT_EXIT + "import sys, runpy; sys.argv = ['cyps-xl'] + sys.argv[1:]; runpy.run_module('cyps_xl', run_name='__main__')"
FLOOR = PEAK_AT_EXIT + ("import sys, warnings; warnings.simplefilter('ignore'); import openpyxl; "
                        "openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])")
# the physical floor: the file unzipped and zipped again by Python's zipfile, every part deflated as cyps-xl does
ZIP = PEAK_AT_EXIT + ("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as a, zipfile.ZipFile(sys.argv[2], 'w', "
                      "zipfile.ZIP_DEFLATED) as b:\n    for info in a.infolist(): b.writestr(info.filename, a.read(info))")


# Both sides run from compiled bytecode, as an installed package does (pip compiles a wheel's modules; an
# editable install caches them on first import). A machine that sets PYTHONDONTWRITEBYTECODE would otherwise
# charge cyps-xl, and not openpyxl (compiled when pip installed it), for compiling its sources on every run.
BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
BYTECODE_ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "cyps-xl-perf-pycache")


def whole_process(code: str, *args) -> tuple[float, int]:
    """Wall time and peak memory of one process running ``code`` (the interpreter itself, not a wrapper)."""
    import subprocess

    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env=BYTECODE_ENV)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    peak = int(next(line.split()[1] for line in done.stderr.splitlines() if line.startswith("PEAK ")))
    return seconds, peak


def against_floor(path: Path, folder: Path, runs: int) -> dict:
    """Medians of alternating runs: issue, refresh and the openpyxl floor, each a whole process."""
    samples = {"issue": [], "refresh": [], "floor": [], "zip": []}
    for _ in range(runs):
        samples["issue"].append(whole_process(CLI, "issue", path, "-o", folder / "issued.xlsx", "--force"))
        samples["floor"].append(whole_process(FLOOR, path, folder / "floor.xlsx"))
        samples["refresh"].append(whole_process(CLI, "refresh", path, "-o", folder / "refreshed.xlsx", "--force"))
        samples["zip"].append(whole_process(ZIP, path, folder / "zipped.xlsx"))
    return {name: (statistics.median(t for t, _ in got), statistics.median(m for _, m in got))
            for name, got in samples.items()}


def issue_vs_floor(path: Path, folder: Path, runs: int):
    import openpyxl

    from cyps_xl.api import issue

    issue(path, folder / "warm.xlsx")  # imports and caches, as a running add-in would have
    ours, floor = [], []
    for _ in range(runs):  # alternate, so both see the same machine conditions
        start = time.perf_counter()
        issue(path, folder / "issued.xlsx")
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        openpyxl.load_workbook(path).save(folder / "floor.xlsx")
        floor.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(floor)


def rules_for(path: Path, folder: Path) -> Path:
    """Rules imported from the scorecard itself, as the team keeps rules for every indicator."""
    import shutil

    from cyps_xl.workbook.rules_import import import_rules

    target = folder / f"rules-{path.stem}"
    target.mkdir()
    shutil.copy(ROOT / "rules" / "settings.yaml", target)
    import_rules(path, target / "indicators.yaml")
    return target


def write_calls(path: Path, rules: Path):
    import xlwings as xw

    from cyps_xl.api import evaluate
    from cyps_xl.excel.blocks import address_chunks
    from cyps_xl.workbook.changes import CellChange, cell_changes
    from cyps_xl.excel.ribbon import refresh_ratings
    from cyps_xl.workbook.reader import open_workbook
    from cyps_xl.excel.remote import payload_from_file
    from cyps_xl.engine.rules import load_rules
    from cyps_xl.excel.xlwings_writer import XlwingsWriter

    book = xw.Book(json=payload_from_file(path))
    refresh_ratings(book, snapshot=path, rules=rules)
    remote = len(book.json()["actions"])
    _, report = evaluate(path, load_rules(rules))
    writer = XlwingsWriter(book, current=open_workbook(path), multi_area=True)
    blocks, groups, _ = writer.plan(report.changes)
    desktop = len(blocks) + sum(len(address_chunks(g.areas)) for g in groups) + 4
    cells = len({(c.sheet, c.row, c.column) for c in cell_changes(report.changes) if isinstance(c, CellChange)})
    return desktop, remote, cells


def udf_costs(calls: int):
    from cyps_xl.excel import udfs

    udfs._cache.update(book=None, key=None, measures={})
    start = time.perf_counter()
    udfs.CYPS_RAG(0.9, "Social Care!3.4")
    first = time.perf_counter() - start
    rag = median_time(lambda: [udfs.CYPS_RAG(0.9, "Social Care!3.4") for _ in range(calls)], 5) / calls
    dot = median_time(lambda: [udfs.CYPS_DOT(0.9, 0.8, "high", "0.0%") for _ in range(calls)], 5) / calls
    column = [[0.5 + i / 1000] for i in range(300)]
    rag_col = median_time(lambda: udfs.CYPS_RAG(column, "Social Care!3.4"), 5) / 300
    dot_col = median_time(lambda: udfs.CYPS_DOT(column, column[::-1], "high", "0.0%"), 5) / 300
    return first, rag, dot, rag_col, dot_col


def batch_speedup(folder: Path, count: int):
    from cyps_xl.batch import run_batch

    from writers import WRITERS, make

    cards = folder / "authorities"
    cards.mkdir()
    for i in range(count):  # the four writers' files in turn
        generated = generate(folder / f"generated {i + 1:02d}.xlsx", seed=i + 1)
        make(WRITERS[i % len(WRITERS)], generated, cards / f"authority {i + 1:02d}.xlsx")
    cores = os.cpu_count() or 1
    ones, manys = [], []
    for turn in range(3):  # alternated, medians: one batch's few seconds on a busy machine vary by a tenth
        ones.append(run_batch(cards, folder / f"one {turn}", jobs=1, progress=None).seconds)
        manys.append(run_batch(cards, folder / f"many {turn}", jobs=cores, progress=None).seconds)
    return statistics.median(ones), statistics.median(manys), cores


DFE_MEASURE = """  - sheet: Social Care
    ref: "M{k}"
    file: {name}
    filters: {{population_count: "Children looked after at 31 March each year ({k})"}}
    column: rate_per_10000
"""
DFE_RUN = """
import datetime as dt, sys, time
from pathlib import Path
start = time.perf_counter()
from cyps_xl.benchmarks import measures as bench
from cyps_xl.engine.rules import load_rules
rules = load_rules(Path(sys.argv[2]))
config = bench.load_config(rules.benchmark_config)
result = bench.compute_files([Path(sys.argv[1])], config, rules, dt.date(2024, 4, 1))
assert sum(len(v) for v in result.by_file.values()) == 10
print(time.perf_counter() - start, peak())
"""
# VmHWM is this process's own peak: ru_maxrss would carry over the parent's peak across fork and exec
PEAK = """
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
"""


def dfe_read(folder: Path, size: int = 30 * 1024 * 1024):
    """Whole-process time and peak memory to compute 10 measures from a 30 MB EES file."""
    import shutil
    import subprocess

    name = "cla_number_and_rate_per_10k_children.csv"
    lines = (ROOT / "workbook_templates" / "data" / "dfe" / name).read_bytes().splitlines(keepends=True)
    body, parts, k = b"".join(lines[1:]), [lines[0]], 0
    while sum(map(len, parts)) < size:  # the same real rows under another filter value each time
        k += 1
        parts.append(body.replace(b"each year,", f"each year ({k}),".encode()))
    path = folder / name
    path.write_bytes(b"".join(parts))
    rules = folder / "dfe_rules"
    shutil.copytree(ROOT / "rules", rules)
    text = (rules / "benchmarks.yaml").read_text(encoding="utf-8")
    measures = "".join(DFE_MEASURE.format(k=k, name=name) for k in range(1, 11))
    (rules / "benchmarks.yaml").write_text(text[:text.index("measures:")] + "measures:\n" + measures, encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", PEAK + DFE_RUN, str(path), str(rules)], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    # the same process that only imports what it needs (Python, pandas, numpy): the part no file size changes
    base = subprocess.run([sys.executable, "-c", PEAK + "import pandas, cyps_xl.benchmarks.measures\nprint(peak())"],
                          capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return float(out[0]), int(out[1]), int(base), path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description="cyps-xl performance, measured")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and sizes (a smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md as it is")
    args = parser.parse_args()
    runs, calls, count = (3, 500, 6) if args.quick else (5, 5000, 20)
    sizes = (320, 3000) if args.quick else (320, 3000, 10000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warm = generate(folder / "warm.xlsx", indicators=20)  # compiles the bytecode both sides run from
        whole_process(CLI, "issue", warm, "-o", folder / "warm issued.xlsx")
        whole_process(CLI, "refresh", warm, "-o", folder / "warm refreshed.xlsx")
        whole_process(FLOOR, warm, folder / "warm floor.xlsx")
        from writers import WRITERS, make

        for size in sizes:
            generated = generate(folder / f"card {size}.xlsx", indicators=size)
            for writer in WRITERS:
                card = make(writer, generated, folder / f"card {size} {writer}.xlsx")
                got = against_floor(card, folder, runs if size < 10000 else max(2, runs // 2))
                (it, im), (rt, rm), (ft, fm), (zt, _) = got["issue"], got["refresh"], got["floor"], got["zip"]
                name = f"{size:,} indicators, {writer}"
                rows += [
                    (f"{name}: floor (openpyxl load + save); zipfile only", f"{ft:.2f} s, {fm / 2**20:.0f} MB; "
                                                                            f"{zt:.2f} s", ""),
                    (f"{name}: issue", f"{it:.2f} s, {im / 2**20:.0f} MB = {it / ft:.2f} x, {im / fm:.2f} x "
                                       f"({it / zt:.1f} x zipfile)", "<= 0.6 x, <= 1.0 x"),
                    (f"{name}: refresh", f"{rt:.2f} s, {rm / 2**20:.0f} MB = {rt / ft:.2f} x, {rm / fm:.2f} x "
                                         f"({rt / zt:.1f} x zipfile)", "<= 0.5 x, <= 1.0 x"),
                ]
        full = folder / "card 320.xlsx"  # the generator's own, for the Excel write calls
        double = generate(folder / "double.xlsx", indicators=640)
        desktop, remote, cells = write_calls(full, rules_for(full, folder))
        desktop2, remote2, cells2 = write_calls(double, rules_for(double, folder))
        first, rag, dot, rag_col, dot_col = udf_costs(calls)
        one, many, cores = batch_speedup(folder, count)
        dfe_seconds, dfe_peak, dfe_base, dfe_size = dfe_read(folder)
    rows += [
        ("Excel desktop write calls, 320 indicators", f"{desktop} for {cells} cells", "< 60"),
        ("Excel desktop write calls, 640 indicators", f"{desktop2} for {cells2} cells", "independent of rows"),
        ("xlwings remote-engine actions, 320 / 640", f"{remote} / {remote2}", "(no multi-area ranges)"),
        ("CYPS_RAG first call (loads the rules)", f"{first * 1000:.1f} ms", ""),
        ("CYPS_RAG per call, single cell", f"{rag * 1e6:.1f} us", "<= 20 us"),
        ("CYPS_DOT per call, single cell", f"{dot * 1e6:.1f} us", "<= 20 us"),
        ("CYPS_RAG per cell, a 300-row column in one call", f"{rag_col * 1e6:.1f} us", ""),
        ("CYPS_DOT per cell, a 300-row column in one call", f"{dot_col * 1e6:.1f} us", ""),
        (f"batch of {count} scorecards, 1 process", f"{one:.1f} s", ""),
        (f"batch of {count} scorecards, {cores} processes", f"{many:.1f} s", ""),
        ("batch speed-up", f"{one / many:.2f} x", ">= 1.7 x on 2 cores"),
        (f"DfE file of {dfe_size / 2**20:.0f} MB, 10 measures: whole process", f"{dfe_seconds:.2f} s", "< 3 s"),
        ("  its peak memory / the file's size", f"{dfe_peak / 2**20:.0f} MB = {dfe_peak / dfe_size:.1f} x", ""),
        ("  of which Python + pandas imports / for the data",
         f"{dfe_base / 2**20:.0f} MB / {(dfe_peak - dfe_base) / 2**20:.0f} MB", "data well under 3 x the file"),
    ]
    width = max(len(r[0]) for r in rows)
    table = [f"{'measure':<{width}}  {'result':>44}  target", "-" * (width + 62)]
    table += [f"{name:<{width}}  {value:>44}  {target}" for name, value, target in rows]
    print("\n".join(table))
    if not args.no_write and not args.quick:
        write_page(rows)


def machine() -> str:
    import platform
    import subprocess

    try:
        memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal:")) / 2**20
    except (OSError, StopIteration):
        memory = 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           cwd=ROOT).stdout.strip()
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}; commit {commit or 'unknown'}{' with local changes' if dirty else ''}; "
            f"{time.strftime('%d %B %Y')}")


def write_page(rows) -> None:
    lines = ["# Performance", "",
             "This page is written by `python perf/run.py` (about five minutes on 2 cores); do not edit it by hand.",
             "", f"Measured on: {machine()}.", "",
             "Each size is a scorecard from `perf/scorecard_generator.py` (five sheets in the published layout,",
             "twelve months a row, tolerances, benchmarks and a trend sparkline a row), as four writers leave it",
             "(`perf/writers.py`): `xlsxwriter` (the generator's own), `libreoffice` (saved by LibreOffice Calc: shared",
             "strings, as Excel saves them), `openpyxl` (loaded and saved with its defaults: inline strings, rows without",
             "spans, and no sparklines, so the run makes them all) and `inline` (a minimal writer's: inline strings and",
             "rich-text runs, rows without spans, cells without addresses). `issue` (with its summary page and",
             "commentary), `refresh`, the floor (a bare `openpyxl.load_workbook(...).save(...)` of the same file) and",
             "the physical floor (the file unzipped and deflated again by Python's zipfile) each run as a whole",
             "process, alternated, medians of the runs, from compiled bytecode as an installed package runs; memory is",
             "the process's own peak (VmHWM). A ratio is to the openpyxl floor: time, then memory.", "",
             "| measure | result | target |", "|---|---|---|"]
    lines += [f"| {name.strip()} | {value} | {target} |" for name, value, target in rows]
    lines += ["", "The design behind these figures: the workbook is parsed once, into the package model that is also the",
              "writer (`cyps_xl/workbook/`). A worksheet is never held whole: its rows stream from the saved XML, once",
              "to read the values and once to write them out with the recorded edits applied (`worksheet.py`). Plain",
              "rows go through as the bytes they were saved as (`rowbytes.py`): a row nobody edits is copied, a plain",
              "cell is read and rewritten without being parsed, and the sheet's extension list (a sparkline a row) stays",
              "as saved unless a sparkline must change; the cells an edit touches are found by their addresses.",
              "openpyxl, numpy and pandas are never imported on the issue and refresh paths (a test checks), and an",
              "edit is recorded against its cell as small ints, so it costs the same whatever the sheet's size. A row's",
              "figures share one number-format change, recorded only for cells whose format it would change (a format",
              "that names it already, with or without applyNumberFormat, or an identical twin, is left as it is). The",
              "commentary (a row an indicator) is measured and written whole in one pass. While the next part is made,",
              "a second thread compresses the last (deflate lets go of Python's lock; while it runs, Python's switch",
              "interval is 0.2 ms, so it is handed the lock back promptly and keeps up). A value clear of every",
              "tolerance edge by more than rounding can move it is rated unrounded, against the bands' thresholds as",
              "floats, and only one near an edge is rounded as displayed; the commentary writes a figure with the",
              "float's own rounding away from a tie in the same way. A cell's attributes and content are matched in",
              "one go, not character by character; a row's wanted cells side by side are found one after the other",
              "without a search; a rewritten cell's bytes after its address are made once for its style and value.",
              "The command ends without Python taking apart what the run built, or walking it with the cycle",
              "collector first. A run pauses Python's cycle",
              "collector, which would otherwise walk its hundreds of thousands of objects again and again as they",
              "grow; and parsed rules are kept between runs, so PyYAML is loaded only when a rules file changes. What",
              "is left above a fifth of a second is Python's work per cell: the values read (a row's cells taken from",
              "one regular-expression pass), the ratings, the changes they become (shared by the Excel and headless",
              "writers) and the rows rewritten.", ""]
    (ROOT / "docs" / "performance.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"Written to {ROOT / 'docs' / 'performance.md'}")


if __name__ == "__main__":
    main()
