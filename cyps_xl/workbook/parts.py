"""The package's parts: the zip archive, XML parsing that refuses bombs, schema order (writing: ``saving``).

XML is parsed without DTDs, entities or network access, and any part that
declares a DOCTYPE (which no OOXML part needs) is refused, so XML bombs and
external entities never expand.  Archives whose parts would expand past
:data:`MAX_EXPANDED_BYTES` are refused before anything is unpacked.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from cyps_xl.errors import CypsError
from cyps_xl.workbook.marks import OWN_MARK  # noqa: F401 - re-exported: on every sheet cyps-xl writes

from cyps_xl.cellref import column_index, column_letter, split_ref  # noqa: F401 - re-exported for the workbook modules

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
# parts a values-only workbook does not need and that run or embed code: Excel 4 macro sheets, dialog
# sheets, ActiveX controls and embedded OLE objects (the issue drops them with the VBA project)
ACTIVE_CONTENT_RELS = {
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/control",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/activeXControlBinary",
}
AUTO_NAMES = {"auto_open", "auto_close", "_xlnm.auto_open", "_xlnm.auto_close", "auto_activate", "auto_deactivate"}
EXTERNAL_LINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"
CALC_CHAIN_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"
WORKBOOK_XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False)


def declares_doctype(data: bytes) -> bool | None:
    """Whether the XML's prolog (all before the root element: the XML declaration, comments, processing
    instructions and a DOCTYPE, the one place a DTD and its entities can stand) declares a DOCTYPE. However long
    a comment before it is, it is found. None: ``data`` ends before the root element starts (read more)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:  # UTF-16: scanned as the text it is
        data = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else
                           ("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"), errors="ignore").encode("utf-8")
    at, size = (3 if data.startswith(b"\xef\xbb\xbf") else 0), len(data)
    while at < size:
        if data[at:at + 1].isspace():
            at += 1
        elif data.startswith(b"<?", at):
            end = data.find(b"?>", at + 2)
            if end < 0:
                return None
            at = end + 2
        elif data.startswith(b"<!--", at):
            end = data.find(b"-->", at + 4)
            if end < 0:
                return None
            at = end + 3
        elif data.startswith(b"<!", at):
            return True  # <!DOCTYPE (or any other declaration): no OOXML part has one
        else:
            return False  # the root element: the prolog is over
    return None


def refuse_doctype(data: bytes, name: str, source: Path) -> None:
    if declares_doctype(data):
        raise CypsError(f"the part {name} declares a DOCTYPE or entities, which no Excel file does; refusing to read it.",
                        file=source, hint="The file may be hostile; do not open it.")


def parse_xml(data: bytes, name: str, source: Path):
    refuse_doctype(data, name, source)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CypsError(f"the part {name} is not well-formed XML ({exc}).", file=source,
                        hint="The file is damaged; save it again from Excel.") from None
    if root.getroottree().docinfo.doctype:  # the parser's own word, whatever the prolog scan saw
        raise CypsError(f"the part {name} declares a DOCTYPE or entities, which no Excel file does; refusing to read it.",
                        file=source, hint="The file may be hostile; do not open it.")
    return root


