"""Benchmark sources and filling the LATEST BENCHMARKING columns.

Two kinds of source, both given with ``--benchmarks`` (repeatable; a later
source wins where two give the same cell):

* **published figures** - a CSV (or YAML list) with one row per scorecard row,
  typed from DfE releases (:mod:`cyps_xl.benchmarks.published`);

* **local-authority data** - a CSV in DfE's open-data layout
  (``geographic_level``, ``la_name``...), from which the comparators are
  computed for "our" authority (:mod:`cyps_xl.benchmarks.measures`,
  :mod:`cyps_xl.benchmarks.stats`), as configured in ``rules/benchmarks.yaml``.

Filling writes each value in the row's number format, puts the data year in
the column heading (``Nat av. 2021/22``), notes the neighbour set and source
in the title block, and flags (italic) figures older than ``max_age_years``.
Placeholders and suppression codes are kept as text, never turned into 0.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from pathlib import Path

from cyps_xl.benchmarks.dfe_files import is_ees_header, period_label, read_header, year_as_shown
from cyps_xl.benchmarks.published import BenchmarkRow, BenchmarkSource, load_published
from cyps_xl.benchmarks.stats import beyond
from cyps_xl.engine.rules import RuleBook, TitleKeys, normalise
from cyps_xl.engine.values import GENERAL, format_precision
from cyps_xl.errors import CypsError, listed
from cyps_xl.workbook.changes import CellChange
from cyps_xl.workbook.layout import BENCHMARK_KEYS, HEADING_YEAR
from cyps_xl.cellref import split_ref
from cyps_xl.workbook.cellstyle import CellStyle
from cyps_xl.workbook.reader import ScoreTable


def load_benchmarks(paths, rules: RuleBook | None = None, when: dt.date | None = None) -> list[BenchmarkSource]:
    """Every source given with ``--benchmarks``: files, or folders (every CSV in them), in the order given; or
    sources already read, as they are.

    DfE open-data files (EES's tidy CSVs) are read together, each by the
    measures of ``benchmarks.yaml`` that name it; published-figure CSV/YAML
    files are read as they are.
    """
    if paths is None:
        return []
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if paths and all(isinstance(given, BenchmarkSource) for given in paths):
        return list(paths)  # already read (xlwings Lite's, from a sheet or a fetched CSV)
    files, passed_over = [], []
    for given in map(Path, paths):
        if given.is_dir():
            found = sorted(p for p in given.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                raise CypsError("this folder has no CSV file.", file=given, hint="Put DfE's CSV downloads in it.")
            # a download folder also holds other CSVs (DfE's neighbour groupings, notes): those are passed over
            kept = [f for f in found if _is_benchmark_file(f)]
            passed_over += [f for f in found if f not in kept]
            files += kept
        elif not given.exists():
            raise CypsError("file not found.", file=given, hint="Check the --benchmarks path.")
        else:
            files.append(given)
    ees = [f for f in files if f.suffix.lower() == ".csv" and is_ees_header(_header(f))]
    sources = {f: None for f in files}
    if ees:
        for source in _from_dfe_files(ees, rules, when):
            sources[source.path] = source
    loaded = [sources[f] if f in ees else load_published(f) for f in files if f not in ees or sources[f] is not None]
    if passed_over and loaded:
        loaded[0].notes.append(f"Not benchmark data, passed over: {', '.join(f.name for f in passed_over)} "
                               "(DfE's statistical-neighbour groupings go in with 'cyps-xl benchmarks neighbours').")
    return loaded


def _is_benchmark_file(path: Path) -> bool:
    """A CSV in a benchmarks folder that cyps-xl reads: DfE's tidy open data, or published figures (sheet, ref)."""
    header = {h.strip().lower() for h in _header(path)}
    return "geographic_level" in header or ({"sheet", "ref"} <= header and bool(header & set(BENCHMARK_KEYS)))


def _header(path: Path) -> list:
    header = read_header(path)
    if not header:
        raise CypsError("is empty.", file=path, hint="Download the file again, or remove it from the benchmarks folder.")
    return header


def _from_dfe_files(paths: list, rules: RuleBook | None, when) -> list[BenchmarkSource]:
    from cyps_xl.benchmarks import measures
    from cyps_xl.engine.rules import load_rules

    rules = rules or load_rules()
    config = measures.load_config(rules.benchmark_config)
    computed = measures.compute_files(paths, config, rules, when)
    sources = []
    for path in paths:
        rows = [_computed_row(item) for item in computed.by_file.get(path, [])]
        chosen = computed.chosen.name if computed.chosen and rows else None
        sources.append(BenchmarkSource(path, rows, neighbour_set=chosen))
    if sources:
        sources[0].notes += computed.notes
    return sources


def _computed_row(item) -> BenchmarkRow:
    scale = 100.0 if item.unit == "percent" else 1.0

    def figures(c, keys) -> dict:
        # rounded to 12 places: 22.58 / 100 is stored 0.2258, not 0.22580000000000006
        values = {key: round(getattr(c, key) / scale, 12) for key in keys
                  if key in _NUMBERS and getattr(c, key) is not None}
        values.update({key: getattr(c, key) for key in keys if key not in _NUMBERS and getattr(c, key)})
        return values

    c = item.comparators
    values = figures(c, ("sn_average", "national", "regional"))
    polar = {None: figures(c, _POLAR)}
    polar.update({polarity: figures(found, _POLAR) for polarity, found in (item.by_polarity or {}).items()})
    beyond = (item.measure.decimals, item.decimals, item.unit == "percent") if item.measure.top_quartile == "beyond" else None
    flags = tuple(k for k, f in (("national", c.national_computed), ("regional", c.regional_computed)) if f)
    return BenchmarkRow(item.sheet, item.ref or "", item.part or "", item.title or "", values,
                        year_as_shown(item.year, item.identifier), item.measure.line, flags, polar, beyond,
                        item.measure.title or item.rule_title, item.measure.columns, item.region)


_NUMBERS = ("sn_average", "sn_best", "national", "top_quartile", "regional")
_POLAR = ("sn_best", "top_quartile", "quartile_band", "national_rank")  # what a row's polarity decides


def figures_for(found: BenchmarkRow, polarity: str | None, number_format: str | None) -> dict:
    """A computed row's figures for the polarity its scorecard row is rated with; the top quartile stepped
    (``beyond``) at the places the row's cell displays, else the measure's ``decimals``, else the file's."""
    if found.polar is None:
        return found.values
    polar = found.polar.get(polarity, {}) if polarity is not None else found.polar.get(None, {})
    values = {**found.values, **polar}
    if found.beyond and polarity in ("high", "low") and values.get("top_quartile") is not None:
        pinned, file_decimals, percent_unit = found.beyond
        shown, percent_format = format_precision(number_format)
        decimals = pinned
        if decimals is None:
            same_units = shown is not GENERAL and percent_format == percent_unit
            decimals = shown if same_units else file_decimals
        scale = 100.0 if percent_unit else 1.0
        values["top_quartile"] = round(beyond(values["top_quartile"] * scale, decimals, polarity) / scale, 12)
    return values


def max_age_years(rules: RuleBook) -> int | None:
    """benchmarks.yaml's max_age_years: figures older than this are flagged."""
    from cyps_xl.benchmarks.measures import load_config

    return load_config(rules.benchmark_config).max_age_years if rules.benchmark_config else None


def for_view(source: BenchmarkSource, aliases: dict) -> BenchmarkSource:
    """The source as a report view sees it: each library row the view shows, under the view's sheet and
    reference (``aliases``: (normalised library sheet, ref) -> (view sheet, view ref)). Rows for indicators
    the view leaves out are not its business, so they are not reported as matching nothing."""
    rows = []
    for row in source.rows:
        target = aliases.get((normalise(row.sheet), row.ref))
        if target is not None:  # the view names its own rows: no title to agree with, none to match by
            rows.append(dataclasses.replace(row, sheet=target[0], ref=target[1], title="", match_title=None))
    return dataclasses.replace(source, rows=rows)


def unmatched_notes(sources: list, used: set, most: int = 10) -> list[str]:
    """A benchmark row that fills no scorecard row is named, never dropped without a word."""
    lost = [(s.path.name, b) for s in sources for b in s.rows if id(b) not in used]
    if not lost:
        return []
    named = "; ".join(f"{b.sheet} {b.ref or b.title}" + (f" ({name}, line {b.line})" if b.line else f" ({name})")
                      for name, b in lost[:most])
    more = f"; and {len(lost) - most} more" if len(lost) > most else ""
    return [f"{len(lost)} benchmark row(s) match no row of the scorecard: {named}{more}."]


# -- filling -----------------------------------------------------------------------
def benchmark_changes(table: ScoreTable, sources: list[BenchmarkSource], formats: dict | None = None,
                      max_age_years: int | None = None, used: set | None = None,
                      polarities: dict | None = None, titles: TitleKeys | None = None) -> tuple[list[CellChange], list[str]]:
    """Cell changes for one sheet, and notes for the run report.

    ``formats`` and ``polarities`` map a row to its number format and to the polarity it is rated with (the
    rules', else the sheet's own "Good perf is"); a figure computed from the authorities (because the file had
    no published England or region row) is shown with an asterisk through its number format, so the value stays
    a number.
    """
    formats = formats or {}
    polarities = polarities or {}
    titles = titles or TitleKeys()
    changes: list[CellChange] = []
    notes: list[str] = []
    filled: dict = {}  # (row, key) -> (value, year, computed, source)
    kept: dict = {}  # (row, key) -> what the team has there, which no measure targets
    for source in sources:
        mine = [b for b in source.rows if normalise(b.sheet) == normalise(table.sheet)]
        # by sheet and reference first (a title that disagrees is another indicator); a row of another report
        # (its own sheet and references) then takes a library row no row took, by title
        matches = {row.row: _match(mine, row.ref, row.part, row.title, row.first_in_block, titles) for row in table.rows}
        taken = {id(b) for b in matches.values() if b is not None}
        by_title = {}
        for b in source.rows:
            if (b.match_title or b.title) and id(b) not in taken:
                by_title.setdefault(titles.key(b.match_title or b.title), []).append(b)
        for row in table.rows:
            found = matches[row.row]
            if found is None and row.title:
                found = _match_title(by_title.get(titles.key(row.title), []), row.part, row.first_in_block)
            if found is None:
                continue
            if used is not None:
                used.add(id(found))
            for key, value in figures_for(found, polarities.get(row.row), formats.get(row.row)).items():
                earlier = filled.get((row.row, key))
                if not _may_fill(table, row, key, found, earlier[0] if earlier else None):
                    kept[(row.row, key)] = earlier[0] if earlier else (row.benchmarks or {}).get(key)
                    continue
                kept.pop((row.row, key), None)
                _refuse_percent_points(value, key, formats.get(row.row), table, row, found, source)
                filled[(row.row, key)] = (value, found.year, key in found.computed, source)
    notes += _kept_note(table, kept)
    if not filled:
        return changes, notes
    this_year = _year_start_of(table)
    years: dict = {}  # key -> Counter of data years
    for (r, key), (_value, year, _computed, _source) in filled.items():
        if key in table.columns:
            years.setdefault(key, Counter())[year] += 1
    # A heading names the commonest year only when the run writes every figure under it; else it keeps its own
    # year, and each figure from another year says its own beside it.
    whole = [key for key in years if all((row.row, key) in filled for row in table.rows
                                         if row.benchmarks and key in row.benchmarks)]
    heading_year = {key: counts.most_common(1)[0][0] if key in whole else _heading_year(table, key)
                    for key, counts in years.items()}
    stale_rows, own_year = set(), 0
    for (r, key), (value, year, computed, _source) in sorted(filled.items(), key=lambda item: item[0]):
        if key not in table.columns:
            continue
        stale = _is_stale(year, this_year, max_age_years)
        if stale:
            stale_rows.add(r)
        # A figure from another year than its heading's says its own year beside it, and stays a number.
        suffix = ("*" if computed else "") + (f" ({_short_year(year)})" if year and year != heading_year[key] else "")
        own_year += bool(year and year != heading_year[key])
        number_format = None
        if suffix:
            number_format = f'{formats.get(r) or "General"}"{suffix}"'
        changes.append(CellChange(table.sheet, r, table.columns[key], value,
                                  CellStyle(italic=stale, number_format=number_format)))
    for key in whole:
        year = heading_year[key]
        if key in table.titles and year:
            row, text = table.titles[key]
            base = HEADING_YEAR.sub("", text).strip() or text
            changes.append(CellChange(table.sheet, row, table.columns[key], f"{base} {year}", None))
    used_here = {id(v[3]) for v in filled.values()}  # only the files that filled a cell of this sheet are named
    sets = sorted({s.neighbour_set for s in sources if s.neighbour_set and id(s) in used_here})
    all_years = sorted({y for counts in years.values() for y in counts if y})
    computed = sorted({key for (_, key), v in filled.items() if v[2]})
    note = "Benchmarking: " + "; ".join(filter(None, [
        f"statistical neighbours: {', '.join(sets)}" if sets else None,
        f"data {', '.join(all_years)}" if all_years else None,
        "sources: " + ", ".join(s.path.name for s in sources if id(s) in used_here),
        f"italic = older than {max_age_years} years" if stale_rows else None,
        "* = computed from the authorities' figures (no published row)" if computed else None,
        "(year) = a figure from another year than its column's heading" if own_year else None,
    ]))
    place = _note_cell(table)
    if place:
        changes.append(CellChange(table.sheet, place[0], place[1], note, None))
    if stale_rows:
        notes.append(f"{len(stale_rows)} benchmark row(s) on '{table.sheet}' are older than {max_age_years} years "
                     f"(rows {', '.join(map(str, sorted(stale_rows)))}); they are shown in italic.")
    if computed:
        notes.append(f"'{table.sheet}': {', '.join(computed)} computed from authorities' figures (no published row); "
                     "shown with an asterisk.")
    return changes, notes


def _may_fill(table: ScoreTable, row, key: str, found: BenchmarkRow, earlier=None) -> bool:
    """A figure goes where a measure targets it; else not over a text the team typed ('-', 'n/a': in the
    cell, or in a published-figures file given before), and a region's figure not under a heading that names
    another body (RIA: an alliance's own figures)."""
    if key in found.targets:
        return True
    there = earlier if earlier is not None else (row.benchmarks.get(key) if row.benchmarks else None)
    if isinstance(there, str) and there.strip():
        return False
    if key == "regional" and found.region and key in table.titles:
        heading = HEADING_YEAR.sub("", str(table.titles[key][1])).strip().lower()
        return "region" in heading or heading.split()[:1] == found.region.lower().split()[:1] or not heading
    return True


def _refuse_percent_points(value, key: str, number_format, table: ScoreTable, row, found: BenchmarkRow, source) -> None:
    """A % row holds fractions: a benchmark of 81.8 there (typed without its %, or a measure without unit:
    percent) would print 8180.0%, so it is refused, naming where it came from."""
    if key not in _NUMBERS or not isinstance(value, (int, float)) or abs(value) <= 1:
        return
    if not format_precision(number_format)[1]:
        return
    where = {} if found.polar is not None else {"place": f"line {found.line}"}
    hint = ("Give its measure unit: percent in benchmarks.yaml (the file gives 0-100)." if found.polar is not None
            else f"Write it as {value:g}% (or {value / 100:g}).")
    raise CypsError(f"{key} {value:g} for '{table.sheet}' {row.ref or row.title} (row {row.row}), a % row, would "
                    f"print as {value * 100:g}%.", file=source.path, hint=hint, **where)


def _kept_note(table: ScoreTable, kept: dict) -> list[str]:
    """What a run did not write over, or under a heading that is another body's, said in the run report."""
    notes = []
    typed = {place: value for place, value in kept.items() if value is not None}
    if typed:
        keys = sorted({key for _, key in typed}, key=BENCHMARK_KEYS.index)
        cells = listed(f"row {r} {key} " + (f"('{value}')" if isinstance(value, str) else f"({value:g})")
                       for (r, key), value in sorted(typed.items()))
        notes.append(f"'{table.sheet}': {len(typed)} benchmark cell(s) kept as the team has them ({cells}). "
                     f"To fill them, list {' and '.join(keys)} under the measure's columns: in benchmarks.yaml.")
    empty = sorted(r for (r, key), value in kept.items() if value is None)
    if empty:
        heading = table.titles["regional"][1] if "regional" in table.titles else "regional"
        notes.append(f"'{table.sheet}': the region's figure is not written under '{heading}', a heading that names "
                     f"another body (rows {', '.join(map(str, empty))}). To fill it there, list regional under the "
                     f"measure's columns: in benchmarks.yaml.")
    return notes


def _heading_year(table: ScoreTable, key: str) -> str | None:
    """The year a heading already names, as the figures' years are written ('RIA 2019/20' -> 2019/20)."""
    found = HEADING_YEAR.search(str(table.titles[key][1])) if key in table.titles else None
    return period_label(found.group(0).strip(" ()")) if found else None


def _short_year(year: str) -> str:
    """A year as the council's report prints it beside a figure: 2019/20 -> 19/20 ("2.0% (19/20)")."""
    found = re.fullmatch(r"(?:19|20)(\d\d)/(?:(?:19|20))?(\d\d)", str(year).strip())
    return f"{found.group(1)}/{found.group(2)}" if found else str(year)


def _match(rows, ref, part, title, first_in_block, titles: TitleKeys):
    same = [b for b in rows if b.ref == (ref or "")]
    if title:  # a library row that names its indicator fills only a row of that title
        same = [b for b in same if not b.title or titles.key(b.title) == titles.key(title)]
    if part:
        hit = [b for b in same if b.part and normalise(b.part) == normalise(part)]
        if len(hit) == 1:
            return hit[0]
    if title:
        hit = [b for b in same if b.title and not b.part]
        if len(hit) == 1 and first_in_block:
            return hit[0]
    plain = [b for b in same if not b.part and not b.title]
    if first_in_block and len(plain) == 1:
        return plain[0]
    return None


def _match_title(candidates, part, first_in_block):
    """The one library row with this title, as :func:`_match` picks among one reference's rows: by part, else
    the row without a part for the first row of its block. Two alike are no match, never a guess."""
    if part:
        hit = [b for b in candidates if b.part and normalise(b.part) == normalise(part)]
        if len(hit) == 1:
            return hit[0]
    plain = [b for b in candidates if not b.part]
    return plain[0] if first_in_block and len(plain) == 1 else None


def _year_start_of(table: ScoreTable) -> int | None:
    latest = table.latest
    if latest is None or latest.date is None:
        return None
    return latest.date.year if latest.date.month >= 4 else latest.date.year - 1


def _is_stale(year: str | None, this_year: int | None, max_age: int | None) -> bool:
    if not year or this_year is None or max_age is None:
        return False
    found = re.match(r"(\d{4})", year)
    return bool(found) and this_year - int(found.group(1)) > max_age


def _note_cell(table: ScoreTable):
    """Where the title block says which benchmarks were used."""
    if "benchmarking" in table.title_block:
        return split_ref(table.title_block["benchmarking"][0])
    return (table.header_rows[0] - 1, 1) if table.header_rows[0] > 1 else None


__all__ = ["load_benchmarks", "benchmark_changes", "BenchmarkSource", "BenchmarkRow"]
