"""``cyps-xl rules import``: migrate a scorecard's own columns into YAML rules.

Reads every row's "Good perf is" and Red / Amber / Green cells.  Anything
that is not a band cyps-xl understands (for example ``Lower than same qtr
previous year``), or bands that overlap, leave a gap or contradict the
polarity, is *listed with its sheet and cell* and left out of the rules,
never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cyps_xl.errors import CypsError
from cyps_xl.workbook.layout import load_layout
from cyps_xl.workbook.reader import place, read_scorecard
from cyps_xl.engine.tolerances import BANDS, POLARITIES, Tolerances, ToleranceSyntaxError, parse_band


@dataclass
class ImportReport:
    output: Path
    indicators: int = 0
    skipped: list[str] = field(default_factory=list)  # "sheet 'X', cell Y: why"


def import_rules(scorecard: Path, output: Path, layout_path: Path | None = None, force: bool = False) -> ImportReport:
    from cyps_xl.workbook.outputs import may_replace

    output = Path(output)
    if output.suffix.lower() not in {".yaml", ".yml"}:
        raise CypsError("the rules file must end in .yaml.", file=output, hint="For example -o rules/my_scorecard.yaml.")
    fresh = output.with_name(f"{output.stem}.imported{output.suffix}")
    may_replace(output, force, f"It may hold rules kept by hand: import to a new file (-o {fresh}) and merge what "
                               "you need, or add --force to replace it.")
    card = read_scorecard(scorecard, load_layout(layout_path))
    report = ImportReport(output)
    sheets: dict = {}
    for table in card.tables:
        entries = []
        for row in table.rows:
            polarity = (row.polarity_text or "").strip().lower()
            if polarity not in POLARITIES:
                where = place(table, row.row, "polarity") if "polarity" in table.columns else f"sheet '{table.sheet}', row {row.row}"
                report.skipped.append(f"{where}: 'Good perf is' is '{row.polarity_text or ''}', not high, low or info; set as info")
                polarity = "info"
            entry = {"ref": row.ref, "title": row.title}
            if row.part:
                entry["part"] = row.part
            entry["polarity"] = polarity
            bands, readable = {}, True
            for band in BANDS:
                raw = row.tolerance_text.get(band)
                try:
                    parsed = parse_band(raw)
                except ToleranceSyntaxError:
                    report.skipped.append(f"{place(table, row.row, band)}: '{raw}' is not a tolerance band; left out")
                    readable = False
                    continue
                if parsed is not None:
                    bands[band] = parsed
            if bands and readable:
                problems = Tolerances(**bands).problems(polarity)
                if problems:
                    report.skipped.append(f"{place(table, row.row, 'green')}: {problems[0]}; tolerances left out")
                else:
                    entry["tolerances"] = {name: band.text for name, band in bands.items()}
            entries.append({k: v for k, v in entry.items() if v is not None})
            report.indicators += 1
        sheets[table.sheet] = {"indicators": entries}
    header = (
        f"# Rules imported by 'cyps-xl rules import' from {Path(scorecard).name}.\n"
        "# Check them, then keep this file under version control. Cells that could not be\n"
        "# imported were listed when the import ran; add their tolerances by hand.\n"
    )
    text = header + yaml.safe_dump({"sheets": sheets}, sort_keys=False, allow_unicode=True, width=120)
    from cyps_xl.workbook.outputs import remember
    from cyps_xl.workbook.saving import write_text_atomically

    write_text_atomically(output, text)
    remember(output)
    return report
