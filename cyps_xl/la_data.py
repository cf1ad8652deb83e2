"""Benchmarks computed from DfE's local-authority open data.

``rules/benchmarks.yaml`` says who "we" are, names our statistical-neighbour
sets (dated, versioned) and lists the **measures**: which file, which filter
values, which indicator column feed which scorecard row::

    - sheet: Social Care
      ref: "3.2"
      file: cla_number_and_rate_per_10k_children.csv    # the name DfE publishes it under
      filters: {population_count: Children looked after at 31 March each year}
      column: rate_per_10000
      unit: number        # percent: the file gives 0-100, the scorecard stores fractions
      year: 2022          # optional pin; default the latest year with data, not after the scorecard

Reading the files is :mod:`cyps_xl.dfe_files`; the statistics are
:mod:`cyps_xl.benchstats`.  This module joins them: it picks each measure's
file and rows, the period, our neighbours, and computes the comparators.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import benchstats, dfe_files
from .errors import CypsError
from .rules import BUNDLED_RULES, RuleBook, normalise
from .yamlfile import check_keys, load_yaml

CONFIG_KEYS = {"our_authority", "neighbour_set", "average", "max_age_years", "neighbour_sets", "measures",
               "top_quartile"}
SET_KEYS = {"name", "authority", "adopted", "members", "source"}
MEASURE_KEYS = {"column", "sheet", "ref", "part", "title", "unit", "file", "filters", "aliases", "year", "decimals",
                "top_quartile"}
TOP_QUARTILE = ("boundary", "beyond")


@dataclass(frozen=True)
class Authority:
    name: str
    old_code: str
    new_code: str
    region: str
    region_code: str = ""


@dataclass
class NeighbourSet:
    name: str
    authority: Authority
    adopted: dt.date
    members: list
    line: int


@dataclass
class Measure:
    """One row of ``measures:``, validated, with the YAML lines for messages."""

    sheet: str
    ref: str | None
    part: str | None
    title: str | None
    column: str
    unit: str | None
    file: str | None
    filters: dict
    aliases: dict  # column as the measure names it -> other spellings seen in releases
    year: str | None
    decimals: int | None
    top_quartile: str
    line: int
    lines: dict  # key -> YAML line

    def describe(self) -> str:
        return f"the measure for {self.sheet} {self.ref or self.title}"

    def aliases_of(self, name: str) -> tuple:
        for key, others in self.aliases.items():
            if key.lower() == name.lower():
                return tuple(others)
        return ()


@dataclass
class BenchmarkConfig:
    path: Path
    our: Authority
    sets: list
    choice: str
    average: str
    max_age_years: int | None
    measures: list = field(default_factory=list)
    top_quartile: str = "boundary"

    def set_for(self, when: dt.date | None) -> NeighbourSet:
        mine = [s for s in self.sets if s.authority == self.our]
        if not mine:
            raise CypsError(f"no neighbour set is given for {self.our.name}.", file=self.path,
                            hint="Add one under neighbour_sets with authority: " + self.our.name
                                 + " (cyps-xl benchmarks neighbours writes it from DfE's groupings file).")
        if self.choice.strip().lower() != "in force":
            for item in mine:
                if item.name == self.choice:
                    return item
            raise CypsError(f"there is no neighbour set named '{self.choice}'.", file=self.path,
                            hint="Use 'in force' or one of: " + ", ".join(s.name for s in mine))
        when = when or dt.date.today()
        in_force = [s for s in mine if s.adopted <= when]
        return max(in_force or mine, key=lambda s: s.adopted) if in_force else min(mine, key=lambda s: s.adopted)


def load_authorities(path: Path | None = None) -> list[Authority]:
    path = Path(path) if path else BUNDLED_RULES / "local_authorities.csv"
    text = "".join(line for line in path.read_text(encoding="utf-8").splitlines(True) if not line.startswith("#"))
    return [Authority(r["la_name"], r["old_la_code"], r["new_la_code"], r["region_name"], r.get("region_code") or "")
            for r in csv.DictReader(io.StringIO(text))]


class AuthorityIndex:
    def __init__(self, authorities):
        self.codes, self.names = {}, {}
        for la in authorities:
            self.codes[la.old_code] = la
            self.codes[la.new_code.upper()] = la
            self.names[normalise(la.name)] = la

    def by_code(self, code: str) -> Authority | None:
        return self.codes.get(str(code).strip().upper())

    def find(self, text) -> Authority | None:
        """By code or by name (as typed in YAML or on the command line)."""
        key = str(text).strip()
        return self.by_code(key) or self.names.get(normalise(key))


def _text(item, key, path, what="a text") -> str | None:
    """A YAML scalar that must stay text: a reference typed 3.10 unquoted would become the number 3.1."""
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or (key == "ref" and not isinstance(value, (str, dict, list))):
        line = item.line_of(key)
        typed = _as_typed(path, line, key) or str(value)
        raise CypsError(f"{key} {typed} is read by YAML as the {type(value).__name__} {value!r}, not as text.", file=path,
                        place=f"line {line}", hint=f'Quote it: {key}: "{typed}".')
    if isinstance(value, (dict, list)):
        raise CypsError(f"{key} should be {what}, not a list or mapping.", file=path, place=f"line {item.line_of(key)}")
    return str(value)


def _as_typed(path: Path, line: int, key: str) -> str | None:
    """The scalar as the user typed it on that line (3.10 stays 3.10)."""
    try:
        text = Path(path).read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    found = re.search(rf"\b{re.escape(key)}\s*:\s*([^,}}#\s]+)", text)
    return found.group(1) if found else None


def load_config(path: Path, authorities: list[Authority] | None = None) -> BenchmarkConfig:
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise CypsError("should be a mapping with our_authority, neighbour_sets and measures.", file=path, place="line 1")
    check_keys(data, CONFIG_KEYS, path, "the benchmark settings")
    index = AuthorityIndex(authorities or load_authorities())
    our = index.find(data.get("our_authority", ""))
    if our is None:
        raise CypsError(f"unknown authority '{data.get('our_authority')}'.", file=path,
                        place=f"line {data.line_of('our_authority')}",
                        hint="Use a name or code from rules/local_authorities.csv.")
    sets = [_neighbour_set(item, index, our, path) for item in _list(data, "neighbour_sets", path)]
    average = str(data.get("average", "mean")).lower()
    if average not in ("mean", "median"):
        raise CypsError(f"average is '{average}'; use mean or median.", file=path, place=f"line {data.line_of('average')}")
    top = str(data.get("top_quartile", "boundary")).lower()
    if top not in TOP_QUARTILE:
        raise CypsError(f"top_quartile is '{top}'; use boundary or beyond.", file=path,
                        place=f"line {data.line_of('top_quartile')}")
    measures = [_measure(item, path, top) for item in _list(data, "measures", path)]
    age = data.get("max_age_years")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0):
        raise CypsError(f"max_age_years is {age!r}; give a whole number of years such as 2.", file=path,
                        place=f"line {data.line_of('max_age_years')}")
    return BenchmarkConfig(path, our, sets, str(data.get("neighbour_set", "in force")), average, age, measures, top)


def _list(data, key, path) -> list:
    items = data.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise CypsError(f"{key} should be a list of mappings (each item starting with '- ').", file=path,
                        place=f"line {data.line_of(key)}")
    return items


def _neighbour_set(item, index, our, path) -> NeighbourSet:
    check_keys(item, SET_KEYS, path, "a neighbour set")
    owner = index.find(item.get("authority", "")) if item.get("authority") else our
    if owner is None:
        raise CypsError(f"unknown authority '{item.get('authority')}'.", file=path, place=f"line {item.line_of('authority')}")
    members = []
    listed = item.get("members") or []
    if not isinstance(listed, list):
        raise CypsError("members should be a list of authorities, e.g. [Barnsley, Doncaster].", file=path,
                        place=f"line {item.line_of('members')}")
    for name in listed:
        found = index.find(name)
        if found is None:
            raise CypsError(f"unknown authority '{name}' in the neighbour set '{item.get('name')}'.", file=path,
                            place=f"line {getattr(listed, 'line', item.line)}",
                            hint="Spell it as in rules/local_authorities.csv (or give its code).")
        members.append(found)
    adopted = item.get("adopted")
    if not isinstance(adopted, dt.date):
        raise CypsError("'adopted' should be a date such as 2025-05-01.", file=path, place=f"line {item.line_of('adopted')}")
    return NeighbourSet(str(item.get("name")), owner, adopted, members, item.line)


def _year_label(value) -> str | None:
    """``2022`` -> 2022; ``202223``, ``2022/23`` or ``2022-23`` -> 2022/23, as the headings show it."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    text = str(value).strip()
    found = re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{2})", text)
    return dfe_files.period_label(found.group(1) + found.group(2) if found else text)


