"""The rules library: polarity and tolerances per indicator, plus house style.

A rules folder holds

* ``settings.yaml`` - RAG labels, colours, DOT symbols, number formats per DATA NOTE;
* ``layout.yaml``   - the column titles the reader looks for (see :mod:`cyps_xl.workbook.layout`);
* any other ``*.yaml`` - indicators, grouped by the sheet they appear on.

Rows are matched to rules by REF NO. (and, inside a multi-row indicator, by
the row's part - "Children", "%" - or its own title), failing that by the
normalised indicator title, so one library serves reports whose references
differ.  Everything is validated on load and every problem names the YAML
file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cyps_xl.engine.contrast import contrast
from cyps_xl.errors import CypsError
from cyps_xl.resources import BUNDLED_RULES  # where the bundled rules are (re-exported)
from cyps_xl.engine.titles import FILE as ABBREVIATIONS, TitleKeys, load_title_keys, normalise  # noqa: F401
from cyps_xl.engine.tolerances import BANDS, POLARITIES, Tolerances, ToleranceSyntaxError, parse_band
from cyps_xl.engine.textfiles import TextFolder
from cyps_xl.engine.yamlfile import LineDict, LineList, check_keys, load_yaml

NON_INDICATOR_FILES = {"settings.yaml", "layout.yaml", "benchmarks.yaml", "commentary.yaml", "reports.yaml",
                       "abbreviations.yaml"}
SETTINGS_KEYS = {"labels", "colours", "dot_symbols", "number_formats", "default_number_format", "created_by", "contact",
                 "jump_factor", "include_hidden_sheets"}
INDICATOR_FILE_KEYS = {"sheets", "description"}
SHEET_KEYS = {"indicators", "title"}
INDICATOR_KEYS = {"ref", "title", "part", "polarity", "tolerances", "number_format", "note"}


@dataclass(frozen=True)
class Style:
    labels: dict
    colours: dict
    dot_symbols: dict
    number_formats: dict
    default_number_format: str
    created_by: str | None = None
    contact: str | None = None
    jump_factor: float = 3.0  # the data-quality check flags a month more than this many times the one before
    include_hidden_sheets: bool = False  # hidden sheets (last year's copy, helpers) are not rated unless asked

    def number_format_for(self, data_note: str | None) -> str:
        key = normalise(data_note or "")
        for note, fmt in self.number_formats.items():
            if normalise(note) == key:
                return fmt
        return self.default_number_format


@dataclass(frozen=True)
class IndicatorRule:
    sheet: str
    ref: str | None
    title: str | None
    part: str | None
    polarity: str
    tolerances: Tolerances
    number_format: str | None
    note: str | None
    source: str  # "social_care.yaml line 12"
    file: Path | None = None
    line: int = 0


@dataclass
class RuleBook:
    style: Style
    rules: list[IndicatorRule] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    layout_file: Path | None = None
    benchmark_config: Path | None = None  # benchmarks.yaml: our authority, neighbour sets, DfE column mapping
    titles: TitleKeys = field(default_factory=TitleKeys)  # titles compared with the abbreviations spelt out

    def _indexes(self):
        """Rules by sheet, by (sheet, ref) and by title, built once: matching runs for every row."""
        if getattr(self, "_index_of", None) is None or self._index_of[0] != len(self.rules):
            by_sheet, by_ref, by_title = {}, {}, {}
            for rule in self.rules:
                sheet = normalise(rule.sheet)
                by_sheet.setdefault(sheet, []).append(rule)
                by_ref.setdefault((sheet, rule.ref), []).append(rule)
                if rule.title:
                    by_title.setdefault((sheet, self.titles.key(rule.title)), []).append(rule)
                    by_title.setdefault((None, self.titles.key(rule.title)), []).append(rule)
            self._index_of = (len(self.rules), by_sheet, by_ref, by_title)
        return self._index_of[1:]

    def match(self, sheet: str, ref: str | None, part: str | None, title: str | None) -> IndicatorRule | None:
        """The rule for one scorecard row, or None when the library has none."""
        by_sheet, by_ref, by_title = self._indexes()
        key = _sheet_key(sheet)
        if ref:
            found = _pick(by_ref.get((key, ref), []), part, title)
            if found:
                return found
        if title:
            scope = key if key in by_sheet else None  # a sheet the rules do not know: any sheet's titles
            found = _pick(by_title.get((scope, self.titles.key(title)), []), part, title)
            if found:
                return found
        return None


@lru_cache(maxsize=256)  # asked for every row; a scorecard has a few sheets
def _sheet_key(sheet: str) -> str:
    return normalise(sheet)


def _pick(candidates: list[IndicatorRule], part: str | None, title: str | None) -> IndicatorRule | None:
    """Choose among rules sharing a reference: by part, then title, then the one without a part."""
    if part:
        narrowed = [r for r in candidates if r.part and normalise(r.part) == normalise(part)]
        candidates = narrowed or candidates
    if len(candidates) == 1:
        return candidates[0]
    if title:
        by_title = [r for r in candidates if r.title and normalise(r.title) == normalise(title)]
        if len(by_title) == 1:
            return by_title[0]
    unparted = [r for r in candidates if not r.part]
    if not part and len(unparted) == 1:
        return unparted[0]
    return None


def load_rules(path: Path | None = None) -> RuleBook:
    """Load a rules folder (or one indicators file, with the bundled settings)."""
    path = path if isinstance(path, TextFolder) else Path(path) if path else BUNDLED_RULES
    if not path.exists():
        raise CypsError("rules not found.", file=path, hint="Give a rules folder or YAML file with --rules.")
    if path.is_dir():
        folder, indicator_files = path, sorted(
            p for p in path.glob("*.y*ml") if p.name not in NON_INDICATOR_FILES and p.is_file()
        )
    else:
        folder, indicator_files = path.parent, [path]
    settings_file = folder / "settings.yaml"
    if not settings_file.exists():
        settings_file = BUNDLED_RULES / "settings.yaml"
    layout_file = folder / "layout.yaml"
    benchmark_file = folder / "benchmarks.yaml"
    abbreviations = folder / ABBREVIATIONS if (folder / ABBREVIATIONS).exists() else BUNDLED_RULES / ABBREVIATIONS
    book = RuleBook(style=_load_style(settings_file), layout_file=layout_file if layout_file.exists() else None,
                    benchmark_config=benchmark_file if benchmark_file.exists() else BUNDLED_RULES / "benchmarks.yaml",
                    titles=load_title_keys(abbreviations))
    for file in indicator_files:
        book.rules.extend(_load_indicator_file(file))
        book.files.append(file)
    _check_duplicates(book.rules)
    _check_shown_gaps(book)
    return book


def _check_shown_gaps(book: RuleBook) -> None:
    """Bands whole at the places they are written may not be at those the cell shows: <=60% then 61%+ leaves
    60.5% unrated in a 0.0% cell. Checked at the rule's number format, or the one settings give % rows."""
    from cyps_xl.engine.values import GENERAL, format_precision

    for rule in book.rules:
        if rule.polarity == "info" or rule.tolerances.empty:
            continue
        shown = rule.number_format or (book.style.number_format_for("%") if rule.tolerances.percent else None)
        decimals = format_precision(shown)[0] if shown else GENERAL
        if decimals is GENERAL:
            continue
        for problem in rule.tolerances.problems(rule.polarity, decimals):
            if "gap" in problem:
                raise CypsError(f"tolerances of ref {rule.ref or rule.title}: {problem}, as a '{shown}' cell shows "
                                "it.", file=rule.file, place=f"line {rule.line}",
                                hint="Make each band start where the next one ends at the places the cell shows "
                                     "(<60.5% then 60.5%+, or <61% then 61%+).")


