"""The summary page and the draft commentary of the issued report.

``rules/reports.yaml`` names the reports built from one indicator library: each
has its title, its summary tiles (headline figures with their DOT arrow and RAG
colour), a chart of one indicator's twelve months and - for a view such as the
Corporate Parenting report - the indicators it shows, in order, with its own
references and titles (see :mod:`cyps_xl.report.views`).
"""
from __future__ import annotations

from collections import Counter

from cyps_xl.engine.rules import BUNDLED_RULES, RuleBook, normalise
from cyps_xl.engine.yamlfile import load_yaml
from cyps_xl.errors import CypsError
from cyps_xl.report.commentary import commentary_rows, load_wording
from cyps_xl.engine.contrast import BLACK, readable_on
from cyps_xl.report.legible import WRAPPED, fit_rows
from cyps_xl.report.printing import footer, keep_together, print_sheet
from cyps_xl.workbook.package import CellStyle, Package, column_letter

SUMMARY_SHEET = "Summary"
COMMENTARY_SHEET = "Commentary"
NEUTRAL_FILL = "D9E1F2"


def load_reports(rules: RuleBook | None = None) -> dict:
    folder = rules.files[0].parent if rules and rules.files else BUNDLED_RULES
    path = folder / "reports.yaml"
    path = path if path.exists() else BUNDLED_RULES / "reports.yaml"
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("reports") or {}, dict):
        line = data.line_of("reports") if isinstance(data, dict) else 1
        raise CypsError("reports should be a mapping of report name to its settings (monthly:, corporate_parenting:).",
                        file=path, place=f"line {line}", hint="See the bundled rules/reports.yaml.")
    return data


def report_config(rules: RuleBook | None, name: str | None) -> dict:
    data = load_reports(rules)
    reports = data.get("reports") or {}
    name = name or data.get("default")
    if name not in reports:
        raise CypsError(f"there is no report named '{name}'.", file="reports.yaml",
                        hint=f"Reports: {', '.join(reports)}.")
    return {"name": name, **reports[name]}


def _in_report(config: dict, item: dict) -> tuple[str, str]:
    """Where a library row (sheet, ref) is in this report: a view shows it under its own sheet and reference."""
    for entry in config.get("indicators") or []:
        if normalise(str(entry["sheet"])) == normalise(str(item["sheet"])) and str(entry["ref"]) == str(item["ref"]):
            return config.get("sheet", config["name"])[:31], str(entry.get("as", entry["ref"]))
    return item["sheet"], str(item["ref"])


def _find(results: dict, sheet: str, ref: str):
    for result in results.get(sheet, []):
        if result.row.ref == str(ref) and result.row.first_in_block:
            return result
    return None


