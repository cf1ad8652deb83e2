"""Grouping cell changes into blocks, so Excel is written in few calls.

Pure functions, used by the xlwings writer: values go out as 2D arrays over
rectangles; each style property goes out once per (sheet, value) as a list of
rectangular areas (one multi-area range in Excel), never cell by cell.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

Rect = tuple  # (first_row, first_col, last_row, last_col), 1-based inclusive


@dataclass(frozen=True)
class ValueBlock:
    sheet: str
    rect: Rect
    values: list  # 2D, rows x columns


@dataclass(frozen=True)
class StyleGroup:
    sheet: str
    prop: str  # fill, font_color, bold, number_format
    value: object
    areas: tuple  # of Rect


def rectangles(cells) -> list[Rect]:
    """Cover a set of (row, col) cells exactly with few rectangles.

    Each row is cut into runs of adjacent columns; consecutive rows with the
    same run are merged, so a block of indicator rows becomes one rectangle.
    """
    by_row = defaultdict(list)
    for row, col in cells:
        by_row[row].append(col)
    open_rects: dict = {}  # (c1, c2) -> first row, for runs still growing
    done: list = []
    previous_row = None
    for row in sorted(by_row):
        runs = _runs(sorted(by_row[row]))
        if previous_row is not None and row != previous_row + 1:
            done += [(start, c1, previous_row, c2) for (c1, c2), start in open_rects.items()]
            open_rects = {}
        still = {}
        for run in runs:
            still[run] = open_rects.pop(run, row)
        done += [(start, c1, previous_row, c2) for (c1, c2), start in open_rects.items()]
        open_rects = still
        previous_row = row
    done += [(start, c1, previous_row, c2) for (c1, c2), start in open_rects.items()]
    return sorted(done)


def _runs(columns: list[int]) -> list[tuple]:
    runs, start = [], None
    for i, col in enumerate(columns):
        if start is None:
            start = col
        if i + 1 == len(columns) or columns[i + 1] != col + 1:
            runs.append((start, col))
            start = None
    return runs


def value_blocks(cells: dict) -> list[ValueBlock]:
    """cells: (sheet, row, col) -> value. One block per rectangle."""
    per_sheet = defaultdict(dict)
    for (sheet, row, col), value in cells.items():
        per_sheet[sheet][(row, col)] = value
    blocks = []
    for sheet, grid in per_sheet.items():
        for r1, c1, r2, c2 in rectangles(grid):
            values = [[grid[(r, c)] for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
            blocks.append(ValueBlock(sheet, (r1, c1, r2, c2), values))
    return blocks


def style_groups(cells: dict) -> list[StyleGroup]:
    """cells: (sheet, row, col, prop) -> value. One group per (sheet, prop, value)."""
    grouped = defaultdict(set)
    for (sheet, row, col, prop), value in cells.items():
        grouped[(sheet, prop, value)].add((row, col))
    return [StyleGroup(sheet, prop, value, tuple(rectangles(found)))
            for (sheet, prop, value), found in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2])))]


def a1(rect: Rect) -> str:
    from cyps_xl.cellref import column_letter

    r1, c1, r2, c2 = rect
    first = f"{column_letter(c1)}{r1}"
    return first if (r1, c1) == (r2, c2) else f"{first}:{column_letter(c2)}{r2}"


def address_chunks(areas, limit: int = 255) -> list[str]:
    """Multi-area addresses ("T14:T20,T23") no longer than Excel's 255 characters."""
    chunks, current = [], ""
    for area in areas:
        text = a1(area)
        candidate = f"{current},{text}" if current else text
        if len(candidate) > limit and current:
            chunks.append(current)
            current = text
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks
