"""styles.xml, append-only: new fonts, fills and cell formats are added, existing ones never change."""
from __future__ import annotations

import copy

from lxml import etree


from cyps_xl.workbook.cellstyle import CellStyle  # noqa: F401 - re-exported
from cyps_xl.workbook.parts import FONT_ORDER, M, insert_in_order

BUILTIN_NUMFMTS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}


class StyleChains:
    """Each distinct sequence of :class:`CellStyle` set on one cell, as a small int, so an edit records an
    int rather than a list (a big scorecard has hundreds of thousands of restyled cells, sharing a few
    dozen chains). 0 is the empty chain."""

    def __init__(self):
        self._chains: list = [()]
        self._ids: dict = {(): 0}
        self._then: dict = {}  # (chain, style) -> chain with the style set after
        self._seen: dict = {}  # (chain, id(style)) -> (style, chain with it set after)

    def then(self, chain: int, style: CellStyle) -> int:
        """The chain with ``style`` set after the others (the later one wins where both say)."""
        seen = self._seen.get((chain, id(style)))
        if seen is not None and seen[0] is style:  # the same object as before: no hashing of its fields
            return seen[1]
        key = (chain, style)
        found = self._then.get(key)
        if found is None:
            styles = self._chains[chain] + (style,)
            found = self._ids.get(styles)
            if found is None:
                found = self._ids[styles] = len(self._chains)
                self._chains.append(styles)
            self._then[key] = found
        if len(self._seen) < 4096:  # the style is kept alive with it, so its id is not reused
            self._seen[(chain, id(style))] = (style, found)
        return found

    def chain(self, chain: int) -> tuple:
        return self._chains[chain]


