"""Editing an .xlsx/.xlsm package in place, keeping every part we do not own.

Why not load and save with openpyxl?  openpyxl rebuilds the whole file from
its object model and silently drops what it does not model: sparklines and
other ``x14`` extensions, text boxes, threaded comments, the ribbon of an
``.xlsm``.  A scorecard is years of the team's work, so cyps-xl edits the
package instead: the zip members are copied byte for byte, and only the
worksheet XML of cells we write and ``styles.xml`` (new formats appended,
none changed) are re-serialised with lxml, which keeps unknown elements,
extensions and namespace prefixes as they were.

XML is parsed without DTDs, entities or network access, and any part that
declares a DOCTYPE (which no OOXML part needs) is refused, so XML bombs and
external entities never expand.  Archives whose parts would expand past
:data:`MAX_EXPANDED_BYTES` are refused before anything is unpacked.
"""
from __future__ import annotations

import copy
import functools
import os
import posixpath
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import CypsError

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
M = f"{{{NS_MAIN}}}"
NS_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
NS_XM = "http://schemas.microsoft.com/office/excel/2006/main"
X14 = f"{{{NS_X14}}}"
XM = f"{{{NS_XM}}}"
SPARKLINE_EXT_URI = "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

MAX_EXPANDED_BYTES = 1 << 30  # 1 GiB: far beyond any scorecard
MAX_RATIO = 200  # deflate rarely beats ~100:1 on real XML
MAX_PART_BYTES = 512 << 20  # one worksheet of a huge scorecard is a few MB

MACRO_REL_TYPES = {
    "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
    "http://schemas.microsoft.com/office/2006/relationships/vbaProjectSignature",
}
EXTERNAL_LINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"
CALC_CHAIN_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"
WORKBOOK_XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False)
BUILTIN_NUMFMTS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}


@dataclass(frozen=True)
class CellStyle:
    """What cyps-xl sets on a cell. None leaves that property as it is."""

    fill: str | None = None  # "RRGGBB", or "none" to clear a fill
    font_color: str | None = None  # "RRGGBB"
    number_format: str | None = None
    bold: bool | None = None
    italic: bool | None = None
    size: float | None = None  # font size in points (the summary tiles)
    wrap: bool | None = None  # wrap text (the commentary)


def parse_xml(data: bytes, name: str, source: Path):
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise CypsError(f"the part {name} declares a DOCTYPE or entities, which no Excel file does; refusing to read it.",
                        file=source, hint="The file may be hostile; do not open it.")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CypsError(f"the part {name} is not well-formed XML ({exc}).", file=source,
                        hint="The file is damaged; save it again from Excel.") from None


def same_range(a: str, b: str) -> bool:
    """'Education'!F14:Q14 is Education!$F$14:$Q$14: quotes a name does not need, and $ signs, do not matter."""
    def plain(ref: str) -> str:
        sheet, _, cells = ref.rpartition("!")
        if sheet.startswith("'") and sheet.endswith("'"):
            inner = sheet[1:-1].replace("''", "'")
            sheet = inner if inner.replace("_", "").isalnum() else sheet
        return f"{sheet}!{cells.replace('$', '')}".lower()
    return plain(a) == plain(b)


def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.lru_cache(maxsize=20000)
def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


_REF_RE = re.compile(r"^([A-Z]+)(\d+)$")


def split_ref(ref: str) -> tuple[int, int]:
    match = _REF_RE.match(ref)
    return int(match.group(2)), column_index(match.group(1))


def ensure_workbook_file(path: Path) -> None:
    """Refuse, with a useful message, anything that is not an .xlsx/.xlsm package."""
    path = Path(path)
    if not path.is_file():
        raise CypsError("file not found.", file=path, hint="Check the path and the file name.")
    with path.open("rb") as handle:
        magic = handle.read(8)
    if path.suffix.lower() == ".xls":
        raise CypsError("is an old Excel 97-2003 (.xls) workbook.", file=path,
                        hint="Open it in Excel and Save As 'Excel Workbook (.xlsx)', then run again.")
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise CypsError("is password-protected (encrypted) or an old binary workbook.", file=path,
                        hint="Remove the password in Excel (File > Info > Protect Workbook) and save as .xlsx.")
    if not magic.startswith(b"PK"):
        raise CypsError("is not an Excel workbook (.xlsx/.xlsm).", file=path, hint="Check you chose the right file.")
    _refuse_hostile(path)


