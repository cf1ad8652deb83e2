"""One worksheet part, never held whole: its shell in memory, its rows streamed.

A worksheet's rows are most of a workbook's bytes, and a parsed tree of them costs about 17 bytes of memory per byte
of XML. So a worksheet part is held as its bytes and its *shell*: every element but the rows of ``sheetData``
(views, columns, merges, conditional formats, print settings...), small and parsed; its extension list (a sparkline
a row, on a big scorecard) stays as saved until something must change in it. The rows are streamed from the bytes, a
row at a time: once to read the values (:func:`cyps_xl.workbook.cells.read_grids`, which also gathers the facts
below), and once more at save, when the edits the :class:`~cyps_xl.workbook.sheet.SheetEditor` recorded are applied
to the rows they touch and every row is written out in order (:class:`~cyps_xl.workbook.rowwriter.RowWriter`). Plain
rows go through as the bytes they were saved as (:mod:`~cyps_xl.workbook.rowbytes`), others as elements. Between the
two passes the bytes themselves are let go (:meth:`Worksheet.let_go`). A sheet nobody edited is copied byte for
byte. Cells that hold more than a value (inline strings, formulas) are read and frozen as bytes too
(:mod:`~cyps_xl.workbook.cellbytes`).
"""
from __future__ import annotations

import io

from lxml import etree

from cyps_xl.cellref import MAX_ROW, column_index
from cyps_xl.errors import CypsError
from cyps_xl.workbook.parts import M, parse_xml, refuse_doctype
from cyps_xl.workbook.extensionbytes import without_extensions
from cyps_xl.workbook.rowbytes import Declarations

# where the streamed rows go in the serialised shell (private-use characters: no workbook's text holds them)
_ROWS_MARK = "\ue000cyps-xl rows\ue000"
SPARKLINES_MARK = "\ue000cyps-xl sparklines\ue000"  # where the sparkline groups made as bytes go


_UNREAD = object()