def _measure(item, path: Path, top_default: str) -> Measure:
    check_keys(item, MEASURE_KEYS, path, "a measure")
    column, ref, title = _text(item, "column", path), _text(item, "ref", path), _text(item, "title", path)
    if not column or not (ref or title) or not item.get("sheet"):
        raise CypsError("a measure needs sheet, column and ref (or title).", file=path, place=f"line {item.line}")
    unit = item.get("unit")
    if unit not in (None, "percent", "number"):
        raise CypsError(f"unit is '{unit}'; use percent (the file gives 0-100) or number.", file=path,
                        place=f"line {item.line_of('unit')}")
    filters = item.get("filters") or {}
    if not isinstance(filters, dict):
        raise CypsError("filters should be a mapping of filter column: value.", file=path, place=f"line {item.line_of('filters')}")
    for key, value in filters.items():
        if value is None or isinstance(value, (dict, list)):
            raise CypsError(f"the filter {key} should have one value (the text in the file).", file=path,
                            place=f"line {filters.line_of(key)}", hint="Run cyps-xl benchmarks inspect FILE to list the values.")
    aliases = item.get("aliases") or {}
    if not isinstance(aliases, dict):
        raise CypsError("aliases should map a column to its other names, e.g. {cla_group: [CLA_group]}.", file=path,
                        place=f"line {item.line_of('aliases')}")
    aliases = {str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in aliases.items()}
    year = _year_label(item.get("year"))
    if item.get("year") is not None and (year is None or dfe_files.period_end_year(year) is None):
        raise CypsError(f"year is {item.get('year')!r}; give 2022 or 2022/23.", file=path, place=f"line {item.line_of('year')}")
    decimals = item.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6):
        raise CypsError(f"decimals is {decimals!r}; give a whole number from 0 to 6.", file=path,
                        place=f"line {item.line_of('decimals')}")
    top = str(item.get("top_quartile", top_default)).lower()
    if top not in TOP_QUARTILE:
        raise CypsError(f"top_quartile is '{top}'; use boundary or beyond.", file=path, place=f"line {item.line_of('top_quartile')}")
    lines = dict(item.key_lines)
    lines.update({f"filter:{k}": filters.line_of(k) for k in filters} if filters else {})
    return Measure(str(item["sheet"]), ref, _text(item, "part", path), title, column, unit, _text(item, "file", path),
                   {str(k): str(v) for k, v in filters.items()}, aliases, year, decimals, top, item.line, lines)