def _refuse_hostile(path: Path) -> None:
    """Zip bombs and XML with DTDs are refused before any XML parser sees them.

    Only the archive's directory and the first 4 KB of each XML part are read,
    so this costs little memory whatever the file claims to hold.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            biggest = max((i.file_size for i in infos), default=0)
            if total > MAX_EXPANDED_BYTES or biggest > MAX_PART_BYTES or (total > 50_000_000 and total / packed > MAX_RATIO):
                raise CypsError(f"its parts would expand to {total:,} bytes, far more than any scorecard; "
                                "refusing to unpack it.", file=path, hint="The file may be a zip bomb; do not open it.")
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with archive.open(info) as part:
                        head = part.read(4096).lower()
                    if b"<!doctype" in head or b"<!entity" in head:
                        raise CypsError(f"the part {info.filename} declares a DOCTYPE or entities, which no Excel "
                                        "file does; refusing to read it.", file=path,
                                        hint="The file may be hostile (an XML bomb or external entity); do not open it.")
    except (zipfile.BadZipFile, EOFError, OSError, zlib_error()) as exc:
        raise CypsError(f"cannot be read as a workbook ({exc}).", file=path,
                        hint="The file may be truncated or damaged; save it again from Excel.") from None


class Package:
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
        self.sheet_parts = self._sheet_parts()
        self._styles: Styles | None = None

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

    def put_sheet(self, name: str, rows: list[list], *, widths: list | None = None, first: bool = False) -> None:
        """Write ``rows`` (text and numbers) as the whole content of sheet ``name``, adding the sheet if needed
        (as the first sheet when ``first``); ``widths`` are column widths in characters."""
        if name not in self.sheet_parts:
            part = self._new_part_name("xl/worksheets/sheet{}.xml")
            widths = widths or [16, 16, 16, 16, 110]
            cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
            root = etree.fromstring(
                f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><cols>{cols}</cols><sheetData/></worksheet>'.encode())
            self.parts[part] = b""
            self._trees[part] = root
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
        editor = self.sheet(name)
        for row in list(editor.data):
            editor.data.remove(row)
        editor.rows = {}
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value not in (None, ""):
                    editor.set_value(r, c, value)

    def _shift_sheet_indexes(self, workbook, start: int, delta: int) -> None:
        """Sheet positions held by defined names (localSheetId) follow an inserted sheet."""
        names = workbook.find(f"{M}definedNames")
        for defined in names if names is not None else []:
            local = defined.get("localSheetId")
            if local is not None and int(local) >= start:
                defined.set("localSheetId", str(int(local) + delta))

    def merge(self, sheet: str, ref: str) -> None:
        root = self.tree(self.sheet_parts[sheet])
        merges = root.find(f"{M}mergeCells")
        if merges is None:
            merges = etree.Element(f"{M}mergeCells")
            _insert_in_order(root, merges)
        etree.SubElement(merges, f"{M}mergeCell", ref=ref)
        merges.set("count", str(len(merges)))
        self.touch(self.sheet_parts[sheet])

    def add_column_chart(self, sheet: str, anchor: tuple, title: str, categories: str, values: str) -> None:
        """A small column chart on ``sheet`` at anchor (col, row, col2, row2), 0-based, over two ranges."""
        part = self.sheet_parts[sheet]
        chart = self._new_part_name("xl/charts/chart{}.xml")
        drawing = self._new_part_name("xl/drawings/drawing{}.xml")
        self.parts[chart] = CHART_XML.format(title=_xml_text(title), categories=_xml_text(categories),
                                             values=_xml_text(values)).encode()
        chart_rid = self._add_relationship(drawing, f"{NS_REL}/chart", posixpath.relpath(chart, posixpath.dirname(drawing)))
        c1, r1, c2, r2 = anchor
        self.parts[drawing] = DRAWING_XML.format(c1=c1, r1=r1, c2=c2, r2=r2, rid=chart_rid).encode()
        rid = self._add_relationship(part, f"{NS_REL}/drawing", posixpath.relpath(drawing, posixpath.dirname(part)))
        self._content_type(chart, "application/vnd.openxmlformats-officedocument.drawingml.chart+xml")
        self._content_type(drawing, "application/vnd.openxmlformats-officedocument.drawing+xml")
        element = etree.Element(f"{M}drawing")
        element.set(f"{{{NS_REL}}}id", rid)
        _insert_in_order(self.tree(part), element)
        self.touch(part)

    def set_print(self, sheet: str, title_rows: tuple | None, footer: str) -> None:
        """Landscape, fit to one page wide, header rows repeated on every page, a footer."""
        root = self.tree(self.sheet_parts[sheet])
        pr = root.find(f"{M}sheetPr")
        if pr is None:
            pr = etree.Element(f"{M}sheetPr")
            root.insert(0, pr)
        fit = pr.find(f"{M}pageSetUpPr")
        if fit is None:
            fit = etree.SubElement(pr, f"{M}pageSetUpPr")
        fit.set("fitToPage", "1")
        setup = root.find(f"{M}pageSetup")
        if setup is None:
            setup = etree.Element(f"{M}pageSetup")
            _insert_in_order(root, setup)
        for key, value in (("orientation", "landscape"), ("fitToWidth", "1"), ("fitToHeight", "0"), ("paperSize", "9")):
            setup.set(key, value)
        if root.find(f"{M}pageMargins") is None:
            _insert_in_order(root, etree.Element(f"{M}pageMargins", left="0.4", right="0.4", top="0.5", bottom="0.6",
                                                 header="0.3", footer="0.3"))
        header_footer = root.find(f"{M}headerFooter")
        if header_footer is None:
            header_footer = etree.Element(f"{M}headerFooter")
            _insert_in_order(root, header_footer)
        for child in list(header_footer):
            if etree.QName(child).localname == "oddFooter":
                header_footer.remove(child)
        etree.SubElement(header_footer, f"{M}oddFooter").text = footer
        self.touch(self.sheet_parts[sheet])
        if title_rows:
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
            defined = etree.SubElement(names, f"{M}definedName", name="_xlnm.Print_Titles", localSheetId=str(index))
            defined.text = f"{quoted}!${title_rows[0]}:${title_rows[1]}"
            self.touch(self.workbook_part)

    def print_geometry(self, sheet: str) -> tuple[float, dict]:
        """(printed width in points of the visible columns, {row: height in points}) of a sheet, from its XML."""
        root = self.tree(self.sheet_parts[sheet])
        widths, hidden = {}, set()
        cols = root.find(f"{M}cols")
        for col in cols if cols is not None else []:
            for c in range(int(col.get("min")), int(col.get("max")) + 1):
                widths[c] = float(col.get("width", 8.43))
                if col.get("hidden") in ("1", "true"):
                    hidden.add(c)
        # the last cell of each row is its rightmost (cells are kept in column order)
        last = max([split_ref(row[-1].get("r"))[1] for row in root.iter(f"{M}row")
                    if len(row) and row[-1].tag == f"{M}c" and row[-1].get("r")] + [1])
        width = sum(widths.get(c, 8.43) * 5.6 for c in range(1, last + 1) if c not in hidden)  # ~5.6 pt a character
        fmt = root.find(f"{M}sheetFormatPr")
        default = float(fmt.get("defaultRowHeight", 15)) if fmt is not None else 15.0
        heights = {}
        for row in root.iter(f"{M}row"):
            heights[int(row.get("r"))] = float(row.get("ht")) if row.get("ht") else default
        return width, heights

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
        _insert_in_order(root, breaks)
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
            self.parts[vml_part] = VML_HEAD.encode() + b"</xml>"
            rid = self._add_relationship(part, f"{NS_REL}/vmlDrawing", posixpath.relpath(vml_part, posixpath.dirname(part)))
            self._content_type(None, "application/vnd.openxmlformats-officedocument.vmlDrawing", extension="vml")
            legacy = etree.Element(f"{M}legacyDrawing")
            legacy.set(f"{{{NS_REL}}}id", rid)
            _insert_in_order(root, legacy)
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
        shape_id = max([int(x) for x in re.findall(r"_x0000_s(\d+)", vml)] + [1024])
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
            at = vml.rindex("</xml>")
            self.parts[vml_part] = (vml[:at] + "".join(shapes) + vml[at:]).encode("utf-8")
        return skipped

    # -- whole-package changes for the issued copy ---------------------------
    def freeze_formulas(self) -> list[str]:
        """Replace every formula by its saved result. Returns cells that had no saved result."""
        unsaved = []
        for sheet_name, part in self.sheet_parts.items():
            tree = self.tree(part)
            changed = False
            for formula in list(tree.iter(f"{M}f")):
                cell = formula.getparent()
                if cell.find(f"{M}v") is None and cell.get("t") != "inlineStr":
                    unsaved.append(f"sheet '{sheet_name}', cell {cell.get('r')}")
                cell.remove(formula)
                if cell.get("t") == "str":
                    value = cell.find(f"{M}v")
                    text = value.text if value is not None else ""
                    _set_inline_string(cell, text or "")
                changed = True
            if changed:
                self.touch(part)
        for rel_type in (CALC_CHAIN_REL,):
            self._drop_related(self.workbook_part, {rel_type})
        return unsaved

    def drop_macros(self) -> None:
        """Remove the VBA project, its signature and the ribbon; make it a plain .xlsx."""
        self._drop_related(self.workbook_part, MACRO_REL_TYPES)
        self._drop_related("", MACRO_REL_TYPES)
        ct = self.tree("[Content_Types].xml")
        for override in ct.findall(f"{{{NS_CT}}}Override"):
            if override.get("PartName") == "/" + self.workbook_part and "macroEnabled" in override.get("ContentType", ""):
                override.set("ContentType", WORKBOOK_XLSX_CT)
                self.touch("[Content_Types].xml")
        for name in [n for n in self.parts if n.lower().endswith("vbaproject.bin") or n.lower().startswith("customui")]:
            self.remove_part(name)

    def scrub_properties(self, created_by: str | None) -> None:
        """Document properties name no one but the configured 'Created by'."""
        core_ns = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
        dc_ns = "http://purl.org/dc/elements/1.1/"
        app_ns = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
        if "docProps/core.xml" in self.parts:
            core = self.tree("docProps/core.xml")
            for tag in (f"{{{dc_ns}}}creator", f"{{{core_ns}}}lastModifiedBy"):
                for element in core.findall(tag):
                    if created_by:
                        element.text = created_by
                    else:
                        core.remove(element)
            self.touch("docProps/core.xml")
        if "docProps/app.xml" in self.parts:
            app = self.tree("docProps/app.xml")
            for element in app.findall(f"{{{app_ns}}}Manager"):
                app.remove(element)
            self.touch("docProps/app.xml")

    def drop_external_links(self) -> None:
        dropped = self._drop_related(self.workbook_part, {EXTERNAL_LINK_REL})
        if dropped:
            workbook = self.tree(self.workbook_part)
            refs = workbook.find(f"{M}externalReferences")
            if refs is not None:
                workbook.remove(refs)
            self.touch(self.workbook_part)

    def _drop_related(self, source: str, types: set) -> list[str]:
        rels_name, rels = self.relationships(source)
        dropped = []
        if rels is None:
            return dropped
        for rel in list(rels):
            if rel.get("Type") in types:
                if rel.get("TargetMode") != "External":
                    target = self.resolve(source, rel.get("Target"))
                    sub_rels = self.rels_name(target)
                    self.remove_part(target)
                    self.remove_part(sub_rels)
                    dropped.append(target)
                rels.remove(rel)
                self.touch(rels_name)
        return dropped

    # -- saving ----------------------------------------------------------------
    def to_bytes_map(self) -> dict:
        out = {}
        for name in self.parts:
            if name in self._dirty and name in self._trees:
                out[name] = etree.tostring(self._trees[name], xml_declaration=True, encoding="UTF-8", standalone=True)
            else:
                out[name] = self.parts[name]
        return out

    def save(self, target: Path) -> None:
        """Write atomically: a temporary file beside the target, moved into place when complete."""
        write_zip_atomically(Path(target), self.to_bytes_map(), self.infos)


def zlib_error():
    import zlib

    return zlib.error


def write_zip_atomically(target: Path, members: dict, infos: dict | None = None) -> None:
    target = Path(target)
    if not target.parent.exists():
        raise CypsError("the output folder does not exist.", file=target, hint="Create the folder or choose another -o.")
    _remove_abandoned_temps(target)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                names = sorted(members, key=lambda n: (n != "[Content_Types].xml",))
                for name in names:
                    info = zipfile.ZipInfo(name, date_time=(infos[name].date_time if infos and name in infos else (1980, 1, 1, 0, 0, 0)))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o600 << 16
                    archive.writestr(info, members[name])
            raw.flush()
            os.fsync(raw.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; give it the usual permissions
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def _remove_abandoned_temps(target: Path) -> None:
    """Temporary files left by a run that was killed (its process is gone) are removed."""
    for temp in target.parent.glob(f".{target.name}.*.tmp"):
        parts = temp.name[len(target.name) + 2:].split(".")
        if parts and parts[0].isdigit() and not _alive(int(parts[0])):
            try:
                temp.unlink()
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _set_inline_string(cell, text: str) -> None:
    for child in list(cell):
        if child.tag in (f"{M}v", f"{M}is", f"{M}f"):
            cell.remove(child)
    cell.set("t", "inlineStr")
    inline = etree.SubElement(cell, f"{M}is")
    node = etree.SubElement(inline, f"{M}t")
    node.text = text
    if text != text.strip() or "\n" in text:
        node.set(XML_SPACE, "preserve")


class SheetEditor:
    """Cell-level edits to one worksheet's XML."""

    def __init__(self, root, package: Package):
        self.root = root
        self.package = package
        self.data = root.find(f"{M}sheetData")
        self.rows = {int(row.get("r")): row for row in self.data.findall(f"{M}row") if row.get("r")}
        self._cells: dict = {}  # row number -> {column: cell}, built when a row is first touched
        self._sparklines: dict | None = None  # target cell -> x14:sparkline, built on first use
        self._column_styles: list | None = None  # (first, last, style) of each styled <col>, built on first use

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
        for child in list(cell):
            if child.tag in (f"{M}v", f"{M}is", f"{M}f"):
                cell.remove(child)
        if "t" in cell.attrib:
            del cell.attrib["t"]
        if value is None or value == "":
            return
        if isinstance(value, bool):
            cell.set("t", "b")
            etree.SubElement(cell, f"{M}v").text = "1" if value else "0"
        elif isinstance(value, (int, float)):
            etree.SubElement(cell, f"{M}v").text = repr(float(value)) if isinstance(value, float) else str(value)
        else:
            _set_inline_string(cell, str(value))

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


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


