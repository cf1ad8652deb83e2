"""A worksheet's rows as the bytes they were saved as: the fast way through a sheet written the usual way.

Parsing a row into XML elements costs far more than the row's bytes (and the parser keeps every short
text it met for as long as it lives), while most rows are copied unchanged and most edited cells are a
value and a style. So a sheet whose ``sheetData`` is plain (rows and cells only, whitespace between them,
no comments or processing instructions; any namespace prefix) is scanned as bytes (:class:`Rows`): a row
nobody edits is copied byte for byte, a plain cell is read (:mod:`~cyps_xl.workbook.cells`) and rewritten
(:mod:`~cyps_xl.workbook.rowwriter`) as bytes, and a cell or row that holds anything else (a formula, an
inline string, rich content) goes to the element code, which stays the one place those rules live. A
sheet that is not plain goes through the elements whole (``Worksheet.layout`` is None for it).

Also here: the namespace declarations lxml repeats on a row serialised on its own (:class:`Declarations`). The
extension list at a sheet's end and its sparklines are read as bytes too (:mod:`~cyps_xl.workbook.extensionbytes`).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from cyps_xl.cellref import MAX_ROW
from cyps_xl.errors import CypsError

_SHEET_DATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b[^>]*?(/?)>")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# the attributes Excel and most writers give a cell, in their order: r, then s, then t
_PLAIN_CELL = re.compile(rb'\s*r="([A-Z]{1,3})(\d+)"(?:\s+s="(\d+)")?(?:\s+t="(\w+)")?\s*\Z')
# a cell without an address, as minimal writers leave it: s, then t
UNADDRESSED = re.compile(rb'(?:\s+s="(\d+)")?(?:\s+t="(\w+)")?\s*\Z')
_LETTERS: dict = {}  # column letters -> index


class Unusual(Exception):
    """The rows are not plain: the element code reads and writes this sheet."""


def _letters_of(column: int) -> bytes:
    found = _COLUMN_LETTERS.get(column)
    if found is None:
        from cyps_xl.cellref import column_letter

        found = _COLUMN_LETTERS[column] = column_letter(column).encode()
    return found


_COLUMN_LETTERS: dict = {}  # column index -> letters


def column_of(letters: bytes) -> int:
    found = _LETTERS.get(letters)
    if found is None:
        found = 0
        for ch in letters:
            found = found * 26 + ch - 64
        _LETTERS[letters] = found
    return found


class Rows:
    """The byte layout of one worksheet part: where ``sheetData``'s rows are, and the patterns for them."""

    def __init__(self, data: bytes):
        found = _SHEET_DATA.search(data)
        if found is None:
            raise Unusual("no sheetData")
        prefix = found.group(1) or b""
        self.prefix = prefix + b":" if prefix else b""
        p = re.escape(self.prefix)
        self.data = data
        self.sheet_data_tag = found.group(0)
        if found.group(2):  # <sheetData/>: no rows
            self.start = self.end = found.end()
            self.head_end = self.tail_start = found.start()
        else:
            close = data.find(b"</" + self.prefix + b"sheetData>", found.end())
            if close < 0:
                raise Unusual("sheetData is not closed")
            self.start, self.end = found.end(), close
            self.head_end, self.tail_start = self.start, close
        # a "!" or "?" is rare among cells and found at memchr's speed; only then is "<!" or "<?" looked for
        for mark in (b"!", b"?"):
            if data.find(mark, self.start, self.end) >= 0 and data.find(b"<" + mark, self.start, self.end) >= 0:
                raise Unusual("comments or processing instructions among the rows")
        # a tag's attributes, then "/" for an empty one: [^>/]* runs through them in one go, where a lazy [^>]*?
        # tried for the end at every character (a LibreOffice row's 120 characters of attributes took 2.6 us)
        attributes = rb"([^>/]*(?:/(?!>)[^>/]*)*)(/?)>"
        self._row = re.compile(rb"<" + p + rb"row\b" + attributes)
        self._row_end = b"</" + self.prefix + b"row>"
        self._cell = re.compile(rb"<" + p + rb"c\b" + attributes)
        form = _cell_form(p, range(1, 9))
        cell = re.compile(form, re.S)
        self._cells, self._cell_at = cell.finditer, cell.match
        # the same groups as tuples, the whole cell first, with no match object a cell (the reader's pass over
        # every cell); a group that did not take part is b"" here, not None
        self.cell_tuples = re.compile(rb"(" + form + rb")", re.S).findall
        # the same cells, with only what places them: the whole, the letters of a plain address, the attributes
        # of any other (the writer's scan of a row whose cells it cannot find by their addresses)
        self._cell_places = re.compile(rb"(" + _cell_form(p, (1, 5)) + rb")", re.S).findall
        self.empty_value_end = b"</" + self.prefix + b"v></" + self.prefix + b"c>"  # <c ..><v></v></c>
        self._address = b"<" + self.prefix + b'c r="'
        self._column_addresses: dict = {}  # column -> <c r="F, as the row's cells' addresses start
        self._addresses = re.compile(rb"<" + p + rb'c r="([A-Z]{1,3})\d').findall  # a row's cells' columns
        self._cell_start = re.compile(rb"<" + p + rb"c[\s/>]")
        self.formula_mark = b"<" + self.prefix + b"f"
        self.in_order = True  # see cells()
        # rows whose cells cannot all be found by their addresses (one not in the plain r, s, t form, an
        # address naming another row, cells out of order), as the reader's full pass over the cells found
        # them (cyps_xl.workbook.cells); None until that pass: then every row's cells are scanned in turn
        self.odd_rows: set | None = None

    @property
    def head(self) -> bytes:
        """Everything before the rows (a copy: asked for once, to parse the shell)."""
        return self.data[:self.head_end]

    @property
    def tail(self) -> bytes:
        """Everything after the rows."""
        return self.data[self.tail_start:]

    def rows(self):
        """(row number, start, end, attributes, body) of each row, in order; ``body`` is the bytes between its
        tags (b"" for an empty row)."""
        data, end_tag, find = self.data, self._row_end, self.data.find
        position, last = self.start, 0
        match = self._row.search
        while True:
            found = match(data, position, self.end)
            if found is None:
                if data[position:self.end].strip():
                    raise Unusual("text among the rows")
                return
            if data[position:found.start()].strip():
                raise Unusual("text among the rows")
            if found.group(2):
                body, close = b"", found.end()
            else:
                stop = find(end_tag, found.end(), self.end)
                if stop < 0:
                    raise Unusual("a row is not closed")
                body, close = data[found.end():stop], stop + len(end_tag)
            attributes = found.group(1)
            number = _row_number(attributes, last)
            last = number
            yield number, found.start(), close, attributes, body
            position = close

    def cells(self, body: bytes):
        """(column, match) of each cell in a row's body, in order; a cell without an address follows the one
        before it. The match's eight groups: the plain attributes' parts (letters, digits, s, t) when the cell
        has only those, else its attributes as saved; "/" for an empty cell; the text of its ``<v>`` when that
        is all it holds, else what it holds. ``in_order`` says, once the row is done, whether each cell was
        right of the one before."""
        position, column, known = 0, 0, _LETTERS
        self.in_order = True  # each cell right of the one before (as Excel writes them), when the row is done
        for found in self._cells(body):
            start, end = found.span()
            if start != position:
                raise Unusual("something other than cells in a row")
            position = end
            letters = found.group(1)
            if letters is not None:
                was, column = column, known.get(letters) or column_of(letters)
                if column <= was:
                    self.in_order = False
            else:
                was, column = column, cell_column(found.group(5), column)
                if column <= was:
                    self.in_order = False
            yield column, found
        if body[position:].strip():
            raise Unusual("something other than cells in a row")

    def scanned(self, body: bytes) -> list:
        """(column, where its match starts) of each cell in a row's body: what :meth:`cells` finds, from one
        findall and no match object a cell (the writer matches only the cells its edits touch, at those places).
        Sets ``in_order`` as :meth:`cells` does; raises :class:`Unusual` as it does."""
        found = self._cell_places(body)
        out, position, column, in_order, known = [], 0, 0, True, _LETTERS
        for whole, letters, attributes in found:
            if letters:
                was, column = column, known.get(letters) or column_of(letters)
                if column <= was:
                    in_order = False
            elif attributes.find(b"r=") < 0:  # no address: right of the one before (the usual unaddressed cell)
                column += 1
            else:
                was, column = column, cell_column(attributes, column)
                if column <= was:
                    in_order = False
            out.append((column, position))
            position += len(whole)
        if position != len(body) and position != len(body.rstrip()):  # the matches leave a gap: not only cells
            raise Unusual("something other than cells in a row")
        self.in_order = in_order
        return out

    def cell_at(self, body: bytes, start: int):
        """The match of the cell :meth:`scanned` found at ``start``."""
        return self._cell_at(body, start)

    def addressed_cells(self, body: bytes, number: int, wanted: list) -> list | None:
        """(column, match) as :meth:`cells` gives them, of only the cells the edits of ``wanted`` columns need:
        each one's own cell, and for one the row lacks, the first cell right of it (where the new one goes).
        Found by their addresses rather than by scanning every cell: for a row the reader found plain, whose
        every cell opens with its own address. None when one is not where its address says."""
        found: dict = {}
        digits = b'%d"' % number
        own = digits[:-1]
        at, addresses, known = self._cell_at, self._column_addresses, _LETTERS

        def located(column: int, start: int):
            """The match of the row's cell in ``column``, looked for from ``start``: None when the row lacks it,
            False when the cell at its address is not in the plain form."""
            position = body.find((addresses.get(column) or self._column_address(column)) + digits, start)
            if position < 0:
                return None
            match = at(body, position)
            return match if match is not None and match.group(1) is not None else False

        present = None  # the row's columns, in order (its cells are in order: see Rows.odd_rows)
        last = None  # (column, match) of the rightmost cell found yet: the row's next cell starts where it ends
        for column in wanted:
            if column in found:
                continue
            if last is not None:
                # wanted columns are in order, and most often side by side (DOT, RAG): the cell after the one
                # found last is this one, or the first right of it when the row lacks it, with no search
                if last[0] > column:
                    continue  # the row lacks it: the new cell goes before the one found last
                following = at(body, last[1].end())
                if following is None:
                    continue  # no cell after the one found last: the new cell goes last
                letters = following.group(1)
                if letters is not None and following.group(2) == own:
                    right = known.get(letters) or column_of(letters)
                    if right >= column:
                        found[right] = following
                        last = (right, following)
                        continue
            start = last[1].end() if last is not None else 0
            match = located(column, start)
            if match is None:  # the row lacks it: the new cell goes before the first cell right of it, which
                for right in range(column + 1, column + 9):  # is most often a few columns on: looked for there
                    match = found.get(right) or located(right, start)
                    if match is not None:
                        column = right
                        break
                if match is False:
                    return None
                if match is not None:
                    found[column] = match
                    last = (column, match)
                    continue
                if present is None:  # further on, or none: the row's columns, read from their addresses
                    present = [known.get(found_letters) or column_of(found_letters)
                               for found_letters in self._addresses(body)]
                at_right = bisect_right(present, column)
                if at_right == len(present):
                    continue  # none right of it: the new cell goes last
                column = present[at_right]
                if column in found:
                    continue
                match = located(column, start)
                if match is None:
                    return None  # not where its address said: the caller scans every cell
            if match is False:
                return None
            found[column] = match
            last = (column, match)
        return sorted(found.items())

    def _column_address(self, column: int) -> bytes:
        """How the address of a cell in ``column`` starts (<c r="F), its row number to follow."""
        found = self._column_addresses[column] = self._address + _letters_of(column)
        return found

    def last_column(self, body: bytes) -> int:
        """The column of a row's last cell (0 for none): the last addressed cell's, and one on for each cell
        after it, which a writer that leaves out addresses places right of the one before."""
        at = body.rfind(self._address)
        found = self._cell.match(body, at) if at >= 0 else None
        plain = _PLAIN_CELL.match(found.group(1)) if found is not None else None
        start = found.end() if found is not None else 0
        # find, not "in": Python 3.11 raises and drops a TypeError for every bytes "in" bytes
        if (at >= 0 and plain is None) or body.find(b"r=", start) >= 0:
            # an address not in the usual form, or one elsewhere in a cell after it: every cell counted in turn
            last = 0
            for last, _ in self.cells(body):
                pass
            return last
        return (column_of(plain.group(1)) if plain is not None else 0) + len(self._cell_start.findall(body, start))


