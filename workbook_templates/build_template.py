"""Build the bundled scorecard template from the committed data.

    python workbook_templates/build_template.py            # writes cyps_scorecard_template.xlsx
    python workbook_templates/build_template.py -o OUT.xlsx

The data (``data/*.csv``) is transcribed from the published March 2022 CYPS
monthly performance report: titles, references, timelines, data notes,
polarities, tolerances, the three printed months, the outturn, last year's
figure and the benchmarks.  The report prints only January to March, so the
hidden April-December columns are *illustrative*: generated deterministically
so that cumulative counts add up to the printed outturn and snapshots drift
plausibly into January.  The workbook says so on every sheet.

The columns ``dot_month``, ``dot_year``, ``rag_month``, ``rag_year`` and
``flag`` of the data are the published arrows, hand-derived RAG words and
notes on inconsistencies; they are expectations for the tests and are *not*
written into the template (its DOT and RAG cells are blank, as before a run).
Benchmarks go to ``data/sample_benchmarks.csv``, which the demo feeds back in.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import zlib
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_OUT = HERE / "cyps_scorecard_template.xlsx"
SHEETS = [("Early Help", "early_help.csv"), ("Social Care", "social_care.csv")]
YEAR_START = dt.date(2021, 4, 1)
MONTHS = [dt.date(2021 + (3 + i) // 12, (3 + i) % 12 + 1, 1) for i in range(12)]  # Apr-21 .. Mar-22
SHOWN = 3  # the report prints the last three months
HEADER_ROW = 11  # 1-based first header row

FIXED = ["REF NO.", "INDICATOR", "Success Measures Council Plan Measures", "TIMELINE", "DATA NOTE"]
AFTER_MONTHS = [
    ("outturn", "2021/22 Outturn"), ("polarity", "Good perf is"), ("dot_month", "DOT* (month)"),
    ("rag_month", "RAG (month)"), ("dot_year", "DOT (Yr on Yr)"), ("rag_year", "RAG (Yr End)"),
    ("red", "Red"), ("amber", "Amber"), ("green", "Green (target)"), ("prev", "2020/21"),
    ("trend", "Yr on Yr trend"), ("sn", "Stat neigh av."), ("best", "Best stat neigh"), ("nat", "Nat av."),
    ("topq", "Top qtile threshold"), ("regional", "RIA 2019/20"),
]
BENCH_KEYS = {"sn": "sn_average", "best": "sn_best", "nat": "national", "topq": "top_quartile", "regional": "regional"}
NUMBER_FORMATS = {"%": "0.0%", "count": "0", "rate per 10,000": "0.0", "ytd average": "0.0", "average count": "0.0"}


def load_rows(name: str) -> list[dict]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def parse(text: str):
    """A printed figure as Excel would store it: 87.0% -> 0.87; text stays text."""
    text = (text or "").strip()
    if text == "":
        return None
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return text


def number_format(row: dict) -> str:
    fmt = NUMBER_FORMATS.get(row["note"].strip().lower(), "0.0")
    shown = row["jan"] or row["mar"]
    if fmt.endswith("%") and "." in shown and len(shown.split(".")[1].rstrip("%")) == 2:
        return "0.00%"  # e.g. agency staff, printed as 7.37%
    return fmt


def history(row: dict) -> list:
    """Twelve monthly values: nine illustrative, then the three printed."""
    shown = [parse(row[k]) for k in ("jan", "feb", "mar")]
    numbers = [v for v in shown if isinstance(v, float)]
    if not numbers:
        return [shown[0]] * (12 - SHOWN) + shown
    rng = random.Random(zlib.crc32((row["ref"] + row["title"] + row["part"] + row["note"]).encode()))
    is_percent = row["note"].strip() == "%"
    is_count = row["note"].strip().lower() == "count"
    outturn = parse(row["outturn"])
    earlier: list = []
    if is_count and isinstance(outturn, float) and outturn > 3.3 * max(numbers):
        remaining = outturn - sum(numbers)  # a cumulative count: Apr-Dec must add up to the outturn
        weights = [rng.uniform(0.8, 1.2) for _ in range(12 - SHOWN)]
        earlier = [round(remaining * w / sum(weights)) for w in weights]
        earlier[-1] += round(remaining) - sum(earlier)
    else:
        value = numbers[0]
        for _ in range(12 - SHOWN):
            value = value * (1 + rng.gauss(0, 0.03))
            if is_percent:
                value = min(max(value, 0.0), 1.0)
            earlier.insert(0, round(value) if is_count else round(value, 4 if is_percent else 1))
    return earlier + shown


def build(out: Path = DEFAULT_OUT, extras=None) -> Path:
    """Write the template; ``extras(workbook, sheets)`` may add more before it is closed."""
    workbook = xlsxwriter.Workbook(str(out))
    workbook.set_properties({"title": "CYPS Monthly Performance Report", "author": "Performance & Quality Team",
                             "company": "Children and Young People's Services",
                             "created": dt.datetime(2022, 5, 18, 9, 0)})  # fixed, so rebuilds are byte-identical
    f = _formats(workbook)
    benchmarks = []
    sheets = {}
    for sheet_name, data_file in SHEETS:
        rows = load_rows(data_file)
        sheets[sheet_name] = _write_sheet(workbook, f, sheet_name, rows)
        benchmarks += [_bench_row(sheet_name, r, rows, i) for i, r in enumerate(rows) if r["kind"] == "I"]
    if extras:
        extras(workbook, sheets)
    workbook.close()
    _write_benchmarks([b for b in benchmarks if b])
    return out


def _formats(workbook):
    base = {"font_name": "Arial", "font_size": 9, "valign": "vcenter", "border": 1, "border_color": "#A6A6A6"}
    make = lambda **kw: workbook.add_format({**base, **kw})  # noqa: E731
    return {
        "title": workbook.add_format({"font_name": "Arial", "bold": True, "font_size": 14, "font_color": "#1F3864"}),
        "subtitle": workbook.add_format({"font_name": "Arial", "bold": True, "font_size": 11}),
        "text": workbook.add_format({"font_name": "Arial", "font_size": 9}),
        "note": workbook.add_format({"font_name": "Arial", "font_size": 8, "italic": True, "text_wrap": False}),
        "group": make(bold=True, bg_color="#1F3864", font_color="#FFFFFF", align="center"),
        "head": make(bold=True, bg_color="#D9E1F2", align="center", text_wrap=True),
        "month": make(bold=True, bg_color="#D9E1F2", align="center", num_format="mmm-yy"),
        "section": make(bold=True, bg_color="#2F5597", font_color="#FFFFFF"),  # white on it: 7.3:1 (WCAG AA)
        "ref": make(bold=True, align="center"),
        "cell": make(text_wrap=True),
        "centre": make(align="center"),
        "arrow": make(align="center", bold=True, font_color="#000000"),
    }


def _write_sheet(workbook, f, name: str, rows: list[dict]) -> None:
    ws = workbook.add_worksheet(name)
    top = HEADER_ROW - 1  # 0-based
    ws.write(0, 0, "Children's and Young People Services Monthly Performance Report", f["title"])
    ws.write(1, 0, f"{name} Performance Summary", f["subtitle"])
    ws.write(2, 0, "As at month end: March 2022 (Outturn 2021/22)", f["subtitle"])
    ws.write(3, 0, "Status: Issue 1", f["text"])
    ws.write(4, 0, "Date created: 18/05/2022", f["text"])
    ws.write(5, 0, "Created by: Performance & Quality Team", f["text"])
    ws.write(6, 0, "Contact: cyps-performance@rotherham.gov.uk", f["text"])
    ws.write(7, 0, "*DOT - Direction of travel since the previous month (or year). Key: ↑ increase, ↓ decrease, "
             "→ no change; green = improvement in performance, red = decline, black = information only.", f["note"])
    ws.write(8, 0, "Apr-21 to Dec-21 monthly values (hidden columns F:N, used for the trend) are ILLUSTRATIVE: the "
             "published report prints only Jan-22 to Mar-22.", f["note"])
    ws.write(9, 0, "Benchmarking: as typed from the latest DfE releases (2020/21).", f["note"])

    month_cols = list(range(5, 5 + 12))
    after = {key: 5 + 12 + i for i, (key, _) in enumerate(AFTER_MONTHS)}
    last_col = max(after.values())
    for col, title in enumerate(FIXED):
        ws.merge_range(top, col, top + 1, col, title, f["head"])
    ws.merge_range(top, month_cols[0], top, after["rag_year"], "2021 / 22", f["group"])
    ws.merge_range(top, after["red"], top, after["green"], "TARGET & TOLERANCES", f["group"])
    ws.merge_range(top, after["prev"], top, after["trend"], "YR ON YR PERFORMANCE", f["group"])
    ws.merge_range(top, after["sn"], top, after["regional"], "LATEST BENCHMARKING", f["group"])
    for col, month in zip(month_cols, MONTHS):
        ws.write_datetime(top + 1, col, dt.datetime(month.year, month.month, 1), f["month"])
    for key, title in AFTER_MONTHS:
        ws.write(top + 1, after[key], title, f["head"])

    r = top + 2
    for row in rows:
        if row["kind"] == "S":
            ws.merge_range(r, 0, r, last_col, row["ref"], f["section"])
            r += 1
            continue
        fmt = workbook.add_format({"font_name": "Arial", "font_size": 9, "border": 1, "border_color": "#A6A6A6",
                                   "num_format": number_format(row), "align": "center"})
        ws.write(r, 0, row["ref"] or None, f["ref"])
        ws.write(r, 1, row["title"] or None, f["cell"])
        ws.write(r, 2, row["part"] or row["plan"] or None, f["centre"])
        ws.write(r, 3, row["timeline"], f["centre"])
        ws.write(r, 4, row["note"], f["centre"])
        for col, value in zip(month_cols, history(row)):
            ws.write(r, col, value, fmt)
        ws.write(r, after["outturn"], parse(row["outturn"]), fmt)
        ws.write(r, after["polarity"], row["polarity"], f["centre"])
        for key in ("dot_month", "dot_year"):
            ws.write_blank(r, after[key], None, f["arrow"])  # arrows are bold; their colour is set by cyps-xl
        for key in ("rag_month", "rag_year"):
            ws.write_blank(r, after[key], None, f["centre"])
        for key in ("red", "amber", "green"):
            ws.write(r, after[key], row[key] or None, f["centre"])
        ws.write(r, after["prev"], parse(row["prev"]), fmt)
        ws.write_blank(r, after["trend"], None, f["centre"])
        for key in BENCH_KEYS:
            ws.write_blank(r, after[key], None, fmt)
        if any(isinstance(v, float) for v in history(row)):
            span = f"'{name}'!{xl_rowcol_to_cell(r, month_cols[0])}:{xl_rowcol_to_cell(r, month_cols[-1])}"
            ws.add_sparkline(r, after["trend"], {"range": span, "type": "column", "series_color": "#2E75B6",
                                                 "negative_points": True, "show_hidden": True})
        r += 1

    ws.set_column(0, 0, 7)
    ws.set_column(1, 1, 48)
    ws.set_column(2, 4, 10)
    ws.set_column(month_cols[0], month_cols[-4], 8, None, {"hidden": True})
    ws.set_column(month_cols[-3], month_cols[-1], 8)
    ws.set_column(after["outturn"], last_col, 9)
    ws.set_column(after["trend"], after["trend"], 12)
    ws.set_column(after["sn"], after["regional"], 11)
    ws.freeze_panes(top + 2, 2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top, top + 1)
    ws.set_footer(f"&L{name} Performance Summary&CPage &P of &N&R&D")
    return ws


def _bench_row(sheet: str, row: dict, rows: list[dict], index: int):
    if not any(row[k] for k in BENCH_KEYS):
        return None
    return {"sheet": sheet, "ref": _block_ref(rows, index), "part": row["part"],
            "title": row["title"] if not row["ref"] else "",
            **{BENCH_KEYS[k]: row[k] for k in BENCH_KEYS}, "year": "2020/21"}


def _block_ref(rows: list[dict], index: int) -> str:
    for row in reversed(rows[: index + 1]):
        if row["ref"] and row["kind"] == "I":
            return row["ref"]
    return ""


def _write_benchmarks(rows: list[dict]) -> None:
    fields = ["sheet", "ref", "part", "title", *BENCH_KEYS.values(), "year"]
    with (DATA / "sample_benchmarks.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    print(build(parser.parse_args().output))