def same_range(a: str, b: str) -> bool:
    """'Education'!F14:Q14 is Education!$F$14:$Q$14: quotes a name does not need, and $ signs, do not matter."""
    def plain(ref: str) -> str:
        sheet, _, cells = ref.rpartition("!")
        if sheet.startswith("'") and sheet.endswith("'"):
            inner = sheet[1:-1].replace("''", "'")
            sheet = inner if inner.replace("_", "").isalnum() else sheet
        return f"{sheet}!{cells.replace('$', '')}".lower()
    return plain(a) == plain(b)



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
    if path.suffix.lower() == ".xlsb":
        raise CypsError("is an Excel binary workbook (.xlsb), which cyps-xl cannot read.", file=path,
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
            seen: dict = {}
            for info in infos:  # a part named ../../x or /etc/x would be carried into the issued file
                name = info.filename
                if name.lower() in seen:  # Office refuses a package with two parts of one name (names ignore case)
                    raise CypsError(f"holds two parts named '{name}'; a workbook has one of each, and which one "
                                    "counts is not certain. Refusing to read it.", file=path,
                                    hint="The file may be hostile or damaged; save the workbook again from Excel.")
                seen[name.lower()] = info
                if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or ":" in name:
                    raise CypsError(f"holds a part named '{name}', a path no workbook uses; refusing to read it.",
                                    file=path, hint="The file may be hostile; save the workbook again from Excel.")
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            biggest = max((i.file_size for i in infos), default=0)
            if total > MAX_EXPANDED_BYTES or biggest > MAX_PART_BYTES or (total > 50_000_000 and total / packed > MAX_RATIO):
                raise CypsError(f"its parts would expand to {total:,} bytes, far more than any scorecard; "
                                "refusing to unpack it.", file=path, hint="The file may be a zip bomb; do not open it.")
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with archive.open(info) as part:  # the prolog, however long its comments: read until it ends
                        head = part.read(4096)
                        while (found := declares_doctype(head)) is None and (more := part.read(1 << 16)):
                            head += more
                    if found:
                        raise CypsError(f"the part {info.filename} declares a DOCTYPE or entities, which no Excel "
                                        "file does; refusing to read it.", file=path,
                                        hint="The file may be hostile (an XML bomb or external entity); do not open it.")
    except (zipfile.BadZipFile, EOFError, OSError, zlib_error()) as exc:
        raise CypsError(f"cannot be read as a workbook ({exc}).", file=path,
                        hint="The file may be truncated or damaged; save it again from Excel.") from None


def zlib_error():
    import zlib

    return zlib.error


_SPENT = object()  # a part written by a package's last save


class Parts(dict):
    """Part name -> bytes. A part read from the file and not changed since can be let go (a worksheet between
    its reading and its writing: most of a big workbook's bytes) and is unpacked again, from the file's own
    bytes kept in memory, when next asked for."""

    def __init__(self, archive: bytes, parts: dict):
        super().__init__(parts)
        self._archive = archive
        self._as_read = set(parts)  # names whose bytes are still the file's

    def __getitem__(self, name: str) -> bytes:
        value = dict.__getitem__(self, name)
        if value is _SPENT:
            raise RuntimeError(f"the part {name} was written by the package's last save; use a new Package")
        if value is None:
            with zipfile.ZipFile(io.BytesIO(self._archive)) as archive:
                value = archive.read(name)
            dict.__setitem__(self, name, value)
        return value

    def __setitem__(self, name: str, value: bytes) -> None:
        self._as_read.discard(name)
        dict.__setitem__(self, name, value)

    def get(self, name: str, default=None):
        return self[name] if name in self else default

    def items(self):
        return [(name, self[name]) for name in self]

    def values(self):
        return [self[name] for name in self]

    def pop(self, name: str, *default):
        value = self[name] if name in self else None
        self._as_read.discard(name)
        dict.pop(self, name, *default)
        return value if value is not None else (default[0] if default else None)

    def spend(self, name: str) -> None:
        """A part the package's last save has written: its bytes are gone for good."""
        self._as_read.discard(name)
        dict.__setitem__(self, name, _SPENT)

    def let_go(self, name: str) -> bool:
        """Forget a part's bytes until they are next asked for; only a part still as the file has it."""
        if name in self._as_read:
            dict.__setitem__(self, name, None)
            return True
        return False


def xml_text(text: str) -> str:
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
    '</c:catAx><c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/>{value_min}</c:scaling>'
    '<c:delete val="0"/>'
    '<c:axPos val="l"/><c:majorGridlines/>{value_format}<c:tickLblPos val="nextTo"/>'
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

NOTE_SHAPETYPE = (  # the shape type every note's v:shape refers to (#_x0000_t202)
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/>'
    '</o:shapelayout>' + NOTE_SHAPETYPE.replace("{", "{{").replace("}", "}}")
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
WORKSHEET_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                   "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
                   "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
                   "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
                   "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                   "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                   "webPublishItems", "tableParts", "extLst"]


def insert_in_order(root, element, order: list = WORKSHEET_ORDER) -> None:
    """Insert ``element`` before the first child the schema's ``order`` puts after it."""
    position = order.index(etree.QName(element).localname)
    for index, child in enumerate(root):
        name = etree.QName(child).localname
        if name in order and order.index(name) > position:
            root.insert(index, element)
            return
    root.append(element)


WORKBOOK_ORDER = ["fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                  "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews",
                  "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
                  "extLst"]
HEADER_FOOTER_ORDER = ["oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter"]
FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name", "family", "charset", "scheme"]


