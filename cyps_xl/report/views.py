"""Report views: one indicator library, several reports.

A report in ``rules/reports.yaml`` with ``indicators:`` is a view: it picks
rows of the scorecard (by sheet and ref), in its own order, under its own
references and titles. The view is made inside the package model from the
scorecard sheet itself, so it is never poorer than the monthly scorecard: its
title block, header band, column widths, hidden month columns, styles, print
set-up, each chosen indicator's rows (every part of a multi-row indicator) and
the section band above them. Nothing is written to disk and read back. The
view is then rated with the *same* rules (each row gets the library rule of
the row it came from, under the view's reference and title) and its benchmarks
are the library rows' benchmarks, so the columns are filled as they are on the
scorecard.
"""
from __future__ import annotations

import dataclasses
import re
from copy import deepcopy

from lxml import etree

from cyps_xl.cellref import address, column_letter
from cyps_xl.engine.rules import RuleBook, normalise
from cyps_xl.engine.table import Scorecard, ScoreTable
from cyps_xl.errors import CypsError
from cyps_xl.workbook.cells import merged_ranges
from cyps_xl.workbook.parts import M, NS_REL
from cyps_xl.workbook.strings import cell_text

# What the copied sheet leaves behind: each names cells or ranges of the scorecard's own rows, or a part
# (drawing, notes, table) made for them. Sparklines come back from the engine for the view's own rows.
_ROW_BOUND = ("conditionalFormatting", "dataValidations", "hyperlinks", "autoFilter", "sortState", "rowBreaks",
              "colBreaks", "drawing", "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls",
              "tableParts", "extLst", "protectedRanges", "scenarios", "customSheetViews", "ignoredErrors")
_RID = f"{{{NS_REL}}}id"


def view_sheet_name(config: dict) -> str:
    return str(config.get("sheet", config["name"]))[:31]


def _source_rows(card: Scorecard, entry) -> tuple[ScoreTable, list]:
    """The table holding the entry's indicator, and every row of its block (all its parts)."""
    for table in card.tables:
        if table.sheet.lower() == str(entry["sheet"]).lower():
            for index, row in enumerate(table.rows):
                if row.ref == str(entry["ref"]) and row.first_in_block:
                    block = [row]
                    for more in table.rows[index + 1:]:
                        if more.first_in_block:
                            break
                        block.append(more)
                    return table, block
    raise CypsError(f"the report view names {entry['sheet']} {entry['ref']}, which is not in the scorecard.",
                    file="reports.yaml", hint="Check the view's indicators against the scorecard's references.")


def _band_row(table: ScoreTable, section: str | None) -> int | None:
    """The section band above a section's first row (the row a section heading sits on)."""
    if section is None:
        return None
    first = min((r.row for r in table.rows if r.section == section), default=None)
    return first - 1 if first is not None and first - 1 > table.header_rows[1] else None


def _column_map(base: ScoreTable, table: ScoreTable) -> dict:
    """Columns of ``table`` -> the base table's columns holding the same thing (identity for the base)."""
    if table is base:
        return None
    mapping = {table.columns[k]: base.columns[k] for k in table.columns if k in base.columns}
    by_month = {(m.date or m.label): m.column for m in base.months}
    for month in table.months:
        if (month.date or month.label) in by_month:
            mapping[month.column] = by_month[month.date or month.label]
    return mapping


def build_view(package, card: Scorecard, config: dict) -> str:
    """Make the view the package's only sheet (the issue adds its summary and commentary): the first
    indicator's scorecard sheet, cut down to the view's rows and renamed. Returns the view's sheet name."""
    name = view_sheet_name(config)
    picked = [(entry, *_source_rows(card, entry)) for entry in config["indicators"]]
    base = picked[0][1]
    wanted: dict = {}  # sheet -> source row numbers to copy
    plan = []  # (table, source row, entry or None for a band, first row of the block)
    previous = None
    for entry, table, block in picked:
        band = _band_row(table, block[0].section)
        if band is not None and (table.sheet, block[0].section) != previous:
            plan.append((table, band, None, False))
        previous = (table.sheet, block[0].section)
        plan += [(table, row.row, entry, i == 0) for i, row in enumerate(block)]
    for table, number, _, _ in plan:
        wanted.setdefault(table.sheet, set()).add(number)
    wanted.setdefault(base.sheet, set()).update(range(1, base.header_rows[1] + 1))
    rows = {sheet: _copy_rows(package, sheet, numbers) for sheet, numbers in wanted.items()}
    worksheet = package.worksheet(package.sheet_parts[base.sheet])
    shell = deepcopy(worksheet.shell)
    data = shell.find(f"{M}sheetData")
    moved: dict = {}  # (sheet, source row) -> view row
    unsaved = []
    for number in range(1, base.header_rows[1] + 1):
        if number in rows[base.sheet]:
            data.append(rows[base.sheet][number])
            moved[(base.sheet, number)] = number
    strings = package.shared_strings
    at = base.header_rows[1]
    for table, number, entry, first in plan:
        at += 1
        row = deepcopy(rows[table.sheet][number])
        unsaved += _place_row(row, at, _column_map(base, table), table.sheet)
        if first:
            _put_text(row, at, base.columns.get("ref"), str(entry.get("as", entry["ref"])), strings)
            if entry.get("title"):
                _put_text(row, at, base.columns.get("indicator"), str(entry["title"]), strings)
        data.append(row)
        moved[(table.sheet, number)] = at
    if unsaved:
        raise CypsError("this formula has no saved result, so its value cannot be issued in the view.",
                        file=package.path, place=unsaved[0],
                        hint="Open the workbook in Excel, let it calculate, save it, and run again.")
    title = config.get("title")
    if title:
        _retitle(data, strings, title)
    _rename_in_title_block(data, strings, base, name)
    _merges(shell, moved, base)
    _tidy_shell(package, worksheet.part, shell, at)
    _replace_sheets(package, base.sheet, name, worksheet.part,
                    etree.tostring(shell, xml_declaration=True, encoding="UTF-8", standalone=True))
    return name


