"""The Excel writer: applies the engine's changes to an open workbook through xlwings.

It writes the same list of changes (:mod:`cyps_xl.workbook.changes`) as the headless
writer, in blocks (see :mod:`cyps_xl.excel.blocks`):

* values as one 2D array per rectangle of owned cells;
* each style property once per (sheet, value) over a multi-area range
  ("T14:T20,T23,V14:V16"), on desktop Excel;
* xlwings' remote engine has no multi-area ranges, so there fills go out as
  one ``set_colors`` matrix per rectangle and the other properties one call
  per rectangle.

Styles the workbook already has (read from the backup taken just before the
run) are not written again.  Screen updating and calculation are switched
off for the run and restored however it ends.
"""
from __future__ import annotations

import contextlib
import sys
from collections import Counter

from cyps_xl.excel.blocks import address_chunks, rectangles, style_groups, value_blocks
from cyps_xl.workbook.changes import NO_VALUE, CellChange, SparklineChange, cell_changes

STYLE_PROPS = ("fill", "font_color", "bold", "italic", "number_format")
FORMULA_STARTS = ("=", "+", "-", "@")


def excel_value(value):
    """What to send so Excel stores exactly ``value``: text is never read as a formula."""
    if isinstance(value, str) and len(value) > 1 and value.startswith(FORMULA_STARTS):
        return "'" + value  # the apostrophe is Excel's text prefix, not part of the value
    return value


def current_style(cell, prop):
    """A property of an openpyxl cell, in the writer's terms."""
    if prop == "fill":
        fill = cell.fill
        if fill is None or fill.patternType is None:
            return "none"
        rgb = fill.fgColor.rgb if fill.fgColor is not None and fill.fgColor.type == "rgb" else None
        return rgb[-6:].upper() if isinstance(rgb, str) and fill.patternType == "solid" else None
    if prop == "font_color":
        color = cell.font.color if cell.font is not None else None
        rgb = color.rgb if color is not None and color.type == "rgb" else None
        return rgb[-6:].upper() if isinstance(rgb, str) else None
    if prop in ("bold", "italic"):
        return bool(getattr(cell.font, "b" if prop == "bold" else "i")) if cell.font is not None else False
    return cell.number_format


class XlwingsWriter:
    def __init__(self, book, *, current=None, multi_area: bool | None = None):
        self.book = book
        self.current = current  # openpyxl workbook with the book's state before the run
        engine = getattr(getattr(book.app, "engine", None), "name", "excel")
        self.remote = engine in ("remote", "calamine")
        self.multi_area = (not self.remote) if multi_area is None else multi_area
        self.calls: Counter = Counter()
        self.notes: list[str] = []

    # -- planning (pure) -------------------------------------------------------
    def plan(self, changes):
        values, styles, sparklines = {}, {}, []
        for change in cell_changes(changes):
            if isinstance(change, SparklineChange):
                sparklines.append(change)
                continue
            if change.value is not NO_VALUE:
                values[(change.sheet, change.row, change.column)] = excel_value(change.value)
            if change.style is None:
                continue
            for prop in STYLE_PROPS:
                wanted = getattr(change.style, prop)
                if wanted is not None and not self._already(change, prop, wanted):
                    styles[(change.sheet, change.row, change.column, prop)] = wanted
        return value_blocks(values), style_groups(styles), sparklines

    def _already(self, change: CellChange, prop: str, wanted) -> bool:
        if self.current is None or change.sheet not in self.current.sheetnames:
            return False
        cell = self.current[change.sheet].cell(change.row, change.column)
        return current_style(cell, prop) == wanted

    # -- writing (see write_changes) -------------------------------------------
    def _sheet(self, name):
        return self.book.sheets[name]

    def _write_group(self, group) -> None:
        sheet = self._sheet(group.sheet)
        if group.prop == "fill" and not self.multi_area:
            return  # remote: fills go out as colour matrices, see _remote_fills
        if self.multi_area:
            for address in address_chunks(group.areas):
                _set(sheet.range(address), group.prop, group.value)
                self.calls[group.prop] += 1
        else:
            for r1, c1, r2, c2 in group.areas:
                _set(sheet.range((r1, c1), (r2, c2)), group.prop, group.value)
                self.calls[group.prop] += 1

    def _sparklines(self, sparklines) -> None:
        """Create missing trend sparklines: Excel's API for them exists on Windows only."""
        if not sparklines:
            return
        if self.remote:
            self.notes.append("Trend sparklines were not changed: Excel offers no sparkline API on this platform.")
            return
        from cyps_xl.cellref import split_ref

        # Excel makes one sparkline per row when a multi-row location gets a multi-row source,
        # so each run of consecutive rows is one call.
        runs: list = []
        for change in sorted(sparklines, key=lambda c: (c.sheet, split_ref(c.target)[1], split_ref(c.target)[0])):
            row, col = split_ref(change.target)
            sheet_part, _, span = change.source.rpartition("!")
            first, last = span.split(":")
            if runs and runs[-1]["sheet"] == change.sheet and runs[-1]["col"] == col and runs[-1]["last_row"] == row - 1 \
                    and runs[-1]["prefix"] == sheet_part:
                runs[-1]["last_row"] = row
                runs[-1]["last"] = last
            else:
                runs.append({"sheet": change.sheet, "col": col, "first_row": row, "last_row": row,
                             "prefix": sheet_part, "first": first, "last": last})
        for run in runs:
            location = self._sheet(run["sheet"]).range((run["first_row"], run["col"]), (run["last_row"], run["col"]))
            try:
                groups = location.api.SparklineGroups  # Excel for Windows; Excel for Mac has none
            except (AttributeError, NotImplementedError):
                self.notes.append("Trend sparklines were not changed: Excel offers no sparkline API on this platform.")
                return
            groups.Add(Type=2, SourceData=f"{run['prefix']}!{run['first']}:{run['last']}")  # 2: column sparklines
            self.calls["sparkline"] += 1


