"""Draft commentary: one or two plain-English sentences per rated indicator.

Built from the data in the style of the published narrative, with wording from
``rules/commentary.yaml`` that the team can edit.  For example:

    Care leavers in suitable accommodation rose to 96.6% in March from 94.6% in
    February (98.4% last year), on target (Green, 94%+) and above the statistical
    neighbour average of 88.4%.

"Above"/"below" a benchmark means better/worse in value terms (the rating says
whether that is good); the statistical neighbour average is used when there is
one, else the national average.  It is a draft for the service to edit, and the
sheet says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cyps_xl.engine.rating import RowResult, rag_rating
from cyps_xl.engine.rules import BUNDLED_RULES, RuleBook
from cyps_xl.engine.values import Reading, as_displayed, format_precision, steps_apart
from cyps_xl.engine.yamlfile import load_yaml
from cyps_xl.errors import CypsError


OPENING = ("subject", "value", "month", "previous_value", "previous_month", "reason")
PLACEHOLDERS = {  # each text of commentary.yaml, and the {names} cyps-xl fills in it
    "label": (), "end": (), "last_year": ("last_year",), "last_year_total": ("outturn", "last_year"),
    "off_target": ("months",), "opening": OPENING, "rating": ("rag", "green"),
    "benchmark": ("sn_average", "national"),
}


@dataclass(frozen=True)
class Wording:
    data: dict

    @cached_property
    def drops(self) -> tuple:
        """The leading words a subject drops (subject_drop), lower-cased once."""
        return tuple(prefix.lower() for prefix in self.data.get("subject_drop", []))

    @classmethod
    def load(cls, rules: RuleBook | None = None) -> "Wording":
        folder = rules.files[0].parent if rules and rules.files else BUNDLED_RULES
        path = folder / "commentary.yaml"
        path = path if path.exists() else BUNDLED_RULES / "commentary.yaml"
        data = load_yaml(path)
        _check_placeholders(data, path)
        return cls(data)


def _check_placeholders(data, path: Path) -> None:
    """Every {name} in the wording must be one cyps-xl fills there: a misspelt {vallue} is named with its line."""
    import string

    for key, allowed in PLACEHOLDERS.items():
        texts = data.get(key) if isinstance(data, dict) else None
        items = texts.items() if isinstance(texts, dict) else [(None, texts)]
        for sub, text in items:
            if not isinstance(text, str):
                continue
            line = texts.line_of(sub) if sub is not None else data.line_of(key)
            if key == "benchmark":  # "above" names the neighbours' average, "above_national" England's
                allowed = ("national",) if str(sub).endswith("_national") else ("sn_average",)
            try:
                names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
            except ValueError as exc:
                raise CypsError(f"the text of {key}{'.' + sub if sub else ''} has a brace out of place ({exc}).",
                                file=path, place=f"line {line}", hint="Write {name} for a figure, {{ or }} for a brace.") from None
            for name in names:
                if name not in allowed:
                    listed = ", ".join("{" + a + "}" for a in allowed) or "none"
                    raise CypsError(f"{{{name}}} in {key}{'.' + sub if sub else ''} is not filled by cyps-xl.",
                                    file=path, place=f"line {line}", hint=f"Use one of: {listed}.")


def shown(value: float, precision: tuple) -> str:
    """A figure as the cell shows it, written as a council report writes it: 1,321 and 96.6%. ``precision``:
    its format's (decimals, percent), worked out once for the four or five figures of a sentence."""
    decimals, percent = precision
    places = _PLACES.get(decimals)
    if places is not None and value.__class__ is float:
        # a float's own rounding gives the displayed digits unless the value sits at a tie, half a step between
        # two (0.125 at two places): Excel rounds its 15 digits half up there, as as_displayed does
        figure = value * 100 if percent else value
        scaled = abs(figure) * places
        if scaled < 1e9 and abs(scaled - int(scaled) - 0.5) > 1e-6:
            return f"{figure:,.{decimals}f}%" if percent else f"{figure:,.{decimals}f}"
    figure = as_displayed(value, decimals, percent)
    text = f"{figure:,}" if abs(figure) >= 1000 else f"{figure}"
    return text + "%" if percent else text


_PLACES = {places: 10.0 ** places for places in range(7)}  # places -> how far a step is from a whole number


def subject(title: str, wording: Wording) -> str:
    text = (title or "").strip()
    lowered = text.lower()
    for prefix in wording.drops:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    return text[:1].upper() + text[1:]


