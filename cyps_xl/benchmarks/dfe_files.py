"""DfE open-data files exactly as Explore Education Statistics (EES) publishes them.

An EES file is *tidy*: geography and time columns, then **filter** columns
(``cla_group``, ``characteristic``, ``category``...), then **indicator**
columns (``number``, ``percentage``, ``rate_per_10000``...), one row per
period x geography x filter combination.  Real files carry a BOM or not, CRLF
or LF, quoted headers, padded numbers (`` 51.636``, ``62.200000000000``),
suppression codes, rows of authorities that no longer exist and London's
Inner/Outer sub-regions.

This module only *reads*: which columns a file has (:func:`open_file`), and
the rows a measure selects, parsed into numbers keyed by period and geography
(:func:`select`).  Only selected rows are parsed, so a stray text in a row no
measure uses is never an error.  pandas reads the file (``usecols``,
``dtype=str``: nothing is guessed, filtering happens before any conversion).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.engine.rules import normalise
from cyps_xl.engine.values import number_text

# DfE's missing-value and suppression codes: never zero, never an error.
SUPPRESSION_CODES = frozenset({"x", "z", "c", "low", "k", "u", "~", ":", "-", "..", "."})
NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
# EES's standard time and geography columns: neither filters nor indicators.
TIME_GEOGRAPHY = frozenset({
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
    "region_name", "old_la_code", "new_la_code", "la_code", "la_name", "lad_code", "lad_name", "pcon_code",
    "pcon_name", "rsc_region_lead_name", "opportunity_area_code", "opportunity_area_name", "ward_code",
    "ward_name", "local_enterprise_partnership_code", "local_enterprise_partnership_name",
    "english_devolved_area_code", "english_devolved_area_name", "mayoral_combined_authority_code",
    "mayoral_combined_authority_name", "local_skills_improvement_plan_area_code",
    "local_skills_improvement_plan_area_name", "police_force_area_code", "police_force_area_name",
    "planning_area_code", "planning_area_name", "trust_id", "trust_name", "sponsor_id", "sponsor_name",
    "school_urn", "school_laestab", "school_name", "provider_ukprn", "provider_name", "institution_id",
    "institution_name",
})
REQUIRED = ("time_period", "geographic_level")
LA_KEYS = ("new_la_code", "old_la_code", "la_name")
SAMPLE_ROWS = 5000  # rows read to tell filter columns (mostly text) from indicator columns (figures)


@dataclass
class DfeFile:
    """A file's header, told into filters and indicators."""

    path: Path
    header: list
    filters: list  # filter columns, as spelled in the file
    indicators: list  # indicator columns, as spelled in the file

    def column(self, name: str, aliases=()) -> str | None:
        """The file's own spelling of a column: names match case-insensitively, aliases cover renames."""
        by_lower = {h.lower(): h for h in self.header}
        for candidate in (name, *aliases):
            found = by_lower.get(str(candidate).strip().lower())
            if found:
                return found
        return None

    def has(self, name: str) -> bool:
        return self.column(name) is not None

    def line_of(self, record: int) -> int:
        """The line a record starts on, for messages: records are counted from the header (1), and a quoted
        field may hold a line break, so record N need not be line N."""
        with self.path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.reader(handle)
            start = 1
            for number, _ in enumerate(reader, start=1):
                if number == record:
                    return start
                start = reader.line_num + 1
        return record


def is_ees_header(header) -> bool:
    return "geographic_level" in {h.strip().lower() for h in header}


def read_header(path: Path) -> list:
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            return [h.strip() for h in next(csv.reader(handle), [])]
    except UnicodeDecodeError:
        raise CypsError("is not UTF-8 text.", file=path, hint="Download the CSV again from DfE; do not re-save it in Excel.") from None
    except csv.Error as exc:
        raise CypsError(f"the header cannot be read as CSV ({exc}).", file=path, place="line 1") from None


