"""The sheets cyps-xl writes whole and owns (Summary, Commentary, Data quality): added, found again on the
next run and replaced, never a team's sheet of the same name."""
from __future__ import annotations

import posixpath

from lxml import etree

from cyps_xl.errors import CypsError
from cyps_xl.workbook.parts import OWN_MARK, WORKBOOK_ORDER, M, NS_MAIN, NS_REL, column_letter, insert_in_order


class OwnSheets:
    """Methods of :class:`cyps_xl.workbook.package.Package` for the sheets cyps-xl writes whole."""

    def put_sheet(self, name: str, rows: list[list], *, widths: list | None = None, first: bool = False) -> None:
        """Write ``rows`` (text and numbers) as the whole content of sheet ``name``, adding the sheet if needed
        (as the first sheet when ``first``); ``widths`` are column widths in characters. The cells are
        recorded as edits, which the run may add to before the save (see :meth:`put_rows` for a sheet it
        does not)."""
        self._sheet_to_write(name, widths, first)
        editor = self.sheet(name)
        editor.clear_rows()
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value not in (None, ""):
                    editor.set_value(r, c, value)

    def put_rows(self, name: str, rows: list[list], *, widths: list, looks: dict, heights: dict) -> None:
        """Write ``rows`` (text and numbers) as the whole content of sheet ``name`` in one pass, as bytes, for
        a sheet the run writes whole and edits no further (the commentary: a row an indicator, where recording
        each cell as an edit to write out later costs more than the rest of the sheet). ``looks``: row ->
        (CellStyle, how many cells from column A take it, empty ones too); ``heights``: row -> points.
        The sheet is added if needed, with column ``widths`` in characters."""
        from cyps_xl.workbook.rowwriter import widen_dimension

        self._sheet_to_write(name, widths, False)
        worksheet = self.worksheet(self.sheet_parts[name])
        data = worksheet.shell.find(f"{M}sheetData")
        p = f"{data.prefix}:" if data.prefix else ""
        add_text, derive = self.shared_strings.add, self.styles.derive
        attribute: dict = {None: ""}  # style -> its s="..." (rows share a few)
        out, written = [], {}  # the rows written -> their height (None: the sheet's default)
        for r, values in enumerate(rows, start=1):
            style, styled = looks.get(r, (None, 0))
            s = attribute.get(style)
            if s is None:
                s = attribute[style] = f' s="{derive(0, style)}"'
            cells = []
            for c in range(1, max(len(values), styled) + 1):
                value = values[c - 1] if c <= len(values) else None
                where = f'<{p}c r="{column_letter(c)}{r}"{s if c <= styled else ""}'
                if value is None or value == "":
                    if c <= styled:
                        cells.append(where + "/>")
                    continue
                if isinstance(value, bool):
                    kind, text = ' t="b"', "1" if value else "0"
                elif isinstance(value, (int, float)):
                    kind, text = "", repr(float(value)) if isinstance(value, float) else str(value)
                else:
                    kind, text = ' t="s"', str(add_text(str(value)))
                cells.append(f"{where}{kind}><{p}v>{text}</{p}v></{p}c>")
            height = heights.get(r)
            if cells or height is not None:
                written[r] = height
                tall = f' ht="{height:g}" customHeight="1"' if height is not None else ""
                out.append(f'<{p}row r="{r}"{tall}>{"".join(cells)}</{p}row>')
        columns = max([len(values) for values in rows] + [styled for _, styled in looks.values()] + [1])
        worksheet.write_rows_whole("".join(out).encode("utf-8"), columns, written)
        if written:
            widen_dimension(worksheet.shell, (1, 1), (max(written), columns))

    def _sheet_to_write(self, name: str, widths: list | None, first: bool) -> None:
        """Sheet ``name``, added (as the first sheet when ``first``, with column ``widths``) if the workbook
        does not have it."""
        if name not in self.sheet_parts:
            part = self._new_part_name("xl/worksheets/sheet{}.xml")
            widths = widths or [16, 16, 16, 16, 110]
            cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
            self.parts[part] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}" '
                                f'xmlns:r="{NS_REL}"><cols>{cols}</cols><sheetData/></worksheet>').encode()
            rid = self._add_relationship(self.workbook_part, f"{NS_REL}/worksheet",
                                         posixpath.relpath(part, posixpath.dirname(self.workbook_part)))
            workbook = self.tree(self.workbook_part)
            sheets = workbook.find(f"{M}sheets")
            next_id = max(int(x.get("sheetId")) for x in sheets) + 1
            sheet = etree.Element(f"{M}sheet", name=name, sheetId=str(next_id))
            sheet.set(f"{{{NS_REL}}}id", rid)
            if first:
                sheets.insert(0, sheet)
                self._shift_sheet_indexes(workbook, 0, +1)
            else:
                sheets.append(sheet)
            self.touch(self.workbook_part)
            self._content_type(part, "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")
            self.sheet_parts[name] = part

    # -- the sheets cyps-xl owns (Summary, Commentary, Data quality) ------------------
    def find_sheet(self, name: str) -> str | None:
        """The workbook's own spelling of a sheet name: Excel compares sheet names without regard to case."""
        wanted = name.casefold()
        return next((existing for existing in self.sheet_parts if existing.casefold() == wanted), None)

    def own_sheets(self) -> set:
        """Sheets cyps-xl wrote: each carries a hidden sheet-level name, which follows it through moves and renames."""
        workbook = self.tree(self.workbook_part)
        order = [e.get("name") for e in workbook.iterfind(f"{M}sheets/{M}sheet")]
        return {order[int(d.get("localSheetId"))] for d in workbook.iterfind(f"{M}definedNames/{M}definedName")
                if d.get("name") == OWN_MARK and (d.get("localSheetId") or "").isdigit()
                and int(d.get("localSheetId")) < len(order)}

    def own_sheet_name(self, wanted: str, instead: str) -> str:
        """Where cyps-xl's sheet ``wanted`` goes: its own earlier sheet of that name (replaced), else ``wanted``
        if free, else ``instead`` (or ``instead 2``...): a team's sheet is never overwritten."""
        existing = self.find_sheet(wanted)
        if existing is None or existing in self.own_sheets():
            return existing or wanted
        for candidate in [instead] + [f"{instead} {n}" for n in range(2, 100)]:
            taken = self.find_sheet(candidate)
            if taken is None or taken in self.own_sheets():
                return taken or candidate
        raise CypsError(f"has no free name for cyps-xl's '{wanted}' sheet.", file=self.path,
                        hint=f"Rename or remove the sheets called '{instead} ...'.")

    def mark_own(self, name: str) -> None:
        """Mark ``name`` as cyps-xl's sheet, so the next run replaces it rather than adding another."""
        if name in self.own_sheets():
            return
        workbook = self.tree(self.workbook_part)
        index = [e.get("name") for e in workbook.iterfind(f"{M}sheets/{M}sheet")].index(name)
        names = workbook.find(f"{M}definedNames")
        if names is None:
            names = etree.Element(f"{M}definedNames")
            insert_in_order(workbook, names, WORKBOOK_ORDER)
        mark = etree.SubElement(names, f"{M}definedName", name=OWN_MARK, localSheetId=str(index), hidden="1")
        mark.text = "TRUE"
        self.touch(self.workbook_part)

    def _shift_sheet_indexes(self, workbook, start: int, delta: int) -> None:
        """Sheet positions held by defined names (localSheetId) follow an inserted sheet."""
        names = workbook.find(f"{M}definedNames")
        for defined in names if names is not None else []:
            local = defined.get("localSheetId")
            if local is not None and int(local) >= start:
                defined.set("localSheetId", str(int(local) + delta))