class Styles:
    """Append-only edits to styles.xml: existing formats are never changed."""

    def __init__(self, root):
        self.root = root
        self.num_fmts = root.find(f"{M}numFmts")
        self.fonts = root.find(f"{M}fonts")
        self.fills = root.find(f"{M}fills")
        self.xfs = root.find(f"{M}cellXfs")
        self._cache: dict = {}
        self._chained: dict = {}  # (base, chain) -> derived format index
        self._keeps: dict = {}  # (base, style) -> whether style leaves base as it is
        self._index = {
            "font": {self._key(e): i for i, e in reversed(list(enumerate(self.fonts)))},
            "fill": {self._key(e): i for i, e in reversed(list(enumerate(self.fills)))},
            "xf": {self._key(e): i for i, e in reversed(list(enumerate(self.xfs)))},
        }

    @staticmethod
    def _key(element) -> tuple:
        """A format by meaning: names with their namespaces (never the prefixes or declarations a part happens
        to carry: a font read back from Excel's file and the same font built here are one font), attributes in
        any order, text, and children. Comparing serialisations, a second refresh appended every format again."""
        return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(),
                tuple(Styles._key(child) for child in element if isinstance(child.tag, str)))

    def _add(self, kind: str, container, element) -> int:
        key = self._key(element)
        found = self._index[kind].get(key)
        if found is not None:
            return found
        container.append(element)
        index = len(container) - 1
        container.set("count", str(len(container)))
        self._index[kind][key] = index
        return index

    def look(self, index: int) -> tuple[float, bool, bool, str | None]:
        """(font size in points, bold, wraps, face) of a cell format, for measuring text (11 pt when unsaid;
        face None when the font names none)."""
        xf = self.xfs[index] if 0 <= index < len(self.xfs) else self.xfs[0]
        font = self.fonts[int(xf.get("fontId", "0"))] if int(xf.get("fontId", "0")) < len(self.fonts) else None
        size = font.find(f"{M}sz") if font is not None else None
        try:
            points = float(size.get("val")) if size is not None else 11.0
        except (TypeError, ValueError):
            points = 11.0
        alignment = xf.find(f"{M}alignment")
        wraps = alignment is not None and alignment.get("wrapText") in ("1", "true")
        name = font.find(f"{M}name") if font is not None else None
        face = name.get("val") if name is not None else None
        return points, font is not None and font.find(f"{M}b") is not None, wraps, face

    def _existing_format_id(self, code: str) -> int | None:
        if code in BUILTIN_NUMFMTS:
            return BUILTIN_NUMFMTS[code]
        for fmt in self.num_fmts if self.num_fmts is not None else ():
            if fmt.get("formatCode") == code:
                return int(fmt.get("numFmtId"))
        return None

    def number_format_id(self, code: str) -> int:
        found = self._existing_format_id(code)
        if found is not None:
            return found
        if self.num_fmts is None:
            self.num_fmts = etree.Element(f"{M}numFmts", count="0")
            self.root.insert(0, self.num_fmts)
        used = [int(f.get("numFmtId")) for f in self.num_fmts]
        new_id = max([163, *used]) + 1
        etree.SubElement(self.num_fmts, f"{M}numFmt", numFmtId=str(new_id), formatCode=code)
        self.num_fmts.set("count", str(len(self.num_fmts)))
        return new_id

    def derive_chain(self, base: int, chain: int, chains: StyleChains) -> int:
        """The cell format ``base`` with each style of ``chain`` set in turn."""
        key = (base, chain)
        found = self._chained.get(key)
        if found is None:
            found = base
            for style in chains.chain(chain):
                found = self.derive(found, style)
            self._chained[key] = found
        return found

    def keeps(self, base: int, style: CellStyle) -> bool:
        """Would :meth:`derive` give ``base`` itself, its number format being ``style``'s already? Answered
        without adding to styles.xml, so the formats a run does add are numbered as they are written. Only
        a number format is judged (what a row's figures are given); any other style is taken to change."""
        key = (base, style)
        found = self._keeps.get(key)
        if found is None:
            found = False
            if style == CellStyle(number_format=style.number_format) and style.number_format is not None \
                    and 0 <= base < len(self.xfs):
                number_format = self._existing_format_id(style.number_format)
                if number_format is not None:
                    xf = copy.deepcopy(self.xfs[base])
                    _set_number_format(xf, number_format)
                    found = self._key(xf) == self._key(self.xfs[base])  # derive would give base itself
            self._keeps[key] = found
        return found

    def derive(self, base: int, style: CellStyle) -> int:
        key = (base, style)
        if key in self._cache:
            return self._cache[key]
        xf = copy.deepcopy(self.xfs[base] if base < len(self.xfs) else self.xfs[0])
        if style.number_format is not None:
            _set_number_format(xf, self.number_format_id(style.number_format))
        if style.font_color is not None or style.bold is not None or style.italic is not None or style.size is not None:
            font = copy.deepcopy(self.fonts[int(xf.get("fontId", "0"))])
            if style.font_color is not None:
                _set_font_child(font, "color", rgb="FF" + style.font_color)
            if style.size is not None:
                _set_font_child(font, "sz", val=f"{style.size:g}")
            for tag, wanted in (("b", style.bold), ("i", style.italic)):
                if wanted is None:
                    continue
                existing = font.find(f"{M}{tag}")
                if wanted and existing is None:
                    _set_font_child(font, tag)
                elif not wanted and existing is not None:
                    font.remove(existing)
            _in_schema_order(font)  # a font copied from a file another tool wrote may have them out of order
            xf.set("fontId", str(self._add("font", self.fonts, font)))
            xf.set("applyFont", "1")
        if style.fill is not None:
            if style.fill == "none":
                xf.set("fillId", "0")
            else:
                fill = etree.Element(f"{M}fill")
                pattern = etree.SubElement(fill, f"{M}patternFill", patternType="solid")
                etree.SubElement(pattern, f"{M}fgColor", rgb="FF" + style.fill)
                etree.SubElement(pattern, f"{M}bgColor", indexed="64")
                xf.set("fillId", str(self._add("fill", self.fills, fill)))
            xf.set("applyFill", "1")
        if style.wrap is not None or style.vertical is not None or style.horizontal is not None:
            alignment = xf.find(f"{M}alignment")
            if alignment is None:
                alignment = etree.SubElement(xf, f"{M}alignment")
            before = dict(alignment.attrib)
            if style.wrap is not None:
                alignment.set("wrapText", "1" if style.wrap else "0")
            if style.horizontal is not None:
                alignment.set("horizontal", style.horizontal)
            if style.wrap is not None or style.vertical is not None:
                alignment.set("vertical", style.vertical or "top")
            if dict(alignment.attrib) != before:  # a cell already so aligned keeps its format
                xf.set("applyAlignment", "1")
        if base < len(self.xfs) and self._key(xf) == self._key(self.xfs[base]):
            index = base  # nothing changes: the cell keeps its format, not an identical twin of it (openpyxl's
            # files repeat formats)
        else:
            index = self._add("xf", self.xfs, xf)
        self._cache[key] = index
        return index


def _set_number_format(xf, number_format: int) -> None:
    """A format that names the number format already, without ``applyNumberFormat`` (LibreOffice and openpyxl
    save them so), shows it: Excel and LibreOffice apply a cell format's own number format whatever that flag
    says. So it is left as it is, and the cells keep their format; only an explicit ``applyNumberFormat="0"``,
    which some readers honour, or another number format, is set with the flag."""
    if (xf.get("numFmtId") or "0") == str(number_format) and xf.get("applyNumberFormat") not in ("0", "false"):
        return
    xf.set("numFmtId", str(number_format))
    xf.set("applyNumberFormat", "1")


def _in_schema_order(font) -> None:
    """A font's children in CT_Font's order (b, i, ..., sz, color, name, ...); unknown ones keep their place at the end."""
    rank = {tag: i for i, tag in enumerate(FONT_ORDER)}
    children = list(font)
    ordered = sorted(children, key=lambda e: rank.get(etree.QName(e).localname, len(rank)))
    if ordered != children:
        for child in children:
            font.remove(child)
        font.extend(ordered)


def _set_font_child(font, tag: str, **attrs) -> None:
    existing = font.find(f"{M}{tag}")
    if existing is not None:
        font.remove(existing)
    insert_in_order(font, etree.Element(f"{M}{tag}", **attrs), FONT_ORDER)