def open_file(path: Path) -> DfeFile:
    """Read the header and a sample of rows, and tell the filter columns from the indicators."""
    path = Path(path)
    header = read_header(path)
    if not header:
        raise CypsError("is empty.", file=path, hint="Download the file again from DfE's statistics service.")
    lowered = [h.lower() for h in header]
    missing = [c for c in REQUIRED if c not in lowered]
    if missing or not any(k in lowered for k in LA_KEYS):
        need = missing or ["new_la_code, old_la_code or la_name"]
        raise CypsError(f"has no {', '.join(need)} column.", file=path, place="line 1",
                        hint="Use the tidy CSV that DfE's Explore Education Statistics service publishes.")
    if len(set(lowered)) != len(lowered):
        twice = sorted({h for h in lowered if lowered.count(h) > 1})
        raise CypsError(f"the header names {', '.join(twice)} more than once.", file=path, place="line 1")
    other = [h for h in header if h.lower() not in TIME_GEOGRAPHY]
    sample = _read(path, header, nrows=SAMPLE_ROWS)
    if not len(sample):
        raise CypsError("has a header but no rows.", file=path, hint="Download the file again from DfE's statistics service.")
    filters, indicators = [], []
    for name in other:
        values = sample[name].str.strip()
        text = values[(values != "") & ~values.str.lower().isin(SUPPRESSION_CODES) & ~values.str.match(NUMBER.pattern)]
        (filters if len(text) * 2 > len(values[values != ""]) else indicators).append(name)
    return DfeFile(path, header, filters, indicators)


def _read(path: Path, columns: list, nrows: int | None = None, chunksize: int | None = None):
    import pandas as pd  # only the benchmark path pays for pandas

    with csv_errors(path):
        return pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False, na_filter=False,
                           encoding="utf-8-sig", skip_blank_lines=False, nrows=nrows, chunksize=chunksize, engine="c")


@contextlib.contextmanager
def csv_errors(path: Path):
    """pandas' reading errors as one message naming the file (and the line where pandas knows it)."""
    import pandas as pd

    try:
        yield
    except UnicodeDecodeError:
        raise CypsError("is not UTF-8 text.", file=path, hint="Download the CSV again from DfE; do not re-save it in Excel.") from None
    except pd.errors.ParserError as exc:
        where = re.search(r"line (\d+)", str(exc))
        raise CypsError(f"cannot be read as CSV: {exc}.", file=path, place=f"line {where.group(1)}" if where else None,
                        hint="Download the file again from DfE's statistics service.") from None
    except ValueError as exc:  # e.g. a NUL byte
        raise CypsError(f"cannot be read as CSV: {exc}.", file=path) from None


# the columns a selection needs besides filters and the figure (country columns are never needed)
SELECTION_COLUMNS = ("time_period", "time_identifier", "geographic_level", "region_code", "region_name", *LA_KEYS)
CHUNK_ROWS = 10_000  # about 7 MB of text objects a chunk: memory follows the rows kept, not the file


@dataclass
class FileRows:
    """The rows some measure may select, and every filter column's values over the whole file."""

    frame: object  # pandas DataFrame of text; record N of the file (1: the header) is index N - 2 (line_of: its line)
    values: dict  # filter column -> its distinct values, in the file's order


def read_columns(dfe: DfeFile, columns, wanted: list | None = None) -> FileRows:
    """Read ``columns`` (plus time and geography) in chunks, keeping only rows that match one of ``wanted``.

    ``wanted`` is a list of {filter column: value}; a row is kept when it matches
    every pair of any one of them (an empty mapping keeps every row).  Filtering
    chunk by chunk keeps memory near the size of the rows kept, not of the file.
    """
    import pandas as pd

    keep = set(columns)
    names = [h for h in dfe.header if h.lower() in SELECTION_COLUMNS or h in keep]
    distinct: dict = {name: {} for name in dfe.filters if name in keep}
    kept = []
    with csv_errors(dfe.path):
        for chunk in _read(dfe.path, names, chunksize=CHUNK_ROWS):
            for name, seen in distinct.items():
                for value in chunk[name].unique():
                    seen.setdefault(value.strip(), None)
            if wanted is None or any(not w for w in wanted):
                kept.append(chunk)
                continue
            mask = None
            for pairs in wanted:
                hit = None
                for name, value in pairs.items():
                    raw = [v for v in chunk[name].unique() if normalise(v) == normalise(value)]
                    one = chunk[name].isin(raw)
                    hit = one if hit is None else hit & one
                mask = hit if mask is None else mask | hit
            kept.append(chunk[mask])
    frame = pd.concat(kept) if kept else pd.DataFrame(columns=names)
    return FileRows(frame, {name: [v for v in seen if v] for name, seen in distinct.items()})


