"""Formulas cyps-xl writes over: the calculation chain and shared formulas stay consistent.

Writing a value over a formula cell must not leave Excel a calculation-chain
entry for a cell that no longer has a formula, nor shared-formula children
whose master is gone (Excel answers both with a repair). The chain is dropped
(Excel rebuilds it on load, silently); a shared formula's master moves to its
next child, with the formula's relative references shifted to the new cell.
A formula cell as the reader found it is a :class:`Formula`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from cyps_xl.cellref import column_index, column_letter
from cyps_xl.workbook.parts import M

# A1 references outside quoted text; a name followed by "(" is a function (LOG10(...)), not a cell
@dataclass(frozen=True)
class Formula:
    """A formula cell as saved: what freezing, the CYPS_ evaluation and shared-formula repair need."""

    row: int
    column: int
    text: str | None
    kind: str | None  # t: None (normal), "shared", "array", "dataTable"
    si: str | None
    ref: str | None
    saved: bool  # the cell holds a saved result (or is an inline string)


_REFERENCE = re.compile(r"""("[^"]*")|(?<![A-Za-z0-9_.'])(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\d(A-Za-z_!])""")


def shift_formula(text: str, rows: int, columns: int) -> str:
    """``text`` as it reads from a cell ``rows`` down and ``columns`` across: relative references move."""
    def move(found):
        if found.group(1):
            return found.group(1)
        col_abs, letters, row_abs, digits = found.group(2), found.group(3), found.group(4), found.group(5)
        col = column_index(letters) + (0 if col_abs else columns)
        row = int(digits) + (0 if row_abs else rows)
        return f"{col_abs}{column_letter(col)}{row_abs}{row}"

    return _REFERENCE.sub(move, text)


class SharedFormulas:
    """A sheet's shared formulas, followed while its rows are written: a master that is overwritten hands
    its formula to the next child (the heir), with relative references shifted to the heir's cell and the
    range narrowed to the children left. ``formulas`` are the sheet's formula cells as saved, in order."""

    def __init__(self, formulas: dict):
        self.members: dict = {}  # si -> [(row, column)] of the cells sharing it, in document order
        for formula in formulas.values():
            if formula.kind == "shared" and formula.si is not None:
                self.members.setdefault(formula.si, []).append((formula.row, formula.column))
        self.heirs: dict = {}  # row -> {column: (text, ref)}: promotions due in rows not yet written

    def release(self, row: int, column: int, formula, cells: dict) -> None:
        """The cell at (row, column), holding ``formula``, is being overwritten; ``cells`` are its row's."""
        if formula.get("t") != "shared" or formula.get("si") is None:
            return
        members = self.members.get(formula.get("si"), [])
        if (row, column) in members:
            members.remove((row, column))
        if not formula.get("ref") or not members:
            return  # a child leaves the group; a master with no children left takes its formula with it
        heir_row, heir_col = members[0]
        text = shift_formula(formula.text or "", heir_row - row, heir_col - column)
        top, left = min(r for r, _ in members), min(c for _, c in members)
        bottom, right = max(r for r, _ in members), max(c for _, c in members)
        first, last = f"{column_letter(left)}{top}", f"{column_letter(right)}{bottom}"
        ref = first if first == last else f"{first}:{last}"
        if (top, left) != (heir_row, heir_col):  # the master must be the range's first cell: a smaller range then
            ref = f"{column_letter(heir_col)}{heir_row}:{last}"
        if heir_row == row and heir_col in cells:
            self.promote(cells[heir_col], text, ref)
        else:
            self.heirs.setdefault(heir_row, {})[heir_col] = (text, ref)

    @staticmethod
    def promote(cell, text: str, ref: str) -> None:
        formula = cell.find(f"{M}f")
        if formula is not None:
            formula.text = text
            formula.set("ref", ref)


CALC_CHAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"


def drop_calc_chain(package) -> None:
    """Remove the calculation chain (Excel rebuilds it): used when a formula cell became a value.
    A chain no relationship points to goes too, found by its content type: a stale entry in it is
    what Excel repairs ("Removed Records: Formula from /xl/calcChain.xml")."""
    from cyps_xl.workbook.parts import CALC_CHAIN_REL, NS_CT

    package._drop_related(package.workbook_part, {CALC_CHAIN_REL})
    for override in package.tree("[Content_Types].xml").findall(f"{{{NS_CT}}}Override"):
        if override.get("ContentType") == CALC_CHAIN_CT:
            package.remove_part(package.part_name(override.get("PartName", "").lstrip("/")))


def formulas_of(row, found: dict) -> bool:
    """Each formula of a row element into ``found`` ((row, column) -> :class:`Formula`); whether it has any <f>,
    addressed or not. (A plain row's bytes: cyps_xl.workbook.cellbytes.formula_facts.)"""
    from cyps_xl.cellref import address
    from cyps_xl.workbook.parts import M

    seen = False
    for formula in row.iter(f"{M}f"):
        seen = True
        cell = formula.getparent()
        place = address(cell.get("r"))
        if place is None:
            continue  # a formula in a cell without an address (or a damaged one, which the reader names)
        r, c = place
        value, kind = cell.find(f"{M}v"), cell.get("t")  # an empty <v/> (openpyxl's) is no result, but text ""
        saved = value is not None and (bool(value.text) or kind == "str") or kind == "inlineStr"
        found[(r, c)] = Formula(r, c, formula.text, formula.get("t"), formula.get("si"), formula.get("ref"), saved)
    return seen
