"""The shared-strings table: where every text cyps-xl writes goes, as Excel itself keeps text.

Inline strings (``t="inlineStr"``) are valid, but Excel moves them all into
the shared-strings table on its next save, rewriting the sheets, and the Open
XML SDK's checks flag them. So text is appended to ``xl/sharedStrings.xml``
(created, with its relationship and content type, when the workbook has none)
and cells refer to it; existing items are never changed or reordered.
"""
from __future__ import annotations

from lxml import etree

from cyps_xl.workbook.parts import M, NS_MAIN, NS_REL, XML_SPACE

SST_REL = f"{NS_REL}/sharedStrings"
SI, T = f"{M}si", f"{M}t"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


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
        self.index = {}
        for position, item in enumerate(self.root.iterfind(f"{M}si") if self.root is not None else ()):
            text = item.find(f"{M}t")
            if text is not None and len(item) == 1:  # a plain item (not rich text): reusable
                self.index.setdefault(text.text or "", position)
        self.size = len(self.root.findall(f"{M}si")) if self.root is not None else 0
        self._references = 0  # cells pointed at the table since the counts were last settled
        self._texts: list = []  # item texts by index, made when first asked for and extended as the table grows

    def texts(self) -> list:
        """Every item's text by index (what a cell referring to it shows)."""
        if self.root is not None and len(self._texts) < self.size:
            items = self.root.findall(f"{M}si")
            self._texts.extend(item_text(item) for item in items[len(self._texts):])
        return self._texts

    def _create(self) -> None:
        self.part = "xl/sharedStrings.xml" if self.package.part_name("xl/sharedStrings.xml") not in self.package.parts else \
            self.package._new_part_name("xl/sharedStrings{}.xml")
        self.root = etree.Element(f"{M}sst", nsmap={None: NS_MAIN}, count="0", uniqueCount="0")
        self.package.parts[self.part] = b""
        self.package._trees[self.part] = self.root
        target = self.part[len("xl/"):] if self.part.startswith("xl/") else "/" + self.part
        self.package._add_relationship(self.package.workbook_part, SST_REL, target)
        self.package._content_type(self.part, SST_CT)

    def ensure(self) -> None:
        """The table exists (made, with its relationship and content type, when the workbook has none)."""
        if self.root is None:
            self._create()

    def add(self, text: str) -> int:
        """The index of ``text`` in the table, appending it if new."""
        if self.root is None:
            self._create()
        found = self.index.get(text)
        if found is None:
            item = etree.SubElement(self.root, SI)
            node = etree.SubElement(item, T)
            node.text = text
            if text != text.strip() or "\n" in text:
                node.set(XML_SPACE, "preserve")
            found = self.index[text] = self.size
            self.size += 1
        if not self._references:
            self.package.touch(self.part)
        self._references += 1
        return found

    def settle(self) -> None:
        """The table's counts updated for what was added (done once, before it is written)."""
        if self.root is None or not self._references:
            return
        self.root.set("uniqueCount", str(self.size))
        if self.root.get("count") is not None:
            counted = self.root.get("count")
            self.root.set("count", str((int(counted) if counted.isdigit() else 0) + self._references))
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
