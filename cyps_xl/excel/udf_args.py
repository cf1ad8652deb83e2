"""The arguments of the CYPS_ cell functions, as xlwings hands them over: shaped, aligned and checked.

Every argument is declared ndim=2 with err_to_str, so each arrives as a list of rows whatever Excel passes
(a literal, a cell, a row, a column or a block), with Excel's errors as their text ("#N/A"). Here they are
aligned with the values (one for all, one per row, per column or per cell), an error in any of them becomes
an answer naming that argument, and a whole column or sheet is cut to the rows and columns it uses.
"""
from __future__ import annotations

from cyps_xl.engine.values import EXCEL_ERRORS

ERROR = "#CYPS!"


# Every argument is declared ndim=2, so xlwings hands each function a list of rows
# whatever Excel passes (a literal, a cell, a row, a column or a block), and the
# answer is a block of the values' shape (one cell shows as a single value).
def _grid(value):
    """Any argument as a 2D list (a scalar when a function is called from Python)."""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            return [list(row) for row in value]
        return [list(value)]
    return [[value]]


def _shape_out(grid, scalar_in: bool):
    return grid[0][0] if scalar_in else grid


def _is_range(value) -> bool:
    return isinstance(value, (list, tuple))


class ShapeError(LookupError):
    pass


def _broadcast(arg, rows: int, cols: int, name: str):
    """An argument aligned with the values: one for all, one per row, one per column, or one per cell. A cell
    holding an Excel error (#N/A, #REF!...) is an answer naming the argument, never read as a blank."""
    grid = _grid(arg)
    height, width = len(grid), len(grid[0]) if grid else 0
    if (height, width) == (1, 1):
        at = lambda r, c: grid[0][0]  # noqa: E731
    elif (height, width) == (rows, cols):
        at = lambda r, c: grid[r][c]  # noqa: E731
    elif height == rows and width == 1:
        at = lambda r, c: grid[r][0]  # noqa: E731
    elif height == 1 and width == cols:
        at = lambda r, c: grid[0][c]  # noqa: E731
    else:
        raise ShapeError(f"{name} has {height}x{width} cells for {rows}x{cols} values; give one, one per row, "
                         "one per column or one per value")
    if not (_is_error(grid[0][0]) if height == width == 1 else any(_is_error(v) for row in grid for v in row)):
        return at  # the usual case: looked through once, not at every answer

    def checked(r, c):
        found = at(r, c)
        _refuse_error(found, name)
        return found
    return checked


def _is_error(value) -> bool:
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def _refuse_error(value, name: str) -> None:
    if _is_error(value):
        raise LookupError(f"{name} is the Excel error {value.strip().upper()}")


def _used(grid) -> tuple[int, int]:
    """Rows and columns up to the last that holds anything: a whole column (Q:Q) or sheet handed over is cut
    to what is used, as Excel's trim references (Q:.Q) cut it, so that the answer spills what is used."""
    if len(grid) == 1 and len(grid[0]) == 1:
        return 1, 1
    rows = next((i + 1 for i in range(len(grid) - 1, -1, -1) if any(v not in (None, "") for v in grid[i])), 1)
    cols = max((j + 1 for row in grid[:rows] for j in range(len(row) - 1, -1, -1) if row[j] not in (None, "")),
               default=1)
    return rows, cols


def _cut(values, *others):
    """(the values' rows, their rows and columns, the other arguments) with the values cut to the rows and columns
    they use (see _used) and each other argument as long or as wide as they were cut with them (see _fitted)."""
    grid = _grid(values)
    height, width = len(grid), len(grid[0])
    rows, cols = _used(grid)
    if (rows, cols) != (height, width):
        grid = [row[:cols] for row in grid[:rows]]
    return grid, rows, cols, [_fitted(arg, height, width, rows, cols) for arg in others]


def _fitted(arg, height: int, width: int, rows: int, cols: int):
    """An argument as long (or as wide) as the values were before they were cut, cut with them."""
    if not _is_range(arg) or (rows, cols) == (height, width):
        return arg
    grid = _grid(arg)
    if len(grid) == height and height != rows:
        grid = grid[:rows]
    if grid and len(grid[0]) == width and width != cols:
        grid = [row[:cols] for row in grid]
    return grid


def _error_cells(rows: int, cols: int, text: str):
    return [[f"{ERROR} {text}"] * cols for _ in range(rows)]
