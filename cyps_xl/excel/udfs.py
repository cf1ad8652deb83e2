"""Cell functions for Excel: ``=CYPS_RAG(...)``, ``=CYPS_DOT(...)``, ``=CYPS_TOLERANCE(...)``, ``=CYPS_BENCH(...)``.

Import them with xlwings (UDF Modules: ``cyps_xl.excel.udfs``).  Each accepts a single
cell or a whole range and then returns an array of the same shape, so a column
is rated in one call.  They call the same engine as the ribbon and the CLI, so
their answers are the engine's.  The rules are loaded once and reloaded only
when a rules file changes. Your own rules folder and benchmark file are
``CYPS_RULES`` and ``CYPS_BENCHMARKS`` in your settings file, as ``cyps-xl addin
install`` writes it (or the environment variables ``CYPS_XL_RULES`` and
``CYPS_XL_BENCHMARKS``; see ``cyps_xl.excel.settings``). The functions run in
xlwings' own add-in, which does not read a scorecard's ``cyps_xl.conf`` sheet.

Answers that are not a rating start with ``#CYPS!`` and say why, for example
``#CYPS! no rule for indicator '3.99'``.  A blank answer means "no rating"
(an info measure, a missing value), as in the scorecard.
"""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import xlwings as xw

from cyps_xl.engine.rating import Measure, direction_of_travel, rag_rating
from cyps_xl.errors import CypsError
from cyps_xl.engine.tolerances import POLARITIES, Tolerances, ToleranceSyntaxError, parse_band
from cyps_xl.engine.values import read_cell
from cyps_xl.excel.udf_args import (ERROR, ShapeError, _broadcast, _cut, _error_cells, _grid, _is_range,
                                    _refuse_error, _shape_out)

RECHECK_SECONDS = 2.0  # how often the rules files' modification times are looked at
_cache: dict = {"key": None, "book": None, "bench_key": None, "bench": None, "checked": 0.0, "measures": {}, "files": {}}


# -- rules, loaded once and reloaded when a file changes ----------------------
def _configured(key: str):
    """A setting as the ribbon reads it (cyps_xl.excel.settings): its environment variable at once, the settings
    files at most every RECHECK_SECONDS, since every call of a function asks and a column makes hundreds."""
    from cyps_xl.excel.settings import ENVIRONMENT, lookup

    if os.environ.get(ENVIRONMENT[key]):
        return os.environ[ENVIRONMENT[key]]
    now = time.monotonic()
    kept = _cache["files"].get(key)
    if kept is None or now - kept[0] >= RECHECK_SECONDS:
        kept = _cache["files"][key] = (now, lookup(key)[0])
    return kept[1]


def _rules_path() -> Path:
    from cyps_xl.engine.rules import BUNDLED_RULES

    return Path(_configured("CYPS_RULES") or BUNDLED_RULES)


def _stamp(path: Path) -> tuple:
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    if path.is_file() or path.is_dir():
        files = files + [path.parent / "settings.yaml"] if path.is_file() else files
    return tuple((str(f), f.stat().st_mtime_ns) for f in files if f.exists())


def rulebook():
    """The rules library, reloaded only when one of its files has changed."""
    from cyps_xl.engine.rules import load_rules

    if _cache.get("override") is not None:
        return _cache["override"]
    if _cache.get("adopted") is not None:
        return _cache["adopted"]
    now = time.monotonic()
    setting = _configured("CYPS_RULES")
    if _cache["book"] is not None and _cache.get("setting", ...) == setting and now - _cache["checked"] < RECHECK_SECONDS:
        return _cache["book"]  # a whole column recalculates in one go: look at the files once
    _cache["setting"] = setting
    path = _rules_path()
    key = (str(path), _stamp(path))
    if _cache["key"] != key:
        _cache["book"] = load_rules(path)
        _cache["key"] = key
        _cache["measures"] = {}
    _cache["checked"] = now
    return _cache["book"]


def adopt(rules=None, benchmarks=None) -> None:
    """xlwings Lite, which has no files: the functions answer with the rules (a RuleBook) and benchmark sources a
    script last read from the workbook, for the rest of the Excel session. None goes back to the files."""
    if _cache.get("adopted") is not rules:
        _cache["measures"] = {}  # measures belong to the rules they came from
    _cache["adopted"], _cache["adopted_bench"] = rules, benchmarks


class using_rules:
    """Evaluate with a given RuleBook (the headless issue uses the rules it was given)."""

    def __init__(self, book):
        self.book = book

    def __enter__(self):
        self.saved = (_cache.get("override"), _cache["measures"])
        _cache["override"], _cache["measures"] = self.book, {}  # measures belong to the rules they came from

    def __exit__(self, *exc):
        _cache["override"], _cache["measures"] = self.saved


