"""A worksheet's extension list as bytes, for the same reason as its rows (:mod:`~cyps_xl.workbook.rowbytes`): a big
scorecard's is a sparkline a row. Found at the end of the sheet (:func:`without_extensions`), its sparklines read
without parsing it (:func:`sparklines`); kept as saved unless a sparkline must change."""
from __future__ import annotations

import re

_SPARKLINE = re.compile(rb"<(\w+:|)sparkline>\s*<(\w+:|)f>([^<]*)</\2f>\s*<\2sqref>([^<]*)</\2sqref>\s*</\1sparkline>")
_SPARKLINE_START = re.compile(rb"<(?:\w+:)?sparkline[\s/>]")


def sparklines(extensions: bytes) -> dict | None:
    """target cell -> source range of each sparkline in an extLst as saved, or None when a sparkline is not
    in the usual form (a formula before its cell, say): the caller then parses it."""
    found = {}
    for match in _SPARKLINE.finditer(extensions):
        formula, target = match.group(3).decode("utf-8"), match.group(4).decode("utf-8")
        if "&" in formula or "&" in target:
            from cyps_xl.workbook.xmltext import unescaped

            formula, target = unescaped(formula), unescaped(target)
        found[target] = formula
    if len(_SPARKLINE_START.findall(extensions)) != len(found):
        return None
    return found


def without_extensions(tail: bytes, prefix: bytes) -> tuple[bytes, tuple | None]:
    """(the tail without its extLst, where the extLst is in it), when the extLst is the root's last child (a
    conditional format's own extLst, or one nested inside, is not it)."""
    if b"<!" in tail or b"<?" in tail:
        return tail, None
    depth, start, last = 0, 0, None
    for found in re.finditer(rb"<(/?)" + re.escape(prefix) + rb"extLst\b[^>]*?(/?)>", tail):
        if found.group(1):
            depth -= 1
            if depth == 0:
                last = (start, found.end())
        elif not found.group(2):
            if depth == 0:
                start = found.start()
            depth += 1
    if last is None or depth != 0 or tail[last[1]:].strip() != b"</" + prefix + b"worksheet>":
        return tail, None
    return tail[:last[0]] + tail[last[1]:], last