def part_of(row) -> str:
    """' (families)' for a row of a multi-row indicator, so its sentence is told from its siblings'; nothing
    where the row's part is only its unit (its DATA NOTE: %, Count) or its title names it already."""
    part = (row.part or "").strip()
    if not part or part == (row.data_note or "").strip() or f"({part.lower()})" in (row.title or "").lower():
        return ""
    # a word is written in the sentence's case ("Families" -> families); a team's code or abbreviation as the team
    # wrote it ("OLD", "CiN"): lower-cased it reads as a word it is not
    return f" ({part if part != part.capitalize() and part != part.lower() else part.lower()})"


@lru_cache(maxsize=64)
def _month_name(date) -> str:
    return date.strftime("%B")


def sentence(result: RowResult, months: list, benchmarks: dict, labels: dict, wording: Wording) -> str:
    """``months``: the table's month columns; ``benchmarks``: key -> value for this row."""
    w = wording.data
    row, measure = result.row, result.measure
    fmt = measure.number_format
    precision = format_precision(fmt)
    latest, previous = (row.months[-1] if row.months else Reading(None)), (row.months[-2] if len(row.months) > 1 else Reading(None))
    month = _month_name(months[-1].date) if months and months[-1].date else (months[-1].label if months else "")
    before = _month_name(months[-2].date) if len(months) > 1 and months[-2].date else (months[-2].label if len(months) > 1 else "")
    fields = {"subject": subject(row.title, wording) + part_of(row), "month": month, "previous_month": before}
    if not latest.present:
        fields["reason"] = latest.reason or "blank"
        return w["opening"]["no_value"].format(**fields) + w["end"]
    fields["value"] = shown(latest.number, precision)
    if previous.present:
        fields["previous_value"] = shown(previous.number, precision)
        key = result.dot_month.direction or "no_previous"
    else:
        key = "no_previous"
    text = w["opening"][key].format(**fields)
    if row.previous_year.present:
        last_year = shown(row.previous_year.number, precision)
        outturn = shown(row.outturn.number, precision) if row.outturn.present else None
        if outturn is not None and outturn != fields["value"]:
            text += w["last_year_total"].format(outturn=outturn, last_year=last_year)
        else:  # a snapshot or a rate: this month's figure is the year's
            text += w["last_year"].format(last_year=last_year)
    band = result.rag_month.band
    if measure.polarity == "info":
        text += w["rating"]["info"]
    elif band:
        green = measure.tolerances.green.text if measure.tolerances.green else "-"
        text += w["rating"][band].format(rag=labels[band], green=green)
    if benchmarks:
        text += _benchmark_phrase(latest.number, benchmarks, precision, w)
    text += w["end"]
    if measure.polarity != "info" and band and band != "green":
        streak = _months_off_target(result, row)
        if streak > 1:
            text += w["off_target"].format(months=streak)
    return _UNIT_APART.sub("", text) if " %" in text or "\u00a0%" in text else text


# a figure and its % sign are one word, so a line never breaks between them: a team's band typed "87 %+" reads "87%+"
_UNIT_APART = re.compile(r"(?<=\d)[ \u00a0](?=%)")


def _benchmark_phrase(value: float, benchmarks: dict, precision: tuple, w: dict) -> str:
    for key, suffix in (("sn_average", ""), ("national", "_national")):
        other = benchmarks.get(key)
        if isinstance(other, (int, float)):
            if steps_apart(value, other, *precision):  # shown they differ the same way: no need to round them
                mine, theirs = value, other
            else:
                mine, theirs = as_displayed(value, *precision), as_displayed(other, *precision)
            where = "above" if mine > theirs else "below" if mine < theirs else "level"
            return w["benchmark"][where + suffix].format(**{key: shown(other, precision)})
    return ""


def _months_off_target(result: RowResult, row) -> int:
    count = 0
    for reading in reversed(row.months):
        if not reading.present:
            break
        # the latest month's rating is the row's own
        band = result.rag_month.band if reading is row.months[-1] and not count else rag_rating(reading, result.measure).band
        if band in (None, "green"):
            break
        count += 1
    return count


def commentary_rows(table, results, benchmark_values: dict, labels: dict, wording: Wording) -> list[list]:
    """[ref, indicator, sentence] for every row that is rated or informative."""
    rows = []
    for result in results:
        row = result.row
        if not any(m.present or m.reason for m in row.months):
            continue  # an empty row: nothing to say
        bench = benchmark_values.get(row.row, {})
        rows.append([row.ref if row.first_in_block else "", row.title or "", sentence(result, table.months, bench, labels, wording)])
    return rows


def load_wording(rules: RuleBook | None) -> Wording:
    return Wording.load(rules)


__all__ = ["sentence", "commentary_rows", "load_wording", "Wording", "subject", "Path"]