def _find_rule(indicator):
    """'Social Care!3.14', 'Social Care|3.14|%', '3.14' (if unique) or a title."""
    book = rulebook()
    text = str(indicator).strip()
    if isinstance(indicator, float) and indicator.is_integer():
        text = str(int(indicator))
    sheet, ref, part = None, text, None
    if "!" in text:
        sheet, ref = text.split("!", 1)
    if "|" in ref:
        bits = [b.strip() for b in (sheet + "|" + ref if sheet else ref).split("|")]
        sheet, ref, part = (bits + [None, None])[:3] if len(bits) >= 2 else (None, bits[0], None)
    if sheet:
        rule = book.match(sheet.strip().strip("'"), ref.strip(), part, None)
    else:
        same = [r for r in book.rules if r.ref == ref and (part is None or (r.part or "").lower() == part.lower())]
        rule = same[0] if len(same) == 1 else None
        if rule is None and not same:
            rule = next((r for r in book.rules if r.title and r.title.strip().lower() == text.lower()), None)
        elif rule is None:
            raise LookupError(f"'{text}' is on several sheets; write it as 'Sheet!{ref}'")
    if rule is None:
        raise LookupError(f"no rule for indicator '{text}'")
    return rule


def _tolerances_from(spec):
    """Three cells (red, amber, green) or 'red | amber | green' text."""
    texts = spec if isinstance(spec, (list, tuple)) else [t.strip() for t in str(spec).split("|")]
    if len(texts) != 3:
        raise LookupError("give three tolerances: red | amber | green (use - for none)")
    return Tolerances(*(parse_band(t) for t in texts))


def _measure(spec, polarity, number_format) -> Measure:
    """The measure for a spec, cached until the rules change (a column asks for the same one many times)."""
    key = (tuple(spec) if isinstance(spec, (list, tuple)) else spec, polarity, number_format)
    cache = _cache["measures"]  # emptied whenever rulebook() loads new rules
    if key not in cache:
        cache[key] = _build_measure(spec, polarity, number_format)
    return cache[key]


_CELL_FORMAT = re.compile(r"^([FP,CS])([0-9])-?(\(\))?$")


