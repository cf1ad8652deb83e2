"""User-facing errors.

Every problem a user can cause (a bad workbook, a bad rules file, a wrong
option) is raised as :class:`CypsError`.  The CLI, the ribbon and the UDFs
turn it into one plain message naming the file, the place and what to do;
only genuine bugs ever show a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class CypsError(Exception):
    """A problem with the user's input, reported without a traceback."""

    message: str
    file: str | Path | None = None
    place: str | None = None  # "sheet 'Social Care', cell Q12" or "line 14"
    hint: str | None = None  # what to do about it

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.place:
                where += f", {self.place}"
            where += ": "
        elif self.place:
            where = f"{self.place}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" {self.hint}"
        return text


def listed(items, most: int = 8) -> str:
    """The first ``most`` of ``items`` for a message, and how many more there are ("a, b and 3 more")."""
    items = [str(item) for item in items]
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


def cell_place(sheet: str, cell: str) -> str:
    return f"sheet '{sheet}', cell {cell}"
