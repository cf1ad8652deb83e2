"""A1 cell references: column letters and numbers (pure, used everywhere)."""
from __future__ import annotations

import functools
import re


def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.lru_cache(maxsize=20000)
def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


_REF_RE = re.compile(r"^([A-Z]+)(\d+)$")
MAX_ROW, MAX_COLUMN = 1048576, 16384  # Excel's grid: XFD1048576


def address(ref: str | None) -> tuple[int, int] | None:
    """(row, column) of an A1 address such as B12, or None when ``ref`` is not one (damaged, or a range)."""
    letters = (ref or "").rstrip("0123456789")
    if not letters or letters == ref or not letters.isalpha() or not letters.isupper() or len(letters) > 3:
        return None
    return int(ref[len(letters):]), column_index(letters)


def split_ref(ref: str) -> tuple[int, int]:
    match = _REF_RE.match(ref)
    return int(match.group(2)), column_index(match.group(1))