def excel_format(text) -> str | None:
    """A number format as a cell function may be given it: an Excel format ("0.0%"), the row's
    DATA NOTE ("%", "Count": the format settings.yaml gives it, as the scorecard uses), or the code
    of Excel's =CELL("format", ...) ("P1", "F0", ",0", "G")."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text).strip()
    for note, fmt in rulebook().style.number_formats.items():
        if note.strip().lower() == text.lower():
            return fmt
    if text == "G":
        return "General"
    code = _CELL_FORMAT.match(text)
    if code:
        kind, decimals = code.group(1), int(code.group(2))
        digits = "0" + ("." + "0" * decimals if decimals else "")
        return {"F": digits, "C": digits, "S": digits + "E+00", ",": "#,##" + digits, "P": digits + "%"}[kind]
    return text


def _build_measure(spec, polarity, number_format) -> Measure:
    number_format = excel_format(number_format)
    polarity = str(polarity).strip().lower() if polarity not in (None, "") else None
    if isinstance(spec, str) and "|" not in spec or isinstance(spec, float):
        rule = _find_rule(spec)
        return Measure(polarity or rule.polarity, rule.tolerances,
                       number_format or rule.number_format or _default_format(rule.tolerances), rule)
    tolerances = _tolerances_from(spec)
    if polarity is None:
        raise LookupError("give the polarity (high, low or info) with literal tolerances")
    if polarity not in POLARITIES:
        raise LookupError(f"unknown polarity '{polarity}'; use high, low or info")
    return Measure(polarity, tolerances, number_format or _default_format(tolerances), None)


def _default_format(tolerances: Tolerances) -> str:
    return "0.0%" if tolerances.percent else "0.0"


def _spec_lookup(spec, rows: int, cols: int):
    """Tolerances or indicators for each value cell.

    Three cells red, amber, green - one row of them for all values, or one row
    beside each value - are tolerances; anything else is an indicator (or a
    "red | amber | green" text) for all, per row, per column or per cell.
    """
    grid = _grid(spec)
    if len(grid[0]) == 3 and cols != 3 and len(grid) in (1, rows):
        def triple(r, c):
            found = tuple(grid[0] if len(grid) == 1 else grid[r])
            for value in found:
                _refuse_error(value, "indicator_or_tolerances")
            return found
        return triple
    return _broadcast(spec, rows, cols, "indicator_or_tolerances")


def _label(band, labels=None):
    return (labels or rulebook().style.labels)[band] if band else ""


# -- the functions ----------------------------------------------------------------
VALUE_OPTIONS = {"ndim": 2, "err_to_str": True}  # Excel errors arrive as "#N/A", not as blanks: in every argument


def _reading(raw):
    reading = read_cell(raw)
    if reading.error:
        raise LookupError(f"the value is the Excel error {reading.error}")
    return reading


def _answers(rows: int, cols: int, answer):
    out = []
    for r in range(rows):
        line = []
        for c in range(cols):
            try:
                line.append(answer(r, c))
            except (LookupError, ToleranceSyntaxError, CypsError) as exc:
                line.append(f"{ERROR} {exc}")
        out.append(line)
    return out


@xw.func(category="cyps-xl")
@xw.arg("value", **VALUE_OPTIONS, doc="The value to rate, or a whole column of values (fractions for % cells: 0.904 is 90.4%).")
@xw.arg("indicator_or_tolerances", **VALUE_OPTIONS, doc="An indicator reference such as \"Social Care!3.14\" (or a column of them), or three cells red, amber, green (one row for all, or one beside each value), or text \"<87% | 87%+ | 95%+\".")
@xw.arg("polarity", **VALUE_OPTIONS, doc="Optional with an indicator; required with tolerances: high, low or info (or a column of them).")
@xw.arg("number_format", **VALUE_OPTIONS, doc="Optional: the format the value is shown in, or a column of them (default: the indicator's, or 0.0% for % tolerances). Values are compared as shown.")
def CYPS_RAG(value, indicator_or_tolerances, polarity=None, number_format=None):  # noqa: N802 - Excel's naming
    """RAG rating (Red / Amber / Green) of a value against an indicator's tolerances."""
    scalar = not _is_range(value)
    values, rows, cols, (indicator_or_tolerances, polarity, number_format) = _cut(
        value, indicator_or_tolerances, polarity, number_format)
    try:
        spec_at = _spec_lookup(indicator_or_tolerances, rows, cols)
        polarity_at = _broadcast(polarity, rows, cols, "polarity")
        format_at = _broadcast(number_format, rows, cols, "number_format")
    except ShapeError as exc:
        return _shape_out(_error_cells(rows, cols, str(exc)), scalar)
    labels = rulebook().style.labels

    def answer(r, c):
        measure = _measure(spec_at(r, c), polarity_at(r, c), format_at(r, c))
        return _label(rag_rating(_reading(values[r][c]), measure).band, labels)

    return _shape_out(_answers(rows, cols, answer), scalar)


@xw.func(category="cyps-xl")
@xw.arg("current", **VALUE_OPTIONS, doc="The latest value, or a whole column of them.")
@xw.arg("previous", **VALUE_OPTIONS, doc="The value to compare with (last month or last year), same shape as current.")
@xw.arg("polarity", **VALUE_OPTIONS, doc="high, low or info, or an indicator reference such as \"Social Care!3.14\" (or a column of them).")
@xw.arg("number_format", **VALUE_OPTIONS, doc="Optional: the format the values are shown in (or a column of them); values that show the same count as no change. Default: the indicator's, or General.")
def CYPS_DOT(current, previous, polarity, number_format=None):  # noqa: N802
    """Direction of travel arrow: ↑ up, ↓ down, → same, blank when a value is missing."""
    scalar = not _is_range(current)
    now, rows, cols, (previous, polarity, number_format) = _cut(current, previous, polarity, number_format)
    try:
        before_at = _broadcast(previous, rows, cols, "previous")
        polarity_at = _broadcast(polarity, rows, cols, "polarity")
        format_at = _broadcast(number_format, rows, cols, "number_format")
    except ShapeError as exc:
        return _shape_out(_error_cells(rows, cols, str(exc)), scalar)
    symbols = rulebook().style.dot_symbols

    def answer(r, c):
        pol, fmt = _polarity_and_format(polarity_at(r, c), format_at(r, c))
        dot = direction_of_travel(_reading(now[r][c]), _reading(before_at(r, c)), pol, fmt)
        return symbols[dot.direction] if dot.direction else ""

    return _shape_out(_answers(rows, cols, answer), scalar)


