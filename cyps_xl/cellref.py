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


_RANGE_RE = re.compile(r"^\$?([A-Z]{1,3})?\$?(\d+)?(?::\$?([A-Z]{1,3})?\$?(\d+)?)?$")


def bounds(ref: str):
    """(top, left, bottom, right) of A1, A1:B2, A:A or 1:1 ($ allowed); None for what is no range (a name)."""
    found = _RANGE_RE.match(ref)
    if not found or not ref or not any(found.groups()):
        return None
    c1, r1, c2, r2 = found.groups()
    if ":" not in ref:
        if not (c1 and r1):
            return None
        c2, r2 = c1, r1
    top = int(r1) if r1 else 1
    bottom = int(r2) if r2 else MAX_ROW
    left = column_index(c1) if c1 else 1
    right = column_index(c2) if c2 else MAX_COLUMN
    return top, left, bottom, right


def split_ref(ref: str) -> tuple[int, int]:
    match = _REF_RE.match(ref)
    return int(match.group(2)), column_index(match.group(1))

