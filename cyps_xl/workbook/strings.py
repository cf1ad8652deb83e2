"""The shared-strings table: where every text cyps-xl writes goes, as Excel itself keeps text.

Inline strings (``t="inlineStr"``) are valid, but Excel moves them all into
the shared-strings table on its next save, rewriting the sheets, and the Open
XML SDK's checks flag them. So text is appended to ``xl/sharedStrings.xml``
(created, with its relationship and content type, when the workbook has none)
and cells refer to it; existing items are never changed or reordered.
"""
from __future__ import annotations

import re

from lxml import etree

from cyps_xl.workbook.parts import M, NS_MAIN, NS_REL

SST_REL = f"{NS_REL}/sharedStrings"
SI, T = f"{M}si", f"{M}t"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # what XML 1.0 cannot hold
_PRESERVE = ' xml:space="preserve"'


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


class SharedStrings:
    def __init__(self, package):
        self.package = package
        self.part = None
        _, rels = package.relationships(package.workbook_part)
        for rel in (rels if rels is not None else ()):
            if rel.get("Type") == SST_REL:
                self.part = package.target_name(package.workbook_part, rel.get("Target"))
                stored = package.part_name(self.part)
                if stored != self.part and stored in package.parts:
                    # stored as xl/SharedStrings.xml: Excel finds it whatever the case, but readers that
                    # match names exactly (openpyxl, the Open XML SDK) would see text cells with no table
                    package.rename_part(stored, self.part)
        self.root = package.tree(self.part) if self.part in package.parts else None
        # every item's text by index, read once: the reader, the print measuring and the index share them
        self._texts: list = []
        self.index = {}  # text -> index of a plain item (not rich text), which a cell can reuse
        for position, item in enumerate(self.root.iterfind(SI) if self.root is not None else ()):
            text = item_text(item)
            self._texts.append(text)
            if len(item) == 1 and item[0].tag == T:
                self.index.setdefault(text, position)
        self.size = len(self._texts)
        self._added: list = []  # texts added by this run, written after the file's own items
        self._references = 0  # cells pointed at the table since the counts were last settled

    def texts(self) -> list:
        """Every item's text by index (what a cell referring to it shows)."""
        return self._texts

    def _create(self) -> None:
        self.part = "xl/sharedStrings.xml" if self.package.part_name("xl/sharedStrings.xml") not in self.package.parts else \
            self.package._new_part_name("xl/sharedStrings{}.xml")
        self.root = etree.Element(f"{M}sst", nsmap={None: NS_MAIN}, uniqueCount="0")
        self.package.parts[self.part] = b""
        self.package._trees[self.part] = self.root
        target = self.part[len("xl/"):] if self.part.startswith("xl/") else "/" + self.part
        self.package._add_relationship(self.package.workbook_part, SST_REL, target)
        self.package._content_type(self.part, SST_CT)

    def ensure(self) -> None:
        """The table exists (made, with its relationship and content type, when the workbook has none): it
        is written even if nothing is added to it."""
        if self.root is None:
            self._create()
            self.package.touch(self.part)

    def add(self, text: str) -> int:
        """The index of ``text`` in the table, appending it if new (kept as text until the table is written:
        a big scorecard's commentary adds tens of thousands)."""
        if self.root is None:
            self._create()
        found = self.index.get(text)
        if found is None:
            if _NOT_XML.search(text):
                raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
            found = self.index[text] = self.size
            self._texts.append(text)
            self._added.append(text)
            self.size += 1
        if not self._references:
            self.package.touch(self.part)
        self._references += 1
        return found

    def to_bytes(self) -> bytes:
        """The table as it is to be saved: the file's items as they were, then the ones added, as lxml would
        write them (``&``, ``<``, ``>`` and carriage returns escaped; spaces kept where they matter)."""
        self.settle()
        written = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if not self._added:
            return written
        p = f"{self.root.prefix}:" if self.root.prefix else ""
        items = "".join(f"<{p}si><{p}t{_PRESERVE if text != text.strip() or chr(10) in text else ''}>"
                        f"{_escaped(text)}</{p}t></{p}si>" for text in self._added).encode("utf-8")
        if written.endswith(b"/>"):  # a table with no items yet, written as one tag
            return written[:-2] + b">" + items + f"</{p}sst>".encode()
        end = written.rindex(b"</")
        return written[:end] + items + written[end:]

    def settle(self) -> None:
        """The table's counts updated for what was added (before it is written)."""
        if self.root is None or not self._references:
            return
        self.root.set("uniqueCount", str(self.size))
        # count (every cell pointing at the table) is optional: a run cannot know how many cells it stopped
        # pointing at, and adding its own each time grew it with every refresh of the same workbook
        self.root.attrib.pop("count", None)
        self._references = 0


def item_text(element) -> str:
    """The text of a string item or an inline string: its <t>, or its runs' <t>s (phonetic runs left out)."""
    direct = element.find(f"{M}t")
    if direct is not None:
        return direct.text or ""
    return "".join(t.text or "" for r in element.iterfind(f"{M}r") for t in r.iterfind(f"{M}t"))


def cell_text(cell, strings: "SharedStrings | None") -> str | None:
    """The text a cell shows, when it holds text (shared, inline or a formula's string result)."""
    kind = cell.get("t")
    if kind is None or kind == "n":
        return None  # a number
    if kind == "inlineStr":
        inline = cell.find(f"{M}is")
        return item_text(inline) if inline is not None else None
    value = cell.find(f"{M}v")
    if value is None:
        return None
    if kind == "s" and strings is not None and (value.text or "").isdigit():
        texts = strings.texts()
        index = int(value.text)
        return texts[index] if index < len(texts) else None
    return value.text if kind in ("str", "s") else None
