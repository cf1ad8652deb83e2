"""Target tolerance bands: parsing the text the team writes, and rating a value.

The scorecard's Red / Amber / Green columns hold short texts.  Every form
seen in the published reports is understood:

=================  ===========================================  ==================
text               meaning                                      kind
=================  ===========================================  ==================
``<87%``           below 87%                                    ``lt``
``87%+``           87% or more                                  ``ge``
``85%>``           85% or more (the report's "85% and above")   ``ge``
``95.2+``          95.2 or more                                 ``ge``
``50-70%``         between 50% and 70% inclusive                ``range``
``2.2%``/``70%``   the target itself: at it or better           ``target``
``(2022) 65.2%``   as above, set for the year in brackets       ``target``
``<256.0 (22/23)`` below 256.0, set for 2022/23                 ``lt``
``-`` or blank     no such band                                 (None)
=================  ===========================================  ==================

Thresholds are kept in *display units*: a ``%`` threshold is in percent
points and is compared with the cell value x 100, rounded as displayed.

Bands form a ladder.  Green and Red are tested first and Amber is what lies
between, so ``Red 30%+ / Amber 22%+ / Green <22%`` rates 35% Red, not Amber.
When no band matches and the Red band is absent (a green-only target such
as ``<85``), the value has missed its target and is rated Red.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache

from cyps_xl.engine.values import is_placeholder

BANDS = ("red", "amber", "green")
POLARITIES = ("high", "low", "info")

_NUM = r"(\d+(?:\.\d+)?)"
_YEAR_NOTE = r"(?:\s*\(([^)]*)\))?"
_PATTERNS = [
    ("lt", re.compile(rf"^<\s*{_NUM}\s*(%?){_YEAR_NOTE}$")),
    ("le", re.compile(rf"^(?:<=|≤)\s*{_NUM}\s*(%?){_YEAR_NOTE}$")),
    ("gt", re.compile(rf"^>\s*{_NUM}\s*(%?){_YEAR_NOTE}$")),
    ("ge", re.compile(rf"^(?:>=|≥)\s*{_NUM}\s*(%?){_YEAR_NOTE}$")),
    ("ge", re.compile(rf"^{_NUM}\s*(%?)\s*[+>]{_YEAR_NOTE}$")),
    ("target", re.compile(rf"^{_NUM}\s*(%?){_YEAR_NOTE}$")),
]
_RANGE = re.compile(rf"^{_NUM}\s*(%?)\s*[-–]\s*{_NUM}\s*(%?){_YEAR_NOTE}$")
_LEADING_YEAR = re.compile(r"^\((\d{4}(?:/\d{2})?)\)\s*(.+)$")


class ToleranceSyntaxError(ValueError):
    """The text is not a band cyps-xl understands."""


@dataclass(frozen=True)
class Band:
    kind: str  # lt, le, gt, ge, range, target
    low: Decimal | None  # threshold (lower end for range)
    high: Decimal | None = None  # upper end for range
    percent: bool = False
    note: str | None = None  # a year such as "22/23" written beside the figure
    text: str = ""

    @cached_property  # asked for every value rated; a band is shared by every row with its text
    def decimals(self) -> int:
        values = [v for v in (self.low, self.high) if v is not None]
        return max((max(0, -v.as_tuple().exponent) for v in values), default=0)

    @cached_property
    def _float_limits(self) -> tuple:
        return tuple(float(limit) if limit is not None else None for limit in (self.low, self.high))

    def matches(self, shown: Decimal | float, polarity: str) -> bool:
        """Does a value, rounded as displayed (a Decimal), or clear of every edge (a float: see Tolerances.rate),
        fall in this band?"""
        kind = self.kind
        if shown.__class__ is float:  # farther from each edge than a float's error: compared as floats, the same
            low, high = self._float_limits  # answer, without a float's conversion each time
        else:
            low, high = self.low, self.high
        if kind == "target":  # "at the target or better", so polarity decides the side
            kind = "le" if polarity == "low" else "ge"
        if kind == "lt":
            return shown < low
        if kind == "le":
            return shown <= low
        if kind == "gt":
            return shown > low
        if kind == "ge":
            return shown >= low
        return low <= shown <= high

    def canonical(self) -> str:
        """The text written back into the scorecard."""
        return self.text


def parse_band(text) -> Band | None:
    """Parse one tolerance cell. Returns None for an absent band ("-", blank)."""
    try:
        return _parse_band_once(text)
    except TypeError:  # unhashable (a list typed in the rules' YAML): read, and refused, as it is
        return _parse_band(text)


@lru_cache(maxsize=1024, typed=True)  # a scorecard's bands share a few dozen texts; a Band is immutable
def _parse_band_once(text) -> Band | None:
    return _parse_band(text)


def _parse_band(text) -> Band | None:
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        # A bare number typed into the cell. Excel stores 87% as 0.87.
        value = Decimal(format(text, ".15g"))
        return Band("target", value, text=format(value.normalize(), "f"))
    raw = " ".join(str(text).split())
    if raw == "" or raw in {"-", "–", "—"} or raw.lower() in {"n/a", "na", "none"}:
        return None
    body, note = raw, None
    leading = _LEADING_YEAR.match(body)
    if leading:
        note, body = leading.group(1), leading.group(2)
    ranged = _RANGE.match(body)
    if ranged:
        lo, lo_pct, hi, hi_pct, trailing = ranged.groups()
        low, high = Decimal(lo), Decimal(hi)
        if low > high:
            raise ToleranceSyntaxError(f"the range '{raw}' runs backwards; write the smaller figure first")
        return Band("range", low, high, percent=bool(lo_pct or hi_pct), note=note or trailing, text=raw)
    for kind, pattern in _PATTERNS:
        found = pattern.match(body)
        if found:
            number, pct, trailing = found.groups()
            return Band(kind, Decimal(number), percent=bool(pct), note=note or trailing, text=raw)
    if is_placeholder(raw):
        return None
    raise ToleranceSyntaxError(
        f"'{raw}' is not a tolerance cyps-xl can read; write it like '<87%', '87%+', '95.2+', '50-70%' or '-'"
    )


@dataclass(frozen=True)
class Tolerances:
    red: Band | None = None
    amber: Band | None = None
    green: Band | None = None

    @property
    def empty(self) -> bool:
        return self.red is None and self.amber is None and self.green is None

    def bands(self):
        return list(self._bands)

    @cached_property  # rows share their Tolerances (see cyps_xl.engine.rating), so each is worked out once
    def _bands(self) -> tuple:
        return tuple((name, getattr(self, name)) for name in BANDS if getattr(self, name) is not None)

    @cached_property
    def percent(self) -> bool:
        return any(band.percent for _, band in self._bands)

    @cached_property
    def edges(self) -> tuple:
        """Every band's thresholds, as floats: a value clear of them all is rated as it is (see values.clear_of)."""
        return tuple(float(limit) for _, band in self._bands for limit in (band.low, band.high) if limit is not None)

    def rate(self, shown: Decimal | float, polarity: str) -> str | None:
        """'red', 'amber', 'green', or None when the value falls in a gap. ``shown``: the value rounded as displayed,
        or unrounded when it is clear of every edge (a float compares with a Decimal threshold exactly)."""
        if self.green is not None and self.green.matches(shown, polarity):
            return "green"
        if self.red is not None and self.red.matches(shown, polarity):
            return "red"
        if self.amber is not None and self.amber.matches(shown, polarity):
            return "amber"
        if self.red is None:
            return "red"  # missed a target that has no explicit red band
        return None

    def problems(self, polarity: str, shown_decimals: int | None = None) -> list[str]:
        """Overlaps, gaps and contradictions with the polarity, in plain words; gaps are looked for at the places
        the bands are written to, or those the cell shows (``shown_decimals``) where it shows more."""
        found: list[str] = []
        bands = self.bands()
        if not bands:
            return found
        if polarity == "info":
            return ["an 'info' measure is not rated, so it cannot have tolerances; remove them or set polarity to high or low"]
        percents = {band.percent for _, band in bands}
        if len(percents) > 1 and any(b.kind != "target" for _, b in bands):
            found.append("some bands are written in % and some are not; write them all the same way")
        step = Decimal(1).scaleb(-max(max(band.decimals for _, band in bands), shown_decimals or 0))
        points = _probe_points(bands, step)
        better = _better(polarity)
        if self.green is not None and self.red is not None:
            both = [p for p in points if self.green.matches(p, polarity) and self.red.matches(p, polarity)]
            if both:
                found.append(
                    f"the Red band '{self.red.text}' and the Green band '{self.green.text}' overlap "
                    f"(both include {both[0]}{'%' if self.percent else ''})"
                )
        if self.amber is not None and self.amber.kind == "range":
            # an open amber band (87%+) is the ladder's middle and may reach into green; a range names
            # both its ends, so a value it shares with red or green would be rated against what it says
            for name in ("red", "green"):
                other = getattr(self, name)
                shared = [p for p in points if other is not None and other.matches(p, polarity)
                          and self.amber.matches(p, polarity)]
                if shared:
                    found.append(f"the Amber band '{self.amber.text}' and the {name.capitalize()} band '{other.text}' "
                                 f"overlap (both include {shared[0]}{'%' if self.percent else ''})")
        for name, band in bands:
            if band.kind in {"lt", "le", "gt", "ge"}:
                opens_up = band.kind in {"gt", "ge"}
                wants_up = (name == "green") == (better == "up")
                if name != "amber" and opens_up != wants_up:
                    found.append(
                        f"the {name.capitalize()} band '{band.text}' contradicts 'good performance is {polarity}': "
                        f"{'green' if name == 'green' else 'red'} should be the {'higher' if wants_up else 'lower'} values"
                    )
        if self.red is not None and not found:
            gaps = [p for p in points if self.rate(p, polarity) is None]
            if gaps:
                found.append(
                    f"the bands leave a gap: {gaps[0]}{'%' if self.percent else ''} is in no band; "
                    "make each band start where the next one ends"
                )
        return found


def _better(polarity: str) -> str:
    return "down" if polarity == "low" else "up"


def _probe_points(bands, step: Decimal) -> list[Decimal]:
    points: set[Decimal] = set()
    for _, band in bands:
        for edge in (band.low, band.high):
            if edge is not None:
                points.update({edge - step, edge, edge + step})
    return sorted(points)


def parse_tolerances(red=None, amber=None, green=None) -> Tolerances:
    return Tolerances(parse_band(red), parse_band(amber), parse_band(green))
