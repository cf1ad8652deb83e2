"""benchmarks.yaml: who "we" are, our dated neighbour sets, and the measures (file, filters, column -> row).

Every value is validated on load and every problem names the YAML line.
The English local authorities (``rules/local_authorities.csv``) are here too:
every code and name in a file or the settings is looked up through them.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path


from cyps_xl.benchmarks import dfe_files
from cyps_xl.errors import CypsError
from cyps_xl.engine.rules import BUNDLED_RULES, normalise
from cyps_xl.engine.yamlfile import check_keys, load_yaml

CONFIG_KEYS = {"our_authority", "neighbour_set", "average", "max_age_years", "neighbour_sets", "measures",
               "top_quartile"}
SET_KEYS = {"name", "authority", "adopted", "members", "source"}
MEASURE_KEYS = {"column", "sheet", "ref", "part", "title", "unit", "file", "filters", "aliases", "year", "decimals",
                "top_quartile", "columns"}
FILLED = ("sn_average", "sn_best", "national", "top_quartile", "regional")  # the columns a measure's figures go to
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
    columns: tuple = ()  # filled even over what the team typed there

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

    def set_for(self, when: dt.date | None) -> tuple[NeighbourSet | None, str | None]:
        """The neighbour set of the scorecard's month, or None and why (a run fills no neighbour figures then:
        an earlier or later set would give figures the council never had)."""
        mine = [s for s in self.sets if s.authority == self.our]
        how = (f"add one under neighbour_sets in {self.path.name} (cyps-xl benchmarks neighbours GROUPINGS.csv "
               f"--authority \"{self.our.name}\" --adopted DATE --write {self.path.name})")
        if not mine:
            return None, (f"No statistical neighbour set is given for {self.our.name}: the statistical neighbour "
                          f"columns are left as they were; {how}.")
        if self.choice.strip().lower() != "in force":
            for item in mine:
                if item.name == self.choice:
                    return item, None
            raise CypsError(f"there is no neighbour set named '{self.choice}'.", file=self.path,
                            hint="Use 'in force' or one of: " + ", ".join(s.name for s in mine))
        when = when or dt.date.today()
        in_force = [s for s in mine if s.adopted <= when]
        if in_force:
            return max(in_force, key=lambda s: s.adopted), None
        first = min(mine, key=lambda s: s.adopted)
        return None, (f"No statistical neighbour set was in force in {when:%B %Y} (the first, '{first.name}', was "
                      f"adopted {first.adopted:%d/%m/%Y}): the statistical neighbour columns are left as they were; "
                      f"to use a set for that month, {how}.")


def load_authorities(path: Path | None = None) -> list[Authority]:
    path = Path(path) if path else BUNDLED_RULES / "local_authorities.csv"
    text = "".join(line for line in path.read_text(encoding="utf-8").splitlines(True) if not line.startswith("#"))
    return [Authority(r["la_name"], r["old_la_code"], r["new_la_code"], r["region_name"], r.get("region_code") or "")
            for r in csv.DictReader(io.StringIO(text))]


class AuthorityIndex:
    """The current authorities by code and by official name (``find``: what DfE's files are read by), and by
    the names a team types (``resolve``: short forms and recent predecessors too, a miss told the closest)."""

    CUTS = (",", " and ", " with ", " upon ", "-on-")  # "Bristol, City of" -> Bristol; "Telford and Wrekin" -> Telford

    def __init__(self, authorities, other_names: dict | None = None):
        self.codes, self.names = {}, {}
        for la in authorities:
            self.codes[la.old_code] = la
            self.codes[la.new_code.upper()] = la
            self.names[normalise(la.name)] = la
        self.typed = self._typed_names(authorities, other_names if other_names is not None else load_other_names())

    def _typed_names(self, authorities, other_names: dict) -> dict:
        """normalised name -> [authorities]: official names, short forms (kept only where one authority has
        them and no official name is that short form), and the listed other names."""
        typed = {key: [la] for key, la in self.names.items()}
        shorts: dict = {}
        for la in authorities:
            name = la.name.removeprefix("County ")
            for cut in self.CUTS:
                if cut in name:
                    shorts.setdefault(normalise(name.split(cut)[0]), set()).add(la)
            if name != la.name:
                shorts.setdefault(normalise(name), set()).add(la)
        for key, las in shorts.items():
            if len(las) == 1 and key not in typed:
                typed[key] = list(las)
        for key, official in other_names.items():
            las = [self.names[normalise(n)] for n in official if normalise(n) in self.names]
            if las:
                typed.setdefault(key, []).extend(la for la in las if la not in typed.get(key, []))
        return typed

    def by_code(self, code: str) -> Authority | None:
        return self.codes.get(str(code).strip().upper())

    def find(self, text) -> Authority | None:
        """By code or by official name (as DfE's files and the groupings name them)."""
        key = str(text).strip()
        return self.by_code(key) or self.names.get(normalise(key))

    def resolve(self, text, file=None, place=None) -> Authority:
        """An authority as a team types it: a code, its official name, a short form or a recent predecessor's name.
        Not one: a message naming the closest names; a predecessor split in two: a message naming both."""
        key = str(text).strip()
        found = self.by_code(key)
        if found is not None:
            return found
        las = self.typed.get(normalise(key), [])
        if len(las) == 1:
            return las[0]
        if len(las) > 1:
            raise CypsError(f"'{key}' is now {len(las)} authorities: {' and '.join(la.name for la in las)}.",
                            file=file, place=place, hint="Give the one you mean.")
        import difflib

        close = difflib.get_close_matches(normalise(key), list(self.typed), n=4, cutoff=0.6)
        names = list(dict.fromkeys(la.name for k in close for la in self.typed[k]))
        hint = (f"Did you mean {' or '.join(repr(n) for n in names)}?" if names else
                "Use a name or code from rules/local_authorities.csv.")
        raise CypsError(f"unknown authority '{key}'.", file=file, place=place, hint=hint)


def load_other_names(path: Path | None = None) -> dict:
    """``authority_names.csv``: normalised other name -> [official names]."""
    path = Path(path) if path else BUNDLED_RULES / "authority_names.csv"
    if not path.is_file():
        return {}
    text = "".join(line for line in path.read_text(encoding="utf-8").splitlines(True) if not line.startswith("#"))
    names: dict = {}
    for row in csv.DictReader(io.StringIO(text)):
        names.setdefault(normalise(row["name"]), []).append(row["la_name"])
    return names


def _text(item, key, path, what="a text") -> str | None:
    """A YAML scalar that must be text (references stay as typed: see cyps_xl.engine.yamlfile.TEXT_KEYS)."""
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise CypsError(f"{key} is {value!r}, which YAML reads as true/false, not text.", file=path,
                        place=f"line {item.line_of(key)}", hint=f'Quote it: {key}: "{value}".')
    if isinstance(value, (dict, list)):
        raise CypsError(f"{key} should be {what}, not a list or mapping.", file=path, place=f"line {item.line_of(key)}")
    return str(value)


def load_config(path: Path, authorities: list[Authority] | None = None) -> BenchmarkConfig:
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise CypsError("should be a mapping with our_authority, neighbour_sets and measures.", file=path, place="line 1")
    check_keys(data, CONFIG_KEYS, path, "the benchmark settings")
    index = AuthorityIndex(authorities or load_authorities())
    our = index.resolve(data.get("our_authority", ""), path, f"line {data.line_of('our_authority')}")
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
    owner = index.resolve(item["authority"], path, f"line {item.line_of('authority')}") if item.get("authority") else our
    members = []
    listed = item.get("members") or []
    if not isinstance(listed, list):
        raise CypsError("members should be a list of authorities, e.g. [Barnsley, Doncaster].", file=path,
                        place=f"line {item.line_of('members')}")
    for name in listed:
        members.append(index.resolve(name, path, f"line {getattr(listed, 'line', item.line)} "
                                                 f"(the neighbour set '{item.get('name')}')"))
    adopted = item.get("adopted")
    if not isinstance(adopted, dt.date):
        raise CypsError("'adopted' should be a date such as 2025-05-01.", file=path, place=f"line {item.line_of('adopted')}")
    return NeighbourSet(str(item.get("name")), owner, adopted, members, item.line)


def _year_label(value) -> str | None:
    """``2022`` -> 2022; ``202223``, ``2022/23`` or ``2022-23`` -> 2022/23, as the headings show it."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return dfe_files.period_label(str(value))


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
    columns = item.get("columns") or []
    if not isinstance(columns, list) or any(c not in FILLED for c in columns):
        raise CypsError(f"columns is {columns!r}; list some of {', '.join(FILLED)}.", file=path,
                        place=f"line {item.line_of('columns')}")
    lines = dict(item.key_lines)
    lines.update({f"filter:{k}": filters.line_of(k) for k in filters} if filters else {})
    return Measure(str(item["sheet"]), ref, _text(item, "part", path), title, column, unit, _text(item, "file", path),
                   {str(k): str(v) for k, v in filters.items()}, aliases, year, decimals, top, item.line, lines,
                   tuple(columns))