def _load_style(path: Path) -> Style:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise CypsError("should be a mapping of settings.", file=path, place="line 1")
    check_keys(data, SETTINGS_KEYS, path, "settings")
    for key in ("labels", "colours", "dot_symbols"):
        if key in data and not isinstance(data[key], dict):
            raise CypsError(f"'{key}' should be a mapping.", file=path, place=f"line {data.line_of(key)}")
    labels = {"red": "Red", "amber": "Amber", "green": "Green", **(data.get("labels") or {})}
    colours = {
        "red": "FF0000", "amber": "FFC000", "green": "00B050",
        "improving": "007A33", "declining": "C00000", "neutral": "000000",
        **(data.get("colours") or {}),
    }
    for name, value in colours.items():
        if not re.fullmatch(r"#?[0-9A-Fa-f]{6}", str(value)):
            line = (data.get("colours") or LineDict()).line_of(name) if isinstance(data.get("colours"), LineDict) else 1
            raise CypsError(
                f"colour '{name}' is '{value}', not a hex colour.", file=path, place=f"line {line}",
                hint="Write it as six hex digits, for example 'FFC000'.",
            )
    colours = {k: str(v).lstrip("#").upper() for k, v in colours.items()}
    for name in ("improving", "declining", "neutral"):  # arrow colours are text on a white cell
        if contrast(colours[name]) < 4.5:
            line = data["colours"].line_of(name) if isinstance(data.get("colours"), LineDict) else 1
            raise CypsError(f"the {name} arrow colour '{colours[name]}' has a contrast of "
                            f"{contrast(colours[name]):.1f}:1 on white; readers need 4.5:1 (WCAG AA).",
                            file=path, place=f"line {line}", hint="Use a darker shade, e.g. 007A33 for green, C00000 for red.")
    for key in ("created_by", "contact", "default_number_format"):
        if key in data and not isinstance(data[key], (str, type(None))):
            kind = "a list" if isinstance(data[key], list) else "a mapping" if isinstance(data[key], dict) else "a number"
            raise CypsError(f"{key} should be text, not {kind}.", file=path,
                            place=f"line {data.line_of(key)}", hint=f'Write it on one line, e.g. {key}: "..."')
    for key in ("labels", "dot_symbols", "number_formats"):
        for name, value in (data.get(key) or {}).items():
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise CypsError(f"{key} '{name}' should be text.", file=path, place=f"line {data[key].line_of(name)}")
    jump = data.get("jump_factor", 3.0)
    if isinstance(jump, bool) or not isinstance(jump, (int, float)) or jump <= 1:
        raise CypsError(f"jump_factor is {jump!r}; give a number above 1, such as 3.", file=path,
                        place=f"line {data.line_of('jump_factor')}")
    symbols = {"up": "↑", "down": "↓", "same": "→", **(data.get("dot_symbols") or {})}
    return Style(
        labels=labels, colours=colours, dot_symbols=symbols,
        number_formats=dict(data.get("number_formats") or {}),
        default_number_format=str(data.get("default_number_format", "General")),
        created_by=data.get("created_by"), contact=data.get("contact"),
        jump_factor=float(data.get("jump_factor", 3.0)),
        include_hidden_sheets=_flag(data, "include_hidden_sheets", path),
    )


