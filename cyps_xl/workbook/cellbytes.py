"""What a cell holds beyond a lone value, read and written as bytes: inline strings (plain and as rich-text runs),
formulas (their facts, their saved results, and freezing them for an issue), so a file that holds them is never
parsed row by row (#27). The forms writers use are matched exactly; any other form (phonetic runs, an extension in a
cell, an empty ``<v/>`` to freeze) returns the answer that sends that one cell or row to the element code, which stays
the one place every rule lives. Also here: a plain sheet's cells read from its bytes (:func:`plain_cells`)."""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8)
def _formula_form(prefix: bytes):
    """A formula cell's content in the usual form: ``<f ...>text</f>`` (or ``<f .../>``), then an optional result;
    groups: f's attributes, its text, the result's text, an empty ``<v/>``."""
    p = re.escape(prefix)
    return re.compile(rb"<" + p + rb"f\b([^>]*?)(?:/>|>([^<]*)</" + p + rb"f>)(?:<" + p + rb"v>([^<]*)</" + p +
                      rb"v>|(<" + p + rb"v/>))?\Z", re.S)


@lru_cache(maxsize=8)
def _inline_form(prefix: bytes):
    """An inline string's content: ``<is>...</is>`` and nothing after it; group 1, what the <is> holds."""
    p = re.escape(prefix)
    return re.compile(rb"<" + p + rb"is>(.*)</" + p + rb"is>\Z", re.S)


def is_inline_string(prefix: bytes, inner: bytes) -> bool:
    """The cell holds an inline string and nothing else (no formula)."""
    return _inline_form(prefix).match(inner) is not None and b"<" + prefix + b"f" not in inner


class Inner:
    """Reads what a cell holds beyond a lone ``<v>``, as bytes, in the two forms writers use most: an inline string
    (``<is><t>..</t></is>``, or rich-text runs ``<is><r><rPr>..</rPr><t>..</t></r>..</is>``) and a formula with its
    saved result (``<f ...>..</f><v>..</v>``, or a shared formula's ``<f .../>``). Anything else (phonetic runs, an
    extension, a value with attributes) is left to the element code: :meth:`read` returns :data:`PARSE`."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self._inline, self._formula = _inline_form(prefix), _formula_form(prefix)
        self._text = re.compile(rb"<" + p + rb"t(?:\s[^>]*)?(?:/>|>([^<]*)</" + p + rb"t>)")
        # runs: <r>, an optional <rPr>...</rPr> (no text inside), <t>; or one <t> alone
        self._runs = re.compile(rb"(?:<" + p + rb"t(?:\s[^>]*)?(?:/>|>[^<]*</" + p + rb"t>)|<" + p + rb"r>(?:<" + p +
                                rb"rPr>(?:(?!</?" + p + rb"t\b).)*?</" + p + rb"rPr>|<" + p + rb"rPr/>)?<" + p +
                                rb"t(?:\s[^>]*)?(?:/>|>[^<]*</" + p + rb"t>)</" + p + rb"r>)+\Z", re.S)

    def read(self, inner: bytes):
        """(kind, raw text): ("inline", the text) or ("formula", the saved result's raw text or None); PARSE."""
        inline = self._inline.match(inner)
        if inline is not None:
            body = inline.group(1)
            if not self._runs.match(body):
                return PARSE  # phonetic runs, or something else among them
            text = b"".join(found.group(1) or b"" for found in self._text.finditer(body))
            return "inline", text.decode("utf-8")
        formula = self._formula.match(inner)
        if formula is not None:
            raw = formula.group(3)
            return "formula", raw.decode("utf-8") if raw is not None else None
        return PARSE


PARSE = object()  # Inner.read: the cell is read as an element


_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[Ee][-+]?\d+)?\Z").match  # a number as Excel saves it (no inf, nan, spaces)