def _polarity_and_format(polarity, number_format):
    number_format = excel_format(number_format)
    text = str(polarity or "").strip().lower()
    if not text:
        raise LookupError("give the polarity: high, low or info, or an indicator such as \"Social Care!3.14\"")
    if text in POLARITIES:
        return text, number_format or "General"  # Excel's General, as a cell shows it (up to 11 characters)
    rule = _find_rule(polarity)
    return rule.polarity, number_format or rule.number_format or _default_format(rule.tolerances)


@xw.func(category="cyps-xl")
@xw.arg("indicator", **VALUE_OPTIONS, doc="An indicator reference such as \"Social Care!3.14\" (or a column of them).")
@xw.arg("band", **VALUE_OPTIONS, doc="red, amber or green (or a row of them, e.g. the Red/Amber/Green headings).")
def CYPS_TOLERANCE(indicator, band):  # noqa: N802
    """The tolerance text of an indicator's band, as the rules give it (blank if the band is absent)."""
    def text(item, which):
        words = str(which or "").strip().lower().split()
        name = words[0] if words else ""  # a heading such as "Green (target)" names its band first
        if name not in ("red", "amber", "green"):
            raise LookupError("band should be red, amber or green")
        found = getattr(_find_rule(item).tolerances, name)
        return found.text if found else ""

    return _per_indicator(indicator, band, "band", text)


def _per_indicator(indicator, other, name, answer):
    """``answer(indicator, other)`` for each cell of the larger of the two; a problem is an answer too (#CYPS! ...)."""
    _, _, _, (indicator, other) = _cut(indicator, indicator, other)  # a whole column cut to the rows it uses
    items, others = _grid(indicator), _grid(other)
    rows, cols = max(len(items), len(others)), max(len(items[0]), len(others[0]))
    scalar = not _is_range(indicator) and not _is_range(other)
    try:
        item_at = _broadcast(indicator, rows, cols, "indicator")
        other_at = _broadcast(other, rows, cols, name)
    except ShapeError as exc:
        return _shape_out(_error_cells(rows, cols, str(exc)), scalar)
    return _shape_out(_answers(rows, cols, lambda r, c: answer(item_at(r, c), other_at(r, c))), scalar)


MEASURES = {"sn_average": "sn_average", "stat neigh av.": "sn_average", "sn": "sn_average",
            "sn_best": "sn_best", "best stat neigh": "sn_best", "best": "sn_best",
            "national": "national", "nat av.": "national", "nat": "national",
            "top_quartile": "top_quartile", "top qtile threshold": "top_quartile",
            "regional": "regional", "region": "regional", "ria": "regional"}


@xw.func(category="cyps-xl")
@xw.arg("indicator", **VALUE_OPTIONS, doc="An indicator reference such as \"Social Care!3.14\" (or a column of them).")
@xw.arg("measure", **VALUE_OPTIONS, doc="sn_average, sn_best, national, top_quartile or regional (or a row of them, e.g. the benchmark headings).")
def CYPS_BENCH(indicator, measure):  # noqa: N802
    """A benchmark figure for an indicator from the configured benchmark file (CYPS_XL_BENCHMARKS)."""
    return _per_indicator(indicator, measure, "measure", _bench)


def _bench(indicator, measure):
    from cyps_xl.benchmarks.filling import figures_for, load_benchmarks

    from cyps_xl.workbook.layout import HEADING_YEAR

    key = MEASURES.get(HEADING_YEAR.sub("", str(measure or "")).strip().lower())
    if key is None:
        raise LookupError(f"unknown measure '{measure}'; use sn_average, sn_best, national, top_quartile or regional")
    sources = _cache.get("adopted_bench")
    if sources is None:
        path = _configured("CYPS_BENCHMARKS")
        if not path and sys.platform == "emscripten":  # xlwings Lite: no files, only what a script read
            raise LookupError("no benchmarks: paste published figures into a 'cyps_xl.benchmarks' sheet and run "
                              "Update benchmarks")
        if not path:
            raise LookupError("no benchmark file: set CYPS_BENCHMARKS in your settings file (cyps-xl addin install "
                              "--benchmarks FOLDER) or the environment variable CYPS_XL_BENCHMARKS")
        stamp = (path, Path(path).stat().st_mtime_ns if Path(path).exists() else None)
        if _cache["bench_key"] != stamp:
            _cache["bench"] = load_benchmarks(Path(path))
            _cache["bench_key"] = stamp
        sources = _cache["bench"]
    rule = _find_rule(indicator)
    for row in (r for source in sources for r in source.rows):
        if row.sheet.lower() == rule.sheet.lower() and row.ref == rule.ref and (row.part or None) == (rule.part or None):
            return figures_for(row, rule.polarity, rule.number_format).get(key, "")  # best, quartile: by polarity
    return ""
