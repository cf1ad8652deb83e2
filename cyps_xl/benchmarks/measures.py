"""Each measure's comparators, computed from the DfE files given.

A measure (see :mod:`cyps_xl.benchmarks.config`) names a file, filter values
and an indicator column. This module picks the file each measure reads,
selects its rows (:mod:`cyps_xl.benchmarks.dfe_files`), picks the period (the
latest that ended before the scorecard's month, unless one is pinned), and
computes the comparators for "our" authority (:mod:`cyps_xl.benchmarks.stats`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cyps_xl.benchmarks import dfe_files, stats
from cyps_xl.benchmarks.config import (AuthorityIndex, BenchmarkConfig, Measure, NeighbourSet,  # noqa: F401 - re-exported
                                       load_authorities, load_config)
from cyps_xl.engine.rules import RuleBook, normalise
from cyps_xl.errors import CypsError


# -- computing -----------------------------------------------------------------------
@dataclass(frozen=True)
class ComputedBenchmark:
    measure: Measure
    year: str
    comparators: stats.Comparators  # for the polarity the rules give the measure's row (info without one)
    our_value: float | None
    # the figures a polarity decides (best neighbour, top quartile as its boundary, band, rank), for "high" and
    # "low": a row the rules do not know is judged by its own "Good perf is", known only when it is read
    by_polarity: dict = None
    decimals: int = 0  # the places the file gives its figures at
    rule_title: str | None = None  # the title of the rule the measure's row has: a report with other refs matches it
    region: str | None = None  # the region whose published row is the regional figure
    identifier: str = ""  # DfE's time_identifier of the year (a reporting year ends 31 March)

    sheet = property(lambda self: self.measure.sheet)
    ref = property(lambda self: self.measure.ref)
    part = property(lambda self: self.measure.part)
    title = property(lambda self: self.measure.title)
    unit = property(lambda self: self.measure.unit)


@dataclass
class Computed:
    chosen: NeighbourSet | None  # None: no set was in force (notes say so) and no neighbour figure is filled
    by_file: dict  # Path -> [ComputedBenchmark]
    notes: list


def assign(measures: list, files: list, config_path: Path) -> tuple[dict, list]:
    """Which given file each measure reads: the one it names, else the one file that has its column."""
    by_name = {}
    for dfe in files:
        by_name.setdefault(dfe.path.name.lower(), dfe)
    plan: dict = {}
    notes, not_given = [], {}
    for measure in measures:
        if measure.file:
            dfe = by_name.get(Path(measure.file).name.lower())
            if dfe is None:  # that file was not given this run: said once, with the rows it would have filled
                not_given.setdefault(Path(measure.file).name, []).append(measure)
                continue
        else:
            having = [f for f in files if f.column(measure.column, measure.aliases_of(measure.column))]
            if len(having) > 1:
                raise CypsError(f"{measure.describe()} has no file, and its column '{measure.column}' is in "
                                f"{len(having)} files: {', '.join(f.path.name for f in having)}.", file=config_path,
                                place=f"line {measure.line}", hint="Add file: with the one it should read.")
            if not having:
                not_given.setdefault(f"a file with the column '{measure.column}'", []).append(measure)
                continue
            dfe = having[0]
        plan.setdefault(dfe.path, (dfe, []))[1].append(measure)
    for dfe in files:
        if dfe.path not in plan:
            notes.append(f"No measure in {config_path.name} reads {dfe.path.name}; "
                         f"'cyps-xl benchmarks inspect {dfe.path.name}' helps write one.")
    if not_given:
        listed = "; ".join(f"{name} ({', '.join(f'{m.sheet} {m.ref or m.title}' for m in group)})"
                           for name, group in not_given.items())
        notes.append(f"Not filled, no file given: {listed}. Download the file from Explore Education Statistics "
                     f"into the benchmarks folder, or remove the measure from {config_path.name}.")
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
            # DfE rewords filter values between releases: the run goes on without this measure, and says so
            return None, f"{where(_no_row(dfe, actual, value, values), f'filter:{name}')}"
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
                            where=lambda text: where(text, "filters")), None


def _no_row(dfe, column: str, value: str, values: list) -> str:
    import difflib

    close = difflib.get_close_matches(value, values, n=3, cutoff=0.5)
    guess = f" Did you mean {' or '.join(repr(v) for v in close)}?" if close else ""
    return (f"not filled: no row of {dfe.path.name} has {column} = '{value}'.{guess} Its values are: "
            f"{_listing(values)}.")


def _listing(values, most=25) -> str:
    shown = "; ".join(f"'{v}'" for v in values[:most])
    return shown + (f"; and {len(values) - most} more" if len(values) > most else "")


def compute_files(paths, config: BenchmarkConfig, rules: RuleBook, when: dt.date | None = None,
                  authorities: list | None = None) -> Computed:
    """Comparators for every measure that one of ``paths`` (EES files) feeds."""
    index = AuthorityIndex(authorities or load_authorities())
    files = [dfe_files.open_file(p) for p in paths]
    plan, notes = assign(config.measures, files, config.path)
    chosen, why = config.set_for(when)
    if why:
        notes.append(why)
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
            selection, missed = selection_for(dfe, rows, measure, index, config.path)
            if selection is None:
                notes.append(missed)
                continue
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
        end = dfe_files.period_end(measure.year, selection.identifiers.get(measure.year, ""))
        if when and end and end >= when.replace(day=1):  # pinned on purpose: used, and said
            return measure.year, (f"{measure.describe()} uses {measure.year}, pinned with year: in {config.path.name}, "
                                  f"though that period reaches the scorecard's month ({when:%B %Y}) or later.")
        return measure.year, None
    # the latest period that had ended before the scorecard's month: a March 2022 scorecard
    # cannot quote the year to 31 March 2022, whatever the file now holds
    start = when.replace(day=1) if when else None
    ends = {p: dfe_files.period_end(p, selection.identifiers.get(p, "")) for p in years}
    # a period that cannot be dated is never taken for one that ended long ago
    allowed = [p for p in years if start is None or (ends[p] is not None and ends[p] < start)]
    if not allowed:
        return None, (f"{measure.describe()}: {selection.file.name} has no figures up to {when:%B %Y}"
                      if when and years else f"{measure.describe()}: {selection.file.name} has no figures.")
    newer = [p for p in years if p not in allowed and ends[p] is not None]
    undated = [p for p in years if ends[p] is None]
    note = " ".join(filter(None, [
        f"{selection.file.name}: figures for {', '.join(newer)} are not used: they reach the scorecard's month "
        f"({when:%B %Y}) or later." if newer else None,
        f"{selection.file.name}: periods {', '.join(undated)} are not years cyps-xl can date, so are not used."
        if undated else None])) or None
    return allowed[-1], note


def _compute(selection, measure: Measure, config: BenchmarkConfig, chosen: NeighbourSet, rules: RuleBook, when):
    period, note = _pick_period(selection, measure, config, when)
    if period is None:
        return None, note
    cell = selection.periods[period]
    rule = rules.match(measure.sheet, measure.ref, measure.part, measure.title)
    everyone = list(cell["las"].values())
    neighbours = [cell["las"].get(la) for la in chosen.members] if chosen else []
    ours = cell["las"].get(config.our)
    national, national_computed = cell["national"], False
    if national is None and any(v is not None for v in everyone):
        national, national_computed = stats.neighbour_average(everyone), True
    regions = cell["regions"]
    regional = regions.get(config.our.region_code.upper()) if config.our.region_code else None
    if regional is None:
        regional = regions.get("name:" + normalise(config.our.region))
    regional_computed = False
    if regional is None:
        same_region = [v for la, v in cell["las"].items() if la.region == config.our.region]
        if any(v is not None for v in same_region):
            regional, regional_computed = stats.neighbour_average(same_region), True

    def comparators(polarity: str, step: bool) -> stats.Comparators:
        top = stats.top_quartile_threshold(everyone, polarity)
        if step and measure.top_quartile == "beyond":
            top = stats.beyond(top, measure.decimals if measure.decimals is not None else cell["decimals"], polarity)
        return stats.Comparators(
            sn_average=stats.neighbour_average(neighbours, config.average),
            sn_best=stats.best_neighbour(neighbours, polarity),
            national=national,
            top_quartile=top,
            regional=regional,
            quartile_band=stats.quartile_band(ours, everyone, polarity),
            national_rank=stats.national_rank(ours, everyone, polarity),
            national_computed=national_computed, regional_computed=regional_computed,
        )

    by_polarity = {polarity: comparators(polarity, step=False) for polarity in ("high", "low")}
    return ComputedBenchmark(measure, period, comparators(rule.polarity if rule else "info", step=True), ours,
                             by_polarity, cell["decimals"], rule.title if rule else None, config.our.region,
                             selection.identifiers.get(period, "")), note