def _cell_form(p: bytes, kept) -> bytes:
    """The pattern of one cell (``p``: the namespace prefix, escaped). Its groups: 1-4 the plain address's
    letters and digits, s and t (a cell with only those); 5 any other cell's attributes; 6 "/" for an empty
    cell; 7 the text of a lone <v>; 8 what else it holds. Only the groups ``kept`` capture: the others match
    the same text and make nothing.

    5 and 8 run through their text in one go ([^>/]* with a rare "/", [^<]* with a rare "<" that opens no </c>):
    the lazy [^>]*? and .*? they replace tried for the end at every character, the most of a row of inline
    strings' scan. The same cells and spans; 5 may keep the whitespace before the tag's end (no attribute's)."""
    def group(number: int, inside: bytes) -> bytes:
        return (b"(" if number in kept else b"(?:") + inside + b")"
    return (rb"\s*<" + p + rb"c\b"
            rb'(?: r="' + group(1, rb"[A-Z]{1,3}") + group(2, rb"\d+") + rb'"(?: s="' + group(3, rb"\d+") + rb'")?'
            rb'(?: t="' + group(4, rb"\w+") + rb'")?(?=\s*/?>)|' + group(5, rb"[^>/]*(?:/(?!>)[^>/]*)*") + rb")"
            rb"\s*(?:" + group(6, rb"/") + rb">|>(?:<" + p + rb"v>" + group(7, rb"[^<]*") + rb"</" + p + rb"v>|" +
            group(8, rb"[^<]*(?:<(?!/" + p + rb"c>)[^<]*)*") + rb")</" + p + rb"c>)")


