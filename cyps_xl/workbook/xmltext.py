"""Text as saved in XML, with its references read as an XML parser reads them: what the bytes paths (cells,
formulas, sparklines) read without parsing."""
from __future__ import annotations

import re

_REFERENCE = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _character(found) -> str:
    named = found.group(3)
    if named is not None:
        return _NAMED[named]
    code = int(found.group(1)) if found.group(1) is not None else int(found.group(2), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"  # as html.unescape


def unescaped(text: str) -> str:
    """Text as saved in XML with its references read, as lxml reads them: the five named ones (&amp;, &apos;...)
    and characters by number (&#10;, &#xA;). No more: XML has no others (html.unescape would read HTML's
    &nbsp; and take &#x80; for the euro sign)."""
    return _REFERENCE.sub(_character, text) if "&" in text else text