def period_label(text: str) -> str:
    """``2022`` stays; ``202223``, ``2022-23``, ``2022/23`` and ``2022-2023`` (an academic or financial year) are
    shown ``2022/23``."""
    text = str(text).strip()
    found = re.fullmatch(r"(\d{4})\s*[-/]?\s*(?:\d{2})?(\d{2})", text) if len(text) > 4 else None
    if found and (int(found.group(1)) + 1) % 100 == int(found.group(2)):
        return f"{found.group(1)}/{found.group(2)}"
    return text


def period_end_year(label: str) -> int | None:
    found = re.match(r"(\d{4})(?:/(\d{2}))?$", label)
    if not found:
        return None
    return int(found.group(1)) + (1 if found.group(2) else 0)


def period_end(label: str, identifier: str = "") -> dt.date | None:
    """The last day a period covers: a reporting or financial year ends 31 March, an academic year 31 August,
    a calendar year 31 December (DfE's ``time_identifier``)."""
    year = period_end_year(label)
    if year is None:
        return None
    kind = identifier.strip().lower()
    if "academic" in kind or ("/" in label and "financial" not in kind):
        return dt.date(year, 8, 31)
    if "reporting" in kind or "financial" in kind:
        return dt.date(year, 3, 31)
    return dt.date(year, 12, 31)


def year_as_shown(label: str, identifier: str = "") -> str:
    """A period as a scorecard's headings write it: DfE's reporting (or financial) year 2021 ends 31 March 2021,
    so it is the scorecard's 2020/21; academic years are 2022/23 already; a calendar year stays 2022."""
    end = period_end(label, identifier)
    if end is not None and end.month == 3 and re.fullmatch(r"\d{4}", label):
        return f"{end.year - 1}/{end.year % 100:02d}"
    return label


def parse_number(raw: str) -> tuple[float | None, int]:
    """(value, decimals shown) of a cell; None for a DfE missing code; ValueError for anything else."""
    text = raw.strip()
    if text == "" or text.lower() in SUPPRESSION_CODES:
        return None, 0
    text = number_text(text)  # the one rule for thousands separators: "15,4" is no 154
    if text is None or not NUMBER.match(text) or len(text) > 40:
        raise ValueError(raw)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(raw)
    mantissa = text.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1].rstrip("0")) if "." in mantissa else 0
    return value, decimals


@dataclass
class Selection:
    """One measure's figures: period -> national value, regions by code (or name), authorities."""

    file: Path
    column: str
    # label -> {"national": v, "regions": {key: v}, "las": {Authority: v}, "decimals": the most any figure shows}
    periods: dict = field(default_factory=dict)
    identifiers: dict = field(default_factory=dict)  # label -> time_identifier ("Reporting year", "Academic year")
    lines: list = field(default_factory=list)  # the file's lines the figures came from

    def with_data(self) -> list:
        """Periods in which any authority or England has a figure, oldest first."""
        found = [p for p, cell in self.periods.items()
                 if cell["national"] is not None or any(v is not None for v in cell["las"].values())]
        return sorted(found, key=lambda p: (period_end_year(p) or 0, p))


def region_key(code: str, name: str) -> str | None:
    """A region's key: its E12 code. E13 (Inner/Outer London) are sub-regions, never 'the region'."""
    code = code.strip().upper()
    if code.startswith("E13"):
        return None
    return code if code else "name:" + normalise(name)


