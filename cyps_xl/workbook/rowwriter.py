"""Applying a worksheet's recorded edits as its rows are written (see :mod:`~cyps_xl.workbook.worksheet`).

:class:`RowWriter` takes the edits :class:`~cyps_xl.workbook.sheet.SheetEditor` recorded and applies them
to each row as it streams past: a plain row as bytes (:meth:`RowWriter.write_bytes`, the usual case; see
:mod:`~cyps_xl.workbook.rowbytes`), any other row as an element (:meth:`RowWriter.write`), with the same
result. It keeps the sheet consistent: new cells take their row's or column's style and widen the row's
spans and the sheet's dimension, a shared formula's master that is overwritten hands its formula on, and
an issued sheet's formulas become their saved values.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from lxml import etree

from cyps_xl.cellref import address
from cyps_xl.workbook.cellbytes import frozen, is_inline_string
from cyps_xl.workbook.parts import M, column_index, column_letter
from cyps_xl.workbook.rowbytes import (Unusual, _letters_of, attribute_list, put_attribute, row_head, start_tag,
                                      with_height)
from cyps_xl.workbook.sheet import encoded

if TYPE_CHECKING:
    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.worksheet import Worksheet

UNCHANGED = object()  # a row the edits do not touch: copied as saved
_VALUE_TAGS = (f"{M}v", f"{M}is", f"{M}f")
F = f"{M}f"


def _put_value(cell, value) -> None:
    """Write an encoded value ((kind, text), or None to empty the cell) over whatever the cell held."""
    for child in list(cell):
        if child.tag in _VALUE_TAGS:
            cell.remove(child)
    for attribute in ("t", "cm", "vm"):  # a value written over a dynamic array or picture-in-cell is plain
        if attribute in cell.attrib:
            del cell.attrib[attribute]
    if value is None:
        return
    kind, text = value
    if kind != "n":
        cell.set("t", kind)
    etree.SubElement(cell, f"{M}v").text = text


def _set_style(cell, style: str) -> None:
    """Set a cell's format, its ``s`` just after ``r`` as Excel writes it: lxml would add a new one after ``t``,
    and a cell whose attributes come back in another order the next month is a needless change."""
    if "s" in cell.attrib or "t" not in cell.attrib:
        cell.set("s", style)
        return
    others = [(k, v) for k, v in cell.attrib.items() if k != "r"]
    reference = cell.get("r")
    cell.attrib.clear()
    if reference is not None:
        cell.set("r", reference)
    cell.set("s", style)
    for key, value in others:
        cell.set(key, value)


class RowWriter:
    """Applies a worksheet's recorded edits to each row as it streams past, keeping the sheet consistent:
    new cells take their row's or column's style and widen the row's spans and the sheet's dimension,
    a shared formula's master that is overwritten hands its formula on, and an issued sheet's formulas
    become their saved values. ``watch`` names cells whose final text is wanted (table headers)."""

    def __init__(self, worksheet: Worksheet, package: Package, watch=()):
        from cyps_xl.workbook.formulas import SharedFormulas

        self.worksheet, self.package = worksheet, package
        self.shared = SharedFormulas(worksheet.formulas)
        self.watch_rows = {}
        for r, c in watch:
            self.watch_rows.setdefault(r, set()).add(c)
        self.seen: dict = {}  # (row, column) -> text of a watched cell, as written
        self._column_styles = None
        self._low = self._high = None  # corners of the cells added
        self._derived_bytes: dict = {}  # (style attribute, chain) -> the style attribute derived
        self._rests: dict = {}  # a rewritten cell's bytes after its address, by what they depend on (_cell_bytes)

    def write(self, number: int, row) -> None:
        worksheet = self.worksheet
        height = worksheet.row_heights.get(number)
        if height is not None:
            row.set("ht", f"{height:g}")
            row.set("customHeight", "1")
        values = worksheet.values.get(number)
        styles = worksheet.styles.get(number)
        heirs = self.shared.heirs.pop(number, None)
        watched = self.watch_rows.get(number)
        if not (values or styles or heirs or watched or worksheet.freeze):
            return
        cells = _index(row)
        for column, (text, ref) in (heirs or {}).items():
            if column in cells:
                self.shared.promote(cells[column], text, ref)
        added = []
        if values and styles:
            columns = sorted(values.keys() | styles.keys())
        else:
            columns = sorted(values or styles or ())
        derive, chains = self.package.styles.derive_chain, self.package.style_chains
        for column in columns:
            cell = cells.get(column)
            if cell is None:
                cell = cells[column] = self._new_cell(row, cells, number, column)
                added.append(column)
            if values and column in values:
                formula = cell.find(F)
                if formula is not None:
                    self.shared.release(number, column, formula, cells)
                _put_value(cell, encoded(values[column]))
            chain = styles.get(column) if styles else None
            if chain:
                base = cell.get("s")
                derived = derive(int(base) if base else 0, chain, chains)
                if derived:
                    _set_style(cell, str(derived))
                elif base is not None:
                    del cell.attrib["s"]
        if worksheet.freeze:
            self._freeze(row)
        if added:
            self._widen(number, row, min(added), max(added))
        for column in watched or ():
            from cyps_xl.workbook.strings import cell_text

            cell = cells.get(column)
            self.seen[(number, column)] = cell_text(cell, self.package.shared_strings) if cell is not None else None

    def finish(self) -> None:
        if self._low is not None:
            widen_dimension(self.worksheet.shell, self._low, self._high)

    def _new_cell(self, row, cells: dict, number: int, column: int):
        new = etree.Element(f"{M}c", r=f"{column_letter(column)}{number}")
        later = [c for c in cells if c > column]
        if later:
            cells[min(later)].addprevious(new)
        else:
            row.append(new)
        self._inherit_style(new, row, column)
        return new

    def _inherit_style(self, cell, row, column: int) -> None:
        style = self._inherited(row.get("customFormat"), row.get("s"), column)
        if style is not None:
            _set_style(cell, style)

    def _inherited(self, custom_format, row_style, column: int):
        """A new cell takes its row's style, else its column's, as Excel shows an empty cell."""
        if custom_format in ("1", "true") and row_style:
            return row_style
        if self._column_styles is None:
            cols = self.worksheet.shell.find(f"{M}cols")
            self._column_styles = [(int(col.get("min")), int(col.get("max")), col.get("style"))
                                   for col in (cols.findall(f"{M}col") if cols is not None else [])
                                   if col.get("style") and (col.get("min") or "").isdigit() and (col.get("max") or "").isdigit()]
        for low, high, style in self._column_styles:
            if low <= column <= high:
                return style
        return None

    def _widen(self, number: int, row, low: int, high: int) -> None:
        spans = self._widened(number, row.get("spans"), low, high)
        if spans is not None:
            row.set("spans", spans)

    def _widened(self, number: int, spans, low: int, high: int):
        """The row's spans and the sheet's dimension cover the cells added (readers that trust them,
        openpyxl's read-only mode among them, would otherwise miss cells written outside); returns the
        row's new spans, or None to leave them."""
        found = None
        if spans:
            ranges = _span_ranges(spans)
            if ranges and not all(any(a <= c <= b for a, b in ranges) for c in (low, high)):
                found = f"{min([low] + [a for a, _ in ranges])}:{max([high] + [b for _, b in ranges])}"
        if self._low is None:
            self._low, self._high = (number, low), (number, high)
        else:
            self._low = (min(self._low[0], number), min(self._low[1], low))
            self._high = (max(self._high[0], number), max(self._high[1], high))
        return found

    # -- plain rows, as bytes (see cyps_xl.workbook.rowbytes) ------------------
    def write_bytes(self, number: int, attributes: bytes, body: bytes, layout):
        """A plain row's bytes with its edits applied; UNCHANGED when it has none, None when it needs the
        element code (a formula it touches or freezes, a shared formula's heir, a watched table header, a
        cell with more than a value). Attributes are set in place or added last, as lxml does, so a row
        comes out as the element code would write it."""
        worksheet = self.worksheet
        values = worksheet.values.get(number)
        styles = worksheet.styles.get(number)
        height = worksheet.row_heights.get(number)
        if number in self.shared.heirs or number in self.watch_rows:
            return None
        prefix = layout.prefix
        was_frozen = False
        # find, not "in": Python 3.11 raises and drops a TypeError for every bytes "in" bytes
        if worksheet.freeze and body.find(layout.formula_mark) >= 0:
            body = frozen(body, layout, values or {}, self.package.shared_strings)  # formulas: their results
            if body is None:
                return None
            was_frozen = True
        if not (values or styles or height is not None):
            if not was_frozen:
                return UNCHANGED
            return b"<" + prefix + b"row" + attributes + b">" + body + b"</" + prefix + b"row>"
        if not (values or styles):
            return row_head(prefix + b"row", attributes, height, not body) + \
                (body + b"</" + prefix + b"row>" if body else b"")
        values = values or {}
        styles = styles or {}
        wanted = sorted(values.keys() | styles.keys()) if values and styles else sorted(values or styles)
        cells, scanned = [], False
        if body:
            # the cells the edits touch, found by their addresses when the read found the row's cells plain
            found = layout.addressed_cells(body, number, wanted) if layout.odd_rows is not None \
                and number not in layout.odd_rows else None
            if found is not None:
                cells = found
            else:  # every cell, in turn: (column, where it starts), matched only where an edit needs it
                try:
                    cells, scanned = layout.scanned(body), True
                except Unusual:
                    return None
                if not layout.in_order:
                    return None  # cells out of order: the element code places new ones
        out, position, added, at, count = [], 0, [], 0, len(cells)
        inherit = None  # (customFormat, s) of the row, for the cells it gains
        own = None  # the row's number as written in an address
        for column in wanted:
            while at < count and cells[at][0] < column:
                at += 1
            if at < count and cells[at][0] == column:
                found = layout.cell_at(body, cells[at][1]) if scanned else cells[at][1]
                if column not in values and found.group(1) is not None:
                    style = found.group(3)
                    derived = self._derived(style, styles[column])
                    if style == derived:
                        continue  # restyled as it already is (last month's run set it): the bytes stay
                    if style is not None and derived is not None:  # only its s changes: spliced in place
                        start, end = found.span(3)
                        out.append(body[position:start])
                        out.append(derived)
                        position = end
                        continue
                start, end = found.span()
                while body[start] != 60:  # '<': the whitespace before the cell stays
                    start += 1
                out.append(body[position:start])
                position = end
                cell = self._cell_bytes(found.groups(), values, styles, column, prefix)
                if cell is None:
                    return None
            else:
                start = len(body)
                if at < len(cells):
                    start = cells[at][1] if scanned else cells[at][1].start()
                    while body[start] != 60:
                        start += 1
                out.append(body[position:start])
                position = start
                if inherit is None:
                    row_list = attribute_list(attributes) if attributes.find(b"s=") >= 0 else []
                    inherit = (_text(row_list, b"customFormat"), _text(row_list, b"s"))
                inherited = self._inherited(*inherit, column)
                if own is None:
                    own = b"%d" % number
                groups = (_letters_of(column), own, inherited.encode() if inherited is not None else None,
                          None, None, "/", None, None)
                cell = self._cell_bytes(groups, values, styles, column, prefix)
                added.append(column)
            out.append(cell)
        out.append(body[position:])
        spans = None
        if added:
            # find, not "in": Python 3.11 raises and drops a TypeError for every bytes "in" bytes
            row_attributes = attribute_list(attributes) if attributes.find(b"spans") >= 0 else None
            spans = self._widened(number, _text(row_attributes, b"spans") if row_attributes else None,
                                  min(added), max(added))
        if spans is not None:
            # the height first, then the spans: in place, or added last in that order, as the element code does
            head = start_tag(prefix + b"row", put_attribute(with_height(row_attributes, height), b"spans",
                                                              spans.encode()), False)
        else:
            head = row_head(prefix + b"row", attributes, height, False)
        return b"".join([head, *out, b"</", prefix, b"row>"])

    def _cell_bytes(self, groups: tuple, values: dict, styles: dict, column: int, prefix: bytes):
        """One cell with its edits, from its match's groups (see rowbytes.Rows.cells); None when the element
        code must write it. A plain cell given a new value is its address and what follows it, which depends
        only on its style, the value and the restyling: a column's few (a DOT's arrows) are made once."""
        letters, digits, style, _, attributes, _, raw, inner = groups
        if column in values and (raw is not None or not inner):
            value = values[column]
            # a cell without an address (a minimal writer's) is the same bytes whole wherever it is
            key = (letters is None, style if letters is not None else attributes, value.__class__, value,
                   styles.get(column))
            rest = self._rests.get(key)
            if rest is None:
                made = self._made_cell(groups, values, styles, column, prefix)
                if made is None:
                    return None
                rest = made[len(prefix) + len(letters) + len(digits) + 7:] if letters is not None else made
                if len(self._rests) < 4096:  # a sheet of unlike values: kept to a size
                    self._rests[key] = rest
            if letters is None:
                return rest
            return b"".join([b"<", prefix, b'c r="', letters, digits, b'"', rest])  # after <c r="A1": the rest
        return self._made_cell(groups, values, styles, column, prefix)

    def _made_cell(self, groups: tuple, values: dict, styles: dict, column: int, prefix: bytes):
        letters, digits, style, kind, attributes, _, raw, inner = groups
        if raw is not None:
            inner = b"<" + prefix + b"v>" + raw + b"</" + prefix + b"v>"
        elif not inner:
            inner = None  # <c ...></c> is written <c .../>, as the element code writes it
        if column in values:
            if inner is not None and raw is None:
                if not is_inline_string(prefix, inner):
                    return None  # a formula (shared, perhaps) is overwritten: the element code does it
                inner = None  # an inline string is overwritten: its <is> goes, the new value comes
            value = encoded(values[column])
            if value is None:
                inner, kind = None, None
            else:
                kind = value[0].encode() if value[0] != "n" else None
                inner = b"<" + prefix + b"v>" + _escaped(value[1]) + b"</" + prefix + b"v>"
            if letters is None:
                listed = [(k, v) for k, v in attribute_list(attributes) if k not in (b"t", b"cm", b"vm")]
                attributes = None
                if kind is not None:
                    listed.append((b"t", kind))
        elif letters is None:
            listed = attribute_list(attributes)
            attributes = None
        chain = styles.get(column)
        new_style = style
        if chain:
            if letters is None:
                base = _text(listed, b"s")
                derived = self._derived(base.encode() if base is not None else None, chain)
                listed = put_attribute(listed, b"s", derived) if derived is not None else \
                    [(k, v) for k, v in listed if k != b"s"]
            else:
                new_style = self._derived(style, chain)
        name = prefix + b"c"
        if letters is None:
            tag = start_tag(name, listed, inner is None)
        else:  # r, s, t: Excel's order (see _set_style)
            tag = b"".join([b"<", name, b' r="', letters, digits, b'"',
                            b' s="' + new_style + b'"' if new_style is not None else b"",
                            b' t="' + kind + b'"' if kind is not None else b"",
                            b"/>" if inner is None else b">"])
        return tag if inner is None else b"".join([tag, inner, b"</", name, b">"])

    def _derived(self, style: bytes | None, chain: int) -> bytes | None:
        """The style attribute a cell gets when ``chain`` is set on its format ``style`` (None: format 0)."""
        key = (style, chain)
        found = self._derived_bytes.get(key)
        if found is None:
            index = self.package.styles.derive_chain(int(style) if style else 0, chain, self.package.style_chains)
            found = self._derived_bytes[key] = str(index).encode() if index else b""
        return found or None

    def _freeze(self, row) -> None:
        """Every formula in the row becomes its saved result (the issued copy carries values only)."""
        for formula in list(row.iter(f"{M}f")):
            cell = formula.getparent()
            cell.remove(formula)
            if cell.get("t") == "str":
                value = cell.find(f"{M}v")
                text = (value.text if value is not None else "") or ""
                _put_value(cell, ("s", str(self.package.shared_strings.add(text))))  # as Excel keeps text


@lru_cache(maxsize=256)  # a sheet's rows share a few spans ("1:33")
def _span_ranges(spans: str) -> tuple:
    return tuple(tuple(int(x) for x in part.split(":")) for part in spans.split()
                 if ":" in part and part.replace(":", "").isdigit())


def widen_dimension(shell, low: tuple, high: tuple) -> None:
    """A worksheet's <dimension> covers cells written outside it ((row, column) corners of the cells added)."""
    dimension = shell.find(f"{M}dimension")
    if dimension is None or not dimension.get("ref"):
        return
    first, _, last = dimension.get("ref").partition(":")
    corners = address(first), address(last or first)
    if None in corners:
        return  # a damaged dimension is left as it is: readers that trust it are no worse off
    (r1, c1), (r2, c2) = corners
    r1, c1, r2, c2 = min(r1, low[0]), min(c1, low[1]), max(r2, high[0]), max(c2, high[1])
    top, bottom = f"{column_letter(c1)}{r1}", f"{column_letter(c2)}{r2}"
    dimension.set("ref", top if top == bottom else f"{top}:{bottom}")


def _index(row) -> dict:
    """The row's cells by column (a cell without an address follows the one before it)."""
    cells = {}
    position = 0
    for cell in row.iterfind(f"{M}c"):
        ref = cell.get("r")
        position = column_index(ref.rstrip("0123456789")) if ref else position + 1
        cells[position] = cell
    return cells


def _text(attributes: list, name: bytes):
    found = next((v for k, v in attributes if k == name), None)
    return found.decode("utf-8") if found is not None else None


def _escaped(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")