def fill_matrices(changes, writer: XlwingsWriter):
    """Remote engine: one ``set_colors`` matrix per rectangle of fill changes."""
    fills = {}
    for change in cell_changes(changes):
        if isinstance(change, CellChange) and change.style is not None and change.style.fill is not None:
            if not writer._already(change, "fill", change.style.fill):
                fills[(change.sheet, change.row, change.column)] = change.style.fill
    per_sheet = {}
    for (sheet, row, col), colour in fills.items():
        per_sheet.setdefault(sheet, {})[(row, col)] = colour
    for sheet, grid in per_sheet.items():
        for r1, c1, r2, c2 in rectangles(grid):
            matrix = [[_colour(grid.get((r, c), ...)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
            yield sheet, (r1, c1, r2, c2), matrix


def _colour(value):
    if value is ...:
        return ...
    return None if value == "none" else f"#{value}"


def _set(rng, prop: str, value) -> None:
    if prop == "fill":
        rng.color = _colour(value)
    elif prop == "font_color":
        rng.font.color = f"#{value}"
    elif prop == "bold":
        rng.font.bold = value
    elif prop == "italic":
        rng.font.italic = value
    elif prop == "number_format":
        rng.number_format = value


APPLICATION_SETTINGS = (("screen_updating", False, True), ("enable_events", False, True),
                        ("calculation", "manual", "automatic"))  # (setting, during the run, Excel's default)


class RestoreError(RuntimeError):
    """Excel refused to take back one of its settings after a run."""


@contextlib.contextmanager
def quiet(app):
    """Screen updating and events off, manual calculation for the run; each restored however it ends.

    Every setting is restored on its own, so one that Excel refuses to take back
    leaves the others restored; the refusal is then reported (unless the run
    itself already failed, whose error is the one to show).
    """
    saved = []
    for name, during, default in APPLICATION_SETTINGS:
        try:
            before = getattr(app, name)
        except (NotImplementedError, AttributeError):
            before = default  # the engine cannot say (xlwings' remote engine): Excel's default
        try:
            setattr(app, name, during)
        except (NotImplementedError, AttributeError):
            continue  # this engine has no such setting
        saved.append((name, before))
    failed = []
    try:
        yield
    finally:
        for name, before in reversed(saved):
            try:
                setattr(app, name, before)
            except Exception as exc:  # noqa: BLE001 - go on restoring the others
                failed.append(f"{name} ({exc})")
        if failed and sys.exc_info()[0] is None:
            raise RestoreError("Excel did not take back its settings: " + ", ".join(failed)
                               + ". Check File > Options > Formulas (Automatic calculation).")


def write_changes(book, changes, *, current=None) -> XlwingsWriter:
    """Apply the engine's changes to ``book``; returns the writer (its calls and notes)."""
    writer = XlwingsWriter(book, current=current)
    with quiet(book.app):
        blocks, groups, sparklines = writer.plan(changes)
        for block in blocks:
            r1, c1, r2, c2 = block.rect
            writer._sheet(block.sheet).range((r1, c1), (r2, c2)).value = block.values
            writer.calls["values"] += 1
        if not writer.multi_area:
            for sheet, (r1, c1, r2, c2), matrix in fill_matrices(changes, writer):
                writer._sheet(sheet).range((r1, c1), (r2, c2)).set_colors(matrix)
                writer.calls["fill"] += 1
        for group in groups:
            writer._write_group(group)
        writer._sparklines(sparklines)
    return writer
