"""Titles compared as the sector writes them: without case or punctuation, and with its abbreviations spelt out.

A rule or benchmark measure that does not match a row by reference matches it by title. Councils' reports
number their indicators in their own ways and abbreviate freely ("% of LAC ...", "% of CLA ...", "% of
looked after children ..."), so titles are compared by a key: the normalised title with each abbreviation of
``abbreviations.yaml`` (a team's own, else the bundled one) replaced by what it stands for.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.engine.yamlfile import check_keys, load_yaml

FILE = "abbreviations.yaml"
_NOT_WORD = re.compile(r"[^a-z0-9%<>+]+")


@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Lower case, punctuation and runs of spaces removed: for matching titles."""
    text = str(text).lower().replace("&", " and ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


class TitleKeys:
    def __init__(self, spelt_out: dict | None = None):
        self.spelt_out = {normalise(k): normalise(v) for k, v in (spelt_out or {}).items() if normalise(k)}
        # longest first, whole words only: "cpp" before "cp", never the "cp" inside "icpc"
        words = sorted(self.spelt_out, key=len, reverse=True)
        self._pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, words)) + r")(?![a-z0-9])") if words else None
        self._keys: dict = {}

    def key(self, title) -> str:
        if title is None:
            return ""
        found = self._keys.get(title)
        if found is None:
            text = normalise(title)
            if self._pattern is not None:
                text = self._pattern.sub(lambda m: self.spelt_out[m.group(1)], text)
            found = self._keys[title] = text
        return found


def load_title_keys(path: Path) -> TitleKeys:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise CypsError("should be a mapping with 'abbreviations:'.", file=path, place="line 1")
    check_keys(data, {"abbreviations"}, path, "the abbreviations file")
    table = data.get("abbreviations") or {}
    if not isinstance(table, dict):
        raise CypsError("abbreviations should map each abbreviation to what it stands for, e.g. LAC: looked after children.",
                        file=path, place=f"line {data.line_of('abbreviations')}")
    for short, long in table.items():
        if isinstance(long, (dict, list)) or long is None or isinstance(short, (dict, list)):
            raise CypsError(f"'{short}' should stand for one text, e.g. LAC: looked after children.", file=path,
                            place=f"line {table.line_of(short)}")
    return TitleKeys({str(k): str(v) for k, v in table.items()})
