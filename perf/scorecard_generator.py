"""A full-size scorecard for the performance runs (perf/run.py): about 320 indicators over 5 sheets, in the published layout.

    python perf/scorecard_generator.py OUT.xlsx [--indicators 320] [--seed 1]

Each sheet has the title block, the two-row header, four section bands
per sheet, twelve monthly values (nine hidden), outturn, last year, tolerances,
benchmarks and a trend sparkline per row, like the bundled template. Values are
synthetic.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

import xlsxwriter

SHEETS = ["Early Help", "Social Care", "Looked After Children", "Education", "Inclusion"]
SECTIONS = 4  # section bands per sheet (the published Social Care sheet has five for ~80 rows)
MONTHS = [dt.datetime(2021 + (3 + i) // 12, (3 + i) % 12 + 1, 1) for i in range(12)]
AFTER = ["2021/22 Outturn", "Good perf is", "DOT* (month)", "RAG (month)", "DOT (Yr on Yr)", "RAG (Yr End)", "Red",
         "Amber", "Green (target)", "2020/21", "Yr on Yr trend", "Stat neigh av.", "Best stat neigh", "Nat av.",
         "Top qtile threshold", "RIA 2020/21"]


def generate(out: Path, indicators: int = 320, seed: int = 1) -> Path:
    rng = random.Random(seed)
    workbook = xlsxwriter.Workbook(str(out))
    head = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True})
    month_fmt = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "num_format": "mmm-yy"})
    band = workbook.add_format({"bold": True, "bg_color": "#2F5597", "font_color": "#FFFFFF"})
    pct = workbook.add_format({"num_format": "0.0%", "border": 1})
    count = workbook.add_format({"num_format": "0", "border": 1})
    arrow = workbook.add_format({"bold": True, "font_color": "#000000", "border": 1, "align": "center"})
    per_sheet = indicators // len(SHEETS)
    for sheet in SHEETS:
        ws = workbook.add_worksheet(sheet)
        ws.write(0, 0, "Children's and Young People Services Monthly Performance Report")
        ws.write(1, 0, f"{sheet} Performance Summary")
        ws.write(2, 0, "As at month end: March 2022 (Outturn 2021/22)")
        ws.write(3, 0, "Status: Issue 1")
        ws.write(4, 0, "Date created: 18/05/2022")
        ws.write(8, 0, "Benchmarking: typed by hand.")
        top = 10
        for col, title in enumerate(["REF NO.", "INDICATOR", "Success Measures Council Plan Measures", "TIMELINE", "DATA NOTE"]):
            ws.merge_range(top, col, top + 1, col, title, head)
        ws.merge_range(top, 5, top, 16 + 5, "2021 / 22", head)
        for i, month in enumerate(MONTHS):
            ws.write_datetime(top + 1, 5 + i, month, month_fmt)
        for i, title in enumerate(AFTER):
            ws.write(top + 1, 17 + i, title, head)
        r = top + 2
        per_section = -(-per_sheet // SECTIONS)
        for n in range(per_sheet):
            if n % per_section == 0:  # a section band, as FIRST RESPONSE or CHILDREN IN NEED in the report
                ws.merge_range(r, 0, r, 32, f"SECTION {n // per_section + 1}", band)
                r += 1
            is_pct = rng.random() < 0.6
            polarity = rng.choice(["high", "high", "low", "info"])
            base = rng.uniform(0.5, 0.95) if is_pct else rng.randint(20, 900)
            values = [min(base * rng.uniform(0.9, 1.1), 1.0) if is_pct else round(base * rng.uniform(0.8, 1.2)) for _ in MONTHS]
            fmt = pct if is_pct else count
            ws.write(r, 0, f"{n // per_section + 1}.{n % per_section + 1}")
            ws.write(r, 1, f"{sheet} indicator {n + 1}")
            ws.write(r, 3, "monthly")
            ws.write(r, 4, "%" if is_pct else "Count")
            for i, value in enumerate(values):
                ws.write(r, 5 + i, value, fmt)
            ws.write(r, 17, sum(values) / 12 if is_pct else sum(values), fmt)
            ws.write(r, 18, polarity)
            ws.write_blank(r, 19, None, arrow)  # DOT columns formatted as the team has them: bold, black
            ws.write_blank(r, 21, None, arrow)
            if is_pct and polarity != "info":
                low, high = sorted(rng.sample(range(60, 96), 2))
                bands = (f"<{low}%", f"{low}%+", f"{high}%+") if polarity == "high" else (f"{high}%+", f"{low}%+", f"<{low}%")
                for i, text in enumerate(bands):
                    ws.write(r, 23 + i, text)
            last_year = values[0] * rng.uniform(0.9, 1.1)
            ws.write(r, 26, min(last_year, 1.0) if is_pct else last_year, fmt)  # a % holds a fraction, 100% at most
            for i in range(5):
                ws.write(r, 28 + i, values[-1] * rng.uniform(0.8, 1.2), fmt)
            ws.add_sparkline(r, 27, {"range": f"'{sheet}'!F{r + 1}:Q{r + 1}", "type": "column", "show_hidden": True})
            r += 1
        ws.set_column(5, 13, 8, None, {"hidden": True})
    workbook.close()
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--indicators", type=int, default=320)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(generate(args.output, args.indicators, args.seed))