class Worksheet:
    """A worksheet part as shell + streamed rows, with the edits to apply when it is written."""

    def __init__(self, part: str, data: bytes, source, sheet: str | None = None, reload=None):
        self.part, self._data, self.source = part, data, source
        self._reload = reload  # gives the part's bytes again after let_go()
        self.sheet = sheet or part
        self._shell = None
        self._layout = None  # rowbytes.Rows when the rows are plain (read and written as bytes), else False
        self._extensions = None  # (start, end) of the shell's extLst in the bytes, until something parses it
        self._sparklines = _UNREAD  # its sparklines as saved_sparklines() read them
        # facts gathered on the first full pass over the rows (the reader's)
        self._facts_done = False
        self._reset_facts()
        # edits, applied when written (see cyps_xl.workbook.rowwriter.RowWriter); two plain dicts of small
        # values, as a big scorecard has hundreds of thousands of them
        self.values: dict = {}  # row -> {column: value as recorded (see cyps_xl.workbook.sheet.encoded)}
        self.styles: dict = {}  # row -> {column: style chain (an int: see cyps_xl.workbook.styles.StyleChains)}
        self.row_heights: dict = {}  # row -> points
        self.replace_rows = False  # the sheet's rows are replaced by the edits (a sheet cyps-xl rewrites whole)
        self.rows_whole = None  # (rows as bytes, columns, {row: height}) of a sheet written whole (put_rows)
        self.freeze = False  # every formula left becomes its saved value (the issued copy)
        self.pending_sparklines: list = []  # sparkline groups made as bytes (see SheetEditor._group_bytes)

    @property
    def data(self) -> bytes:
        """The part's bytes as saved."""
        if self._data is None:
            self._data = self._reload()
        return self._data

    def let_go(self) -> None:
        """Forget the bytes until next needed (the shell, the facts and the edits stay)."""
        if self._reload is not None and self._shell is not None and self._facts_done:
            self.saved_sparklines()  # kept, small: the run checks its sparklines before the sheet is written
            self._data = None
            if self._layout:
                self._layout.data = None

    # -- reading -------------------------------------------------------------
    def _reset_facts(self) -> None:
        self._row_numbers: set = set()
        self._heights: dict = {}  # row -> saved height in points (rows with ht)
        self._last_column = 0  # the rightmost column any row's last cell reaches
        self._formulas: dict = {}  # (row, column) -> Formula
        self._has_formulas = False  # any <f>, addressed or not

    def _facts(self):
        """The facts, from a pass over the rows if none has been made yet."""
        self.shell
        if not self._facts_done:
            from cyps_xl.workbook.rowbytes import Unusual

            try:
                for _ in self.plain_rows():
                    pass
            except Unusual:
                pass  # read as elements now, facts and all
        return self

    @property
    def formulas(self) -> dict:
        """(row, column) -> :class:`Formula` of every addressed formula cell, in order (rows read if need be)."""
        return self._facts()._formulas

    @property
    def has_formulas(self) -> bool:
        return self._facts()._has_formulas

    @property
    def row_numbers(self) -> set:
        return self._facts()._row_numbers

    @property
    def heights(self) -> dict:
        """row -> saved height in points (rows with ht)."""
        return self._facts()._heights

    @property
    def last_column(self) -> int:
        """The rightmost column any row's last cell reaches."""
        return self._facts()._last_column

    @property
    def shell(self):
        """The part's root element with sheetData emptied of rows."""
        if self._shell is None:
            self._open()
        return self._shell

    @property
    def layout(self):
        """The rows' byte layout (:class:`~cyps_xl.workbook.rowbytes.Rows`) when they are plain, else None."""
        if self._layout is None:
            from cyps_xl.workbook.rowbytes import Rows, Unusual

            refuse_doctype(self.data, self.part, self.source)
            try:
                self._layout = Rows(self.data)
            except Unusual:
                self._layout = False
        elif self._layout and self._layout.data is None:  # the bytes were let go: they are back
            self._layout.data = self.data
        return self._layout or None

    def _open(self) -> None:
        """The shell: from the bytes around the rows when they can be told apart, else from a pass over the
        elements (which also gathers the facts)."""
        layout = self.layout
        if layout is not None:
            tail, extensions = without_extensions(layout.tail, layout.prefix)
            if extensions is not None:  # where it is in the part's bytes (nothing copied), and its prefix
                self._extensions = (layout.tail_start + extensions[0], layout.tail_start + extensions[1],
                                    layout.prefix)
            try:
                self._shell = parse_xml(layout.head + tail, self.part, self.source)
                return
            except CypsError:  # damaged: the element pass names the damage
                self._layout, self._extensions = False, None
        self._as_elements()

    def with_extensions(self):
        """The shell with its extension list (sparklines, x14 conditional formats...) parsed into it: kept as
        saved until something needs it, as on a big scorecard it is most of the shell (a sparkline a row)."""
        shell = self.shell
        if self._extensions is not None:
            prefix = self._extensions[2]
            start = self.data.index(b"<" + prefix + b"worksheet")
            root = self.data[:self.data.index(b">", start) + 1]  # the root's tag: its namespaces
            wrapped = parse_xml(root + self._extension_bytes() + b"</" + prefix + b"worksheet>", self.part,
                                self.source)
            shell.append(wrapped[0])  # the last child, as the schema has it
            self._extensions = None
        return shell

    def saved_sparklines(self) -> dict | None:
        """target cell -> source range of the sparklines as saved, read from the unparsed extension list;
        None once it is parsed (ask the elements) or when it is not in the usual form."""
        if self._extensions is None:
            return None
        if self._sparklines is _UNREAD:
            from cyps_xl.workbook.extensionbytes import sparklines

            self._sparklines = sparklines(self._extension_bytes())
        return self._sparklines

    def _extension_bytes(self) -> bytes:
        start, end, _ = self._extensions
        return self.data[start:end]

    def _as_elements(self) -> None:
        """The rows are not plain after all: from now on they are read and written as elements (the shell,
        and whatever was set on it, stays)."""
        self._layout, self._facts_done = False, False
        self._reset_facts()
        for _ in self.source_rows():
            pass

    def plain_rows(self):
        """(row number, start, end, attributes, body) of each row of a plain sheet, in order (see
        :meth:`~cyps_xl.workbook.rowbytes.Rows.rows`); the first full pass gathers the facts. A row that is not
        plain raises :class:`~cyps_xl.workbook.rowbytes.Unusual`, and the sheet is read as elements from then on."""
        from cyps_xl.workbook.cellbytes import formula_facts
        from cyps_xl.workbook.rowbytes import BadRow, Unusual, attribute, bad_row_error

        layout = self.layout
        gather = not self._facts_done
        if gather:
            self._reset_facts()
        try:
            for item in layout.rows():
                if gather:
                    number, start, end, attributes, body = item
                    self._row_numbers.add(number)
                    # find, not "in": Python 3.11 raises and drops a TypeError for every bytes "in" bytes
                    height = attribute(attributes, b"ht") if attributes.find(b"ht") >= 0 else None
                    if height:
                        try:
                            self._heights[number] = float(height)
                        except ValueError:
                            pass
                    if body:
                        self._last_column = max(self._last_column, layout.last_column(body))
                        if body.find(layout.formula_mark) >= 0:  # its formulas, from the bytes as saved
                            self._has_formulas = True  # any <f>, addressed or not
                            if not formula_facts(layout, body, self._formulas):
                                self._formula_facts(self.row_element(layout.data[start:end]))
                yield item
        except BadRow as exc:
            raise bad_row_error(exc, self.source, self.sheet) from None
        except (Unusual, CypsError) as exc:
            if isinstance(exc, CypsError) and "not well-formed" not in str(exc):
                raise
            self._as_elements()  # names a damaged row as the element pass does
            raise Unusual(str(exc)) from None
        if gather:
            self._facts_done = True

    def row_element(self, row: bytes):
        """One row's bytes as an element (inside a sheetData, the worksheet's namespaces declared above it)."""
        from cyps_xl.workbook.parts import parse_xml

        layout = self._layout
        declarations = b"".join(Declarations(self.shell).declarations)
        wrapped = (b"<cyps-xl" + declarations + b">" + layout.sheet_data_tag.replace(b"/>", b">") + row
                   + b"</" + layout.prefix + b"sheetData></cyps-xl>")
        return parse_xml(wrapped, self.part, self.source)[0][0]

    def source_rows(self):
        """(row number, row element) of each row as saved, in order; an element is valid until the next is
        asked for. A full pass also keeps the shell and the facts (heights, extent, formulas)."""
        first = not self._facts_done  # this pass gathers the facts
        make_shell = self._shell is None
        if make_shell:
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
                    self._element_facts(number, row)
                yield number, row
                parent = row.getparent()
                while row.getprevious() is not None:  # rows already done: free them
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise CypsError(f"the part {self.part} is not well-formed XML ({exc}).", file=self.source,
                            hint="The file is damaged; save it again from Excel.") from None
        if make_shell:
            root = context.root
            data = root.find(f"{M}sheetData")
            for row in list(data if data is not None else ()):
                data.remove(row)
            self._shell = root
        if first:
            self._facts_done = True

    def _element_facts(self, number: int, row) -> None:
        self._row_numbers.add(number)
        if row.get("ht"):
            try:
                self._heights[number] = float(row.get("ht"))
            except ValueError:
                pass
        if len(row):
            ref = row[-1].get("r")
            if ref and ref.rstrip("0123456789").isalpha():
                self._last_column = max(self._last_column, column_index(ref.rstrip("0123456789")))
        self._formula_facts(row)

    def _formula_facts(self, row) -> None:
        from cyps_xl.workbook.formulas import formulas_of

        self._has_formulas = formulas_of(row, self._formulas) or self._has_formulas

    def write_rows_whole(self, rows: bytes, columns: int, heights: dict) -> None:
        """The sheet's rows are these bytes (``columns`` wide; ``heights``: each row written -> its height,
        None for the default), written as they are in place of every row it had and every edit (see
        Package.put_rows)."""
        self.replace_rows = True
        self.values.clear()
        self.styles.clear()
        self.row_heights.clear()
        self.rows_whole = (rows, columns, dict(heights))

    def extent(self) -> tuple[int, dict]:
        """(rightmost column, {row: height}) as the sheet will be written: saved facts and edits together."""
        if self.rows_whole is not None:
            return self.rows_whole[1], dict(self.rows_whole[2])
        self.shell  # the facts come from a full pass over the rows
        last = max([self.last_column] + [max(cols) for edits in (self.values, self.styles)
                                         for cols in edits.values() if cols])
        heights = {} if self.replace_rows else dict(self.heights)
        heights.update(self.row_heights)
        rows = set(self.values) | set(self.styles) | set(self.row_heights) | (set() if self.replace_rows else self.row_numbers)
        return last, {r: heights.get(r) for r in sorted(rows)}

    # -- writing -------------------------------------------------------------
    def edited(self) -> bool:
        return bool(self.values or self.styles or self.row_heights or self.replace_rows or self.freeze)

    def chunks(self, writer):
        """The part as it is to be saved, in pieces made as they are asked for (so a big sheet's output is
        never held whole): the shell with every row written in order, ``writer`` (a
        :class:`~cyps_xl.workbook.rowwriter.RowWriter`) applying the edits to the rows they touch."""
        self._facts()  # first: a sheet found not plain after all is written as elements
        shell = self.shell
        data = shell.find(f"{M}sheetData")
        if data is None:
            yield self._shell_bytes(shell)
            return
        from cyps_xl.workbook.rowwriter import UNCHANGED, widen_dimension

        strip = Declarations(shell)
        pending = sorted(self.values.keys() | self.styles.keys() | self.row_heights.keys())
        if not self.replace_rows:
            pending = [r for r in pending if r not in self.row_numbers]  # rows the sheet does not have yet
        layout = self.layout
        if self.rows_whole is not None:
            rows = bool(self.rows_whole[0])
        elif self.replace_rows:
            rows = bool(pending)
        elif layout is not None:
            rows = bool(pending or self.row_numbers or layout.end > layout.start)
        else:
            rows = bool(pending or self.row_numbers)
        if not rows:
            yield self._shell_bytes(shell)
            writer.finish()
            return
        # the shell goes first, so <dimension> covers now every cell the edits may add
        edited = [(r, columns) for edits in (self.values, self.styles) for r, columns in edits.items() if columns]
        if edited:
            rows, columns = [r for r, _ in edited], [c for _, c in edited]  # min and max over each row's columns
            widen_dimension(shell, (min(rows), min(map(min, columns))), (max(rows), max(map(max, columns))))
        text = data.text
        data.text = (text or "") + _ROWS_MARK
        head, tail = self._shell_bytes(shell).split(_ROWS_MARK.encode("utf-8"))
        data.text = text
        yield head

        at = 0

        def new_rows_before(limit):
            nonlocal at
            while at < len(pending) and pending[at] < limit:
                number = pending[at]
                written = writer.write_bytes(number, b' r="%d"' % number, b"", layout) if layout is not None else None
                if written is None or written is UNCHANGED:
                    row = etree.SubElement(data, f"{M}row", r=str(number))  # in the document: its namespaces
                    writer.write(number, row)
                    written = strip(etree.tostring(row))
                    data.remove(row)
                yield written
                at += 1

        if self.rows_whole is not None:
            yield self.rows_whole[0]
        elif self.replace_rows:
            pass
        elif layout is not None:  # plain rows: copied as saved, or edited as bytes where the writer can
            source, position = layout.data, layout.start
            for number, start, end, attributes, body in layout.rows():
                yield from new_rows_before(number)
                if position < start:
                    yield source[position:start]  # the whitespace between rows, as saved
                written = writer.write_bytes(number, attributes, body, layout)
                if written is UNCHANGED:
                    yield source[start:end]
                elif written is None:  # a row with more than plain cells: the element code writes it
                    writer.package.slow["rows"] += 1
                    row = self.row_element(source[start:end])
                    writer.write(number, row)
                    yield strip(etree.tostring(row))
                else:
                    yield written
                position = end
            if position < layout.end:
                yield source[position:layout.end]
        else:
            for number, row in self.source_rows():
                yield from new_rows_before(number)
                writer.write(number, row)
                yield strip(etree.tostring(row))
        yield from new_rows_before(MAX_ROW + 1)
        writer.finish()
        yield tail

    def _shell_bytes(self, shell) -> bytes:
        """The shell serialised, with the extension list as saved when nothing parsed it."""
        written = etree.tostring(shell, xml_declaration=True, encoding="UTF-8", standalone=True)
        if self.pending_sparklines:
            written = written.replace(SPARKLINES_MARK.encode("utf-8"), b"".join(self.pending_sparklines), 1)
        if self._extensions is None:
            return written
        end = written.rindex(b"</")  # the root's closing tag (the shell always has children: sheetData)
        return written[:end] + self._extension_bytes() + written[end:]
