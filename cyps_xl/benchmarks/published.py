"""Benchmark figures typed from published reports, and the rows every benchmark source gives.

A **published figures** file is a CSV (or a YAML list) with one row per scorecard row, typed from DfE
releases or a council's own report::

    sheet,ref,part,title,sn_average,sn_best,national,top_quartile,regional,year
    Social Care,1.13,,,81.8%,99.7%,83.8%,91.7%,79.9%,2020/21

Placeholders and DfE's suppression codes are kept as text, never turned into 0.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from cyps_xl.benchmarks.dfe_files import SUPPRESSION_CODES, read_header
from cyps_xl.engine.rules import normalise
from cyps_xl.engine.values import is_placeholder, read_cell
from cyps_xl.engine.yamlfile import load_yaml
from cyps_xl.errors import CypsError
from cyps_xl.workbook.layout import BENCHMARK_KEYS

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
    computed: tuple = ()  # keys computed from authorities because the file had no published row
    # computed from DfE's files: the figures a polarity decides, by the row's polarity (None: the rules' own),
    # and how `top_quartile: beyond` steps ((decimals pinned or None, the file's decimals, percent unit))
    polar: dict | None = None
    beyond: tuple | None = None
    match_title: str | None = None  # the library's title for the row: a report with its own references matches it
    targets: tuple = ()  # columns filled even over what the team typed there (a published row: every one it gives)
    region: str | None = None  # computed: the region whose row the regional figure is


@dataclass
class BenchmarkSource:
    path: Path
    rows: list = field(default_factory=list)
    neighbour_set: str | None = None
    notes: list = field(default_factory=list)  # for the run report: files no measure reads, newer data left out


def load_published(path: Path) -> BenchmarkSource:
    if path.suffix.lower() in (".yaml", ".yml"):
        return _published_yaml(path)
    read_header(path)  # one clear message for a file that is not UTF-8 text
    return _published_csv(path)


def _published_csv(path: Path) -> BenchmarkSource:
    try:
        return _read_published_csv(path)
    except UnicodeDecodeError as exc:
        raise CypsError(f"is not UTF-8 text (byte {exc.start + 1} cannot be read).", file=path,
                        hint="Save the CSV as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8).") from None
    except csv.Error as exc:
        raise CypsError(f"cannot be read as CSV ({exc}).", file=path, hint="Save the CSV again as 'CSV UTF-8'.") from None


def _read_published_csv(path: Path) -> BenchmarkSource:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        _check_columns(reader.fieldnames, path, "line 1")
        rows = [_published_row({k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}, line, path)
                for line, raw in enumerate(reader, start=2)]
    _check_duplicate_rows(rows, path)
    return BenchmarkSource(path, rows)


def _check_columns(names, path, place: str) -> None:
    fields = {str(f).strip().lower() for f in names or [] if f not in (None, "")}
    if REQUIRED - fields or not fields & set(BENCHMARK_KEYS):
        raise CypsError(
            f"the columns are {', '.join(sorted(fields)) or 'missing'}; expected sheet, ref and at least one of "
            f"{', '.join(BENCHMARK_KEYS)} (or a DfE open-data file with geographic_level).", file=path, place=place,
            hint="Use the layout of workbook_templates/data/sample_benchmarks.csv.",
        )


def published_from_rows(rows: list, file, place=lambda line: f"line {line}") -> BenchmarkSource:
    """Published figures laid out as the CSV is, but as rows already read (xlwings Lite, which has no files: a
    sheet's rows, or a CSV fetched from the web): the first row names the columns. ``place`` names a row in
    messages ("sheet 'cyps_xl.benchmarks', row 5")."""
    numbered = [(line, list(r)) for line, r in enumerate(rows, start=1) if any(v not in (None, "") for v in r)]
    header = numbered[0][1] if numbered else []
    _check_columns(header, file, place(numbered[0][0] if numbered else 1))
    names = [str(h).strip().lower() if h not in (None, "") else "" for h in header]
    found = []
    for line, raw in numbered[1:]:
        record = {name: _cell_text(name, value) for name, value in zip(names, raw) if name}
        found.append(_published_row(record, line, file, place=place(line)))
    _check_duplicate_rows(found, file, place)
    return BenchmarkSource(file, found)


def _cell_text(name: str, value):
    """A sheet cell as the CSV would hold it: a figure stays a number (0.818 in a % cell), a reference or year
    typed as a number (3.1, 2021) is its text."""
    if value is None:
        return ""
    if isinstance(value, float) and name not in BENCHMARK_KEYS:
        return format(value, ".15g")
    return value.strip() if isinstance(value, str) else value


def _published_yaml(path: Path) -> BenchmarkSource:
    data = load_yaml(path)
    items = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise CypsError("should have 'benchmarks:' with a list of rows (sheet, ref, sn_average, ... year).", file=path, place="line 1")
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            kind = "text" if isinstance(item, str) else "empty" if item is None else "a list" if isinstance(item, list) \
                else "a single value"
            raise CypsError(f"this item is {kind}, not a row of "
                            "figures.", file=path, place=f"line {items.line_of(index)}",
                            hint="Write each row as a mapping: - {sheet: Social Care, ref: '3.14', national: 68%, year: 2020/21}")
        record = {str(k).lower(): ("" if v is None else str(v)) for k, v in item.items()}
        if not record.get("sheet") or not record.get("ref"):
            raise CypsError("each benchmark needs sheet and ref.", file=path, place=f"line {item.line}")
        rows.append(_published_row(record, item.line, path))
    _check_duplicate_rows(rows, path)
    return BenchmarkSource(path, rows)


def _published_row(record: dict, line: int, path: Path, place: str | None = None) -> BenchmarkRow:
    values = {}
    for key in BENCHMARK_KEYS:
        text = record.get(key, "")
        if text == "":
            continue
        reading = read_cell(text)
        if not reading.present and not (is_placeholder(text) or text.strip().lower() in SUPPRESSION_CODES):
            raise CypsError(f"the value '{text}' in column {key} is neither a number nor a placeholder ('-', 'n/a') "
                            "or DfE code.", file=path, place=place or f"line {line}",
                            hint="Type the figure (68.0% or 0.68), or '-' when there is none.")
        values[key] = reading.number if reading.present else reading.reason
    return BenchmarkRow(record.get("sheet", ""), record.get("ref", ""), record.get("part", ""), record.get("title", ""),
                        values, record.get("year") or None, line, targets=tuple(values))


def _check_duplicate_rows(rows, path: Path, place=lambda line: f"line {line}") -> None:
    seen = {}
    for row in rows:
        key = (normalise(row.sheet), row.ref, normalise(row.part), normalise(row.title))
        if key in seen:
            raise CypsError(f"ref {row.ref} of sheet '{row.sheet}' is given twice (also on {place(seen[key])}).",
                            file=path, place=place(row.line), hint="Keep one row per scorecard row.")
        seen[key] = row.line
