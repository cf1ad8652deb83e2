"""Editing an .xlsx/.xlsm package in place, keeping every part we do not own.

Why not load and save with openpyxl?  openpyxl rebuilds the whole file from
its object model and silently drops what it does not model: sparklines and
other ``x14`` extensions, text boxes, threaded comments, the ribbon of an
``.xlsm``.  A scorecard is years of the team's work, so cyps-xl edits the
package instead: the zip members are copied byte for byte, and only the
worksheet XML of cells we write and ``styles.xml`` (new formats appended,
none changed) are re-serialised with lxml, which keeps unknown elements,
extensions and namespace prefixes as they were.

The model is split by concern: :mod:`~cyps_xl.workbook.parts` (zip, parsing,
writing), :mod:`~cyps_xl.workbook.sheet` (cell edits, sparklines),
:mod:`~cyps_xl.workbook.styles`, :mod:`~cyps_xl.workbook.additions` (sheets
and notes cyps-xl adds) and :mod:`~cyps_xl.workbook.cleaning` (what issuing
removes); :class:`Package` brings them together.
"""
from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from cyps_xl.errors import CypsError

from cyps_xl.workbook.additions import SheetAdditions
from cyps_xl.workbook.cleaning import IssueCleaning
from cyps_xl.workbook.parts import (M, NS_CT, NS_PKG_REL, NS_REL, column_index, column_letter,  # noqa: F401 - re-exported
                                    ensure_workbook_file, parse_xml, split_ref, write_zip_atomically, zlib_error)
from cyps_xl.workbook.sheet import SheetEditor, true_extent
from cyps_xl.workbook.styles import CellStyle, Styles  # noqa: F401 - re-exported


