"""Published benchmark figures (statistical neighbours, national, quartile, region).

The simplest source, and the one the team types from today: a CSV with one
row per indicator row of the scorecard::

    sheet,ref,part,title,sn_average,sn_best,national,top_quartile,regional,year
    Social Care,1.13,,,81.8%,99.7%,83.8%,91.7%,79.9%,2020/21

Rows are matched like rules (sheet + ref + part, else the title).  Figures
written with ``%`` become fractions, as Excel stores them; placeholders such
as ``-`` or DfE's suppression codes are kept as text, never turned into 0.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .changes import NO_VALUE, CellChange
from .errors import CypsError
from .layout import BENCHMARK_KEYS
from .reader import ScoreTable
from .rules import Style, normalise
from .values import read_cell

REQUIRED = {"sheet", "ref"}


@dataclass(frozen=True)
class BenchmarkRow:
    sheet: str
    ref: str
    part: str
    title: str
    values: dict  # key -> number or placeholder text
    year: str | None
    line: int


def load_benchmarks(path: Path) -> list[BenchmarkRow]:
    path = Path(path)
    if not path.exists():
        raise CypsError("file not found.", file=path, hint="Check the --benchmarks path.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = {f.strip().lower() for f in reader.fieldnames or []}
            missing = REQUIRED - fields
            if missing or not fields & set(BENCHMARK_KEYS):
                raise CypsError(
                    f"the columns are {', '.join(sorted(fields)) or 'missing'}; expected sheet, ref and at least one of "
                    f"{', '.join(BENCHMARK_KEYS)}.", file=path, place="line 1",
                    hint="Use the layout of workbook_templates/data/sample_benchmarks.csv.",
                )
            rows = []
            for line, raw in enumerate(reader, start=2):
                record = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
                values = {}
                for key in BENCHMARK_KEYS:
                    text = record.get(key, "")
                    if text == "":
                        continue
                    reading = read_cell(text)
                    values[key] = reading.number if reading.present else reading.reason
                rows.append(BenchmarkRow(record["sheet"], record["ref"], record.get("part", ""), record.get("title", ""),
                                         values, record.get("year") or None, line))
            return rows
    except UnicodeDecodeError:
        raise CypsError("is not UTF-8 text.", file=path, hint="Save the CSV as UTF-8.") from None


def benchmark_changes(table: ScoreTable, rows: list[BenchmarkRow], style: Style) -> list[CellChange]:
    mine = [b for b in rows if normalise(b.sheet) == normalise(table.sheet)]
    changes = []
    for row in table.rows:
        found = _match(mine, row.ref, row.part, row.title, row.first_in_block)
        if found is None:
            continue
        for key, value in found.values.items():
            if key in table.columns:
                changes.append(CellChange(table.sheet, row.row, table.columns[key], value, None))
    return changes


def _match(rows, ref, part, title, first_in_block):
    same = [b for b in rows if b.ref == (ref or "")]
    if part:
        hit = [b for b in same if b.part and normalise(b.part) == normalise(part)]
        if len(hit) == 1:
            return hit[0]
    if title:
        hit = [b for b in same if b.title and normalise(b.title) == normalise(title)]
        if len(hit) == 1:
            return hit[0]
    plain = [b for b in same if not b.part and not b.title]
    if first_in_block and len(plain) == 1:
        return plain[0]
    return None


__all__ = ["load_benchmarks", "benchmark_changes", "NO_VALUE"]