def plain_cells(package, worksheet, name: str, strings: list, formats: list, epoch1904: bool) -> tuple:
    """The same, from a plain sheet's bytes (see cyps_xl.workbook.rowbytes): a cell with more than a value
    (a formula, an inline string) is read as an element."""
    from cyps_xl.cellref import column_letter
    from cyps_xl.workbook.cells import _damaged, _format, _typed, _unescaped, _value, is_date_format
    from cyps_xl.workbook.rowbytes import _LETTERS, UNADDRESSED, Unusual, attribute, cell_column, column_of

    unaddressed = UNADDRESSED.match

    layout = worksheet.layout
    cells: dict = {}
    text_styles: dict = {}
    styles_used: set = set()
    looks: dict = {}  # style attribute as saved -> (number format, style as text, style number)
    empty: dict = {}  # style attribute -> (None, format, style): one tuple for all the empty cells of a look
    prefix = layout.prefix
    odd: set = set()  # rows whose cells the writer cannot find by their addresses (see Rows.odd_rows)
    read_inner, parsed = Inner(prefix).read, 0
    cell_tuples, empty_value_end, known, count = layout.cell_tuples, layout.empty_value_end, _LETTERS, len(strings)
    plain_attributes: dict = {}  # the attributes of a cell without an address, as saved -> (s, t)
    inner_read: dict = {}  # a short inline string or formula as saved -> what Inner.read made of it
    for number, _, _, _, body in worksheet.plain_rows():  # the first pass also gathers the sheet's facts
        if not body:
            continue
        row_cells: dict = {}
        own = b"%d" % number
        addressed = in_order = True
        column = 0
        found_cells = cell_tuples(body)  # as Rows.cells finds them, as tuples: a cell costs no match object
        covered = sum([len(found[0]) for found in found_cells])
        if covered != len(body) and covered != len(body.rstrip()):  # the matches leave a gap: not only cells
            raise Unusual("something other than cells in a row")
        for whole, letters, digits, style, kind, attributes, slash, raw, inner in found_cells:
            if letters:  # r, s and t as Excel writes them
                was, column = column, known.get(letters) or column_of(letters)
                if column <= was:
                    in_order = False
                if digits != own:
                    addressed = False
                style, kind = style or None, kind or None  # b"": the group took no part
            else:
                addressed = False
                if attributes.find(b"r=") < 0:  # no address: right of the one before
                    column += 1
                else:
                    was, column = column, cell_column(attributes, column)
                    if column <= was:
                        in_order = False
                # a minimal writer's cells repeat a few attribute lists (' s="4"', ' t="inlineStr"'): each read once
                found_attributes = plain_attributes.get(attributes)
                if found_attributes is None:
                    usual = unaddressed(attributes)
                    found_attributes = usual.groups() if usual is not None else \
                        (attribute(attributes, b"s"), attribute(attributes, b"t"))
                    # find, not "in": Python 3.11 raises and drops a TypeError for every bytes "in" bytes
                    if attributes.find(b"r=") < 0:  # one with its own address is met once
                        plain_attributes[attributes] = found_attributes
                style, kind = found_attributes
            if not raw:  # b"" from findall: no lone <v>, unless the cell is <c ..><v></v></c>
                raw = None if slash or inner or not whole.endswith(empty_value_end) else b""
            look = looks.get(style)
            if look is None:
                text = style.decode("utf-8", "replace") if style is not None else None
                code = _format(package, name, text, formats, f"{column_letter(column)}{number}")
                look = looks[style] = (code, text, int(text or 0), code == "General" or not is_date_format(code))
            code = look[0]
            try:
                if raw and look[3] and (kind is None or kind == b"n") and (raw.isdigit() or _NUMBER(raw)):
                    # the usual cell: a number in a format that is no date (the checks of _typed, done once a look;
                    # a whole number, a count, needs no pattern)
                    figure = int(raw) if raw.isdigit() or raw[1:].isdigit() else float(raw)  # (-)digits: whole
                    if -1e308 < figure < 1e308:
                        row_cells[column] = (figure, code, look[2])
                        styles_used.add(look[1])
                        continue
                if kind == b"s" and raw and raw.isdigit() and int(raw) < count:  # shared text, as _typed reads it
                    value = strings[int(raw)]
                else:
                    held = None
                    if inner:  # an inline string, a formula and its result: as bytes (a short one repeats: read once)
                        held = inner_read.get(inner) if len(inner) < 256 else None
                        if held is None:
                            held = read_inner(inner)
                            if len(inner) < 256 and len(inner_read) < 4096:
                                inner_read[inner] = held
                    if held is PARSE:  # anything else (phonetic runs, an extension): read as an element
                        parsed += 1
                        row = worksheet.row_element(b"<" + prefix + b"row>" + whole.strip() + b"</" + prefix + b"row>")
                        value = _value(row[0], strings, code, epoch1904)
                    elif held is not None:
                        text = held[1]
                        if held[0] == "inline":
                            value = _unescaped(text) if "&" in text else text
                        elif text is None or kind == b"inlineStr":
                            value = None
                        else:
                            value = _typed(kind.decode("ascii", "replace") if kind is not None else "n",
                                           _unescaped(text) if "&" in text else text, strings, code, epoch1904)
                    elif raw is None or kind == b"inlineStr":  # no value (an inline string's text is in <is>)
                        value = None
                    else:
                        text = raw.decode("utf-8")
                        value = _typed(kind.decode("ascii", "replace") if kind is not None else "n",
                                       _unescaped(text) if "&" in text else text, strings, code, epoch1904)
            except ValueError as exc:
                raise _damaged(package, name, exc, f"{column_letter(column)}{number}") from None
            if value is None:
                row_cells[column] = empty.get(style) or empty.setdefault(style, (None, code, look[2]))
            else:
                row_cells[column] = (value, code, look[2])
                styles_used.add(look[1])
                if value.__class__ is str:
                    text_styles.setdefault(number, {})[column] = look[2]
        if row_cells:
            cells[number] = row_cells
        if not (addressed and in_order):
            odd.add(number)
    layout.odd_rows = odd
    package.slow["cells"] += parsed  # the run says how many cells took the slow way
    return cells, text_styles, styles_used