# -- computing -----------------------------------------------------------------------
@dataclass(frozen=True)
class ComputedBenchmark:
    measure: Measure
    year: str
    comparators: benchstats.Comparators
    our_value: float | None

    sheet = property(lambda self: self.measure.sheet)
    ref = property(lambda self: self.measure.ref)
    part = property(lambda self: self.measure.part)
    title = property(lambda self: self.measure.title)
    unit = property(lambda self: self.measure.unit)


@dataclass
class Computed:
    chosen: NeighbourSet
    by_file: dict  # Path -> [ComputedBenchmark]
    notes: list


def assign(measures: list, files: list, config_path: Path) -> tuple[dict, list]:
    """Which given file each measure reads: the one it names, else the one file that has its column."""
    by_name = {}
    for dfe in files:
        by_name.setdefault(dfe.path.name.lower(), dfe)
    plan: dict = {}
    notes = []
    for measure in measures:
        if measure.file:
            dfe = by_name.get(Path(measure.file).name.lower())
            if dfe is None:
                continue  # that file was not given this run
        else:
            having = [f for f in files if f.column(measure.column, measure.aliases_of(measure.column))]
            if len(having) > 1:
                raise CypsError(f"{measure.describe()} has no file, and its column '{measure.column}' is in "
                                f"{len(having)} files: {', '.join(f.path.name for f in having)}.", file=config_path,
                                place=f"line {measure.line}", hint="Add file: with the one it should read.")
            if not having:
                continue
            dfe = having[0]
        plan.setdefault(dfe.path, (dfe, []))[1].append(measure)
    for dfe in files:
        if dfe.path not in plan:
            notes.append(f"No measure in {config_path.name} reads {dfe.path.name}; "
                         f"'cyps-xl benchmarks inspect {dfe.path.name}' helps write one.")
    return plan, notes


