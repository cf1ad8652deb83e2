"""Column titles and how a scorecard sheet is laid out (from rules/layout.yaml)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.engine.rules import BUNDLED_RULES
from cyps_xl.engine.yamlfile import check_keys, load_yaml

COLUMN_KEYS = (
    "ref", "indicator", "part", "timeline", "data_note", "outturn", "polarity",
    "dot_month", "rag_month", "dot_year", "rag_year", "red", "amber", "green",
    "previous_year", "trend", "sn_average", "sn_best", "national", "top_quartile", "regional",
    "quartile_band", "national_rank",
)
BENCHMARK_KEYS = ("sn_average", "sn_best", "national", "top_quartile", "regional")
# the data year at the end of a benchmark heading: "Nat av. 2020/21", "RIA (2021)", "Nat av. 2020/2021"
HEADING_YEAR = re.compile(r"\s*\(?\d{4}(\s*[/-]\s*\d{2,4})?\)?\s*$")
LAYOUT_KEYS = {"header_search_rows", "required", "columns", "months", "title_block"}


def clean_title(text) -> str:
    return " ".join(str(text).replace("*", " ").replace("\n", " ").split()).lower()


@dataclass(frozen=True)
class Layout:
    header_search_rows: int
    required: tuple
    titles: dict  # key -> set of cleaned titles
    patterns: dict  # key -> list of compiled regexes
    month_patterns: tuple
    title_block: dict  # key -> prefix
    source: Path

    def classify(self, title) -> str | None:
        """The column key for a header title, or None: a title listed for a key first, then a pattern."""
        if title is None:
            return None
        cleaned = clean_title(title)
        if not cleaned:
            return None
        return self._by_title().get(cleaned) or self._by_pattern(cleaned)

    def is_title(self, title, key: str) -> bool:
        """``classify(title) == key``, without trying every pattern on text that cannot be ``key``'s title
        (the reader asks it of every row, to find a second header)."""
        if title is None:
            return False
        cleaned = clean_title(title)
        listed = self._by_title().get(cleaned)
        if listed is not None or not cleaned:
            return listed == key
        if not any(p.search(cleaned) for p in self.patterns.get(key, ())):
            return False
        return self._by_pattern(cleaned) == key

    def _by_title(self) -> dict:
        """cleaned title -> its key (the first key in COLUMN_KEYS' order that lists it)."""
        found = self.__dict__.get("_titles_index")
        if found is None:
            found = {}
            for key in reversed(COLUMN_KEYS):
                found.update(dict.fromkeys(self.titles.get(key, ()), key))
            object.__setattr__(self, "_titles_index", found)  # a cache on a frozen dataclass
        return found

    def _by_pattern(self, cleaned: str) -> str | None:
        for key in COLUMN_KEYS:
            if any(p.search(cleaned) for p in self.patterns.get(key, ())):
                return key
        return None

    def is_month_title(self, title) -> bool:
        return isinstance(title, str) and any(p.search(clean_title(title)) for p in self.month_patterns)


def load_layout(path: Path | None = None) -> Layout:
    path = (path if hasattr(path, "read_bytes") else Path(path)) if path else BUNDLED_RULES / "layout.yaml"
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise CypsError("should be a mapping with 'columns:'.", file=path, place="line 1")
    check_keys(data, LAYOUT_KEYS, path, "the layout")
    columns = data.get("columns") or {}
    check_keys(columns, set(COLUMN_KEYS), path, "columns")
    titles, patterns = {}, {}
    for key, spec in columns.items():
        if not isinstance(spec, dict):
            raise CypsError(f"column '{key}' should have titles: and/or patterns:.", file=path, place=f"line {columns.line_of(key)}")
        check_keys(spec, {"titles", "patterns"}, path, f"column '{key}'")
        titles[key] = {clean_title(t) for t in spec.get("titles") or []}
        patterns[key] = [_compile(p, path, spec.line_of("patterns")) for p in spec.get("patterns") or []]
    months = data.get("months") or {}
    return Layout(
        header_search_rows=_whole_number(data, "header_search_rows", 40, path),
        required=tuple(data.get("required") or ("ref", "indicator")),
        titles=titles, patterns=patterns,
        month_patterns=tuple(_compile(p, path, months.line_of("patterns")) for p in months.get("patterns") or []),
        title_block=dict(data.get("title_block") or {}),
        source=path,
    )


def _compile(pattern: str, path: Path, line: int):
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise CypsError(f"the pattern '{pattern}' is not a valid regular expression ({exc}).", file=path, place=f"line {line}") from None
    if _repeats_a_repeat(_parsed(pattern)):
        # (\w+\s?)+ tries every way of splitting a header among its repeats: one long cell took 49 s
        raise CypsError(f"the pattern '{pattern}' repeats a part that itself repeats, which can take minutes on one "
                        "header cell.", file=path, place=f"line {line}",
                        hint="Match the header's whole text under titles:, or write the pattern without a repeat "
                             "inside a repeat (^stat neigh, not ^(\\w+\\s?)+$).")
    return compiled


def _parsed(pattern: str):
    try:
        from re import _parser as parser  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as parser
    return parser.parse(pattern)


def _repeats_a_repeat(items, inside: bool = False) -> bool:
    """Whether a repeat (+, *, {2,}) holds another repeat, at any depth: the shape of catastrophic backtracking."""
    for op, arg in items:
        name = str(op)
        if name.endswith("REPEAT"):
            low, high, sub = arg
            if high > 1 and (inside or _repeats_a_repeat(sub, inside=True)):
                return True
            if _repeats_a_repeat(sub, inside):
                return True
        elif name == "SUBPATTERN":
            if _repeats_a_repeat(arg[-1], inside):
                return True
        elif name == "BRANCH":
            if any(_repeats_a_repeat(branch, inside) for branch in arg[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT"):
            if _repeats_a_repeat(arg[1], inside):
                return True
    return False


def _whole_number(data, key: str, default: int, path) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CypsError(f"{key} is {value!r}; give a whole number such as {default}.", file=path,
                        place=f"line {data.line_of(key)}")
    return value
