"""What cyps-xl sets on a cell, as a plain value: kept apart from the styles part (``styles``, which needs lxml)
so that the engine's changes can be made where lxml is not (xlwings Lite)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CellStyle:
    """What cyps-xl sets on a cell. None leaves that property as it is."""

    fill: str | None = None  # "RRGGBB", or "none" to clear a fill
    font_color: str | None = None  # "RRGGBB"
    number_format: str | None = None
    bold: bool | None = None
    italic: bool | None = None
    size: float | None = None  # font size in points (the summary tiles)
    wrap: bool | None = None  # wrap text (the commentary); wrapped text is aligned to the top
    vertical: str | None = None  # "top", "center": a grown row's cells start on one line (print fitting)
    horizontal: str | None = None  # "center", "right": a table's figures under their headings (the summary)
