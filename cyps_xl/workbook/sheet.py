"""Cell-level edits to one worksheet: recorded by the editor, applied to each row as it is written.

:class:`SheetEditor` is what the writers call (values, styles, row heights,
sparklines). It records each edit against its cell; nothing walks the sheet,
so an edit costs the same whatever the sheet's size. When the package is
saved, :class:`~cyps_xl.workbook.rowwriter.RowWriter` applies the edits to the
rows they touch while :class:`~cyps_xl.workbook.worksheet.Worksheet` streams every row out.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.worksheet import Worksheet

from cyps_xl.cellref import MAX_COLUMN, MAX_ROW
from cyps_xl.errors import CypsError
from cyps_xl.workbook.parts import M, NS_X14, NS_XM, SPARKLINE_EXT_URI, X14, XM, column_letter, same_range
from cyps_xl.workbook.styles import CellStyle

KEEP = object()  # an edit that leaves the cell's value as it is (a style only)
MADE = object()  # a sparkline this run made as bytes (see SheetEditor._group_bytes)


class SharedText(int):
    """A recorded value that is text: its index in the shared-strings table."""

    __slots__ = ()


def encoded(value) -> tuple | None:
    """A recorded value as written: (t, the <v> text), or None to empty the cell. Recorded values are kept
    small, as a big scorecard has hundreds of thousands: None, a bool, a SharedText, or a number's text."""
    if value is None:
        return None
    if value is True or value is False:
        return ("b", "1" if value else "0")
    if isinstance(value, SharedText):
        return ("s", str(int(value)))
    return ("n", value)


