"""Cell-level edits to one worksheet: recorded by the editor, applied to each row as it is written.

:class:`SheetEditor` is what the writers call (values, styles, row heights,
sparklines). It records each edit against its cell; nothing walks the sheet,
so an edit costs the same whatever the sheet's size. When the package is
saved, :class:`RowWriter` applies the edits to the rows they touch while
:class:`~cyps_xl.workbook.worksheet.Worksheet` streams every row out.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree


if TYPE_CHECKING:
    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.worksheet import Worksheet

from cyps_xl.cellref import MAX_COLUMN, MAX_ROW
from cyps_xl.errors import CypsError
from cyps_xl.workbook.parts import (M, NS_X14, NS_XM, SPARKLINE_EXT_URI, X14, XM, column_index, column_letter,
                                    same_range)
from cyps_xl.workbook.styles import CellStyle

KEEP = object()  # an edit that leaves the cell's value as it is (a style only)
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


class SheetEditor:
    """Edits to one worksheet, recorded against their cells (applied by :class:`RowWriter` when saved)."""

    def __init__(self, worksheet: Worksheet, package: Package):
        self.worksheet = worksheet
        self.package = package
        self.root = worksheet.shell  # everything but the rows: sparklines, columns, print settings
        self._sparklines: dict | None = None  # target cell -> x14:sparkline, built on first use

    def _check(self, number: int, column: int) -> None:
        if not (1 <= number <= MAX_ROW and 1 <= column <= MAX_COLUMN):
            raise CypsError(f"cell {column_letter(max(column, 1))}{number} is beyond Excel's grid "
                            f"({column_letter(MAX_COLUMN)}{MAX_ROW} at most).", file=self.package.path,
                            hint="Check the layout: a column or row this far out cannot be written.")

    def set_value(self, number: int, column: int, value) -> None:
        row = self.worksheet.values.get(number)
        if row is None:
            self._check(number, column)
            row = self.worksheet.values[number] = {}
        elif not 1 <= column <= MAX_COLUMN:
            self._check(number, column)
        if (number, column) in self.worksheet.formulas:  # a formula becomes a value: the chain goes
            self.package.formulas_replaced = True
        if value is None or value == "":
            row[column] = None
        elif isinstance(value, bool):
            row[column] = ("b", "1" if value else "0")
        elif isinstance(value, (int, float)):
            row[column] = ("n", repr(float(value)) if isinstance(value, float) else str(value))
        else:
            row[column] = ("s", str(self.package.shared_strings.add(str(value))))

    def set_style(self, number: int, column: int, style: CellStyle) -> None:
        row = self.worksheet.styles.get(number)
        if row is None:
            self._check(number, column)
            row = self.worksheet.styles[number] = {}
        elif not 1 <= column <= MAX_COLUMN:
            self._check(number, column)
        row[column] = self.package.style_chains.then(row.get(column, 0), style)

    def row_height(self, number: int, points: float) -> None:
        if not 1 <= number <= MAX_ROW:
            raise CypsError(f"row {number} is beyond Excel's grid.", file=self.package.path)
        self.worksheet.row_heights[number] = points

    def clear_rows(self) -> None:
        """The sheet's rows go: what is written next is its whole content."""
        self.worksheet.replace_rows = True
        self.worksheet.values.clear()
        self.worksheet.styles.clear()
        self.worksheet.row_heights.clear()

    # -- sparklines (an x14 extension openpyxl cannot keep) -------------------
    def sparklines(self) -> dict:
        """Existing sparklines: target cell -> source range."""
        return {
            line.findtext(f"{XM}sqref"): line.findtext(f"{XM}f")
            for line in self.root.iter(f"{X14}sparkline")
        }

    def ensure_sparkline(self, target: str, source: str) -> str:
        """Point the sparkline in ``target`` at ``source``, creating it if missing.

        Returns "kept", "updated" or "created".  New sparklines join the sheet's
        first column sparkline group, so they look like the team's own.
        """
        if self._sparklines is None:
            self._sparklines = {line.findtext(f"{XM}sqref"): line for line in self.root.iter(f"{X14}sparkline")}
        line = self._sparklines.get(target)
        if line is not None:
            formula = line.find(f"{XM}f")
            if same_range(formula.text or "", source):
                return "kept"
            formula.text = source
            return "updated"
        groups = self._sparkline_groups()
        group = next((g for g in groups.findall(f"{X14}sparklineGroup") if g.get("type") == "column"), None)
        if group is None:
            group = etree.SubElement(groups, f"{X14}sparklineGroup", type="column", displayEmptyCellsAs="gap",
                                     displayHidden="1")
            for tag, rgb in (("colorSeries", "FF2E75B6"), ("colorNegative", "FFC00000"), ("colorAxis", "FF000000"),
                             ("colorMarkers", "FF2E75B6"), ("colorFirst", "FF2E75B6"), ("colorLast", "FF2E75B6"),
                             ("colorHigh", "FF2E75B6"), ("colorLow", "FF2E75B6")):
                etree.SubElement(group, f"{X14}{tag}", rgb=rgb)
            etree.SubElement(group, f"{X14}sparklines")
        lines = group.find(f"{X14}sparklines")
        line = etree.SubElement(lines, f"{X14}sparkline")
        etree.SubElement(line, f"{XM}f").text = source
        etree.SubElement(line, f"{XM}sqref").text = target
        self._sparklines[target] = line
        return "created"

    def _sparkline_groups(self):
        ext_list = self.root.find(f"{M}extLst")
        if ext_list is None:
            ext_list = etree.SubElement(self.root, f"{M}extLst")  # extLst is always the last child
        ext = next((e for e in ext_list.findall(f"{M}ext") if e.get("uri") == SPARKLINE_EXT_URI), None)
        if ext is None:
            ext = etree.Element(f"{M}ext", uri=SPARKLINE_EXT_URI, nsmap={"x14": NS_X14})
            # Excel lists the sparkline extension after the conditional-formatting one.
            ext_list.append(ext)
        groups = ext.find(f"{X14}sparklineGroups")
        if groups is None:
            groups = etree.SubElement(ext, f"{X14}sparklineGroups", nsmap={"xm": NS_XM})
        return groups


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
                _put_value(cell, values[column])
            chain = styles.get(column) if styles else None
            if chain:
                base = cell.get("s")
                derived = derive(int(base) if base else 0, chain, chains)
                if derived:
                    cell.set("s", str(derived))
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
            self.worksheet.widen_dimension(self._low, self._high)

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
        """A new cell takes its row's style, else its column's, as Excel shows an empty cell."""
        if row.get("customFormat") in ("1", "true") and row.get("s"):
            cell.set("s", row.get("s"))
            return
        if self._column_styles is None:
            cols = self.worksheet.shell.find(f"{M}cols")
            self._column_styles = [(int(col.get("min")), int(col.get("max")), col.get("style"))
                                   for col in (cols.findall(f"{M}col") if cols is not None else [])
                                   if col.get("style") and (col.get("min") or "").isdigit() and (col.get("max") or "").isdigit()]
        for low, high, style in self._column_styles:
            if low <= column <= high:
                cell.set("s", style)
                return

    def _widen(self, number: int, row, low: int, high: int) -> None:
        """The row's spans and the sheet's dimension cover the cells added (readers that trust them,
        openpyxl's read-only mode among them, would otherwise miss cells written outside)."""
        spans = row.get("spans")
        if spans:
            ranges = [tuple(int(x) for x in part.split(":")) for part in spans.split()
                      if ":" in part and part.replace(":", "").isdigit()]
            if ranges and not all(any(a <= c <= b for a, b in ranges) for c in (low, high)):
                row.set("spans", f"{min([low] + [a for a, _ in ranges])}:{max([high] + [b for _, b in ranges])}")
        if self._low is None:
            self._low, self._high = (number, low), (number, high)
        else:
            self._low = (min(self._low[0], number), min(self._low[1], low))
            self._high = (max(self._high[0], number), max(self._high[1], high))

    def _freeze(self, row) -> None:
        """Every formula in the row becomes its saved result (the issued copy carries values only)."""
        for formula in list(row.iter(f"{M}f")):
            cell = formula.getparent()
            cell.remove(formula)
            if cell.get("t") == "str":
                value = cell.find(f"{M}v")
                text = (value.text if value is not None else "") or ""
                _put_value(cell, ("s", str(self.package.shared_strings.add(text))))  # as Excel keeps text


def _index(row) -> dict:
    """The row's cells by column (a cell without an address follows the one before it)."""
    cells = {}
    position = 0
    for cell in row.iterfind(f"{M}c"):
        ref = cell.get("r")
        position = column_index(ref.rstrip("0123456789")) if ref else position + 1
        cells[position] = cell
    return cells
