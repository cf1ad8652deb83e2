"""Report views: one indicator library, several reports.

A report in ``rules/reports.yaml`` with ``indicators:`` is a view: it picks
rows of the scorecard (by sheet and ref), in its own order, under its own
references and titles.  cyps-xl builds the view as a scorecard sheet in the
published layout from the source rows (values, months, last year, benchmarks),
and rates it with the *same* rules: each view row gets the library rule of the
row it came from, under the view's reference and title.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.workbook.layout import BENCHMARK_KEYS, load_layout
from cyps_xl.workbook.reader import read_scorecard
from cyps_xl.engine.rules import RuleBook

HEADINGS = ["REF NO.", "INDICATOR", "TIMELINE", "DATA NOTE"]
AFTER = [("outturn", "Outturn"), ("polarity", "Good perf is"), ("dot_month", "DOT* (month)"), ("rag_month", "RAG (month)"),
         ("dot_year", "DOT (Yr on Yr)"), ("rag_year", "RAG (Yr End)"), ("red", "Red"), ("amber", "Amber"),
         ("green", "Green (target)"), ("previous_year", "Last year"), ("trend", "Yr on Yr trend"),
         ("sn_average", "Stat neigh av."), ("sn_best", "Best stat neigh"), ("national", "Nat av."),
         ("top_quartile", "Top qtile threshold"), ("regional", "Regional average")]


def _source_rows(card, entry):
    for table in card.tables:
        if table.sheet.lower() == str(entry["sheet"]).lower():
            for row in table.rows:
                if row.ref == str(entry["ref"]) and row.first_in_block:
                    return table, row
    raise CypsError(f"the report view names {entry['sheet']} {entry['ref']}, which is not in the scorecard.",
                    file="reports.yaml", hint="Check the view's indicators against the scorecard's references.")


def build_view(source: Path, rules: RuleBook, config: dict, folder: Path) -> Path:
    """Write the view's scorecard (a plain workbook, in ``folder``) and return its path."""
    import openpyxl

    from cyps_xl.workbook.reader import open_workbook

    card = read_scorecard(source, load_layout(rules.layout_file))
    values = open_workbook(source)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = config.get("sheet", config["name"])[:31]
    first_table = card.tables[0]
    block = {key: text for key, (cell, text) in first_table.title_block.items()}
    ws["A1"] = config.get("title", "")
    ws["A2"] = block.get("as_at", "")
    ws["A3"] = block.get("status", "Status: Issue 0")
    ws["A4"] = block.get("date_created", "")
    months = first_table.months
    header = 6
    for col, title in enumerate(HEADINGS, start=1):
        ws.cell(header, col, title)
    for i, month in enumerate(months):
        cell = ws.cell(header, len(HEADINGS) + 1 + i, month.date or month.label)
        cell.number_format = "mmm-yy"
    after_col = len(HEADINGS) + len(months) + 1
    for i, (_, title) in enumerate(AFTER):
        ws.cell(header, after_col + i, title)
    for n, entry in enumerate(config["indicators"]):
        table, row = _source_rows(card, entry)
        src = values[table.sheet]
        r = header + 1 + n
        ws.cell(r, 1, entry.get("as", entry["ref"]))
        ws.cell(r, 2, entry.get("title") or row.title)
        ws.cell(r, 4, row.data_note)
        fmt = src.cell(row.row, table.months[-1].column).number_format
        for i, month in enumerate(table.months[-len(months):]):
            cell = ws.cell(r, len(HEADINGS) + 1 + i, src.cell(row.row, month.column).value)
            cell.number_format = fmt
        for i, (key, _) in enumerate(AFTER):
            if key in ("outturn", "previous_year", "polarity", *BENCHMARK_KEYS) and key in table.columns:
                cell = ws.cell(r, after_col + i, src.cell(row.row, table.columns[key]).value)
                cell.number_format = fmt
    for i in range(len(months) - 3):
        ws.column_dimensions[openpyxl.utils.get_column_letter(len(HEADINGS) + 1 + i)].hidden = True
    ws.column_dimensions["B"].width = 50
    target = Path(folder) / f"{ws.title}.xlsx"
    wb.save(target)
    return target


def view_rules(rules: RuleBook, config: dict) -> RuleBook:
    """The library's rules, with each view row given the rule of the row it came from."""
    sheet = config.get("sheet", config["name"])[:31]
    extra = []
    for entry in config["indicators"]:
        rule = rules.match(str(entry["sheet"]), str(entry["ref"]), None, None)
        if rule is None:
            raise CypsError(f"the report view names {entry['sheet']} {entry['ref']}, which has no rule.",
                            file="reports.yaml", hint="Add it to the rules or take it out of the view.")
        extra.append(dataclasses.replace(rule, sheet=sheet, ref=str(entry.get("as", entry["ref"])),
                                         title=entry.get("title") or rule.title, part=None))
    return dataclasses.replace(rules, rules=rules.rules + extra)