class SheetEditor:
    """Edits to one worksheet, recorded against their cells (applied by
    :class:`~cyps_xl.workbook.rowwriter.RowWriter` when saved)."""

    def __init__(self, worksheet: Worksheet, package: Package):
        self.worksheet = worksheet
        self.package = package
        self.root = worksheet.shell  # everything but the rows: sparklines, columns, print settings
        self._sparklines: dict | None = None  # target cell -> x14:sparkline, built when one must change
        self._saved: dict | None = None  # target cell -> source range, from the extension list as saved
        self._sparkline_look = None  # the sparkline group a new sparkline's own group copies
        self._look_bytes = None  # that look as bytes (see _group_bytes), False when it is not in the plain form
        self._groups = None  # (the shell, its x14:sparklineGroups) found last (see _sparkline_groups)

    def _check(self, number: int, column: int) -> None:
        if not (1 <= number <= MAX_ROW and 1 <= column <= MAX_COLUMN):
            raise CypsError(f"cell {column_letter(max(column, 1))}{number} is beyond Excel's grid "
                            f"({column_letter(MAX_COLUMN)}{MAX_ROW} at most).", file=self.package.path,
                            hint="Check the layout: a column or row this far out cannot be written.")

    def _row(self, edits: dict, number: int, column: int) -> dict:
        """The row's dict in ``edits`` (the sheet's values or styles), made on its first edit; the cell checked
        against Excel's grid (the row once, the column each time)."""
        row = edits.get(number)
        if row is None:
            self._whole_sheet_untouched()
            self._check(number, column)
            row = edits[number] = {}
        elif not 1 <= column <= MAX_COLUMN:
            self._check(number, column)
        return row

    def set_value(self, number: int, column: int, value) -> None:
        row = self._row(self.worksheet.values, number, column)
        formula = self.worksheet.formulas.get((number, column))
        if formula is not None:  # a formula becomes a value: the chain goes, and the run report names it
            self.package.formulas_replaced = True
            text = (formula.text or "").removeprefix("_xludf.").removeprefix("_xlfn.")
            if not text.upper().startswith("CYPS_"):  # a CYPS_ cell is the engine's to compute
                self.package.replaced_formulas.append(
                    f"'{self.worksheet.sheet}'!{column_letter(column)}{number} (={formula.text or ''})")
        if value is None or value == "":
            row[column] = None
        elif isinstance(value, bool):
            row[column] = value
        elif isinstance(value, (int, float)):
            row[column] = repr(float(value)) if isinstance(value, float) else str(value)
        else:
            row[column] = SharedText(self.package.shared_strings.add(str(value)))

    def set_style(self, number: int, column: int, style: CellStyle) -> None:
        row = self._row(self.worksheet.styles, number, column)
        row[column] = self.package.style_chains.then(row.get(column, 0), style)

    def set_styles(self, number: int, columns: tuple, style: CellStyle, saved: dict | None = None) -> None:
        """``style`` set on several cells of a row (a :class:`~cyps_xl.workbook.changes.RowStyle`). ``saved``:
        the row's cells as read (column -> (value, number format, style index)): a cell this run has not
        restyled, whose saved format ``style`` would leave as it is (last month's run set it), is left alone,
        so nothing is recorded for it, measured or rewritten."""
        row = self.worksheet.styles.get(number)
        if saved:
            keeps = self.package.styles.keeps
            kept = {base for base in {saved[c][2] for c in columns if c in saved} if keeps(base, style)}  # a row's
            # figures share a format or two: each judged once
            columns = [c for c in columns if (row is not None and c in row) or c not in saved
                       or saved[c][2] not in kept]
        if not columns:
            return
        row = self._row(self.worksheet.styles, number, min(columns))
        if max(columns) > MAX_COLUMN:
            self._check(number, max(columns))
        then = self.package.style_chains.then
        for column in columns:
            row[column] = then(row.get(column, 0), style)

    def _whole_sheet_untouched(self) -> None:
        if self.worksheet.rows_whole is not None:  # a mistake in cyps-xl, not in the workbook
            raise RuntimeError(f"sheet '{self.worksheet.sheet}' was written whole (put_rows): it takes no edits")

    def row_height(self, number: int, points: float) -> None:
        self._whole_sheet_untouched()
        if not 1 <= number <= MAX_ROW:
            raise CypsError(f"row {number} is beyond Excel's grid.", file=self.package.path)
        self.worksheet.row_heights[number] = points

    def clear_rows(self) -> None:
        """The sheet's rows go: what is written next is its whole content."""
        self.worksheet.replace_rows = True
        self.worksheet.rows_whole = None
        self.worksheet.values.clear()
        self.worksheet.styles.clear()
        self.worksheet.row_heights.clear()

    # -- sparklines (an x14 extension openpyxl cannot keep) -------------------
    def sparklines(self) -> dict:
        """Existing sparklines: target cell -> source range."""
        saved = self.worksheet.saved_sparklines()
        if saved is not None:
            return saved
        return {
            line.findtext(f"{XM}sqref"): line.findtext(f"{XM}f")
            for line in self.worksheet.with_extensions().iter(f"{X14}sparkline")
        }

    def ensure_sparkline(self, target: str, source: str, axis: tuple | None = None) -> str:
        """Point the sparkline in ``target`` at ``source``, creating it if missing.

        Returns "kept", "updated" or "created".  A new sparkline takes the look of
        the sheet's first column sparkline group (the team's own), in a group of
        its own: LibreOffice scales a group's sparklines together and draws them
        out of their cells (a count's bars ran down through the rows of the % rows
        in its group), while Excel scales each on its own either way. ``axis``:
        the (min, max) a created one is drawn on.
        """
        if self._sparklines is None:
            if self._saved is None:
                self._saved = self.worksheet.saved_sparklines() or {}  # read from the bytes, nothing parsed
            formula = self._saved.get(target)
            if formula is not None and same_range(formula, source):
                return "kept"
            self._sparklines = {line.findtext(f"{XM}sqref"): line
                                for line in self.worksheet.with_extensions().iter(f"{X14}sparkline")}
        line = self._sparklines.get(target)
        if line is MADE:
            return "kept"  # made in this run already, from the same row's months
        if line is not None:
            formula = line.find(f"{XM}f")
            if same_range(formula.text or "", source):
                return "kept"
            formula.text = source
            return "updated"
        groups = self._sparkline_groups()
        if self._sparkline_look is None:
            team = next((g for g in groups.findall(f"{X14}sparklineGroup") if g.get("type") == "column"), None)
            if team is None:
                team = etree.Element(f"{X14}sparklineGroup", type="column", displayEmptyCellsAs="gap", displayHidden="1")
                for tag, rgb in (("colorSeries", "FF2E75B6"), ("colorNegative", "FFC00000"), ("colorAxis", "FF000000"),
                                 ("colorMarkers", "FF2E75B6"), ("colorFirst", "FF2E75B6"), ("colorLast", "FF2E75B6"),
                                 ("colorHigh", "FF2E75B6"), ("colorLow", "FF2E75B6")):
                    etree.SubElement(team, f"{X14}{tag}", rgb=rgb)
            # the look alone (attributes, colours): each sparkline the run adds is scaled to its own row
            look = etree.Element(team.tag, dict(team.attrib))
            for child in team:
                if child.tag != f"{X14}sparklines":
                    look.append(copy.deepcopy(child))
            for attribute in ("manualMin", "manualMax", "minAxisType", "maxAxisType"):
                look.attrib.pop(attribute, None)
            self._sparkline_look = look
        made = self._group_bytes(groups, target, source, axis)
        if made:
            return "created"
        group = copy.deepcopy(self._sparkline_look)
        if axis is not None:
            group.set("manualMin", f"{axis[0]:.10g}")
            group.set("manualMax", f"{axis[1]:.10g}")
            group.set("minAxisType", "custom")
            group.set("maxAxisType", "custom")
        groups.append(group)
        lines = etree.SubElement(group, f"{X14}sparklines")
        line = etree.SubElement(lines, f"{X14}sparkline")
        etree.SubElement(line, f"{XM}f").text = source
        etree.SubElement(line, f"{XM}sqref").text = target
        self._sparklines[target] = line
        return "created"

    def _group_bytes(self, groups, target: str, source: str, axis) -> bool:
        """A created sparkline's group as bytes, put into the saved sheet where its marker is (see
        Worksheet._shell_bytes), rather than a dozen XML elements: a scorecard whose file lost its sparklines
        (openpyxl drops them) gets one a row, and elements for 10,000 of them cost more memory than the rest of
        the run. False when the look is not in the plain form this writes (then elements are made)."""
        from cyps_xl.workbook.parts import xml_text as quoted  # as lxml writes an attribute's value

        def escaped(text: str) -> str:  # as lxml writes text
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        if self._look_bytes is None:
            look, p = self._sparkline_look, groups.prefix
            m = next((prefix for prefix, uri in groups.nsmap.items() if uri == NS_XM and prefix), None)
            plain = p is not None and m is not None and not any(k.startswith("{") for k in look.attrib) and all(
                child.tag.startswith(f"{{{NS_X14}}}") and not len(child) and not (child.text or "").strip()
                and not any(k.startswith("{") for k in child.attrib) for child in look)
            if not plain:
                self._look_bytes = False
            else:
                attributes = "".join(f' {k}="{quoted(v)}"' for k, v in look.attrib.items())
                children = "".join(f"<{p}:{etree.QName(c).localname}"
                                   + "".join(f' {k}="{quoted(v)}"' for k, v in c.attrib.items()) + "/>" for c in look)
                self._look_bytes = (p, m, attributes, children)
        if self._look_bytes is False:
            return False
        p, m, attributes, children = self._look_bytes
        scale = "" if axis is None else (f' manualMin="{axis[0]:.10g}" manualMax="{axis[1]:.10g}" minAxisType="custom"'
                                         f' maxAxisType="custom"')
        pending = self.worksheet.pending_sparklines
        if not pending:  # where they go: after the groups the sheet has
            from cyps_xl.workbook.worksheet import SPARKLINES_MARK

            if len(groups):
                groups[-1].tail = (groups[-1].tail or "") + SPARKLINES_MARK
            else:
                groups.text = (groups.text or "") + SPARKLINES_MARK
        pending.append((f"<{p}:sparklineGroup{attributes}{scale}>{children}<{p}:sparklines><{p}:sparkline><{m}:f>"
                        f"{escaped(source)}</{m}:f><{m}:sqref>{escaped(target)}</{m}:sqref>"
                        f"</{p}:sparkline></{p}:sparklines></{p}:sparklineGroup>").encode("utf-8"))
        self._sparklines[target] = MADE
        return True

    def _sparkline_groups(self):
        shell = self.worksheet.with_extensions()
        if self._groups is not None and self._groups[0] is shell:  # asked for again for each sparkline made:
            groups = self._groups[1]  # the one found last, while it is still where it was found
            ext = groups.getparent()
            ext_list = ext.getparent() if ext is not None else None
            if ext_list is not None and ext_list.getparent() is shell and ext.get("uri") == SPARKLINE_EXT_URI:
                return groups
        groups = self._find_sparkline_groups(shell)
        self._groups = (shell, groups)
        return groups

    def _find_sparkline_groups(self, shell):
        ext_list = shell.find(f"{M}extLst")
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
