"""Text measured as Excel lays it out: the printed width of a text in a cell's face and size, and the lines it
wraps to in a width. Calibri, Cambria, Arial and Times New Roman are measured with their metric-compatible twins'
widths (``fontwidths``, made by tools/font_widths.py), a little generously, so a text judged to fit does fit; any
other face with Arial's widths and more margin."""
from __future__ import annotations

import math
from functools import lru_cache

# Helvetica's widths in thousandths of an em (Arial shares them), for the characters that differ most: the
# measure of a face with no table of its own, with more margin.
_NARROW = dict.fromkeys("ijl|'!.,:;", 278) | dict.fromkeys("ft I/\\[]()", 300) | {"r": 333, "-": 333}
_WIDE = dict.fromkeys("mwMW@%", 889) | dict.fromkeys("ABCDEGHKNOQRUVXY&", 722) | {"—": 1000}
# Excel's faces -> their metric-compatible twins (the same widths) and the Debian package that installs each
METRIC_TWINS = {"calibri": ("Carlito", "fonts-crosextra-carlito"), "cambria": ("Caladea", "fonts-crosextra-caladea"),
                "arial": ("Liberation Sans", "fonts-liberation"),
                "times new roman": ("Liberation Serif", "fonts-liberation")}
# a face named by another of the same widths -> the face whose widths it has
TWINS = {twin.lower(): face for face, (twin, _) in METRIC_TWINS.items()} | \
    {"helvetica": "arial", "arimo": "arial", "tinos": "times new roman"}
KNOWN_MARGIN, UNKNOWN_MARGIN = 1.03, 1.08


@lru_cache(maxsize=64)
def _table(face: str | None, bold: bool):
    """(width of each character, margin) for a face and weight: its own widths when known."""
    from cyps_xl.report.fontwidths import CHARACTERS, WIDTHS

    key = (face or "calibri").strip().lower()  # Excel's default face, when a font names none
    key = TWINS.get(key, key)
    found = WIDTHS.get((key, bold))
    if found is None:
        return None, UNKNOWN_MARGIN * (1.07 if bold else 1.0)
    return dict(zip(CHARACTERS, found)), KNOWN_MARGIN


@lru_cache(maxsize=1 << 16)
def _ems(text: str, face: str | None = None, bold: bool = False) -> float:
    """Width of ``text`` in ems, with its margin (words repeat across a scorecard: each is measured once)."""
    table, margin = _table(face, bold)
    if table is None:
        return sum(_NARROW.get(ch, _WIDE.get(ch, 556 if not ch.isupper() else 667)) for ch in text) / 1000 * margin
    return sum(table.get(ch) or (1000 if ord(ch) > 0x2E7F else 600) for ch in text) / 1000 * margin


def text_width(text: str, points: float, bold: bool = False, face: str | None = None) -> float:
    """Printed width of ``text`` in points, a little generous."""
    return _ems(text, face, bold) * points


@lru_cache(maxsize=64)
def _words(face: str | None, bold: bool) -> dict:
    """word -> its width in ems, for a face and weight: a long text is wrapped a word at a time, and a scorecard's
    words repeat (a plain dict: the lookup is the whole cost of a word)."""
    return {}


@lru_cache(maxsize=1 << 12)  # a column's short texts repeat down a scorecard ("monthly" in DATA NOTE)
def wrapped_lines(text: str, points: float, bold: bool, width: float, face: str | None = None) -> tuple[int, float]:
    """(lines, widest word) when ``text`` wraps at words in ``width`` points; a word wider than ``width`` is
    broken over as many lines as it needs, as Excel does."""
    lines, widest = 0, 0.0
    words = _words(face, bold)
    if len(words) > 1 << 16:
        words.clear()  # a sheet of unlike words: kept to a size
    known = words.get
    space = _ems(" ", face, bold) * points
    width = max(width, 1.0)
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            ems = known(word)
            if ems is None:
                ems = words[word] = _ems(word, face, bold)
            w = ems * points
            if w > widest:
                widest = w
            if not used:
                used = w
            elif used + space + w > width:
                lines += 1
                used = w
            else:
                used = used + space + w
            if used > width:  # a word longer than the line: it runs on over further lines
                extra = math.ceil(used / width) - 1
                lines += extra
                used -= extra * width
    return max(lines, 1), widest