def selection_for(dfe, rows, measure: Measure, index, config_path: Path):
    """Resolve the measure's column and filters against the file, then select its rows."""
    def where(text, key=None):
        line = measure.lines.get(key) or measure.lines.get(str(key).split(":")[0] + "s") or measure.line
        return CypsError(f"{measure.describe()}: {text}", file=config_path, place=f"line {line}",
                         hint=f"Run: cyps-xl benchmarks inspect {dfe.path.name}")

    column = dfe.column(measure.column, measure.aliases_of(measure.column))
    if column is None:
        raise where(f"the column '{measure.column}' is not in {dfe.path.name} (its indicator columns: "
                    f"{', '.join(dfe.indicators) or 'none'}).", "column")
    chosen = {}
    for name, value in measure.filters.items():
        actual = dfe.column(name, measure.aliases_of(name))
        if actual is None:
            raise where(f"the filter column '{name}' is not in {dfe.path.name} (its filter columns: "
                        f"{', '.join(dfe.filters) or 'none'}).", f"filter:{name}")
        values = rows.values.get(actual, [])
        if normalise(value) not in {normalise(v) for v in values}:
            raise where(f"no row of {dfe.path.name} has {actual} = '{value}'; its values are: "
                        f"{_listing(values)}.", f"filter:{name}")
        chosen[actual] = value
    for actual in dfe.filters:
        if actual in chosen or actual == column:
            continue
        values = rows.values.get(actual, [])
        total = next((v for v in values if normalise(v) == "total"), None)
        if total is None and len(values) > 1:
            raise where(f"leaves out the filter column '{actual}', which has no Total row; choose one of: "
                        f"{_listing(values)}.", "filters")
        if total is not None or values:
            chosen[actual] = total or values[0]
    return dfe_files.select(dfe, rows.frame, column=column, filters=chosen, index=index,
                            where=lambda text: where(text, "filters"))


def _listing(values, most=25) -> str:
    shown = "; ".join(f"'{v}'" for v in values[:most])
    return shown + (f"; and {len(values) - most} more" if len(values) > most else "")


