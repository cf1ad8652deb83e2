"""One worksheet part, never held whole: its shell in memory, its rows streamed.

A worksheet's rows are most of a workbook's bytes, and a parsed tree of them
costs about 17 bytes of memory per byte of XML. So a worksheet part is held as
its bytes and its *shell*: every element but the rows of ``sheetData`` (views,
columns, merges, conditional formats, print settings, sparklines...), small and
parsed. The rows are streamed from the bytes, a row at a time, each freed when
done: once to read the values (:func:`cyps_xl.workbook.cells.read_grids`, which
also gathers the facts below), and once more at save, when the edits the
:class:`~cyps_xl.workbook.sheet.SheetEditor` recorded are applied to the rows
they touch and every row is written out in order. A sheet nobody edited is
copied byte for byte.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from lxml import etree

from cyps_xl.cellref import MAX_ROW, address, column_index, column_letter
from cyps_xl.errors import CypsError
from cyps_xl.workbook.parts import M, refuse_doctype

# where the streamed rows go in the serialised shell (private-use characters: no workbook's text holds them)
_ROWS_MARK = "\ue000cyps-xl rows\ue000"


@dataclass(frozen=True)
class Formula:
    """A formula cell as saved: what freezing, the CYPS_ evaluation and shared-formula repair need."""

    row: int
    column: int
    text: str | None
    kind: str | None  # t: None (normal), "shared", "array", "dataTable"
    si: str | None
    ref: str | None
    saved: bool  # the cell holds a saved result (or is an inline string)


class Worksheet:
    """A worksheet part as shell + streamed rows, with the edits to apply when it is written."""

    def __init__(self, part: str, data: bytes, source, sheet: str | None = None):
        self.part, self.data, self.source = part, data, source
        self.sheet = sheet or part
        self._shell = None
        # facts gathered on a full pass over the rows
        self.row_numbers: set = set()
        self.heights: dict = {}  # row -> saved height in points (rows with ht)
        self.last_column = 0  # the rightmost column any row's last cell reaches
        self._formulas: dict = {}  # (row, column) -> Formula
        self._has_formulas = False  # any <f>, addressed or not
        # edits, applied when written (see cyps_xl.workbook.sheet.RowWriter); two plain dicts of small
        # values, as a big scorecard has hundreds of thousands of them
        self.values: dict = {}  # row -> {column: encoded value ((kind, text), or None to empty the cell)}
        self.styles: dict = {}  # row -> {column: style chain (an int: see cyps_xl.workbook.styles.StyleChains)}
        self.row_heights: dict = {}  # row -> points
        self.replace_rows = False  # the sheet's rows are replaced by the edits (a sheet cyps-xl rewrites whole)
        self.freeze = False  # every formula left becomes its saved value (the issued copy)

    # -- reading -------------------------------------------------------------
    @property
    def formulas(self) -> dict:
        """(row, column) -> :class:`Formula` of every addressed formula cell, in order (rows read if need be)."""
        self.shell
        return self._formulas

    @property
    def has_formulas(self) -> bool:
        self.shell
        return self._has_formulas

    @property
    def shell(self):
        """The part's root element with sheetData emptied of rows (built by one pass over the rows)."""
        if self._shell is None:
            for _ in self.source_rows():
                pass
        return self._shell

    def source_rows(self):
        """(row number, row element) of each row as saved, in order; an element is valid until the next is
        asked for. A full pass also keeps the shell and the facts (heights, extent, formulas)."""
        first = self._shell is None
        if first:
            refuse_doctype(self.data, self.part, self.source)
        context = etree.iterparse(io.BytesIO(self.data), events=("end",), tag=f"{M}row", resolve_entities=False,
                                  no_network=True, load_dtd=False, remove_blank_text=False)
        last = 0
        try:
            for _, row in context:
                r = row.get("r")
                if r is not None and not (r.isdigit() and 1 <= int(r) <= MAX_ROW):
                    raise CypsError(f"a row is numbered '{r}', which is no row number; the file is damaged.",
                                    file=self.source, place=f"sheet '{self.sheet}'",
                                    hint="Open it in Excel and save it again, or restore the last good copy.")
                number = last = int(r) if r is not None else last + 1  # r is optional
                if first:
                    self._facts(number, row)
                yield number, row
                parent = row.getparent()
                while row.getprevious() is not None:  # rows already done: free them
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise CypsError(f"the part {self.part} is not well-formed XML ({exc}).", file=self.source,
                            hint="The file is damaged; save it again from Excel.") from None
        if first:
            root = context.root
            data = root.find(f"{M}sheetData")
            for row in list(data if data is not None else ()):
                data.remove(row)
            self._shell = root

    def _facts(self, number: int, row) -> None:
        self.row_numbers.add(number)
        if row.get("ht"):
            try:
                self.heights[number] = float(row.get("ht"))
            except ValueError:
                pass
        if len(row):
            ref = row[-1].get("r")
            if ref and ref.rstrip("0123456789").isalpha():
                self.last_column = max(self.last_column, column_index(ref.rstrip("0123456789")))
        for formula in row.iter(f"{M}f"):
            self._has_formulas = True
            cell = formula.getparent()
            place = address(cell.get("r"))
            if place is None:
                continue  # a formula in a cell without an address (or a damaged one, which the reader names)
            r, c = place
            self._formulas[(r, c)] = Formula(r, c, formula.text, formula.get("t"), formula.get("si"), formula.get("ref"),
                                            cell.find(f"{M}v") is not None or cell.get("t") == "inlineStr")

    def extent(self) -> tuple[int, dict]:
        """(rightmost column, {row: height}) as the sheet will be written: saved facts and edits together."""
        self.shell  # the facts come from a full pass over the rows
        last = max([self.last_column] + [max(cols) for edits in (self.values, self.styles)
                                         for cols in edits.values() if cols])
        heights = {} if self.replace_rows else dict(self.heights)
        heights.update(self.row_heights)
        rows = set(self.values) | set(self.styles) | set(self.row_heights) | (set() if self.replace_rows else self.row_numbers)
        return last, {r: heights.get(r) for r in sorted(rows)}

    def edits_in_row(self, number: int, chains) -> dict:
        """column -> (encoded value or KEEP, (CellStyle, ...)) of what is recorded on a row (``chains``: the
        package's :class:`~cyps_xl.workbook.styles.StyleChains`)."""
        from cyps_xl.workbook.sheet import KEEP

        values, styles = self.values.get(number) or {}, self.styles.get(number) or {}
        return {column: (values.get(column, KEEP), chains.chain(styles.get(column, 0)))
                for column in values.keys() | styles.keys()}

    # -- writing -------------------------------------------------------------
    def edited(self) -> bool:
        return bool(self.values or self.styles or self.row_heights or self.replace_rows or self.freeze)

    def serialize(self, writer) -> bytes:
        """The part as it is to be saved: the shell with every row written in order, ``writer``
        (a :class:`~cyps_xl.workbook.sheet.RowWriter`) applying the edits to the rows they touch."""
        shell = self.shell
        data = shell.find(f"{M}sheetData")
        if data is None:
            return etree.tostring(shell, xml_declaration=True, encoding="UTF-8", standalone=True)
        strip = _Declarations(shell)
        chunks = []
        pending = sorted(self.values.keys() | self.styles.keys() | self.row_heights.keys())
        if not self.replace_rows:
            pending = [r for r in pending if r not in self.row_numbers]  # rows the sheet does not have yet
        at = 0

        def new_rows_before(limit):
            nonlocal at
            while at < len(pending) and pending[at] < limit:
                row = etree.SubElement(data, f"{M}row", r=str(pending[at]))  # in the document: its namespaces
                writer.write(pending[at], row)
                chunks.append(strip(etree.tostring(row)))
                data.remove(row)
                at += 1

        if not self.replace_rows:
            for number, row in self.source_rows():
                new_rows_before(number)
                writer.write(number, row)
                chunks.append(strip(etree.tostring(row)))
        new_rows_before(MAX_ROW + 1)
        writer.finish()
        if not chunks:
            return etree.tostring(shell, xml_declaration=True, encoding="UTF-8", standalone=True)
        text = data.text
        data.text = (text or "") + _ROWS_MARK
        head, tail = etree.tostring(shell, xml_declaration=True, encoding="UTF-8", standalone=True).split(
            _ROWS_MARK.encode("utf-8"))
        data.text = text
        return b"".join([head, *chunks, tail])

    def widen_dimension(self, low: tuple, high: tuple) -> None:
        """<dimension> covers cells written outside it ((row, column) corners of the cells added)."""
        dimension = self.shell.find(f"{M}dimension")
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


class _Declarations:
    """Takes the namespace declarations lxml repeats on a row serialised on its own back out (the
    worksheet's root declares them), so each row reads as it would inside the whole document."""

    def __init__(self, root):
        self.declarations = [(f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"').encode()
                             for prefix, uri in root.nsmap.items()]

    def __call__(self, chunk: bytes) -> bytes:
        end = chunk.index(b">")  # lxml escapes '>' in attribute values: the first one ends the start tag
        head = chunk[:end]
        for declaration in self.declarations:
            head = head.replace(declaration, b"", 1)
        return head + chunk[end:]