def add_summary(package: Package, config: dict, tables: list, results: dict, style, issue_number,
                as_at: str | None, today=None, bench: dict | None = None, grids=None) -> list[str]:
    """A first sheet with headline tiles, the exceptions list (the first table: Red or declining indicators), counts
    by RAG and by direction of travel, and a trend chart from zero with the scorecard's own caveats on its figures.
    ``bench``: the benchmark figures the run wrote; ``grids``: the cells as read (for the caveats).

    Returns notes: tiles or a chart that name rows this scorecard does not have are left out."""
    title = config.get("title", "Performance report")
    rows = [[title], [as_at or ""], [f"Status: Issue {issue_number}" if issue_number else ""], []]
    name = package.own_sheet_name(SUMMARY_SHEET, "Issue summary")  # its own earlier Summary is replaced
    package.put_sheet(name, rows, widths=[16, 16, 3] * 4 + [16], first=True)
    package.mark_own(name)
    editor = package.sheet(name)
    editor.set_style(1, 1, CellStyle(bold=True, size=16, font_color="1F3864"))
    tiles = [(t, _find(results, *_in_report(config, t))) for t in config.get("tiles") or []]
    missing = [t for t, found in tiles if found is None]
    tiles = [(t, found) for t, found in tiles if found is not None]
    for i, (tile, result) in enumerate(tiles[:4]):
        column = 1 + 3 * i
        reading = result.row.outturn if tile.get("value") == "outturn" else result.row.months[-1]
        band = result.rag_year.band if tile.get("value") == "outturn" else result.rag_month.band
        dot = result.dot_year if tile.get("value") == "outturn" else result.dot_month
        fill = style.colours[band] if band else NEUTRAL_FILL
        editor.set_value(5, column, reading.number if reading.present else (reading.reason or "-"))
        editor.set_style(5, column, CellStyle(number_format=result.measure.number_format, size=24, bold=True, fill=fill))
        editor.set_style(5, column + 1, CellStyle(fill=fill))
        arrow = style.dot_symbols[dot.direction] if dot.direction else ""
        since = "since last year" if tile.get("value") == "outturn" else "since last month"
        editor.set_value(6, column, tile.get("label", result.row.title))
        editor.set_style(6, column, CellStyle(bold=True, fill=fill, wrap=True))
        editor.set_style(6, column + 1, CellStyle(fill=fill))
        # the RAG word and the arrow's meaning in words, so the tile reads without its colours (greyscale, a screen
        # reader); the text takes a colour that reads on the tile's own RAG fill
        words = {"improving": "improving", "declining": "declining"}.get(dot.trend, "")
        rated = f"{style.labels[band]}: " if band else ""
        editor.set_value(7, column, rated + (" ".join(filter(None, [arrow, words, since])) if arrow
                                             else "no change measured"))
        colour = {"improving": style.colours["improving"], "declining": style.colours["declining"]}.get(dot.trend, BLACK)
        editor.set_style(7, column, CellStyle(font_color=readable_on(fill, colour), bold=True, fill=fill))
        editor.set_style(7, column + 1, CellStyle(fill=fill))
        for r in (5, 6, 7):
            package.merge(name, f"{column_letter(column)}{r}:{column_letter(column + 1)}{r}")
    rag = Counter(r.rag_month.band for rs in results.values() for r in rs if r.rag_month.band)
    trend = Counter((r.dot_month.trend if r.measure.polarity != "info" else "info")
                    for rs in results.values() for r in rs if r.dot_month.direction)
    labels = style.labels
    counts = [
        ["RAG (month)", labels["red"], labels["amber"], labels["green"]],
        ["indicators", rag.get("red", 0), rag.get("amber", 0), rag.get("green", 0)],
        [],
        ["Direction of travel (month)", "improving", "declining", "no change", "information only"],
        ["indicators", trend.get("improving", 0), trend.get("declining", 0), trend.get("neutral", 0), trend.get("info", 0)],
    ]
    from cyps_xl.report.exceptions import exceptions, put_exceptions

    top = put_exceptions(package, name, 9, exceptions(tables, results, bench or {}, labels), style.colours)
    columns = [1, 2, 4, 5, 7]  # the wide columns: every third one is a gap between tiles
    for offset, line in enumerate(counts):
        for c, value in zip(columns, line):
            editor.set_value(top + offset, c, value)
            if c > 1:  # each count centred under the word it counts
                editor.set_style(top + offset, c, CellStyle(horizontal="center"))
    for c, band in ((2, "red"), (4, "amber"), (5, "green")):
        editor.set_style(top, c, CellStyle(fill=style.colours[band], bold=True))
    if tiles:  # rows of tiles are tall; with none, no empty band on the page
        editor.row_height(5, 36)
        editor.row_height(6, 30)
    for r in (top, top + 3):
        editor.set_style(r, 1, CellStyle(bold=True, wrap=True))  # "Direction of travel (month)" wraps in its column
    editor.row_height(top + 3, 30)
    below = top + len(counts) + 1  # the chart's first row
    chart, charted = config.get("chart"), False
    if chart:
        sheet, ref = _in_report(config, chart)
        table = next((t for t in tables if normalise(t.sheet) == normalise(sheet)), None)
        result = _find(results, sheet, ref)
        if table is not None and result is not None and table.months:
            quoted = "'" + table.sheet.replace("'", "''") + "'"
            first, last = column_letter(table.months[0].column), column_letter(table.months[-1].column)
            header = table.header_rows[1]
            numbers = [m.number for m in result.row.months if m.present]
            from_zero = all(n >= 0 for n in numbers)  # a bar's height is its size: the axis starts at zero
            charted = True
            package.add_column_chart(name, (0, below - 1, 8, below + 15), chart.get("title", result.row.title),
                                     f"{quoted}!${first}${header}:${last}${header}",
                                     f"{quoted}!${first}${result.row.row}:${last}${result.row.row}",
                                     result.measure.number_format, from_zero=from_zero)
            notes = [] if from_zero else ["The chart's axis does not start at zero: some months are below zero."]
            notes += _caveats(grids, table)
            for offset, text in enumerate(notes):
                editor.set_value(below + 17 + offset, 1, text)
                editor.set_style(below + 17 + offset, 1, CellStyle(italic=True))
            below += len(notes) + 1
    # tiles, the exceptions, the counts and the chart (on one page, not cut at the page's end)
    page = print_sheet(package, name, None, footer(title, issue_number, today), range(1, below + 17))
    if charted:
        keep_together(package, name, page, top, below + 16)
    return [f"Summary tile '{t.get('label')}' left out: {t['sheet']} {t['ref']} is not in this scorecard." for t in missing]


