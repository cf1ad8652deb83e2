"""Editing an .xlsx/.xlsm package in place, keeping every part we do not own.

Why not load and save with openpyxl?  openpyxl rebuilds the whole file from
its object model and silently drops what it does not model: sparklines and
other ``x14`` extensions, text boxes, threaded comments, the ribbon of an
``.xlsm``.  A scorecard is years of the team's work, so cyps-xl edits the
package instead: the zip members are copied byte for byte, and only the
worksheet XML of cells we write and ``styles.xml`` (new formats appended,
none changed) are re-serialised with lxml, which keeps unknown elements,
extensions and namespace prefixes as they were. Worksheets are never parsed
whole: see :mod:`~cyps_xl.workbook.worksheet`.

The model is split by concern: :mod:`~cyps_xl.workbook.parts` (zip, parsing,
writing), :mod:`~cyps_xl.workbook.worksheet` (a worksheet's shell and streamed
rows), :mod:`~cyps_xl.workbook.sheet` (cell edits, sparklines),
:mod:`~cyps_xl.workbook.styles`, :mod:`~cyps_xl.workbook.additions` (sheets
and notes cyps-xl adds) and :mod:`~cyps_xl.workbook.cleaning` (what issuing
removes); :class:`Package` brings them together.
"""
from __future__ import annotations

import re

import io
import posixpath
import zipfile
from functools import partial
from pathlib import Path

from lxml import etree

from cyps_xl.cellref import address
from cyps_xl.errors import CypsError

from cyps_xl.workbook.additions import SheetAdditions
from cyps_xl.workbook.cleaning import IssueCleaning
from cyps_xl.workbook.ownsheets import OwnSheets
from cyps_xl.workbook.tabs import Tabs
from cyps_xl.workbook.parts import (M, NS_CT, NS_PKG_REL, NS_REL, Parts, column_index, column_letter,  # noqa: F401
                                    ensure_workbook_file, parse_xml, split_ref, zlib_error)
from cyps_xl.workbook.saving import write_zip_atomically
from cyps_xl.workbook.rowwriter import RowWriter
from cyps_xl.workbook.sheet import SheetEditor
from cyps_xl.workbook.styles import CellStyle, StyleChains, Styles  # noqa: F401 - re-exported


