"""Formulas cyps-xl writes over: the calculation chain and shared formulas stay consistent.

Writing a value over a formula cell must not leave Excel a calculation-chain
entry for a cell that no longer has a formula, nor shared-formula children
whose master is gone (Excel answers both with a repair). The chain is dropped
(Excel rebuilds it on load, silently); a shared formula's master moves to its
next child, with the formula's relative references shifted to the new cell.
"""
from __future__ import annotations

import re


from cyps_xl.cellref import column_index, column_letter, split_ref
from cyps_xl.workbook.parts import M

# A1 references outside quoted text; a name followed by "(" is a function (LOG10(...)), not a cell
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


def release_shared_master(root, cell, formula) -> None:
    """``cell`` held the master of a shared formula and is being overwritten: the next child becomes the master."""
    index = formula.get("si")
    children = [c for c in root.iterfind(f"{M}sheetData/{M}row/{M}c")
                if c is not cell and (f := c.find(f"{M}f")) is not None and f.get("t") == "shared" and f.get("si") == index]
    if not children:
        return
    master_row, master_col = split_ref(cell.get("r"))
    heir = children[0]
    heir_row, heir_col = split_ref(heir.get("r"))
    places = [split_ref(c.get("r")) for c in children]
    top, left = min(r for r, _ in places), min(c for _, c in places)
    bottom, right = max(r for r, _ in places), max(c for _, c in places)
    new = heir.find(f"{M}f")
    new.text = shift_formula(formula.text or "", heir_row - master_row, heir_col - master_col)
    first, last = f"{column_letter(left)}{top}", f"{column_letter(right)}{bottom}"
    new.set("ref", first if first == last else f"{first}:{last}")
    if (top, left) != (heir_row, heir_col):  # the master must be the range's first cell: a smaller range then
        new.set("ref", f"{column_letter(heir_col)}{heir_row}:{last}")


def drop_calc_chain(package) -> None:
    """Remove the calculation chain (Excel rebuilds it): used when a formula cell became a value."""
    from cyps_xl.workbook.parts import CALC_CHAIN_REL

    package._drop_related(package.workbook_part, {CALC_CHAIN_REL})