CHART_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><c:chart>'
    '<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr sz="1100" b="1"/></a:pPr><a:r><a:rPr lang="en-GB" sz="1100" b="1"/>'
    '<a:t>{title}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
    '<c:plotArea><c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
    '<c:ser><c:idx val="0"/><c:order val="0"/><c:spPr><a:solidFill><a:srgbClr val="2E75B6"/></a:solidFill></c:spPr>'
    '<c:invertIfNegative val="0"/><c:cat><c:numRef><c:f>{categories}</c:f></c:numRef></c:cat>'
    '<c:val><c:numRef><c:f>{values}</c:f></c:numRef></c:val></c:ser><c:gapWidth val="60"/>'
    '<c:axId val="50010001"/><c:axId val="50010002"/></c:barChart>'
    '<c:catAx><c:axId val="50010001"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
    '<c:axPos val="b"/><c:numFmt formatCode="mmm-yy" sourceLinked="0"/><c:tickLblPos val="nextTo"/>'
    '<c:crossAx val="50010002"/><c:crosses val="autoZero"/><c:auto val="0"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
    '</c:catAx><c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
    '<c:axPos val="l"/><c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/>'
    '<c:crossAx val="50010001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx></c:plotArea>'
    '<c:plotVisOnly val="0"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
)
DRAWING_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:twoCellAnchor>'
    '<xdr:from><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
    '<xdr:to><xdr:col>{c2}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r2}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
    '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Trend chart"/><xdr:cNvGraphicFramePr/>'
    '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
    '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="{rid}"/>'
    '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>'
)

VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/>'
    '</o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
VML_SHAPE = (
    '<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:0;margin-top:0;width:180pt;'
    'height:60pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
    '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
    '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
    '<x:Anchor>{c1}, 15, {r1}, 10, {c2}, 15, {r2}, 4</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row>'
    '<x:Column>{col}</x:Column></x:ClientData></v:shape>'
)
# The order of a worksheet's children after sheetData (ECMA-376 CT_Worksheet), for inserting legacyDrawing.
WORKSHEET_ORDER = ["sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
                   "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
                   "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
                   "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                   "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                   "webPublishItems", "tableParts", "extLst"]


def _insert_in_order(root, element, order: list = WORKSHEET_ORDER) -> None:
    """Insert ``element`` before the first child the schema's ``order`` puts after it."""
    position = order.index(etree.QName(element).localname)
    for index, child in enumerate(root):
        name = etree.QName(child).localname
        if name in order and order.index(name) > position:
            root.insert(index, element)
            return
    root.append(element)


FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name", "family", "charset", "scheme"]


class Styles:
    """Append-only edits to styles.xml: existing formats are never changed."""

    def __init__(self, root):
        self.root = root
        self.num_fmts = root.find(f"{M}numFmts")
        self.fonts = root.find(f"{M}fonts")
        self.fills = root.find(f"{M}fills")
        self.xfs = root.find(f"{M}cellXfs")
        self._cache: dict = {}
        self._index = {
            "font": {self._key(e): i for i, e in reversed(list(enumerate(self.fonts)))},
            "fill": {self._key(e): i for i, e in reversed(list(enumerate(self.fills)))},
            "xf": {self._key(e): i for i, e in reversed(list(enumerate(self.xfs)))},
        }

    @staticmethod
    def _key(element) -> bytes:
        return etree.tostring(element, method="c14n")

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

    def number_format_id(self, code: str) -> int:
        if code in BUILTIN_NUMFMTS:
            return BUILTIN_NUMFMTS[code]
        if self.num_fmts is None:
            self.num_fmts = etree.Element(f"{M}numFmts", count="0")
            self.root.insert(0, self.num_fmts)
        used = [int(f.get("numFmtId")) for f in self.num_fmts]
        for fmt in self.num_fmts:
            if fmt.get("formatCode") == code:
                return int(fmt.get("numFmtId"))
        new_id = max([163, *used]) + 1
        etree.SubElement(self.num_fmts, f"{M}numFmt", numFmtId=str(new_id), formatCode=code)
        self.num_fmts.set("count", str(len(self.num_fmts)))
        return new_id

    def derive(self, base: int, style: CellStyle) -> int:
        key = (base, style)
        if key in self._cache:
            return self._cache[key]
        xf = copy.deepcopy(self.xfs[base] if base < len(self.xfs) else self.xfs[0])
        if style.number_format is not None:
            xf.set("numFmtId", str(self.number_format_id(style.number_format)))
            xf.set("applyNumberFormat", "1")
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
        if style.wrap is not None:
            alignment = xf.find(f"{M}alignment")
            if alignment is None:
                alignment = etree.SubElement(xf, f"{M}alignment")
            alignment.set("wrapText", "1" if style.wrap else "0")
            alignment.set("vertical", "top")
            xf.set("applyAlignment", "1")
        index = self._add("xf", self.xfs, xf)
        self._cache[key] = index
        return index


def _set_font_child(font, tag: str, **attrs) -> None:
    existing = font.find(f"{M}{tag}")
    if existing is not None:
        font.remove(existing)
    _insert_in_order(font, etree.Element(f"{M}{tag}", **attrs), FONT_ORDER)
