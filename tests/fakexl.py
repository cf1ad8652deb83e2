"""A stand-in for desktop Excel with xlwings' API surface, backed by an openpyxl workbook.

xlwings' remote engine has no multi-area ranges, no ``.api`` (COM) and no
status bar, so the desktop-only lines of the live path never run on it.  This
fake offers exactly the part of xlwings' Book / App / Sheet / Range API that
cyps-xl uses, applies every write to a real openpyxl workbook (so tests check
the *result*: values, fills, fonts, formats, notes), and records every call.
Any app property can be made to raise, to prove the live path restores Excel's
settings whatever fails.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

AREA = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


class Engine:
    def __init__(self, name):
        self.name = name


class FakeApp:
    def __init__(self, engine="excel"):
        self.engine = Engine(engine)
        self.calls: list = []
        self.alerts: list = []
        self.status_history: list = []
        self.fail_on: dict = {}  # (property, value) -> exception to raise when it is set to that value
        self._props = {"screen_updating": True, "calculation": "automatic", "enable_events": True, "status_bar": False}
        self.books = FakeBooks(self)

    def __getattr__(self, name):
        props = self.__dict__.get("_props", {})
        if name in props:
            return props[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in ("screen_updating", "calculation", "enable_events", "status_bar"):
            failure = self.fail_on.get((name, value)) or self.fail_on.get((name, "*"))
            self.calls.append(("set", name, value))
            if failure:
                raise failure
            if name == "status_bar":
                self.status_history.append(value)
            self._props[name] = value
            return
        super().__setattr__(name, value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        self.calls.append(("alert", title))
        return "ok"


class FakeBooks:
    def __init__(self, app):
        self.app = app
        self.opened: list = []

    def open(self, path):
        book = FakeBook(path, app=self.app)
        self.opened.append(book)
        return book


class BookApi:
    """The COM object behind a Book: FullName (a URL for OneDrive/SharePoint), ReadOnly, SaveCopyAs."""

    def __init__(self, book, full_name=None, read_only=False):
        self._book = book
        self.FullName = full_name or str(book.path)
        self.ReadOnly = read_only

    def SaveCopyAs(self, path):  # noqa: N802 - COM's naming
        self._book.app.calls.append(("SaveCopyAs", path))
        self._book.write(path)


class FakeBook:
    def __init__(self, path, app=None, full_name=None, read_only=False, with_api=True):
        self.path = Path(path)
        self.app = app or FakeApp()
        self.wb = openpyxl.load_workbook(self.path)
        self.name = self.path.name
        self.fullname = str(self.path) if full_name is None or "://" not in full_name else full_name
        self._api = BookApi(self, full_name, read_only) if with_api else None
        self.sheets = FakeSheets(self)
        self.pdfs: list = []
        self.closed = False
        self.dirty = False

    @property
    def api(self):
        if self._api is None:
            raise NotImplementedError("this engine has no .api")
        return self._api

    def write(self, path):
        """The open state as a file. Excel keeps every part; openpyxl would drop sparklines, so an
        unchanged book is copied as it is on disk."""
        if self.dirty:
            self.wb.save(path)
        elif Path(path) != self.path:
            shutil.copyfile(self.path, path)

    def save(self, path=None):
        self.app.calls.append(("save", path))
        self.write(path or self.path)

    def to_pdf(self, path):
        self.app.calls.append(("to_pdf", path))
        Path(path).write_bytes(b"%PDF-1.4 fake\n")
        self.pdfs.append(path)

    def close(self):
        self.closed = True


class FakeSheets:
    def __init__(self, book):
        self.book = book

    def _all(self):
        return [FakeSheet(self.book, ws) for ws in self.book.wb.worksheets]

    def __iter__(self):
        return iter(self._all())

    def __len__(self):
        return len(self.book.wb.worksheets)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._all()[key]
        return FakeSheet(self.book, self.book.wb[key])

    def add(self, name=None, after=None):
        self.book.app.calls.append(("add_sheet", name))
        return FakeSheet(self.book, self.book.wb.create_sheet(name))


class FakeSheet:
    def __init__(self, book, ws):
        self.book = book
        self.ws = ws
        self.name = ws.title

    def range(self, first, last=None):
        if isinstance(first, tuple):
            r1, c1 = first
            r2, c2 = last if last is not None else first
            return FakeRange(self, [(r1, c1, r2, c2)])
        areas = []
        for part in first.split(","):
            m = AREA.match(part.strip())
            c1, r1 = column_index_from_string(m.group(1)), int(m.group(2))
            c2, r2 = (column_index_from_string(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
            areas.append((r1, c1, r2, c2))
        return FakeRange(self, areas)

    @property
    def names(self):
        return FakeNames(self)

    def clear_contents(self):
        self.book.app.calls.append(("clear_contents", self.name))
        for row in self.ws.iter_rows():
            for cell in row:
                cell.value = None


class FakeNameApi:
    """The COM Name object's Visible property, kept as the defined name's hidden flag."""

    def __init__(self, defined):
        self._defined = defined

    @property
    def Visible(self):  # noqa: N802 - COM's naming
        return not self._defined.hidden

    @Visible.setter
    def Visible(self, value):  # noqa: N802
        self._defined.hidden = not value


class FakeName:
    def __init__(self, sheet, defined):
        self.name = f"'{sheet.name}'!{defined.name}"  # Excel reads a sheet-level name back with its sheet
        self.api = FakeNameApi(defined)


class FakeNames:
    """A sheet's own (sheet-level) names, kept as the openpyxl worksheet's defined names."""

    def __init__(self, sheet):
        self.sheet = sheet

    def __iter__(self):
        return iter([FakeName(self.sheet, d) for d in self.sheet.ws.defined_names.values()])

    def add(self, name, refers_to):
        from openpyxl.workbook.defined_name import DefinedName

        self.sheet.book.app.calls.append(("names.add", self.sheet.name, name, refers_to))
        defined = DefinedName(name, attr_text=refers_to.lstrip("="))
        self.sheet.ws.defined_names[name] = defined
        return FakeName(self.sheet, defined)


class Font:
    def __init__(self, rng):
        self._rng = rng

    def _set(self, **kw):
        from copy import copy

        for cell in self._rng.cells():
            font = copy(cell.font)
            for key, value in kw.items():
                setattr(font, key, value)
            cell.font = font

    @property
    def color(self):
        return None

    @color.setter
    def color(self, value):
        self._rng.record("font.color", value)
        self._set(color=value.lstrip("#").upper())

    @property
    def bold(self):
        return None

    @bold.setter
    def bold(self, value):
        self._rng.record("font.bold", value)
        self._set(b=value)

    @property
    def italic(self):
        return None

    @italic.setter
    def italic(self, value):
        self._rng.record("font.italic", value)
        self._set(i=value)


class SparklineGroups:
    def __init__(self, rng):
        self._rng = rng

    def Add(self, Type, SourceData):  # noqa: N802,N803 - COM's naming
        self._rng.record("SparklineGroups.Add", (Type, SourceData))
        self._rng.sheet.book.sparklines.append((self._rng.sheet.name, self._rng.address, Type, SourceData))


class RangeApi:
    def __init__(self, rng):
        self.SparklineGroups = SparklineGroups(rng)


class FakeRange:
    def __init__(self, sheet, areas, ndim=None):
        self.sheet = sheet
        self.areas = areas
        self.ndim = ndim
        if not hasattr(sheet.book, "sparklines"):
            sheet.book.sparklines = []

    @property
    def address(self):
        return ",".join(f"${get_column_letter(c1)}${r1}" + (f":${get_column_letter(c2)}${r2}" if (r1, c1) != (r2, c2) else "")
                        for r1, c1, r2, c2 in self.areas)

    def record(self, what, value):
        self.sheet.book.app.calls.append((what, self.sheet.name, self.address, value))
        self.sheet.book.dirty = True

    def cells(self):
        for r1, c1, r2, c2 in self.areas:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    yield self.sheet.ws.cell(r, c)

    @property
    def api(self):
        return RangeApi(self)

    def options(self, ndim=None, **_):
        return FakeRange(self.sheet, self.areas, ndim)

    def expand(self, mode="table"):
        r1, c1, _, _ = self.areas[0]
        r2, c2 = r1, c1
        while self.sheet.ws.cell(r2 + 1, c1).value is not None:
            r2 += 1
        while self.sheet.ws.cell(r1, c2 + 1).value is not None:
            c2 += 1
        return FakeRange(self.sheet, [(r1, c1, r2, c2)], self.ndim)

    @property
    def value(self):
        assert len(self.areas) == 1, "xlwings reads one area at a time"
        r1, c1, r2, c2 = self.areas[0]
        grid = [[self.sheet.ws.cell(r, c).value for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        if self.ndim == 2:
            return grid
        if (r1, c1) == (r2, c2):
            return grid[0][0]
        return grid[0] if r1 == r2 else ([row[0] for row in grid] if c1 == c2 else grid)

    @value.setter
    def value(self, values):
        self.record("value", values)
        r1, c1, r2, c2 = self.areas[0]
        rows = values if isinstance(values, list) and values and isinstance(values[0], list) else [[values]]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("'"):
                    v = v[1:]  # Excel's text prefix is not part of the value
                self.sheet.ws.cell(r1 + i, c1 + j).value = v

    @property
    def color(self):
        return None

    @color.setter
    def color(self, value):
        self.record("color", value)
        for cell in self.cells():
            cell.fill = PatternFill() if value is None else PatternFill("solid", fgColor=value.lstrip("#").upper())

    @property
    def font(self):
        return Font(self)

    @property
    def number_format(self):
        return next(self.cells()).number_format

    @number_format.setter
    def number_format(self, value):
        self.record("number_format", value)
        for cell in self.cells():
            cell.number_format = value

    @property
    def note(self):
        cell = next(self.cells())
        return FakeNote(cell) if cell.comment else None

    def add_note(self, text):
        self.record("add_note", text)
        next(self.cells()).comment = Comment(text, "cyps-xl")


class FakeNote:
    def __init__(self, cell):
        self._cell = cell

    @property
    def text(self):
        return self._cell.comment.text

    @text.setter
    def text(self, value):
        self._cell.comment = Comment(value, "cyps-xl")


def desktop_book(source, folder, *, name=None, **options):
    """A copy of ``source`` in ``folder``, open in the fake desktop Excel."""
    path = Path(folder) / (name or Path(source).name)
    shutil.copyfile(source, path)
    return FakeBook(path, **options)
