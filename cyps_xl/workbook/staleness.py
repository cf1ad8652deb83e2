"""Formulas a run would leave stale.

An issue freezes every formula to the result Excel saved with it. A formula that reads a cell the issue writes a
new value into (a team's =COUNTIF(CardRAG,"Red") over the RAG column) would be frozen at its old result: the issued
book would say 0 Reds beside six. This finds them: each formula's references (cells, ranges, whole columns, defined
names, tables), tested against the cells whose value the run changes. A reference it cannot follow (INDIRECT,
OFFSET) is taken to read everything, so nothing stale slips through.
"""
from __future__ import annotations

from cyps_xl.cellref import bounds, column_letter
from cyps_xl.workbook.parts import M

UNFOLLOWED = ("INDIRECT(", "OFFSET(")  # references worked out as the formula runs
EVERYTHING = object()


def stale_formulas(package, changes, grids) -> list[tuple[str, str, str]]:
    """(sheet, cell, the first changed cell it reads as 'Sheet'!A1, or None when it cannot be told) of each formula
    that reads a changed cell:
    ``changes`` are the run's (cells whose value differs from ``grids``, the values as read, count; a formula
    there is now a value)."""
    with_formulas = [(sheet, package.worksheet(part)) for sheet, part in package.sheet_parts.items()]
    with_formulas = [(sheet, worksheet) for sheet, worksheet in with_formulas if worksheet.has_formulas]
    if not with_formulas:
        return []  # most scorecards: nothing to find, and the changes are not even looked at
    changed = changed_cells(changes, grids)
    if not changed:
        return []
    references = _References(package, changed)
    found = []
    for sheet, worksheet in with_formulas:
        for (row, column), formula in worksheet.formulas.items():
            if not formula.text or (sheet, row, column) in changed:
                continue
            hit = references.read_by(formula.text, sheet)
            if hit is not None:
                found.append((sheet, f"{column_letter(column)}{row}", None if hit is EVERYTHING else hit))
    return found


class _References:
    """Which changed cell a formula reads: its ranges, whole columns and rows, defined names and tables."""

    def __init__(self, package, changed: set):
        workbook = package.tree(package.workbook_part)
        order = [e.get("name") for e in workbook.iterfind(f"{M}sheets/{M}sheet")]
        self.names = {}
        for defined in workbook.iterfind(f"{M}definedNames/{M}definedName"):
            local = defined.get("localSheetId")
            scope = order[int(local)] if local and local.isdigit() and int(local) < len(order) else None
            self.names[(scope, (defined.get("name") or "").lower())] = defined.text or ""
        self.tables = {}
        for sheet, part in package.sheet_parts.items():
            for table_part, _, _, _ in package._table_headers(part)[0]:
                table = package.tree(table_part)
                self.tables[(table.get("displayName") or table.get("name") or "").lower()] = (sheet, table.get("ref"))
        self.by_sheet: dict = {}
        for sheet, row, column in sorted(changed):  # so the first one named is the same every run
            self.by_sheet.setdefault(sheet, []).append((row, column))

    def read_by(self, text: str, sheet: str, depth: int = 0):
        """The first changed cell ``text`` reads ('Sheet'!A1), EVERYTHING when it cannot tell, else None."""
        from openpyxl.formula import Tokenizer  # only for a workbook that has formulas

        if depth > 8 or any(f in text.upper() for f in UNFOLLOWED):
            return EVERYTHING
        try:
            tokens = Tokenizer("=" + text.lstrip("=")).items
        except Exception:  # noqa: BLE001 - a formula the tokenizer cannot read: taken to read everything
            return EVERYTHING
        for token in tokens:
            if token.type != "OPERAND" or token.subtype != "RANGE":
                continue
            where, _, ref = token.value.rpartition("!")
            target = where.strip("'").replace("''", "'") if where else sheet
            if "[" in ref:  # a table's structured reference: the whole table
                found = self.tables.get(ref.split("[")[0].lower())
                if found is None:
                    return EVERYTHING
                target, ref = found
            box = bounds(ref)
            if box is None:  # a defined name: the sheet's own, else the workbook's
                name = self.names.get((sheet, ref.lower()), self.names.get((None, ref.lower())))
                hit = self.read_by(name, sheet, depth + 1) if name is not None else None
                if hit is not None:
                    return hit
                continue
            top, left, bottom, right = box
            for row, column in self.by_sheet.get(target, ()):
                if top <= row <= bottom and left <= column <= right:
                    return f"'{target}'!{column_letter(column)}{row}"
        return None


def changed_cells(changes, grids) -> set:
    """(sheet, row, column) of each cell a run writes a value into that differs from the value saved there."""
    from cyps_xl.workbook.changes import NO_VALUE

    found, sheets = set(), {}
    for change in changes:
        if getattr(change, "value", NO_VALUE) is NO_VALUE:  # a row style, a sparkline: no value written
            continue
        if change.sheet not in sheets:
            sheets[change.sheet] = grids[change.sheet] if grids is not None and change.sheet in grids.sheetnames else None
        grid = sheets[change.sheet]
        saved = grid.cell(change.row, change.column).value if grid is not None else None
        if not _same(saved, change.value):
            found.add((change.sheet, change.row, change.column))
    return found


def _same(saved, value) -> bool:
    if saved in (None, "") and value in (None, ""):
        return True
    numbers = (int, float)
    if isinstance(saved, numbers) and isinstance(value, numbers) and not isinstance(saved, bool) \
            and not isinstance(value, bool):
        return float(saved) == float(value)
    return saved == value