def cell_column(attributes: bytes, before: int) -> int:
    """The column of a cell whose attributes are not in the plain r, s, t form (``before``: the column of the cell
    before it): its address's, or the next one when it has none, as a writer that leaves addresses out places it.
    An address that is no address raises :class:`Unusual`."""
    ref = attribute(attributes, b"r") if attributes.find(b"r=") >= 0 else None
    if ref is None:
        return before + 1
    letters = ref.rstrip(b"0123456789")
    if not letters or not letters.isalpha() or not letters.isupper() or len(letters) > 3:
        raise Unusual("a cell address that is no address")
    return column_of(letters)


def attribute(attributes: bytes, name: bytes) -> bytes | None:
    for found in _ATTRIBUTE.finditer(attributes):
        if found.group(1) == name:
            return found.group(2) if found.group(2) is not None else found.group(3)
    return None


def attribute_list(attributes: bytes) -> list:
    """[(name, raw value)] in order (raw: as saved, entities and all)."""
    return [(found.group(1), found.group(2) if found.group(2) is not None else found.group(3))
            for found in _ATTRIBUTE.finditer(attributes)]


def start_tag(name: bytes, attributes: list, empty: bool) -> bytes:
    parts = [b"<", name]
    for key, raw in attributes:
        parts += [b" ", key, b"='", raw, b"'"] if b'"' in raw else [b" ", key, b'="', raw, b'"']
    parts.append(b"/>" if empty else b">")
    return b"".join(parts)


