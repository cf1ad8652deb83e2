"""Rules files kept as text in a workbook, read as if they were files.

xlwings Lite runs Python in Excel with no file system of the user's, so a team keeps its rules in the
workbook itself: a sheet with a file's name in one cell and its YAML in the cell beside it (see
``cyps_xl.excel.lite``). :class:`TextFolder` and :class:`TextFile` answer what the rules loader asks of a
folder and a file (``exists``, ``glob``, ``/``, ``read_bytes``), so the same loader, checks and messages
serve both: a message names the workbook, the sheet, the cell and the line within it.
"""
from __future__ import annotations

import fnmatch


class TextFile:
    """One YAML file's text, held in a cell."""

    def __init__(self, folder: "TextFolder", name: str, text: str | None, cell: str | None = None):
        self.folder, self.name, self.text, self.cell = folder, name, text, cell

    @property
    def suffix(self) -> str:
        return "." + self.name.rsplit(".", 1)[1] if "." in self.name else ""

    @property
    def stem(self) -> str:
        return self.name[: -len(self.suffix)] if self.suffix else self.name

    @property
    def parent(self) -> "TextFolder":
        return self.folder

    def exists(self) -> bool:
        return self.text is not None

    is_file = exists

    def is_dir(self) -> bool:
        return False

    def read_bytes(self) -> bytes:
        if self.text is None:
            raise FileNotFoundError(str(self))
        return self.text.encode("utf-8")

    def __lt__(self, other) -> bool:
        return self.name < other.name

    def __eq__(self, other) -> bool:
        return isinstance(other, TextFile) and (self.folder.label, self.name) == (other.folder.label, other.name)

    def __hash__(self) -> int:
        return hash((self.folder.label, self.name))

    def __str__(self) -> str:
        where = f", cell {self.cell}" if self.cell else ""
        return f"{self.folder.label}{where} ({self.name})"


class TextFolder:
    """Rules files by name, from a workbook's sheet; ``label`` names the place ("scorecard.xlsx, sheet 'cyps_xl.rules'")."""

    def __init__(self, label: str, files: dict, cells: dict | None = None):
        self.label = label
        self.files = dict(files)  # name -> YAML text
        self.cells = dict(cells or {})  # name -> the cell holding it ("B2")

    @property
    def name(self) -> str:
        return self.label

    def exists(self) -> bool:
        return True

    def is_dir(self) -> bool:
        return True

    def is_file(self) -> bool:
        return False

    def __truediv__(self, name: str) -> TextFile:
        return TextFile(self, name, self.files.get(name), self.cells.get(name))

    def glob(self, pattern: str):
        return [self / name for name in sorted(self.files) if fnmatch.fnmatch(name, pattern)]

    def __str__(self) -> str:
        return self.label
