"""``cyps-xl lite``: what a team pastes into xlwings Lite, and its rules as a sheet to copy into the scorecard.

Kept apart from :mod:`cyps_xl.excel.lite`, which runs inside Lite: this runs on a desktop or server with
files, and writes them atomically, never over a file cyps-xl did not write.
"""
from __future__ import annotations

from pathlib import Path

from cyps_xl.excel.lite import RULES_SHEET, main_py, requirements, rules_sheet_rows

RULES_BOOK = "cyps_xl.rules.xlsx"


def printed(wheel_url: str | None = None) -> str:
    """main.py and requirements.txt, each under its name, for the terminal."""
    return (f"# ---- main.py (xlwings Lite's editor, main.py tab) ----\n{main_py()}\n"
            f"# ---- requirements.txt (its requirements.txt tab) ----\n{requirements(wheel_url)}")


def write_files(folder: Path, rules: Path | None = None, wheel_url: str | None = None, force: bool = False) -> list:
    """main.py, requirements.txt and, with ``rules``, a workbook holding the rules sheet, written into ``folder``."""
    from cyps_xl.workbook.outputs import may_replace, remember
    from cyps_xl.workbook.saving import write_atomically, write_text_atomically

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    outputs = [(folder / "main.py", main_py()), (folder / "requirements.txt", requirements(wheel_url))]
    book = folder / RULES_BOOK if rules is not None else None
    rows = rules_sheet_rows(rules) if rules is not None else None  # a bad rules folder stops before any write
    for target, _ in outputs + ([(book, None)] if book else []):
        may_replace(target, force)
    for target, text in outputs:
        write_text_atomically(target, text)
        remember(target)
    if book is not None:
        write_atomically(book, lambda raw: _rules_book(rows, raw))
        remember(book)
        outputs.append((book, None))
    return [target for target, _ in outputs]


def _rules_book(rows: list, raw) -> None:
    """The rules sheet in a workbook of its own (Move or Copy it into the scorecard), written by XlsxWriter into
    ``raw``: every cell text (a YAML line that starts with '=' is never a formula), wrapped, shared strings."""
    import xlsxwriter

    book = xlsxwriter.Workbook(raw, {"in_memory": True})
    sheet = book.add_worksheet(RULES_SHEET)
    text = book.add_format({"text_wrap": True, "valign": "top"})
    heading = book.add_format({"bold": True})
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 100)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write_string(r, c, value, heading if r == 0 else text)
    book.close()
