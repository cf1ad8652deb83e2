"""``cyps-xl benchmarks inspect``: what a DfE file holds, and a measure entry ready to paste.

Nobody should have to open a 50 MB CSV in Excel to write ``benchmarks.yaml``:
this lists the file's filter columns with their values, its indicator
columns, years and geographic levels, and with ``--filter col=value`` prints
the measure, checked against the file the way an issue will read it.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from cyps_xl.benchmarks import dfe_files
from cyps_xl.errors import CypsError
from cyps_xl.engine.rules import normalise

MOST_VALUES = 40


def inspect(path: Path, filters: list | None = None, column: str | None = None, sheet: str | None = None,
            ref: str | None = None) -> str:
    path = Path(path)
    if not path.is_file():
        raise CypsError("file not found.", file=path, hint="Give the CSV downloaded from DfE's statistics service.")
    dfe = dfe_files.open_file(path)
    rows = dfe_files.read_columns(dfe, dfe.filters)
    frame = rows.frame
    low = {c.lower(): c for c in frame.columns}
    lines = [f"{path.name}: {len(frame):,} rows"]
    periods = _distinct(frame[low["time_period"]])
    kinds = ", ".join(_distinct(frame[low["time_identifier"]])) if "time_identifier" in low else ""
    ordered = sorted({dfe_files.period_label(p) for p in periods}, key=lambda p: (dfe_files.period_end_year(p) or 0, p))
    lines.append(f"Years: {', '.join(ordered)}" + (f" ({kinds})" if kinds else ""))
    levels = Counter(v.strip() for v in frame[low["geographic_level"]].tolist())
    lines.append("Geographic levels: " + ", ".join(f"{k} ({n:,} rows)" for k, n in levels.items()))
    lines.append("Filter columns:" if dfe.filters else "Filter columns: none (one row per period and geography)")
    for name in dfe.filters:
        values = rows.values[name]
        total = any(normalise(v) == "total" for v in values)
        shown = "; ".join(f"'{v}'" for v in values[:MOST_VALUES])
        more = f"; and {len(values) - MOST_VALUES} more" if len(values) > MOST_VALUES else ""
        lines.append(f"  {name}{' (has Total)' if total else ''}: {shown}{more}")
    lines.append("Indicator columns: " + (", ".join(dfe.indicators) or "none"))
    if filters is not None or column:
        lines += ["", "Measure for benchmarks.yaml (under measures:):", measure_entry(dfe, rows.values, filters or [],
                                                                                      column, sheet, ref)]
    return "\n".join(lines)


def _distinct(column) -> list:
    return list(dict.fromkeys(v.strip() for v in column.unique() if v.strip()))


def measure_entry(dfe, filter_values: dict, pairs: list, column: str | None, sheet: str | None, ref: str | None) -> str:
    chosen = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise CypsError(f"--filter '{pair}' should be column=value.", hint="For example --filter \"cla_group=CLA on 31 March\".")
        actual = dfe.column(name)
        if actual is None or actual not in dfe.filters:
            raise CypsError(f"'{name.strip()}' is not a filter column of the file.", file=dfe.path,
                            hint="Filter columns: " + (", ".join(dfe.filters) or "none"))
        values = filter_values[actual]
        match = next((v for v in values if normalise(v) == normalise(value)), None)
        if match is None:
            raise CypsError(f"no row has {actual} = '{value.strip()}'.", file=dfe.path,
                            hint="Its values: " + "; ".join(f"'{v}'" for v in values[:MOST_VALUES]))
        chosen[actual] = match
    if column:
        actual_column = dfe.column(column)
        if actual_column is None or actual_column not in dfe.indicators:
            raise CypsError(f"'{column}' is not an indicator column of the file.", file=dfe.path,
                            hint="Indicator columns: " + ", ".join(dfe.indicators))
    else:
        actual_column = dfe.indicators[0] if len(dfe.indicators) == 1 else None
    out = [f"  - sheet: {sheet or 'Social Care'}",
           f'    ref: "{ref or "REF"}"' + ("" if ref else "   # the scorecard row's REF NO."),
           f"    file: {dfe.path.name}"]
    if chosen:
        out.append("    filters:")
        out += [f"      {k}: {_yaml_text(v)}" for k, v in chosen.items()]
    for name in dfe.filters:
        if name in chosen:
            continue
        values = filter_values[name]
        if len(values) > 1 and not any(normalise(v) == "total" for v in values):
            out.append(f"    # choose {name}: it has no Total row (--filter \"{name}=...\")")
    if actual_column:
        out.append(f"    column: {actual_column}")
    else:
        out.append(f"    column: COLUMN   # one of: {', '.join(dfe.indicators)}")
    percent = (actual_column and _looks_percent(actual_column)) or any(v.lower().startswith("percentage") for v in chosen.values())
    unit = "percent" if percent else "number"
    out.append(f"    unit: {unit}" + ("   # the file gives 0-100; the scorecard stores fractions" if unit == "percent" else ""))
    return "\n".join(out)


def _looks_percent(name: str) -> bool:
    name = name.lower()
    return any(word in name for word in ("percent", "pct", "percentage")) or name.startswith("pt_") or name.endswith(("_pc", "_rate_fte"))


def _yaml_text(text: str) -> str:
    needs = any(c in text for c in ":#{}[],&*!|>'\"%@`") or text != text.strip() or text.lower() in ("yes", "no", "true", "false", "null")
    return '"' + text.replace('"', '\\"') + '"' if needs else text