def _flag(data, key: str, path: Path) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise CypsError(f"{key} is {value!r}; write true or false.", file=path, place=f"line {data.line_of(key)}")
    return value


def _load_indicator_file(path: Path) -> list[IndicatorRule]:
    data = load_yaml(path)
    if data is None:
        return []
    if not isinstance(data, dict) or "sheets" not in data:
        raise CypsError(
            "an indicators file should start with 'sheets:'.", file=path, place="line 1",
            hint="See rules/social_care.yaml for the layout.",
        )
    check_keys(data, INDICATOR_FILE_KEYS, path, "an indicators file")
    sheets = data["sheets"]
    if not isinstance(sheets, dict):
        raise CypsError("'sheets' should map sheet names to their indicators.", file=path, place=f"line {data.line_of('sheets')}")
    rules = []
    for sheet, body in sheets.items():
        if not isinstance(body, dict):
            raise CypsError(f"sheet '{sheet}' should have 'indicators:'.", file=path, place=f"line {sheets.line_of(sheet)}")
        check_keys(body, SHEET_KEYS, path, f"sheet '{sheet}'")
        items = body.get("indicators") or []
        if not isinstance(items, list):
            raise CypsError("'indicators' should be a list.", file=path, place=f"line {body.line_of('indicators')}")
        for position, item in enumerate(items):
            line = items.line_of(position) if isinstance(items, LineList) else 0
            rules.append(_load_indicator(item, str(sheet), path, line))
    return rules