class Package(OwnSheets, SheetAdditions, IssueCleaning, Tabs):
    """An OOXML package held in memory; parts are parsed only when touched."""

    def __init__(self, path: Path):
        self.path = Path(path)
        # cells read and rows written the slow way, as XML elements rather than bytes (the run report says so)
        self.slow = {"cells": 0, "rows": 0}
        ensure_workbook_file(self.path)
        try:
            raw = self.path.read_bytes()  # the file as it was when read, whatever happens to it meanwhile
            archive = zipfile.ZipFile(io.BytesIO(raw))
        except (zipfile.BadZipFile, OSError) as exc:
            raise CypsError(f"is not a readable workbook ({exc}).", file=self.path,
                            hint="The file may be truncated or damaged; save it again from Excel.") from None
        with archive:
            infos = archive.infolist()  # sizes and DTDs were checked by ensure_workbook_file
            self.infos = {i.filename: i for i in infos}
            try:
                self.parts = Parts(raw, {i.filename: archive.read(i.filename) for i in infos})
            except (zipfile.BadZipFile, EOFError, OSError, zlib_error()) as exc:
                raise CypsError(f"cannot be unpacked ({exc}).", file=self.path,
                                hint="The file is truncated or damaged; save it again from Excel.") from None
        self._trees: dict = {}  # parts other than worksheets, parsed when first asked for
        self._sheets: dict = {}  # worksheet parts: Worksheet (shell parsed, rows streamed)
        self._dirty: set = set()
        self.sheet_parts: dict = {}
        self.workbook_part = self._office_document()
        if etree.QName(self.tree(self.workbook_part)).namespace == "http://purl.oclc.org/ooxml/spreadsheetml/main":
            raise CypsError("is saved as Strict Open XML, which cyps-xl does not read.", file=self.path,
                            hint="Open it in Excel and Save As 'Excel Workbook (.xlsx)' (not Strict Open XML).")
        self.sheet_parts = self._sheet_parts()
        self._styles: Styles | None = None
        self._strings = None
        self.style_chains = StyleChains()  # what the sheet edits' style ints stand for
        self.formulas_replaced = False  # a value was written over a formula: the calculation chain goes
        self.replaced_formulas: list = []  # 'Sheet'!T20 (=formula) of each team formula a run wrote a value over

    # -- parts ---------------------------------------------------------------
    def tree(self, name: str):
        """A part's parsed XML; for a worksheet, its shell (every element but the rows, which stream)."""
        if name in self._sheets or name in self.sheet_parts.values():
            return self.worksheet(name).shell
        if name not in self._trees:
            if name not in self.parts:
                raise CypsError(f"the part {name} is missing.", file=self.path, hint="The file is damaged.")
            self._trees[name] = parse_xml(self.parts[name], name, self.path)
        return self._trees[name]

    def worksheet(self, part: str):
        """The worksheet part as :class:`~cyps_xl.workbook.worksheet.Worksheet`: its rows are never held whole."""
        found = self._sheets.get(part)
        if found is None:
            from cyps_xl.workbook.worksheet import Worksheet

            if part not in self.parts:
                raise CypsError(f"the part {part} is missing.", file=self.path, hint="The file is damaged.")
            sheet = next((name for name, p in self.sheet_parts.items() if p == part), None)
            found = self._sheets[part] = Worksheet(part, self.parts[part], self.path, sheet,
                                                   lambda: self.parts[part])
        return found

    def let_go(self, part: str) -> None:
        """A worksheet's bytes are not needed until it is written (its shell and facts are kept): forget them,
        to be unpacked again then. Only a part still as the file has it."""
        worksheet = self._sheets.get(part)
        if worksheet is not None and self.parts.let_go(part):
            worksheet.let_go()

    def replace_part(self, name: str, data: bytes) -> None:
        """A part's bytes replaced whole (a report view's sheet): read again from them when next asked for."""
        self.parts[name] = data
        self._sheets.pop(name, None)
        self._trees.pop(name, None)

    def touch(self, name: str) -> None:
        self._dirty.add(name)

    def remove_part(self, name: str) -> None:
        self.parts.pop(name, None)
        self.infos.pop(name, None)
        self._trees.pop(name, None)
        self._sheets.pop(name, None)
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

    def part_name(self, name: str) -> str:
        """The name a part is stored under. Part names compare without case (ECMA-376 Part 2): Excel
        keeps ``xl/SharedStrings.xml`` behind a relationship to ``sharedStrings.xml``."""
        if name in self.parts:
            return name
        lowered = name.lower()
        return next((stored for stored in self.parts if stored.lower() == lowered), name)

    def relationships(self, part: str):
        name = self.part_name(self.rels_name(part) if part else "_rels/.rels")
        if name not in self.parts:
            return name, None
        return name, self.tree(name)

    @staticmethod
    def target_name(source_part: str, target: str) -> str:
        """The part name a relationship's target spells (its stored name may differ in case)."""
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))

    def resolve(self, source_part: str, target: str) -> str:
        """The part a relationship's target names, as stored."""
        return self.part_name(self.target_name(source_part, target))

    def rename_part(self, old: str, new: str) -> None:
        """Store a part under another name (its relationships already spell the new one)."""
        self.parts[new] = self.parts.pop(old)
        if old in self.infos:
            self.infos[new] = self.infos.pop(old)
        if old in self._trees:
            self._trees[new] = self._trees.pop(old)
        if old in self._dirty:
            self._dirty.discard(old)
        self._dirty.add(new)

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
        return SheetEditor(self.worksheet(part), self)

    # -- adding a sheet and notes (the Data quality report) -----------------------
    def _new_part_name(self, pattern: str) -> str:
        n = 1
        while self.part_name(pattern.format(n)) in self.parts:
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
    def members(self, last: bool = False) -> list:
        """(name, a function giving its bytes) of every part, in the order they are written: as stored, except
        that the parts writing a worksheet can change (styles, shared strings, its tables) come after the last
        worksheet written. Each is made as it is written, so one worksheet's output is held at a time.
        ``last``: nothing is asked of the package afterwards, so each worksheet, its source bytes, its edits
        and its output are let go as soon as it is written."""
        if self.formulas_replaced:
            from cyps_xl.workbook.formulas import drop_calc_chain

            drop_calc_chain(self)
            self.formulas_replaced = False
        writing = [part for part, worksheet in self._sheets.items()
                   if part in self.parts and (part in self._dirty or worksheet.edited())]
        if any(self._sheets[part].freeze and self._sheets[part].has_formulas for part in writing):
            self.shared_strings.ensure()  # a frozen text formula's value goes there: made now, not mid-write
        _, rels = self.relationships(self.workbook_part)
        changeable = {self.resolve(self.workbook_part, r.get("Target")) for r in (rels if rels is not None else ())
                      if r.get("Type", "").endswith("/styles")}
        if self._strings is not None and self._strings.part:
            changeable.add(self._strings.part)
        headers = {part: self._table_headers(part) for part in writing}
        for tables, _ in headers.values():
            changeable |= {table for table, *_ in tables}
        order, held, pending = [], [], set(writing)
        for name in self.parts:  # every sheet in ``writing`` is among them: ``held`` is written after the last
            if name in changeable and pending:
                held.append(name)
                continue
            order.append((name, partial(self._worksheet_bytes, name, headers[name], last) if name in pending else
                          partial(self._part_bytes, name)))
            pending.discard(name)
            if not pending and held:
                order += [(name, partial(self._part_bytes, name)) for name in held]
                held = []
        return order

    def _worksheet_bytes(self, part: str, headers: tuple, last: bool):
        """The worksheet's bytes, in pieces made as the zip takes them (``headers``: its tables, see
        :meth:`_table_headers`)."""
        worksheet = self._sheets[part]
        tables, watch = headers
        writer = RowWriter(worksheet, self, watch)
        yield from worksheet.chunks(writer)  # may add shared strings and styles, and rename table columns
        self._rename_table_columns(tables, writer.seen)
        if last:
            self.parts.spend(part)
            del self._sheets[part]

    def _part_bytes(self, name: str) -> bytes:
        if self._strings is not None and name == self._strings.part and name in self._dirty:
            return self._strings.to_bytes()  # its added texts are written after the file's own
        if name in self._dirty and name in self._trees:
            return etree.tostring(self._trees[name], xml_declaration=True, encoding="UTF-8", standalone=True)
        return self.parts[name]

    def _table_headers(self, sheet_part: str) -> tuple[list, set]:
        """The sheet's Excel tables (part, first row, first column, columns) and their header cells."""
        _, rels = self.relationships(sheet_part)
        tables, watch = [], set()
        for rel in rels if rels is not None else []:
            if not rel.get("Type", "").endswith("/table") or rel.get("TargetMode") == "External":
                continue
            part = self.resolve(sheet_part, rel.get("Target"))
            if part not in self.parts:
                continue
            table = self.tree(part)
            if table.get("headerRowCount") == "0" or ":" not in (table.get("ref") or ""):
                continue
            corner = address(table.get("ref").split(":")[0])
            if corner is None:
                continue  # a damaged table range: its names are left as they are
            top, left = corner
            columns = table.findall(f"{M}tableColumns/{M}tableColumn")
            tables.append((part, top, left, columns))
            watch |= {(top, left + offset) for offset in range(len(columns))}
        return tables, watch

    def _rename_table_columns(self, tables: list, texts: dict) -> None:
        """An Excel table's column names must be its header cells' text, or Excel repairs the file: a header
        cell cyps-xl wrote (a benchmark heading with its year) renames its table column."""
        for part, top, left, columns in tables:
            for offset, column in enumerate(columns):
                text = texts.get((top, left + offset))
                # compared as the names they stand for: Excel writes a line break in a name as _x000a_
                if text and _unescaped_name(column.get("name") or "") != text:
                    column.set("name", _escaped_name(text))
                    self.touch(part)

    def save(self, target: Path, *, last: bool = False, guard=None) -> None:
        """Write atomically: a temporary file beside the target, moved into place when complete. ``last``:
        the package is done with after this save (see :meth:`members`); ``guard``: see write_atomically."""
        write_zip_atomically(Path(target), self.members(last), self.infos, guard)


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescaped_name(name: str) -> str:
    """An OOXML string (ST_Xstring) as the text it stands for: _x000a_ is a line break, _x005F_ an underscore."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), name)


def _escaped_name(text: str) -> str:
    """Text as Excel writes it in such a string: control characters, and a literal _xHHHH_, escaped."""
    text = _ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    return "".join(f"_x{ord(c):04X}_" if ord(c) < 0x20 else c for c in text)