def _copy_rows(package, sheet: str, numbers: set) -> dict:
    """The sheet's rows with these numbers, copied out of the stream (one pass over the sheet)."""
    found = {}
    for number, row in package.worksheet(package.sheet_parts[sheet]).source_rows():
        if number in numbers:
            found[number] = deepcopy(row)
    return found


def _place_row(row, number: int, columns: dict | None, sheet: str) -> list:
    """Renumber a copied row (and its cells, moved to the base table's columns when it comes from another
    sheet); its formulas become their saved results. Returns the cells that had no saved result."""
    unsaved = []
    row.set("r", str(number))
    row.attrib.pop("spans", None)  # written again from the cells as they are now
    for cell in list(row.iterfind(f"{M}c")):
        place = address(cell.get("r") or "")
        column = place[1] if place else None
        if columns is not None:
            column = columns.get(column)
        if column is None:
            row.remove(cell)
            continue
        cell.set("r", f"{column_letter(column)}{number}")
        formula = cell.find(f"{M}f")
        if formula is not None:
            cell.remove(formula)
            if cell.find(f"{M}v") is None and cell.get("t") != "inlineStr":
                unsaved.append(f"sheet '{sheet}', cell {cell.get('r')}")
        for attribute in ("cm", "vm"):
            cell.attrib.pop(attribute, None)
    if columns is not None:
        row[:] = sorted(row, key=lambda c: address(c.get("r"))[1] if c.tag == f"{M}c" else 0)
    return unsaved


def _put_text(row, number: int, column: int | None, text: str, strings) -> None:
    if column is None:
        return
    ref = f"{column_letter(column)}{number}"
    cell = next((c for c in row.iterfind(f"{M}c") if c.get("r") == ref), None)
    if cell is None:
        cell = etree.Element(f"{M}c", r=ref)
        later = next((c for c in row.iterfind(f"{M}c") if address(c.get("r"))[1] > column), None)
        if later is not None:
            later.addprevious(cell)
        else:
            row.append(cell)
    for child in list(cell):
        cell.remove(child)
    cell.set("t", "s")
    etree.SubElement(cell, f"{M}v").text = str(strings.add(text))


def _retitle(data, strings, title: str) -> None:
    """The report's own title in the first title cell (the scorecard's names the monthly report)."""
    first = data.find(f"{M}row")
    cell = first.find(f"{M}c") if first is not None else None
    if cell is not None and first.get("r") == "1":
        _put_text(first, 1, address(cell.get("r"))[1], title, strings)


def _rename_in_title_block(data, strings, base: ScoreTable, name: str) -> None:
    """A title-block line that names the scorecard's sheet ("Social Care Performance Summary") names the view."""
    for row in data.iterfind(f"{M}row"):
        number = int(row.get("r"))
        if number >= base.header_rows[0]:
            break
        for cell in row.iterfind(f"{M}c"):
            text = cell_text(cell, strings) if cell.get("t") == "s" else None
            if text and base.sheet.lower() in text.lower() and not text.lower().startswith("benchmarking"):
                renamed = re.sub(re.escape(base.sheet), name, text, flags=re.IGNORECASE)
                _put_text(row, number, address(cell.get("r"))[1], renamed, strings)