def _row_number(attributes: bytes, last: int) -> int:
    if attributes.startswith(b' r="'):  # the usual first attribute
        stop = attributes.find(b'"', 4)
        raw = attributes[4:stop]
    else:
        raw = attribute(attributes, b"r")
        if raw is None:
            return last + 1  # r is optional: the row after the last
    if not (raw.isdigit() and 1 <= int(raw) <= MAX_ROW):
        raise BadRow(raw.decode("utf-8", "replace"))
    return int(raw)


class BadRow(Exception):
    """A row numbered with something that is no row number."""


def bad_row_error(exc: BadRow, source, sheet: str) -> CypsError:
    return CypsError(f"a row is numbered '{exc.args[0]}', which is no row number; the file is damaged.",
                     file=source, place=f"sheet '{sheet}'",
                     hint="Open it in Excel and save it again, or restore the last good copy.")


class Declarations:
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


def with_height(attributes: list, height: float | None) -> list:
    """A row's attributes with its height set (custom, as Excel marks a height it did not work out itself)."""
    if height is None:
        return attributes
    return put_attribute(put_attribute(attributes, b"ht", f"{height:g}".encode()), b"customHeight", b"1")


def row_head(name: bytes, attributes: bytes, height: float | None, empty: bool) -> bytes:
    """A row's start tag with its height set (as start_tag writes it), or as saved when it has none. Its
    address (r="N", first, as writers put it) is kept as saved and the rest, alike on every row of a sheet,
    is worked out once."""
    if height is None:
        return b"<" + name + attributes + (b"/>" if empty else b">")
    stop = attributes.find(b'"', 4) + 1 if attributes.startswith(b' r="') else 0
    return b"<" + name + attributes[:stop] + _heightened(attributes[stop:], height, empty)


@lru_cache(maxsize=64)
def _heightened(attributes: bytes, height: float, empty: bool) -> bytes:
    return start_tag(b"", with_height(attribute_list(attributes), height), empty)[1:]  # after start_tag's "<"


def put_attribute(attributes: list, name: bytes, value: bytes) -> list:
    """Set an attribute in place, or add it last (as lxml does)."""
    for i, (key, _) in enumerate(attributes):
        if key == name:
            return attributes[:i] + [(name, value)] + attributes[i + 1:]
    return attributes + [(name, value)]