class Package(SheetAdditions, IssueCleaning):
    """An OOXML package held in memory; parts are parsed only when touched."""

    def __init__(self, path: Path):
        self.path = Path(path)
        ensure_workbook_file(self.path)
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise CypsError(f"is not a readable workbook ({exc}).", file=self.path,
                            hint="The file may be truncated or damaged; save it again from Excel.") from None
        with archive:
            infos = archive.infolist()  # sizes and DTDs were checked by ensure_workbook_file
            self.infos = {i.filename: i for i in infos}
            try:
                self.parts = {i.filename: archive.read(i.filename) for i in infos}
            except (zipfile.BadZipFile, EOFError, OSError, zlib_error()) as exc:
                raise CypsError(f"cannot be unpacked ({exc}).", file=self.path,
                                hint="The file is truncated or damaged; save it again from Excel.") from None
        self._trees: dict = {}
        self._dirty: set = set()
        self.workbook_part = self._office_document()
        if etree.QName(self.tree(self.workbook_part)).namespace == "http://purl.oclc.org/ooxml/spreadsheetml/main":
            raise CypsError("is saved as Strict Open XML, which cyps-xl does not read.", file=self.path,
                            hint="Open it in Excel and Save As 'Excel Workbook (.xlsx)' (not Strict Open XML).")
        self.sheet_parts = self._sheet_parts()
        self._styles: Styles | None = None
        self._strings = None
        self.formulas_replaced = False  # a value was written over a formula: the calculation chain goes
        self.new_cells: dict = {}  # id(sheet tree) -> {(row, column)} added this run

    # -- parts ---------------------------------------------------------------
    def tree(self, name: str):
        if name not in self._trees:
            if name not in self.parts:
                raise CypsError(f"the part {name} is missing.", file=self.path, hint="The file is damaged.")
            self._trees[name] = parse_xml(self.parts[name], name, self.path)
        return self._trees[name]

    def touch(self, name: str) -> None:
        self._dirty.add(name)

    def remove_part(self, name: str) -> None:
        self.parts.pop(name, None)
        self.infos.pop(name, None)
        self._trees.pop(name, None)
        self._dirty.discard(name)
        ct = self.tree("[Content_Types].xml")
        for override in ct.findall(f"{{{NS_CT}}}Override"):
            if override.get("PartName") == "/" + name:
                ct.remove(override)
                self.touch("[Content_Types].xml")

    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def relationships(self, part: str):
        name = self.rels_name(part) if part else "_rels/.rels"
        if name not in self.parts:
            return name, None
        return name, self.tree(name)

    @staticmethod
    def resolve(source_part: str, target: str) -> str:
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))

    def _office_document(self) -> str:
        _, rels = self.relationships("")
        if rels is not None:
            for rel in rels:
                if rel.get("Type", "").endswith("/officeDocument"):
                    return self.resolve("", rel.get("Target"))
        raise CypsError("has no workbook part; it is not an Excel workbook.", file=self.path)

    def _sheet_parts(self) -> dict:
        workbook = self.tree(self.workbook_part)
        _, rels = self.relationships(self.workbook_part)
        targets = {rel.get("Id"): self.resolve(self.workbook_part, rel.get("Target")) for rel in (rels if rels is not None else [])}
        sheets = {}
        for sheet in workbook.iter(f"{M}sheet"):
            rid = sheet.get(f"{{{NS_REL}}}id")
            if rid in targets:
                sheets[sheet.get("name")] = targets[rid]
        return sheets

    @property
    def styles(self) -> "Styles":
        if self._styles is None:
            _, rels = self.relationships(self.workbook_part)
            name = next(
                self.resolve(self.workbook_part, r.get("Target")) for r in rels if r.get("Type", "").endswith("/styles")
            )
            self._styles = Styles(self.tree(name))
            self.touch(name)
        return self._styles

    @property
    def shared_strings(self):
        """The shared-strings table every text cyps-xl writes goes into (created when the workbook has none)."""
        if self._strings is None:
            from cyps_xl.workbook.strings import SharedStrings

            self._strings = SharedStrings(self)
        return self._strings

    def sheet(self, name: str) -> "SheetEditor":
        part = self.sheet_parts[name]
        self.touch(part)
        return SheetEditor(self.tree(part), self)

    # -- adding a sheet and notes (the Data quality report) -----------------------
    def _new_part_name(self, pattern: str) -> str:
        n = 1
        while pattern.format(n) in self.parts:
            n += 1
        return pattern.format(n)

    def _add_relationship(self, source: str, rel_type: str, target: str) -> str:
        rels_name, rels = self.relationships(source)
        if rels is None:
            rels = etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL})
            self.parts[rels_name] = b""
            self._trees[rels_name] = rels
        ids = {r.get("Id") for r in rels}
        n = 1
        while f"rIdCyps{n}" in ids:
            n += 1
        etree.SubElement(rels, f"{{{NS_PKG_REL}}}Relationship", Id=f"rIdCyps{n}", Type=rel_type, Target=target)
        self.touch(rels_name)
        return f"rIdCyps{n}"

    def _content_type(self, part: str | None, content_type: str, extension: str | None = None) -> None:
        ct = self.tree("[Content_Types].xml")
        if extension:
            if not any(d.get("Extension", "").lower() == extension for d in ct.findall(f"{{{NS_CT}}}Default")):
                ct.insert(0, etree.Element(f"{{{NS_CT}}}Default", Extension=extension, ContentType=content_type))
        else:
            etree.SubElement(ct, f"{{{NS_CT}}}Override", PartName="/" + part, ContentType=content_type)
        self.touch("[Content_Types].xml")

    # -- saving ----------------------------------------------------------------
    def to_bytes_map(self) -> dict:
        if self.formulas_replaced:
            from cyps_xl.workbook.formulas import drop_calc_chain

            drop_calc_chain(self)
            self.formulas_replaced = False
        out = {}
        sheets = set(self.sheet_parts.values())
        for name in [n for n in self.parts if n in sheets and n in self._dirty and n in self._trees]:
            true_extent(self._trees[name], self.new_cells.get(id(self._trees[name])))
            self._table_headers_in_step(name)  # may touch table parts: before any part is written out
        for name in self.parts:
            if name in self._dirty and name in self._trees:
                out[name] = etree.tostring(self._trees[name], xml_declaration=True, encoding="UTF-8", standalone=True)
            else:
                out[name] = self.parts[name]
        return out

    def _table_headers_in_step(self, sheet_part: str) -> None:
        """An Excel table's column names must be its header cells' text, or Excel repairs the file: a header
        cell cyps-xl wrote (a benchmark heading with its year) renames its table column."""
        from cyps_xl.workbook.strings import cell_text

        _, rels = self.relationships(sheet_part)
        tables = [self.resolve(sheet_part, r.get("Target")) for r in (rels if rels is not None else [])
                  if r.get("Type", "").endswith("/table") and r.get("TargetMode") != "External"]
        if not tables:
            return
        root = self._trees[sheet_part]
        cells = {c.get("r"): c for c in root.iterfind(f"{M}sheetData/{M}row/{M}c") if c.get("r")}
        for part in tables:
            if part not in self.parts:
                continue
            table = self.tree(part)
            if table.get("headerRowCount") == "0" or ":" not in (table.get("ref") or ""):
                continue
            (top, left), _ = (split_ref(x) for x in table.get("ref").split(":"))
            columns = table.findall(f"{M}tableColumns/{M}tableColumn")
            for offset, column in enumerate(columns):
                cell = cells.get(f"{column_letter(left + offset)}{top}")
                text = cell_text(cell, self._strings or self.shared_strings) if cell is not None else None
                if text and column.get("name") != text:
                    column.set("name", text)
                    self.touch(part)

    def save(self, target: Path) -> None:
        """Write atomically: a temporary file beside the target, moved into place when complete."""
        write_zip_atomically(Path(target), self.to_bytes_map(), self.infos)