def _merges(shell, moved: dict, base: ScoreTable) -> None:
    """The base sheet's merged ranges that still cover copied rows in the same shape move with them (the
    header band, a section band across the sheet); the others go."""
    merges = shell.find(f"{M}mergeCells")
    if merges is None:
        return
    kept = []
    for m in merged_ranges(shell):
        (r1, c1), (r2, c2) = (m.min_row, m.min_col), (m.max_row, m.max_col)
        if all((base.sheet, r) in moved for r in range(r1, r2 + 1)):
            n1, n2 = moved[(base.sheet, r1)], moved[(base.sheet, r2)]
            if n2 - n1 == r2 - r1:
                kept.append(f"{column_letter(c1)}{n1}:{column_letter(c2)}{n2}")
    for merge in list(merges):
        merges.remove(merge)
    for ref in kept:
        etree.SubElement(merges, f"{M}mergeCell", ref=ref)
    if kept:
        merges.set("count", str(len(kept)))
    else:
        shell.remove(merges)


def _tidy_shell(package, part: str, shell, last_row: int) -> None:
    """Drop what named the scorecard's own rows, and the parts only those elements used."""
    for tag in _ROW_BOUND:
        for element in shell.findall(f"{M}{tag}"):
            shell.remove(element)
    dimension = shell.find(f"{M}dimension")
    if dimension is not None:
        right = (dimension.get("ref") or "A1").split(":")[-1].rstrip("0123456789") or "A"
        dimension.set("ref", f"A1:{right}{last_row}")
    kept = {e.get(_RID) for e in shell.iter() if e.get(_RID)}
    rels_name, rels = package.relationships(part)
    for rel in list(rels if rels is not None else ()):
        if rel.get("Id") in kept:
            continue
        rels.remove(rel)
        package.touch(rels_name)
        if rel.get("TargetMode") != "External":
            target = package.resolve(part, rel.get("Target"))
            package.remove_part(package.rels_name(target))
            package.remove_part(target)
    if rels is not None and not len(rels):
        package.remove_part(rels_name)  # nothing left to relate


def _replace_sheets(package, sheet: str, name: str, part: str, data: bytes) -> None:
    """The base sheet becomes the view (renamed); every other sheet goes."""
    others = [s for s in package.sheet_parts if s != sheet]
    for other in others:
        package.remove_sheet(other)
    package.replace_part(part, data)  # read again from the view's own rows
    workbook = package.tree(package.workbook_part)
    for entry in workbook.iterfind(f"{M}sheets/{M}sheet"):
        if entry.get("name") == sheet:
            entry.set("name", name)
            entry.attrib.pop("state", None)
    names = workbook.find(f"{M}definedNames")
    for defined in list(names if names is not None else ()):
        text = defined.text or ""
        if defined.get("name", "").lower() == "_xlnm.print_titles":
            defined.text = _renamed(text, sheet, name)  # the header rows, which the view keeps where they were
        elif any(_names(text, other) for other in [sheet, *others]):
            # a range of the scorecard's rows (the view's rows are others) or of a sheet the view leaves out
            # (it would read #REF!)
            names.remove(defined)
    if names is not None and not len(names):
        workbook.remove(names)
    package.sheet_parts = {name: part}
    package.touch(package.workbook_part)
    package.drop_unreachable()  # the other sheets' drawings, charts, pictures, notes and the people in them


def _names(formula: str, sheet: str) -> bool:
    """Whether a defined name's formula refers to ``sheet``."""
    return ("'" + sheet.replace("'", "''") + "'!").lower() in formula.lower() or \
        re.search(rf"(?<![\w.']){re.escape(sheet)}!", formula, flags=re.IGNORECASE) is not None


def _renamed(formula: str, old: str, new: str) -> str:
    quoted = "'" + new.replace("'", "''") + "'!"
    formula = formula.replace("'" + old.replace("'", "''") + "'!", quoted)
    return re.sub(rf"(?<![\w.']){re.escape(old)}!", quoted, formula)


def view_rules(rules: RuleBook, config: dict) -> RuleBook:
    """The library's rules, with each view row given the rule of the row it came from."""
    sheet = view_sheet_name(config)
    extra = []
    for entry in config["indicators"]:
        rule = rules.match(str(entry["sheet"]), str(entry["ref"]), None, None)
        if rule is None:
            raise CypsError(f"the report view names {entry['sheet']} {entry['ref']}, which has no rule.",
                            file="reports.yaml", hint="Add it to the rules or take it out of the view.")
        extra.append(dataclasses.replace(rule, sheet=sheet, ref=str(entry.get("as", entry["ref"])),
                                         title=entry.get("title") or rule.title, part=None))
    return dataclasses.replace(rules, rules=rules.rules + extra)


def view_aliases(config: dict) -> dict:
    """(library sheet, ref) -> (view sheet, view ref): where the library's benchmark rows land in the view."""
    sheet = view_sheet_name(config)
    return {(normalise(str(e["sheet"])), str(e["ref"])): (sheet, str(e.get("as", e["ref"]))) for e in config["indicators"]}
