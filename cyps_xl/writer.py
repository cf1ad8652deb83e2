"""The headless writer: applies :class:`CellChange` lists to a package."""
from __future__ import annotations

from .changes import NO_VALUE, CellChange
from .package import Package


def apply_changes(package: Package, changes: list[CellChange]) -> None:
    editors = {}
    for change in changes:
        editor = editors.get(change.sheet)
        if editor is None:
            editor = editors[change.sheet] = package.sheet(change.sheet)
        if change.value is not NO_VALUE:
            editor.set_value(change.row, change.column, change.value)
        if change.style is not None:
            editor.set_style(change.row, change.column, change.style)