def select(dfe: DfeFile, frame, *, column: str, filters: dict, index, where) -> Selection:
    """Rows of ``frame`` matching ``filters`` (actual column -> chosen value), parsed into a Selection.

    ``index`` finds an authority by code or name; ``where(text)`` returns the
    CypsError for a problem in the measure (so it names the YAML line).
    """
    mask = None
    for name, wanted in filters.items():
        hit = frame[name].str.strip().map(normalise) == normalise(wanted)
        mask = hit if mask is None else mask & hit
    rows = frame[mask] if mask is not None else frame
    low = {h.lower(): h for h in frame.columns}
    get = {key: rows[low[key]].tolist() if key in low else [""] * len(rows)
           for key in ("time_period", "time_identifier", "geographic_level", "region_code", "region_name", *LA_KEYS)}
    values = rows[column].tolist()
    selection = Selection(dfe.path, column)
    seen: dict = {}
    for i, line_index in enumerate(rows.index.tolist()):
        line = line_index + 2
        level = get["geographic_level"][i].strip().lower()
        if level == "national":
            key = ("national",)
        elif level == "regional":
            code = region_key(get["region_code"][i], get["region_name"][i])
            if code is None:
                continue
            key = ("region", code)
        elif level in ("local authority", "local_authority", "la"):
            la = _authority(index, get["new_la_code"][i], get["old_la_code"][i], get["la_name"][i])
            if la is None:
                continue  # an authority that no longer exists (old Dorset, Northamptonshire, Cumbria...)
            key = ("la", la)
        else:
            continue
        try:
            value, decimals = parse_number(values[i])
        except ValueError:
            raise CypsError(f"the value '{values[i].strip()}' in column {column} is neither a number nor a DfE "
                            "missing-value code.", file=dfe.path, place=f"line {dfe.line_of(line)}",
                            hint="Missing or suppressed values are written x, z, c, low, k, u, ~, :, . or ..; "
                                 "download the file again if it was edited.") from None
        period = period_label(get["time_period"][i])
        ident = (period, key)
        if ident in seen:
            first_line, first_value = seen[ident]
            if first_value is not None and value is not None:
                raise CypsError(f"repeats the row of line {dfe.line_of(first_line)} (same period, geography and "
                                f"selection, both with figures).", file=dfe.path, place=f"line {dfe.line_of(line)}",
                                hint="Add the filter that tells them apart to the measure, or remove the duplicate row.")
            if value is None:
                continue
        seen[ident] = (line, value)
        selection.lines.append(line)
        cell = selection.periods.setdefault(period, {"national": None, "regions": {}, "las": {}, "decimals": 0})
        cell["decimals"] = max(cell["decimals"], decimals)
        selection.identifiers.setdefault(period, get["time_identifier"][i].strip())
        if key[0] == "national":
            cell["national"] = value
        elif key[0] == "region":
            cell["regions"][key[1]] = value
        else:
            cell["las"][key[1]] = value
    if not seen:
        raise where("selects no row of the file.")
    return selection


def check_field_counts(dfe: DfeFile, lines) -> None:
    """A selected row with fewer or more fields than the header is refused, never read as 'no figure'.

    pandas pads a short row with empty cells (which would read as suppressed)
    and, with ``usecols``, ignores extra ones; so the lines figures came from are
    counted again here, in one pass over the file's bytes.
    """
    wanted = set(lines)
    if not wanted:
        return
    last = max(wanted)
    with dfe.path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)  # records, as pandas read them: a quoted field may hold a line break
        start = 1
        for number, fields in enumerate(reader, start=1):
            if number in wanted and len(fields) != len(dfe.header):
                raise CypsError(f"has {len(fields)} fields where the header has {len(dfe.header)}.", file=dfe.path,
                                place=f"line {start}", hint="Download the file again from DfE's statistics service.")
            if number >= last:
                return
            start = reader.line_num + 1


def _authority(index, new_code: str, old_code: str, name: str):
    """By new code, then old code; by name only when the row has no code (a defunct code is skipped)."""
    new_code, old_code = new_code.strip(), old_code.strip()
    for code in (new_code, old_code):
        if code:
            found = index.by_code(code)
            if found:
                return found
    if new_code or old_code:
        return None
    return index.find(name) if name.strip() else None


