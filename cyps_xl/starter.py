"""``cyps-xl init``: a team's own rules folder, made from the bundled one.

Every bundled file is copied as it is (the settings with their defaults and what each does, the layout,
the reports, the commentary's wording, the abbreviations, the schemas), except ``benchmarks.yaml``, which is
written for the team's authority and, given DfE's groupings file, its statistical neighbours. The bundled
indicator rules are one council's references and tolerances: they go to ``examples/``, where they are
read by no run, so a team's rows are rated by their own sheet (or by ``rules import``), never silently by
another council's bands. A file already in the folder is never replaced: it is named as kept.
"""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cyps_xl.benchmarks.config import AuthorityIndex, load_authorities
from cyps_xl.benchmarks.neighbours import needs_adopted, neighbour_set_yaml, read_grouping, starter_config
from cyps_xl.engine.rules import NON_INDICATOR_FILES
from cyps_xl.errors import CypsError
from cyps_xl.resources import BUNDLED_RULES
from cyps_xl.workbook.saving import write_text_atomically

COPIED = ("*.yaml", "*.json")  # the authorities and their other names are read from the bundled CSVs
EXAMPLES = "examples"  # another council's indicator rules, for reference: no run reads a subfolder


@dataclass
class InitReport:
    folder: Path
    authority: str
    neighbours: str | None  # the set written, or None
    written: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # already there: left as they were

    def lines(self) -> list[str]:
        lines = [f"Rules for {self.authority} in {self.folder}: {len(self.written)} file(s) written."]
        if self.kept:
            lines.append(f"Already there, left as they were: "
                         f"{', '.join(str(p.relative_to(self.folder)) for p in self.kept)}.")
        if any(p.name == "benchmarks.yaml" for p in self.kept):
            lines.append("benchmarks.yaml was there already: its authority and neighbours are as they were.")
        elif self.neighbours:
            lines.append(f"Statistical neighbours: {self.neighbours}.")
        else:
            lines.append(
                "No statistical neighbours yet: add them with 'cyps-xl benchmarks neighbours GROUPINGS.csv "
                f"--authority \"{self.authority}\" --adopted YYYY-MM-DD --write {self.folder / 'benchmarks.yaml'}'.")
        lines.append(f"Your indicators are rated from your scorecard's own Good perf is and Red/Amber/Green columns; "
                     f"to keep them in YAML: cyps-xl rules import SCORECARD.xlsx -o {self.folder / 'indicators.yaml'} "
                     f"(another council's, for reference, are in {self.folder / EXAMPLES}).")
        lines.append(f"Use them with --rules {self.folder}.")
        return lines


def init_rules(folder: Path, authority: str, groupings: Path | None = None, adopted: dt.date | None = None) -> InitReport:
    folder = Path(folder)
    if groupings is not None and adopted is None:
        raise needs_adopted()
    if folder.exists() and not folder.is_dir():
        raise CypsError("is a file, not a folder.", file=folder, hint="Give init a folder for the rules.")
    if groupings is not None:
        grouping = read_grouping(groupings, authority)
        ours, set_text = grouping.authority, neighbour_set_yaml(grouping, None, adopted)
        set_name = f"{len(grouping.members)} authorities from {Path(groupings).name}, adopted {adopted.isoformat()}"
    else:
        ours, set_text, set_name = AuthorityIndex(load_authorities()).resolve(authority), None, None
    folder.mkdir(parents=True, exist_ok=True)
    report = InitReport(folder, ours.name, set_name)
    for pattern in COPIED:
        for source in sorted(BUNDLED_RULES.glob(pattern)):
            target = folder / source.name
            if source.suffix == ".yaml" and source.name not in NON_INDICATOR_FILES:
                (folder / EXAMPLES).mkdir(exist_ok=True)
                target = folder / EXAMPLES / source.name
            if target.exists():
                report.kept.append(target)
            elif source.name == "benchmarks.yaml":
                write_text_atomically(target, starter_config(ours, set_text))
                report.written.append(target)
            else:
                shutil.copyfile(source, target)
                report.written.append(target)
    return report
