"""Evaluating ``CYPS_*`` formulas headlessly, so a scorecard that uses them can be issued on Linux.

Excel saves each formula with its last result, but the rules may have
changed since, and a workbook written by another tool has no result at all.
So ``cyps-xl issue`` computes every cell whose formula is a single
``CYPS_*`` call itself, with the same functions Excel calls
(:mod:`cyps_xl.excel.udfs`), and freezes the answer.  Arguments may be cell
references (``E14``, ``$E$14``, ``'Social Care'!E14``), ranges (``E14:E40``),
text in quotes, numbers, TRUE/FALSE or left out.  Array formulas fill their
whole range.  Anything else in a ``CYPS_*`` formula is reported with its cell.
"""
from __future__ import annotations

import re

from cyps_xl.cellref import bounds
from cyps_xl.errors import CypsError, cell_place
from cyps_xl.workbook.package import Package, column_letter, split_ref

CALL_RE = re.compile(r"^\s*=?\s*(?:_xludf\.)?(CYPS_[A-Z]+)\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
SHEET = r"(?:(?:'((?:[^']|'')+)'|([A-Za-z0-9_.]+))!)?"  # 'Social Care'! or Data!, or none: the formula's own
REF_RE = re.compile(rf"^{SHEET}([$A-Z0-9:]+)$")  # Q5, Q5:Q40, Q:Q or 3:5 (cellref.bounds reads which)
NUMBER_RE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def split_args(text: str) -> list[str]:
    args, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == "," and not quoted and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += char
    if text.strip():
        args.append(current.strip())
    return args


class UdfEvaluator:
    def __init__(self, package: Package, values_book, rules):
        self.package = package
        self.values = values_book  # cyps_xl.workbook.cells.GridBook: the cells' saved values, as read before any change
        self.rules = rules
        self.evaluated = 0

    def _arg(self, text: str, sheet: str, where: str):
        if text == "":
            return None
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            return text[1:-1].replace('""', '"')
        if NUMBER_RE.match(text):
            return float(text)
        if text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        ref = REF_RE.match(text)
        box = bounds(ref.group(3)) if ref else None
        if box is not None:
            quoted, plain, address = ref.groups()
            target = (quoted.replace("''", "'") if quoted else plain) or sheet
            if target not in self.values.sheetnames:
                raise CypsError(f"refers to a sheet '{target}' that does not exist.", file=self.package.path, place=where)
            ws = self.values[target]
            r1, c1, r2, c2 = box
            if ":" not in address:
                return ws.cell(r1, c1).value
            # cells past the sheet's last row and column are empty: the function cuts them off anyway (see
            # udf_args._used), so they are never read, even for A1:XFD1048576
            r2, c2 = min(r2, max(ws.max_row, r1)), min(c2, max(ws.max_column, c1))
            return [[ws.cell(r, c).value for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        raise CypsError(
            f"the argument '{text}' of a CYPS_ function cannot be evaluated without Excel.", file=self.package.path,
            place=where, hint="Use cell references, ranges (Q5:Q40, Q:Q), numbers or text in quotes as CYPS_ arguments.",
        )

    def run(self) -> int:
        from cyps_xl.excel import udfs

        with udfs.using_rules(self.rules):
            for sheet, part in self.package.sheet_parts.items():
                formulas = self.package.worksheet(part).formulas.values()
                cells = [f for f in formulas if f.text and "CYPS_" in f.text.upper()]
                if not cells:
                    continue
                editor = self.package.sheet(sheet)
                for formula in cells:
                    self._evaluate(formula, sheet, editor, udfs)
        return self.evaluated

    def _evaluate(self, formula, sheet, editor, udfs) -> None:
        """``formula`` (a :class:`~cyps_xl.workbook.formulas.Formula`) becomes the values it returns."""
        top_row, top_col = formula.row, formula.column
        where = cell_place(sheet, f"{column_letter(top_col)}{top_row}")
        call = CALL_RE.match(formula.text or "")
        if not call:
            raise CypsError("a formula mixes a CYPS_ function with other calculation, which cannot be evaluated without Excel.",
                            file=self.package.path, place=where,
                            hint="Put the CYPS_ call in a cell of its own, or open the workbook in Excel and save it.")
        name = call.group(1).upper()
        function = getattr(udfs, name, None)
        if function is None:
            raise CypsError(f"there is no function {name}.", file=self.package.path, place=where,
                            hint="The functions are CYPS_RAG, CYPS_DOT, CYPS_TOLERANCE and CYPS_BENCH.")
        args = [self._arg(a, sheet, where) for a in split_args(call.group(2))]
        result = function(*args)
        grid = result if isinstance(result, list) else [[result]]
        if formula.kind == "array" and formula.ref and ":" in formula.ref:
            first, last = formula.ref.split(":")
            (r1, c1), (r2, c2) = split_ref(first), split_ref(last)
        else:
            r1, c1, r2, c2 = top_row, top_col, top_row, top_col
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                i, j = r - r1, c - c1
                value = grid[i][j] if i < len(grid) and j < len(grid[i]) else None  # Excel shows #N/A beyond
                editor.set_value(r, c, "#N/A" if value is None and (i >= len(grid) or j >= len(grid[i])) else value)
        self.evaluated += 1


__all__ = ["UdfEvaluator", "split_args"]
