"""Never write over what cyps-xl did not make.

Every output a command is told to write (``-o``, ``--pdf``, ``rules import -o``, ``rules schema -o``, ``addin
build -o``) may replace a file only if cyps-xl wrote that file, as it is now: the issue it made last month, the
schema it wrote yesterday. Anything else there (a budget workbook, the rules YAML, a DfE CSV, the team's own
PDF) is refused unless ``--force`` says to replace it. What cyps-xl wrote is remembered by content (the SHA-256
of each output, in the user's private cache folder), so no marker is put into the files themselves; where no
private folder can be had, nothing is remembered, and an existing file needs ``--force``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from cyps_xl.engine.yamlcache import folder as cache_folder
from cyps_xl.errors import CypsError
from cyps_xl.workbook.saving import file_sha256

KEEP = 2000  # outputs remembered; the oldest are forgotten


def may_replace(target: Path, force: bool = False, hint: str | None = None) -> None:
    """Refuse ``target`` if a file is there that cyps-xl did not write (or that was changed since), unless forced."""
    target = Path(target)
    if force or not target.is_file():
        return
    if _written().get(_key(target)) == file_sha256(target):
        return
    raise CypsError("is there already and was not written by cyps-xl (or was changed since), so it is not replaced.",
                    file=target, hint=hint or "Choose another name, or add --force to replace it.")


def remember(target: Path) -> None:
    """``target`` was written by cyps-xl just now: a later run may replace it."""
    where = cache_folder()
    if where is None or not Path(target).is_file():
        return
    written = _written()
    written.pop(_key(target), None)
    written[_key(target)] = file_sha256(target)
    for old in list(written)[:-KEEP]:
        del written[old]
    temp = where / f".outputs.{os.getpid()}.tmp"
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(written))  # dumps: the C encoder, no closures left for the collector
        os.replace(temp, where / "outputs.json")
    except OSError:
        temp.unlink(missing_ok=True)


def _written() -> dict:
    where = cache_folder()
    if where is None:
        return {}
    try:
        found = json.loads((where / "outputs.json").read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def _key(target: Path) -> str:
    return str(Path(target).resolve())

