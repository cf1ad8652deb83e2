"""Notes, charts, merges and print settings that cyps-xl adds to a package (the sheets it writes whole: ``ownsheets``)."""
from __future__ import annotations

import copy
import posixpath
import re

from lxml import etree

from cyps_xl.cellref import MAX_COLUMN
from cyps_xl.workbook.parts import HEADER_FOOTER_ORDER, NOTE_SHAPETYPE, CHART_XML, DRAWING_XML, M, NS_MAIN, NS_REL, VML_HEAD, VML_SHAPE, column_letter, insert_in_order, xml_text


# A column's width of one character, printed. Excel lays it out at 5.25 pt (7 px) and LibreOffice at about
# 6.5 pt; the wider measure keeps the chosen scale legible in both.
POINTS_PER_CHARACTER = 6.5


class SheetAdditions:
    """Methods of :class:`cyps_xl.workbook.package.Package` that add to the workbook."""

    def merge(self, sheet: str, ref: str) -> None:
        root = self.tree(self.sheet_parts[sheet])
        merges = root.find(f"{M}mergeCells")
        if merges is None:
            merges = etree.Element(f"{M}mergeCells")
            insert_in_order(root, merges)
        etree.SubElement(merges, f"{M}mergeCell", ref=ref)
        merges.set("count", str(len(merges)))
        self.touch(self.sheet_parts[sheet])

    def add_column_chart(self, sheet: str, anchor: tuple, title: str, categories: str, values: str,
                         value_format: str | None = None, from_zero: bool = True) -> None:
        """A small column chart on ``sheet`` at anchor (col, row, col2, row2), 0-based, over two ranges; the value
        axis shows ``value_format`` (the indicator's own, so a % indicator has a % axis), else the cells' format."""
        part = self.sheet_parts[sheet]
        chart = self._new_part_name("xl/charts/chart{}.xml")
        drawing = self._new_part_name("xl/drawings/drawing{}.xml")
        axis = (f'<c:numFmt formatCode="{xml_text(value_format)}" sourceLinked="0"/>' if value_format
                else '<c:numFmt formatCode="General" sourceLinked="1"/>')
        self.parts[chart] = CHART_XML.format(title=xml_text(title), categories=xml_text(categories),
                                             values=xml_text(values), value_format=axis,
                                             value_min='<c:min val="0"/>' if from_zero else "").encode()
        chart_rid = self._add_relationship(drawing, f"{NS_REL}/chart", posixpath.relpath(chart, posixpath.dirname(drawing)))
        c1, r1, c2, r2 = anchor
        self.parts[drawing] = DRAWING_XML.format(c1=c1, r1=r1, c2=c2, r2=r2, rid=chart_rid).encode()
        rid = self._add_relationship(part, f"{NS_REL}/drawing", posixpath.relpath(drawing, posixpath.dirname(part)))
        self._content_type(chart, "application/vnd.openxmlformats-officedocument.drawingml.chart+xml")
        self._content_type(drawing, "application/vnd.openxmlformats-officedocument.drawing+xml")
        element = etree.Element(f"{M}drawing")
        element.set(f"{{{NS_REL}}}id", rid)
        insert_in_order(self.tree(part), element)
        self.touch(part)

    def set_print(self, sheet: str, title_rows: tuple | None, footer: str, *, paper_size: int = 9,
                  scale: int | None = None, title_columns: tuple | None = None) -> None:
        """Landscape on the given paper (9 = A4, 8 = A3), fit to one page wide or at ``scale`` percent (pages
        across, read left to right), header rows (and ``title_columns``) repeated on every page, a footer."""
        root = self.tree(self.sheet_parts[sheet])
        pr = root.find(f"{M}sheetPr")
        if pr is None:
            pr = etree.Element(f"{M}sheetPr")
            root.insert(0, pr)
        fit = pr.find(f"{M}pageSetUpPr")
        if fit is None:
            fit = etree.SubElement(pr, f"{M}pageSetUpPr")
        fit.set("fitToPage", "0" if scale else "1")
        setup = root.find(f"{M}pageSetup")
        if setup is None:
            setup = etree.Element(f"{M}pageSetup")
            insert_in_order(root, setup)
        for key in ("scale", "fitToWidth", "fitToHeight", "pageOrder"):
            setup.attrib.pop(key, None)
        settings = [("paperSize", str(paper_size)), ("orientation", "landscape")]
        settings += [("scale", str(scale)), ("pageOrder", "overThenDown")] if scale else [("fitToWidth", "1"), ("fitToHeight", "0")]
        for key, value in settings:
            setup.set(key, value)
        # CT_PageSetup's attributes in the schema's order, as Excel writes them
        order = ["paperSize", "paperHeight", "paperWidth", "scale", "firstPageNumber", "fitToWidth", "fitToHeight",
                 "pageOrder", "orientation"]
        attributes = sorted(setup.attrib.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
        setup.attrib.clear()
        for key, value in attributes:
            setup.set(key, value)
        margins = root.find(f"{M}pageMargins")
        if margins is None:
            insert_in_order(root, etree.Element(f"{M}pageMargins", left="0.4", right="0.4", top="0.5", bottom="0.6",
                                                 header="0.3", footer="0.3"))
        else:  # side margins of 0.4" at most: the paper and scale are chosen for that width
            for side in ("left", "right"):
                try:
                    wide = float(margins.get(side, "0.7")) > 0.4
                except ValueError:
                    wide = True
                if wide:
                    margins.set(side, "0.4")
        header_footer = root.find(f"{M}headerFooter")
        if header_footer is None:
            header_footer = etree.Element(f"{M}headerFooter")
            insert_in_order(root, header_footer)
        for child in list(header_footer):
            if etree.QName(child).localname == "oddFooter":
                header_footer.remove(child)
        odd_footer = etree.Element(f"{M}oddFooter")
        odd_footer.text = footer
        insert_in_order(header_footer, odd_footer, HEADER_FOOTER_ORDER)
        self.touch(self.sheet_parts[sheet])
        if title_rows or title_columns:
            workbook = self.tree(self.workbook_part)
            index = [e.get("name") for e in workbook.find(f"{M}sheets")].index(sheet)
            names = workbook.find(f"{M}definedNames")
            if names is None:
                names = etree.Element(f"{M}definedNames")
                anchor = workbook.find(f"{M}externalReferences")
                anchor = anchor if anchor is not None else workbook.find(f"{M}sheets")
                anchor.addnext(names)
            for defined in list(names):
                if defined.get("name") == "_xlnm.Print_Titles" and defined.get("localSheetId") == str(index):
                    names.remove(defined)
            quoted = "'" + sheet.replace("'", "''") + "'"
            parts = []
            if title_columns:
                parts.append(f"{quoted}!${column_letter(title_columns[0])}:${column_letter(title_columns[1])}")
            if title_rows:
                parts.append(f"{quoted}!${title_rows[0]}:${title_rows[1]}")
            defined = etree.SubElement(names, f"{M}definedName", name="_xlnm.Print_Titles", localSheetId=str(index))
            defined.text = ",".join(parts)
            self.touch(self.workbook_part)

    def column_widths(self, sheet: str) -> tuple[dict, set, float]:
        """({column: width in characters} as saved, hidden columns, the sheet's default width)."""
        root = self.worksheet(self.sheet_parts[sheet]).shell
        widths, hidden = {}, set()
        fmt = root.find(f"{M}sheetFormatPr")
        default = float(fmt.get("defaultColWidth") or 8.43) if fmt is not None else 8.43
        cols = root.find(f"{M}cols")
        for col in cols if cols is not None else []:
            for c in range(int(col.get("min")), min(int(col.get("max")), MAX_COLUMN) + 1):
                widths[c] = float(col.get("width", default))
                if col.get("hidden") in ("1", "true"):
                    hidden.add(c)
        return widths, hidden, default

    def set_column_width(self, sheet: str, column: int, width: float) -> None:
        """One column's width in characters (a <col> range holding it is split around it)."""
        root = self.worksheet(self.sheet_parts[sheet]).shell
        cols = root.find(f"{M}cols")
        if cols is None:
            cols = etree.Element(f"{M}cols")
            insert_in_order(root, cols)
        for col in list(cols):
            low, high = int(col.get("min")), int(col.get("max"))
            if low <= column <= high:
                for a, b in ((low, column - 1), (column + 1, high)):
                    if a <= b:
                        part = copy.deepcopy(col)
                        part.set("min", str(a)), part.set("max", str(b))
                        col.addprevious(part) if a < column else col.addnext(part)
                col.set("min", str(column)), col.set("max", str(column))
                break
        else:
            col = etree.Element(f"{M}col", min=str(column), max=str(column))
            later = next((c for c in cols if int(c.get("min")) > column), None)
            later.addprevious(col) if later is not None else cols.append(col)
        col.set("width", f"{width:.2f}")
        col.set("customWidth", "1")
        self.touch(self.sheet_parts[sheet])

    def print_geometry(self, sheet: str) -> tuple[float, dict]:
        """(printed width in points of the visible columns, {row: height in points}) of a sheet, as it will be saved."""
        worksheet = self.worksheet(self.sheet_parts[sheet])
        widths, hidden, default_width = self.column_widths(sheet)
        last, saved = worksheet.extent()
        width = sum(widths.get(c, default_width) * POINTS_PER_CHARACTER for c in range(1, max(last, 1) + 1)
                    if c not in hidden)
        fmt = worksheet.shell.find(f"{M}sheetFormatPr")
        default = float(fmt.get("defaultRowHeight", 15)) if fmt is not None else 15.0
        heights = {r: height if height is not None else default for r, height in saved.items()}
        return width, heights

    def set_column_breaks(self, sheet: str, before_columns: list[int]) -> None:
        """Manual page breaks before the given columns (replacing any the sheet had)."""
        root = self.tree(self.sheet_parts[sheet])
        existing = root.find(f"{M}colBreaks")
        if existing is not None:
            root.remove(existing)
        if before_columns:
            breaks = etree.Element(f"{M}colBreaks", count=str(len(before_columns)),
                                   manualBreakCount=str(len(before_columns)))
            for column in before_columns:
                etree.SubElement(breaks, f"{M}brk", id=str(column - 1), max="1048575", man="1")
            insert_in_order(root, breaks)
        self.touch(self.sheet_parts[sheet])

    def set_row_breaks(self, sheet: str, before_rows: list[int]) -> None:
        """Manual page breaks before the given rows (replacing cyps-xl's own and the team's)."""
        root = self.tree(self.sheet_parts[sheet])
        existing = root.find(f"{M}rowBreaks")
        if existing is not None:
            root.remove(existing)
        if not before_rows:
            return
        breaks = etree.Element(f"{M}rowBreaks", count=str(len(before_rows)), manualBreakCount=str(len(before_rows)))
        for row in before_rows:
            etree.SubElement(breaks, f"{M}brk", id=str(row - 1), max="16383", man="1")
        insert_in_order(root, breaks)
        self.touch(self.sheet_parts[sheet])

    def remove_sheet(self, name: str) -> bool:
        """Take a sheet out (the issue leaves the Data quality report behind). Returns whether it was there."""
        if name not in self.sheet_parts:
            return False
        workbook = self.tree(self.workbook_part)
        sheets = workbook.find(f"{M}sheets")
        entries = list(sheets)
        index = next(i for i, e in enumerate(entries) if e.get("name") == name)
        rid = entries[index].get(f"{{{NS_REL}}}id")
        sheets.remove(entries[index])
        names = workbook.find(f"{M}definedNames")
        for defined in list(names if names is not None else []):
            local = defined.get("localSheetId")
            if local is not None:
                if int(local) == index:
                    names.remove(defined)
                elif int(local) > index:
                    defined.set("localSheetId", str(int(local) - 1))
        for view in workbook.iter(f"{M}workbookView"):
            for attr in ("activeTab", "firstSheet"):
                value = view.get(attr)
                if value is not None and int(value) >= index and int(value) > 0:
                    view.set(attr, str(int(value) - 1))
        self.touch(self.workbook_part)
        part = self.sheet_parts.pop(name)
        rels_name, rels = self.relationships(self.workbook_part)
        for rel in list(rels):
            if rel.get("Id") == rid:
                rels.remove(rel)
        self.touch(rels_name)
        _, own = self.relationships(part)
        for rel in list(own if own is not None else []):
            if rel.get("TargetMode") != "External":
                self.remove_part(self.resolve(part, rel.get("Target")))
        self.remove_part(self.rels_name(part))
        self.remove_part(part)
        return True

    def _vml_blocks(self) -> set:
        """The shape-id blocks every VML drawing of the package holds (o:idmap, and its shapes' ids / 1024)."""
        found = set()
        for name in list(self.parts):
            if name.lower().endswith(".vml"):
                found |= _blocks_of(self.parts[name].decode("utf-8", errors="replace"))
        return found

    def put_notes(self, sheet: str, notes: list[tuple], prefix: str) -> list[str]:
        """Legacy cell notes (row, col, text) on ``sheet``; a note of ours (text starting with ``prefix``) is
        replaced, a person's note is left alone. Returns the cells skipped for that reason."""
        part = self.sheet_parts[sheet]
        _, rels = self.relationships(part)
        comments_part = vml_part = None
        for rel in rels if rels is not None else []:
            if rel.get("Type", "").endswith("/comments"):
                comments_part = self.resolve(part, rel.get("Target"))
            if rel.get("Type", "").endswith("/vmlDrawing"):
                vml_part = self.resolve(part, rel.get("Target"))
        root = self.tree(part)
        if comments_part is None:
            comments_part = self._new_part_name("xl/comments{}.xml")
            self.parts[comments_part] = b""
            self._trees[comments_part] = etree.fromstring(
                f'<comments xmlns="{NS_MAIN}"><authors><author>cyps-xl</author></authors><commentList/></comments>'.encode())
            self._add_relationship(part, f"{NS_REL}/comments", posixpath.relpath(comments_part, posixpath.dirname(part)))
            self._content_type(comments_part, "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml")
        if vml_part is None:
            vml_part = self._new_part_name("xl/drawings/vmlDrawing{}.vml")
            # a shape-id block of its own, past every other drawing's (Excel's notes, form controls): two drawings
            # claiming one block is what makes Excel offer a repair
            self.parts[vml_part] = VML_HEAD.format(block=max(self._vml_blocks(), default=0) + 1).encode() + b"</xml>"
            rid = self._add_relationship(part, f"{NS_REL}/vmlDrawing", posixpath.relpath(vml_part, posixpath.dirname(part)))
            self._content_type(None, "application/vnd.openxmlformats-officedocument.vmlDrawing", extension="vml")
            legacy = etree.Element(f"{M}legacyDrawing")
            legacy.set(f"{{{NS_REL}}}id", rid)
            insert_in_order(root, legacy)
            self.touch(part)
        comments = self.tree(comments_part)
        authors = comments.find(f"{M}authors")
        names = [a.text for a in authors]
        if "cyps-xl" not in names:
            etree.SubElement(authors, f"{M}author").text = "cyps-xl"
            names.append("cyps-xl")
        author = str(names.index("cyps-xl"))
        listing = comments.find(f"{M}commentList")
        existing = {c.get("ref"): c for c in listing}
        vml = self.parts[vml_part].decode("utf-8", errors="replace")
        block = min(_blocks_of(vml), default=1)  # new shapes follow the drawing's own, inside its blocks
        shape_id = max([int(x) for x in re.findall(r"_x0000_s(\d+)", vml)] + [1024 * block])
        skipped, shapes = [], []
        for row, col, text in notes:
            ref = f"{column_letter(col)}{row}"
            old = existing.get(ref)
            if old is not None:
                if not "".join(old.itertext()).startswith(prefix):
                    skipped.append(ref)
                    continue
                old.getparent().remove(old)
            comment = etree.SubElement(listing, f"{M}comment", ref=ref, authorId=author)
            run = etree.SubElement(etree.SubElement(comment, f"{M}text"), f"{M}r")
            etree.SubElement(run, f"{M}t").text = text
            if old is None:
                shape_id += 1
                shapes.append(VML_SHAPE.format(id=shape_id, row=row - 1, col=col - 1, c1=col, r1=max(row - 2, 0),
                                               c2=col + 3, r2=row + 3))
        self.touch(comments_part)
        if shapes:
            if 'id="_x0000_t202"' not in vml:  # a drawing that held only a form button: define the note shape type
                shapes.insert(0, NOTE_SHAPETYPE)
            at = vml.rindex("</xml>")
            self.parts[vml_part] = (vml[:at] + "".join(shapes) + vml[at:]).encode("utf-8")
        return skipped


def _blocks_of(vml: str) -> set:
    blocks = {int(n) for data in re.findall(r'idmap[^>]*?data="([\d,\s]+)"', vml) for n in re.findall(r"\d+", data)}
    return blocks | {int(x) // 1024 for x in re.findall(r"_x0000_s(\d+)", vml)}
