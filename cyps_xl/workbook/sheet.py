"""Cell-level edits to one worksheet's XML: rows and cells indexed once, values, styles and sparklines."""
from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree


if TYPE_CHECKING:
    from cyps_xl.workbook.package import Package

from cyps_xl.errors import CypsError
from cyps_xl.workbook.parts import (M, NS_X14, NS_XM, SPARKLINE_EXT_URI, X14, XM, XML_SPACE, column_index, column_letter,
                                    same_range, split_ref)
from cyps_xl.workbook.styles import CellStyle

def set_shared_string(cell, text: str, strings) -> None:
    """The cell holds ``text`` through the shared-strings table (see :mod:`cyps_xl.workbook.strings`)."""
    for child in list(cell):
        if child.tag in (f"{M}v", f"{M}is", f"{M}f"):
            cell.remove(child)
    cell.set("t", "s")
    etree.SubElement(cell, f"{M}v").text = str(strings.add(text))


MAX_ROW, MAX_COLUMN = 1048576, 16384


def true_extent(root, new_cells) -> None:
    """Keep <dimension> and the spans of the rows that gained cells covering them (readers that trust them,
    openpyxl's read-only mode among them, would otherwise miss cells written outside). ``new_cells`` are the
    (row, column) of cells added; only their rows are looked at, so the cost follows the edit, not the sheet."""
    if not new_cells:
        return
    rows = {}
    for number, column in new_cells:
        low, high = rows.get(number, (column, column))
        rows[number] = (min(low, column), max(high, column))
    for row in root.iterfind(f"{M}sheetData/{M}row"):
        number = int(row.get("r") or 0)
        if number not in rows or not row.get("spans"):
            continue
        ranges = [tuple(int(x) for x in part.split(":")) for part in row.get("spans").split() if ":" in part]
        low, high = rows[number]
        if ranges and not all(any(a <= c <= b for a, b in ranges) for c in (low, high)):
            row.set("spans", f"{min([low] + [a for a, _ in ranges])}:{max([high] + [b for _, b in ranges])}")
    dimension = root.find(f"{M}dimension")
    if dimension is not None and dimension.get("ref"):
        first, _, last = dimension.get("ref").partition(":")
        (r1, c1), (r2, c2) = split_ref(first), split_ref(last or first)
        r1, r2 = min([r1] + list(rows)), max([r2] + list(rows))
        c1, c2 = min([c1] + [low for low, _ in rows.values()]), max([c2] + [high for _, high in rows.values()])
        top, bottom = f"{column_letter(c1)}{r1}", f"{column_letter(c2)}{r2}"
        dimension.set("ref", top if top == bottom else f"{top}:{bottom}")


class SheetEditor:
    """Cell-level edits to one worksheet's XML."""

    def __init__(self, root, package: Package):
        self.root = root
        self.package = package
        self.data = root.find(f"{M}sheetData")
        self.rows = {int(row.get("r")): row for row in self.data.findall(f"{M}row") if row.get("r")}
        self._cells: dict = {}  # row number -> {column: cell}, built when a row is first touched
        self._sparklines: dict | None = None  # target cell -> x14:sparkline, built on first use
        self._column_styles: list | None = None
        # cells this run added, by the sheet's part: the dimension and spans are widened to cover them at save
        self.new_cells = package.new_cells.setdefault(id(root), set())  # (first, last, style) of each styled <col>, built on first use

    def _row(self, number: int):
        row = self.rows.get(number)
        if row is not None:
            return row
        row = etree.Element(f"{M}row", r=str(number))
        later = [n for n in self.rows if n > number]
        if later:
            self.rows[min(later)].addprevious(row)
        else:
            self.data.append(row)
        self.rows[number] = row
        return row

    def _row_cells(self, number: int, row) -> dict:
        cells = self._cells.get(number)
        if cells is None:
            cells = {}
            position = 0
            for cell in row.iterfind(f"{M}c"):
                ref = cell.get("r")
                position = column_index(ref.rstrip("0123456789")) if ref else position + 1
                cells[position] = cell
            self._cells[number] = cells
        return cells

    def cell(self, number: int, column: int):
        if not (1 <= number <= MAX_ROW and 1 <= column <= MAX_COLUMN):
            raise CypsError(f"cell {column_letter(max(column, 1))}{number} is beyond Excel's grid "
                            f"({column_letter(MAX_COLUMN)}{MAX_ROW} at most).", file=self.package.path,
                            hint="Check the layout: a column or row this far out cannot be written.")
        row = self._row(number)
        cells = self._row_cells(number, row)
        found = cells.get(column)
        if found is not None:
            return found
        new = etree.Element(f"{M}c", r=f"{column_letter(column)}{number}")
        later = [c for c in cells if c > column]
        if later:
            cells[min(later)].addprevious(new)
        else:
            row.append(new)
        cells[column] = new
        self._inherit_style(new, row, column)
        self.new_cells.add((number, column))
        return new

    def _inherit_style(self, cell, row, column: int) -> None:
        """A new cell takes its row's style, else its column's, as Excel shows an empty cell."""
        if row.get("customFormat") in ("1", "true") and row.get("s"):
            cell.set("s", row.get("s"))
            return
        if self._column_styles is None:
            cols = self.root.find(f"{M}cols")
            self._column_styles = [(int(col.get("min")), int(col.get("max")), col.get("style"))
                                   for col in (cols.findall(f"{M}col") if cols is not None else [])
                                   if col.get("style") and (col.get("min") or "").isdigit() and (col.get("max") or "").isdigit()]
        for low, high, style in self._column_styles:
            if low <= column <= high:
                cell.set("s", style)
                return

    def set_value(self, number: int, column: int, value) -> None:
        cell = self.cell(number, column)
        formula = cell.find(f"{M}f")
        if formula is not None:  # a formula becomes a value: keep shared formulas and the chain consistent
            from cyps_xl.workbook.formulas import release_shared_master

            if formula.get("t") == "shared" and formula.get("ref"):
                release_shared_master(self.root, cell, formula)
            self.package.formulas_replaced = True
        for child in list(cell):
            if child.tag in (f"{M}v", f"{M}is", f"{M}f"):
                cell.remove(child)
        for attribute in ("t", "cm", "vm"):  # a value written over a dynamic array or picture-in-cell is plain
            if attribute in cell.attrib:
                del cell.attrib[attribute]
        if value is None or value == "":
            return
        if isinstance(value, bool):
            cell.set("t", "b")
            etree.SubElement(cell, f"{M}v").text = "1" if value else "0"
        elif isinstance(value, (int, float)):
            etree.SubElement(cell, f"{M}v").text = repr(float(value)) if isinstance(value, float) else str(value)
        else:
            set_shared_string(cell, str(value), self.package.shared_strings)

    def row_height(self, number: int, points: float) -> None:
        row = self._row(number)
        row.set("ht", f"{points:g}")
        row.set("customHeight", "1")

    def set_style(self, number: int, column: int, style: CellStyle) -> None:
        cell = self.cell(number, column)
        base = int(cell.get("s", "0"))
        derived = self.package.styles.derive(base, style)
        if derived == 0 and "s" in cell.attrib:
            del cell.attrib["s"]
        elif derived != 0:
            cell.set("s", str(derived))


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