def formula_facts(layout, body: bytes, formulas: dict) -> bool:
    """What ``Worksheet._formula_facts`` gathers into ``formulas`` ((row, column) -> Formula), from a plain row's
    bytes; False when a formula cell is in another form (the row is then parsed)."""
    from cyps_xl.cellref import address
    from cyps_xl.workbook.formulas import Formula
    from cyps_xl.workbook.rowbytes import Unusual, attribute
    from cyps_xl.workbook.xmltext import unescaped

    form = _formula_form(layout.prefix)
    try:
        cells = list(layout.cells(body))
    except Unusual:
        return False
    for column, found in cells:
        inner = found.group(8)
        if not inner or inner.find(layout.formula_mark) < 0:
            continue
        formula = form.match(inner)
        if formula is None:
            return False
        letters, digits, kind = found.group(1), found.group(2), found.group(4)
        if letters is not None:
            row = int(digits)
        else:
            attributes = found.group(5)
            ref, kind = attribute(attributes, b"r"), attribute(attributes, b"t")
            place = address(ref.decode("utf-8", "replace")) if ref is not None else None
            if place is None:
                continue  # a formula in a cell without an address (or a damaged one), as the element code leaves it
            row, column = place
        attributes, text, value, empty = formula.groups()
        text = text.decode("utf-8") if text else None  # <f></f> has no text, as lxml reads it
        if text is not None and "&" in text:
            text = unescaped(text)
        kind = kind.decode("ascii", "replace") if kind is not None else None
        saved = (value is not None or empty is not None) and (bool(value) or kind == "str") or kind == "inlineStr"

        def get(name: bytes):
            raw = attribute(attributes, name)
            return unescaped(raw.decode("utf-8")) if raw is not None else None

        formulas[(row, column)] = Formula(row, column, text, get(b"t"), get(b"si"), get(b"ref"), saved)
    return True


def frozen(body: bytes, layout, values: dict, shared_strings) -> bytes | None:
    """The row's cells with each formula replaced by its saved result, as ``RowWriter._freeze`` does to elements:
    the <f> goes, and a text result (t="str") becomes shared text, as Excel keeps text. None when a formula
    cell is not in the usual form (the element code then writes the row)."""
    from cyps_xl.workbook.rowbytes import Unusual, attribute_list, start_tag
    from cyps_xl.workbook.xmltext import unescaped

    form = _formula_form(layout.prefix)
    prefix, mark = layout.prefix, layout.formula_mark
    try:
        cells = list(layout.cells(body))
    except Unusual:
        return None
    out, position = [], 0
    for column, found in cells:
        inner = found.group(8)
        if not inner or mark not in inner or column in values:
            continue  # no formula, or one the run writes a value over (its saved result is not kept)
        formula = form.match(inner)
        if formula is None:
            return None
        letters, digits, style, kind, attributes = found.group(1, 2, 3, 4, 5)
        listed = [(b"r", letters + digits)] + ([(b"s", style)] if style is not None else []) + \
            ([(b"t", kind)] if kind is not None else []) if letters is not None else attribute_list(attributes)
        raw = formula.group(3)
        if formula.group(4) is not None:
            return None  # an empty <v/> (openpyxl's) is kept by the element code
        if dict(listed).get(b"t") == b"str":
            text = raw.decode("utf-8") if raw is not None else ""
            index = shared_strings.add(unescaped(text) if "&" in text else text)
            listed = [(k, v) for k, v in listed if k not in (b"t", b"cm", b"vm")] + [(b"t", b"s")]
            raw = str(index).encode()
        name = prefix + b"c"
        start, end = found.span()
        while body[start] != 60:  # '<': the whitespace before the cell stays
            start += 1
        out.append(body[position:start])
        out.append(start_tag(name, listed, raw is None))
        if raw is not None:
            out.append(b"<" + prefix + b"v>" + raw + b"</" + prefix + b"v></" + name + b">")
        position = end
    out.append(body[position:])
    return b"".join(out)
