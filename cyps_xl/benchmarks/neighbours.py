"""Statistical-neighbour sets from DfE's own groupings files.

DfE's children's services statistical-neighbour benchmarking model is
published as a CSV with one row per authority and its ten neighbours by old
(3-digit) LA code, in two shapes seen so far::

    LA num,LA Name,LA number,GOInd,GOReg,SN1,SNP,SN2,SNP,...            (2021 model)
    old_la_code,la_name,region_ind,region_name,SN_1,SN_1P,SN_2,SN_2P,... (2025 model)

:func:`neighbour_set_yaml` turns one authority's row into a ``neighbour_sets``
item for ``benchmarks.yaml`` (names, not codes, so a reader can check it), and
:func:`add_to_config` writes it into a given ``benchmarks.yaml`` atomically.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.benchmarks.measures import AuthorityIndex, load_authorities, load_config
from cyps_xl.engine.rules import BUNDLED_RULES, normalise

NEIGHBOUR_COLUMN = re.compile(r"^sn_?(\d+)$", re.IGNORECASE)
CODE_COLUMNS = ("old_la_code", "la num", "la number", "la_code")
NAME_COLUMNS = ("la_name", "la name")


@dataclass
class Grouping:
    file: Path
    authority: object  # cyps_xl.benchmarks.config.Authority
    members: list  # Authority, in DfE's order (closest first)
    closeness: list  # DfE's words for each ("Very close", ...)
    unknown: list  # codes DfE lists that are not current authorities


def read_grouping(path: Path, authority: str) -> Grouping:
    path = Path(path)
    index = AuthorityIndex(load_authorities())
    try:
        ours, unknown_error = index.resolve(authority), None
    except CypsError as exc:  # it may still be named in the file itself: only a miss there is reported
        ours, unknown_error = None, exc
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise CypsError("file not found.", file=path, hint="Give DfE's statistical-neighbour groupings CSV.") from None
    except (UnicodeDecodeError, csv.Error):
        raise CypsError("is not a UTF-8 CSV file.", file=path, hint="Download DfE's groupings CSV again.") from None
    if not rows:
        raise CypsError("is empty.", file=path)
    header = [h.strip().lower() for h in rows[0]]
    code_at = next((header.index(c) for c in CODE_COLUMNS if c in header), None)
    name_at = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    neighbour_at = sorted((int(m.group(1)), i) for i, h in enumerate(header) if (m := NEIGHBOUR_COLUMN.match(h)))
    if code_at is None or not neighbour_at:
        raise CypsError("is not a DfE statistical-neighbour groupings file (no LA code column and SN1, SN2... columns).",
                        file=path, place="line 1",
                        hint="Use DfE's children's services statistical neighbour benchmarking CSV.")
    for line, row in enumerate(rows[1:], start=2):
        code = row[code_at].strip() if len(row) > code_at else ""
        name = row[name_at].strip() if name_at is not None and len(row) > name_at else ""
        if ours is not None and code == ours.old_code or ours is None and normalise(name) == normalise(authority):
            members, closeness, unknown = [], [], []
            for _, i in neighbour_at:
                member_code = row[i].strip() if len(row) > i else ""
                if not member_code:
                    continue
                found = index.by_code(member_code)
                if found is None:
                    unknown.append(member_code)
                    continue
                members.append(found)
                closeness.append(row[i + 1].strip() if len(row) > i + 1 else "")
            if ours is None:  # named in the file: the file's own code says which authority it is
                ours = index.by_code(code) or index.find(name)
            if ours is None:
                raise CypsError(f"'{authority}' (line {line}, code {code}) is not one of the 153 current authorities.",
                                file=path, hint="Use the groupings file of a model made after the last reorganisation.")
            return Grouping(path, ours, members, closeness, unknown)
    if ours is None:
        raise unknown_error
    raise CypsError(f"has no row for {ours.name} (old LA code {ours.old_code}).", file=path,
                    hint="Check that this is the groupings file of a model that includes your authority.")


def needs_adopted() -> CypsError:
    return CypsError("--adopted is needed: the date your team starts to use this neighbour set.",
                     hint="Give it as YYYY-MM-DD (e.g. --adopted 2025-05-01): a set dated today would be used for no "
                          "earlier month, and one dated too early would change the figures of months already issued.")


def neighbour_set_yaml(grouping: Grouping, name: str | None, adopted: dt.date | None, indent: str = "  ") -> str:
    """One ``neighbour_sets`` item, ready to paste under ``neighbour_sets:``."""
    name = name or f"DfE statistical neighbours ({grouping.file.stem})"
    if adopted is None:
        raise needs_adopted()
    lines = [f"{indent}- name: {_quote(name)}",
             f"{indent}  authority: {_quote(grouping.authority.name)}",
             f"{indent}  adopted: {adopted.isoformat()}   # the date your team starts to use this set",
             f"{indent}  source: {_quote(grouping.file.name)}",
             f"{indent}  members:   # closest first, as DfE lists them"]
    for member, closeness in zip(grouping.members, grouping.closeness):
        comment = f"   # {member.old_code}, {closeness}" if closeness else f"   # {member.old_code}"
        lines.append(f"{indent}    - {_quote(member.name)}{comment}")
    for code in grouping.unknown:
        lines.append(f"{indent}    # {code}: not a current authority, left out")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,.()'&-]*", text) and ": " not in text else '"' + text.replace('"', '\\"') + '"'


def starter_config(authority, set_text: str | None = None) -> str:
    """A team's own ``benchmarks.yaml``: the bundled one (every setting with its default and what it does, and
    the library of measures) for ``authority``, with ``set_text`` (a neighbour_sets item) as its only set."""
    text = (BUNDLED_RULES / "benchmarks.yaml").read_text(encoding="utf-8")
    head, rest = text.split("\nneighbour_sets:\n", 1)
    measures = rest[rest.index("# Measures:"):]
    head = re.sub(r"^our_authority: \S.*?(\s+#)", lambda m: f"our_authority: {_quote(authority.name)}{m.group(1)}",
                  head, count=1, flags=re.M)
    sets = ("neighbour_sets:\n" + set_text if set_text else
            "neighbour_sets: []   # add one: cyps-xl benchmarks neighbours GROUPINGS.csv --authority "
            f"{_quote(authority.name)} --adopted YYYY-MM-DD --write benchmarks.yaml\n")
    return head + "\n" + sets + measures


def add_to_config(config_path: Path, grouping: Grouping, name: str | None, adopted: dt.date | None) -> str:
    """Write the set into ``benchmarks.yaml`` (after ``neighbour_sets:``), refusing a name already used; a file
    that does not exist yet is made from the bundled one, for the grouping's authority."""
    config_path = Path(config_path)
    name = name or f"DfE statistical neighbours ({grouping.file.stem})"
    if not config_path.exists():
        _write_checked(config_path, starter_config(grouping.authority, neighbour_set_yaml(grouping, name, adopted)))
        return name
    existing = load_config(config_path)
    for item in existing.sets:
        if item.name == name and item.authority == grouping.authority:
            raise CypsError(f"already has a neighbour set named '{name}' for {grouping.authority.name}.",
                            file=config_path, place=f"line {item.line}", hint="Give another --name, or remove the old set.")
    text = config_path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if re.match(r"neighbour_sets:\s*(#.*)?$", line.rstrip("\r\n"))), None)
    if at is None:
        if any(re.match(r"neighbour_sets:", line) for line in lines):
            raise CypsError("its neighbour_sets is written inline; cannot add a set to it.", file=config_path,
                            hint="Write neighbour_sets: on its own line with one '- name:' item per set.")
        block = ("" if text.endswith("\n") or not text else "\n") + "neighbour_sets:\n" + neighbour_set_yaml(grouping, name, adopted)
        new_text = text + block
    else:
        indent = next((re.match(r"(\s*)-", line).group(1) for line in lines[at + 1:] if re.match(r"\s*-", line)), "  ")
        new_text = "".join(lines[:at + 1]) + neighbour_set_yaml(grouping, name, adopted, indent) + "".join(lines[at + 1:])
    _write_checked(config_path, new_text)
    return name


def _write_checked(config_path: Path, text: str) -> None:
    """Written atomically, and only if the file as it will be loads."""
    if not config_path.parent.is_dir():
        raise CypsError("the folder does not exist.", file=config_path, hint="Create it, or give another --write.")
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=config_path.parent, suffix=".yaml.tmp", delete=False)
    try:
        with handle:
            handle.write(text)
        try:
            load_config(Path(handle.name))
        except CypsError as exc:  # said of the file the user named: the temporary one is gone
            raise CypsError(exc.message + " (as it would be after adding the set; it was left as it was)",
                            file=config_path, place=exc.place, hint=exc.hint) from None
        os.replace(handle.name, config_path)
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