def compute_files(paths, config: BenchmarkConfig, rules: RuleBook, when: dt.date | None = None,
                  authorities: list | None = None) -> Computed:
    """Comparators for every measure that one of ``paths`` (EES files) feeds."""
    index = AuthorityIndex(authorities or load_authorities())
    files = [dfe_files.open_file(p) for p in paths]
    plan, notes = assign(config.measures, files, config.path)
    chosen = config.set_for(when)
    by_file = {}
    for path, (dfe, measures) in plan.items():
        needed, wanted = set(dfe.filters), []
        for m in measures:
            needed.add(dfe.column(m.column, m.aliases_of(m.column)) or "")
            pairs = {dfe.column(k, m.aliases_of(k)): v for k, v in m.filters.items()}
            wanted.append({k: v for k, v in pairs.items() if k in dfe.filters})
        rows = dfe_files.read_columns(dfe, needed, wanted)
        results, lines = [], set()
        for measure in measures:
            selection = selection_for(dfe, rows, measure, index, config.path)
            lines.update(selection.lines)
            result, note = _compute(selection, measure, config, chosen, rules, when)
            if note and note not in notes:
                notes.append(note)
            if result:
                results.append(result)
        dfe_files.check_field_counts(dfe, lines)
        by_file[path] = results
    return Computed(chosen, by_file, notes)


def _pick_period(selection, measure: Measure, config: BenchmarkConfig, when: dt.date | None):
    years = selection.with_data()
    if measure.year:
        if measure.year not in years:
            raise CypsError(f"{measure.describe()}: {selection.file.name} has no figures for {measure.year} in this "
                            f"selection (years with data: {', '.join(years) or 'none'}).", file=config.path,
                            place=f"line {measure.lines.get('year', measure.line)}")
        return measure.year, None
    # the latest period that had ended before the scorecard's month: a March 2022 scorecard
    # cannot quote the year to 31 March 2022, whatever the file now holds
    start = when.replace(day=1) if when else None
    allowed = [p for p in years if start is None
               or (dfe_files.period_end(p, selection.identifiers.get(p, "")) or dt.date.min) < start]
    if not allowed:
        return None, (f"{measure.describe()}: {selection.file.name} has no figures up to {when:%B %Y}"
                      if when and years else f"{measure.describe()}: {selection.file.name} has no figures.")
    newer = [p for p in years if p not in allowed]
    note = (f"{selection.file.name}: figures for {', '.join(newer)} are not used: they reach "
            f"the scorecard's month ({when:%B %Y}) or later.") if newer else None
    return allowed[-1], note


def _compute(selection, measure: Measure, config: BenchmarkConfig, chosen: NeighbourSet, rules: RuleBook, when):
    period, note = _pick_period(selection, measure, config, when)
    if period is None:
        return None, note
    cell = selection.periods[period]
    rule = rules.match(measure.sheet, measure.ref, measure.part, measure.title)
    polarity = rule.polarity if rule else "info"
    everyone = list(cell["las"].values())
    neighbours = [cell["las"].get(la) for la in chosen.members]
    ours = cell["las"].get(config.our)
    national, national_computed = cell["national"], False
    if national is None and any(v is not None for v in everyone):
        national, national_computed = benchstats.neighbour_average(everyone), True
    regions = cell["regions"]
    regional = regions.get(config.our.region_code.upper()) if config.our.region_code else None
    if regional is None:
        regional = regions.get("name:" + normalise(config.our.region))
    regional_computed = False
    if regional is None:
        same_region = [v for la, v in cell["las"].items() if la.region == config.our.region]
        if any(v is not None for v in same_region):
            regional, regional_computed = benchstats.neighbour_average(same_region), True
    top = benchstats.top_quartile_threshold(everyone, polarity)
    if measure.top_quartile == "beyond":
        top = benchstats.beyond(top, measure.decimals if measure.decimals is not None else cell["decimals"], polarity)
    comparators = benchstats.Comparators(
        sn_average=benchstats.neighbour_average(neighbours, config.average),
        sn_best=benchstats.best_neighbour(neighbours, polarity),
        national=national,
        top_quartile=top,
        regional=regional,
        quartile_band=benchstats.quartile_band(ours, everyone, polarity),
        national_rank=benchstats.national_rank(ours, everyone, polarity),
        national_computed=national_computed, regional_computed=regional_computed,
    )
    return ComputedBenchmark(measure, period, comparators, ours), note