def is_number_format(code) -> bool:
    """An Excel number format: General, or one with a digit placeholder (0 # ?) or text (@) outside quotes."""
    if not isinstance(code, str) or not code.strip():
        return False
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return code.strip().lower() == "general" or bool(re.search(r"[0#?@]", bare))


def _load_indicator(item, sheet: str, path: Path, line: int = 0) -> IndicatorRule:
    if not isinstance(item, LineDict):
        raise CypsError("each indicator should be a mapping with ref, title, polarity.", file=path,
                        place=f"line {getattr(item, 'line', None) or line or 1}",
                        hint="Write each indicator as '- ref: ...' with its keys indented beneath.")
    check_keys(item, INDICATOR_KEYS, path, "an indicator")
    for key in ("ref", "title", "part", "note", "polarity"):
        if isinstance(item.get(key), (list, dict)):
            raise CypsError(f"{key} should be one text, not a list or mapping.", file=path,
                            place=f"line {item.line_of(key)}", hint=f"Write it on one line: {key}: ...")
    where = lambda key: f"line {item.line_of(key)}"  # noqa: E731
    if not item.get("ref") and not item.get("title"):
        raise CypsError("an indicator needs a 'ref' or a 'title' to be matched by.", file=path, place=where("ref"))
    polarity = str(item.get("polarity", "")).strip().lower()
    if polarity not in POLARITIES:
        raise CypsError(
            f"unknown polarity '{item.get('polarity')}'.", file=path, place=where("polarity"),
            hint="Use high, low or info (what good performance is).",
        )
    tolerances = Tolerances()
    raw = item.get("tolerances")
    if raw is not None:
        if not isinstance(raw, LineDict):
            raise CypsError("'tolerances' should map red/amber/green to texts such as '<87%'.", file=path, place=where("tolerances"))
        check_keys(raw, set(BANDS), path, "tolerances")
        parsed = {}
        for band in BANDS:
            try:
                parsed[band] = parse_band(raw.get(band))
            except ToleranceSyntaxError as exc:
                raise CypsError(f"{band} tolerance: {exc}.", file=path, place=f"line {raw.line_of(band)}") from None
        tolerances = Tolerances(**parsed)
        for problem in tolerances.problems(polarity):
            raise CypsError(f"tolerances of {_label(item)}: {problem}.", file=path, place=where("tolerances"))
    number_format = item.get("number_format")
    if number_format is not None and not is_number_format(number_format):
        raise CypsError(f"number_format '{number_format}' is not an Excel number format.", file=path,
                        place=where("number_format"), hint="Quote it as Excel writes it, e.g. number_format: '0.0%' or '#,##0'.")
    ref = item.get("ref")
    return IndicatorRule(
        sheet=sheet, ref=str(ref).strip() if ref is not None else None,
        title=item.get("title"), part=str(item["part"]) if item.get("part") is not None else None,
        polarity=polarity, tolerances=tolerances,
        number_format=number_format, note=item.get("note"),
        source=f"{path.name} line {item.line}", file=path, line=item.line,
    )


def _label(item) -> str:
    bits = [f"ref {item.get('ref')}" if item.get("ref") else None, f"'{item.get('part')}'" if item.get("part") else None]
    return " ".join(b for b in bits if b) or f"'{item.get('title')}'"


def _check_duplicates(rules: list[IndicatorRule]) -> None:
    seen: dict = {}
    for rule in rules:
        key = (normalise(rule.sheet), rule.ref, normalise(rule.part or ""), normalise(rule.title or ""))
        if key in seen:
            what = f"ref {rule.ref}" + (f" part '{rule.part}'" if rule.part else "") if rule.ref else f"'{rule.title}'"
            raise CypsError(
                f"{what} on sheet '{rule.sheet}' is defined twice (also at {seen[key]}).", file=rule.file,
                place=f"line {rule.line}", hint="Keep one; give each row of a multi-row indicator its own 'part'.",
            )
        seen[key] = rule.source
