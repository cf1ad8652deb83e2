"""Benchmarks computed from local-authority data in DfE's open-data layout.

A DfE open-data CSV has one row per time period and geography::

    time_period,time_identifier,geographic_level,country_name,region_name,old_la_code,new_la_code,la_name,<values...>

Columns are found by name, not position.  ``rules/benchmarks.yaml`` says who
"we" are, names our statistical-neighbour sets (dated, versioned) and maps
value columns to scorecard rows.  DfE's suppression and missing codes
(``x z c low k u ~ : - ..``) are missing values, never zeros.  The
statistics themselves are in :mod:`cyps_xl.benchstats`.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import benchstats
from .errors import CypsError
from .rules import BUNDLED_RULES, RuleBook, normalise
from .yamlfile import check_keys, load_yaml

SUPPRESSION_CODES = frozenset({"x", "z", "c", "low", "k", "u", "~", ":", "-", ".."})
REQUIRED_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_name", "region_name",
                    "old_la_code", "new_la_code", "la_name")
METADATA_COLUMNS = set(REQUIRED_COLUMNS) | {"country_code", "region_code", "la_code", "lad_code", "lad_name"}
CONFIG_KEYS = {"our_authority", "neighbour_set", "average", "max_age_years", "neighbour_sets", "measures"}
SET_KEYS = {"name", "authority", "adopted", "members", "source"}
MEASURE_KEYS = {"column", "sheet", "ref", "part", "title", "unit"}
NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Authority:
    name: str
    old_code: str
    new_code: str
    region: str


@dataclass
class NeighbourSet:
    name: str
    authority: Authority
    adopted: dt.date
    members: list
    line: int


@dataclass
class BenchmarkConfig:
    path: Path
    our: Authority
    sets: list
    choice: str
    average: str
    max_age_years: int | None
    measures: list = field(default_factory=list)

    def set_for(self, when: dt.date | None) -> NeighbourSet:
        mine = [s for s in self.sets if s.authority == self.our]
        if not mine:
            raise CypsError(f"no neighbour set is given for {self.our.name}.", file=self.path,
                            hint="Add one under neighbour_sets with authority: " + self.our.name)
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
    return [Authority(r["la_name"], r["old_la_code"], r["new_la_code"], r["region_name"]) for r in csv.DictReader(io.StringIO(text))]


class AuthorityIndex:
    def __init__(self, authorities):
        self.by_key = {}
        for la in authorities:
            for key in (normalise(la.name), la.old_code, la.new_code.upper()):
                self.by_key[key] = la

    def find(self, text) -> Authority | None:
        key = str(text).strip()
        return self.by_key.get(key) or self.by_key.get(key.upper()) or self.by_key.get(normalise(key))


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
    sets = []
    for item in data.get("neighbour_sets") or []:
        check_keys(item, SET_KEYS, path, "a neighbour set")
        owner = index.find(item.get("authority", "")) if item.get("authority") else our
        if owner is None:
            raise CypsError(f"unknown authority '{item.get('authority')}'.", file=path, place=f"line {item.line_of('authority')}")
        members = []
        for name in item.get("members") or []:
            found = index.find(name)
            if found is None:
                raise CypsError(f"unknown authority '{name}' in the neighbour set '{item.get('name')}'.", file=path,
                                place=f"line {getattr(item.get('members'), 'line', item.line)}",
                                hint="Spell it as in rules/local_authorities.csv (or give its code).")
            members.append(found)
        adopted = item.get("adopted")
        if not isinstance(adopted, dt.date):
            raise CypsError("'adopted' should be a date such as 2025-05-01.", file=path, place=f"line {item.line_of('adopted')}")
        sets.append(NeighbourSet(str(item.get("name")), owner, adopted, members, item.line))
    average = str(data.get("average", "mean")).lower()
    if average not in ("mean", "median"):
        raise CypsError(f"average is '{average}'; use mean or median.", file=path, place=f"line {data.line_of('average')}")
    measures = []
    for item in data.get("measures") or []:
        check_keys(item, MEASURE_KEYS, path, "a measure")
        if not item.get("column") or not (item.get("ref") or item.get("title")):
            raise CypsError("a measure needs a column and a ref (or title).", file=path, place=f"line {item.line}")
        if item.get("unit") not in (None, "percent", "number"):
            raise CypsError(f"unit is '{item.get('unit')}'; use percent or number.", file=path, place=f"line {item.line_of('unit')}")
        measures.append(item)
    age = data.get("max_age_years")
    return BenchmarkConfig(path, our, sets, str(data.get("neighbour_set", "in force")), average,
                           int(age) if age is not None else None, measures)


@dataclass
class LaTable:
    path: Path
    columns: list
    # (column, period) -> {"national": v, "regions": {name: v}, "las": {Authority: v}}
    cells: dict = field(default_factory=dict)
    periods: dict = field(default_factory=dict)  # column -> sorted periods with any data


def period_label(text: str) -> str:
    text = str(text).strip()
    if re.fullmatch(r"\d{6}", text):
        return f"{text[:4]}/{text[4:]}"
    return text


def read_la_data(path: Path, authorities: list[Authority]) -> LaTable:
    path = Path(path)
    index = AuthorityIndex(authorities)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise CypsError("is empty.", file=path, hint="Download the file again from DfE's statistics service.") from None
        lowered = [h.lower() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in lowered]
        if missing:
            raise CypsError(f"has no {', '.join(missing)} column(s).", file=path, place="line 1",
                            hint="Use the tidy CSV of DfE's open-data downloads (one row per period and geography).")
        position = {name: lowered.index(name) for name in REQUIRED_COLUMNS}
        values = [i for i, name in enumerate(lowered) if name not in METADATA_COLUMNS]
        table = LaTable(path, [header[i] for i in values])
        seen = {}
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise CypsError(f"has {len(row)} fields where the header has {len(header)}.", file=path, place=f"line {line}")
            level = row[position["geographic_level"]].strip().lower()
            period = period_label(row[position["time_period"]])
            if level == "national":
                key = ("national", None)
            elif level == "regional":
                key = ("regional", row[position["region_name"]].strip())
            elif level in ("local authority", "local_authority", "la"):
                la = index.find(row[position["new_la_code"]]) or index.find(row[position["old_la_code"]]) \
                    or index.find(row[position["la_name"]])
                if la is None:
                    continue  # an authority that no longer exists (e.g. before a reorganisation)
                key = ("la", la)
            else:
                continue
            ident = (period, row[position["time_identifier"]].strip(), key)
            if ident in seen:
                raise CypsError(f"repeats the row of line {seen[ident]} (same period and geography).", file=path,
                                place=f"line {line}", hint="Remove the duplicate row.")
            seen[ident] = line
            for i in values:
                raw = row[i].strip()
                column = header[i]
                if raw.lower() in SUPPRESSION_CODES or raw == "":
                    value = None  # suppressed or missing: never zero
                elif NUMBER.match(raw.replace(",", "")):
                    value = float(raw.replace(",", ""))
                else:
                    raise CypsError(f"the value '{raw}' in column {column} is neither a number nor a DfE missing-value code.",
                                    file=path, place=f"line {line}",
                                    hint="Missing or suppressed values are written x, z, c, low, k, u, ~, :, - or ..")
                cell = table.cells.setdefault((column, period), {"national": None, "regions": {}, "las": {}})
                if key[0] == "national":
                    cell["national"] = value
                elif key[0] == "regional":
                    cell["regions"][key[1]] = value
                else:
                    cell["las"][key[1]] = value
                if value is not None:
                    table.periods.setdefault(column, set()).add(period)
    table.periods = {c: sorted(p) for c, p in table.periods.items()}
    return table


@dataclass(frozen=True)
class ComputedBenchmark:
    sheet: str
    ref: str | None
    part: str | None
    title: str | None
    year: str
    unit: str | None
    comparators: benchstats.Comparators
    our_value: float | None


def compute(table: LaTable, config: BenchmarkConfig, rules: RuleBook, when: dt.date | None = None):
    """Comparators for every mapped measure, from the latest period that has data."""
    chosen = config.set_for(when)
    results = []
    for measure in config.measures:
        column = measure["column"]
        if column not in table.columns:
            raise CypsError(f"the measure column '{column}' is not in {table.path.name}.", file=config.path,
                            place=f"line {measure.line_of('column')}",
                            hint=f"Columns in the file: {', '.join(table.columns)}.")
        periods = table.periods.get(column)
        if not periods:
            continue
        period = periods[-1]
        cell = table.cells[(column, period)]
        rule = rules.match(measure["sheet"], str(measure.get("ref")) if measure.get("ref") else None,
                           measure.get("part"), measure.get("title"))
        polarity = rule.polarity if rule else "info"
        everyone = list(cell["las"].values())
        neighbours = [cell["las"].get(la) for la in chosen.members]
        ours = cell["las"].get(config.our)
        national, national_computed = cell["national"], False
        if national is None and any(v is not None for v in everyone):
            national, national_computed = benchstats.neighbour_average(everyone), True
        regional = cell["regions"].get(config.our.region)
        regional_computed = False
        if regional is None:
            same_region = [v for la, v in cell["las"].items() if la.region == config.our.region]
            if any(v is not None for v in same_region):
                regional, regional_computed = benchstats.neighbour_average(same_region), True
        comparators = benchstats.Comparators(
            sn_average=benchstats.neighbour_average(neighbours, config.average),
            sn_best=benchstats.best_neighbour(neighbours, polarity),
            national=national,
            top_quartile=benchstats.top_quartile_threshold(everyone, polarity),
            regional=regional,
            quartile_band=benchstats.quartile_band(ours, everyone, polarity),
            national_rank=benchstats.national_rank(ours, everyone, polarity),
            national_computed=national_computed, regional_computed=regional_computed,
        )
        results.append(ComputedBenchmark(measure["sheet"], str(measure.get("ref")) if measure.get("ref") else None,
                                         measure.get("part"), measure.get("title"), period, measure.get("unit"),
                                         comparators, ours))
    return chosen, results