def _caveats(grids, table) -> list[str]:
    """The scorecard's own notes that its figures are not all real ("... are ILLUSTRATIVE ..."), from the lines above
    its headings, so a chart of those months carries them too."""
    if grids is None or table.sheet not in grids.sheetnames:
        return []
    grid = grids[table.sheet]
    lines = []
    for row in range(1, table.header_rows[0]):
        texts, _ = grid.measuring_row(row)  # the texts are kept for measuring after the values are let go
        for column in sorted(texts):
            value = texts[column][1]
            if isinstance(value, str) and any(word in value.lower() for word in ("illustrative", "estimate", "provisional")):
                lines.append(f"Note from the scorecard: {value.strip()}")
    return lines


def add_commentary(package: Package, tables: list, results: dict, bench: dict, style, rules: RuleBook,
                   issue_number=None, today=None) -> int:
    wording = load_wording(rules)
    # Headings the reader does not take for a scorecard's (REF NO. / INDICATOR), so an issue can be re-read.
    rows = [[wording.data.get("label", "DRAFT commentary")], [], ["Sheet", "Scorecard ref", "Indicator name", "Draft commentary"]]
    for table in tables:
        for ref, title, text in commentary_rows(table, results[table.sheet], bench.get(table.sheet, {}), style.labels, wording):
            rows.append([table.sheet, ref, title, text])
    name = package.own_sheet_name(COMMENTARY_SHEET, "Draft commentary")
    # the sheet and ref columns fit their longest text (a view's sheet is "Corporate Parenting"), never cut
    fit = [max([len(str(row[c])) for row in rows[2:] if len(row) > c] + [8]) + 3 for c in (0, 1)]
    widths = [min(fit[0], 32), min(fit[1], 16), 45, 80]
    # the title; the headings and every row wrapped, all four cells aligned to the top of their row
    looks = {1: (CellStyle(bold=True, font_color="C00000", size=12), 1),
             3: (CellStyle(bold=True, fill="D9E1F2", wrap=True), 4)}
    wrapped = (WRAPPED, 4)
    looks.update((r, wrapped) for r in range(4, len(rows) + 1))
    # Rows grow to their wrapped lines (viewers do not grow them by themselves), measured before they are
    # written: the sheet is thousands of rows on a big scorecard, written whole in one pass. Each look's
    # format and font are worked out once, in row order (so the formats added are numbered alike every run).
    font_of = {style: package.styles.look(package.styles.derive(0, style))
               for style in dict.fromkeys(style for style, _ in looks.values())}
    fonts = {r: font_of[style] for r, (style, _) in looks.items()}
    existing = package.find_sheet(name)
    saved_widths = package.column_widths(existing)[0] if existing else {}
    widths = [saved_widths.get(c, w) for c, w in enumerate(widths, start=1)]  # a sheet kept keeps its widths
    heights, widened = fit_rows(rows, widths, fonts)
    package.put_rows(name, rows, widths=widths, looks=looks, heights=heights)
    package.mark_own(name)
    for column, width in widened.items():
        package.set_column_width(name, column, width)
    # the paper prints 7 pt or more
    print_sheet(package, name, (3, 3), footer("Draft commentary", issue_number, today), (),
                smallest=min(font[0] for font in fonts.values()))
    return len(rows) - 3
